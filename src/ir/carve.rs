//! Carving denies out of allows, for targets that have no deny of their own (native
//! NetworkPolicy): the result allows exactly `allow \ deny`, or says why that cannot be written
//! as address ranges with `except` lists and port lists.

use std::collections::BTreeMap;

use ipnet::IpNet;

use super::Rule;
use crate::model::{Peer, PortSet};
use crate::source::Span;

/// A peer with the address ranges cut out of it (only for `Peer::Net`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CarvedPeer {
    pub peer: Peer,
    pub except: Vec<IpNet>,
}

/// An allow rule after carving.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CarvedRule {
    pub peers: Vec<CarvedPeer>,
    pub ports: PortSet,
    pub origins: Vec<Span>,
}

/// Why a deny cannot be carved out of an allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CarveError {
    /// The allow covers every protocol and the deny only some ports: the rest of "every
    /// protocol" cannot be listed as ports.
    PartialPortsOfAll { allow: Span, deny: Span, peer: Peer },
    /// A pod deny overlaps a pod allow: selectors cannot subtract.
    PodDeny { allow: Span, deny: Span },
    /// An address range or pods denied out of `any`: a rule without peers cannot except them.
    FromAny { allow: Span, deny: Span, peer: Peer },
    /// A host-name deny: nothing can enforce it without resolving names.
    HostDeny { deny: Span },
}

fn first(spans: &[Span]) -> Span {
    spans.first().copied().unwrap_or_default()
}

/// Carves every deny rule out of every allow rule.
pub fn carve(allow: &[Rule], deny: &[Rule]) -> Result<Vec<CarvedRule>, Vec<CarveError>> {
    let mut errors = Vec::new();
    for d in deny {
        for p in &d.peers {
            match p {
                Peer::Host(_) => errors.push(CarveError::HostDeny {
                    deny: d.origin_of(p),
                }),
                Peer::Pods { .. }
                | Peer::RemotePods { .. }
                | Peer::ServiceAccount { .. }
                | Peer::Service { .. } => {
                    for a in allow {
                        let overlaps = a.peers.iter().any(|q| {
                            matches!(
                                q,
                                Peer::Pods { .. }
                                    | Peer::RemotePods { .. }
                                    | Peer::ServiceAccount { .. }
                                    | Peer::Service { .. }
                            ) && q.may_overlap(p)
                        });
                        if overlaps && a.ports.intersects(&d.ports) {
                            errors.push(CarveError::PodDeny {
                                allow: first(&a.origins),
                                deny: d.origin_of(p),
                            });
                        }
                    }
                }
                // Carved by the address ranges they stand for, where a target resolves them
                // (see `backend::native`); here they only refuse to be cut out of `any`.
                // The checker refuses HTTP rules in deny lists (E0367).
                Peer::Net(_)
                | Peer::Any
                | Peer::ApiServer
                | Peer::Nodes(_)
                | Peer::Cluster
                | Peer::Http { .. }
                | Peer::Tls { .. }
                | Peer::Dns { .. } => {}
            }
            // Nothing but ports can be cut out of `any`.
            if !matches!(p, Peer::Any | Peer::Host(_)) {
                for a in allow {
                    if a.peers.contains(&Peer::Any) && a.ports.intersects(&d.ports) {
                        errors.push(CarveError::FromAny {
                            allow: a.origin_of(&Peer::Any),
                            deny: d.origin_of(p),
                            peer: p.clone(),
                        });
                    }
                }
            }
        }
    }
    // Denies of every destination: they narrow the ports of every allowance.
    let deny_any: Vec<(&PortSet, Span)> = deny
        .iter()
        .filter(|d| d.peers.contains(&Peer::Any))
        .map(|d| (&d.ports, d.origin_of(&Peer::Any)))
        .collect();
    let deny_nets: Vec<(IpNet, &PortSet, Span)> = deny
        .iter()
        .flat_map(|d| {
            d.peers.iter().filter_map(move |p| match p {
                Peer::Net(n) => Some((*n, &d.ports, d.origin_of(p))),
                _ => None,
            })
        })
        .collect();

    let mut out: BTreeMap<PortSet, (Vec<CarvedPeer>, Vec<Span>)> = BTreeMap::new();
    let mut order: BTreeMap<PortSet, Span> = BTreeMap::new();
    for rule in allow {
        for peer in &rule.peers {
            let origin = rule.origin_of(peer);
            let pieces = match peer {
                Peer::Net(c) => {
                    carve_net(*c, &rule.ports, &deny_nets, &deny_any, origin, &mut errors)
                }
                Peer::Pods { .. }
                | Peer::ServiceAccount { .. }
                | Peer::Any
                | Peer::ApiServer
                | Peer::Nodes(_)
                | Peer::Cluster => {
                    match ports_left(&rule.ports, &deny_any, peer, origin, &mut errors) {
                        Some(left) if !left.is_empty() => vec![(
                            CarvedPeer {
                                peer: peer.clone(),
                                except: Vec::new(),
                            },
                            left,
                        )],
                        _ => Vec::new(),
                    }
                }
                other => vec![(
                    CarvedPeer {
                        peer: other.clone(),
                        except: Vec::new(),
                    },
                    rule.ports.clone(),
                )],
            };
            for (p, ports) in pieces {
                order.entry(ports.clone()).or_insert(origin);
                let e = out.entry(ports).or_default();
                e.0.push(p);
                e.1.extend(rule.origins.iter().copied());
            }
        }
    }
    if !errors.is_empty() {
        errors.dedup();
        return Err(errors);
    }
    let mut rules: Vec<CarvedRule> = out
        .into_iter()
        .map(|(ports, (mut peers, mut origins))| {
            peers.sort();
            peers.dedup();
            origins.sort();
            origins.dedup();
            CarvedRule {
                peers,
                ports,
                origins,
            }
        })
        .collect();
    rules.sort_by(|a, b| (order.get(&a.ports), &a.ports).cmp(&(order.get(&b.ports), &b.ports)));
    Ok(rules)
}

/// The ports of `peer` (allowed on `ports`) left once every deny of every destination is cut
/// out; `None` after reporting, when what is left cannot be listed as ports.
fn ports_left(
    ports: &PortSet,
    deny_any: &[(&PortSet, Span)],
    peer: &Peer,
    origin: Span,
    errors: &mut Vec<CarveError>,
) -> Option<PortSet> {
    let mut left = ports.clone();
    for (q, deny) in deny_any {
        if !left.intersects(q) {
            continue;
        }
        match left.minus(q) {
            Some(rest) => left = rest,
            None => {
                errors.push(CarveError::PartialPortsOfAll {
                    allow: origin,
                    deny: *deny,
                    peer: peer.clone(),
                });
                return None;
            }
        }
    }
    Some(left)
}

/// The pieces of allowed range `c` (with ports `ports`) once every deny is cut out.
fn carve_net(
    c: IpNet,
    ports: &PortSet,
    denies: &[(IpNet, &PortSet, Span)],
    deny_any: &[(&PortSet, Span)],
    origin: Span,
    errors: &mut Vec<CarveError>,
) -> Vec<(CarvedPeer, PortSet)> {
    let minus = |have: &PortSet,
                 q: &PortSet,
                 deny: Span,
                 errors: &mut Vec<CarveError>|
     -> Option<PortSet> {
        if !have.intersects(q) {
            return Some(have.clone());
        }
        let rest = have.minus(q);
        if rest.is_none() {
            errors.push(CarveError::PartialPortsOfAll {
                allow: origin,
                deny,
                peer: Peer::Net(c),
            });
        }
        rest
    };
    // Denies that cover all of `c` narrow its ports, those of every destination first.
    let Some(mut base) = ports_left(ports, deny_any, &Peer::Net(c), origin, errors) else {
        return Vec::new();
    };
    for (d, q, span) in denies.iter().filter(|(d, _, _)| d.contains(&c)) {
        let _ = d;
        match minus(&base, q, *span, errors) {
            Some(rest) => base = rest,
            None => return Vec::new(),
        }
    }
    // Denies strictly inside `c`: a laminar family of ranges, each with the ports denied in it.
    let mut inside: BTreeMap<IpNet, (PortSet, Span)> = BTreeMap::new();
    for (d, q, span) in denies.iter().filter(|(d, _, _)| c.contains(d) && *d != c) {
        if !base.intersects(q) {
            continue;
        }
        let e = inside
            .entry(*d)
            .or_insert_with(|| (PortSet::Ranges(Vec::new()), *span));
        e.0 = e.0.union(q);
    }
    let nodes: Vec<IpNet> = inside.keys().copied().collect();
    let children = |parent: Option<IpNet>| -> Vec<IpNet> {
        let within = |n: &IpNet| parent.is_none_or(|p| p != *n && p.contains(n));
        let candidates: Vec<IpNet> = nodes.iter().copied().filter(|n| within(n)).collect();
        let tops: Vec<IpNet> = candidates
            .iter()
            .copied()
            .filter(|n| !candidates.iter().any(|m| m != n && m.contains(n)))
            .collect();
        super::lower::aggregate_nets(tops)
    };
    let mut out = Vec::new();
    // When the inner denies cover a range entirely (two adjacent halves aggregate back to it),
    // the range keeps no address of its own: its pieces are the inner ranges. (An `except` equal
    // to its `cidr` is also invalid Kubernetes.)
    let top = children(None);
    if !base.is_empty() && top != [c] {
        out.push((
            CarvedPeer {
                peer: Peer::Net(c),
                except: top,
            },
            base.clone(),
        ));
    }
    for n in &nodes {
        // Ports still allowed in `n`: the base minus every deny containing `n`.
        let mut allowed = Some(base.clone());
        for (m, (q, span)) in inside.iter().filter(|(m, _)| m.contains(n)) {
            let _ = m;
            allowed = match allowed {
                Some(a) => minus(&a, q, *span, errors),
                None => None,
            };
        }
        let inner = children(Some(*n));
        if let Some(a) = allowed.filter(|a| !a.is_empty() && inner != [*n]) {
            out.push((
                CarvedPeer {
                    peer: Peer::Net(*n),
                    except: inner,
                },
                a,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PortRange, Proto};

    fn rule(net: &str, ports: PortSet) -> Rule {
        Rule {
            peers: vec![Peer::Net(net.parse().unwrap())],
            ports,
            origins: vec![Span::default()],
            peer_origins: Default::default(),
        }
    }

    fn tcp(p: u16) -> PortSet {
        PortSet::Ranges(vec![PortRange {
            proto: Proto::Tcp,
            first: p,
            last: p,
        }])
    }

    #[test]
    fn metadata_is_cut_out_of_the_internet() {
        let out = carve(
            &[rule("0.0.0.0/0", PortSet::All)],
            &[rule("169.254.169.254/32", PortSet::All)],
        )
        .unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].peers[0].except,
            vec!["169.254.169.254/32".parse::<IpNet>().unwrap()]
        );
    }

    #[test]
    fn a_port_deny_inside_a_port_list_splits_the_rule() {
        let both = PortSet::from_ranges(vec![
            PortRange {
                proto: Proto::Tcp,
                first: 22,
                last: 22,
            },
            PortRange {
                proto: Proto::Tcp,
                first: 443,
                last: 443,
            },
        ]);
        let out = carve(&[rule("10.0.0.0/8", both)], &[rule("10.1.0.0/16", tcp(22))]).unwrap();
        let shown: Vec<String> = out
            .iter()
            .map(|r| {
                format!(
                    "{:?} {}",
                    r.peers
                        .iter()
                        .map(|p| (p.peer.to_string(), p.except.len()))
                        .collect::<Vec<_>>(),
                    r.ports
                )
            })
            .collect();
        assert_eq!(
            shown,
            vec![
                r#"[("10.0.0.0/8", 1)] tcp/22, tcp/443"#.to_owned(),
                r#"[("10.1.0.0/16", 0)] tcp/443"#.to_owned()
            ]
        );
    }

    #[test]
    fn a_port_deny_inside_every_port_is_refused() {
        let err = carve(
            &[rule("10.0.0.0/8", PortSet::All)],
            &[rule("10.1.0.0/16", tcp(22))],
        )
        .unwrap_err();
        assert!(matches!(err[0], CarveError::PartialPortsOfAll { .. }));
    }

    #[test]
    fn a_deny_covering_the_allow_removes_it() {
        let out = carve(
            &[rule("10.1.2.0/24", tcp(443))],
            &[rule("10.0.0.0/8", PortSet::All)],
        )
        .unwrap();
        assert!(out.is_empty());
    }
}
