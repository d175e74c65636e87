//! A YAML stream as a tree whose every node (and every mapping key) knows where it stands in the
//! text: line, column and byte offset. The evaluators read emitted YAML through it, and an
//! importer reads YAML written by people the same way, so that a complaint can point at the line.
//!
//! serde-saphyr does the parsing (YAML 1.2, the same scalar typing as everywhere else in egressc)
//! and its `Spanned` wrapper supplies the positions. Two faster readers answer first where they
//! are sure to give its answer: the block subset that egressc emits and kubectl prints is read
//! straight from the text (`yaml/block.rs`), the rest of the plain streams from the parser's
//! events (`yaml/events.rs`). Hostile input is refused with an error before it can exhaust
//! memory or stack: see [`LIMITS`].

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

pub(crate) mod block;
pub(crate) mod events;

/// Where a node starts: 1-based line and column (in characters), and the byte offset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
    /// Bytes from the start of the text, when the parser says (always for nodes and keys).
    pub offset: Option<usize>,
}

impl Pos {
    fn of(l: Location) -> Pos {
        Pos {
            line: u32::try_from(l.line()).unwrap_or(u32::MAX),
            column: u32::try_from(l.column()).unwrap_or(u32::MAX),
            offset: l.span().byte_offset().and_then(|o| usize::try_from(o).ok()),
        }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// A YAML node and where it starts. For an alias (`*name`) the position is the alias's.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

/// A mapping entry: the key, where the key stands, and the value.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_pos: Pos,
    pub value: Node,
}

/// What a node holds, typed by the YAML 1.2 core schema (`5432` is a number, `'5432'` a string).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    List(Vec<Node>),
    /// Entries in the order of the text; keys are unique.
    Map(Vec<Entry>),
}

impl Value {
    /// What the value is, for messages about unexpected shapes.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::List(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl fmt::Display for Value {
    /// Scalars as written in YAML (strings in double quotes); collections by their kind.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(n) => write!(f, "{n}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::List(_) | Value::Map(_) => f.write_str(self.kind()),
        }
    }
}

/// One document of a stream: its number (1-based, among the documents that are not empty) and
/// its root. The root's position says where it stands in the stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    pub number: usize,
    pub root: Node,
}

/// Why a text is not a YAML stream we read: a syntax error, a duplicate key, or a limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    /// Where the problem is, when the parser knows.
    pub pos: Option<Pos>,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(p) = self.pos {
            write!(f, " ({p})")?;
        }
        Ok(())
    }
}

/// The bounds on what a stream may cost, far above anything egressc emits for 10,000 apps.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Bytes of text.
    pub bytes: usize,
    /// Nesting of mappings and lists (each level costs stack while the tree is built).
    pub depth: usize,
    /// Nodes (mappings, lists and scalars) as parsed, aliases not expanded.
    pub nodes: usize,
    /// Documents of the stream.
    pub documents: usize,
    /// Parser events copied in when aliases are expanded (what a "billion laughs" multiplies).
    pub alias_events: usize,
}

pub const LIMITS: Limits = Limits {
    bytes: 64 << 20,
    depth: 48,
    nodes: 2_000_000,
    documents: 100_000,
    alias_events: 100_000,
};

/// Reads a stream of YAML documents (`---` separated) into trees with positions. Empty documents
/// (nothing but comments, or an explicit `null`) are left out.
pub fn parse(text: &str) -> Result<Vec<Document>, YamlError> {
    parse_within(text, LIMITS)
}

/// [`parse`] with other limits.
pub fn parse_within(text: &str, limits: Limits) -> Result<Vec<Document>, YamlError> {
    if text.len() > limits.bytes {
        return Err(YamlError {
            message: format!(
                "the text is {} bytes long, more than the {} this reader accepts",
                text.len(),
                limits.bytes
            ),
            pos: None,
        });
    }
    if let Some(docs) = block::parse(text, limits) {
        return Ok(docs);
    }
    if let Some(docs) = events::parse(text, limits) {
        return Ok(docs);
    }
    through_serde(text, limits)
}

/// [`parse_within`] without the readers of the common cases: serde-saphyr reads every node.
pub(crate) fn through_serde(text: &str, limits: Limits) -> Result<Vec<Document>, YamlError> {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: limits.depth,
            max_nodes: limits.nodes,
            max_events: limits.nodes.saturating_mul(2),
            max_documents: limits.documents,
            flow_nesting_limit: limits.depth,
        },
        with_snippet: false,
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: limits.alias_events,
        },
    };
    let docs: Vec<Spanned<Value>> = serde_saphyr::from_multiple_with_options(text, options)
        .map_err(|e| YamlError {
            message: serde_saphyr::MessageFormatter::format_message(
                &serde_saphyr::DefaultMessageFormatter,
                e.without_snippet(),
            )
            .into_owned(),
            pos: e
                .location()
                .filter(|l| *l != Location::UNKNOWN)
                .map(Pos::of),
        })?;
    Ok(docs
        .into_iter()
        .filter(|d| d.value != Value::Null)
        .enumerate()
        .map(|(i, d)| Document {
            number: i + 1,
            root: Node::from(d),
        })
        .collect())
}

impl From<Spanned<Value>> for Node {
    fn from(s: Spanned<Value>) -> Node {
        Node {
            value: s.value,
            pos: Pos::of(s.referenced),
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        Spanned::<Value>::deserialize(d).map(Node::from)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Int(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Int(n.into()))
    }

    fn visit_i128<E>(self, n: i128) -> Result<Value, E> {
        Ok(Value::Int(n))
    }

    fn visit_u128<E: de::Error>(self, n: u128) -> Result<Value, E> {
        i128::try_from(n)
            .map(Value::Int)
            .map_err(|_| E::custom(format!("the number {n} is too large")))
    }

    fn visit_f64<E>(self, x: f64) -> Result<Value, E> {
        Ok(Value::Float(x))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::Str(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::Str(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(n) = seq.next_element::<Node>()? {
            items.push(n);
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let value = map.next_value::<Node>()?;
            if events::duplicate(&entries, &mut seen, &key.value) {
                return Err(de::Error::custom(format!(
                    "duplicate key `{}` at {}",
                    key.value,
                    Pos::of(key.referenced)
                )));
            }
            entries.push(Entry {
                key: key.value,
                key_pos: Pos::of(key.referenced),
                value,
            });
        }
        Ok(Value::Map(entries))
    }
}
