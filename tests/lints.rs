//! One test per lint, on its own fixture `lints/<name>.egress`, with every other lint allowed;
//! the snapshot holds only that lint's diagnostics (ruff's rule tests). Then: every lint has its
//! fixture and its test, and the lints stay near-linear on hostile input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail by panicking"
)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use egressc::diagnostics::{Code, Diagnostic, render};
use egressc::lint::{Level, LintConfig, registry};
use egressc::{Input, analyse, analyse_with};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/lints")
        .join(format!("{name}.egress"))
}

/// Snapshots the diagnostics of lint `name` alone on its fixture, as `lints__<name>.snap`.
fn assert_lint(name: &str) {
    let rule = registry::find(name).unwrap_or_else(|| panic!("no lint `{name}`"));
    let config = LintConfig {
        levels: registry::RULES
            .iter()
            .filter(|r| r.code != rule.code)
            .map(|r| (r.code, Level::Allow))
            .collect(),
        deny_warnings: false,
    };
    let path = fixture(name);
    let input = Input::new(
        format!("lints/{name}.egress"),
        std::fs::read(&path).unwrap(),
    );
    let analysis = analyse_with(&[input], &config);
    let found: Vec<Diagnostic> = analysis.diagnostics.iter().cloned().collect();
    assert!(
        found.iter().all(|d| d.code == rule.code),
        "{name}: the fixture must only give {}, got:\n{}",
        rule.code,
        render::human(&analysis.sources, &found)
    );
    assert!(
        !found.is_empty(),
        "{name}: the fixture gives no {}",
        rule.code
    );
    let text = render::human(&analysis.sources, &found);
    let mut settings = insta::Settings::clone_current();
    settings.set_input_file(&path);
    settings.bind(|| insta::assert_snapshot!(name.replace('-', "_"), text));
}

#[test]
fn no_dns() {
    assert_lint("no-dns");
}

#[test]
fn wide_private_cidr() {
    assert_lint("wide-private-cidr");
}

#[test]
fn metadata_reachable() {
    assert_lint("metadata-reachable");
}

#[test]
fn single_ip_family() {
    assert_lint("single-ip-family");
}

#[test]
fn http_on_tls_port() {
    assert_lint("http-on-tls-port");
}

#[test]
fn tls_on_http_port() {
    assert_lint("tls-on-http-port");
}

#[test]
fn credential_in_header() {
    assert_lint("credential-in-header");
}

#[test]
fn no_default_deny() {
    assert_lint("no-default-deny");
}

#[test]
fn redundant_destination() {
    assert_lint("redundant-destination");
}

#[test]
fn unused_definition() {
    assert_lint("unused-definition");
}

#[test]
fn loose_dns() {
    assert_lint("loose-dns");
}

#[test]
fn cidr_overlaps_cluster() {
    assert_lint("cidr-overlaps-cluster");
}

#[test]
fn overlapping_workloads() {
    assert_lint("overlapping-workloads");
}

#[test]
fn wide_port_range() {
    assert_lint("wide-port-range");
}

#[test]
fn undeclared_cluster_ranges() {
    assert_lint("undeclared-cluster-ranges");
}

/// Every lint has a fixture and a test above (named after the lint), and every fixture is a
/// lint's.
#[test]
fn every_lint_has_its_fixture_and_test() {
    let source = include_str!("lints.rs");
    for rule in registry::RULES {
        assert!(
            fixture(rule.name).exists(),
            "{}: no tests/lints/{}.egress",
            rule.code,
            rule.name
        );
        let test = format!("fn {}() {{", rule.name.replace('-', "_"));
        assert!(source.contains(&test), "{}: no `{test}` here", rule.code);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lints");
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let stem = name.strip_suffix(".egress").unwrap_or(&name);
        assert!(
            registry::RULES.iter().any(|r| r.name == stem),
            "tests/lints/{name} is no lint's fixture"
        );
    }
}

/// Thousands of copies of one destination are one W0106, found without comparing pairs (4,000
/// copies used to give 3,999 warnings after 8 million comparisons).
#[test]
fn copies_of_a_destination_are_one_warning() {
    let copies = 20_000;
    let source = format!(
        "namespace payments\ndefault deny\napp payments-api -> {}\n",
        vec!["dns"; copies].join(", ")
    );
    let start = Instant::now();
    let analysis = analyse(&[Input::new("copies.egress", source)]);
    let took = start.elapsed();
    let found: Vec<&Diagnostic> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::W0106)
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].message.contains(&format!("listed {copies} times")),
        "{}",
        found[0].message
    );
    assert!(!analysis.diagnostics.has_errors());
    eprintln!("{copies} copies of `dns`: analysed and linted in {took:?}");
}

/// Thousands of distinct destinations inside one wider one: one W0106 each, found by a sweep
/// over port ranges, not by comparing every pair. (Pods, because lowering compares address
/// ranges pairwise and would dominate.)
#[test]
fn destinations_inside_a_wider_one_are_found_without_comparing_pairs() {
    let inside = 20_000;
    let mut list = vec!["dns".to_owned(), "pods{app=db}:1-30000".to_owned()];
    list.extend((1..=inside).map(|port| format!("pods{{app=db}}:{port}")));
    let source = format!(
        "namespace payments\ndefault deny\napp payments-api -> {}\n",
        list.join(", ")
    );
    let start = Instant::now();
    let analysis = analyse(&[Input::new("inside.egress", source)]);
    let took = start.elapsed();
    let found = analysis
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::W0106)
        .count();
    assert_eq!(found, inside);
    eprintln!("{inside} destinations inside one: analysed and linted in {took:?}");
}
