//! Stage 1: text → AST. `parser` is the generated pest parser, `pairs_to_ast` the module that
//! builds the AST from pest pairs (and `tokens` the one that reads them as a lossless token
//! stream, for `egressc fmt`), `errors` maps pest errors to coded diagnostics.

pub mod ast;
mod atom;
mod delimiters;
mod errors;
mod nesting;
mod pairs_to_ast;
mod parser;
#[cfg(test)]
mod tests;
pub(crate) mod tokens;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, Span};

pub(crate) use parser::Rule;

/// Parses one file. On a syntax error the AST is `None` and the diagnostics say why.
///
/// Brackets nested past [`crate::limits::MAX_NESTING_DEPTH`] are refused (E0110) before the
/// parser, which recurses once per level, sees the text.
pub fn parse(file: FileId, text: &str) -> (Option<ast::File>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let ast = match statements(file, text, &mut diags) {
        Some(items) => ast::File { id: file, items },
        // A file that does not parse statement by statement is parsed whole, for its error.
        None => {
            diags = Diagnostics::new();
            match pairs(file, text) {
                Ok(pairs) => pairs_to_ast::file(file, text, pairs, &mut diags),
                Err(d) => {
                    diags.push(d);
                    return (None, diags);
                }
            }
        }
    };
    if ast.items.is_empty() && !diags.has_errors() {
        diags.push(
            Diagnostic::new(
                Code::E0104,
                Span::new(file, 0, 0),
                "file holds no statements",
            )
            .label("nothing to compile here")
            .help("start with `namespace NAME`, then an `app NAME -> dns, ...` statement"),
        );
    }
    (Some(ast), diags)
}

/// The statements of a file that parses, each parsed by pest on its own and turned into its
/// syntax tree before the next is parsed, so that the pairs of only one statement are held at
/// a time; `None` when a statement does not parse (nor the text between two statements), or
/// brackets nest too deep.
///
/// This is the grammar's `file` rule: statements separated by line breaks, with blanks and
/// comments anywhere between them. Each statement is parsed from the text that runs from its
/// start to the end of the file, so that what follows it is what the parse of the whole file
/// would see: the statements and their trees are the same.
fn statements(file: FileId, text: &str, diags: &mut Diagnostics) -> Option<Vec<ast::Item>> {
    use pest::Parser as _;
    if nesting::check(file, text).is_some() {
        return None;
    }
    let bytes = text.as_bytes();
    let mut items = Vec::new();
    let mut pos = skip_lines(bytes, 0).0;
    while pos < bytes.len() {
        let rest = text.get(pos..)?;
        let pair = match first_attempt(rest) {
            Some(pair) => pair,
            None => parser::EgressParser::parse(Rule::statement, rest)
                .ok()?
                .next()?,
        };
        let end = pos + pair.as_span().end();
        items.extend(pairs_to_ast::statement_at(file, text, pos, pair, diags));
        let (next, broken) = skip_lines(bytes, end);
        if next < bytes.len() && !broken {
            return None;
        }
        pos = next;
    }
    // The trees of every file are held until the program is compiled: without the room a
    // vector grown one push at a time keeps (up to as much again).
    items.shrink_to_fit();
    Some(items)
}

/// The statement at the start of `text` read by the grammar's `fast_statement`, when only
/// spaces follow it on its line: then it is the tree `statement` gives. A statement it stops
/// early in (at a tab or a comment) is left to `statement`, as one it does not read.
fn first_attempt(text: &str) -> Option<pest::iterators::Pair<'_, Rule>> {
    use pest::Parser as _;
    let pair = parser::EgressParser::parse(Rule::fast_statement, text)
        .ok()?
        .next()
        .filter(|pair| pair.as_rule() != Rule::fast_none)?;
    let rest = text.as_bytes().get(pair.as_span().end()..)?;
    let blanks = rest.iter().take_while(|b| **b == b' ').count();
    let to_line_end = matches!(rest.get(blanks), None | Some(b'\n' | b'\r'));
    (to_line_end && plain_atoms(&pair)).then_some(pair)
}

/// Whether every `fast_plain` token of a statement `fast_statement` read is an atom and the
/// spaces after it: the grammar takes the text up to the next space, `,` or line feed.
fn plain_atoms(statement: &pest::iterators::Pair<'_, Rule>) -> bool {
    let atom = |b: &u8| b.is_ascii_alphanumeric() || b"-./_*[]:".contains(b);
    statement.clone().into_inner().all(|list| {
        list.into_inner().all(|item| {
            item.as_rule() != Rule::fast_plain
                || item
                    .as_str()
                    .trim_end_matches(' ')
                    .bytes()
                    .all(|b| atom(&b))
        })
    })
}

/// The first position from `pos` past blanks, comments and line breaks, and whether a line
/// break was among them.
fn skip_lines(bytes: &[u8], mut pos: usize) -> (usize, bool) {
    let mut broken = false;
    loop {
        match bytes.get(pos) {
            Some(b' ' | b'\t') => pos += 1,
            Some(b'\n' | b'\r') => {
                broken = true;
                pos += 1;
            }
            Some(b'#') => {
                while !matches!(bytes.get(pos), None | Some(b'\n' | b'\r')) {
                    pos += 1;
                }
            }
            _ => return (pos, broken),
        }
    }
}

/// Serialises the parses that collect pest's error details: the switch is global to the
/// process, and a parse reads it when it starts.
static ERROR_DETAIL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Parses a file that failed once more, with pest's detailed error tracking (what was tried at
/// the furthest position, the punctuation of [`errors::syntax_error`]'s message). The tracking
/// costs an allocation per token tried, so the first parse of every file goes without it; a
/// parse that starts while the switch is on only does extra work, never gives another result.
fn detailed_error(text: &str) -> Option<pest::error::Error<Rule>> {
    use pest::Parser as _;
    let _serial = ERROR_DETAIL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    pest::set_error_detail(true);
    let reparsed = parser::EgressParser::parse(Rule::file, text);
    pest::set_error_detail(false);
    reparsed.err()
}

/// The pest parse of a whole file, or its syntax error (from a second parse with the details,
/// [`detailed_error`]); brackets nested past the limit are refused first.
fn pairs(file: FileId, text: &str) -> Result<pest::iterators::Pairs<'_, Rule>, Diagnostic> {
    use pest::Parser as _;
    if let Some(d) = nesting::check(file, text) {
        return Err(d);
    }
    parser::EgressParser::parse(Rule::file, text).map_err(|first| {
        let e = detailed_error(text).unwrap_or(first);
        let error = errors::syntax_error(file, text, &e);
        // A delimiter left open before the place the parser gave up is the real error.
        delimiters::unclosed(file, text)
            .filter(|d| d.primary_span().map(|s| s.start) <= error.primary_span().map(|s| s.start))
            .unwrap_or(error)
    })
}

/// Checks that raw bytes are text we can compile, returning the text or a coded diagnostic.
/// The diagnostic's span points into the text to register for the file, which shows nothing
/// of a binary file (it may be anything, a secret among others) and of a file that is not
/// UTF-8 only what comes before the first invalid byte.
pub fn decode(file: FileId, bytes: &[u8]) -> Result<String, Box<(String, Diagnostic)>> {
    if let Some(pos) = bytes.iter().position(|b| *b == 0) {
        return Err(Box::new((
            String::new(),
            Diagnostic::new(
                Code::E0103,
                Span::new(file, 0, 0),
                "file is binary, not policy source",
            )
            .label(format!(
                "NUL byte at byte {pos}; nothing of the file is shown"
            ))
            .help("pass only `.egress` text files to egressc"),
        )));
    }
    match std::str::from_utf8(bytes) {
        // A byte-order mark carries no meaning in UTF-8; editors on some systems add one.
        Ok(s) => Ok(s.strip_prefix('\u{feff}').unwrap_or(s).to_owned()),
        Err(e) => {
            let at = e.valid_up_to();
            let mut shown =
                String::from_utf8_lossy(bytes.get(..at).unwrap_or_default()).into_owned();
            shown.push('\u{FFFD}');
            Err(Box::new((
                shown,
                Diagnostic::new(
                    Code::E0102,
                    Span::new(file, at, at + '\u{FFFD}'.len_utf8()),
                    "file is not valid UTF-8",
                )
                .label("invalid byte sequence here")
                .help("save the file as UTF-8"),
            )))
        }
    }
}
