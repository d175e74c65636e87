//! Input resolution: the paths on the command line (files, and folders walked for `*.egress`),
//! or without any, the sources of the project file found from the current folder upwards.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use egressc::diagnostics::render;
use egressc::source::SourceMap;
use egressc::{Input, project};

use super::Fatal;
use super::stdio::{self, path as shown};

/// A project file's folder and its contents.
pub(crate) type ProjectRoot = (PathBuf, project::Project);

/// The project file that governs `start`, if any.
fn find_project(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join(project::FILE_NAME))
        .find(|p| p.is_file())
}

/// Expands paths into inputs (folders: every `*.egress` below, sorted). Without paths, reads the
/// project file. Returns the inputs and the project (if one was used).
pub(crate) fn resolve_inputs(
    paths: Vec<PathBuf>,
) -> Result<(Vec<Input>, Option<ProjectRoot>), Fatal> {
    let mut project = None;
    let paths = if paths.is_empty() {
        let cwd = std::env::current_dir()?;
        let Some(file) = find_project(&cwd) else {
            return Err(Fatal(format!(
                "no paths given and no {} found in {} or above it",
                project::FILE_NAME,
                shown(&cwd)
            )));
        };
        let text =
            std::fs::read_to_string(&file).map_err(|e| Fatal(format!("{}: {e}", shown(&file))))?;
        let mut map = SourceMap::new();
        let id = map.add(shown(&file), text.clone());
        match project::parse(id, &text) {
            Ok(p) => {
                let root = file.parent().map(Path::to_path_buf).unwrap_or_default();
                let paths = p.sources.iter().map(|s| root.join(s)).collect();
                project = Some((root, p));
                paths
            }
            Err(diags) => {
                stdio::err(&render::human(&map, &diags));
                return Err(Fatal(format!("{} is invalid", shown(&file))));
            }
        }
    } else {
        paths
    };
    let mut files = Vec::new();
    for p in &paths {
        if p.is_dir() {
            collect_dir(p, &mut files)?;
        } else if p.exists() {
            files.push(p.clone());
        } else {
            return Err(Fatal(format!("{}: no such file or folder", shown(p))));
        }
    }
    let mut seen = BTreeSet::new();
    let mut inputs = Vec::new();
    for f in files {
        if !seen.insert(f.clone()) {
            continue;
        }
        let bytes = std::fs::read(&f).map_err(|e| Fatal(format!("{}: {e}", shown(&f))))?;
        inputs.push(Input::new(shown(&f), bytes));
    }
    if inputs.is_empty() {
        return Err(Fatal("no .egress files found".into()));
    }
    Ok((inputs, project))
}

/// Every `*.egress` file below `dir`, sorted. A subfolder with its own project file is a separate
/// program and is skipped (with a note), so that `egressc build examples/` leaves out
/// `examples/pitfalls/`.
fn collect_dir(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Fatal> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Fatal(format!("{}: {e}", shown(dir))))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if p.join(project::FILE_NAME).is_file() {
                stdio::err(&format!(
                    "note: skipped {}: it has its own {} (build it on its own)\n",
                    shown(&p),
                    project::FILE_NAME
                ));
                continue;
            }
            collect_dir(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "egress") {
            out.push(p);
        }
    }
    Ok(())
}
