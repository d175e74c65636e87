//! Byte offsets ↔ protocol positions.
//!
//! The compiler's spans are byte offsets; the protocol counts lines and, within a line, UTF-16
//! code units. Lines end at `\n`, `\r\n` or `\r`, as in the grammar's `NEWLINE` and in the
//! protocol. Every conversion clamps: an offset past the end, inside a multi-byte character, a
//! line past the last one or a column inside a surrogate pair never fails.

use lsp_types::{Position, Range};

/// Where the lines of one text start.
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset of the first character of each line; `starts[0] == 0`.
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        for (i, b) in bytes.iter().enumerate() {
            match b {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
                _ => {}
            }
        }
        LineIndex { starts }
    }

    /// The byte offset where line `line` starts and where its content ends (before the line
    /// break), or `None` past the last line.
    fn line_bounds(&self, text: &str, line: usize) -> Option<(usize, usize)> {
        let start = *self.starts.get(line)?;
        let end = match self.starts.get(line + 1) {
            Some(&next) => {
                let before = text.get(..next).unwrap_or_default();
                if before.ends_with("\r\n") {
                    next - 2
                } else {
                    next - 1
                }
            }
            None => text.len(),
        };
        Some((start, end.max(start)))
    }

    /// The protocol position of a byte offset.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(text, offset);
        let line = self
            .starts
            .partition_point(|s| *s <= offset)
            .saturating_sub(1);
        let (start, end) = self.line_bounds(text, line).unwrap_or((0, 0));
        // The `\n` of a `\r\n` is not a place of its own: it counts as the end of the line.
        let character = text
            .get(start..offset.min(end))
            .map(|s| s.encode_utf16().count())
            .unwrap_or(0);
        Position::new(to_u32(line), to_u32(character))
    }

    /// The byte offset of a protocol position: a column past the line's end means the end of
    /// the line, a line past the last one the end of the text, and a column inside a surrogate
    /// pair the start of that character.
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let Some((start, end)) = self.line_bounds(text, pos.line as usize) else {
            return text.len();
        };
        let wanted = pos.character as usize;
        let mut units = 0;
        for (i, c) in text.get(start..end).unwrap_or_default().char_indices() {
            if units + c.len_utf16() > wanted {
                return start + i;
            }
            units += c.len_utf16();
        }
        end
    }

    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range::new(
            self.position(text, start),
            self.position(text, end.max(start)),
        )
    }

    /// The byte offsets of a protocol range, in order.
    pub fn offsets(&self, text: &str, range: Range) -> (usize, usize) {
        let a = self.offset(text, range.start);
        let b = self.offset(text, range.end);
        (a.min(b), a.max(b))
    }

    /// Byte offset of the start of the line holding `offset`.
    pub fn line_start(&self, offset: usize) -> usize {
        let line = self
            .starts
            .partition_point(|s| *s <= offset)
            .saturating_sub(1);
        self.starts.get(line).copied().unwrap_or(0)
    }
}

/// The largest character boundary at or before `offset` (clamped to the text).
pub fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut o = offset.min(text.len());
    while o > 0 && !text.is_char_boundary(o) {
        o -= 1;
    }
    o
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
#[allow(clippy::string_slice, reason = "tests slice at offsets they computed")]
mod tests {
    use super::*;

    fn round_trip(text: &str) {
        let index = LineIndex::new(text);
        for (offset, _) in text.char_indices() {
            if text[..offset].ends_with('\r') && text[offset..].starts_with('\n') {
                continue;
            }
            let pos = index.position(text, offset);
            assert_eq!(index.offset(text, pos), offset, "{text:?} at {offset}");
        }
    }

    #[test]
    fn ascii_lines() {
        let text = "ab\ncd\n";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 0), Position::new(0, 0));
        assert_eq!(index.position(text, 4), Position::new(1, 1));
        assert_eq!(index.position(text, 6), Position::new(2, 0));
        assert_eq!(index.offset(text, Position::new(1, 1)), 4);
        round_trip(text);
    }

    #[test]
    fn utf16_columns() {
        // `é` is 2 bytes and 1 UTF-16 unit; `🦀` is 4 bytes and 2 units (a surrogate pair).
        let text = "# é🦀 x\napp é -> dns\n";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(index.position(text, x), Position::new(0, 6));
        assert_eq!(index.offset(text, Position::new(0, 6)), x);
        // A column inside the surrogate pair snaps to the start of the crab.
        let crab = text.find('🦀').unwrap();
        assert_eq!(index.offset(text, Position::new(0, 3)), crab);
        assert_eq!(index.offset(text, Position::new(0, 4)), crab);
        assert_eq!(index.offset(text, Position::new(0, 5)), crab + 4);
        // An offset inside a multi-byte character counts as its start.
        assert_eq!(index.position(text, crab + 1), Position::new(0, 3));
        round_trip(text);
    }

    #[test]
    fn clamps_out_of_range() {
        let text = "ab\r\ncd";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(text, Position::new(0, 99)), 2);
        assert_eq!(index.offset(text, Position::new(7, 0)), text.len());
        assert_eq!(index.position(text, 999), Position::new(1, 2));
        round_trip(text);
    }

    #[test]
    fn every_line_break_counts() {
        let text = "a\rb\r\nc\nd";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 2), Position::new(1, 0));
        assert_eq!(index.position(text, 5), Position::new(2, 0));
        assert_eq!(index.position(text, 7), Position::new(3, 0));
        assert_eq!(index.offset(text, Position::new(1, 5)), 3);
        round_trip(text);
        round_trip("");
        round_trip("\r\r\n\n🦀\r");
    }
}
