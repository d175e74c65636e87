//! Formatting: the whole document in `egressc fmt`'s canonical layout ([`crate::fmt::format`]),
//! as one edit; none when it is formatted already. A document that does not parse is refused
//! with its syntax error (formatting never guesses at broken text).

use lsp_types::TextEdit;

use crate::source::FileId;

use super::documents::Document;

/// The edit that formats `doc`, or why it cannot be formatted.
pub fn format(doc: &Document) -> Result<Option<Vec<TextEdit>>, String> {
    match crate::fmt::format(FileId(0), &doc.text) {
        Ok(text) if text == doc.text => Ok(Some(Vec::new())),
        Ok(text) => Ok(Some(vec![TextEdit::new(
            doc.range(0, doc.text.len()),
            text,
        )])),
        Err(diags) => {
            let why = diags
                .iter()
                .next()
                .map(|d| {
                    let at = d.primary_span().map_or(0, |s| s.start as usize);
                    let pos = doc.index.position(&doc.text, at);
                    format!(
                        "cannot format: {} ({}:{}, {})",
                        d.message,
                        pos.line + 1,
                        pos.character + 1,
                        d.code.as_str()
                    )
                })
                .unwrap_or_else(|| "cannot format this document".to_owned());
            Err(why)
        }
    }
}
