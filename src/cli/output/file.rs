//! One file replaced whole (a file `egressc fmt` formats, an `--output-file` report): the new
//! bytes go to a new file beside it under a random name, which is renamed over it, so that a
//! reader sees the old file or the new one, never a part. The file is never reached through a
//! symlink, and a symlink, folder or special file where it would be is refused (E0904).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use egressc::diagnostics::Code;

use super::super::Fatal;
use super::super::stdio::path as shown;
use super::folder::{Folder, temp_name};

/// The refusal to replace what is at `path`.
fn refused(path: &Path, found: &str) -> Fatal {
    Fatal::coded(
        Code::E0904,
        format!(
            "{} is {found}; egressc replaces regular files only",
            shown(path)
        ),
        "name the file itself: egressc never writes through a symlink",
    )
}

/// Replaces the file at `path` with `bytes` (creating it when missing), keeping its permission
/// bits. The folder is the one named (a symlink to it is followed); the file's name in it is
/// never followed.
pub(crate) fn replace_file(path: &Path, bytes: &[u8]) -> Result<(), Fatal> {
    let name = path
        .file_name()
        .ok_or_else(|| Fatal(format!("{}: not a file name", shown(path))))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let folder = Folder::open(&dir, false)?
        .ok_or_else(|| Fatal(format!("{}: no such folder", shown(&dir))))?;
    let mode = folder.file_mode(name, refused)?;
    let temp = temp_name(&name.to_string_lossy())?;
    folder.create_with_mode(&temp, bytes, mode)?;
    let renamed = folder
        .file_mode(name, refused)
        .and_then(|_| folder.rename(&temp, name));
    if renamed.is_err() {
        let _ = folder.remove(OsStr::new(&temp));
    }
    renamed
}
