//! Calico policies decided one source pod at a time ([`Scoped`]): only the policies that select
//! a pod take part in deciding its flows (a tier none of whose policies selects it is skipped),
//! so the tiers with just those policies decide them alike, and the edges of their rules are
//! what to try.

use std::collections::{BTreeMap, BTreeSet};

use super::decide::Selected;
use super::selector::Selector;
use super::{Entity, NetworkSet, Policy, Rule, Tier, Tiers};
use crate::model::{LabelReq, LabelSelector, NamespaceSel, PortRange};
use crate::verify::ports::Protocol;
use crate::verify::universe::{self, ELSEWHERE, Scoped, Seeds, Split};
use crate::verify::{Destination, Pod};

/// The tiers of a stream, ready to be decided one source at a time, with each tier's
/// policies of each namespace and its global ones (by their index in the tier).
pub struct Scope<'a> {
    tiers: &'a Tiers,
    by_namespace: Vec<BTreeMap<&'a str, Vec<usize>>>,
    global: Vec<Vec<usize>>,
}

impl Tiers {
    pub fn scoped(&self) -> Scope<'_> {
        let mut by_namespace = Vec::new();
        let mut global = Vec::new();
        for t in &self.tiers {
            let mut named: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            let mut all = Vec::new();
            for (i, p) in t.policies.iter().enumerate() {
                match &p.namespace {
                    Some(ns) => named.entry(ns.as_str()).or_default().push(i),
                    None => all.push(i),
                }
            }
            by_namespace.push(named);
            global.push(all);
        }
        Scope {
            tiers: self,
            by_namespace,
            global,
        }
    }
}

impl<'a> Scope<'a> {
    /// The policies of tier `i` that select `source`, with their places in the tier, in the
    /// tier's evaluation order.
    fn selecting(&self, i: usize, source: &Pod) -> impl Iterator<Item = (usize, &'a Policy)> {
        let named = self
            .by_namespace
            .get(i)
            .and_then(|m| m.get(source.namespace.as_str()))
            .into_iter()
            .flatten();
        let mut candidates: Vec<usize> = named
            .chain(self.global.get(i).into_iter().flatten())
            .copied()
            .collect();
        // Evaluation order is the tier's.
        candidates.sort_unstable();
        let tier = self.tiers.tiers.get(i);
        candidates
            .into_iter()
            .filter_map(move |k| Some((k, tier?.policies.get(k)?)))
            .filter(move |(_, p)| p.selects(source))
    }
}

/// Selectors that pick the pods a Calico selector selects and just misses: one per alternative
/// of the expression, or, for what cannot be written as alternatives, one from its `==` terms.
fn selectors(s: &Selector) -> Vec<LabelSelector> {
    match s.expr().alternatives() {
        Ok(alts) => alts.into_iter().map(LabelSelector::new).collect(),
        Err(_) => vec![LabelSelector::default()],
    }
}

/// The namespaces a namespace selector names (`projectcalico.org/name` or
/// `kubernetes.io/metadata.name`), and a namespace no policy mentions.
fn namespaces(s: Option<&Selector>) -> Vec<String> {
    let mut out = vec![ELSEWHERE.to_owned()];
    for sel in s.map(selectors).into_iter().flatten() {
        for r in &sel.reqs {
            match r {
                LabelReq::Eq(k, v) if is_name(k) => out.push(v.clone()),
                LabelReq::In(k, vs) | LabelReq::NotIn(k, vs) if is_name(k) => {
                    out.extend(vs.iter().cloned())
                }
                _ => {}
            }
        }
    }
    out
}

fn is_name(k: &str) -> bool {
    k == "projectcalico.org/name" || k == crate::verify::NAMESPACE_NAME
}

fn home(p: &Policy) -> &str {
    p.namespace.as_deref().unwrap_or(ELSEWHERE)
}

/// The protocol and ports (or ICMP message) a rule matches.
fn ports(r: &Rule, s: &mut Seeds) {
    let Some(proto) = r.protocol.and_then(Protocol::proto) else {
        return;
    };
    let e = &r.destination;
    if proto.has_ports() {
        for p in e.ports.iter().chain(&e.not_ports) {
            s.ports(PortRange {
                proto,
                first: p.first,
                last: p.last,
            });
        }
    }
    for i in r.icmp.iter().chain(&r.not_icmp) {
        let first = u16::from(i.kind) << 8;
        let (first, last) = match i.code {
            Some(c) => (first | u16::from(c), first | u16::from(c)),
            None => (first, first | 0xff),
        };
        s.ports(PortRange { proto, first, last });
    }
    s.ports(PortRange::whole(proto));
}

fn entity(e: &Entity, p: &Policy, sets: &[NetworkSet], s: &mut Seeds) {
    for n in e.nets.iter().chain(&e.not_nets) {
        s.net(n);
    }
    // The network sets the entity's selector selects.
    for set in sets {
        if e.selector
            .as_ref()
            .is_some_and(|sel| sel.matches(&set.labels))
            && super::set_in_scope(set, e, p)
        {
            for n in &set.nets {
                s.net(n);
            }
        }
    }
    for d in &e.domains {
        let one = d.text.replace('*', "a");
        for n in [one.clone(), format!("a.{one}"), format!("x{one}")] {
            s.name(n);
        }
    }
    let spaces: Vec<String> = match (&e.namespace_selector, &p.namespace) {
        (Some(ns), _) => namespaces(Some(ns)),
        (None, Some(ns)) => vec![ns.clone()],
        (None, None) => namespaces(None),
    };
    // Pods running as each service account named, and just not.
    for name in e.service_accounts.iter().flatten() {
        for ns in &spaces {
            for pod in crate::verify::universe::service_account_pods(ns, name, home(p)) {
                s.destinations.insert(Destination::Pod(pod));
            }
        }
    }
    // The endpoints of the Service named, on its ports and not, and pods just missing it.
    if let Some(svc) = &e.services {
        let ns = svc.namespace.as_deref().unwrap_or(home(p));
        for pod in crate::verify::universe::service_endpoints(ns, &svc.name, home(p)) {
            s.destinations.insert(Destination::Pod(pod));
        }
    }
    // Namespaces with the labels a namespace selector selects, and just without them.
    let labelled: Vec<LabelSelector> = e.namespace_selector.iter().flat_map(selectors).collect();
    for sel in e
        .selector
        .iter()
        .chain(&e.not_selector)
        .flat_map(selectors)
        .chain(
            e.namespace_selector
                .as_ref()
                .map(|_| LabelSelector::default()),
        )
    {
        for ns in &spaces {
            s.pods(&NamespaceSel::Named(ns.clone()), &sel, home(p));
        }
        for ns in &labelled {
            s.pods(&NamespaceSel::Labels(ns.clone()), &sel, home(p));
        }
    }
}

fn seeds(p: &Policy, sets: &[NetworkSet]) -> Seeds {
    let mut s = Seeds::default();
    for r in &p.rules {
        ports(r, &mut s);
        entity(&r.destination, p, sets, &mut s);
    }
    s.destinations
        .insert(Destination::Pod(crate::verify::kube_dns()));
    s
}

impl Scoped for Scope<'_> {
    fn sources(&self) -> BTreeSet<Pod> {
        let mut out = BTreeSet::new();
        for p in self.tiers.tiers.iter().flat_map(|t| &t.policies) {
            let spaces = match &p.namespace {
                Some(ns) => vec![ns.clone()],
                None => namespaces(p.namespace_selector.as_ref()),
            };
            for sel in selectors(&p.selector) {
                for ns in &spaces {
                    out.extend(universe::subjects(ns, &sel));
                }
                // §gnp: without a namespaceSelector it selects host endpoints too, by the
                // node's labels, which never hold the ones Calico gives workload endpoints.
                if p.namespace.is_none() && p.namespace_selector.is_none() {
                    let nodes = LabelSelector::new(
                        sel.reqs
                            .iter()
                            .filter(|r| !r.key().starts_with("projectcalico.org/"))
                            .cloned()
                            .collect(),
                    );
                    out.extend(universe::nodes(&nodes));
                }
            }
        }
        out
    }

    /// Each tier's policies that select the source, and for each of their rules what its
    /// source entity says of it; then whether it is a host endpoint (the failsafe ports): the
    /// evaluator reads nothing else of it.
    fn source_key(&self, source: &Pod, key: &mut Vec<usize>) {
        // The source as its rules' source entities read it, copied once, when a rule does.
        let mut as_entity: Option<Destination> = None;
        for i in 0..self.tiers.tiers.len() {
            // A policy's place, then one value per rule of it: the tier's list reads back
            // one way.
            for (k, p) in self.selecting(i, source) {
                key.push(k);
                for r in &p.rules {
                    let entity = as_entity.get_or_insert_with(|| Destination::Pod(source.clone()));
                    key.push(super::decide::source_key(r, p, &self.tiers.sets, entity));
                }
            }
            key.push(usize::MAX - 1);
        }
        key.push(usize::from(source.host));
    }

    fn scope(&self, source: &Pod) -> (Box<dyn Split + '_>, Seeds) {
        let mut s = Seeds::default();
        let tiers: Vec<(&Tier, Vec<&Policy>)> = self
            .tiers
            .tiers
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let policies: Vec<&Policy> = self.selecting(i, source).map(|(_, p)| p).collect();
                for p in &policies {
                    s.extend(seeds(p, &self.tiers.sets));
                }
                (t, policies)
            })
            .collect();
        let selected = Selected {
            tiers,
            sets: &self.tiers.sets,
            enterprise: self.tiers.enterprise,
        };
        (Box::new(selected), s)
    }
}
