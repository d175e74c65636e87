//! NetworkPolicy peers: `ipBlock` with `except`, pod and namespace selectors, host names by
//! address, and the closest miss.

use super::utils::*;
use crate::model::Proto;
use crate::verify::{Pod, Undecidable};

#[test]
fn an_isolated_pod_reaches_only_what_a_rule_allows() {
    let d = decide(
        &native(API_EGRESS),
        &to_addr(&api(), "10.20.30.7", Proto::Tcp, 5432),
    );
    assert!(d.allowed);
    assert_eq!(
        d.rule.as_deref(),
        Some("payments/payments-api-egress spec.egress[1]")
    );
    assert_eq!(
        d.why,
        "10.20.30.7 is in ipBlock 10.20.30.0/24 and tcp/5432 is in TCP 5432"
    );

    let d = decide(
        &native(API_EGRESS),
        &to_addr(&api(), "10.20.30.7", Proto::Tcp, 5433),
    );
    assert!(!d.allowed);
    assert_eq!(d.rule, None);
    assert_eq!(
        d.why,
        "no egress rule of payments/payments-api-egress allows it"
    );
    assert_eq!(
        d.closest.as_deref(),
        Some(
            "payments/payments-api-egress spec.egress[1]: 10.20.30.7 is in ipBlock 10.20.30.0/24, but tcp/5433 is not in TCP 5432"
        )
    );
}

#[test]
fn except_ranges_are_cut_out_of_the_block() {
    let d = decide(
        &native(API_EGRESS),
        &to_addr(&api(), "169.254.169.254", Proto::Tcp, 443),
    );
    assert!(!d.allowed);
    assert_eq!(
        d.closest.as_deref(),
        Some(
            "payments/payments-api-egress spec.egress[2]: 169.254.169.254 is in 0.0.0.0/0 but in except 169.254.169.254/32"
        )
    );
    assert!(allowed(
        &native(API_EGRESS),
        &to_addr(&api(), "169.254.169.253", Proto::Tcp, 443)
    ));
    assert!(allowed(
        &native(API_EGRESS),
        &to_addr(&api(), "169.254.169.255", Proto::Tcp, 443)
    ));
    // No IPv6 range: an IPv6 address is outside.
    let d = decide(
        &native(API_EGRESS),
        &to_addr(&api(), "2001:db8::1", Proto::Tcp, 443),
    );
    assert!(!d.allowed);
    assert!(
        d.closest
            .unwrap()
            .ends_with("2001:db8::1 is outside 0.0.0.0/0")
    );
}

#[test]
fn the_closest_miss_prefers_a_matching_destination() {
    // 10.20.31.7:5432 is outside the /24 (closer: right port) and inside 0.0.0.0/0 (wrong
    // port); a matching destination with the wrong port is closer.
    let d = decide(
        &native(API_EGRESS),
        &to_addr(&api(), "10.20.31.7", Proto::Tcp, 5432),
    );
    assert!(!d.allowed);
    assert_eq!(
        d.closest.as_deref(),
        Some(
            "payments/payments-api-egress spec.egress[2]: 10.20.31.7 is in ipBlock 0.0.0.0/0, but tcp/5432 is not in TCP 443"
        )
    );
    // A pod of the right namespace with the wrong labels.
    let d = decide(
        &native(API_EGRESS),
        &to_pod(
            &api(),
            pod("kube-system", &[("k8s-app", "coredns")]),
            Proto::Udp,
            53,
        ),
    );
    assert!(!d.allowed);
    assert_eq!(
        d.closest.as_deref(),
        Some(
            "payments/payments-api-egress spec.egress[0]: pods(kube-system){k8s-app=coredns} does not match podSelector k8s-app=kube-dns"
        )
    );
}

#[test]
fn missing_or_empty_to_allows_every_destination() {
    for to in ["", "    to: []\n"] {
        let yaml = np(
            "all-destinations",
            &format!(
                "  policyTypes: [Egress]\n  egress:\n  - ports:\n    - {{port: 443, protocol: TCP}}\n{to}"
            ),
        );
        let a = api();
        assert!(allowed(
            &native(&yaml),
            &to_addr(&a, "198.51.100.1", Proto::Tcp, 443)
        ));
        assert!(allowed(
            &native(&yaml),
            &to_pod(&a, pod("other", &[]), Proto::Tcp, 443)
        ));
        // A host name without an address: nothing depends on its address.
        assert!(allowed(
            &native(&yaml),
            &to_host(&a, "api.stripe.com", None, 443)
        ));
        let d = decide(&native(&yaml), &to_addr(&a, "198.51.100.1", Proto::Tcp, 80));
        assert!(!d.allowed);
        assert_eq!(
            d.closest.as_deref(),
            Some(
                "payments/all-destinations spec.egress[0]: the rule has no `to` (every destination), but tcp/80 is not in TCP 443"
            )
        );
    }
    // `egress: [{}]`: everything.
    let yaml = np("open", "  policyTypes: [Egress]\n  egress:\n  - {}\n");
    assert!(allowed(
        &native(&yaml),
        &to_addr(&api(), "198.51.100.1", Proto::Sctp, 9)
    ));
}

#[test]
fn both_selectors_in_one_peer_are_an_and_two_peers_an_or() {
    let and = np(
        "and",
        "  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: ledger}
      podSelector:
        matchLabels: {app: ledger}
",
    );
    let or = np(
        "or",
        "  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: ledger}
    - podSelector:
        matchLabels: {app: ledger}
",
    );
    let a = api();
    let ledger_app = pod("ledger", &[("app", "ledger")]);
    let ledger_other = pod("ledger", &[("app", "worker")]);
    let local_app = pod("payments", &[("app", "ledger")]);
    let far_app = pod("shop", &[("app", "ledger")]);
    assert!(allowed(
        &native(&and),
        &to_pod(&a, ledger_app.clone(), Proto::Tcp, 1)
    ));
    assert!(!allowed(
        &native(&and),
        &to_pod(&a, ledger_other.clone(), Proto::Tcp, 1)
    ));
    assert!(!allowed(
        &native(&and),
        &to_pod(&a, local_app.clone(), Proto::Tcp, 1)
    ));
    assert!(allowed(
        &native(&or),
        &to_pod(&a, ledger_app, Proto::Tcp, 1)
    ));
    assert!(allowed(
        &native(&or),
        &to_pod(&a, ledger_other.clone(), Proto::Tcp, 1)
    ));
    assert!(allowed(&native(&or), &to_pod(&a, local_app, Proto::Tcp, 1)));
    // podSelector alone: only the policy's own namespace.
    let d = decide(&native(&or), &to_pod(&a, far_app, Proto::Tcp, 1));
    assert!(!d.allowed);
    let d = decide(&native(&and), &to_pod(&a, ledger_other, Proto::Tcp, 1));
    assert_eq!(
        d.closest.as_deref(),
        Some(
            "payments/and spec.egress[0]: pods(ledger){app=worker} does not match podSelector app=ledger"
        )
    );
    // Pod peers never match addresses.
    let d = decide(&native(&or), &to_addr(&a, "10.0.0.1", Proto::Tcp, 1));
    assert!(!d.allowed);
    // An empty namespaceSelector selects every namespace.
    let every = np(
        "every",
        "  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector: {}\n      podSelector: {matchLabels: {app: otel}}\n",
    );
    assert!(allowed(
        &native(&every),
        &to_pod(&a, pod("anywhere", &[("app", "otel")]), Proto::Tcp, 4317)
    ));
    assert!(!allowed(
        &native(&every),
        &to_pod(&a, pod("anywhere", &[]), Proto::Tcp, 4317)
    ));
}

#[test]
fn match_expressions() {
    let yaml = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: batch, namespace: orders}
spec:
  podSelector:
    matchLabels: {tier: batch}
    matchExpressions:
    - {key: env, operator: In, values: [prod, staging]}
    - {key: app, operator: DoesNotExist}
  policyTypes: [Egress]
  egress:
  - to:
    - podSelector:
        matchExpressions:
        - {key: role, operator: NotIn, values: [admin]}
        - {key: app, operator: Exists}
";
    let dest_ok = pod("orders", &[("app", "x")]);
    let selected = pod("orders", &[("tier", "batch"), ("env", "prod")]);
    let flow = |src: &Pod, dst: Pod| to_pod(src, dst, Proto::Tcp, 80);
    // Selected: isolated; the destination matches NotIn (no `role` label) and Exists.
    assert!(allowed(&native(yaml), &flow(&selected, dest_ok.clone())));
    assert!(allowed(
        &native(yaml),
        &flow(&selected, pod("orders", &[("app", "x"), ("role", "user")]))
    ));
    let d = decide(
        &native(yaml),
        &flow(&selected, pod("orders", &[("app", "x"), ("role", "admin")])),
    );
    assert!(!d.allowed);
    assert!(
        d.closest
            .unwrap()
            .ends_with("does not match podSelector role notin (admin), app")
    );
    assert!(!allowed(
        &native(yaml),
        &flow(&selected, pod("orders", &[]))
    ));
    // Not selected (env not in the set, or an `app` label): not isolated.
    for labels in [
        &[("tier", "batch"), ("env", "dev")][..],
        &[("tier", "batch"), ("env", "prod"), ("app", "y")],
        &[("tier", "batch")],
    ] {
        let d = decide(
            &native(yaml),
            &flow(&pod("orders", labels), pod("orders", &[])),
        );
        assert!(d.allowed && d.rule.is_none(), "{labels:?}");
    }
}

#[test]
fn host_names_match_by_their_address() {
    let a = api();
    let d = decide(
        &native(API_EGRESS),
        &to_host(&a, "db.internal", Some("10.20.30.9"), 5432),
    );
    assert!(d.allowed);
    assert_eq!(
        d.rule.as_deref(),
        Some("payments/payments-api-egress spec.egress[1]")
    );
    assert!(!allowed(
        &native(API_EGRESS),
        &to_host(&a, "metadata", Some("169.254.169.254"), 443)
    ));
    // Without an address, an ipBlock rule whose ports allow the flow leaves it open.
    let m = native(API_EGRESS);
    assert_eq!(
        m.decide(&to_host(&a, "api.stripe.com", None, 443)),
        Err(Undecidable::NeedsAddress {
            host: "api.stripe.com".to_owned()
        })
    );
    // ... but not when no ipBlock rule allows the port: denied whatever the address.
    let d = m
        .decide(&to_host(&a, "api.stripe.com", None, 8443))
        .unwrap();
    assert!(!d.allowed);
    // A non-isolated pod needs no address.
    assert!(
        m.decide(&to_host(&pod("payments", &[]), "api.stripe.com", None, 443))
            .unwrap()
            .allowed
    );
}
