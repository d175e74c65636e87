//! Shared by the tests of the real binary (`cli.rs`, `hardening.rs`): the command, its output
//! as text, and files written for it.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

pub fn egressc() -> Command {
    Command::cargo_bin("egressc").unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes `text` to `dir/name`, creating the folders on the way.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}
