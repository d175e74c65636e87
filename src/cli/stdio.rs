//! Everything the command line prints goes through here. Rust's `print!` panics when the reader
//! of stdout has gone (`egressc test | head -1`); these functions never do. Paths are shown
//! through [`path`], so a file name cannot break a line or drive the terminal.

use std::io::{ErrorKind, Write as _};
use std::path::Path;

use egressc::source::printable;

use super::Fatal;

/// Writes `text` to stdout. A closed stdout is an I/O failure (exit 2), as it means the output
/// was not all delivered; commands write their files before printing, so those are complete.
pub(crate) fn out(text: &str) -> Result<(), Fatal> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Err(Fatal(
            "stdout was closed before all output was written".into(),
        )),
        Err(e) => Err(Fatal(format!("cannot write to stdout: {e}"))),
    }
}

/// Writes `text` to stderr. When stderr is closed there is nowhere left to report to, so a
/// failure is ignored.
pub(crate) fn err(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// A path as shown in messages and as the name of a source: bytes that are not UTF-8 as `\xNN`,
/// characters that could break a line or drive a terminal escaped.
pub(crate) fn path(p: &Path) -> String {
    let mut text = String::new();
    for chunk in p.as_os_str().as_encoded_bytes().utf8_chunks() {
        text.push_str(chunk.valid());
        for b in chunk.invalid() {
            text.push_str(&format!("\\x{b:02x}"));
        }
    }
    printable(&text).into_owned()
}
