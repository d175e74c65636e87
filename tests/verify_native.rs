//! The native evaluator against the reference on programs chosen for native NetworkPolicy's
//! hard parts: `except` carving (nested, adjacent, per port), deny ranges covering an allowed
//! range, port ranges split by a deny, pods of other and every namespace, IPv4 and IPv6. Every
//! flow of each program's universe must get the same verdict from the emitted YAML as from the
//! IR.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail by panicking"
)]

use egressc::backend::Target;
mod common;

/// Disagreements between the reference and the native evaluator over the universe.
fn disagreements(source: &str) -> Vec<String> {
    let (problems, agreed, _) = common::compare(source, Target::Native, usize::MAX)
        .unwrap_or_else(|e| panic!("{source}\ndoes not compile for native: {e}"));
    assert!(agreed > 0);
    problems
}

fn check(source: &str) {
    let problems = disagreements(source);
    assert!(problems.is_empty(), "{source}\n{}", problems.join("\n"));
}

#[test]
fn examples_that_target_native() {
    for file in [
        "examples/ledger-native.egress",
        "examples/multi-namespace.egress",
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        check(&std::fs::read_to_string(path).unwrap());
    }
}

#[test]
fn internet_minus_metadata() {
    check("namespace p\ndefault deny\napp proxy -> dns, internet:443/tcp deny metadata\n");
}

#[test]
fn a_port_deny_inside_a_port_list() {
    check("namespace p\napp bastion -> dns, 10.0.0.0/8:22, 10.0.0.0/8:443 deny 10.1.0.0/16:22\n");
}

#[test]
fn nested_denies_on_different_ports() {
    check(
        "namespace p\napp x -> 10.0.0.0/8:22, 10.0.0.0/8:443 deny 10.1.0.0/16:22, 10.1.2.0/24:443\n",
    );
}

#[test]
fn a_deny_covering_the_allowed_range_narrows_its_ports() {
    check("namespace p\napp x -> 10.1.2.0/24:22, 10.1.2.0/24:443 deny 10.0.0.0/8:22\n");
}

#[test]
fn a_deny_splitting_a_port_range() {
    check("namespace p\napp x -> 10.0.0.0/8:8000-8100/udp deny 10.2.0.0/16:8050/udp\n");
}

/// Two adjacent denies with different ports cover the whole allowed range: its pieces are the two
/// halves, never an `except` equal to its `cidr` (which the API server rejects: "must be a strict
/// subset of `cidr`", ValidateIPBlock).
#[test]
fn adjacent_denies_with_different_ports() {
    check(
        "namespace p\napp x -> 10.0.0.0/24:22, 10.0.0.0/24:443 deny 10.0.0.0/25:22, 10.0.0.128/25:22-23\n",
    );
}

#[test]
fn pods_everywhere_and_addresses() {
    check(
        "namespace p
default deny
app x -> dns, pods{app=y}:80, pods(q){tier in (a, b)}:8080, pods(*){app=otel}:4317/tcp, 10.0.0.0/8:80/tcp deny 10.1.0.0/16
pods batch {tier=batch, !app} -> pods{env notin (prod)}:9000, 2001:db8::/32:443/tcp deny 2001:db8:1::/48
",
    );
}

#[test]
fn every_port_minus_the_metadata_endpoint() {
    check("namespace p\ndefault deny\napp x -> dns, internet deny metadata\n");
}

#[test]
fn overlapping_statements_form_a_union() {
    check(
        "namespace p
default deny
app web -> dns, 10.0.0.0/8:443/tcp
pods frontend {tier=web} -> 10.1.0.0/16:80/tcp, pods(q){}:8080
",
    );
}
