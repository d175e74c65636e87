//! A parse that survives half-typed statements, for editor features only (diagnostics always
//! come from the compiler's own analysis).
//!
//! The grammar rejects a whole file on its first syntax error. While the user types, one
//! statement is broken and the rest is fine, so when the whole text does not parse, it is split
//! into statements (a statement starts on a line whose first word is a statement keyword; no
//! destination can start with one, so a valid file splits exactly), each statement is parsed on
//! its own, together with the `##` lines right above it, and the statements that parse are
//! kept, their spans moved back to where they are in the whole text. Linear in the text.

use crate::source::{FileId, Span, Spanned};
use crate::syntax::{self, ast};

use super::vocabulary::STATEMENT_WORDS;

/// The byte range of one statement: from the start of its first line to the start of the next
/// statement (or the end of the text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub start: usize,
    pub end: usize,
}

pub fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Whether a line (without its leading white space) starts a statement.
fn starts_statement(line: &str) -> bool {
    if line.starts_with('@') {
        return true;
    }
    let word_len = line.find(|c: char| !is_ident_char(c)).unwrap_or(line.len());
    let word = line.get(..word_len).unwrap_or_default();
    let rest = line.get(word_len..).unwrap_or_default();
    if !rest.is_empty() && !rest.starts_with([' ', '\t', '\r', '#']) {
        return false;
    }
    if word == "pods" {
        // `pods NAME {...} -> ...` is a statement; `pods(ns){...}` and `pods {...}` are
        // destinations continuing the previous line.
        let next = rest.trim_start_matches([' ', '\t']).chars().next();
        return next.is_some_and(|c| c != '(' && c != '{');
    }
    STATEMENT_WORDS.contains(&word)
}

/// The lines of a text: (start, end without the `\n`).
fn lines(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut start = 0;
    text.split_inclusive('\n').map(move |l| {
        let s = start;
        start += l.len();
        (s, s + l.trim_end_matches('\n').len())
    })
}

/// The statements of a text, in order. Text before the first statement is a chunk of its own.
pub fn chunks(text: &str) -> Vec<Chunk> {
    let mut starts = Vec::new();
    for (s, e) in lines(text) {
        let line = text.get(s..e).unwrap_or_default().trim_start();
        let blank = line.trim().is_empty() || line.starts_with('#');
        if !blank && (starts.is_empty() || starts_statement(line)) {
            starts.push(s);
        }
    }
    let mut out = Vec::with_capacity(starts.len());
    for (i, s) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        out.push(Chunk { start: *s, end });
    }
    out
}

/// The chunk holding byte offset `offset`, if any.
pub fn chunk_at(chunks: &[Chunk], offset: usize) -> Option<Chunk> {
    let i = chunks
        .partition_point(|c| c.start <= offset)
        .checked_sub(1)?;
    chunks.get(i).copied()
}

/// Parses `text`, leaving out the statements that do not parse. Spans are those of `text`.
pub fn parse(id: FileId, text: &str) -> ast::File {
    if let (Some(ast), _) = syntax::parse(id, text) {
        return ast;
    }
    let mut items = Vec::new();
    for chunk in chunks(text) {
        let start = docs_above(text, chunk.start);
        let Some(sub) = text.get(start..chunk.end) else {
            continue;
        };
        let (Some(ast), _) = syntax::parse(id, sub) else {
            continue;
        };
        let delta = u32::try_from(start).unwrap_or(u32::MAX);
        items.extend(ast.items.into_iter().filter_map(|i| shift_item(i, delta)));
    }
    ast::File { id, items }
}

/// The start of the `##` lines directly above the line starting at `start` (or `start`).
fn docs_above(text: &str, start: usize) -> usize {
    let mut at = start;
    while at > 0 {
        let before = text.get(..at - 1).unwrap_or_default();
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let line = before.get(line_start..).unwrap_or_default();
        if !line.trim_start().starts_with("##") {
            break;
        }
        at = line_start;
    }
    at
}

// Moving spans: every span of a statement parsed on its own, by the offset of its text.

fn span(s: Span, d: u32) -> Span {
    Span {
        file: s.file,
        start: s.start.saturating_add(d),
        end: s.end.saturating_add(d),
    }
}

fn spanned<T>(mut s: Spanned<T>, d: u32) -> Spanned<T> {
    s.span = span(s.span, d);
    s
}

/// A statement with its spans moved; statements the features do not use (settings,
/// attributes) are left out.
fn shift_item(item: ast::Item, d: u32) -> Option<ast::Item> {
    Some(match item {
        ast::Item::Namespace(n) => ast::Item::Namespace(spanned(n, d)),
        ast::Item::DefaultDeny(s) => ast::Item::DefaultDeny(span(s, d)),
        ast::Item::Def(mut def) => {
            def.name = spanned(def.name, d);
            def.params = def
                .params
                .into_iter()
                .map(|mut p| {
                    p.name = spanned(p.name, d);
                    p.types = p.types.into_iter().map(|t| spanned(t, d)).collect();
                    p.default = p.default.map(|x| dest(x, d));
                    p.span = span(p.span, d);
                    p
                })
                .collect();
            def.body = dests(def.body, d);
            def.span = span(def.span, d);
            ast::Item::Def(def)
        }
        ast::Item::Workload(mut w) => {
            w.name = spanned(w.name, d);
            w.selector = match w.selector {
                ast::WorkloadSelector::App => ast::WorkloadSelector::App,
                ast::WorkloadSelector::Labels(s) => ast::WorkloadSelector::Labels(selector(s, d)),
            };
            w.allow = dests(w.allow, d);
            w.deny = dests(w.deny, d);
            w.span = span(w.span, d);
            ast::Item::Workload(w)
        }
        ast::Item::Cluster(mut c) => {
            c.name = spanned(c.name, d);
            c.selector = c.selector.map(|s| selector(s, d));
            c.namespaces = c.namespaces.map(|(s, at)| (selector(s, d), span(at, d)));
            c.except = c.except.map(|e| ast::Except {
                names: e.names.into_iter().map(|n| spanned(n, d)).collect(),
                span: span(e.span, d),
            });
            c.allow = c.allow.map(|a| dests(a, d));
            c.deny = dests(c.deny, d);
            c.span = span(c.span, d);
            ast::Item::Cluster(c)
        }
        ast::Item::Host(mut h) => {
            h.name = spanned(h.name, d);
            h.selector = h.selector.map(|s| selector(s, d));
            h.pods = h.pods.map(|s| span(s, d));
            h.namespaces = h.namespaces.map(|(s, at)| (selector(s, d), span(at, d)));
            h.except = h.except.map(|e| ast::Except {
                names: e.names.into_iter().map(|n| spanned(n, d)).collect(),
                span: span(e.span, d),
            });
            h.allow = dests(h.allow, d);
            h.deny = dests(h.deny, d);
            h.span = span(h.span, d);
            ast::Item::Host(h)
        }
        #[allow(
            unreachable_patterns,
            reason = "statement kinds added to the language are left out until editors use them"
        )]
        _ => return None,
    })
}

fn dests(list: Vec<ast::Dest>, d: u32) -> Vec<ast::Dest> {
    list.into_iter().map(|x| dest(x, d)).collect()
}

fn ports(p: ast::PortSuffix, d: u32) -> ast::PortSuffix {
    ast::PortSuffix {
        port: spanned(p.port, d),
        proto: p.proto.map(|x| spanned(x, d)),
        args: p.args.into_iter().map(|x| spanned(x, d)).collect(),
        span: span(p.span, d),
    }
}

fn dest(mut x: ast::Dest, d: u32) -> ast::Dest {
    x.kind = match x.kind {
        ast::DestKind::Atom(atom) => ast::DestKind::Atom(match atom {
            ast::Atom::Ip {
                addr,
                prefix,
                ports: p,
            } => ast::Atom::Ip {
                addr: spanned(addr, d),
                prefix: prefix.map(|x| spanned(x, d)),
                ports: p.map(|x| ports(x, d)),
            },
            ast::Atom::Host { name, ports: p } => ast::Atom::Host {
                name: spanned(name, d),
                ports: p.map(|x| ports(x, d)),
            },
            ast::Atom::Port(p) => ast::Atom::Port(spanned(p, d)),
            ast::Atom::Name { name, ports: p } => ast::Atom::Name {
                name: spanned(name, d),
                ports: p.map(|x| ports(x, d)),
            },
        }),
        ast::DestKind::Text(t) => ast::DestKind::Text(spanned(t, d)),
        ast::DestKind::Call { name, args } => ast::DestKind::Call {
            name: spanned(name, d),
            args: args
                .into_iter()
                .map(|a| ast::Arg {
                    name: a.name.map(|n| spanned(n, d)),
                    value: dest(a.value, d),
                })
                .collect(),
        },
        ast::DestKind::Pods {
            namespace,
            selector: s,
            cluster,
        } => ast::DestKind::Pods {
            cluster: cluster.map(|(k, v)| (spanned(k, d), spanned(v, d))),
            namespace: namespace.map(|n| match n {
                ast::NamespaceRef::Any(s) => ast::NamespaceRef::Any(span(s, d)),
                ast::NamespaceRef::Named(n) => ast::NamespaceRef::Named(spanned(n, d)),
                ast::NamespaceRef::Labels(sel, s) => {
                    ast::NamespaceRef::Labels(selector(sel, d), span(s, d))
                }
            }),
            selector: selector(s, d),
        },
        ast::DestKind::ServiceAccount { namespace, name } => ast::DestKind::ServiceAccount {
            namespace: namespace.map(|n| spanned(n, d)),
            name: spanned(name, d),
        },
        ast::DestKind::Service { namespace, name } => ast::DestKind::Service {
            namespace: namespace.map(|n| spanned(n, d)),
            name: spanned(name, d),
        },
    };
    x.ports = x.ports.map(|p| ports(p, d));
    x.span = span(x.span, d);
    x
}

fn selector(mut s: ast::Selector, d: u32) -> ast::Selector {
    let one = |v: Vec<Spanned<String>>| v.into_iter().map(|x| spanned(x, d)).collect();
    s.terms = s
        .terms
        .into_iter()
        .map(|t| match t {
            ast::LabelTerm::Eq(k, v) => ast::LabelTerm::Eq(spanned(k, d), spanned(v, d)),
            ast::LabelTerm::Ne(k, v) => ast::LabelTerm::Ne(spanned(k, d), spanned(v, d)),
            ast::LabelTerm::In(k, v) => ast::LabelTerm::In(spanned(k, d), one(v)),
            ast::LabelTerm::NotIn(k, v) => ast::LabelTerm::NotIn(spanned(k, d), one(v)),
            ast::LabelTerm::Exists(k) => ast::LabelTerm::Exists(spanned(k, d)),
            ast::LabelTerm::Absent(k) => ast::LabelTerm::Absent(spanned(k, d)),
        })
        .collect();
    s.span = span(s.span, d);
    s
}

#[cfg(test)]
#[allow(clippy::string_slice, reason = "tests slice at offsets they computed")]
mod tests {
    use super::*;

    fn names(file: &ast::File) -> Vec<String> {
        file.items
            .iter()
            .map(|i| match i {
                ast::Item::Namespace(n) => format!("namespace {}", n.node),
                ast::Item::Def(d) => format!("def {}", d.name.node),
                ast::Item::Workload(w) => format!("workload {}", w.name.node),
                ast::Item::DefaultDeny(_) => "default deny".into(),
                ast::Item::Cluster(c) => format!("cluster {}", c.name.node),
                #[allow(unreachable_patterns, reason = "statement kinds added later")]
                _ => "other".into(),
            })
            .collect()
    }

    #[test]
    fn chunks_follow_statements() {
        let text = "# head\nnamespace a\n\n## doc\ndef x = dns,\n  pods(kube-system){a=b}\napp y -> x\n  deny metadata\npods z {a=b} -> dns\n";
        let starts: Vec<&str> = chunks(text)
            .iter()
            .map(|c| text[c.start..c.end].lines().next().unwrap())
            .collect();
        assert_eq!(
            starts,
            [
                "namespace a",
                "def x = dns,",
                "app y -> x",
                "pods z {a=b} -> dns"
            ]
        );
    }

    #[test]
    fn keeps_the_statements_that_parse() {
        let text = "namespace p\n## Doc.\ndef db = 10.0.0.0/8:5432/tcp\napp a -> dns,\napp b -> rds(\n  app c -> db\nnamespace q ->\ncluster g deny metadata\n";
        let file = parse(FileId(1), text);
        assert_eq!(
            names(&file),
            ["namespace p", "def db", "workload c", "cluster g"]
        );
        // Spans are those of the real text, and docs survive.
        let ast::Item::Def(def) = &file.items[1] else {
            panic!("a def")
        };
        assert_eq!(&text[def.name.span.range()], "db");
        assert_eq!(def.doc.as_deref(), Some("Doc."));
    }

    #[test]
    fn trailing_comma_loses_its_own_statement() {
        let text = "namespace p\napp a -> dns,\napp b -> dns\n";
        let file = parse(FileId(1), text);
        assert_eq!(names(&file), ["namespace p", "workload b"]);
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "",
            "(((",
            "é🦀\r\n\r",
            "def",
            "app -> ,,,\n#\n##\npods",
            "\0\0namespace",
        ] {
            let _ = parse(FileId(1), text);
        }
    }
}
