//! Checked program → IR, with normalisation. Lowering a checked program cannot fail: each
//! workload's policy on its own ([`workload`]), then the program around them ([`assemble`]).

use std::collections::{BTreeSet, HashMap};

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

/// One peer of a list with its ports merged and every origin, borrowed from the checked
/// destinations; `None` once a wider range absorbed it.
type Merged<'a> = Option<(&'a Peer, PortSet, Vec<Span>)>;

/// Merges ports per peer, drops CIDRs covered by a wider CIDR with at least the same ports,
/// groups peers with equal port sets into one rule and aggregates their CIDRs.
///
/// The destinations are borrowed throughout and sorted in place of trees: each peer is copied
/// once, into its rule.
pub fn normalise(dests: &[Dest]) -> Vec<Rule> {
    // 1. Ports merged per peer, peers in order (stable: one peer's destinations in list order).
    let mut order: Vec<&Dest> = dests.iter().collect();
    order.sort_by(|a, b| a.peer.cmp(&b.peer));
    let mut per_peer: Vec<Merged<'_>> = Vec::with_capacity(order.len());
    let mut run = 0;
    while let Some(first) = order.get(run) {
        let same = order
            .get(run..)
            .unwrap_or_default()
            .iter()
            .take_while(|t| t.peer == first.peer)
            .count();
        let ts = order.get(run..run + same).unwrap_or_default();
        run += same;
        // The union of the destinations' ports: every port if one has no port.
        let ranges: Option<Vec<_>> = ts.iter().map(|t| t.ports).collect();
        let ports = ranges.map_or(PortSet::All, PortSet::from_ranges);
        per_peer.push(Some((
            &first.peer,
            ports,
            ts.iter().map(|t| t.origin).collect(),
        )));
    }
    // 2. A CIDR inside a wider CIDR whose ports cover its own adds nothing.
    let nets: Vec<(IpNet, &PortSet, usize)> = per_peer
        .iter()
        .enumerate()
        .filter_map(|(i, m)| match m {
            Some((Peer::Net(n), ports, _)) => Some((*n, ports, i)),
            _ => None,
        })
        .collect();
    let absorbed: Vec<(usize, usize)> = covers(&nets);
    for (inner, outer) in absorbed {
        if let Some((_, _, spans)) = per_peer.get_mut(inner).and_then(Option::take)
            && let Some(Some((_, _, outer))) = per_peer.get_mut(outer)
        {
            outer.extend(spans);
        }
    }
    // 3. Peers grouped by port set (stable: a group's peers in order); CIDRs of a group
    // aggregated.
    let mut kept: Vec<(&Peer, PortSet, Vec<Span>)> = per_peer.into_iter().flatten().collect();
    kept.sort_by(|a, b| a.1.cmp(&b.1));
    let groups = 1 + kept
        .windows(2)
        .filter(|w| matches!(w, [a, b] if a.1 != b.1))
        .count();
    let mut rules: Vec<Rule> = Vec::with_capacity(groups.min(kept.len()));
    let mut kept = kept.into_iter().peekable();
    while let Some((peer, ports, spans)) = kept.next() {
        let mut members = vec![(peer, spans)];
        while let Some((peer, _, spans)) = kept.next_if(|(_, p, _)| *p == ports) {
            members.push((peer, spans));
        }
        rules.push(rule(ports, members));
    }
    // Rules in the order the user first wrote them.
    rules.sort_by(|a, b| (a.origins.first(), &a.ports).cmp(&(b.origins.first(), &b.ports)));
    rules
}

/// The rule of the peers of one port set, in order, each with its origins.
fn rule(ports: PortSet, mut members: Vec<(&Peer, Vec<Span>)>) -> Rule {
    for (_, spans) in &mut members {
        spans.sort();
    }
    let mut origins: Vec<Span> = Vec::with_capacity(members.iter().map(|(_, s)| s.len()).sum());
    origins.extend(members.iter().flat_map(|(_, s)| s).copied());
    origins.sort();
    origins.dedup();
    origins.shrink_to_fit();
    // A peer first written where the rule was needs no entry: `Rule::origin_of` falls back to
    // the rule's first origin.
    let peer_origins = members
        .iter()
        .filter_map(|(peer, spans)| {
            let first = spans.first()?;
            (Some(first) != origins.first()).then(|| ((*peer).clone(), *first))
        })
        .collect();
    let peers = aggregate(members.iter().map(|(peer, _)| *peer));
    Rule {
        peers,
        ports,
        origins,
        peer_origins,
    }
}

/// Lists of at most this many ranges are searched pair by pair for the range that absorbs
/// each: the same answer as the supernet lookups, without building their indexes.
const PAIRWISE_UP_TO: usize = 16;

/// For each range of `nets` (in order; with its ports and its place in the peer list) that a
/// wider one absorbs, the places of both, in `nets` order.
fn covers(nets: &[(IpNet, &PortSet, usize)]) -> Vec<(usize, usize)> {
    if nets.len() <= PAIRWISE_UP_TO {
        covers_pairwise(nets)
    } else {
        covers_indexed(nets)
    }
}

/// [`covers`] of a short list, each range compared with every other.
fn covers_pairwise(nets: &[(IpNet, &PortSet, usize)]) -> Vec<(usize, usize)> {
    nets.iter()
        .filter_map(|(inner, inner_ports, i)| {
            let mut best: Option<&(IpNet, &PortSet, usize)> = None;
            for n in nets {
                let (outer, ports, _) = n;
                if outer != inner
                    && outer.contains(inner)
                    && ports.covers(inner_ports)
                    && best.is_none_or(|(b, _, _)| outer.prefix_len() > b.prefix_len())
                {
                    best = Some(n);
                }
            }
            best.map(|(_, _, o)| (*i, *o))
        })
        .collect()
}

/// [`covers`] of a list of any length, through the supernets of each range.
fn covers_indexed(nets: &[(IpNet, &PortSet, usize)]) -> Vec<(usize, usize)> {
    let mut supernets = Supernets {
        at: HashMap::with_capacity(nets.len()),
        lengths: BTreeSet::new(),
    };
    for (i, (net, _, _)) in nets.iter().enumerate() {
        supernets.at.entry(net.trunc()).or_default().push(i);
        supernets.lengths.insert((is_v6(net), net.prefix_len()));
    }
    nets.iter()
        .filter_map(|(inner, inner_ports, i)| {
            let o = narrowest_cover(nets, &supernets, *inner, inner_ports)?;
            nets.get(o).map(|(_, _, o)| (*i, *o))
        })
        .collect()
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

/// The position in `nets` of the narrowest range other than `inner` that holds it with ports
/// covering `inner_ports`, the first in `nets` order among equally narrow ones. Only the
/// supernets of `inner` of a length the list holds can hold it: at most 33 (IPv4) or 129
/// (IPv6) lookups, a few in practice, never a scan of `nets`.
fn narrowest_cover(
    nets: &[(IpNet, &PortSet, usize)],
    supernets: &Supernets,
    inner: IpNet,
    inner_ports: &PortSet,
) -> Option<usize> {
    let v6 = is_v6(&inner);
    let lengths = supernets.lengths.range((v6, 0)..=(v6, inner.prefix_len()));
    lengths.rev().find_map(|(_, len)| {
        let wider = IpNet::new(inner.network(), *len).ok()?.trunc();
        supernets.at.get(&wider)?.iter().copied().find(|i| {
            nets.get(*i).is_some_and(|(outer, ports, _)| {
                *outer != inner && outer.contains(&inner) && ports.covers(inner_ports)
            })
        })
    })
}

/// Aggregates the CIDRs of a sorted peer list (adjacent and nested ranges merged), copying
/// the peers; other peers kept. A list whose ranges are network addresses of which none can
/// merge with another ([`mergeable`]) is the list itself.
fn aggregate<'a>(peers: impl Iterator<Item = &'a Peer> + Clone) -> Vec<Peer> {
    let nets = peers.clone().filter_map(|p| match p {
        Peer::Net(n) => Some(*n),
        _ => None,
    });
    if nets.clone().all(|n| n.trunc() == n) && !mergeable(nets.clone()) {
        return peers.cloned().collect();
    }
    let mut out: Vec<Peer> = IpNet::aggregate(&nets.collect())
        .into_iter()
        .map(Peer::Net)
        .collect();
    out.extend(peers.filter(|p| !matches!(p, Peer::Net(_))).cloned());
    out.sort();
    out
}

/// `IpNet::aggregate` of `nets`, sorted, without its work when none of them can merge with
/// another ([`mergeable`]): they are then their own aggregate.
pub(super) fn aggregate_nets(nets: Vec<IpNet>) -> Vec<IpNet> {
    if nets.iter().all(|n| n.trunc() == *n) && !mergeable(nets.iter().copied()) {
        nets
    } else {
        IpNet::aggregate(&nets)
    }
}

/// Whether `IpNet::aggregate` could merge two of `nets`: one holds the other (or equals it),
/// or they are the two halves of one range. Without such a pair the ranges are already the
/// fewest that cover their union: were the parent of one of them covered, its sibling would
/// be covered by ranges inside the sibling, and the narrowest of those would have its own
/// sibling in the list. Lists longer than [`PAIRWISE_UP_TO`] are not searched: they count as
/// mergeable.
fn mergeable(nets: impl Iterator<Item = IpNet> + Clone) -> bool {
    if nets.clone().nth(PAIRWISE_UP_TO).is_some() {
        return true;
    }
    let mut rest = nets;
    while let Some(a) = rest.next() {
        if rest
            .clone()
            .any(|b| a.contains(&b) || b.contains(&a) || a.is_sibling(&b))
        {
            return true;
        }
    }
    false
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

    /// A list of one network address or none is its own aggregate: the shortcut that skips
    /// `IpNet::aggregate` for it gives what `IpNet::aggregate` gives.
    #[test]
    fn one_range_is_its_own_aggregate() {
        for net in [
            "0.0.0.0/0",
            "10.1.2.0/24",
            "10.1.2.3/32",
            "::/0",
            "fd00:ec2::254/128",
        ] {
            let net: IpNet = net.parse().unwrap();
            let peers = [Peer::Any, Peer::Net(net), Peer::Cluster];
            let mut sorted = peers.to_vec();
            sorted.sort();
            let mut expected: Vec<Peer> = IpNet::aggregate(&vec![net])
                .into_iter()
                .map(Peer::Net)
                .chain([Peer::Any, Peer::Cluster])
                .collect();
            expected.sort();
            assert_eq!(aggregate(sorted.iter()), expected);
        }
        let host: IpNet = "10.1.2.3/24".parse().unwrap();
        assert_eq!(
            aggregate([Peer::Net(host)].iter()),
            vec![Peer::Net(host.trunc())]
        );
    }

    /// Short lists compared pair by pair find the ranges that absorb others as the supernet
    /// lookups do, on random lists of nested, equal and unrelated ranges of both families.
    #[test]
    fn pairwise_covers_agree_with_the_supernets() {
        let nets: Vec<IpNet> = [
            "0.0.0.0/0",
            "10.0.0.0/8",
            "10.1.0.0/16",
            "10.1.2.0/24",
            "10.1.2.3/32",
            "10.2.0.0/16",
            "::/0",
            "fd00::/8",
        ]
        .iter()
        .map(|n| n.parse().unwrap())
        .collect();
        let ports = [
            PortSet::All,
            PortSet::from_ranges(vec![PortRange {
                proto: Proto::Tcp,
                first: 1,
                last: 1000,
            }]),
            PortSet::from_ranges(vec![PortRange {
                proto: Proto::Tcp,
                first: 443,
                last: 443,
            }]),
            PortSet::from_ranges(vec![PortRange {
                proto: Proto::Udp,
                first: 443,
                last: 443,
            }]),
        ];
        let mut next = crate::ir::draws(5);
        for _ in 0..3000 {
            let list: Vec<(IpNet, &PortSet, usize)> = (0..1 + next(PAIRWISE_UP_TO))
                .map(|i| (nets[next(nets.len())], &ports[next(ports.len())], i))
                .collect();
            assert_eq!(covers_pairwise(&list), covers_indexed(&list));
        }
    }

    /// A sorted peer list whose ranges cannot merge is kept as it is, and gives what
    /// `IpNet::aggregate` gives, on random lists of nested, adjacent, sibling and unrelated
    /// ranges of both families, host addresses among them.
    #[test]
    fn unmergeable_ranges_are_their_own_aggregate() {
        let pool: Vec<IpNet> = [
            "0.0.0.0/0",
            "10.0.0.0/8",
            "10.0.0.0/24",
            "10.0.1.0/24",
            "10.0.2.0/24",
            "10.0.0.128/25",
            "10.0.1.0/25",
            "10.0.1.128/25",
            "10.0.3.7/32",
            "10.0.3.7/24",
            "169.254.169.254/32",
            "::/0",
            "fd00:ec2::254/128",
            "fd00:ec2::255/128",
            "fd00::/8",
        ]
        .iter()
        .map(|n| n.parse().unwrap())
        .collect();
        let mut next = crate::ir::draws(11);
        let mut kept = 0;
        for _ in 0..3000 {
            let mut peers: Vec<Peer> = (0..next(6))
                .map(|_| Peer::Net(pool[next(pool.len())]))
                .collect();
            if next(2) == 1 {
                peers.push(Peer::Any);
            }
            peers.sort();
            peers.dedup();
            let nets: Vec<IpNet> = peers
                .iter()
                .filter_map(|p| match p {
                    Peer::Net(n) => Some(*n),
                    _ => None,
                })
                .collect();
            let mut expected: Vec<Peer> = IpNet::aggregate(&nets)
                .into_iter()
                .map(Peer::Net)
                .chain(peers.iter().filter(|p| !matches!(p, Peer::Net(_))).cloned())
                .collect();
            expected.sort();
            assert_eq!(aggregate(peers.iter()), expected, "{peers:?}");
            assert_eq!(aggregate_nets(nets.clone()), IpNet::aggregate(&nets));
            if nets.iter().all(|n| n.trunc() == *n) && !mergeable(nets.iter().copied()) {
                kept += 1;
                assert_eq!(expected, peers);
            }
        }
        assert!(kept > 300, "{kept}");
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
