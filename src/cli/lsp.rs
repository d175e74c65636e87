//! `egressc lsp`: the language server, given the file system as the command line reads it.
//! A program's sources are found and read exactly as `egressc check` reads them (the project
//! file, size limits, symlinks kept inside the project's folder); the standard library is
//! written once, read-only, under the user's cache folder, so that editors can open it.

use std::fs::{DirBuilder, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use sha2::{Digest as _, Sha256};

use egressc::lsp::{Loaded, Workspace};

use super::Fatal;
use super::inputs;

/// The file system, read under the command line's rules.
struct Disk;

impl Workspace for Disk {
    fn program(&self, folder: &Path) -> Result<Loaded, String> {
        inputs::program_of(folder).map_err(|Fatal(m)| m)
    }

    fn stdlib_file(&self, name: &str, text: &str) -> Option<PathBuf> {
        let cache = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .filter(|p| p.is_absolute())?;
        let digest = Sha256::digest(text.as_bytes());
        let tag: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
        let dir = cache.join("egressc").join(format!("stdlib-{tag}"));
        let file = dir.join(Path::new(name).file_name()?);
        write_read_only(&dir, &file, text).ok()?;
        Some(file)
    }
}

/// Writes `text` to `file` (mode 0444) unless it holds it already, through a new file renamed
/// into place: a symlink planted at either name is replaced, never followed.
fn write_read_only(dir: &Path, file: &Path, text: &str) -> std::io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    if let Ok(meta) = std::fs::symlink_metadata(file)
        && meta.is_file()
        && std::fs::read(file).is_ok_and(|b| b == text.as_bytes())
    {
        return Ok(());
    }
    let tmp = dir.join(format!(".stdlib.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.set_permissions(std::fs::Permissions::from_mode(0o444))?;
    drop(f);
    std::fs::rename(&tmp, file)
}

pub(crate) fn run() -> Result<ExitCode, Fatal> {
    Ok(egressc::lsp::run(&Disk)?)
}
