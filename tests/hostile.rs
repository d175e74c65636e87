//! Hostile input through the real binary: every limit of `egressc::limits` turns input that would
//! exhaust the stack, the memory or the time into a coded error or a shortened report, in every
//! output format (SECURITY.md, "Bounded cost").

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail by panicking"
)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use egressc::limits::{MAX_DIAGNOSTICS_PER_CODE, MAX_DIAGNOSTICS_PER_FILE};

fn check(file: &Path, format: &str) -> Output {
    Command::cargo_bin("egressc")
        .unwrap()
        .args(["check", "--error-format", format])
        .arg(file)
        .output()
        .unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// What the run reported: human text on stderr, a machine-readable report on stdout.
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned() + &String::from_utf8_lossy(&o.stdout)
}

/// Exit status 1 (errors), not a crash, and `code` reported.
fn refused_with(o: &Output, code: &str) {
    assert_eq!(o.status.code(), Some(1), "{}", stderr(o));
    assert!(stderr(o).contains(code), "{code} missing: {}", stderr(o));
}

/// `namespace` and `default deny`, then `body`.
fn program(body: &str) -> String {
    format!("namespace payments\ndefault deny\n{body}\n")
}

#[test]
fn a_megabyte_line_of_errors_gives_a_bounded_report_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let mut line = String::from("app payments-api -> dns");
    let mut i = 0u32;
    while line.len() < (1 << 20) {
        line.push_str(&format!(", 10.{}.{}.300/32", i / 250 % 250, i % 250));
        i += 1;
    }
    let f = write(dir.path(), "long.egress", &program(&line));
    let errors = i as usize;
    assert!(errors > 40_000);
    for format in ["human", "json", "sarif", "github", "short"] {
        let o = check(&f, format);
        refused_with(&o, "E0305");
        let err = stderr(&o);
        // Each diagnostic shown costs a few hundred bytes, not a megabyte line.
        assert!(
            err.len() < MAX_DIAGNOSTICS_PER_FILE * 2_000,
            "{format}: {} bytes",
            err.len()
        );
        let more = errors - MAX_DIAGNOSTICS_PER_CODE;
        assert!(
            err.contains(&format!(
                "{more} more `E0305` diagnostics in this file are not shown"
            )),
            "{format}: no count of the rest"
        );
    }
    let o = check(&f, "json");
    assert_eq!(stderr(&o).lines().count(), MAX_DIAGNOSTICS_PER_CODE);
    // Columns are still those of the file.
    let last: serde_json::Value = serde_json::from_str(stderr(&o).lines().last().unwrap()).unwrap();
    let start = last["span"]["start"].as_u64().unwrap() as usize;
    let line_start = "namespace payments\ndefault deny\n".len();
    assert_eq!(
        last["column"].as_u64(),
        Some((start - line_start + 1) as u64)
    );
    let human = stderr(&check(&f, "human"));
    assert!(human.contains(&format!("3:{}", start - line_start + 1)));
    assert!(human.contains('…'));
}

#[test]
fn calls_nested_5000_and_100000_deep_are_e0110() {
    let dir = tempfile::tempdir().unwrap();
    for depth in [5_000, 100_000] {
        let body = format!(
            "app payments-api -> dns, {}api.stripe.com:443{}",
            "fqdn(".repeat(depth),
            ")".repeat(depth)
        );
        let f = write(dir.path(), "nested.egress", &program(&body));
        let o = check(&f, "human");
        refused_with(&o, "E0110");
        assert!(stderr(&o).len() < 4_000);
    }
}

#[test]
fn chains_of_5000_and_100000_definitions_are_e0212_with_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    for n in [5_000, 100_000] {
        let mut body = String::from("def d0 = 10.0.0.0/24:443\n");
        for i in 1..n {
            body.push_str(&format!("def d{i} = d{}\n", i - 1));
        }
        body.push_str(&format!("app payments-api -> dns, d{}", n - 1));
        let f = write(dir.path(), "chain.egress", &program(&body));
        let o = check(&f, "human");
        refused_with(&o, "E0212");
        assert!(
            stderr(&o).contains(&format!("while expanding `d{}` → `d{}`", n - 1, n - 2)),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn a_definition_used_twice_at_each_of_40_levels_is_expanded_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut body = String::from("def d0 = 10.0.0.0/24:443\n");
    for i in 1..=40 {
        body.push_str(&format!("def d{i} = d{0}, d{0}\n", i - 1));
    }
    body.push_str("app payments-api -> dns, d40");
    let f = write(dir.path(), "double.egress", &program(&body));
    let o = check(&f, "human");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn doubling_through_arguments_runs_out_of_budget() {
    let dir = tempfile::tempdir().unwrap();
    let mut body = String::from("def t0(x: cidr) = x\n");
    for i in 1..=40 {
        body.push_str(&format!("def t{i}(x: cidr) = t{0}(x), t{0}(x)\n", i - 1));
    }
    body.push_str("app payments-api -> dns, t40(10.0.0.0/24:443)");
    let f = write(dir.path(), "double-args.egress", &program(&body));
    let o = check(&f, "human");
    refused_with(&o, "E0213");
    assert!(stderr(&o).contains("while expanding `t"), "{}", stderr(&o));
}
