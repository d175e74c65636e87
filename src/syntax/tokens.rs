//! A file as a lossless stream of tokens, for tools that lay text out again (`egressc fmt`):
//! every word, literal, punctuation mark, comment and line break in order, each with the grammar
//! rules around it, so that layout can be decided per kind of token and the place it stands in
//! rather than per kind of statement. Besides `pairs_to_ast.rs`, the only module that reads
//! pest pairs.
//!
//! The parse tree gives the tokens the grammar names (keywords, names, literals, strings); what
//! lies between them is punctuation, blanks, comments and line breaks, read here as a lexer
//! would. A construct added to the grammar needs nothing here: its rules become the context of
//! its tokens, and a mark this module does not know is kept as [`Punct::Other`].

use pest::iterators::Pair;

use super::parser::Rule;
use crate::diagnostics::Diagnostic;
use crate::source::FileId;

/// A punctuation mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Punct {
    /// `->`
    Arrow,
    Comma,
    LParen,
    RParen,
    LBrace,
    RBrace,
    /// `=`
    Eq,
    /// `!=`
    NotEq,
    /// `!`
    Bang,
    Colon,
    Slash,
    Pipe,
    At,
    /// A mark the layout rules do not know: kept as written, blanks around it included.
    Other,
}

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A token the grammar names: a keyword, name, literal or string; its rule says which.
    Word(Rule),
    /// A word written in the grammar as a literal (`ns` in `pods(ns{...})`).
    Literal,
    Punct(Punct),
    /// `# ...` up to the end of its line.
    Comment,
    /// A line break (`\n`, `\r\n` or `\r`).
    Newline,
}

/// One token: what it is, where it is, and the rules around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    /// The innermost rule the token lies in (for a word, the rule around the word's own).
    pub parent: Rule,
    /// The rule around `parent` (`None` at the top).
    pub grandparent: Option<Rule>,
    /// Whether a blank (space or tab) stands right before the token on its line.
    pub space_before: bool,
    /// Whether the token starts a statement.
    pub starts_statement: bool,
}

impl Token {
    /// The token's text in `text`.
    pub fn text<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.start..self.end).unwrap_or_default()
    }

    /// The rule of a word the grammar names.
    pub fn rule(&self) -> Option<Rule> {
        match self.kind {
            Kind::Word(r) => Some(r),
            _ => None,
        }
    }

    /// Whether the token is code: neither a comment nor a line break.
    pub fn is_code(&self) -> bool {
        !matches!(self.kind, Kind::Comment | Kind::Newline)
    }
}

/// The tokens of `text`, or the diagnostics of a file that does not parse (as
/// [`super::parse`] gives them).
pub fn tokens(file: FileId, text: &str) -> Result<Vec<Token>, Diagnostic> {
    let pairs = super::pairs(file, text)?;
    let mut lexer = Lexer {
        text,
        pos: 0,
        out: Vec::new(),
        statement: false,
    };
    for file_pair in pairs {
        lexer.walk(file_pair, None);
    }
    lexer.gap(text.len(), Rule::file, None);
    Ok(lexer.out)
}

struct Lexer<'t> {
    text: &'t str,
    /// Where the text not yet read starts.
    pos: usize,
    out: Vec<Token>,
    /// The next token starts a statement.
    statement: bool,
}

/// Whether a pair is one token: a childless pair (keywords, names, literals), or a string,
/// except the childless forms of brackets (`()`, `{}`), which are punctuation.
fn is_token(pair: &Pair<'_, Rule>) -> bool {
    match pair.as_rule() {
        Rule::string => true,
        Rule::params | Rule::selector => false,
        _ => pair.clone().into_inner().next().is_none(),
    }
}

impl Lexer<'_> {
    fn walk(&mut self, pair: Pair<'_, Rule>, grandparent: Option<Rule>) {
        let rule = pair.as_rule();
        let end = pair.as_span().end();
        for child in pair.into_inner() {
            self.child(child, rule, grandparent);
        }
        self.gap(end, rule, grandparent);
    }

    /// A child of a pair of rule `rule`.
    fn child(&mut self, child: Pair<'_, Rule>, rule: Rule, grandparent: Option<Rule>) {
        match child.as_rule() {
            Rule::EOI => return,
            // A rule that only groups for the parser: its children stand in its place.
            Rule::plain_atom => {
                for c in child.into_inner() {
                    self.child(c, rule, grandparent);
                }
                return;
            }
            _ => {}
        }
        let span = child.as_span();
        self.gap(span.start(), rule, grandparent);
        if rule == Rule::file {
            self.statement = true;
        }
        if is_token(&child) {
            self.push(
                Kind::Word(child.as_rule()),
                span.start(),
                span.end(),
                (rule, grandparent),
            );
            self.pos = span.end();
        } else {
            self.walk(child, Some(rule));
        }
    }

    fn push(
        &mut self,
        kind: Kind,
        start: usize,
        end: usize,
        (parent, grandparent): (Rule, Option<Rule>),
    ) {
        let before = self.text.get(..start).unwrap_or_default();
        let space_before = before.ends_with([' ', '\t']);
        let starts_statement = self.statement && !matches!(kind, Kind::Comment | Kind::Newline);
        if starts_statement {
            self.statement = false;
        }
        self.out.push(Token {
            kind,
            start,
            end,
            parent,
            grandparent,
            space_before,
            starts_statement,
        });
    }

    /// Reads the text from the current position up to `end`: blanks, line breaks, comments,
    /// punctuation and the words written as literals in the grammar.
    fn gap(&mut self, end: usize, parent: Rule, grandparent: Option<Rule>) {
        let context = (parent, grandparent);
        while self.pos < end {
            let rest = self.text.get(self.pos..end).unwrap_or_default();
            let Some(c) = rest.chars().next() else {
                break;
            };
            let start = self.pos;
            let len = match c {
                ' ' | '\t' => {
                    self.pos += 1;
                    continue;
                }
                '\r' if rest.starts_with("\r\n") => {
                    self.push(Kind::Newline, start, start + 2, context);
                    2
                }
                '\r' | '\n' => {
                    self.push(Kind::Newline, start, start + 1, context);
                    1
                }
                '#' => {
                    let len = rest.find(['\r', '\n']).unwrap_or(rest.len());
                    self.push(Kind::Comment, start, start + len, context);
                    len
                }
                _ => {
                    let (kind, len) = mark(rest, c);
                    self.push(kind, start, start + len, context);
                    len
                }
            };
            self.pos = start + len.max(1);
        }
    }
}

/// The punctuation mark or literal word at the start of `rest` (which starts with `c`), and its
/// length.
fn mark(rest: &str, c: char) -> (Kind, usize) {
    let punct = |p| (Kind::Punct(p), 1);
    match c {
        '-' if rest.starts_with("->") => (Kind::Punct(Punct::Arrow), 2),
        '!' if rest.starts_with("!=") => (Kind::Punct(Punct::NotEq), 2),
        ',' => punct(Punct::Comma),
        '(' => punct(Punct::LParen),
        ')' => punct(Punct::RParen),
        '{' => punct(Punct::LBrace),
        '}' => punct(Punct::RBrace),
        '=' => punct(Punct::Eq),
        '!' => punct(Punct::Bang),
        ':' => punct(Punct::Colon),
        '/' => punct(Punct::Slash),
        '|' => punct(Punct::Pipe),
        '@' => punct(Punct::At),
        c if c.is_alphanumeric() => {
            let len = rest
                .find(|x: char| !(x.is_alphanumeric() || x == '-' || x == '_'))
                .unwrap_or(rest.len());
            (Kind::Literal, len)
        }
        c => (Kind::Punct(Punct::Other), c.len_utf8()),
    }
}

/// One entry of an [`outline`]: a token's text and, for code, the rules around it.
pub type Mark = (String, Option<(Kind, Rule, Option<Rule>)>);

/// What must stay the same when a file is laid out again: every code token's text, kind and
/// the rules around it, and every comment's text (without trailing blanks), in order.
pub fn outline(text: &str, tokens: &[Token]) -> Vec<Mark> {
    tokens
        .iter()
        .filter(|t| t.kind != Kind::Newline)
        .map(|t| match t.kind {
            Kind::Comment => (t.text(text).trim_end().to_owned(), None),
            kind => (
                t.text(text).to_owned(),
                Some((kind, t.parent, t.grandparent)),
            ),
        })
        .collect()
}
