//! Expectations (`expect payments-api -> 10.20.30.7:5432/tcp allow`) checked against the
//! reference evaluator and every target's evaluator.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::universe::{ELSEWHERE, labelled};
use super::{Decision, Destination, Evaluator, Flow, Labels, Pod, Undecidable};
use crate::check::checked::{Dest, Expectation};
use crate::model::{NamespaceSel, Peer, Proto, Wildcard};

/// Ports checked when an expectation names no port: a deny must hold on all of them.
pub const DEFAULT_PORTS: [(Proto, u16); 3] =
    [(Proto::Tcp, 443), (Proto::Tcp, 80), (Proto::Udp, 53)];

/// The destinations an expectation's destination stands for: one for an address, a name or
/// pods; for `any` (every destination) an address of each family and a pod of another
/// namespace, each of which must get the verdict.
fn destinations(t: &Dest, e: &Expectation) -> Vec<Destination> {
    let one = match &t.peer {
        Peer::Net(n) => Destination::Address(n.network()),
        Peer::Host(h) => Destination::Host {
            name: match h.wildcard {
                Wildcard::None => h.base.clone(),
                Wildcard::OneLabel => format!("a.{}", h.base),
                Wildcard::AnyLabels => format!("a.b.{}", h.base),
            },
            address: e.resolving,
        },
        Peer::Pods {
            namespace,
            selector,
        } => {
            let (namespace, ns_labels) = match namespace {
                NamespaceSel::Named(n) => (n.clone(), Labels::new()),
                NamespaceSel::Any => (e.namespace.clone(), Labels::new()),
                NamespaceSel::Labels(sel) => labelled(sel.example()),
            };
            Destination::Pod(Pod {
                ns_labels,
                ..Pod::new(namespace, selector.example())
            })
        }
        Peer::ServiceAccount { namespace, name } => Destination::Pod(Pod {
            service_account: name.clone(),
            ..Pod::new(namespace.clone(), Labels::new())
        }),
        Peer::Any => {
            return vec![
                Destination::Address(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7))),
                Destination::Address(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7))),
                Destination::Pod(Pod::new(
                    ELSEWHERE,
                    Labels::from([("app".into(), "any".into())]),
                )),
            ];
        }
    };
    vec![one]
}

/// The flows an expectation stands for: one per destination it names (a name such as `metadata`
/// names several) and per port (its first port, or [`DEFAULT_PORTS`] when it names none).
pub fn flows(e: &Expectation) -> Vec<Flow> {
    let source = Pod::new(e.namespace.clone(), e.source.clone());
    let mut out = Vec::new();
    for t in &e.dests {
        let ports: Vec<(Proto, u16)> = match t.ports {
            Some(r) => vec![(r.proto, r.first)],
            None => DEFAULT_PORTS.to_vec(),
        };
        for destination in destinations(t, e) {
            for (proto, port) in &ports {
                out.push(Flow {
                    source: source.clone(),
                    destination: destination.clone(),
                    proto: *proto,
                    port: *port,
                });
            }
        }
    }
    out
}

/// How one evaluator answered one expectation.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Every flow got the expected verdict; the decision of the first.
    Pass(Decision),
    /// A flow got the other verdict.
    Fail { flow: Flow, decision: Decision },
    /// A flow could not be decided by this target.
    Undecidable { flow: Flow, why: Undecidable },
}

impl Outcome {
    pub fn passed(&self) -> bool {
        matches!(self, Outcome::Pass(_))
    }
}

/// Checks one expectation with one evaluator.
pub fn check(e: &Expectation, evaluator: &dyn Evaluator) -> Outcome {
    let mut first = None;
    for flow in flows(e) {
        match evaluator.decide(&flow) {
            Ok(d) if d.allowed == e.allow => {
                first.get_or_insert(d);
            }
            Ok(d) => return Outcome::Fail { flow, decision: d },
            Err(why) => return Outcome::Undecidable { flow, why },
        }
    }
    match first {
        Some(d) => Outcome::Pass(d),
        None => Outcome::Pass(Decision {
            allowed: e.allow,
            rule: None,
            why: "no flow to check".into(),
            closest: None,
            source: None,
        }),
    }
}
