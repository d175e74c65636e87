//! `egressc test`: every `expect` statement against the IR and each target's emitted YAML,
//! shown as a table (and with `--junit FILE`, as JUnit XML).

use std::path::PathBuf;
use std::process::ExitCode;

use egressc::verify;

use super::columns::evaluators;
use super::inputs::resolve_inputs;
use super::report::Stdout;
use super::stdio;
use super::table::{self, Row};
use super::{DiagOpts, Fatal, junit, targets_or_all};

/// Decides every expectation in every column; exit 1 when a cell did not pass.
pub(crate) fn run(
    paths: Vec<PathBuf>,
    target: &[String],
    junit: Option<PathBuf>,
    diag: &DiagOpts,
) -> Result<ExitCode, Fatal> {
    let reporter = diag.reporter(Stdout::Taken);
    let lints = diag.lints()?;
    let (targets, explicit) = targets_or_all(target)?;
    let (inputs, _) = resolve_inputs(paths)?;
    let analysis = egressc::analyse_with(&inputs, &lints);
    reporter.report(&analysis.sources, &analysis.diagnostics)?;
    let Some(ir) = &analysis.ir else {
        return Ok(ExitCode::from(1));
    };
    let expectations = analysis.expectations();
    if expectations.is_empty() {
        stdio::err(
            "error: no `expect` statements to check (write `expect APP -> DEST allow|deny`)\n",
        );
        return Ok(ExitCode::from(1));
    }
    let columns = match evaluators(&analysis, ir, &targets, explicit, &reporter) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let mut rows: Vec<Row> = Vec::new();
    for (i, e) in expectations.iter().enumerate() {
        rows.push((
            i,
            columns
                .iter()
                .map(|(_, ev)| verify::expect::check(e, ev.as_ref()))
                .collect(),
        ));
    }
    let labels = table::labels(&analysis.sources, expectations);
    let results = table::render(expectations, &columns, &rows, &labels);
    // The file first: a reader that closes stdout early must not cost the report.
    if let Some(path) = junit {
        junit::write(&path, &columns, &rows, &labels)?;
    }
    results.print(&analysis.sources, &reporter)?;
    reporter.finish()?;
    Ok(if results.bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
