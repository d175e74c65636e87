//! The objects' YAML written straight into the document's buffer, in the block layout
//! serde-saphyr gives them, byte for byte: mappings one `key: value` a line, nested mappings
//! two columns in, sequences at their key's column (`- ` before each item, a mapping item's
//! first key on the dash's line), `{}` and `[]` for empty ones.
//!
//! Only the layout is ours. Every string, as a key or as a value, is written as serde-saphyr
//! writes it on its own (plain, or double-quoted and escaped: it quotes `on`, `yes`, `0x1f`,
//! `k8s:app` keys, ...); the texts are kept per distinct string, since the same names, labels
//! and ranges recur in every document. What this layout does not cover (a multi-line or
//! long string, which serde-saphyr may fold according to its column; floats, tuples, enums
//! with data, nested sequences, serde-saphyr's own style wrappers) makes [`write`] give up,
//! and the caller serialises the object with serde-saphyr itself. `src/backend/block/tests.rs`
//! holds both equal on every example and target and on random strings.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::Serialize;
use serde::ser::{self, Impossible};

/// Writes `value` as a block mapping at the start of a line of `out`; `Err` when it holds
/// something outside the layout above (`out` is then partly written: the caller cuts it back).
pub(super) fn write<T: Serialize + ?Sized>(value: &T, out: &mut String) -> Result<(), Refused> {
    let written = value.serialize(Slot {
        out,
        place: Place::Root,
    });
    #[cfg(test)]
    tests::count(written.is_ok());
    written
}

/// Whether [`write`] is used: always, but for the tests that compare it with serde-saphyr.
#[cfg(not(test))]
pub(super) fn enabled() -> bool {
    true
}

#[cfg(test)]
pub(super) fn enabled() -> bool {
    tests::WRITER.get()
}

/// Why [`write`] gave the object back: outside its layout, or an object's own serialiser error
/// (serde-saphyr, serialising it again, reports that one).
#[derive(Debug)]
pub(super) struct Refused;

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("outside the block layout")
    }
}

impl std::error::Error for Refused {}

impl ser::Error for Refused {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Refused
    }
}

/// The longest string written here: serde-saphyr folds a longer plain one over lines, at a
/// column that depends on where it stands.
const LONGEST: usize = 80;

/// Distinct strings kept per thread before the memory is given back.
const KEPT: usize = 1 << 16;

thread_local! {
    /// String → serde-saphyr's text of it as a value, and as a key.
    static TEXTS: RefCell<(HashMap<String, String>, HashMap<String, String>)> =
        RefCell::new((HashMap::new(), HashMap::new()));
}

/// Appends serde-saphyr's text of `s` as a mapping key (`key`) or as a value.
fn scalar(s: &str, key: bool, out: &mut String) -> Result<(), Refused> {
    if s.len() > LONGEST || s.contains(['\n', '\r']) {
        return Err(Refused);
    }
    if plain(s) {
        out.push_str(s);
        return Ok(());
    }
    TEXTS.with(|texts| {
        let mut texts = texts.borrow_mut();
        let (values, keys) = &mut *texts;
        let table = if key { keys } else { values };
        if let Some(text) = table.get(s) {
            out.push_str(text);
            return Ok(());
        }
        let text = if key { key_text(s)? } else { value_text(s)? };
        out.push_str(&text);
        if table.len() >= KEPT {
            table.clear();
        }
        table.insert(s.to_owned(), text);
        Ok(())
    })
}

/// The words YAML 1.1 or 1.2 reads as a boolean, a null or a float, which serde-saphyr quotes.
const AMBIGUOUS_WORDS: &[&str] = &[
    "null", "true", "false", "yes", "no", "on", "off", "y", "n", "nan", "inf",
];

/// Whether serde-saphyr writes `s` as it is, as a key and as a value, decided without asking
/// it: names, labels, address ranges and Calico's selectors, the strings of nearly every
/// document. Only `A-Z a-z 0-9 . _ / -`, spaces and `' = & | ( ) !`, the first a letter or a
/// digit and the last no space: no indicator first, no `:`, `#`, control character, or flow
/// indicator (`, [ ] { }`, quoted in keys). Then it reads as no number, date or time when it
/// starts with a letter (each of those starts with a digit, a sign or a dot) or holds a `/`
/// (none of them has one); and as no boolean or null when it has a character other than a
/// letter, or is not one of those words. Anything else goes through serde-saphyr.
fn plain(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    let allowed = |b: &u8| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'.' | b'_' | b'/' | b'-' | b' ' | b'\'' | b'=' | b'&' | b'|' | b'(' | b')' | b'!'
            )
    };
    if !first.is_ascii_alphanumeric() || *last == b' ' || !bytes.iter().all(allowed) {
        return false;
    }
    if first.is_ascii_alphabetic() {
        bytes.iter().any(|b| !b.is_ascii_alphabetic())
            || !AMBIGUOUS_WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
    } else {
        bytes.contains(&b'/')
    }
}

/// serde-saphyr's text of `s` as a value: the document holding `s` alone, without its line
/// break.
fn value_text(s: &str) -> Result<String, Refused> {
    let text = serde_saphyr::to_string(&s).map_err(|_| Refused)?;
    let text = text.strip_suffix('\n').ok_or(Refused)?;
    one_line(text)
}

/// serde-saphyr's text of `s` as a key: the mapping `{s: 0}`, without `: 0` and its line break.
fn key_text(s: &str) -> Result<String, Refused> {
    let text = serde_saphyr::to_string(&BTreeMap::from([(s, 0u8)])).map_err(|_| Refused)?;
    let text = text.strip_suffix(": 0\n").ok_or(Refused)?;
    one_line(text)
}

/// `text` when it is one line.
fn one_line(text: &str) -> Result<String, Refused> {
    if text.contains('\n') {
        Err(Refused)
    } else {
        Ok(text.to_owned())
    }
}

/// Appends `n` spaces.
fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Where the next value goes.
#[derive(Clone, Copy)]
enum Place {
    /// The document itself: only a mapping.
    Root,
    /// After `key:`, the key at this column.
    Value(usize),
    /// After `- `, the dash at this column.
    Item(usize),
}

/// One value to write, at its place.
struct Slot<'w> {
    out: &'w mut String,
    place: Place,
}

impl Slot<'_> {
    /// Writes a scalar's text (with `text` appending it) where the slot is, and ends the line.
    fn scalar(self, text: impl FnOnce(&mut String) -> Result<(), Refused>) -> Result<(), Refused> {
        match self.place {
            Place::Root => return Err(Refused),
            Place::Value(_) => self.out.push(' '),
            Place::Item(_) => {}
        }
        text(self.out)?;
        self.out.push('\n');
        Ok(())
    }

    fn display(self, v: impl fmt::Display) -> Result<(), Refused> {
        self.scalar(|out| {
            use fmt::Write as _;
            write!(out, "{v}").map_err(|_| Refused)
        })
    }
}

/// A mapping being written: its keys' column, and how many entries were written.
struct Mapping<'w> {
    out: &'w mut String,
    place: Place,
    column: usize,
    entries: usize,
}

impl Mapping<'_> {
    /// Writes `key:` on its line (the first entry of a sequence item on the dash's line).
    fn key(&mut self, key: &str) -> Result<(), Refused> {
        match (self.place, self.entries) {
            (Place::Item(_), 0) => {}
            (Place::Value(_), 0) => {
                self.out.push('\n');
                indent(self.out, self.column);
            }
            _ => indent(self.out, self.column),
        }
        self.entries += 1;
        scalar(key, true, self.out)?;
        self.out.push(':');
        Ok(())
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Refused> {
        value.serialize(Slot {
            out: self.out,
            place: Place::Value(self.column),
        })
    }

    fn finish(self) -> Result<(), Refused> {
        if self.entries == 0 {
            if let Place::Value(_) = self.place {
                self.out.push(' ');
            }
            self.out.push_str("{}\n");
        }
        Ok(())
    }
}

/// A sequence being written (always a mapping's value): its dashes' column.
struct Sequence<'w> {
    out: &'w mut String,
    column: usize,
    items: usize,
}

/// Writes booleans and integers as Rust displays them, as serde-saphyr does.
macro_rules! numbers {
    ($($name:ident($ty:ty);)*) => {
        $(fn $name(self, v: $ty) -> Result<(), Refused> {
            self.display(v)
        })*
    };
}

impl<'w> ser::Serializer for Slot<'w> {
    type Ok = ();
    type Error = Refused;
    type SerializeSeq = Sequence<'w>;
    type SerializeTuple = Impossible<(), Refused>;
    type SerializeTupleStruct = Impossible<(), Refused>;
    type SerializeTupleVariant = Impossible<(), Refused>;
    type SerializeMap = Mapping<'w>;
    type SerializeStruct = Mapping<'w>;
    type SerializeStructVariant = Impossible<(), Refused>;

    numbers! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
    }
    fn serialize_f32(self, _: f32) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_f64(self, _: f64) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_char(self, _: char) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_str(self, v: &str) -> Result<(), Refused> {
        self.scalar(|out| scalar(v, false, out))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_none(self) -> Result<(), Refused> {
        self.scalar(|out| {
            out.push_str("null");
            Ok(())
        })
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Refused> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Refused> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Refused> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Refused> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Refused> {
        // serde-saphyr's style wrappers (`__yaml_flow_seq`, `__yaml_lit_str`, ...).
        if name.starts_with("__yaml") {
            return Err(Refused);
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Sequence<'w>, Refused> {
        match self.place {
            Place::Value(column) => Ok(Sequence {
                out: self.out,
                column,
                items: 0,
            }),
            Place::Root | Place::Item(_) => Err(Refused),
        }
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Refused> {
        Err(Refused)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Refused> {
        Err(Refused)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Refused> {
        Err(Refused)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Mapping<'w>, Refused> {
        let column = match self.place {
            Place::Root => 0,
            Place::Value(c) | Place::Item(c) => c + 2,
        };
        Ok(Mapping {
            out: self.out,
            place: self.place,
            column,
            entries: 0,
        })
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Mapping<'w>, Refused> {
        if name.starts_with("__yaml") {
            return Err(Refused);
        }
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Refused> {
        Err(Refused)
    }
}

impl ser::SerializeSeq for Sequence<'_> {
    type Ok = ();
    type Error = Refused;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Refused> {
        if self.items == 0 {
            self.out.push('\n');
        }
        self.items += 1;
        indent(self.out, self.column);
        self.out.push_str("- ");
        value.serialize(Slot {
            out: self.out,
            place: Place::Item(self.column),
        })
    }

    fn end(self) -> Result<(), Refused> {
        if self.items == 0 {
            self.out.push_str(" []\n");
        }
        Ok(())
    }
}

impl ser::SerializeMap for Mapping<'_> {
    type Ok = ();
    type Error = Refused;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Refused> {
        key.serialize(KeyText(self))
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Refused> {
        self.value(value)
    }

    fn end(self) -> Result<(), Refused> {
        self.finish()
    }
}

impl ser::SerializeStruct for Mapping<'_> {
    type Ok = ();
    type Error = Refused;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Refused> {
        self.key(key)?;
        self.value(value)
    }

    fn end(self) -> Result<(), Refused> {
        self.finish()
    }
}

/// A mapping key, written by its mapping: a string (anything else is refused).
struct KeyText<'m, 'w>(&'m mut Mapping<'w>);

/// Refuses every kind of key but a string.
macro_rules! refuse {
    ($($name:ident($($arg:ty),*) -> $ret:ty;)*) => {
        $(fn $name(self, $(_: $arg),*) -> Result<$ret, Refused> {
            Err(Refused)
        })*
    };
}

impl ser::Serializer for KeyText<'_, '_> {
    type Ok = ();
    type Error = Refused;
    type SerializeSeq = Impossible<(), Refused>;
    type SerializeTuple = Impossible<(), Refused>;
    type SerializeTupleStruct = Impossible<(), Refused>;
    type SerializeTupleVariant = Impossible<(), Refused>;
    type SerializeMap = Impossible<(), Refused>;
    type SerializeStruct = Impossible<(), Refused>;
    type SerializeStructVariant = Impossible<(), Refused>;

    refuse! {
        serialize_bool(bool) -> ();
        serialize_i8(i8) -> ();
        serialize_i16(i16) -> ();
        serialize_i32(i32) -> ();
        serialize_i64(i64) -> ();
        serialize_u8(u8) -> ();
        serialize_u16(u16) -> ();
        serialize_u32(u32) -> ();
        serialize_u64(u64) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_char(char) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_str(self, key: &str) -> Result<(), Refused> {
        self.0.key(key)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Refused> {
        Err(Refused)
    }
}

#[cfg(test)]
mod tests;
