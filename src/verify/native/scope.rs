//! NetworkPolicies decided one source pod at a time ([`Scoped`]): a pod's egress depends only on
//! the policies of its namespace that select it, so those alone decide its flows, and the edges
//! of their rules are what to try.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::decide::Selected;
use super::{Peer, Policies, Policy};
use crate::model::{LabelSelector, NamespaceSel};
use crate::verify::ports::PortMatch;
use crate::verify::universe::{self, ELSEWHERE, Scoped, Seeds, Split};
use crate::verify::{NAMESPACE_NAME, Pod};

/// The policies of a stream, by namespace, each with its place in the stream.
pub struct Scope<'a> {
    by_namespace: BTreeMap<&'a str, Namespace<'a>>,
}

/// The policies of one namespace, found by their selectors' first `matchLabels` pair: a
/// policy whose selector requires `k: v` can select only a pod labelled `k: v`, so a pod is
/// held only to those of its own labels' pairs and to the policies that require no pair.
#[derive(Default)]
struct Namespace<'a> {
    by_label: HashMap<(&'a str, &'a str), Vec<(usize, &'a Policy)>>,
    /// Policies whose selectors have no `matchLabels`.
    rest: Vec<(usize, &'a Policy)>,
}

impl Policies {
    /// The policies, ready to be decided one source at a time.
    pub fn scoped(&self) -> Scope<'_> {
        let mut by_namespace: BTreeMap<&str, Namespace<'_>> = BTreeMap::new();
        for (i, p) in self.0.iter().enumerate() {
            let ns = by_namespace.entry(p.namespace.as_str()).or_default();
            match p.selector.match_labels.first() {
                Some((k, v)) => ns
                    .by_label
                    .entry((k.as_str(), v.as_str()))
                    .or_default()
                    .push((i, p)),
                None => ns.rest.push((i, p)),
            }
        }
        Scope { by_namespace }
    }
}

impl<'a> Scope<'a> {
    /// The policies of `source`'s namespace that select it, with their places, in their order.
    fn selecting(&self, source: &Pod) -> impl Iterator<Item = (usize, &'a Policy)> {
        let mut candidates: Vec<(usize, &'a Policy)> = Vec::new();
        if let Some(ns) = self.by_namespace.get(source.namespace.as_str()) {
            candidates.extend(ns.rest.iter().copied());
            for (k, v) in &source.labels {
                if let Some(held) = ns.by_label.get(&(k.as_str(), v.as_str())) {
                    candidates.extend(held.iter().copied());
                }
            }
        }
        candidates.sort_unstable_by_key(|(i, _)| *i);
        candidates
            .into_iter()
            .filter(|(_, p)| p.selector.matches_labels(&source.labels))
    }
}

fn selector(s: &crate::verify::labels::LabelSelector) -> LabelSelector {
    s.to_model(|k| Some(k.clone()))
}

/// The namespaces whose pods a namespace selector may select, for pods to try: the ones it
/// names, namespaces with the labels it selects and just without them, the policy's own and
/// one no policy mentions.
fn namespaces(s: &crate::verify::labels::LabelSelector, home: &str) -> Vec<NamespaceSel> {
    let named: Vec<&String> = s
        .match_labels
        .iter()
        .filter(|(k, _)| k == NAMESPACE_NAME)
        .map(|(_, v)| v)
        .chain(
            s.match_expressions
                .iter()
                .filter(|r| r.key == NAMESPACE_NAME)
                .flat_map(|r| &r.values),
        )
        .collect();
    let mut out: Vec<NamespaceSel> = named
        .into_iter()
        .map(|n| NamespaceSel::Named(n.clone()))
        .collect();
    out.push(NamespaceSel::Labels(selector(s)));
    out.push(NamespaceSel::Named(home.to_owned()));
    out.push(NamespaceSel::Named(ELSEWHERE.to_owned()));
    out
}

/// What lies at the edges of a policy's rules.
fn seeds(p: &Policy) -> Seeds {
    let mut s = Seeds::default();
    for r in &p.rules {
        for range in r.ports.iter().flat_map(PortMatch::ranges) {
            s.ports(range);
        }
        for peer in &r.to {
            match peer {
                Peer::Block { cidr, except, .. } => {
                    s.net(cidr);
                    for e in except {
                        s.net(e);
                    }
                }
                Peer::Pods {
                    namespaces: ns,
                    pods,
                    ..
                } => {
                    let sel = pods.as_ref().map(selector).unwrap_or_default();
                    let spaces = match ns {
                        None => vec![NamespaceSel::Named(p.namespace.clone())],
                        Some(ns) => namespaces(ns, &p.namespace),
                    };
                    for n in &spaces {
                        s.pods(n, &sel, &p.namespace);
                    }
                }
            }
        }
    }
    s
}

impl Scoped for Scope<'_> {
    fn sources(&self) -> BTreeSet<Pod> {
        self.by_namespace
            .values()
            .flat_map(|ns| ns.by_label.values().flatten().chain(&ns.rest))
            .flat_map(|(_, p)| universe::subjects(&p.namespace, &selector(&p.selector)))
            .collect()
    }

    /// The policies that select the source: the evaluator reads nothing else of it.
    fn source_key(&self, source: &Pod, key: &mut Vec<usize>) {
        key.extend(self.selecting(source).map(|(i, _)| i));
    }

    fn scope(&self, source: &Pod) -> (Box<dyn Split + '_>, Seeds) {
        let selecting: Vec<&Policy> = self.selecting(source).map(|(_, p)| p).collect();
        let mut s = Seeds::default();
        for p in &selecting {
            s.extend(seeds(p));
        }
        (Box::new(Selected(selecting)), s)
    }
}
