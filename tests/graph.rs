//! `egressc graph`: the picture of an example as Mermaid and DOT (snapshots), and a program
//! with errors drawn not at all (the escaping of names is tested in `src/ir/graph.rs`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail by panicking"
)]

#[path = "common/bin.rs"]
mod bin;

use bin::{egressc, stderr, stdout, write};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/payments.egress");

#[test]
fn an_example_as_mermaid() {
    let o = egressc().args(["graph", EXAMPLE]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mermaid = stdout(&o);
    assert!(mermaid.starts_with("flowchart LR\n"));
    insta::assert_snapshot!(mermaid);
}

#[test]
fn an_example_as_dot() {
    let o = egressc()
        .args(["graph", EXAMPLE, "--format", "dot"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dot = stdout(&o);
    assert!(dot.starts_with("digraph egress {\n"));
    insta::assert_snapshot!(dot);
}

#[test]
fn a_program_with_errors_is_not_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "a.egress",
        "namespace payments\napp api -> nosuchname\n",
    );
    let o = egressc().arg("graph").arg(&f).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).contains("error["), "{}", stderr(&o));
}
