//! The open documents: their text as the editor has it, with a line index.

use std::collections::BTreeMap;

use lsp_types::{Position, Range, TextDocumentContentChangeEvent, Uri};

use super::position::LineIndex;
use crate::source::Span;

/// One open document.
#[derive(Clone, Debug)]
pub struct Document {
    pub uri: Uri,
    pub version: i32,
    pub text: String,
    pub index: LineIndex,
}

impl Document {
    pub fn new(uri: Uri, version: i32, text: String) -> Document {
        let index = LineIndex::new(&text);
        Document {
            uri,
            version,
            text,
            index,
        }
    }

    pub fn offset(&self, pos: Position) -> usize {
        self.index.offset(&self.text, pos)
    }

    pub fn range(&self, start: usize, end: usize) -> Range {
        self.index.range(&self.text, start, end)
    }

    /// The range of a span of this document.
    pub fn span_range(&self, span: Span) -> Range {
        self.range(span.start as usize, span.end as usize)
    }

    /// Applies one change: the whole text, or (should a client send one although the server
    /// asks for full sync) a range replacement.
    pub fn apply(&mut self, change: TextDocumentContentChangeEvent) {
        match change.range {
            None => self.text = change.text,
            Some(range) => {
                let (start, end) = self.index.offsets(&self.text, range);
                if self.text.is_char_boundary(start) && self.text.is_char_boundary(end) {
                    self.text.replace_range(start..end, &change.text);
                }
            }
        }
        self.index = LineIndex::new(&self.text);
    }
}

/// The open documents, by URI.
#[derive(Debug, Default)]
pub struct Documents {
    docs: BTreeMap<String, Document>,
}

impl Documents {
    pub fn get(&self, uri: &Uri) -> Option<&Document> {
        self.docs.get(uri.as_str())
    }

    pub fn open(&mut self, doc: Document) {
        self.docs.insert(doc.uri.as_str().to_owned(), doc);
    }

    /// Applies changes in order; `false` if the document is not open.
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) -> bool {
        let Some(doc) = self.docs.get_mut(uri.as_str()) else {
            return false;
        };
        for c in changes {
            doc.apply(c);
        }
        doc.version = version;
        true
    }

    pub fn close(&mut self, uri: &Uri) -> Option<Document> {
        self.docs.remove(uri.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = &Document> {
        self.docs.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri() -> Uri {
        "file:///p/a.egress".parse().unwrap()
    }

    #[test]
    fn applies_full_and_ranged_changes() {
        let mut doc = Document::new(uri(), 1, "namespace é\napp x -> dns\n".into());
        doc.apply(TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(1, 9), Position::new(1, 12))),
            range_length: None,
            text: "rds(10.0.0.0/8)".into(),
        });
        assert_eq!(doc.text, "namespace é\napp x -> rds(10.0.0.0/8)\n");
        doc.apply(TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(0, 10), Position::new(0, 11))),
            range_length: None,
            text: "e".into(),
        });
        assert_eq!(doc.text, "namespace e\napp x -> rds(10.0.0.0/8)\n");
        doc.apply(TextDocumentContentChangeEvent {
            range: None,
            range_length: None,
            text: "x".into(),
        });
        assert_eq!(doc.text, "x");
        assert_eq!(doc.range(1, 1).start, Position::new(0, 1));
    }
}
