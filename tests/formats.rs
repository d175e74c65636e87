//! Every `--error-format` from the same diagnostics: human, json, sarif, github. The SARIF log
//! is validated against the SARIF 2.1.0 schema.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail by panicking"
)]

use assert_cmd::Command;

/// An error and two warnings, with a secondary label.
// Each program declares the cluster's ranges after its statements (so that their lines stay
// put): they are about other diagnostics than W0116.
const SOURCE: &str = concat!(
    "namespace payments\napp payments-api -> rds(10.20.30.1/24)\napp ledger -> dns, rds(10.20.0.0/16), rds(10.20.0.0/16)\n",
    "set pod-cidrs = 10.244.0.0/16\nset node-cidrs = 10.0.0.0/20\n"
);
const WARNINGS: &str = concat!(
    "namespace payments\napp ledger -> dns, rds(10.20.0.0/16), rds(10.20.0.0/16)\n",
    "set pod-cidrs = 10.244.0.0/16\nset node-cidrs = 10.0.0.0/20\n"
);

fn run(source: &str, format: &str, extra: &[&str]) -> (String, i32) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.egress");
    std::fs::write(&file, source).unwrap();
    let o = Command::cargo_bin("egressc")
        .unwrap()
        .current_dir(dir.path())
        .args(["check", "policy.egress", "--error-format", format])
        .args(extra)
        .output()
        .unwrap();
    // Human text on stderr, a machine-readable report on stdout, never both.
    let (out, rest) = if format == "human" {
        (o.stderr, o.stdout)
    } else {
        (o.stdout, o.stderr)
    };
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
    (String::from_utf8(out).unwrap(), o.status.code().unwrap())
}

#[test]
fn human() {
    let (out, code) = run(WARNINGS, "human", &[]);
    assert_eq!(code, 0, "warnings alone do not fail");
    insta::assert_snapshot!(out);
}

#[test]
fn json() {
    let (out, code) = run(SOURCE, "json", &[]);
    assert_eq!(code, 1);
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["code"].is_string() && v["line"].is_number() && v["span"]["start"].is_number());
    }
    insta::assert_snapshot!(out);
}

#[test]
fn github() {
    let (out, code) = run(SOURCE, "github", &[]);
    assert_eq!(code, 1);
    assert!(
        out.lines()
            .all(|l| l.starts_with("::error ") || l.starts_with("::warning "))
    );
    insta::assert_snapshot!(out);
}

#[test]
fn sarif_is_valid_against_the_schema() {
    // rtm.5 has a typo in its language-tag patterns (`...{2}]?$`, an unbalanced `]`) that no
    // Rust regex engine accepts; use the pattern SARIF means (`en` or `en-US`).
    let text = include_str!("data/sarif-2.1.0.json").replace(
        "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$",
        "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$",
    );
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::draft4::new(&schema).expect("the SARIF schema compiles");
    for source in [
        SOURCE,
        WARNINGS,
        "namespace payments\ndefault deny\napp a -> dns\n",
    ] {
        let (out, _) = run(source, "sarif", &[]);
        let log: serde_json::Value = serde_json::from_str(&out).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "invalid SARIF:\n{}\n{out}",
            errors.join("\n")
        );
        assert_eq!(log["version"], "2.1.0");
    }
    let (out, _) = run(SOURCE, "sarif", &[]);
    insta::assert_snapshot!(out);
}

#[test]
fn lint_levels_from_the_command_line() {
    // --deny-warnings: warnings fail the run.
    let (_, code) = run(WARNINGS, "human", &["--deny-warnings"]);
    assert_eq!(code, 1);
    // --allow silences; --warn keeps a lint a warning under --deny-warnings.
    let (out, code) = run(
        WARNINGS,
        "human",
        &[
            "--deny-warnings",
            "--allow",
            "W0105,W0102",
            "--warn",
            "W0106",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("W0106") && !out.contains("W0102") && !out.contains("W0105"),
        "{out}"
    );
    // --deny makes one lint an error.
    let (out, code) = run(WARNINGS, "human", &["--deny", "W0102"]);
    assert_eq!(code, 1);
    assert!(out.contains("error[W0102]"), "{out}");
    // An unknown code is a usage error with a suggestion.
    let (out, code) = run(WARNINGS, "human", &["--allow", "W0199"]);
    assert_eq!(code, 2);
    assert!(
        out.contains("E0703") && out.contains("did you mean"),
        "{out}"
    );
}

#[test]
fn lint_levels_by_name() {
    // Names work wherever codes do, and the two can be mixed.
    let (out, code) = run(
        WARNINGS,
        "human",
        &[
            "--deny-warnings",
            "--allow",
            "no-default-deny,W0102",
            "--warn",
            "redundant-destination",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("W0106") && !out.contains("W0102") && !out.contains("W0105"),
        "{out}"
    );
    let (out, code) = run(WARNINGS, "human", &["--deny", "wide-private-cidr"]);
    assert_eq!(code, 1);
    assert!(out.contains("error[W0102]"), "{out}");
    // A misspelt name gets the closest name.
    let (out, code) = run(WARNINGS, "human", &["--deny", "wide-privat-cidr"]);
    assert_eq!(code, 2);
    assert!(
        out.contains("E0703") && out.contains("did you mean `wide-private-cidr`?"),
        "{out}"
    );
}
