//! `egressc fmt`: lays source files out canonically (`egressc::fmt`), in place, or with
//! `--check` writes nothing and prints a unified diff of each file that is not formatted. `-`
//! formats standard input to stdout. Files are read under the input limits and replaced whole,
//! never through a symlink (E0904); a file that does not parse is reported and left as it is.
//!
//! Exit status: 0 when every file is (now) formatted; 1 when a file could not be formatted, or
//! with `--check` when a file is not formatted; 2 for usage and I/O errors.

use std::path::PathBuf;
use std::process::ExitCode;

use super::inputs::resolve_sources;
use super::output::replace_file;
use super::report::{Reporter, Stdout};
use super::{ErrorFormat, Fatal, format, stdio};

/// A unified diff from `old` to `new`, both named `name`.
fn unified(name: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(2)
        .header(
            &format!("{name} (as it is)"),
            &format!("{name} (formatted)"),
        )
        .to_string()
}

/// Formats the files named (or the project's sources), in place or, with `check`, by diff.
pub(crate) fn run(
    paths: Vec<PathBuf>,
    check: bool,
    error_format: ErrorFormat,
) -> Result<ExitCode, Fatal> {
    let reporter = Reporter::new(format(error_format), None, Stdout::Taken);
    let (sources, _) = resolve_sources(paths)?;
    let inputs: Vec<egressc::Input> = sources.iter().map(|(_, i)| i.clone()).collect();
    let formatted = egressc::fmt::format_all(&inputs);
    let mut changed = Vec::new();
    let mut unchanged = 0usize;
    let mut out = String::new();
    for ((path, input), result) in sources.iter().zip(&formatted.files) {
        let Some((old, new)) = result else {
            continue;
        };
        let differs = old != new;
        if differs {
            changed.push(input.name.as_str());
        } else {
            unchanged += 1;
        }
        match path {
            _ if check => {
                if differs {
                    out.push_str(&unified(&input.name, old, new));
                }
            }
            // Standard input: formatted on stdout.
            None => out.push_str(new),
            Some(p) => {
                if differs {
                    replace_file(p, new.as_bytes())?;
                }
            }
        }
    }
    reporter.report_with(
        &formatted.sources,
        &formatted.diagnostics,
        "those files were left as they are",
    )?;
    reporter.finish()?;
    stdio::out(&out)?;
    let files = |n: usize| format!("{n} file{}", if n == 1 { "" } else { "s" });
    let refused = formatted.files.iter().filter(|f| f.is_none()).count();
    let summary = if check && !changed.is_empty() {
        format!(
            "{} not formatted ({}); run `egressc fmt` to format them\n",
            files(changed.len()),
            changed.join(", ")
        )
    } else if check {
        format!("{} formatted\n", files(unchanged))
    } else {
        format!(
            "formatted {}, {} already formatted\n",
            files(changed.len()),
            unchanged
        )
    };
    stdio::err(&summary);
    Ok(if refused > 0 || (check && !changed.is_empty()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
