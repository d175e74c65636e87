//! Markdown for the protocol's markup fields (hover, completion documentation).

use lsp_types::{MarkupContent, MarkupKind};

/// `value` as Markdown.
pub fn markdown(value: String) -> MarkupContent {
    MarkupContent {
        kind: MarkupKind::Markdown,
        value,
    }
}
