//! The Calico evaluator: reads the emitted `projectcalico.org/v3` YAML text (NetworkPolicy,
//! GlobalNetworkPolicy, Tier) back into [`Tiers`] (`read.rs`) and decides flows by Calico's
//! documented semantics (`decide.rs`), not by what our backend meant to emit. Calico's selectors
//! are a small language of their own (`selector.rs`); Calico Enterprise's domains are matched in
//! `domain.rs`.
//!
//! The upstream pages each decision follows, cited as §name:
//! - §tier: <https://docs.tigera.io/calico/latest/reference/resources/tier>
//! - §tiers: <https://docs.tigera.io/calico/latest/network-policy/policy-tiers/tiered-policy>
//! - §np: <https://docs.tigera.io/calico/latest/reference/resources/networkpolicy> (its Spec,
//!   Rule, EntityRule, Selectors and Ports sections, shared with §gnp)
//! - §gnp: <https://docs.tigera.io/calico/latest/reference/resources/globalnetworkpolicy>
//! - §labels: <https://docs.tigera.io/calico/latest/network-policy/get-started/calico-policy/calico-labels>
//! - §dns: <https://docs.tigera.io/calico-enterprise/latest/network-policy/domain-based-policy>
//!   and the Enterprise EntityRule (`domains`, "Exact and wildcard domain names") in
//!   <https://docs.tigera.io/calico-enterprise/latest/reference/resources/networkpolicy>
//! - §hep: <https://docs.tigera.io/calico/latest/reference/resources/hostendpoint> and the
//!   automatic host endpoints of kube-controllers (`interfaceName: "*"`, the node's labels, the
//!   profile `projectcalico-default-allow`): a host endpoint's policy applies to the traffic
//!   the host itself sends
//! - §failsafe: <https://docs.tigera.io/calico/latest/reference/host-endpoints/failsafe> (and
//!   Calico Enterprise's page): outbound ports open on every host endpoint whatever the policy
//! - §sorter: Felix's policy sorter, `felix/calc/policy_sorter.go` in projectcalico/calico
//!   (the docs say "lowest order first"; the sorter says what happens without an order and on
//!   ties).
//!
//! In short: tiers run in ascending order, and a tier none of whose policies selects the pod is
//! skipped; inside a tier, policies run in ascending order and their egress rules in sequence;
//! the first matching `Allow` or `Deny` decides, `Log` goes on, `Pass` jumps to the next tier;
//! a tier that selects the pod and takes no action applies its `defaultAction` (`Deny` unless it
//! says `Pass`); a pod that no tier acts on falls through to its namespace profile, which allows
//! all egress.
//!
//! `nets` and `notNets` match a packet's address, whatever holds it: in the flow model pods,
//! nodes and the API server have addresses (`verify::cluster`), and a range that contains a
//! pod's address matches that pod. A host name matches `nets` by the address it resolved to,
//! and `domains` (Calico Enterprise only) by name. A policy's selector selects pods and, for a
//! GlobalNetworkPolicy without `namespaceSelector`, the nodes' automatic host endpoints (a host
//! source: the node's labels, no `projectcalico.org/namespace`); a host endpoint's flows to the
//! failsafe ports are allowed before any tier (§failsafe), and one no tier acts on is allowed by
//! its default-allow profile (§hep). Rule selectors match pods only.

mod decide;

pub use decide::set_in_scope;
pub mod domain;
pub mod read;
pub mod scope;
pub mod selector;

use std::fmt;

use ipnet::IpNet;

use super::ports::{PortRange, Protocol};
use super::yaml::Pos;
use super::{Undecidable, read_emitted};
use crate::model::Proto;
use domain::Domain;
use selector::Selector;

/// Calico policy read back from YAML: tiers in evaluation order, each with its policies in
/// evaluation order, and (when importing) the network sets of the stream.
#[derive(Clone, Debug, Default)]
pub struct Tiers {
    pub tiers: Vec<Tier>,
    /// NetworkSets and GlobalNetworkSets. Selectors match pods only here: a selector that also
    /// matches a set is the importer's to report.
    pub sets: Vec<NetworkSet>,
    /// Calico Enterprise rather than Open Source: its failsafe ports differ (§failsafe).
    pub enterprise: bool,
}

/// A NetworkSet (`namespace` set) or GlobalNetworkSet: labelled address ranges that selectors
/// may match.
#[derive(Clone, Debug)]
pub struct NetworkSet {
    pub namespace: Option<String>,
    pub name: String,
    pub labels: std::collections::BTreeMap<String, String>,
    pub nets: Vec<IpNet>,
    pub pos: Pos,
}

#[derive(Clone, Debug)]
pub struct Tier {
    pub name: String,
    pub order: Option<f64>,
    pub default_action: TierDefault,
    pub policies: Vec<Policy>,
}

/// §tier `defaultAction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TierDefault {
    Deny,
    Pass,
}

/// A NetworkPolicy or GlobalNetworkPolicy.
#[derive(Clone, Debug)]
pub struct Policy {
    /// `None` for a GlobalNetworkPolicy.
    pub namespace: Option<String>,
    pub name: String,
    pub tier: String,
    pub order: Option<f64>,
    pub selector: Selector,
    /// A GlobalNetworkPolicy's `namespaceSelector` (absent: every namespace).
    pub namespace_selector: Option<Selector>,
    /// Whether `types` includes `Egress`.
    pub egress: bool,
    pub rules: Vec<Rule>,
    /// Where the document starts.
    pub pos: Pos,
}

impl Policy {
    /// `p/a-egress`, or a GlobalNetworkPolicy's name.
    pub fn id(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}", self.name),
            None => self.name.clone(),
        }
    }

    /// `p/a-egress spec.egress[2]`; empty while the texts of decisions are off (a comparison
    /// over a universe reads only verdicts, and decides again with texts what it reports).
    pub fn rule_id(&self, i: usize) -> String {
        crate::verify::texts::text!("{} spec.egress[{i}]", self.id())
    }
}

/// §np Rule.
#[derive(Clone, Debug)]
pub struct Rule {
    pub action: Action,
    pub protocol: Option<Protocol>,
    pub not_protocol: Option<Protocol>,
    /// §np Rule `icmp`: an ICMP type, or a type and a code (with protocol ICMP or ICMPv6).
    pub icmp: Option<Icmp>,
    /// §np Rule `notICMP`: the ICMP messages the rule does not match.
    pub not_icmp: Option<Icmp>,
    pub source: Entity,
    pub destination: Entity,
    pub pos: Pos,
}

/// §np ICMP: `type` and, optionally, `code` ("If specified, the Type value must also be
/// specified").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Icmp {
    pub kind: u8,
    pub code: Option<u8>,
}

impl Icmp {
    pub fn matches(&self, kind: u8, code: u8) -> bool {
        self.kind == kind && self.code.is_none_or(|c| c == code)
    }
}

impl fmt::Display for Icmp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(c) => write!(f, "type {} code {c}", self.kind),
            None => write!(f, "type {}", self.kind),
        }
    }
}

/// §np Rule `action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Allow,
    Deny,
    Log,
    Pass,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Allow => "Allow",
            Action::Deny => "Deny",
            Action::Log => "Log",
            Action::Pass => "Pass",
        })
    }
}

/// §np EntityRule: every present criterion must match.
#[derive(Clone, Debug, Default)]
pub struct Entity {
    pub nets: Vec<IpNet>,
    pub not_nets: Vec<IpNet>,
    pub selector: Option<Selector>,
    pub not_selector: Option<Selector>,
    pub namespace_selector: Option<Selector>,
    pub ports: Vec<PortRange>,
    pub not_ports: Vec<PortRange>,
    pub domains: Vec<Domain>,
    /// `serviceAccounts.names`: the service accounts a pod must run as.
    pub service_accounts: Option<Vec<String>>,
    /// `services`: the Service whose endpoints (on its ports) the rule matches.
    pub services: Option<ServiceMatch>,
}

/// The CRD's EntityRule `services`: a Service's `name`, and its `namespace` ("If left empty,
/// the rule will match within this policy's namespace").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceMatch {
    pub name: String,
    pub namespace: Option<String>,
}

/// §failsafe: the outbound ports Felix keeps open on every host endpoint, to any address,
/// whatever the policy: the default of `FailsafeOutboundHostPorts`; Calico Enterprise's default
/// list is shorter.
pub fn failsafe_ports(enterprise: bool) -> &'static [(Proto, u16)] {
    const OPEN: &[(Proto, u16)] = &[
        (Proto::Udp, 53),
        (Proto::Udp, 67),
        (Proto::Tcp, 179),
        (Proto::Tcp, 2379),
        (Proto::Tcp, 2380),
        (Proto::Tcp, 5473),
        (Proto::Tcp, 6443),
        (Proto::Tcp, 6666),
        (Proto::Tcp, 6667),
    ];
    const ENTERPRISE: &[(Proto, u16)] = &[
        (Proto::Udp, 53),
        (Proto::Udp, 67),
        (Proto::Tcp, 179),
        (Proto::Tcp, 6443),
    ];
    if enterprise { ENTERPRISE } else { OPEN }
}

/// Decides flows by the Calico policies of one YAML stream.
#[derive(Clone, Debug)]
pub struct CalicoEvaluator {
    tiers: Tiers,
}

impl CalicoEvaluator {
    pub fn new(tiers: Tiers) -> CalicoEvaluator {
        CalicoEvaluator { tiers }
    }

    /// Reads a YAML stream of Calico objects, refusing what it does not understand.
    /// `enterprise` admits `destination.domains`.
    pub fn load(yaml: &str, enterprise: bool) -> Result<CalicoEvaluator, Undecidable> {
        read_emitted(yaml, |docs, reader| read::tiers(docs, reader, enterprise))
            .map(CalicoEvaluator::new)
    }
}
