//! The output folder of `egressc build -o DIR`: one file per document below
//! `DIR/<namespace>/` (and `DIR/<target>/` with several targets) plus a `kustomization.yaml`,
//! written in place, or compared with `--check`.
//!
//! What keeps it safe: the folder is locked for the build ([`lock`]); nothing below `DIR` is
//! reached through a symlink ([`folder`]); every check is made before the first write, so a
//! refusal writes nothing; files are written under random names and renamed into place; only
//! files the [`manifest`] lists are replaced, and only listed files that still hold the bytes
//! egressc wrote are deleted. The manifest lists a build's temporary files before they are
//! created, so the next build removes what a killed one left, and `--check` reports it.

mod file;
mod folder;
mod lock;
mod manifest;
mod plan;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use egressc::backend::Output;
use egressc::diagnostics::Code;

use super::Fatal;
use super::stdio::{self, path as shown};
pub(crate) use file::replace_file;
use folder::{Folder, Kind, TEMP_SUFFIX, symlink_refused};
use manifest::{Digest, Manifest};
use plan::{Files, GENERATED_MARK, plan};

/// Where the output goes: `base` as the user named it (followed if it is a symlink), then
/// `below`, folders that must be real folders (the project file's `output`, below the project's
/// folder).
pub(crate) struct Destination {
    pub(crate) base: PathBuf,
    pub(crate) below: Vec<String>,
}

impl Destination {
    /// The folder named on the command line.
    pub(crate) fn named(dir: PathBuf) -> Destination {
        Destination {
            base: dir,
            below: Vec::new(),
        }
    }

    fn path(&self) -> PathBuf {
        self.below.iter().fold(self.base.clone(), |p, c| p.join(c))
    }

    /// The output folder, created when `create`; `None` when it does not exist (and not
    /// `create`).
    fn open(&self, create: bool) -> Result<Option<Folder>, Fatal> {
        let Some(mut folder) = Folder::open(&self.base, create)? else {
            return Ok(None);
        };
        for c in &self.below {
            match folder.child(OsStr::new(c), create)? {
                Some(f) => folder = f,
                None => return Ok(None),
            }
        }
        Ok(Some(folder))
    }
}

/// The state of one planned file.
enum Planned {
    Missing,
    Same,
    /// There, with other content, and egressc's to replace.
    Differs,
}

/// What is in the output folder, assessed before anything is written; the planned files'
/// paths are borrowed from the plan.
struct Assessment<'a> {
    manifest: Option<Manifest>,
    planned: BTreeMap<&'a str, Planned>,
    /// Listed files no longer produced that still hold egressc's bytes: to delete.
    stale: Vec<String>,
    /// Listed files no longer produced that were changed since: kept.
    changed: Vec<String>,
    /// Temporary files of an interrupted build (listed as pending, or the manifest's own).
    leftovers: Vec<String>,
    /// Files that look temporary but no manifest lists: reported, kept.
    unknown_temps: Vec<String>,
    /// Without a manifest: files with the generated mark that are not produced: reported, kept.
    unlisted_marked: Vec<String>,
}

/// The folder holding `path` (components joined by `/`) and the file's name in it, never
/// through a symlink; folders are created when `create`. `None` when a folder is missing.
fn locate(root: &Folder, path: &str, create: bool) -> Result<Option<(Folder, OsString)>, Fatal> {
    let mut parts: Vec<&str> = path.split('/').collect();
    let name = OsString::from(parts.pop().unwrap_or_default());
    let mut folder: Option<Folder> = None;
    for p in parts {
        let parent = folder.as_ref().unwrap_or(root);
        match parent.child(OsStr::new(p), create)? {
            Some(f) => folder = Some(f),
            None => return Ok(None),
        }
    }
    match folder {
        Some(f) => Ok(Some((f, name))),
        None => Ok(Some((root.reopen()?, name))),
    }
}

/// The bytes of the file at `path` (`None` when it or a folder on the way is missing), at most
/// `limit` of them and whether it was longer.
fn read(root: &Folder, path: &str, limit: u64) -> Result<Option<(Vec<u8>, bool)>, Fatal> {
    match locate(root, path, false)? {
        Some((folder, name)) => folder.read(&name, limit),
        None => Ok(None),
    }
}

/// The folder of the file last read by [`Reader::read`], looked up once for all the files in
/// it (a plan's paths are sorted, so a folder's files come together): its path and the folder,
/// `None` when it is missing.
struct Reader<'r> {
    root: &'r Folder,
    last: Option<(String, Option<Folder>)>,
}

impl Reader<'_> {
    /// [`read`], the file's folder opened again only when it is not the last one's.
    fn read(&mut self, path: &str, limit: u64) -> Result<Option<(Vec<u8>, bool)>, Fatal> {
        let Some((dir, name)) = path.rsplit_once('/') else {
            return read(self.root, path, limit);
        };
        let folder = match &self.last {
            Some((last, folder)) if last == dir => folder,
            _ => {
                let folder = locate(self.root, path, false)?.map(|(f, _)| f);
                &self.last.insert((dir.to_owned(), folder)).1
            }
        };
        match folder {
            Some(f) => f.read(OsStr::new(name), limit),
            None => Ok(None),
        }
    }
}

/// The manifest of the folder, `None` when there is none; an invalid one is E0604.
fn read_manifest(root: &Folder) -> Result<Option<Manifest>, Fatal> {
    let name = OsStr::new(manifest::FILE_NAME);
    let Some((bytes, longer)) = root.read(name, manifest::MAX_BYTES)? else {
        return Ok(None);
    };
    let invalid = |why: String| {
        Fatal::coded(
            Code::E0604,
            format!(
                "{} is not a valid manifest: {why}",
                shown(&root.path_of(name))
            ),
            "restore it, or delete it: egressc then replaces only files with its header where it writes, and deletes nothing",
        )
    };
    if longer {
        return Err(invalid(format!(
            "it is larger than {} bytes",
            manifest::MAX_BYTES
        )));
    }
    Manifest::parse(&bytes).map(Some).map_err(invalid)
}

/// Writes what `write` writes to `name` in `folder` through a temporary file (used for the
/// manifest).
fn replace(
    folder: &Folder,
    name: &str,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<(), Fatal> {
    let temp = folder.write_temp(name.trim_start_matches('.'), write)?;
    folder.rename(&temp, OsStr::new(name))
}

/// The folders of `paths` (below the root), without repeats, the root first.
fn folders_of<'a>(paths: impl Iterator<Item = &'a String>) -> BTreeSet<String> {
    let mut out = BTreeSet::from([String::new()]);
    for p in paths {
        if let Some((folder, _)) = p.rsplit_once('/') {
            out.insert(folder.to_owned());
        }
    }
    out
}

/// `folder/name` (or `name` in the root).
fn join(folder: &str, name: &OsStr) -> String {
    let name = name.to_string_lossy();
    if folder.is_empty() {
        name.into_owned()
    } else {
        format!("{folder}/{name}")
    }
}

/// Looks at everything the build will touch, refusing (before any write) symlinks (E0602),
/// special files (E0606), files that are not egressc's where it would write (E0605) and an
/// invalid manifest (E0604).
fn assess<'a>(root: &Folder, files: &'a Files<'_>) -> Result<Assessment<'a>, Fatal> {
    let manifest = read_manifest(root)?;
    let listed = |p: &str| manifest.as_ref().is_some_and(|m| m.files.contains_key(p));
    let mut planned = BTreeMap::new();
    let mut reader = Reader { root, last: None };
    for (path, text) in files {
        let limit = u64::try_from(text.len()).unwrap_or(u64::MAX);
        let state = match reader.read(path, limit)? {
            None => Planned::Missing,
            Some((old, longer)) => {
                let ours = listed(path)
                    || (manifest.is_none() && old.starts_with(GENERATED_MARK.as_bytes()));
                if !longer && old == text.as_bytes() {
                    Planned::Same
                } else if ours {
                    Planned::Differs
                } else {
                    return Err(Fatal::coded(
                        Code::E0605,
                        format!(
                            "{} exists and was not generated by egressc; refusing to overwrite it",
                            shown(&root.path_of(OsStr::new(path)))
                        ),
                        "move the file out of the output folder, or write the output elsewhere",
                    ));
                }
            }
        };
        planned.insert(path.as_str(), state);
    }
    let mut stale = Vec::new();
    let mut changed = Vec::new();
    let mut leftovers = Vec::new();
    if let Some(m) = &manifest {
        for (path, hash) in m.files.iter().filter(|(p, _)| !files.contains_key(*p)) {
            match read(root, path, manifest::MAX_BYTES)? {
                None => {}
                Some((old, false)) if Digest::of(&old).is(hash) => stale.push(path.clone()),
                Some(_) => changed.push(path.clone()),
            }
        }
        for path in &m.pending {
            if let Some((folder, name)) = locate(root, path, false)?
                && matches!(folder.kind(&name)?, Kind::File | Kind::Symlink)
            {
                leftovers.push(path.clone());
            }
        }
    }
    // Temporary files no manifest lists (an older egressc's `NAME.yaml.egressc-tmp`, or a
    // planted one), and without a manifest, files with the generated mark no longer produced.
    let mut unknown_temps = Vec::new();
    let mut unlisted_marked = Vec::new();
    let listed_paths = manifest.iter().flat_map(|m| m.files.keys());
    for dir in folders_of(files.keys().chain(listed_paths)) {
        let folder = if dir.is_empty() {
            Some(root.reopen()?)
        } else {
            locate(root, &format!("{dir}/x"), false)?.map(|(f, _)| f)
        };
        let Some(folder) = folder else { continue };
        for (name, kind) in folder.entries()? {
            let path = join(&dir, &name);
            let text = name.to_string_lossy();
            if text.ends_with(TEMP_SUFFIX) {
                let manifest_temp = dir.is_empty()
                    && text.starts_with(manifest::FILE_NAME)
                    && manifest::is_temp_name(&text);
                if manifest_temp {
                    leftovers.push(path);
                } else if !leftovers.contains(&path) {
                    unknown_temps.push(path);
                }
            } else if manifest.is_none()
                && kind == Kind::File
                && text.ends_with(".yaml")
                && !files.contains_key(&path)
                && folder
                    .read(&name, GENERATED_MARK.len() as u64)?
                    .is_some_and(|(b, _)| b.starts_with(GENERATED_MARK.as_bytes()))
            {
                unlisted_marked.push(path);
            }
        }
    }
    Ok(Assessment {
        manifest,
        planned,
        stale,
        changed,
        leftovers,
        unknown_temps,
        unlisted_marked,
    })
}

/// Writes (or with `check`, compares) the output folder. Files egressc did not generate are
/// never touched; generated files no longer produced are removed.
/// With `--check`, the stale files are listed on stdout, or on stderr when `report_on_stdout`
/// (a machine-readable report has it).
pub(crate) fn write_tree(
    dest: &Destination,
    outputs: &[Output],
    (check, lock_timeout): (bool, Duration),
    report_on_stdout: bool,
) -> Result<ExitCode, Fatal> {
    let files = plan(outputs)?;
    let dir = stdio::relative(&dest.path());
    let list = |text: &str| {
        if report_on_stdout {
            stdio::err(text);
            Ok(())
        } else {
            stdio::out(text)
        }
    };
    let Some(root) = dest.open(!check)? else {
        // `--check` of a folder that does not exist: everything is missing.
        let missing: String = files
            .keys()
            .map(|p| format!("missing: {}\n", shown(&dir.join(p))))
            .collect();
        list(&missing)?;
        return out_of_date(&dir);
    };
    let _lock = lock::take(&root, !check, lock_timeout)?;
    let found = assess(&root, &files)?;
    let path_of = |p: &str| shown(&dir.join(p));
    let notes: String = found
        .changed
        .iter()
        .map(|p| format!("note: kept {}: egressc no longer generates it, but it was changed since egressc wrote it (delete it by hand)\n", path_of(p)))
        .chain(found.unknown_temps.iter().map(|p| format!("note: {} looks like a temporary file of an interrupted build, but no manifest lists it; egressc leaves it (delete it by hand)\n", path_of(p))))
        .chain(found.unlisted_marked.iter().map(|p| format!("note: kept {}: it carries egressc's header but no manifest lists it (delete it by hand if egressc wrote it)\n", path_of(p))))
        .collect();
    stdio::err(&notes);
    if check {
        let mut problems = Vec::new();
        for (path, state) in &found.planned {
            match state {
                Planned::Same => {}
                Planned::Missing => problems.push(format!("missing: {}", path_of(path))),
                Planned::Differs => problems.push(format!("stale: {}", path_of(path))),
            }
        }
        for p in &found.stale {
            problems.push(format!("no longer generated: {}", path_of(p)));
        }
        for p in &found.leftovers {
            problems.push(format!("leftover of an interrupted build: {}", path_of(p)));
        }
        for p in &found.unknown_temps {
            problems.push(format!("leftover: {}", path_of(p)));
        }
        if problems.is_empty() {
            stdio::err(&format!(
                "{} is up to date ({} files)\n",
                shown(&dir),
                files.len()
            ));
            return Ok(ExitCode::SUCCESS);
        }
        list(
            &problems
                .iter()
                .map(|p| format!("{p}\n"))
                .collect::<String>(),
        )?;
        return out_of_date(&dir);
    }
    write(&root, &dir, &files, &found)?;
    stdio::err(&format!("wrote {} files to {}\n", files.len(), shown(&dir)));
    Ok(ExitCode::SUCCESS)
}

/// A file to write: the number of the temporary name it is written under
/// ([`folder::temp_file_name`]), its name and its path.
struct Staged<'a> {
    temp: u64,
    name: &'a str,
    path: &'a str,
}

impl Staged<'_> {
    fn temp(&self) -> OsString {
        folder::temp_file_name(self.name, self.temp)
    }
}

/// The end of a `--check` that found differences: exit 1.
fn out_of_date(dir: &Path) -> Result<ExitCode, Fatal> {
    stdio::err(&format!(
        "error: {} is out of date; run `egressc build` with the same arguments without --check\n",
        shown(dir)
    ));
    Ok(ExitCode::from(1))
}

/// Removes the leftovers, writes the changed files through temporary files listed in the
/// manifest first, deletes the stale files and writes the final manifest.
fn write(
    root: &Folder,
    dir: &Path,
    files: &Files<'_>,
    found: &Assessment<'_>,
) -> Result<(), Fatal> {
    for path in &found.leftovers {
        if let Some((folder, name)) = locate(root, path, false)? {
            folder.remove(&name)?;
        }
    }
    if !found.leftovers.is_empty() {
        stdio::err(&format!(
            "removed {} temporary file(s) left in {} by an interrupted build\n",
            found.leftovers.len(),
            shown(dir)
        ));
    }
    let to_write: Vec<&str> = found
        .planned
        .iter()
        .filter(|(_, s)| !matches!(s, Planned::Same))
        .map(|(p, _)| *p)
        .collect();
    // The final manifest: every planned file (in path order) with the digest of its bytes.
    let digests: Vec<(&str, [u8; 64])> = files
        .iter()
        .map(|(p, t)| (p.as_str(), Digest::of(t.as_bytes()).hex()))
        .collect();
    let unchanged = to_write.is_empty()
        && found.stale.is_empty()
        && found.changed.is_empty()
        && found.manifest.as_ref().is_some_and(|m| {
            m.pending.is_empty()
                && m.files.len() == digests.len()
                && m.files
                    .iter()
                    .zip(&digests)
                    .all(|((p, h), (q, d))| p == q && h.as_bytes() == d)
        });
    if unchanged {
        return Ok(());
    }
    // First the manifest that lists, with what is already there, every file this build may
    // leave behind: a build killed from here on leaves nothing the next one cannot clean.
    // Staged per folder, each folder opened once: one open folder per file would hold more
    // files open than the system allows on a large build (every target of 10,000 workloads).
    let mut staged: BTreeMap<&str, (Folder, Vec<Staged<'_>>)> = BTreeMap::new();
    let mut pending = Vec::with_capacity(to_write.len());
    let mut temps = folder::TempNames::new()?;
    for &path in &to_write {
        let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
        let files = match staged.entry(parent) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                let Some((folder, _)) = locate(root, path, true)? else {
                    return Err(symlink_refused(&dir.join(path)));
                };
                e.insert((folder, Vec::new()))
            }
        };
        let staged = Staged {
            temp: temps.next_number(),
            name,
            path,
        };
        pending.push(join(parent, &staged.temp()));
        files.1.push(staged);
    }
    pending.sort_unstable();
    pending.dedup();
    let listed = found.manifest.as_ref().map(|m| &m.files);
    replace(root, manifest::FILE_NAME, |out| {
        manifest::write_text(
            out,
            during(listed, &digests),
            pending.iter().map(String::as_str),
        )
    })?;
    drop(pending);
    for (folder, written) in staged.values() {
        for f in written {
            let text = files.get(f.path).map(|t| t.as_bytes()).unwrap_or_default();
            folder.create(&f.temp(), text)?;
        }
    }
    for (folder, written) in staged.values() {
        for f in written {
            folder.rename(&f.temp(), OsStr::new(f.name))?;
        }
    }
    for path in &found.stale {
        if let Some((folder, name)) = locate(root, path, false)? {
            folder.remove(&name)?;
        }
    }
    replace(root, manifest::FILE_NAME, |out| {
        manifest::write_text(
            out,
            digests.iter().map(|(p, d)| (*p, d.as_slice())),
            std::iter::empty(),
        )
    })
}

/// The files the manifest lists while a build writes: those `listed` before it and those it
/// writes (`new`, with their new digests), both in path order, merged in path order.
fn during<'a>(
    listed: Option<&'a BTreeMap<String, String>>,
    new: &'a [(&'a str, [u8; 64])],
) -> impl Iterator<Item = (&'a str, &'a [u8])> {
    let mut old = listed
        .into_iter()
        .flatten()
        .map(|(p, h)| (p.as_str(), h.as_bytes()))
        .peekable();
    let mut new = new.iter().map(|(p, d)| (*p, d.as_slice())).peekable();
    std::iter::from_fn(move || match (old.peek(), new.peek()) {
        (Some(o), Some(n)) if o.0 < n.0 => old.next(),
        (Some(o), Some(n)) if o.0 == n.0 => {
            old.next();
            new.next()
        }
        (_, Some(_)) => new.next(),
        (Some(_), None) => old.next(),
        (None, None) => None,
    })
}
