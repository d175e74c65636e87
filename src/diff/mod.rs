//! `egressc diff`: what a change to the policies does, decided by the evaluators, never by
//! comparing text. Both sides are built for each target; the YAML each emits is read back by
//! that product's evaluator (`verify::reading`), and both readings decide every flow at the
//! edges of either's rules, one source pod at a time (`verify::universe::compare_scoped`). A
//! reformatted or reordered program emits policies that decide every flow the same way, so it
//! shows no difference.
//!
//! The old side is a program (the same files at another revision, or other files), or YAML
//! policies as they are in a cluster, read as `egressc import` reads them: then the program is
//! compared on the YAML's own product. The flows that differ are grouped into rows a reviewer
//! reads (`rows.rs`): per workload, the destination as the source writes it. Diagnostics the new
//! program has and the old one had not (new refusals, new warnings) are reported with them.
//! `report.rs` prints the result as text, markdown (a pull-request comment) or JSON.
//!
//! Pure: inputs in, a [`Diff`] out.

mod report;
mod rows;

use std::collections::BTreeSet;

use crate::backend::Target;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::lint::LintConfig;
use crate::source::{SourceMap, Span};
use crate::verify::cursor::Mode;
use crate::verify::reading::Reading;
use crate::{Compilation, Input, compile_with};

pub use report::{human, json, markdown};
pub use rows::{Change, Row};

/// How many differing flows are decided and grouped per target at the most; past it the rows
/// say "at least".
pub const MAX_FLOWS: usize = 100_000;

/// The old side of a diff.
#[derive(Clone, Copy, Debug)]
pub enum Old<'a> {
    /// A program: the same files at another revision, or other files.
    Program(&'a [Input]),
    /// YAML policies as they are (in a cluster), read as `egressc import` reads them.
    Yaml(&'a [Input]),
}

/// What one target makes of the change.
#[derive(Debug)]
pub enum Outcome {
    /// Both sides built and decided: the rows of what changed (none: no difference).
    Compared {
        rows: Vec<Row>,
        /// How many flows both sides decided alike.
        agreed: usize,
        /// Whether [`MAX_FLOWS`] differing flows were reached (the counts are lower bounds).
        truncated: bool,
        /// Flows a side could not decide, with why.
        undecided: Vec<String>,
    },
    /// The new program does not build for the target (its errors are among the diagnostics).
    NewRefused,
    /// The old side does not build or read for the target: nothing to compare with.
    OldRefused(String),
}

/// What one target makes of the change.
#[derive(Debug)]
pub struct TargetDiff {
    pub target: Target,
    pub outcome: Outcome,
}

/// The result of a diff.
#[derive(Debug)]
pub struct Diff {
    /// The new program's files (and the standard library), for its diagnostics.
    pub sources: SourceMap,
    /// The new program's diagnostics that the old side did not have: new refusals, errors and
    /// warnings.
    pub introduced: Diagnostics,
    /// The old side's files.
    pub old_sources: SourceMap,
    /// What reading the old side said: for YAML, what the importer's reading could not see
    /// (W08xx) or refused.
    pub old_notes: Diagnostics,
    pub targets: Vec<TargetDiff>,
    /// A Mermaid picture of what the workloads of the rows may reach in the new program.
    pub graph: Option<String>,
}

impl Diff {
    /// Whether anything becomes reachable that was not, on any target.
    pub fn wider(&self) -> bool {
        self.rows().any(|r| r.change == Change::Gained)
    }

    /// Whether the new program has errors (it does not build, or a target refuses it).
    pub fn has_errors(&self) -> bool {
        self.introduced.has_errors()
            || self
                .targets
                .iter()
                .any(|t| matches!(t.outcome, Outcome::NewRefused))
    }

    fn rows(&self) -> impl Iterator<Item = &Row> {
        self.targets.iter().flat_map(|t| match &t.outcome {
            Outcome::Compared { rows, .. } => rows.as_slice(),
            _ => &[],
        })
    }
}

/// A diagnostic as compared between the sides: its code and message.
type Finding = (String, String);

/// The same code and message is the same finding, wherever it is.
fn finding(d: &Diagnostic) -> Finding {
    (d.code.as_str().to_owned(), d.message.clone())
}

/// The first error's message, for a side that does not build.
fn first_error(c: &Compilation) -> String {
    c.analysis
        .diagnostics
        .iter()
        .find(|d| d.is_error())
        .map_or_else(String::new, |d| {
            format!("{}: {}", d.code.as_str(), d.message)
        })
}

/// Compares `old` with the program `new` on `targets` (for YAML, on the YAML's own product).
pub fn diff(old: Old<'_>, new: &[Input], targets: &[Target], lints: &LintConfig) -> Diff {
    let mut old_notes = Diagnostics::new();
    let mut old_sources = SourceMap::new();
    let mut known: BTreeSet<Finding> = BTreeSet::new();
    let live = match old {
        Old::Yaml(inputs) => {
            let live = crate::import::live(inputs);
            old_notes = live.diagnostics;
            old_sources = live.sources;
            Some(live.reading)
        }
        Old::Program(_) => None,
    };
    let targets: Vec<Target> = match &live {
        Some(Some(reading)) => vec![reading.target()],
        _ => targets.to_vec(),
    };
    let mut first: Option<Compilation> = None;
    let mut introduced = Diagnostics::new();
    let mut seen: BTreeSet<(Finding, Option<Span>)> = BTreeSet::new();
    let mut out = Vec::new();
    for target in targets {
        let new_c = compile_with(new, &[target], lints);
        let old_c = match old {
            Old::Program(inputs) => {
                let c = compile_with(inputs, &[target], lints);
                known.extend(c.analysis.diagnostics.iter().map(finding));
                Some(c)
            }
            Old::Yaml(_) => None,
        };
        for d in new_c.analysis.diagnostics.iter() {
            let at = d.primary_span();
            let found = finding(d);
            if !known.contains(&found) && seen.insert((found, at)) {
                introduced.push(d.clone());
            }
        }
        let outcome = compare(target, &new_c, old_c.as_ref(), live.as_ref());
        if let Some(c) = old_c
            && old_sources.iter().next().is_none()
        {
            old_sources = c.analysis.sources;
        }
        if first.is_none() {
            first = Some(new_c);
        }
        out.push(TargetDiff { target, outcome });
    }
    let changed: BTreeSet<String> = out
        .iter()
        .flat_map(|t| match &t.outcome {
            Outcome::Compared { rows, .. } => rows.as_slice(),
            _ => &[],
        })
        .map(|r| r.workload.clone())
        .collect();
    let graph = first
        .as_ref()
        .and_then(|c| c.analysis.ir.as_ref())
        .filter(|_| !changed.is_empty())
        .map(|ir| crate::ir::graph::graph(ir, crate::ir::graph::Style::Mermaid, Some(&changed)))
        .filter(|g| g.lines().count() > 1);
    Diff {
        sources: first.map(|c| c.analysis.sources).unwrap_or_default(),
        introduced,
        old_sources,
        old_notes,
        targets: out,
        graph,
    }
}

/// One target: both sides read back and compared, the differences grouped into rows. `old` is
/// the old program's build; without it, `live` is the old YAML's reading.
fn compare(
    target: Target,
    new: &Compilation,
    old: Option<&Compilation>,
    live: Option<&Option<Reading>>,
) -> Outcome {
    let Some(new_yaml) = new.outputs.first().filter(|_| !new.has_errors()) else {
        return Outcome::NewRefused;
    };
    let read = |text: &str| Reading::read(target, text, Mode::Evaluate);
    let new_reading = match read(&new_yaml.stream()) {
        Ok(r) => r,
        Err(e) => {
            return Outcome::OldRefused(format!(
                "cannot be compared: the new YAML cannot be read back: {e}"
            ));
        }
    };
    let old_reading = match (old, live) {
        (Some(c), _) => match c.outputs.first().filter(|_| !c.has_errors()) {
            Some(o) => match read(&o.stream()) {
                Ok(r) => r,
                Err(e) => return Outcome::OldRefused(format!("cannot be read back: {e}")),
            },
            None => return Outcome::OldRefused(format!("does not build: {}", first_error(c))),
        },
        (None, Some(Some(reading))) => {
            return compared(reading, &new_reading, None, new);
        }
        (None, _) => return Outcome::OldRefused("could not be read".into()),
    };
    compared(&old_reading, &new_reading, old.map(|c| &c.analysis), new)
}

/// The two readings compared, the differences grouped.
fn compared(
    old: &Reading,
    new: &Reading,
    old_analysis: Option<&crate::Analysis>,
    new_c: &Compilation,
) -> Outcome {
    let Some(cmp) = old.compare(new, MAX_FLOWS) else {
        return Outcome::OldRefused("is for another product".into());
    };
    Outcome::Compared {
        truncated: cmp.differences.len() >= MAX_FLOWS,
        rows: rows::group(&cmp.differences, old_analysis, &new_c.analysis),
        agreed: cmp.agreed,
        undecided: cmp.undecided,
    }
}
