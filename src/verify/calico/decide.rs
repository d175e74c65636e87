//! Deciding a flow by Calico's semantics (sources cited as in `mod.rs`).

use std::fmt;
use std::net::IpAddr;

use super::selector::namespace_labels;
use super::{Action, CalicoEvaluator, Entity, NetworkSet, Policy, Rule, Tier, TierDefault};
use crate::verify::closest::{Closest, Hit, Miss, Near};
use crate::verify::ports::{PortRange, Protocol};
use crate::verify::texts::text;
use crate::verify::universe::Split;
use crate::verify::{Decision, Destination, Evaluator, Flow, Labels, Pod, Undecidable};

impl Policy {
    /// Whether the policy applies to the pod's egress. §np: a NetworkPolicy's `selector`
    /// selects the workloads of its own namespace; §gnp: a GlobalNetworkPolicy's selects in
    /// every namespace its `namespaceSelector` (default `all()`) selects.
    pub fn selects(&self, pod: &Pod) -> bool {
        // Calico has no endpoints of Cilium's reserved identities: no Calico policy selects one.
        if pod.reserved.is_some() {
            return false;
        }
        if pod.host {
            // §np: a NetworkPolicy selects workload endpoints of its namespace, never a host
            // endpoint; §gnp: with a `namespaceSelector`, a GlobalNetworkPolicy selects
            // workload endpoints only, without one its selector also selects host endpoints.
            return self.egress
                && self.namespace.is_none()
                && self.namespace_selector.is_none()
                && self.selector.matches_pod(pod);
        }
        let in_namespace = match &self.namespace {
            Some(ns) => *ns == pod.namespace,
            None => self
                .namespace_selector
                .as_ref()
                .is_none_or(|s| s.matches_namespace(pod)),
        };
        self.egress && in_namespace && self.selector.matches_pod(pod)
    }
}

/// Whether an entity matches: yes (with what matched), no (with why), or unknown because a host
/// name has no address and the entity has `nets` or `notNets`.
enum Outcome {
    Yes(Vec<String>),
    No(String),
    Unknown { matched: Vec<String> },
}

fn list_of<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Port ranges as Calico writes them: `443, 8000:8100`.
fn ports_text(ranges: &[PortRange]) -> String {
    ranges
        .iter()
        .map(|r| r.text(':'))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The address a destination is matched by.
enum Address {
    Known(IpAddr),
    /// A host name without the address it resolved to.
    Missing,
    /// A pod the flow model gives no address (a source, or a pod built by hand in a test).
    Pod,
}

/// §np EntityRule `nets` and `notNets` match the packet's address, whatever is there: an
/// address outside the cluster, a pod's, a node's, the API server's.
fn address(d: &Destination) -> Address {
    match (d.address(), d) {
        (Some(a), _) => Address::Known(a),
        (None, Destination::Host { .. }) => Address::Missing,
        (None, _) => Address::Pod,
    }
}

/// Why `pod` is outside the scope of an entity's selectors, if it is. §np EntityRule /
/// "Selector scopes": a `namespaceSelector` limits them to the namespaces it selects; without
/// one, a NetworkPolicy's selectors look in its own namespace and a GlobalNetworkPolicy's in
/// every namespace (§labels, "the default values for namespaceSelector ... are different").
fn out_of_scope(e: &Entity, policy: &Policy, pod: &Pod) -> Option<String> {
    match &e.namespace_selector {
        Some(ns) => (!ns.matches_namespace(pod)).then(|| {
            text!(
                "namespace {} does not match namespaceSelector `{ns}`",
                pod.namespace
            )
        }),
        None => match &policy.namespace {
            Some(ns) if *ns != pod.namespace => Some(text!(
                "{pod} is not in namespace {ns}, the only one a selector without namespaceSelector looks in"
            )),
            _ => None,
        },
    }
}

/// Whether a network set is in the scope of an entity's selectors: §networkset, a NetworkSet
/// "only applies to network policies in that namespace", or to the namespaces a
/// `namespaceSelector` selects; §globalnetworkset, a GlobalNetworkSet to a GlobalNetworkPolicy's
/// selectors, and to a `namespaceSelector` that includes `global()`.
pub fn set_in_scope(set: &NetworkSet, e: &Entity, policy: &Policy) -> bool {
    match (&set.namespace, &e.namespace_selector) {
        (Some(ns), Some(sel)) => {
            sel.matches(&namespace_labels(&Pod::new(ns.clone(), Labels::new())))
        }
        (Some(ns), None) => policy.namespace.as_ref().is_none_or(|p| p == ns),
        (None, Some(sel)) => sel.expr().selects_global(),
        (None, None) => policy.namespace.is_none(),
    }
}

/// An address destination against the network sets that an entity's selector selects.
fn in_network_set(e: &Entity, d: &Destination, policy: &Policy, sets: &[NetworkSet]) -> Outcome {
    let Some(s) = &e.selector else {
        return Outcome::No(text!(
            "{d} is not a pod, and a namespaceSelector alone matches only endpoints"
        ));
    };
    let mut selected = sets
        .iter()
        .filter(|set| set_in_scope(set, e, policy) && s.matches(&set.labels))
        .peekable();
    if selected.peek().is_none() {
        return Outcome::No(text!(
            "{d} is not a pod, and selector `{s}` selects no network set"
        ));
    }
    match address(d) {
        Address::Known(a) => match selected.find(|set| set.nets.iter().any(|n| n.contains(&a))) {
            Some(set) => Outcome::Yes(vec![text!(
                "{a} is in network set {} selected by `{s}`",
                set.name
            )]),
            None => Outcome::No(text!("{a} is in no network set selected by `{s}`")),
        },
        Address::Missing => Outcome::Unknown {
            matched: Vec::new(),
        },
        Address::Pod => Outcome::No(text!("{d} is a pod")),
    }
}

fn entity_matches(e: &Entity, d: &Destination, policy: &Policy, sets: &[NetworkSet]) -> Outcome {
    let mut matched = Vec::new();
    let mut unknown = false;
    // §np EntityRule `nets`: the packet's address is in one of the CIDRs.
    if !e.nets.is_empty() {
        match address(d) {
            Address::Known(a) => match e.nets.iter().find(|n| n.contains(&a)) {
                Some(n) => matched.push(text!("{a} is in {n}")),
                None => return Outcome::No(text!("{a} is outside {}", list_of(&e.nets))),
            },
            Address::Missing => unknown = true,
            Address::Pod => {
                return Outcome::No(text!(
                    "{d} is a pod, and nets {} match addresses, never pods",
                    list_of(&e.nets)
                ));
            }
        }
    }
    // §np EntityRule `notNets`: the packet's address is in none of the CIDRs.
    if !e.not_nets.is_empty() {
        match address(d) {
            Address::Known(a) => match e.not_nets.iter().find(|n| n.contains(&a)) {
                Some(n) => return Outcome::No(text!("{a} is in notNets {n}")),
                None => matched.push(text!("{a} is outside notNets {}", list_of(&e.not_nets))),
            },
            Address::Missing => unknown = true,
            Address::Pod => matched.push(text!(
                "{d} is a pod, outside every notNets range {}",
                list_of(&e.not_nets)
            )),
        }
    }
    // §np EntityRule `selector`/`namespaceSelector`: positive matches on endpoints and on the
    // network sets in scope (§networkset); "a rule with a selector all() won't match all
    // packets", so another address or host name never matches them.
    if e.selector.is_some() || e.namespace_selector.is_some() {
        let Destination::Pod(pod) = d else {
            match in_network_set(e, d, policy, sets) {
                Outcome::Yes(m) => matched.extend(m),
                Outcome::Unknown { .. } => unknown = true,
                no @ Outcome::No(_) => return no,
            }
            return if unknown {
                Outcome::Unknown { matched }
            } else {
                Outcome::Yes(matched)
            };
        };
        if let Some(why) = out_of_scope(e, policy, pod) {
            return Outcome::No(why);
        }
        match &e.selector {
            Some(s) if !s.matches_pod(pod) => {
                return Outcome::No(text!("{pod} does not match selector `{s}`"));
            }
            Some(s) => matched.push(text!("{pod} matches selector `{s}`")),
            None => {}
        }
        if let Some(ns) = &e.namespace_selector {
            matched.push(text!("namespace {} matches `{ns}`", pod.namespace));
        }
    }
    // The CRD's EntityRule `serviceAccounts`: the rule applies only to traffic that terminates
    // at a pod running as a listed service account (`names`), within the scope of the entity's
    // namespace selector.
    if let Some(names) = &e.service_accounts {
        let Destination::Pod(pod) = d else {
            return Outcome::No(text!(
                "{d} is not a pod, and serviceAccounts match only pods"
            ));
        };
        if let Some(why) = out_of_scope(e, policy, pod) {
            return Outcome::No(why);
        }
        if !names.is_empty() && !names.contains(&pod.service_account) {
            return Outcome::No(text!(
                "{pod} runs as {}, not one of serviceAccounts {}",
                pod.service_account,
                names.join(", ")
            ));
        }
        matched.push(text!(
            "{pod} runs as service account {}",
            pod.service_account
        ));
    }
    // The CRD's EntityRule `services`: "only traffic that ... terminates at endpoints within
    // the selected service(s) will be matched, and only to/from each endpoint's port"; the
    // namespace, when left empty, is the policy's (a GlobalNetworkPolicy has none: matches
    // nothing).
    if let Some(svc) = &e.services {
        let Some(namespace) = svc.namespace.as_ref().or(policy.namespace.as_ref()) else {
            return Outcome::No(text!(
                "services `{}` names no namespace, and a GlobalNetworkPolicy has none",
                svc.name
            ));
        };
        let Destination::Pod(pod) = d else {
            return Outcome::No(text!(
                "{d} is not an endpoint of Service {namespace}/{}",
                svc.name
            ));
        };
        match &pod.endpoint_of {
            Some(ep) if pod.namespace == *namespace && ep.service == svc.name && ep.on_port => {
                matched.push(text!(
                    "{pod} is an endpoint of Service {namespace}/{}, on its port",
                    svc.name
                ));
            }
            Some(ep) if pod.namespace == *namespace && ep.service == svc.name => {
                return Outcome::No(text!(
                    "{pod} is an endpoint of Service {namespace}/{}, but not on a port it forwards to",
                    svc.name
                ));
            }
            _ => {
                return Outcome::No(text!(
                    "{pod} is not an endpoint of Service {namespace}/{}",
                    svc.name
                ));
            }
        }
    }
    // §np "Understanding notSelector": it negates the packet match, so everything except the
    // selected endpoints (in scope) matches, addresses outside the cluster included.
    if let Some(ns) = &e.not_selector {
        if let Destination::Pod(pod) = d
            && out_of_scope(e, policy, pod).is_none()
            && ns.matches_pod(pod)
        {
            return Outcome::No(text!("{pod} matches notSelector `{ns}`"));
        }
        matched.push(text!("{d} is not selected by notSelector `{ns}`"));
    }
    // §dns: domains match the names the pod looked up; addresses and pods are not names.
    if !e.domains.is_empty() {
        let texts = || {
            e.domains
                .iter()
                .map(|x| x.text.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let Destination::Host { name, .. } = d else {
            return Outcome::No(text!(
                "{d} is not a host name, and domains {} match only names",
                texts()
            ));
        };
        match e.domains.iter().find(|x| x.matches(name)) {
            Some(x) => matched.push(text!("{name} matches domain {}", x.text)),
            None => {
                return Outcome::No(text!("{name} does not match domains {}", texts()));
            }
        }
    }
    if unknown {
        Outcome::Unknown { matched }
    } else {
        Outcome::Yes(matched)
    }
}

/// The protocol and destination-port criteria of a rule.
fn ports_match(r: &Rule, flow: &Flow) -> Result<Vec<String>, String> {
    let proto = Protocol::of(flow.proto);
    let shown = flow.carries();
    let mut matched = Vec::new();
    if let Some(p) = r.protocol {
        if p != proto {
            return Err(text!("{shown} is not protocol {p}"));
        }
        matched.push(text!("protocol {p}"));
    }
    if r.not_protocol == Some(proto) {
        return Err(text!("{shown} is excluded by notProtocol {proto}"));
    }
    // §np Rule `icmp` / `notICMP`: the ICMP type (and code, when given) of the packet; the
    // reader admits them only with protocol ICMP or ICMPv6, checked above.
    let message = flow.icmp();
    if let Some(i) = &r.icmp {
        match message {
            Some((kind, code)) if i.matches(kind, code) => matched.push(text!("icmp {i}")),
            _ => return Err(text!("{shown} is not icmp {i}")),
        }
    }
    if let (Some(i), Some((kind, code))) = (&r.not_icmp, message)
        && i.matches(kind, code)
    {
        return Err(text!("{shown} is excluded by notICMP {i}"));
    }
    let e = &r.destination;
    if !e.ports.is_empty() {
        if !e.ports.iter().any(|p| p.contains(flow.port)) {
            return Err(text!("{shown} is not in ports {}", ports_text(&e.ports)));
        }
        matched.push(text!("port {} is in {}", flow.port, ports_text(&e.ports)));
    }
    if let Some(p) = e.not_ports.iter().find(|p| p.contains(flow.port)) {
        return Err(text!("{shown} is in notPorts {}", p.text(':')));
    }
    Ok(matched)
}

/// §np EntityRule: "all match criteria must match for the rule as a whole to match". A
/// criterion that fails decides even when a host's address is unknown.
/// Whether a rule's destination entity matches the flow's destination: as `entity_matches`
/// says, except that selectors (of endpoints, namespaces, service accounts) match endpoints of
/// the policy's own cluster only, never a pod of another cluster of a mesh.
fn destination_matches(r: &Rule, policy: &Policy, flow: &Flow, sets: &[NetworkSet]) -> Outcome {
    let e = &r.destination;
    let selects =
        e.selector.is_some() || e.namespace_selector.is_some() || e.service_accounts.is_some();
    match flow.remote_cluster() {
        Some(c) if selects => Outcome::No(text!(
            "{} runs in another cluster ({c}), and Calico selectors match endpoints of the policy's own cluster",
            flow.destination
        )),
        _ => entity_matches(e, &flow.destination, policy, sets),
    }
}

/// What a rule's source entity says of the flow's source pod: as `entity_matches` says of it
/// as a destination, without copying the pod when the entity has no criteria that read it
/// (then every source matches, with nothing to say).
fn source_matches(r: &Rule, policy: &Policy, flow: &Flow, sets: &[NetworkSet]) -> Outcome {
    let Entity {
        nets,
        not_nets,
        selector,
        not_selector,
        namespace_selector,
        ports: _,
        not_ports: _,
        domains,
        service_accounts,
        services,
    } = &r.source;
    let reads_nothing = nets.is_empty()
        && not_nets.is_empty()
        && selector.is_none()
        && not_selector.is_none()
        && namespace_selector.is_none()
        && domains.is_empty()
        && service_accounts.is_none()
        && services.is_none();
    if reads_nothing {
        return Outcome::Yes(Vec::new());
    }
    entity_matches(
        &r.source,
        &Destination::Pod(flow.source.clone()),
        policy,
        sets,
    )
}

fn rule_hit(r: &Rule, policy: &Policy, flow: &Flow, sets: &[NetworkSet]) -> Hit {
    let dest = destination_matches(r, policy, flow, sets);
    if let Outcome::No(why) = dest {
        return Hit::Miss(Miss::new(Near::Elsewhere, why));
    }
    let ports = match ports_match(r, flow) {
        Ok(p) => p,
        Err(why) => {
            let why = match &dest {
                Outcome::Yes(m) if !m.is_empty() => text!("{}, but {why}", m.join(", ")),
                _ => why,
            };
            return Hit::Miss(Miss::new(Near::Port, why));
        }
    };
    let source = match source_matches(r, policy, flow, sets) {
        Outcome::No(why) => {
            return Hit::Miss(Miss::new(Near::Elsewhere, text!("source: {why}")));
        }
        Outcome::Yes(m) | Outcome::Unknown { matched: m, .. } => m,
    };
    match dest {
        Outcome::Unknown { .. } => Hit::NeedsAddress,
        Outcome::Yes(mut m) => {
            m.extend(ports);
            m.extend(source);
            if m.is_empty() {
                Hit::Match(text!(
                    "the rule has no match criteria, so it matches every flow"
                ))
            } else {
                Hit::Match(text!("{}", m.join(", ")))
            }
        }
        Outcome::No(why) => Hit::Miss(Miss::new(Near::Elsewhere, why)),
    }
}

/// What a rule's source entity says of `source` (matches, does not, depends on an address),
/// the same for every flow from it: a key of the source (`Scoped::source_key`).
/// `source` is the source pod as a destination (`Destination::Pod`), built once for all the
/// rules whose keys are taken.
pub(super) fn source_key(
    r: &Rule,
    policy: &Policy,
    sets: &[NetworkSet],
    source: &Destination,
) -> usize {
    usize::from(entity_matches(&r.source, source, policy, sets).key())
}

/// Tiers with some of their policies: the tier, and the policies to read of it, in its order.
type Held<'a, P> = (&'a Tier, P);

/// The rules of the policies of `tiers` that select `src`, tier by tier.
fn applying_rules<'a, P: Iterator<Item = &'a Policy>>(
    tiers: impl Iterator<Item = Held<'a, P>>,
    src: &Pod,
) -> impl Iterator<Item = (&'a Policy, &'a Rule)> {
    tiers
        .flat_map(move |(_, policies)| policies.filter(move |p| p.selects(src)))
        .flat_map(|p| p.rules.iter().map(move |r| (p, r)))
}

impl CalicoEvaluator {
    /// Every tier with all its policies.
    fn held(&self) -> impl Iterator<Item = Held<'_, std::slice::Iter<'_, Policy>>> {
        self.tiers.tiers.iter().map(|t| (t, t.policies.iter()))
    }
}

/// The failsafe port a flow from a host endpoint goes to, if it does.
fn failsafe(enterprise: bool, flow: &Flow) -> Option<(&'static str, u16)> {
    super::failsafe_ports(enterprise)
        .iter()
        .find(|&&(proto, port)| flow.proto == proto && flow.port == port)
        .map(|&(proto, port)| (proto.as_str(), port))
}

/// Some policies of each tier of a stream, borrowed: what decides the flows of one source
/// ([`super::scope::Scope`]), as a [`CalicoEvaluator`] holding just them decides them.
pub(super) struct Selected<'a> {
    pub tiers: Vec<(&'a Tier, Vec<&'a Policy>)>,
    pub sets: &'a [NetworkSet],
    pub enterprise: bool,
}

impl<'a> Selected<'a> {
    fn held(
        &self,
    ) -> impl Iterator<Item = Held<'a, std::iter::Copied<std::slice::Iter<'_, &'a Policy>>>> {
        self.tiers.iter().map(|(t, ps)| (*t, ps.iter().copied()))
    }
}

impl Split for Selected<'_> {
    fn destination_key(&self, flow: &Flow, key: &mut Vec<u8>) {
        destination_key(self.held(), self.sets, flow, key);
    }

    fn port_key(&self, flow: &Flow, key: &mut Vec<u8>) {
        port_key(self.held(), flow, key);
    }
}

impl Evaluator for Selected<'_> {
    fn decide(&self, flow: &Flow) -> Result<Decision, Undecidable> {
        decide(self.held(), self.sets, self.enterprise, flow)
    }
}

impl Outcome {
    fn key(&self) -> u8 {
        match self {
            Outcome::Yes(_) => 0,
            Outcome::No(_) => 1,
            Outcome::Unknown { .. } => 2,
        }
    }
}

/// A flow is decided by the rules of the policies selecting its source, tier by tier
/// (`decide`), and a rule matches when its destination entity does (`destination_matches`,
/// reading the destination and whether it runs in the source's cluster), its protocol and ports do (`ports_match`, reading the protocol and
/// port only) and its source entity does (the source's, the same for all its flows): the keys
/// are each rule's destination match and each rule's port match.
impl Split for CalicoEvaluator {
    fn destination_key(&self, flow: &Flow, key: &mut Vec<u8>) {
        destination_key(self.held(), &self.tiers.sets, flow, key);
    }

    fn port_key(&self, flow: &Flow, key: &mut Vec<u8>) {
        port_key(self.held(), flow, key);
    }
}

fn destination_key<'a, P: Iterator<Item = &'a Policy>>(
    tiers: impl Iterator<Item = Held<'a, P>>,
    sets: &[NetworkSet],
    flow: &Flow,
    key: &mut Vec<u8>,
) {
    for (p, r) in applying_rules(tiers, &flow.source) {
        key.push(destination_matches(r, p, flow, sets).key());
    }
}

fn port_key<'a, P: Iterator<Item = &'a Policy>>(
    tiers: impl Iterator<Item = Held<'a, P>>,
    flow: &Flow,
    key: &mut Vec<u8>,
) {
    for (_, r) in applying_rules(tiers, &flow.source) {
        key.push(u8::from(ports_match(r, flow).is_ok()));
    }
}

impl Evaluator for CalicoEvaluator {
    fn decide(&self, flow: &Flow) -> Result<Decision, Undecidable> {
        decide(self.held(), &self.tiers.sets, self.tiers.enterprise, flow)
    }
}

/// The decision of `tiers` (each with the policies to read of it) on `flow`.
fn decide<'a, P: Iterator<Item = &'a Policy>>(
    tiers: impl Iterator<Item = Held<'a, P>>,
    sets: &[NetworkSet],
    enterprise: bool,
    flow: &Flow,
) -> Result<Decision, Undecidable> {
    let src = &flow.source;
    if src.host
        && let Some((proto, port)) = failsafe(enterprise, flow)
    {
        return Ok(Decision::by_rule(
            true,
            "failsafe".to_owned(),
            text!(
                "{port}/{proto} is an outbound failsafe port, open on every host endpoint whatever the policy"
            ),
        ));
    }
    let mut passed: Vec<String> = Vec::new();
    let mut closest = Closest::default();
    for (tier, policies) in tiers {
        let applying: Vec<&Policy> = policies.filter(|p| p.selects(src)).collect();
        // §tiers "Policy endpoint matching across tiers": a tier none of whose policies
        // selects the endpoint is skipped, its end-of-tier action included.
        if applying.is_empty() {
            continue;
        }
        let mut pass: Option<String> = None;
        'policies: for p in &applying {
            for (i, r) in p.rules.iter().enumerate() {
                let why = match rule_hit(r, p, flow, sets) {
                    Hit::Match(why) => why,
                    Hit::Miss(miss) => {
                        if r.action == Action::Allow {
                            closest
                                .offer_with(miss.near, || text!("{}: {}", p.rule_id(i), miss.why));
                        }
                        continue;
                    }
                    // A Log rule goes on either way; any other action makes the verdict
                    // depend on the address.
                    Hit::NeedsAddress if r.action == Action::Log => continue,
                    Hit::NeedsAddress => return Err(flow.needs_address()),
                };
                // §np Rule: Allow and Deny are final, Log goes on with the next rule;
                // §tier: Pass goes on with the next tier that applies to the endpoint.
                match r.action {
                    Action::Log => {}
                    Action::Allow => {
                        return Ok(Decision::by_rule(
                            true,
                            p.rule_id(i),
                            text!("Allow in tier {}: {why}", tier.name),
                        ));
                    }
                    Action::Deny => {
                        let closest = closest.into_why().unwrap_or_else(|| {
                            text!(
                                "no Allow rule was reached: the Deny rule {} decided first",
                                p.rule_id(i)
                            )
                        });
                        return Ok(Decision {
                            closest: Some(closest),
                            ..Decision::by_rule(
                                false,
                                p.rule_id(i),
                                text!("Deny in tier {}: {why}", tier.name),
                            )
                        });
                    }
                    Action::Pass => {
                        pass = Some(text!(
                            "tier {} passed it ({} Pass: {why})",
                            tier.name,
                            p.rule_id(i)
                        ));
                        break 'policies;
                    }
                }
            }
        }
        if let Some(pass) = pass {
            passed.push(pass);
            continue;
        }
        match tier.default_action {
            // §tier: a tier with defaultAction Pass hands what it did not act on to the
            // next tier.
            TierDefault::Pass => passed.push(text!(
                "tier {} took no action and passed it (defaultAction Pass)",
                tier.name
            )),
            // §tier/§tiers "Implicit default deny": a tier that applies to the endpoint
            // and takes no action drops the packet.
            TierDefault::Deny => {
                let closest = closest.into_why().unwrap_or_else(|| {
                    text!(
                        "no Allow rule of tier {} matched anything like it: its end-of-tier Deny decided",
                        tier.name
                    )
                });
                return Ok(Decision {
                    closest: Some(closest),
                    ..Decision::by_default(
                        false,
                        text!(
                            "end of tier {}: {} select {src} and no rule acted, so the tier's default action Deny applies",
                            tier.name,
                            applying
                                .iter()
                                .map(|p| p.id())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                });
            }
        }
    }
    // §tier: "If the last Tier applying to the endpoint Passes the packet, that endpoint's
    // Profiles are evaluated"; §tiers "Default endpoint behavior": a Kubernetes workload's
    // profile allows all egress.
    let why = if src.host {
        text!(
            "no Calico policy with Egress acts on {src}: its automatic host endpoint's profile projectcalico-default-allow allows all egress"
        )
    } else if passed.is_empty() {
        text!("no Calico policy with Egress selects {src}: its namespace profile allows all egress")
    } else {
        text!(
            "{}; no later tier selects {src}, so its namespace profile allows all egress",
            passed.join("; ")
        )
    };
    Ok(Decision::by_default(true, why))
}
