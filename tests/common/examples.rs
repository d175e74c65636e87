//! The examples as the program they form: every file at the top of `examples/` is compiled
//! with `examples/cluster.egress`, which declares the cluster they run in (its pod, Service and
//! node ranges, its API server), as a repository's policies would be with its cluster file. A
//! folder below `examples/` is a project of its own (`examples/pitfalls/`).

#![allow(
    dead_code,
    reason = "each test binary that includes this file uses part of it"
)]

use std::path::{Path, PathBuf};

use egressc::Input;

/// The folder of the examples.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// The files `file` is compiled with: the cluster file first (for a file at the top of
/// `examples/` other than it), then the file itself.
pub fn paths(file: &Path) -> Vec<PathBuf> {
    let cluster = root().join("cluster.egress");
    if file.parent() == Some(root().as_path()) && file != cluster {
        vec![cluster, file.to_path_buf()]
    } else {
        vec![file.to_path_buf()]
    }
}

/// [`paths`] read, each named as the tests show it (relative to the repository).
pub fn inputs(file: &Path) -> Vec<Input> {
    paths(file)
        .into_iter()
        .map(|p| {
            let name = p
                .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")))
                .unwrap_or(&p)
                .display()
                .to_string();
            Input::new(name, std::fs::read(&p).unwrap_or_default())
        })
        .collect()
}
