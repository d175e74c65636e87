//! What one analysis of a program keeps for the next (the language server analyses a program
//! again after every edit): what the workload lints found about each workload.
//!
//! The findings depend on the workload alone, and on what [`WorkloadContext`] holds of the rest
//! of the program: a workload that is the same as last time gets them again, and only the
//! workloads an edit changed are lowered and linted. A workload that only moved in its file
//! (text inserted or removed above its statement) is the same: its spans, and those of its
//! findings, are moved with it. Linting reads spans only to carry them and to order by them,
//! and moving the spans of one file by one amount keeps their order, so the diagnostics equal
//! a fresh analysis's. No IR is kept or assembled: the language server publishes diagnostics
//! and builds no output.

use std::collections::HashMap;

use crate::check::checked::{Dest, Program, Workload};
use crate::diagnostics::Diagnostics;
use crate::ir;
use crate::lint::{self, Findings, LintConfig, WorkloadContext};
use crate::source::FileId;

/// The results kept from the last analysis, by namespace and workload name.
#[derive(Debug, Default)]
pub(crate) struct Kept {
    /// What the workload lints read besides the workload, as they last ran: when it differs,
    /// nothing kept is valid.
    context: Option<WorkloadContext>,
    workloads: HashMap<String, HashMap<String, Entry>>,
    /// The analysis an entry was last used by (entries no analysis used are dropped).
    generation: u64,
    /// How many workloads the last analysis lowered and linted (the others were kept).
    pub(crate) last_lowered: usize,
}

#[derive(Debug)]
struct Entry {
    workload: Workload,
    findings: Findings,
    generation: u64,
}

impl Kept {
    /// What the lints find in the program, as a fresh analysis gives it, lowering and linting
    /// only the workloads that changed since the last call.
    pub(crate) fn lint(&mut self, program: &Program, config: &LintConfig) -> Diagnostics {
        let context = WorkloadContext::of(program, config);
        if self.context.as_ref() != Some(&context) {
            self.workloads.clear();
            self.context = Some(context);
        }
        self.generation += 1;
        self.last_lowered = 0;
        let cx = lint::Context { program };
        for w in &program.workloads {
            let kept = self
                .workloads
                .get_mut(w.namespace.as_str())
                .and_then(|names| names.get_mut(w.name.as_str()))
                .filter(|e| e.generation != self.generation);
            if let Some(e) = kept
                && let Some((file, delta)) = moved_by(&e.workload, w)
            {
                if delta != 0 {
                    move_workload(&mut e.workload, file, delta);
                    e.findings.move_spans(file, delta);
                }
                e.generation = self.generation;
                continue;
            }
            self.last_lowered += 1;
            let policy = ir::lower_workload(w);
            let findings = lint::workload(&cx, w, &policy, config);
            self.workloads
                .entry(w.namespace.clone())
                .or_default()
                .insert(
                    w.name.clone(),
                    Entry {
                        workload: w.clone(),
                        findings,
                        generation: self.generation,
                    },
                );
        }
        let generation = self.generation;
        self.workloads.retain(|_, names| {
            names.retain(|_, e| e.generation == generation);
            !names.is_empty()
        });
        let findings: Vec<&Findings> = program
            .workloads
            .iter()
            .filter_map(|w| {
                let names = self.workloads.get(w.namespace.as_str())?;
                Some(&names.get(w.name.as_str())?.findings)
            })
            .collect();
        lint::finish(program, &findings, config)
    }
}

/// Whether `now` is `kept` moved by a number of bytes in its file: that file and the number
/// (0 when it did not move).
fn moved_by(kept: &Workload, now: &Workload) -> Option<(FileId, i64)> {
    let file = now.name_span.file;
    if kept.name_span.file != file {
        return None;
    }
    let delta = i64::from(now.name_span.start) - i64::from(kept.name_span.start);
    let same_dests = |a: &[Dest], b: &[Dest]| {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| {
                x.peer == y.peer && x.ports == y.ports && x.origin.moved(file, delta) == y.origin
            })
    };
    let same = kept.name_span.moved(file, delta) == now.name_span
        && kept.namespace == now.namespace
        && kept.name == now.name
        && kept.kind == now.kind
        && kept.strict_dns == now.strict_dns
        && kept.selector == now.selector
        && same_dests(&kept.allow, &now.allow)
        && same_dests(&kept.deny, &now.deny);
    same.then_some((file, delta))
}

/// Every span of `w` in `file` moved by `delta` bytes.
fn move_workload(w: &mut Workload, file: FileId, delta: i64) {
    w.name_span = w.name_span.moved(file, delta);
    for d in w.allow.iter_mut().chain(&mut w.deny) {
        d.origin = d.origin.moved(file, delta);
    }
}
