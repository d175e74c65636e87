//! Code actions: quick fixes for the diagnostics of the program that lie in the range asked
//! about, computed from the server's own analysis (a client need not send its diagnostics
//! back):
//!
//! - a diagnostic whose help is "did you mean `X`?" (E0201 and the other near misses): write
//!   `X` instead;
//! - W0101 (no DNS allowance): add `dns` to the workload's destinations;
//! - W0105 (namespace without `default deny`): add `default deny` under the namespace;
//! - any lint warning: insert `@allow(CODE, "reason")` above its statement.

use std::collections::HashMap;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, Diagnostic as LspDiagnostic,
    NumberOrString, Range, TextEdit, WorkspaceEdit,
};

use crate::diagnostics::{Code, Diagnostic};
use crate::lint::registry;
use crate::syntax::ast;

use super::documents::Document;
use super::program::Program;

/// Whether two ranges share a position (a cursor on a diagnostic's edge counts).
fn touches(a: Range, b: Range) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// The suggestion of a "did you mean `X`?" help line.
fn suggestion(d: &Diagnostic) -> Option<&str> {
    d.help
        .as_deref()?
        .strip_prefix("did you mean `")?
        .strip_suffix("`?")
}

/// The statement of `file` that holds the byte offset.
fn statement_at(file: &ast::File, offset: usize) -> Option<&ast::Item> {
    file.items.iter().find(|i| {
        let s = i.span();
        (s.start as usize) <= offset && offset <= s.end as usize
    })
}

#[expect(
    clippy::mutable_key_type,
    reason = "`WorkspaceEdit` is keyed by `Uri`, whose hash does not change"
)]
fn action(
    title: String,
    doc: &Document,
    edits: Vec<TextEdit>,
    diagnostic: Option<LspDiagnostic>,
    preferred: bool,
) -> CodeActionOrCommand {
    let mut changes = HashMap::new();
    changes.insert(doc.uri.clone(), edits);
    CodeActionOrCommand::CodeAction(CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: diagnostic.map(|d| vec![d]),
        edit: Some(WorkspaceEdit::new(changes)),
        is_preferred: Some(preferred),
        ..CodeAction::default()
    })
}

/// The fixes of the diagnostics in `params.range` of `doc`.
pub fn actions(
    program: &Program,
    doc: &Document,
    params: &CodeActionParams,
) -> Vec<CodeActionOrCommand> {
    let Some(id) = program.id_of(&doc.uri) else {
        return Vec::new();
    };
    let file = program.file(id);
    let mut out = Vec::new();
    for d in program.analysis.diagnostics.iter() {
        let Some(span) = d.primary_span().filter(|s| s.file == id) else {
            continue;
        };
        let range = doc.span_range(span);
        if !touches(range, params.range) {
            continue;
        }
        // The client's copy of the diagnostic, to attach to the fix.
        let theirs = params
            .context
            .diagnostics
            .iter()
            .find(|c| {
                c.range == range
                    && c.code == Some(NumberOrString::String(d.code.as_str().to_owned()))
            })
            .cloned();
        if let Some(s) = suggestion(d) {
            out.push(action(
                format!("Replace with `{s}`"),
                doc,
                vec![TextEdit::new(range, s.to_owned())],
                theirs.clone(),
                true,
            ));
        }
        let start = span.start as usize;
        let item = file.and_then(|f| statement_at(f, start));
        match (d.code, item) {
            (Code::W0101, Some(ast::Item::Workload(w))) => {
                if let Some(first) = w.allow.first() {
                    let at = first.span.start as usize;
                    out.push(action(
                        "Allow DNS: add `dns`".to_owned(),
                        doc,
                        vec![TextEdit::new(doc.range(at, at), "dns, ".to_owned())],
                        theirs.clone(),
                        true,
                    ));
                }
            }
            (Code::W0105, _) => {
                let end = line_end(&doc.text, start);
                out.push(action(
                    "Add `default deny` to the namespace".to_owned(),
                    doc,
                    vec![TextEdit::new(
                        doc.range(end, end),
                        "\ndefault deny".to_owned(),
                    )],
                    theirs.clone(),
                    true,
                ));
            }
            _ => {}
        }
        if registry::by_code(d.code).is_some()
            && let Some(item) = item
        {
            let line = doc.index.line_start(item.span().start as usize);
            let indent: String = doc
                .text
                .get(line..)
                .unwrap_or_default()
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect();
            let text = format!("{indent}@allow({}, \"reason\")\n", d.code.as_str());
            out.push(action(
                format!("Allow {} here with `@allow`", d.code.as_str()),
                doc,
                vec![TextEdit::new(doc.range(line, line), text)],
                theirs,
                false,
            ));
        }
    }
    out
}

/// The byte offset of the end of the line holding `offset` (before its line break).
fn line_end(text: &str, offset: usize) -> usize {
    let rest = text.get(offset..).unwrap_or_default();
    offset + rest.find(['\n', '\r']).unwrap_or(rest.len())
}
