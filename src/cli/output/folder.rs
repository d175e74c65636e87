//! A folder of the output tree, held open: every name below it is looked up relative to the
//! open folder, and never through a symlink (`O_NOFOLLOW`, `openat`), so no folder or file
//! can be swapped for a symlink between a check and a write. New files are created under a
//! random name (`O_CREAT | O_EXCL`) and renamed into place.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{BufWriter, Read as _, Write as _};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use rustix::fs::{self as fs, AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use egressc::diagnostics::Code;

use super::super::Fatal;
use super::super::stdio::path as shown;

/// What is at a name in a folder (symlinks not followed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Missing,
    File,
    Folder,
    Symlink,
    /// A FIFO, socket or device, as said in messages.
    Special(&'static str),
}

/// The suffix of every temporary file egressc creates in an output folder.
pub(crate) const TEMP_SUFFIX: &str = ".egressc-tmp";

/// An open folder and its path (for messages).
pub(crate) struct Folder {
    fd: OwnedFd,
    path: PathBuf,
}

/// An I/O failure on `path`.
fn io(path: &Path, e: impl std::fmt::Display) -> Fatal {
    Fatal(format!("{}: {e}", shown(path)))
}

/// The refusal of a symlink where egressc would write, read or delete.
pub(crate) fn symlink_refused(path: &Path) -> Fatal {
    Fatal::coded(
        Code::E0602,
        format!(
            "{} is a symlink; egressc does not write through symlinks in an output folder",
            shown(path)
        ),
        "replace the symlink with a real folder or file, or write the output elsewhere",
    )
}

/// The refusal of something that is not what egressc expects at `path`.
fn special_refused(path: &Path, found: &str, wanted: &str) -> Fatal {
    Fatal::coded(
        Code::E0606,
        format!("{} is {found}, not {wanted}", shown(path)),
        "move it out of the output folder",
    )
}

fn kind_of(file_type: FileType) -> Kind {
    match file_type {
        FileType::RegularFile => Kind::File,
        FileType::Directory => Kind::Folder,
        FileType::Symlink => Kind::Symlink,
        FileType::Fifo => Kind::Special("a FIFO"),
        FileType::Socket => Kind::Special("a socket"),
        FileType::CharacterDevice | FileType::BlockDevice => Kind::Special("a device"),
        FileType::Unknown => Kind::Special("a special file"),
    }
}

/// Temporary names for the files of one build, `.{stem}.{16 hex digits}.egressc-tmp`: the
/// digits of the first are random, each next name's are one more (one random number per build,
/// not one system call per file).
pub(crate) struct TempNames {
    next: u64,
}

impl TempNames {
    pub(crate) fn new() -> Result<TempNames, Fatal> {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).map_err(|e| Fatal(format!("no random numbers: {e}")))?;
        Ok(TempNames {
            next: u64::from_be_bytes(bytes),
        })
    }

    /// The next temporary name for the file `stem`.
    pub(crate) fn next(&mut self, stem: &str) -> OsString {
        temp_file_name(stem, self.next_number())
    }

    /// The number of the next temporary name (see [`temp_file_name`]).
    pub(crate) fn next_number(&mut self) -> u64 {
        let n = self.next;
        self.next = n.wrapping_add(1);
        n
    }
}

/// The temporary name numbered `n` for the file `stem`: `.{stem}.{n:016x}.egressc-tmp`.
pub(crate) fn temp_file_name(stem: &str, n: u64) -> OsString {
    OsString::from(format!(".{stem}.{n:016x}{TEMP_SUFFIX}"))
}

/// A fresh temporary name for the file `stem`: `.{stem}.{16 random hex digits}.egressc-tmp`.
pub(crate) fn temp_name(stem: &str) -> Result<OsString, Fatal> {
    Ok(TempNames::new()?.next(stem))
}

impl Folder {
    /// The folder at `path`, as the user named it (a symlink there is followed); created with
    /// its parents when `create`. `None` when it does not exist and `create` is false.
    pub(crate) fn open(path: &Path, create: bool) -> Result<Option<Folder>, Fatal> {
        if create {
            std::fs::create_dir_all(path).map_err(|e| io(path, e))?;
        }
        match fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => Ok(Some(Folder {
                fd,
                path: path.to_path_buf(),
            })),
            Err(Errno::NOENT) if !create => Ok(None),
            Err(e) => Err(io(path, e)),
        }
    }

    /// The path of `name` in this folder, for messages.
    pub(crate) fn path_of(&self, name: &OsStr) -> PathBuf {
        self.path.join(name)
    }

    /// What is at `name` (a symlink is reported, not followed).
    pub(crate) fn kind(&self, name: &OsStr) -> Result<Kind, Fatal> {
        match fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(kind_of(FileType::from_raw_mode(st.st_mode))),
            Err(Errno::NOENT) => Ok(Kind::Missing),
            Err(e) => Err(io(&self.path_of(name), e)),
        }
    }

    /// The subfolder `name`, never through a symlink (E0602); created when missing and
    /// `create`, else `None` when missing.
    pub(crate) fn child(&self, name: &OsStr, create: bool) -> Result<Option<Folder>, Fatal> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let path = self.path_of(name);
        match self.kind(name)? {
            Kind::Folder => {}
            Kind::Missing if create => match fs::mkdirat(&self.fd, name, Mode::from(0o755)) {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(e) => return Err(io(&path, e)),
            },
            Kind::Missing => return Ok(None),
            Kind::Symlink => return Err(symlink_refused(&path)),
            Kind::File => return Err(special_refused(&path, "a file", "a folder")),
            Kind::Special(what) => return Err(special_refused(&path, what, "a folder")),
        }
        match fs::openat(&self.fd, name, flags, Mode::empty()) {
            Ok(fd) => Ok(Some(Folder { fd, path })),
            // Swapped for a symlink (or something else) since it was looked at.
            Err(Errno::LOOP | Errno::NOTDIR) => Err(symlink_refused(&path)),
            Err(e) => Err(io(&path, e)),
        }
    }

    /// The bytes of the regular file `name`, at most `limit` of them (`None` when it does not
    /// exist). A symlink is E0602, anything else that is not a regular file E0606; neither is
    /// opened. The flag of the result says whether the file was longer than `limit`.
    pub(crate) fn read(&self, name: &OsStr, limit: u64) -> Result<Option<(Vec<u8>, bool)>, Fatal> {
        let path = self.path_of(name);
        match self.kind(name)? {
            Kind::File => {}
            Kind::Missing => return Ok(None),
            Kind::Symlink => return Err(symlink_refused(&path)),
            Kind::Folder => return Err(special_refused(&path, "a folder", "a regular file")),
            Kind::Special(what) => return Err(special_refused(&path, what, "a regular file")),
        }
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let fd = match fs::openat(&self.fd, name, flags | OFlags::NOCTTY, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(Errno::LOOP) => return Err(symlink_refused(&path)),
            Err(e) => return Err(io(&path, e)),
        };
        let st = fs::fstat(&fd).map_err(|e| io(&path, e))?;
        match kind_of(FileType::from_raw_mode(st.st_mode)) {
            Kind::File => {}
            other => {
                let what = match other {
                    Kind::Special(w) => w,
                    _ => "not a regular file",
                };
                return Err(special_refused(&path, what, "a regular file"));
            }
        }
        let mut bytes = Vec::new();
        File::from(fd)
            .take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| io(&path, e))?;
        let longer = u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit;
        bytes.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(Some((bytes, longer)))
    }

    /// Creates the new file `name` holding `bytes`: never an existing name (`O_EXCL`), never
    /// through a symlink.
    pub(crate) fn create(&self, name: &OsStr, bytes: &[u8]) -> Result<(), Fatal> {
        self.create_with_mode(name, bytes, None)
    }

    /// [`Folder::create`] with exactly the permission bits `mode` (those of a file it replaces),
    /// or without them 0644 less the umask.
    pub(crate) fn create_with_mode(
        &self,
        name: &OsStr,
        bytes: &[u8],
        mode: Option<u32>,
    ) -> Result<(), Fatal> {
        let mut file = self.create_file(name, mode)?;
        file.write_all(bytes)
            .and_then(|()| file.flush())
            .map_err(|e| io(&self.path_of(name), e))
    }

    /// The new, empty file `name` (see [`Folder::create_with_mode`]), open for writing.
    fn create_file(&self, name: &OsStr, mode: Option<u32>) -> Result<File, Fatal> {
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = fs::openat(&self.fd, name, flags, Mode::from(0o644))
            .map_err(|e| io(&self.path_of(name), e))?;
        if let Some(m) = mode {
            fs::fchmod(&fd, Mode::from(m & 0o7777)).map_err(|e| io(&self.path_of(name), e))?;
        }
        Ok(File::from(fd))
    }

    /// Writes what `write` writes to a new file with a fresh temporary name for `stem` (through
    /// a buffer, never held whole) and returns the name.
    pub(crate) fn write_temp(
        &self,
        stem: &str,
        write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
    ) -> Result<OsString, Fatal> {
        let name = temp_name(stem)?;
        let mut out = BufWriter::with_capacity(1 << 16, self.create_file(&name, None)?);
        write(&mut out)
            .and_then(|()| out.flush())
            .map_err(|e| io(&self.path_of(&name), e))?;
        Ok(name)
    }

    /// The permission bits of the regular file `name` (`None` when it does not exist); a
    /// symlink or anything else that is not a regular file is refused with `refuse`.
    pub(crate) fn file_mode(
        &self,
        name: &OsStr,
        refuse: impl Fn(&Path, &str) -> Fatal,
    ) -> Result<Option<u32>, Fatal> {
        let path = self.path_of(name);
        match fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => match kind_of(FileType::from_raw_mode(st.st_mode)) {
                Kind::File => Ok(Some(st.st_mode & 0o7777)),
                Kind::Symlink => Err(refuse(&path, "a symlink")),
                Kind::Folder => Err(refuse(&path, "a folder")),
                Kind::Special(what) => Err(refuse(&path, what)),
                Kind::Missing => Ok(None),
            },
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(io(&path, e)),
        }
    }

    /// The same folder, opened again (for a handle of its own).
    pub(crate) fn reopen(&self) -> Result<Folder, Fatal> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let fd = fs::openat(&self.fd, ".", flags, Mode::empty()).map_err(|e| io(&self.path, e))?;
        Ok(Folder {
            fd,
            path: self.path.clone(),
        })
    }

    /// The folder's path, for messages.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Renames `from` to `to` in this folder (replacing `to`; neither is followed).
    pub(crate) fn rename(&self, from: &OsStr, to: &OsStr) -> Result<(), Fatal> {
        fs::renameat(&self.fd, from, &self.fd, to).map_err(|e| io(&self.path_of(to), e))
    }

    /// Removes the file `name` (a symlink would be removed, never followed).
    pub(crate) fn remove(&self, name: &OsStr) -> Result<(), Fatal> {
        match fs::unlinkat(&self.fd, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(io(&self.path_of(name), e)),
        }
    }

    /// The names in this folder, sorted, with what each is.
    pub(crate) fn entries(&self) -> Result<Vec<(OsString, Kind)>, Fatal> {
        let dir = fs::Dir::read_from(&self.fd).map_err(|e| io(&self.path, e))?;
        let mut out = Vec::new();
        for entry in dir {
            let entry = entry.map_err(|e| io(&self.path, e))?;
            let name = OsStr::from_bytes(entry.file_name().to_bytes());
            if name.is_empty() || name == "." || name == ".." {
                continue;
            }
            let name = name.to_os_string();
            let kind = self.kind(&name)?;
            out.push((name, kind));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Opens (creating when `create`) the lock file `name`, never through a symlink. `None` when
    /// it does not exist and cannot be created here (a read-only folder under `--check`).
    pub(crate) fn lock_file(&self, name: &OsStr, create: bool) -> Result<Option<File>, Fatal> {
        let path = self.path_of(name);
        let base = OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
        let attempt = if create {
            fs::openat(
                &self.fd,
                name,
                base | OFlags::RDWR | OFlags::CREATE,
                Mode::from(0o644),
            )
        } else {
            fs::openat(&self.fd, name, base | OFlags::RDONLY, Mode::empty())
        };
        let fd = match attempt {
            Ok(fd) => fd,
            Err(Errno::LOOP) => return Err(symlink_refused(&path)),
            Err(Errno::NOENT | Errno::ACCESS | Errno::ROFS | Errno::PERM) if !create => {
                return Ok(None);
            }
            Err(e) => return Err(io(&path, e)),
        };
        let st = fs::fstat(&fd).map_err(|e| io(&path, e))?;
        match kind_of(FileType::from_raw_mode(st.st_mode)) {
            Kind::File => Ok(Some(File::from(fd))),
            Kind::Special(what) => Err(special_refused(&path, what, "a regular file")),
            _ => Err(special_refused(
                &path,
                "not a regular file",
                "a regular file",
            )),
        }
    }
}
