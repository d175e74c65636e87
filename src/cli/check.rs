//! `egressc check`: parse, check and lint, and report; nothing is emitted.

use std::path::PathBuf;
use std::process::ExitCode;

use super::inputs::resolve_inputs;
use super::report::{report, status};
use super::{DiagOpts, Fatal, format};

/// Analyses the inputs and reports their diagnostics.
pub(crate) fn run(paths: Vec<PathBuf>, diag: &DiagOpts) -> Result<ExitCode, Fatal> {
    let lints = diag.lints()?;
    let (inputs, _) = resolve_inputs(paths)?;
    let analysis = egressc::analyse_with(&inputs, &lints);
    report(
        &analysis.sources,
        &analysis.diagnostics,
        format(diag.error_format),
    );
    Ok(status(&analysis.diagnostics))
}
