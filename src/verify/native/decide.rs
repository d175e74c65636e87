//! Deciding a flow by Kubernetes NetworkPolicy semantics (sources cited as in `mod.rs`).

use super::{NativeEvaluator, Peer, Policy, Rule};
use crate::verify::closest::{Closest, Hit, Miss, Near};
use crate::verify::labels::LabelSelector;
use crate::verify::ports::PortMatch;
use crate::verify::texts::{self, text};
use crate::verify::universe::Split;
use crate::verify::{Decision, Destination, Evaluator, Flow, Pod, Undecidable};

/// A selector as the messages show it.
fn shown(s: &LabelSelector) -> &str {
    if s.text().is_empty() {
        "{} (everything)"
    } else {
        s.text()
    }
}

/// `TCP 5432`, `UDP 8000-8100`, `every SCTP port`.
fn port_text(p: &PortMatch) -> String {
    let proto = p.protocol.map(|p| p.to_string()).unwrap_or_default();
    match p.ports {
        None => text!("every {proto} port"),
        Some(r) => text!("{proto} {r}"),
    }
}

fn describe_ports(ports: &[PortMatch]) -> String {
    if ports.is_empty() {
        return "any port".to_owned();
    }
    ports.iter().map(port_text).collect::<Vec<_>>().join(", ")
}

fn peer_hit(policy: &Policy, peer: &Peer, dest: &Destination) -> Hit {
    match (peer, dest) {
        (Peer::Block { .. }, Destination::Host { address: None, .. }) => Hit::NeedsAddress,
        // [concepts] "The NetworkPolicy resource", ipBlock: a CIDR range of destinations;
        // [api] IPBlock, field `except`: ranges removed from it. A host name matches by the
        // address it resolved to. ipBlocks "should be cluster-external IPs, since Pod IPs are
        // ephemeral and unpredictable", but whether one matches a pod's or a node's address is
        // left to the implementation: Calico's does (projectcalico/calico#6634), Cilium's does
        // not (cilium/cilium#19601). This model takes the wider reading, every address, so that
        // a policy is exact only when it holds under every implementation.
        (Peer::Block { cidr, except, .. }, dest) => {
            let Some(a) = dest.address() else {
                return Hit::Miss(Miss::new(
                    Near::OtherKind,
                    text!(
                        "{dest} has no address in the flow model, and ipBlock {cidr} matches addresses only"
                    ),
                ));
            };
            let what = match dest {
                Destination::Address(_) | Destination::Host { .. } => String::new(),
                other => text!(" ({other})"),
            };
            if !cidr.contains(&a) {
                Hit::Miss(Miss::new(
                    Near::Elsewhere,
                    text!("{a}{what} is outside {cidr}"),
                ))
            } else if let Some(e) = except.iter().find(|e| e.contains(&a)) {
                Hit::Miss(Miss::new(
                    Near::Excluded,
                    text!("{a}{what} is in {cidr} but in except {e}"),
                ))
            } else {
                Hit::Match(text!("{a}{what} is in ipBlock {cidr}"))
            }
        }
        (
            Peer::Pods {
                namespaces, pods, ..
            },
            Destination::Pod(p),
        ) => {
            // [api] NetworkPolicyPeer: `podSelector` alone looks in the policy's own namespace;
            // `namespaceSelector` alone takes every pod of the namespaces it selects; the two
            // in one peer take the pods matching podSelector within the namespaces matching
            // namespaceSelector ([concepts] "Behavior of to and from selectors": one element
            // with both is an AND, two elements an OR).
            match namespaces {
                None if p.namespace != policy.namespace => {
                    return Hit::Miss(Miss::new(
                        Near::Elsewhere,
                        text!(
                            "{p} is not in namespace {} (a podSelector without namespaceSelector selects the policy's own namespace)",
                            policy.namespace
                        ),
                    ));
                }
                Some(ns) if !ns.matches(|k: &String| p.namespace_label(k)) => {
                    return Hit::Miss(Miss::new(
                        Near::Elsewhere,
                        text!(
                            "namespace {} does not match namespaceSelector {}",
                            p.namespace,
                            shown(ns)
                        ),
                    ));
                }
                _ => {}
            }
            match pods {
                Some(sel) if !sel.matches_labels(&p.labels) => Hit::Miss(Miss::new(
                    Near::Excluded,
                    text!("{p} does not match podSelector {}", shown(sel)),
                )),
                Some(sel) => Hit::Match(text!("{p} matches podSelector {}", shown(sel))),
                None => Hit::Match(text!(
                    "{p} is in a namespace matching namespaceSelector {}",
                    namespaces.as_ref().map(shown).unwrap_or_default()
                )),
            }
        }
        (Peer::Pods { .. }, dest) => Hit::Miss(Miss::new(
            Near::OtherKind,
            text!("{dest} is not a pod, and namespaceSelector/podSelector peers match pods only"),
        )),
    }
}

/// Whether `peer` takes the flow's destination: as `peer_hit` says, except that a
/// NetworkPolicy selects pods of its own cluster only, never a pod of another cluster of a mesh.
fn flow_hit(policy: &Policy, peer: &Peer, flow: &Flow) -> Hit {
    match (peer, flow.remote_cluster()) {
        (Peer::Pods { .. }, Some(c)) => Hit::Miss(Miss::new(
            Near::Elsewhere,
            text!(
                "{} runs in another cluster ({c}), and namespaceSelector/podSelector peers select pods of the policy's own cluster",
                flow.destination
            ),
        )),
        _ => peer_hit(policy, peer, &flow.destination),
    }
}

/// Why the rule's ports miss the flow, or `None` when they allow it ([api] NetworkPolicyPort:
/// a port entry needs both its protocol and its port to match; the entries are ORed). Entries
/// name TCP, UDP or SCTP only ([validation]), so an ICMP or other flow matches a rule only when
/// the rule has no ports ([api] NetworkPolicyEgressRule `ports`: "traffic not restricted by
/// port", whatever its protocol).
fn ports_miss(ports: &[PortMatch], flow: &Flow) -> Option<String> {
    let hit = ports.is_empty() || ports.iter().any(|p| p.matches(flow.proto, flow.port));
    (!hit).then(|| text!("{} is not in {}", flow.packet(), describe_ports(ports)))
}

/// [api] NetworkPolicyEgressRule: a flow must match the rule's `ports` and its `to`; the `to`
/// entries are ORed.
fn rule_hit(policy: &Policy, rule: &Rule, flow: &Flow) -> Hit {
    let ports_miss = ports_miss(&rule.ports, flow);
    let ports_ok = || text!("{} is in {}", flow.packet(), describe_ports(&rule.ports));
    if rule.to.is_empty() {
        let why = "the rule has no `to` (every destination)";
        return match ports_miss {
            None => Hit::Match(text!("{why} and {}", ports_ok())),
            Some(m) => Hit::Miss(Miss::new(Near::Port, text!("{why}, but {m}"))),
        };
    }
    let mut best = Closest::default();
    let mut needs_address = false;
    for p in &rule.to {
        match (flow_hit(policy, p, flow), &ports_miss) {
            (Hit::Match(m), None) => return Hit::Match(text!("{m} and {}", ports_ok())),
            (Hit::Match(m), Some(pm)) => best.offer(Miss::new(Near::Port, text!("{m}, but {pm}"))),
            (Hit::NeedsAddress, None) => needs_address = true,
            (Hit::NeedsAddress, Some(pm)) => best.offer(Miss::new(Near::Port, pm.clone())),
            (Hit::Miss(m), pm) => best.offer(Miss {
                ports_too: pm.is_some(),
                ..m
            }),
        }
    }
    if needs_address {
        return Hit::NeedsAddress;
    }
    Hit::Miss(
        best.into_miss()
            .unwrap_or_else(|| Miss::new(Near::Nothing, "the rule has no peers")),
    )
}

/// Whether `policy` isolates `source` for egress.
fn applies(policy: &Policy, source: &Pod) -> bool {
    policy.egress
        && policy.namespace == source.namespace
        && policy.selector.matches_labels(&source.labels)
}

/// Some policies of a stream, borrowed: what decides the flows of one source
/// ([`super::scope::Scope`]), as a [`NativeEvaluator`] holding just them decides them.
pub(super) struct Selected<'a>(pub Vec<&'a Policy>);

impl Split for Selected<'_> {
    fn destination_key(&self, flow: &Flow, key: &mut Vec<u8>) {
        destination_key(self.0.iter().copied(), flow, key);
    }

    fn port_key(&self, flow: &Flow, key: &mut Vec<u8>) {
        port_key(self.0.iter().copied(), flow, key);
    }
}

impl Evaluator for Selected<'_> {
    fn decide(&self, flow: &Flow) -> Result<Decision, Undecidable> {
        decide(self.0.iter().copied(), flow)
    }
}

/// A flow is decided by the rules of the policies applying to its source (`decide`), and a
/// rule matches when its ports do (`ports_miss`, reading the protocol and port only) and one of
/// its peers does (`peer_hit`, reading the destination only): the keys are each peer's hit and
/// each rule's port match.
impl Split for NativeEvaluator {
    fn destination_key(&self, flow: &Flow, key: &mut Vec<u8>) {
        destination_key(self.policies.0.iter(), flow, key);
    }

    fn port_key(&self, flow: &Flow, key: &mut Vec<u8>) {
        port_key(self.policies.0.iter(), flow, key);
    }
}

fn destination_key<'a>(policies: impl Iterator<Item = &'a Policy>, flow: &Flow, key: &mut Vec<u8>) {
    for p in policies.filter(|p| applies(p, &flow.source)) {
        for peer in p.rules.iter().flat_map(|r| &r.to) {
            key.push(flow_hit(p, peer, flow).key());
        }
    }
}

fn port_key<'a>(policies: impl Iterator<Item = &'a Policy>, flow: &Flow, key: &mut Vec<u8>) {
    for r in policies
        .filter(|p| applies(p, &flow.source))
        .flat_map(|p| &p.rules)
    {
        key.push(u8::from(ports_miss(&r.ports, flow).is_none()));
    }
}

impl Evaluator for NativeEvaluator {
    fn decide(&self, flow: &Flow) -> Result<Decision, Undecidable> {
        decide(self.policies.0.iter(), flow)
    }
}

/// The decision of `policies` on `flow`.
fn decide<'a>(
    policies: impl Iterator<Item = &'a Policy>,
    flow: &Flow,
) -> Result<Decision, Undecidable> {
    let source: &Pod = &flow.source;
    // [concepts] "The two sorts of pod isolation": a pod is isolated for egress when a
    // NetworkPolicy that selects it has Egress in its policyTypes; policies are
    // namespaced, so only those of the pod's own namespace can select it.
    let applying: Vec<&Policy> = policies.filter(|p| applies(p, source)).collect();
    if applying.is_empty() {
        // [concepts] "The two sorts of pod isolation": a pod that is not isolated for
        // egress may connect anywhere.
        return Ok(Decision::by_default(
            true,
            text!("no NetworkPolicy with Egress selects the pod"),
        ));
    }
    // [concepts] "The two sorts of pod isolation": policies add up; an isolated pod may
    // make what the union of the egress rules of the policies applying to it allows ([api]
    // NetworkPolicySpec, field `egress`: one matching rule in any of them suffices).
    let mut closest = Closest::default();
    let mut needs_address = false;
    for p in &applying {
        for (i, r) in p.rules.iter().enumerate() {
            let at = text!("{}/{} spec.egress[{i}]", p.namespace, p.name);
            match rule_hit(p, r, flow) {
                Hit::Match(why) => return Ok(Decision::by_rule(true, at, why)),
                Hit::NeedsAddress => needs_address = true,
                Hit::Miss(m) => closest.offer(Miss {
                    why: text!("{at}: {}", m.why),
                    ..m
                }),
            }
        }
    }
    if needs_address {
        return Err(flow.needs_address());
    }
    if !texts::on() {
        return Ok(Decision::by_default(false, String::new()));
    }
    let names: Vec<String> = applying
        .iter()
        .map(|p| format!("{}/{}", p.namespace, p.name))
        .collect();
    let why = if applying.iter().all(|p| p.rules.is_empty()) {
        format!(
            "{} {} the pod for Egress with no egress rules: nothing is allowed",
            names.join(", "),
            if names.len() == 1 {
                "selects"
            } else {
                "select"
            }
        )
    } else {
        format!("no egress rule of {} allows it", names.join(", "))
    };
    Ok(Decision {
        closest: closest.into_why(),
        ..Decision::by_default(false, why)
    })
}
