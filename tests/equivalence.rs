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

use std::path::Path;

use egressc::backend::Target;
use proptest::prelude::*;

mod common;
use common::compare;

fn example_files() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "egress") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_example_means_the_same_on_every_target() {
    let mut problems = Vec::new();
    let mut total = 0;
    for file in example_files() {
        let source = std::fs::read_to_string(&file).unwrap();
        for t in Target::ALL {
            match compare(&source, *t, 20) {
                Ok((p, n)) => {
                    total += n;
                    problems.extend(p.into_iter().map(|p| format!("{}: {p}", file.display())));
                }
                Err(e) if e == "refused" => {}
                Err(e) => problems.push(e),
            }
        }
    }
    eprintln!("{total} flows agreed");
    assert!(total > 1000, "the universe is too small: {total} flows");
    assert!(
        problems.is_empty(),
        "{} disagreement(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Fragments for random programs: each a destination the language accepts.
const ALLOWS: &[&str] = &[
    "dns",
    "strict-dns",
    "rds(10.20.30.0/24)",
    "10.0.0.0/8:8000-8100/udp",
    "10.1.2.0/24:443",
    "10.1.0.0/16:22",
    "internet:443/tcp",
    "private:5432",
    "0.0.0.0/0:80",
    "::/0:443",
    "2001:db8::/32:8443",
    "pods{app=ledger}:8443",
    "pods(billing){tier=api, env in (prod, staging)}:9090",
    "pods(*){app=otel}:4317",
    "pods{team notin (red), !legacy}:7000-7010",
    "fqdn(api.stripe.com:443)",
    "https(*.example.com)",
    "https(**.s3.amazonaws.com)",
    "169.254.169.254/32:80",
    "10.1.2.0/24:icmp(8)",
    "fd00::/64:icmpv6(128)",
    "pods{app=ledger}:icmp",
    "internet:icmp(3, 4)",
    "10.9.0.0/16:gre",
    "any:443/tcp",
    "any:53/udp",
    "any",
    "pods(kube-system)",
    "pods(ns{team=payments}){app=x}:80",
    "pods(ns{env in (prod, staging), !legacy})",
];

const DENIES: &[&str] = &[
    "metadata",
    "10.1.2.0/25",
    "10.1.0.0/16:22",
    "10.20.30.128/25:5432",
    "private:5432",
    "pods{app=ledger}",
    "0.0.0.0/1:80",
    "10.1.2.0/25:icmp(8)",
    "10.0.0.0/8:icmp",
    "any:25/tcp",
    "pods(ns{team=payments})",
];

/// Names for the random programs' apps and namespace: statement keywords among them, which
/// are names wherever a name is expected.
const NAMES: &[&str] = &["default", "deny", "set", "pods", "app-4", "app-5"];

/// A random program: its apps (allow and deny fragments, or `none`), whether the namespace
/// has `default deny`, whether a guardrail applies, and whether the namespace is `default`.
fn program(
    apps: Vec<(Vec<usize>, Vec<usize>, bool)>,
    default_deny: bool,
    guardrail: bool,
    keyword_namespace: bool,
) -> String {
    let mut s = String::new();
    if guardrail {
        s.push_str("cluster guard deny metadata, 10.9.0.0/16, pods(ns{team=red}){app=db}\n");
    }
    s.push_str(if keyword_namespace {
        "namespace default\n"
    } else {
        "namespace payments\n"
    });
    if default_deny {
        s.push_str("default deny\n");
    }
    for (i, (allow, deny, none)) in apps.iter().enumerate() {
        let name = NAMES[i % NAMES.len()];
        if *none {
            s.push_str(&format!("app {name} -> none\n"));
            continue;
        }
        let allow: Vec<&str> = allow.iter().map(|a| ALLOWS[*a % ALLOWS.len()]).collect();
        s.push_str(&format!("app {name} -> {}", allow.join(", ")));
        if !deny.is_empty() {
            let deny: Vec<&str> = deny.iter().map(|d| DENIES[*d % DENIES.len()]).collect();
            s.push_str(&format!(" deny {}", deny.join(", ")));
        }
        s.push('\n');
    }
    s.push_str("pods batch {tier=batch, !app} -> dns, 10.50.0.0/24:443\n");
    s
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
    ) {
        let source = program(apps, default_deny, guardrail, keyword_namespace);
        for t in Target::ALL {
            match compare(&source, *t, 5) {
                Ok((problems, _)) => prop_assert!(problems.is_empty(), "{}\n{}", source, problems.join("\n")),
                Err(e) if e == "refused" => {}
                Err(e) => prop_assert!(false, "{}\n{}", source, e),
            }
        }
    }
}
