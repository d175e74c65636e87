//! Input resolution: the paths on the command line (files, and folders walked for `*.egress`),
//! or without any, the sources of the project file found from the current folder upwards.
//!
//! What is read stays where it was given: a folder's walk follows a symlink only while it stays
//! inside the folder (inside the project's folder with a project file; E0109 otherwise), every
//! path of the project file must resolve inside the project's folder (E0607), and each real
//! file and folder is visited once, so symlink loops cost nothing.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use rustix::fs::{self as fs, Mode, OFlags};

use egressc::diagnostics::Code;
use egressc::diagnostics::render;
use egressc::input::{MAX_FILE_BYTES, Refusal};
use egressc::lsp::Loaded;
use egressc::source::SourceMap;
use egressc::{Input, project};

use super::Fatal;
use super::read::{self, Budget};
use super::stdio::{self, path as shown};

/// A project file's folder and its contents.
pub(crate) type ProjectRoot = (PathBuf, project::Project);

/// The largest project file egressc reads.
const MAX_PROJECT_BYTES: u64 = 1024 * 1024;

/// The project file that governs the working folder, if any: the first `egressc.toml` from it
/// upwards, and its folder as a path relative to the working folder (`.`, `..`, `../..`), so
/// that what is shown of it does not depend on where the repository is checked out. It must be
/// a regular file, not a symlink (E0608).
pub(crate) fn find_project() -> Result<Option<(PathBuf, PathBuf)>, Fatal> {
    find_project_from(&std::env::current_dir()?)
}

/// [`find_project`] from the folder `start`: the project's folder and file relative to it.
fn find_project_from(start: &Path) -> Result<Option<(PathBuf, PathBuf)>, Fatal> {
    let mut root = PathBuf::from(".");
    for dir in start.ancestors() {
        let file = root.join(project::FILE_NAME);
        if let Ok(meta) = std::fs::symlink_metadata(dir.join(project::FILE_NAME)) {
            if meta.is_file() {
                return Ok(Some((root, file)));
            }
            let what = if meta.is_symlink() {
                "a symlink"
            } else {
                "not a regular file"
            };
            return Err(Fatal::coded(
                Code::E0608,
                format!(
                    "{} is {what}; the project file must be a regular file",
                    shown(&file)
                ),
                "replace it with a regular file (a symlink could point at a file outside the project)",
            ));
        }
        root = if root == Path::new(".") {
            PathBuf::from("..")
        } else {
            root.join("..")
        };
    }
    Ok(None)
}

/// The text of the project file, read without following a symlink and at most 1 MiB.
pub(crate) fn read_project(file: &Path) -> Result<String, Fatal> {
    let refuse = |why: String| {
        Fatal::coded(
            Code::E0608,
            format!("{}: {why}", shown(file)),
            "the project file must be a regular file of at most 1 MiB",
        )
    };
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = fs::open(file, flags, Mode::empty()).map_err(|e| refuse(e.to_string()))?;
    match fs::fstat(&fd) {
        Ok(st) if fs::FileType::from_raw_mode(st.st_mode) == fs::FileType::RegularFile => {}
        _ => return Err(refuse("not a regular file".into())),
    }
    let mut text = String::new();
    File::from(fd)
        .take(MAX_PROJECT_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| refuse(e.to_string()))?;
    if text.len() as u64 > MAX_PROJECT_BYTES {
        return Err(refuse("larger than 1 MiB".into()));
    }
    Ok(text)
}

/// A path to read and the folder it must stay in (`None`: a file named on the command line,
/// read as named).
struct Start {
    path: PathBuf,
    within: Option<PathBuf>,
}

/// The sources of the project file, each resolved and checked to be inside the project's
/// folder (E0607).
fn project_starts(root: &Path, p: &project::Project) -> Result<Vec<Start>, Fatal> {
    let real_root =
        std::fs::canonicalize(root).map_err(|e| Fatal(format!("{}: {e}", shown(root))))?;
    let mut starts = Vec::new();
    for s in &p.sources {
        let path = root.join(s);
        let real = std::fs::canonicalize(&path)
            .map_err(|_| Fatal(format!("{}: no such file or folder", shown(&path))))?;
        if !real.starts_with(&real_root) {
            return Err(Fatal::coded(
                Code::E0607,
                format!(
                    "`sources` path `{}` leads outside the project folder (through a symlink, to {})",
                    s.escape_debug(),
                    shown(&real)
                ),
                "keep what the project builds inside the folder of egressc.toml",
            ));
        }
        starts.push(Start {
            path,
            within: Some(real_root.clone()),
        });
    }
    Ok(starts)
}

/// The project file of the working folder, parsed: its folder (relative to the working
/// folder) and its contents. An invalid file is reported and refused.
pub(crate) fn load_project() -> Result<Option<ProjectRoot>, Fatal> {
    let Some((root, file)) = find_project()? else {
        return Ok(None);
    };
    let text = read_project(&file)?;
    let mut map = SourceMap::new();
    let id = map.add(shown(&file), text.clone());
    match project::parse(id, &text) {
        Ok(p) => Ok(Some((root, p))),
        Err(diags) => {
            stdio::err(&render::human(&map, &diags));
            Err(Fatal(format!("{} is invalid", shown(&file))))
        }
    }
}

/// Expands paths into inputs (folders: every `*.egress` below, sorted; `-`: standard input).
/// Without paths, reads the project file. Returns the inputs and the project (if one was used).
/// Sources are named relative to the project's folder, or to the working folder.
pub(crate) fn resolve_inputs(
    paths: Vec<PathBuf>,
) -> Result<(Vec<Input>, Option<ProjectRoot>), Fatal> {
    let (read, project) = resolve_sources(paths)?;
    Ok((read.into_iter().map(|(_, input)| input).collect(), project))
}

/// A source read and the path it was read from (`None`: standard input).
pub(crate) type Source = (Option<PathBuf>, Input);

/// [`resolve_inputs`], each input with the path it was read from.
pub(crate) fn resolve_sources(
    paths: Vec<PathBuf>,
) -> Result<(Vec<Source>, Option<ProjectRoot>), Fatal> {
    let mut project = None;
    let (starts, base) = if paths.is_empty() {
        let Some((root, p)) = load_project()? else {
            return Err(Fatal(format!(
                "no paths given and no {} found in {} or above it",
                project::FILE_NAME,
                shown(&std::env::current_dir()?)
            )));
        };
        let starts = project_starts(&root, &p)?;
        let base = root.clone();
        project = Some((root, p));
        (starts, Some(base))
    } else {
        // Inside a project, sources are named as the project's build names them.
        let root = find_project().ok().flatten().map(|(root, _)| root);
        (command_line_starts(&paths)?, root)
    };
    let mut walk = Walk::new(&["egress"], true);
    walk.base = base;
    let inputs = walk.starts(&starts)?;
    if inputs.is_empty() {
        return Err(Fatal("no .egress files found".into()));
    }
    Ok((inputs, project))
}

/// The program the files of `folder` (an absolute path) belong to, for the language server:
/// the sources of the project file that governs `folder` (found, resolved and walked as
/// `egressc check` does without paths), else the `.egress` files of `folder` itself (not its
/// subfolders: a project file says when a program spans folders).
pub(crate) fn program_of(folder: &Path) -> Result<Loaded, Fatal> {
    let (root, project, starts) = match find_project_from(folder)? {
        Some((relative, file)) => {
            // `relative` is `.` or `..` repeated: the project's folder is an ancestor.
            let up = relative
                .components()
                .filter(|c| *c == std::path::Component::ParentDir)
                .count();
            let root = folder.ancestors().nth(up).unwrap_or(folder).to_path_buf();
            let file = folder.join(file);
            let text = read_project(&file)?;
            let mut map = SourceMap::new();
            let id = map.add(shown(&file), text.clone());
            let p = project::parse(id, &text).map_err(|diags| {
                let first = diags
                    .first()
                    .map(|d| format!("{}: {}", d.code.as_str(), d.message))
                    .unwrap_or_default();
                Fatal(format!("{} is invalid: {first}", shown(&file)))
            })?;
            let starts = project_starts(&root, &p)?;
            (root, true, starts)
        }
        None => {
            let within = std::fs::canonicalize(folder)
                .map_err(|e| Fatal(format!("{}: {e}", shown(folder))))?;
            let start = Start {
                path: folder.to_path_buf(),
                within: Some(within),
            };
            (folder.to_path_buf(), false, vec![start])
        }
    };
    let mut walk = Walk::new(&["egress"], true);
    walk.base = Some(root.clone());
    walk.deep = project;
    let files = walk
        .starts(&starts)?
        .into_iter()
        .filter_map(|(path, input)| Some((path?, input)))
        .collect();
    Ok(Loaded {
        root,
        project,
        files,
    })
}

/// The paths named on the command line as walks to make: a folder is walked and stays inside
/// itself, a file is read as named, `-` is standard input (once).
fn command_line_starts(paths: &[PathBuf]) -> Result<Vec<Start>, Fatal> {
    let mut starts = Vec::new();
    let mut stdin = false;
    for path in paths {
        if path.as_os_str() == STDIN {
            if stdin {
                return Err(Fatal("`-` (standard input) is given twice".into()));
            }
            stdin = true;
        }
        let within = if path.as_os_str() == STDIN {
            None
        } else if path.is_dir() {
            Some(std::fs::canonicalize(path).map_err(|e| Fatal(format!("{}: {e}", shown(path))))?)
        } else if std::fs::symlink_metadata(path).is_ok() {
            None
        } else {
            return Err(Fatal(format!("{}: no such file or folder", shown(path))));
        };
        starts.push(Start {
            path: path.clone(),
            within,
        });
    }
    Ok(starts)
}

/// The path that stands for standard input.
pub(crate) const STDIN: &str = "-";

/// The name standard input has in messages.
pub(crate) const STDIN_NAME: &str = "<stdin>";

/// Standard input as a source, read up to the limit of one input (which refuses more).
pub(crate) fn stdin() -> Result<Input, Fatal> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Fatal(format!("standard input: {e}")))?;
    Ok(Input::new(STDIN_NAME, bytes))
}

/// The files named on the command line and those below the folders named whose extension is
/// one of `extensions`, read as sources are (each real file once, symlinks kept inside the
/// folder given, the same limits); `-` is not a path here.
pub(crate) fn files(
    paths: &[PathBuf],
    extensions: &'static [&'static str],
) -> Result<Vec<Input>, Fatal> {
    if let Some(p) = paths.iter().find(|p| p.as_os_str() == STDIN) {
        return Err(Fatal(format!("{}: not a file here", shown(p))));
    }
    let read = Walk::new(extensions, false).starts(&command_line_starts(paths)?)?;
    Ok(read.into_iter().map(|(_, input)| input).collect())
}

/// A walk over the sources: what was read and which real folders were visited.
struct Walk {
    inputs: Vec<Source>,
    budget: Budget,
    folders: BTreeSet<(u64, u64)>,
    /// The extensions of the files a folder's walk reads.
    extensions: &'static [&'static str],
    /// Whether a subfolder with its own project file is a separate program, skipped.
    programs: bool,
    /// The folder sources are named relative to (the project's); else the working folder.
    base: Option<PathBuf>,
    /// Whether a folder's walk goes into its subfolders.
    deep: bool,
}

impl Walk {
    fn new(extensions: &'static [&'static str], programs: bool) -> Walk {
        Walk {
            inputs: Vec::new(),
            budget: Budget::default(),
            folders: BTreeSet::new(),
            extensions,
            programs,
            base: None,
            deep: true,
        }
    }

    /// How the source at `path` is named: relative to the walk's base, else to the working
    /// folder.
    fn shown_as(&self, path: &Path) -> PathBuf {
        stdio::relative_to(path, self.base.as_deref())
    }

    /// Reads every start, until the total limit is reached.
    fn starts(mut self, starts: &[Start]) -> Result<Vec<Source>, Fatal> {
        for s in starts {
            if self.budget.full {
                break;
            }
            match &s.within {
                Some(within) if s.path.is_dir() => self.folder(&s.path, within)?,
                _ if s.path.as_os_str() == STDIN => self.inputs.push((None, stdin()?)),
                _ => self.file(&s.path),
            }
        }
        Ok(self.inputs)
    }

    /// Reads the file at `path` (unless its real file was read already).
    fn file(&mut self, path: &Path) {
        let shown_as = self.shown_as(path);
        if let Some(input) = read::source(path, &shown_as, &mut self.budget) {
            self.inputs.push((Some(path.to_path_buf()), input));
        }
    }

    /// Whether `path`, a symlink, leads outside `within`; refuses it (E0109) when it does.
    fn escapes(&mut self, path: &Path, within: &Path) -> bool {
        match std::fs::canonicalize(path) {
            Ok(real) if real.starts_with(within) => false,
            Ok(_) => {
                let refused = Input::refused(
                    shown(&self.shown_as(path)),
                    Refusal::Outside {
                        folder: shown(within),
                    },
                );
                self.inputs.push((Some(path.to_path_buf()), refused));
                true
            }
            // A dangling symlink: reading it says so.
            Err(_) => false,
        }
    }

    /// Every file below `dir` with one of the walk's extensions, sorted, each real folder once.
    /// When the walk is over programs, a subfolder with its own project file is a separate
    /// program and is skipped (with a note), so that `egressc build examples/` leaves out
    /// `examples/pitfalls/`.
    fn folder(&mut self, dir: &Path, within: &Path) -> Result<(), Fatal> {
        let meta = std::fs::metadata(dir).map_err(|e| Fatal(format!("{}: {e}", shown(dir))))?;
        if !self.folders.insert((meta.dev(), meta.ino())) {
            return Ok(());
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| Fatal(format!("{}: {e}", shown(dir))))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            if self.budget.full {
                break;
            }
            let is_link = std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_symlink());
            if p.is_dir() {
                if !self.deep {
                    continue;
                }
                if is_link && self.escapes(&p, within) {
                    continue;
                }
                if self.programs && p.join(project::FILE_NAME).is_file() {
                    stdio::err(&format!(
                        "note: skipped {}: it has its own {} (build it on its own)\n",
                        shown(&p),
                        project::FILE_NAME
                    ));
                    continue;
                }
                self.folder(&p, within)?;
            } else if p
                .extension()
                .is_some_and(|e| self.extensions.iter().any(|x| e == *x))
            {
                if is_link && self.escapes(&p, within) {
                    continue;
                }
                self.file(&p);
            }
        }
        Ok(())
    }
}
