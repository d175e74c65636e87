//! Pest pairs → AST. The only module that touches `pest::iterators::Pair`. The grammar
//! guarantees the shapes matched here; a shape it does not guarantee becomes an internal
//! diagnostic (E0001), never a panic.

use pest::iterators::{Pair, Pairs};

use super::ast::*;
use super::atom;
use super::parser::Rule;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, Span, Spanned};

struct Cx<'a> {
    file: FileId,
    text: &'a str,
    /// Where the text the pairs were parsed from starts in `text` (a statement parsed on its
    /// own, [`statement_at`]): pairs' positions are relative to it.
    base: usize,
    diags: &'a mut Diagnostics,
}

impl Cx<'_> {
    fn span(&self, p: &Pair<'_, Rule>) -> Span {
        let s = p.as_span();
        Span::new(self.file, self.base + s.start(), self.base + s.end())
    }

    fn spanned(&self, p: &Pair<'_, Rule>) -> Spanned<String> {
        Spanned::new(p.as_str().to_owned(), self.span(p))
    }

    fn bug(&mut self, p: &Pair<'_, Rule>, what: &str) {
        let span = self.span(p);
        self.diags.push(Diagnostic::bug(
            span,
            format!("unexpected parse tree shape: {what} ({:?})", p.as_rule()),
        ));
    }

    /// The `##` lines directly above byte offset `start`.
    fn doc_above(&self, start: usize) -> Option<String> {
        let before = self.text.get(..start)?;
        let mut lines: Vec<&str> = Vec::new();
        // Skip the (possibly partial) line the statement starts on.
        let mut rest = match before.rfind('\n') {
            Some(i) => before.get(..i)?,
            None => return None,
        };
        loop {
            let (head, line) = match rest.rfind('\n') {
                Some(i) => (rest.get(..i), rest.get(i + 1..)?),
                None => (None, rest),
            };
            let trimmed = line.trim();
            match trimmed.strip_prefix("##") {
                Some(doc) => lines.push(doc.strip_prefix(' ').unwrap_or(doc).trim_end()),
                None => break,
            }
            match head {
                Some(h) => rest = h,
                None => break,
            }
        }
        if lines.is_empty() {
            return None;
        }
        lines.reverse();
        Some(lines.join("\n"))
    }
}

fn is_keyword(r: Rule) -> bool {
    matches!(
        r,
        Rule::kw_namespace
            | Rule::kw_def
            | Rule::kw_app
            | Rule::kw_pods
            | Rule::kw_default
            | Rule::kw_deny
            | Rule::kw_allow
            | Rule::kw_cluster
            | Rule::kw_expect
            | Rule::kw_in
            | Rule::kw_notin
            | Rule::kw_set
            | Rule::kw_resolving
            | Rule::kw_serviceaccount
            | Rule::kw_except
            | Rule::kw_service
            | Rule::kw_host
            | Rule::kw_reserved
    )
}

/// Children of a pair without keyword tokens.
fn children<'i>(p: Pair<'i, Rule>) -> impl Iterator<Item = Pair<'i, Rule>> {
    p.into_inner().filter(|c| !is_keyword(c.as_rule()))
}

pub fn file(id: FileId, text: &str, pairs: Pairs<'_, Rule>, diags: &mut Diagnostics) -> File {
    let mut cx = Cx {
        file: id,
        text,
        base: 0,
        diags,
    };
    let mut items = Vec::new();
    for top in pairs {
        for p in top.into_inner() {
            if p.as_rule() == Rule::EOI {
                continue;
            }
            if let Some(item) = statement(&mut cx, p) {
                items.push(item);
            }
        }
    }
    File { id, items }
}

/// The statement of `pair`, parsed from the text that starts at byte `base` of `text`.
pub fn statement_at(
    id: FileId,
    text: &str,
    base: usize,
    pair: Pair<'_, Rule>,
    diags: &mut Diagnostics,
) -> Option<Item> {
    let mut cx = Cx {
        file: id,
        text,
        base,
        diags,
    };
    statement(&mut cx, pair)
}

fn statement(cx: &mut Cx<'_>, p: Pair<'_, Rule>) -> Option<Item> {
    let span = cx.span(&p);
    match p.as_rule() {
        Rule::namespace_decl | Rule::fast_namespace => {
            let name = children(p).next()?;
            Some(Item::Namespace(cx.spanned(&name)))
        }
        Rule::default_deny | Rule::fast_default => Some(Item::DefaultDeny(span)),
        Rule::def_decl => {
            let doc = cx.doc_above(cx.base + p.as_span().start());
            let mut name = None;
            let mut params = Vec::new();
            let mut body = Vec::new();
            for c in children(p) {
                match c.as_rule() {
                    Rule::name => name = Some(cx.spanned(&c)),
                    Rule::params => {
                        for prm in c.into_inner() {
                            params.extend(param(cx, prm));
                        }
                    }
                    Rule::dest_list => body = dest_list(cx, c),
                    _ => cx.bug(&c, "in a definition"),
                }
            }
            Some(Item::Def(Def {
                name: name?,
                params,
                body,
                doc,
                span,
            }))
        }
        Rule::app_stmt | Rule::pods_stmt | Rule::fast_app => {
            let mut name = None;
            let mut selector = WorkloadSelector::App;
            let mut allow = Vec::new();
            let mut deny = Vec::new();
            for c in children(p) {
                match c.as_rule() {
                    Rule::name => name = Some(cx.spanned(&c)),
                    Rule::selector => selector = WorkloadSelector::Labels(self::selector(cx, c)),
                    Rule::dest_list | Rule::fast_list => allow = dest_list(cx, c),
                    Rule::deny_clause => append(&mut deny, deny_clause(cx, c)),
                    Rule::fast_deny => deny = dest_list(cx, c),
                    _ => cx.bug(&c, "in a workload statement"),
                }
            }
            Some(Item::Workload(Workload {
                name: name?,
                selector,
                allow,
                deny,
                span,
            }))
        }
        Rule::cluster_stmt => {
            let mut name = None;
            let mut sel = None;
            let mut namespaces = None;
            let mut except = None;
            let mut lists = Vec::new();
            let mut deny = Vec::new();
            // A `deny` right in the statement (not in a deny clause) makes it a guardrail.
            let mut guardrail = false;
            for c in p.into_inner() {
                match c.as_rule() {
                    Rule::kw_cluster => {}
                    Rule::kw_deny => guardrail = true,
                    Rule::name => name = Some(cx.spanned(&c)),
                    Rule::selector => sel = Some(selector(cx, c)),
                    Rule::cluster_in => namespaces = cluster_in(cx, c),
                    Rule::cluster_except => except = Some(cluster_except(cx, c)),
                    Rule::dest_list => lists.push(dest_list(cx, c)),
                    Rule::deny_clause => append(&mut deny, deny_clause(cx, c)),
                    _ => cx.bug(&c, "in a cluster statement"),
                }
            }
            // `-> A deny B` (an allow-list) or `deny B` alone (a guardrail).
            let first = lists.into_iter().next().unwrap_or_default();
            let (allow, deny) = if guardrail {
                (None, first)
            } else {
                (Some(first), deny)
            };
            Some(Item::Cluster(Cluster {
                name: name?,
                selector: sel,
                namespaces,
                except,
                allow,
                deny,
                span,
            }))
        }
        Rule::host_stmt => {
            let mut name = None;
            let mut sel = None;
            let mut pods = None;
            let mut namespaces = None;
            let mut except = None;
            let mut allow = Vec::new();
            let mut deny = Vec::new();
            for c in children(p) {
                match c.as_rule() {
                    Rule::name => name = Some(cx.spanned(&c)),
                    Rule::selector => sel = Some(selector(cx, c)),
                    Rule::host_pods => pods = Some(cx.span(&c)),
                    Rule::cluster_in => namespaces = cluster_in(cx, c),
                    Rule::cluster_except => except = Some(cluster_except(cx, c)),
                    Rule::dest_list => allow = dest_list(cx, c),
                    Rule::deny_clause => append(&mut deny, deny_clause(cx, c)),
                    _ => cx.bug(&c, "in a host statement"),
                }
            }
            Some(Item::Host(Host {
                name: name?,
                selector: sel,
                pods,
                namespaces,
                except,
                allow,
                deny,
                span,
            }))
        }
        Rule::reserved_stmt => {
            let mut identity = None;
            let mut allow = Vec::new();
            let mut deny = Vec::new();
            for c in children(p) {
                match c.as_rule() {
                    Rule::name => identity = Some(cx.spanned(&c)),
                    Rule::dest_list => allow = dest_list(cx, c),
                    Rule::deny_clause => append(&mut deny, deny_clause(cx, c)),
                    _ => cx.bug(&c, "in a reserved statement"),
                }
            }
            Some(Item::Reserved(ReservedStmt {
                identity: identity?,
                allow,
                deny,
                span,
            }))
        }
        Rule::set_stmt => {
            let mut key = None;
            let mut values = Vec::new();
            for c in children(p) {
                match c.as_rule() {
                    Rule::name => key = Some(cx.spanned(&c)),
                    Rule::dest_list => values = dest_list(cx, c),
                    _ => cx.bug(&c, "in a setting"),
                }
            }
            Some(Item::Set(Setting {
                key: key?,
                values,
                span,
            }))
        }
        Rule::expect_stmt => {
            let mut workload = None;
            let mut d = None;
            let mut resolving = None;
            let mut allow = true;
            for c in children(p) {
                match c.as_rule() {
                    Rule::name => workload = Some(cx.spanned(&c)),
                    Rule::dest => d = dest(cx, c),
                    Rule::resolving => {
                        resolving = children(c).next().map(|a| cx.spanned(&a));
                    }
                    Rule::verdict => {
                        allow = c
                            .into_inner()
                            .next()
                            .is_some_and(|v| v.as_rule() == Rule::kw_allow)
                    }
                    _ => cx.bug(&c, "in an expectation"),
                }
            }
            Some(Item::Expect(Box::new(Expect {
                workload: workload?,
                dest: d?,
                resolving,
                allow,
                span,
            })))
        }
        Rule::attribute => {
            let mut code = None;
            let mut reason = None;
            for c in children(p) {
                match c.as_rule() {
                    Rule::lint_code => code = Some(cx.spanned(&c)),
                    Rule::string => {
                        let s = cx.span(&c);
                        let body = c
                            .into_inner()
                            .next()
                            .map(|b| b.as_str().to_owned())
                            .unwrap_or_default();
                        reason = Some(Spanned::new(body, s));
                    }
                    _ => cx.bug(&c, "in an attribute"),
                }
            }
            Some(Item::Allow(Suppression {
                code: code?,
                reason,
                span,
            }))
        }
        _ => {
            cx.bug(&p, "at statement level");
            None
        }
    }
}

fn param(cx: &mut Cx<'_>, p: Pair<'_, Rule>) -> Option<Param> {
    let span = cx.span(&p);
    let mut name = None;
    let mut types = Vec::new();
    let mut default = None;
    for c in p.into_inner() {
        match c.as_rule() {
            Rule::name => name = Some(cx.spanned(&c)),
            Rule::type_expr => types = c.into_inner().map(|t| cx.spanned(&t)).collect(),
            Rule::dest => default = dest(cx, c),
            _ => cx.bug(&c, "in a parameter"),
        }
    }
    Some(Param {
        name: name?,
        types,
        default,
        span,
    })
}

/// The destinations of a list, in a vector of their number: a destination is large, and a
/// vector grown one push at a time holds room for four.
fn dest_list(cx: &mut Cx<'_>, p: Pair<'_, Rule>) -> Vec<Dest> {
    let pairs = p.into_inner();
    let mut dests = Vec::with_capacity(pairs.len());
    dests.extend(pairs.filter_map(|d| list_item(cx, d)));
    dests
}

/// A destination of a list: a `dest`, or one of `fast_list`'s (`fast_plain`: an atom and the
/// spaces after it, the destination's span; `other_dest`: a `dest`).
fn list_item(cx: &mut Cx<'_>, p: Pair<'_, Rule>) -> Option<Dest> {
    match p.as_rule() {
        Rule::fast_plain => {
            let span = cx.span(&p);
            let atom = p.as_str().trim_end_matches(' ');
            Some(Dest {
                kind: literal(cx, cx.base + p.as_span().start(), atom)?,
                ports: None,
                span,
            })
        }
        Rule::other_dest => match p.clone().into_inner().next() {
            Some(d) => dest(cx, d),
            None => {
                cx.bug(&p, "in a list");
                None
            }
        },
        _ => dest(cx, p),
    }
}

/// `in ns{...}` of a cluster or host statement: the namespace selector and where it was written
/// (the last one when the clause holds several).
fn cluster_in(cx: &mut Cx<'_>, p: Pair<'_, Rule>) -> Option<(Selector, Span)> {
    let mut namespaces = None;
    for n in children(p) {
        let s = cx.span(&n);
        namespaces = n.into_inner().next().map(|x| (selector(cx, x), s));
    }
    namespaces
}

/// `except NS, ...` of a cluster or host statement.
fn cluster_except(cx: &mut Cx<'_>, p: Pair<'_, Rule>) -> Except {
    let span = cx.span(&p);
    let names = children(p).map(|n| cx.spanned(&n)).collect();
    Except { names, span }
}

/// `more` after the destinations of `dests`: moved, not copied, into an empty list (whose room
/// is then `more`'s, not the four that extending an empty vector makes).
fn append(dests: &mut Vec<Dest>, mut more: Vec<Dest>) {
    if dests.is_empty() {
        *dests = more;
    } else {
        dests.append(&mut more);
    }
}

/// The destinations of a statement's `deny ...` clause.
fn deny_clause(cx: &mut Cx<'_>, p: Pair<'_, Rule>) -> Vec<Dest> {
    let mut dests = Vec::new();
    for list in children(p) {
        append(&mut dests, dest_list(cx, list));
    }
    dests
}

/// `NAMESPACE/NAME` or `NAME` inside `serviceaccount(...)` or `service(...)`, each part with its
/// own span.
fn namespaced_name(
    cx: &mut Cx<'_>,
    c: Pair<'_, Rule>,
    what: &str,
) -> Option<(Option<Spanned<String>>, Spanned<String>)> {
    let at = c.clone();
    let Some(n) = children(c).next() else {
        cx.bug(&at, what);
        return None;
    };
    let whole = cx.spanned(&n);
    Some(match whole.node.split_once('/') {
        Some((ns, name)) => {
            let start = whole.span.start as usize;
            let slash = start + ns.len();
            (
                Some(Spanned::new(
                    ns.to_owned(),
                    Span::new(cx.file, start, slash),
                )),
                Spanned::new(
                    name.to_owned(),
                    Span::new(cx.file, slash + 1, whole.span.end as usize),
                ),
            )
        }
        None => (None, whole),
    })
}

fn dest(cx: &mut Cx<'_>, p: Pair<'_, Rule>) -> Option<Dest> {
    let span = cx.span(&p);
    let mut kind = None;
    let mut ports = None;
    for c in p.into_inner() {
        match c.as_rule() {
            Rule::atom => kind = Some(literal(cx, cx.base + c.as_span().start(), c.as_str())?),
            // `dns`, taken first: the atom inside.
            Rule::plain_atom => match c.clone().into_inner().next() {
                Some(a) => kind = Some(literal(cx, cx.base + a.as_span().start(), a.as_str())?),
                None => cx.bug(&c, "in a destination"),
            },
            Rule::call => {
                let mut name = None;
                let mut args = Vec::new();
                for a in c.into_inner() {
                    match a.as_rule() {
                        Rule::name => name = Some(cx.spanned(&a)),
                        Rule::arg => {
                            let mut arg_name = None;
                            let mut value = None;
                            for x in a.into_inner() {
                                match x.as_rule() {
                                    Rule::arg_name => arg_name = Some(cx.spanned(&x)),
                                    Rule::dest => value = dest(cx, x),
                                    // `"/v1/orders/*"`: the text between the quotes.
                                    Rule::string => {
                                        let span = cx.span(&x);
                                        value = x.into_inner().next().map(|body| Dest {
                                            kind: DestKind::Text(cx.spanned(&body)),
                                            ports: None,
                                            span,
                                        });
                                    }
                                    _ => cx.bug(&x, "in an argument"),
                                }
                            }
                            if let Some(value) = value {
                                args.push(Arg {
                                    name: arg_name,
                                    value,
                                });
                            }
                        }
                        _ => cx.bug(&a, "in a call"),
                    }
                }
                kind = Some(DestKind::Call { name: name?, args });
            }
            Rule::pods_dest => {
                let pods_span = cx.span(&c);
                let mut namespace = None;
                let mut sel = None;
                let mut cluster = None;
                for x in children(c) {
                    match x.as_rule() {
                        Rule::ns_ref => {
                            let s = cx.span(&x);
                            let inner = x.into_inner().next();
                            namespace = match inner {
                                Some(n) if n.as_rule() == Rule::any_ns => {
                                    Some(NamespaceRef::Any(s))
                                }
                                Some(n) if n.as_rule() == Rule::ns_labels => n
                                    .into_inner()
                                    .next()
                                    .map(|sel| NamespaceRef::Labels(selector(cx, sel), s)),
                                Some(n) => Some(NamespaceRef::Named(cx.spanned(&n))),
                                None => None,
                            };
                        }
                        Rule::selector => sel = Some(selector(cx, x)),
                        Rule::pods_param => {
                            let mut parts = x.into_inner();
                            if let (Some(k), Some(v)) = (parts.next(), parts.next()) {
                                cluster = Some((cx.spanned(&k), cx.spanned(&v)));
                            }
                        }
                        _ => cx.bug(&x, "in a pods destination"),
                    }
                }
                // `pods(NAMESPACE)` without a selector: every pod, an empty selector at the
                // end of the destination.
                let end = pods_span.end as usize;
                let selector = sel.unwrap_or(Selector {
                    terms: Vec::new(),
                    span: Span::new(cx.file, end, end),
                });
                kind = Some(DestKind::Pods {
                    namespace,
                    selector,
                    cluster,
                });
            }
            Rule::sa_dest => {
                let (namespace, name) = namespaced_name(cx, c, "in a service account")?;
                kind = Some(DestKind::ServiceAccount { namespace, name });
            }
            Rule::svc_dest => {
                let (namespace, name) = namespaced_name(cx, c, "in a Service")?;
                kind = Some(DestKind::Service { namespace, name });
            }
            Rule::stray_selector => {
                let mut parts = c.into_inner();
                let (Some(name), Some(sel)) = (parts.next(), parts.next()) else {
                    return None;
                };
                let name = cx.spanned(&name);
                let at = cx.span(&sel);
                let help = if name.node == "ns" {
                    "namespaces by label go inside `pods(...)`: `pods(ns{team=payments}){app=web}`"
                        .to_owned()
                } else {
                    format!(
                        "write `pods{{...}}` for pods of this namespace, or `pods({}){{...}}` for the pods of namespace `{}`",
                        name.node, name.node
                    )
                };
                cx.diags.push(
                    Diagnostic::new(
                        Code::E0322,
                        at,
                        format!("a label selector cannot follow `{}`", name.node),
                    )
                    .label("only `pods` and `ns` take a label selector")
                    .secondary(name.span, "not pods or a namespace")
                    .help(help),
                );
                return None;
            }
            Rule::port_suffix => {
                let s = cx.span(&c);
                let mut port = None;
                let mut proto = None;
                let mut args = Vec::new();
                for x in c.into_inner() {
                    match x.as_rule() {
                        Rule::port_tok => port = Some(cx.spanned(&x)),
                        Rule::proto_tok => proto = Some(cx.spanned(&x)),
                        Rule::service_args => {
                            for a in x.into_inner() {
                                match a.as_rule() {
                                    Rule::port_tok => port = Some(cx.spanned(&a)),
                                    Rule::service_arg => args.push(cx.spanned(&a)),
                                    _ => cx.bug(&a, "in a protocol's arguments"),
                                }
                            }
                        }
                        _ => cx.bug(&x, "in a port suffix"),
                    }
                }
                ports = Some(PortSuffix {
                    port: port?,
                    proto,
                    args,
                    span: s,
                });
            }
            _ => cx.bug(&c, "in a destination"),
        }
    }
    Some(Dest {
        kind: kind?,
        ports,
        span,
    })
}

/// A literal or a name, `text` at byte `start` of the file, classified; `None` (and its
/// diagnostic) when it is malformed.
fn literal(cx: &mut Cx<'_>, start: usize, text: &str) -> Option<DestKind> {
    match atom::classify(cx.file, start, text) {
        Ok(a) => Some(DestKind::Atom(a)),
        Err(d) => {
            cx.diags.push(d);
            None
        }
    }
}

fn selector(cx: &mut Cx<'_>, p: Pair<'_, Rule>) -> Selector {
    let span = cx.span(&p);
    let mut terms = Vec::new();
    for t in p.into_inner() {
        let rule = t.as_rule();
        let mut parts: Vec<Pair<'_, Rule>> = children(t).collect();
        let values = |cx: &Cx<'_>, parts: &mut Vec<Pair<'_, Rule>>| -> Vec<Spanned<String>> {
            parts
                .pop()
                .map(|set| set.into_inner().map(|v| label_value(cx, v)).collect())
                .unwrap_or_default()
        };
        let term = match rule {
            Rule::label_eq | Rule::label_ne => {
                let value = parts.pop().map(|v| label_value(cx, v));
                let key = parts.pop().map(|k| cx.spanned(&k));
                match (key, value) {
                    (Some(k), Some(v)) if rule == Rule::label_eq => Some(LabelTerm::Eq(k, v)),
                    (Some(k), Some(v)) => Some(LabelTerm::Ne(k, v)),
                    _ => None,
                }
            }
            Rule::label_in | Rule::label_notin => {
                let vals = values(cx, &mut parts);
                let key = parts.pop().map(|k| cx.spanned(&k));
                key.map(|k| {
                    if rule == Rule::label_in {
                        LabelTerm::In(k, vals)
                    } else {
                        LabelTerm::NotIn(k, vals)
                    }
                })
            }
            Rule::label_exists => parts.pop().map(|k| LabelTerm::Exists(cx.spanned(&k))),
            Rule::label_absent => parts.pop().map(|k| LabelTerm::Absent(cx.spanned(&k))),
            _ => None,
        };
        if let Some(term) = term {
            terms.push(term);
        }
    }
    Selector { terms, span }
}

/// `"quoted"` or `bare`: the value without quotes, spanned on the whole token.
fn label_value(cx: &Cx<'_>, p: Pair<'_, Rule>) -> Spanned<String> {
    let span = cx.span(&p);
    let text = match p.clone().into_inner().next() {
        Some(inner) if inner.as_rule() == Rule::string => inner
            .into_inner()
            .next()
            .map(|b| b.as_str().to_owned())
            .unwrap_or_default(),
        Some(inner) => inner.as_str().to_owned(),
        None => p.as_str().to_owned(),
    };
    Spanned::new(text, span)
}
