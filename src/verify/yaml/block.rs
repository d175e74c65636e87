//! The commonest case of [`super::parse`], read straight from the text.
//!
//! What egressc's backends emit and `kubectl get -o yaml` prints is a small part of YAML: block
//! mappings and lists, one plain or simply quoted scalar per line, comments and `---` between
//! documents. This module reads that part line by line into the tree the parser's events give
//! (`events.rs`), positions included, without a tokenizer, a parser's state machine or an
//! event per node. It answers only where it is sure: anything else (a byte outside printable
//! ASCII, a tab, a carriage return, a flow collection, an anchor, alias or tag, a block scalar,
//! a scalar over several lines, a double-quoted escape, a directive, an indentation it does not
//! expect, a duplicate key, a scalar whose type the event reader leaves to serde-saphyr, a
//! stream near a limit) gives `None`, and the text is read again by the event reader, which
//! gives the answer (or the error) it always gave. `src/verify/tests/yaml_events.rs` holds the
//! three readings equal.

use std::borrow::Cow;
use std::collections::BTreeSet;

use serde_saphyr::granit_parser::ScalarStyle;

use super::events::{self, MARGIN};
use super::{Document, Entry, Limits, Node, Pos, Value};

/// The longest plain key read here: the parser looks no further ahead for a key's `:`.
const KEY_LOOKAHEAD: usize = 1000;

/// The stream as documents, or `None` when the event reader must read it.
pub fn parse(text: &str, limits: Limits) -> Option<Vec<Document>> {
    // Printable ASCII and line feeds only: no byte order mark, tab, carriage return, control
    // character or multi-byte character, so a column is a byte count and a line ends at `\n`.
    if !text
        .bytes()
        .all(|b| b == b'\n' || (b' '..=b'~').contains(&b))
    {
        return None;
    }
    let mut scan = Scan {
        text,
        bytes: text.as_bytes(),
        next_line: 0,
        number: 0,
        current: None,
        nodes: limits.nodes.saturating_sub(MARGIN),
        // Stream start and end are two events.
        events: limits
            .nodes
            .saturating_mul(2)
            .saturating_sub(MARGIN)
            .checked_sub(2)?,
        scalar_bytes: limits.bytes / 2,
        depth: limits.depth.saturating_sub(2),
    };
    scan.advance();
    let mut docs = Vec::new();
    let mut documents = 0usize;
    let mut first = true;
    loop {
        // A document starts at the top of the stream or at a `---` line.
        match scan.current {
            None => break,
            Some(line) if scan.marker(line) => {
                let dashes = scan.bytes.get(line.start) == Some(&b'-');
                if !dashes || !scan.rest_is_empty(line.content() + 3)? {
                    return None;
                }
                scan.advance();
            }
            Some(_) if first => {}
            Some(_) => return None,
        }
        first = false;
        documents += 1;
        if documents.saturating_add(MARGIN) > limits.documents {
            return None;
        }
        scan.events = scan.events.checked_sub(2)?;
        match scan.current {
            Some(line) if !scan.marker(line) => {
                if line.indent != 0 {
                    return None;
                }
                let root = scan.collection(line, line.start, 0)?;
                docs.push(Document {
                    number: docs.len() + 1,
                    root,
                });
            }
            // An empty document (a null), left out.
            _ => scan.count_node(1)?,
        }
    }
    Some(docs)
}

/// A line with something on it: where it starts and ends (at its `\n` or the end of the
/// text), how many spaces it starts with, and its number (from 1).
#[derive(Clone, Copy, Debug)]
struct Line {
    start: usize,
    end: usize,
    indent: usize,
    number: u32,
}

impl Line {
    /// Where its content starts.
    fn content(self) -> usize {
        self.start + self.indent
    }
}

struct Scan<'a> {
    text: &'a str,
    bytes: &'a [u8],
    /// Where the line after `current` starts.
    next_line: usize,
    /// The number of the last line looked at.
    number: u32,
    /// The next line with something on it but a comment, `None` at the end of the text.
    current: Option<Line>,
    /// Nodes still allowed.
    nodes: usize,
    /// Events still allowed.
    events: usize,
    /// Bytes of scalar text still allowed.
    scalar_bytes: usize,
    /// Nesting allowed.
    depth: usize,
}

impl<'a> Scan<'a> {
    /// Moves `current` to the next line that holds more than spaces and a comment.
    fn advance(&mut self) {
        self.current = None;
        while self.next_line < self.bytes.len() {
            let start = self.next_line;
            let end = self
                .bytes
                .get(start..)
                .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
                .map_or(self.bytes.len(), |i| start + i);
            self.next_line = end + 1;
            self.number = self.number.saturating_add(1);
            let indent = self
                .bytes
                .get(start..end)
                .map_or(0, |l| l.iter().take_while(|&&b| b == b' ').count());
            match self.bytes.get(start + indent) {
                None | Some(b'\n' | b'#') => {}
                Some(_) => {
                    self.current = Some(Line {
                        start,
                        end,
                        indent,
                        number: self.number,
                    });
                    return;
                }
            }
        }
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    /// Whether the line is a document marker (`---` or `...` in the first column, alone or
    /// before a space).
    fn marker(&self, line: Line) -> bool {
        line.indent == 0
            && matches!(
                self.bytes.get(line.start..line.start + 3),
                Some(b"---" | b"...")
            )
            && matches!(self.byte(line.start + 3), None | Some(b' ' | b'\n'))
    }

    /// Whether nothing but spaces and a comment stands from `at` to the end of its line;
    /// `None` for a `#` that no space precedes.
    fn rest_is_empty(&self, at: usize) -> Option<bool> {
        let mut i = at;
        while self.byte(i) == Some(b' ') {
            i += 1;
        }
        match self.byte(i) {
            None | Some(b'\n') => Some(true),
            Some(b'#') if i > at => Some(true),
            Some(b'#') => None,
            Some(_) => Some(false),
        }
    }

    /// Whether a list entry (`-` before a space or the end of the line) starts at `at`.
    fn dash(&self, at: usize) -> bool {
        self.byte(at) == Some(b'-') && matches!(self.byte(at + 1), None | Some(b' ' | b'\n'))
    }

    fn pos(line: Line, at: usize) -> Option<Pos> {
        Some(Pos {
            line: line.number,
            column: u32::try_from(at.checked_sub(line.start)?.checked_add(1)?).ok()?,
            offset: Some(at),
        })
    }

    fn count_node(&mut self, events: usize) -> Option<()> {
        self.nodes = self.nodes.checked_sub(1)?;
        self.events = self.events.checked_sub(events)?;
        Some(())
    }

    fn count_text(&mut self, text: &str) -> Option<()> {
        self.scalar_bytes = self.scalar_bytes.checked_sub(text.len())?;
        Some(())
    }

    /// The mapping or list that starts at `at` on `line` (its first key, or its first `-` at
    /// the start of the line), read to its end.
    fn collection(&mut self, line: Line, at: usize, depth: usize) -> Option<Node> {
        if depth >= self.depth {
            return None;
        }
        if self.dash(at) {
            (at == line.content()).then_some(())?;
            self.list(line, depth, false)
        } else {
            self.mapping(line, at, depth)
        }
    }

    /// The list whose first `-` starts `line`. It stands where its first `-` does, or, when
    /// it is a key's value at the key's own indentation (`indentless`: the parser has no token
    /// for its start), where the first entry's line goes on after the `-` (at its end when
    /// nothing does).
    fn list(&mut self, first: Line, depth: usize, indentless: bool) -> Option<Node> {
        self.count_node(2)?;
        let indent = first.indent;
        let mut at = Self::pos(first, first.content())?;
        let mut items = Vec::new();
        let mut line = first;
        loop {
            let dash = line.content();
            let mut after = dash + 1;
            while self.byte(after) == Some(b' ') {
                after += 1;
            }
            let alone = self.rest_is_empty(dash + 1)?;
            if indentless && items.is_empty() {
                at = Self::pos(line, if alone { line.end } else { after })?;
            }
            let item = if alone {
                self.advance();
                // A null entry stands at the end of its line.
                self.below(line, line.end, indent, depth)?
            } else if self.dash(after) {
                // A list in a list on one line (`- - a`).
                return None;
            } else {
                self.inline(line, after, depth)?
            };
            items.push(item);
            match self.current {
                Some(next) if next.indent == indent && self.dash(next.content()) => line = next,
                Some(next) if next.indent > indent => return None,
                _ => break,
            }
        }
        Some(Node {
            value: Value::List(items),
            pos: at,
        })
    }

    /// The mapping whose first key starts at `at` on `first`.
    fn mapping(&mut self, first: Line, at: usize, depth: usize) -> Option<Node> {
        self.count_node(2)?;
        let indent = at.checked_sub(first.start)?;
        let pos = Self::pos(first, at)?;
        let mut entries: Vec<Entry> = Vec::new();
        let mut seen = BTreeSet::new();
        let mut line = first;
        let mut at = at;
        loop {
            let (key, colon) = self.key(line, at)?;
            self.nodes = self.nodes.checked_sub(1)?;
            self.events = self.events.checked_sub(1)?;
            self.count_text(&key)?;
            if events::duplicate(&entries, &mut seen, &key) {
                return None;
            }
            let key_pos = Self::pos(line, at)?;
            let value = if self.rest_is_empty(colon + 1)? {
                self.advance();
                match self.current {
                    // A list as a key's value may stand at the key's own indentation.
                    Some(next)
                        if next.indent == indent
                            && self.dash(next.content())
                            && !self.marker(next) =>
                    {
                        self.list_below(next, depth)?
                    }
                    // A null value stands at the `:`.
                    _ => self.below(line, colon, indent, depth)?,
                }
            } else {
                let mut v = colon + 1;
                while self.byte(v) == Some(b' ') {
                    v += 1;
                }
                self.scalar_line(line, v, depth)?
            };
            entries.push(Entry {
                key,
                key_pos,
                value,
            });
            match self.current {
                Some(next) if next.indent == indent && !self.marker(next) => {
                    line = next;
                    at = next.content();
                }
                Some(next) if next.indent > indent => return None,
                _ => break,
            }
        }
        Some(Node {
            value: Value::Map(entries),
            pos,
        })
    }

    /// A list at a key's own indentation, its value.
    fn list_below(&mut self, line: Line, depth: usize) -> Option<Node> {
        if depth + 1 >= self.depth {
            return None;
        }
        self.list(line, depth + 1, true)
    }

    /// The value of a key or a list entry whose line holds nothing more: the collection on
    /// the next lines indented deeper than `indent`, or a null at `null_at` on `line`.
    fn below(&mut self, line: Line, null_at: usize, indent: usize, depth: usize) -> Option<Node> {
        match self.current {
            Some(next) if next.indent > indent => {
                let start = next.content();
                // A scalar alone on its line may go on over the next ones: the event reader
                // reads it.
                if !self.dash(start) && !self.is_key(next, start) {
                    return None;
                }
                self.collection(next, start, depth + 1)
            }
            _ => {
                self.count_node(1)?;
                Some(Node {
                    value: Value::Null,
                    pos: Self::pos(line, null_at)?,
                })
            }
        }
    }

    /// What follows `- ` on a line (at `at`): a mapping whose first key is there, or a
    /// scalar alone.
    fn inline(&mut self, line: Line, at: usize, depth: usize) -> Option<Node> {
        if self.is_key(line, at) {
            self.collection(line, at, depth + 1)
        } else {
            self.scalar_line(line, at, depth)
        }
    }

    /// The value that starts at `at` and ends its line (`{}`, `[]` or a scalar), after which
    /// the next line may not go on with it (no deeper indentation).
    fn scalar_line(&mut self, line: Line, at: usize, depth: usize) -> Option<Node> {
        let pos = Self::pos(line, at)?;
        let value = match self.bytes.get(at..at + 2) {
            Some(b"{}" | b"[]") => {
                // An empty collection in flow style, as kubectl prints `podSelector: {}`.
                if depth + 1 >= self.depth || !self.rest_is_empty(at + 2)? {
                    return None;
                }
                self.count_node(2)?;
                if self.byte(at) == Some(b'{') {
                    Value::Map(Vec::new())
                } else {
                    Value::List(Vec::new())
                }
            }
            _ => {
                let (text, style, end) = self.scalar(line, at, false)?;
                self.rest_is_empty(end)?.then_some(())?;
                self.count_node(1)?;
                self.count_text(&text)?;
                events::scalar(&text, style)?
            }
        };
        self.advance();
        Some(Node { value, pos })
    }

    /// Whether a key starts at `at` (a scalar followed by `:` and a space or the end of the
    /// line).
    fn is_key(&self, line: Line, at: usize) -> bool {
        self.scalar(line, at, true).is_some()
    }

    /// The key that starts at `at` as text, and where its `:` stands.
    fn key(&self, line: Line, at: usize) -> Option<(String, usize)> {
        let (text, style, end) = self.scalar(line, at, true)?;
        Some((events::key(text, style)?, end))
    }

    /// The scalar quoted with `quote` that starts at `at` and closes on its line: its text,
    /// escapes undone (`''` in single quotes; in double quotes the escapes egressc's writer
    /// and kubectl use, any other left to the event reader), and where it ends.
    fn quoted(&self, line: Line, at: usize, quote: u8) -> Option<(Cow<'a, str>, usize)> {
        let text = self.text;
        let rest = self.bytes.get(at + 1..line.end)?;
        let mut owned: Option<String> = None;
        let (mut i, mut from) = (0, 0);
        let close = loop {
            let b = *rest.get(i)?;
            let escaped = match (quote, b) {
                (b'\'', b'\'') if rest.get(i + 1) == Some(&b'\'') => '\'',
                (b'"', b'\\') => match rest.get(i + 1)? {
                    b'\\' => '\\',
                    b'"' => '"',
                    b'/' => '/',
                    b'n' => '\n',
                    b't' => '\t',
                    _ => return None,
                },
                _ if b == quote => break i,
                _ => {
                    i += 1;
                    continue;
                }
            };
            let s = owned.get_or_insert_with(String::new);
            s.push_str(text.get(at + 1 + from..at + 1 + i)?);
            s.push(escaped);
            i += 2;
            from = i;
        };
        let tail = text.get(at + 1 + from..at + 1 + close)?;
        let value = match owned {
            Some(mut s) => {
                s.push_str(tail);
                Cow::Owned(s)
            }
            None => Cow::Borrowed(tail),
        };
        Some((value, at + close + 2))
    }

    /// The scalar on one line that starts at `at`: its text, its style, and where it ends. A
    /// key (`as_key`) ends at the `:` that follows it, which must be there; a value at the
    /// end of the line or before a comment, and may hold no `: `.
    fn scalar(
        &self,
        line: Line,
        at: usize,
        as_key: bool,
    ) -> Option<(Cow<'a, str>, ScalarStyle, usize)> {
        let text = self.text;
        let (value, style, end) = match self.byte(at)? {
            q @ (b'\'' | b'"') => {
                let (value, end) = self.quoted(line, at, q)?;
                let style = if q == b'"' {
                    ScalarStyle::DoubleQuoted
                } else {
                    ScalarStyle::SingleQuoted
                };
                (value, style, end)
            }
            first => {
                // What may start a plain scalar here: not an indicator, nor a space.
                if b"-?:,[]{}#&*!|>'\"%@` ".contains(&first) {
                    return None;
                }
                let rest = self.bytes.get(at..line.end)?;
                let mut end = rest.len();
                let mut colon = None;
                for (i, pair) in rest.windows(2).enumerate() {
                    match pair {
                        [b' ', b'#'] => {
                            end = i;
                            break;
                        }
                        [b':', b' '] => {
                            colon = Some(i);
                            break;
                        }
                        _ => {}
                    }
                }
                if colon.is_none() && end == rest.len() && rest.last() == Some(&b':') {
                    colon = Some(rest.len() - 1);
                }
                if let Some(c) = colon {
                    if !as_key || c > KEY_LOOKAHEAD {
                        return None;
                    }
                    end = c;
                } else if as_key {
                    return None;
                }
                let body = rest.get(..end)?;
                let trimmed = body.len() - body.iter().rev().take_while(|&&b| b == b' ').count();
                if as_key && trimmed != body.len() {
                    return None;
                }
                let value = Cow::Borrowed(text.get(at..at + trimmed)?);
                (value, ScalarStyle::Plain, at + end)
            }
        };
        if as_key {
            (end - at <= KEY_LOOKAHEAD && self.byte(end) == Some(b':')).then_some(())?;
            matches!(self.byte(end + 1), None | Some(b' ' | b'\n')).then_some(())?;
        }
        Some((value, style, end))
    }
}
