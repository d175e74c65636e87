//! Completion: what may follow the cursor, decided from the text before it (so that it works
//! while the statement does not parse): statement keywords, parameter types, protocols,
//! parameters, or destinations (definitions and `pods`).

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, Position, Range,
    TextEdit,
};

use crate::check::checked::DefInfo;
use crate::model::{Proto, Reserved};

use super::documents::Document;
use super::locate::word_at;
use super::markup::markdown;
use super::program::Program;
use super::recover::{self, is_ident_char};
use super::vocabulary::{
    ALLOW, CALL_PARAMS, DESTINATION_KEYWORDS, KEYWORDS, PORTLESS, STATEMENT_KEYWORDS, TYPES,
    reserved_identity,
};
use crate::lint::registry;

/// What the cursor may be followed by.
#[derive(Debug, PartialEq, Eq)]
enum Expect {
    Nothing,
    /// A statement keyword; `deny` as well on a line that may continue a workload statement.
    Statement {
        deny: bool,
    },
    Types,
    Protocols,
    Destinations,
    /// A protocol without ports (`icmp`, `gre`) after `:`, and in a definition's body a
    /// parameter name too.
    Params,
    Deny,
    /// A setting's name, after `set`.
    Settings,
    /// A lint's code, as the first argument of `@allow(`.
    Lints,
    /// One of cilium's reserved identities, after `reserved`.
    Identities,
    /// A named argument of this call (`http`, `tls`), after a comma inside it.
    CallParams(&'static str),
}

/// The call whose argument list the end of `text` is inside: `http` in `app x -> dns,
/// http(api.example.com:80, `.
fn open_call(text: &str) -> Option<&str> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' if depth == 0 => {
                let head = text.get(..i)?;
                let start = head
                    .char_indices()
                    .rev()
                    .find(|(_, c)| !is_ident_char(*c))
                    .map_or(0, |(j, c)| j + c.len_utf8());
                return head.get(start..);
            }
            '(' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The parameter names and declarations written in a definition statement (text, so that it
/// works while the statement does not parse).
fn written_params(stmt: &str) -> Vec<(String, String)> {
    let Some(open) = stmt.find('(') else {
        return Vec::new();
    };
    if stmt.get(..open).is_some_and(|h| h.contains('=')) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in stmt.get(open + 1..).unwrap_or_default().chars() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => break,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current);
    out.into_iter()
        .filter_map(|p| {
            let decl = p.split_whitespace().collect::<Vec<_>>().join(" ");
            let (name, _) = decl.split_once(':')?;
            let name = name.trim();
            (!name.is_empty() && name.chars().all(is_ident_char))
                .then(|| (name.to_owned(), decl.clone()))
        })
        .collect()
}

/// The first word of a statement.
fn first_word(stmt: &str) -> &str {
    let s = stmt.trim_start();
    let n = s.find(|c: char| !is_ident_char(c)).unwrap_or(s.len());
    s.get(..n).unwrap_or_default()
}

/// Decides what may come at `word_start` from the text before it.
fn expect(text: &str, stmt_start: usize, line_start: usize, word_start: usize) -> Expect {
    let stmt = text.get(stmt_start..word_start).unwrap_or_default();
    let head = text
        .get(line_start..word_start)
        .unwrap_or_default()
        .trim_end();
    let kw = first_word(stmt);
    let before = stmt.trim_end();
    // Inside a definition's parameter list: depth of `(` after the name.
    if kw == "def" {
        let depth = before.chars().fold(0i32, |d, c| match c {
            '(' => d + 1,
            ')' => d - 1,
            _ => d,
        });
        let params_open = depth > 0 && !before.split('(').next().unwrap_or("").contains('=');
        if params_open {
            return if before.ends_with(':') || before.ends_with('|') {
                Expect::Types
            } else if before.ends_with('=') {
                Expect::Destinations
            } else {
                Expect::Nothing
            };
        }
    }
    if head.ends_with('/') {
        return Expect::Protocols;
    }
    if head.ends_with(':') {
        return Expect::Params;
    }
    if stmt.trim_start().starts_with("set ") && !stmt.contains('=') {
        return Expect::Settings;
    }
    if head.trim_start() == "@" {
        return Expect::Statement { deny: false };
    }
    if head.trim_start().starts_with("@allow(") {
        // The code, then the reason: a string.
        return if head.contains(',') {
            Expect::Nothing
        } else {
            Expect::Lints
        };
    }
    if before.ends_with(',')
        && let Some(call) = open_call(before)
        && let Some((call, _, _)) = CALL_PARAMS.iter().find(|(c, _, _)| *c == call)
    {
        return Expect::CallParams(call);
    }
    let workload = matches!(kw, "app" | "pods" | "cluster" | "host" | "reserved");
    if head.is_empty() {
        // The first word of a line: a new statement, or the rest of the one above.
        if stmt_start == line_start || before.is_empty() {
            return Expect::Statement { deny: false };
        }
        if [",", "->", "=", "("].iter().any(|t| before.ends_with(t)) || before.ends_with("deny") {
            return Expect::Destinations;
        }
        return Expect::Statement { deny: workload };
    }
    let last = head
        .rsplit(|c: char| !is_ident_char(c))
        .next()
        .unwrap_or_default();
    if last == "default" {
        return Expect::Deny;
    }
    if head == "reserved" {
        return Expect::Identities;
    }
    if head == last
        && [
            "namespace",
            "app",
            "pods",
            "cluster",
            "host",
            "reserved",
            "def",
        ]
        .contains(&last)
    {
        return Expect::Nothing;
    }
    if ["->", ",", "=", "("].iter().any(|t| head.ends_with(t)) || last == "deny" {
        return Expect::Destinations;
    }
    if workload && head.contains("->") {
        return Expect::Deny;
    }
    if kw == "cluster" && !head.contains("deny") {
        return Expect::Deny;
    }
    if kw == "def" && head.contains('=') {
        return Expect::Destinations;
    }
    Expect::Nothing
}

/// A keyword, with its explanation.
fn keyword_item(label: &str, what: &str, edit: Range) -> CompletionItem {
    CompletionItem {
        label: label.to_owned(),
        kind: Some(CompletionItemKind::KEYWORD),
        documentation: Some(Documentation::MarkupContent(markdown(what.to_owned()))),
        text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
            edit,
            label.to_owned(),
        ))),
        ..CompletionItem::default()
    }
}

/// A definition, with its signature and documentation; the program's own sort first.
fn def_item(def: &DefInfo, edit: Range) -> CompletionItem {
    CompletionItem {
        label: def.name.clone(),
        kind: Some(if def.params.is_empty() {
            CompletionItemKind::CONSTANT
        } else {
            CompletionItemKind::FUNCTION
        }),
        detail: Some(def.signature()),
        documentation: def
            .doc
            .clone()
            .map(|d| Documentation::MarkupContent(markdown(d))),
        // The program's own definitions first, then the standard library.
        sort_text: Some(format!("{}{}", u8::from(def.from_stdlib), def.name)),
        text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
            edit,
            def.name.clone(),
        ))),
        ..CompletionItem::default()
    }
}

/// A type, protocol or parameter, with a one-line detail.
fn simple_item(label: &str, kind: CompletionItemKind, detail: &str, edit: Range) -> CompletionItem {
    CompletionItem {
        label: label.to_owned(),
        kind: Some(kind),
        detail: Some(detail.to_owned()),
        text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
            edit,
            label.to_owned(),
        ))),
        ..CompletionItem::default()
    }
}

/// The completions at `pos`, each replacing the word typed so far.
pub fn completion(program: Option<&Program>, doc: &Document, pos: Position) -> Vec<CompletionItem> {
    let text = &doc.text;
    let offset = doc.offset(pos);
    let line_start = doc.index.line_start(offset);
    let Some(line) = text.get(line_start..offset) else {
        return Vec::new();
    };
    if line.contains('#') {
        return Vec::new();
    }
    let (word_start, _) = word_at(text, offset);
    let edit = doc.range(word_start, offset);
    let chunks = recover::chunks(text);
    let stmt_start = recover::chunk_at(&chunks, word_start)
        .map(|c| c.start)
        .unwrap_or(line_start)
        .min(line_start);
    let stmt_text = text.get(stmt_start..word_start).unwrap_or_default();
    let keyword = |k: &str| {
        KEYWORDS
            .iter()
            .find(|(l, _)| *l == k)
            .map(|(l, w)| keyword_item(l, w, edit))
    };
    let mut items = Vec::new();
    match expect(text, stmt_start, line_start, word_start) {
        Expect::Nothing => {}
        Expect::Statement { deny } => {
            items.extend(
                KEYWORDS
                    .iter()
                    .chain(&STATEMENT_KEYWORDS)
                    .filter(|(k, _)| deny || *k != "deny")
                    .map(|(k, w)| keyword_item(k, w, edit)),
            );
            // `@allow`: the `@` typed so far is replaced too.
            let at = word_start.saturating_sub(1);
            let start = if text.get(at..word_start) == Some("@") {
                at
            } else {
                word_start
            };
            items.push(keyword_item(ALLOW.0, ALLOW.1, doc.range(start, offset)));
        }
        Expect::Settings => items.extend(registry::settings().map(|s| {
            simple_item(
                s.key,
                CompletionItemKind::PROPERTY,
                &format!("takes {}", s.takes()),
                edit,
            )
        })),
        Expect::Lints => items.extend(registry::RULES.iter().map(|r| {
            let code = r.code.as_str();
            let mut item = simple_item(code, CompletionItemKind::VALUE, r.name, edit);
            item.filter_text = Some(format!("{code} {}", r.name));
            item
        })),
        Expect::Identities => items.extend(Reserved::ALL.into_iter().map(|r| {
            simple_item(
                r.name(),
                CompletionItemKind::ENUM_MEMBER,
                reserved_identity(r),
                edit,
            )
        })),
        Expect::Deny => items.extend(keyword("deny")),
        Expect::Types => items.extend(
            TYPES
                .iter()
                .map(|(t, w)| simple_item(t, CompletionItemKind::TYPE_PARAMETER, w, edit)),
        ),
        Expect::Protocols => items.extend(Proto::WITH_PORTS.iter().map(|p| {
            simple_item(
                p.as_str(),
                CompletionItemKind::ENUM_MEMBER,
                "protocol",
                edit,
            )
        })),
        Expect::Params => {
            items.extend(
                PORTLESS
                    .iter()
                    .map(|(p, what)| simple_item(p, CompletionItemKind::ENUM_MEMBER, what, edit)),
            );
            for (name, decl) in written_params(stmt_text) {
                items.push(simple_item(
                    &name,
                    CompletionItemKind::VARIABLE,
                    &decl,
                    edit,
                ));
            }
        }
        Expect::CallParams(call) => items.extend(
            CALL_PARAMS
                .iter()
                .filter(|(c, _, _)| *c == call)
                .map(|(_, p, what)| simple_item(p, CompletionItemKind::PROPERTY, what, edit)),
        ),
        Expect::Destinations => {
            if first_word(stmt_text) == "def" {
                for (name, decl) in written_params(stmt_text) {
                    items.push(simple_item(
                        &name,
                        CompletionItemKind::VARIABLE,
                        &decl,
                        edit,
                    ));
                }
            }
            if let Some(program) = program {
                items.extend(program.defs.iter().map(|d| def_item(d, edit)));
            }
            items.extend(keyword("pods"));
            items.extend(
                DESTINATION_KEYWORDS
                    .iter()
                    .filter(|(k, _)| *k == "serviceaccount" || *k == "service")
                    .map(|(k, w)| keyword_item(k, w, edit)),
            );
        }
    }
    items
}

#[cfg(test)]
#[allow(clippy::string_slice, reason = "tests slice at offsets they computed")]
mod tests {
    use super::*;

    fn at(text: &str) -> Expect {
        let offset = text.find('^').unwrap();
        let text = text.replace('^', "");
        let (word_start, _) = word_at(&text, offset);
        let line_start = text[..word_start].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let chunks = recover::chunks(&text);
        let stmt_start = recover::chunk_at(&chunks, word_start)
            .map(|c| c.start)
            .unwrap_or(line_start)
            .min(line_start);
        expect(&text, stmt_start, line_start, word_start)
    }

    #[test]
    fn completion_contexts() {
        let dests = Expect::Destinations;
        let statement = Expect::Statement { deny: false };
        assert_eq!(at("^"), statement);
        assert_eq!(at("namespace a\na^"), statement);
        assert_eq!(
            at("namespace a\napp x -> dns\na^"),
            Expect::Statement { deny: true }
        );
        assert_eq!(at("namespace a\napp x -> ^"), dests);
        assert_eq!(at("namespace a\napp x -> dns, r^"), dests);
        assert_eq!(at("namespace a\napp x -> dns,\n    r^"), dests);
        assert_eq!(
            at("namespace a\napp x -> dns\n  d^"),
            Expect::Statement { deny: true }
        );
        assert_eq!(at("namespace a\napp x -> dns d^"), Expect::Deny);
        assert_eq!(at("namespace a\napp x -> dns deny m^"), dests);
        assert_eq!(at("namespace ^"), Expect::Nothing);
        assert_eq!(at("default d^"), Expect::Deny);
        assert_eq!(at("def x(a: ^"), Expect::Types);
        assert_eq!(at("def x(a: cidr | h^"), Expect::Types);
        assert_eq!(at("def x(a: cidr, b: port = ^"), dests);
        assert_eq!(at("def x(a: cidr, b^"), Expect::Nothing);
        assert_eq!(at("def x(a: cidr, p: port) = a:^"), Expect::Params);
        assert_eq!(at("def x(a: cidr) = ^"), dests);
        assert_eq!(at("app x -> 10.0.0.0/8:53/^"), Expect::Protocols);
        assert_eq!(at("app x -> 10.0.0.0/8:^"), Expect::Params);
        assert_eq!(at("app x -> rds(^"), dests);
        assert_eq!(at("set w^"), Expect::Settings);
        assert_eq!(at("set ^"), Expect::Settings);
        assert_eq!(at("@^"), statement);
        assert_eq!(at("@allow(W^"), Expect::Lints);
        assert_eq!(at("@allow(W0101, ^"), Expect::Nothing);
        assert_eq!(at("namespace a\ns^"), statement);
        assert_eq!(at("reserved ^"), Expect::Identities);
        assert_eq!(at("reserved he^"), Expect::Identities);
        assert_eq!(at("reserved init ^"), Expect::Nothing);
        assert_eq!(
            at("app x -> dns, http(api.example.com:80, ^"),
            Expect::CallParams("http")
        );
        assert_eq!(
            at("app x -> http(pods(a){b=c}:80, method = GET,\n  h^"),
            Expect::CallParams("http")
        );
        assert_eq!(
            at("app x -> tls(api.example.com:443, n^"),
            Expect::CallParams("tls")
        );
        assert_eq!(
            at("app x -> dns, pods(default, ^"),
            Expect::CallParams("pods")
        );
        assert_eq!(at("app x -> dns, http(^"), dests);
        assert_eq!(at("app x -> rds(a), ^"), dests);
    }

    #[test]
    fn params_from_text() {
        assert_eq!(
            written_params("def x(a: cidr | host, p: port = f(1, 2)) = a"),
            [
                ("a".to_owned(), "a: cidr | host".to_owned()),
                ("p".to_owned(), "p: port = f(1, 2)".to_owned())
            ]
        );
        assert!(written_params("def x = rds(1)").is_empty());
    }
}
