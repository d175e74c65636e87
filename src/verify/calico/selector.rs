//! Calico's selector language (§np "Selectors"): a lexer, a recursive-descent parser and an
//! evaluator over a resource's labels, plus the labels Calico gives pods and namespaces.
//!
//! ```text
//! or      = and ("||" and)*
//! and     = unary ("&&" unary)*
//! unary   = "!" unary | primary
//! primary = "(" or ")" | "all()" | "global()" | "has(" LABEL ")"
//!         | LABEL ("==" | "!=" | "contains" | "starts" "with" | "ends" "with") STRING
//!         | LABEL ("in" | "not" "in") "{" (STRING ("," STRING)*)? "}"
//! ```
//!
//! Match operators bind tighter than parentheses, then `!`, then `&&`, then `||`. `has(`,
//! `all(` and `global(` are written without a blank before the parenthesis; the words `in`,
//! `not`, `contains`, `starts`, `ends` and `with` are keywords only where an operator is
//! expected, so they remain valid label names.

use std::collections::BTreeSet;
use std::fmt;

use crate::verify::{Labels, Pod};

// ---------------------------------------------------------------------------------------------
// Syntax tree and evaluation
// ---------------------------------------------------------------------------------------------

/// A parsed Calico selector expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    All,
    Global,
    Has(String),
    Eq(String, String),
    Ne(String, String),
    In(String, BTreeSet<String>),
    NotIn(String, BTreeSet<String>),
    Contains(String, String),
    StartsWith(String, String),
    EndsWith(String, String),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

impl Expr {
    /// Whether the expression selects the non-namespaced resources (the GlobalNetworkSets) when
    /// it is a `namespaceSelector`: `global()` holds, and a label test meets no labels.
    pub fn selects_global(&self) -> bool {
        match self {
            Expr::Global | Expr::All => true,
            Expr::Not(e) => !e.selects_global(),
            Expr::And(a, b) => a.selects_global() && b.selects_global(),
            Expr::Or(a, b) => a.selects_global() || b.selects_global(),
            other => other.eval(&Labels::new()),
        }
    }

    pub fn eval(&self, labels: &Labels) -> bool {
        self.eval_by(&|k| labels.get(k).map(String::as_str))
    }

    /// [`Expr::eval`] on the labels `label` gives, by key.
    pub fn eval_by<'l>(&self, label: &dyn Fn(&str) -> Option<&'l str>) -> bool {
        match self {
            Expr::All => true,
            // §np "global(): match all non-namespaced resources". We only ever match pods and
            // namespaces, which are not such resources.
            Expr::Global => false,
            Expr::Has(k) => label(k).is_some(),
            Expr::Eq(k, v) => label(k) == Some(v.as_str()),
            // §np: `k != 'v'` and `k not in {..}` also match resources without the label.
            Expr::Ne(k, v) => label(k) != Some(v.as_str()),
            Expr::In(k, vs) => label(k).is_some_and(|v| vs.iter().any(|x| x == v)),
            Expr::NotIn(k, vs) => label(k).is_none_or(|v| !vs.iter().any(|x| x == v)),
            Expr::Contains(k, s) => label(k).is_some_and(|v| v.contains(s.as_str())),
            Expr::StartsWith(k, s) => label(k).is_some_and(|v| v.starts_with(s.as_str())),
            Expr::EndsWith(k, s) => label(k).is_some_and(|v| v.ends_with(s.as_str())),
            Expr::Not(e) => !e.eval_by(label),
            Expr::And(a, b) => a.eval_by(label) && b.eval_by(label),
            Expr::Or(a, b) => a.eval_by(label) || b.eval_by(label),
        }
    }
}

/// A Calico selector and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    text: String,
    expr: Expr,
}

impl Selector {
    /// `all()`: what an absent `selector` means (§np/§gnp).
    pub fn all() -> Selector {
        Selector {
            text: "all()".to_owned(),
            expr: Expr::All,
        }
    }

    /// Parses a selector; an empty (or blank) one is `all()`.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let mut p = Parser {
            lexer: Lexer { src: text, pos: 0 },
        };
        let expr = if p.peek().kind == Kind::End {
            Expr::All
        } else {
            let e = p.or()?;
            let next = p.peek();
            if next.kind != Kind::End {
                return Err(p.err(
                    next,
                    format!("expected `&&`, `||` or the end, found {}", p.found(next)),
                ));
            }
            e
        };
        Ok(Selector {
            text: text.trim().to_owned(),
            expr,
        })
    }

    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// Whether a resource with these labels is selected.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.expr.eval(labels)
    }

    /// Whether a pod is selected, by the labels [`pod_labels`] gives it.
    pub fn matches_pod(&self, pod: &Pod) -> bool {
        self.expr.eval_by(&|k| pod_label(pod, k))
    }

    /// Whether a pod's namespace is selected, by the labels [`namespace_labels`] gives it.
    pub fn matches_namespace(&self, pod: &Pod) -> bool {
        self.expr.eval_by(&|k| namespace_label(pod, k))
    }

    pub fn is_all(&self) -> bool {
        self.expr == Expr::All
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The labels Calico matches a pod by: its own, plus the automatic `projectcalico.org/namespace`
/// and `projectcalico.org/orchestrator: k8s` (§labels, "Labels for matching workload
/// endpoints").
pub fn pod_labels(pod: &Pod) -> Labels {
    let mut labels = pod.labels.clone();
    labels.insert(NAMESPACE_OF_POD.into(), pod.namespace.clone());
    labels.insert(ORCHESTRATOR.into(), "k8s".into());
    labels
}

const NAMESPACE_OF_POD: &str = "projectcalico.org/namespace";
const ORCHESTRATOR: &str = "projectcalico.org/orchestrator";
const NAMESPACE_NAME: &str = "projectcalico.org/name";

/// One label of [`pod_labels`], without building them all.
fn pod_label<'a>(pod: &'a Pod, key: &str) -> Option<&'a str> {
    // A node's host endpoint carries the node's labels only (§hep: automatic host endpoints
    // copy them), none of a workload endpoint's.
    if pod.host {
        return pod.labels.get(key).map(String::as_str);
    }
    match key {
        NAMESPACE_OF_POD => Some(&pod.namespace),
        ORCHESTRATOR => Some("k8s"),
        _ => pod.labels.get(key).map(String::as_str),
    }
}

/// One label of [`namespace_labels`], without building them all.
fn namespace_label<'a>(pod: &'a Pod, key: &str) -> Option<&'a str> {
    match key {
        NAMESPACE_NAME => Some(&pod.namespace),
        _ => pod.namespace_label(key),
    }
}

/// The labels of a pod's namespace: its own (Kubernetes' `kubernetes.io/metadata.name`
/// among them) and Calico's `projectcalico.org/name` (§labels, "Labels for matching
/// namespaces").
pub fn namespace_labels(pod: &Pod) -> Labels {
    let mut labels = pod.namespace_labels();
    labels.insert(NAMESPACE_NAME.to_owned(), pod.namespace.clone());
    labels
}

// ---------------------------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------------------------

/// §np: label names are letters, digits, `_`, `.`, `/` and `-`.
fn is_label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-')
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A run of label characters: a label name, or a keyword where an operator is expected.
    Word,
    /// A quoted value (`'web'` or `"web"`, no escapes).
    Str,
    /// A quote with no closing quote.
    Unterminated,
    AndAnd,
    OrOr,
    EqEq,
    NotEq,
    Bang,
    LParen,
    RParen,
    LBrace,
    RBrace,
    Comma,
    /// Any other character.
    Other,
    End,
}

/// A token: its kind and where it stands in the text (byte offsets, always char boundaries).
#[derive(Clone, Copy, Debug)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

struct Lexer<'a> {
    src: &'a str,
    /// Where the next token starts looking (a char boundary).
    pos: usize,
}

impl Lexer<'_> {
    /// The next token after blanks, without consuming it.
    fn peek(&self) -> Token {
        let rest = self.src.get(self.pos..).unwrap_or_default();
        let trimmed = rest.trim_start();
        let start = self.pos + (rest.len() - trimmed.len());
        let token = |kind: Kind, len: usize| Token {
            kind,
            start,
            end: start + len,
        };
        let Some(c) = trimmed.chars().next() else {
            return token(Kind::End, 0);
        };
        for (text, kind) in [
            ("&&", Kind::AndAnd),
            ("||", Kind::OrOr),
            ("==", Kind::EqEq),
            ("!=", Kind::NotEq),
        ] {
            if trimmed.starts_with(text) {
                return token(kind, 2);
            }
        }
        match c {
            '!' => token(Kind::Bang, 1),
            '(' => token(Kind::LParen, 1),
            ')' => token(Kind::RParen, 1),
            '{' => token(Kind::LBrace, 1),
            '}' => token(Kind::RBrace, 1),
            ',' => token(Kind::Comma, 1),
            '\'' | '"' => match trimmed.get(1..).and_then(|body| body.find(c)) {
                Some(n) => token(Kind::Str, n + 2),
                None => token(Kind::Unterminated, trimmed.len()),
            },
            c if is_label_char(c) => {
                let n = trimmed
                    .find(|c: char| !is_label_char(c))
                    .unwrap_or(trimmed.len());
                token(Kind::Word, n)
            }
            c => token(Kind::Other, c.len_utf8()),
        }
    }

    fn text(&self, t: Token) -> &str {
        self.src.get(t.start..t.end).unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

struct Parser<'a> {
    lexer: Lexer<'a>,
}

impl Parser<'_> {
    fn peek(&self) -> Token {
        self.lexer.peek()
    }

    fn bump(&mut self, t: Token) {
        self.lexer.pos = t.end;
    }

    fn text(&self, t: Token) -> String {
        self.lexer.text(t).to_owned()
    }

    /// Consumes the next token if it is of `kind`.
    fn eat(&mut self, kind: Kind) -> bool {
        let t = self.peek();
        let hit = t.kind == kind;
        if hit {
            self.bump(t);
        }
        hit
    }

    /// Consumes the word `word` if it comes next.
    fn keyword(&mut self, word: &str) -> bool {
        let t = self.peek();
        let hit = t.kind == Kind::Word && self.lexer.text(t) == word;
        if hit {
            self.bump(t);
        }
        hit
    }

    fn err(&self, at: Token, msg: impl fmt::Display) -> String {
        let src = self.lexer.src;
        let col = src.get(..at.start).unwrap_or_default().chars().count() + 1;
        format!("selector `{src}`: {msg} at column {col}")
    }

    /// What stands at `t`, for messages: up to 12 characters, or "the end".
    fn found(&self, t: Token) -> String {
        if t.kind == Kind::End {
            "the end".to_owned()
        } else {
            let rest = self.lexer.src.get(t.start..).unwrap_or_default();
            let shown: String = rest.chars().take(12).collect();
            format!("`{shown}`")
        }
    }

    /// An error at the next token: `expected ..., found ...`.
    fn expected(&self, what: impl fmt::Display) -> String {
        let t = self.peek();
        self.err(t, format!("expected {what}, found {}", self.found(t)))
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.eat(Kind::OrOr) {
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        while self.eat(Kind::AndAnd) {
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat(Kind::Bang) {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn close(&mut self, after: &str) -> Result<(), String> {
        if self.eat(Kind::RParen) {
            Ok(())
        } else {
            Err(self.expected(format!("`)` after `{after}`")))
        }
    }

    /// A word written right against a `(`: `all(`, `global(`, `has(`.
    fn call(&mut self, word: Token) -> Option<String> {
        self.lexer.pos = word.end;
        let paren = self.peek();
        let name = self.text(word);
        if paren.kind == Kind::LParen
            && paren.start == word.end
            && matches!(name.as_str(), "all" | "global" | "has")
        {
            self.bump(paren);
            Some(name)
        } else {
            self.lexer.pos = word.start;
            None
        }
    }

    fn primary(&mut self) -> Result<Expr, String> {
        if self.eat(Kind::LParen) {
            let e = self.or()?;
            self.close("(...")?;
            return Ok(e);
        }
        let first = self.peek();
        if first.kind != Kind::Word {
            return Err(self.expected("a label, `has(`, `all()`, `global()`, `!` or `(`"));
        }
        match self.call(first).as_deref() {
            Some("all") => {
                self.close("all(")?;
                return Ok(Expr::All);
            }
            Some("global") => {
                self.close("global(")?;
                return Ok(Expr::Global);
            }
            Some(_) => {
                let key = self.peek();
                if key.kind != Kind::Word {
                    return Err(self.expected("a label name in `has(`"));
                }
                self.bump(key);
                let key = self.text(key);
                self.close(&format!("has({key}"))?;
                return Ok(Expr::Has(key));
            }
            None => {}
        }
        self.bump(first);
        let key = self.text(first);
        if self.eat(Kind::EqEq) {
            return Ok(Expr::Eq(key, self.string()?));
        }
        if self.eat(Kind::NotEq) {
            return Ok(Expr::Ne(key, self.string()?));
        }
        if self.keyword("not") {
            if !self.keyword("in") {
                return Err(self.expected("`in` after `not`"));
            }
            return Ok(Expr::NotIn(key, self.set()?));
        }
        if self.keyword("in") {
            return Ok(Expr::In(key, self.set()?));
        }
        if self.keyword("contains") {
            return Ok(Expr::Contains(key, self.string()?));
        }
        for (first, make) in [
            ("starts", Expr::StartsWith as fn(String, String) -> Expr),
            ("ends", Expr::EndsWith),
        ] {
            if self.keyword(first) {
                if !self.keyword("with") {
                    return Err(self.expected(format!("`with` after `{first}`")));
                }
                return Ok(make(key, self.string()?));
            }
        }
        Err(self.expected(format!(
            "an operator after label `{key}` (`==`, `!=`, `in`, `not in`, `contains`, `starts with`, `ends with`)"
        )))
    }

    fn string(&mut self) -> Result<String, String> {
        let t = self.peek();
        match t.kind {
            Kind::Str => {
                self.bump(t);
                let quoted = self.lexer.text(t);
                let inner = quoted
                    .get(1..quoted.len().saturating_sub(1))
                    .unwrap_or_default();
                Ok(inner.to_owned())
            }
            Kind::Unterminated => Err(self.err(t, "unterminated string")),
            _ => Err(self.expected("a quoted value")),
        }
    }

    fn set(&mut self) -> Result<BTreeSet<String>, String> {
        if !self.eat(Kind::LBrace) {
            return Err(self.expected("`{`"));
        }
        let mut values = BTreeSet::new();
        if self.eat(Kind::RBrace) {
            return Ok(values);
        }
        loop {
            values.insert(self.string()?);
            if self.eat(Kind::Comma) {
                continue;
            }
            if self.eat(Kind::RBrace) {
                return Ok(values);
            }
            return Err(self.expected("`,` or `}`"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// As label requirements
// ---------------------------------------------------------------------------------------------

/// At most this many alternatives in [`Expr::alternatives`].
const MAX_ALTERNATIVES: usize = 16;

impl Expr {
    /// The expression as alternatives (`||`) of Kubernetes-style requirements (`&&`) over the
    /// labels of pods and namespaces, when it can be written so: `k == 'v'`, `k != 'v'` (also
    /// matching pods without `k`, as `NotIn` does), `k in {..}`, `k not in {..}`, `has(k)`,
    /// `!has(k)`, `all()`, and `global()` (which no pod or namespace meets), under `!`, `&&` and
    /// `||`. `Err` names what cannot (`contains`, `starts with`, `ends with`).
    pub fn alternatives(&self) -> Result<Vec<Vec<crate::model::LabelReq>>, String> {
        self.dnf(false)
    }

    fn dnf(&self, negated: bool) -> Result<Vec<Vec<crate::model::LabelReq>>, String> {
        use crate::model::LabelReq;
        let one = |r: LabelReq| Ok(vec![vec![r]]);
        let set = |v: &str| BTreeSet::from([v.to_owned()]);
        match (self, negated) {
            (Expr::All, false) | (Expr::Global, true) => Ok(vec![Vec::new()]),
            (Expr::All, true) | (Expr::Global, false) => Ok(Vec::new()),
            (Expr::Has(k), false) => one(LabelReq::Exists(k.clone())),
            (Expr::Has(k), true) => one(LabelReq::DoesNotExist(k.clone())),
            (Expr::Eq(k, v), false) | (Expr::Ne(k, v), true) => {
                one(LabelReq::Eq(k.clone(), v.clone()))
            }
            (Expr::Eq(k, v), true) | (Expr::Ne(k, v), false) => {
                one(LabelReq::NotIn(k.clone(), set(v)))
            }
            (Expr::In(k, vs), false) | (Expr::NotIn(k, vs), true) => {
                one(LabelReq::In(k.clone(), vs.clone()))
            }
            (Expr::In(k, vs), true) | (Expr::NotIn(k, vs), false) => {
                one(LabelReq::NotIn(k.clone(), vs.clone()))
            }
            (Expr::Not(e), n) => e.dnf(!n),
            (Expr::And(a, b), false) | (Expr::Or(a, b), true) => {
                let (a, b) = (a.dnf(negated)?, b.dnf(negated)?);
                let mut out = Vec::new();
                for x in &a {
                    for y in &b {
                        let mut both = x.clone();
                        both.extend(y.iter().cloned());
                        out.push(both);
                        if out.len() > MAX_ALTERNATIVES {
                            return Err("too many alternatives".into());
                        }
                    }
                }
                Ok(out)
            }
            (Expr::Or(a, b), false) | (Expr::And(a, b), true) => {
                let mut out = a.dnf(negated)?;
                out.extend(b.dnf(negated)?);
                if out.len() > MAX_ALTERNATIVES {
                    return Err("too many alternatives".into());
                }
                Ok(out)
            }
            (Expr::Contains(..), _) => Err("`contains`".into()),
            (Expr::StartsWith(..), _) => Err("`starts with`".into()),
            (Expr::EndsWith(..), _) => Err("`ends with`".into()),
        }
    }
}
