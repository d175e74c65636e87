//! Folding ranges: each namespace's statements, each statement that spans lines, and each
//! block of comment lines.

use lsp_types::{FoldingRange, FoldingRangeKind};

use super::documents::Document;
use super::recover;

fn range(start: u32, end: u32, kind: Option<FoldingRangeKind>) -> FoldingRange {
    FoldingRange {
        start_line: start,
        start_character: None,
        end_line: end,
        end_character: None,
        kind,
        collapsed_text: None,
    }
}

/// The folding ranges of a document, from its text (so that they hold while it does not parse).
pub fn ranges(doc: &Document) -> Vec<FoldingRange> {
    let text = &doc.text;
    let line_of = |offset: usize| doc.index.position(text, offset).line;
    // The last line of `start..end` that holds more than white space and comments.
    let last_code_line = |start: usize, end: usize| {
        let chunk = text.get(start..end).unwrap_or_default();
        let mut last = line_of(start);
        let mut at = start;
        for l in chunk.split_inclusive('\n') {
            let code = l.split('#').next().unwrap_or_default();
            if !code.trim().is_empty() {
                last = line_of(at);
            }
            at += l.len();
        }
        last
    };
    let mut out = Vec::new();
    let chunks = recover::chunks(text);
    let mut namespace: Option<(u32, u32)> = None;
    for c in &chunks {
        let first = line_of(c.start);
        let last = last_code_line(c.start, c.end);
        let is_namespace = text
            .get(c.start..c.end)
            .is_some_and(|t| t.trim_start().starts_with("namespace "));
        if is_namespace {
            if let Some((s, e)) = namespace.take()
                && e > s
            {
                out.push(range(s, e, Some(FoldingRangeKind::Region)));
            }
            namespace = Some((first, last));
        } else if let Some((_, e)) = &mut namespace {
            *e = (*e).max(last);
        }
        if last > first {
            out.push(range(first, last, None));
        }
    }
    if let Some((s, e)) = namespace
        && e > s
    {
        out.push(range(s, e, Some(FoldingRangeKind::Region)));
    }
    // Blocks of two or more comment lines.
    let mut block: Option<(u32, u32)> = None;
    for (n, l) in text.lines().enumerate() {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        if l.trim_start().starts_with('#') {
            block = Some(block.map_or((n, n), |(s, _)| (s, n)));
        } else if let Some((s, e)) = block.take()
            && e > s
        {
            out.push(range(s, e, Some(FoldingRangeKind::Comment)));
        }
    }
    if let Some((s, e)) = block
        && e > s
    {
        out.push(range(s, e, Some(FoldingRangeKind::Comment)));
    }
    out.sort_by_key(|r| (r.start_line, std::cmp::Reverse(r.end_line)));
    out
}
