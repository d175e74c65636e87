//! The import's diagnostics, each tied to the document it is about, with spans in the YAML
//! files: what the readers could not read (E0802, E0803), what they or the mappings left out
//! (W0801, W0802), and the verdict of each document that follows from them.

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, SourceMap, Span};
use crate::verify::cursor::{Effect, Loss, ReadError};
use crate::verify::yaml::Pos;

use super::documents::Doc;
use super::{Outcome, Verdict};

/// The span of a YAML position: from it to the end of its line (a node's or key's start is all
/// the tree records).
pub fn span(sources: &SourceMap, file: FileId, pos: Pos) -> Span {
    let Some(f) = sources.get(file) else {
        return Span::new(file, 0, 0);
    };
    let start = match pos.offset {
        Some(o) => o.min(f.text.len()),
        None => {
            let line = usize::try_from(pos.line.max(1) - 1).unwrap_or(0);
            let begin = f.line_starts().get(line).copied().unwrap_or(f.text.len());
            let column = usize::try_from(pos.column.max(1) - 1).unwrap_or(0);
            f.text
                .get(begin..)
                .and_then(|rest| rest.char_indices().nth(column).map(|(i, _)| begin + i))
                .unwrap_or(begin)
        }
    };
    let end = f
        .text
        .get(start..)
        .map(|rest| start + rest.find('\n').unwrap_or(rest.len()))
        .unwrap_or(start);
    let trimmed = f
        .text
        .get(start..end)
        .map(|s| start + s.trim_end().len())
        .unwrap_or(end);
    Span::new(file, start, trimmed.max(start))
}

/// The diagnostics so far, each with the index of the document it is about (`None`: a file).
#[derive(Debug, Default)]
pub struct Report {
    items: Vec<(Option<usize>, Diagnostic)>,
}

impl Report {
    pub fn push(&mut self, doc: Option<usize>, d: Diagnostic) {
        self.items.push((doc, d));
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|(_, d)| d.is_error())
    }

    /// E0802 for an object that an earlier document of the import defines already.
    pub fn twice(&mut self, doc: usize, at: Span, object: &str) {
        self.push(
            Some(doc),
            Diagnostic::new(Code::E0802, at, format!("{object} appears twice"))
                .label("the second replaces the first when applied")
                .help("keep one of the two objects"),
        );
    }

    /// Whether document `doc` has something left out reported (W0802).
    pub fn narrowed(&self, doc: usize) -> bool {
        self.items
            .iter()
            .any(|(i, d)| *i == Some(doc) && d.code == Code::W0802)
    }

    /// E0802 (the product would reject the document) or E0803 (valid, but what is not modelled
    /// cannot be left out without widening the policy) for a reader's error.
    pub fn read_error(
        &mut self,
        doc: Option<usize>,
        sources: &SourceMap,
        file: FileId,
        e: &ReadError,
    ) {
        let at = match e.pos {
            Some(p) => span(sources, file, p),
            None => Span::new(file, 0, 0),
        };
        let place = if e.path.is_empty() {
            e.object.clone()
        } else {
            format!("{} {}", e.object, e.path)
        };
        let d = if e.unmodelled {
            Diagnostic::new(
                Code::E0803,
                at,
                format!("{place} cannot be imported: {}", e.message),
            )
            .label("not in the language, and leaving it out would allow more")
            .note("egressc leaves out only what narrows a policy; nothing was printed")
            .help("remove this from the document (the program then allows less), or keep this policy outside egressc")
        } else {
            Diagnostic::new(Code::E0802, at, format!("{place}: {}", e.message))
                .label("the product would reject this")
            .help("fix the document: `kubectl apply --dry-run=server -f FILE` shows what the API server says")
        };
        self.push(doc, d);
    }

    /// W0801 or W0802 for what a reader left out.
    pub fn loss(&mut self, doc: usize, sources: &SourceMap, file: FileId, l: &Loss) {
        let at = span(sources, file, l.pos);
        let place = if l.left_out.is_empty() {
            l.object.clone()
        } else {
            format!("{} {}", l.object, l.left_out)
        };
        let d = match l.effect {
            Effect::None => Diagnostic::new(Code::W0801, at, format!("{place}: {}", l.why))
                .label("left out, without effect on egress"),
            Effect::Narrower => {
                Diagnostic::new(Code::W0802, at, format!("{place} is left out: {}", l.why))
                    .label("left out: the program allows less")
                    .help("review what this allowed and write it by hand if the workload needs it")
            }
        };
        self.push(Some(doc), d);
    }

    /// W0802 for what a mapping left out because the language cannot say it.
    pub fn narrower(&mut self, doc: usize, at: Span, message: String, help: &str) {
        self.push(
            Some(doc),
            Diagnostic::new(Code::W0802, at, message)
                .label("left out: the program allows less")
                .help(help),
        );
    }

    /// E0803 for what a mapping cannot say and cannot leave out.
    pub fn refuse(&mut self, doc: usize, at: Span, message: String, help: &str) {
        self.push(
            Some(doc),
            Diagnostic::new(Code::E0803, at, message)
                .label("leaving this out would allow more")
                .note("egressc leaves out only what narrows a policy; nothing was printed")
                .help(help),
        );
    }

    /// The verdict of every document: refused with an error, narrower with a W0802, else
    /// exact. Diagnostics about no document (a file that is not YAML) refuse nothing here.
    pub fn outcomes(&self, docs: &[Doc], sources: &SourceMap) -> Vec<Outcome> {
        // A file that could not be read at all counts as one refused document.
        let unread: std::collections::BTreeSet<FileId> = self
            .items
            .iter()
            .filter(|(doc, d)| doc.is_none() && d.is_error())
            .filter_map(|(_, d)| d.primary_span().map(|s| s.file))
            .filter(|f| !docs.iter().any(|d| d.file == *f))
            .collect();
        let files = unread.into_iter().map(|f| Outcome {
            file: sources.name(f).to_owned(),
            number: 0,
            object: "the file".to_owned(),
            verdict: Verdict::Refused,
        });
        docs.iter()
            .enumerate()
            .map(|(i, d)| {
                let mine = self.items.iter().filter(|(j, _)| *j == Some(i));
                let mut verdict = Verdict::Exact;
                for (_, diag) in mine {
                    if diag.is_error() {
                        verdict = Verdict::Refused;
                    } else if diag.code == Code::W0802 && verdict == Verdict::Exact {
                        verdict = Verdict::Narrower;
                    }
                }
                Outcome {
                    file: sources.name(d.file).to_owned(),
                    number: d.number,
                    object: d.object.clone(),
                    verdict,
                }
            })
            .chain(files)
            .collect()
    }

    /// The diagnostics, in file and position order.
    pub fn into_diagnostics(self) -> Diagnostics {
        let mut d: Diagnostics = self
            .items
            .into_iter()
            .map(|(_, d)| d)
            .collect::<Vec<_>>()
            .into();
        d.sort();
        d
    }
}
