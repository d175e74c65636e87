//! Reading one source file, held to the limits of `egressc::input`: regular files only (a FIFO,
//! socket or device is refused without being opened for reading, a file of `/proc` or `/sys`
//! without being read), sizes checked before reading, reads bounded by the limit whatever the
//! size said. Each real file (device and inode) is read once.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read as _;
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
use std::path::Path;

use rustix::fs::{self as fs, Mode, OFlags};

use egressc::Input;
use egressc::input::{MAX_FILE_BYTES, MAX_TOTAL_BYTES, Refusal};

use super::stdio::path as shown;

/// What was read so far: the real files (device, inode) and the bytes.
#[derive(Default)]
pub(crate) struct Budget {
    seen: BTreeSet<(u64, u64)>,
    total: u64,
    /// The total limit was reached: nothing more is read.
    pub(crate) full: bool,
}

/// What a file that is not regular is, for messages.
fn kind(t: std::fs::FileType) -> &'static str {
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_dir() {
        "a folder"
    } else {
        "a special file"
    }
}

/// Whether the open file lives on one of the kernel's pseudo-file systems (`/proc`, `/sys`,
/// ...), whose "regular" files hold the state of the system.
#[cfg(target_os = "linux")]
fn on_pseudo_file_system(fd: &std::os::fd::OwnedFd) -> bool {
    // The magic numbers of linux/magic.h.
    const PSEUDO: [u64; 16] = [
        0x9fa0,      // proc
        0x6265_6572, // sysfs
        0x6462_6720, // debugfs
        0x7472_6163, // tracefs
        0x7363_6673, // securityfs
        0x0027_e0eb, // cgroup
        0x6367_7270, // cgroup2
        0xcafe_4a11, // bpf
        0x6265_6570, // configfs
        0xde5e_81e4, // efivarfs
        0x6165_676c, // pstore
        0x1cd1,      // devpts
        0x6573_5543, // fusectl
        0xf97c_ff8c, // selinuxfs
        0x4341_5d53, // smackfs
        0x6e73_6673, // nsfs
    ];
    fs::fstatfs(fd).is_ok_and(|st| {
        let magic = (st.f_type as u64) & 0xffff_ffff;
        PSEUDO.contains(&magic)
    })
}

#[cfg(not(target_os = "linux"))]
fn on_pseudo_file_system(_fd: &std::os::fd::OwnedFd) -> bool {
    false
}

/// The input of the file at `path` (following a symlink, which the caller has checked), named
/// `shown_as`, or why it is refused; `None` when this real file was read already.
pub(crate) fn source(path: &Path, shown_as: &Path, budget: &mut Budget) -> Option<Input> {
    let name = shown(shown_as);
    let refused = |r| Some(Input::refused(name.clone(), r));
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return refused(Refusal::Unreadable { why: e.to_string() }),
    };
    if !meta.file_type().is_file() {
        return refused(Refusal::NotRegular {
            what: kind(meta.file_type()).into(),
        });
    }
    if !budget.seen.insert((meta.dev(), meta.ino())) {
        return None;
    }
    if meta.len() > MAX_FILE_BYTES {
        return refused(Refusal::TooLarge { size: meta.len() });
    }
    if budget.total.saturating_add(meta.len()) > MAX_TOTAL_BYTES {
        budget.full = true;
        return refused(Refusal::TotalTooLarge {
            total: budget.total.saturating_add(meta.len()),
        });
    }
    // Non-blocking: had the file become a FIFO since, opening it must not wait for a writer.
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = match fs::open(path, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(e) => return refused(Refusal::Unreadable { why: e.to_string() }),
    };
    match fs::fstat(&fd) {
        Ok(st) if fs::FileType::from_raw_mode(st.st_mode) == fs::FileType::RegularFile => {}
        Ok(_) => {
            return refused(Refusal::NotRegular {
                what: "not a regular file any more".into(),
            });
        }
        Err(e) => return refused(Refusal::Unreadable { why: e.to_string() }),
    }
    if on_pseudo_file_system(&fd) {
        return refused(Refusal::NotRegular {
            what: "a file of a kernel pseudo-file system (/proc, /sys)".into(),
        });
    }
    let mut bytes = Vec::new();
    if let Err(e) = File::from(fd)
        .take(MAX_FILE_BYTES.saturating_add(1))
        .read_to_end(&mut bytes)
    {
        return refused(Refusal::Unreadable { why: e.to_string() });
    }
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if size > MAX_FILE_BYTES {
        // It grew since its size was read.
        return refused(Refusal::TooLarge { size });
    }
    budget.total = budget.total.saturating_add(size);
    Some(Input::new(name, bytes))
}
