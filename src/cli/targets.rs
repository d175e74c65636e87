//! `egressc targets`: the names `--target` accepts, one a line.

use std::process::ExitCode;

use egressc::backend::Target;

use super::{Fatal, stdio};

/// Prints every target's name.
pub(crate) fn run() -> Result<ExitCode, Fatal> {
    let names: String = Target::ALL.iter().map(|t| format!("{t}\n")).collect();
    stdio::out(&names)?;
    Ok(ExitCode::SUCCESS)
}
