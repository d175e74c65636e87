//! The project file, `egressc.toml`: which sources to build, for which targets, and where the
//! output goes. Read strictly: unknown keys and bad values are coded errors (E0601), and every
//! path must stay inside the project's folder: relative, without `..` (E0607). Where a path
//! really leads (symlinks) is checked when it is used.
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
    output: Option<toml::Spanned<String>>,
}

/// Why `path` would leave the project's folder, if it would.
fn leaves_the_folder(path: &str) -> Option<&'static str> {
    let p = std::path::Path::new(path);
    if p.has_root() || path.starts_with('\\') || path.get(1..2) == Some(":") {
        Some("an absolute path")
    } else if p.components().any(|c| c == std::path::Component::ParentDir)
        || path.split(['/', '\\']).any(|c| c == "..")
    {
        Some("`..` leads out of it")
    } else if path.chars().any(char::is_control) {
        Some("a path with control characters")
    } else {
        None
    }
}

/// E0607 for each path of `key` that would leave the project's folder.
fn outside(file: FileId, key: &str, paths: &[&toml::Spanned<String>]) -> Vec<Diagnostic> {
    paths
        .iter()
        .filter_map(|p| {
            let why = leaves_the_folder(p.get_ref())?;
            Some(
                Diagnostic::new(
                    Code::E0607,
                    Span::new(file, p.span().start, p.span().end),
                    format!(
                        "`{key}` path `{}` is outside the project folder ({why})",
                        p.get_ref().escape_debug()
                    ),
                )
                .label("outside the project")
                .help("paths are relative to the folder of egressc.toml and stay inside it"),
            )
        })
        .collect()
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
    errors.extend(outside(
        file,
        "sources",
        &raw.sources.iter().collect::<Vec<_>>(),
    ));
    errors.extend(outside(
        file,
        "output",
        &raw.output.iter().collect::<Vec<_>>(),
    ));
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
        output: raw.output.map(toml::Spanned::into_inner),
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

    #[test]
    fn paths_stay_inside_the_project() {
        assert!(
            parse(
                FileId(0),
                "sources = [\"a/b\", \".\"]\noutput = \"gen/k8s\"\n"
            )
            .is_ok()
        );
        for bad in [
            "sources = [\"/proc/self/environ\"]",
            "sources = [\"a/../../b\"]",
            "sources = [\"..\"]",
            "sources = [\"a\"]\noutput = \"../x\"",
            "sources = [\"a\"]\noutput = \"/tmp/x\"",
            "sources = [\"a\"]\noutput = \"C:\\\\x\"",
        ] {
            let e = parse(FileId(0), bad).unwrap_err();
            assert_eq!(e[0].code, Code::E0607, "{bad}");
        }
    }
}
