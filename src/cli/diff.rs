//! `egressc diff OLD NEW` and `egressc diff --base REV [PATH...]`: what a change to the policies
//! does (`egressc::diff`), per target and workload. OLD is a program (files or a folder), or YAML
//! policies as they are in a cluster (`*.yaml`, `*.yml`, `*.json`, or a folder without `.egress`
//! files), read as `egressc import` reads them. With `--base`, the old side is the same paths
//! (or the project's sources) at a git revision (`git.rs`).
//!
//! Exit status: 0; 1 when the new program has errors (it does not build, or a target refuses
//! it), or with `--fail-on wider` when anything becomes reachable that was not; 2 for usage and
//! I/O errors.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use egressc::Input;
use egressc::backend::Target;
use egressc::diff::{self, Old};
use egressc::lint::LintConfig;

use super::inputs::{self, load_project, resolve_inputs};
use super::{Fatal, git, parse_targets, stdio};

/// The extensions of YAML policy files.
const YAML: &[&str] = &["yaml", "yml", "json"];

/// How the diff is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DiffFormat {
    /// Rows for a terminal.
    Human,
    /// Tables for a pull-request comment.
    Markdown,
    /// One JSON object.
    Json,
}

/// When the diff fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum FailOn {
    /// Exit 1 when anything becomes reachable that was not.
    Wider,
}

/// Whether `path` holds YAML policies rather than a program.
fn is_yaml(path: &Path) -> Result<bool, Fatal> {
    if path.is_dir() {
        return Ok(inputs::files(&[path.to_path_buf()], &["egress"])?.is_empty());
    }
    Ok(path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| YAML.contains(&e.to_ascii_lowercase().as_str())))
}

/// Compares the two sides and prints the result.
pub(crate) fn run(
    paths: Vec<PathBuf>,
    base: Option<String>,
    target: &[String],
    format: DiffFormat,
    fail_on: Option<FailOn>,
) -> Result<ExitCode, Fatal> {
    let mut targets = parse_targets(target)?;
    let (old, old_is_yaml, new, project) = match base {
        Some(rev) => {
            let (dir, at) = match load_project()? {
                Some((root, p)) if paths.is_empty() => {
                    let sources = p.sources.iter().map(PathBuf::from).collect();
                    (root, sources)
                }
                _ if paths.is_empty() => {
                    return Err(Fatal(
                        "give the paths to compare, or run it in a project with an egressc.toml"
                            .into(),
                    ));
                }
                _ => (PathBuf::from("."), paths.clone()),
            };
            let old = git::sources_at(&rev, &dir, &at)?;
            let (new, project) = resolve_inputs(paths)?;
            (old, false, new, project)
        }
        None => {
            let [old_path, new_path] = paths.as_slice() else {
                return Err(Fatal(
                    "give two paths, OLD and NEW, or `--base REV` and the paths at it".into(),
                ));
            };
            let old_is_yaml = is_yaml(old_path)?;
            let old: Vec<Input> = if old_is_yaml {
                inputs::files(std::slice::from_ref(old_path), YAML)?
            } else {
                resolve_inputs(vec![old_path.clone()])?.0
            };
            if old.is_empty() {
                return Err(Fatal(format!(
                    "{}: no policy files found",
                    stdio::path(old_path)
                )));
            }
            let (new, project) = resolve_inputs(vec![new_path.clone()])?;
            (old, old_is_yaml, new, project)
        }
    };
    if targets.is_empty()
        && let Some((_, p)) = &project
    {
        targets = p.targets.clone();
    }
    if targets.is_empty() {
        targets.push(Target::Native);
    }
    let side = if old_is_yaml {
        Old::Yaml(&old)
    } else {
        Old::Program(&old)
    };
    let result = diff::diff(side, &new, &targets, &LintConfig::default());
    let text = match format {
        DiffFormat::Human => diff::human(&result),
        DiffFormat::Markdown => diff::markdown(&result),
        DiffFormat::Json => diff::json(&result),
    };
    stdio::out(&text)?;
    let failed = result.has_errors() || (fail_on == Some(FailOn::Wider) && result.wider());
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
