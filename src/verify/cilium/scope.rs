//! Cilium policies decided one source pod at a time ([`Scoped`]): a pod's egress depends only on
//! the rule sets whose endpoint selector selects it (their allows, denies and DNS rules), so
//! those alone decide its flows, and the edges of their rules are what to try.

use std::collections::{BTreeMap, BTreeSet};

use super::decide::Selected;
use super::fqdn::Fqdn;
use super::{Peers, Policies, Spec};
use crate::model::{PortRange, Proto};
use crate::verify::ports::PortMatch;
use crate::verify::universe::{self, ELSEWHERE, Scoped, Seeds, Split};
use crate::verify::{ClientHello, Lookup, Pod, kube_dns};

/// The rule sets of a stream: those confined to a namespace by it, and the clusterwide ones,
/// each with its place in the stream.
pub struct Scope<'a> {
    specs: &'a [Spec],
    by_namespace: BTreeMap<&'a str, Vec<(usize, &'a Spec)>>,
    clusterwide: Vec<(usize, &'a Spec)>,
}

impl Policies {
    /// The rule sets, ready to be decided one source at a time.
    pub fn scoped(&self) -> Scope<'_> {
        let mut by_namespace: BTreeMap<&str, Vec<(usize, &Spec)>> = BTreeMap::new();
        let mut clusterwide = Vec::new();
        for (i, s) in self.0.iter().enumerate() {
            match s.subject.namespace() {
                Some(ns) => by_namespace.entry(ns).or_default().push((i, s)),
                None => clusterwide.push((i, s)),
            }
        }
        Scope {
            specs: &self.0,
            by_namespace,
            clusterwide,
        }
    }
}

impl<'a> Scope<'a> {
    /// The rule sets whose endpoint selector selects `source`, with their places.
    fn selecting(&self, source: &Pod) -> impl Iterator<Item = (usize, &'a Spec)> {
        self.by_namespace
            .get(source.namespace.as_str())
            .into_iter()
            .flatten()
            .chain(&self.clusterwide)
            .copied()
            .filter(|(_, s)| s.subject.matches(source))
    }
}

/// Names that match and nearly match a `toFQDNs` selector (or a server name): `*` as a label,
/// `**` as two.
fn name_edges(f: &Fqdn) -> Vec<String> {
    let text = match f {
        Fqdn::Name(n) => n.clone(),
        Fqdn::Pattern(p) => p.clone(),
    };
    let one = text.replace("**", "a.b").replace('*', "a");
    let empty = text.replace("**.", "").replace('*', "");
    [
        one.clone(),
        format!("x{one}"),
        format!("a.{one}"),
        format!("{one}.evil.example"),
        empty,
    ]
    .into_iter()
    .map(|n| n.trim_matches('.').to_owned())
    .filter(|n| !n.is_empty())
    .collect()
}

/// The names of [`name_edges`] as destinations, with and without their addresses.
fn names(f: &Fqdn, s: &mut Seeds) {
    for n in name_edges(f) {
        s.name(n);
    }
}

/// The namespace a rule set's pods live in (its policy's), or none for a clusterwide one.
fn home(spec: &Spec) -> &str {
    spec.object.split_once('/').map_or(ELSEWHERE, |(ns, _)| ns)
}

/// What lies at the edges of a rule set's rules.
fn seeds(spec: &Spec) -> Seeds {
    let mut s = Seeds::default();
    for r in spec.egress.iter().chain(&spec.deny) {
        for pr in &r.ports {
            for range in pr.ports.iter().flat_map(PortMatch::ranges) {
                s.ports(range);
            }
            // The names at the edges of each DNS selector, as destinations and as lookups.
            for f in pr.dns.iter().flatten() {
                names(f, &mut s);
                s.lookups
                    .extend(name_edges(f).into_iter().map(|name| Lookup { name }));
            }
            for h in pr.http.iter().flatten() {
                s.requests.extend(h.examples());
            }
            // A ClientHello without a server name, and with each name at the edges of each
            // server name.
            if let Some(server_names) = &pr.server_names {
                s.hellos.insert(ClientHello { server_name: None });
                for f in server_names {
                    s.hellos
                        .extend(name_edges(f).into_iter().map(|n| ClientHello {
                            server_name: Some(n),
                        }));
                }
            }
        }
        for i in &r.icmps {
            let first = u16::from(i.kind) << 8;
            s.ports(PortRange {
                proto: if i.v6 { Proto::Icmpv6 } else { Proto::Icmp },
                first,
                last: first | 0xff,
            });
        }
        match &r.peers {
            // Every destination: the probes try it.
            None | Some(Peers::Entities(_)) => {}
            Some(Peers::Cidrs(cidrs)) => {
                for c in cidrs {
                    s.net(&c.net);
                    for e in &c.except {
                        s.net(e);
                    }
                }
            }
            Some(Peers::Endpoints(sels)) => {
                for sel in sels {
                    s.destinations.extend(
                        sel.examples(home(spec))
                            .into_iter()
                            .map(crate::verify::Destination::Pod),
                    );
                }
            }
            Some(Peers::Fqdns(fqdns)) => {
                for f in fqdns {
                    names(f, &mut s);
                }
            }
        }
    }
    s.destinations
        .insert(crate::verify::Destination::Pod(kube_dns()));
    s
}

impl Scoped for Scope<'_> {
    fn sources(&self) -> BTreeSet<Pod> {
        let mut out = BTreeSet::new();
        for spec in self.specs {
            out.extend(spec.subject.examples(home(spec)));
            out.extend(universe::subjects(
                home(spec),
                &crate::model::LabelSelector::default(),
            ));
            // [lifecycle] a clusterwide subject may select the endpoints of reserved
            // identities: by their label, or by requiring nothing of the namespace (`{}`).
            out.extend(
                crate::model::Reserved::ALL
                    .map(Pod::reserved)
                    .into_iter()
                    .filter(|p| spec.subject.matches(p)),
            );
        }
        out
    }

    /// The rule sets that select the source, and the cluster it runs in: the evaluator reads
    /// nothing else of it but to build the DNS lookups its rules decide, which their selection
    /// decides alike, and to tell pods of other clusters from those of its own.
    fn source_key(&self, source: &Pod, key: &mut Vec<usize>) {
        key.extend(self.selecting(source).map(|(i, _)| i));
        if let Some(c) = &source.cluster {
            key.push(usize::MAX);
            key.extend(c.bytes().map(usize::from));
        }
    }

    fn scope(&self, source: &Pod) -> (Box<dyn Split + '_>, Seeds) {
        let selecting: Vec<&Spec> = self.selecting(source).map(|(_, s)| s).collect();
        let mut s = Seeds::default();
        for spec in &selecting {
            s.extend(seeds(spec));
        }
        (Box::new(Selected(selecting)), s)
    }
}
