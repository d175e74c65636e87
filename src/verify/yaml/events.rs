//! The common case of [`super::parse`], read straight from the parser's events (when the
//! block reader of `block.rs` does not answer).
//!
//! serde-saphyr's `Spanned` wrapper gives every node its position by replaying each node as a
//! struct with two locations, which costs more than the parsing itself on the streams egressc
//! reads (10,000 policies: most of the time of an import). Most streams hold nothing but plain
//! mappings, lists and scalars whose type is beyond doubt, so this module builds the tree from
//! granit-parser's events (serde-saphyr's own parser, with the options serde-saphyr gives it),
//! taking each position from the event's span as serde-saphyr does.
//!
//! It answers only where its answer is serde-saphyr's: anything else (an error, a tag, an
//! anchor or alias, a merge key, a duplicate key, a plain scalar whose type is not certain from
//! its text, a stream near a limit) gives `None`, and the text is read again through
//! serde-saphyr, which gives the answer (or the error) it always gave.
//! `src/verify/tests/yaml_events.rs` holds the two readings equal on every YAML file of the
//! repository and on emitted streams.

use std::collections::BTreeSet;

use serde_saphyr::granit_parser::{self, Event, Parser, ScalarStyle, Span, StrInput};

use super::{Document, Entry, Limits, Node, Pos, Value};

/// Below this many keys a duplicate is looked for among the entries, above it in a set.
const SMALL: usize = 16;

/// How far from each of serde-saphyr's budgets this reader stops.
pub(super) const MARGIN: usize = 16;

/// The stream as documents, or `None` when serde-saphyr must read it.
pub fn parse(text: &str, limits: Limits) -> Option<Vec<Document>> {
    // serde-saphyr's parser options for these limits (`Budget::parser_options`).
    let options = granit_parser::options! {
        simple_key_max_lookahead: 1024,
        flow_nesting_limit: limits.depth,
        block_nesting_limit: granit_parser::Options::default()
            .block_nesting_limit
            .max(limits.depth.saturating_add(1)),
        emit_comments: false,
    };
    // serde-saphyr counts nodes (scalars and collections), events and scalar bytes over the
    // whole stream; this reader stops a little before each budget, and before the depth limit.
    let mut reader = Events {
        parser: Parser::new_from_str_with_options(text, options),
        nodes: limits.nodes.saturating_sub(MARGIN),
        events: limits.nodes.saturating_mul(2).saturating_sub(MARGIN),
        scalar_bytes: limits.bytes / 2,
        depth: limits.depth.saturating_sub(2),
    };
    let mut docs = Vec::new();
    let mut documents = 0usize;
    loop {
        let (event, _) = reader.next()?;
        match event {
            Event::StreamStart => {}
            Event::StreamEnd => break,
            Event::DocumentStart(..) => {
                documents += 1;
                if documents.saturating_add(MARGIN) > limits.documents {
                    return None;
                }
                let (event, span) = reader.next()?;
                let root = reader.node(event, span, 0)?;
                match reader.next()? {
                    (Event::DocumentEnd, _) => {}
                    _ => return None,
                }
                if root.value != Value::Null {
                    docs.push(Document {
                        number: docs.len() + 1,
                        root,
                    });
                }
            }
            _ => return None,
        }
    }
    // Nothing may follow the end of the stream.
    match reader.parser.next() {
        None => Some(docs),
        Some(_) => None,
    }
}

struct Events<'a> {
    parser: Parser<'a, StrInput<'a>>,
    /// Nodes still allowed.
    nodes: usize,
    /// Events still allowed.
    events: usize,
    /// Bytes of scalar text still allowed.
    scalar_bytes: usize,
    /// Nesting allowed.
    depth: usize,
}

impl<'a> Events<'a> {
    fn next(&mut self) -> Option<(Event<'a>, Span)> {
        self.events = self.events.checked_sub(1)?;
        let (event, span) = self.parser.next()?.ok()?;
        if let Event::Scalar(text, ..) = &event {
            self.scalar_bytes = self.scalar_bytes.checked_sub(text.len())?;
        }
        Some((event, span))
    }

    /// The node that starts with `event`, read to its end.
    fn node(&mut self, event: Event<'a>, span: Span, depth: usize) -> Option<Node> {
        self.nodes = self.nodes.checked_sub(1)?;
        let at = pos(&span)?;
        let value = match event {
            Event::Scalar(text, style, 0, None) => scalar(&text, style)?,
            Event::SequenceStart(_, 0, None) if depth < self.depth => {
                let mut items = Vec::new();
                loop {
                    match self.next()? {
                        (Event::SequenceEnd, _) => break,
                        (event, span) => items.push(self.node(event, span, depth + 1)?),
                    }
                }
                Value::List(items)
            }
            Event::MappingStart(_, 0, None) if depth < self.depth => {
                let mut entries: Vec<Entry> = Vec::new();
                let mut seen = BTreeSet::new();
                loop {
                    let (key, key_span) = match self.next()? {
                        (Event::MappingEnd, _) => break,
                        (Event::Scalar(text, style, 0, None), span) => (key(text, style)?, span),
                        _ => return None,
                    };
                    self.nodes = self.nodes.checked_sub(1)?;
                    if duplicate(&entries, &mut seen, &key) {
                        return None;
                    }
                    let (event, span) = self.next()?;
                    let value = self.node(event, span, depth + 1)?;
                    entries.push(Entry {
                        key,
                        key_pos: pos(&key_span)?,
                        value,
                    });
                }
                Value::Map(entries)
            }
            _ => return None,
        };
        Some(Node { value, pos: at })
    }
}

/// Whether `key` is among the keys of `entries` (`seen` holds them once there are many).
pub(super) fn duplicate(entries: &[Entry], seen: &mut BTreeSet<String>, key: &str) -> bool {
    if entries.len() < SMALL {
        entries.iter().any(|e| e.key == key)
    } else {
        if seen.is_empty() {
            seen.extend(entries.iter().map(|e| e.key.clone()));
        }
        !seen.insert(key.to_owned())
    }
}

/// Where a node starts, as serde-saphyr's `Location` gives it: the line, the column counted
/// from 1, and the byte offset when the span has one at both ends.
fn pos(span: &Span) -> Option<Pos> {
    let start = &span.start;
    let offset = match (start.byte_offset(), span.end.byte_offset()) {
        (Some(s), Some(_)) => Some(s),
        _ => None,
    };
    Some(Pos {
        line: u32::try_from(start.line()).ok()?,
        column: u32::try_from(start.col().checked_add(1)?).ok()?,
        offset,
    })
}

/// A mapping key as text, when serde-saphyr would read it as that text.
pub(super) fn key(text: std::borrow::Cow<'_, str>, style: ScalarStyle) -> Option<String> {
    let plain_word = text.bytes().next().is_some_and(|c| c.is_ascii_alphabetic());
    match style {
        ScalarStyle::Plain if !plain_word || ambiguous(&text) => None,
        _ => Some(text.into_owned()),
    }
}

/// A scalar typed as serde-saphyr types it in an untyped position, when its text leaves no
/// doubt: quoted and block scalars are strings; an empty plain one is null; plain ones that
/// start with a letter are null (`null`, `Null`, `NULL`), booleans (YAML 1.1 spellings) or
/// strings (but for the spellings of infinity and not-a-number); plain ones of decimal digits
/// without a leading zero that fit in 64 bits are integers, and plain ones that start with a
/// digit and hold a `/` or a `:` (an address range, a port range) are strings, which no YAML
/// 1.2 number is, as are plain ones that start with `/` (a path). Anything else is left to
/// serde-saphyr.
pub(super) fn scalar(text: &str, style: ScalarStyle) -> Option<Value> {
    if style != ScalarStyle::Plain {
        return Some(Value::Str(text.to_owned()));
    }
    let bytes = text.as_bytes();
    let Some(&first) = bytes.first() else {
        return Some(Value::Null);
    };
    if first.is_ascii_alphabetic() {
        if matches!(text, "null" | "Null" | "NULL") {
            return Some(Value::Null);
        }
        if let Some(b) = yaml11_bool(text) {
            return Some(Value::Bool(b));
        }
        return (!ambiguous(text)).then(|| Value::Str(text.to_owned()));
    }
    // A path (`/api/v1`): no number, boolean or null starts with `/`.
    if first == b'/' {
        return Some(Value::Str(text.to_owned()));
    }
    if first.is_ascii_digit() {
        if bytes.iter().all(u8::is_ascii_digit) {
            if (bytes.len() > 1 && first == b'0') || bytes.len() > 18 {
                return None;
            }
            return text.parse::<i64>().ok().map(|n| Value::Int(n.into()));
        }
        if bytes.iter().any(|c| matches!(c, b'/' | b':'))
            && !bytes.iter().any(u8::is_ascii_whitespace)
        {
            return Some(Value::Str(text.to_owned()));
        }
    }
    None
}

/// A YAML 1.1 boolean, as serde-saphyr reads one where no type is asked for (its
/// `strict_booleans` is off): `true`, `yes`, `y`, `on` and their opposites, in any case.
fn yaml11_bool(word: &str) -> Option<bool> {
    let is = |words: [&str; 4]| words.iter().any(|w| word.eq_ignore_ascii_case(w));
    if is(["true", "yes", "y", "on"]) {
        Some(true)
    } else if is(["false", "no", "n", "off"]) {
        Some(false)
    } else {
        None
    }
}

/// Words that serde-saphyr may read as something other than a string: YAML 1.1 booleans,
/// nulls, and the spellings of infinity and not-a-number.
fn ambiguous(word: &str) -> bool {
    [
        "y", "yes", "n", "no", "true", "false", "on", "off", "null", "inf", "infinity", "nan",
    ]
    .iter()
    .any(|w| word.eq_ignore_ascii_case(w))
        || word.contains(['\t', '\r', '\n'])
        || word.starts_with("<<")
}
