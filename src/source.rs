//! Source files, file ids and spans: the leaf every stage may import.
//!
//! A [`Span`] is a small `Copy` value (file id plus byte range). Spans never take part in
//! equality of the values that carry them where structure is compared; they exist to point
//! diagnostics at user source.

use std::borrow::Cow;
use std::fmt;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// The smallest span covering both (same file assumed; otherwise `self`).
    pub fn to(self, other: Span) -> Span {
        if self.file != other.file {
            return self;
        }
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The span `delta` bytes further (earlier when negative) when it is in `file`, as text
    /// inserted or removed before it moves it; else the span itself. A bound moved out of
    /// range saturates.
    pub fn moved(self, file: FileId, delta: i64) -> Span {
        if self.file != file || delta == 0 {
            return self;
        }
        let at = |x: u32| u32::try_from((i64::from(x) + delta).max(0)).unwrap_or(u32::MAX);
        Span {
            file,
            start: at(self.start),
            end: at(self.end),
        }
    }
}

/// A value with the span it came from.
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

impl<T: fmt::Display> fmt::Display for Spanned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.node.fmt(f)
    }
}

/// Bytes between two entries of [`SourceFile`]'s character index.
const CHAR_BLOCK: usize = 256;

/// One loaded file: its display name and its text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    /// Byte offsets at which lines start.
    line_starts: Vec<usize>,
    /// Characters before byte `i * CHAR_BLOCK`, so that a column is counted in at most one
    /// block however long its line is.
    chars_before_block: Vec<usize>,
}

impl SourceFile {
    fn new(name: String, text: String) -> SourceFile {
        let name = match printable(&name) {
            Cow::Borrowed(_) => name,
            Cow::Owned(escaped) => escaped,
        };
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let mut chars_before_block = vec![0];
        let mut count = 0;
        for block in text.as_bytes().chunks(CHAR_BLOCK) {
            count += chars_in(block);
            chars_before_block.push(count);
        }
        SourceFile {
            name,
            text,
            line_starts,
            chars_before_block,
        }
    }

    /// Characters that start before byte `offset` (at most the text's length).
    fn chars_before(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        let block = offset / CHAR_BLOCK;
        let before = self.chars_before_block.get(block).copied().unwrap_or(0);
        let rest = self
            .text
            .as_bytes()
            .get(block * CHAR_BLOCK..offset)
            .unwrap_or_default();
        before + chars_in(rest)
    }

    /// The 0-based line of a byte offset (binary search in the line starts).
    pub fn line_index(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        self.line_starts
            .partition_point(|s| *s <= offset)
            .saturating_sub(1)
    }

    /// 1-based line and column (in characters) of a byte offset, in time independent of the
    /// length of the line.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_index(offset);
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let col = self.chars_before(offset) - self.chars_before(start);
        (line + 1, col + 1)
    }

    /// The byte range of line `line` (0-based), without its line break; `None` past the end.
    pub fn line_range(&self, line: usize) -> Option<std::ops::Range<usize>> {
        let start = *self.line_starts.get(line)?;
        let end = match self.line_starts.get(line + 1) {
            Some(next) => next - 1,
            None => self.text.len(),
        };
        let end = if self.text.get(..end)?.ends_with('\r') {
            end - 1
        } else {
            end
        };
        Some(start..end.max(start))
    }

    /// The byte offsets of line starts (for renderers and the language server).
    pub fn line_starts(&self) -> &[usize] {
        &self.line_starts
    }

    /// The source text a span covers (empty if out of range).
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

/// Whether a character must not be shown as is in a name: it could end a line (of a YAML
/// comment, a log, a workflow command), drive a terminal, or make text read in another order.
fn unsafe_in_names(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' // line and paragraph separators (line breaks in YAML 1.1)
            | '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' // bidirectional controls
            | '\u{feff}' | '\u{fffe}' | '\u{ffff}' // byte-order mark and non-characters
        )
}

/// `text` with every character that could break a line, drive a terminal or reorder text
/// escaped (`\n`, `\t`, `\r`, else `\u{..}`). Names from outside the program's meaning (file
/// names) pass through here before anything shows them: a [`SourceMap`] stores only escaped
/// names, so headers of emitted YAML and every diagnostic format are safe from them. Escaping
/// twice changes nothing (a backslash is kept as is).
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_in_names) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_in_names(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Characters that start in `bytes` (UTF-8 continuation bytes start none).
fn chars_in(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| (**b & 0xC0) != 0x80).count()
}

/// Every file of one compilation: the standard library first, then the user's files.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile::new(name.into(), text.into()));
        id
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn name(&self, id: FileId) -> &str {
        self.get(id).map(|f| f.name.as_str()).unwrap_or("<unknown>")
    }

    pub fn slice(&self, span: Span) -> &str {
        self.get(span.file).map(|f| f.slice(span)).unwrap_or("")
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(u32::try_from(i).unwrap_or(u32::MAX)), f))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let mut map = SourceMap::new();
        let id = map.add("a", "ab\ncé d\n");
        let f = map.get(id).unwrap();
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        // "cé " is 4 bytes, 3 characters
        assert_eq!(f.line_col(7), (2, 4));
    }

    #[test]
    fn names_are_stored_escaped() {
        let mut map = SourceMap::new();
        let id = map.add(
            "x\n---\napiVersion: v1\r\u{85}\u{2028}\u{202e}\u{1b}[31m.egress",
            "",
        );
        let name = map.name(id);
        assert_eq!(
            name,
            "x\\n---\\napiVersion: v1\\r\\u{85}\\u{2028}\\u{202e}\\u{1b}[31m.egress"
        );
        assert_eq!(printable(name), name, "escaping twice changes nothing");
        assert_eq!(
            printable("policies/payments.egress"),
            "policies/payments.egress"
        );
    }

    #[test]
    fn line_col_counts_characters_across_index_blocks() {
        let text = format!("x\n{}é{}", "a".repeat(300), "b".repeat(600));
        let mut map = SourceMap::new();
        let id = map.add("a", text.clone());
        let f = map.get(id).unwrap();
        for offset in [
            0,
            1,
            2,
            255,
            256,
            257,
            302,
            304,
            511,
            512,
            800,
            text.len(),
            5000,
        ] {
            let before = text.as_bytes().get(..offset.min(text.len())).unwrap();
            let line_start = before
                .iter()
                .rposition(|b| *b == b'\n')
                .map(|i| i + 1)
                .unwrap_or(0);
            let want = (
                before.iter().filter(|b| **b == b'\n').count() + 1,
                chars_in(before.get(line_start..).unwrap()) + 1,
            );
            assert_eq!(f.line_col(offset), want, "offset {offset}");
        }
    }

    #[test]
    fn line_ranges_leave_out_line_breaks() {
        let mut map = SourceMap::new();
        let id = map.add("a", "ab\r\ncd\n\nef");
        let f = map.get(id).unwrap();
        assert_eq!(f.line_range(0), Some(0..2));
        assert_eq!(f.line_range(1), Some(4..6));
        assert_eq!(f.line_range(2), Some(7..7));
        assert_eq!(f.line_range(3), Some(8..10));
        assert_eq!(f.line_range(4), None);
        assert_eq!(f.line_index(5), 1);
    }
}
