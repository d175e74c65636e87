//! The one way the evaluators read a parsed YAML document: a cursor that knows its object and its
//! path (`payments/api-egress spec.egress[1].to[0]`), refuses a wrong type with that path and the
//! position, and treats a field it was not told about by the [`UnknownFields`] rule of its
//! [`Reader`]: refused (the evaluators: an unknown field may change the meaning), or collected as a
//! [`Loss`] and skipped (an importer, which reports what it could not carry over).
//!
//! A field whose value is `null` counts as absent, as Kubernetes decodes JSON `null` into an
//! unset optional field.
//!
//! ```text
//! let reader = Reader::new(UnknownFields::Collect);
//! for doc in yaml::parse(text)? {
//!     let top = reader.document(&doc).map(&["apiVersion", "kind", "metadata", "spec"])?;
//!     let name = top.required("metadata")?.map(&["name"])?.required("name")?.str()?;
//!     ...
//! }
//! for loss in reader.losses() { /* loss.pos.line, loss.pos.column, loss.field, loss.why */ }
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use super::yaml::{Document, Entry, Node, Pos, Value};

/// What a reader does with a field it was not told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnknownFields {
    /// Refuse the document: the evaluators, which must not guess what a field means.
    Refuse,
    /// Skip the field and record it as a [`Loss`]: an importer of YAML written by people.
    Collect,
}

/// A field skipped under [`UnknownFields::Collect`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loss {
    /// The object it belongs to (`document 2` or, once named, e.g. `payments/api-egress`).
    pub object: String,
    /// The path of the mapping that holds it (`spec.egress[0]`).
    pub path: String,
    /// The field's name.
    pub field: String,
    /// Where the field's key stands.
    pub pos: Pos,
    /// Why it was skipped: `unknown field ...`, or why a field the product knows is not read.
    pub why: String,
}

/// Why a document could not be read: the object, the path, the position and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    pub object: String,
    pub path: String,
    pub pos: Option<Pos>,
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.object)?;
        if !self.path.is_empty() {
            write!(f, " {}", self.path)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(p) = self.pos {
            write!(f, " ({p})")?;
        }
        Ok(())
    }
}

/// The rule for unknown fields, and the losses collected under it.
#[derive(Debug)]
pub struct Reader {
    unknown: UnknownFields,
    losses: RefCell<Vec<Loss>>,
}

impl Reader {
    pub fn new(unknown: UnknownFields) -> Reader {
        Reader {
            unknown,
            losses: RefCell::new(Vec::new()),
        }
    }

    /// A cursor on a document's root, named `document N` until [`Cursor::named`] renames it.
    pub fn document<'a>(&'a self, doc: &'a Document) -> Cursor<'a> {
        Cursor {
            node: &doc.root,
            pos: doc.root.pos,
            reader: self,
            object: Rc::from(format!("document {}", doc.number)),
            path: String::new(),
        }
    }

    /// The fields skipped so far, in reading order.
    pub fn losses(&self) -> Vec<Loss> {
        self.losses.borrow().clone()
    }
}

/// The empty mapping an absent optional mapping reads as.
static EMPTY: Node = Node {
    value: Value::Map(Vec::new()),
    pos: Pos {
        line: 0,
        column: 0,
        offset: None,
    },
};

/// A node of a document, with the object and path it is read as.
#[derive(Clone, Debug)]
pub struct Cursor<'a> {
    node: &'a Node,
    /// The node's position, or for an absent mapping read as empty, its parent's.
    pos: Pos,
    reader: &'a Reader,
    object: Rc<str>,
    path: String,
}

impl<'a> Cursor<'a> {
    pub fn value(&self) -> &'a Value {
        &self.node.value
    }

    pub fn pos(&self) -> Pos {
        self.pos
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn object(&self) -> &str {
        &self.object
    }

    /// The same node as part of `object` (once a document's name is known).
    pub fn named(&self, object: impl Into<String>) -> Cursor<'a> {
        Cursor {
            object: Rc::from(object.into()),
            ..self.clone()
        }
    }

    /// An error at this node.
    pub fn error(&self, message: impl fmt::Display) -> ReadError {
        self.error_at(self.path.clone(), self.pos, message)
    }

    fn error_at(&self, path: String, pos: Pos, message: impl fmt::Display) -> ReadError {
        ReadError {
            object: self.object.to_string(),
            path,
            pos: Some(pos),
            message: message.to_string(),
        }
    }

    fn expected(&self, what: &str) -> ReadError {
        self.error(format!("expected {what}, found {}", self.value().kind()))
    }

    fn child(&self, node: &'a Node, path: String) -> Cursor<'a> {
        Cursor {
            node,
            pos: node.pos,
            reader: self.reader,
            object: Rc::clone(&self.object),
            path,
        }
    }

    pub fn str(&self) -> Result<&'a str, ReadError> {
        match self.value() {
            Value::Str(s) => Ok(s),
            _ => Err(self.expected("a string")),
        }
    }

    pub fn bool(&self) -> Result<bool, ReadError> {
        match self.value() {
            Value::Bool(b) => Ok(*b),
            _ => Err(self.expected("a boolean")),
        }
    }

    /// An integer, or `None` for any other value (the caller says what it wanted).
    pub fn int(&self) -> Option<i128> {
        match self.value() {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// A number, integer or not.
    pub fn number(&self) -> Result<f64, ReadError> {
        match self.value() {
            // An integer beyond 2^53 becomes its nearest float, as JSON numbers do in Go.
            Value::Int(n) => Ok(*n as f64),
            Value::Float(x) => Ok(*x),
            _ => Err(self.expected("a number")),
        }
    }

    /// The items of a list, each at `path[i]`.
    pub fn list(&self) -> Result<Vec<Cursor<'a>>, ReadError> {
        match self.value() {
            Value::List(items) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, n)| self.child(n, format!("{}[{i}]", self.path)))
                .collect()),
            _ => Err(self.expected("a list")),
        }
    }

    /// A mapping whose keys are all in `known`; any other key is refused or collected.
    pub fn map(&self, known: &[&str]) -> Result<Fields<'a>, ReadError> {
        self.map_explained(known, |_| None)
    }

    /// [`Cursor::map`], where `why` says why a key outside `known` is not read when the product
    /// knows it (`toEntities`: "this kind of peer is not modelled"); such a key is refused at
    /// its own path (`spec.egress[0].toEntities`), an unknown one at the mapping's.
    pub fn map_explained(
        &self,
        known: &[&str],
        why: impl Fn(&str) -> Option<&'static str>,
    ) -> Result<Fields<'a>, ReadError> {
        let Value::Map(entries) = self.value() else {
            return Err(self.expected("a mapping"));
        };
        for e in entries.iter().filter(|e| !known.contains(&e.key.as_str())) {
            // A field the product knows is refused at its own path, with the reason; an
            // unknown one at the mapping's, with what is known.
            let (path, message) = match why(&e.key) {
                Some(reason) => (self.key_path(&e.key), reason.to_owned()),
                None => (
                    self.path.clone(),
                    format!(
                        "unknown field `{}` (the fields read here: {})",
                        e.key,
                        known.join(", ")
                    ),
                ),
            };
            match self.reader.unknown {
                UnknownFields::Refuse => return Err(self.error_at(path, e.key_pos, message)),
                UnknownFields::Collect => self.reader.losses.borrow_mut().push(Loss {
                    object: self.object.to_string(),
                    path: self.path.clone(),
                    field: e.key.clone(),
                    pos: e.key_pos,
                    why: message,
                }),
            }
        }
        Ok(Fields {
            at: self.clone(),
            entries,
        })
    }

    /// The entries of a mapping whose keys are data (labels, annotations), each at `path.key`.
    pub fn entries(&self) -> Result<Vec<(&'a str, Cursor<'a>)>, ReadError> {
        match self.value() {
            Value::Map(entries) => Ok(entries
                .iter()
                .map(|e| (e.key.as_str(), self.child(&e.value, self.key_path(&e.key))))
                .collect()),
            _ => Err(self.expected("a mapping")),
        }
    }

    /// A mapping of strings to strings (labels, annotations).
    pub fn string_map(&self) -> Result<BTreeMap<String, String>, ReadError> {
        self.entries()?
            .into_iter()
            .map(|(k, v)| Ok((k.to_owned(), v.str()?.to_owned())))
            .collect()
    }

    fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }
}

/// The fields of a mapping read by [`Cursor::map`].
#[derive(Clone, Debug)]
pub struct Fields<'a> {
    at: Cursor<'a>,
    entries: &'a [Entry],
}

impl<'a> Fields<'a> {
    pub fn error(&self, message: impl fmt::Display) -> ReadError {
        self.at.error(message)
    }

    /// The same fields as part of `object` (once a document's name is known).
    pub fn named(&self, object: impl Into<String>) -> Fields<'a> {
        Fields {
            at: self.at.named(object),
            entries: self.entries,
        }
    }

    /// A field, at `path.key`; `None` when absent or `null`.
    pub fn get(&self, key: &str) -> Option<Cursor<'a>> {
        self.entries
            .iter()
            .find(|e| e.key == key && e.value.value != Value::Null)
            .map(|e| self.at.child(&e.value, self.at.key_path(key)))
    }

    /// A field, or when absent or `null` the empty mapping (for optional sections with
    /// defaults, such as a missing `spec`).
    pub fn get_or_empty(&self, key: &str) -> Cursor<'a> {
        self.get(key).unwrap_or_else(|| Cursor {
            pos: self.at.pos,
            ..self.at.child(&EMPTY, self.at.key_path(key))
        })
    }

    /// A field that must be there: "`key` is missing" otherwise.
    pub fn required(&self, key: &str) -> Result<Cursor<'a>, ReadError> {
        self.get(key)
            .ok_or_else(|| self.error(format!("`{key}` is missing")))
    }

    /// The items of a list field; none when the field is absent.
    pub fn list(&self, key: &str) -> Result<Vec<Cursor<'a>>, ReadError> {
        self.get(key).map_or(Ok(Vec::new()), |c| c.list())
    }

    /// A string field, when present.
    pub fn str(&self, key: &str) -> Result<Option<&'a str>, ReadError> {
        self.get(key).map(|c| c.str()).transpose()
    }
}
