//! Whether a blank separates two tokens on one line, decided by what the tokens are and the
//! rules around them, never by the statement they are in: `, ` after a comma, ` -> `, `x = y`
//! but `app=x` in a label selector, `name: type`, calls and brackets tight, a port suffix
//! (`:8000-8100/udp`, `:icmp(3, 4)`) written as one word. A mark these rules do not know keeps
//! the blank it had.

use crate::syntax::Rule;
use crate::syntax::tokens::{Kind, Punct, Token};

fn punct(t: &Token) -> Option<Punct> {
    match t.kind {
        Kind::Punct(p) => Some(p),
        _ => None,
    }
}

/// Whether the token lies in a port suffix (`:5432/tcp`, `:icmp(8, 0)`).
fn in_port_suffix(t: &Token) -> bool {
    matches!(t.parent, Rule::port_suffix | Rule::service_args)
}

/// Whether `next` follows `prev` after a blank.
pub(super) fn blank_between(prev: &Token, next: &Token) -> bool {
    let (p, n) = (punct(prev), punct(next));
    if p == Some(Punct::Other) || n == Some(Punct::Other) {
        return next.space_before;
    }
    // `x :5432` is a name and a port suffix; written `x:5432` it would be one literal.
    if n == Some(Punct::Colon)
        && next.parent == Rule::port_suffix
        && prev.rule() == Some(Rule::atom)
    {
        return next.space_before;
    }
    match (p, n) {
        (_, Some(Punct::Comma)) => false,
        (Some(Punct::Comma), _) => true,
        (Some(Punct::Arrow), _) | (_, Some(Punct::Arrow)) => true,
        (Some(Punct::At | Punct::LParen | Punct::LBrace | Punct::Bang | Punct::Slash), _) => false,
        (_, Some(Punct::RParen | Punct::RBrace | Punct::Colon | Punct::Slash)) => false,
        // `env in (prod, staging)`, but `rds(...)`, `pods(...)`, `@allow(...)`, `icmp(8)`.
        (_, Some(Punct::LParen)) => matches!(prev.rule(), Some(Rule::kw_in | Rule::kw_notin)),
        // `pods nightly {tier=batch}`, `cluster agents {app=agent}`, `host workers
        // {type=worker}`, but `pods{app=x}`, `ns{team=a}`.
        (_, Some(Punct::LBrace)) => matches!(
            next.grandparent,
            Some(Rule::pods_stmt | Rule::cluster_stmt | Rule::host_stmt)
        ),
        (Some(Punct::Eq), _) => prev.parent != Rule::label_eq,
        (_, Some(Punct::Eq)) => next.parent != Rule::label_eq,
        // `name: type`
        (Some(Punct::Colon), _) => prev.parent == Rule::param,
        _ if in_port_suffix(prev) && in_port_suffix(next) => false,
        _ => true,
    }
}
