//! A linear pre-scan of bracket nesting, before the parser runs.
//!
//! The generated parser recurses once per nested call (`fqdn(fqdn(...))`), so deep nesting
//! would exhaust the stack. Brackets are counted outside comments (`#` to the end of the line)
//! and strings (`"` to the next `"` or the end of the line), as the grammar reads them; a
//! closing bracket without an opening one is left for the parser to report.

use crate::diagnostics::{Code, Diagnostic};
use crate::limits::MAX_NESTING_DEPTH;
use crate::source::{FileId, Span};

/// E0110 at the first bracket that opens a level past [`MAX_NESTING_DEPTH`], with the
/// outermost open bracket as a secondary label.
pub fn check(file: FileId, text: &str) -> Option<Diagnostic> {
    // Brackets cannot nest deeper than there are opening ones: most files have few.
    if text
        .bytes()
        .filter(|b| matches!(b, b'(' | b'{' | b'['))
        .count()
        <= MAX_NESTING_DEPTH
    {
        return None;
    }
    let mut open: Vec<usize> = Vec::new();
    let mut in_string = false;
    let mut in_comment = false;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'\n' | b'\r' => {
                in_string = false;
                in_comment = false;
            }
            _ if in_comment => {}
            b'"' => in_string = !in_string,
            _ if in_string => {}
            b'#' => in_comment = true,
            b'(' | b'{' | b'[' => {
                if open.len() >= MAX_NESTING_DEPTH {
                    let outer = open.first().copied().unwrap_or(i);
                    return Some(too_deep(file, i, outer));
                }
                open.push(i);
            }
            b')' | b'}' | b']' => {
                open.pop();
            }
            _ => {}
        }
    }
    None
}

fn too_deep(file: FileId, at: usize, outer: usize) -> Diagnostic {
    Diagnostic::new(
        Code::E0110,
        Span::new(file, at, at + 1),
        format!("brackets nest more than {MAX_NESTING_DEPTH} levels deep"),
    )
    .label(format!("level {} opens here", MAX_NESTING_DEPTH + 1))
    .secondary(
        Span::new(file, outer, outer + 1),
        "the outermost level opens here",
    )
    .help("give the inner destinations a name with `def NAME = ...` and use the name")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!(
            "app a -> {}x.example.com{}",
            "fqdn(".repeat(depth),
            ")".repeat(depth)
        )
    }

    #[test]
    fn the_limit_itself_is_accepted() {
        assert!(check(FileId(0), &nested(MAX_NESTING_DEPTH)).is_none());
    }

    #[test]
    fn one_level_more_is_refused_at_its_bracket() {
        let text = nested(MAX_NESTING_DEPTH + 1);
        let d = check(FileId(0), &text).map(|d| (d.code, d.primary_span()));
        let at = "app a -> ".len() + MAX_NESTING_DEPTH * "fqdn(".len() + "fqdn".len();
        assert_eq!(
            d,
            Some((Code::E0110, Some(Span::new(FileId(0), at, at + 1))))
        );
    }

    #[test]
    fn comments_and_strings_do_not_count() {
        let deep = "(".repeat(MAX_NESTING_DEPTH + 1);
        assert!(check(FileId(0), &format!("# {deep}\napp a -> dns")).is_none());
        let text = format!("@allow(W0101, \"{deep}\")\napp a -> dns");
        assert!(check(FileId(0), &text).is_none());
    }

    #[test]
    fn a_string_ends_at_the_end_of_its_line() {
        let deep = "(".repeat(MAX_NESTING_DEPTH + 1);
        let text = format!("pods a {{k=\"v}}\n{deep}");
        assert!(check(FileId(0), &text).is_some());
    }
}
