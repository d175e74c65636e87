//! Compiler diagnostics → protocol diagnostics, per file of a program.
//!
//! Same code, message and severity as the CLI. The primary label gives the range; its text, the
//! notes and the help line are appended to the message (`label`, `note: ...`, `help: ...`, one
//! per line, as the CLI prints them under the source). Secondary labels become related
//! information (in the standard library's read-only document when there is one); those that
//! point nowhere are appended to the message with their place (`stdlib/prelude.egress:23`).

use lsp_types::{
    Diagnostic as LspDiagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location,
    NumberOrString, Range,
};

use crate::diagnostics::{Diagnostic, Severity, caps};
use crate::source::Span;

use super::documents::Document;
use super::program::Program;
use super::server::Stdlib;

pub const SOURCE: &str = "egressc";

/// The document a span is in (a file of the program or of the standard library), and its range.
pub fn locate<'a>(
    program: &'a Program,
    stdlib: &'a Stdlib,
    span: Span,
) -> Option<(&'a Document, Range)> {
    let doc = program
        .doc_of(span.file)
        .or_else(|| stdlib.doc_of(span.file))?;
    Some((doc, doc.span_range(span)))
}

/// The diagnostics of every file of `program`, in file order (files without any get an empty
/// list).
pub fn by_document<'a>(
    program: &'a Program,
    stdlib: &Stdlib,
) -> Vec<(&'a Document, Vec<LspDiagnostic>)> {
    let mut out: Vec<(&Document, Vec<LspDiagnostic>)> =
        program.docs.iter().map(|d| (d, Vec::new())).collect();
    // Capped as on the command line: an editor gets no more than a terminal does.
    for d in &caps::cap(program.analysis.diagnostics.as_slice()) {
        // A diagnostic without a place in a file of the program (a defect, or a span in the
        // standard library) is still shown, at the start of the first file.
        let place = d
            .primary_span()
            .and_then(|s| Some((program.doc_of(s.file)?, s)));
        let (i, range) = match place {
            Some((doc, span)) => (
                program
                    .docs
                    .iter()
                    .position(|x| x.uri == doc.uri)
                    .unwrap_or(0),
                doc.span_range(span),
            ),
            None => (0, Range::default()),
        };
        if let Some((_, list)) = out.get_mut(i) {
            list.push(convert(program, stdlib, d, range));
        }
    }
    out
}

fn convert(program: &Program, stdlib: &Stdlib, d: &Diagnostic, range: Range) -> LspDiagnostic {
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
        match locate(program, stdlib, l.span) {
            Some((doc, range)) => related.push(DiagnosticRelatedInformation {
                location: Location::new(doc.uri.clone(), range),
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
