//! Which endpoints Cilium puts in egress default deny, `enableDefaultDeny`, the empty rule,
//! egressDeny precedence and `specs` lists.

use super::utils::*;
use crate::model::Proto;
use crate::verify::cilium::CiliumEvaluator;
use crate::verify::kube_dns;

#[test]
fn unselected_pods_are_open_and_cnp_stays_in_its_namespace() {
    let m = cilium(&[cnp(
        "payments",
        "api-egress",
        "  endpointSelector:\n    matchLabels:\n      app: api\n  egress:\n  - toCIDR:\n    - 10.0.0.0/8\n",
    )]);
    let other_ns = pod("shop", &[("app", "api")]);
    let d = decide(&m, &to_addr(&other_ns, "8.8.8.8", Proto::Tcp, 443));
    assert!(d.allowed && d.rule.is_none(), "{d:?}");
    assert!(d.why.contains("no policy selects"), "{d:?}");
    let d = decide(&m, &to_addr(&api(), "10.1.2.3", Proto::Tcp, 443));
    assert!(d.allowed, "{d:?}");
    assert_eq!(
        d.rule.as_deref(),
        Some("payments/api-egress spec.egress[0]")
    );
    let d = decide(&m, &to_addr(&api(), "8.8.8.8", Proto::Tcp, 443));
    assert!(!d.allowed && d.rule.is_none(), "{d:?}");
    assert!(
        d.closest.as_deref().unwrap().contains("outside 10.0.0.0/8"),
        "{d:?}"
    );
}

#[test]
fn default_deny_and_enable_default_deny() {
    let off = "  endpointSelector: {}\n  enableDefaultDeny:\n    egress: false\n  egress:\n  - toCIDR:\n    - 10.0.0.0/8\n";
    let m = cilium(&[ccnp("open", off)]);
    // Selected only by a policy that does not enable default deny: open.
    let d = decide(&m, &to_addr(&api(), "8.8.8.8", Proto::Tcp, 443));
    assert!(d.allowed && d.rule.is_none(), "{d:?}");
    assert!(d.why.contains("enableDefaultDeny.egress: false"), "{d:?}");
    // Another policy asking for default deny wins; the first policy's rules still allow.
    let on = "  endpointSelector:\n    matchLabels:\n      app: api\n  egress:\n  - {}\n";
    let m = cilium(&[ccnp("open", off), cnp("payments", "lock", on)]);
    let d = decide(&m, &to_addr(&api(), "8.8.8.8", Proto::Tcp, 443));
    assert!(!d.allowed, "{d:?}");
    assert!(d.why.contains("payments/lock"), "{d:?}");
    let d = decide(&m, &to_addr(&api(), "10.0.0.1", Proto::Tcp, 443));
    assert!(d.allowed, "{d:?}");
    assert_eq!(d.rule.as_deref(), Some("open spec.egress[0]"));
    // enableDefaultDeny.egress: true without egress rules does not isolate.
    let m = cilium(&[cnp(
        "payments",
        "flag-only",
        "  endpointSelector: {}\n  enableDefaultDeny:\n    egress: true\n",
    )]);
    assert!(decide(&m, &to_addr(&api(), "8.8.8.8", Proto::Tcp, 443)).allowed);
}

#[test]
fn the_empty_rule_isolates_and_allows_nothing() {
    let m = cilium(&[cnp(
        "payments",
        "default-deny-egress",
        "  egress:\n  - {}\n  enableDefaultDeny:\n    egress: true\n  endpointSelector: {}\n",
    )]);
    for f in [
        to_addr(&api(), "8.8.8.8", Proto::Udp, 53),
        to_pod(&api(), kube_dns(), Proto::Udp, 53),
        to_host(&api(), "example.org", None, 443),
    ] {
        let d = decide(&m, &f);
        assert!(!d.allowed, "{d:?}");
        assert!(
            d.closest.as_deref().unwrap().contains("empty rule"),
            "{d:?}"
        );
    }
}

#[test]
fn deny_wins_and_a_deny_only_policy_isolates() {
    let allow = "  endpointSelector: {}\n  egress:\n  - toCIDRSet:\n    - cidr: 0.0.0.0/0\n";
    let deny = "  endpointSelector: {}\n  egressDeny:\n  - toCIDR:\n    - 169.254.169.254/32\n    toPorts:\n    - ports:\n      - port: \"80\"\n";
    let m = cilium(&[cnp("payments", "allow", allow), ccnp("guard", deny)]);
    let d = decide(&m, &to_addr(&api(), "169.254.169.254", Proto::Tcp, 80));
    assert!(!d.allowed, "{d:?}");
    assert_eq!(d.rule.as_deref(), Some("guard spec.egressDeny[0]"));
    assert!(decide(&m, &to_addr(&api(), "169.254.169.254", Proto::Tcp, 443)).allowed);
    // The guardrail alone (no enableDefaultDeny) isolates every pod it selects.
    let m = cilium(&[ccnp("guard", deny)]);
    let d = decide(&m, &to_addr(&api(), "8.8.8.8", Proto::Tcp, 443));
    assert!(!d.allowed && d.rule.is_none(), "{d:?}");
    // With enableDefaultDeny.egress: false it only denies.
    let guard = format!("{deny}  enableDefaultDeny:\n    egress: false\n    ingress: false\n");
    let m = cilium(&[ccnp("guard", &guard)]);
    assert!(decide(&m, &to_addr(&api(), "8.8.8.8", Proto::Tcp, 443)).allowed);
    let d = decide(&m, &to_addr(&api(), "169.254.169.254", Proto::Udp, 80));
    assert!(!d.allowed, "{d:?}");
}

#[test]
fn specs_lists_name_their_rules() {
    let yaml = "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: multi
  namespace: payments
specs:
- endpointSelector: {}
  egress:
  - toCIDR: [10.0.0.0/8]
- endpointSelector: {}
  egressDeny:
  - toCIDR: [10.9.0.0/16]
";
    let m = CiliumEvaluator::load(yaml).unwrap();
    let d = decide(&m, &to_addr(&api(), "10.9.0.1", Proto::Tcp, 1));
    assert_eq!(
        d.rule.as_deref(),
        Some("payments/multi specs[1].egressDeny[0]")
    );
    let d = decide(&m, &to_addr(&api(), "10.8.0.1", Proto::Tcp, 1));
    assert_eq!(d.rule.as_deref(), Some("payments/multi specs[0].egress[0]"));
}
