//! The imported program before it is laid out as text: per namespace, the statements the
//! documents became (a subject selector, allowed and denied destinations, the objects they came
//! from), the cluster-wide guardrails, and the named address sets. Every dialect mapping
//! (`native.rs`, `cilium.rs`, `calico.rs`) writes into it; `layout.rs` prints it.
//!
//! A destination is a checked [`Peer`] with an optional port range, as in the language: the
//! mappings only ever produce what the language can say.

use std::collections::BTreeMap;

use ipnet::IpNet;

use super::report::Report;
use crate::model::{LabelSelector, NamespaceSel, Peer, PortRange, Subject};
use crate::source::Span;

/// Where a statement came from: the object's kind and name, and where it starts in its file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// `NetworkPolicy`, `CiliumNetworkPolicy`, ...
    pub kind: String,
    /// `payments/payments-api-egress`, or a cluster-scoped object's name.
    pub object: String,
    /// The document's start in its YAML file.
    pub span: Span,
    /// The document's index among the import's documents.
    pub doc: usize,
}

/// One destination: a peer on a port range of one protocol, or on every port (`None`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dest {
    pub peer: Peer,
    pub ports: Option<PortRange>,
}

/// An `app`/`pods` statement (or, with an empty selector and nothing allowed, `default deny`).
#[derive(Clone, Debug)]
pub struct Statement {
    /// The name the object suggests (its name without an `-egress` suffix), made writable by
    /// the layout.
    pub name: String,
    pub selector: LabelSelector,
    pub allow: Vec<Dest>,
    pub deny: Vec<Dest>,
    /// Address ranges allowed with exceptions (`ipBlock.except`, `toCIDRSet.except`): their
    /// range is in `allow`; how the exceptions are written is settled once every statement is
    /// known ([`Program::settle_exceptions`]).
    pub exceptions: Vec<Exception>,
    /// Its DNS allowance answers only the workload's host names and in-cluster names (Cilium's
    /// `rules.dns` as the language's `strict-dns` writes them).
    pub strict_dns: bool,
    pub origins: Vec<Origin>,
}

/// An allowed address range minus some ranges inside it, on one port range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exception {
    pub net: IpNet,
    pub except: Vec<IpNet>,
    pub ports: Option<PortRange>,
}

impl Statement {
    /// Whether this is `default deny`: every pod, nothing allowed, nothing denied.
    pub fn default_deny(&self) -> bool {
        self.selector.reqs.is_empty() && self.allow.is_empty() && self.deny.is_empty()
    }

    /// Allows `net` without `except` on `ports`.
    pub fn allow_except(&mut self, net: IpNet, except: &[IpNet], ports: Option<PortRange>) {
        self.allow(Dest {
            peer: Peer::Net(net),
            ports,
        });
        if !except.is_empty() {
            let e = Exception {
                net,
                except: except.to_vec(),
                ports,
            };
            if !self.exceptions.contains(&e) {
                self.exceptions.push(e);
            }
        }
    }

    /// Adds `dest` to the allowances unless it is there already.
    pub fn allow(&mut self, dest: Dest) {
        if !self.allow.contains(&dest) {
            self.allow.push(dest);
        }
    }

    /// Adds `dest` to the denials unless it is there already.
    pub fn deny(&mut self, dest: Dest) {
        if !self.deny.contains(&dest) {
            self.deny.push(dest);
        }
    }
}

/// A `cluster NAME ... deny ...` guardrail.
#[derive(Clone, Debug)]
pub struct Guardrail {
    pub name: String,
    /// The pods it applies to (every pod, unless the policy narrows it).
    pub subject: Subject,
    pub deny: Vec<Dest>,
    pub origin: Origin,
}

/// A `cluster NAME ... -> ...` allow-list: a statement whose pods are those of `namespaces`
/// that its selector selects. Its exceptions are written as the fewest ranges when it is
/// added (a deny of a cluster-wide statement would apply to every namespaced statement of its
/// pods too).
#[derive(Clone, Debug)]
pub struct ClusterStatement {
    pub namespaces: NamespaceSel,
    pub statement: Statement,
}

impl ClusterStatement {
    pub fn subject(&self) -> Subject {
        Subject {
            namespaces: self.namespaces.clone(),
            selector: self.statement.selector.clone(),
        }
    }
}

/// A named set of address ranges (a Calico NetworkSet or GlobalNetworkSet, a CiliumCIDRGroup),
/// printed as a definition.
#[derive(Clone, Debug)]
pub struct Set {
    pub name: String,
    pub nets: Vec<IpNet>,
    pub origin: Origin,
}

/// Everything imported, by namespace in name order.
#[derive(Clone, Debug, Default)]
pub struct Program {
    pub namespaces: BTreeMap<String, Vec<Statement>>,
    pub guardrails: Vec<Guardrail>,
    /// Cluster-wide allow-lists, in the order they were read.
    pub cluster: Vec<ClusterStatement>,
    /// Host allow-lists (`host NAME {NODE LABELS} -> ...`; a statement's selector is the nodes'
    /// labels), in the order they were read.
    pub hosts: Vec<Statement>,
    /// Allow-lists of Cilium's reserved identities (`reserved init -> ...`), one per identity.
    pub reserved: Vec<(crate::model::Reserved, Statement)>,
    /// Denials of deny-only clusterwide policies whose subject also selects the endpoints of a
    /// reserved identity: settled once every statement is known
    /// ([`Program::settle_reserved_denials`]).
    pub reserved_denials: Vec<(crate::model::Reserved, Vec<Dest>, Origin)>,
    pub sets: Vec<Set>,
    /// The cluster of a Cilium cluster mesh the policies are applied in (`set cluster-name`),
    /// when their endpoint selectors name one.
    pub cluster_name: Option<String>,
}

impl Program {
    /// Adds a statement to its namespace; one with the same selector as an earlier statement is
    /// merged into it (policies selecting the same pods are a union in every product and in the
    /// language alike, their denials included).
    pub fn add(&mut self, namespace: &str, statement: Statement) {
        let list = self.namespaces.entry(namespace.to_owned()).or_default();
        // `default deny` stays a statement of its own beside one for every pod.
        let merges = |s: &Statement| {
            s.selector == statement.selector && s.default_deny() == statement.default_deny()
        };
        match list.iter_mut().find(|s| merges(s)) {
            Some(s) => {
                for d in statement.allow {
                    s.allow(d);
                }
                for d in statement.deny {
                    s.deny(d);
                }
                for e in statement.exceptions {
                    if !s.exceptions.contains(&e) {
                        s.exceptions.push(e);
                    }
                }
                // As in the language: when both forms meet, the loose one wins.
                s.strict_dns &= statement.strict_dns;
                s.origins.extend(statement.origins);
            }
            None => list.push(statement),
        }
    }

    /// Adds a cluster-wide allow-list; one with the same subject as an earlier one is merged
    /// into it (a deny-only policy of the same pods, as Calico's deny policies are). Its
    /// exceptions are written as the fewest ranges.
    pub fn add_cluster(&mut self, namespaces: NamespaceSel, mut statement: Statement) {
        ranges_for_exceptions(&mut statement);
        let same = self
            .cluster
            .iter_mut()
            .find(|c| c.namespaces == namespaces && c.statement.selector == statement.selector);
        match same {
            Some(c) => {
                for d in statement.allow {
                    c.statement.allow(d);
                }
                for d in statement.deny {
                    c.statement.deny(d);
                }
                c.statement.strict_dns &= statement.strict_dns;
                c.statement.origins.extend(statement.origins);
            }
            None => self.cluster.push(ClusterStatement {
                namespaces,
                statement,
            }),
        }
    }

    /// Adds a host allow-list; one with the same node selector as an earlier one is merged into
    /// it. Its exceptions are written as the fewest ranges, as a cluster statement's.
    pub fn add_host(&mut self, mut statement: Statement) {
        ranges_for_exceptions(&mut statement);
        match self
            .hosts
            .iter_mut()
            .find(|h| h.selector == statement.selector)
        {
            Some(h) => {
                for d in statement.allow {
                    h.allow(d);
                }
                for d in statement.deny {
                    h.deny(d);
                }
                h.strict_dns &= statement.strict_dns;
                h.origins.extend(statement.origins);
            }
            None => self.hosts.push(statement),
        }
    }

    /// Adds an allow-list of a reserved identity; one for the same identity as an earlier one is
    /// merged into it. Its exceptions are written as the fewest ranges, as a cluster statement's.
    pub fn add_reserved(&mut self, identity: crate::model::Reserved, mut statement: Statement) {
        ranges_for_exceptions(&mut statement);
        match self.reserved.iter_mut().find(|(r, _)| *r == identity) {
            Some((_, r)) => {
                for d in statement.allow {
                    r.allow(d);
                }
                for d in statement.deny {
                    r.deny(d);
                }
                r.strict_dns &= statement.strict_dns;
                r.origins.extend(statement.origins);
            }
            None => self.reserved.push((identity, statement)),
        }
    }

    /// Each denial of a deny-only policy that does not isolate the endpoints of a reserved
    /// identity: added to that identity's statement, whose deny applies to all of its egress,
    /// or, without one, a statement that allows everything else (`-> any deny ...`), since an
    /// endpoint no policy isolates may reach everything.
    pub fn settle_reserved_denials(&mut self) {
        for (identity, deny, origin) in std::mem::take(&mut self.reserved_denials) {
            match self.reserved.iter_mut().find(|(r, _)| *r == identity) {
                Some((_, s)) => {
                    for d in deny {
                        s.deny(d);
                    }
                    s.origins.push(origin);
                }
                None => {
                    let mut s = Statement {
                        name: identity.name().to_owned(),
                        selector: LabelSelector::default(),
                        allow: Vec::new(),
                        deny: Vec::new(),
                        exceptions: Vec::new(),
                        strict_dns: false,
                        origins: vec![origin],
                    };
                    s.allow(Dest {
                        peer: Peer::Any,
                        ports: None,
                    });
                    for d in deny {
                        s.deny(d);
                    }
                    self.reserved.push((identity, s));
                }
            }
        }
    }

    /// How many statements and guardrails there are.
    pub fn len(&self) -> usize {
        self.namespaces.values().map(Vec::len).sum::<usize>()
            + self.guardrails.len()
            + self.cluster.len()
            + self.hosts.len()
            + self.reserved.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0 && self.sets.is_empty()
    }

    /// Every object the statements, guardrails and sets came from.
    pub fn origins(&self) -> Vec<Origin> {
        self.namespaces
            .values()
            .flatten()
            .flat_map(|s| s.origins.iter().cloned())
            .chain(self.guardrails.iter().map(|g| g.origin.clone()))
            .chain(
                self.cluster
                    .iter()
                    .flat_map(|c| c.statement.origins.iter().cloned()),
            )
            .chain(self.hosts.iter().flat_map(|h| h.origins.iter().cloned()))
            .chain(
                self.reserved
                    .iter()
                    .flat_map(|(_, r)| r.origins.iter().cloned()),
            )
            .chain(self.sets.iter().map(|s| s.origin.clone()))
            .collect()
    }
}

/// A statement's exceptions (an allowed range with `except` ranges) as the fewest ranges: a
/// deny of a statement of its own would apply to every other statement of its subjects too.
fn ranges_for_exceptions(statement: &mut Statement) {
    for e in std::mem::take(&mut statement.exceptions) {
        let own = Dest {
            peer: Peer::Net(e.net),
            ports: e.ports,
        };
        statement.allow.retain(|d| *d != own);
        for n in super::shared::without(e.net, &e.except) {
            statement.allow(Dest {
                peer: Peer::Net(n),
                ports: e.ports,
            });
        }
    }
}

impl Program {
    /// Settles the statements that allow nothing: with an empty selector and no denial it is
    /// `default deny`; one whose pods another statement of the namespace already isolates
    /// entirely (an empty selector) adds nothing and goes; the others are `none`. A denial of a
    /// statement that allows nothing only narrows the other statements that select its pods:
    /// with none, it goes too; with some, the language cannot say it (`none` takes no deny
    /// clause), and the policy is refused.
    pub fn settle_empty_allow_lists(&mut self, report: &mut Report) {
        for statements in self.namespaces.values_mut() {
            let isolates_all = statements.iter().any(|s| s.selector.reqs.is_empty());
            let selectors: Vec<LabelSelector> =
                statements.iter().map(|s| s.selector.clone()).collect();
            let mut keep = Vec::with_capacity(statements.len());
            for (i, mut s) in std::mem::take(statements).into_iter().enumerate() {
                if !s.allow.is_empty() || s.default_deny() {
                    keep.push(s);
                    continue;
                }
                if isolates_all && s.deny.is_empty() {
                    continue;
                }
                let overlaps = selectors
                    .iter()
                    .enumerate()
                    .any(|(j, other)| j != i && other.may_overlap(&s.selector));
                if overlaps && !s.deny.is_empty() {
                    if let Some(o) = s.origins.first() {
                        report.refuse(
                            o.doc,
                            o.span,
                            format!(
                                "{} {} allows nothing and denies what other policies of the same pods allow, which the language cannot say (`none` takes no deny)",
                                o.kind, o.object
                            ),
                            "write the denial into the statements that allow it, or keep this policy outside egressc",
                        );
                    }
                    continue;
                }
                s.deny.clear();
                keep.push(s);
            }
            *statements = keep;
        }
        self.namespaces.retain(|_, s| !s.is_empty());
    }
}

/// Whether two port ranges (`None`: every port) share a port.
fn ports_meet(a: Option<PortRange>, b: Option<PortRange>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x.proto == y.proto && x.first <= y.last && y.first <= x.last,
        _ => true,
    }
}

/// Whether `d` may reach an address in `net` on a port of `ports` (a host name may resolve
/// to any address).
fn reaches(d: &Dest, net: &IpNet, ports: Option<PortRange>) -> bool {
    ports_meet(d.ports, ports)
        && match &d.peer {
            Peer::Net(n) => n.contains(net) || net.contains(n),
            // The API server may be outside the cluster, at an address of the range.
            Peer::Host(_) | Peer::Any | Peer::ApiServer | Peer::Cluster => true,
            // A Service may have endpoints outside the cluster (one without a selector).
            Peer::Service { .. } => true,
            Peer::Pods { .. }
            | Peer::RemotePods { .. }
            | Peer::ServiceAccount { .. }
            | Peer::Nodes(_) => false,
            Peer::Http { peer, .. } | Peer::Tls { peer, .. } | Peer::Dns { peer, .. } => reaches(
                &Dest {
                    peer: (**peer).clone(),
                    ports: d.ports,
                },
                net,
                ports,
            ),
        }
}

impl Program {
    /// Writes each exception the way a person would, `10.0.0.0/8:443/tcp deny 10.1.0.0/16:443/tcp`,
    /// when that denies nothing else: no other allowance of a statement that may select the same
    /// pods reaches into the excepted range on those ports (a deny applies to every statement
    /// selecting a pod). Otherwise the range is written without its exceptions, as the fewest
    /// ranges, which is always exact.
    pub fn settle_exceptions(&mut self) {
        for statements in self.namespaces.values_mut() {
            let snapshot: Vec<(LabelSelector, Vec<Dest>)> = statements
                .iter()
                .map(|s| (s.selector.clone(), s.allow.clone()))
                .collect();
            for (i, s) in statements.iter_mut().enumerate() {
                for e in std::mem::take(&mut s.exceptions) {
                    let own = Dest {
                        peer: Peer::Net(e.net),
                        ports: e.ports,
                    };
                    let clash = snapshot.iter().enumerate().any(|(j, (sel, allow))| {
                        (j == i || sel.may_overlap(&s.selector))
                            && allow.iter().any(|d| {
                                *d != own && e.except.iter().any(|x| reaches(d, x, e.ports))
                            })
                    });
                    if clash {
                        s.allow.retain(|d| *d != own);
                        for n in super::shared::without(e.net, &e.except) {
                            s.allow(Dest {
                                peer: Peer::Net(n),
                                ports: e.ports,
                            });
                        }
                    } else {
                        for x in &e.except {
                            s.deny(Dest {
                                peer: Peer::Net(*x),
                                ports: e.ports,
                            });
                        }
                    }
                }
            }
        }
    }
}
