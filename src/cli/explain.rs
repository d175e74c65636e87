//! `egressc explain`: the long explanation of a diagnostic code or lint name, or the signature
//! and documentation of a standard library name.

use std::process::ExitCode;

use egressc::diagnostics::{Code, suggest};
use egressc::lint::registry;

use super::{Fatal, stdio};

/// Prints what `what` (a code such as `E0303`, a lint name such as `no-dns`, or a library name
/// such as `rds`) means.
pub(crate) fn run(what: &str) -> Result<ExitCode, Fatal> {
    let code = Code::parse(what).or_else(|| registry::find(what).map(|r| r.code));
    if let Some(page) = code.and_then(egressc::lint::explanation) {
        stdio::out(page)?;
        return Ok(ExitCode::SUCCESS);
    }
    let analysis = egressc::analyse(&[]);
    let defs = analysis.definitions();
    if let Some(def) = defs.iter().find(|d| d.name == what) {
        let doc = def.doc.as_deref().unwrap_or("(no documentation)");
        stdio::out(&format!("{}\n\n{doc}\n", def.signature()))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut candidates: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    candidates.extend(registry::RULES.iter().map(|r| r.name));
    candidates.extend(defs.iter().map(|d| d.name.as_str()));
    let hint = suggest::did_you_mean(what, candidates)
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    Err(Fatal(format!(
        "`{what}` is neither a diagnostic code, a lint name nor a standard library name{hint}"
    )))
}
