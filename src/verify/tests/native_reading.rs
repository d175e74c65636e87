//! Reading NetworkPolicy YAML: what is fine, and what is refused with its path.

use super::utils::*;
use crate::model::Proto;
use crate::verify::native::NativeEvaluator;

#[test]
fn comments_and_empty_documents_are_fine() {
    let yaml = format!("# header\n---\n{API_EGRESS}---\n# trailing comment only\n");
    assert!(allowed(
        &native(&yaml),
        &to_addr(&api(), "10.20.30.7", Proto::Tcp, 5432)
    ));
    let m = native("");
    assert!(
        m.decide(&to_addr(&api(), "10.0.0.1", Proto::Tcp, 1))
            .unwrap()
            .allowed
    );
}

#[test]
fn what_it_does_not_understand_is_bad_yaml() {
    let cases: Vec<(String, &str)> = vec![
        (API_EGRESS.replace("kind: NetworkPolicy", "kind: CiliumNetworkPolicy"), "is not a networking.k8s.io/v1 NetworkPolicy"),
        (API_EGRESS.replace("networking.k8s.io/v1", "networking.k8s.io/v1beta1"), "is not a networking.k8s.io/v1 NetworkPolicy"),
        (API_EGRESS.replace("  policyTypes:", "  order: 10\n  policyTypes:"), "payments/payments-api-egress spec: unknown field `order`"),
        (API_EGRESS.replace("  - to:\n    - ipBlock:\n        cidr: 10", "  - action: Deny\n    to:\n    - ipBlock:\n        cidr: 10"), "spec.egress[1]: unknown field `action`"),
        (API_EGRESS.replace("        cidr: 10.20.30.0/24", "        cidr: 10.20.30.0/24\n        cidrs: [10.0.0.0/8]"), "spec.egress[1].to[0].ipBlock: unknown field `cidrs`"),
        (API_EGRESS.replace("    - port: 5432\n", "    - port: 5432\n      name: pg\n"), "spec.egress[1].ports[0]: unknown field `name`"),
        (API_EGRESS.replace("10.20.30.0/24", "10.20.300.0/24"), "spec.egress[1].to[0].ipBlock.cidr: `10.20.300.0/24` is not a CIDR"),
        (API_EGRESS.replace("10.20.30.0/24", "10.20.30.7"), "is not a CIDR"),
        (API_EGRESS.replace("- 169.254.169.254/32", "- 0.0.0.0/0"), "spec.egress[2].to[0].ipBlock.except[0]: `0.0.0.0/0` is not a strict subset of `0.0.0.0/0`"),
        (API_EGRESS.replace("    - port: 5432\n", "    - port: postgres\n"), "spec.egress[1].ports[0].port: named port `postgres`"),
        (API_EGRESS.replace("    - port: 5432\n      protocol: TCP", "    - port: 5432\n      protocol: tcp"), "unknown protocol `tcp`"),
        (API_EGRESS.replace("    - port: 5432\n", "    - port: 5432\n      endPort: 5000\n"), "spec.egress[1].ports[0].endPort: 5000 is less than `port` 5432"),
        (API_EGRESS.replace("    - port: 5432\n", "    - port: 70000\n"), "is not a port number"),
        (API_EGRESS.replace("    - ipBlock:\n        cidr: 10.20.30.0/24", "    - ipBlock:\n        cidr: 10.20.30.0/24\n      podSelector: {}"), "`ipBlock` cannot be combined"),
        (API_EGRESS.replace("    - ipBlock:\n        cidr: 10.20.30.0/24", "    - {}"), "spec.egress[1].to[0]: a peer needs"),
        (API_EGRESS.replace("  namespace: payments\n", ""), "`namespace` is missing"),
        (API_EGRESS.replace("  - Egress", "  - Egres"), "unknown policy type `Egres`"),
        (API_EGRESS.replace("          k8s-app: kube-dns", "          k8s-app: kube-dns\n        matchExpressions:\n        - {key: tier, operator: Gt, values: ['1']}"), "unknown operator `Gt`"),
        (API_EGRESS.replace("          k8s-app: kube-dns", "          k8s-app: kube-dns\n        matchExpressions:\n        - {key: tier, operator: In}"), "need at least one value"),
        (format!("{API_EGRESS}---\n{API_EGRESS}"), "payments/payments-api-egress appears twice"),
    ];
    for (yaml, expected) in cases {
        let m = refusal(NativeEvaluator::load(&yaml));
        assert!(m.contains(expected), "{m:?} does not contain {expected:?}");
    }
}
