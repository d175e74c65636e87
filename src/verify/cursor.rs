//! The one way the evaluators and the importer read a parsed YAML document: a cursor that knows
//! its object and its path (`payments/api-egress spec.egress[1].to[0]`) and refuses a wrong type
//! with that path and the position.
//!
//! A [`ReadError`] says whether the product itself would reject the document (an unknown field,
//! a wrong type, a value out of range: the document is invalid) or whether the product accepts
//! it and this reader does not model it (a named port, `toEntities`: [`ReadError::unmodelled`]).
//! The [`Mode`] of the [`Reader`] decides what happens to the second kind at an allowance, a unit
//! that can be left out without allowing more (an egress rule, a peer of a rule, a port entry):
//! the evaluators refuse the stream (an unmodelled field may change the meaning), the importer
//! leaves the allowance out and records a [`Loss`] ([`Reader::allowance`]), so that what it read
//! allows less than the product would, never more. Fields without effect on egress (ingress
//! rules) are recorded as losses without effect ([`Fields::ignored`]).
//!
//! A field whose value is `null` counts as absent, as Kubernetes decodes JSON `null` into an
//! unset optional field.
//!
//! ```text
//! let reader = Reader::new(Mode::Import);
//! for doc in yaml::parse(text)? {
//!     let top = reader.document(&doc).map(&["apiVersion", "kind", "metadata", "spec"])?;
//!     let name = top.required("metadata")?.map(&["name"])?.required("name")?.str()?;
//!     let rule = reader.allowance(&at, read_rule(&at))?;   // None: left out, recorded
//!     ...
//! }
//! for loss in reader.losses() { /* loss.pos.line, loss.pos.column, loss.why, loss.effect */ }
//! ```

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use super::yaml::{Document, Entry, Node, Pos, Value};

/// Who reads, which decides what an unmodelled allowance does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The evaluators, reading what egressc emitted: anything not modelled is refused, as it
    /// may change the meaning.
    Evaluate,
    /// The importer, reading YAML written by people: an allowance that is not modelled is left
    /// out and recorded as a [`Loss`]; forms that only people write (a missing namespace) are
    /// read as the API server would.
    Import,
}

/// What leaving something out does to the meaning of what was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Effect {
    /// Nothing for egress: an ingress rule, a `Log` rule.
    None,
    /// An allowance was left out: what was read allows less than the product would.
    Narrower,
}

/// Something the importer left out, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loss {
    /// The object it belongs to (`document 2` or, once named, e.g. `payments/api-egress`).
    pub object: String,
    /// What was left out: `spec.egress[1]`, `spec.ingress`.
    pub left_out: String,
    /// Where the cause stands (the field that is not modelled).
    pub pos: Pos,
    /// The cause: why it is not read.
    pub why: String,
    pub effect: Effect,
}

/// Why a document could not be read: the object, the path, the position and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    pub object: String,
    pub path: String,
    pub pos: Option<Pos>,
    pub message: String,
    /// The product accepts this, and this reader does not model it (otherwise the product
    /// itself would reject the document).
    pub unmodelled: bool,
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

/// The reading mode, and the losses recorded in it.
#[derive(Debug)]
pub struct Reader {
    mode: Mode,
    losses: RefCell<Vec<Loss>>,
}

impl Reader {
    pub fn new(mode: Mode) -> Reader {
        Reader {
            mode,
            losses: RefCell::new(Vec::new()),
        }
    }

    pub fn importing(&self) -> bool {
        self.mode == Mode::Import
    }

    /// A cursor on a document's root, named `document N` until [`Cursor::named`] renames it.
    pub fn document<'a>(&'a self, doc: &'a Document) -> Cursor<'a> {
        Cursor {
            node: &doc.root,
            pos: doc.root.pos,
            reader: self,
            object: Rc::from(format!("document {}", doc.number)),
            path: Path::default(),
        }
    }

    /// The losses recorded so far, in reading order.
    pub fn losses(&self) -> Vec<Loss> {
        self.losses.borrow().clone()
    }

    /// An allowance read at `at`: when importing, one that is not modelled is left out (`None`)
    /// and recorded as a narrower loss; otherwise, and for invalid input, the error stands.
    pub fn allowance<T>(
        &self,
        at: &Cursor<'_>,
        read: Result<T, ReadError>,
    ) -> Result<Option<T>, ReadError> {
        match read {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.unmodelled && self.importing() => {
                self.record(at, e.pos.unwrap_or(at.pos), e.message, Effect::Narrower);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Records a loss of what `at` holds (when importing).
    pub fn record(&self, at: &Cursor<'_>, pos: Pos, why: impl Into<String>, effect: Effect) {
        if self.importing() {
            self.losses.borrow_mut().push(Loss {
                object: at.object.to_string(),
                left_out: at.path.to_string(),
                pos,
                why: why.into(),
                effect,
            });
        }
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
    path: Path<'a>,
}

/// Where a node stands in its document (`spec.egress[1].to[0]`): the steps from the root,
/// shared with the node's parent and written out only when a message or a loss needs it.
#[derive(Clone, Debug, Default)]
struct Path<'a>(Option<Rc<Step<'a>>>);

#[derive(Debug)]
struct Step<'a> {
    parent: Path<'a>,
    part: Part<'a>,
}

#[derive(Debug)]
enum Part<'a> {
    Key(Cow<'a, str>),
    Index(usize),
}

impl<'a> Path<'a> {
    fn then(&self, part: Part<'a>) -> Path<'a> {
        Path(Some(Rc::new(Step {
            parent: self.clone(),
            part,
        })))
    }
}

impl fmt::Display for Path<'_> {
    /// `key` at the root, `parent.key` below it, `parent[i]` for a list's item.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(step) = &self.0 else {
            return Ok(());
        };
        step.parent.fmt(f)?;
        match &step.part {
            Part::Key(k) if step.parent.0.is_none() => f.write_str(k),
            Part::Key(k) => write!(f, ".{k}"),
            Part::Index(i) => write!(f, "[{i}]"),
        }
    }
}

impl<'a> Cursor<'a> {
    pub fn value(&self) -> &'a Value {
        &self.node.value
    }

    pub fn pos(&self) -> Pos {
        self.pos
    }

    pub fn path(&self) -> String {
        self.path.to_string()
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
        self.error_at(self.path.to_string(), self.pos, message)
    }

    /// An error at this node for something the product accepts and this reader does not model.
    pub fn unmodelled(&self, message: impl fmt::Display) -> ReadError {
        ReadError {
            unmodelled: true,
            ..self.error(message)
        }
    }

    fn error_at(&self, path: String, pos: Pos, message: impl fmt::Display) -> ReadError {
        ReadError {
            object: self.object.to_string(),
            path,
            pos: Some(pos),
            message: message.to_string(),
            unmodelled: false,
        }
    }

    /// The reader this cursor reads for.
    pub fn reader(&self) -> &'a Reader {
        self.reader
    }

    fn expected(&self, what: &str) -> ReadError {
        self.error(format!("expected {what}, found {}", self.value().kind()))
    }

    fn child(&self, node: &'a Node, path: Path<'a>) -> Cursor<'a> {
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
                .map(|(i, n)| self.child(n, self.path.then(Part::Index(i))))
                .collect()),
            _ => Err(self.expected("a list")),
        }
    }

    /// A mapping whose keys are all in `known`; any other key is refused as unknown.
    pub fn map(&self, known: &[&str]) -> Result<Fields<'a>, ReadError> {
        self.map_explained(known, |_| None)
    }

    /// [`Cursor::map`], where `why` says why a key outside `known` is not read when the product
    /// knows it (`toEntities`: "this kind of peer is not modelled"): such a key is refused as
    /// unmodelled at its own path (`spec.egress[0].toEntities`); an unknown key is refused at
    /// the mapping's path, with what is known.
    pub fn map_explained(
        &self,
        known: &[&str],
        why: impl Fn(&str) -> Option<&'static str>,
    ) -> Result<Fields<'a>, ReadError> {
        let Value::Map(entries) = self.value() else {
            return Err(self.expected("a mapping"));
        };
        if let Some(e) = entries.iter().find(|e| !known.contains(&e.key.as_str())) {
            return Err(match why(&e.key) {
                Some(reason) => ReadError {
                    unmodelled: true,
                    ..self.error_at(self.key_path(&e.key).to_string(), e.key_pos, reason)
                },
                None => self.error_at(
                    self.path.to_string(),
                    e.key_pos,
                    format!(
                        "unknown field `{}` (the fields read here: {})",
                        e.key,
                        known.join(", ")
                    ),
                ),
            });
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

    fn key_path(&self, key: &'a str) -> Path<'a> {
        self.path.then(Part::Key(Cow::Borrowed(key)))
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
            .map(|e| self.at.child(&e.value, self.at.key_path(&e.key)))
    }

    /// A field, or when absent or `null` the empty mapping (for optional sections with
    /// defaults, such as a missing `spec`).
    pub fn get_or_empty(&self, key: &str) -> Cursor<'a> {
        self.get(key).unwrap_or_else(|| Cursor {
            pos: self.at.pos,
            ..self.at.child(
                &EMPTY,
                self.at.path.then(Part::Key(Cow::Owned(key.to_owned()))),
            )
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

    /// A field without effect on what is read (an ingress section): when present, recorded as
    /// a loss without effect (when importing) for `why`.
    pub fn ignored(&self, key: &str, why: &str) {
        if let Some(c) = self.get(key) {
            let pos = self.key_pos(key).unwrap_or(c.pos);
            self.at.reader.record(&c, pos, why, Effect::None);
        }
    }

    /// Where a present key stands.
    pub fn key_pos(&self, key: &str) -> Option<Pos> {
        self.entries
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.key_pos)
    }

    /// The cursor on the mapping itself.
    pub fn cursor(&self) -> &Cursor<'a> {
        &self.at
    }

    /// A string field, when present.
    pub fn str(&self, key: &str) -> Result<Option<&'a str>, ReadError> {
        self.get(key).map(|c| c.str()).transpose()
    }
}

/// The fields of `metadata` that the API server sets, found in what `kubectl get -o yaml`
/// prints: they say nothing about what a policy allows and are skipped.
const SERVER_SET: &[&str] = &[
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
    "finalizers",
    "ownerReferences",
    "generateName",
];

/// An object's `metadata`: its name, its namespace as written, and where the name stands.
#[derive(Clone, Debug)]
pub struct Metadata<'a> {
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    /// `metadata.labels` (NetworkSets are selected by them).
    pub labels: BTreeMap<String, String>,
    pub fields: Fields<'a>,
}

/// Reads `metadata` (required): `name`, `namespace`, `labels`, `annotations`, and the fields
/// the API server sets, which are skipped.
pub fn metadata<'a>(top: &Fields<'a>) -> Result<Metadata<'a>, ReadError> {
    let mut known = vec!["name", "namespace", "labels", "annotations"];
    known.extend(SERVER_SET);
    let fields = top.required("metadata")?.map(&known)?;
    let name_at = fields.required("name")?;
    let name = name_at.str()?;
    // The API server's name rules (apimachinery `IsDNS1123Subdomain` for object names,
    // `IsDNS1123Label` for namespaces): they refuse placeholders such as `<namespace>` too.
    if !dns_name(name, 253, true) {
        return Err(name_at.error(format!(
            "`{name}` is not a valid object name (lower-case letters, digits, `-` and `.`, at most 253)"
        )));
    }
    let namespace = match fields.get("namespace") {
        Some(ns) => {
            let text = ns.str()?;
            if !dns_name(text, 63, false) {
                return Err(ns.error(format!(
                    "`{text}` is not a valid namespace name (lower-case letters, digits and `-`, at most 63)"
                )));
            }
            Some(text)
        }
        None => None,
    };
    let labels = match fields.get("labels") {
        Some(c) => c.string_map()?,
        None => BTreeMap::new(),
    };
    if let Some(c) = fields.get("annotations") {
        c.string_map()?;
    }
    Ok(Metadata {
        name,
        namespace,
        labels,
        fields,
    })
}

/// Whether `text` is a DNS-1123 label (`dots: false`) or subdomain (`dots: true`) of at most
/// `max` characters: lower-case letters, digits and `-` (and `.` between labels), each label
/// starting and ending with a letter or digit.
fn dns_name(text: &str, max: usize, dots: bool) -> bool {
    let label = |l: &str| {
        !l.is_empty()
            && l.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    text.len() <= max
        && if dots {
            text.split('.').all(label)
        } else {
            label(text)
        }
}
