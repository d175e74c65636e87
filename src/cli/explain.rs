//! `egressc explain`: the long explanation of a diagnostic code, or the signature and
//! documentation of a standard library name.

use std::process::ExitCode;

use egressc::diagnostics::{Code, suggest};

use super::{Fatal, stdio};

/// Prints what `what` (a code such as `E0303`, or a name such as `rds`) means.
pub(crate) fn run(what: &str) -> Result<ExitCode, Fatal> {
    if let Some(code) = Code::parse(what) {
        stdio::out(code.explanation())?;
        return Ok(ExitCode::SUCCESS);
    }
    let analysis = egressc::analyse(&[]);
    let defs = analysis.checked.map(|c| c.defs).unwrap_or_default();
    if let Some(def) = defs.iter().find(|d| d.name == what) {
        let doc = def.doc.as_deref().unwrap_or("(no documentation)");
        stdio::out(&format!("{}\n\n{doc}\n", def.signature()))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut candidates: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    candidates.extend(defs.iter().map(|d| d.name.as_str()));
    let hint = suggest::did_you_mean(what, candidates)
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    Err(Fatal(format!(
        "`{what}` is neither a diagnostic code nor a standard library name{hint}"
    )))
}
