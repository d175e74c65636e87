//! The order Calico evaluates in: policy order and names, tiers, `Pass`, `Log`, end-of-tier actions, `types`.

use super::utils::*;
use crate::model::Proto;

const DENY_100_ALLOW_200: &str = "\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: allow-all, namespace: p}
spec:
  order: 200
  selector: app == 'a'
  types: [Egress]
  egress:
  - action: Allow
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: deny-web, namespace: p}
spec:
  order: 100
  selector: app == 'a'
  types: [Egress]
  egress:
  - action: Deny
    protocol: TCP
    destination:
      ports: [80]
";

#[test]
fn lower_order_runs_first() {
    let m = calico(DENY_100_ALLOW_200);
    let a = pod("p", &[("app", "a")]);
    let d = decide(&m, &flow(&a, addr("1.2.3.4"), Proto::Tcp, 80));
    assert!(!d.allowed);
    assert_eq!(d.rule.as_deref(), Some("p/deny-web spec.egress[0]"));
    assert!(d.why.starts_with("Deny in tier default"), "{}", d.why);
    assert!(
        d.closest
            .unwrap()
            .contains("Deny rule p/deny-web spec.egress[0] decided")
    );
    let d = decide(&m, &flow(&a, addr("1.2.3.4"), Proto::Tcp, 443));
    assert!(d.allowed);
    assert_eq!(d.rule.as_deref(), Some("p/allow-all spec.egress[0]"));
    // Swapped orders: the allow runs first and wins.
    let swapped = DENY_100_ALLOW_200
        .replace("order: 200", "order: 1")
        .replace("order: 100", "order: 2");
    let d = decide(
        &calico(&swapped),
        &flow(&a, addr("1.2.3.4"), Proto::Tcp, 80),
    );
    assert!(d.allowed);
    // Another pod: no policy selects it.
    let d = decide(
        &m,
        &flow(&pod("p", &[("app", "b")]), addr("1.2.3.4"), Proto::Tcp, 80),
    );
    assert!(d.allowed);
    assert_eq!(d.rule, None);
    assert!(d.why.contains("profile allows all egress"), "{}", d.why);
}

#[test]
fn no_order_goes_last_and_ties_go_by_name() {
    let yaml = |order_a: &str, order_b: &str| {
        format!(
            "\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {{name: b-allow, namespace: p}}
spec:
  {order_b}
  selector: all()
  egress:
  - action: Allow
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {{name: a-deny, namespace: p}}
spec:
  {order_a}
  selector: all()
  egress:
  - action: Deny
"
        )
    };
    let f = flow(&pod("p", &[]), addr("1.2.3.4"), Proto::Tcp, 1);
    // Same order: by name, a-deny first.
    assert!(!decide(&calico(&yaml("order: 5", "order: 5")), &f).allowed);
    // No order is after every ordered policy.
    assert!(decide(&calico(&yaml("", "order: 5000000")), &f).allowed);
    assert!(!decide(&calico(&yaml("order: 5000000", "")), &f).allowed);
    // Neither ordered: by name.
    assert!(!decide(&calico(&yaml("", "")), &f).allowed);
}

const TIERS: &str = "\
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec:
  order: 100
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.gate}
spec:
  tier: security
  selector: all()
  types: [Egress]
  egress:
  - action: Deny
    destination:
      nets: [169.254.169.254/32]
  - action: Pass
    protocol: TCP
    destination:
      ports: [443]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: app, namespace: p}
spec:
  selector: app == 'a'
  types: [Egress]
  egress:
  - action: Allow
    protocol: TCP
    destination:
      ports: ['400:500']
";

#[test]
fn pass_jumps_to_the_next_tier_and_end_of_tier_denies() {
    let m = calico(TIERS);
    let a = pod("p", &[("app", "a")]);
    // Pass in security, then the default tier allows 443.
    let d = decide(&m, &flow(&a, addr("1.2.3.4"), Proto::Tcp, 443));
    assert!(d.allowed, "{d:?}");
    assert_eq!(d.rule.as_deref(), Some("p/app spec.egress[0]"));
    // The metadata deny in the first tier wins over the later allow.
    let d = decide(&m, &flow(&a, addr("169.254.169.254"), Proto::Tcp, 443));
    assert!(!d.allowed);
    assert_eq!(d.rule.as_deref(), Some("security.gate spec.egress[0]"));
    // Port 450 is not passed: end of the security tier denies it, though the default tier
    // would allow it.
    let d = decide(&m, &flow(&a, addr("1.2.3.4"), Proto::Tcp, 450));
    assert!(!d.allowed);
    assert_eq!(d.rule, None);
    assert!(d.why.starts_with("end of tier security"), "{}", d.why);
    assert!(d.why.contains("default action Deny"), "{}", d.why);
    // A pod the default tier does not select: Pass, then no tier, so the profile allows.
    let b = pod("p", &[("app", "b")]);
    let d = decide(&m, &flow(&b, addr("1.2.3.4"), Proto::Tcp, 443));
    assert!(d.allowed);
    assert_eq!(d.rule, None);
    assert!(d.why.contains("tier security passed it"), "{}", d.why);
    // Passed, then the default tier's end-of-tier deny on udp.
    let d = decide(&m, &flow(&a, addr("1.2.3.4"), Proto::Udp, 443));
    assert!(!d.allowed);
    assert!(d.why.starts_with("end of tier security"), "{}", d.why);
}

#[test]
fn default_action_pass_hands_on_to_the_next_tier() {
    let yaml = TIERS.replace("  order: 100\n", "  order: 100\n  defaultAction: Pass\n");
    let m = calico(&yaml);
    let a = pod("p", &[("app", "a")]);
    // Not acted on in security: passed; the default tier allows 450 ...
    let d = decide(&m, &flow(&a, addr("1.2.3.4"), Proto::Tcp, 450));
    assert!(d.allowed, "{d:?}");
    // ... and its end-of-tier deny drops udp.
    let d = decide(&m, &flow(&a, addr("1.2.3.4"), Proto::Udp, 53));
    assert!(!d.allowed);
    assert!(
        d.why.starts_with("end of tier default: p/app select"),
        "{}",
        d.why
    );
    assert!(d.closest.unwrap().contains("udp/53 is not protocol TCP"));
    // A pod no default-tier policy selects keeps its egress, minus the guard.
    let b = pod("q", &[]);
    let d = decide(&m, &flow(&b, addr("1.2.3.4"), Proto::Udp, 53));
    assert!(d.allowed);
    assert!(d.why.contains("defaultAction Pass"), "{}", d.why);
    assert!(!decide(&m, &flow(&b, addr("169.254.169.254"), Proto::Udp, 53)).allowed);
}

#[test]
fn a_tier_that_selects_nothing_is_skipped() {
    // A tier whose only policy selects other pods does not apply its end-of-tier deny.
    let yaml = TIERS.replace(
        "  selector: all()\n  types",
        "  selector: app == 'z'\n  types",
    );
    let m = calico(&yaml);
    let b = pod("q", &[]);
    let d = decide(&m, &flow(&b, addr("169.254.169.254"), Proto::Tcp, 1));
    assert!(d.allowed);
    assert!(
        d.why.starts_with("no Calico policy with Egress selects"),
        "{}",
        d.why
    );
}

#[test]
fn types_without_egress_do_not_apply() {
    let yaml = "\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: ingress-only, namespace: p}
spec:
  selector: all()
  types: [Ingress]
  egress:
  - action: Deny
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: no-types-no-egress, namespace: p}
spec:
  selector: all()
";
    let d = decide(
        &calico(yaml),
        &flow(&pod("p", &[]), addr("1.2.3.4"), Proto::Tcp, 1),
    );
    assert!(d.allowed);
    // Without `types`, egress rules make it an egress policy.
    let yaml = yaml.replace("  types: [Ingress]\n", "");
    let d = decide(
        &calico(&yaml),
        &flow(&pod("p", &[]), addr("1.2.3.4"), Proto::Tcp, 1),
    );
    assert!(!d.allowed);
}

#[test]
fn log_goes_on_to_the_next_rule() {
    let yaml = calico_egress(
        "  - action: Log
  - action: Allow
    protocol: 17
",
    );
    let m = calico(&yaml);
    let s = pod("p", &[]);
    let d = decide(&m, &flow(&s, addr("1.2.3.4"), Proto::Udp, 53));
    assert!(d.allowed);
    assert_eq!(d.rule.as_deref(), Some("p/a spec.egress[1]"));
    assert!(d.why.contains("protocol UDP"), "{}", d.why);
    assert!(!decide(&m, &flow(&s, addr("1.2.3.4"), Proto::Tcp, 53)).allowed);
}

#[test]
fn a_namespaced_policy_without_namespace_is_in_default() {
    let yaml = "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: x}\nspec:\n  egress: [{action: Deny}]\n";
    let m = calico(yaml);
    let d = decide(
        &m,
        &flow(&pod("default", &[]), addr("1.1.1.1"), Proto::Tcp, 1),
    );
    assert_eq!(d.rule.as_deref(), Some("default/x spec.egress[0]"));
    assert!(decide(&m, &flow(&pod("p", &[]), addr("1.1.1.1"), Proto::Tcp, 1)).allowed);
}
