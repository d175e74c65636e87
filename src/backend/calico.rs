//! `projectcalico.org/v3` NetworkPolicy and GlobalNetworkPolicy for Calico Open Source (3.32),
//! and with [`Edition::Enterprise`] the same plus `destination.domains` (Calico Enterprise and
//! Calico Cloud). Our own serde types (k8s-openapi has no CRDs).
//!
//! How Calico evaluates policy, and what that means here: tiers run in ascending `order`;
//! inside a tier, policies run in ascending `order` and each policy's rules in sequence, and the
//! first `Allow` or `Deny` ends the evaluation (`Pass` jumps to the next tier). When some policy
//! of a tier selects a pod and no rule acts, the tier's default action applies: `Deny` for the
//! `default` tier, where every policy below lives (as do Kubernetes NetworkPolicies, at order
//! 1000).
//!
//! - A workload → NetworkPolicy `<name>-egress` in the default tier, `order: 1000`, `types:
//!   [Egress]`, one `Allow` rule per destination kind and protocol; traffic no rule allows meets
//!   the end-of-tier deny, so the policy is an allow-list, as in the source.
//! - Its `deny` → a second NetworkPolicy `<name>-egress-deny` with the same selector, `order:
//!   100`, holding only `Deny` rules. Every deny then runs before every allow of every policy of
//!   the tier (ours and Kubernetes ones), as the IR means: denied flows are never allowed,
//!   whatever else is. Rules of a policy that does not act fall through to the next policy.
//! - `default deny` → NetworkPolicy `default-deny-egress`: `selector: all()`, `types: [Egress]`,
//!   no rules, `order: 1000`.
//! - Guardrails → a Tier `egressc-guardrails` (`order: 100`, before the `kube-admin` tier at
//!   1000 and the default tier, `defaultAction: Pass`) and one GlobalNetworkPolicy
//!   `egressc-guardrails.<name>` per guardrail in it (`order: 100`), selecting every pod
//!   (`namespaceSelector: all()` and `selector: all()`, so host endpoints are left alone) with
//!   only `Deny` rules. Traffic they do not deny reaches the end of the tier and passes to the
//!   next tier, so a guardrail never isolates a pod. A final `Pass` rule in each policy would do
//!   the same for one guardrail, but would skip every later guardrail of the tier, and in the
//!   default tier it would skip the pods' own policies; hence the tier. The `<tier>.` name prefix
//!   is required by Calico 3.29 and 3.30 and allowed since.
//! - Selectors: `app == 'x'`, `k in {'a', 'b'}`, `k not in {'a'}` (also matches pods without
//!   `k`, like Kubernetes `NotIn`), `has(k)`, `!has(k)`, joined with ` && `, `all()` when empty.
//!   Pods in the policy's namespace need no `namespaceSelector`; another namespace is
//!   `projectcalico.org/name == 'ns'`; any namespace is `all()`.
//! - Ports: one rule per protocol (a Calico rule has one), ports as numbers or `"first:last"`;
//!   a destination on every port of every protocol has neither `protocol` nor `ports`. Address
//!   ranges go in `nets`, one IP family per rule, with the declared cluster ranges inside them
//!   in `notNets` (`nets` match pods' and nodes' addresses too).
//! - Host names: refused by Calico Open Source (E0501). Calico Enterprise matches domains in
//!   `Allow` rules only, and its `*` stands for one or more labels: our `**.x` is its `*.x`, our
//!   exact names are exact, and our one-label `*.x` cannot be written, so it is refused (E0506)
//!   rather than widened. A deny by host name is refused everywhere (E0503).

use serde::Serialize;

use super::{Document, Target, cluster, describe, host_denies, metadata, yaml};
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::ir::{self, PolicyKind};
use crate::model::{
    self, ClusterFacts, LabelReq, NamespaceSel, Peer, PortRange, PortSet, Proto, Wildcard,
};
use crate::source::{SourceMap, Span};

/// Which Calico product the output is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edition {
    /// Calico Open Source: no domain names.
    Open,
    /// Calico Enterprise / Calico Cloud: `destination.domains` in Allow rules.
    Enterprise,
}

impl Edition {
    fn target(self) -> Target {
        match self {
            Edition::Open => Target::Calico,
            Edition::Enterprise => Target::CalicoEnterprise,
        }
    }
}

const API_VERSION: &str = "projectcalico.org/v3";
/// The tier of every guardrail.
pub const GUARDRAIL_TIER: &str = "egressc-guardrails";
/// The guardrail tier's `order`: before `kube-admin` (1000) and `default` (1,000,000).
pub const GUARDRAIL_TIER_ORDER: u32 = 100;
/// The `order` of each guardrail inside its tier (they only deny, so their order is moot).
pub const GUARDRAIL_ORDER: u32 = 100;
/// The `order` of a workload's deny policy: before every allow.
pub const DENY_ORDER: u32 = 100;
/// The `order` of allow-lists and default denies: that of Kubernetes NetworkPolicies.
pub const ALLOW_ORDER: u32 = 1000;
/// The label Calico gives every namespace with its name.
const NAMESPACE_LABEL: &str = "projectcalico.org/name";
/// The label Calico gives every workload endpoint (pod) with its namespace, and no host
/// endpoint (§labels).
const WORKLOAD_NAMESPACE: &str = "projectcalico.org/namespace";
/// The CRD's limits on `ports` and `nets`.
const MAX_PORTS: usize = 50;
const MAX_NETS: usize = 256;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Object<S> {
    api_version: &'static str,
    kind: &'static str,
    metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    spec: S,
}

/// The spec of a NetworkPolicy or (with `namespace_selector`) a GlobalNetworkPolicy.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PolicySpec {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    egress: Vec<Rule>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace_selector: Option<String>,
    order: u32,
    selector: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tier: Option<&'static str>,
    types: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TierSpec {
    default_action: &'static str,
    order: u32,
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
struct Rule {
    action: &'static str,
    destination: Entity,
    #[serde(skip_serializing_if = "Option::is_none")]
    icmp: Option<Icmp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    protocol: Option<Protocol>,
}

/// `TCP`, `ICMP`, `ICMPv6` by name; other IP protocols by number (`47` is GRE): the validator
/// names only TCP, UDP, ICMP, ICMPv6, SCTP and UDPLite.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(untagged)]
enum Protocol {
    Name(&'static str),
    Number(u8),
}

impl Protocol {
    fn of(proto: Proto) -> Protocol {
        if proto.has_ports() || proto.is_icmp() {
            Protocol::Name(proto.upper())
        } else {
            Protocol::Number(proto.number())
        }
    }
}

/// `{type: 8}` or `{type: 8, code: 0}`: one ICMP type, or one code of it.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
struct Icmp {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<u8>,
}

#[derive(Serialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
struct Entity {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    domains: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace_selector: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    nets: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    not_nets: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ports: Vec<Port>,
    #[serde(skip_serializing_if = "Option::is_none")]
    selector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_accounts: Option<ServiceAccounts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    services: Option<Services>,
}

/// `services: {name: kube-dns, namespace: kube-system}`.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
struct Services {
    name: String,
    namespace: String,
}

/// `serviceAccounts: {names: [ledger]}`.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
struct ServiceAccounts {
    names: Vec<String>,
}

/// `5432` or `"8000:8100"`.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(untagged)]
enum Port {
    Number(u16),
    Range(String),
}

/// A Calico selector expression: `app == 'payments-api' && has(tier)`; `all()` when empty.
fn selector(sel: &model::LabelSelector) -> String {
    if sel.reqs.is_empty() {
        return "all()".to_owned();
    }
    let set = |vs: &std::collections::BTreeSet<String>| {
        let quoted: Vec<String> = vs.iter().map(|v| format!("'{v}'")).collect();
        format!("{{{}}}", quoted.join(", "))
    };
    let parts: Vec<String> = sel
        .reqs
        .iter()
        .map(|r| match r {
            LabelReq::Eq(k, v) => format!("{k} == '{v}'"),
            LabelReq::In(k, vs) => format!("{k} in {}", set(vs)),
            LabelReq::NotIn(k, vs) => format!("{k} not in {}", set(vs)),
            LabelReq::Exists(k) => format!("has({k})"),
            LabelReq::DoesNotExist(k) => format!("!has({k})"),
        })
        .collect();
    parts.join(" && ")
}

/// The `namespaceSelector` of a pod peer; `policy_ns` is `None` in a global policy.
fn namespace_selector(namespace: &NamespaceSel, policy_ns: Option<&str>) -> Option<String> {
    match namespace {
        NamespaceSel::Named(ns) if Some(ns.as_str()) == policy_ns => None,
        NamespaceSel::Named(ns) => Some(format!("{NAMESPACE_LABEL} == '{ns}'")),
        NamespaceSel::Any => Some("all()".to_owned()),
        // §np EntityRule `namespaceSelector`: the namespaces whose labels match.
        NamespaceSel::Labels(sel) => Some(selector(sel)),
    }
}

/// A Calico Enterprise domain for a host pattern, or `None` for a one-label wildcard, which
/// Calico Enterprise cannot express (its `*` is one or more labels).
fn domain(h: &model::HostPattern) -> Option<String> {
    match h.wildcard {
        Wildcard::None => Some(h.base.clone()),
        Wildcard::AnyLabels => Some(format!("*.{}", h.base)),
        Wildcard::OneLabel | Wildcard::InLabel => None,
    }
}

fn port(r: &PortRange) -> Port {
    if r.first == r.last {
        Port::Number(r.first)
    } else {
        Port::Range(format!("{}:{}", r.first, r.last))
    }
}

/// What one Calico rule matches besides its destination: a protocol, its ports or its ICMP
/// message.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Match {
    protocol: Option<Protocol>,
    ports: Vec<Port>,
    icmp: Option<Icmp>,
}

/// The matches of a port set: one per protocol and chunk of ports, one per ICMP type or code
/// (none for every message), one per other protocol; a single empty match for every port of
/// every protocol.
fn port_groups(ports: &PortSet) -> Vec<Match> {
    let PortSet::Ranges(rs) = ports else {
        return vec![Match {
            protocol: None,
            ports: Vec::new(),
            icmp: None,
        }];
    };
    let mut out = Vec::new();
    for proto in Proto::WITH_PORTS {
        let of: Vec<Port> = rs.iter().filter(|r| r.proto == proto).map(port).collect();
        out.extend(of.chunks(MAX_PORTS).map(|c| Match {
            protocol: Some(Protocol::of(proto)),
            ports: c.to_vec(),
            icmp: None,
        }));
    }
    for r in rs.iter().filter(|r| !r.proto.has_ports()) {
        let protocol = Some(Protocol::of(r.proto));
        if r.is_whole() {
            out.push(Match {
                protocol,
                ports: Vec::new(),
                icmp: None,
            });
            continue;
        }
        out.extend(r.icmp_messages().into_iter().map(|(kind, code)| Match {
            protocol,
            ports: Vec::new(),
            icmp: Some(Icmp { kind, code }),
        }));
    }
    out
}

/// The Calico rules of one IR rule: its destinations (IPv4 ranges, IPv6 ranges, each pod
/// peer, domains), each once per protocol.
fn rules(
    r: &ir::Rule,
    action: &'static str,
    policy_ns: Option<&str>,
    facts: &ClusterFacts,
) -> Vec<Rule> {
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    let mut destinations = Vec::new();
    let mut domains = Vec::new();
    // The nodes' addresses, apart from the address ranges: their own cut-outs (pods and
    // Services in a node range), never those of the cluster.
    let mut nodes_v4 = Vec::new();
    let mut nodes_v6 = Vec::new();
    let mut peers: Vec<Peer> = Vec::new();
    for p in &r.peers {
        match cluster::by_address(p, facts) {
            Some(by) => {
                peers.extend(by.outside.into_iter().map(Peer::Net));
                peers.extend(by.pods.then(cluster::every_pod));
                for n in by.nodes {
                    // A node range all pods or Services has no node address.
                    let Some(except) = facts.node_part(&n) else {
                        continue;
                    };
                    match n {
                        ipnet::IpNet::V4(_) => nodes_v4.push((n, except)),
                        ipnet::IpNet::V6(_) => nodes_v6.push((n, except)),
                    }
                }
            }
            None => peers.push(p.clone()),
        }
    }
    for p in &peers {
        match p {
            Peer::Net(n) => {
                // §np EntityRule `nets` matches every address, pods' and nodes' included: the
                // declared cluster ranges inside the range go to `notNets`, and a range inside
                // one of them has no address outside the cluster.
                let Some(except) = facts.outside(n) else {
                    continue;
                };
                match n {
                    ipnet::IpNet::V4(_) => v4.push((*n, except)),
                    ipnet::IpNet::V6(_) => v6.push((*n, except)),
                }
            }
            Peer::Pods {
                namespace,
                selector: s,
            } => destinations.push(Entity {
                namespace_selector: namespace_selector(namespace, policy_ns),
                selector: Some(selector(s)),
                ..Default::default()
            }),
            // Refused before we get here when the edition has no domains.
            Peer::Host(h) => domains.extend(domain(h)),
            // §np Rule: "all match criteria must match": a destination with none but ports
            // matches every destination (inside the cluster or outside it) on those ports.
            Peer::Any => destinations.push(Entity::default()),
            // The CRD: `serviceAccounts` "restricts the rule to only apply to traffic that ...
            // terminates at a pod running as a matching service account"; the namespace is
            // always written, so the match never depends on which namespaces an empty
            // `namespaceSelector` stands for.
            // Refused before we get here (E0536): Calico matches HTTP on ingress only.
            // Refused before we get here (E0537): no Calico rule matches a server name. And
            // E0538: no Calico selector names another cluster; nor (E0539) a name looked up.
            Peer::Http { .. } | Peer::Tls { .. } | Peer::RemotePods { .. } | Peer::Dns { .. } => {}
            Peer::ServiceAccount { namespace, name } => destinations.push(Entity {
                namespace_selector: Some(format!("{NAMESPACE_LABEL} == '{namespace}'")),
                service_accounts: Some(ServiceAccounts {
                    names: vec![name.clone()],
                }),
                ..Default::default()
            }),
            // The CRD's EntityRule `services`: "only traffic that originates from or terminates
            // at endpoints within the selected service(s) will be matched, and only to/from
            // each endpoint's port" (so no `ports`: "Ports and NotPorts can only be specified
            // with Services on ingress rules"; the checker gives a Service no port, E0343); the
            // namespace is always written. projectcalico/api#8 added the match with that
            // meaning.
            Peer::Service { namespace, name } => destinations.push(Entity {
                services: Some(Services {
                    name: name.clone(),
                    namespace: namespace.clone(),
                }),
                ..Default::default()
            }),
            // Resolved above.
            Peer::ApiServer | Peer::Nodes(_) | Peer::Cluster => {}
        }
    }
    let mut all = Vec::new();
    for nets in [v4, v6, nodes_v4, nodes_v6] {
        all.extend(nets.chunks(MAX_NETS).map(|c| {
            // The ranges are disjoint (aggregated), and a cut-out range lies inside one of
            // them: the union of the cut-outs removes from each range exactly its own.
            let cut: Vec<ipnet::IpNet> = c.iter().flat_map(|(_, e)| e.iter().copied()).collect();
            Entity {
                nets: c.iter().map(|(n, _)| n.to_string()).collect(),
                not_nets: ipnet::IpNet::aggregate(&cut)
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                ..Default::default()
            }
        }));
    }
    all.extend(destinations);
    if !domains.is_empty() {
        all.push(Entity {
            domains,
            ..Default::default()
        });
    }
    let groups = port_groups(&r.ports);
    all.into_iter()
        .flat_map(|d| {
            groups.iter().map(move |m| Rule {
                action,
                destination: Entity {
                    ports: m.ports.clone(),
                    ..d.clone()
                },
                icmp: m.icmp,
                protocol: m.protocol,
            })
        })
        .collect()
}

/// The refusals for the host names a workload allows.
fn host_refusals(policy: &ir::Policy, edition: Edition) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for r in &policy.allow {
        for p in &r.peers {
            let Peer::Host(h) = p else { continue };
            let span = r.origin_of(p);
            match edition {
                Edition::Open => diags.push(
                    Diagnostic::new(
                        Code::E0501,
                        span,
                        format!("host name `{h}` cannot be expressed in Calico Open Source policy"),
                    )
                    .label("Calico Open Source matches only addresses and pods")
                    .help("build this app with `--target calico-enterprise` (domains) or `--target cilium` (toFQDNs), or allow the address range instead"),
                ),
                Edition::Enterprise if h.wildcard == Wildcard::OneLabel => diags.push(
                    Diagnostic::new(
                        Code::E0506,
                        span,
                        format!("`{h}` matches exactly one label, and Calico Enterprise has no such wildcard"),
                    )
                    .label("exactly one label")
                    .note(format!("in Calico Enterprise, `*.{}` also matches deeper names such as `a.b.{}`", h.base, h.base))
                    .help(format!("write `**.{}` to allow one or more labels, list the names, or build with `--target cilium`, which has one-label wildcards", h.base)),
                ),
                // §dns: a domain's wildcard is a whole leading label (`*.example.com`).
                Edition::Enterprise if h.wildcard == Wildcard::InLabel => diags.push(
                    Diagnostic::new(
                        Code::E0545,
                        span,
                        format!("`{h}` has a wildcard inside a label, which Calico Enterprise domains cannot match"),
                    )
                    .label("a wildcard inside the first label")
                    .note("Calico Enterprise's `*` stands only for whole leading labels (`*.example.com`)")
                    .help("list the names it stands for, or build with `--target cilium`, whose `matchPattern` matches inside a label"),
                ),
                Edition::Enterprise => {}
            }
        }
    }
    diags
}

/// The NetworkPolicies of one policy: its deny policy (if it denies anything) and its
/// allow-list; with `subject`, the GlobalNetworkPolicies of a cluster-wide allow-list, in the
/// `default` tier at the same orders as the namespaced ones (denies at 100, allows at 1000), so
/// that with the pods' namespaced policies they form one union and every deny comes first.
/// [gnp] "namespaceSelector ... if specified, the policy applies only to workload endpoints":
/// it is always written (`all()` for every namespace), so that host endpoints are left alone.
fn policies(
    policy: &ir::Policy,
    subject: Option<&model::Subject>,
    edition: Edition,
    facts: &ClusterFacts,
) -> Result<Vec<(String, PolicySpec)>, Diagnostics> {
    let namespace_selector = subject.and_then(|s| namespace_selector(&s.namespaces, None));
    let all_pods = || "all()".to_owned();
    if policy.kind == PolicyKind::DefaultDeny {
        return Ok(vec![(
            policy.name.clone(),
            PolicySpec {
                egress: Vec::new(),
                namespace_selector: None,
                order: ALLOW_ORDER,
                selector: all_pods(),
                tier: None,
                types: vec!["Egress"],
            },
        )]);
    }
    let mut diags = host_denies(&policy.deny, edition.target());
    diags.extend(host_refusals(policy, edition));
    let rules_of = || policy.allow.iter().chain(&policy.deny);
    diags.extend(cluster::refusals(rules_of(), facts, edition.target()));
    diags.extend(super::remote_refusals(rules_of(), edition.target()));
    diags.extend(super::l7_refusals(&policy.allow, edition.target()));
    if diags.has_errors() {
        return Err(diags);
    }
    let ns = policy.home();
    let mut out = Vec::new();
    let deny: Vec<Rule> = policy
        .deny
        .iter()
        .flat_map(|r| rules(r, "Deny", ns, facts))
        .collect();
    if !deny.is_empty() {
        out.push((
            format!("{}-deny", policy.name),
            PolicySpec {
                egress: deny,
                namespace_selector: namespace_selector.clone(),
                order: DENY_ORDER,
                selector: selector(&policy.selector),
                tier: None,
                types: vec!["Egress"],
            },
        ));
    }
    out.push((
        policy.name.clone(),
        PolicySpec {
            egress: policy
                .allow
                .iter()
                .flat_map(|r| rules(r, "Allow", ns, facts))
                .collect(),
            namespace_selector,
            order: ALLOW_ORDER,
            selector: selector(&policy.selector),
            tier: None,
            types: vec!["Egress"],
        },
    ));
    Ok(out)
}

/// The outbound failsafe ports that Felix keeps open on every host endpoint whatever the policy
/// (§failsafe, <https://docs.tigera.io/calico/latest/reference/host-endpoints/failsafe>, the
/// default of `FailsafeOutboundHostPorts`): to any address.
const FAILSAFE_OPEN: &[(Proto, u16)] = &[
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
/// Calico Enterprise's default outbound failsafe ports
/// (<https://docs.tigera.io/calico-enterprise/latest/reference/host-endpoints/failsafe>).
const FAILSAFE_ENTERPRISE: &[(Proto, u16)] = &[
    (Proto::Udp, 53),
    (Proto::Udp, 67),
    (Proto::Tcp, 179),
    (Proto::Tcp, 6443),
];

/// E0543: a host policy that does not already allow every failsafe port to every destination
/// (or that denies one), which Calico would enforce wider than written.
fn failsafe_refusal(policy: &ir::Policy, edition: Edition) -> Option<Diagnostic> {
    let failsafe = match edition {
        Edition::Open => FAILSAFE_OPEN,
        Edition::Enterprise => FAILSAFE_ENTERPRISE,
    };
    let open = |&(proto, port): &(Proto, u16)| {
        policy
            .allow
            .iter()
            .any(|r| r.peers.contains(&Peer::Any) && r.ports.contains(proto, port))
            && !policy.deny.iter().any(|r| r.ports.contains(proto, port))
    };
    if failsafe.iter().all(open) {
        return None;
    }
    let list = |ports: &[(Proto, u16)]| {
        ports
            .iter()
            .map(|(proto, port)| format!("{port}/{}", proto.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let missing: Vec<(Proto, u16)> = failsafe.iter().copied().filter(|p| !open(p)).collect();
    let allow: Vec<String> = failsafe
        .iter()
        .map(|(proto, port)| format!("any:{port}/{}", proto.as_str()))
        .collect();
    Some(
        Diagnostic::new(
            Code::E0543,
            policy.origin,
            format!(
                "{} always lets nodes send to the failsafe ports {}",
                edition.target(),
                list(failsafe)
            ),
        )
        .label(format!("keeps {} closed to some destination", list(&missing)))
        .note("Felix keeps its outbound failsafe ports open on every host endpoint, whatever the policy")
        .help(format!(
            "allow `{}` in this statement (what Calico does anyway), or build with `--target cilium`",
            allow.join(", ")
        )),
    )
}

/// A host policy's GlobalNetworkPolicies: on the nodes' host endpoints only. §gnp: without a
/// `namespaceSelector` a GlobalNetworkPolicy's selector also selects pods, which carry
/// `projectcalico.org/namespace` (§labels) and host endpoints do not. The policy applies to
/// traffic the host itself sends (no `applyOnForward`, `preDNAT` or `doNotTrack`).
fn host_policies(
    policy: &ir::Policy,
    edition: Edition,
    facts: &ClusterFacts,
) -> Result<Vec<(String, PolicySpec)>, Diagnostics> {
    let refused = failsafe_refusal(policy, edition);
    let specs = policies(policy, None, edition, facts);
    let specs = match (specs, refused) {
        (Ok(specs), None) => specs,
        (Ok(_), Some(d)) => return Err(Diagnostics::from(vec![d])),
        (Err(mut diags), d) => {
            if let Some(d) = d {
                diags.push(d);
            }
            return Err(diags);
        }
    };
    let nodes = if policy.selector.reqs.is_empty() {
        format!("!has({WORKLOAD_NAMESPACE})")
    } else {
        format!(
            "{} && !has({WORKLOAD_NAMESPACE})",
            selector(&policy.selector)
        )
    };
    Ok(specs
        .into_iter()
        .map(|(name, spec)| {
            (
                name,
                PolicySpec {
                    selector: nodes.clone(),
                    namespace_selector: None,
                    ..spec
                },
            )
        })
        .collect())
}

fn guardrail(
    g: &ir::Guardrail,
    edition: Edition,
    facts: &ClusterFacts,
) -> Result<PolicySpec, Diagnostics> {
    let mut diags = host_denies(&g.deny, edition.target());
    diags.extend(cluster::refusals(&g.deny, facts, edition.target()));
    diags.extend(super::remote_refusals(&g.deny, edition.target()));
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(PolicySpec {
        egress: g
            .deny
            .iter()
            .flat_map(|r| rules(r, "Deny", None, facts))
            .collect(),
        // Pods only, as for cluster-wide allow-lists: `all()` for every namespace.
        namespace_selector: namespace_selector(&g.subject.namespaces, None),
        order: GUARDRAIL_ORDER,
        selector: selector(&g.subject.selector),
        tier: Some(GUARDRAIL_TIER),
        types: vec!["Egress"],
    })
}

/// The guardrail tier (when there are guardrails) and guardrails, then each policy's deny
/// policy and allow-list, in (namespace, name) order.
pub fn emit(
    program: &ir::Program,
    sources: &SourceMap,
    edition: Edition,
) -> Result<Vec<Document>, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut docs = Vec::new();
    diags.extend(super::reserved_refusals(program, edition.target()));
    if let Some(first) = program.guardrails.first() {
        let tier = Object {
            api_version: API_VERSION,
            kind: "Tier",
            metadata: metadata(GUARDRAIL_TIER, None),
            spec: TierSpec {
                default_action: "Pass",
                order: GUARDRAIL_TIER_ORDER,
            },
        };
        match yaml::document(&tier, sources, first.origin, "the guardrail tier") {
            Ok(text) => docs.push(Document {
                namespace: None,
                name: GUARDRAIL_TIER.to_owned(),
                kind: "Tier",
                text,
            }),
            Err(d) => diags.push(d),
        }
    }
    let mut push = |object: Result<Object<PolicySpec>, Diagnostics>,
                    namespace: Option<&str>,
                    origin: Span,
                    what: &str| {
        let object = match object {
            Ok(o) => o,
            Err(d) => return diags.extend(d),
        };
        let name = object.metadata.name.clone().unwrap_or_default();
        match yaml::document(&object, sources, origin, what) {
            Ok(text) => docs.push(Document {
                namespace: namespace.map(str::to_owned),
                name,
                kind: object.kind,
                text,
            }),
            Err(d) => diags.push(d),
        }
    };
    for g in &program.guardrails {
        let object = guardrail(g, edition, &program.cluster).map(|spec| Object {
            api_version: API_VERSION,
            kind: "GlobalNetworkPolicy",
            metadata: metadata(&format!("{GUARDRAIL_TIER}.{}", g.name), None),
            spec,
        });
        push(object, None, g.origin, &format!("guardrail {}", g.name));
    }
    for c in &program.cluster_policies {
        let p = &c.policy;
        match policies(p, Some(&c.subject), edition, &program.cluster) {
            Ok(specs) => {
                for (name, spec) in specs {
                    let object = Object {
                        api_version: API_VERSION,
                        kind: "GlobalNetworkPolicy",
                        metadata: metadata(&name, None),
                        spec,
                    };
                    push(Ok(object), None, p.origin, &describe(p));
                }
            }
            Err(d) => push(Err(d), None, p.origin, ""),
        }
    }
    for h in &program.host_policies {
        let p = &h.policy;
        match host_policies(p, edition, &program.cluster) {
            Ok(specs) => {
                for (name, spec) in specs {
                    let object = Object {
                        api_version: API_VERSION,
                        kind: "GlobalNetworkPolicy",
                        metadata: metadata(&name, None),
                        spec,
                    };
                    push(Ok(object), None, p.origin, &describe(p));
                }
            }
            Err(d) => push(Err(d), None, p.origin, ""),
        }
    }
    for p in &program.policies {
        match policies(p, None, edition, &program.cluster) {
            Ok(specs) => {
                for (name, spec) in specs {
                    let object = Object {
                        api_version: API_VERSION,
                        kind: "NetworkPolicy",
                        metadata: metadata(&name, Some(&p.namespace)),
                        spec,
                    };
                    push(Ok(object), Some(&p.namespace), p.origin, &describe(p));
                }
            }
            Err(d) => push(Err(d), None, p.origin, ""),
        }
    }
    if diags.has_errors() {
        diags.sort();
        return Err(diags);
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn build(src: &str, target: Target) -> Result<String, Vec<String>> {
        crate::backend::build_for_test(src, target)
    }

    #[test]
    fn selectors_render_as_calico_expressions() {
        let set = |vs: &[&str]| vs.iter().map(|v| (*v).to_owned()).collect::<BTreeSet<_>>();
        let sel = model::LabelSelector::new(vec![
            LabelReq::Eq("app".into(), "payments-api".into()),
            LabelReq::In("env".into(), set(&["prod", "staging"])),
            LabelReq::NotIn("tier".into(), set(&["batch"])),
            LabelReq::Exists("canary".into()),
            LabelReq::DoesNotExist("legacy".into()),
        ]);
        assert_eq!(
            selector(&sel),
            "app == 'payments-api' && env in {'prod', 'staging'} && tier not in {'batch'} && has(canary) && !has(legacy)"
        );
        assert_eq!(selector(&model::LabelSelector::default()), "all()");
    }

    #[test]
    fn wildcards_map_without_widening() {
        let host = |wildcard| model::HostPattern {
            wildcard,
            base: "s3.amazonaws.com".into(),
        };
        assert_eq!(
            domain(&host(Wildcard::None)).as_deref(),
            Some("s3.amazonaws.com")
        );
        assert_eq!(
            domain(&host(Wildcard::AnyLabels)).as_deref(),
            Some("*.s3.amazonaws.com")
        );
        assert_eq!(domain(&host(Wildcard::OneLabel)), None);
        assert_eq!(
            build(
                "namespace p\napp a -> dns, *.example.com:443\n",
                Target::CalicoEnterprise
            ),
            Err(vec!["E0506".to_owned()])
        );
        assert_eq!(
            build(
                "namespace p\napp a -> dns, api.example.com\n",
                Target::Calico
            ),
            Err(vec!["E0501".to_owned()])
        );
    }

    #[test]
    fn one_rule_per_protocol_and_ranges_as_strings() {
        let y = build(
            "namespace p\napp a -> 10.0.0.0/8:8000-8100/udp, 10.0.0.0/8:443, fd00::/8:443\n",
            Target::Calico,
        )
        .unwrap();
        assert!(y.contains("- 8000:8100"), "{y}");
        assert!(y.contains("protocol: UDP"), "{y}");
        assert!(y.contains("protocol: TCP"), "{y}");
        // A range that YAML 1.1 would read as a base-60 number stays a string.
        let y = build("namespace p\napp a -> 10.0.0.0/8:10-50\n", Target::Calico).unwrap();
        assert!(y.contains("- \"10:50\"") || y.contains("- '10:50'"), "{y}");
        // IPv4 and IPv6 never share a rule.
        assert!(!y.contains("- 10.0.0.0/8\n        - fd00::/8"), "{y}");
    }

    #[test]
    fn denies_come_first_in_their_own_policy() {
        let y = build(
            "namespace p\napp a -> dns, internet deny metadata\n",
            Target::Calico,
        )
        .unwrap();
        let deny = y.find("name: a-egress-deny").unwrap();
        let allow = y.find("name: a-egress\n").unwrap();
        assert!(deny < allow, "{y}");
        assert!(y.contains(&format!("order: {DENY_ORDER}")), "{y}");
        assert!(y.contains(&format!("order: {ALLOW_ORDER}")), "{y}");
        assert!(y.contains("action: Deny"), "{y}");
        assert!(
            y.contains("namespaceSelector: projectcalico.org/name == 'kube-system'"),
            "{y}"
        );
    }

    #[test]
    fn guardrails_live_in_a_passing_tier() {
        let y = build("cluster no-metadata deny metadata\n", Target::Calico).unwrap();
        assert!(y.contains("kind: Tier"), "{y}");
        assert!(y.contains("defaultAction: Pass"), "{y}");
        assert!(y.contains("name: egressc-guardrails.no-metadata"), "{y}");
        assert!(y.contains("tier: egressc-guardrails"), "{y}");
        assert!(!y.contains("action: Allow"), "{y}");
    }

    /// What lets the enterprise edition share the open edition's output (`emit_each`): it
    /// refuses a host policy only where the open edition does.
    #[test]
    fn enterprise_failsafe_ports_are_open_ones() {
        assert!(
            FAILSAFE_ENTERPRISE
                .iter()
                .all(|p| FAILSAFE_OPEN.contains(p))
        );
    }

    #[test]
    fn any_port_needs_no_protocol() {
        let y = build("namespace p\napp a -> pods(*){}\n", Target::Calico).unwrap();
        assert!(!y.contains("protocol:"), "{y}");
        assert!(y.contains("namespaceSelector: all()"), "{y}");
    }
}
