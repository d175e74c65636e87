//! What enters the compiler: one [`Input`] per source file, and the limits every input is held
//! to. A file the command line would not read (too large, not a regular file, outside the
//! folder given) arrives as a refused input, so that its diagnostic is data like every other.
//! A refused input registers its name with no text: nothing of it can be shown.

use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Span};

/// The largest source file egressc reads: 8 MiB. A policy repository's largest file is a few
/// hundred kilobytes; the limit bounds memory and time long before they matter.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// The most source text one run reads, all files together: 32 MiB.
pub const MAX_TOTAL_BYTES: u64 = 32 * 1024 * 1024;

/// Why a file was not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Larger than [`MAX_FILE_BYTES`] (its size in bytes, as far as it was seen).
    TooLarge { size: u64 },
    /// Reading it would take the run past [`MAX_TOTAL_BYTES`] (the total so far, with it).
    TotalTooLarge { total: u64 },
    /// Not a regular file (`what` it is, as "a FIFO" or "a file of a kernel pseudo-file
    /// system").
    NotRegular { what: String },
    /// A regular file that cannot be read (`why`, as the system says it).
    Unreadable { why: String },
    /// Reached through a symlink that leads outside the folder given (`folder`, as shown).
    Outside { folder: String },
}

/// One input file: a display name and its raw bytes (checked for UTF-8 here, not by the caller),
/// or the reason it was not read.
#[derive(Clone, Debug)]
pub struct Input {
    pub name: String,
    pub bytes: Vec<u8>,
    pub refusal: Option<Refusal>,
}

impl Input {
    pub fn new(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Input {
        Input {
            name: name.into(),
            bytes: bytes.into(),
            refusal: None,
        }
    }

    /// A file that was not read, and why.
    pub fn refused(name: impl Into<String>, refusal: Refusal) -> Input {
        Input {
            name: name.into(),
            bytes: Vec::new(),
            refusal: Some(refusal),
        }
    }
}

/// Holds one input to the limits, counting it into `total`: `Ok` with its bytes, or the coded
/// diagnostic (on the empty file `file`) that refuses it.
pub(crate) fn admit<'a>(
    file: FileId,
    input: &'a Input,
    total: &mut u64,
) -> Result<&'a [u8], Diagnostic> {
    let size = u64::try_from(input.bytes.len()).unwrap_or(u64::MAX);
    let refusal = match &input.refusal {
        Some(r) => Some(r.clone()),
        None if size > MAX_FILE_BYTES => Some(Refusal::TooLarge { size }),
        None if total.saturating_add(size) > MAX_TOTAL_BYTES => Some(Refusal::TotalTooLarge {
            total: total.saturating_add(size),
        }),
        None => None,
    };
    *total = total.saturating_add(size);
    match refusal {
        None => Ok(&input.bytes),
        Some(r) => Err(refuse(file, &r)),
    }
}

/// `n` bytes in MiB, for messages.
fn mib(n: u64) -> String {
    let tenths = n.saturating_mul(10) / (1024 * 1024);
    format!("{}.{} MiB", tenths / 10, tenths % 10)
}

/// The diagnostic of a refusal, on the start of the (empty) file.
fn refuse(file: FileId, refusal: &Refusal) -> Diagnostic {
    let at = Span::new(file, 0, 0);
    match refusal {
        Refusal::TooLarge { size } => Diagnostic::new(
            Code::E0106,
            at,
            format!(
                "source file is too large ({}; the limit is {})",
                mib(*size),
                mib(MAX_FILE_BYTES)
            ),
        )
        .label("not read")
        .help("split the policies into several files; a file this large is rarely a policy"),
        Refusal::TotalTooLarge { total } => Diagnostic::new(
            Code::E0107,
            at,
            format!(
                "the sources are too large in total ({} with this file; the limit is {})",
                mib(*total),
                mib(MAX_TOTAL_BYTES)
            ),
        )
        .label("not read: the limit was reached here")
        .help("build the policies in smaller groups (one project or folder per group)"),
        Refusal::NotRegular { what } => {
            Diagnostic::new(Code::E0108, at, format!("not a regular file: {what}"))
                .label("not read")
                .help("pass `.egress` files, or folders of them; egressc reads regular files only")
        }
        Refusal::Unreadable { why } => {
            Diagnostic::new(Code::E0108, at, format!("cannot read the file: {why}"))
                .label("not read")
                .help("check the file's permissions")
        }
        Refusal::Outside { folder } => Diagnostic::new(
            Code::E0109,
            at,
            format!("a symlink leads outside `{folder}`"),
        )
        .label("not read")
        .help("copy the file into the folder, or name it on the command line (or in `sources`)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_counted_per_file_and_in_total() {
        let mut total = 0;
        let small = Input::new("a", vec![b'#'; 10]);
        assert!(admit(FileId(0), &small, &mut total).is_ok());
        let big = Input::new("b", vec![b'#'; 8 * 1024 * 1024 + 1]);
        let e = admit(FileId(1), &big, &mut total).unwrap_err();
        assert_eq!(e.code, Code::E0106);
        assert!(e.message.contains("8.0 MiB"), "{}", e.message);
        let mut total = MAX_TOTAL_BYTES - 5;
        let e = admit(FileId(2), &small, &mut total).unwrap_err();
        assert_eq!(e.code, Code::E0107);
        let refused = Input::refused(
            "c",
            Refusal::NotRegular {
                what: "a FIFO".into(),
            },
        );
        assert_eq!(
            admit(FileId(3), &refused, &mut 0).unwrap_err().code,
            Code::E0108
        );
    }
}
