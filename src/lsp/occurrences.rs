//! Every place a file names a symbol: definitions, parameters, namespaces and workloads, where
//! they are declared and where they are used (for references, rename and semantic tokens).

use crate::source::Span;
use crate::syntax::ast;

/// What a name stands for.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Symbol {
    /// A definition (of the program, the standard library, or none: an unknown name).
    Def(String),
    /// A parameter of the definition `def`: declared in its parameter list, used in its body
    /// and defaults, and named in calls (`port = 6432`).
    Param {
        def: String,
        name: String,
    },
    Namespace(String),
    /// A workload of a namespace (`app NAME`, `pods NAME`, named by `expect NAME`).
    Workload {
        namespace: String,
        name: String,
    },
    /// A cluster-wide guardrail.
    Cluster(String),
}

/// One place a symbol is named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    pub symbol: Symbol,
    pub span: Span,
    /// Where it is declared (a `def`, a parameter, `namespace NAME`, `app NAME`).
    pub declaration: bool,
}

/// The occurrences of a file, in source order.
pub fn occurrences(file: &ast::File) -> Vec<Occurrence> {
    let mut out = Vec::new();
    let mut namespace = String::new();
    for item in &file.items {
        match item {
            ast::Item::Namespace(n) => {
                namespace.clone_from(&n.node);
                push(&mut out, Symbol::Namespace(n.node.clone()), n.span, true);
            }
            ast::Item::Def(def) => {
                push(
                    &mut out,
                    Symbol::Def(def.name.node.clone()),
                    def.name.span,
                    true,
                );
                for p in &def.params {
                    let symbol = Symbol::Param {
                        def: def.name.node.clone(),
                        name: p.name.node.clone(),
                    };
                    push(&mut out, symbol, p.name.span, true);
                    if let Some(d) = &p.default {
                        dest(&mut out, d, Some(def));
                    }
                }
                for d in &def.body {
                    dest(&mut out, d, Some(def));
                }
            }
            ast::Item::Workload(w) => {
                let symbol = Symbol::Workload {
                    namespace: namespace.clone(),
                    name: w.name.node.clone(),
                };
                push(&mut out, symbol, w.name.span, true);
                for d in w.allow.iter().chain(&w.deny) {
                    dest(&mut out, d, None);
                }
            }
            ast::Item::Cluster(c) => {
                push(
                    &mut out,
                    Symbol::Cluster(c.name.node.clone()),
                    c.name.span,
                    true,
                );
                for d in &c.deny {
                    dest(&mut out, d, None);
                }
            }
            ast::Item::Host(h) => {
                push(
                    &mut out,
                    Symbol::Cluster(h.name.node.clone()),
                    h.name.span,
                    true,
                );
                for d in h.allow.iter().chain(&h.deny) {
                    dest(&mut out, d, None);
                }
            }
            ast::Item::Reserved(r) => {
                push(
                    &mut out,
                    Symbol::Cluster(r.identity.node.clone()),
                    r.identity.span,
                    true,
                );
                for d in r.allow.iter().chain(&r.deny) {
                    dest(&mut out, d, None);
                }
            }
            ast::Item::Expect(e) => {
                let symbol = Symbol::Workload {
                    namespace: namespace.clone(),
                    name: e.workload.node.clone(),
                };
                push(&mut out, symbol, e.workload.span, false);
                dest(&mut out, &e.dest, None);
            }
            ast::Item::Set(s) => {
                for d in &s.values {
                    dest(&mut out, d, None);
                }
            }
            ast::Item::DefaultDeny(_) | ast::Item::Allow(_) => {}
        }
    }
    out
}

fn push(out: &mut Vec<Occurrence>, symbol: Symbol, span: Span, declaration: bool) {
    out.push(Occurrence {
        symbol,
        span,
        declaration,
    });
}

/// A name used where a destination or a port may be: a parameter of the enclosing definition
/// when it has one of that name, else a definition.
fn used(out: &mut Vec<Occurrence>, name: &ast::Name, within: Option<&ast::Def>) {
    let symbol = match within {
        Some(def) if def.params.iter().any(|p| p.name.node == name.node) => Symbol::Param {
            def: def.name.node.clone(),
            name: name.node.clone(),
        },
        _ => Symbol::Def(name.node.clone()),
    };
    push(out, symbol, name.span, false);
}

fn ports(out: &mut Vec<Occurrence>, p: &ast::PortSuffix, within: Option<&ast::Def>) {
    // A port suffix names a parameter only inside a definition that has it.
    if let Some(def) = within
        && def.params.iter().any(|x| x.name.node == p.port.node)
    {
        used(out, &p.port, Some(def));
    }
}

fn dest(out: &mut Vec<Occurrence>, d: &ast::Dest, within: Option<&ast::Def>) {
    match &d.kind {
        ast::DestKind::Atom(ast::Atom::Name { name, ports: p }) => {
            used(out, name, within);
            if let Some(p) = p {
                ports(out, p, within);
            }
        }
        ast::DestKind::Atom(ast::Atom::Ip { ports: p, .. } | ast::Atom::Host { ports: p, .. }) => {
            if let Some(p) = p {
                ports(out, p, within);
            }
        }
        ast::DestKind::Atom(ast::Atom::Port(_)) | ast::DestKind::Text(_) => {}
        ast::DestKind::Call { name, args } => {
            used(out, name, within);
            for a in args {
                if let Some(n) = &a.name {
                    let symbol = Symbol::Param {
                        def: name.node.clone(),
                        name: n.node.clone(),
                    };
                    push(out, symbol, n.span, false);
                }
                dest(out, &a.value, within);
            }
        }
        ast::DestKind::ServiceAccount { namespace, .. }
        | ast::DestKind::Service { namespace, .. } => {
            if let Some(n) = namespace {
                push(out, Symbol::Namespace(n.node.clone()), n.span, false);
            }
        }
        ast::DestKind::Pods { namespace, .. } => {
            if let Some(ast::NamespaceRef::Named(n)) = namespace {
                push(out, Symbol::Namespace(n.node.clone()), n.span, false);
            }
        }
    }
    if let Some(p) = &d.ports {
        ports(out, p, within);
    }
}

/// The occurrence under a byte offset (the position right after a name counts).
pub fn at(file: &ast::File, offset: usize) -> Option<Occurrence> {
    occurrences(file)
        .into_iter()
        .find(|o| (o.span.start as usize) <= offset && offset <= o.span.end as usize)
}

#[cfg(test)]
#[allow(clippy::string_slice, reason = "tests slice at spans the parser gave")]
mod tests {
    use super::*;
    use crate::source::FileId;

    #[test]
    fn names_are_classified() {
        let text = "namespace pay\ndef db(a: cidr, p: port = 5432) = a:p/tcp\napp api -> dns, db(10.0.0.0/8, p = 6432), pods(kube-system){a=b}\nexpect api -> dns allow\n";
        let (file, _) = crate::syntax::parse(FileId(0), text);
        let found: Vec<(Symbol, &str, bool)> = occurrences(&file.unwrap())
            .into_iter()
            .map(|o| (o.symbol, &text[o.span.range()], o.declaration))
            .collect();
        let param = |n: &str| Symbol::Param {
            def: "db".into(),
            name: n.into(),
        };
        let api = Symbol::Workload {
            namespace: "pay".into(),
            name: "api".into(),
        };
        assert_eq!(
            found,
            [
                (Symbol::Namespace("pay".into()), "pay", true),
                (Symbol::Def("db".into()), "db", true),
                (param("a"), "a", true),
                (param("p"), "p", true),
                (param("a"), "a", false),
                (param("p"), "p", false),
                (api.clone(), "api", true),
                (Symbol::Def("dns".into()), "dns", false),
                (Symbol::Def("db".into()), "db", false),
                (param("p"), "p", false),
                (
                    Symbol::Namespace("kube-system".into()),
                    "kube-system",
                    false
                ),
                (api, "api", false),
                (Symbol::Def("dns".into()), "dns", false),
            ]
        );
    }
}
