//! `@allow(LINT, "reason")`: a lint, by code or name (`lint::registry`), and a reason, attached
//! to the statement below.
//!
//! The checker only checks and records suppressions ([`checked::Suppression`]); the lints
//! apply them to the warnings that fall inside the statement. Errors cannot be silenced.

use super::checked;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::lint::registry;
use crate::source::Span;
use crate::syntax::ast;

/// The span of a statement, for `@allow` suppressions: a warning inside it is silenced.
pub(super) fn item_span(item: &ast::Item) -> Span {
    match item {
        ast::Item::Namespace(n) => n.span,
        ast::Item::Def(d) => d.span,
        ast::Item::Workload(w) => w.span,
        ast::Item::DefaultDeny(s) => *s,
        ast::Item::Cluster(c) => c.span,
        ast::Item::Host(h) => h.span,
        ast::Item::Reserved(r) => r.span,
        ast::Item::Set(s) => s.span,
        ast::Item::Allow(a) => a.span,
        ast::Item::Expect(e) => e.span,
    }
}

/// Checks `@allow(LINT, "reason")` above the statement at `statement`: a lint's code or name
/// (E0703, with the closest code or name or the list of lints; an error code is named as such)
/// and a reason that is not blank (E0704). `None` after reporting, when either is missing.
pub(super) fn suppression(
    diags: &mut Diagnostics,
    a: &ast::Suppression,
    statement: Span,
) -> Option<checked::Suppression> {
    let code = match registry::find(&a.code.node) {
        Some(rule) => rule.code,
        None => {
            let mut d = Diagnostic::new(
                Code::E0703,
                a.code.span,
                format!("unknown lint `{}`", a.code.node),
            )
            .label(if Code::parse(&a.code.node).is_some() {
                "an error, and errors cannot be silenced"
            } else {
                "not a warning egressc reports"
            });
            d = match registry::closest(&a.code.node) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.note(format!("the lints are {}", registry::listing())),
            };
            diags.push(d);
            return None;
        }
    };
    let has_reason = a.reason.as_ref().is_some_and(|r| !r.node.trim().is_empty());
    if !has_reason {
        diags.push(
            Diagnostic::new(
                Code::E0704,
                a.span,
                format!("silencing `{code}` needs a reason"),
            )
            .label("no reason given")
            .help(format!(
                "say why, as in `@allow({code}, \"reviewed with the network team\")`"
            )),
        );
        return None;
    }
    Some(checked::Suppression { code, statement })
}

/// E0705 for each `@allow` left at the end of a file, with no statement below it: it would
/// silence nothing, which is never what its author meant.
pub(super) fn unattached(diags: &mut Diagnostics, pending: Vec<&ast::Suppression>) {
    for a in pending {
        diags.push(
            Diagnostic::new(
                Code::E0705,
                a.span,
                "`@allow` is not followed by a statement",
            )
            .label("silences nothing")
            .help(
                "put `@allow(CODE, \"reason\")` on the line right above the statement it silences",
            ),
        );
    }
}
