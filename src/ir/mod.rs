//! Stage 3: the backend-neutral IR. One `Policy` per selected workload (plus one per
//! namespace default-deny), one `Guardrail` per cluster-wide deny and one `ClusterPolicy` per
//! cluster-wide allow-list. Rules are normalised:
//! identical destinations merged, ports merged per peer, nested and adjacent CIDRs aggregated,
//! deterministic order. `deny` is the set of flows that must never be allowed, whatever else is.
//!
//! The IR knows nothing of pest or YAML; every rule keeps the source spans it came from so that
//! backends can point capability errors at the user's source.

pub(crate) mod carve;
pub mod dump;
pub mod graph;
mod lower;

pub(crate) use lower::{assemble, workload as lower_workload};

use crate::model::{ClusterFacts, LabelSelector, Peer, PortSet, Subject};
use crate::source::Span;

/// Peers that share one port set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Rule {
    /// Sorted, CIDRs aggregated.
    pub peers: Vec<Peer>,
    pub ports: PortSet,
    /// The source constructs this rule came from, in source order.
    pub origins: Vec<Span>,
    /// Where each peer was first written, before CIDR aggregation (for diagnostics).
    pub peer_origins: PeerOrigins,
}

/// Where each peer of a rule was written: a map from peer to span, held as a list sorted by
/// peer (a rule has a few peers; a tree's nodes cost far more than its entries, once per rule
/// of every policy).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PeerOrigins(Vec<(Peer, Span)>);

impl PeerOrigins {
    /// Where `peer` was written, if it was.
    pub fn get(&self, peer: &Peer) -> Option<&Span> {
        self.0
            .binary_search_by(|(p, _)| p.cmp(peer))
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|(_, s)| s)
    }
}

/// As a map collects: of two entries for one peer, the later one stays.
impl FromIterator<(Peer, Span)> for PeerOrigins {
    fn from_iter<I: IntoIterator<Item = (Peer, Span)>>(iter: I) -> Self {
        let mut entries: Vec<(Peer, Span)> = iter.into_iter().collect();
        // Stable: entries of one peer keep their order, and the last of them is kept.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, earlier| {
            if later.0 == earlier.0 {
                earlier.1 = later.1;
                true
            } else {
                false
            }
        });
        entries.shrink_to_fit();
        PeerOrigins(entries)
    }
}

impl Rule {
    /// Where `peer` was first written, else where the rule was.
    pub fn origin_of(&self, peer: &Peer) -> Span {
        self.peer_origins
            .get(peer)
            .or(self.origins.first())
            .copied()
            .unwrap_or_default()
    }
}

/// What a policy was written as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PolicyKind {
    /// `app NAME -> ...`
    App { app: String },
    /// `pods NAME {..} -> ...`
    Pods { name: String },
    /// `default deny`: selects every pod of the namespace, allows nothing.
    DefaultDeny,
    /// `cluster NAME ... -> ...`: a cluster-wide allow-list ([`ClusterPolicy`]).
    Cluster { name: String },
    /// `host NAME {...} -> ...`: the nodes' own traffic ([`HostPolicy`]).
    Host { name: String },
    /// `reserved IDENTITY -> ...`: the endpoints of a reserved identity ([`ReservedPolicy`]).
    Reserved { identity: crate::model::Reserved },
}

/// The egress policy of one workload in one namespace.
#[derive(Clone, Debug)]
pub(crate) struct Policy {
    pub namespace: String,
    /// The object name every backend uses: `<app>-egress`, `default-deny-egress`.
    pub name: String,
    pub kind: PolicyKind,
    /// Empty selects every pod of the namespace.
    pub selector: LabelSelector,
    pub allow: Vec<Rule>,
    pub deny: Vec<Rule>,
    /// DNS visibility: the workload used `strict-dns` (and not `dns`), so a target with a DNS
    /// proxy (cilium) answers only lookups of the names it may reach; otherwise every lookup.
    pub strict_dns: bool,
    pub origin: Span,
}

impl Policy {
    /// The namespace whose pods a pod peer without one means (and that needs no namespace
    /// criterion in a namespaced object): the policy's own; `None` for a cluster-wide one.
    pub fn home(&self) -> Option<&str> {
        match self.kind {
            PolicyKind::Cluster { .. } | PolicyKind::Host { .. } | PolicyKind::Reserved { .. } => {
                None
            }
            _ => Some(self.namespace.as_str()),
        }
    }
}

/// A cluster-wide deny that applies to the pods of its subject (every pod unless the statement
/// narrows it), without isolating any pod.
#[derive(Clone, Debug)]
pub(crate) struct Guardrail {
    pub name: String,
    pub subject: Subject,
    pub deny: Vec<Rule>,
    pub origin: Span,
}

/// A cluster-wide allow-list: the pods of `subject`, in every namespace it chooses, are
/// isolated for egress and may reach what `policy` allows, minus what it denies; with the
/// namespaced policies that select a pod it forms one union, as policies do.
/// `policy.namespace` is empty (the policy has none) and `policy.kind` is
/// [`PolicyKind::Cluster`]; no pod peer of its rules is in "the policy's own namespace".
#[derive(Clone, Debug)]
pub(crate) struct ClusterPolicy {
    pub subject: Subject,
    pub policy: Policy,
}

impl ClusterPolicy {
    /// The statement's name, as written after `cluster`.
    pub fn subject_name(&self) -> &str {
        match &self.policy.kind {
            PolicyKind::Cluster { name } => name,
            _ => &self.policy.name,
        }
    }
}

/// An allow-list for the own traffic of the nodes whose labels match `policy.selector` (every
/// node when it is empty): their host network namespace, host-networked pods included, is
/// isolated for egress and may reach what `policy` allows, minus what it denies; with the other
/// host policies that select a node it forms one union. No pod policy selects a node and no
/// host policy selects a pod. `policy.namespace` is empty and `policy.kind` is
/// [`PolicyKind::Host`].
#[derive(Clone, Debug)]
pub(crate) struct HostPolicy {
    pub policy: Policy,
}

impl HostPolicy {
    /// The statement's name, as written after `host`.
    pub fn subject_name(&self) -> &str {
        match &self.policy.kind {
            PolicyKind::Host { name } => name,
            _ => &self.policy.name,
        }
    }
}

/// An allow-list for the endpoints of one of Cilium's reserved identities (`init`: endpoints
/// still initialising, before their labels are known; `health`: the health endpoints): they are
/// isolated for egress and may reach what `policy` allows, minus what it denies. No pod, host
/// or cluster policy, and no guardrail, selects them; a program has at most one per identity.
/// `policy.namespace` is empty, `policy.selector` empty and `policy.kind` is
/// [`PolicyKind::Reserved`].
#[derive(Clone, Debug)]
pub(crate) struct ReservedPolicy {
    pub identity: crate::model::Reserved,
    pub policy: Policy,
}

/// A whole program, sorted by (namespace, name).
#[derive(Clone, Debug, Default)]
pub struct Program {
    pub(crate) policies: Vec<Policy>,
    pub(crate) guardrails: Vec<Guardrail>,
    /// Cluster-wide allow-lists, sorted by name.
    pub(crate) cluster_policies: Vec<ClusterPolicy>,
    /// Host allow-lists, sorted by name.
    pub(crate) host_policies: Vec<HostPolicy>,
    /// Allow-lists of reserved identities, in the order of [`crate::model::Reserved::ALL`].
    pub(crate) reserved_policies: Vec<ReservedPolicy>,
    /// What the program declares about the cluster's addresses.
    pub(crate) cluster: ClusterFacts,
    /// The cluster's DNS server: pods or addresses (`set dns-server`, else the CoreDNS pods).
    pub(crate) dns_server: Vec<Peer>,
}

/// Numbers below `n` drawn from a small linear congruential generator seeded with `seed`: the
/// same random lists on every run of a test.
#[cfg(test)]
pub(crate) fn draws(mut seed: u64) -> impl FnMut(usize) -> usize {
    move |n| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n
    }
}
