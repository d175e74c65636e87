//! The only module that renders diagnostics: human text through codespan-reporting, JSON (one
//! object per line), SARIF 2.1.0 for code-scanning tools, GitHub workflow annotations, and a
//! short form of one line each (`file:line:col: severity[CODE]: message`) for quickfix lists.
//!
//! Every format shows at most the diagnostics [`caps::cap`] keeps, and the human form shows each
//! through an `Excerpt` of its lines, so that output grows with the number of diagnostics
//! shown, never with the length of the lines they are on.

use std::ops::Range;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term;

use super::excerpt::{self, Excerpt};
use super::{Code, Diagnostic, Severity, caps};
use crate::source::{SourceFile, SourceMap};

/// How diagnostics are printed (`--error-format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
    Sarif,
    Github,
    Short,
}

/// The excerpts of one diagnostic, one per file its labels are in, as codespan-reporting reads
/// files: excerpt text, with the file's names, line numbers and columns.
struct Excerpts<'a> {
    files: Vec<(usize, &'a SourceFile, Excerpt)>,
}

impl<'a> Excerpts<'a> {
    /// The excerpts for `d`, and `d` with its labels moved into them.
    fn new(map: &'a SourceMap, d: &Diagnostic) -> Option<(Excerpts<'a>, Diagnostic)> {
        let mut spans: Vec<(usize, &'a SourceFile, Vec<Range<usize>>)> = Vec::new();
        let mut moved = d.clone();
        for l in &mut moved.labels {
            let id = l.span.file.0 as usize;
            let file = map.get(l.span.file)?;
            if l.span.start > l.span.end || l.span.end as usize > file.text.len() {
                return None;
            }
            let clipped = excerpt::clip(file, l.span.range());
            match spans.iter_mut().find(|(i, _, _)| *i == id) {
                Some((_, _, list)) => list.push(clipped),
                None => spans.push((id, file, vec![clipped])),
            }
        }
        let files: Vec<(usize, &SourceFile, Excerpt)> = spans
            .into_iter()
            .map(|(id, file, list)| (id, file, Excerpt::new(file, &list)))
            .collect();
        let out = Excerpts { files };
        for l in &mut moved.labels {
            let (_, file, e) = out.get(l.span.file.0 as usize).ok()?;
            let r = excerpt::clip(file, l.span.range());
            let (start, end) = (e.to_excerpt(r.start), e.to_excerpt(r.end));
            l.span.start = u32::try_from(start).ok()?;
            l.span.end = u32::try_from(end.max(start)).ok()?;
        }
        Some((out, moved))
    }

    fn get(&self, id: usize) -> Result<&(usize, &'a SourceFile, Excerpt), FilesError> {
        self.files
            .iter()
            .find(|(i, _, _)| *i == id)
            .ok_or(FilesError::FileMissing)
    }
}

impl<'f> Files<'f> for Excerpts<'_> {
    type FileId = usize;
    type Name = &'f str;
    type Source = &'f str;

    fn name(&'f self, id: usize) -> Result<&'f str, FilesError> {
        Ok(self.get(id)?.1.name.as_str())
    }

    fn source(&'f self, id: usize) -> Result<&'f str, FilesError> {
        Ok(self.get(id)?.2.text.as_str())
    }

    fn line_index(&'f self, id: usize, byte_index: usize) -> Result<usize, FilesError> {
        Ok(self.get(id)?.2.line_index(byte_index))
    }

    fn column_number(
        &'f self,
        id: usize,
        _line_index: usize,
        byte_index: usize,
    ) -> Result<usize, FilesError> {
        let (_, file, e) = self.get(id)?;
        Ok(file.line_col(e.to_file(byte_index)).1)
    }

    fn line_range(&'f self, id: usize, line_index: usize) -> Result<Range<usize>, FilesError> {
        Ok(self.get(id)?.2.line_range(line_index))
    }
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

/// Plain text, no colour: what the CLI prints and what snapshots hold.
pub fn human(map: &SourceMap, diags: &[Diagnostic]) -> String {
    human_with(map, diags, |config, files, d| {
        term::emit_into_string(config, files, d).ok()
    })
}

/// The human form with ANSI colours, for a terminal.
pub fn human_colored(map: &SourceMap, diags: &[Diagnostic]) -> String {
    use term::termcolor::Ansi;
    let styles = term::Styles::default();
    human_with(map, diags, |config, files, d| {
        let mut ansi = Ansi::new(Vec::new());
        let mut writer = term::StylesWriter::new(&mut ansi, &styles);
        term::emit_to_write_style(&mut writer, config, files, d).ok()?;
        String::from_utf8(ansi.into_inner()).ok()
    })
}

/// Plain or coloured human text, through `emit`.
fn human_with(
    map: &SourceMap,
    diags: &[Diagnostic],
    emit: impl Fn(&term::Config, &Excerpts<'_>, &cs::Diagnostic<usize>) -> Option<String>,
) -> String {
    let config = term::Config::default();
    let mut out = String::new();
    for d in &caps::cap(diags) {
        let shown = Excerpts::new(map, d)
            .and_then(|(files, moved)| emit(&config, &files, &to_codespan(&moved)));
        match shown {
            Some(s) => out.push_str(&s),
            // A span outside its file: still say what went wrong.
            None => out.push_str(&format!(
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
    for d in &caps::cap(diags) {
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

/// A file name and the 1-based (line, column) of both ends of a span.
type Region = (String, (usize, usize), (usize, usize));

/// 1-based (line, column) of both ends of a span, columns in characters.
fn region(map: &SourceMap, span: crate::source::Span) -> Option<Region> {
    let f = map.get(span.file)?;
    Some((
        f.name.clone(),
        f.line_col(span.start as usize),
        f.line_col(span.end as usize),
    ))
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Bug | Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn sarif_location(
    map: &SourceMap,
    span: crate::source::Span,
    message: Option<&str>,
) -> Option<serde_json::Value> {
    let (file, (sl, sc), (el, ec)) = region(map, span)?;
    let mut loc = serde_json::json!({
        "physicalLocation": {
            "artifactLocation": { "uri": file.replace('\\', "/") },
            "region": { "startLine": sl, "startColumn": sc, "endLine": el, "endColumn": ec.max(sc) },
        }
    });
    if let (Some(m), Some(obj)) = (message.filter(|m| !m.is_empty()), loc.as_object_mut()) {
        obj.insert("message".into(), serde_json::json!({ "text": m }));
    }
    Some(loc)
}

/// Where the long explanation of a code comes from: the pages of lints live with the lints,
/// which `diagnostics` cannot import, so the caller passes `lint::explanation`.
pub type Explain = fn(Code) -> Option<&'static str>;

/// A SARIF 2.1.0 log with one run; rules are the codes that occur, in code order, each with
/// its long explanation.
pub fn sarif(map: &SourceMap, diags: &[Diagnostic], explain: Explain) -> String {
    let diags = &caps::cap(diags);
    let mut codes: Vec<Code> = diags.iter().map(|d| d.code).collect();
    codes.sort();
    codes.dedup();
    let rules: Vec<serde_json::Value> = codes
        .iter()
        .map(|c| {
            let page = explain(*c).unwrap_or_default();
            serde_json::json!({
                "id": c.as_str(),
                "shortDescription": { "text": c.title() },
                "fullDescription": { "text": page },
                "help": { "text": format!("run `egressc explain {c}`"), "markdown": page },
                "defaultConfiguration": { "level": sarif_level(c.severity()) },
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = diags
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            for n in &d.notes {
                text.push_str(&format!("\nnote: {n}"));
            }
            if let Some(h) = &d.help {
                text.push_str(&format!("\nhelp: {h}"));
            }
            let locations: Vec<serde_json::Value> = d
                .labels
                .iter()
                .filter(|l| l.primary)
                .filter_map(|l| sarif_location(map, l.span, None))
                .collect();
            let related: Vec<serde_json::Value> = d
                .labels
                .iter()
                .filter(|l| !l.primary)
                .filter_map(|l| sarif_location(map, l.span, Some(&l.message)))
                .enumerate()
                .map(|(i, mut v)| {
                    if let Some(o) = v.as_object_mut() {
                        o.insert("id".into(), serde_json::json!(i));
                    }
                    v
                })
                .collect();
            let mut r = serde_json::json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": codes.iter().position(|c| *c == d.code).unwrap_or(0),
                "level": sarif_level(d.severity),
                "message": { "text": text },
                "locations": locations,
            });
            if !related.is_empty()
                && let Some(o) = r.as_object_mut()
            {
                o.insert("relatedLocations".into(), serde_json::Value::Array(related));
            }
            r
        })
        .collect();
    let log = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "egressc",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://crates.io/crates/egressc",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}

/// Escapes a GitHub workflow command's data (message) or property value.
fn gh_escape(text: &str, property: bool) -> String {
    let mut s = text
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        s = s.replace(':', "%3A").replace(',', "%2C");
    }
    s
}

/// One `::error file=...,line=...::message` workflow command per diagnostic.
pub fn github(map: &SourceMap, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in &caps::cap(diags) {
        let kind = match d.severity {
            Severity::Bug | Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = vec![format!(
            "title={}",
            gh_escape(&format!("{} {}", d.code, d.code.title()), true)
        )];
        if let Some((file, (sl, sc), (el, ec))) = d.primary_span().and_then(|s| region(map, s)) {
            props.insert(0, format!("file={}", gh_escape(&file, true)));
            props.insert(1, format!("line={sl}"));
            props.insert(2, format!("col={sc}"));
            props.insert(3, format!("endLine={el}"));
            props.insert(4, format!("endColumn={}", ec.max(sc)));
        }
        let mut message = format!("[{}] {}", d.code, d.message);
        for n in &d.notes {
            message.push_str(&format!("\nnote: {n}"));
        }
        if let Some(h) = &d.help {
            message.push_str(&format!("\nhelp: {h}"));
        }
        out.push_str(&format!(
            "::{kind} {}::{}\n",
            props.join(","),
            gh_escape(&message, false)
        ));
    }
    out
}

/// One line per diagnostic, `file:line:col: severity[CODE]: message` (what Vim's quickfix, grep
/// and editors without the language server read), notes after the message (`; note: ...`); a
/// diagnostic without a place starts at its severity.
pub fn short(map: &SourceMap, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in &caps::cap(diags) {
        if let Some((file, (line, col), _)) = d.primary_span().and_then(|s| region(map, s)) {
            out.push_str(&format!("{file}:{line}:{col}: "));
        }
        let mut message = d.message.clone();
        for n in &d.notes {
            message.push_str(&format!("; note: {n}"));
        }
        let message = message.replace(['\r', '\n'], " ");
        out.push_str(&format!("{}[{}]: {message}\n", d.severity.as_str(), d.code));
    }
    out
}

/// Diagnostics in `format`; `explain` gives the long explanations SARIF carries.
pub fn render(format: Format, map: &SourceMap, diags: &[Diagnostic], explain: Explain) -> String {
    match format {
        Format::Human => human(map, diags),
        Format::Json => json(map, diags),
        Format::Sarif => sarif(map, diags, explain),
        Format::Github => github(map, diags),
        Format::Short => short(map, diags),
    }
}
