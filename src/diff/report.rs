//! A [`Diff`] as text for a terminal, as markdown for a pull-request comment, and as JSON.
//! Targets that change the same way are shown once (`native, cilium`). Diagnostics are shown
//! through `diagnostics::render` in its one-line form.

use std::fmt::Write as _;

use serde_json::json;

use crate::backend::Target;
use crate::diagnostics::render;

use super::{Diff, Outcome, Row};

/// Targets that change the same way, with what they make of it.
fn grouped(diff: &Diff) -> Vec<(Vec<Target>, &Outcome)> {
    let mut out: Vec<(Vec<Target>, &Outcome)> = Vec::new();
    for t in &diff.targets {
        let same = out.iter_mut().find(|(_, o)| same_change(o, &t.outcome));
        match same {
            Some((targets, _)) => targets.push(t.target),
            None => out.push((vec![t.target], &t.outcome)),
        }
    }
    out
}

/// Whether two targets make the same of the change (the same rows, or the same refusal).
fn same_change(a: &Outcome, b: &Outcome) -> bool {
    match (a, b) {
        (
            Outcome::Compared {
                rows: x,
                undecided: u,
                ..
            },
            Outcome::Compared {
                rows: y,
                undecided: v,
                ..
            },
        ) => x == y && u.is_empty() && v.is_empty(),
        (Outcome::NewRefused, Outcome::NewRefused) => true,
        (Outcome::OldRefused(x), Outcome::OldRefused(y)) => x == y,
        _ => false,
    }
}

fn names(targets: &[Target]) -> String {
    targets
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(n: usize, one: &str) -> String {
    format!("{n} {one}{}", if n == 1 { "" } else { "s" })
}

/// `3 flows` or `at least 3 flows`.
fn flows(n: usize, truncated: bool) -> String {
    let n = plural(n, "flow");
    if truncated {
        format!("at least {n}")
    } else {
        n
    }
}

/// The one-line form of the new diagnostics and of the notes on the old side.
fn diagnostics(diff: &Diff) -> (String, String) {
    let list = |d: &crate::diagnostics::Diagnostics| d.iter().cloned().collect::<Vec<_>>();
    (
        render::short(&diff.sources, &list(&diff.introduced)),
        render::short(&diff.old_sources, &list(&diff.old_notes)),
    )
}

/// A row's destination with what now denies it.
fn destination(r: &Row) -> String {
    match &r.denied_by {
        Some(deny) => format!("{} (now denied by {deny})", r.destination),
        None => r.destination.clone(),
    }
}

/// Text for a terminal.
pub fn human(diff: &Diff) -> String {
    let mut out = String::new();
    for (targets, outcome) in grouped(diff) {
        let names = names(&targets);
        match outcome {
            Outcome::Compared {
                rows,
                agreed,
                truncated,
                undecided,
            } => {
                if rows.is_empty() {
                    let _ = writeln!(
                        out,
                        "{names}: no difference ({} decided alike)",
                        plural(*agreed, "flow")
                    );
                } else {
                    let _ = writeln!(out, "{names}:");
                    let width = rows
                        .iter()
                        .map(|r| r.workload.chars().count())
                        .max()
                        .unwrap_or(0);
                    for r in rows {
                        let _ = writeln!(
                            out,
                            "  {:width$}  {} {}  ({}, e.g. {})",
                            r.workload,
                            r.change.sign(),
                            destination(r),
                            flows(r.flows, *truncated),
                            r.example
                        );
                    }
                }
                for u in undecided {
                    let _ = writeln!(out, "  undecided: {u}");
                }
            }
            Outcome::NewRefused => {
                let _ = writeln!(
                    out,
                    "{names}: the new program does not build (see the errors below)"
                );
            }
            Outcome::OldRefused(why) => {
                let _ = writeln!(out, "{names}: nothing to compare with: the old side {why}");
            }
        }
    }
    let (introduced, notes) = diagnostics(diff);
    if !introduced.is_empty() {
        out.push_str("new in this change:\n");
        for l in introduced.lines() {
            let _ = writeln!(out, "  {l}");
        }
    }
    if !notes.is_empty() {
        out.push_str("not compared (what reading the old side reported):\n");
        for l in notes.lines() {
            let _ = writeln!(out, "  {l}");
        }
    }
    out
}

/// Text inside a markdown table cell's code span: no backtick, no pipe, no line break.
fn cell(text: &str) -> String {
    format!(
        "`{}`",
        text.replace('`', "'")
            .replace('|', "\\|")
            .replace(['\r', '\n'], " ")
    )
}

/// Markdown for a pull-request comment: a table per group of targets, the new diagnostics as a
/// list.
pub fn markdown(diff: &Diff) -> String {
    let mut out = String::from("### egressc diff\n\n");
    let wider = diff.wider();
    out.push_str(if wider {
        "**Wider**: some workloads may reach destinations they could not reach before.\n\n"
    } else {
        "Nothing becomes reachable that was not.\n\n"
    });
    for (targets, outcome) in grouped(diff) {
        let names = names(&targets);
        match outcome {
            Outcome::Compared {
                rows,
                agreed,
                truncated,
                undecided,
            } => {
                if rows.is_empty() {
                    let _ = writeln!(
                        out,
                        "**{names}**: no difference ({} decided alike).\n",
                        plural(*agreed, "flow")
                    );
                    continue;
                }
                let _ = writeln!(out, "**{names}**\n");
                out.push_str(
                    "| | workload | destination | flows | for example |\n|:-:|---|---|--:|---|\n",
                );
                for r in rows {
                    let sign = match r.change {
                        super::Change::Gained => "**+**",
                        super::Change::Lost => "−",
                    };
                    let _ = writeln!(
                        out,
                        "| {sign} | {} | {} | {} | {} |",
                        cell(&r.workload),
                        cell(&destination(r)),
                        if *truncated {
                            format!("≥ {}", r.flows)
                        } else {
                            r.flows.to_string()
                        },
                        cell(&r.example)
                    );
                }
                out.push('\n');
                for u in undecided {
                    let _ = writeln!(out, "- undecided: {}", cell(u));
                }
                if !undecided.is_empty() {
                    out.push('\n');
                }
            }
            Outcome::NewRefused => {
                let _ = writeln!(out, "**{names}**: the new program does not build.\n");
            }
            Outcome::OldRefused(why) => {
                let _ = writeln!(
                    out,
                    "**{names}**: nothing to compare with: the old side {}.\n",
                    why.replace('|', "\\|")
                );
            }
        }
    }
    if let Some(g) = &diff.graph {
        out.push_str(
            "<details><summary>What the changed workloads may reach now</summary>\n\n```mermaid\n",
        );
        out.push_str(g);
        out.push_str("```\n\n</details>\n\n");
    }
    let (introduced, notes) = diagnostics(diff);
    if !introduced.is_empty() {
        out.push_str("**New in this change**\n\n");
        for l in introduced.lines() {
            let _ = writeln!(out, "- {}", cell(l));
        }
        out.push('\n');
    }
    if !notes.is_empty() {
        out.push_str("**Not compared** (what reading the old side reported)\n\n");
        for l in notes.lines() {
            let _ = writeln!(out, "- {}", cell(l));
        }
        out.push('\n');
    }
    out
}

/// One JSON object: per target its rows (or why it was not compared), the new diagnostics and
/// the notes on the old side (each as in `--error-format json`).
pub fn json(diff: &Diff) -> String {
    let targets: Vec<serde_json::Value> = diff
        .targets
        .iter()
        .map(|t| match &t.outcome {
            Outcome::Compared {
                rows,
                agreed,
                truncated,
                undecided,
            } => json!({
                "target": t.target.to_string(),
                "compared": true,
                "agreed": agreed,
                "truncated": truncated,
                "undecided": undecided,
                "rows": rows.iter().map(|r| json!({
                    "workload": r.workload,
                    "change": r.change.as_str(),
                    "destination": r.destination,
                    "denied_by": r.denied_by,
                    "flows": r.flows,
                    "example": r.example,
                })).collect::<Vec<_>>(),
            }),
            Outcome::NewRefused => json!({
                "target": t.target.to_string(),
                "compared": false,
                "why": "the new program does not build",
            }),
            Outcome::OldRefused(why) => json!({
                "target": t.target.to_string(),
                "compared": false,
                "why": format!("the old side {why}"),
            }),
        })
        .collect();
    let lines = |map, d: &crate::diagnostics::Diagnostics| -> Vec<serde_json::Value> {
        let list: Vec<_> = d.iter().cloned().collect();
        render::json(map, &list)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    };
    let value = json!({
        "wider": diff.wider(),
        "targets": targets,
        "introduced": lines(&diff.sources, &diff.introduced),
        "old_notes": lines(&diff.old_sources, &diff.old_notes),
    });
    format!("{value}\n")
}
