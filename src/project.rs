//! The project file, `egressc.toml`: which sources to build, for which targets, and where the
//! output goes. Read strictly: unknown keys and bad values are coded errors (E0601).
//!
//! ```toml
//! sources = ["policies"]      # files or folders, relative to this file
//! targets = ["native"]        # default targets
//! output = "generated"        # optional: write here instead of printing
//! ```

use serde::Deserialize;

use crate::backend::Target;
use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Span};

/// The file name searched for from the working directory upwards.
pub const FILE_NAME: &str = "egressc.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    sources: Vec<toml::Spanned<String>>,
    #[serde(default)]
    targets: Vec<toml::Spanned<String>>,
    output: Option<String>,
}

/// A checked project file. Paths are as written, relative to the project file's folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    pub sources: Vec<String>,
    pub targets: Vec<Target>,
    pub output: Option<String>,
}

/// Parses the text of a project file registered as `file`.
pub fn parse(file: FileId, text: &str) -> Result<Project, Vec<Diagnostic>> {
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim().to_owned();
        vec![
            Diagnostic::new(Code::E0601, Span::new(file, span.start, span.end), format!("invalid project file: {message}"))
                .label("here")
                .help("the keys are `sources` (list of paths), `targets` (list of target names) and `output` (a folder)"),
        ]
    })?;
    let mut errors = Vec::new();
    if raw.sources.is_empty() {
        errors.push(
            Diagnostic::new(
                Code::E0601,
                Span::new(file, 0, 0),
                "invalid project file: `sources` is empty",
            )
            .help("list the files or folders to build, as in `sources = [\"policies\"]`"),
        );
    }
    let mut targets = Vec::new();
    for t in &raw.targets {
        match Target::parse(t.get_ref()) {
            Some(x) => targets.push(x),
            None => errors.push(
                Diagnostic::new(
                    Code::E0601,
                    Span::new(file, t.span().start, t.span().end),
                    format!("invalid project file: unknown target `{}`", t.get_ref()),
                )
                .label("not a target")
                .help(
                    match crate::diagnostics::suggest::did_you_mean(
                        t.get_ref(),
                        Target::ALL.iter().map(|x| x.name()),
                    ) {
                        Some(s) => {
                            format!("did you mean `{s}`? The targets are: {}", Target::names())
                        }
                        None => format!("the targets are: {}", Target::names()),
                    },
                ),
            ),
        }
    }
    if targets.is_empty() && errors.is_empty() {
        targets.push(Target::Native);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Project {
        sources: raw
            .sources
            .into_iter()
            .map(toml::Spanned::into_inner)
            .collect(),
        targets,
        output: raw.output,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_keys_and_targets() {
        assert!(parse(FileId(0), "sources = [\"a\"]\n").is_ok());
        let e = parse(FileId(0), "sources = [\"a\"]\ntarget = [\"native\"]\n").unwrap_err();
        assert_eq!(e[0].code, Code::E0601);
        let e = parse(FileId(0), "sources = [\"a\"]\ntargets = [\"nativ\"]\n").unwrap_err();
        assert!(e[0].message.contains("unknown target"));
    }
}
