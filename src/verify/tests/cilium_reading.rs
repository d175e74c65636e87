//! Reading Cilium YAML: what is refused, with its path, and every example reads back.

use super::utils::*;
use crate::backend::Target;
use crate::verify::cilium::CiliumEvaluator;
use crate::{Input, compile};

#[test]
fn what_is_not_understood_is_refused() {
    let sel = "  endpointSelector: {}\n";
    let cases = [
        (
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: x\n  namespace: p\nspec: {}\n".to_owned(),
            "kind `NetworkPolicy`",
        ),
        (cnp("p", "x", &format!("{sel}  egress:\n  - toEntities: [health]\n")), "egress[0].toEntities"),
        (cnp("p", "x", &format!("{sel}  ingress:\n  - {{}}\n")), "spec.ingress"),
        (cnp("p", "x", &format!("{sel}  egress:\n  - toPorts:\n    - ports:\n      - port: http\n")), "`http`"),
        (cnp("p", "x", &format!("{sel}  egress:\n  - toPorts:\n    - ports:\n      - port: \"80\"\n        protocol: ICMP\n")), "`ICMP`"),
        (cnp("p", "x", &format!("{sel}  egress:\n  - toPorts:\n    - ports:\n      - port: \"80\"\n      rules:\n        kafka:\n        - topic: a\n")), "rules.kafka"),
        (cnp("p", "x", &format!("{sel}  egress:\n  - toPorts:\n    - ports:\n      - port: \"80\"\n      rules:\n        http:\n        - path: \"(\"\n")), "not a regular expression"),
        (cnp("p", "x", &format!("{sel}  egress:\n  - toPorts:\n    - ports:\n      - port: \"80\"\n      rules:\n        http:\n        - path: \"/a)|(.*\"\n")), "not a regular expression"),
        (cnp("p", "x", &format!("{sel}  egressDeny:\n  - toFQDNs:\n    - matchName: a.example\n")), "egressDeny[0].toFQDNs"),
        (cnp("p", "x", &format!("{sel}  egress:\n  - toCIDR: [10.0.0.0/8]\n    toEndpoints:\n    - {{}}\n")), "combining"),
        (cnp("p", "x", &format!("{sel}  egress:\n  - toEndpoints:\n    - matchLabels:\n        reserved:host: \"\"\n")), "label source `reserved:`"),
        (cnp("p", "x", &format!("{sel}  egress:\n  - toEndpoints:\n    - matchLabels:\n        io.cilium.k8s.policy.uid: c1\n")), "identity label"),
        (cnp("p", "x", &format!("{sel}  egress:\n  - toEndpoints: []\n")), "empty list"),
        (cnp("p", "x", &format!("{sel}  egress:\n  - toCIDRSet:\n    - cidr: 10.0.0.0/8\n      except: [192.168.0.0/16]\n")), "not inside"),
        (cnp("p", "x", &format!("{sel}  egress:\n  - toFQDNs:\n    - matchPattern: \"**foo.example\"\n")), "`**` inside a label"),
        (cnp("p", "x", &format!("{sel}  egress:\n  - toEndpoints:\n    - matchExpressions:\n      - key: app\n        operator: Gt\n        values: [\"1\"]\n")), "unknown operator"),
        (cnp("p", "x", "  egress:\n  - {}\n"), "spec: `endpointSelector` is missing"),
        (
            "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: x\nspec:\n  endpointSelector: {}\n".to_owned(),
            "without a namespace",
        ),
    ];
    for (doc, want) in cases {
        let e = refusal(CiliumEvaluator::load(&doc));
        assert!(e.contains(want), "want `{want}` in `{e}`\n{doc}");
    }
}

#[test]
fn every_example_loads() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for entry in std::fs::read_dir(&root).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "egress") {
            continue;
        }
        let src = std::fs::read_to_string(&path).unwrap();
        let c = compile(&[Input::new("x.egress", src)], &[Target::Cilium]);
        if c.has_errors() {
            continue;
        }
        let yaml = c.outputs[0].stream();
        if let Err(e) = CiliumEvaluator::load(&yaml) {
            panic!("{}: {e}", path.display());
        }
    }
}

#[test]
fn service_accounts_are_identity_labels() {
    use crate::verify::{Destination, Evaluator as _};
    let sel = "  endpointSelector: {}\n";
    let yaml = cnp(
        "p",
        "x",
        &format!(
            "{sel}  egress:\n  - toEndpoints:\n    - matchLabels:\n        k8s:io.cilium.k8s.policy.serviceaccount: ledger\n"
        ),
    );
    let ev = CiliumEvaluator::load(&yaml).unwrap();
    let mut ledger = pod("p", &[("app", "x")]);
    ledger.service_account = "ledger".into();
    let to = |p| {
        flow(
            &pod("p", &[("app", "api")]),
            Destination::Pod(p),
            crate::model::Proto::Tcp,
            443,
        )
    };
    assert!(ev.decide(&to(ledger)).unwrap().allowed);
    assert!(!ev.decide(&to(pod("p", &[("app", "x")]))).unwrap().allowed);
}
