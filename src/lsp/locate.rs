//! What is under the cursor: the innermost name of the AST whose span holds a byte offset, or
//! the word of the text around it.

use crate::source::{Span, Spanned};
use crate::syntax::ast;

use super::recover::is_ident_char;

/// A name under the cursor, with what it names.
#[derive(Clone, Copy, Debug)]
pub enum Hit<'a> {
    /// The name of a definition, where it is defined.
    DefName(&'a ast::Def),
    /// A name used as a destination or called (`dns`, `rds(...)`), inside `within` when the
    /// use is in a definition's body or defaults (where parameters are in scope).
    Use {
        name: &'a Spanned<String>,
        within: Option<&'a ast::Def>,
    },
    /// A parameter where it is declared.
    Param {
        param: &'a ast::Param,
        def: &'a ast::Def,
    },
    /// A type in a parameter list (`cidr`).
    Type(&'a Spanned<String>),
    /// A named argument (`port = 6432` in `rds(db, port = 6432)`), of a call of `callee`.
    ArgName {
        name: &'a Spanned<String>,
        callee: &'a Spanned<String>,
    },
    /// The port or protocol of a port suffix (`:port/tcp`); in a definition it may name a
    /// parameter.
    Port {
        name: &'a Spanned<String>,
        within: Option<&'a ast::Def>,
    },
    /// A protocol in a port suffix.
    Proto(&'a Spanned<String>),
    /// The name of a namespace (in `namespace x` or `pods(x)`).
    Namespace(&'a Spanned<String>),
    /// The name of a workload.
    Workload(&'a ast::Workload),
    /// The name of a cluster-wide guardrail.
    Cluster(&'a ast::Cluster),
}

/// Whether `offset` is on `span` (the position right after a name counts, as editors ask for
/// the word the cursor ends).
fn on(span: Span, offset: usize) -> bool {
    (span.start as usize) <= offset && offset <= span.end as usize
}

pub fn at(file: &ast::File, offset: usize) -> Option<Hit<'_>> {
    for item in &file.items {
        let found = match item {
            ast::Item::Namespace(n) => on(n.span, offset).then_some(Hit::Namespace(n)),
            ast::Item::Def(def) => in_def(def, offset),
            ast::Item::Workload(w) => {
                if on(w.name.span, offset) {
                    Some(Hit::Workload(w))
                } else {
                    in_dests(w.allow.iter().chain(&w.deny), offset, None)
                }
            }
            ast::Item::Cluster(c) => {
                if on(c.name.span, offset) {
                    Some(Hit::Cluster(c))
                } else {
                    in_dests(c.allow.iter().flatten().chain(&c.deny), offset, None)
                }
            }
            ast::Item::Host(h) => in_dests(h.allow.iter().chain(&h.deny), offset, None),
            // `default deny`, settings, attributes: no names to look up.
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

fn in_def(def: &ast::Def, offset: usize) -> Option<Hit<'_>> {
    if on(def.name.span, offset) {
        return Some(Hit::DefName(def));
    }
    for p in &def.params {
        if on(p.name.span, offset) {
            return Some(Hit::Param { param: p, def });
        }
        if let Some(t) = p.types.iter().find(|t| on(t.span, offset)) {
            return Some(Hit::Type(t));
        }
        if let Some(hit) = p
            .default
            .as_ref()
            .and_then(|d| in_dest(d, offset, Some(def)))
        {
            return Some(hit);
        }
    }
    in_dests(&def.body, offset, Some(def))
}

fn in_dests<'a>(
    dests: impl IntoIterator<Item = &'a ast::Dest>,
    offset: usize,
    within: Option<&'a ast::Def>,
) -> Option<Hit<'a>> {
    dests.into_iter().find_map(|d| in_dest(d, offset, within))
}

fn in_dest<'a>(
    dest: &'a ast::Dest,
    offset: usize,
    within: Option<&'a ast::Def>,
) -> Option<Hit<'a>> {
    if !on(dest.span, offset) {
        return None;
    }
    let inner = match &dest.kind {
        ast::DestKind::Atom(atom) => match atom {
            ast::Atom::Name { name, ports } => {
                if on(name.span, offset) {
                    Some(Hit::Use { name, within })
                } else {
                    ports.as_ref().and_then(|p| in_ports(p, offset, within))
                }
            }
            ast::Atom::Ip { ports, .. } | ast::Atom::Host { ports, .. } => {
                ports.as_ref().and_then(|p| in_ports(p, offset, within))
            }
            ast::Atom::Port(_) => None,
        },
        ast::DestKind::Text(_) => None,
        ast::DestKind::Call { name, args } => {
            if on(name.span, offset) {
                Some(Hit::Use { name, within })
            } else {
                args.iter().find_map(|a| match &a.name {
                    Some(n) if on(n.span, offset) => Some(Hit::ArgName {
                        name: n,
                        callee: name,
                    }),
                    _ => in_dest(&a.value, offset, within),
                })
            }
        }
        ast::DestKind::ServiceAccount {
            namespace: Some(n), ..
        }
        | ast::DestKind::Service {
            namespace: Some(n), ..
        } if on(n.span, offset) => Some(Hit::Namespace(n)),
        ast::DestKind::ServiceAccount { .. } | ast::DestKind::Service { .. } => None,
        ast::DestKind::Pods { namespace, .. } => match namespace {
            Some(ast::NamespaceRef::Named(n)) if on(n.span, offset) => Some(Hit::Namespace(n)),
            _ => None,
        },
    };
    inner.or_else(|| {
        dest.ports
            .as_ref()
            .and_then(|p| in_ports(p, offset, within))
    })
}

fn in_ports<'a>(
    ports: &'a ast::PortSuffix,
    offset: usize,
    within: Option<&'a ast::Def>,
) -> Option<Hit<'a>> {
    if on(ports.port.span, offset) {
        return Some(Hit::Port {
            name: &ports.port,
            within,
        });
    }
    ports
        .proto
        .as_ref()
        .filter(|p| on(p.span, offset))
        .map(Hit::Proto)
}

/// The parameter `name` of `def`, if the cursor is inside a definition and it has one.
pub fn param_of<'a>(def: Option<&'a ast::Def>, name: &str) -> Option<&'a ast::Param> {
    def?.params.iter().find(|p| p.name.node == name)
}

/// The word (letters, digits, `-`, `_`) around `offset`, as a byte range.
pub fn word_at(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or_default();
    let after = text.get(offset..).unwrap_or_default();
    let start = offset
        - before
            .chars()
            .rev()
            .take_while(|c| is_ident_char(*c))
            .map(char::len_utf8)
            .sum::<usize>();
    let end = offset
        + after
            .chars()
            .take_while(|c| is_ident_char(*c))
            .map(char::len_utf8)
            .sum::<usize>();
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn hit(text: &str, needle: &str) -> String {
        let (file, _) = crate::syntax::parse(FileId(0), text);
        let file = file.unwrap();
        let offset = text.find(needle).unwrap() + 1;
        match at(&file, offset) {
            None => "none".into(),
            Some(Hit::DefName(d)) => format!("def {}", d.name.node),
            Some(Hit::Use { name, within }) => format!(
                "use {} in {:?}",
                name.node,
                within.map(|d| d.name.node.as_str())
            ),
            Some(Hit::Param { param, def }) => {
                format!("param {} of {}", param.name.node, def.name.node)
            }
            Some(Hit::Type(t)) => format!("type {}", t.node),
            Some(Hit::ArgName { name, callee }) => format!("arg {} of {}", name.node, callee.node),
            Some(Hit::Port { name, .. }) => format!("port {}", name.node),
            Some(Hit::Proto(p)) => format!("proto {}", p.node),
            Some(Hit::Namespace(n)) => format!("namespace {}", n.node),
            Some(Hit::Workload(w)) => format!("workload {}", w.name.node),
            Some(Hit::Cluster(c)) => format!("cluster {}", c.name.node),
        }
    }

    #[test]
    fn finds_names() {
        let text = "namespace pay\ndef db(a: cidr | host, p: port = 5432) = a:p/tcp\napp api -> dns, rds(10.0.0.0/8, port = 6432), db(10.0.0.0/8), pods(kube-system){a=b}\ncluster g deny metadata\n";
        assert_eq!(hit(text, "pay"), "namespace pay");
        assert_eq!(hit(text, "db("), "def db");
        assert_eq!(hit(text, "a: "), "param a of db");
        assert_eq!(hit(text, "host"), "type host");
        assert_eq!(hit(text, "a:p/"), "use a in Some(\"db\")");
        assert_eq!(hit(text, "p/tcp"), "port p");
        assert_eq!(hit(text, "tcp"), "proto tcp");
        assert_eq!(hit(text, "api"), "workload api");
        assert_eq!(hit(text, "dns"), "use dns in None");
        assert_eq!(hit(text, "rds"), "use rds in None");
        assert_eq!(hit(text, "port = 6"), "arg port of rds");
        assert_eq!(hit(text, "db(10"), "use db in None");
        assert_eq!(hit(text, "kube-system"), "namespace kube-system");
        assert_eq!(hit(text, "metadata"), "use metadata in None");
        assert_eq!(hit(text, " g "), "cluster g");
    }
}
