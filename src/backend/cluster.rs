//! The destinations inside the cluster (`kube-apiserver`, `nodes`, `cluster`) on targets that
//! have no name for them (native NetworkPolicy, Calico): written as the addresses the program
//! declares (`set apiserver`, `set node-cidrs`) and, for `cluster`, every pod of every
//! namespace. Undeclared, they are refused (E0522); `this-node` and `other-nodes` are refused
//! everywhere but Cilium (E0523), since the nodes' addresses do not say which node a pod runs
//! on.
//!
//! The addresses fall in two kinds, which stay apart because the language's address ranges
//! mean addresses outside the cluster: the nodes' (node ranges, the API server on a node),
//! which an address range never reaches, and the API server's outside the cluster (a managed
//! control plane), which an address range holding it does reach.

use ipnet::IpNet;

use super::{Target, target_title};
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::ir;
use crate::model::{ClusterFacts, NamespaceSel, Nodes, Peer};

/// What a destination inside the cluster stands for on a target that names it by address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct ByAddress {
    /// Addresses outside every declared cluster range: the API server outside the cluster.
    pub outside: Vec<IpNet>,
    /// The nodes' addresses: node ranges, the API server on a node.
    pub nodes: Vec<IpNet>,
    /// Every pod of every namespace.
    pub pods: bool,
}

/// The peer for every pod of every namespace.
pub(super) fn every_pod() -> Peer {
    Peer::Pods {
        namespace: NamespaceSel::Any,
        selector: Default::default(),
    }
}

/// Whether an API server address is on a node (in a declared node range); E0717 guarantees
/// that it is otherwise outside every cluster range.
fn on_node(net: &IpNet, facts: &ClusterFacts) -> bool {
    facts.nodes.iter().any(|n| n.contains(net))
}

/// What `peer` stands for by address, from the declared facts; `None` for the peers a target
/// writes as they are (address ranges, host names, pods, `any`).
pub(super) fn by_address(peer: &Peer, facts: &ClusterFacts) -> Option<ByAddress> {
    let (on, off): (Vec<IpNet>, Vec<IpNet>) =
        facts.apiserver.iter().partition(|a| on_node(a, facts));
    match peer {
        Peer::ApiServer => Some(ByAddress {
            outside: off,
            nodes: on,
            pods: false,
        }),
        // `this-node` and `other-nodes` are refused before (E0523).
        Peer::Nodes(_) => Some(ByAddress {
            nodes: facts.nodes.clone(),
            ..Default::default()
        }),
        // The API server on a node is in the node ranges.
        Peer::Cluster => Some(ByAddress {
            outside: off,
            nodes: facts.nodes.clone(),
            pods: true,
        }),
        _ => None,
    }
}

/// E0522 for each destination inside the cluster whose facts are undeclared, E0523 for each
/// `this-node` and `other-nodes`: what `target` (native or Calico) cannot write.
pub(super) fn refusals<'a>(
    rules: impl IntoIterator<Item = &'a ir::Rule>,
    facts: &ClusterFacts,
    target: Target,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let mut seen = std::collections::BTreeSet::new();
    for r in rules {
        for p in &r.peers {
            if !matches!(p, Peer::Nodes(_) | Peer::ApiServer | Peer::Cluster) {
                continue;
            }
            let span = r.origin_of(p);
            if !seen.insert((span, p.clone())) {
                continue;
            }
            if let Peer::Nodes(which @ (Nodes::This | Nodes::Others)) = p {
                diags.push(
                    Diagnostic::new(
                        Code::E0523,
                        span,
                        format!("`{p}` cannot be expressed in {}", target_title(target)),
                    )
                    .label(if *which == Nodes::This {
                        "the node the pod runs on"
                    } else {
                        "every node but the one the pod runs on"
                    })
                    .note(format!(
                        "{} matches nodes by address, and one policy holds for pods on every node",
                        target_title(target)
                    ))
                    .help("write `nodes` for every node, or build with `--target cilium`, whose `host` and `remote-node` entities tell them apart"),
                );
                continue;
            }
            let missing: Vec<&str> = match p {
                Peer::ApiServer => vec!["apiserver"],
                Peer::Nodes(_) => vec!["node-cidrs"],
                Peer::Cluster => vec!["node-cidrs", "apiserver"],
                _ => continue,
            }
            .into_iter()
            .filter(|fact| match *fact {
                "apiserver" => facts.apiserver.is_empty(),
                _ => facts.nodes.is_empty(),
            })
            .collect();
            if missing.is_empty() {
                continue;
            }
            let sets: Vec<&str> = missing
                .iter()
                .map(|f| match *f {
                    "apiserver" => "`set apiserver = 10.0.0.10` (the endpoints of the `kubernetes` Service in `default`)",
                    _ => "`set node-cidrs = 10.0.0.0/16` (the nodes' addresses)",
                })
                .collect();
            let entity = match p {
                Peer::ApiServer => "kube-apiserver",
                Peer::Nodes(_) => "host, remote-node",
                _ => "cluster",
            };
            diags.push(
                Diagnostic::new(
                    Code::E0522,
                    span,
                    format!(
                        "`{p}` needs {} declared on {}",
                        missing
                            .iter()
                            .map(|f| format!("`{f}`"))
                            .collect::<Vec<_>>()
                            .join(" and "),
                        target_title(target)
                    ),
                )
                .label(format!("written as addresses on {target}"))
                .note(format!(
                    "{} has no name for {}: egressc writes the declared addresses{}",
                    target_title(target),
                    if *p == Peer::ApiServer { "it" } else { "them" },
                    if *p == Peer::Cluster {
                        ", plus every pod"
                    } else {
                        ""
                    }
                ))
                .help(format!(
                    "declare {}, or build with `--target cilium` (`toEntities: [{entity}]`)",
                    sets.join(" and ")
                )),
            );
        }
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_server_is_on_a_node_or_outside() {
        let facts = ClusterFacts {
            nodes: vec!["10.0.0.0/20".parse().unwrap()],
            apiserver: vec![
                "10.0.0.10/32".parse().unwrap(),
                "34.1.2.3/32".parse().unwrap(),
            ],
            ..Default::default()
        };
        let a = by_address(&Peer::ApiServer, &facts).unwrap();
        assert_eq!(a.nodes, vec!["10.0.0.10/32".parse::<IpNet>().unwrap()]);
        assert_eq!(a.outside, vec!["34.1.2.3/32".parse::<IpNet>().unwrap()]);
        let c = by_address(&Peer::Cluster, &facts).unwrap();
        assert!(c.pods);
        assert_eq!(c.nodes, facts.nodes);
        assert_eq!(c.outside, a.outside);
        assert!(by_address(&Peer::Any, &facts).is_none());
    }
}
