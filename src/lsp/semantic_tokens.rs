//! Semantic tokens (whole documents): what the syntax tree knows and a grammar cannot,
//! definitions and their uses (the standard library's marked `defaultLibrary`), parameters,
//! namespaces, workloads, parameter types and protocols; with comments, strings and statement
//! keywords from the text, so that a line that does not parse is still coloured.

use lsp_types::{
    SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokens, SemanticTokensLegend,
};

use crate::source::Span;
use crate::syntax::ast;

use super::documents::Document;
use super::occurrences::{self, Symbol};
use super::program::Program;
use super::recover::is_ident_char;
use super::vocabulary::STATEMENT_WORDS;

/// The token types, in legend order.
const TYPES: [SemanticTokenType; 9] = [
    SemanticTokenType::KEYWORD,
    SemanticTokenType::FUNCTION,
    SemanticTokenType::PARAMETER,
    SemanticTokenType::NAMESPACE,
    SemanticTokenType::CLASS,
    SemanticTokenType::TYPE,
    SemanticTokenType::ENUM_MEMBER,
    SemanticTokenType::STRING,
    SemanticTokenType::COMMENT,
];
const KEYWORD: u32 = 0;
const FUNCTION: u32 = 1;
const PARAMETER: u32 = 2;
const NAMESPACE: u32 = 3;
const CLASS: u32 = 4;
const TYPE: u32 = 5;
const ENUM_MEMBER: u32 = 6;
const STRING: u32 = 7;
const COMMENT: u32 = 8;

/// Modifier bits, in legend order.
const DECLARATION: u32 = 1;
const DEFAULT_LIBRARY: u32 = 2;

pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: vec![
            SemanticTokenModifier::DECLARATION,
            SemanticTokenModifier::DEFAULT_LIBRARY,
        ],
    }
}

/// A token: byte range, type and modifiers.
type Raw = (usize, usize, u32, u32);

/// Comments, strings and keywords, from the text.
fn lexical(text: &str, out: &mut Vec<Raw>) {
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let indent = content.len() - content.trim_start().len();
        // Strings first: a `#` inside one is no comment.
        let mut in_string: Option<usize> = None;
        let mut comment: Option<usize> = None;
        for (i, c) in content.char_indices() {
            match (c, in_string) {
                ('"', Some(s)) => {
                    out.push((line_start + s, line_start + i + 1, STRING, 0));
                    in_string = None;
                }
                ('"', None) => in_string = Some(i),
                ('#', None) => {
                    comment = Some(i);
                    break;
                }
                _ => {}
            }
        }
        if let Some(s) = in_string {
            out.push((line_start + s, line_start + content.len(), STRING, 0));
        }
        if let Some(c) = comment {
            out.push((line_start + c, line_start + content.len(), COMMENT, 0));
        }
        let code = content
            .get(..comment.unwrap_or(content.len()))
            .unwrap_or_default();
        // The first word of a statement, and `deny`, `allow`, `resolving` as whole words.
        let first = code.get(indent..).unwrap_or_default();
        let n = first
            .find(|c: char| !is_ident_char(c))
            .unwrap_or(first.len());
        if STATEMENT_WORDS.contains(&first.get(..n).unwrap_or_default()) {
            out.push((line_start + indent, line_start + indent + n, KEYWORD, 0));
        }
        if first.starts_with("@allow") {
            out.push((
                line_start + indent,
                line_start + indent + "@allow".len(),
                KEYWORD,
                0,
            ));
        }
        let mut at = 0;
        for word in code.split(|c: char| !is_ident_char(c)) {
            let start = at;
            at += word.len() + 1;
            let before = code.get(..start).unwrap_or_default();
            let glued = before.ends_with(['.', ':', '/', '=', '{', '-']);
            if !glued && ["deny", "allow", "resolving"].contains(&word) && !in_braces(before) {
                out.push((
                    line_start + start,
                    line_start + start + word.len(),
                    KEYWORD,
                    0,
                ));
            }
        }
        line_start += line.len();
    }
}

/// Whether the end of `before` is inside `{...}` (a label selector, where words are labels).
fn in_braces(before: &str) -> bool {
    before.matches('{').count() > before.matches('}').count()
}

fn span(s: Span) -> (usize, usize) {
    (s.start as usize, s.end as usize)
}

/// Names, types and protocols, from the syntax tree.
fn syntactic(program: &Program, file: &ast::File, out: &mut Vec<Raw>) {
    for o in occurrences::occurrences(file) {
        let decl = if o.declaration { DECLARATION } else { 0 };
        let (s, e) = span(o.span);
        let (kind, mods) = match &o.symbol {
            Symbol::Def(name) => match program.def(name) {
                Some(d) if d.from_stdlib => (FUNCTION, DEFAULT_LIBRARY),
                Some(_) => (FUNCTION, decl),
                // A protocol without ports (`icmp`) or an unknown name.
                None => continue,
            },
            Symbol::Param { .. } => (PARAMETER, decl),
            Symbol::Namespace(_) => (NAMESPACE, decl),
            Symbol::Workload { .. } | Symbol::Cluster(_) => (CLASS, decl),
        };
        out.push((s, e, kind, mods));
    }
    for item in &file.items {
        if let ast::Item::Def(d) = item {
            for p in &d.params {
                for t in &p.types {
                    let (s, e) = span(t.span);
                    out.push((s, e, TYPE, 0));
                }
            }
        }
    }
    protocols(file, out);
}

/// The protocols of port suffixes (`/tcp`).
fn protocols(file: &ast::File, out: &mut Vec<Raw>) {
    fn suffix(p: &ast::PortSuffix, out: &mut Vec<Raw>) {
        if let Some(proto) = &p.proto {
            let (s, e) = span(proto.span);
            out.push((s, e, ENUM_MEMBER, 0));
        }
    }
    fn dest(d: &ast::Dest, out: &mut Vec<Raw>) {
        match &d.kind {
            ast::DestKind::Atom(
                ast::Atom::Name { ports: Some(p), .. }
                | ast::Atom::Ip { ports: Some(p), .. }
                | ast::Atom::Host { ports: Some(p), .. },
            ) => suffix(p, out),
            ast::DestKind::Call { args, .. } => {
                for a in args {
                    dest(&a.value, out);
                }
            }
            _ => {}
        }
        if let Some(p) = &d.ports {
            suffix(p, out);
        }
    }
    for item in &file.items {
        let dests: Vec<&ast::Dest> = match item {
            ast::Item::Def(d) => d
                .body
                .iter()
                .chain(d.params.iter().filter_map(|p| p.default.as_ref()))
                .collect(),
            ast::Item::Workload(w) => w.allow.iter().chain(&w.deny).collect(),
            ast::Item::Cluster(c) => c.deny.iter().collect(),
            ast::Item::Host(h) => h.allow.iter().chain(&h.deny).collect(),
            ast::Item::Expect(e) => vec![&e.dest],
            _ => Vec::new(),
        };
        for d in dests {
            dest(d, out);
        }
    }
}

/// The tokens of `doc`, sorted, without overlaps, encoded relative to each other.
pub fn tokens(program: &Program, doc: &Document) -> SemanticTokens {
    let mut raw = Vec::new();
    lexical(&doc.text, &mut raw);
    if let Some(file) = program.id_of(&doc.uri).and_then(|id| program.file(id)) {
        syntactic(program, file, &mut raw);
    }
    raw.sort_by_key(|t| (t.0, std::cmp::Reverse(t.1)));
    let mut data = Vec::new();
    let (mut line, mut col, mut end) = (0u32, 0u32, 0usize);
    for (s, e, kind, mods) in raw {
        if s < end || e <= s {
            continue;
        }
        let start = doc.index.position(&doc.text, s);
        let stop = doc.index.position(&doc.text, e);
        if stop.line != start.line {
            continue;
        }
        let delta_line = start.line - line;
        let delta_start = if delta_line == 0 {
            start.character - col
        } else {
            start.character
        };
        data.push(SemanticToken {
            delta_line,
            delta_start,
            length: stop.character - start.character,
            token_type: kind,
            token_modifiers_bitset: mods,
        });
        (line, col, end) = (start.line, start.character, e);
    }
    SemanticTokens {
        result_id: None,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keywords `lexical` finds: (start, end) of each.
    fn keywords(text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        lexical(text, &mut out);
        out.into_iter()
            .filter(|t| t.2 == KEYWORD)
            .map(|t| (t.0, t.1))
            .collect()
    }

    #[test]
    fn every_statement_word_is_a_keyword() {
        for word in STATEMENT_WORDS {
            let text = format!("{word} x -> dns\n");
            assert!(
                keywords(&text).contains(&(0, word.len())),
                "`{word}`: {:?}",
                keywords(&text)
            );
        }
        // Not inside a word, nor a word that only starts like one.
        assert!(!keywords("hostile x\n").contains(&(0, 4)));
    }
}
