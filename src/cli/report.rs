//! Diagnostics on stderr, and the exit status they lead to.

use std::process::ExitCode;

use egressc::diagnostics::Diagnostics;
use egressc::diagnostics::render::{self, Format};
use egressc::source::SourceMap;

use super::stdio;

/// Exit 1 when there are errors, else 0.
pub(crate) fn status(d: &Diagnostics) -> ExitCode {
    if d.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Prints diagnostics; in human form, ends with a count and "nothing was written" when there
/// are errors.
pub(crate) fn report(sources: &SourceMap, diags: &Diagnostics, format: Format) {
    report_with(sources, diags, format, "nothing was written");
}

/// Prints diagnostics; in human form, ends with a count and `outcome` when there are errors.
pub(crate) fn report_with(sources: &SourceMap, diags: &Diagnostics, format: Format, outcome: &str) {
    // A SARIF log is written even when empty: code-scanning tools expect a file.
    if diags.is_empty() && format != Format::Sarif {
        return;
    }
    let list: Vec<_> = diags.iter().cloned().collect();
    let mut text = render::render(format, sources, &list, egressc::lint::explanation);
    if format == Format::Human && diags.has_errors() {
        let n = diags.error_count();
        text.push_str(&format!(
            "error: {n} error{} found, {outcome}\n",
            if n == 1 { "" } else { "s" }
        ));
    }
    stdio::err(&text);
}
