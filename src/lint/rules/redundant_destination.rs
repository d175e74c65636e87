//! W0106 `redundant-destination`: a destination listed more than once, or inside another of the
//! same list.
//!
//! Linear in the length of the list (up to a logarithm and the 129 prefix lengths of an IPv6
//! range), never pairwise: identical destinations are merged by hashing, and the destinations
//! that hold another are found through its supernets and a sweep over port ranges.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::check::checked::{Dest, Workload};
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::Policy;
use crate::lint::helpers::describe;
use crate::lint::{Check, Context, Rule};
use crate::model::{Peer, PortRange, Proto};
use crate::source::Span;

pub const RULE: Rule = Rule {
    code: Code::W0106,
    name: "redundant-destination",
    explanation: EXPLANATION,
    settings: &[],
    check: Check::Workload(check),
};

const EXPLANATION: &str = r#"# W0106: destination listed twice or inside another (`redundant-destination`)

## What it does

Checks for destinations of an allow or deny list that are listed more than once, or lie entirely
inside another destination of the same list with the same or fewer ports: `10.20.3.0/24:5432`
next to `10.20.0.0/20:5432`, or the same `rds(...)` call twice. A destination listed many times is
reported once, with the number of times it is listed. Different ports of one range are not
redundant (`10.20.30.0/24:5432, 10.20.30.0/24:6432`).

## Why is this bad?

A redundant destination adds nothing to the policy. Often it is a sign of a mistake: the narrow
destination was meant to be the only access, and the wide one was added by someone else or copied
from another statement, so the app may reach much more than the narrow entry suggests.

Remove the redundant destination, or, if the narrow one was meant, narrow or remove the wide one.

## Example

```egress
namespace payments
default deny
app ledger -> dns, 10.20.0.0/20:5432, 10.20.3.0/24:5432
```

egressc says `` `10.20.3.0/24` is already covered by `10.20.0.0/20` for app `ledger` ``, with the
label `adds nothing` and `already allowed here` on the wider range.

Use instead:

```egress
namespace payments
default deny
app ledger -> dns, 10.20.3.0/24:5432
```

The ledger reaches only the subnet it needs; the /20 is gone.
"#;

fn check(_cx: &Context<'_>, w: &Workload, _policy: &Policy, found: &mut Vec<Diagnostic>) {
    for list in [&w.allow, &w.deny] {
        report(w, list, found);
    }
}

/// One destination of a list, its identical copies merged.
struct Unique<'a> {
    peer: &'a Peer,
    /// `None`: every port.
    ports: Option<PortRange>,
    /// The written destinations its copies came from, distinct, in list order.
    origins: Vec<Span>,
}

impl Unique<'_> {
    /// The written destination it came from, when it came from one only.
    fn single(&self) -> Option<Span> {
        match self.origins.as_slice() {
            [o] => Some(*o),
            _ => None,
        }
    }
}

/// The list's destinations with identical copies merged, in order of first appearance.
fn uniques(list: &[Dest]) -> Vec<Unique<'_>> {
    if list.len() <= PAIRWISE_UP_TO {
        uniques_pairwise(list)
    } else {
        uniques_hashed(list)
    }
}

/// [`uniques`] of a list of any length, by hashing.
fn uniques_hashed(list: &[Dest]) -> Vec<Unique<'_>> {
    let mut at: HashMap<(&Peer, Option<PortRange>), usize> = HashMap::new();
    let mut seen: HashSet<(usize, Span)> = HashSet::new();
    let mut out: Vec<Unique<'_>> = Vec::new();
    for t in list {
        let i = *at.entry((&t.peer, t.ports)).or_insert_with(|| {
            out.push(Unique {
                peer: &t.peer,
                ports: t.ports,
                origins: Vec::new(),
            });
            out.len() - 1
        });
        if seen.insert((i, t.origin))
            && let Some(u) = out.get_mut(i)
        {
            u.origins.push(t.origin);
        }
    }
    out
}

/// [`uniques`] of a short list, each destination compared with those before it instead of
/// hashed.
fn uniques_pairwise(list: &[Dest]) -> Vec<Unique<'_>> {
    let mut out: Vec<Unique<'_>> = Vec::with_capacity(list.len());
    for t in list {
        match out
            .iter_mut()
            .find(|u| u.ports == t.ports && *u.peer == t.peer)
        {
            Some(u) if !u.origins.contains(&t.origin) => u.origins.push(t.origin),
            Some(_) => {}
            None => out.push(Unique {
                peer: &t.peer,
                ports: t.ports,
                origins: vec![t.origin],
            }),
        }
    }
    out
}

/// A destination that may hold another: its position among the uniques and its single written
/// destination, if it has one.
#[derive(Clone, Copy)]
struct Candidate {
    at: usize,
    single: Option<Span>,
}

/// The earliest candidate and the earliest one from another written destination: enough to
/// answer for any destination, since a destination may not witness for one written with it.
#[derive(Clone, Copy, Default)]
struct Earliest {
    first: Option<Candidate>,
    other: Option<Candidate>,
}

impl Earliest {
    fn add(&mut self, c: Option<Candidate>) {
        let mut all: Vec<Candidate> = [self.first, self.other, c].into_iter().flatten().collect();
        all.sort_by_key(|c| c.at);
        all.dedup_by_key(|c| c.at);
        self.first = all.first().copied();
        self.other = self
            .first
            .and_then(|f| all.iter().copied().find(|c| c.single != f.single));
    }

    fn merge(&mut self, other: Earliest) {
        self.add(other.first);
        self.add(other.other);
    }

    /// The earliest candidate that may witness for a destination written as `single`.
    fn for_destination(&self, single: Option<Span>) -> Option<Candidate> {
        let ok = |c: &Candidate| single.is_none() || c.single != single;
        self.first.filter(ok).or(self.other.filter(ok))
    }
}

/// A Fenwick tree of [`Earliest`] over positions, answering for every prefix.
struct Prefixes {
    nodes: Vec<Earliest>,
}

impl Prefixes {
    fn new(len: usize) -> Prefixes {
        Prefixes {
            nodes: vec![Earliest::default(); len],
        }
    }

    fn insert(&mut self, pos: usize, c: Candidate) {
        let mut i = pos + 1;
        while let Some(node) = self.nodes.get_mut(i - 1) {
            node.add(Some(c));
            i += i & i.wrapping_neg();
        }
    }

    /// Over positions `0..len`.
    fn prefix(&self, len: usize) -> Earliest {
        let mut out = Earliest::default();
        let mut i = len;
        while let Some(node) = i.checked_sub(1).and_then(|k| self.nodes.get(k)) {
            out.merge(*node);
            i -= i & i.wrapping_neg();
        }
        out
    }
}

/// A sweep event over one peer's port ranges of one protocol: a range `first..=last` that may
/// hold others, or a question about one.
struct Event {
    first: u16,
    last: u16,
    /// Order among equal ranges.
    rank: u8,
    what: What,
}

enum What {
    /// This destination has the range.
    Range(usize),
    /// Which destination holds this one?
    Query(usize),
}

/// Lists of at most this many distinct destinations (most statements' lists) are compared
/// pair by pair: the same answer as the sweep, without building its indexes, which cost more
/// than a few comparisons. The cost stays bounded: longer lists take the sweep.
const PAIRWISE_UP_TO: usize = 8;

/// For each destination, the earliest other destination of the list that holds it.
fn holders(uniques: &[Unique<'_>]) -> Vec<Earliest> {
    if uniques.len() <= PAIRWISE_UP_TO {
        return uniques
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let mut best = Earliest::default();
                for (at, v) in uniques.iter().enumerate() {
                    if at != i && holds(v, u) {
                        best.add(Some(Candidate {
                            at,
                            single: v.single(),
                        }));
                    }
                }
                best
            })
            .collect();
    }
    sweep(uniques)
}

/// Whether `v`, another destination of the list, holds `u`: the same peer, or an address
/// range of the list that is a supernet of `u`'s, with every port or a range of `u`'s protocol
/// covering `u`'s ports.
fn holds(v: &Unique<'_>, u: &Unique<'_>) -> bool {
    let wider = match (v.peer, u.peer) {
        (Peer::Net(m), Peer::Net(n)) => {
            is_v6(m) == is_v6(n)
                && m.prefix_len() < n.prefix_len()
                && ipnet::IpNet::new(n.network(), m.prefix_len())
                    .ok()
                    .map(|s| s.trunc())
                    == Some(*m)
        }
        _ => false,
    };
    if !wider && v.peer != u.peer {
        return false;
    }
    match (v.ports, u.ports) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(a), Some(b)) => a.proto == b.proto && a.first <= b.first && a.last >= b.last,
    }
}

/// [`holders`] for a list of any length: per peer and protocol, a sweep over the port
/// ranges; supernets looked up only at the prefix lengths the list holds.
fn sweep(uniques: &[Unique<'_>]) -> Vec<Earliest> {
    let mut best = vec![Earliest::default(); uniques.len()];
    let candidate = |at: usize| {
        uniques.get(at).map(|v| Candidate {
            at,
            single: v.single(),
        })
    };
    // Peers by number; the destination with every port, per peer; the ranges, per peer and
    // protocol.
    let mut peers: HashMap<&Peer, usize> = HashMap::new();
    let mut every_port: HashMap<usize, usize> = HashMap::new();
    let mut sweeps: HashMap<(usize, Proto), Vec<Event>> = HashMap::new();
    for (i, u) in uniques.iter().enumerate() {
        let next = peers.len();
        let peer = *peers.entry(u.peer).or_insert(next);
        match u.ports {
            None => {
                every_port.insert(peer, i);
            }
            Some(r) => sweeps.entry((peer, r.proto)).or_default().push(Event {
                first: r.first,
                last: r.last,
                rank: 1,
                what: What::Range(i),
            }),
        }
    }
    // The prefix lengths of the list's ranges, per family: only supernets of those lengths can
    // be in the list.
    let mut lengths: BTreeSet<(bool, u8)> = BTreeSet::new();
    for p in peers.keys() {
        if let Peer::Net(n) = p {
            lengths.insert((is_v6(n), n.prefix_len()));
        }
    }
    for (i, u) in uniques.iter().enumerate() {
        // The peers that hold this one: itself, and for an address range its supernets.
        let wider = match u.peer {
            Peer::Net(n) => lengths
                .range((is_v6(n), 0)..(is_v6(n), n.prefix_len()))
                .filter_map(|(_, p)| ipnet::IpNet::new(n.network(), *p).ok())
                .filter_map(|s| peers.get(&Peer::Net(s.trunc())).copied())
                .collect(),
            _ => Vec::new(),
        };
        let same = peers.get(u.peer).copied().map(|p| (p, true));
        for (peer, strict) in same
            .into_iter()
            .chain(wider.into_iter().map(|p| (p, false)))
        {
            if let Some(v) = every_port.get(&peer).copied().filter(|v| *v != i)
                && let Some(slot) = best.get_mut(i)
            {
                slot.add(candidate(v));
            }
            if let Some(r) = u.ports
                && let Some(events) = sweeps.get_mut(&(peer, r.proto))
            {
                // Among equal ranges, a query of the same peer comes before the range (itself:
                // it must not answer for itself), a query of a narrower peer after.
                events.push(Event {
                    first: r.first,
                    last: r.last,
                    rank: if strict { 0 } else { 2 },
                    what: What::Query(i),
                });
            }
        }
    }
    for mut events in sweeps.into_values() {
        // By first port; for one first port, the widest range first.
        events.sort_by_key(|e| (e.first, std::cmp::Reverse(e.last), e.rank));
        let mut lasts: Vec<u16> = events
            .iter()
            .filter(|e| matches!(e.what, What::Range(_)))
            .map(|e| e.last)
            .collect();
        lasts.sort_unstable_by(|a, b| b.cmp(a));
        lasts.dedup();
        // Position of a last port among `lasts` (widest first): ranges reaching at least as
        // far as a query are a prefix.
        let reaching = |last: u16| lasts.partition_point(|l| *l >= last);
        let mut tree = Prefixes::new(lasts.len());
        for e in events {
            match e.what {
                What::Range(at) => {
                    if let Some(c) = candidate(at) {
                        tree.insert(reaching(e.last).saturating_sub(1), c);
                    }
                }
                What::Query(of) => {
                    if let Some(slot) = best.get_mut(of) {
                        slot.merge(tree.prefix(reaching(e.last)));
                    }
                }
            }
        }
    }
    best
}

fn is_v6(n: &ipnet::IpNet) -> bool {
    matches!(n, ipnet::IpNet::V6(_))
}

/// One warning per destination that is listed again or held by another, on the first written
/// destination not yet reported.
fn report(w: &Workload, list: &[Dest], found: &mut Vec<Diagnostic>) {
    if list.len() < 2 {
        return;
    }
    let uniques = uniques(list);
    let holders = holders(&uniques);
    let mut reported = BTreeSet::new();
    for (u, held) in uniques.iter().zip(&holders) {
        let times = u.origins.len();
        let holder = held
            .for_destination(u.single())
            .and_then(|c| Some((uniques.get(c.at)?, c.single)));
        let diagnostic = if let Some((v, v_single)) = holder {
            let Some(at) = u.origins.iter().copied().find(|o| Some(*o) != v_single) else {
                continue;
            };
            let Some(wider) = v.origins.iter().copied().find(|o| *o != at) else {
                continue;
            };
            let mut d = Diagnostic::new(
                Code::W0106,
                at,
                format!(
                    "`{}` is already covered by `{}` for {}",
                    u.peer,
                    v.peer,
                    describe(w)
                ),
            )
            .label("adds nothing")
            .secondary(wider, "already allowed here");
            if times > 1 {
                d = d.note(format!("`{}` is also listed {}", u.peer, how_often(times)));
            }
            (at, d)
        } else {
            let (Some(first), Some(again)) = (u.origins.first(), u.origins.get(1)) else {
                continue;
            };
            let d = Diagnostic::new(
                Code::W0106,
                *again,
                format!(
                    "`{}` is listed {} for {}",
                    u.peer,
                    how_often(times),
                    describe(w)
                ),
            )
            .label("listed again here")
            .secondary(*first, "already allowed here");
            (*again, d)
        };
        let (at, d) = diagnostic;
        if reported.insert(at) {
            found.push(d.help("remove the redundant destination, or narrow the wider one if this one was meant to be the only access"));
        }
    }
}

/// `twice`, `3 times`.
fn how_often(times: usize) -> String {
    if times == 2 {
        "twice".to_owned()
    } else {
        format!("{times} times")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn range(proto: Proto, first: u16, last: u16) -> PortRange {
        PortRange { proto, first, last }
    }

    /// What a holder search found, comparable.
    fn found(e: &Earliest) -> [Option<(usize, Option<Span>)>; 2] {
        [e.first, e.other].map(|c| c.map(|c| (c.at, c.single)))
    }

    /// Nested ranges of both families and every destination.
    fn peers() -> Vec<Peer> {
        [
            "10.0.0.0/8",
            "10.1.0.0/16",
            "10.1.2.0/24",
            "10.1.2.3/32",
            "10.2.0.0/16",
            "0.0.0.0/0",
            "fd00::/8",
        ]
        .iter()
        .map(|n| Peer::Net(n.parse().unwrap()))
        .chain([Peer::Any])
        .collect()
    }

    /// Every port, port ranges of two protocols, nested and overlapping.
    fn ports() -> [Option<PortRange>; 5] {
        [
            None,
            Some(range(Proto::Tcp, 1, 1000)),
            Some(range(Proto::Tcp, 443, 443)),
            Some(range(Proto::Udp, 443, 443)),
            Some(range(Proto::Tcp, 400, 500)),
        ]
    }

    /// The pair-by-pair comparison of short lists agrees with the sweep on every list of up
    /// to eight destinations drawn from nested ranges, equal peers, port ranges of two
    /// protocols and every port.
    #[test]
    fn pairwise_agrees_with_the_sweep() {
        let (nets, ports) = (peers(), ports());
        let mut next = crate::ir::draws(7);
        for _ in 0..3000 {
            let len = 1 + next(PAIRWISE_UP_TO);
            let mut list: Vec<Unique<'_>> = Vec::new();
            for _ in 0..len {
                let peer = &nets[next(nets.len())];
                let ports = ports[next(ports.len())];
                if list.iter().any(|u| u.peer == peer && u.ports == ports) {
                    continue;
                }
                let origins = (0..1 + next(2))
                    .map(|_| {
                        let at = next(4);
                        Span::new(FileId(0), at, at + 1)
                    })
                    .collect::<BTreeSet<Span>>()
                    .into_iter()
                    .collect();
                list.push(Unique {
                    peer,
                    ports,
                    origins,
                });
            }
            let pairwise: Vec<_> = holders(&list).iter().map(found).collect();
            let swept: Vec<_> = sweep(&list).iter().map(found).collect();
            assert_eq!(pairwise, swept);
        }
    }

    /// Merging the copies of a short list by comparison gives what hashing gives, on lists of
    /// up to eight destinations with repeated peers, ports and origins.
    #[test]
    fn short_lists_merge_as_hashing_does() {
        let (peers, ports) = (peers(), ports());
        let mut next = crate::ir::draws(11);
        let shown = |us: Vec<Unique<'_>>| -> Vec<(String, Option<PortRange>, Vec<Span>)> {
            us.into_iter()
                .map(|u| (u.peer.to_string(), u.ports, u.origins))
                .collect()
        };
        for _ in 0..3000 {
            let list: Vec<Dest> = (0..1 + next(PAIRWISE_UP_TO))
                .map(|_| {
                    let at = next(3);
                    Dest {
                        peer: peers[next(peers.len())].clone(),
                        ports: ports[next(ports.len())],
                        origin: Span::new(FileId(0), at, at + 1),
                    }
                })
                .collect();
            assert_eq!(shown(uniques_pairwise(&list)), shown(uniques_hashed(&list)));
        }
    }
}
