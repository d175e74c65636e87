//! `cilium.io/v2` CiliumNetworkPolicy (one per policy) and CiliumClusterwideNetworkPolicy (one
//! per guardrail), with our own serde types (k8s-openapi has no CRDs).
//!
//! How the IR maps:
//! - the policy selector → `endpointSelector` (a CiliumNetworkPolicy only ever selects pods of
//!   its own namespace);
//! - address ranges → `toCIDRSet`; pods → `toEndpoints`, with the label
//!   `k8s:io.kubernetes.pod.namespace` for another namespace, nothing for the policy's own
//!   namespace, and an `Exists` requirement on that label for `pods(*)`; host names → `toFQDNs`:
//!   `matchName` for an exact name, `matchPattern: "*.x"` for our one-label `*.x`, and
//!   `matchPattern: "**.x"` for our `**.x` (one or more labels; Cilium 1.19 and later, earlier
//!   releases read `**.` as `*.`, which only narrows the policy); ports → `toPorts` with
//!   `protocol` and `endPort`. Cilium takes one kind of peer per rule, so one IR rule becomes up
//!   to three Cilium rules with the same ports.
//! - `deny` → `egressDeny`, which wins over every allow of every policy selecting the pod, so
//!   nothing is carved into `except` lists (that would only repeat the deny). A deny by host
//!   name is refused everywhere (E0503): `egressDeny` has no `toFQDNs`.
//! - DNS visibility: `toFQDNs` learns addresses only from lookups that Cilium's DNS proxy sees, so
//!   when an app reaches host names its DNS allowance (pods `k8s-app=kube-dns` in
//!   `kube-system`, port 53) gets `toPorts[].rules.dns`: `matchPattern: "*"` for `dns`. A DNS
//!   name list (`dns(name = ...)`, and `strict-dns`, which the checker makes the list of the
//!   names the app may reach plus `**.cluster.local`: in-cluster service names, and the
//!   resolver's search-path expansions such as `api.stripe.com.payments.svc.cluster.local`, as
//!   a refused expansion stops the lookup) always gets its names there. An app with host names
//!   and no DNS allowance is refused (E0505).
//! - `default deny` → `endpointSelector: {}`, `egress: [{}]` (a rule that allows nothing) and
//!   `enableDefaultDeny.egress: true`.
//! - a guardrail → a CiliumClusterwideNetworkPolicy whose `endpointSelector` has an `Exists`
//!   requirement on `k8s:io.kubernetes.pod.namespace` for every pod (`{}` would also select the
//!   endpoints of reserved identities, which carry no namespace), `egressDeny` and
//!   `enableDefaultDeny: {egress: false, ingress: false}`. Without the latter, any policy with
//!   egress or egressDeny rules puts the pods it selects into default deny; with it, a pod that no
//!   other policy selects keeps its open egress, minus the guardrail.
//! - `reserved init -> ...` → a CiliumClusterwideNetworkPolicy whose `endpointSelector` is the
//!   identity's label alone (`reserved:init: ""`), with the statement's rules.
//!
//! - pods of another cluster of a mesh (`pods(NS, cluster = C){...}`) → `toEndpoints` with the
//!   identity label `k8s:io.cilium.k8s.policy.cluster: C`. Every other selector names no
//!   cluster, which Cilium 1.19 reads as the local cluster only ([mesh]: its default
//!   `policy-default-local-cluster: true`); Cilium 1.18 and earlier read it as every cluster of
//!   the mesh (docs/targets.md).
//!
//! Cilium's CIDR rules match addresses outside the cluster, not pods: reach pods with pod peers.
//!
//! `[mesh]` <https://docs.cilium.io/en/latest/network/clustermesh/policy/> and cilium/cilium#40609
//! (`policy-default-local-cluster` on by default from Cilium 1.19).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};
use serde::Serialize;

use super::native::label_selector;
use super::{
    Document, Portless, Target, describe, host_denies, metadata, protocol_refusals,
    service_refusals, yaml,
};
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::ir::{self, PolicyKind};
use crate::model::{
    self, HostPattern, LabelReq, NamespaceSel, Nodes, Peer, PortRange, PortSet, Proto, Wildcard,
};
use crate::source::{SourceMap, Span};

const API_VERSION: &str = "cilium.io/v2";
const POLICY: &str = "CiliumNetworkPolicy";
const CLUSTERWIDE: &str = "CiliumClusterwideNetworkPolicy";
/// The label Cilium gives every pod with its namespace.
const NAMESPACE_LABEL: &str = "k8s:io.kubernetes.pod.namespace";
/// The identity label with the service account a pod runs as.
const SERVICE_ACCOUNT_LABEL: &str = "k8s:io.cilium.k8s.policy.serviceaccount";
/// The identity label with the name of the cluster of a cluster mesh a pod runs in
/// (`PolicyLabelCluster` in `pkg/k8s/apis/cilium.io`).
const CLUSTER_LABEL: &str = "k8s:io.cilium.k8s.policy.cluster";
/// The prefix of the identity labels that carry the labels of a pod's namespace.
const NAMESPACE_LABELS: &str = "k8s:io.cilium.k8s.namespace.labels.";
/// [layer3] "Entities Based": `all` is "the combination of all known clusters as well world",
/// every destination.
const ENTITY_ALL: &str = "all";
/// The CRD's limit on `toPorts[].ports`.
const MAX_PORTS: usize = 40;
/// The CRD's limit on `icmps[].fields` (`maxICMPFields` in Cilium's rule validation).
const MAX_ICMP_FIELDS: usize = 40;
/// The ports of a DNS allowance that the DNS proxy can see.
const DNS_PORTS: [PortRange; 2] = [
    PortRange {
        proto: Proto::Tcp,
        first: 53,
        last: 53,
    },
    PortRange {
        proto: Proto::Udp,
        first: 53,
        last: 53,
    },
];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Object {
    api_version: &'static str,
    kind: &'static str,
    metadata: ObjectMeta,
    spec: Spec,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Spec {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    egress: Vec<EgressRule>,
    /// Same shape as `egress`, never with `toFQDNs` or L7 rules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    egress_deny: Vec<EgressRule>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enable_default_deny: Option<DefaultDeny>,
    /// The pods it selects; `None` in a host policy, which selects nodes instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint_selector: Option<LabelSelector>,
    /// A host policy's nodes ([host] "a CiliumClusterwideNetworkPolicy with a Node Selector
    /// instead of an Endpoint Selector").
    #[serde(skip_serializing_if = "Option::is_none")]
    node_selector: Option<LabelSelector>,
}

/// One kind of peer (Cilium refuses to combine them) and the ports they are reached on.
#[derive(Serialize, Default, Clone)]
#[serde(rename_all = "camelCase")]
struct EgressRule {
    /// ICMP types; never in the same rule as `toPorts` (Cilium refuses the pair).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    icmps: Vec<IcmpRule>,
    #[serde(rename = "toCIDRSet", skip_serializing_if = "Vec::is_empty")]
    to_cidr_set: Vec<CidrRule>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    to_endpoints: Vec<LabelSelector>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    to_entities: Vec<&'static str>,
    #[serde(rename = "toFQDNs", skip_serializing_if = "Vec::is_empty")]
    to_fqdns: Vec<FqdnSelector>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    to_ports: Vec<PortRule>,
}

/// `{fields: [{family: IPv4, type: 8}, ...]}`: ICMP messages by type, every code.
#[derive(Serialize, Clone)]
struct IcmpRule {
    fields: Vec<IcmpField>,
}

#[derive(Serialize, Clone)]
struct IcmpField {
    family: &'static str,
    #[serde(rename = "type")]
    kind: u8,
}

#[derive(Serialize, Clone)]
struct CidrRule {
    cidr: String,
}

/// `{matchName: api.stripe.com}` or `{matchPattern: "*.example.com"}`.
#[derive(Serialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
struct FqdnSelector {
    #[serde(skip_serializing_if = "Option::is_none")]
    match_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    match_pattern: Option<String>,
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct PortRule {
    ports: Vec<PortProtocol>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rules: Option<L7Rules>,
    /// The TLS server names the entry allows (a TLS allowance's; empty otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    server_names: Vec<String>,
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct PortProtocol {
    #[serde(skip_serializing_if = "Option::is_none")]
    end_port: Option<u16>,
    /// A string in the CRD (it also takes port names).
    port: String,
    protocol: &'static str,
}

#[derive(Serialize, Clone)]
struct L7Rules {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dns: Vec<FqdnSelector>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    http: Vec<HttpRule>,
}

/// A `rules.http[]` entry: regular expressions Cilium's proxy matches against the whole
/// method, `:path` (path and query) and `:authority` (host, and a port when the client sent
/// one) of a request.
#[derive(Serialize, Clone)]
struct HttpRule {
    #[serde(rename = "headerMatches", skip_serializing_if = "Vec::is_empty")]
    header_matches: Vec<HeaderMatch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
}

/// A `headerMatches[]` entry: a header the request must carry, with exactly `value` when given
/// (never a `secret` nor a `mismatch` action, which would log or rewrite a request instead of
/// refusing it).
#[derive(Serialize, Clone)]
struct HeaderMatch {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
}

/// `s` with every character a regular expression reads specially escaped.
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The `rules.http[]` entry of an HTTP allowance. [layer7] `PortRuleHTTP`: each field is an
/// "extended POSIX regex" matched against the request; Cilium hands them to Envoy as
/// `safe_regex` matchers, which match the whole value (cilium/cilium#41314; Envoy's
/// `RegexMatcher`: "the entire ... must match"), so the language's meaning is written out:
/// an exact path with any query string (`/v1/orders(\?.*)?`), a prefix with anything after it
/// (`/v1/.*`), the `Host` header as sent (`api\.example\.com`, `api\.example\.com:8080`), one
/// label as `[^.:]+`. Each header is a `headerMatches` entry ([crd] `HeaderMatch`: `value`
/// "matches the exact value of the header"; without one, "only presence of the header is
/// enough"), which Cilium's proxy matches with the name in lower case against the header's
/// lines joined by `,`: the language's meaning.
fn http_rule(m: &model::HttpMatch) -> HttpRule {
    HttpRule {
        header_matches: m
            .headers
            .iter()
            .map(|h| HeaderMatch {
                name: h.name.clone(),
                value: h.value.clone(),
            })
            .collect(),
        method: m.method.clone(),
        path: m.path.as_ref().map(|p| match p {
            model::PathPattern::Exact(p) => format!("{}(\\?.*)?", regex_escape(p)),
            model::PathPattern::Prefix(p) => format!("{}.*", regex_escape(p)),
        }),
        host: m.host.as_ref().map(|h| {
            let base = regex_escape(&h.name.base);
            let port = h.port.map(|p| format!(":{p}")).unwrap_or_default();
            match h.name.wildcard {
                Wildcard::None => format!("{base}{port}"),
                Wildcard::OneLabel => format!("[^.:]+\\.{base}{port}"),
                Wildcard::AnyLabels => format!("[^.:]+(\\.[^.:]+)*\\.{base}{port}"),
                // Each `*` of the first label: characters of that label.
                Wildcard::InLabel => format!("{}{port}", base.replace("\\*", "[^.:]*")),
            }
        }),
    }
}

/// The Cilium rules of a TLS allowance: its peer's rules on `ports`, each port entry with the
/// allowance's names as `serverNames`. [crd] `serverNames`: "If not empty, then TLS must be
/// present and one of the provided SNIs must be indicated in the TLS handshake"; a `*` "matches
/// 0 or more DNS valid characters" (never a `.`) and `**.` "matches all multilevel subdomains",
/// which is what the language's patterns mean (Cilium 1.18 and later take wildcards,
/// cilium/cilium#38615; the proxy reads the ClientHello without terminating TLS,
/// cilium/cilium#22398). Cilium merges the server names of entries for one peer and port
/// into one set (`pkg/policy/l4.go`), the union the language means; the checker refuses a TLS
/// allowance beside another of the same destination and port, which the merge would narrow.
fn tls_rules(
    peer: &Peer,
    names: &[HostPattern],
    ports: &PortSet,
    ns: Option<&str>,
) -> Vec<EgressRule> {
    with_entries(peer, ports, ns, |p| {
        p.server_names = names.iter().map(ToString::to_string).collect();
    })
}

/// `peer`'s rules on `ports`, each port entry completed by `complete` (with its L7 rules or
/// server names).
fn with_entries(
    peer: &Peer,
    ports: &PortSet,
    ns: Option<&str>,
    complete: impl Fn(&mut PortRule),
) -> Vec<EgressRule> {
    let mut out = rules(&[peer], ports, ns);
    for r in &mut out {
        for p in &mut r.to_ports {
            complete(p);
        }
    }
    out
}

/// The Cilium rules of an HTTP allowance: its peer's rules on `ports`, each port entry with the
/// allowance's `rules.http`.
fn http_rules(
    peer: &Peer,
    m: &model::HttpMatch,
    ports: &PortSet,
    ns: Option<&str>,
) -> Vec<EgressRule> {
    with_entries(peer, ports, ns, |p| {
        p.rules = Some(L7Rules {
            dns: Vec::new(),
            http: vec![http_rule(m)],
        });
    })
}

#[derive(Serialize)]
struct DefaultDeny {
    egress: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    ingress: Option<bool>,
}

/// The `toFQDNs` (and `rules.dns`) selector of a host pattern. Our wildcard spellings are
/// Cilium's: `*.x` is one label, `**.x` one or more, and inside a label `*` is "0 or more valid
/// DNS characters, except for the `.` separator" ([layer3] `toFQDNs` `matchPattern`).
fn fqdn(h: &HostPattern) -> FqdnSelector {
    match h.wildcard {
        Wildcard::None => FqdnSelector {
            match_name: Some(h.base.clone()),
            match_pattern: None,
        },
        Wildcard::OneLabel => FqdnSelector {
            match_name: None,
            match_pattern: Some(format!("*.{}", h.base)),
        },
        Wildcard::AnyLabels => FqdnSelector {
            match_name: None,
            match_pattern: Some(format!("**.{}", h.base)),
        },
        Wildcard::InLabel => FqdnSelector {
            match_name: None,
            match_pattern: Some(h.base.clone()),
        },
    }
}

fn pattern(p: &str) -> FqdnSelector {
    FqdnSelector {
        match_name: None,
        match_pattern: Some(p.to_owned()),
    }
}

fn port(r: &PortRange) -> PortProtocol {
    PortProtocol {
        end_port: (r.last != r.first).then_some(r.last),
        port: r.first.to_string(),
        protocol: r.proto.upper(),
    }
}

/// `toPorts` for the ports of a port set (none for every port of every protocol).
fn port_rules(ports: &PortSet) -> Vec<PortRule> {
    match ports {
        PortSet::All => Vec::new(),
        PortSet::Ranges(rs) => {
            let with_ports: Vec<&PortRange> = rs.iter().filter(|r| r.proto.has_ports()).collect();
            with_ports
                .chunks(MAX_PORTS)
                .map(|c| PortRule {
                    ports: c.iter().map(|r| port(r)).collect(),
                    rules: None,
                    server_names: Vec::new(),
                })
                .collect()
        }
    }
}

/// `icmps` for the ICMP messages of a port set: each whole type once per family (codes are
/// refused before, E0521), at most [`MAX_ICMP_FIELDS`] to an entry.
fn icmp_rules(ports: &PortSet) -> Vec<IcmpRule> {
    let PortSet::Ranges(rs) = ports else {
        return Vec::new();
    };
    let fields: Vec<IcmpField> = rs
        .iter()
        .filter(|r| r.proto.is_icmp())
        .flat_map(|r| {
            let family = if r.proto == Proto::Icmp {
                "IPv4"
            } else {
                "IPv6"
            };
            r.icmp_messages()
                .into_iter()
                .map(move |(kind, _)| IcmpField { family, kind })
        })
        .collect();
    fields
        .chunks(MAX_ICMP_FIELDS)
        .map(|c| IcmpRule { fields: c.to_vec() })
        .collect()
}

/// A `toEndpoints` selector for pods; `policy_ns` is `None` in a clusterwide policy.
fn endpoints(
    namespace: &NamespaceSel,
    selector: &model::LabelSelector,
    policy_ns: Option<&str>,
) -> LabelSelector {
    let mut s = label_selector(selector);
    match namespace {
        NamespaceSel::Named(ns) if Some(ns.as_str()) == policy_ns => {}
        NamespaceSel::Named(ns) => {
            s.match_labels
                .get_or_insert_with(BTreeMap::new)
                .insert(NAMESPACE_LABEL.to_owned(), ns.clone());
        }
        NamespaceSel::Any => {
            s.match_expressions
                .get_or_insert_with(Vec::new)
                .push(LabelSelectorRequirement {
                    key: NAMESPACE_LABEL.to_owned(),
                    operator: "Exists".to_owned(),
                    values: None,
                })
        }
        // Only in a CiliumClusterwideNetworkPolicy (refused in a CiliumNetworkPolicy, see
        // `namespace_labels_refused`): [k8s] "Known Pitfalls", the identity labels
        // `io.cilium.k8s.namespace.labels.<key>` carry the labels of a pod's namespace.
        NamespaceSel::Labels(sel) => {
            let ns = label_selector(sel);
            // A namespace's name label is its name: Cilium's own namespace label says the same
            // (`except kube-system` is `io.kubernetes.pod.namespace NotIn [kube-system]`).
            let key = |k: &str| {
                if k == model::NAMESPACE_NAME_LABEL {
                    NAMESPACE_LABEL.to_owned()
                } else {
                    format!("{NAMESPACE_LABELS}{k}")
                }
            };
            for (k, v) in ns.match_labels.into_iter().flatten() {
                s.match_labels
                    .get_or_insert_with(BTreeMap::new)
                    .insert(key(&k), v);
            }
            for mut r in ns.match_expressions.into_iter().flatten() {
                r.key = key(&r.key);
                s.match_expressions.get_or_insert_with(Vec::new).push(r);
            }
            // Every namespace whose labels match, not only the policy's own.
            s.match_expressions
                .get_or_insert_with(Vec::new)
                .push(LabelSelectorRequirement {
                    key: NAMESPACE_LABEL.to_owned(),
                    operator: "Exists".to_owned(),
                    values: None,
                });
        }
    }
    s
}

/// A `toEndpoints` selector for pods of another cluster of the mesh: the pods' selector with
/// the cluster's name on the identity label `io.cilium.k8s.policy.cluster` ([mesh]: "Policies
/// automatically select endpoints from the local cluster only, unless one or multiple clusters
/// are specifically targeted", Cilium 1.19's default `policy-default-local-cluster`). The
/// namespace Cilium adds to a selector that names none is the policy's, which the pods of a
/// namespace of the same name in the other cluster carry too.
fn remote_endpoints(
    cluster: &str,
    namespace: &NamespaceSel,
    selector: &model::LabelSelector,
    policy_ns: Option<&str>,
) -> LabelSelector {
    let mut s = endpoints(namespace, selector, policy_ns);
    s.match_labels
        .get_or_insert_with(BTreeMap::new)
        .insert(CLUSTER_LABEL.to_owned(), cluster.to_owned());
    s
}

/// The `toEndpoints` selector of the pods running as a service account: [k8s]
/// "ServiceAccounts", the identity label `io.cilium.k8s.policy.serviceaccount` carries the
/// service account of a pod (`PolicyLabelServiceAccount` in `pkg/k8s/apis/cilium.io`), and the
/// namespace label, as for pods, when it is not the policy's own.
fn service_account(namespace: &str, name: &str, policy_ns: Option<&str>) -> LabelSelector {
    let mut labels = BTreeMap::from([(SERVICE_ACCOUNT_LABEL.to_owned(), name.to_owned())]);
    if Some(namespace) != policy_ns {
        labels.insert(NAMESPACE_LABEL.to_owned(), namespace.to_owned());
    }
    LabelSelector {
        match_labels: Some(labels),
        match_expressions: None,
    }
}

/// E0508: pods of namespaces chosen by label in a CiliumNetworkPolicy. [k8s] "Known
/// Pitfalls": "Using namespace-specific information like io.cilium.k8s.namespace.labels within
/// a fromEndpoints or toEndpoints is supported only for a CiliumClusterwideNetworkPolicy and
/// not a CiliumNetworkPolicy. Hence, io.cilium.k8s.namespace.labels will be ignored in
/// CiliumNetworkPolicy resources": the requirement would be dropped, a wider policy.
fn namespace_labels_refused(policy: &ir::Policy) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for r in policy.allow.iter().chain(&policy.deny) {
        for p in &r.peers {
            if let Peer::Pods {
                namespace: ns @ NamespaceSel::Labels(_),
                ..
            }
            | Peer::RemotePods {
                namespace: ns @ NamespaceSel::Labels(_),
                ..
            } = p
            {
                diags.push(
                    Diagnostic::new(
                        Code::E0508,
                        r.origin_of(p),
                        format!("cilium cannot select the namespaces `{ns}` by label in a namespaced policy"),
                    )
                    .label("namespaces chosen by their labels")
                    .note("a CiliumNetworkPolicy ignores `io.cilium.k8s.namespace.labels`, so the policy would reach pods of every namespace")
                    .help("name the namespaces, as in `pods(payments){...}`, or build with `--target native` or `--target calico`, which select namespaces by label"),
                );
            }
        }
    }
    diags
}

/// The Cilium rules for `peers` on `ports`: pods, then address ranges, then host names.
fn rules(peers: &[&Peer], ports: &PortSet, policy_ns: Option<&str>) -> Vec<EgressRule> {
    let mut to_endpoints = Vec::new();
    let mut to_cidr_set = Vec::new();
    let mut to_fqdns = Vec::new();
    let mut to_entities = Vec::new();
    let mut any = false;
    for p in peers {
        match p {
            Peer::Any => any = true,
            Peer::ApiServer | Peer::Nodes(_) | Peer::Cluster => to_entities.extend(entities(p)),
            // Refused before (E0524).
            Peer::Service { .. } => {}
            Peer::ServiceAccount { namespace, name } => {
                to_endpoints.push(service_account(namespace, name, policy_ns))
            }
            Peer::Net(n) => to_cidr_set.push(CidrRule {
                cidr: n.to_string(),
            }),
            Peer::Host(h) => to_fqdns.push(fqdn(h)),
            Peer::Pods {
                namespace,
                selector,
            } => to_endpoints.push(endpoints(namespace, selector, policy_ns)),
            Peer::RemotePods {
                cluster,
                namespace,
                selector,
            } => to_endpoints.push(remote_endpoints(cluster, namespace, selector, policy_ns)),
            // Written by `http_rules`, `tls_rules` and `allow_rules`, with their L7 rules (the
            // checker refuses them in deny lists); left out here, which could only narrow.
            Peer::Http { .. } | Peer::Tls { .. } | Peer::Dns { .. } => {}
        }
    }
    let mut peers = Vec::new();
    if any {
        // Every destination: [layer4] "Layer 4 policy can be specified in addition to layer 3
        // policies or independently", so a rule with only `toPorts` (or `icmps`) reaches every
        // peer on those ports; on every port a rule needs a peer (`egress: [{}]` allows
        // nothing, [layer3] "Ingress/Egress Default Deny"): the entity `all`.
        peers.push(EgressRule {
            to_entities: if *ports == PortSet::All {
                vec![ENTITY_ALL]
            } else {
                Vec::new()
            },
            ..Default::default()
        });
    }
    if !to_entities.is_empty() {
        to_entities.sort_unstable();
        to_entities.dedup();
        peers.push(EgressRule {
            to_entities,
            ..Default::default()
        });
    }
    if !to_endpoints.is_empty() {
        peers.push(EgressRule {
            to_endpoints,
            ..Default::default()
        });
    }
    if !to_cidr_set.is_empty() {
        peers.push(EgressRule {
            to_cidr_set,
            ..Default::default()
        });
    }
    if !to_fqdns.is_empty() {
        peers.push(EgressRule {
            to_fqdns,
            ..Default::default()
        });
    }
    with_ports(peers, ports)
}

/// The `toEntities` of a destination the language names and Cilium has an entity for [layer3]
/// "Entities Based": `kube-apiserver` ("the kube-apiserver ... in the cluster" or outside it:
/// the API server's addresses carry the `reserved:kube-apiserver` identity label wherever they
/// are); `host` ("the local host. This also includes all containers running in host networking
/// mode on the local host") and `remote-node` ("any node in any of the connected clusters other
/// than the local host"), whose identities keep the label when the API server runs on them;
/// `cluster` ("the logical group of all network endpoints inside of the local cluster", which
/// `InitEntities` in `pkg/policy/api/entity.go` makes the host, remote nodes, the API server and
/// every endpoint of the cluster).
fn entities(p: &Peer) -> Vec<&'static str> {
    match p {
        Peer::ApiServer => vec!["kube-apiserver"],
        Peer::Nodes(Nodes::All) => vec!["host", "remote-node"],
        Peer::Nodes(Nodes::This) => vec!["host"],
        Peer::Nodes(Nodes::Others) => vec!["remote-node"],
        Peer::Cluster => vec!["cluster"],
        _ => Vec::new(),
    }
}

/// Each peer rule of `peers` on `ports`: the rule itself for every port of every protocol, else
/// one copy with `toPorts` for the ports and one with `icmps` for the ICMP types (Cilium refuses
/// the two in one rule: "The ICMPs block may only be present without ToPorts").
fn with_ports(peers: Vec<EgressRule>, ports: &PortSet) -> Vec<EgressRule> {
    if *ports == PortSet::All {
        return peers;
    }
    let to_ports = port_rules(ports);
    let icmps = icmp_rules(ports);
    let mut out = Vec::new();
    for p in peers {
        if !to_ports.is_empty() {
            out.push(EgressRule {
                to_ports: to_ports.clone(),
                ..p.clone()
            });
        }
        if !icmps.is_empty() {
            out.push(EgressRule {
                icmps: icmps.clone(),
                ..p
            });
        }
    }
    out
}

/// Whether `p` is the cluster DNS of the standard library's `dns`: pods `k8s-app=kube-dns` in
/// `kube-system`.
fn is_cluster_dns(p: &Peer) -> bool {
    match p {
        Peer::Pods {
            namespace: NamespaceSel::Named(ns),
            selector,
        } => {
            ns == "kube-system"
                && matches!(selector.reqs.as_slice(),
                    [LabelReq::Eq(k, v)] if k == "k8s-app" && v == "kube-dns")
        }
        _ => false,
    }
}

/// The DNS ports (53/tcp, 53/udp) an allowance covers.
fn dns_ports(ports: &PortSet) -> Vec<PortRange> {
    DNS_PORTS
        .into_iter()
        .filter(|r| ports.contains(r.proto, r.first))
        .collect()
}

/// What the DNS proxy answers on a DNS allowance: the names of a name list (`dns(name = ...)`,
/// `strict-dns`), sorted, without duplicates; every name (`matchPattern: "*"`) on plain `dns`.
fn dns_rules(peer: &Peer) -> Vec<FqdnSelector> {
    match peer {
        Peer::Dns { names, .. } => names
            .iter()
            .map(fqdn)
            .collect::<BTreeSet<FqdnSelector>>()
            .into_iter()
            .collect(),
        _ => vec![pattern("*")],
    }
}

/// The DNS server a DNS allowance reaches: a name list's, or the allowance itself.
fn dns_target(peer: &Peer) -> &Peer {
    match peer {
        Peer::Dns { peer, .. } => peer,
        p => p,
    }
}

/// Every host name a policy allows (an HTTP or TLS allowance's too), with where it was written.
fn hosts(policy: &ir::Policy) -> impl Iterator<Item = (&HostPattern, Span)> {
    policy.allow.iter().flat_map(|r| {
        r.peers.iter().filter_map(move |p| match p {
            Peer::Host(h) => Some((h, r.origin_of(p))),
            Peer::Http { peer, .. } | Peer::Tls { peer, .. } => match peer.as_ref() {
                Peer::Host(h) => Some((h, r.origin_of(p))),
                _ => None,
            },
            _ => None,
        })
    })
}

/// The `egress` rules of a policy, with DNS visibility on its DNS allowance when it needs it.
fn allow_rules(policy: &ir::Policy) -> Vec<EgressRule> {
    let visible = hosts(policy).next().is_some();
    let ns = policy.home();
    let mut out = Vec::new();
    for r in &policy.allow {
        let dns = dns_ports(&r.ports);
        let (with_l7, plain): (Vec<&Peer>, Vec<&Peer>) = r
            .peers
            .iter()
            .partition(|p| matches!(p, Peer::Http { .. } | Peer::Tls { .. }));
        for p in with_l7 {
            match p {
                Peer::Http { peer, http } => out.extend(http_rules(peer, http, &r.ports, ns)),
                Peer::Tls { peer, names } => out.extend(tls_rules(peer, names, &r.ports, ns)),
                _ => {}
            }
        }
        // A name list always gets its DNS rules; plain cluster DNS when host names need them.
        let (seen, others): (Vec<&Peer>, Vec<&Peer>) = plain.into_iter().partition(|p| {
            !dns.is_empty()
                && is_cluster_dns(dns_target(p))
                && (visible || matches!(p, Peer::Dns { .. }))
        });
        for seen in seen {
            let p = dns_target(seen);
            let Peer::Pods {
                namespace,
                selector,
            } = p
            else {
                continue;
            };
            let target = endpoints(namespace, selector, ns);
            out.push(EgressRule {
                to_endpoints: vec![target.clone()],
                to_ports: vec![PortRule {
                    ports: dns.iter().map(port).collect(),
                    rules: Some(L7Rules {
                        dns: dns_rules(seen),
                        http: Vec::new(),
                    }),
                    server_names: Vec::new(),
                }],
                ..Default::default()
            });
            // The other ports of the allowance, unchanged.
            match r.ports.minus(&PortSet::from_ranges(dns.clone())) {
                Some(rest) if rest.is_empty() => {}
                Some(rest) => out.extend(rules(&[p], &rest, ns)),
                // Every port of every protocol cannot be listed without 53: keep the L3 allow.
                None => out.push(EgressRule {
                    to_endpoints: vec![target],
                    ..Default::default()
                }),
            }
        }
        out.extend(rules(&others, &r.ports, ns));
    }
    out
}

fn deny_rules(deny: &[ir::Rule], policy_ns: Option<&str>) -> Vec<EgressRule> {
    deny.iter()
        .flat_map(|r| {
            let peers: Vec<&Peer> = r
                .peers
                .iter()
                .filter(|p| !matches!(p, Peer::Host(_)))
                .collect();
            rules(&peers, &r.ports, policy_ns)
        })
        .collect()
}

/// E0510: DNS visibility (host names, `strict-dns`) when `set dns-server` names another DNS
/// server than the CoreDNS pods. The DNS proxy rule goes on the DNS allowance, and which
/// lookups that rule sees depends on where the pods send them, a fact of the cluster that
/// egressc checks (and models) for the CoreDNS pods only: refused rather than written on a
/// guess.
fn dns_server_refused(policy: &ir::Policy, dns_server: &[Peer]) -> Option<Diagnostic> {
    if dns_server == [Peer::default_dns_server()].as_slice() {
        return None;
    }
    let list = policy.allow.iter().find_map(|r| {
        r.peers
            .iter()
            .find(|p| matches!(p, Peer::Dns { .. }))
            .map(|p| r.origin_of(p))
    });
    let (what, span) = match (hosts(policy).next(), list) {
        (Some((h, span)), _) => (format!("host name `{h}`"), span),
        (None, Some(span)) => ("a DNS name list".to_owned(), span),
        (None, None) => return None,
    };
    Some(
        Diagnostic::new(
            Code::E0510,
            span,
            format!("cilium's DNS visibility for {what} is written for the CoreDNS pods, and `set dns-server` names another DNS server"),
        )
        .label("needs the DNS proxy to see the lookups")
        .help("reach these destinations by address, or build with `--target calico-enterprise`; on cilium, keep the CoreDNS pods as the DNS server"),
    )
}

/// E0505: host names that Cilium can never resolve, as the app may not look them up.
fn missing_dns(policy: &ir::Policy) -> Option<Diagnostic> {
    let mut names = hosts(policy);
    let (first, span) = names.next()?;
    let has_dns = policy.allow.iter().any(|r| {
        !dns_ports(&r.ports).is_empty() && r.peers.iter().any(|p| is_cluster_dns(dns_target(p)))
    });
    if has_dns {
        return None;
    }
    let mut d = Diagnostic::new(
        Code::E0505,
        span,
        format!(
            "`{first}` is a host name, but {} allows no DNS lookups, so cilium can never learn its addresses",
            describe(policy)
        ),
    )
    .label("reached by name")
    .secondary(policy.origin, "this policy allows no cluster DNS")
    .help("add `dns` (or `strict-dns`) to its destinations: cilium's DNS proxy learns the addresses of host names from the lookups it allows");
    let more = names.count();
    if more > 0 {
        d = d.note(format!(
            "{more} more host name(s) in this policy have the same problem"
        ));
    }
    Some(d)
}

/// E0505 too: host names while a deny (the policy's own or a guardrail's) covers the cluster
/// DNS on port 53 — the proxy never sees the lookups, so `toFQDNs` never learns an address.
fn blinded_dns(
    policy: &ir::Policy,
    guardrails: &[ir::Guardrail],
    dns_server: &[Peer],
) -> Option<Diagnostic> {
    let (first, span) = hosts(policy).next()?;

    let covers_dns = |r: &ir::Rule| {
        !dns_ports(&r.ports).is_empty() && r.peers.iter().any(|p| p.includes_dns_server(dns_server))
    };
    let (deny_span, by) = policy
        .deny
        .iter()
        .find(|r| covers_dns(r))
        .map(|r| {
            (
                r.origins.first().copied().unwrap_or(policy.origin),
                "this statement".to_owned(),
            )
        })
        .or_else(|| {
            guardrails.iter().find_map(|g| {
                g.deny
                    .iter()
                    .find(|r| covers_dns(r))
                    .map(|_| (g.origin, format!("cluster statement `{}`", g.name)))
            })
        })?;
    Some(
        Diagnostic::new(
            Code::E0505,
            span,
            format!("`{first}` is a host name, but {by} denies the DNS lookups cilium learns its addresses from"),
        )
        .label("reached by name")
        .secondary(deny_span, "denies cluster DNS on port 53")
        .help("allow DNS lookups (remove the deny of the kube-dns pods), or reach these destinations by address"),
    )
}

/// The spec of a policy: a namespaced one, or with `subject` a cluster-wide allow-list, whose
/// pod peers always name their namespaces and which may select namespaces by label.
/// What a policy object selects.
#[derive(Clone, Copy)]
enum Selects<'a> {
    /// The pods of a CiliumNetworkPolicy's namespace.
    Namespaced,
    /// A cluster statement's pods, in a CiliumClusterwideNetworkPolicy.
    Cluster(&'a model::Subject),
    /// Nodes: a host policy, in a CiliumClusterwideNetworkPolicy.
    Nodes,
    /// The endpoints of a reserved identity, in a CiliumClusterwideNetworkPolicy.
    Reserved(model::Reserved),
}

fn policy_spec(
    policy: &ir::Policy,
    subject: Selects<'_>,
    guardrails: &[ir::Guardrail],
    dns_server: &[Peer],
) -> Result<Spec, Diagnostics> {
    if policy.kind == PolicyKind::DefaultDeny {
        return Ok(Spec {
            egress: vec![EgressRule::default()],
            egress_deny: Vec::new(),
            enable_default_deny: Some(DefaultDeny {
                egress: true,
                ingress: None,
            }),
            endpoint_selector: Some(LabelSelector::default()),
            node_selector: None,
        });
    }
    let mut diags = host_denies(&policy.deny, Target::Cilium);
    diags.extend(protocol_refusals(
        policy.allow.iter().chain(&policy.deny),
        Target::Cilium,
        Portless::IcmpTypes,
    ));
    match subject {
        Selects::Namespaced => diags.extend(namespace_labels_refused(policy)),
        Selects::Nodes => diags.extend(node_labels_refused(policy)),
        Selects::Cluster(_) | Selects::Reserved(_) => {}
    }
    diags.extend(service_refusals(
        policy.allow.iter().chain(&policy.deny),
        Target::Cilium,
    ));
    if let Some(d) = dns_server_refused(policy, dns_server) {
        diags.push(d);
    } else if let Some(d) =
        missing_dns(policy).or_else(|| blinded_dns(policy, guardrails, dns_server))
    {
        diags.push(d);
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let mut egress = allow_rules(policy);
    // Allows nothing (`none`): the shape of `default deny` for the workload's pods, the empty
    // rule that allows nothing and default deny asked for in so many words.
    let isolated = egress.is_empty();
    if isolated {
        egress.push(EgressRule::default());
    }
    Ok(Spec {
        egress,
        egress_deny: deny_rules(&policy.deny, policy.home()),
        enable_default_deny: isolated.then_some(DefaultDeny {
            egress: true,
            ingress: None,
        }),
        endpoint_selector: match subject {
            Selects::Namespaced => Some(label_selector(&policy.selector)),
            Selects::Cluster(s) => Some(cluster_subject(s)),
            Selects::Reserved(r) => Some(reserved_subject(r)),
            Selects::Nodes => None,
        },
        node_selector: matches!(subject, Selects::Nodes).then(|| label_selector(&policy.selector)),
    })
}

/// A policy of pods confined to the cluster `cluster` of a mesh (`set cluster-name`): its
/// `endpointSelector` names it (`k8s:io.cilium.k8s.policy.cluster`), so that applied in
/// another cluster by mistake it selects nothing rather than that cluster's pods. Applied in
/// its own cluster, it selects what it would without (every local endpoint carries the name).
fn in_cluster(spec: Result<Spec, Diagnostics>, cluster: Option<&str>) -> Result<Spec, Diagnostics> {
    let mut spec = spec?;
    let Some(cluster) = cluster else {
        return Ok(spec);
    };
    if let Some(s) = &mut spec.endpoint_selector {
        s.match_labels
            .get_or_insert_with(BTreeMap::new)
            .insert(CLUSTER_LABEL.to_owned(), cluster.to_owned());
    }
    Ok(spec)
}

/// Whether Cilium's default identity-relevant label filter leaves a node label out of the
/// host endpoint's labels, so that a `nodeSelector` on it selects no node. [labels] "Limiting
/// Identity-Relevant Labels": the default list excludes `io.kubernetes`, `kubernetes.io`,
/// `.*beta.kubernetes.io`, `k8s.io` and the like, matched as regular expressions against the
/// key (so `node-role.kubernetes.io/worker` and `topology.kubernetes.io/zone` too).
fn filtered_node_label(key: &str) -> bool {
    key.contains("kubernetes.io") || key.contains("k8s.io") || key.starts_with("io.kubernetes")
}

/// E0544: a host policy selecting nodes by a label that Cilium leaves out of their identity.
fn node_labels_refused(policy: &ir::Policy) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for key in policy.selector.reqs.iter().map(model::LabelReq::key) {
        if filtered_node_label(key) {
            diags.push(
                Diagnostic::new(
                    Code::E0544,
                    policy.origin,
                    format!("cilium leaves the node label `{key}` out of a node's identity"),
                )
                .label("its node selector would select no node")
                .note("Cilium's default identity-relevant labels exclude Kubernetes' own keys (`kubernetes.io`, `k8s.io`, `io.kubernetes`)")
                .help("label the nodes with a key of your own (`{type=worker}`) and select that, or build with `--target calico`"),
            );
        }
    }
    diags
}

/// The `endpointSelector` of a CiliumClusterwideNetworkPolicy for the pods of `subject`: its
/// labels, and the namespace criterion of a pod peer in a clusterwide policy ([layer3] "the
/// pods in all namespaces": an `Exists` requirement on `k8s:io.kubernetes.pod.namespace`,
/// which every pod carries and Cilium's reserved identities such as `reserved:health` do not;
/// namespaces by label through `k8s:io.cilium.k8s.namespace.labels.<key>`).
fn cluster_subject(subject: &model::Subject) -> LabelSelector {
    endpoints(&subject.namespaces, &subject.selector, None)
}

/// The `endpointSelector` of the endpoints of a reserved identity: its label alone
/// (`reserved:init: ""`). [lifecycle] "Init Identity": Cilium gives an endpoint whose labels
/// are not known yet the single label `reserved:init`, and a rule selecting that label decides
/// its egress; [init-ccnp] only in a CiliumClusterwideNetworkPolicy, as Cilium adds the
/// policy's namespace to the subject of a CiliumNetworkPolicy.
fn reserved_subject(identity: model::Reserved) -> LabelSelector {
    LabelSelector {
        match_labels: Some(BTreeMap::from([(identity.label(), String::new())])),
        ..LabelSelector::default()
    }
}

fn guardrail_spec(g: &ir::Guardrail) -> Result<Spec, Diagnostics> {
    let mut diags = host_denies(&g.deny, Target::Cilium);
    diags.extend(protocol_refusals(
        &g.deny,
        Target::Cilium,
        Portless::IcmpTypes,
    ));
    diags.extend(service_refusals(&g.deny, Target::Cilium));
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(Spec {
        egress: Vec::new(),
        egress_deny: deny_rules(&g.deny, None),
        enable_default_deny: Some(DefaultDeny {
            egress: false,
            ingress: Some(false),
        }),
        node_selector: None,
        // Every pod, and pods only: `{}` would select the endpoints of reserved identities too
        // (`reserved:init`, `reserved:health`), which carry no namespace label.
        endpoint_selector: Some(cluster_subject(&g.subject)),
    })
}

/// One CiliumNetworkPolicy per policy, then one CiliumClusterwideNetworkPolicy per
/// cluster-wide allow-list and per guardrail.
pub fn emit(program: &ir::Program, sources: &SourceMap) -> Result<Vec<Document>, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut docs = Vec::new();
    let mut push = |spec: Result<Spec, Diagnostics>,
                    kind: &'static str,
                    name: &str,
                    namespace: Option<&str>,
                    origin: Span,
                    what: String| {
        let spec = match spec {
            Ok(s) => s,
            Err(d) => return diags.extend(d),
        };
        let object = Object {
            api_version: API_VERSION,
            kind,
            metadata: metadata(name, namespace),
            spec,
        };
        match yaml::document(&object, sources, origin, &what) {
            Ok(text) => docs.push(Document {
                namespace: namespace.map(str::to_owned),
                name: name.to_owned(),
                kind,
                text,
            }),
            Err(d) => diags.push(d),
        }
    };
    // What may deny a pod's DNS lookups besides its own statement (E0505): the guardrails and
    // the deny lists of cluster-wide allow-lists, any of which may select it.
    let dns_denies: Vec<ir::Guardrail> = program
        .guardrails
        .iter()
        .cloned()
        .chain(
            program
                .cluster_policies
                .iter()
                .filter(|c| !c.policy.deny.is_empty())
                .map(|c| ir::Guardrail {
                    name: match &c.policy.kind {
                        PolicyKind::Cluster { name } => name.clone(),
                        _ => c.policy.name.clone(),
                    },
                    subject: c.subject.clone(),
                    deny: c.policy.deny.clone(),
                    origin: c.policy.origin,
                }),
        )
        .collect();
    let cluster = program.cluster.name.as_deref();
    for p in &program.policies {
        push(
            in_cluster(
                policy_spec(p, Selects::Namespaced, &dns_denies, &program.dns_server),
                cluster,
            ),
            POLICY,
            &p.name,
            Some(&p.namespace),
            p.origin,
            describe(p),
        );
    }
    for c in &program.cluster_policies {
        let p = &c.policy;
        push(
            in_cluster(
                policy_spec(
                    p,
                    Selects::Cluster(&c.subject),
                    &dns_denies,
                    &program.dns_server,
                ),
                cluster,
            ),
            CLUSTERWIDE,
            &p.name,
            None,
            p.origin,
            describe(p),
        );
    }
    // [host] a host policy: the egress of the nodes' host network namespace. Guardrails select
    // pods, so none narrows it.
    for h in &program.host_policies {
        let p = &h.policy;
        push(
            policy_spec(p, Selects::Nodes, &[], &program.dns_server),
            CLUSTERWIDE,
            &p.name,
            None,
            p.origin,
            describe(p),
        );
    }
    // [lifecycle] the endpoints of a reserved identity. Guardrails select pods, so none
    // narrows it.
    for r in &program.reserved_policies {
        let p = &r.policy;
        push(
            policy_spec(p, Selects::Reserved(r.identity), &[], &program.dns_server),
            CLUSTERWIDE,
            &p.name,
            None,
            p.origin,
            describe(p),
        );
    }
    for g in &program.guardrails {
        push(
            in_cluster(guardrail_spec(g), cluster),
            CLUSTERWIDE,
            &g.name,
            None,
            g.origin,
            format!("guardrail {}", g.name),
        );
    }
    if diags.has_errors() {
        diags.sort();
        return Err(diags);
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(src: &str) -> Result<String, Vec<String>> {
        crate::backend::build_for_test(src, Target::Cilium)
    }

    #[test]
    fn wildcards_keep_their_label_count() {
        let host = |wildcard| HostPattern {
            wildcard,
            base: "s3.amazonaws.com".into(),
        };
        assert_eq!(
            fqdn(&host(Wildcard::None)).match_name.as_deref(),
            Some("s3.amazonaws.com")
        );
        assert_eq!(
            fqdn(&host(Wildcard::OneLabel)).match_pattern.as_deref(),
            Some("*.s3.amazonaws.com")
        );
        assert_eq!(
            fqdn(&host(Wildcard::AnyLabels)).match_pattern.as_deref(),
            Some("**.s3.amazonaws.com")
        );
    }

    #[test]
    fn namespaces_of_pod_peers() {
        let sel = model::LabelSelector::new(vec![LabelReq::Eq("app".into(), "db".into())]);
        let same = endpoints(&NamespaceSel::Named("a".into()), &sel, Some("a"));
        assert_eq!(same.match_labels.map(|l| l.len()), Some(1));
        let other = endpoints(&NamespaceSel::Named("b".into()), &sel, Some("a"));
        assert_eq!(
            other
                .match_labels
                .and_then(|l| l.get(NAMESPACE_LABEL).cloned()),
            Some("b".into())
        );
        let any = endpoints(&NamespaceSel::Any, &sel, Some("a"));
        let exprs = any.match_expressions.unwrap_or_default();
        assert_eq!(exprs.len(), 1);
        assert_eq!(exprs[0].operator, "Exists");
    }

    #[test]
    fn host_names_get_dns_visibility_on_the_dns_rule() {
        let y = build("namespace p\napp a -> dns, api.stripe.com:443\n").unwrap();
        assert!(
            y.contains("matchPattern: '*'") || y.contains("matchPattern: \"*\""),
            "{y}"
        );
        assert!(y.contains("matchName: api.stripe.com"), "{y}");
        assert!(y.contains("toFQDNs:"), "{y}");
        // No visibility without host names.
        let y = build("namespace p\napp a -> dns, 10.0.0.0/8:443\n").unwrap();
        assert!(!y.contains("rules:"), "{y}");
    }

    #[test]
    fn strict_dns_lists_only_the_reachable_names() {
        let y = build("namespace p\napp a -> strict-dns, **.s3.amazonaws.com:443\n").unwrap();
        assert!(y.contains("**.s3.amazonaws.com"), "{y}");
        assert!(y.contains("**.cluster.local"), "{y}");
        assert!(!y.contains("matchPattern: '*'\n"), "{y}");
        // Plain `dns` next to `strict-dns` keeps the loose form.
        let y = build("namespace p\napp a -> strict-dns, dns, x.example.com:443\n").unwrap();
        assert!(!y.contains("**.cluster.local"), "{y}");
    }

    #[test]
    fn host_names_without_dns_are_refused() {
        assert_eq!(
            build("namespace p\napp a -> api.stripe.com:443\n"),
            Err(vec!["E0505".to_owned()])
        );
    }

    #[test]
    fn host_denies_are_refused() {
        assert_eq!(
            build("namespace p\napp a -> dns, internet deny evil.example.com\n"),
            Err(vec!["E0503".to_owned()])
        );
    }

    #[test]
    fn guardrails_never_isolate() {
        let y = build("cluster no-metadata deny metadata\n").unwrap();
        assert!(y.contains("kind: CiliumClusterwideNetworkPolicy"), "{y}");
        assert!(y.contains("egressDeny:"), "{y}");
        assert!(y.contains("enableDefaultDeny:\n    egress: false"), "{y}");
    }

    #[test]
    fn default_deny_allows_nothing() {
        let y = build("namespace p\ndefault deny\n").unwrap();
        assert!(y.contains("egress:\n  - {}\n"), "{y}");
        assert!(y.contains("endpointSelector: {}"), "{y}");
    }
}
