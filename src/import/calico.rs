//! Calico `projectcalico.org/v3` policies → statements and guardrails: one function per field
//! and kind of peer, and the one place where Calico's order meets the language's union.
//!
//! | Calico | the language |
//! |---|---|
//! | NetworkPolicy (staged: read as enforced, W0801) in the `default` tier | a statement of its namespace |
//! | `selector` (`==`, `!=`, `in`, `not in`, `has()`, `!has()`, `&&`, `all()`) | `app NAME` or `pods NAME {...}` |
//! | `types` without `Egress` | skipped (W0803) |
//! | `Allow` and `Pass` rules (`Pass` leads to no tier that decides, so it allows) | allowed destinations |
//! | `Deny` rules | `deny ...`; one that only denies what an earlier `Allow` allows is left out; one that also narrows an earlier `Allow` is kept (W0802) |
//! | `Log` rules | not carried over (W0801): they decide nothing |
//! | `destination.nets`, `notNets` | address ranges (exceptions denied or carved) |
//! | `destination.selector`, `namespaceSelector` (by name or by labels) | `pods{...}`, `pods(NS){...}`, `pods(*){...}`, `pods(ns{...}){...}`; `||` as one peer per alternative |
//! | `destination.serviceAccounts.names` (the policy's namespace, or the one `namespaceSelector` names) | `serviceaccount(NS/NAME)` |
//! | `destination.services` (`name`, `namespace`: the policy's when left out), without `protocol` | `service(NS/NAME)` |
//! | a selector that also selects network sets of the input (in its scope) | the pods, and the sets' addresses (by the set's definition name) |
//! | `destination.domains` (Calico Enterprise) | host names (`*.x` is the language's `**.x`) |
//! | `protocol` TCP, UDP, SCTP and `destination.ports` | `:PORT/PROTO`; no port: `:1-65535/PROTO` |
//! | `protocol` ICMP, ICMPv6 with `icmp: {type, code}`, other protocols (by name or number) | `:icmp(TYPE, CODE)`, `:icmpv6(TYPE)`, `:gre` ... |
//! | a rule with no destination | `any` |
//! | a Tier before `default` with `defaultAction: Pass` holding GlobalNetworkPolicies that only deny | `cluster NAME [SUBJECT] deny ...` |
//! | GlobalNetworkPolicy in the `default` tier with a `namespaceSelector` (pods only) | `cluster NAME [{SELECTOR}] [in ns{...}] [except NS, ...] -> ...` |
//! | GlobalNetworkPolicy in the `default` tier without `namespaceSelector` (pods and host endpoints) | `cluster NAME [{SELECTOR}] -> ...` and `host NAME-nodes [{SELECTOR}] -> ...` with the failsafe ports allowed to `any`; with `!has(projectcalico.org/namespace)`, the host statement alone |
//! | such a policy whose `Deny` rules cover a failsafe port, policies of other tiers | refused (E0803) |
//! | NetworkSet, GlobalNetworkSet | `def NAME = ...` |
//! | `notProtocol`, `notICMP`, `notPorts`, `notSelector`, source criteria | left out (W0802) in an `Allow`, refused (E0803) in a `Deny` |

use std::collections::BTreeMap;

use ipnet::IpNet;

use super::check::Model;
use super::documents::{Dialect, Doc};
use super::layout::STDLIB;
use super::names::{self, Names};
use super::program::{Dest, Exception, Guardrail, Origin, Program, Set, Statement};
use super::report::{Report, span};
use super::shared::{self, WRITE_BY_HAND};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::Subject;
use crate::model::{LabelReq, LabelSelector, NamespaceSel, Peer, PortRange};
use crate::source::{SourceMap, Span, Spanned};
use crate::verify::NAMESPACE_NAME;
use crate::verify::calico::selector::Selector;
use crate::verify::calico::{
    Action, Entity, NetworkSet, Policy, Rule, TierDefault, Tiers, read, set_in_scope,
};
use crate::verify::cursor::{Mode, Reader};

/// The tier where policies without a `tier` live.
const DEFAULT_TIER: &str = "default";

/// The label Calico gives every namespace with its name.
const CALICO_NAME: &str = "projectcalico.org/name";

/// Reads the Calico documents (each with the input's Tiers, then all together) and maps them.
pub fn import(
    docs: &[Doc],
    sources: &SourceMap,
    names: &Names,
    report: &mut Report,
    program: &mut Program,
) -> Model {
    let calico: Vec<usize> = docs
        .iter()
        .enumerate()
        .filter(|(_, d)| d.dialect == Some(Dialect::Calico))
        .map(|(i, _)| i)
        .collect();
    let tier_docs: Vec<usize> = calico
        .iter()
        .copied()
        .filter(|i| docs.get(*i).is_some_and(|d| d.kind == "Tier"))
        .collect();
    let yaml = |ids: &[usize]| -> Vec<_> {
        ids.iter()
            .filter_map(|i| docs.get(*i).map(|d| d.yaml.clone()))
            .collect()
    };
    // Every Tier on its own, then every other document with the Tiers: each error and loss
    // belongs to one document.
    let mut by_object: BTreeMap<(Option<String>, String), usize> = BTreeMap::new();
    let mut read_well = Vec::new();
    let tiers_yaml = yaml(&tier_docs);
    for i in &calico {
        let Some(d) = docs.get(*i) else { continue };
        let reader = Reader::new(Mode::Import);
        let read = if d.kind == "Tier" || tier_docs.is_empty() {
            read::tiers(std::slice::from_ref(&d.yaml), &reader, true)
        } else {
            let mut with_tiers = tiers_yaml.clone();
            with_tiers.push(d.yaml.clone());
            read::tiers(&with_tiers, &reader, true)
        };
        for l in reader.losses() {
            report.loss(*i, sources, d.file, &l);
        }
        match read {
            Err(e) => report.read_error(Some(*i), sources, d.file, &e),
            Ok(t) => {
                read_well.push(*i);
                for p in t.tiers.iter().flat_map(|t| &t.policies) {
                    by_object.insert((p.namespace.clone(), p.name.clone()), *i);
                }
                for s in &t.sets {
                    by_object.insert((s.namespace.clone(), s.name.clone()), *i);
                }
            }
        }
    }
    let empty = || Model::Calico {
        tiers: Tiers::default(),
        enterprise: false,
    };
    // What read well on its own is read together (and mapped, to report everything at once).
    let all = yaml(&read_well);
    let reader = Reader::new(Mode::Import);
    let mut tiers = match read::tiers(&all, &reader, true) {
        Ok(t) => t,
        Err(e) => {
            let file = calico
                .first()
                .and_then(|i| docs.get(*i))
                .map(|d| d.file)
                .unwrap_or_default();
            report.read_error(None, sources, file, &e);
            return empty();
        }
    };
    let enterprise = tiers
        .tiers
        .iter()
        .flat_map(|t| &t.policies)
        .flat_map(|p| &p.rules)
        .any(|r| !r.destination.domains.is_empty());
    // The edition the import is built and compared for decides the failsafe ports of host
    // endpoints, on both sides.
    tiers.enterprise = enterprise;
    let mapping = Mapping {
        docs,
        sources,
        names,
        by_object: &by_object,
        sets: &tiers.sets,
        enterprise,
    };
    mapping.sets(program);
    mapping.tiers(&tiers, report, program);
    Model::Calico { tiers, enterprise }
}

/// What the mapping needs to find and report on each object.
struct Mapping<'a> {
    docs: &'a [Doc],
    sources: &'a SourceMap,
    names: &'a Names,
    by_object: &'a BTreeMap<(Option<String>, String), usize>,
    sets: &'a [NetworkSet],
    /// Calico Enterprise (the policies name domains): its failsafe ports.
    enterprise: bool,
}

/// A rule's destinations, the ranges it allows with exceptions, and what it left out.
#[derive(Default)]
struct Mapped {
    dests: Vec<Dest>,
    exceptions: Vec<Exception>,
    left_out: Vec<String>,
}

impl Mapping<'_> {
    fn doc(&self, namespace: &Option<String>, name: &str) -> Option<(usize, &Doc)> {
        let i = *self.by_object.get(&(namespace.clone(), name.to_owned()))?;
        self.docs.get(i).map(|d| (i, d))
    }

    fn origin(&self, p: &Policy) -> Option<Origin> {
        let (i, d) = self.doc(&p.namespace, &p.name)?;
        Some(Origin {
            kind: d.kind.clone(),
            object: p.id(),
            span: span(self.sources, d.file, p.pos),
            doc: i,
        })
    }

    fn rule_span(&self, o: &Origin, r: &Rule) -> Span {
        self.docs
            .get(o.doc)
            .map_or(o.span, |d| span(self.sources, d.file, r.pos))
    }

    /// NetworkSets and GlobalNetworkSets: definitions.
    fn sets(&self, program: &mut Program) {
        for s in self.sets {
            let Some((i, d)) = self.doc(&s.namespace, &s.name) else {
                continue;
            };
            // A definition's name is the set's, unless the standard library or another set has
            // it (sets of two namespaces may share a name).
            let base = names::from_object(&s.name);
            let mut name = base.clone();
            let mut n = 1;
            while !self.names.writable(&name)
                || STDLIB.contains(&name.as_str())
                || program.sets.iter().any(|other| other.name == name)
            {
                n += 1;
                name = format!("{base}-set-{n}");
            }
            program.sets.push(Set {
                name,
                nets: s.nets.clone(),
                origin: Origin {
                    kind: d.kind.clone(),
                    object: match &s.namespace {
                        Some(ns) => format!("{ns}/{}", s.name),
                        None => s.name.clone(),
                    },
                    span: span(self.sources, d.file, s.pos),
                    doc: i,
                },
            });
        }
    }

    /// Every tier: guardrail tiers before `default`, the `default` tier's NetworkPolicies, and a
    /// refusal for anything else.
    fn tiers(&self, tiers: &Tiers, report: &mut Report, program: &mut Program) {
        let default_at = tiers
            .tiers
            .iter()
            .position(|t| t.name == DEFAULT_TIER)
            .unwrap_or(usize::MAX);
        for (i, t) in tiers.tiers.iter().enumerate() {
            for p in &t.policies {
                let Some(o) = self.origin(p) else { continue };
                if !p.egress {
                    report.push(
                        Some(o.doc),
                        Diagnostic::new(
                            Code::W0803,
                            o.span,
                            format!("{} {} does not apply to egress: skipped", o.kind, o.object),
                        )
                        .label("an ingress policy")
                        .help("egressc writes egress policies; keep ingress policies as they are"),
                    );
                    continue;
                }
                if t.name == DEFAULT_TIER {
                    match &p.namespace {
                        Some(ns) => self.workload(p, ns, &o, report, program),
                        // §gnp: with a `namespaceSelector` it applies to workload endpoints
                        // only: the pods of a cluster-wide allow-list.
                        None if p.namespace_selector.is_some() => {
                            self.cluster_workload(p, &o, report, program)
                        }
                        // §gnp: without one it applies to the host endpoints its selector
                        // selects as well; `!has(projectcalico.org/namespace)` leaves pods out.
                        None => match host_only(&p.selector) {
                            Some(nodes) => self.host_workload(p, nodes, "", &o, report, program),
                            None => {
                                self.cluster_workload(p, &o, report, program);
                                // A selector the language cannot write is refused there.
                                if let Ok(nodes) = subject(&p.selector) {
                                    self.host_workload(p, nodes, "-nodes", &o, report, program);
                                }
                            }
                        },
                    }
                } else if i < default_at && t.default_action == TierDefault::Pass {
                    self.guardrail(p, &o, report, program);
                } else {
                    report.refuse(
                        o.doc,
                        o.span,
                        format!(
                            "{} {}: in tier `{}`, it decides before or after the default tier in ways the language cannot say",
                            o.kind, o.object, t.name
                        ),
                        "keep this policy outside egressc",
                    );
                }
            }
        }
        self.settle_denies(tiers, report, program);
    }

    /// The pods a GlobalNetworkPolicy selects, as a cluster statement's subject: its
    /// `selector` in the namespaces its `namespaceSelector` chooses (none: every namespace).
    fn cluster_subject(&self, p: &Policy) -> Result<Subject, String> {
        let selector = subject(&p.selector)?;
        let namespaces = match &p.namespace_selector {
            None => NamespaceSel::Any,
            Some(sel) => match namespaces(sel, self.names)?.as_slice() {
                [NamespaceSel::Any] => NamespaceSel::Any,
                [NamespaceSel::Named(n)] => {
                    NamespaceSel::Labels(LabelSelector::new(vec![LabelReq::Eq(
                        NAMESPACE_NAME.to_owned(),
                        n.clone(),
                    )]))
                }
                [NamespaceSel::Labels(l)] => NamespaceSel::Labels(l.clone()),
                _ => {
                    return Err(
                        "its namespace selector has alternatives (`||`), which one statement cannot select".into(),
                    );
                }
            },
        };
        Ok(Subject {
            namespaces,
            selector,
        })
    }

    /// A GlobalNetworkPolicy of the default tier for pods (with a `namespaceSelector`): a
    /// cluster-wide allow-list, its Deny rules as its deny clause (checked as the namespaced
    /// ones are, by [`Self::settle_denies`] and the import's own comparison).
    fn cluster_workload(&self, p: &Policy, o: &Origin, report: &mut Report, program: &mut Program) {
        let subject = match self.cluster_subject(p) {
            Ok(s) => s,
            Err(why) => {
                return report.refuse(
                    o.doc,
                    o.span,
                    format!("{} {} selects `{}`: {why}", o.kind, o.object, p.selector),
                    "keep this policy outside egressc",
                );
            }
        };
        let statement = self.global_statement(p, subject.selector.clone(), "", o, report);
        program.add_cluster(subject.namespaces, statement);
    }

    /// A GlobalNetworkPolicy of the default tier without `namespaceSelector`, for the host
    /// endpoints of the nodes `nodes` selects: a host statement. §failsafe: Felix keeps its
    /// outbound failsafe ports open on every host endpoint, so the statement allows them to
    /// every destination; a Deny rule on one of them decides nothing there, which the language
    /// cannot say (E0543), so such a policy is refused.
    /// `suffix` tells its name from the cluster statement of the same policy's pods.
    fn host_workload(
        &self,
        p: &Policy,
        nodes: LabelSelector,
        suffix: &str,
        o: &Origin,
        report: &mut Report,
        program: &mut Program,
    ) {
        let mut statement = self.global_statement(p, nodes, suffix, o, report);
        let failsafe = crate::verify::calico::failsafe_ports(self.enterprise);
        let on_failsafe = |d: &Dest| {
            d.ports.is_none_or(|r| {
                failsafe
                    .iter()
                    .any(|&(proto, port)| r.proto == proto && r.first <= port && port <= r.last)
            })
        };
        if statement.deny.iter().any(on_failsafe) {
            return report.refuse(
                o.doc,
                o.span,
                format!(
                    "{} {}: on host endpoints its Deny rules also cover Calico's failsafe ports, which stay open whatever the policy",
                    o.kind, o.object
                ),
                "add `namespaceSelector: all()` if it is meant for pods only, or keep this policy outside egressc",
            );
        }
        for &(proto, port) in failsafe {
            statement.allow(Dest {
                peer: Peer::Any,
                ports: Some(PortRange {
                    proto,
                    first: port,
                    last: port,
                }),
            });
        }
        program.add_host(statement);
    }

    /// The statement of a GlobalNetworkPolicy of the default tier for what `selector` selects
    /// (pods or nodes), named after the policy (without its tier) and `suffix`, with its rules.
    fn global_statement(
        &self,
        p: &Policy,
        selector: LabelSelector,
        suffix: &str,
        o: &Origin,
        report: &mut Report,
    ) -> Statement {
        let name = names::from_object(p.name.rsplit('.').next().unwrap_or(&p.name));
        let mut statement = Statement {
            name: format!("{name}{suffix}"),
            selector,
            allow: Vec::new(),
            deny: Vec::new(),
            exceptions: Vec::new(),
            strict_dns: false,
            origins: vec![o.clone()],
        };
        self.rules_into(p, o, report, &mut statement);
        statement
    }

    /// A GlobalNetworkPolicy of a passing tier before `default` that only denies: a guardrail
    /// for the pods it selects.
    fn guardrail(&self, p: &Policy, o: &Origin, report: &mut Report, program: &mut Program) {
        let subject = self.cluster_subject(p);
        let why = if p.namespace.is_some() {
            Some("a NetworkPolicy in a tier of its own decides before the default tier".to_owned())
        } else if let Err(why) = &subject {
            Some(format!("it selects `{}`: {why}", p.selector))
        } else if p
            .rules
            .iter()
            .any(|r| matches!(r.action, Action::Allow | Action::Pass))
        {
            Some("its Allow or Pass rules decide before the default tier".to_owned())
        } else {
            None
        };
        let (None, Ok(subject)) = (why.clone(), subject) else {
            let why = why.unwrap_or_default();
            return report.refuse(
                o.doc,
                o.span,
                format!("{} {}: {why}", o.kind, o.object),
                "keep this policy outside egressc",
            );
        };
        let mut deny = Vec::new();
        for r in &p.rules {
            if r.action == Action::Log {
                self.log(r, o, report);
                continue;
            }
            match self.destinations(r, p) {
                Ok(m) if m.left_out.is_empty() => deny.extend(denied(m)),
                Ok(m) => {
                    return self.refuse_deny(o, r, &m.left_out.join("; "), report);
                }
                Err(why) => return self.refuse_deny(o, r, &why, report),
            }
        }
        let name = names::from_object(p.name.rsplit('.').next().unwrap_or(&p.name));
        program.guardrails.push(Guardrail {
            name,
            subject,
            deny,
            origin: o.clone(),
        });
    }

    fn refuse_deny(&self, o: &Origin, r: &Rule, why: &str, report: &mut Report) {
        report.refuse(
            o.doc,
            self.rule_span(o, r),
            format!("a Deny rule of {} {}: {why}", o.kind, o.object),
            "keep this policy outside egressc",
        );
    }

    fn log(&self, r: &Rule, o: &Origin, report: &mut Report) {
        report.push(
            Some(o.doc),
            Diagnostic::new(
                Code::W0801,
                self.rule_span(o, r),
                format!("a Log rule of {} {} is not carried over", o.kind, o.object),
            )
            .label("logs, and decides nothing"),
        );
    }

    /// A NetworkPolicy of the default tier: a statement of its namespace.
    fn workload(
        &self,
        p: &Policy,
        namespace: &str,
        o: &Origin,
        report: &mut Report,
        program: &mut Program,
    ) {
        if !self.names.writable(namespace) {
            return report.refuse(
                o.doc,
                o.span,
                format!(
                    "{} {}: the namespace `{namespace}` cannot be written in the language yet",
                    o.kind, o.object
                ),
                "import it once the language takes this name as a namespace, or keep this policy outside egressc",
            );
        }
        let selector = match subject(&p.selector) {
            Ok(s) => s,
            Err(why) => {
                return report.refuse(
                    o.doc,
                    o.span,
                    format!("{} {} selects `{}`: {why}", o.kind, o.object, p.selector),
                    "keep this policy outside egressc",
                );
            }
        };
        let mut statement = Statement {
            name: names::from_object(p.name.rsplit('.').next().unwrap_or(&p.name)),
            selector,
            allow: Vec::new(),
            deny: Vec::new(),
            exceptions: Vec::new(),
            strict_dns: false,
            origins: vec![o.clone()],
        };
        self.rules_into(p, o, report, &mut statement);
        program.add(namespace, statement);
    }

    /// A policy's egress rules into `statement`: Allow and Pass rules allow, Deny rules deny,
    /// Log rules are reported.
    fn rules_into(&self, p: &Policy, o: &Origin, report: &mut Report, statement: &mut Statement) {
        for r in &p.rules {
            match r.action {
                Action::Log => self.log(r, o, report),
                Action::Allow | Action::Pass => match self.destinations(r, p) {
                    Ok(m) => {
                        for why in &m.left_out {
                            report.narrower(
                                o.doc,
                                self.rule_span(o, r),
                                format!(
                                    "part of a rule of {} {} is left out: {why}",
                                    o.kind, o.object
                                ),
                                WRITE_BY_HAND,
                            );
                        }
                        for d in m.dests {
                            statement.allow(d);
                        }
                        for e in m.exceptions {
                            statement.allow_except(e.net, &e.except, e.ports);
                        }
                    }
                    Err(why) => report.narrower(
                        o.doc,
                        self.rule_span(o, r),
                        format!("a rule of {} {} is left out: {why}", o.kind, o.object),
                        WRITE_BY_HAND,
                    ),
                },
                Action::Deny => match self.destinations(r, p) {
                    Ok(m) if m.left_out.is_empty() => {
                        for d in denied(m) {
                            statement.deny(d);
                        }
                    }
                    Ok(m) => self.refuse_deny(o, r, &m.left_out.join("; "), report),
                    Err(why) => self.refuse_deny(o, r, &why, report),
                },
            }
        }
    }

    /// What a rule's destination (and protocol) reach, or why it cannot be written.
    fn destinations(&self, r: &Rule, p: &Policy) -> Result<Mapped, String> {
        let s = &r.source;
        if !s.nets.is_empty()
            || !s.not_nets.is_empty()
            || s.selector.is_some()
            || s.not_selector.is_some()
            || s.namespace_selector.is_some()
            || s.service_accounts.is_some()
        {
            return Err("it matches on the source too, which the language cannot say".into());
        }
        if let Some(p) = r.not_protocol {
            return Err(format!(
                "`notProtocol: {p}` cannot be written in the language"
            ));
        }
        let proto = match r.protocol {
            None => None,
            Some(p) => Some(
                p.proto()
                    .ok_or_else(|| format!("protocol {p} is not in the language yet"))?,
            ),
        };
        if r.not_icmp.is_some() {
            return Err("`notICMP` cannot be written in the language".into());
        }
        let e = &r.destination;
        if !e.not_ports.is_empty() {
            return Err("`notPorts` cannot be written in the language".into());
        }
        if e.not_selector.is_some() {
            return Err("`notSelector` cannot be written in the language".into());
        }
        let ports: Vec<Option<PortRange>> = match (proto, &r.icmp) {
            (Some(_), Some(i)) if i.kind == u8::MAX => {
                return Err("ICMP type 255 (reserved) cannot be written in the language".into());
            }
            (None, _) => vec![None],
            (Some(proto), Some(i)) => vec![Some(PortRange::icmp(proto, i.kind, i.code))],
            (Some(proto), None) if e.ports.is_empty() || !proto.has_ports() => {
                vec![Some(PortRange::whole(proto))]
            }
            (Some(proto), None) => e
                .ports
                .iter()
                .map(|r| {
                    Some(PortRange {
                        proto,
                        first: r.first.max(1),
                        last: r.last.max(1),
                    })
                })
                .collect(),
        };
        let mut out = Mapped::default();
        if let Some(svc) = &e.services {
            // The reader takes `services` alone in a destination (the CRD allows no other
            // criterion with it in an egress rule); a protocol would narrow it to the ports of
            // that protocol, which `service(...)` cannot say.
            if proto.is_some() {
                return Err(
                    "`services` with a `protocol` cannot be written in the language, where a Service is reached on all its ports"
                        .into(),
                );
            }
            let Some(namespace) = svc.namespace.as_ref().or(p.namespace.as_ref()) else {
                return Err(
                    "`services` without a namespace in a GlobalNetworkPolicy matches no Service"
                        .into(),
                );
            };
            out.dests.extend(shared::dests(
                &[Peer::Service {
                    namespace: namespace.clone(),
                    name: svc.name.clone(),
                }],
                &ports,
            ));
            return Ok(out);
        }
        if let Some(accounts) = &e.service_accounts {
            let peers = self.service_accounts(accounts, e, p)?;
            out.dests.extend(shared::dests(&peers, &ports));
            return Ok(out);
        }
        let selects = e.selector.is_some() || e.namespace_selector.is_some();
        if !e.not_nets.is_empty() && e.nets.is_empty() {
            return Err("`notNets` without `nets` cannot be written in the language".into());
        }
        if !e.nets.is_empty() && (selects || !e.domains.is_empty()) {
            return Err(
                "`nets` together with selectors or domains cannot be written in the language"
                    .into(),
            );
        }
        for n in &e.nets {
            for port in &ports {
                let except: Vec<IpNet> = e
                    .not_nets
                    .iter()
                    .filter(|x| n.contains(*x) && *x != n)
                    .copied()
                    .collect();
                if e.not_nets.iter().any(|x| x.contains(n)) {
                    continue;
                }
                out.exceptions.push(Exception {
                    net: *n,
                    except,
                    ports: *port,
                });
            }
        }
        for d in &e.domains {
            let peer = domain(&d.text)?;
            out.dests.extend(shared::dests(&[peer], &ports));
        }
        if selects {
            let peers = self.pods(e, p)?;
            out.dests.extend(shared::dests(&peers, &ports));
            // The selector also selects the addresses of the network sets in its scope.
            for set in self.sets_matched(e, p) {
                let nets: Vec<Peer> = set.nets.iter().copied().map(Peer::Net).collect();
                out.dests.extend(shared::dests(&nets, &ports));
            }
        }
        if e.nets.is_empty() && e.domains.is_empty() && !selects {
            out.dests.extend(shared::dests(&[Peer::Any], &ports));
        }
        Ok(out)
    }

    /// `serviceAccounts.names` (with the namespaces a `namespaceSelector` names, or the policy's
    /// own): `serviceaccount(NS/NAME)` for each. Anything else in the entity would narrow the
    /// match, which the language cannot say.
    fn service_accounts(
        &self,
        accounts: &[String],
        e: &Entity,
        p: &Policy,
    ) -> Result<Vec<Peer>, String> {
        if e.selector.is_some() || !e.nets.is_empty() || !e.domains.is_empty() {
            return Err(
                "`serviceAccounts` together with selectors, nets or domains cannot be written in the language"
                    .into(),
            );
        }
        if accounts.is_empty() {
            return Err("`serviceAccounts` without names cannot be written in the language".into());
        }
        let spaces: Vec<String> = match (&e.namespace_selector, &p.namespace) {
            (Some(ns), _) => namespaces(ns, self.names)?
                .into_iter()
                .map(|n| match n {
                    NamespaceSel::Named(n) => Ok(n),
                    other => Err(format!(
                        "service accounts of the namespaces `{other}` cannot be written in the language, which names one namespace"
                    )),
                })
                .collect::<Result<_, _>>()?,
            (None, Some(ns)) => vec![ns.clone()],
            (None, None) => {
                return Err(
                    "service accounts of every namespace cannot be written in the language, which names one namespace"
                        .into(),
                );
            }
        };
        Ok(spaces
            .iter()
            .flat_map(|namespace| {
                accounts.iter().map(move |name| Peer::ServiceAccount {
                    namespace: namespace.clone(),
                    name: name.clone(),
                })
            })
            .collect())
    }

    /// `selector` and `namespaceSelector`: pods of the namespaces named (or of the policy's, or
    /// every namespace for a GlobalNetworkPolicy without one), one peer per alternative.
    fn pods(&self, e: &Entity, p: &Policy) -> Result<Vec<Peer>, String> {
        let selectors: Vec<LabelSelector> = match &e.selector {
            None => vec![LabelSelector::default()],
            Some(s) => pod_selectors(s)?,
        };
        let spaces: Vec<NamespaceSel> = match (&e.namespace_selector, &p.namespace) {
            (Some(ns), _) => namespaces(ns, self.names)?,
            (None, Some(ns)) => vec![NamespaceSel::Named(ns.clone())],
            (None, None) => vec![NamespaceSel::Any],
        };
        Ok(spaces
            .iter()
            .flat_map(|namespace| {
                selectors.iter().map(move |selector| Peer::Pods {
                    namespace: namespace.clone(),
                    selector: selector.clone(),
                })
            })
            .collect())
    }

    /// The network sets of the input that an entity's selector selects, in its scope.
    fn sets_matched(&self, e: &Entity, p: &Policy) -> Vec<&NetworkSet> {
        let Some(sel) = &e.selector else {
            return Vec::new();
        };
        self.sets
            .iter()
            .filter(|s| sel.matches(&s.labels) && set_in_scope(s, e, p))
            .collect()
    }

    /// Deny rules that only deny what an earlier allowance of a policy that may select the same
    /// pods allows, and nothing a later one does, decide nothing: they go. A deny that an
    /// earlier allowance overlaps and a later one too cannot keep Calico's order in the
    /// language, which denies before any allowance: it stays, narrower, and is reported.
    fn settle_denies(&self, tiers: &Tiers, report: &mut Report, program: &mut Program) {
        let Some(t) = tiers.tiers.iter().find(|t| t.name == DEFAULT_TIER) else {
            return;
        };
        // The default tier's policies and egress rules per namespace, in evaluation order, each
        // rule with what it allows or denies.
        let mut sequence: BTreeMap<&str, Sequence<'_>> = BTreeMap::new();
        for p in t.policies.iter().filter(|p| p.egress) {
            let Some(ns) = &p.namespace else { continue };
            let seq = sequence.entry(ns).or_default();
            let index = seq.policies.len();
            seq.policies.push((p, overlap_key(&p.selector)));
            for r in &p.rules {
                let dests = match r.action {
                    Action::Deny => self.destinations(r, p).map(denied),
                    Action::Allow | Action::Pass => self.destinations(r, p).map(allowed),
                    Action::Log => continue,
                };
                if let Ok(d) = dests {
                    seq.steps.push((index, r, d));
                }
            }
        }
        for (ns, seq) in sequence {
            let mut moot: Vec<(String, Dest)> = Vec::new();
            let mut kept: Vec<(String, Dest)> = Vec::new();
            // Which policies may select a pod of policy `i`, computed once per `i`.
            let mut overlaps: BTreeMap<usize, Vec<bool>> = BTreeMap::new();
            for (k, (i, r, denied_here)) in seq.steps.iter().enumerate() {
                if r.action != Action::Deny {
                    continue;
                }
                let Some((p, key)) = seq.policies.get(*i) else {
                    continue;
                };
                let near = overlaps.entry(*i).or_insert_with(|| {
                    seq.policies
                        .iter()
                        .map(|(_, other)| may_overlap(key, other))
                        .collect()
                });
                let overlapping = |(j, a, allows): &(usize, &Rule, Vec<Dest>)| {
                    matches!(a.action, Action::Allow | Action::Pass)
                        && near.get(*j).copied().unwrap_or(true)
                        && allows
                            .iter()
                            .any(|x| denied_here.iter().any(|d| meet(x, d)))
                };
                let earlier = seq.steps.iter().take(k).any(overlapping);
                let later = seq.steps.iter().skip(k + 1).any(overlapping);
                if !later {
                    // Decides nothing: what it denies is allowed earlier or by no one.
                    moot.extend(denied_here.iter().map(|d| (p.id(), d.clone())));
                    continue;
                }
                kept.extend(denied_here.iter().map(|d| (p.id(), d.clone())));
                if earlier && let Some(o) = self.origin(p) {
                    report.narrower(
                        o.doc,
                        self.rule_span(&o, r),
                        format!(
                            "a Deny rule of {} {} comes after an Allow rule that allows some of what it denies: Calico keeps that allowed, the language denies it",
                            o.kind, o.object
                        ),
                        "review the order of the rules; where the earlier allowance should win, take its destinations out of the deny",
                    );
                }
            }
            let Some(statements) = program.namespaces.get_mut(ns) else {
                continue;
            };
            for (policy, d) in moot {
                for s in statements.iter_mut() {
                    let mine = s.origins.iter().any(|o| o.object == policy);
                    // The same deny of another policy merged here may still decide.
                    let needed = kept
                        .iter()
                        .any(|(q, k)| *k == d && s.origins.iter().any(|o| o.object == *q));
                    if mine && !needed {
                        s.deny.retain(|x| *x != d);
                    }
                }
            }
        }
    }
}

/// A namespace's policies of the default tier (with their selectors' alternatives) and their
/// egress rules in evaluation order (each with its policy's index and what it allows or
/// denies).
#[derive(Default)]
struct Sequence<'a> {
    policies: Vec<(&'a Policy, Option<Vec<LabelSelector>>)>,
    steps: Vec<(usize, &'a Rule, Vec<Dest>)>,
}

/// The destinations a Deny rule's mapping denies: exceptions as the ranges they leave.
fn denied(m: Mapped) -> Vec<Dest> {
    let mut out = m.dests;
    for e in m.exceptions {
        for n in shared::without(e.net, &e.except) {
            out.push(Dest {
                peer: Peer::Net(n),
                ports: e.ports,
            });
        }
    }
    out
}

/// The destinations an Allow rule's mapping allows, exceptions as their whole range (a
/// conservative overlap test).
fn allowed(m: Mapped) -> Vec<Dest> {
    let mut out = m.dests;
    out.extend(m.exceptions.into_iter().map(|e| Dest {
        peer: Peer::Net(e.net),
        ports: e.ports,
    }));
    out
}

/// Whether two destinations may share a flow (conservatively).
fn meet(a: &Dest, b: &Dest) -> bool {
    let ports = match (a.ports, b.ports) {
        (Some(x), Some(y)) => x.proto == y.proto && x.first <= y.last && y.first <= x.last,
        _ => true,
    };
    ports
        && (a.peer.may_overlap(&b.peer)
            || matches!(
                (&a.peer, &b.peer),
                (Peer::Host(_), Peer::Net(_)) | (Peer::Net(_), Peer::Host(_))
            ))
}

/// A Calico selector's alternatives, for overlap tests (`None`: it has none the language can
/// write, and may select anything).
fn overlap_key(s: &Selector) -> Option<Vec<LabelSelector>> {
    s.expr()
        .alternatives()
        .ok()
        .map(|alts| alts.into_iter().map(LabelSelector::new).collect())
}

/// Whether two selectors (as [`overlap_key`]s) may select a common pod (conservatively).
fn may_overlap(a: &Option<Vec<LabelSelector>>, b: &Option<Vec<LabelSelector>>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x.iter().any(|p| y.iter().any(|q| p.may_overlap(q))),
        _ => true,
    }
}

/// A policy's `selector` as one selector of the language.
fn subject(s: &Selector) -> Result<LabelSelector, String> {
    match pod_selectors(s)?.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err("it has alternatives (`||`), which one statement cannot select".into()),
    }
}

/// The label every workload endpoint carries and no host endpoint does (§labels).
const WORKLOAD_NAMESPACE: &str = "projectcalico.org/namespace";

/// The nodes a selector selects when it leaves every pod out (`... && !has(projectcalico.org/
/// namespace)`, as egressc writes host statements): the rest of it; `None` when it may select
/// pods too, or cannot be written.
fn host_only(s: &Selector) -> Option<LabelSelector> {
    let alternatives = s.expr().alternatives().ok()?;
    let [reqs] = alternatives.as_slice() else {
        return None;
    };
    let pods_out = LabelReq::DoesNotExist(WORKLOAD_NAMESPACE.to_owned());
    if !reqs.contains(&pods_out) {
        return None;
    }
    checked(reqs.iter().filter(|r| **r != pods_out).cloned().collect()).ok()
}

/// A pod selector's alternatives, each as a selector of the language.
fn pod_selectors(s: &Selector) -> Result<Vec<LabelSelector>, String> {
    let alternatives = s
        .expr()
        .alternatives()
        .map_err(|what| format!("{what} cannot be written in the language"))?;
    alternatives.into_iter().map(checked).collect()
}

/// Requirements as a selector, when the language can write each of them (not the labels Calico
/// adds to pods itself).
fn checked(reqs: Vec<LabelReq>) -> Result<LabelSelector, String> {
    for r in &reqs {
        let key = r.key();
        if key.starts_with("projectcalico.org/") {
            return Err(format!(
                "the label `{key}` that Calico adds cannot be written in the language"
            ));
        }
        let values: Vec<&str> = match r {
            LabelReq::Eq(_, v) => vec![v.as_str()],
            LabelReq::In(_, vs) | LabelReq::NotIn(_, vs) => vs.iter().map(String::as_str).collect(),
            LabelReq::Exists(_) | LabelReq::DoesNotExist(_) => Vec::new(),
        };
        if !names::label(key, None) || values.iter().any(|v| !names::label(key, Some(v))) {
            return Err(format!(
                "the label requirement `{r}` cannot be written in a selector"
            ));
        }
    }
    Ok(LabelSelector::new(reqs))
}

/// A `namespaceSelector`: the namespaces it names (by `projectcalico.org/name` or
/// `kubernetes.io/metadata.name`), every namespace, or those whose labels it selects
/// (`ns{...}`), one per alternative.
fn namespaces(s: &Selector, names: &Names) -> Result<Vec<NamespaceSel>, String> {
    let alternatives = s
        .expr()
        .alternatives()
        .map_err(|what| format!("{what} cannot be written in the language"))?;
    let is_name = |k: &str| k == CALICO_NAME || k == NAMESPACE_NAME;
    let mut out = Vec::new();
    for reqs in alternatives {
        match reqs.as_slice() {
            [] => out.push(NamespaceSel::Any),
            [LabelReq::Eq(k, v)] if is_name(k) => out.push(shared::namespace(v.clone(), names)?),
            [LabelReq::In(k, vs)] if is_name(k) => {
                for v in vs {
                    out.push(shared::namespace(v.clone(), names)?);
                }
            }
            [LabelReq::Exists(k)] if is_name(k) => out.push(NamespaceSel::Any),
            _ => {
                // Calico's name label is the namespace's `kubernetes.io/metadata.name`.
                let reqs = reqs
                    .into_iter()
                    .map(|r| rekey(r, CALICO_NAME, NAMESPACE_NAME))
                    .collect();
                out.push(NamespaceSel::Labels(checked(reqs)?));
            }
        }
    }
    Ok(out)
}

/// A requirement with the key `from` read as `to`.
fn rekey(r: LabelReq, from: &str, to: &str) -> LabelReq {
    let k = |k: String| if k == from { to.to_owned() } else { k };
    match r {
        LabelReq::Eq(key, v) => LabelReq::Eq(k(key), v),
        LabelReq::In(key, vs) => LabelReq::In(k(key), vs),
        LabelReq::NotIn(key, vs) => LabelReq::NotIn(k(key), vs),
        LabelReq::Exists(key) => LabelReq::Exists(k(key)),
        LabelReq::DoesNotExist(key) => LabelReq::DoesNotExist(k(key)),
    }
}

/// A Calico Enterprise domain: an exact name, or `*.x` (one or more labels: the language's
/// `**.x`).
fn domain(text: &str) -> Result<Peer, String> {
    let written = match text.strip_prefix("*.") {
        Some(rest) => format!("**.{rest}"),
        None => text.to_owned(),
    };
    crate::check::literals::host(&Spanned::new(written.to_ascii_lowercase(), Span::default()))
        .map(Peer::Host)
        .map_err(|_| format!("the domain `{text}` cannot be written in the language"))
}
