//! Which pods NetworkPolicies isolate for egress, and how the policies selecting a pod add up.

use super::utils::*;
use crate::model::Proto;

#[test]
fn an_unselected_pod_is_not_isolated() {
    let other = pod("payments", &[("app", "web")]);
    let d = decide(
        &native(API_EGRESS),
        &to_addr(&other, "10.20.31.7", Proto::Tcp, 22),
    );
    assert!(d.allowed);
    assert_eq!(d.rule, None);
    assert_eq!(d.why, "no NetworkPolicy with Egress selects the pod");
    // The same labels in another namespace: policies select only in their own namespace.
    let elsewhere = pod("ledger", &[("app", "api")]);
    assert!(allowed(
        &native(API_EGRESS),
        &to_addr(&elsewhere, "10.20.31.7", Proto::Tcp, 22)
    ));
}

#[test]
fn egress_without_rules_denies_everything() {
    let yaml = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-egress, namespace: payments}
spec:
  podSelector: {}
  policyTypes: [Egress]
";
    let d = decide(
        &native(yaml),
        &to_addr(&pod("payments", &[]), "10.0.0.1", Proto::Tcp, 443),
    );
    assert!(!d.allowed);
    assert_eq!(
        d.why,
        "payments/default-deny-egress selects the pod for Egress with no egress rules: nothing is allowed"
    );
    assert_eq!(d.closest, None);
    assert!(allowed(
        &native(yaml),
        &to_addr(&pod("ledger", &[]), "10.0.0.1", Proto::Tcp, 443)
    ));
}

#[test]
fn policy_types_decide_isolation() {
    let rules = "  egress:\n  - to:\n    - ipBlock: {cidr: 10.0.0.0/8}\n";
    let a = api();
    let outside = to_addr(&a, "192.0.2.1", Proto::Tcp, 80);
    // Missing policyTypes with an egress section: Ingress and Egress.
    let d = decide(&native(&np("implied", rules)), &outside);
    assert!(!d.allowed);
    // An empty list is defaulted the same way.
    assert!(!allowed(
        &native(&np("implied", &format!("  policyTypes: []\n{rules}"))),
        &outside
    ));
    // Missing policyTypes without an egress section (or with an empty one): Ingress only.
    assert!(allowed(&native(&np("ingress-only", "")), &outside));
    assert!(allowed(
        &native(&np("ingress-only", "  egress: []\n")),
        &outside
    ));
    // An explicit [Ingress] ignores the egress rules and does not isolate egress.
    let d = decide(
        &native(&np(
            "ingress",
            &format!("  policyTypes: [Ingress]\n{rules}"),
        )),
        &outside,
    );
    assert!(d.allowed);
    assert_eq!(d.why, "no NetworkPolicy with Egress selects the pod");
    // [Ingress, Egress] isolates.
    assert!(!allowed(
        &native(&np(
            "both",
            &format!("  policyTypes: [Ingress, Egress]\n{rules}")
        )),
        &outside
    ));
}

#[test]
fn policies_selecting_a_pod_form_a_union() {
    let yaml = format!(
        "{}---\n{}",
        np(
            "a",
            "  policyTypes: [Egress]\n  egress:\n  - to:\n    - ipBlock: {cidr: 10.0.0.0/8}\n    ports: [{port: 443}]\n"
        ),
        np(
            "b",
            "  policyTypes: [Egress]\n  egress:\n  - to:\n    - podSelector: {matchLabels: {app: db}}\n    ports: [{port: 5432}]\n"
        ),
    );
    let a = api();
    let d = decide(&native(&yaml), &to_addr(&a, "10.1.2.3", Proto::Tcp, 443));
    assert_eq!(d.rule.as_deref(), Some("payments/a spec.egress[0]"));
    let d = decide(
        &native(&yaml),
        &to_pod(&a, pod("payments", &[("app", "db")]), Proto::Tcp, 5432),
    );
    assert_eq!(d.rule.as_deref(), Some("payments/b spec.egress[0]"));
    let d = decide(&native(&yaml), &to_addr(&a, "10.1.2.3", Proto::Tcp, 5432));
    assert!(!d.allowed);
    assert_eq!(d.why, "no egress rule of payments/a, payments/b allows it");
    // A policy selecting every pod of the namespace adds its rules too.
    let open = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: c, namespace: payments}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{ports: [{port: 5432}]}]\n";
    assert!(allowed(
        &native(&format!("{yaml}{open}")),
        &to_addr(&a, "10.1.2.3", Proto::Tcp, 5432)
    ));
}
