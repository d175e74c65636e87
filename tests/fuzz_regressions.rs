//! Every finding of the fuzz targets (`fuzz/`), kept in `tests/data/fuzz/` and replayed with the
//! targets' own checks: `pipeline-*` files through the whole pipeline, `lsp-*` files through the
//! language server's message loop. The seeds of both targets (every fixture and example) are
//! replayed too, so a change that breaks a check fails here before a fuzzer has to find it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail by panicking"
)]

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn fuzz_findings_stay_fixed() {
    let mut found = Vec::new();
    files(&root().join("tests/data/fuzz"), &mut found);
    found.retain(|p| p.extension().is_none_or(|e| e != "md"));
    assert!(!found.is_empty());
    for path in found {
        let data = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("lsp-") {
            checks::lsp(&data);
        } else {
            checks::pipeline(&data);
        }
    }
}

#[test]
fn the_seeds_pass_the_language_server_checks() {
    let mut seeds = Vec::new();
    files(&root().join("tests/fixtures"), &mut seeds);
    files(&root().join("examples"), &mut seeds);
    seeds.retain(|p| p.extension().is_some_and(|e| e == "egress"));
    for path in seeds {
        let mut data = vec![1u8];
        data.extend(std::fs::read(&path).unwrap());
        checks::lsp(&data);
    }
}
