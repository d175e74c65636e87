//! Unclosed delimiters, reported where they open.
//!
//! When a file does not parse, the parser's error is where it gave up, which for a missing `)`
//! may be lines further on (`expected `)` or a label value, found `payments-api}:8443``). A
//! linear scan, reading comments and strings as the grammar does (as [`super::nesting`]), finds
//! the delimiter left open: a bracket closed by another kind of bracket, or still open at the
//! end of the file, or a string still open at the end of its line. It is reported at its
//! opener, with the closer it expects.

use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Span};

/// The closer of an opening delimiter.
fn closer(open: u8) -> u8 {
    match open {
        b'(' => b')',
        b'[' => b']',
        b'{' => b'}',
        _ => b'"',
    }
}

/// The first delimiter left open, as an E0101 at its opener; `None` when every delimiter is
/// closed (a closer without an opener is left to the parser's error).
pub fn unclosed(file: FileId, text: &str) -> Option<Diagnostic> {
    let mut open: Vec<usize> = Vec::new();
    let mut string: Option<usize> = None;
    let mut in_comment = false;
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().copied().enumerate() {
        match b {
            b'\n' | b'\r' => {
                if let Some(at) = string {
                    return Some(report(file, text, at, None));
                }
                in_comment = false;
            }
            _ if in_comment => {}
            b'"' => string = if string.is_some() { None } else { Some(i) },
            _ if string.is_some() => {}
            b'#' => in_comment = true,
            b'(' | b'{' | b'[' => open.push(i),
            b')' | b'}' | b']' => match open.last() {
                Some(&o) if bytes.get(o).copied().map(closer) == Some(b) => {
                    open.pop();
                }
                Some(&o) => return Some(report(file, text, o, Some(i))),
                None => return None,
            },
            _ => {}
        }
    }
    if let Some(at) = string {
        return Some(report(file, text, at, None));
    }
    open.last().map(|&o| report(file, text, o, None))
}

/// E0101 at the opener `at`, with the closer that came instead of its own, if one did.
fn report(file: FileId, text: &str, at: usize, instead: Option<usize>) -> Diagnostic {
    let open = text.as_bytes().get(at).copied().unwrap_or(b'(');
    let (o, c) = (char::from(open), char::from(closer(open)));
    let found = instead
        .and_then(|i| text.as_bytes().get(i))
        .copied()
        .map(char::from);
    let place = match found {
        _ if open == b'"' => "before the end of its line".to_owned(),
        Some(f) => format!("before `{f}`"),
        None => "before the end of the file".to_owned(),
    };
    let mut d = Diagnostic::new(
        Code::E0101,
        Span::new(file, at, at + 1),
        format!("unclosed `{o}`: expected `{c}` {place}"),
    )
    .label(format!("this `{o}` is never closed"));
    if let Some(i) = instead {
        let found = text
            .as_bytes()
            .get(i)
            .copied()
            .map(char::from)
            .unwrap_or(')');
        d = d.secondary(
            Span::new(file, i, i + 1),
            format!("`{found}` found here, where `{c}` was expected"),
        );
    }
    d.help(format!("add the missing `{c}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Option<(usize, String)> {
        unclosed(FileId(0), text).map(|d| {
            let span = d
                .primary_span()
                .map(|s| s.start as usize)
                .unwrap_or(usize::MAX);
            (span, d.message)
        })
    }

    #[test]
    fn each_delimiter_is_reported_at_its_opener() {
        let text = "app a -> rds(10.0.0.0/8,\n  pods{app=b}:80\napp c -> dns\n";
        assert_eq!(
            at(text),
            Some((
                12,
                "unclosed `(`: expected `)` before the end of the file".into()
            ))
        );
        let text = "app a -> pods{app=b:80\n";
        assert_eq!(
            at(text),
            Some((
                13,
                "unclosed `{`: expected `}` before the end of the file".into()
            ))
        );
        let text = "app a -> [fd00::1:443\n";
        assert_eq!(
            at(text),
            Some((
                9,
                "unclosed `[`: expected `]` before the end of the file".into()
            ))
        );
        let text = "@allow(W0101, \"why)\napp a -> dns\n";
        assert_eq!(
            at(text),
            Some((
                14,
                "unclosed `\"`: expected `\"` before the end of its line".into()
            ))
        );
        let text = "app a -> rds(pods{app=b)}\n";
        assert_eq!(
            at(text),
            Some((17, "unclosed `{`: expected `}` before `)`".into()))
        );
    }

    #[test]
    fn comments_strings_and_balanced_text_are_fine() {
        assert_eq!(at("# (\napp a -> dns # {\n"), None);
        assert_eq!(at("@allow(W0101, \"(\")\napp a -> rds(10.0.0.0/8)\n"), None);
        // A closer without an opener is the parser's to report.
        assert_eq!(at("app a -> dns)\n"), None);
    }
}
