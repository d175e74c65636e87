//! Reading Calico YAML: what is refused, with its path.

use super::utils::*;
use crate::verify::calico::CalicoEvaluator;

#[test]
fn what_is_not_understood_is_bad_yaml() {
    let np = |egress: &str| {
        format!(
            "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {{name: a, namespace: p}}\nspec:\n  selector: all()\n  egress:\n{egress}"
        )
    };
    let cases = [
        (np("  - action: Reject\n"), "NetworkPolicy p/a spec.egress[0].action: unknown action `Reject`"),
        (np("  - action: Allow\n    colour: red\n"), "spec.egress[0]: unknown field `colour`"),
        (np("  - action: Allow\n    destination: {ports: [80]}\n"), "ports need protocol TCP, UDP or SCTP"),
        (np("  - action: Allow\n    protocol: TCP\n    destination: {ports: [http]}\n"), "named port `http` is not modelled"),
        (np("  - action: Allow\n    protocol: TCP\n    destination: {ports: ['90:80']}\n"), "ends before it starts"),
        (np("  - action: Allow\n    protocol: XTP\n"), "unknown protocol `XTP`"),
        (np("  - action: Allow\n    destination: {nets: [10.0.0.0/8, 'fd00::/8']}\n"), "mixes IPv4 and IPv6"),
        (np("  - action: Allow\n    destination: {nets: [10.0.0.0/33]}\n"), "`10.0.0.0/33` is not a CIDR"),
        (np("  - action: Allow\n    destination: {selector: \"app = 'x'\"}\n"), "destination.selector: selector `app = 'x'`: expected an operator"),
        (np("  - action: Allow\n    source: {services: {name: x}}\n"), "not modelled"),
        (np("  - action: Allow\n    destination: {services: {name: x}, selector: all()}\n"), "cannot be given with `services`"),
        (np("  - action: Allow\n    ipVersion: 4\n"), "ipVersion: not modelled"),
        (np("  - {}\n"), "a rule needs an action"),
        ("apiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata: {name: x}\n".into(), "kind `NetworkSet` is not modelled"),
        ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\n".into(), "`networking.k8s.io/v1` is not projectcalico.org/v3"),
        ("apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {tier: nope}\n".into(), "tier `nope` is not defined"),
        ("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: t}\nspec: {defaultAction: Allow}\n".into(), "unknown default action `Allow`"),
        ("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: g}\nspec: {preDNAT: true}\n".into(), "host endpoints only"),
        ("apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {types: [Sideways]}\n".into(), "unknown type `Sideways`"),
        ("apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {namespaceSelector: all()}\n".into(), "unknown field `namespaceSelector`"),
        (format!("{}---\n{}", np("  - action: Allow\n"), np("  - action: Allow\n")), "NetworkPolicy p/a: defined twice"),
        ("- a\n".into(), "document 1: expected a mapping"),
    ];
    for (yaml, want) in cases {
        let e = refusal(CalicoEvaluator::load(&yaml, true));
        assert!(e.contains(want), "want `{want}`, got `{e}`\n{yaml}");
    }
}
