//! `egressc graph`: which workloads reach which destinations, allowed and denied edges grouped
//! by namespace (`egressc::ir::graph`), as Mermaid or DOT on stdout; diagnostics on stderr.

use std::path::PathBuf;
use std::process::ExitCode;

use egressc::diagnostics::render::Format;
use egressc::ir::graph::{Style, graph};

use super::inputs::resolve_inputs;
use super::report::{Reporter, Stdout, status};
use super::{Fatal, stdio};

/// The form of the picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum GraphFormat {
    /// Mermaid (code hosts draw it in a ```mermaid block).
    Mermaid,
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
}

/// Checks the inputs and prints their picture.
pub(crate) fn run(paths: Vec<PathBuf>, format: GraphFormat) -> Result<ExitCode, Fatal> {
    let (inputs, _) = resolve_inputs(paths)?;
    let analysis = egressc::analyse(&inputs);
    let reporter = Reporter::new(Format::Human, None, Stdout::Taken);
    reporter.report(&analysis.sources, &analysis.diagnostics)?;
    if let Some(ir) = analysis
        .ir
        .as_ref()
        .filter(|_| !analysis.diagnostics.has_errors())
    {
        let style = match format {
            GraphFormat::Mermaid => Style::Mermaid,
            GraphFormat::Dot => Style::Dot,
        };
        stdio::out(&graph(ir, style, None))?;
    }
    Ok(status(&analysis.diagnostics))
}
