//! The part of a file a diagnostic shows: the lines its labels touch, each long line cut to
//! windows around the labels' ends, so that printing a diagnostic costs the same on a line of
//! 60 characters and on a line of a megabyte.
//!
//! An [`Excerpt`] is a small text of its own (the windows of each line joined with `…`, one
//! line per source line) with the maps between its offsets and the file's, so that the
//! renderer shows it with the real line numbers and columns.

use std::ops::Range;

use crate::limits::{EXCERPT_CONTEXT, EXCERPT_LABEL_LINES, EXCERPT_LINE};
use crate::source::SourceFile;

/// Marks text left out of a line.
const GAP: &str = "…";

/// One source line of an excerpt.
#[derive(Debug)]
struct Line {
    /// The 0-based line in the file.
    index: usize,
    /// Its range in the excerpt's text (without the line break).
    range: Range<usize>,
    /// Pieces of the file's line kept, each `(file range, start in the excerpt)`.
    pieces: Vec<(Range<usize>, usize)>,
}

/// Some lines of one file, cut to windows; see the module documentation.
#[derive(Debug)]
pub struct Excerpt {
    pub text: String,
    lines: Vec<Line>,
}

/// `span` as a label shows it: a label over more than [`EXCERPT_LABEL_LINES`] lines is shown
/// on its first line only.
pub fn clip(file: &SourceFile, span: Range<usize>) -> Range<usize> {
    let first = file.line_index(span.start);
    if file.line_index(span.end) - first <= EXCERPT_LABEL_LINES {
        return span;
    }
    let end = file.line_range(first).map(|r| r.end).unwrap_or(span.end);
    span.start..end.max(span.start)
}

/// The offset `n` characters before `at` (not before `floor`).
fn back(text: &str, floor: usize, at: usize, n: usize) -> usize {
    text.get(floor..at)
        .and_then(|s| s.char_indices().rev().take(n).last())
        .map(|(i, _)| floor + i)
        .unwrap_or(at)
}

/// The offset `n` characters after `at` (not after `ceil`).
fn forward(text: &str, at: usize, ceil: usize, n: usize) -> usize {
    text.get(at..ceil)
        .map(|s| s.char_indices().nth(n).map(|(i, _)| at + i).unwrap_or(ceil))
        .unwrap_or(at)
}

impl Excerpt {
    /// The excerpt of `file` for labels over `spans` (already [`clip`]ped): every line a span
    /// touches and the line after each (the renderer may show one line between two labelled
    /// lines), each cut around the spans' ends when it is longer than [`EXCERPT_LINE`] bytes.
    pub fn new(file: &SourceFile, spans: &[Range<usize>]) -> Excerpt {
        let text = file.text.as_str();
        let len = text.len();
        // (line, points on it)
        let mut wanted: Vec<(usize, Vec<usize>)> = Vec::new();
        for span in spans {
            let (start, end) = (span.start.min(len), span.end.min(len));
            let (first, last) = (file.line_index(start), file.line_index(end));
            for line in first..=last + 1 {
                let mut points = Vec::new();
                if line == first {
                    points.push(start);
                }
                if line == last {
                    points.push(end);
                }
                wanted.push((line, points));
            }
        }
        wanted.sort_unstable();
        let mut merged: Vec<(usize, Vec<usize>)> = Vec::new();
        for (line, points) in wanted {
            match merged.last_mut() {
                Some((l, ps)) if *l == line => ps.extend(points),
                _ => merged.push((line, points)),
            }
        }
        let mut out = Excerpt {
            text: String::new(),
            lines: Vec::new(),
        };
        for (index, mut points) in merged {
            let Some(range) = file.line_range(index) else {
                continue;
            };
            let windows = if range.len() <= EXCERPT_LINE {
                vec![range.clone()]
            } else {
                if points.is_empty() {
                    points.push(range.start);
                }
                points.sort_unstable();
                let mut windows: Vec<Range<usize>> = Vec::new();
                for p in points {
                    let p = p.clamp(range.start, range.end);
                    let w = back(text, range.start, p, EXCERPT_CONTEXT)
                        ..forward(text, p, range.end, EXCERPT_CONTEXT);
                    match windows.last_mut() {
                        Some(last) if w.start <= last.end => last.end = last.end.max(w.end),
                        _ => windows.push(w),
                    }
                }
                windows
            };
            let start = out.text.len();
            let mut pieces = Vec::new();
            let mut at = range.start;
            for w in windows {
                if w.start > at {
                    out.text.push_str(GAP);
                }
                pieces.push((w.clone(), out.text.len()));
                out.text.push_str(text.get(w.clone()).unwrap_or_default());
                at = w.end;
            }
            if at < range.end {
                out.text.push_str(GAP);
            }
            out.lines.push(Line {
                index,
                range: start..out.text.len(),
                pieces,
            });
            out.text.push('\n');
        }
        out
    }

    /// The excerpt's offset of a file offset that [`Excerpt::new`] kept (the nearest kept
    /// place otherwise).
    pub fn to_excerpt(&self, offset: usize) -> usize {
        let i = self
            .lines
            .partition_point(|l| l.pieces.first().is_some_and(|(r, _)| r.start <= offset));
        let Some(line) = i.checked_sub(1).and_then(|i| self.lines.get(i)) else {
            return 0;
        };
        let mut best = line.range.start;
        for (r, at) in &line.pieces {
            if offset >= r.start {
                best = at + (offset.min(r.end) - r.start);
            }
        }
        best
    }

    /// The file offset of an excerpt offset.
    pub fn to_file(&self, offset: usize) -> usize {
        let Some(line) = self.line_at(offset) else {
            return 0;
        };
        let mut best = line.pieces.first().map(|(r, _)| r.start).unwrap_or(0);
        for (r, at) in &line.pieces {
            if offset >= *at {
                best = r.start + (offset - at).min(r.len());
            }
        }
        best
    }

    fn line_at(&self, offset: usize) -> Option<&Line> {
        let i = self.lines.partition_point(|l| l.range.start <= offset);
        self.lines.get(i.checked_sub(1)?)
    }

    /// The file's 0-based line of an excerpt offset.
    pub fn line_index(&self, offset: usize) -> usize {
        self.line_at(offset).map(|l| l.index).unwrap_or(0)
    }

    /// The excerpt's range of the file's line `index` (empty for a line it does not hold).
    pub fn line_range(&self, index: usize) -> Range<usize> {
        let i = self.lines.partition_point(|l| l.index < index);
        match self.lines.get(i) {
            Some(l) if l.index == index => l.range.clone(),
            _ => self.text.len()..self.text.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceMap;

    fn file(text: &str) -> SourceMap {
        let mut map = SourceMap::new();
        map.add("a", text);
        map
    }

    #[test]
    fn short_lines_are_kept_whole() {
        let map = file("app a -> dns\napp b -> x\n");
        let f = map.iter().next().unwrap().1;
        let e = Excerpt::new(f, std::slice::from_ref(&(22..23)));
        assert_eq!(e.text, "app b -> x\n\n");
        assert_eq!(e.to_excerpt(22), 9);
        assert_eq!(e.to_file(9), 22);
        assert_eq!(e.line_index(9), 1);
        assert_eq!(e.line_range(1), 0..10);
    }

    #[test]
    fn long_lines_are_cut_around_the_span() {
        let text = format!("{}XY{}", "a".repeat(5000), "b".repeat(5000));
        let map = file(&text);
        let f = map.iter().next().unwrap().1;
        let e = Excerpt::new(f, std::slice::from_ref(&(5000..5002)));
        let want = format!(
            "…{}XY{}…\n",
            "a".repeat(EXCERPT_CONTEXT),
            "b".repeat(EXCERPT_CONTEXT)
        );
        assert_eq!(e.text, want);
        let at = e.to_excerpt(5000);
        assert_eq!(e.text.get(at..at + 2), Some("XY"));
        assert_eq!(e.to_file(at), 5000);
        assert_eq!(e.to_file(e.to_excerpt(5002)), 5002);
    }

    #[test]
    fn a_long_span_shows_both_ends() {
        let text = format!(
            "{}[{}]{}",
            "a".repeat(100),
            "m".repeat(1000),
            "z".repeat(100)
        );
        let map = file(&text);
        let f = map.iter().next().unwrap().1;
        let e = Excerpt::new(f, std::slice::from_ref(&(100..1102)));
        assert!(e.text.starts_with('…'));
        assert_eq!(e.text.matches('…').count(), 3, "{}", e.text);
        assert_eq!(e.to_file(e.to_excerpt(100)), 100);
        assert_eq!(e.to_file(e.to_excerpt(1102)), 1102);
        assert!(e.text.len() < 4 * EXCERPT_CONTEXT + 20);
    }

    #[test]
    fn multi_byte_characters_are_never_split() {
        let text = "é".repeat(3000);
        let map = file(&text);
        let f = map.iter().next().unwrap().1;
        let e = Excerpt::new(f, std::slice::from_ref(&(3000..3002)));
        // The span's one character and the context on each side.
        assert_eq!(
            e.text.chars().filter(|c| *c == 'é').count(),
            2 * EXCERPT_CONTEXT + 1
        );
    }
}
