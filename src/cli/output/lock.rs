//! The lock of an output folder, `DIR/.egressc.lock`: a build holds it exclusively from before
//! it reads the folder until its last file is in place, `--check` holds it shared. The lock
//! (`flock`) dies with its process, even after `kill -9`; the file stays and is harmless.

use std::ffi::OsStr;
use std::fs::{File, TryLockError};
use std::time::{Duration, Instant};

use egressc::diagnostics::Code;

use super::super::Fatal;
use super::super::stdio::path as shown;
use super::folder::Folder;

/// The lock file's name in the output folder.
const FILE_NAME: &str = ".egressc.lock";

/// How often a waiting build tries again.
const POLL: Duration = Duration::from_millis(25);

/// Takes the lock of `folder` (exclusive for a build, shared for `--check`), waiting at most
/// `timeout`. `None` under `--check` when there is no lock file and none can be made (nothing
/// to wait for). The lock is held as long as the file is.
pub(crate) fn take(
    folder: &Folder,
    exclusive: bool,
    timeout: Duration,
) -> Result<Option<File>, Fatal> {
    let name = OsStr::new(FILE_NAME);
    let file = match folder.lock_file(name, exclusive)? {
        Some(f) => f,
        None => return Ok(None),
    };
    let start = Instant::now();
    loop {
        let attempt = if exclusive {
            file.try_lock()
        } else {
            file.try_lock_shared()
        };
        match attempt {
            Ok(()) => return Ok(Some(file)),
            Err(TryLockError::WouldBlock) if start.elapsed() < timeout => std::thread::sleep(POLL),
            Err(TryLockError::WouldBlock) => {
                return Err(Fatal::coded(
                    Code::E0603,
                    format!(
                        "{} is locked by another egressc build (waited {} s)",
                        shown(folder.path()),
                        timeout.as_secs()
                    ),
                    "wait for the other build, or give each build its own output folder; `--lock-timeout SECONDS` sets the wait",
                ));
            }
            Err(TryLockError::Error(e)) => {
                return Err(Fatal(format!("{}: {e}", shown(&folder.path_of(name)))));
            }
        }
    }
}
