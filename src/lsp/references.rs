//! References and rename: every place of the program (all its files, open or not) that names
//! the symbol under the cursor. Renamed: the program's definitions and their parameters,
//! workloads and namespaces; never a standard library or built-in name.

use std::collections::HashMap;

use lsp_types::{Location, Position, PrepareRenameResponse, TextEdit, Uri, WorkspaceEdit};

use super::documents::Document;
use super::occurrences::{self, Occurrence, Symbol};
use super::program::Program;
use super::recover::is_ident_char;
use super::vocabulary::{DESTINATION_KEYWORDS, KEYWORDS, OTHER_KEYWORDS, TYPES};

/// The symbol under `pos` in `doc`.
fn symbol_at(program: &Program, doc: &Document, pos: Position) -> Option<Occurrence> {
    let file = program.file(program.id_of(&doc.uri)?)?;
    occurrences::at(file, doc.offset(pos))
}

/// Every occurrence of `symbol` in the program, with its document.
fn all<'a>(program: &'a Program, symbol: &Symbol) -> Vec<(&'a Document, Occurrence)> {
    let mut out = Vec::new();
    for file in &program.files {
        let Some(doc) = program.doc_of(file.id) else {
            continue;
        };
        for o in occurrences::occurrences(file) {
            if &o.symbol == symbol {
                out.push((doc, o));
            }
        }
    }
    out
}

/// The places that name the symbol under `pos` (its declarations too when asked).
pub fn references(
    program: &Program,
    doc: &Document,
    pos: Position,
    declarations: bool,
) -> Option<Vec<Location>> {
    let at = symbol_at(program, doc, pos)?;
    Some(
        all(program, &at.symbol)
            .into_iter()
            .filter(|(_, o)| declarations || !o.declaration)
            .map(|(d, o)| Location::new(d.uri.clone(), d.span_range(o.span)))
            .collect(),
    )
}

/// Why the symbol cannot be renamed, if it cannot.
fn refusal(program: &Program, symbol: &Symbol) -> Option<String> {
    match symbol {
        Symbol::Def(name) => match program.def(name) {
            Some(d) if d.from_stdlib => Some(format!(
                "`{name}` is defined in the standard library or built into the language: it cannot be renamed"
            )),
            Some(_) => None,
            None => Some(format!("`{name}` is not defined in this program")),
        },
        Symbol::Param { def, .. } => match program.def(def) {
            Some(d) if d.from_stdlib => Some(format!(
                "`{def}` is defined in the standard library: its parameters cannot be renamed"
            )),
            _ => None,
        },
        Symbol::Namespace(_) | Symbol::Workload { .. } | Symbol::Cluster(_) => None,
    }
}

/// The range of the name under `pos`, when it can be renamed.
pub fn prepare(
    program: &Program,
    doc: &Document,
    pos: Position,
) -> Result<Option<PrepareRenameResponse>, String> {
    let Some(at) = symbol_at(program, doc, pos) else {
        return Ok(None);
    };
    if let Some(why) = refusal(program, &at.symbol) {
        return Err(why);
    }
    Ok(Some(PrepareRenameResponse::Range(doc.span_range(at.span))))
}

/// Why `new` cannot be the new name, if it cannot.
fn bad_name(program: &Program, symbol: &Symbol, new: &str) -> Option<String> {
    let starts_with_letter = new.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if !starts_with_letter || !new.chars().all(is_ident_char) {
        return Some(format!(
            "`{}` is not a name: a name starts with a letter and holds letters, digits, `-` and `_`",
            new.escape_debug()
        ));
    }
    let reserved = KEYWORDS
        .iter()
        .chain(&OTHER_KEYWORDS)
        .chain(&DESTINATION_KEYWORDS)
        .chain(&TYPES)
        .any(|(k, _)| *k == new);
    match symbol {
        Symbol::Def(_) if reserved => Some(format!("`{new}` is a keyword of the language")),
        Symbol::Def(_) if program.def(new).is_some() => Some(format!(
            "`{new}` is already defined (in this program, the standard library or the language)"
        )),
        Symbol::Namespace(_)
            if new.len() > 63 || new.chars().any(|c| c.is_ascii_uppercase() || c == '_') =>
        {
            Some(format!(
                "`{new}` is not a namespace name: at most 63 lowercase letters, digits and `-`"
            ))
        }
        _ => None,
    }
}

/// The edits that rename the symbol under `pos` to `new` in every file of the program.
#[expect(
    clippy::mutable_key_type,
    reason = "`WorkspaceEdit` is keyed by `Uri`, whose hash does not change"
)]
pub fn rename(
    program: &Program,
    doc: &Document,
    pos: Position,
    new: &str,
) -> Result<Option<WorkspaceEdit>, String> {
    let Some(at) = symbol_at(program, doc, pos) else {
        return Ok(None);
    };
    if let Some(why) = refusal(program, &at.symbol).or_else(|| bad_name(program, &at.symbol, new)) {
        return Err(why);
    }
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for (d, o) in all(program, &at.symbol) {
        changes
            .entry(d.uri.clone())
            .or_default()
            .push(TextEdit::new(d.span_range(o.span), new.to_owned()));
    }
    Ok(Some(WorkspaceEdit::new(changes)))
}
