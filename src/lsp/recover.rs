//! A parse that survives half-typed statements, for editor features only (diagnostics always
//! come from the compiler's own analysis).
//!
//! The grammar rejects a whole file on its first syntax error. While the user types, one
//! statement is broken and the rest is fine, so when the whole text does not parse, it is split
//! into statements (a statement starts on a line whose first word is a statement keyword; no
//! destination can start with one, so a valid file splits exactly), each statement is parsed on
//! its own, together with the `##` lines right above it, and the statements that parse are
//! kept, their spans moved back to where they are in the whole text. Linear in the text.

use crate::source::FileId;
use crate::syntax::{self, ast};

use super::shift;
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
        let delta = i64::try_from(start).unwrap_or(i64::MAX);
        // Statements the features do not use (settings, attributes, expectations) are left
        // out.
        items.extend(ast.items.into_iter().filter_map(|mut i| {
            let used = matches!(
                i,
                ast::Item::Namespace(_)
                    | ast::Item::DefaultDeny(_)
                    | ast::Item::Def(_)
                    | ast::Item::Workload(_)
                    | ast::Item::Cluster(_)
                    | ast::Item::Host(_)
            );
            shift::item(&mut i, id, delta);
            used.then_some(i)
        }));
    }
    ast::File { id, items }
}

/// The start of the `##` lines directly above the line starting at `start` (or `start`).
pub fn docs_above(text: &str, start: usize) -> usize {
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
