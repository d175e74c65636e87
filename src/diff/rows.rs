//! Flows that differ, grouped into rows a reviewer reads: per workload (the source pod, named
//! `namespace/app` when it has an `app` label), whether it gains or loses the flows, and the
//! destination as the source writes it: the construct of the rule that now allows a gained flow
//! (found by the reference evaluator on the new program's IR) or that allowed a lost one (on the
//! old program's; for live YAML, the rule's place in its object). A lost flow that a deny of the
//! new program decides says so.

use std::collections::BTreeMap;

use crate::Analysis;
use crate::verify::reference::Reference;
use crate::verify::universe::Difference;
use crate::verify::{Decision, Evaluator as _, Flow, Pod};

/// Whether a workload gains or loses the flows of a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    /// Reachable now, not before: the policies are wider.
    Gained,
    /// Reachable before, not now.
    Lost,
}

impl Change {
    pub fn sign(self) -> &'static str {
        match self {
            Change::Gained => "+",
            Change::Lost => "-",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Change::Gained => "gained",
            Change::Lost => "lost",
        }
    }
}

/// Flows of one workload that change the same way, for the same rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub workload: String,
    pub change: Change,
    /// The destination as written (`10.20.40.0/24:5432`, `fqdn(api.stripe.com:443)`), or what
    /// decided when no rule did (`no policy selects it`).
    pub destination: String,
    /// For a lost flow a deny of the new program decides: that deny, as written.
    pub denied_by: Option<String>,
    /// How many flows of the universe the row stands for.
    pub flows: usize,
    /// One of them: `10.20.40.0 tcp/5432`.
    pub example: String,
}

/// The longest destination text shown in a row.
const MAX_TEXT: usize = 120;

/// Text of a source construct on one line, cut at [`MAX_TEXT`] characters.
fn one_line(text: &str) -> String {
    let words: Vec<&str> = text
        .split_whitespace()
        .filter(|w| !w.starts_with('#'))
        .collect();
    let line = words.join(" ");
    if line.chars().count() > MAX_TEXT {
        let cut: String = line.chars().take(MAX_TEXT).collect();
        format!("{cut}…")
    } else {
        line
    }
}

/// The workload a source pod stands for.
fn workload(p: &Pod) -> String {
    match p.labels.get("app") {
        Some(app) => format!("{}/{app}", p.namespace),
        None if p.labels.keys().any(|k| k.starts_with("egressc-")) => {
            format!("{}/(other pods)", p.namespace)
        }
        None => p.to_string(),
    }
}

/// The source construct behind the reference's decision of `flow` on `analysis`'s IR, when a
/// rule with that verdict decided it.
fn construct(analysis: &Analysis, flow: &Flow, allowed: bool) -> Option<String> {
    let ir = analysis.ir.as_ref()?;
    let d = Reference::new(ir).decide(flow).ok()?;
    if d.allowed != allowed {
        return None;
    }
    let span = d.source?;
    let text = one_line(analysis.sources.slice(span));
    (!text.is_empty()).then_some(text)
}

/// What decided a product's verdict, when no source construct is known.
fn decided_by(d: &Decision) -> String {
    match &d.rule {
        Some(rule) => one_line(rule),
        None => one_line(&d.why),
    }
}

/// What makes flows one row: the workload, the change, the destination and the deny.
type Key = (String, Change, String, Option<String>);

/// Groups the differences (old reading first, new second) into rows, sorted by workload, change
/// and destination. `old` is the old program's analysis (`None` for live YAML).
pub fn group(differences: &[Difference], old: Option<&Analysis>, new: &Analysis) -> Vec<Row> {
    let mut rows: BTreeMap<Key, (usize, String)> = BTreeMap::new();
    for d in differences {
        let (change, destination, denied_by) = if d.got.allowed {
            let what = construct(new, &d.flow, true).unwrap_or_else(|| decided_by(&d.got));
            (Change::Gained, what, None)
        } else {
            let what = old
                .and_then(|a| construct(a, &d.flow, true))
                .unwrap_or_else(|| decided_by(&d.want));
            (Change::Lost, what, construct(new, &d.flow, false))
        };
        let example = format!("{} {}", d.flow.destination, d.flow.packet());
        let entry = rows
            .entry((workload(&d.flow.source), change, destination, denied_by))
            .or_insert((0, example));
        entry.0 += 1;
    }
    rows.into_iter()
        .map(
            |((workload, change, destination, denied_by), (flows, example))| Row {
                workload,
                change,
                destination,
                denied_by,
                flows,
                example,
            },
        )
        .collect()
}
