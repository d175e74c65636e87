//! Compiler diagnostics → protocol diagnostics, per document.
//!
//! Same code, message and severity as the CLI. The primary label gives the range; its text, the
//! notes and the help line are appended to the message (`label`, `note: ...`, `help: ...`, one
//! per line, as the CLI prints them under the source). Secondary labels become related
//! information; those that point into the standard library, which is no document, are appended
//! to the message with their place (`stdlib/prelude.egress:23`).

use std::collections::BTreeMap;

use lsp_types::{
    Diagnostic as LspDiagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location,
    NumberOrString, Range, Uri,
};

use crate::diagnostics::{Diagnostic, Severity, caps};
use crate::source::Span;

use super::documents::Documents;
use super::program::Program;

pub const SOURCE: &str = "egressc";

fn range_of(docs: &Documents, program: &Program, span: Span) -> Option<(Uri, Range)> {
    let uri = program.uri_of(span.file)?;
    let doc = docs.get(uri)?;
    Some((
        uri.clone(),
        doc.range(span.start as usize, span.end as usize),
    ))
}

/// The diagnostics of every document of `program` (documents without any get an empty list).
pub fn by_document(docs: &Documents, program: &Program) -> BTreeMap<String, Vec<LspDiagnostic>> {
    let mut out: BTreeMap<String, Vec<LspDiagnostic>> = program
        .uris
        .iter()
        .map(|u| (u.as_str().to_owned(), Vec::new()))
        .collect();
    let Some(first) = program.uris.first() else {
        return out;
    };
    // Capped as on the command line: an editor gets no more than a terminal does.
    let all: Vec<Diagnostic> = program.analysis.diagnostics.iter().cloned().collect();
    for d in &caps::cap(&all) {
        let primary = d.primary_span();
        // A diagnostic without a place in a document (a defect, or a span in the standard
        // library) is still shown, at the start of the first document.
        let (uri, range) = primary
            .and_then(|s| range_of(docs, program, s))
            .unwrap_or_else(|| (first.clone(), Range::default()));
        out.entry(uri.as_str().to_owned())
            .or_default()
            .push(convert(docs, program, d, range));
    }
    out
}

fn convert(docs: &Documents, program: &Program, d: &Diagnostic, range: Range) -> LspDiagnostic {
    let mut message = d.message.clone();
    let mut related = Vec::new();
    for l in &d.labels {
        if l.primary {
            if !l.message.is_empty() && l.message != d.message {
                message.push('\n');
                message.push_str(&l.message);
            }
            continue;
        }
        let text = if l.message.is_empty() {
            "related".to_owned()
        } else {
            l.message.clone()
        };
        match range_of(docs, program, l.span) {
            Some((uri, range)) => related.push(DiagnosticRelatedInformation {
                location: Location::new(uri, range),
                message: text,
            }),
            None => {
                message.push_str(&format!("\nnote: {text} ({})", program.describe(l.span)));
            }
        }
    }
    for n in &d.notes {
        message.push_str("\nnote: ");
        message.push_str(n);
    }
    if let Some(h) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(h);
    }
    LspDiagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Bug | Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.as_str().to_owned())),
        code_description: None,
        source: Some(SOURCE.to_owned()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}
