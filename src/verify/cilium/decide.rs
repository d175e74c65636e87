//! Deciding a flow by Cilium's semantics (sources cited as in `mod.rs`).

use std::net::IpAddr;

use super::fqdn::Fqdn;
use super::{Cidr, CiliumEvaluator, Peers, PortRule, Rule, Spec};
use crate::model::Proto;
use crate::verify::closest::{Closest, Hit, Miss, Near};
use crate::verify::ports::PortMatch;
use crate::verify::texts::{self, text};
use crate::verify::universe::Split;
use crate::verify::{Decision, Destination, Evaluator, Flow, Lookup, Pod, Undecidable, kube_dns};

impl Spec {
    fn rule_name(&self, section: &str, i: usize) -> String {
        text!("{} {}.{section}[{i}]", self.object, self.path)
    }

    /// `[intro]` "If any rule selects an endpoint and the rule has an egress section, the endpoint
    /// goes into default-deny mode for egress"; "Rules with EnableDefaultDeny disabled are
    /// ignored when determining the default mode". `[crd]` the default "is true for each traffic
    /// direction that has rules" (egress or egressDeny), and "if multiple policies apply to an
    /// endpoint, that endpoint's default deny will be enabled if any policy requests it".
    /// A policy with `enableDefaultDeny.egress: true` and no egress or egressDeny rules has no
    /// egress section, so it does not isolate (upstream makes one policy entry per rule).
    fn isolates(&self) -> bool {
        self.egress_section && self.default_deny != Some(false)
    }
}

/// `tcp/53`, `any/7000-7010`.
fn port_text(p: &PortMatch) -> String {
    let proto = p
        .protocol
        .map_or_else(|| "any".to_owned(), |p| p.to_string().to_ascii_lowercase());
    match p.ports {
        Some(r) => text!("{proto}/{r}"),
        None => proto,
    }
}

fn ports_text(rules: &[PortRule]) -> String {
    let all: Vec<String> = rules
        .iter()
        .flat_map(|r| r.ports.iter().map(port_text))
        .collect();
    text!("[{}]", all.join(", "))
}

/// Whether a flow passes an entry's `serverNames` [crd]: it must be TLS ("TLS must be present")
/// and its ClientHello must name a server one of them matches ("one of the provided SNIs must
/// be indicated in the TLS handshake").
fn server_name_hit(names: &[Fqdn], flow: &Flow) -> Result<String, String> {
    let shown = || {
        let all: Vec<String> = names
            .iter()
            .map(|n| match n {
                Fqdn::Name(t) | Fqdn::Pattern(t) => t.clone(),
            })
            .collect();
        all.join(", ")
    };
    match flow.tls.as_ref().map(|h| h.server_name.as_deref()) {
        None => Err(text!(
            "the flow is not TLS, and serverNames [{}] allow TLS connections only",
            shown()
        )),
        Some(None) => Err(text!(
            "the ClientHello names no server, and serverNames [{}] need one",
            shown()
        )),
        Some(Some(n)) => match names.iter().find(|f| f.matches(n)) {
            Some(f) => Ok(text!("and server name {n} matches serverNames {f}")),
            None => Err(text!(
                "server name {n} matches no serverNames [{}]",
                shown()
            )),
        },
    }
}

/// Whether a DNS lookup passes an entry's `rules.dns` [layer7 "DNS Policy and IP Discovery"]:
/// the DNS proxy answers the lookups of the names one of the selectors matches and refuses the
/// others. Every rule that allows the port adds its own selectors (a rule without DNS rules
/// there, every name: Cilium's wildcarded L7 rules), so a lookup passes when one rule lets it.
fn lookup_hit(sels: &[Fqdn], lookup: &Lookup) -> Result<String, String> {
    match sels.iter().find(|f| f.matches(&lookup.name)) {
        Some(f) => Ok(text!("and the {lookup} matches rules.dns {f}")),
        None => {
            let all: Vec<String> = sels.iter().map(ToString::to_string).collect();
            Err(text!(
                "the DNS proxy refuses the {lookup}: it matches no rules.dns [{}]",
                all.join(", ")
            ))
        }
    }
}

impl Rule {
    /// Whether the flow's protocol and port are allowed: why, or why not.
    fn ports_hit(&self, flow: &Flow) -> Result<String, String> {
        let what = flow.carries();
        if !self.icmps.is_empty() {
            // [layer4] "Limit ICMP/ICMPv6 types": the rule allows ICMP messages of the listed
            // types (every code) and, like any L4 rule, nothing else.
            let shown = || {
                let all: Vec<String> = self.icmps.iter().map(ToString::to_string).collect();
                text!("[{}]", all.join(", "))
            };
            let hit = flow.icmp().and_then(|(kind, _)| {
                let v6 = flow.proto == Proto::Icmpv6;
                self.icmps.iter().find(|t| t.v6 == v6 && t.kind == kind)
            });
            return match hit {
                Some(t) => Ok(text!("{what} is in icmps {t}")),
                None => Err(text!("{what} is not in icmps {}", shown())),
            };
        }
        if self.ports.is_empty() {
            return Ok(text!(
                "{what} is allowed (no toPorts: every port of every protocol)"
            ));
        }
        // [layer4] `protocol`: "If ANY, omitted or empty, any protocols with transport ports
        // (TCP, UDP, SCTP) match"; "Matching on ICMP is not supported", and "if any layer 4
        // policy is specified, then ICMP will be blocked".
        if !flow.proto.has_ports() {
            return Err(text!(
                "{what} has no ports, and toPorts {} matches TCP, UDP and SCTP only",
                ports_text(&self.ports)
            ));
        }
        // [layer7] an entry with HTTP rules allows only the HTTP requests one of them matches
        // (its proxy refuses other requests and anything that is not HTTP).
        let mut refused = None;
        for r in &self.ports {
            let Some(p) = r.ports.iter().find(|p| p.matches(flow.proto, flow.port)) else {
                continue;
            };
            if let Some(names) = &r.server_names {
                match server_name_hit(names, flow) {
                    Ok(why) => return Ok(format!("{what} is in toPorts {}, {why}", port_text(p))),
                    Err(why) => {
                        refused = Some(format!("{what} is in toPorts {}, but {why}", port_text(p)));
                        continue;
                    }
                }
            }
            if let (Some(sels), Some(lookup)) = (&r.dns, &flow.dns) {
                match lookup_hit(sels, lookup) {
                    Ok(why) => return Ok(format!("{what} is in toPorts {}, {why}", port_text(p))),
                    Err(why) => {
                        refused = Some(format!(
                            "{what} is in toPorts {}, where {why}",
                            port_text(p)
                        ));
                        continue;
                    }
                }
            }
            let Some(rules) = &r.http else {
                return Ok(format!("{what} is in toPorts {}", port_text(p)));
            };
            let shown = || {
                let all: Vec<String> = rules.iter().map(ToString::to_string).collect();
                all.join(", ")
            };
            match &flow.http {
                Some(req) => match rules.iter().find(|h| h.matches(req)) {
                    Some(h) => {
                        return Ok(format!(
                            "{what} is in toPorts {} and {req} matches rules.http {h}",
                            port_text(p)
                        ));
                    }
                    None => {
                        refused = Some(format!(
                            "{what} is in toPorts {}, but {req} matches no rules.http [{}]",
                            port_text(p),
                            shown()
                        ));
                    }
                },
                None => {
                    refused = Some(format!(
                        "{what} is in toPorts {}, but the flow is not an HTTP request and rules.http [{}] allow HTTP requests only",
                        port_text(p),
                        shown()
                    ));
                }
            }
        }
        if let Some(why) = refused {
            return Err(why);
        }
        match self
            .ports
            .iter()
            .flat_map(|r| &r.ports)
            .find(|p| p.matches(flow.proto, flow.port))
        {
            Some(p) => Ok(text!("{what} is in toPorts {}", port_text(p))),
            None => Err(text!(
                "{what} is not in toPorts {}",
                ports_text(&self.ports)
            )),
        }
    }

    /// Whether this rule's peers take in the pod `pod` of `source`'s cluster (for the DNS
    /// proxy's rule).
    fn takes_pod(&self, pod: &Pod, source: &Pod) -> bool {
        match &self.peers {
            None => !self.ports.is_empty() || !self.icmps.is_empty(),
            Some(Peers::Endpoints(sels)) => sels.iter().any(|s| s.selects(pod, source)),
            Some(Peers::Cidrs(_) | Peers::Fqdns(_)) => false,
            Some(Peers::Entities(es)) => es.iter().any(|e| e.selects_pods()),
        }
    }

    /// Whether the rule's peers take the destination: `NeedsAddress` for a host name without
    /// its address and CIDR peers.
    fn peer_hit(&self, dest: &Destination, source: &Pod) -> Hit {
        let peer = match &self.peers {
            None if self.ports.is_empty() && self.icmps.is_empty() => {
                return Hit::Miss(Miss::new(
                    Near::Nothing,
                    "the empty rule `{}` matches nothing (it only enables default deny)",
                ));
            }
            None => Ok(text!("{dest} is any destination (toPorts without peers)")),
            Some(Peers::Endpoints(sels)) => match dest {
                Destination::Pod(p) => match sels.iter().find(|s| s.selects(p, source)) {
                    Some(s) => Ok(text!("{p} is selected by toEndpoints {}", s.text())),
                    None => Err(Miss::new(
                        Near::Elsewhere,
                        text!(
                            "{p} is not selected by toEndpoints {}",
                            sels.iter().map(|s| s.text()).collect::<Vec<_>>().join(", ")
                        ),
                    )),
                },
                other => Err(Miss::new(
                    Near::OtherKind,
                    text!("{other} is not a pod, and toEndpoints selects pods only"),
                )),
            },
            Some(Peers::Cidrs(cidrs)) => {
                let address = match dest {
                    Destination::Address(a) => *a,
                    Destination::Host {
                        address: Some(a), ..
                    } => *a,
                    Destination::Host { address: None, .. } => return Hit::NeedsAddress,
                    // [layer3] "CIDR rules do not apply to traffic where both sides of the
                    // connection are either managed by Cilium or use an IP belonging to a node
                    // in the cluster"; "By default, CIDR-based selectors do not match
                    // in-cluster entities (pods or nodes)" (`--policy-cidr-match-mode` left
                    // at its default).
                    Destination::Pod(p) => {
                        return Hit::Miss(Miss::new(
                            Near::OtherKind,
                            text!("{p} is a pod, and CIDR rules match no pods"),
                        ));
                    }
                    Destination::Node(n) => {
                        return Hit::Miss(Miss::new(
                            Near::OtherKind,
                            text!("{n} is a node, and CIDR rules match no nodes"),
                        ));
                    }
                    // The API server outside the cluster has its CIDR identity with the
                    // `kube-apiserver` label added, and CIDR rules select it (cilium/cilium
                    // #25241: "ToCIDR netpols matching kube-apiserver IPs (when external to the
                    // cluster)"); on a node it is that node's identity.
                    Destination::ApiServer(s) => match s.node() {
                        Some(n) => {
                            return Hit::Miss(Miss::new(
                                Near::OtherKind,
                                text!("{s} runs on a node ({n}), and CIDR rules match no nodes"),
                            ));
                        }
                        None => s.address,
                    },
                };
                cidr_hit(cidrs, address)
            }
            // [layer3] "Entities Based", [entity]: `all` is every destination, in the cluster
            // or not; the others select reserved identities.
            Some(Peers::Entities(es)) => {
                let mut unknown = false;
                // [entity] `cluster` is the local cluster's endpoints (`InitEntities` gives it
                // the local cluster's name), `all` every cluster's too.
                let remote = matches!(dest, Destination::Pod(p) if p.cluster.is_some() && p.cluster != source.cluster);
                let hit = es.iter().find(|e| match e.selects(dest) {
                    Some(_) if remote && **e == super::Entity::Cluster => false,
                    Some(yes) => yes,
                    None => {
                        unknown = true;
                        false
                    }
                });
                match hit {
                    Some(e) => Ok(text!("{dest} is in toEntities {e}")),
                    None if unknown => return Hit::NeedsAddress,
                    None => Err(Miss::new(
                        Near::Elsewhere,
                        text!(
                            "{dest} is in none of toEntities {}",
                            es.iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )),
                }
            }
            Some(Peers::Fqdns(fqdns)) => match dest {
                Destination::Host { name, .. } => match fqdns.iter().find(|f| f.matches(name)) {
                    Some(f) => Ok(text!("{name} matches toFQDNs {f}")),
                    None => Err(Miss::new(
                        Near::Elsewhere,
                        text!(
                            "{name} does not match toFQDNs {}",
                            fqdns
                                .iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )),
                },
                other => Err(Miss::new(
                    Near::OtherKind,
                    text!("{other} is not a host name, and toFQDNs matches names only"),
                )),
            },
        };
        match peer {
            Ok(p) => Hit::Match(p),
            Err(miss) => Hit::Miss(miss),
        }
    }

    /// Whether the DNS proxy sees the lookups of a host name that an FQDN peer takes (`None`
    /// for any other peer or destination).
    fn seen(
        &self,
        dest: &Destination,
        dns: &dyn Fn(&str) -> Result<String, String>,
    ) -> Option<Result<String, String>> {
        match (&self.peers, dest) {
            (Some(Peers::Fqdns(_)), Destination::Host { name, .. }) => Some(dns(name)),
            _ => None,
        }
    }

    /// The rule against the flow; `dns` answers whether the DNS proxy sees a name's lookups
    /// (allow rules only: deny rules have no `toFQDNs`).
    fn check(&self, flow: &Flow, dns: &dyn Fn(&str) -> Result<String, String>) -> Hit {
        let dest = &flow.destination;
        let ports = self.ports_hit(flow);
        let peer = match self.peer_hit(dest, &flow.source) {
            Hit::Match(p) => p,
            Hit::Miss(miss) => return Hit::Miss(miss),
            Hit::NeedsAddress => {
                return match ports {
                    Ok(_) => Hit::NeedsAddress,
                    Err(m) => Hit::Miss(Miss::new(Near::Elsewhere, m)),
                };
            }
        };
        let ports = match ports {
            Ok(p) => p,
            Err(m) => return Hit::Miss(Miss::new(Near::Port, text!("{peer}, but {m}"))),
        };
        // [layer3] toFQDNs learns addresses only from DNS responses the proxy intercepted;
        // [layer7] "This interception is, itself, a separate policy rule governing DNS requests,
        // and must be specified separately".
        if let Some(seen) = self.seen(dest, dns) {
            return match seen {
                Ok(seen) => Hit::Match(text!("{peer} ({seen}) and {ports}")),
                Err(why) => Hit::Miss(Miss::new(
                    Near::Unseen,
                    text!(
                        "{peer} and {ports}, but the DNS proxy never learns its addresses: {why}"
                    ),
                )),
            };
        }
        Hit::Match(text!("{peer} and {ports}"))
    }
}

fn cidr_hit(cidrs: &[Cidr], a: IpAddr) -> Result<String, Miss> {
    let mut miss = Closest::default();
    for c in cidrs {
        if !c.net.contains(&a) {
            miss.offer_with(Near::Elsewhere, || text!("{a} is outside {c}"));
            continue;
        }
        match c.except.iter().find(|e| e.contains(&a)) {
            None => return Ok(text!("{a} is in {c}")),
            Some(e) => miss.offer_with(Near::Excluded, || {
                text!("{a} is in {}, but in its except range {e}", c.net)
            }),
        }
    }
    Err(miss
        .into_miss()
        .unwrap_or_else(|| Miss::new(Near::Elsewhere, "no CIDR")))
}

impl CiliumEvaluator {
    /// The first egressDeny rule of a selecting policy that matches `flow`, and whether some
    /// other one depends on the host's unknown address.
    fn denied(selecting: &[&Spec], flow: &Flow) -> (Option<(String, String)>, bool) {
        let mut unknown = false;
        let no_dns = no_dns();
        for s in selecting {
            for (i, r) in s.deny.iter().enumerate() {
                match r.check(flow, &no_dns) {
                    Hit::Match(why) => {
                        return (Some((s.rule_name("egressDeny", i), why)), unknown);
                    }
                    Hit::NeedsAddress => unknown = true,
                    Hit::Miss(_) => {}
                }
            }
        }
        (None, unknown)
    }

    /// Whether the DNS proxy sees lookups of `name` by `source`: some selecting policy allows
    /// the cluster DNS pods on port 53 with `rules.dns` matching the name, and no egressDeny
    /// drops that lookup. (Upstream also reuses addresses from other pods' lookups on the same
    /// node [layer7 "DNS Proxy"], which depends on timing; we require the pod's own.)
    fn dns_sees(selecting: &[&Spec], source: &Pod, name: &str) -> Result<String, String> {
        let dns_pod = kube_dns();
        let mut any_rule = false;
        let mut blocked: Option<String> = None;
        for s in selecting {
            for (i, r) in s.egress.iter().enumerate() {
                if !r.takes_pod(&dns_pod, source) {
                    continue;
                }
                for pr in &r.ports {
                    let Some(sels) = &pr.dns else { continue };
                    for p in pr
                        .ports
                        .iter()
                        .filter(|p| p.ports.is_some_and(|r| r.contains(53)))
                    {
                        any_rule = true;
                        let Some(sel) = sels.iter().find(|f| f.matches(name)) else {
                            continue;
                        };
                        for proto in [Proto::Udp, Proto::Tcp] {
                            if !p.matches(proto, 53) {
                                continue;
                            }
                            let lookup = Flow {
                                source: source.clone(),
                                destination: Destination::Pod(dns_pod.clone()),
                                proto,
                                port: 53,
                                http: None,
                                tls: None,
                                dns: None,
                            };
                            match Self::denied(selecting, &lookup).0 {
                                None => {
                                    return Ok(text!(
                                        "its lookups pass the DNS proxy by {} rules.dns {sel}",
                                        s.rule_name("egress", i)
                                    ));
                                }
                                Some((rule, _)) => {
                                    blocked.get_or_insert(text!(
                                        "its lookup on {}/53 is denied by {rule}",
                                        proto.as_str()
                                    ));
                                }
                            }
                        }
                    }
                }
            }
        }
        Err(match (blocked, any_rule) {
            (Some(b), _) => b,
            (None, true) => text!(
                "no toPorts[].rules.dns of the pod's cluster DNS rules matches {name}, so its lookups are refused"
            ),
            (None, false) => text!(
                "no policy selecting the pod allows cluster DNS on port 53 with toPorts[].rules.dns, so the DNS proxy sees none of its lookups"
            ),
        })
    }
}

impl CiliumEvaluator {
    /// The policies whose endpoint selector selects `src`.
    fn selecting(&self, src: &Pod) -> Vec<&Spec> {
        selecting(self.policies.0.iter(), src)
    }
}

/// The rule sets of `specs` whose endpoint selector selects `src`.
fn selecting<'a>(specs: impl Iterator<Item = &'a Spec>, src: &Pod) -> Vec<&'a Spec> {
    specs.filter(|s| s.subject.matches(src)).collect()
}

/// Some rule sets of a stream, borrowed: what decides the flows of one source
/// ([`super::scope::Scope`]), as a [`CiliumEvaluator`] holding just them decides them.
pub(super) struct Selected<'a>(pub Vec<&'a Spec>);

impl Split for Selected<'_> {
    fn destination_key(&self, flow: &Flow, key: &mut Vec<u8>) {
        destination_key(&selecting(self.0.iter().copied(), &flow.source), flow, key);
    }

    fn port_key(&self, flow: &Flow, key: &mut Vec<u8>) {
        port_key(&selecting(self.0.iter().copied(), &flow.source), flow, key);
    }
}

impl Evaluator for Selected<'_> {
    fn decide(&self, flow: &Flow) -> Result<Decision, Undecidable> {
        decide(&selecting(self.0.iter().copied(), &flow.source), flow)
    }
}

/// What an egressDeny rule's FQDN peer learns from the DNS proxy: nothing (deny rules have no
/// `toFQDNs`).
fn no_dns() -> impl Fn(&str) -> Result<String, String> {
    |_: &str| Err(String::new())
}

impl Rule {
    /// What the rule says of a destination: whether its peers take it and, for an FQDN peer
    /// that does, whether the DNS proxy sees the name's lookups.
    fn destination_key(
        &self,
        dest: &Destination,
        source: &Pod,
        dns: &dyn Fn(&str) -> Result<String, String>,
        key: &mut Vec<u8>,
    ) {
        let peer = self.peer_hit(dest, source);
        let seen = match peer {
            Hit::Match(_) => self.seen(dest, dns),
            _ => None,
        };
        key.push(peer.key());
        key.push(match seen {
            None => 0,
            Some(Ok(_)) => 1,
            Some(Err(_)) => 2,
        });
    }
}

/// A flow is decided by the egressDeny and egress rules of the policies selecting its source
/// (`decide`), and a rule matches when its ports do (`ports_hit`, reading the protocol and port
/// only), its peers take the destination (`peer_hit`, reading the destination and the source's
/// cluster) and, for
/// an FQDN peer, the DNS proxy sees the name's lookups (`seen`, reading the name and the
/// source): the keys are each rule's peer hit and sighting, and each rule's port match (and
/// which of its entries with HTTP rules take the port, where the request decides).
impl Split for CiliumEvaluator {
    fn destination_key(&self, flow: &Flow, key: &mut Vec<u8>) {
        destination_key(&self.selecting(&flow.source), flow, key);
    }

    fn port_key(&self, flow: &Flow, key: &mut Vec<u8>) {
        port_key(&self.selecting(&flow.source), flow, key);
    }
}

impl Evaluator for CiliumEvaluator {
    fn decide(&self, flow: &Flow) -> Result<Decision, Undecidable> {
        decide(&self.selecting(&flow.source), flow)
    }
}

/// [`Split::destination_key`] of the rule sets selecting the flow's source.
fn destination_key(selecting: &[&Spec], flow: &Flow, key: &mut Vec<u8>) {
    let no_dns = no_dns();
    let dns = |name: &str| CiliumEvaluator::dns_sees(selecting, &flow.source, name);
    for s in selecting {
        for r in &s.deny {
            r.destination_key(&flow.destination, &flow.source, &no_dns, key);
        }
        for r in &s.egress {
            r.destination_key(&flow.destination, &flow.source, &dns, key);
        }
    }
}

/// [`Split::port_key`] of the rule sets selecting the flow's source.
fn port_key(selecting: &[&Spec], flow: &Flow, key: &mut Vec<u8>) {
    for s in selecting {
        for r in s.deny.iter().chain(&s.egress) {
            key.push(u8::from(r.ports_hit(flow).is_ok()));
            // Which entries with HTTP rules take the port: the request decides there.
            for pr in r
                .ports
                .iter()
                .filter(|pr| pr.http.is_some() || pr.server_names.is_some() || pr.dns.is_some())
            {
                key.push(u8::from(
                    pr.ports.iter().any(|p| p.matches(flow.proto, flow.port)),
                ));
            }
        }
    }
}

/// The decision of the rule sets selecting the flow's source.
fn decide(selecting: &[&Spec], flow: &Flow) -> Result<Decision, Undecidable> {
    let src = &flow.source;

    // [deny] "Deny policies take precedence over allow policies, regardless of whether they
    // are a Cilium Network Policy, a Clusterwide Cilium Network Policy or even a Kubernetes
    // Network Policy"; a deny applies whatever the default mode.
    let (deny, deny_unknown) = CiliumEvaluator::denied(selecting, flow);
    if let Some((rule, why)) = deny {
        return Ok(Decision::by_rule(
            false,
            rule,
            text!("{why}: egressDeny wins over every allow"),
        ));
    }

    // [intro] an endpoint not in egress default deny may send anything not denied.
    let isolating: Vec<&Spec> = selecting.iter().copied().filter(|s| s.isolates()).collect();
    if isolating.is_empty() {
        if deny_unknown {
            return Err(flow.needs_address());
        }
        let why = if !texts::on() {
            String::new()
        } else if selecting.is_empty() {
            format!("no policy selects {src}: its egress is not isolated")
        } else {
            let names: Vec<String> = selecting
                .iter()
                .map(|s| {
                    if s.default_deny == Some(false) {
                        format!("{} (enableDefaultDeny.egress: false)", s.object)
                    } else {
                        format!("{} (no egress rules)", s.object)
                    }
                })
                .collect();
            format!(
                "{src} is not in egress default deny: it is selected only by {}, and no egressDeny matches",
                names.join(", ")
            )
        };
        return Ok(Decision::by_default(true, why));
    }

    // [intro] "Rule Basics": in default deny, traffic is allowed if any egress rule of any
    // policy selecting the endpoint allows it (a union), whether or not that policy itself
    // enables default deny.
    let dns = |name: &str| CiliumEvaluator::dns_sees(selecting, src, name);
    let mut allow_unknown = false;
    let mut closest = Closest::default();
    for s in selecting {
        for (i, r) in s.egress.iter().enumerate() {
            match r.check(flow, &dns) {
                Hit::Match(why) => {
                    if deny_unknown {
                        return Err(flow.needs_address());
                    }
                    return Ok(Decision::by_rule(true, s.rule_name("egress", i), why));
                }
                Hit::NeedsAddress => allow_unknown = true,
                Hit::Miss(m) => closest.offer(Miss {
                    why: text!("{}: {}", s.rule_name("egress", i), m.why),
                    ..m
                }),
            }
        }
    }
    if allow_unknown {
        return Err(flow.needs_address());
    }
    Ok(Decision {
        closest: closest.into_why(),
        ..Decision::by_default(
            false,
            text!(
                "{src} is in egress default deny (by {}) and no egress rule allows it",
                isolating
                    .iter()
                    .map(|s| s.object.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })
}
