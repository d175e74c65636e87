//! The Cilium evaluator: reads the emitted `cilium.io/v2` CiliumNetworkPolicy and
//! CiliumClusterwideNetworkPolicy documents back as YAML text into [`Policies`] (`read.rs`) and
//! decides flows by Cilium's documented semantics (Cilium 1.19, default policy enforcement mode;
//! `decide.rs`), not by what our backend meant to write. Endpoint selectors are Kubernetes label
//! selectors under Cilium's key rules (`selector.rs`); `toFQDNs` names and patterns are matched
//! in `fqdn.rs`. Anything it does not understand is `Undecidable::BadYaml`, never skipped.
//!
//! Where each decision comes from (cited as `[name]`):
//! - `[intro]` <https://docs.cilium.io/en/latest/security/policy/intro/>: policy enforcement
//!   modes, "Endpoint default policy", `EnableDefaultDeny`.
//! - `[crd]` the `Rule` field reference of the CRD (`enableDefaultDeny`, `egress`, `egressDeny`),
//!   as printed in the CRD schema / API reference.
//! - `[layer3]` <https://docs.cilium.io/en/latest/security/policy/layer3/>: `toEndpoints`,
//!   "Ingress/Egress Default Deny", `toCIDR`/`toCIDRSet`, `toFQDNs` (`matchName`, `matchPattern`,
//!   `*`, `**.`).
//! - `[layer4]` <https://docs.cilium.io/en/latest/security/policy/layer4/>: `toPorts`, `port`,
//!   `endPort`, `protocol`.
//! - `[layer7]` <https://docs.cilium.io/en/latest/security/policy/layer7/>: "DNS Policy and IP
//!   Discovery", the DNS proxy, `rules.dns`.
//! - `[deny]` <https://docs.cilium.io/en/latest/security/policy/deny/>: `egressDeny` precedence.
//! - `[k8s]` <https://docs.cilium.io/en/latest/security/policy/kubernetes/>: namespaces,
//!   CiliumClusterwideNetworkPolicy.
//! - `[parse]` how Cilium turns a CRD into rules, `pkg/k8s/apis/cilium.io/utils/utils.go`
//!   (`getEndpointSelector`, `ParseToCiliumRule`), `pkg/policy/api/selector.go` (label keys
//!   `source:key`, no source = `any`) and `pkg/policy/api/rule_validation.go` ("combining X and Y
//!   is not supported yet").
//! - `[entity]` `pkg/policy/api/entity.go`: `EntitySelectorMapping` and `InitEntities`, the
//!   identities each `toEntities` name selects; the reserved identities of nodes and the API
//!   server (`pkg/identity`: the host and identity 7 `kube-apiserver` carry the
//!   `reserved:kube-apiserver` label next to `reserved:host` / `reserved:remote-node`).
//! - `[lifecycle]` <https://docs.cilium.io/en/latest/security/policy/lifecycle/>: "Init
//!   Identity", the single label `reserved:init` of an endpoint whose labels are not known yet,
//!   and its egress decided like any endpoint's by the rules that select it; `[init-ccnp]`
//!   cilium/cilium#28007 (Cilium 1.13 and later): Cilium adds the namespace to the subject of a
//!   CiliumNetworkPolicy selecting `reserved:init`, so only a CiliumClusterwideNetworkPolicy
//!   selects it. The health endpoints carry the single label `reserved:health`.
//!
//! Conventions shared with the reference evaluator: a pod's identity labels are its labels plus
//! `io.kubernetes.pod.namespace` and the labels of its namespace (only
//! `kubernetes.io/metadata.name`); CIDR rules never match pods or nodes (the API server outside
//! the cluster they match by address); a host name matches
//! `toFQDNs` by name and CIDR rules by the address it resolved to. A host name without an address
//! is `NeedsAddress` whenever an address rule could change the verdict.

mod decide;
pub mod fqdn;
pub mod http;
pub mod read;
pub mod scope;
pub mod selector;

use std::fmt;

use ipnet::IpNet;

use super::ports::PortMatch;
use super::yaml::Pos;
use super::{Destination, Undecidable, read_emitted};
use fqdn::Fqdn;
use selector::EndpointSelector;

/// The rule sets (`spec`, and each entry of `specs`) of one YAML stream, in stream order.
#[derive(Clone, Debug, Default)]
pub struct Policies(pub Vec<Spec>);

/// One rule set of a policy (`spec`, or an entry of `specs`).
#[derive(Clone, Debug)]
pub struct Spec {
    /// `payments/payments-api-egress` or, clusterwide, `no-metadata`.
    pub object: String,
    /// `spec` or `specs[1]`.
    pub path: String,
    pub subject: EndpointSelector,
    pub egress: Vec<Rule>,
    pub deny: Vec<Rule>,
    /// `enableDefaultDeny.egress`, when written.
    pub default_deny: Option<bool>,
    /// Whether `egress` or `egressDeny` has rules as written (rules left out when importing
    /// still count: the policy isolates as written).
    pub egress_section: bool,
    pub pos: Pos,
}

/// An `egress` or `egressDeny` rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// `None`: no peer, which with `toPorts` or `icmps` is every destination [layer4: "to any
    /// layer 3 destination"] and without is the empty rule that allows nothing [layer3:
    /// "Ingress/Egress Default Deny", `egress: [{}]`].
    pub peers: Option<Peers>,
    /// Empty (and no `icmps`): every port of every protocol.
    pub ports: Vec<PortRule>,
    /// `icmps[].fields[]`: ICMP messages by family and type (`[layer4]` "Limit ICMP/ICMPv6
    /// types"); never with `toPorts` in one rule (`[parse]` "The ICMPs block may only be present
    /// without ToPorts").
    pub icmps: Vec<IcmpType>,
    pub pos: Pos,
}

/// One `icmps[].fields[]` entry: every code of one ICMP type of one IP family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpType {
    pub v6: bool,
    pub kind: u8,
}

impl fmt::Display for IcmpType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let family = if self.v6 { "IPv6" } else { "IPv4" };
        write!(f, "{family} type {}", self.kind)
    }
}

/// The one kind of peer of a rule [parse: "combining ToEndpoints and ToCIDR is not supported
/// yet"].
#[derive(Clone, Debug)]
pub enum Peers {
    Endpoints(Vec<EndpointSelector>),
    Cidrs(Vec<Cidr>),
    Fqdns(Vec<Fqdn>),
    Entities(Vec<Entity>),
}

/// A `toEntities` entry [layer3: "Entities Based"]; which identities each selects is
/// `EntitySelectorMapping` and `InitEntities` in `pkg/policy/api/entity.go` `[entity]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entity {
    /// `all`: "the combination of all known clusters as well world", every destination.
    All,
    /// `world`, `world-ipv4`, `world-ipv6` (`None`: both families): "all endpoints outside of
    /// the cluster", the API server outside the cluster included (its CIDR identity keeps the
    /// `reserved:world` label next to `reserved:kube-apiserver`).
    World(Option<bool>),
    /// `cluster`: the host, remote nodes, the API server and every endpoint of the cluster
    /// [entity: `InitEntities`].
    Cluster,
    /// `host`: "the local host", the API server on it included (the host identity carries the
    /// `reserved:kube-apiserver` label then).
    Host,
    /// `remote-node`: "any node in any of the connected clusters other than the local host",
    /// the API server on one included (identity 7, `kube-apiserver`, has the
    /// `reserved:remote-node` label).
    RemoteNode,
    /// `kube-apiserver`: the API server's addresses, on a node or outside the cluster.
    KubeApiserver,
}

impl Entity {
    /// Whether the entity selects the destination's identity; `None` for a host name whose
    /// address (family) is unknown and would decide it.
    pub fn selects(self, dest: &Destination) -> Option<bool> {
        let family = |v6: bool, a: &std::net::IpAddr| a.is_ipv6() == v6;
        Some(match (self, dest) {
            (Entity::All, _) => true,
            (Entity::World(None), Destination::Address(_) | Destination::Host { .. }) => true,
            (Entity::World(Some(v6)), Destination::Address(a)) => family(v6, a),
            (
                Entity::World(Some(v6)),
                Destination::Host {
                    address: Some(a), ..
                },
            ) => family(v6, a),
            (Entity::World(Some(_)), Destination::Host { address: None, .. }) => return None,
            (Entity::World(v6), Destination::ApiServer(s)) => {
                s.on_node.is_none() && v6.is_none_or(|v6| family(v6, &s.address))
            }
            (Entity::World(_), Destination::Pod(_) | Destination::Node(_)) => false,
            (
                Entity::Cluster,
                Destination::Pod(_) | Destination::Node(_) | Destination::ApiServer(_),
            ) => true,
            (Entity::Cluster, Destination::Address(_) | Destination::Host { .. }) => false,
            (Entity::Host, Destination::Node(n)) => n.this,
            (Entity::RemoteNode, Destination::Node(n)) => !n.this,
            (Entity::Host, Destination::ApiServer(s)) => s.on_node == Some(true),
            (Entity::RemoteNode, Destination::ApiServer(s)) => s.on_node == Some(false),
            (Entity::Host | Entity::RemoteNode, _) => false,
            (Entity::KubeApiserver, Destination::ApiServer(_)) => true,
            (Entity::KubeApiserver, _) => false,
        })
    }

    /// Whether it selects pods of the cluster (the cluster DNS among them).
    pub fn selects_pods(self) -> bool {
        matches!(self, Entity::All | Entity::Cluster)
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Entity::All => "all",
            Entity::World(None) => "world",
            Entity::World(Some(false)) => "world-ipv4",
            Entity::World(Some(true)) => "world-ipv6",
            Entity::Cluster => "cluster",
            Entity::Host => "host",
            Entity::RemoteNode => "remote-node",
            Entity::KubeApiserver => "kube-apiserver",
        })
    }
}

/// `cidr` minus `except` [layer3: toCIDRSet].
#[derive(Clone, Debug)]
pub struct Cidr {
    pub net: IpNet,
    pub except: Vec<IpNet>,
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.net)?;
        if !self.except.is_empty() {
            let e: Vec<String> = self.except.iter().map(ToString::to_string).collect();
            write!(f, " except {}", e.join(", "))?;
        }
        Ok(())
    }
}

/// One `toPorts[]` entry: its ports (each with a port range; `protocol: None` is `ANY`
/// `[layer4]`) and its DNS or HTTP rules, if any.
#[derive(Clone, Debug)]
pub struct PortRule {
    pub ports: Vec<PortMatch>,
    pub dns: Option<Vec<Fqdn>>,
    pub http: Option<Vec<http::HttpRule>>,
    /// `serverNames`: the TLS server names the entry allows, read as `toFQDNs` selectors are
    /// (a name, or a pattern where `*` stands for characters of one label and `**.` for
    /// labels: `[crd]` `serverNames`).
    pub server_names: Option<Vec<Fqdn>>,
}

/// Decides flows by the Cilium policies of one YAML stream.
#[derive(Clone, Debug)]
pub struct CiliumEvaluator {
    policies: Policies,
}

impl CiliumEvaluator {
    pub fn new(policies: Policies) -> CiliumEvaluator {
        CiliumEvaluator { policies }
    }

    /// Reads a YAML stream of Cilium policies, refusing what it does not understand.
    pub fn load(yaml: &str) -> Result<CiliumEvaluator, Undecidable> {
        read_emitted(yaml, read::policies).map(CiliumEvaluator::new)
    }
}
