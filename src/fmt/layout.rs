//! Lines from tokens. Statements start at the margin; a statement continues on the next line
//! where its author broke it (the grammar allows a break after `,`, `->`, `(`, `{` and `=` in a
//! definition, and before `deny`), and after a `,` where the line would pass [`WIDTH`]
//! columns. A continued line is aligned with the first item of the list it continues (the first
//! destination after `->`, after `deny`, the first argument after `(`), or indented four columns
//! from it when that list starts on a line of its own; a closing bracket on a line of its own
//! goes back to where its construct started. Comments keep their text and their place: on a
//! line of their own (at the margin between statements, at the list's column inside one), or at
//! the end of a line, aligned with the comments of the lines around it. Runs of blank lines
//! become one blank line; blank lines at the start and end of the file go.

use super::spacing::blank_between;
use crate::syntax::Rule;
use crate::syntax::tokens::{Kind, Punct, Token};

/// The width past which a statement is broken after a `,`.
pub const WIDTH: usize = 100;

/// The columns a list is indented by when it starts on a line of its own.
const INDENT: usize = 4;

/// An output line: its indentation, code and comment.
#[derive(Default)]
struct Line {
    indent: usize,
    code: String,
    comment: Option<String>,
}

impl Line {
    fn is_blank(&self) -> bool {
        self.code.is_empty() && self.comment.is_none()
    }

    fn width(&self) -> usize {
        self.indent + self.code.chars().count()
    }
}

/// Where the continued lines of an open construct go: a bracket (closed by its bracket) or a
/// list that runs to the end of its statement (after `->`, the `=` of a definition or setting,
/// `deny`); brackets never hold such a list, so the innermost frame is the one a bracket closes.
struct Frame {
    /// The column of the first item, once it is placed (`None` until then).
    align: Option<usize>,
    /// Where the construct starts: a closing bracket on its own line goes there, and a list
    /// that starts on its own line is indented from there.
    base: usize,
}

impl Frame {
    fn align(&mut self) -> usize {
        *self.align.get_or_insert(self.base + INDENT)
    }
}

/// Whether the token opens a list that runs to the end of its statement.
fn opens_list(t: &Token) -> bool {
    match t.kind {
        Kind::Punct(Punct::Arrow) => true,
        Kind::Punct(Punct::Eq) => matches!(t.parent, Rule::def_decl | Rule::set_stmt),
        Kind::Word(Rule::kw_deny) => matches!(t.parent, Rule::deny_clause | Rule::cluster_stmt),
        _ => false,
    }
}

/// Whether the token starts the deny clause of a workload (`... deny metadata`).
fn starts_deny_clause(t: &Token) -> bool {
    t.kind == Kind::Word(Rule::kw_deny) && t.parent == Rule::deny_clause
}

/// Whether the grammar lets a line break follow the token: a `,` of a destination list, a
/// definition's parameters, a call's arguments or a label selector (not of `@allow(...)`, a
/// value set `in (a, b)` or a port suffix `icmp(8, 0)`).
fn breaks_after(t: &Token) -> bool {
    t.kind == Kind::Punct(Punct::Comma)
        && matches!(
            t.parent,
            Rule::dest_list | Rule::params | Rule::call | Rule::selector
        )
}

fn is_opening_bracket(t: &Token) -> bool {
    matches!(t.kind, Kind::Punct(Punct::LParen | Punct::LBrace))
}

fn is_closing_bracket(t: &Token) -> bool {
    matches!(t.kind, Kind::Punct(Punct::RParen | Punct::RBrace))
}

struct Layout<'a> {
    text: &'a str,
    /// The code tokens and comments, each with the number of line breaks before it.
    items: Vec<(&'a Token, usize)>,
    lines: Vec<Line>,
    line: Line,
    frames: Vec<Frame>,
    /// The last code token placed.
    prev: Option<&'a Token>,
}

/// The file's tokens laid out as text.
pub(super) fn lay_out(text: &str, tokens: &[Token]) -> String {
    let mut items = Vec::new();
    let mut breaks = 0;
    for t in tokens {
        if t.kind == Kind::Newline {
            breaks += 1;
        } else {
            items.push((t, breaks));
            breaks = 0;
        }
    }
    let mut layout = Layout {
        text,
        items,
        lines: Vec::new(),
        line: Line::default(),
        frames: Vec::new(),
        prev: None,
    };
    for i in 0..layout.items.len() {
        layout.place(i);
    }
    layout.end_line();
    render(layout.lines)
}

impl<'a> Layout<'a> {
    fn token(&self, i: usize) -> Option<(&'a Token, usize)> {
        self.items.get(i).copied()
    }

    /// Ends the current line (if it holds anything).
    fn end_line(&mut self) {
        let line = std::mem::take(&mut self.line);
        if !line.is_blank() {
            self.lines.push(line);
        }
    }

    /// A blank line, unless the output starts here or one is there already.
    fn blank_line(&mut self) {
        if self.lines.last().is_some_and(|l| !l.is_blank()) {
            self.lines.push(Line::default());
        }
    }

    /// Starts a new line at `indent`, after a blank line when the source had one.
    fn new_line(&mut self, indent: usize, breaks: usize) {
        self.end_line();
        if breaks >= 2 {
            self.blank_line();
        }
        self.line.indent = indent;
    }

    fn column(&self) -> usize {
        self.line.width()
    }

    /// Where a list's items go in the innermost frame (resolved now if it is still open).
    fn list_column(&mut self) -> usize {
        self.frames.last_mut().map_or(INDENT, Frame::align)
    }

    /// Where the construct of the innermost frame starts (its enclosing list's column, else
    /// the line's indentation).
    fn base(&self) -> usize {
        self.frames
            .last()
            .and_then(|f| f.align)
            .unwrap_or(self.line.indent)
    }

    fn place(&mut self, i: usize) {
        let Some((t, breaks)) = self.token(i) else {
            return;
        };
        if t.kind == Kind::Comment {
            self.comment(i, t, breaks);
            return;
        }
        if t.starts_statement {
            self.frames.clear();
            self.new_line(0, breaks);
        } else if starts_deny_clause(t) {
            // The clause takes the place of the allow list: aligned with its items.
            while self.frames.len() > 1 {
                self.frames.pop();
            }
            let column = self.list_column();
            self.frames.clear();
            if breaks > 0 || self.too_long(i) {
                self.new_line(column, breaks);
            } else {
                self.line.code.push(' ');
            }
        } else if breaks > 0 || self.line.comment.is_some() {
            let indent = if is_closing_bracket(t) {
                self.frames.last().map_or(0, |f| f.base)
            } else {
                self.list_column()
            };
            self.new_line(indent, breaks);
        } else if let Some(prev) = self.prev {
            if breaks_after(prev) && self.too_long(i) {
                let column = self.list_column();
                self.new_line(column, 0);
            } else if blank_between(prev, t) {
                self.line.code.push(' ');
            }
        }
        // The first item of a frame fixes the frame's column.
        let column = self.column();
        if let Some(f) = self.frames.last_mut()
            && f.align.is_none()
            && !is_closing_bracket(t)
        {
            f.align = Some(column);
        }
        self.line.code.push_str(t.text(self.text));
        if is_closing_bracket(t) {
            self.frames.pop();
        }
        if is_opening_bracket(t) || opens_list(t) {
            let base = self.base();
            self.frames.push(Frame { align: None, base });
        }
        self.prev = Some(t);
    }

    /// A comment: at the end of the line it followed code on, else on a line of its own at the
    /// margin (between statements) or at the list's column (inside one).
    fn comment(&mut self, index: usize, t: &Token, breaks: usize) {
        let text = t.text(self.text).trim_end().to_owned();
        if breaks == 0 && !self.line.code.is_empty() && self.line.comment.is_none() {
            self.line.comment = Some(text);
            return;
        }
        let between_statements = self
            .items
            .iter()
            .skip(index + 1)
            .find(|(t, _)| t.is_code())
            .is_none_or(|(t, _)| t.starts_statement);
        let indent = if between_statements || self.frames.is_empty() {
            0
        } else {
            self.list_column()
        };
        self.new_line(indent, breaks);
        self.line.comment = Some(text);
        self.end_line();
    }

    /// Whether the item starting at `i` does not fit on the current line: the text up to the
    /// next `,` of the same list (or the end of the list, the statement or the line in the
    /// source) would pass [`WIDTH`].
    fn too_long(&self, i: usize) -> bool {
        let mut width = self.column();
        let mut depth = 0usize;
        let mut prev = self.prev;
        for j in i.. {
            let Some((t, breaks)) = self.token(j) else {
                break;
            };
            if j > i && (breaks > 0 || t.kind == Kind::Comment || t.starts_statement) {
                break;
            }
            if j > i && depth == 0 && starts_deny_clause(t) {
                break;
            }
            if prev.is_some_and(|p| blank_between(p, t)) || (j == i && starts_deny_clause(t)) {
                width += 1;
            }
            width += t.text(self.text).chars().count();
            prev = Some(t);
            if is_opening_bracket(t) {
                depth += 1;
            } else if is_closing_bracket(t) {
                match depth.checked_sub(1) {
                    Some(d) => depth = d,
                    None => break,
                }
            } else if depth == 0 && j > i && t.kind == Kind::Punct(Punct::Comma) {
                break;
            }
        }
        width > WIDTH
    }
}

/// The lines as text: trailing comments of consecutive lines aligned two columns after the
/// longest code among them, no trailing blanks, one line break at the end.
fn render(mut lines: Vec<Line>) -> String {
    while lines.last().is_some_and(Line::is_blank) {
        lines.pop();
    }
    let trailing = |l: &Line| !l.code.is_empty() && l.comment.is_some();
    let mut columns = vec![0; lines.len()];
    let mut start = 0;
    while start < lines.len() {
        let mut end = start;
        while lines.get(end).is_some_and(trailing) {
            end += 1;
        }
        let column = lines
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .map(Line::width)
            .max()
            .unwrap_or(0)
            + 2;
        for c in columns.get_mut(start..end).unwrap_or_default() {
            *c = column;
        }
        start = end + 1;
    }
    let mut out = String::new();
    for (line, column) in lines.iter().zip(columns) {
        if line.is_blank() {
            out.push('\n');
            continue;
        }
        out.push_str(&" ".repeat(line.indent));
        out.push_str(&line.code);
        if let Some(c) = &line.comment {
            if !line.code.is_empty() {
                out.push_str(&" ".repeat(column.saturating_sub(line.width())));
            }
            out.push_str(c);
        }
        out.push('\n');
    }
    out
}
