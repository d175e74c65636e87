//! The Cilium evaluator against the reference on programs chosen for Cilium's hard parts: DNS
//! visibility (`dns`, `strict-dns`, both), one-label and any-label wildcards, guardrails that
//! must not isolate, egressDeny over allows of other policies, pods of other and every
//! namespace, default deny, IPv4 and IPv6. Every flow of each program's universe must get the
//! same verdict from the emitted YAML as from the IR.

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

use egressc::{Input, compile};

/// Disagreements between the reference and the Cilium evaluator over the universe, and how many
/// flows were decided.
fn disagreements(source: &str) -> (Vec<String>, usize) {
    let (problems, agreed, _) = common::compare(source, Target::Cilium, usize::MAX)
        .unwrap_or_else(|e| panic!("{source}\ndoes not compile for cilium: {e}"));
    assert!(agreed > 0);
    (problems, agreed)
}

fn check(source: &str) {
    let (problems, decided) = disagreements(source);
    assert!(problems.is_empty(), "{source}\n{}", problems.join("\n"));
    assert!(decided > 0, "{source}: nothing decided");
}

#[test]
fn examples_that_target_cilium() {
    for file in [
        "examples/payments.egress",
        "examples/worker.egress",
        "examples/guardrail.egress",
        "examples/ledger-native.egress",
        "examples/multi-namespace.egress",
        "examples/pitfalls/pitfalls.egress",
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        check(&std::fs::read_to_string(path).unwrap());
    }
}

#[test]
fn dns_visibility_forms() {
    check("namespace p\ndefault deny\napp a -> dns, api.stripe.com:443, https(*.one.example)\n");
    check(
        "namespace p\ndefault deny\napp a -> strict-dns, https(**.any.example), fqdn(api.stripe.com)\n",
    );
    check("namespace p\napp a -> strict-dns, dns, x.example.com:443\n");
    check("namespace p\napp a -> strict-dns, 10.0.0.0/8:443\n");
    // DNS on every port of the cluster DNS pods, and on UDP only.
    check("namespace p\napp a -> pods(kube-system){k8s-app=kube-dns}, api.stripe.com:443\n");
    check("namespace p\napp a -> pods(kube-system){k8s-app=kube-dns}:53/udp, api.stripe.com:443\n");
}

#[test]
fn guardrails_and_denies() {
    check("cluster guard deny metadata, 10.9.0.0/16\ncluster smtp deny internet:25/tcp\n");
    check(
        "cluster guard deny metadata\nnamespace p\ndefault deny\napp a -> dns, internet:443/tcp, api.stripe.com:443 deny 10.0.0.0/8\napp b -> dns, pods{app=a}:8080 deny pods{app=a, env=prod}\n",
    );
    check("namespace p\napp a -> 10.0.0.0/8 deny 10.1.0.0/16:22, 10.20.30.128/25:5432\n");
    check("namespace p\napp a -> internet deny 10.1.2.0/25, 2001:db8::/48:443\n");
}

#[test]
fn pods_across_namespaces() {
    check(
        "namespace shop\ndefault deny\napp front -> dns, pods(orders){app=orders}:8443, pods(*){app=otel}:4317/tcp, pods{team notin (red), !legacy}:7000-7010\nnamespace orders\npods batch {tier=batch, env in (prod, staging), !app} -> dns, pods(shop){app=front}:80\n",
    );
}

/// Destinations for random programs, weighted to Cilium's hard parts.
const ALLOWS: &[&str] = &[
    "dns",
    "strict-dns",
    "rds(10.20.30.0/24)",
    "10.0.0.0/8:8000-8100/udp",
    "internet:443/tcp",
    "::/0:443",
    "pods{app=ledger}:8443",
    "pods(billing){tier=api, env in (prod, staging)}:9090",
    "pods(*){app=otel}:4317",
    "pods{team notin (red), !legacy}:7000-7010",
    "pods(kube-system){k8s-app=kube-dns}:53/udp",
    "fqdn(api.stripe.com:443)",
    "https(*.example.com)",
    "https(**.s3.amazonaws.com)",
    "fqdn(db.example.org)",
];

const DENIES: &[&str] = &[
    "metadata",
    "10.1.2.0/25",
    "10.20.30.128/25:5432",
    "pods{app=ledger}",
    "0.0.0.0/1:443",
    "::/1",
];

fn program(apps: &[(Vec<usize>, Vec<usize>)], default_deny: bool, guardrail: bool) -> String {
    let mut s = String::new();
    if guardrail {
        s.push_str("cluster guard deny metadata, 10.9.0.0/16\n");
    }
    s.push_str("namespace payments\n");
    if default_deny {
        s.push_str("default deny\n");
    }
    for (i, (allow, deny)) in apps.iter().enumerate() {
        let mut allow: Vec<&str> = allow.iter().map(|a| ALLOWS[*a % ALLOWS.len()]).collect();
        // Host names need cluster DNS on Cilium (E0505).
        if allow
            .iter()
            .any(|a| a.contains("fqdn") || a.contains("https"))
        {
            allow.push("dns");
        }
        s.push_str(&format!("app app-{i} -> {}", allow.join(", ")));
        if !deny.is_empty() {
            let deny: Vec<&str> = deny.iter().map(|d| DENIES[*d % DENIES.len()]).collect();
            s.push_str(&format!(" deny {}", deny.join(", ")));
        }
        s.push('\n');
    }
    s.push_str(
        "pods batch {tier=batch, !app} -> strict-dns, 10.50.0.0/24:443, https(api.stripe.com)\n",
    );
    s
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 32, .. proptest::prelude::ProptestConfig::default() })]

    #[test]
    fn random_programs(
        apps in proptest::collection::vec(
            (proptest::collection::vec(0..ALLOWS.len(), 1..5), proptest::collection::vec(0..DENIES.len(), 0..3)),
            1..4,
        ),
        default_deny in proptest::prelude::any::<bool>(),
        guardrail in proptest::prelude::any::<bool>(),
    ) {
        let source = program(&apps, default_deny, guardrail);
        let c = compile(&[Input::new("t.egress", source.as_str())], &[Target::Cilium]);
        proptest::prop_assume!(!c.has_errors());
        let (problems, _) = disagreements(&source);
        proptest::prop_assert!(problems.is_empty(), "{}\n{}", source, problems.join("\n"));
    }
}
