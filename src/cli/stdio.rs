//! Everything the command line prints goes through here. Rust's `print!` panics when the reader
//! of stdout has gone (`egressc test | head -1`); these functions never do. Paths are shown
//! through [`path`], so a file name cannot break a line or drive the terminal.

use std::io::{ErrorKind, IsTerminal as _, Write as _};
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use egressc::source::printable;

use super::Fatal;

/// Writes `text` to stdout. A closed stdout is an I/O failure (exit 2), as it means the output
/// was not all delivered; commands write their files before printing, so those are complete.
pub(crate) fn out(text: &str) -> Result<(), Fatal> {
    out_all([text])
}

/// Writes `pieces` to stdout one after the other, as [`out`] writes one text: through one
/// buffer, so that many small pieces cost a few writes and no text joining them.
pub(crate) fn out_all<'a>(pieces: impl IntoIterator<Item = &'a str>) -> Result<(), Fatal> {
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = pieces
        .into_iter()
        .try_for_each(|piece| stdout.write_all(piece.as_bytes()))
        .and_then(|()| stdout.flush());
    match written {
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

/// When diagnostics on stderr are coloured (`--color`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set (and not empty) or `TERM` is `dumb`.
    Auto,
    Always,
    Never,
}

static COLOR: OnceLock<bool> = OnceLock::new();

/// Decides once, at start, whether human diagnostics on stderr are coloured.
pub(crate) fn init_color(choice: ColorChoice) {
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
                && std::io::stderr().is_terminal()
        }
    };
    let _ = COLOR.set(on);
}

/// Whether human diagnostics on stderr are coloured.
pub(crate) fn color() -> bool {
    COLOR.get().copied().unwrap_or(false)
}

/// `path` as shown to a person: relative to `base` (the project's folder) when it is below
/// it, else to the working folder when it is below that, else as given; `.` components left
/// out, `..` resolved by name. So names do not depend on where a repository is checked out,
/// nor on the folder egressc runs from inside a project.
pub(crate) fn relative_to(path: &Path, base: Option<&Path>) -> PathBuf {
    let Ok(cwd) = std::env::current_dir() else {
        return path.to_path_buf();
    };
    let full = lexical(&cwd.join(path));
    let below = |folder: &Path| {
        full.strip_prefix(lexical(&cwd.join(folder)))
            .ok()
            .map(Path::to_path_buf)
    };
    let shown = base
        .and_then(below)
        .or_else(|| below(Path::new(".")))
        .unwrap_or_else(|| {
            path.components()
                .filter(|c| *c != Component::CurDir)
                .collect()
        });
    if shown.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        shown
    }
}

/// [`relative_to`] the working folder.
pub(crate) fn relative(path: &Path) -> PathBuf {
    relative_to(path, None)
}

/// An absolute path with `.` and `..` resolved by name (symlinks are not looked at: this is for
/// names only).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
