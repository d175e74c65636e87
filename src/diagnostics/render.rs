//! The only module that renders diagnostics: human text through codespan-reporting, and JSON.

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;

use super::{Diagnostic, Severity};
use crate::source::SourceMap;

/// How diagnostics are printed (`--error-format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
}

fn to_codespan(d: &Diagnostic) -> cs::Diagnostic<usize> {
    let severity = match d.severity {
        Severity::Bug => cs::Severity::Bug,
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
    };
    let labels = d
        .labels
        .iter()
        .map(|l| {
            let style = if l.primary {
                cs::LabelStyle::Primary
            } else {
                cs::LabelStyle::Secondary
            };
            cs::Label::new(style, l.span.file.0 as usize, l.span.range()).with_message(&l.message)
        })
        .collect();
    let mut notes: Vec<String> = d.notes.iter().map(|n| format!("note: {n}")).collect();
    if let Some(h) = &d.help {
        notes.push(format!("help: {h}"));
    }
    cs::Diagnostic::new(severity)
        .with_code(d.code.as_str())
        .with_message(&d.message)
        .with_labels(labels)
        .with_notes(notes)
}

fn files(map: &SourceMap) -> SimpleFiles<&str, &str> {
    let mut files = SimpleFiles::new();
    for (_, f) in map.iter() {
        files.add(f.name.as_str(), f.text.as_str());
    }
    files
}

/// Plain text, no colour: what the CLI prints and what snapshots hold.
pub fn human(map: &SourceMap, diags: &[Diagnostic]) -> String {
    let files = files(map);
    let config = term::Config::default();
    let mut out = String::new();
    for d in diags {
        match term::emit_into_string(&config, &files, &to_codespan(d)) {
            Ok(s) => out.push_str(&s),
            // A span outside its file: still say what went wrong.
            Err(_) => out.push_str(&format!(
                "{}[{}]: {}\n\n",
                d.severity.as_str(),
                d.code,
                d.message
            )),
        }
    }
    out
}

/// One JSON object per diagnostic, one per line.
pub fn json(map: &SourceMap, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&json_value(map, d).to_string());
        out.push('\n');
    }
    out
}

/// The JSON form of one diagnostic (also used by the language server's tests).
pub fn json_value(map: &SourceMap, d: &Diagnostic) -> serde_json::Value {
    let span = d.primary_span();
    let (file, line, column, start, end) = match span.and_then(|s| map.get(s.file).map(|f| (s, f)))
    {
        Some((s, f)) => {
            let (line, col) = f.line_col(s.start as usize);
            (f.name.clone(), line, col, s.start, s.end)
        }
        None => (String::new(), 0, 0, 0, 0),
    };
    let labels: Vec<serde_json::Value> = d
        .labels
        .iter()
        .map(|l| {
            serde_json::json!({
                "file": map.name(l.span.file),
                "start": l.span.start,
                "end": l.span.end,
                "message": l.message,
                "primary": l.primary,
            })
        })
        .collect();
    serde_json::json!({
        "code": d.code.as_str(),
        "severity": d.severity.as_str(),
        "message": d.message,
        "file": file,
        "line": line,
        "column": column,
        "span": { "start": start, "end": end },
        "labels": labels,
        "notes": d.notes,
        "help": d.help,
    })
}

/// Renders in the chosen format.
pub fn render(format: Format, map: &SourceMap, diags: &[Diagnostic]) -> String {
    match format {
        Format::Human => human(map, diags),
        Format::Json => json(map, diags),
    }
}
