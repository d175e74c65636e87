//! `egressc build`: compile to YAML (or `--emit ir`), on stdout or into an output folder.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use egressc::backend::Target;

use super::inputs::resolve_inputs;
use super::output::{Destination, write_tree};
use super::report::{Stdout, status};
use super::stdio;
use super::{DiagOpts, Emit, Fatal, parse_targets};

/// Compiles the inputs for the targets (named, else the project file's, else native) and prints
/// the YAML or writes it into the output folder (`-o`, else the project file's).
pub(crate) fn run(
    paths: Vec<PathBuf>,
    target: Vec<String>,
    output: Option<PathBuf>,
    (check, lock_timeout): (bool, Duration),
    emit: Emit,
    diag: &DiagOpts,
) -> Result<ExitCode, Fatal> {
    let lints = diag.lints()?;
    let mut targets = parse_targets(&target)?;
    let (inputs, project) = resolve_inputs(paths)?;
    let mut output = output.map(Destination::named);
    if let Some((root, p)) = &project {
        if targets.is_empty() {
            targets = p.targets.clone();
        }
        if output.is_none() {
            // Below the project's folder, through real folders only.
            output = p.output.as_ref().map(|o| Destination {
                base: root.clone(),
                below: o
                    .split('/')
                    .filter(|c| !c.is_empty() && *c != ".")
                    .map(str::to_owned)
                    .collect(),
            });
        }
    }
    if targets.is_empty() {
        targets.push(Target::Native);
    }
    if check && output.is_none() {
        return Err(Fatal(
            "--check compares an output folder: give `-o DIR`, or run `egressc build --check` without paths in a project whose egressc.toml sets `output`"
                .into(),
        ));
    }
    // Stdout carries the YAML or the IR unless they go into a folder.
    let reporter = diag.reporter(if output.is_some() && emit == Emit::Yaml {
        Stdout::Free
    } else {
        Stdout::Taken
    });
    if emit == Emit::Ir {
        let analysis = egressc::analyse_with(&inputs, &lints);
        reporter.report(&analysis.sources, &analysis.diagnostics)?;
        reporter.finish()?;
        if let Some(ir) = &analysis.ir {
            stdio::out(&egressc::ir::dump::dump(ir))?;
        }
        return Ok(status(&analysis.diagnostics));
    }
    let compilation = egressc::compile_with(&inputs, &targets, &lints);
    reporter.report(
        &compilation.analysis.sources,
        &compilation.analysis.diagnostics,
    )?;
    reporter.finish()?;
    if compilation.has_errors() {
        return Ok(ExitCode::from(1));
    }
    let Some(dest) = output else {
        // The targets' streams one after the other, `---` between them.
        let pieces = compilation
            .outputs
            .iter()
            .enumerate()
            .flat_map(|(i, o)| (i > 0).then_some("---\n").into_iter().chain(o.pieces()));
        let written = stdio::out_all(pieces).map(|()| ExitCode::SUCCESS);
        super::leave(compilation);
        return written;
    };
    // The analysis is reported and the outputs are emitted: the program, its IR and its
    // diagnostics are freed before the folder is planned, so that the plan and the writing
    // reuse their memory instead of growing the heap.
    let egressc::Compilation { analysis, outputs } = compilation;
    drop(analysis);
    let written = write_tree(
        &dest,
        &outputs,
        (check, lock_timeout),
        reporter.takes_stdout(),
    );
    super::leave(outputs);
    written
}
