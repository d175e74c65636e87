//! Pitfall lints: warnings about policies that are valid but probably not what was meant. Runs
//! after lowering, on the checked program (source spans of every destination) and the IR.
//!
//! Each lint lives in its own file under `rules` with a stable `W01xx` code, a kebab-case
//! name (`no-dns`), its explanation, the settings it reads and its check; [`registry`] lists
//! them and maps code ↔ name ↔ rule. This module runs them and applies levels and suppressions.
//!
//! Levels are set per lint (`--allow`, `--warn`, `--deny`, `--deny-warnings`, by code or name),
//! and one statement can silence one lint with `@allow(CODE or NAME, "reason")` on the line above
//! it. Thresholds and cluster facts come from `set` statements, validated by the checker against
//! the lints' declarations ([`settings`]).

mod helpers;
pub mod registry;
pub(crate) mod rules;
pub mod settings;

use std::collections::BTreeMap;

use crate::check::checked::{self, Suppression};
use crate::diagnostics::{Code, Diagnostics, Severity};
use crate::ir;
use crate::source::{FileId, Span};

pub use registry::{Rule, explanation};

/// What to do with a lint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

/// Lint levels from the command line.
#[derive(Clone, Debug, Default)]
pub struct LintConfig {
    pub levels: BTreeMap<Code, Level>,
    /// `--deny-warnings`: every warning that is not allowed becomes an error.
    pub deny_warnings: bool,
}

impl LintConfig {
    fn level(&self, code: Code) -> Level {
        match self.levels.get(&code) {
            Some(l) => *l,
            None if self.deny_warnings => Level::Deny,
            None => Level::Warn,
        }
    }
}

/// What a lint looks at: the checked program (with the source span of every destination, the
/// settings) and its IR.
pub(crate) struct Context<'a> {
    pub program: &'a checked::Program,
    pub ir: &'a ir::Program,
}

/// Every lint code, in order.
pub fn codes() -> impl Iterator<Item = Code> {
    registry::RULES.iter().map(|r| r.code)
}

/// The statements `@allow(...)` silences, per lint and file, ordered by start, with the
/// furthest end reached so far: whether one holds a span is a binary search.
struct Silenced {
    statements: BTreeMap<(Code, FileId), Vec<(u32, u32)>>,
}

impl Silenced {
    fn new(suppressions: &[Suppression]) -> Silenced {
        let mut statements: BTreeMap<(Code, FileId), Vec<(u32, u32)>> = BTreeMap::new();
        for s in suppressions {
            statements
                .entry((s.code, s.statement.file))
                .or_default()
                .push((s.statement.start, s.statement.end));
        }
        for list in statements.values_mut() {
            list.sort_unstable();
            let mut furthest = 0;
            for (_, end) in list.iter_mut() {
                furthest = furthest.max(*end);
                *end = furthest;
            }
        }
        Silenced { statements }
    }

    /// Whether a statement with an `@allow` of `code` holds `span`.
    fn holds(&self, code: Code, span: Span) -> bool {
        let Some(list) = self.statements.get(&(code, span.file)) else {
            return false;
        };
        let starting_before = list.partition_point(|(start, _)| *start <= span.start);
        starting_before
            .checked_sub(1)
            .and_then(|i| list.get(i))
            .is_some_and(|(_, furthest)| span.end <= *furthest)
    }
}

/// All lints, filtered by level and suppressions.
pub(crate) fn lint(
    program: &checked::Program,
    ir: &ir::Program,
    config: &LintConfig,
) -> Diagnostics {
    let cx = Context { program, ir };
    let mut found = Vec::new();
    for rule in registry::RULES {
        if config.level(rule.code) != Level::Allow {
            (rule.check)(&cx, &mut found);
        }
    }
    let silenced = Silenced::new(&program.suppressions);
    let mut out = Diagnostics::new();
    for d in found {
        let Some(span) = d.primary_span() else {
            continue;
        };
        if silenced.holds(d.code, span) {
            continue;
        }
        match config.level(d.code) {
            Level::Allow => {}
            Level::Warn => out.push(d),
            Level::Deny => {
                let why = if config.levels.get(&d.code) == Some(&Level::Deny) {
                    format!("`{}` is denied (--deny {})", d.code, d.code)
                } else {
                    "warnings are denied (--deny-warnings)".to_owned()
                };
                let mut d = d.note(why);
                d.severity = Severity::Error;
                out.push(d);
            }
        }
    }
    out.sort();
    out
}
