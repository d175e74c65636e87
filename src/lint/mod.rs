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

use crate::check::checked::{self, Suppression, Workload};
use crate::diagnostics::{Code, Diagnostic, Diagnostics, Severity};
use crate::ir::Policy;
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
#[derive(Clone, Debug, Default, PartialEq)]
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
/// settings).
pub(crate) struct Context<'a> {
    pub program: &'a checked::Program,
}

/// How a lint looks at the program.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Check {
    /// One workload at a time, with its policy. What it finds about a workload depends on that
    /// workload, its policy and the program's settings, DNS server, guardrails and cluster
    /// statements ([`WorkloadContext`]), never on the other workloads: an analysis that kept a
    /// workload's findings from the last one (the language server's) need not look again.
    Workload(fn(&Context<'_>, &Workload, &Policy, &mut Vec<Diagnostic>)),
    /// The program as a whole.
    Program(fn(&Context<'_>, &mut Vec<Diagnostic>)),
}

/// What [`Check::Workload`] lints read of the program besides the workload, and the levels they
/// run at: a workload's findings stay valid while this is the same.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct WorkloadContext {
    settings: checked::Settings,
    dns_server: Vec<crate::model::Peer>,
    guardrails: Vec<checked::Guardrail>,
    cluster_workloads: Vec<checked::ClusterWorkload>,
    config: LintConfig,
}

impl WorkloadContext {
    pub fn of(program: &checked::Program, config: &LintConfig) -> WorkloadContext {
        WorkloadContext {
            settings: program.settings.clone(),
            dns_server: program.dns_server.clone(),
            guardrails: program.guardrails.clone(),
            cluster_workloads: program.cluster_workloads.clone(),
            config: config.clone(),
        }
    }
}

/// What the [`Check::Workload`] lints found about one workload, each finding with the index of
/// its lint in [`registry::RULES`], in that order.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Findings(pub Vec<(usize, Diagnostic)>);

impl Findings {
    /// Every span of file `file` moved by `delta` bytes (see [`Span::moved`]).
    pub fn move_spans(&mut self, file: FileId, delta: i64) {
        for (_, d) in &mut self.0 {
            for l in &mut d.labels {
                l.span = l.span.moved(file, delta);
            }
        }
    }
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

/// All lints, filtered by level and suppressions; `policies` holds each workload's policy, in
/// the order of the program's workloads.
pub(crate) fn lint(
    program: &checked::Program,
    policies: &[Policy],
    config: &LintConfig,
) -> Diagnostics {
    let cx = Context { program };
    let found: Vec<(usize, Diagnostic)> = program
        .workloads
        .iter()
        .zip(policies)
        .flat_map(|(w, p)| workload(&cx, w, p, config).0)
        .collect();
    finish_owned(program, found, config)
}

/// What the [`Check::Workload`] lints that `config` does not allow find about workload `w`
/// with policy `p`.
pub(crate) fn workload(
    cx: &Context<'_>,
    w: &Workload,
    p: &Policy,
    config: &LintConfig,
) -> Findings {
    let mut out = Vec::new();
    let mut found = Vec::new();
    for (i, rule) in registry::RULES.iter().enumerate() {
        if let Check::Workload(check) = rule.check
            && config.level(rule.code) != Level::Allow
        {
            check(cx, w, p, &mut found);
            out.extend(found.drain(..).map(|d| (i, d)));
        }
    }
    Findings(out)
}

/// All lints, filtered by level and suppressions, from the findings of each workload (in the
/// order of the program's workloads, as [`workload`] gives them) and the [`Check::Program`]
/// lints run now. The findings are taken lint by lint, as if each lint ran on the whole
/// program.
pub(crate) fn finish(
    program: &checked::Program,
    workloads: &[&Findings],
    config: &LintConfig,
) -> Diagnostics {
    let found = workloads.iter().flat_map(|f| f.0.iter().cloned()).collect();
    finish_owned(program, found, config)
}

/// [`finish`] from the findings of every workload, in the order of the program's workloads,
/// taken rather than copied.
fn finish_owned(
    program: &checked::Program,
    mut workloads: Vec<(usize, Diagnostic)>,
    config: &LintConfig,
) -> Diagnostics {
    let cx = Context { program };
    // Stable: the findings of one lint stay in workload order.
    workloads.sort_by_key(|(rule, _)| *rule);
    let mut workloads = workloads.into_iter().peekable();
    let mut found = Vec::new();
    for (i, rule) in registry::RULES.iter().enumerate() {
        // Findings of lints before this one that were not taken (none, as `workload` runs only
        // lints that are not allowed) are dropped.
        while workloads.next_if(|(rule, _)| *rule < i).is_some() {}
        if config.level(rule.code) == Level::Allow {
            continue;
        }
        match rule.check {
            Check::Program(check) => check(&cx, &mut found),
            Check::Workload(_) => {
                while let Some((_, d)) = workloads.next_if(|(rule, _)| *rule == i) {
                    found.push(d);
                }
            }
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
