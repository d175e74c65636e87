//! The sources of a program at a git revision (`egressc diff --base REV`), read through `git`
//! without a checkout. Every input is hostile: the revision is refused unless it is a plain
//! revision name (never an option: it cannot start with `-`, and `--end-of-options` comes
//! before it), paths are literal pathspecs after `--`, symlinks are skipped, every file's size is
//! checked against the input limits from the tree listing before it is read, and what git prints
//! is read up to those limits only (E0902, E0903).

use std::ffi::{OsStr, OsString};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use egressc::Input;
use egressc::diagnostics::Code;
use egressc::input::{MAX_FILE_BYTES, MAX_TOTAL_BYTES};
use egressc::source::printable;

use super::Fatal;

/// The longest revision name taken.
const MAX_REVISION_BYTES: usize = 256;

/// The most source files read at a revision.
const MAX_FILES: usize = 10_000;

/// The most bytes of a tree listing read.
const MAX_LISTING_BYTES: u64 = 16 * 1024 * 1024;

/// The most bytes of git's error output kept.
const MAX_ERROR_BYTES: u64 = 4096;

fn refused(rev: &str, why: &str) -> Fatal {
    Fatal::coded(
        Code::E0903,
        format!("the revision `{}` is refused: {why}", printable(rev)),
        "name a branch, tag or commit: `origin/main`, `v1.2`, `HEAD~1`, `3f2a9c1`",
    )
}

fn unreadable(rev: &str, why: impl std::fmt::Display) -> Fatal {
    Fatal::coded(
        Code::E0902,
        format!("the program at `{}` cannot be read: {why}", printable(rev)),
        "run it inside the git repository that holds the policies, with a revision it has (`git fetch` first in a shallow CI checkout)",
    )
}

/// A revision name that cannot be taken for an option, a path or a range.
fn check_revision(rev: &str) -> Result<(), Fatal> {
    if rev.is_empty() {
        return Err(refused(rev, "it is empty"));
    }
    if rev.len() > MAX_REVISION_BYTES {
        return Err(refused(
            rev,
            &format!("it is longer than {MAX_REVISION_BYTES} bytes"),
        ));
    }
    if rev.starts_with('-') {
        return Err(refused(rev, "it starts with `-`, as an option would"));
    }
    if let Some(c) = rev
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, ':' | '\\' | '*' | '?' | '['))
    {
        return Err(refused(rev, &format!("it holds `{}`", c.escape_debug())));
    }
    if rev.contains("..") {
        return Err(refused(rev, "it is a range; give one revision"));
    }
    Ok(())
}

/// Runs `git ARGS` in `dir` and returns what it prints, at most `limit` bytes (more is an
/// error); a failure is E0902 with git's first line.
fn git(rev: &str, dir: &Path, args: &[&OsStr], limit: u64) -> Result<Vec<u8>, Fatal> {
    let mut child = Command::new("git")
        .current_dir(dir)
        .arg("--literal-pathspecs")
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| unreadable(rev, format!("git cannot be run: {e}")))?;
    let stderr = child.stderr.take();
    let errors = std::thread::spawn(move || {
        let mut kept = Vec::new();
        if let Some(mut e) = stderr {
            let _ = e.by_ref().take(MAX_ERROR_BYTES).read_to_end(&mut kept);
            let _ = std::io::copy(&mut e, &mut std::io::sink());
        }
        kept
    });
    let mut out = Vec::new();
    if let Some(o) = child.stdout.take() {
        o.take(limit + 1)
            .read_to_end(&mut out)
            .map_err(|e| unreadable(rev, e))?;
    }
    if out.len() as u64 > limit {
        let _ = child.kill();
        let _ = child.wait();
        return Err(unreadable(
            rev,
            format!("git printed more than {limit} bytes"),
        ));
    }
    let status = child.wait().map_err(|e| unreadable(rev, e))?;
    let kept = errors.join().unwrap_or_default();
    if !status.success() {
        let text = String::from_utf8_lossy(&kept);
        let first = text.lines().next().unwrap_or("git failed").trim();
        return Err(unreadable(rev, printable(first)));
    }
    Ok(out)
}

/// One file of a tree listing: its object and path.
struct Entry {
    object: String,
    path: String,
    size: u64,
}

/// The `.egress` blobs of `git ls-tree -r -l -z` output; symlinks and other kinds are left out.
fn entries(rev: &str, listing: &[u8]) -> Result<Vec<Entry>, Fatal> {
    let mut out = Vec::new();
    for record in listing.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let text = String::from_utf8_lossy(record);
        let Some((meta, path)) = text.split_once('\t') else {
            return Err(unreadable(
                rev,
                "git listed a file in a form egressc does not know",
            ));
        };
        let fields: Vec<&str> = meta.split_whitespace().collect();
        let [mode, kind, object, size] = fields.as_slice() else {
            return Err(unreadable(
                rev,
                "git listed a file in a form egressc does not know",
            ));
        };
        if *kind != "blob" || *mode == "120000" || !path.ends_with(".egress") {
            continue;
        }
        if !object.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(unreadable(
                rev,
                "git listed an object name that is not hexadecimal",
            ));
        }
        let size = size
            .parse()
            .map_err(|_| unreadable(rev, "git listed a file without its size"))?;
        out.push(Entry {
            object: (*object).to_owned(),
            path: path.to_owned(),
            size,
        });
    }
    Ok(out)
}

/// The `.egress` files at `rev` below `paths` (relative to `dir`, which must be inside the
/// repository), each named `REV:PATH`, under the input limits.
pub(crate) fn sources_at(rev: &str, dir: &Path, paths: &[PathBuf]) -> Result<Vec<Input>, Fatal> {
    check_revision(rev)?;
    let spec = OsString::from(format!("{rev}^{{commit}}"));
    let commit = git(
        rev,
        dir,
        &[
            OsStr::new("rev-parse"),
            OsStr::new("--verify"),
            OsStr::new("--quiet"),
            OsStr::new("--end-of-options"),
            &spec,
        ],
        256,
    )
    .map_err(|e| {
        if e.0.contains("git failed") {
            unreadable(rev, "no such commit in this repository")
        } else {
            e
        }
    })?;
    let commit = String::from_utf8_lossy(&commit).trim().to_owned();
    if commit.is_empty() || !commit.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(unreadable(rev, "no such commit"));
    }
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("ls-tree"),
        OsStr::new("-r"),
        OsStr::new("-l"),
        OsStr::new("-z"),
        OsStr::new(commit.as_str()),
        OsStr::new("--"),
    ];
    args.extend(paths.iter().map(|p| p.as_os_str()));
    let listing = git(rev, dir, &args, MAX_LISTING_BYTES)?;
    let entries = entries(rev, &listing)?;
    if entries.len() > MAX_FILES {
        return Err(unreadable(
            rev,
            format!("it holds more than {MAX_FILES} source files"),
        ));
    }
    let mut total = 0u64;
    let mut out = Vec::new();
    for e in entries {
        let name = format!("{rev}:{}", e.path);
        if e.size > MAX_FILE_BYTES {
            return Err(unreadable(
                rev,
                format!(
                    "`{}` is larger than {MAX_FILE_BYTES} bytes",
                    printable(&e.path)
                ),
            ));
        }
        total += e.size;
        if total > MAX_TOTAL_BYTES {
            return Err(unreadable(
                rev,
                format!("its sources are larger than {MAX_TOTAL_BYTES} bytes in all"),
            ));
        }
        let bytes = git(
            rev,
            dir,
            &[
                OsStr::new("cat-file"),
                OsStr::new("blob"),
                OsStr::new(e.object.as_str()),
            ],
            MAX_FILE_BYTES,
        )?;
        out.push(Input::new(name, bytes));
    }
    if out.is_empty() {
        return Err(unreadable(rev, "it has no `.egress` files there"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::check_revision;

    #[test]
    fn revisions_that_could_be_options_paths_or_ranges_are_refused() {
        for bad in [
            "",
            "-n",
            "--output=x",
            "HEAD:secret",
            "a..b",
            "a b",
            "x\n",
            "*",
            &"a".repeat(300),
        ] {
            assert!(check_revision(bad).is_err(), "{bad:?}");
        }
        for good in [
            "HEAD",
            "HEAD~1",
            "origin/main",
            "v1.2",
            "3f2a9c1",
            "main@{1}",
            "HEAD^",
        ] {
            assert!(check_revision(good).is_ok(), "{good:?}");
        }
    }
}
