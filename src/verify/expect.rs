//! Expectations (`expect payments-api -> 10.20.30.7:5432/tcp allow`) checked against the
//! reference evaluator and every target's evaluator.

use super::{Decision, Destination, Evaluator, Flow, Pod, Undecidable};
use crate::check::checked::{Dest, Expectation};
use crate::model::{NamespaceSel, Peer, Proto, Wildcard};

/// Ports checked when an expectation names no port: a deny must hold on all of them.
pub const DEFAULT_PORTS: [(Proto, u16); 3] =
    [(Proto::Tcp, 443), (Proto::Tcp, 80), (Proto::Udp, 53)];

fn destination(t: &Dest, e: &Expectation) -> Destination {
    match &t.peer {
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
        } => Destination::Pod(Pod {
            namespace: match namespace {
                NamespaceSel::Named(n) => n.clone(),
                NamespaceSel::Any => e.namespace.clone(),
            },
            labels: selector.example(),
        }),
    }
}

/// The flows an expectation stands for: one per destination it names (a name such as `metadata`
/// names several) and per port (its first port, or [`DEFAULT_PORTS`] when it names none).
pub fn flows(e: &Expectation) -> Vec<Flow> {
    let source = Pod {
        namespace: e.namespace.clone(),
        labels: e.source.clone(),
    };
    let mut out = Vec::new();
    for t in &e.dests {
        let ports: Vec<(Proto, u16)> = match t.ports {
            Some(r) => vec![(r.proto, r.first)],
            None => DEFAULT_PORTS.to_vec(),
        };
        for (proto, port) in ports {
            out.push(Flow {
                source: source.clone(),
                destination: destination(t, e),
                proto,
                port,
            });
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
