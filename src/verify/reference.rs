//! The reference evaluator: the meaning of the source, decided on the IR.
//!
//! - A cluster-wide guardrail's deny applies to the pods of its subject (every pod unless the
//!   statement narrows it) and wins over any allow.
//! - A cluster-wide allow-list selects the pods of its subject in every namespace it chooses,
//!   as a namespaced policy selects pods of its namespace: one union with them.
//! - A host allow-list selects the nodes whose labels match, for their own traffic: one union
//!   with the other host allow-lists; no pod policy or guardrail selects a node, and no host
//!   allow-list selects a pod.
//! - A reserved allow-list selects the endpoints of its reserved identity (`init`, `health`),
//!   which nothing else selects.
//! - A pod (or node, or reserved endpoint) that no policy selects is not isolated: everything is allowed.
//! - A pod that some policies select may reach what any of them allows (a union), except what
//!   any of them denies (a deny of a policy applies to all egress of the pods it selects).
//! - Address rules match addresses outside the cluster, never pods or nodes (nor the API
//!   server on a node); a host name matches host rules by name and address rules by the
//!   address it resolved to; `any` matches every destination.
//! - `kube-apiserver` matches the API server wherever it runs; `nodes`, `this-node` and
//!   `other-nodes` match nodes by whether the sending pod runs on them (the API server on a
//!   node is at that node's address); `cluster` matches every pod, node and the API server.
//! - `service(NS/NAME)` matches the endpoints of the Service on the ports it forwards to.
//! - A TLS allowance matches the TLS connections to its peer whose ClientHello names a server
//!   one of its names matches (no server name matches none), and nothing else.
//! - A DNS allowance for some names (`dns(name = ...)`, `strict-dns`) matches what its peer
//!   matches, except the DNS lookups of other names.
//! - An HTTP allowance matches the HTTP requests to its peer that its method, path (without
//!   the query string) and `Host` header (as sent) match, and nothing else.
//! - Pods match a pod peer when their namespace is the peer's (by name, any, or by the
//!   namespace's labels) and their labels meet its selector.
//! - Pods of another cluster of the mesh match only `any` and the pods destinations naming
//!   their cluster (`pods(NS, cluster = NAME){...}`); every other destination is of the
//!   cluster the policies are applied in.

use super::closest::{Closest, Miss, Near};
use super::{ApiServer, Decision, Destination, Evaluator, Flow, Node, Undecidable};
use crate::ir::{self, Rule};
use crate::model::{Peer, PortSet};
use crate::source::Span;

/// Decides flows by the IR.
pub struct Reference<'a> {
    program: &'a ir::Program,
}

impl<'a> Reference<'a> {
    pub fn new(program: &'a ir::Program) -> Reference<'a> {
        Reference { program }
    }
}

/// Why `peer` does not match the flow's destination (and, for an HTTP allowance, its
/// request), or `None` when it does.
fn flow_miss(peer: &Peer, flow: &Flow) -> Option<String> {
    match peer {
        // An HTTP allowance: its peer, and only HTTP requests it matches (the path without
        // the query string; a flow that is no HTTP request never matches).
        Peer::Http { peer, http } => {
            peer_miss(peer, flow).or_else(|| match &flow.http {
                None => Some(format!(
                    "the flow is not an HTTP request, and {peer} is allowed for HTTP requests only"
                )),
                Some(r) if http.matches(&r.method, r.path(), &r.host, &r.headers) => None,
                Some(r) => Some(format!("{r} does not match {http}")),
            })
        }
        // A TLS allowance: its peer, and only TLS connections whose ClientHello names a
        // server one of its names matches.
        Peer::Tls { peer, names } => peer_miss(peer, flow).or_else(|| {
            let shown = || {
                let all: Vec<String> = names.iter().map(ToString::to_string).collect();
                all.join(", ")
            };
            match flow.tls.as_ref().map(|h| h.server_name.as_deref()) {
                None => Some(format!(
                    "the flow is not a TLS connection, and {peer} is allowed for TLS connections only"
                )),
                Some(None) => Some(format!(
                    "the connection sends no server name, and {peer} is allowed for server names {} only",
                    shown()
                )),
                Some(Some(n)) if names.iter().any(|p| p.matches(n)) => None,
                Some(Some(n)) => Some(format!("server name {n} does not match {}", shown())),
            }
        }),
        // A DNS allowance for some names: its peer, and of the DNS lookups only those of a
        // name one of its names matches (what carries no lookup passes as the peer's).
        Peer::Dns { peer, names } => peer_miss(peer, flow).or_else(|| {
            let l = flow.dns.as_ref()?;
            if names.iter().any(|p| p.matches(&l.name)) {
                return None;
            }
            let all: Vec<String> = names.iter().map(ToString::to_string).collect();
            Some(format!(
                "{l} is refused: {peer} answers lookups of {} only",
                all.join(", ")
            ))
        }),
        _ => peer_miss(peer, flow),
    }
}

/// How a peer (not an HTTP or TLS allowance) decides a flow by the cluster of its destination
/// pod: `Some(Some(why))` when the clusters differ, `Some(None)` for pods of another cluster
/// that `peer` takes in, and `None` when the rest of the flow decides.
fn cluster_miss(peer: &Peer, flow: &Flow) -> Option<Option<String>> {
    let remote = flow.remote_cluster();
    match (peer, remote) {
        (Peer::Any, _) => None,
        (
            Peer::RemotePods {
                cluster,
                namespace,
                selector,
            },
            Some(c),
        ) => {
            let Destination::Pod(p) = &flow.destination else {
                return None;
            };
            Some(if c != cluster {
                Some(format!("{p} runs in cluster {c}, not {cluster}"))
            } else if !namespace.matches(&p.namespace, &p.namespace_labels()) {
                Some(format!("{p} is not in namespace {namespace}"))
            } else if !selector.matches(&p.labels) {
                Some(format!("{p} does not match {selector}"))
            } else {
                None
            })
        }
        (Peer::RemotePods { cluster, .. }, None) => Some(Some(format!(
            "{} is not a pod of cluster {cluster}",
            flow.destination
        ))),
        (peer, Some(c)) => Some(Some(format!(
            "{} runs in another cluster ({c}), and {peer} is of this cluster",
            flow.destination
        ))),
        (_, None) => None,
    }
}

/// Why `peer` does not match the destination, or `None` when it does.
fn peer_miss(peer: &Peer, flow: &Flow) -> Option<String> {
    if let Some(miss) = cluster_miss(peer, flow) {
        return miss;
    }
    let dest = &flow.destination;
    match (peer, dest) {
        (Peer::Net(n), Destination::Address(a))
        | (
            Peer::Net(n),
            Destination::Host {
                address: Some(a), ..
            },
        ) => (!n.contains(a)).then(|| format!("{a} is outside {n}")),
        (
            Peer::Net(n),
            Destination::Host {
                name,
                address: None,
            },
        ) => Some(format!("{name} has no known address to match {n}")),
        (Peer::Host(h), Destination::Host { name, .. }) => {
            (!h.matches(name)).then(|| format!("{name} does not match {h}"))
        }
        (
            Peer::Pods {
                namespace,
                selector,
            },
            Destination::Pod(p),
        ) => {
            let ns_ok = namespace.matches(&p.namespace, &p.namespace_labels());
            if !ns_ok {
                Some(format!("{p} is not in namespace {namespace}"))
            } else if !selector.matches(&p.labels) {
                Some(format!("{p} does not match {selector}"))
            } else {
                None
            }
        }
        // `any`: every destination, a host name without a known address included.
        (Peer::Any, _) => None,
        // A Service: its endpoints, on the ports it forwards to.
        (Peer::Service { namespace, name }, Destination::Pod(p)) => match &p.endpoint_of {
            _ if p.namespace != *namespace => Some(format!("{p} is not in namespace {namespace}")),
            Some(e) if e.service == *name && e.on_port => None,
            Some(e) if e.service == *name => Some(format!(
                "{p}: the flow's port is not one the Service forwards to"
            )),
            _ => Some(format!("{p} is not an endpoint of {peer}")),
        },
        (Peer::ServiceAccount { namespace, name }, Destination::Pod(p)) => {
            if p.namespace != *namespace {
                Some(format!("{p} is not in namespace {namespace}"))
            } else if p.service_account != *name {
                Some(format!(
                    "{p} runs as service account {}, not {name}",
                    p.service_account
                ))
            } else {
                None
            }
        }
        // The API server at every endpoint address, on a node or outside the cluster.
        (Peer::ApiServer, Destination::ApiServer(_)) => None,
        // Nodes by where the sending pod runs; the API server on a node is at that node's
        // address.
        (Peer::Nodes(which), Destination::Node(Node { this, .. }))
        | (
            Peer::Nodes(which),
            Destination::ApiServer(ApiServer {
                on_node: Some(this),
                ..
            }),
        ) => (!which.includes(*this)).then(|| {
            let d = if *this { "this node" } else { "another node" };
            format!("{dest} is on {d}, not in {peer}")
        }),
        // Every pod, node and the API server (wherever it runs).
        (Peer::Cluster, Destination::Pod(_) | Destination::Node(_) | Destination::ApiServer(_)) => {
            None
        }
        // An address range is the addresses in it outside the cluster: not pods, not nodes
        // (nor the API server running on one).
        (Peer::Net(n), d) if d.in_cluster() => Some(format!(
            "{d} is in the cluster, and address rules like {n} match only addresses outside it"
        )),
        (Peer::Net(n), Destination::ApiServer(s)) => {
            (!n.contains(&s.address)).then(|| format!("{} is outside {n}", s.address))
        }
        (peer, dest) => Some(format!("{dest} is not {peer}")),
    }
}

/// `payments/api-egress`, or a cluster-wide policy's name alone.
fn qualified(p: &ir::Policy) -> String {
    match p.home() {
        Some(ns) => format!("{ns}/{}", p.name),
        None => p.name.clone(),
    }
}

fn port_miss(ports: &PortSet, flow: &Flow) -> Option<String> {
    (!ports.contains(flow.proto, flow.port)).then(|| format!("{} is not in {ports}", flow.packet()))
}

/// Why the first peer of `rule` that matches the flow matches it, and the source of that peer;
/// or the closest miss (peer matched but the port did not counts as closer than a peer that did
/// not match).
fn matches(rule: &Rule, flow: &Flow) -> Result<(String, Span), Miss> {
    let mut best = Closest::default();
    for peer in &rule.peers {
        let miss = match (flow_miss(peer, flow), port_miss(&rule.ports, flow)) {
            (None, None) => {
                let why = format!("{} matches {peer} on {}", flow.destination, rule.ports);
                return Ok((why, rule.origin_of(peer)));
            }
            (None, Some(p)) => Miss::new(Near::Port, format!("{peer} matches, but {p}")),
            (Some(m), _) => Miss::new(Near::Elsewhere, m),
        };
        best.offer(miss);
    }
    Err(best
        .into_miss()
        .unwrap_or_else(|| Miss::new(Near::Nothing, "the rule has no peers")))
}

impl Evaluator for Reference<'_> {
    fn decide(&self, flow: &Flow) -> Result<Decision, Undecidable> {
        let source = &flow.source;
        let ns_labels = source.namespace_labels();
        let selects = |s: &crate::model::Subject| {
            source.is_pod() && s.matches(&source.namespace, &ns_labels, &source.labels)
        };
        for g in self
            .program
            .guardrails
            .iter()
            .filter(|g| selects(&g.subject))
        {
            for (i, r) in g.deny.iter().enumerate() {
                if let Ok((why, source)) = matches(r, flow) {
                    return Ok(Decision {
                        source: Some(source),
                        ..Decision::by_rule(false, format!("guardrail {} deny[{i}]", g.name), why)
                    });
                }
            }
        }
        let selecting: Vec<&ir::Policy> = self
            .program
            .policies
            .iter()
            .filter(|p| {
                source.is_pod()
                    && p.namespace == flow.source.namespace
                    && p.selector.matches(&flow.source.labels)
            })
            .chain(
                self.program
                    .cluster_policies
                    .iter()
                    .filter(|c| selects(&c.subject))
                    .map(|c| &c.policy),
            )
            .chain(
                self.program
                    .host_policies
                    .iter()
                    .filter(|h| source.host && h.policy.selector.matches(&source.labels))
                    .map(|h| &h.policy),
            )
            .chain(
                self.program
                    .reserved_policies
                    .iter()
                    .filter(|r| source.reserved == Some(r.identity))
                    .map(|r| &r.policy),
            )
            .collect();
        if selecting.is_empty() {
            return Ok(Decision::by_default(
                true,
                format!(
                    "no policy selects {}: its egress is not isolated",
                    flow.source
                ),
            ));
        }
        for p in &selecting {
            for (i, r) in p.deny.iter().enumerate() {
                if let Ok((why, source)) = matches(r, flow) {
                    return Ok(Decision {
                        source: Some(source),
                        ..Decision::by_rule(false, format!("{} deny[{i}]", qualified(p)), why)
                    });
                }
            }
        }
        let mut closest = Closest::default();
        for p in &selecting {
            for (i, r) in p.allow.iter().enumerate() {
                match matches(r, flow) {
                    Ok((why, source)) => {
                        return Ok(Decision {
                            source: Some(source),
                            ..Decision::by_rule(true, format!("{} allow[{i}]", qualified(p)), why)
                        });
                    }
                    Err(miss) => closest.offer_with(miss.near, || {
                        format!("{} allow[{i}]: {}", qualified(p), miss.why)
                    }),
                }
            }
        }
        let names: Vec<String> = selecting.iter().map(|p| qualified(p)).collect();
        Ok(Decision {
            closest: closest.into_why(),
            ..Decision::by_default(false, format!("no rule of {} allows it", names.join(", ")))
        })
    }
}
