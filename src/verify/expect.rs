//! Expectations (`expect payments-api -> 10.20.30.7:5432/tcp allow`) checked against the
//! reference evaluator and every target's evaluator.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::cluster::ClusterModel;
use super::universe::{ELSEWHERE, labelled};
use super::{
    ClientHello, Decision, Destination, Evaluator, Flow, HttpRequest, Labels, Lookup, Pod,
    Undecidable,
};
use crate::check::checked::{Dest, Expectation};
use crate::model::{HostPattern, HttpMatch, LabelSelector, NamespaceSel, Peer, Proto};

/// Ports checked when an expectation names no port: a deny must hold on all of them.
pub const DEFAULT_PORTS: [(Proto, u16); 3] =
    [(Proto::Tcp, 443), (Proto::Tcp, 80), (Proto::Udp, 53)];

/// The destinations an expectation's destination stands for, placed in the program's cluster:
/// an address is whatever the model says is there (an address outside the cluster, a pod's, a
/// node's, the API server's), pods get a pod's address, and `any` (every destination) stands
/// for an address of each family, a pod of another namespace, a node and the API server, each
/// of which must get the verdict.
fn destinations(t: &Dest, e: &Expectation, model: &ClusterModel) -> Vec<Destination> {
    match &t.peer {
        Peer::Net(n) => model.destinations_at(n.network(), &e.namespace),
        Peer::Host(h) => vec![Destination::Host {
            name: h.example(),
            address: e.resolving,
        }],
        Peer::Pods {
            namespace,
            selector,
        } => vec![Destination::Pod(Pod {
            address: model.pod_address(0),
            ..pod_of(namespace, selector, e)
        })],
        // A pod of that cluster, at no address (no address rule matches it).
        Peer::RemotePods {
            cluster,
            namespace,
            selector,
        } => vec![Destination::Pod(Pod {
            cluster: Some(cluster.clone()),
            ..pod_of(namespace, selector, e)
        })],
        // An endpoint of the Service, on a port it forwards to.
        Peer::Service { namespace, name } => vec![Destination::Pod(Pod {
            address: model.pod_address(0),
            endpoint_of: Some(super::Endpoint {
                service: name.clone(),
                on_port: true,
            }),
            ..Pod::new(
                namespace.clone(),
                Labels::from([("app".into(), name.clone())]),
            )
        })],
        Peer::ServiceAccount { namespace, name } => vec![Destination::Pod(Pod {
            service_account: name.clone(),
            address: model.pod_address(0),
            ..Pod::new(namespace.clone(), Labels::new())
        })],
        Peer::ApiServer => model
            .apiservers()
            .into_iter()
            .map(Destination::ApiServer)
            .collect(),
        Peer::Nodes(which) => nodes(model, *which),
        Peer::Cluster => {
            let mut out = nodes(model, crate::model::Nodes::All);
            out.push(Destination::Pod(Pod {
                address: model.pod_address(0),
                ..Pod::new(ELSEWHERE, Labels::from([("app".into(), "any".into())]))
            }));
            out.extend(model.apiservers().into_iter().map(Destination::ApiServer));
            out
        }
        // An HTTP or TLS allowance's destinations are its peer's; the request or the
        // ClientHello goes in the flow.
        Peer::Http { peer, .. } | Peer::Tls { peer, .. } | Peer::Dns { peer, .. } => destinations(
            &Dest {
                peer: (**peer).clone(),
                ..t.clone()
            },
            e,
            model,
        ),
        Peer::Any => {
            let mut out: Vec<Destination> = [
                IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7)),
                IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7)),
            ]
            .into_iter()
            .chain(model.node_address(0))
            .flat_map(|a| model.destinations_at(a, &e.namespace))
            .collect();
            out.push(Destination::Pod(Pod {
                address: model.pod_address(0),
                ..Pod::new(ELSEWHERE, Labels::from([("app".into(), "any".into())]))
            }));
            out.extend(model.apiservers().into_iter().map(Destination::ApiServer));
            out
        }
    }
}

/// A pod an expectation's pods destination names, without an address: in the namespace it
/// names, the expectation's own for `*`, or one carrying the labels `ns{...}` asks for.
fn pod_of(namespace: &NamespaceSel, selector: &LabelSelector, e: &Expectation) -> Pod {
    let (namespace, ns_labels) = match namespace {
        NamespaceSel::Named(n) => (n.clone(), Labels::new()),
        NamespaceSel::Any => (e.namespace.clone(), Labels::new()),
        NamespaceSel::Labels(sel) => labelled(sel.example()),
    };
    Pod {
        ns_labels,
        ..Pod::new(namespace, selector.example())
    }
}

/// A node that is not the API server's, as the nodes `which` holds (this one, another).
fn nodes(model: &ClusterModel, which: crate::model::Nodes) -> Vec<Destination> {
    model
        .node_address(1)
        .into_iter()
        .flat_map(|address| {
            [true, false]
                .into_iter()
                .filter(move |this| which.includes(*this))
                .map(move |this| Destination::Node(super::Node { this, address }))
        })
        .collect()
}

/// A request an HTTP allowance matches (see [`HttpMatch::example`]).
pub(crate) fn request(m: &HttpMatch) -> HttpRequest {
    let (method, target, host) = m.example();
    HttpRequest {
        method,
        target,
        host,
        headers: m.example_headers(),
    }
}

/// A ClientHello a TLS allowance matches: its first name's example (see
/// [`HostPattern::example`]).
pub(crate) fn hello(names: &[HostPattern]) -> ClientHello {
    ClientHello {
        server_name: names.first().map(HostPattern::example),
    }
}

/// The flows an expectation stands for: one per destination it names (a name such as `metadata`
/// names several, a node address both this node and another) and per port (its first port, or
/// [`DEFAULT_PORTS`] when it names none).
pub fn flows(e: &Expectation) -> Vec<Flow> {
    let source = if let Some(r) = e.reserved {
        Pod::reserved(r)
    } else if e.host {
        Pod::host(e.source.clone())
    } else {
        Pod {
            cluster: e.cluster.name.clone(),
            ..Pod::new(e.namespace.clone(), e.source.clone())
        }
    };
    let model = ClusterModel::new(&e.cluster);
    let mut out = Vec::new();
    for t in &e.dests {
        let ports: Vec<(Proto, u16)> = match t.ports {
            Some(r) => vec![(r.proto, r.first)],
            None => DEFAULT_PORTS.to_vec(),
        };
        // A DNS allowance for some names: a lookup of each name's example (see
        // [`HostPattern::example`]); anything else carries no lookup.
        let lookups: Vec<Option<Lookup>> = match &t.peer {
            Peer::Dns { names, .. } => names
                .iter()
                .map(|n| Some(Lookup { name: n.example() }))
                .collect(),
            _ => vec![None],
        };
        for destination in destinations(t, e, &model)
            .into_iter()
            .filter(|d| d.reachable_from(&source))
        {
            for ((proto, port), dns) in ports
                .iter()
                .flat_map(|p| lookups.iter().map(move |l| (p, l)))
            {
                out.push(Flow {
                    source: source.clone(),
                    destination: destination.clone(),
                    proto: *proto,
                    port: *port,
                    http: match &t.peer {
                        Peer::Http { http, .. } => Some(request(http)),
                        _ => None,
                    },
                    tls: match &t.peer {
                        Peer::Tls { names, .. } => Some(hello(names)),
                        _ => None,
                    },
                    dns: dns.clone(),
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
