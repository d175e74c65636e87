//! The README stays true: its language example compiles, and its tables list every diagnostic
//! code, every lint and every target.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail by panicking"
)]

use egressc::backend::Target;
use egressc::diagnostics::{Code, Severity};
use egressc::{Input, compile};

const README: &str = include_str!("../README.md");

#[test]
fn the_language_example_compiles() {
    let block = README
        .split("```egress\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("README has an egress example");
    let c = compile(&[Input::new("README.md", block)], &[Target::Cilium]);
    let errors: Vec<_> = c
        .analysis
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn every_code_and_target_is_listed() {
    for code in Code::ALL {
        let row = format!("| {} |", code.as_str());
        assert!(README.contains(&row), "README lacks a row for {code}");
        if code.severity() == Severity::Warning && !code.is_import() {
            assert!(
                egressc::lint::codes().any(|c| c == *code),
                "{code} is a warning but not a lint"
            );
        }
    }
    for t in Target::ALL {
        assert!(
            README.contains(&format!("| `{t}` |")),
            "README lacks a row for target {t}"
        );
    }
}
