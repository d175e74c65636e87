//! `egressc check`: parse, check and lint, and report; nothing is emitted. With targets (named,
//! or the project file's), every target is built in memory too, so that `check` reports what
//! `build` would refuse (E05xx).

use std::path::PathBuf;
use std::process::ExitCode;

use super::inputs::resolve_inputs;
use super::report::{Stdout, status};
use super::{DiagOpts, Fatal, parse_targets};

/// Analyses the inputs (and builds them for the targets) and reports their diagnostics.
pub(crate) fn run(
    paths: Vec<PathBuf>,
    target: &[String],
    diag: &DiagOpts,
) -> Result<ExitCode, Fatal> {
    let reporter = diag.reporter(Stdout::Free);
    let lints = diag.lints()?;
    let mut targets = parse_targets(target)?;
    let (inputs, project) = resolve_inputs(paths)?;
    if targets.is_empty()
        && let Some((_, p)) = &project
    {
        targets = p.targets.clone();
    }
    let analysis = if targets.is_empty() {
        egressc::analyse_with(&inputs, &lints)
    } else {
        egressc::compile_with(&inputs, &targets, &lints).analysis
    };
    reporter.report_with(
        &analysis.sources,
        &analysis.diagnostics,
        "nothing was written",
    )?;
    reporter.finish()?;
    let code = status(&analysis.diagnostics);
    super::leave(analysis);
    Ok(code)
}
