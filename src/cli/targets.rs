//! `egressc targets`: the names `--target` accepts, one a line.

use std::process::ExitCode;

use egressc::backend::Target;

use super::Fatal;

/// Prints every target's name.
pub(crate) fn run() -> Result<ExitCode, Fatal> {
    for t in Target::ALL {
        println!("{t}");
    }
    Ok(ExitCode::SUCCESS)
}
