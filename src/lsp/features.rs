//! Hover, go to definition, completion and document symbols.

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, DocumentSymbol, Documentation,
    GotoDefinitionResponse, Hover, HoverContents, Location, MarkupContent, MarkupKind, Position,
    Range, SymbolKind, TextEdit,
};

use crate::check::checked::DefInfo;
use crate::model::Proto;
use crate::source::Span;
use crate::syntax::ast;

use super::documents::{Document, Documents};
use super::locate::{self, Hit};
use super::program::Program;
use super::recover::{self, is_ident_char};

/// The parameter types, with what they accept.
pub const TYPES: [(&str, &str); 5] = [
    (
        "cidr",
        "an IPv4 or IPv6 address or CIDR range (`10.20.30.0/24`, `fd00::1`), with or without a port",
    ),
    (
        "host",
        "a host name (`api.stripe.com`); `*.x` matches exactly one label, `**.x` one or more",
    ),
    ("port", "a port or a port range (`5432`, `8000-8100`)"),
    ("proto", "a protocol: `tcp`, `udp` or `sctp`"),
    (
        "dest",
        "any destination: a name, an address, a host name, `pods{...}`, or a list of them",
    ),
];

/// Keywords, as completion labels, with a short explanation.
pub const KEYWORDS: [(&str, &str); 7] = [
    (
        "namespace",
        "`namespace NAME`: the statements that follow apply to this namespace.",
    ),
    (
        "app",
        "`app NAME -> DESTINATIONS [deny DESTINATIONS]`: the pods labelled `app=NAME` may reach exactly these destinations.",
    ),
    (
        "pods",
        "`pods NAME {SELECTOR} -> DESTINATIONS`: the pods matching a label selector. As a destination, `pods{...}` selects pods of the same namespace, `pods(NS){...}` of namespace NS, `pods(*){...}` of any.",
    ),
    (
        "def",
        "`def NAME(PARAM: TYPE = DEFAULT, ...) = DESTINATIONS`: a reusable destination list; `##` lines right above it are its documentation.",
    ),
    (
        "default deny",
        "`default deny`: every pod of the namespace is isolated for egress.",
    ),
    (
        "deny",
        "`deny DESTINATIONS`: never allowed, even where an allowance covers them.",
    ),
    (
        "cluster",
        "`cluster NAME deny DESTINATIONS`: a guardrail for every pod of the cluster.",
    ),
];

/// Keywords that only appear inside statements, for hover.
const OTHER_KEYWORDS: [(&str, &str); 4] = [
    (
        "default",
        "`default deny`: every pod of the namespace is isolated for egress.",
    ),
    (
        "set",
        "`set KEY = VALUE`: a lint setting (a threshold or a fact about the cluster).",
    ),
    (
        "in",
        "`KEY in (A, B)`: the label KEY is set to one of the values.",
    ),
    (
        "notin",
        "`KEY notin (A, B)`: the label KEY is unset or set to none of the values.",
    ),
];

fn markdown(value: String) -> MarkupContent {
    MarkupContent {
        kind: MarkupKind::Markdown,
        value,
    }
}

/// The hover text of a definition: its signature, its documentation, where it comes from.
pub fn def_markdown(def: &DefInfo) -> String {
    let mut s = format!("```egress\n{}\n```", def.signature());
    if let Some(doc) = &def.doc {
        s.push_str("\n\n");
        s.push_str(doc);
    }
    if def.from_stdlib {
        s.push_str("\n\n*standard library*");
    }
    s
}

fn param_markdown(param: &ast::Param, def: &str, text: &str) -> String {
    let decl = text
        .get(param.span.range())
        .map(str::to_owned)
        .unwrap_or_else(|| param.name.node.clone());
    format!("```egress\n{decl}\n```\n\nparameter of `{def}`")
}

fn param_of<'a>(def: Option<&'a ast::Def>, name: &str) -> Option<&'a ast::Param> {
    def?.params.iter().find(|p| p.name.node == name)
}

fn span_range(doc: &Document, span: Span) -> Range {
    doc.range(span.start as usize, span.end as usize)
}

fn hover_at(program: &Program, doc: &Document, hit: Hit<'_>) -> Option<(String, Span)> {
    match hit {
        Hit::DefName(def) => program
            .def(&def.name.node)
            .map(|d| (def_markdown(d), def.name.span)),
        Hit::Use { name, within } => {
            if let Some(p) = param_of(within, &name.node) {
                let def = within.map(|d| d.name.node.as_str()).unwrap_or_default();
                return Some((param_markdown(p, def, &doc.text), name.span));
            }
            if let Some(p) = Proto::parse(&name.node) {
                return Some((format!("protocol `{}`", p.as_str()), name.span));
            }
            program
                .def(&name.node)
                .map(|d| (def_markdown(d), name.span))
        }
        Hit::Param { param, def } => Some((
            param_markdown(param, &def.name.node, &doc.text),
            param.name.span,
        )),
        Hit::Type(t) => TYPES
            .iter()
            .find(|(n, _)| *n == t.node)
            .map(|(n, what)| (format!("type `{n}`: {what}"), t.span)),
        Hit::ArgName { name, callee } => {
            let def = program.def(&callee.node)?;
            let p = def.params.iter().find(|p| p.name == name.node)?;
            let mut decl = format!("{}: {}", p.name, p.types.join(" | "));
            if let Some(d) = &p.default {
                decl.push_str(" = ");
                decl.push_str(d);
            }
            Some((
                format!(
                    "```egress\n{decl}\n```\n\nparameter of `{}`",
                    def.signature()
                ),
                name.span,
            ))
        }
        Hit::Port { name, within } => {
            let p = param_of(within, &name.node)?;
            let def = within.map(|d| d.name.node.as_str()).unwrap_or_default();
            Some((param_markdown(p, def, &doc.text), name.span))
        }
        Hit::Proto(p) => {
            Proto::parse(&p.node).map(|x| (format!("protocol `{}`", x.as_str()), p.span))
        }
        Hit::Namespace(_) => None,
        Hit::Workload(w) => {
            let what = match &w.selector {
                ast::WorkloadSelector::App => {
                    format!("the pods labelled `app={}`", w.name.node)
                }
                ast::WorkloadSelector::Labels(sel) => format!(
                    "the pods matching `{}`",
                    doc.text.get(sel.span.range()).unwrap_or_default()
                ),
            };
            Some((format!("workload `{}`: {what}", w.name.node), w.name.span))
        }
        Hit::Cluster(c) => Some((
            format!(
                "guardrail `{}`: denies its destinations to every pod of the cluster",
                c.name.node
            ),
            c.name.span,
        )),
    }
}

/// The word (letters, digits, `-`, `_`) around `offset`, as a byte range.
fn word_at(text: &str, offset: usize) -> (usize, usize) {
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

/// A keyword under the cursor: a whole token (not part of `app.example.com`), not in a comment.
fn keyword_at(doc: &Document, offset: usize) -> Option<(&'static str, usize, usize)> {
    let text = &doc.text;
    let (start, end) = word_at(text, offset);
    let word = text.get(start..end)?;
    let line_start = doc.index.line_start(start);
    if text.get(line_start..start)?.contains('#') {
        return None;
    }
    let glued = |c: Option<char>| c.is_some_and(|c| ".:*/[]".contains(c));
    if glued(text.get(..start)?.chars().next_back()) || glued(text.get(end..)?.chars().next()) {
        return None;
    }
    let (_, what) = KEYWORDS
        .iter()
        .chain(&OTHER_KEYWORDS)
        .find(|(k, _)| *k == word)?;
    Some((what, start, end))
}

pub fn hover(program: &Program, doc: &Document, pos: Position) -> Option<Hover> {
    let offset = doc.offset(pos);
    let id = program.id_of(&doc.uri)?;
    let file = program.file(id)?;
    let found = locate::at(file, offset).and_then(|hit| hover_at(program, doc, hit));
    let (value, range) = match found {
        Some((value, span)) => (value, span_range(doc, span)),
        None => {
            let (what, start, end) = keyword_at(doc, offset)?;
            (what.to_owned(), doc.range(start, end))
        }
    };
    Some(Hover {
        contents: HoverContents::Markup(markdown(value)),
        range: Some(range),
    })
}

fn location(program: &Program, docs: &Documents, span: Span) -> Option<Location> {
    let uri = program.uri_of(span.file)?;
    let doc = docs.get(uri)?;
    Some(Location::new(uri.clone(), span_range(doc, span)))
}

/// Where a name is defined: a parameter of the enclosing definition, or a user definition.
/// Standard library definitions are not in any document: no result (hover shows them whole).
pub fn definition(
    program: &Program,
    docs: &Documents,
    doc: &Document,
    pos: Position,
) -> Option<GotoDefinitionResponse> {
    let offset = doc.offset(pos);
    let file = program.file(program.id_of(&doc.uri)?)?;
    let span = match locate::at(file, offset)? {
        Hit::DefName(def) => def.name.span,
        Hit::Param { param, .. } => param.name.span,
        Hit::Use { name, within } => match param_of(within, &name.node) {
            Some(p) => p.name.span,
            None => {
                let def = program.def(&name.node).filter(|d| !d.from_stdlib)?;
                def.name_span
            }
        },
        Hit::Port { name, within } => param_of(within, &name.node)?.name.span,
        Hit::ArgName { name, callee } => {
            program.def(&callee.node).filter(|d| !d.from_stdlib)?;
            param_of(program.def_ast(&callee.node), &name.node)?
                .name
                .span
        }
        Hit::Workload(w) => w.name.span,
        Hit::Cluster(c) => c.name.span,
        // A namespace: where the program declares it first.
        Hit::Namespace(n) => program
            .files
            .iter()
            .flat_map(|f| &f.items)
            .find_map(|i| match i {
                ast::Item::Namespace(m) if m.node == n.node => Some(m.span),
                _ => None,
            })?,
        Hit::Type(_) | Hit::Proto(_) => return None,
    };
    location(program, docs, span).map(GotoDefinitionResponse::Scalar)
}

// ---------------------------------------------------------------------------------------------
// Completion

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
    /// A parameter name (after `:` in a definition's body).
    Params,
    Deny,
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
        return if kw == "def" {
            Expect::Params
        } else {
            Expect::Nothing
        };
    }
    let workload = matches!(kw, "app" | "pods" | "cluster");
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
    if head == last && ["namespace", "app", "pods", "cluster", "def"].contains(&last) {
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
                    .filter(|(k, _)| deny || *k != "deny")
                    .map(|(k, w)| keyword_item(k, w, edit)),
            );
        }
        Expect::Deny => items.extend(keyword("deny")),
        Expect::Types => items.extend(
            TYPES
                .iter()
                .map(|(t, w)| simple_item(t, CompletionItemKind::TYPE_PARAMETER, w, edit)),
        ),
        Expect::Protocols => items.extend(Proto::ALL.iter().map(|p| {
            simple_item(
                p.as_str(),
                CompletionItemKind::ENUM_MEMBER,
                "protocol",
                edit,
            )
        })),
        Expect::Params => {
            for (name, decl) in written_params(stmt_text) {
                items.push(simple_item(
                    &name,
                    CompletionItemKind::VARIABLE,
                    &decl,
                    edit,
                ));
            }
        }
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
        }
    }
    items
}

// ---------------------------------------------------------------------------------------------
// Document symbols

#[expect(
    deprecated,
    reason = "`DocumentSymbol::deprecated` must be written to build one"
)]
fn symbol(
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    range: Range,
    selection: Range,
    children: Option<Vec<DocumentSymbol>>,
) -> DocumentSymbol {
    DocumentSymbol {
        name,
        detail,
        kind,
        tags: None,
        deprecated: None,
        range,
        selection_range: selection,
        children,
    }
}

/// The symbol of a statement other than `namespace`, and the byte offset where it ends.
fn item_symbol(
    program: &Program,
    doc: &Document,
    item: &ast::Item,
) -> Option<(DocumentSymbol, usize)> {
    let (name, detail, kind, span, name_span) = match item {
        ast::Item::Def(def) => (
            def.name.node.clone(),
            program
                .def(&def.name.node)
                .filter(|d| d.span == def.span)
                .map(DefInfo::signature),
            SymbolKind::FUNCTION,
            def.span,
            def.name.span,
        ),
        ast::Item::Workload(w) => (
            w.name.node.clone(),
            Some(match &w.selector {
                ast::WorkloadSelector::App => "app".to_owned(),
                ast::WorkloadSelector::Labels(sel) => {
                    format!(
                        "pods {}",
                        doc.text.get(sel.span.range()).unwrap_or_default()
                    )
                }
            }),
            SymbolKind::CLASS,
            w.span,
            w.name.span,
        ),
        ast::Item::DefaultDeny(span) => (
            "default deny".to_owned(),
            None,
            SymbolKind::CONSTANT,
            *span,
            *span,
        ),
        ast::Item::Cluster(c) => (
            c.name.node.clone(),
            Some("cluster guardrail".to_owned()),
            SymbolKind::EVENT,
            c.span,
            c.name.span,
        ),
        // Namespaces are handled by the caller; settings and attributes are no symbols.
        _ => return None,
    };
    let whole = span.to(name_span);
    let range = span_range(doc, whole);
    Some((
        symbol(name, detail, kind, range, span_range(doc, name_span), None),
        whole.end as usize,
    ))
}

/// Namespaces, with the statements that follow each as children; statements before the first
/// namespace at the top level.
pub fn symbols(program: &Program, doc: &Document) -> Vec<DocumentSymbol> {
    let Some(file) = program.id_of(&doc.uri).and_then(|id| program.file(id)) else {
        return Vec::new();
    };
    let mut out: Vec<DocumentSymbol> = Vec::new();
    // The open namespace: its symbol and the byte range it covers so far.
    let mut open: Option<(DocumentSymbol, usize, usize)> = None;
    let close = |open: Option<(DocumentSymbol, usize, usize)>, out: &mut Vec<DocumentSymbol>| {
        if let Some((mut ns, start, end)) = open {
            ns.range = doc.range(start, end);
            out.push(ns);
        }
    };
    for item in &file.items {
        if let ast::Item::Namespace(n) = item {
            close(open.take(), &mut out);
            let start = doc.index.line_start(n.span.start as usize);
            let ns = symbol(
                n.node.clone(),
                None,
                SymbolKind::NAMESPACE,
                Range::default(),
                span_range(doc, n.span),
                Some(Vec::new()),
            );
            open = Some((ns, start.min(n.span.start as usize), n.span.end as usize));
            continue;
        }
        let Some((sym, item_end)) = item_symbol(program, doc, item) else {
            continue;
        };
        match &mut open {
            Some((ns, _, end)) => {
                *end = (*end).max(item_end);
                ns.children.get_or_insert_with(Vec::new).push(sym);
            }
            None => out.push(sym),
        }
    }
    close(open.take(), &mut out);
    out
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
        assert_eq!(at("app x -> rds(^"), dests);
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
