//! `egressc trace`: one flow (`--from NAMESPACE/NAME --to DEST`), decided by every column, with
//! the source line, IR rule and emitted rule that decided it (or the rule that came closest).

use std::path::PathBuf;
use std::process::ExitCode;

use egressc::Input;
use egressc::diagnostics::Diagnostics;
use egressc::verify::{self, Column};

use super::columns::{evaluators, location};
use super::inputs::resolve_inputs;
use super::report::Stdout;
use super::stdio;
use super::{DiagOpts, Fatal, targets_or_all};

/// Adds the flow to the inputs as an expectation of its own and prints each column's decision.
pub(crate) fn run(
    paths: Vec<PathBuf>,
    from: &str,
    to: &str,
    target: &[String],
    diag: &DiagOpts,
) -> Result<ExitCode, Fatal> {
    let reporter = diag.reporter(Stdout::Taken);
    let lints = diag.lints()?;
    let (targets, explicit) = targets_or_all(target)?;
    let Some((ns, name)) = from.split_once('/') else {
        return Err(Fatal(format!("--from takes NAMESPACE/NAME, got `{from}`")));
    };
    let (mut inputs, _) = resolve_inputs(paths)?;
    // The flow, written as an expectation in a file of its own.
    inputs.push(Input::new(
        "<trace>",
        format!("namespace {ns}\nexpect {name} -> {to} allow\n"),
    ));
    let analysis = egressc::analyse_with(&inputs, &lints);
    let errors: Diagnostics = analysis
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect::<Vec<_>>()
        .into();
    reporter.report(&analysis.sources, &errors)?;
    let Some(ir) = &analysis.ir else {
        return Ok(ExitCode::from(1));
    };
    let Some(e) = analysis.expectations().last() else {
        return Ok(ExitCode::from(1));
    };
    let columns = match evaluators(&analysis, ir, &targets, explicit, &reporter) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let mut out = String::new();
    for flow in verify::expect::flows(e) {
        out.push_str(&format!("{flow}\n"));
        for (c, ev) in &columns {
            match ev.decide(&flow) {
                Ok(d) => {
                    out.push_str(&format!(
                        "  {:<18} {}\n",
                        c.to_string(),
                        d.verdict().to_uppercase()
                    ));
                    if let Some(span) = d.source {
                        let (file, line, text) = location(&analysis.sources, span);
                        out.push_str(&format!("  {:<18} source {file}:{line}: {text}\n", ""));
                    }
                    out.push_str(&format!(
                        "  {:<18} {} {}\n",
                        "",
                        if *c == Column::Reference {
                            "rule"
                        } else {
                            "emitted"
                        },
                        d.rule.as_deref().unwrap_or("(default)")
                    ));
                    out.push_str(&format!("  {:<18} why: {}\n", "", d.why));
                    if let Some(closest) = &d.closest {
                        out.push_str(&format!("  {:<18} closest: {closest}\n", ""));
                    }
                }
                Err(why) => {
                    out.push_str(&format!("  {:<18} cannot decide: {why}\n", c.to_string()))
                }
            }
        }
    }
    stdio::out(&out)?;
    reporter.finish()?;
    Ok(ExitCode::SUCCESS)
}
