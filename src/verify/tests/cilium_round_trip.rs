//! The Cilium backend's YAML, read back, against the reference on the IR, and what the backend
//! refuses instead.

use super::utils::*;
use crate::backend::Target;
use crate::model::Proto;
use crate::verify::kube_dns;

#[test]
fn round_trip_addresses_and_metadata() {
    let src = "namespace payments\ndefault deny\napp api -> dns, rds(10.20.30.0/24), internet:443/tcp deny metadata\n";
    let meta = "169.254.169.254";
    agree(
        src,
        Target::Cilium,
        &[
            to_addr(&api(), "10.20.30.7", Proto::Tcp, 5432),
            to_addr(&api(), "10.20.30.7", Proto::Tcp, 5433),
            to_addr(&api(), "10.20.31.7", Proto::Tcp, 5432),
            to_addr(&api(), meta, Proto::Tcp, 443),
            to_addr(&api(), meta, Proto::Tcp, 80),
            to_addr(&api(), "8.8.8.8", Proto::Tcp, 443),
            to_addr(&api(), "8.8.8.8", Proto::Udp, 443),
            to_pod(&api(), kube_dns(), Proto::Udp, 53),
            to_pod(&api(), kube_dns(), Proto::Tcp, 53),
            to_pod(&api(), kube_dns(), Proto::Tcp, 54),
            to_host(&api(), "db.example", Some("10.20.30.9"), 5432),
            to_addr(
                &pod("payments", &[("app", "other")]),
                "8.8.8.8",
                Proto::Tcp,
                443,
            ),
            to_addr(&pod("shop", &[("app", "api")]), meta, Proto::Tcp, 443),
        ],
    );
}

#[test]
fn round_trip_host_wildcards() {
    let src = "namespace payments\ndefault deny\napp api -> dns, https(*.one.example), https(**.any.example), fqdn(api.stripe.com:443)\n";
    let mut flows = Vec::new();
    for name in [
        "a.one.example",
        "a.b.one.example",
        "one.example",
        "a.any.example",
        "a.b.any.example",
        "any.example",
        "api.stripe.com",
        "x.api.stripe.com",
    ] {
        flows.push(to_host(&api(), name, None, 443));
        flows.push(to_host(&api(), name, Some(RESOLVED), 443));
        flows.push(to_host(&api(), name, None, 80));
    }
    agree(src, Target::Cilium, &flows);
}

#[test]
fn round_trip_strict_dns_and_dns() {
    for dns in ["dns", "strict-dns", "strict-dns, dns"] {
        let src = format!(
            "namespace jobs\ndefault deny\napp worker -> {dns}, https(**.s3.amazonaws.com), redis(10.30.0.0/24) deny metadata\n"
        );
        let w = pod("jobs", &[("app", "worker")]);
        agree(
            &src,
            Target::Cilium,
            &[
                to_host(&w, "bucket.s3.amazonaws.com", Some(RESOLVED), 443),
                to_host(&w, "a.b.s3.amazonaws.com", Some(RESOLVED), 443),
                to_host(&w, "s3.amazonaws.com", Some(RESOLVED), 443),
                to_host(&w, "example.org", Some(RESOLVED), 443),
                to_host(&w, "bucket.s3.amazonaws.com", Some("169.254.169.254"), 443),
                to_pod(&w, kube_dns(), Proto::Udp, 53),
                to_pod(&w, kube_dns(), Proto::Tcp, 53),
                to_pod(&w, kube_dns(), Proto::Udp, 5353),
                to_addr(&w, "10.30.0.1", Proto::Tcp, 6379),
            ],
        );
    }
}

#[test]
fn round_trip_guardrails() {
    let src = "cluster no-metadata deny metadata\ncluster no-smtp deny internet:25/tcp\nnamespace payments\ndefault deny\napp api -> dns, internet:25/tcp, internet:443/tcp\n";
    let meta = "169.254.169.254";
    let lonely = pod("elsewhere", &[("app", "x")]);
    agree(
        src,
        Target::Cilium,
        &[
            // A selected pod: the guardrail wins over its allow.
            to_addr(&api(), "8.8.8.8", Proto::Tcp, 25),
            to_addr(&api(), "8.8.8.8", Proto::Tcp, 443),
            to_addr(&api(), meta, Proto::Tcp, 443),
            // A pod that only the guardrails select keeps its open egress.
            to_addr(&lonely, "8.8.8.8", Proto::Tcp, 80),
            to_addr(&lonely, "8.8.8.8", Proto::Tcp, 25),
            to_addr(&lonely, "8.8.8.8", Proto::Udp, 25),
            to_addr(&lonely, meta, Proto::Udp, 53),
            to_pod(&lonely, kube_dns(), Proto::Udp, 53),
            to_host(&lonely, "example.org", Some(RESOLVED), 443),
        ],
    );
}

#[test]
fn round_trip_pods_across_namespaces() {
    let src = "namespace shop\ndefault deny\napp front -> dns, pods(orders){app=orders}:8443, pods(*){app=otel}:4317/tcp, pods{tier=cache}:6379 deny pods{tier=cache, env=prod}\n";
    let f = pod("shop", &[("app", "front")]);
    agree(
        src,
        Target::Cilium,
        &[
            to_pod(&f, pod("orders", &[("app", "orders")]), Proto::Tcp, 8443),
            to_pod(&f, pod("shop", &[("app", "orders")]), Proto::Tcp, 8443),
            to_pod(&f, pod("x", &[("app", "otel")]), Proto::Tcp, 4317),
            to_pod(&f, pod("shop", &[("tier", "cache")]), Proto::Tcp, 6379),
            to_pod(
                &f,
                pod("shop", &[("tier", "cache"), ("env", "prod")]),
                Proto::Tcp,
                6379,
            ),
            to_pod(&f, pod("orders", &[("tier", "cache")]), Proto::Tcp, 6379),
            to_pod(
                &pod("shop", &[("app", "x")]),
                pod("orders", &[("app", "orders")]),
                Proto::Tcp,
                8443,
            ),
        ],
    );
}

/// A deny of the cluster DNS pods (a guardrail's or the app's own) would blind the DNS
/// proxy, so `toFQDNs` could never learn the addresses the source allows: the backend refuses
/// such programs (E0505) instead of emitting a policy that means less than the source.
#[test]
fn denied_dns_lookups_with_host_names_are_refused() {
    for src in [
        "cluster no-dns deny pods(kube-system){k8s-app=kube-dns}\nnamespace p\napp a -> dns, api.stripe.com:443\n",
        "namespace p\napp a -> dns, api.stripe.com:443 deny pods(kube-system){k8s-app=kube-dns}:53/udp, pods(kube-system){k8s-app=kube-dns}:53/tcp\n",
    ] {
        assert_eq!(error_codes(src, Target::Cilium), ["E0505"], "{src}");
    }
}

/// Cilium's identity label keys are refused by the checker (E0207): in a selector Cilium would
/// read `io.kubernetes.pod.namespace` as the namespace, a wider meaning than the source's.
#[test]
fn identity_label_keys_are_refused() {
    let src = "namespace p\ndefault deny\napp a -> pods{io.kubernetes.pod.namespace=other}:80\n";
    assert!(
        error_codes(src, Target::Cilium)
            .iter()
            .any(|c| c == "E0207")
    );
}
