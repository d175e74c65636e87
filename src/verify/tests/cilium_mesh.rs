//! Cilium cluster meshes [mesh]: every endpoint's identity carries its cluster's name in
//! `io.cilium.k8s.policy.cluster`, and on Cilium 1.19 a selector that names no cluster selects
//! endpoints of the local cluster only; the `cluster` entity is the local cluster, `all` every
//! cluster's endpoints. Native NetworkPolicy and Calico select pods of their own cluster only.

use super::utils::*;
use crate::model::Proto;
use crate::verify::Pod;

/// `pod` running in `cluster`.
fn in_cluster(pod: Pod, cluster: &str) -> Pod {
    Pod {
        cluster: Some(cluster.to_owned()),
        ..pod
    }
}

/// `api` of `payments`, in cluster `c1`.
fn source() -> Pod {
    in_cluster(api(), "c1")
}

#[test]
fn selectors_without_a_cluster_select_the_local_cluster_only() {
    let spec = |peer: &str| {
        format!("  endpointSelector:\n    matchLabels: {{app: api}}\n  egress:\n  - {peer}\n")
    };
    let e = cilium(&[cnp(
        "payments",
        "api",
        &spec("toEndpoints: [{matchLabels: {app: db}}]"),
    )]);
    let db = pod("payments", &[("app", "db")]);
    assert!(allowed(
        &e,
        &to_pod(&source(), db.clone(), Proto::Tcp, 5432)
    ));
    assert!(allowed(
        &e,
        &to_pod(&source(), in_cluster(db.clone(), "c1"), Proto::Tcp, 5432)
    ));
    assert!(!allowed(
        &e,
        &to_pod(&source(), in_cluster(db.clone(), "c2"), Proto::Tcp, 5432)
    ));

    let e = cilium(&[cnp(
        "payments",
        "api",
        &spec("toEndpoints: [{matchLabels: {app: db, io.cilium.k8s.policy.cluster: c2}}]"),
    )]);
    assert!(!allowed(
        &e,
        &to_pod(&source(), db.clone(), Proto::Tcp, 5432)
    ));
    assert!(allowed(
        &e,
        &to_pod(&source(), in_cluster(db.clone(), "c2"), Proto::Tcp, 5432)
    ));
    assert!(!allowed(
        &e,
        &to_pod(&source(), in_cluster(db.clone(), "c3"), Proto::Tcp, 5432)
    ));

    // Naming the local cluster selects its pods.
    let e = cilium(&[cnp(
        "payments",
        "api",
        &spec("toEndpoints: [{matchLabels: {app: db, k8s:io.cilium.k8s.policy.cluster: c1}}]"),
    )]);
    assert!(allowed(
        &e,
        &to_pod(&source(), db.clone(), Proto::Tcp, 5432)
    ));
    assert!(!allowed(
        &e,
        &to_pod(&source(), in_cluster(db.clone(), "c2"), Proto::Tcp, 5432)
    ));

    // `cluster` is the local cluster, `all` every cluster.
    let e = cilium(&[cnp("payments", "api", &spec("toEntities: [cluster]"))]);
    assert!(allowed(
        &e,
        &to_pod(&source(), db.clone(), Proto::Tcp, 5432)
    ));
    assert!(!allowed(
        &e,
        &to_pod(&source(), in_cluster(db.clone(), "c2"), Proto::Tcp, 5432)
    ));
    let e = cilium(&[cnp("payments", "api", &spec("toEntities: [all]"))]);
    assert!(allowed(
        &e,
        &to_pod(&source(), in_cluster(db, "c2"), Proto::Tcp, 5432)
    ));
}

#[test]
fn a_subject_naming_a_cluster_selects_its_pods_only() {
    let e = cilium(&[cnp(
        "payments",
        "api",
        "  endpointSelector:\n    matchLabels: {app: api, io.cilium.k8s.policy.cluster: c1}\n  egress:\n  - toCIDRSet: [{cidr: 10.40.0.0/16}]\n",
    )]);
    // Selected in c1: isolated; elsewhere (another cluster's policies apply there), not.
    assert!(!allowed(
        &e,
        &to_addr(&source(), "192.0.2.1", Proto::Tcp, 443)
    ));
    assert!(allowed(
        &e,
        &to_addr(&in_cluster(api(), "c2"), "192.0.2.1", Proto::Tcp, 443)
    ));
}

#[test]
fn native_and_calico_select_pods_of_their_own_cluster() {
    let db = pod("payments", &[("app", "db")]);
    let n = native(&np(
        "api",
        "  policyTypes: [Egress]\n  egress:\n  - to:\n    - podSelector:\n        matchLabels: {app: db}\n",
    ));
    assert!(allowed(
        &n,
        &to_pod(&source(), db.clone(), Proto::Tcp, 5432)
    ));
    assert!(!allowed(
        &n,
        &to_pod(&source(), in_cluster(db.clone(), "c2"), Proto::Tcp, 5432)
    ));
    let c = calico(&calico_egress(
        "  - action: Allow\n    destination:\n      selector: app == 'db'\n",
    ));
    let (from, db) = (in_cluster(pod("p", &[]), "c1"), pod("p", &[("app", "db")]));
    assert!(allowed(&c, &to_pod(&from, db.clone(), Proto::Tcp, 5432)));
    assert!(!allowed(
        &c,
        &to_pod(&from, in_cluster(db, "c2"), Proto::Tcp, 5432)
    ));
}
