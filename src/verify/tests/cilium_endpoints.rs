//! `toEndpoints` and `endpointSelector`: Cilium's namespace rules on top of Kubernetes label
//! selectors.

use super::utils::*;
use crate::model::Proto;
use crate::verify::Pod;

#[test]
fn to_endpoints_namespaces() {
    let spec = "  endpointSelector: {}
  egress:
  - toEndpoints:
    - matchLabels:
        app: db
  - toEndpoints:
    - {}
    toPorts:
    - ports:
      - port: \"9999\"
  - toEndpoints:
    - matchLabels:
        app: cache
        k8s:io.kubernetes.pod.namespace: infra
  - toEndpoints:
    - matchLabels:
        app: otel
      matchExpressions:
      - key: k8s:io.kubernetes.pod.namespace
        operator: Exists
  - toEndpoints:
    - matchLabels:
        any:app: mail
        io.kubernetes.pod.namespace: mailer
";
    let m = cilium(&[cnp("payments", "p", spec)]);
    let rule = |dest: Pod, port: u16| decide(&m, &to_pod(&api(), dest, Proto::Tcp, port)).rule;
    let r = |i: usize| Some(format!("payments/p spec.egress[{i}]"));
    // No namespace label: the policy's own namespace only.
    assert_eq!(rule(pod("payments", &[("app", "db")]), 5432), r(0));
    assert_eq!(rule(pod("shop", &[("app", "db")]), 5432), None);
    // `{}`: every pod of the policy's namespace.
    assert_eq!(rule(pod("payments", &[("x", "y")]), 9999), r(1));
    assert_eq!(rule(pod("shop", &[("x", "y")]), 9999), None);
    // Another namespace by label.
    assert_eq!(rule(pod("infra", &[("app", "cache")]), 6379), r(2));
    assert_eq!(rule(pod("payments", &[("app", "cache")]), 6379), None);
    // Exists on the namespace label: every namespace.
    assert_eq!(rule(pod("elsewhere", &[("app", "otel")]), 4317), r(3));
    // `any:` prefix and the bare namespace key.
    assert_eq!(rule(pod("mailer", &[("app", "mail")]), 25), r(4));
    assert_eq!(rule(pod("payments", &[("app", "mail")]), 25), None);
    // Pods never match addresses, addresses never match pods.
    let d = decide(&m, &to_addr(&api(), "10.0.0.1", Proto::Tcp, 5432));
    assert!(!d.allowed, "{d:?}");
}

#[test]
fn clusterwide_selectors_span_namespaces() {
    let spec = "  endpointSelector:
    matchExpressions:
    - key: tier
      operator: NotIn
      values: [batch]
  egress:
  - toEndpoints:
    - matchLabels:
        app: db
  - toEndpoints:
    - matchLabels:
        io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name: infra
";
    let m = cilium(&[ccnp("cw", spec)]);
    let d = decide(
        &m,
        &to_pod(&api(), pod("shop", &[("app", "db")]), Proto::Tcp, 1),
    );
    assert_eq!(d.rule.as_deref(), Some("cw spec.egress[0]"), "{d:?}");
    let d = decide(&m, &to_pod(&api(), pod("infra", &[]), Proto::Tcp, 1));
    assert_eq!(d.rule.as_deref(), Some("cw spec.egress[1]"), "{d:?}");
    // NotIn selects pods without the label, not pods with a listed value.
    let batch = pod("shop", &[("tier", "batch")]);
    assert!(decide(&m, &to_addr(&batch, "8.8.8.8", Proto::Tcp, 1)).allowed);
    assert!(!decide(&m, &to_addr(&api(), "8.8.8.8", Proto::Tcp, 1)).allowed);
}
