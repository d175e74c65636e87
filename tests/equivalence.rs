//! Backend equivalence, checked: for every example and every target that accepts it, and for
//! random well-typed programs, every flow of the generated universe gets the same verdict from
//! the target's emitted YAML (read back by that product's evaluator) as from the IR.
//!
//! The documented differences between targets (README, "Documented differences between
//! targets") are all outside the flow model (pod addresses, names sharing an address, DNS
//! answers), so on the modelled flows nothing may differ.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail by panicking"
)]

use egressc::backend::Target;
use proptest::prelude::*;

mod common;
#[path = "common/examples.rs"]
mod examples;
#[path = "common/files.rs"]
mod files;
#[path = "common/programs.rs"]
mod programs;
use common::{compare, compare_inputs};
use programs::{
    ALLOWS, CLUSTER_ALLOWS, CLUSTER_DENIES, CLUSTER_SUBJECTS, DENIES, DNS_NAMES, DNS_SERVERS,
    FACTS, HOST_ALLOWS, HOST_DENIES, HOST_SUBJECTS, HTTP_ALLOWS, MESH_ALLOWS, RESERVED_HTTP,
    TLS_ALLOWS, cluster_statement, dns_statement, host_statement, http_statement, mesh_statement,
    program_with_dns, reserved_statement, tls_statement,
};

fn example_files() -> Vec<std::path::PathBuf> {
    files::below(&examples::root(), "egress")
}

#[test]
fn every_example_means_the_same_on_every_target() {
    let mut problems = Vec::new();
    let mut total = 0;
    let mut documented = 0;
    for file in example_files() {
        let inputs = examples::inputs(&file);
        for t in Target::ALL {
            match compare_inputs(&inputs, *t, 20) {
                Ok((p, n, d)) => {
                    total += n;
                    documented += d;
                    problems.extend(p.into_iter().map(|p| format!("{}: {p}", file.display())));
                }
                Err(e) if e == "refused" => {}
                Err(e) => problems.push(e),
            }
        }
    }
    eprintln!(
        "{total} flows agreed; {documented} differed as documented (undeclared pod or node addresses)"
    );
    assert!(total > 1000, "the universe is too small: {total} flows");
    assert!(
        problems.is_empty(),
        "{} disagreement(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn random_programs_mean_the_same_on_every_target(
        apps in proptest::collection::vec(
            (
                proptest::collection::vec(0..ALLOWS.len(), 1..5),
                proptest::collection::vec(0..DENIES.len(), 0..3),
                proptest::bool::weighted(0.15),
            ),
            1..4,
        ),
        default_deny in any::<bool>(),
        guardrail in any::<bool>(),
        keyword_namespace in any::<bool>(),
        facts in 0..FACTS.len(),
        dns_server in proptest::option::weighted(0.25, 0..DNS_SERVERS.len()),
        cluster in proptest::option::weighted(0.4, (
            0..CLUSTER_SUBJECTS.len(),
            proptest::collection::vec(0..CLUSTER_ALLOWS.len(), 1..3),
            proptest::collection::vec(0..CLUSTER_DENIES.len(), 0..2),
        )),
        host in proptest::option::weighted(0.3, (
            0..HOST_SUBJECTS.len(),
            proptest::collection::vec(0..HOST_ALLOWS.len(), 1..4),
            proptest::collection::vec(0..HOST_DENIES.len(), 0..2),
        )),
        http in proptest::option::weighted(0.4, proptest::collection::vec(0..HTTP_ALLOWS.len(), 1..4)),
        reserved in proptest::option::weighted(0.3, (
            0..2usize,
            proptest::collection::vec(0..HOST_ALLOWS.len() + RESERVED_HTTP.len(), 1..4),
            proptest::collection::vec(0..HOST_DENIES.len(), 0..2),
        )),
        tls in proptest::option::weighted(0.4, proptest::collection::vec(0..TLS_ALLOWS.len(), 1..4)),
        (mesh, dns) in (
            proptest::option::weighted(0.3, proptest::collection::vec(0..MESH_ALLOWS.len(), 1..4)),
            proptest::option::weighted(0.4, proptest::collection::vec(0..DNS_NAMES.len(), 1..4)),
        ),
    ) {
        let source = format!(
            "{}{}{}{}{}{}{}{}{}",
            FACTS[facts],
            cluster.map_or_else(String::new, |(s, a, d)| cluster_statement(s, &a, &d)),
            host.map_or_else(String::new, |(s, a, d)| host_statement(s, &a, &d)),
            reserved.map_or_else(String::new, |(i, a, d)| reserved_statement(i, &a, &d)),
            program_with_dns(dns_server, apps, default_deny, guardrail, keyword_namespace),
            http.map_or_else(String::new, |a| http_statement(&a)),
            tls.map_or_else(String::new, |a| tls_statement(&a)),
            mesh.map_or_else(String::new, |a| mesh_statement(&a)),
            dns.map_or_else(String::new, |a| dns_statement(&a)),
        );
        for t in Target::ALL {
            match compare(&source, *t, 5) {
                Ok((problems, _, _)) => prop_assert!(problems.is_empty(), "{}\n{}", source, problems.join("\n")),
                Err(e) if e == "refused" => {}
                Err(e) => prop_assert!(false, "{}\n{}", source, e),
            }
        }
    }
}
