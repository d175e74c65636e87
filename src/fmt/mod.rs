//! `egressc fmt`: one canonical layout of a source file, from its tokens and its text
//! (`crate::syntax::tokens`), never from the AST: spacing is decided per kind of token and the
//! grammar rules around it (`spacing.rs`), lines per bracket, list and comment (`layout.rs`),
//! so that a construct added to the grammar is formatted without a rule of its own. Comments
//! keep their text and place, blank lines between groups stay (one each).
//!
//! Formatting never changes what a file means: the result is parsed again and its outline (every
//! token's text and the grammar rules around it, every comment) must be the input's, or the file
//! is refused with E0901 and nothing is written. A file that does not parse is refused with its
//! syntax diagnostics. Pure: text in, text out.

mod layout;
mod spacing;

pub use layout::WIDTH;

use crate::Input;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::tokens::{outline, tokens};

/// `text` in the canonical layout, or why it cannot be formatted: the syntax error of a file that
/// does not parse, or E0901 when the layout would change the program (a defect).
pub fn format(file: FileId, text: &str) -> Result<String, Diagnostics> {
    let one = |d: Diagnostic| {
        let mut diags = Diagnostics::new();
        diags.push(d);
        diags
    };
    let input = tokens(file, text).map_err(one)?;
    let formatted = layout::lay_out(text, &input);
    let same = tokens(file, &formatted)
        .is_ok_and(|output| outline(text, &input) == outline(&formatted, &output));
    if !same {
        return Err(one(Diagnostic::new(
            Code::E0901,
            Span::new(file, 0, 0),
            "formatting this file would change what it means; it is left as it is",
        )
        .label("the formatted text parses differently")
        .help("please report this file as a bug in `egressc fmt`")));
    }
    Ok(formatted)
}

/// Files formatted: their texts (for diagnostics), the diagnostics, and each file's formatted
/// text (`None` when it is refused).
#[derive(Debug)]
pub struct Formatted {
    pub sources: SourceMap,
    pub diagnostics: Diagnostics,
    /// The original text and the formatted one, per input.
    pub files: Vec<Option<(String, String)>>,
}

/// Formats every input on its own, each held to the input limits (size, UTF-8, not binary)
/// first, as a build holds them.
pub fn format_all(inputs: &[Input]) -> Formatted {
    let mut sources = SourceMap::new();
    let mut diagnostics = Diagnostics::new();
    let mut files = Vec::new();
    let mut total = 0;
    for (n, input) in inputs.iter().enumerate() {
        let id = FileId(u32::try_from(n).unwrap_or(u32::MAX));
        let text = match crate::input::admit(id, input, &mut total) {
            Ok(bytes) => crate::syntax::decode(id, bytes),
            Err(d) => Err(Box::new((String::new(), d))),
        };
        match text {
            Ok(text) => {
                sources.add(input.name.clone(), text.clone());
                match format(id, &text) {
                    Ok(formatted) => files.push(Some((text, formatted))),
                    Err(d) => {
                        diagnostics.extend(d);
                        files.push(None);
                    }
                }
            }
            Err(failed) => {
                let (shown, d) = *failed;
                sources.add(input.name.clone(), shown);
                diagnostics.push(d);
                files.push(None);
            }
        }
    }
    Formatted {
        sources,
        diagnostics,
        files,
    }
}
