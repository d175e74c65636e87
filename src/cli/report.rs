//! Diagnostics, where they go, and the exit status they lead to.
//!
//! Human text goes to stderr (coloured per `--color`). A machine-readable report (json, sarif,
//! github, short) goes to `--output-file`, else to stdout when the command prints nothing else
//! there, else to stderr: `egressc check --error-format sarif > egressc.sarif` holds the log,
//! while `egressc build --error-format json` keeps stdout for the YAML.

use std::cell::Cell;
use std::path::PathBuf;
use std::process::ExitCode;

use egressc::diagnostics::Diagnostics;
use egressc::diagnostics::render::{self, Format};
use egressc::source::SourceMap;

use super::Fatal;
use super::output::replace_file;
use super::stdio;

/// Exit 1 when there are errors, else 0.
pub(crate) fn status(d: &Diagnostics) -> ExitCode {
    if d.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Whether the command prints something else on stdout (YAML, a table, a program).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stdout {
    /// Stdout is the report's when its format is machine-readable.
    Free,
    /// Stdout carries the command's own output: a report without a file goes to stderr.
    Taken,
}

/// Where a report is written.
enum Sink {
    Stdout,
    Stderr,
    /// The file of `--output-file`, with what was written to it so far in this run.
    File(PathBuf, std::cell::RefCell<String>),
}

/// Writes the diagnostics of one run in one format to one place.
pub(crate) struct Reporter {
    format: Format,
    sink: Sink,
    /// Whether anything was reported (a SARIF log is written even when empty, once).
    wrote: Cell<bool>,
}

impl Reporter {
    /// The reporter for `format`: into `file` when given, else as the module says.
    pub(crate) fn new(format: Format, file: Option<PathBuf>, stdout: Stdout) -> Reporter {
        let sink = match file {
            Some(f) => Sink::File(f, std::cell::RefCell::default()),
            None if format != Format::Human && stdout == Stdout::Free => Sink::Stdout,
            None => Sink::Stderr,
        };
        Reporter {
            format,
            sink,
            wrote: Cell::new(false),
        }
    }

    /// Whether the report takes stdout: what a command would print there besides goes to
    /// stderr.
    pub(crate) fn takes_stdout(&self) -> bool {
        matches!(self.sink, Sink::Stdout)
    }

    /// Reports diagnostics; in human form, ends with a count and "nothing was written" when
    /// there are errors.
    pub(crate) fn report(&self, sources: &SourceMap, diags: &Diagnostics) -> Result<(), Fatal> {
        self.report_with(sources, diags, "nothing was written")
    }

    /// Reports diagnostics; in human form, ends with a count and `outcome` when there are
    /// errors. Nothing is written for no diagnostics (see [`Reporter::finish`]).
    pub(crate) fn report_with(
        &self,
        sources: &SourceMap,
        diags: &Diagnostics,
        outcome: &str,
    ) -> Result<(), Fatal> {
        if diags.is_empty() {
            return Ok(());
        }
        self.write(sources, diags, outcome)
    }

    fn write(&self, sources: &SourceMap, diags: &Diagnostics, outcome: &str) -> Result<(), Fatal> {
        self.wrote.set(true);
        let list = diags.as_slice();
        let color = self.format == Format::Human && matches!(self.sink, Sink::Stderr);
        let mut text = if color && stdio::color() {
            render::human_colored(sources, list)
        } else {
            render::render(self.format, sources, list, egressc::lint::explanation)
        };
        if self.format == Format::Human && diags.has_errors() {
            let n = diags.error_count();
            text.push_str(&format!(
                "error: {n} error{} found, {outcome}\n",
                if n == 1 { "" } else { "s" }
            ));
        }
        match &self.sink {
            Sink::Stdout => stdio::out(&text),
            Sink::Stderr => {
                stdio::err(&text);
                Ok(())
            }
            Sink::File(path, so_far) => {
                let mut all = so_far.borrow_mut();
                all.push_str(&text);
                replace_file(path, all.as_bytes())
            }
        }
    }

    /// The end of a run that reported nothing: a SARIF log is still written (code-scanning
    /// tools expect a file), and an `--output-file` is emptied, so that it never holds an
    /// earlier run's report.
    pub(crate) fn finish(&self) -> Result<(), Fatal> {
        let must = self.format == Format::Sarif || matches!(self.sink, Sink::File(..));
        if self.wrote.get() || !must {
            return Ok(());
        }
        self.write(&SourceMap::new(), &Diagnostics::new(), "")
    }
}
