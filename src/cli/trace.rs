//! `egressc trace`: one flow (`--from NAMESPACE/NAME --to DEST`), decided by every column, with
//! the source line, IR rule and emitted rule that decided it (or the rule that came closest).

use std::path::PathBuf;
use std::process::ExitCode;

use egressc::Input;
use egressc::diagnostics::Diagnostics;
use egressc::verify::{self, Column};

use super::columns::{evaluators, location};
use super::inputs::resolve_inputs;
use super::report::report;
use super::{DiagOpts, Fatal, format, targets_or_all};

/// Adds the flow to the inputs as an expectation of its own and prints each column's decision.
pub(crate) fn run(
    paths: Vec<PathBuf>,
    from: &str,
    to: &str,
    target: &[String],
    diag: &DiagOpts,
) -> Result<ExitCode, Fatal> {
    let format = format(diag.error_format);
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
    report(&analysis.sources, &errors, format);
    let (Some(ir), Some(checked)) = (&analysis.ir, &analysis.checked) else {
        return Ok(ExitCode::from(1));
    };
    let Some(e) = checked.expectations.last() else {
        return Ok(ExitCode::from(1));
    };
    let columns = match evaluators(&analysis, ir, &targets, explicit, format) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    for flow in verify::expect::flows(e) {
        println!("{flow}");
        for (c, ev) in &columns {
            match ev.decide(&flow) {
                Ok(d) => {
                    println!("  {:<18} {}", c.to_string(), d.verdict().to_uppercase());
                    if let Some(span) = d.source {
                        let (file, line, text) = location(&analysis.sources, span);
                        println!("  {:<18} source {file}:{line}: {text}", "");
                    }
                    println!(
                        "  {:<18} {} {}",
                        "",
                        if *c == Column::Reference {
                            "rule"
                        } else {
                            "emitted"
                        },
                        d.rule.clone().unwrap_or_else(|| "(default)".into())
                    );
                    println!("  {:<18} why: {}", "", d.why);
                    if let Some(closest) = &d.closest {
                        println!("  {:<18} closest: {closest}", "");
                    }
                }
                Err(why) => println!("  {:<18} cannot decide: {why}", c.to_string()),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
