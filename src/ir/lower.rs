//! Checked program → IR, with normalisation. Lowering a checked program cannot fail: each
//! workload's policy on its own ([`workload`]), then the program around them ([`assemble`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ipnet::IpNet;

use super::{
    ClusterPolicy, Guardrail, HostPolicy, Policy, PolicyKind, Program, ReservedPolicy, Rule,
};
use crate::check::checked::{self, Dest, WorkloadKind};
use crate::model::{LabelSelector, Peer, PortSet};
use crate::source::Span;

/// The policy of one workload: it depends on the workload alone, so that an analysis that
/// kept it from the last one (the language server's) need not lower it again.
pub(crate) fn workload(w: &checked::Workload) -> Policy {
    let kind = match w.kind {
        WorkloadKind::App => PolicyKind::App {
            app: w.name.clone(),
        },
        WorkloadKind::Pods => PolicyKind::Pods {
            name: w.name.clone(),
        },
    };
    Policy {
        namespace: w.namespace.clone(),
        name: format!("{}-egress", w.name),
        kind,
        selector: w.selector.clone(),
        allow: normalise(&w.allow),
        deny: normalise(&w.deny),
        strict_dns: w.strict_dns,
        origin: w.name_span,
    }
}

/// The program's IR from the policies of its workloads (one per workload, in order, as
/// [`workload`] lowers them) and the rest of the checked program.
pub(crate) fn assemble(program: &checked::Program, workloads: Vec<Policy>) -> Program {
    let mut policies = workloads;
    policies.reserve(program.default_denies.len());
    for d in &program.default_denies {
        policies.push(Policy {
            namespace: d.namespace.clone(),
            name: "default-deny-egress".into(),
            kind: PolicyKind::DefaultDeny,
            selector: LabelSelector::default(),
            allow: Vec::new(),
            deny: Vec::new(),
            strict_dns: false,
            origin: d.span,
        });
    }
    policies.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let mut guardrails: Vec<Guardrail> = program
        .guardrails
        .iter()
        .map(|g| Guardrail {
            name: g.name.clone(),
            subject: g.subject.clone(),
            deny: normalise(&g.deny),
            origin: g.span,
        })
        .collect();
    guardrails.sort_by(|a, b| a.name.cmp(&b.name));
    let mut cluster_policies: Vec<ClusterPolicy> = program
        .cluster_workloads
        .iter()
        .map(|w| ClusterPolicy {
            subject: w.subject.clone(),
            policy: Policy {
                namespace: String::new(),
                name: format!("{}-egress", w.name),
                kind: PolicyKind::Cluster {
                    name: w.name.clone(),
                },
                selector: w.subject.selector.clone(),
                allow: normalise(&w.allow),
                deny: normalise(&w.deny),
                strict_dns: w.strict_dns,
                origin: w.name_span,
            },
        })
        .collect();
    cluster_policies.sort_by(|a, b| a.policy.name.cmp(&b.policy.name));
    let mut host_policies: Vec<HostPolicy> = program
        .host_workloads
        .iter()
        .map(|w| HostPolicy {
            policy: Policy {
                namespace: String::new(),
                name: format!("{}-egress", w.name),
                kind: PolicyKind::Host {
                    name: w.name.clone(),
                },
                selector: w.nodes.clone(),
                allow: normalise(&w.allow),
                deny: normalise(&w.deny),
                strict_dns: w.strict_dns,
                origin: w.name_span,
            },
        })
        .collect();
    host_policies.sort_by(|a, b| a.policy.name.cmp(&b.policy.name));
    let mut reserved_policies: Vec<ReservedPolicy> = program
        .reserved_workloads
        .iter()
        .map(|w| ReservedPolicy {
            identity: w.identity,
            policy: Policy {
                namespace: String::new(),
                name: format!("{}-egress", w.identity.name()),
                kind: PolicyKind::Reserved {
                    identity: w.identity,
                },
                selector: LabelSelector::default(),
                allow: normalise(&w.allow),
                deny: normalise(&w.deny),
                strict_dns: w.strict_dns,
                origin: w.name_span,
            },
        })
        .collect();
    reserved_policies.sort_by_key(|r| r.identity);
    Program {
        policies,
        guardrails,
        cluster_policies,
        host_policies,
        reserved_policies,
        cluster: program.cluster.clone(),
        dns_server: program.dns_server.clone(),
    }
}

/// The peers of one port set, every origin, and where each peer was first written.
type Group = (Vec<Peer>, Vec<Span>, Vec<(Peer, Span)>);

/// Merges ports per peer, drops CIDRs covered by a wider CIDR with at least the same ports,
/// groups peers with equal port sets into one rule and aggregates their CIDRs.
pub fn normalise(dests: &[Dest]) -> Vec<Rule> {
    // 1. Ports merged per peer.
    let mut per_peer: BTreeMap<Peer, (PortSet, Vec<Span>)> = BTreeMap::new();
    for t in dests {
        let ports = match t.ports {
            None => PortSet::All,
            Some(r) => PortSet::from_ranges(vec![r]),
        };
        let entry = per_peer
            .entry(t.peer.clone())
            .or_insert_with(|| (PortSet::Ranges(Vec::new()), Vec::new()));
        entry.0 = entry.0.union(&ports);
        entry.1.push(t.origin);
    }
    // 2. A CIDR inside a wider CIDR whose ports cover its own adds nothing.
    let nets: Vec<(IpNet, PortSet)> = per_peer
        .iter()
        .filter_map(|(p, (ports, _))| match p {
            Peer::Net(n) => Some((*n, ports.clone())),
            _ => None,
        })
        .collect();
    let mut supernets = Supernets {
        at: HashMap::with_capacity(nets.len()),
        lengths: BTreeSet::new(),
    };
    for (i, (net, _)) in nets.iter().enumerate() {
        supernets.at.entry(net.trunc()).or_default().push(i);
        supernets.lengths.insert((is_v6(net), net.prefix_len()));
    }
    let mut absorbed: Vec<(Peer, Peer)> = Vec::new();
    for (inner, inner_ports) in &nets {
        if let Some(outer) = narrowest_cover(&nets, &supernets, *inner, inner_ports) {
            absorbed.push((Peer::Net(*inner), Peer::Net(outer)));
        }
    }
    for (inner, outer) in absorbed {
        if let Some((_, spans)) = per_peer.remove(&inner)
            && let Some(entry) = per_peer.get_mut(&outer)
        {
            entry.1.extend(spans);
        }
    }
    // 3. Peers grouped by port set; CIDRs of a group aggregated.
    let mut groups: BTreeMap<PortSet, Group> = BTreeMap::new();
    for (peer, (ports, mut spans)) in per_peer {
        spans.sort();
        let g = groups.entry(ports).or_default();
        if let Some(first) = spans.first() {
            g.2.push((peer.clone(), *first));
        }
        g.0.push(peer);
        g.1.extend(spans);
    }
    let mut rules: Vec<Rule> = groups
        .into_iter()
        .map(|(ports, (peers, mut origins, peer_origins))| {
            origins.sort();
            origins.dedup();
            Rule {
                peers: aggregate(peers),
                ports,
                origins,
                peer_origins: peer_origins.into_iter().collect(),
            }
        })
        .collect();
    // Rules in the order the user first wrote them.
    rules.sort_by(|a, b| (a.origins.first(), &a.ports).cmp(&(b.origins.first(), &b.ports)));
    rules
}

/// The ranges of a list by network (their positions in the list), and the prefix lengths
/// the list holds, per family (IPv6 or not).
struct Supernets {
    at: HashMap<IpNet, Vec<usize>>,
    lengths: BTreeSet<(bool, u8)>,
}

fn is_v6(net: &IpNet) -> bool {
    matches!(net, IpNet::V6(_))
}

/// The narrowest range of `nets` other than `inner` that holds it with ports covering
/// `inner_ports`, the first in `nets` order among equally narrow ones. Only the supernets of
/// `inner` of a length the list holds can hold it: at most 33 (IPv4) or 129 (IPv6) lookups,
/// a few in practice, never a scan of `nets`.
fn narrowest_cover(
    nets: &[(IpNet, PortSet)],
    supernets: &Supernets,
    inner: IpNet,
    inner_ports: &PortSet,
) -> Option<IpNet> {
    let v6 = is_v6(&inner);
    let lengths = supernets.lengths.range((v6, 0)..=(v6, inner.prefix_len()));
    lengths.rev().find_map(|(_, len)| {
        let wider = IpNet::new(inner.network(), *len).ok()?.trunc();
        supernets
            .at
            .get(&wider)?
            .iter()
            .filter_map(|i| nets.get(*i))
            .find(|(outer, ports)| {
                *outer != inner && outer.contains(&inner) && ports.covers(inner_ports)
            })
            .map(|(outer, _)| *outer)
    })
}

/// Aggregates the CIDRs of a peer list (adjacent and nested ranges merged); other peers kept.
fn aggregate(peers: Vec<Peer>) -> Vec<Peer> {
    let nets: Vec<IpNet> = peers
        .iter()
        .filter_map(|p| match p {
            Peer::Net(n) => Some(*n),
            _ => None,
        })
        .collect();
    let mut out: Vec<Peer> = IpNet::aggregate(&nets).into_iter().map(Peer::Net).collect();
    out.extend(peers.into_iter().filter(|p| !matches!(p, Peer::Net(_))));
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PortRange, Proto};

    fn t(peer: &str, ports: Option<(u16, u16)>) -> Dest {
        Dest {
            peer: Peer::Net(peer.parse().unwrap()),
            ports: ports.map(|(first, last)| PortRange {
                proto: Proto::Tcp,
                first,
                last,
            }),
            origin: Span::default(),
        }
    }

    /// [`t`] written at byte `at`.
    fn t_at(at: usize, peer: &str, ports: Option<(u16, u16)>) -> Dest {
        Dest {
            origin: Span::new(crate::source::FileId(0), at, at + 1),
            ..t(peer, ports)
        }
    }

    #[test]
    fn merges_adjacent_and_nested_cidrs() {
        let rules = normalise(&[
            t("10.0.0.0/25", Some((80, 80))),
            t("10.0.0.128/25", Some((80, 80))),
            t("10.0.0.7/32", Some((80, 80))),
            t("10.9.0.0/16", None),
            t("10.9.3.0/24", Some((443, 443))),
        ]);
        let shown: Vec<String> = rules
            .iter()
            .map(|r| {
                let peers: Vec<String> = r.peers.iter().map(ToString::to_string).collect();
                format!("{} {}", peers.join(","), r.ports)
            })
            .collect();
        // Equal origins: ordered by port set, every port first.
        assert_eq!(shown, vec!["10.9.0.0/16 any port", "10.0.0.0/24 tcp/80"]);
    }

    /// The narrowest covering range absorbs a range, whatever the order they are written in;
    /// a wider range whose ports do not cover it does not.
    #[test]
    fn absorbs_into_the_narrowest_covering_range() {
        let rules = normalise(&[
            t_at(0, "10.0.0.0/8", Some((443, 443))),
            t_at(1, "10.1.2.3/32", Some((443, 443))),
            t_at(2, "10.1.0.0/16", Some((80, 443))),
            t_at(3, "10.1.2.0/24", Some((8080, 8080))),
        ]);
        let r = rules
            .iter()
            .find(|r| r.peers.iter().any(|p| p.to_string() == "10.1.0.0/16"))
            .unwrap();
        // `10.1.2.3/32` went to the /16 (the narrowest range covering port 443), not the /8.
        assert_eq!(r.origins.len(), 2);
        assert_eq!(rules.len(), 3);
    }

    /// 8,000 ranges nested in one /8, each with its own port and half of them covered by a
    /// wider range of the list: lowered through supernet lookups (this took seconds when every
    /// range was compared with every other).
    #[test]
    fn nested_ranges_are_absorbed_without_comparing_every_pair() {
        let mut dests = vec![t_at(0, "10.0.0.0/8", Some((1, 1000)))];
        for i in 0..8_000u16 {
            let net = format!("10.{}.{}.0/24", i / 256, i % 256);
            let port = 1 + i % 2000;
            dests.push(t_at(usize::from(i) + 1, &net, Some((port, port))));
        }
        let rules = normalise(&dests);
        let peers: usize = rules.iter().map(|r| r.peers.len()).sum();
        // Ports 1-1000 are covered by the /8: 4,000 ranges absorbed. The other 4,000 keep
        // their own rules (one per port, their ranges aggregated).
        let wide = rules
            .iter()
            .find(|r| r.peers.iter().any(|p| p.to_string() == "10.0.0.0/8"))
            .unwrap();
        assert_eq!(wide.origins.len(), 4_001);
        assert_eq!(rules.len(), 1_001);
        assert!(peers >= 1_001);
    }

    #[test]
    fn merges_ports_per_peer() {
        let rules = normalise(&[
            t("10.0.0.0/8", Some((80, 80))),
            t("10.0.0.0/8", Some((81, 90))),
        ]);
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].ports.to_string(), "tcp/80-90");
    }
}
