//! Calico's entity rules: `nets`/`notNets`, selector scopes, `notSelector`, ports and protocols.

use super::utils::*;
use crate::model::Proto;
use crate::verify::calico::CalicoEvaluator;
use crate::verify::{Destination, Pod, Undecidable};

#[test]
fn nets_and_not_nets() {
    let yaml = calico_egress(
        "  - action: Allow
    destination:
      nets: [10.0.0.0/8]
      notNets: [10.1.0.0/16, 10.2.3.4]
  - action: Allow
    destination:
      notNets: [0.0.0.0/1]
",
    );
    let m = calico(&yaml);
    let s = pod("p", &[]);
    let d = |dest| decide(&m, &flow(&s, dest, Proto::Tcp, 1));
    assert!(d(addr("10.9.9.9")).allowed);
    let no = d(addr("10.1.2.3"));
    assert!(!no.allowed);
    // Both rules miss on the destination; the first is reported.
    assert_eq!(
        no.closest.as_deref(),
        Some("p/a spec.egress[0]: 10.1.2.3 is in notNets 10.1.0.0/16")
    );
    assert!(!d(addr("10.2.3.4")).allowed);
    assert!(d(addr("200.1.1.1")).allowed); // outside 0.0.0.0/1
    let miss = d(addr("20.1.1.1"));
    assert!(!miss.allowed);
    assert_eq!(
        miss.closest.as_deref(),
        Some("p/a spec.egress[0]: 20.1.1.1 is outside 10.0.0.0/8")
    );
    // A host name matches by the address it resolved to.
    assert!(d(host("db.internal", Some("10.9.9.9"))).allowed);
    // A pod has no modelled address: nets never match it, notNets always do.
    let to_pod = d(Destination::Pod(pod("p", &[])));
    assert!(to_pod.allowed);
    assert_eq!(to_pod.rule.as_deref(), Some("p/a spec.egress[1]"));
    // IPv6 is outside IPv4 ranges.
    assert!(d(addr("2001:db8::1")).allowed);
}

#[test]
fn a_host_without_address_is_undecidable_only_when_nets_decide() {
    let yaml = calico_egress(
        "  - action: Log
    destination:
      nets: [169.254.169.254/32]
  - action: Deny
    protocol: TCP
    destination:
      nets: [169.254.169.254/32]
      ports: [80]
  - action: Allow
    protocol: TCP
",
    );
    let m = CalicoEvaluator::load(&yaml, false).unwrap();
    let s = pod("p", &[]);
    // Port 443: the Deny rule misses on its port whatever the address; the Log rule does not
    // matter; the Allow rule matches.
    assert!(
        decide(
            &m,
            &flow(&s, host("api.example.com", None), Proto::Tcp, 443)
        )
        .allowed
    );
    // Port 80: the Deny rule depends on the address.
    assert_eq!(
        m.decide(&flow(&s, host("api.example.com", None), Proto::Tcp, 80)),
        Err(Undecidable::NeedsAddress {
            host: "api.example.com".into()
        })
    );
    assert!(
        !decide(
            &m,
            &flow(
                &s,
                host("api.example.com", Some("169.254.169.254")),
                Proto::Tcp,
                80
            )
        )
        .allowed
    );
}

#[test]
fn selector_scopes_differ_between_namespaced_and_global_policies() {
    let yaml = "\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: a, namespace: p}
spec:
  selector: app == 'a'
  types: [Egress]
  egress:
  - action: Allow
    destination:
      selector: app == 'db'
  - action: Allow
    destination:
      namespaceSelector: projectcalico.org/name == 'kube-system'
      selector: k8s-app == 'kube-dns'
  - action: Allow
    destination:
      namespaceSelector: kubernetes.io/metadata.name == 'mon'
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: g}
spec:
  namespaceSelector: projectcalico.org/name == 'q'
  selector: app == 'a'
  types: [Egress]
  egress:
  - action: Allow
    destination:
      selector: app == 'db'
";
    let m = calico(yaml);
    let p = pod("p", &[("app", "a")]);
    let q = pod("q", &[("app", "a")]);
    let to = |s: &Pod, ns: &str, l: &[(&str, &str)]| {
        decide(&m, &to_pod(s, pod(ns, l), Proto::Tcp, 5432))
    };
    // Namespaced: the selector looks in the policy's own namespace only.
    assert!(to(&p, "p", &[("app", "db")]).allowed);
    let d = to(&p, "other", &[("app", "db")]);
    assert!(!d.allowed);
    assert!(d.closest.unwrap().contains("not in namespace p"));
    assert!(to(&p, "kube-system", &[("k8s-app", "kube-dns")]).allowed);
    let d = to(&p, "kube-public", &[("k8s-app", "kube-dns")]);
    assert!(!d.allowed);
    // A namespaceSelector alone selects every pod of those namespaces.
    assert!(to(&p, "mon", &[]).allowed);
    // Global: the selector looks in every namespace; its namespaceSelector picks the pods
    // it applies to.
    assert!(to(&q, "other", &[("app", "db")]).allowed);
    assert!(!to(&q, "other", &[("app", "web")]).allowed);
    let r = pod("r", &[("app", "a")]);
    assert!(to(&r, "other", &[("app", "web")]).allowed); // no policy selects r
    // Selectors never match addresses.
    let d = decide(&m, &flow(&q, addr("10.0.0.1"), Proto::Tcp, 5432));
    assert!(!d.allowed);
    assert!(d.closest.unwrap().contains("is not a pod"));
}

#[test]
fn not_selector_excludes_only_selected_pods() {
    let yaml = calico_egress(
        "  - action: Allow
    destination:
      notSelector: role == 'secret'
",
    );
    let m = calico(&yaml);
    let s = pod("p", &[]);
    let to = |d| decide(&m, &flow(&s, d, Proto::Tcp, 1)).allowed;
    assert!(!to(Destination::Pod(pod("p", &[("role", "secret")]))));
    assert!(to(Destination::Pod(pod("p", &[("role", "public")]))));
    // Out of the policy's namespace, so not excluded.
    assert!(to(Destination::Pod(pod("o", &[("role", "secret")]))));
    assert!(to(addr("1.1.1.1")));
}

#[test]
fn ports_ranges_and_protocols() {
    let yaml = calico_egress(
        "  - action: Allow
    protocol: TCP
    destination:
      nets: [10.0.0.0/8]
      ports: [443, '8000:8100', \"9000\"]
      notPorts: ['8050:8059']
  - action: Allow
    protocol: sctp
    notProtocol: UDP
",
    );
    let m = calico(&yaml);
    let s = pod("p", &[]);
    let at = |proto, port| decide(&m, &flow(&s, addr("10.0.0.1"), proto, port));
    assert!(at(Proto::Tcp, 443).allowed);
    assert!(at(Proto::Tcp, 8000).allowed);
    assert!(at(Proto::Tcp, 8100).allowed);
    assert!(at(Proto::Tcp, 9000).allowed);
    assert!(at(Proto::Sctp, 1).allowed);
    let d = at(Proto::Tcp, 8055);
    assert!(!d.allowed);
    assert_eq!(
        d.closest.as_deref(),
        Some(
            "p/a spec.egress[0]: 10.0.0.1 is in 10.0.0.0/8, but tcp/8055 is in notPorts 8050:8059"
        )
    );
    let d = at(Proto::Tcp, 8101);
    assert_eq!(
        d.closest.as_deref(),
        Some(
            "p/a spec.egress[0]: 10.0.0.1 is in 10.0.0.0/8, but tcp/8101 is not in ports 443, 8000:8100, 9000"
        )
    );
    assert!(!at(Proto::Udp, 443).allowed);
}

/// §networkset, §globalnetworkset: a selector also matches the addresses of the network sets it
/// selects in its scope: NetworkSets of the policy's namespace, GlobalNetworkSets through
/// `global()` (read when importing, the only reader that takes sets).
#[test]
fn selectors_match_network_sets_in_scope() {
    let yaml = calico_egress(
        "  - action: Allow
    destination:
      selector: role == 'partner'
  - action: Allow
    destination:
      selector: role == 'db'
      namespaceSelector: global()
",
    ) + "---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata: {name: partners, namespace: p, labels: {role: partner}}
spec: {nets: [192.0.2.0/24]}
---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata: {name: others, namespace: q, labels: {role: partner}}
spec: {nets: [198.51.100.0/24]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: dbs, labels: {role: db}}
spec: {nets: [203.0.113.0/24]}
";
    let docs = crate::verify::yaml::parse(&yaml).unwrap();
    let reader = crate::verify::cursor::Reader::new(crate::verify::cursor::Mode::Import);
    let m =
        CalicoEvaluator::new(crate::verify::calico::read::tiers(&docs, &reader, false).unwrap());
    let s = pod("p", &[]);
    let d = |a| decide(&m, &flow(&s, addr(a), Proto::Tcp, 1)).allowed;
    assert!(d("192.0.2.9"));
    assert!(!d("198.51.100.9"), "a NetworkSet of another namespace");
    assert!(d("203.0.113.9"));
    assert!(!d("8.8.8.8"));
    // The selectors still match pods.
    assert!(
        decide(
            &m,
            &to_pod(&s, pod("p", &[("role", "partner")]), Proto::Tcp, 1)
        )
        .allowed
    );
}
