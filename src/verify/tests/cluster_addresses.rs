//! Pods, nodes and the API server at addresses: each product's address rules against them
//! (native `ipBlock` in the wider reading, Calico `nets` and `notNets`, Cilium's CIDR rules,
//! which never match them), the backends cutting the declared cluster ranges out, and the
//! documented difference when the ranges are not declared.

use super::utils::*;
use crate::backend::Target;
use crate::model::Proto;
use crate::verify::cluster::ClusterModel;
use crate::verify::universe::{self, undeclared_difference};
use crate::verify::{ApiServer, Destination, Node};

fn pod_at(a: &str) -> Destination {
    Destination::Pod(crate::verify::Pod {
        address: Some(a.parse().unwrap()),
        ..pod("elsewhere", &[("app", "db")])
    })
}

fn node_at(a: &str, this: bool) -> Destination {
    Destination::Node(Node {
        this,
        address: a.parse().unwrap(),
    })
}

#[test]
fn address_rules_of_each_product_against_pods_and_nodes() {
    let native = native(&np(
        "p",
        "  policyTypes: [Egress]\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n",
    ));
    let calico = calico(&calico_egress(
        "  - action: Allow\n    destination:\n      nets: [10.0.0.0/8]\n      notNets: [10.244.0.0/16]\n",
    ));
    let cilium = cilium(&[cnp(
        "payments",
        "p",
        "  endpointSelector: {}\n  egress:\n  - toCIDRSet:\n    - cidr: 10.0.0.0/8\n",
    )]);
    let from_api = |d: Destination| flow(&api(), d, Proto::Tcp, 443);
    let from_p = |d: Destination| flow(&pod("p", &[]), d, Proto::Tcp, 443);
    // Native: an ipBlock matches whatever holds the address.
    assert!(allowed(&native, &from_api(pod_at("10.244.1.5"))));
    assert!(allowed(&native, &from_api(node_at("10.1.0.4", false))));
    // Calico: nets match pods and nodes, notNets cut them out again.
    assert!(!allowed(&calico, &from_p(pod_at("10.244.1.5"))));
    assert!(allowed(&calico, &from_p(node_at("10.1.0.4", true))));
    // Cilium: CIDR rules match no pod and no node, but an API server outside the cluster.
    assert!(!allowed(&cilium, &from_api(pod_at("10.244.1.5"))));
    assert!(!allowed(&cilium, &from_api(node_at("10.1.0.4", true))));
    let outside = Destination::ApiServer(ApiServer {
        address: "10.9.9.9".parse().unwrap(),
        on_node: None,
    });
    assert!(allowed(&cilium, &from_api(outside)));
    let on_node = Destination::ApiServer(ApiServer {
        address: "10.9.9.9".parse().unwrap(),
        on_node: Some(false),
    });
    assert!(!allowed(&cilium, &from_api(on_node)));
}

/// A program allowing `10.0.0.0/8` and pods of its namespace, denying `10.244.0.0/29` (the first pods of the default cluster).
const RANGES: &str = "namespace payments
default deny
app api -> dns, 10.0.0.0/8:443, pods{app=db}:443 deny 10.244.0.0/29
";

#[test]
fn declared_ranges_are_cut_out_and_every_target_agrees() {
    let facts = "set pod-cidrs = 10.244.0.0/16, fd00:10:244::/56\nset node-cidrs = 10.1.0.0/20\nset service-cidrs = 10.96.0.0/12\n";
    let src = format!("{facts}{RANGES}");
    let (_, yaml) = compiled(&src, Target::Calico);
    assert!(
        yaml.contains("notNets:\n      - 10.1.0.0/20\n      - 10.96.0.0/12\n      - 10.244.0.0/16"),
        "{yaml}"
    );
    let (_, yaml) = compiled(&src, Target::Native);
    assert!(
        yaml.contains(
            "except:\n        - 10.1.0.0/20\n        - 10.96.0.0/12\n        - 10.244.0.0/16"
        ),
        "{yaml}"
    );
    let src_api = src.replace("app api", "app payments-api");
    let flows = [
        flow(
            &pod("payments", &[("app", "payments-api")]),
            pod_at("10.244.7.7"),
            Proto::Tcp,
            443,
        ),
        flow(
            &pod("payments", &[("app", "payments-api")]),
            node_at("10.1.0.9", true),
            Proto::Tcp,
            443,
        ),
        flow(
            &pod("payments", &[("app", "payments-api")]),
            node_at("10.1.0.9", false),
            Proto::Tcp,
            443,
        ),
        to_addr(
            &pod("payments", &[("app", "payments-api")]),
            "10.2.0.1",
            Proto::Tcp,
            443,
        ),
        to_addr(
            &pod("payments", &[("app", "payments-api")]),
            "10.1.200.1",
            Proto::Tcp,
            443,
        ),
    ];
    for t in [Target::Native, Target::Cilium, Target::Calico] {
        agree(&src_api, t, &flows);
    }
}

#[test]
fn undeclared_ranges_differ_as_documented_and_are_counted() {
    let (ir, yaml) = compiled(RANGES, Target::Calico);
    let evaluator = crate::verify::load(Target::Calico, &yaml).unwrap();
    let agreement = universe::compare(&ir, evaluator.as_ref(), Target::Calico, usize::MAX);
    assert!(
        agreement.disagreements.is_empty(),
        "{:?}",
        agreement.disagreements
    );
    assert!(
        agreement.wider_undeclared > 0,
        "the default pods in 10.244.0.0/16 are reached: {agreement:?}"
    );
    assert!(
        agreement.narrower_undeclared > 0,
        "and blocked where denied"
    );
    // Cilium is exact without any fact.
    let (ir, yaml) = compiled(RANGES, Target::Cilium);
    let evaluator = crate::verify::load(Target::Cilium, &yaml).unwrap();
    let agreement = universe::compare(&ir, evaluator.as_ref(), Target::Cilium, usize::MAX);
    assert!(
        agreement.disagreements.is_empty(),
        "{:?}",
        agreement.disagreements
    );
    assert_eq!(
        agreement.wider_undeclared + agreement.narrower_undeclared,
        0
    );
    // Only flows to the default cluster's pods and nodes count, on targets matching them.
    let model = ClusterModel::new(&ir.cluster);
    let f = flow(&api(), pod_at("10.244.1.5"), Proto::Tcp, 443);
    assert!(undeclared_difference(&model, Target::Calico, &f));
    assert!(!undeclared_difference(&model, Target::Cilium, &f));
    let f = to_addr(&api(), "10.244.1.5", Proto::Tcp, 443);
    assert!(
        !undeclared_difference(&model, Target::Native, &f),
        "an address outside"
    );
}

#[test]
fn a_range_inside_a_cluster_range_allows_nothing_on_calico_and_native() {
    let src = "set pod-cidrs = 10.244.0.0/16\nset node-cidrs = 10.0.0.0/20\nnamespace payments\ndefault deny\napp api -> dns, 10.244.3.0/24:8080\n";
    let (_, yaml) = compiled(src, Target::Calico);
    assert!(!yaml.contains("10.244.3.0"), "{yaml}");
    let (_, yaml) = compiled(src, Target::Native);
    assert!(!yaml.contains("10.244.3.0"), "{yaml}");
}
