//! The Cilium evaluator: reads the emitted `cilium.io/v2` CiliumNetworkPolicy and
//! CiliumClusterwideNetworkPolicy documents back as YAML text and decides flows by Cilium's
//! documented semantics (Cilium 1.19, default policy enforcement mode), not by what our backend
//! meant to write. Anything it does not understand is `Undecidable::BadYaml`, never skipped.
//!
//! Where each decision comes from (cited as `[name]` below):
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
//!
//! Conventions shared with the reference evaluator: a pod's identity labels are its labels plus
//! `io.kubernetes.pod.namespace` and the labels of its namespace (only
//! `kubernetes.io/metadata.name`); address rules never match pods; a host name matches
//! `toFQDNs` by name and CIDR rules by the address it resolved to. A host name without an address
//! is `NeedsAddress` whenever an address rule could change the verdict.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::{Map, Value};

use super::{Decision, Destination, Evaluator, Flow, Labels, Pod, Undecidable, documents, kind_of};
use crate::model::Proto;

const API_VERSION: &str = "cilium.io/v2";
const POLICY: &str = "CiliumNetworkPolicy";
const CLUSTERWIDE: &str = "CiliumClusterwideNetworkPolicy";
/// The identity label with a pod's namespace (any source prefix).
const NAMESPACE_LABEL: &str = "io.kubernetes.pod.namespace";
/// The form `ParseToCiliumRule` overwrites in a CiliumNetworkPolicy's `endpointSelector` `[parse]`.
const NAMESPACE_MATCH: &str = "k8s:io.kubernetes.pod.namespace";
/// Identity labels carrying the labels of a pod's namespace.
const NAMESPACE_LABELS: &str = "io.cilium.k8s.namespace.labels.";
/// The only label a namespace carries in the flow model.
const NAMESPACE_NAME: &str = "kubernetes.io/metadata.name";

type Res<T> = Result<T, Undecidable>;

fn bad(at: &str, what: impl fmt::Display) -> Undecidable {
    Undecidable::BadYaml(format!("{at}: {what}"))
}

/// Why a field Cilium knows is still refused here.
fn hint(field: &str) -> &'static str {
    match field {
        "ingress" | "ingressDeny" => {
            "ingress rules decide pod-to-pod flows at the destination, which this evaluator does not model"
        }
        "nodeSelector" => "host policies are not modelled",
        "toEntities" | "toServices" | "toGroups" | "toNodes" | "toRequires" => {
            "this kind of peer is not modelled"
        }
        "icmps" => "ICMP rules are not modelled",
        "http" | "kafka" | "l7proto" | "l7" => {
            "L7 rules other than DNS decide requests, not connections, and are not modelled"
        }
        "listener" | "serverNames" | "originatingTLS" | "terminatingTLS" => {
            "proxy redirects and TLS rules are not modelled"
        }
        "cidrGroupRef" | "cidrGroupSelector" => {
            "CiliumCIDRGroup references need objects this stream does not hold"
        }
        _ => "unknown field",
    }
}

/// A mapping whose keys are all in `known`.
fn fields<'a>(v: &'a Value, at: &str, known: &[&str]) -> Res<&'a Map<String, Value>> {
    let Value::Object(m) = v else {
        return Err(bad(at, format!("expected a mapping, found {}", kind_of(v))));
    };
    if let Some(k) = m.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(bad(&format!("{at}.{k}"), hint(k)));
    }
    Ok(m)
}

/// A list field: absent or null is empty.
fn items<'a>(m: &'a Map<String, Value>, key: &str, at: &str) -> Res<&'a [Value]> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(v) => Err(bad(
            &format!("{at}.{key}"),
            format!("expected a list, found {}", kind_of(v)),
        )),
    }
}

/// A peer list: absent is `None`; an explicitly empty list is refused, as Cilium reads `[]` as
/// absent (`len() == 0`), which would turn a peer rule into a rule for every destination.
fn peer_items<'a>(m: &'a Map<String, Value>, key: &str, at: &str) -> Res<Option<&'a [Value]>> {
    let list = items(m, key, at)?;
    if list.is_empty() {
        if m.get(key).is_some_and(|v| !v.is_null()) {
            return Err(bad(
                &format!("{at}.{key}"),
                "an empty list: Cilium reads it as absent, which widens the rule to every destination",
            ));
        }
        return Ok(None);
    }
    Ok(Some(list))
}

fn string<'a>(v: &'a Value, at: &str) -> Res<&'a str> {
    v.as_str()
        .ok_or_else(|| bad(at, format!("expected a string, found {}", kind_of(v))))
}

// ---------------------------------------------------------------------------------------------
// Label selectors

/// A key of a pod's identity labels.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Key {
    /// `io.kubernetes.pod.namespace`.
    Namespace,
    /// `io.cilium.k8s.namespace.labels.<key>`: a label of the pod's namespace.
    NamespaceLabel(String),
    /// A label of the pod.
    Label(String),
}

#[derive(Clone, Debug)]
enum Op {
    Eq(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    DoesNotExist,
}

#[derive(Clone, Debug)]
struct Req {
    key: Key,
    op: Op,
}

/// The value of an identity label of `pod`.
fn identity<'a>(key: &Key, pod: &'a Pod) -> Option<&'a str> {
    match key {
        Key::Namespace => Some(&pod.namespace),
        Key::NamespaceLabel(k) if k == NAMESPACE_NAME => Some(&pod.namespace),
        Key::NamespaceLabel(_) => None,
        Key::Label(k) => pod.labels.get(k).map(String::as_str),
    }
}

impl Req {
    /// Kubernetes label selector semantics (`NotIn` also matches a missing label) [layer3:
    /// "The Endpoint Selector is based on the Kubernetes LabelSelector"].
    fn matches(&self, pod: &Pod) -> bool {
        let v = identity(&self.key, pod);
        match &self.op {
            Op::Eq(x) => v == Some(x.as_str()),
            Op::In(xs) => v.is_some_and(|v| xs.iter().any(|x| x == v)),
            Op::NotIn(xs) => v.is_none_or(|v| !xs.iter().any(|x| x == v)),
            Op::Exists => v.is_some(),
            Op::DoesNotExist => v.is_none(),
        }
    }
}

/// An endpoint selector, with the namespace requirement Cilium adds already in `reqs`.
#[derive(Clone, Debug)]
struct Selector {
    reqs: Vec<Req>,
    /// As written, plus the namespace Cilium added, for messages.
    text: String,
}

impl Selector {
    fn matches(&self, pod: &Pod) -> bool {
        self.reqs.iter().all(|r| r.matches(pod))
    }
}

/// Where a selector sits, which decides how Cilium completes it `[parse]`.
#[derive(Clone, Copy)]
enum Place<'a> {
    /// The `endpointSelector` of a CiliumNetworkPolicy in this namespace.
    Subject(&'a str),
    /// A `toEndpoints` entry of a CiliumNetworkPolicy in this namespace.
    Peer(&'a str),
    /// The `endpointSelector` of a CiliumClusterwideNetworkPolicy.
    ClusterSubject,
    /// A `toEndpoints` entry of a CiliumClusterwideNetworkPolicy.
    ClusterPeer,
}

impl Place<'_> {
    fn clusterwide(self) -> bool {
        matches!(self, Place::ClusterSubject | Place::ClusterPeer)
    }
}

/// A selector key: `source:key` where the source is `k8s` (labels from Kubernetes, which every
/// pod label is) or `any`; no source means `any` [parse: selector.go sanitizes `key` to
/// `any.key`].
fn key(raw: &str, at: &str, place: Place<'_>) -> Res<Key> {
    let name = match raw.split_once(':') {
        Some(("k8s" | "any", rest)) => rest,
        Some((source, _)) => {
            return Err(bad(
                at,
                format!(
                    "label source `{source}:` in `{raw}`: only `k8s:` and `any:` labels of pods are modelled"
                ),
            ));
        }
        None => raw,
    };
    if name == NAMESPACE_LABEL {
        return Ok(Key::Namespace);
    }
    if let Some(ns_key) = name.strip_prefix(NAMESPACE_LABELS) {
        // [k8s]: "io.cilium.k8s.namespace.labels will be ignored in CiliumNetworkPolicy
        // resources": what ignoring does to the selector is not documented, so refuse.
        if !place.clusterwide() {
            return Err(bad(
                at,
                format!("`{raw}` in a CiliumNetworkPolicy, where Cilium ignores namespace labels"),
            ));
        }
        return Ok(Key::NamespaceLabel(ns_key.to_owned()));
    }
    if name.starts_with("io.cilium.") || name.starts_with("io.kubernetes.pod.") {
        return Err(bad(
            at,
            format!(
                "`{raw}` is an identity label (service account, cluster, ...) that flows do not carry"
            ),
        ));
    }
    Ok(Key::Label(name.to_owned()))
}

fn selector(v: &Value, at: &str, place: Place<'_>) -> Res<Selector> {
    let m = fields(v, at, &["matchLabels", "matchExpressions"])?;
    let mut reqs = Vec::new();
    let mut parts = Vec::new();
    let mut names_namespace = false;
    if let Some(labels) = m.get("matchLabels").filter(|v| !v.is_null()) {
        let Value::Object(labels) = labels else {
            return Err(bad(&format!("{at}.matchLabels"), "expected a mapping"));
        };
        for (k, v) in labels {
            let at = format!("{at}.matchLabels.{k}");
            let v = string(v, &at)?;
            parts.push(format!("{k}={v}"));
            if let Place::Subject(_) = place
                && k == NAMESPACE_MATCH
            {
                // [k8s] "The endpointSelector always applies to pods in the namespace associated
                // with the CiliumNetworkPolicy"; [parse] ParseToCiliumRule overwrites this key
                // with the policy's namespace.
                continue;
            }
            let key = key(k, &at, place)?;
            names_namespace |= key == Key::Namespace;
            reqs.push(Req {
                key,
                op: Op::Eq(v.to_owned()),
            });
        }
    }
    for (i, e) in items(m, "matchExpressions", at)?.iter().enumerate() {
        let at = format!("{at}.matchExpressions[{i}]");
        let e = fields(e, &at, &["key", "operator", "values"])?;
        let k = string(e.get("key").unwrap_or(&Value::Null), &format!("{at}.key"))?;
        let operator = string(
            e.get("operator").unwrap_or(&Value::Null),
            &format!("{at}.operator"),
        )?;
        let values = items(e, "values", &at)?
            .iter()
            .enumerate()
            .map(|(j, v)| string(v, &format!("{at}.values[{j}]")).map(str::to_owned))
            .collect::<Res<Vec<String>>>()?;
        // Kubernetes validation: `In`/`NotIn` need values, `Exists`/`DoesNotExist` take none.
        let (op, text) = match (operator, values.is_empty()) {
            ("In", false) => (
                Op::In(values.clone()),
                format!("{k} in ({})", values.join(", ")),
            ),
            ("NotIn", false) => (
                Op::NotIn(values.clone()),
                format!("{k} notin ({})", values.join(", ")),
            ),
            ("Exists", true) => (Op::Exists, k.to_owned()),
            ("DoesNotExist", true) => (Op::DoesNotExist, format!("!{k}")),
            ("In" | "NotIn", true) => {
                return Err(bad(&at, format!("`{operator}` without values")));
            }
            ("Exists" | "DoesNotExist", false) => {
                return Err(bad(&at, format!("`{operator}` with values")));
            }
            _ => return Err(bad(&at, format!("unknown operator `{operator}`"))),
        };
        let key = key(k, &at, place)?;
        names_namespace |= key == Key::Namespace;
        parts.push(text);
        reqs.push(Req { key, op });
    }
    let mut text = format!("{{{}}}", parts.join(", "));
    match place {
        // [k8s] a CiliumNetworkPolicy applies only to pods of its namespace.
        Place::Subject(ns) => reqs.push(Req {
            key: Key::Namespace,
            op: Op::Eq(ns.to_owned()),
        }),
        // [layer3] "An empty EndpointSelector will select all egress endpoints from an endpoint
        // based on the CiliumNetworkPolicy namespace"; [parse] getEndpointSelector adds the
        // policy's namespace unless the selector names `io.kubernetes.pod.namespace` (as
        // `k8s:`, `any:` or bare key, in matchLabels or matchExpressions).
        Place::Peer(ns) if !names_namespace => {
            text.push_str(&format!(" in {ns}"));
            reqs.push(Req {
                key: Key::Namespace,
                op: Op::Eq(ns.to_owned()),
            });
        }
        // [parse] in a clusterwide policy Cilium adds `Exists` on the namespace label: every pod
        // of every namespace.
        Place::ClusterPeer if !names_namespace => {
            text.push_str(" in any namespace");
            reqs.push(Req {
                key: Key::Namespace,
                op: Op::Exists,
            });
        }
        Place::Peer(_) | Place::ClusterPeer | Place::ClusterSubject => {}
    }
    Ok(Selector { reqs, text })
}

// ---------------------------------------------------------------------------------------------
// Peers and ports

/// `cidr` minus `except` [layer3: toCIDRSet].
#[derive(Clone, Debug)]
struct Cidr {
    net: IpNet,
    except: Vec<IpNet>,
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

/// An address or a prefix (an address alone is a host prefix).
fn net(text: &str, at: &str) -> Res<IpNet> {
    if let Ok(n) = text.parse::<IpNet>() {
        return Ok(n.trunc());
    }
    text.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| bad(at, format!("`{text}` is not a CIDR")))
}

/// A `toFQDNs` or `rules.dns` selector, lower case without a final dot.
#[derive(Clone, Debug)]
enum Fqdn {
    Name(String),
    Pattern(String),
}

impl fmt::Display for Fqdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fqdn::Name(n) => write!(f, "matchName {n}"),
            Fqdn::Pattern(p) => write!(f, "matchPattern {p}"),
        }
    }
}

/// The characters `*` stands for [layer3: "0 or more valid DNS characters, except for the `.`
/// separator"; the upstream matcher uses `[-a-zA-Z0-9_]`].
fn dns_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// DNS names are case-insensitive and Cilium compares fully qualified names: lower case, one
/// final dot dropped.
fn normal(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// One label against one pattern label, where `*` is zero or more DNS characters.
fn label_matches(pattern: &[u8], label: &[u8]) -> bool {
    match pattern.split_first() {
        None => label.is_empty(),
        Some((b'*', rest)) => (0..=label.len()).any(|k| {
            let (head, tail) = label.split_at(k);
            head.iter().all(|c| dns_char(char::from(*c))) && label_matches(rest, tail)
        }),
        Some((c, rest)) => label
            .split_first()
            .is_some_and(|(first, tail)| first == c && label_matches(rest, tail)),
    }
}

/// Pattern labels against name labels: `**` is one or more whole labels [layer3: "`**.` is a
/// special prefix ... to wildcard all cascaded subdomains"; Cilium 1.19].
fn labels_match(pattern: &[&str], name: &[&str]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((&"**", rest)) => {
            (1..=name.len()).any(|k| name.get(k..).is_some_and(|tail| labels_match(rest, tail)))
        }
        Some((p, rest)) => name.split_first().is_some_and(|(n, more)| {
            label_matches(p.as_bytes(), n.as_bytes()) && labels_match(rest, more)
        }),
    }
}

impl Fqdn {
    fn parse(v: &Value, at: &str) -> Res<Fqdn> {
        let m = fields(v, at, &["matchName", "matchPattern"])?;
        let (name, pattern) = (m.get("matchName"), m.get("matchPattern"));
        let (text, is_pattern) = match (name, pattern) {
            (Some(n), None) => (string(n, &format!("{at}.matchName"))?, false),
            (None, Some(p)) => (string(p, &format!("{at}.matchPattern"))?, true),
            _ => return Err(bad(at, "needs exactly one of matchName and matchPattern")),
        };
        let text = normal(text.trim());
        let allowed = |c: char| dns_char(c) || c == '.' || (is_pattern && c == '*');
        if text.is_empty() || !text.chars().all(allowed) {
            return Err(bad(at, format!("`{text}` is not a valid name or pattern")));
        }
        if is_pattern {
            // `**` only as a whole label (or the whole pattern); other uses are not documented.
            if text != "**" && text.split('.').any(|l| l.contains("**") && l != "**") {
                return Err(bad(at, format!("`{text}`: `**` inside a label")));
            }
            Ok(Fqdn::Pattern(text))
        } else {
            Ok(Fqdn::Name(text))
        }
    }

    fn matches(&self, name: &str) -> bool {
        let name = normal(name);
        let labels: Vec<&str> = name.split('.').collect();
        if labels.iter().any(|l| l.is_empty()) {
            return false;
        }
        match self {
            // [layer3] "Inserts IPs of domains that match matchName exactly".
            Fqdn::Name(n) => *n == name,
            // [layer3] "`*` alone matches all names".
            Fqdn::Pattern(p) if p == "*" || p == "**" => {
                labels.iter().all(|l| l.chars().all(dns_char))
            }
            Fqdn::Pattern(p) => {
                let pattern: Vec<&str> = p.split('.').collect();
                labels_match(&pattern, &labels)
            }
        }
    }
}

/// One `toPorts[].ports[]` entry; `proto: None` is `ANY` `[layer4]`.
#[derive(Clone, Copy, Debug)]
struct Ports {
    proto: Option<Proto>,
    first: u16,
    last: u16,
}

impl Ports {
    fn contains(&self, proto: Proto, port: u16) -> bool {
        self.proto.is_none_or(|p| p == proto) && (self.first..=self.last).contains(&port)
    }
}

impl fmt::Display for Ports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proto = self.proto.map_or("any", Proto::as_str);
        if self.first == self.last {
            write!(f, "{proto}/{}", self.first)
        } else {
            write!(f, "{proto}/{}-{}", self.first, self.last)
        }
    }
}

fn ports_entry(v: &Value, at: &str) -> Res<Ports> {
    let m = fields(v, at, &["port", "endPort", "protocol"])?;
    // [layer4] `Port string`: a number or a port name. Names need the destination's pod spec,
    // and the CRD keeps the number a string.
    let text = string(m.get("port").unwrap_or(&Value::Null), &format!("{at}.port"))?;
    let first = text.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
        bad(
            &format!("{at}.port"),
            format!("`{text}`: only port numbers 1-65535 are modelled (not names, not 0)"),
        )
    })?;
    let last = match m.get("endPort") {
        None | Some(Value::Null) => first,
        Some(v) => v
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p >= first)
            .ok_or_else(|| {
                bad(
                    &format!("{at}.endPort"),
                    format!("`{v}` is not a port number from {first} to 65535"),
                )
            })?,
    };
    // [layer4] "Protocol is the L4 protocol. If omitted or empty, any protocol matches."
    let proto = match m
        .get("protocol")
        .map(|v| string(v, &format!("{at}.protocol")))
    {
        None | Some(Ok("" | "ANY")) => None,
        Some(Ok("TCP")) => Some(Proto::Tcp),
        Some(Ok("UDP")) => Some(Proto::Udp),
        Some(Ok("SCTP")) => Some(Proto::Sctp),
        Some(Ok(other)) => {
            return Err(bad(
                &format!("{at}.protocol"),
                format!("`{other}` (modelled: TCP, UDP, SCTP, ANY)"),
            ));
        }
        Some(Err(e)) => return Err(e),
    };
    Ok(Ports { proto, first, last })
}

/// One `toPorts[]` entry: its ports and its DNS rules, if any.
#[derive(Clone, Debug)]
struct PortRule {
    ports: Vec<Ports>,
    dns: Option<Vec<Fqdn>>,
}

fn port_rule(v: &Value, at: &str, deny: bool) -> Res<PortRule> {
    let known: &[&str] = if deny {
        &["ports"]
    } else {
        &["ports", "rules"]
    };
    let m = fields(v, at, known)?;
    let list = items(m, "ports", at)?;
    if list.is_empty() {
        return Err(bad(
            at,
            "no `ports`: what such an entry matches is not modelled",
        ));
    }
    let ports = list
        .iter()
        .enumerate()
        .map(|(i, p)| ports_entry(p, &format!("{at}.ports[{i}]")))
        .collect::<Res<Vec<Ports>>>()?;
    let dns = match m.get("rules").filter(|v| !v.is_null()) {
        None => None,
        Some(r) => {
            let at = format!("{at}.rules");
            let r = fields(r, &at, &["dns"])?;
            let list = items(r, "dns", &at)?;
            if list.is_empty() {
                return Err(bad(&at, "empty `rules`"));
            }
            // [layer7] "DNS policies do not support port ranges."
            if ports.iter().any(|p| p.first != p.last) {
                return Err(bad(&at, "DNS rules on a port range"));
            }
            Some(
                list.iter()
                    .enumerate()
                    .map(|(i, f)| Fqdn::parse(f, &format!("{at}.dns[{i}]")))
                    .collect::<Res<Vec<Fqdn>>>()?,
            )
        }
    };
    Ok(PortRule { ports, dns })
}

/// The one kind of peer of a rule [parse: "combining ToEndpoints and ToCIDR is not supported
/// yet"].
#[derive(Clone, Debug)]
enum Peers {
    Endpoints(Vec<Selector>),
    Cidrs(Vec<Cidr>),
    Fqdns(Vec<Fqdn>),
}

#[derive(Clone, Debug)]
struct Rule {
    /// `None`: no peer, which with `toPorts` is every destination [layer4: "to any layer 3
    /// destination"] and without is the empty rule that allows nothing [layer3: "Ingress/Egress
    /// Default Deny", `egress: [{}]`].
    peers: Option<Peers>,
    /// Empty: every port of every protocol.
    ports: Vec<PortRule>,
}

fn rule(v: &Value, at: &str, cnp_namespace: Option<&str>, deny: bool) -> Res<Rule> {
    // [deny] egressDeny has no `toFQDNs` and no L7 rules.
    let known: &[&str] = if deny {
        &["toEndpoints", "toCIDR", "toCIDRSet", "toPorts"]
    } else {
        &["toEndpoints", "toCIDR", "toCIDRSet", "toFQDNs", "toPorts"]
    };
    let m = fields(v, at, known)?;
    let endpoints = peer_items(m, "toEndpoints", at)?;
    let cidr = peer_items(m, "toCIDR", at)?;
    let cidr_set = peer_items(m, "toCIDRSet", at)?;
    let fqdns = peer_items(m, "toFQDNs", at)?;
    let present: Vec<&str> = [
        ("toEndpoints", endpoints.is_some()),
        ("toCIDR", cidr.is_some()),
        ("toCIDRSet", cidr_set.is_some()),
        ("toFQDNs", fqdns.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, p)| p.then_some(k))
    .collect();
    if present.len() > 1 {
        return Err(bad(
            at,
            format!("Cilium refuses a rule combining {}", present.join(" and ")),
        ));
    }
    let place = match cnp_namespace {
        Some(ns) => Place::Peer(ns),
        None => Place::ClusterPeer,
    };
    let peers = if let Some(list) = endpoints {
        Some(Peers::Endpoints(
            list.iter()
                .enumerate()
                .map(|(i, s)| selector(s, &format!("{at}.toEndpoints[{i}]"), place))
                .collect::<Res<Vec<Selector>>>()?,
        ))
    } else if let Some(list) = cidr {
        Some(Peers::Cidrs(
            list.iter()
                .enumerate()
                .map(|(i, c)| {
                    let at = format!("{at}.toCIDR[{i}]");
                    Ok(Cidr {
                        net: net(string(c, &at)?, &at)?,
                        except: Vec::new(),
                    })
                })
                .collect::<Res<Vec<Cidr>>>()?,
        ))
    } else if let Some(list) = cidr_set {
        Some(Peers::Cidrs(
            list.iter()
                .enumerate()
                .map(|(i, c)| cidr_rule(c, &format!("{at}.toCIDRSet[{i}]")))
                .collect::<Res<Vec<Cidr>>>()?,
        ))
    } else if let Some(list) = fqdns {
        Some(Peers::Fqdns(
            list.iter()
                .enumerate()
                .map(|(i, f)| Fqdn::parse(f, &format!("{at}.toFQDNs[{i}]")))
                .collect::<Res<Vec<Fqdn>>>()?,
        ))
    } else {
        None
    };
    let ports = items(m, "toPorts", at)?
        .iter()
        .enumerate()
        .map(|(i, p)| port_rule(p, &format!("{at}.toPorts[{i}]"), deny))
        .collect::<Res<Vec<PortRule>>>()?;
    Ok(Rule { peers, ports })
}

fn cidr_rule(v: &Value, at: &str) -> Res<Cidr> {
    let m = fields(v, at, &["cidr", "except"])?;
    let text = string(m.get("cidr").unwrap_or(&Value::Null), &format!("{at}.cidr"))?;
    let cidr = net(text, &format!("{at}.cidr"))?;
    let except = items(m, "except", at)?
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let at = format!("{at}.except[{i}]");
            let n = net(string(e, &at)?, &at)?;
            // [layer3] except entries are "subnets of the destination prefix".
            if cidr.contains(&n) {
                Ok(n)
            } else {
                Err(bad(&at, format!("{n} is not inside {cidr}")))
            }
        })
        .collect::<Res<Vec<IpNet>>>()?;
    Ok(Cidr { net: cidr, except })
}

// ---------------------------------------------------------------------------------------------
// Policies

/// One rule set of a policy (`spec`, or an entry of `specs`).
#[derive(Clone, Debug)]
struct Spec {
    /// `payments/payments-api-egress` or, clusterwide, `no-metadata`.
    object: String,
    /// `spec` or `specs[1]`.
    path: String,
    subject: Selector,
    egress: Vec<Rule>,
    deny: Vec<Rule>,
    /// `enableDefaultDeny.egress`, when written.
    default_deny: Option<bool>,
}

impl Spec {
    fn rule_name(&self, section: &str, i: usize) -> String {
        format!("{} {}.{section}[{i}]", self.object, self.path)
    }

    /// `[intro]` "If any rule selects an endpoint and the rule has an egress section, the endpoint
    /// goes into default-deny mode for egress"; "Rules with EnableDefaultDeny disabled are
    /// ignored when determining the default mode". `[crd]` the default "is true for each traffic
    /// direction that has rules" (egress or egressDeny), and "if multiple policies apply to an
    /// endpoint, that endpoint's default deny will be enabled if any policy requests it".
    /// A policy with `enableDefaultDeny.egress: true` and no egress or egressDeny rules has no
    /// egress section, so it does not isolate (upstream makes one policy entry per rule).
    fn isolates(&self) -> bool {
        (!self.egress.is_empty() || !self.deny.is_empty()) && self.default_deny != Some(false)
    }
}

fn spec(v: &Value, object: &str, path: String, namespace: Option<&str>) -> Res<Spec> {
    let at = format!("{object} {path}");
    let m = fields(
        v,
        &at,
        &[
            "endpointSelector",
            "egress",
            "egressDeny",
            "enableDefaultDeny",
            "description",
            "labels",
        ],
    )?;
    let subject_at = format!("{at}.endpointSelector");
    let subject = match m.get("endpointSelector") {
        None | Some(Value::Null) => return Err(bad(&subject_at, "missing")),
        Some(s) => selector(
            s,
            &subject_at,
            namespace.map_or(Place::ClusterSubject, Place::Subject),
        )?,
    };
    let egress = items(m, "egress", &at)?
        .iter()
        .enumerate()
        .map(|(i, r)| rule(r, &format!("{at}.egress[{i}]"), namespace, false))
        .collect::<Res<Vec<Rule>>>()?;
    let deny = items(m, "egressDeny", &at)?
        .iter()
        .enumerate()
        .map(|(i, r)| rule(r, &format!("{at}.egressDeny[{i}]"), namespace, true))
        .collect::<Res<Vec<Rule>>>()?;
    let default_deny = match m.get("enableDefaultDeny").filter(|v| !v.is_null()) {
        None => None,
        Some(d) => {
            let at = format!("{at}.enableDefaultDeny");
            let d = fields(d, &at, &["egress", "ingress"])?;
            for (k, v) in d {
                if !v.is_boolean() && !v.is_null() {
                    return Err(bad(&format!("{at}.{k}"), "expected a boolean"));
                }
            }
            d.get("egress").and_then(Value::as_bool)
        }
    };
    if let Some(d) = m.get("description")
        && !d.is_string()
    {
        return Err(bad(&format!("{at}.description"), "expected a string"));
    }
    Ok(Spec {
        object: object.to_owned(),
        path,
        subject,
        egress,
        deny,
        default_deny,
    })
}

fn document(v: &Value, n: usize) -> Res<Vec<Spec>> {
    let at = format!("document {n}");
    let m = fields(v, &at, &["apiVersion", "kind", "metadata", "spec", "specs"])?;
    let kind = string(m.get("kind").unwrap_or(&Value::Null), &format!("{at}.kind"))?;
    if kind != POLICY && kind != CLUSTERWIDE {
        return Err(bad(
            &at,
            format!("kind `{kind}`: this evaluator reads {POLICY} and {CLUSTERWIDE}"),
        ));
    }
    let api = string(
        m.get("apiVersion").unwrap_or(&Value::Null),
        &format!("{at}.apiVersion"),
    )?;
    if api != API_VERSION {
        return Err(bad(
            &at,
            format!("apiVersion `{api}` (expected {API_VERSION})"),
        ));
    }
    let meta_at = format!("{at}.metadata");
    let meta = fields(
        m.get("metadata").unwrap_or(&Value::Null),
        &meta_at,
        &["name", "namespace", "labels", "annotations"],
    )?;
    let name = string(
        meta.get("name").unwrap_or(&Value::Null),
        &format!("{meta_at}.name"),
    )?;
    let namespace = meta
        .get("namespace")
        .map(|v| string(v, &format!("{meta_at}.namespace")))
        .transpose()?;
    // [k8s] a CiliumNetworkPolicy lives in (and applies to) one namespace; a
    // CiliumClusterwideNetworkPolicy is not namespaced.
    let (object, namespace) = match (kind, namespace) {
        (POLICY, Some(ns)) => (format!("{ns}/{name}"), Some(ns)),
        (POLICY, None) => {
            return Err(bad(
                &meta_at,
                format!("{POLICY} `{name}` without a namespace (it would land in the current one)"),
            ));
        }
        (_, None) => (name.to_owned(), None),
        (_, Some(_)) => {
            return Err(bad(
                &meta_at,
                format!("{CLUSTERWIDE} `{name}` with a namespace"),
            ));
        }
    };
    let mut specs = Vec::new();
    if let Some(s) = m.get("spec").filter(|v| !v.is_null()) {
        specs.push(spec(s, &object, "spec".into(), namespace)?);
    }
    for (i, s) in items(m, "specs", &at)?.iter().enumerate() {
        specs.push(spec(s, &object, format!("specs[{i}]"), namespace)?);
    }
    if specs.is_empty() {
        return Err(bad(&at, format!("`{object}` has neither spec nor specs")));
    }
    Ok(specs)
}

// ---------------------------------------------------------------------------------------------
// Deciding

/// How a rule relates to a flow.
enum Hit {
    /// It matches: why.
    Yes(String),
    /// It would match or not depending on the address the host name resolves to.
    Unknown,
    /// It does not: how close it came (lower is closer) and why.
    No(u8, String),
}

/// Closeness of a miss: DNS not visible < wrong port < in an except range < a peer of the right
/// kind that does not match < a peer of another kind < the empty rule.
const NOT_VISIBLE: u8 = 0;
const WRONG_PORT: u8 = 1;
const EXCEPTED: u8 = 2;
const OTHER_PEER: u8 = 3;
const OTHER_KIND: u8 = 4;
const EMPTY: u8 = 5;

/// The cluster DNS pods of the standard library's `dns`.
fn kube_dns() -> Pod {
    Pod {
        namespace: "kube-system".into(),
        labels: Labels::from([("k8s-app".into(), "kube-dns".into())]),
    }
}

fn port_text(rules: &[PortRule]) -> String {
    let all: Vec<String> = rules
        .iter()
        .flat_map(|r| r.ports.iter().map(ToString::to_string))
        .collect();
    format!("[{}]", all.join(", "))
}

impl Rule {
    /// Whether the flow's protocol and port are allowed: why, or why not.
    fn ports_hit(&self, flow: &Flow) -> Result<String, String> {
        let what = format!("{}/{}", flow.proto.as_str(), flow.port);
        if self.ports.is_empty() {
            return Ok(format!("{what} is allowed (no toPorts: every port)"));
        }
        match self
            .ports
            .iter()
            .flat_map(|r| &r.ports)
            .find(|p| p.contains(flow.proto, flow.port))
        {
            Some(p) => Ok(format!("{what} is in toPorts {p}")),
            None => Err(format!(
                "{what} is not in toPorts {}",
                port_text(&self.ports)
            )),
        }
    }

    /// Whether this rule's peers take in the pod `pod` (for the DNS proxy's rule).
    fn takes_pod(&self, pod: &Pod) -> bool {
        match &self.peers {
            None => !self.ports.is_empty(),
            Some(Peers::Endpoints(sels)) => sels.iter().any(|s| s.matches(pod)),
            Some(Peers::Cidrs(_) | Peers::Fqdns(_)) => false,
        }
    }

    /// The rule against the flow; `dns` answers whether the DNS proxy sees a name's lookups
    /// (allow rules only: deny rules have no `toFQDNs`).
    fn check(&self, flow: &Flow, dns: &dyn Fn(&str) -> Result<String, String>) -> Hit {
        let dest = &flow.destination;
        let ports = self.ports_hit(flow);
        let peer = match &self.peers {
            None if self.ports.is_empty() => {
                return Hit::No(
                    EMPTY,
                    "the empty rule `{}` matches nothing (it only enables default deny)".into(),
                );
            }
            None => Ok(format!("{dest} is any destination (toPorts without peers)")),
            Some(Peers::Endpoints(sels)) => match dest {
                Destination::Pod(p) => match sels.iter().find(|s| s.matches(p)) {
                    Some(s) => Ok(format!("{p} is selected by toEndpoints {}", s.text)),
                    None => {
                        let all: Vec<&str> = sels.iter().map(|s| s.text.as_str()).collect();
                        Err((
                            OTHER_PEER,
                            format!("{p} is not selected by toEndpoints {}", all.join(", ")),
                        ))
                    }
                },
                other => Err((
                    OTHER_KIND,
                    format!("{other} is not a pod, and toEndpoints selects pods only"),
                )),
            },
            Some(Peers::Cidrs(cidrs)) => {
                let address = match dest {
                    Destination::Address(a) => *a,
                    Destination::Host {
                        address: Some(a), ..
                    } => *a,
                    Destination::Host { address: None, .. } => {
                        return match ports {
                            Ok(_) => Hit::Unknown,
                            Err(m) => Hit::No(OTHER_PEER, m),
                        };
                    }
                    // [layer3] "CIDR rules do not apply to traffic where both sides of the
                    // connection are ... managed by Cilium".
                    Destination::Pod(p) => {
                        return Hit::No(
                            OTHER_KIND,
                            format!("{p} is a pod, and CIDR rules match no pods"),
                        );
                    }
                };
                cidr_hit(cidrs, address)
            }
            Some(Peers::Fqdns(fqdns)) => match dest {
                Destination::Host { name, .. } => match fqdns.iter().find(|f| f.matches(name)) {
                    Some(f) => Ok(format!("{name} matches toFQDNs {f}")),
                    None => {
                        let all: Vec<String> = fqdns.iter().map(ToString::to_string).collect();
                        Err((
                            OTHER_PEER,
                            format!("{name} does not match toFQDNs {}", all.join(", ")),
                        ))
                    }
                },
                other => Err((
                    OTHER_KIND,
                    format!("{other} is not a host name, and toFQDNs matches names only"),
                )),
            },
        };
        let peer = match peer {
            Ok(p) => p,
            Err((score, why)) => return Hit::No(score, why),
        };
        let ports = match ports {
            Ok(p) => p,
            Err(m) => return Hit::No(WRONG_PORT, format!("{peer}, but {m}")),
        };
        // [layer3] toFQDNs learns addresses only from DNS responses the proxy intercepted;
        // [layer7] "This interception is, itself, a separate policy rule governing DNS requests,
        // and must be specified separately".
        if let (Some(Peers::Fqdns(_)), Destination::Host { name, .. }) = (&self.peers, dest) {
            return match dns(name) {
                Ok(seen) => Hit::Yes(format!("{peer} ({seen}) and {ports}")),
                Err(why) => Hit::No(
                    NOT_VISIBLE,
                    format!(
                        "{peer} and {ports}, but the DNS proxy never learns its addresses: {why}"
                    ),
                ),
            };
        }
        Hit::Yes(format!("{peer} and {ports}"))
    }
}

fn cidr_hit(cidrs: &[Cidr], a: IpAddr) -> Result<String, (u8, String)> {
    let mut miss: Option<(u8, String)> = None;
    for c in cidrs {
        if !c.net.contains(&a) {
            if miss.is_none() {
                miss = Some((OTHER_PEER, format!("{a} is outside {c}")));
            }
            continue;
        }
        match c.except.iter().find(|e| e.contains(&a)) {
            None => return Ok(format!("{a} is in {c}")),
            Some(e) => {
                if miss.as_ref().is_none_or(|m| m.0 > EXCEPTED) {
                    miss = Some((
                        EXCEPTED,
                        format!("{a} is in {}, but in its except range {e}", c.net),
                    ));
                }
            }
        }
    }
    Err(miss.unwrap_or((OTHER_PEER, "no CIDR".into())))
}

/// The policies read back from the YAML.
#[derive(Clone, Debug)]
pub struct Model {
    specs: Vec<Spec>,
}

impl Model {
    pub fn load(yaml: &str) -> Result<Model, Undecidable> {
        let mut specs = Vec::new();
        for (i, d) in documents(yaml)?.iter().enumerate() {
            specs.extend(document(d, i + 1)?);
        }
        Ok(Model { specs })
    }

    /// The first egressDeny rule of a selecting policy that matches `flow`, and whether some
    /// other one depends on the host's unknown address.
    fn denied(selecting: &[&Spec], flow: &Flow) -> (Option<(String, String)>, bool) {
        let mut unknown = false;
        let no_dns = |_: &str| Err(String::new());
        for s in selecting {
            for (i, r) in s.deny.iter().enumerate() {
                match r.check(flow, &no_dns) {
                    Hit::Yes(why) => return (Some((s.rule_name("egressDeny", i), why)), unknown),
                    Hit::Unknown => unknown = true,
                    Hit::No(..) => {}
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
                if !r.takes_pod(&dns_pod) {
                    continue;
                }
                for pr in &r.ports {
                    let Some(sels) = &pr.dns else { continue };
                    for p in pr.ports.iter().filter(|p| p.first <= 53 && 53 <= p.last) {
                        any_rule = true;
                        let Some(sel) = sels.iter().find(|f| f.matches(name)) else {
                            continue;
                        };
                        for proto in [Proto::Udp, Proto::Tcp] {
                            if !p.contains(proto, 53) {
                                continue;
                            }
                            let lookup = Flow {
                                source: source.clone(),
                                destination: Destination::Pod(dns_pod.clone()),
                                proto,
                                port: 53,
                            };
                            match Self::denied(selecting, &lookup).0 {
                                None => {
                                    return Ok(format!(
                                        "its lookups pass the DNS proxy by {} rules.dns {sel}",
                                        s.rule_name("egress", i)
                                    ));
                                }
                                Some((rule, _)) => {
                                    blocked.get_or_insert(format!(
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
            (None, true) => format!(
                "no toPorts[].rules.dns of the pod's cluster DNS rules matches {name}, so its lookups are refused"
            ),
            (None, false) => "no policy selecting the pod allows cluster DNS on port 53 with toPorts[].rules.dns, so the DNS proxy sees none of its lookups".into(),
        })
    }
}

impl Evaluator for Model {
    fn decide(&self, flow: &Flow) -> Result<Decision, Undecidable> {
        let src = &flow.source;
        let selecting: Vec<&Spec> = self
            .specs
            .iter()
            .filter(|s| s.subject.matches(src))
            .collect();
        let needs_address = || match &flow.destination {
            Destination::Host { name, .. } => Undecidable::NeedsAddress { host: name.clone() },
            // Only host names without an address make a rule `Unknown`.
            other => Undecidable::NeedsAddress {
                host: other.to_string(),
            },
        };

        // [deny] "Deny policies take precedence over allow policies, regardless of whether they
        // are a Cilium Network Policy, a Clusterwide Cilium Network Policy or even a Kubernetes
        // Network Policy"; a deny applies whatever the default mode.
        let (deny, deny_unknown) = Self::denied(&selecting, flow);
        if let Some((rule, why)) = deny {
            return Ok(Decision {
                allowed: false,
                rule: Some(rule),
                why: format!("{why}: egressDeny wins over every allow"),
                closest: None,
                source: None,
            });
        }

        // [intro] an endpoint not in egress default deny may send anything not denied.
        let isolating: Vec<&Spec> = selecting.iter().copied().filter(|s| s.isolates()).collect();
        if isolating.is_empty() {
            if deny_unknown {
                return Err(needs_address());
            }
            let why = if selecting.is_empty() {
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
            return Ok(Decision {
                allowed: true,
                rule: None,
                why,
                closest: None,
                source: None,
            });
        }

        // [intro] "Rule Basics": in default deny, traffic is allowed if any egress rule of any
        // policy selecting the endpoint allows it (a union), whether or not that policy itself
        // enables default deny.
        let dns = |name: &str| Self::dns_sees(&selecting, src, name);
        let mut allow_unknown = false;
        let mut closest: Option<(u8, String)> = None;
        for s in &selecting {
            for (i, r) in s.egress.iter().enumerate() {
                match r.check(flow, &dns) {
                    Hit::Yes(why) => {
                        if deny_unknown {
                            return Err(needs_address());
                        }
                        return Ok(Decision {
                            allowed: true,
                            rule: Some(s.rule_name("egress", i)),
                            why,
                            closest: None,
                            source: None,
                        });
                    }
                    Hit::Unknown => allow_unknown = true,
                    Hit::No(score, why) => {
                        if closest.as_ref().is_none_or(|c| score < c.0) {
                            closest = Some((score, format!("{}: {why}", s.rule_name("egress", i))));
                        }
                    }
                }
            }
        }
        if allow_unknown {
            return Err(needs_address());
        }
        let names: Vec<&str> = isolating.iter().map(|s| s.object.as_str()).collect();
        Ok(Decision {
            allowed: false,
            rule: None,
            why: format!(
                "{src} is in egress default deny (by {}) and no egress rule allows it",
                names.join(", ")
            ),
            closest: closest.map(|c| c.1),
            source: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Target;
    use crate::verify::reference::Reference;
    use crate::{Input, compile};
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn pod(ns: &str, labels: &[(&str, &str)]) -> Pod {
        Pod {
            namespace: ns.into(),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        }
    }

    fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    }

    fn flow(source: Pod, destination: Destination, proto: Proto, port: u16) -> Flow {
        Flow {
            source,
            destination,
            proto,
            port,
        }
    }

    fn to_addr(source: Pod, a: IpAddr, proto: Proto, port: u16) -> Flow {
        flow(source, Destination::Address(a), proto, port)
    }

    fn to_host(source: Pod, name: &str, address: Option<IpAddr>, port: u16) -> Flow {
        let destination = Destination::Host {
            name: name.into(),
            address,
        };
        flow(source, destination, Proto::Tcp, port)
    }

    fn to_pod(source: Pod, dest: Pod, proto: Proto, port: u16) -> Flow {
        flow(source, Destination::Pod(dest), proto, port)
    }

    fn decide(m: &Model, f: &Flow) -> Decision {
        m.decide(f).unwrap_or_else(|e| panic!("{f}: {e}"))
    }

    fn cnp(ns: &str, name: &str, spec: &str) -> String {
        format!(
            "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n{spec}"
        )
    }

    fn ccnp(name: &str, spec: &str) -> String {
        format!(
            "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata:\n  name: {name}\nspec:\n{spec}"
        )
    }

    fn load(docs: &[String]) -> Model {
        let yaml = docs.join("---\n");
        Model::load(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
    }

    fn bad_yaml(docs: &[String]) -> String {
        match Model::load(&docs.join("---\n")) {
            Err(Undecidable::BadYaml(e)) => e,
            Err(e) => panic!("not BadYaml: {e}"),
            Ok(_) => panic!("loaded:\n{}", docs.join("---\n")),
        }
    }

    const DNS_RULE: &str = "  - toEndpoints:
    - matchLabels:
        k8s-app: kube-dns
        \"k8s:io.kubernetes.pod.namespace\": kube-system
    toPorts:
    - ports:
      - port: \"53\"
        protocol: UDP
      rules:
        dns:
        - matchPattern: \"*\"
";

    fn api() -> Pod {
        pod("payments", &[("app", "api")])
    }

    #[test]
    fn unselected_pods_are_open_and_cnp_stays_in_its_namespace() {
        let m = load(&[cnp(
            "payments",
            "api-egress",
            "  endpointSelector:\n    matchLabels:\n      app: api\n  egress:\n  - toCIDR:\n    - 10.0.0.0/8\n",
        )]);
        let other_ns = pod("shop", &[("app", "api")]);
        let d = decide(&m, &to_addr(other_ns, v4(8, 8, 8, 8), Proto::Tcp, 443));
        assert!(d.allowed && d.rule.is_none(), "{d:?}");
        assert!(d.why.contains("no policy selects"), "{d:?}");
        let d = decide(&m, &to_addr(api(), v4(10, 1, 2, 3), Proto::Tcp, 443));
        assert!(d.allowed, "{d:?}");
        assert_eq!(
            d.rule.as_deref(),
            Some("payments/api-egress spec.egress[0]")
        );
        let d = decide(&m, &to_addr(api(), v4(8, 8, 8, 8), Proto::Tcp, 443));
        assert!(!d.allowed && d.rule.is_none(), "{d:?}");
        assert!(
            d.closest.as_deref().unwrap().contains("outside 10.0.0.0/8"),
            "{d:?}"
        );
    }

    #[test]
    fn default_deny_and_enable_default_deny() {
        let off = "  endpointSelector: {}\n  enableDefaultDeny:\n    egress: false\n  egress:\n  - toCIDR:\n    - 10.0.0.0/8\n";
        let m = load(&[ccnp("open", off)]);
        // Selected only by a policy that does not enable default deny: open.
        let d = decide(&m, &to_addr(api(), v4(8, 8, 8, 8), Proto::Tcp, 443));
        assert!(d.allowed && d.rule.is_none(), "{d:?}");
        assert!(d.why.contains("enableDefaultDeny.egress: false"), "{d:?}");
        // Another policy asking for default deny wins; the first policy's rules still allow.
        let on = "  endpointSelector:\n    matchLabels:\n      app: api\n  egress:\n  - {}\n";
        let m = load(&[ccnp("open", off), cnp("payments", "lock", on)]);
        let d = decide(&m, &to_addr(api(), v4(8, 8, 8, 8), Proto::Tcp, 443));
        assert!(!d.allowed, "{d:?}");
        assert!(d.why.contains("payments/lock"), "{d:?}");
        let d = decide(&m, &to_addr(api(), v4(10, 0, 0, 1), Proto::Tcp, 443));
        assert!(d.allowed, "{d:?}");
        assert_eq!(d.rule.as_deref(), Some("open spec.egress[0]"));
        // enableDefaultDeny.egress: true without egress rules does not isolate.
        let m = load(&[cnp(
            "payments",
            "flag-only",
            "  endpointSelector: {}\n  enableDefaultDeny:\n    egress: true\n",
        )]);
        assert!(decide(&m, &to_addr(api(), v4(8, 8, 8, 8), Proto::Tcp, 443)).allowed);
    }

    #[test]
    fn the_empty_rule_isolates_and_allows_nothing() {
        let m = load(&[cnp(
            "payments",
            "default-deny-egress",
            "  egress:\n  - {}\n  enableDefaultDeny:\n    egress: true\n  endpointSelector: {}\n",
        )]);
        for f in [
            to_addr(api(), v4(8, 8, 8, 8), Proto::Udp, 53),
            to_pod(api(), kube_dns(), Proto::Udp, 53),
            to_host(api(), "example.org", None, 443),
        ] {
            let d = decide(&m, &f);
            assert!(!d.allowed, "{d:?}");
            assert!(
                d.closest.as_deref().unwrap().contains("empty rule"),
                "{d:?}"
            );
        }
    }

    #[test]
    fn deny_wins_and_a_deny_only_policy_isolates() {
        let allow = "  endpointSelector: {}\n  egress:\n  - toCIDRSet:\n    - cidr: 0.0.0.0/0\n";
        let deny = "  endpointSelector: {}\n  egressDeny:\n  - toCIDR:\n    - 169.254.169.254/32\n    toPorts:\n    - ports:\n      - port: \"80\"\n";
        let m = load(&[cnp("payments", "allow", allow), ccnp("guard", deny)]);
        let d = decide(&m, &to_addr(api(), v4(169, 254, 169, 254), Proto::Tcp, 80));
        assert!(!d.allowed, "{d:?}");
        assert_eq!(d.rule.as_deref(), Some("guard spec.egressDeny[0]"));
        assert!(decide(&m, &to_addr(api(), v4(169, 254, 169, 254), Proto::Tcp, 443)).allowed);
        // The guardrail alone (no enableDefaultDeny) isolates every pod it selects.
        let m = load(&[ccnp("guard", deny)]);
        let d = decide(&m, &to_addr(api(), v4(8, 8, 8, 8), Proto::Tcp, 443));
        assert!(!d.allowed && d.rule.is_none(), "{d:?}");
        // With enableDefaultDeny.egress: false it only denies.
        let guard = format!("{deny}  enableDefaultDeny:\n    egress: false\n    ingress: false\n");
        let m = load(&[ccnp("guard", &guard)]);
        assert!(decide(&m, &to_addr(api(), v4(8, 8, 8, 8), Proto::Tcp, 443)).allowed);
        let d = decide(&m, &to_addr(api(), v4(169, 254, 169, 254), Proto::Udp, 80));
        assert!(!d.allowed, "{d:?}");
    }

    #[test]
    fn to_endpoints_namespaces() {
        let spec = "  endpointSelector: {}
  egress:
  - toEndpoints:
    - matchLabels:
        app: db
  - toEndpoints:
    - {}
    toPorts:
    - ports:
      - port: \"9999\"
  - toEndpoints:
    - matchLabels:
        app: cache
        k8s:io.kubernetes.pod.namespace: infra
  - toEndpoints:
    - matchLabels:
        app: otel
      matchExpressions:
      - key: k8s:io.kubernetes.pod.namespace
        operator: Exists
  - toEndpoints:
    - matchLabels:
        any:app: mail
        io.kubernetes.pod.namespace: mailer
";
        let m = load(&[cnp("payments", "p", spec)]);
        let rule = |dest: Pod, port: u16| decide(&m, &to_pod(api(), dest, Proto::Tcp, port)).rule;
        let r = |i: usize| Some(format!("payments/p spec.egress[{i}]"));
        // No namespace label: the policy's own namespace only.
        assert_eq!(rule(pod("payments", &[("app", "db")]), 5432), r(0));
        assert_eq!(rule(pod("shop", &[("app", "db")]), 5432), None);
        // `{}`: every pod of the policy's namespace.
        assert_eq!(rule(pod("payments", &[("x", "y")]), 9999), r(1));
        assert_eq!(rule(pod("shop", &[("x", "y")]), 9999), None);
        // Another namespace by label.
        assert_eq!(rule(pod("infra", &[("app", "cache")]), 6379), r(2));
        assert_eq!(rule(pod("payments", &[("app", "cache")]), 6379), None);
        // Exists on the namespace label: every namespace.
        assert_eq!(rule(pod("elsewhere", &[("app", "otel")]), 4317), r(3));
        // `any:` prefix and the bare namespace key.
        assert_eq!(rule(pod("mailer", &[("app", "mail")]), 25), r(4));
        assert_eq!(rule(pod("payments", &[("app", "mail")]), 25), None);
        // Pods never match addresses, addresses never match pods.
        let d = decide(&m, &to_addr(api(), v4(10, 0, 0, 1), Proto::Tcp, 5432));
        assert!(!d.allowed, "{d:?}");
    }

    #[test]
    fn clusterwide_selectors_span_namespaces() {
        let spec = "  endpointSelector:
    matchExpressions:
    - key: tier
      operator: NotIn
      values: [batch]
  egress:
  - toEndpoints:
    - matchLabels:
        app: db
  - toEndpoints:
    - matchLabels:
        io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name: infra
";
        let m = load(&[ccnp("cw", spec)]);
        let d = decide(
            &m,
            &to_pod(api(), pod("shop", &[("app", "db")]), Proto::Tcp, 1),
        );
        assert_eq!(d.rule.as_deref(), Some("cw spec.egress[0]"), "{d:?}");
        let d = decide(&m, &to_pod(api(), pod("infra", &[]), Proto::Tcp, 1));
        assert_eq!(d.rule.as_deref(), Some("cw spec.egress[1]"), "{d:?}");
        // NotIn selects pods without the label, not pods with a listed value.
        let batch = pod("shop", &[("tier", "batch")]);
        assert!(decide(&m, &to_addr(batch, v4(8, 8, 8, 8), Proto::Tcp, 1)).allowed);
        assert!(!decide(&m, &to_addr(api(), v4(8, 8, 8, 8), Proto::Tcp, 1)).allowed);
    }

    #[test]
    fn cidr_sets_with_except() {
        let spec = "  endpointSelector: {}
  egress:
  - toCIDRSet:
    - cidr: 10.0.0.0/8
      except:
      - 10.96.0.0/12
    - cidr: 2001:db8::/32
    toPorts:
    - ports:
      - port: \"8000\"
        endPort: 8100
        protocol: TCP
";
        let m = load(&[cnp("payments", "p", spec)]);
        let d = decide(&m, &to_addr(api(), v4(10, 1, 0, 1), Proto::Tcp, 8050));
        assert!(d.allowed, "{d:?}");
        let six = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
        assert!(decide(&m, &to_addr(api(), six, Proto::Tcp, 8100)).allowed);
        let d = decide(&m, &to_addr(api(), v4(10, 96, 0, 10), Proto::Tcp, 8050));
        assert!(!d.allowed, "{d:?}");
        assert!(
            d.closest
                .as_deref()
                .unwrap()
                .contains("except range 10.96.0.0/12"),
            "{d:?}"
        );
        let d = decide(&m, &to_addr(api(), v4(10, 1, 0, 1), Proto::Tcp, 8101));
        assert!(
            d.closest
                .as_deref()
                .unwrap()
                .contains("not in toPorts [tcp/8000-8100]"),
            "{d:?}"
        );
        assert!(!decide(&m, &to_addr(api(), v4(10, 1, 0, 1), Proto::Udp, 8050)).allowed);
        // A host name matches by the address it resolved to, and needs one.
        assert!(
            decide(
                &m,
                &to_host(api(), "db.internal", Some(v4(10, 2, 3, 4)), 8000)
            )
            .allowed
        );
        assert_eq!(
            m.decide(&to_host(api(), "db.internal", None, 8000)),
            Err(Undecidable::NeedsAddress {
                host: "db.internal".into()
            })
        );
        // A pod never matches a CIDR.
        let d = decide(&m, &to_pod(api(), pod("payments", &[]), Proto::Tcp, 8000));
        assert!(
            d.closest
                .as_deref()
                .unwrap()
                .contains("CIDR rules match no pods"),
            "{d:?}"
        );
    }

    fn fqdn_policy(patterns: &str, dns: &str) -> Model {
        let spec = format!(
            "  endpointSelector: {{}}\n  egress:\n{dns}  - toFQDNs:\n{patterns}    toPorts:\n    - ports:\n      - port: \"443\"\n        protocol: TCP\n"
        );
        load(&[cnp("payments", "p", &spec)])
    }

    #[test]
    fn fqdn_names_and_patterns() {
        let m = fqdn_policy(
            "    - matchName: API.Stripe.com\n    - matchPattern: \"*.one.example\"\n    - matchPattern: \"**.any.example\"\n    - matchPattern: part*ial.com\n",
            DNS_RULE,
        );
        let allowed = |name: &str| decide(&m, &to_host(api(), name, None, 443)).allowed;
        assert!(allowed("api.stripe.com"));
        assert!(allowed("api.stripe.com."));
        assert!(allowed("API.STRIPE.COM"));
        assert!(!allowed("x.api.stripe.com"));
        assert!(allowed("a.one.example"));
        assert!(!allowed("a.b.one.example"), "`*.` is one label");
        assert!(!allowed("one.example"));
        assert!(allowed("a.any.example"));
        assert!(allowed("a.b.any.example"), "`**.` is one or more labels");
        assert!(!allowed("any.example"));
        assert!(allowed("partial.com"));
        assert!(allowed("part-extra-ial.com"));
        assert!(!allowed("part.ial.com"));
        let d = decide(&m, &to_host(api(), "evil.example", None, 443));
        assert!(
            d.closest
                .as_deref()
                .unwrap()
                .contains("does not match toFQDNs"),
            "{d:?}"
        );
        // `*` alone matches every name; toFQDNs never matches addresses or pods.
        let m = fqdn_policy("    - matchPattern: \"*\"\n", DNS_RULE);
        assert!(decide(&m, &to_host(api(), "anything.example.org", None, 443)).allowed);
        assert!(!decide(&m, &to_addr(api(), v4(1, 1, 1, 1), Proto::Tcp, 443)).allowed);
        // A host with an address is allowed by name too.
        let d = decide(
            &m,
            &to_host(api(), "a.example", Some(v4(203, 0, 113, 7)), 443),
        );
        assert!(d.allowed, "{d:?}");
    }

    #[test]
    fn fqdn_needs_the_dns_proxy() {
        // No rules.dns: the proxy never sees the lookup.
        let plain = DNS_RULE.replace(
            "      rules:\n        dns:\n        - matchPattern: \"*\"\n",
            "",
        );
        let m = fqdn_policy("    - matchName: api.stripe.com\n", &plain);
        let d = decide(&m, &to_host(api(), "api.stripe.com", None, 443));
        assert!(!d.allowed, "{d:?}");
        let closest = d.closest.unwrap();
        assert!(closest.contains("DNS proxy"), "{closest}");
        assert!(closest.contains("payments/p spec.egress[1]"), "{closest}");
        // The lookup itself is still allowed.
        assert!(decide(&m, &to_pod(api(), kube_dns(), Proto::Udp, 53)).allowed);
        // rules.dns that does not match the name.
        let strict = DNS_RULE.replace("matchPattern: \"*\"", "matchName: other.example");
        let m = fqdn_policy("    - matchName: api.stripe.com\n", &strict);
        let d = decide(&m, &to_host(api(), "api.stripe.com", None, 443));
        assert!(!d.allowed, "{d:?}");
        assert!(
            d.closest
                .as_deref()
                .unwrap()
                .contains("no toPorts[].rules.dns"),
            "{d:?}"
        );
        // A DNS rule that the proxy sees, but a deny drops the lookup.
        let m = load(&[
            cnp(
                "payments",
                "p",
                &format!(
                    "  endpointSelector: {{}}\n  egress:\n{DNS_RULE}  - toFQDNs:\n    - matchName: api.stripe.com\n"
                ),
            ),
            ccnp(
                "no-dns",
                "  endpointSelector: {}\n  egressDeny:\n  - toEndpoints:\n    - matchLabels:\n        k8s-app: kube-dns\n",
            ),
        ]);
        let d = decide(&m, &to_host(api(), "api.stripe.com", None, 443));
        assert!(!d.allowed, "{d:?}");
        assert!(
            d.closest
                .as_deref()
                .unwrap()
                .contains("denied by no-dns spec.egressDeny[0]"),
            "{d:?}"
        );
    }

    #[test]
    fn ports_protocols_and_ranges() {
        let spec = "  endpointSelector: {}
  egress:
  - toCIDR:
    - 10.0.0.0/8
    toPorts:
    - ports:
      - port: \"53\"
      - port: \"7000\"
        endPort: 7010
        protocol: ANY
      - port: \"9000\"
        protocol: SCTP
  - toCIDR:
    - 192.168.0.0/16
";
        let m = load(&[cnp("payments", "p", spec)]);
        let ok = |a: IpAddr, proto: Proto, port: u16| {
            decide(&m, &to_addr(api(), a, proto, port)).allowed
        };
        let ten = v4(10, 0, 0, 1);
        assert!(ok(ten, Proto::Udp, 53) && ok(ten, Proto::Tcp, 53) && ok(ten, Proto::Sctp, 53));
        assert!(ok(ten, Proto::Udp, 7005) && ok(ten, Proto::Tcp, 7010));
        assert!(!ok(ten, Proto::Tcp, 7011));
        assert!(ok(ten, Proto::Sctp, 9000) && !ok(ten, Proto::Tcp, 9000));
        // No toPorts: every port of every protocol.
        let lan = v4(192, 168, 1, 1);
        assert!(ok(lan, Proto::Tcp, 1) && ok(lan, Proto::Udp, 65535) && ok(lan, Proto::Sctp, 9));
    }

    #[test]
    fn ports_without_peers_match_every_destination() {
        let m = load(&[cnp(
            "payments",
            "p",
            "  endpointSelector: {}\n  egress:\n  - toPorts:\n    - ports:\n      - port: \"443\"\n        protocol: TCP\n",
        )]);
        assert!(decide(&m, &to_addr(api(), v4(8, 8, 8, 8), Proto::Tcp, 443)).allowed);
        assert!(decide(&m, &to_pod(api(), pod("x", &[]), Proto::Tcp, 443)).allowed);
        assert!(decide(&m, &to_host(api(), "example.org", None, 443)).allowed);
        assert!(!decide(&m, &to_addr(api(), v4(8, 8, 8, 8), Proto::Tcp, 80)).allowed);
    }

    #[test]
    fn specs_lists_name_their_rules() {
        let yaml = "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: multi
  namespace: payments
specs:
- endpointSelector: {}
  egress:
  - toCIDR: [10.0.0.0/8]
- endpointSelector: {}
  egressDeny:
  - toCIDR: [10.9.0.0/16]
";
        let m = Model::load(yaml).unwrap();
        let d = decide(&m, &to_addr(api(), v4(10, 9, 0, 1), Proto::Tcp, 1));
        assert_eq!(
            d.rule.as_deref(),
            Some("payments/multi specs[1].egressDeny[0]")
        );
        let d = decide(&m, &to_addr(api(), v4(10, 8, 0, 1), Proto::Tcp, 1));
        assert_eq!(d.rule.as_deref(), Some("payments/multi specs[0].egress[0]"));
    }

    #[test]
    fn what_is_not_understood_is_refused() {
        let sel = "  endpointSelector: {}\n";
        let cases = [
            (
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: x\n  namespace: p\nspec: {}\n".to_owned(),
                "kind `NetworkPolicy`",
            ),
            (cnp("p", "x", &format!("{sel}  egress:\n  - toEntities: [world]\n")), "egress[0].toEntities"),
            (cnp("p", "x", &format!("{sel}  ingress:\n  - {{}}\n")), "spec.ingress"),
            (cnp("p", "x", &format!("{sel}  egress:\n  - toPorts:\n    - ports:\n      - port: http\n")), "`http`"),
            (cnp("p", "x", &format!("{sel}  egress:\n  - toPorts:\n    - ports:\n      - port: \"80\"\n        protocol: ICMP\n")), "`ICMP`"),
            (cnp("p", "x", &format!("{sel}  egress:\n  - toPorts:\n    - ports:\n      - port: \"80\"\n      rules:\n        http:\n        - path: /\n")), "rules.http"),
            (cnp("p", "x", &format!("{sel}  egressDeny:\n  - toFQDNs:\n    - matchName: a.example\n")), "egressDeny[0].toFQDNs"),
            (cnp("p", "x", &format!("{sel}  egress:\n  - toCIDR: [10.0.0.0/8]\n    toEndpoints:\n    - {{}}\n")), "combining"),
            (cnp("p", "x", &format!("{sel}  egress:\n  - toEndpoints:\n    - matchLabels:\n        reserved:host: \"\"\n")), "label source `reserved:`"),
            (cnp("p", "x", &format!("{sel}  egress:\n  - toEndpoints:\n    - matchLabels:\n        io.cilium.k8s.policy.serviceaccount: sa\n")), "identity label"),
            (cnp("p", "x", &format!("{sel}  egress:\n  - toEndpoints: []\n")), "empty list"),
            (cnp("p", "x", &format!("{sel}  egress:\n  - toCIDRSet:\n    - cidr: 10.0.0.0/8\n      except: [192.168.0.0/16]\n")), "not inside"),
            (cnp("p", "x", &format!("{sel}  egress:\n  - toFQDNs:\n    - matchPattern: \"**foo.example\"\n")), "`**` inside a label"),
            (cnp("p", "x", &format!("{sel}  egress:\n  - toEndpoints:\n    - matchExpressions:\n      - key: app\n        operator: Gt\n        values: [\"1\"]\n")), "unknown operator"),
            (cnp("p", "x", "  egress:\n  - {}\n"), "endpointSelector: missing"),
            (
                "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: x\nspec:\n  endpointSelector: {}\n".to_owned(),
                "without a namespace",
            ),
        ];
        for (doc, want) in cases {
            let e = bad_yaml(std::slice::from_ref(&doc));
            assert!(e.contains(want), "want `{want}` in `{e}`\n{doc}");
        }
    }

    // ---- round trips: our backend's output against the reference evaluator on the IR ----

    fn both(src: &str, flows: &[Flow]) {
        let c = compile(&[Input::new("t.egress", src)], &[Target::Cilium]);
        assert!(!c.has_errors(), "{src}: {:?}", c.analysis.diagnostics);
        let yaml = c.outputs[0].stream();
        let model = Model::load(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
        let reference = Reference::new(c.analysis.ir.as_ref().unwrap());
        for f in flows {
            let want = reference.decide(f).unwrap();
            let got = model
                .decide(f)
                .unwrap_or_else(|e| panic!("{f}: {e}\n{yaml}"));
            assert_eq!(
                got.allowed,
                want.allowed,
                "{f}\n  cilium: {} by {:?}: {} / {:?}\n  ir:     {} by {:?}: {}\n{yaml}",
                got.verdict(),
                got.rule,
                got.why,
                got.closest,
                want.verdict(),
                want.rule,
                want.why
            );
        }
    }

    const RESOLVED: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));

    #[test]
    fn round_trip_addresses_and_metadata() {
        let src = "namespace payments\ndefault deny\napp api -> dns, rds(10.20.30.0/24), internet:443/tcp deny metadata\n";
        let meta = v4(169, 254, 169, 254);
        both(
            src,
            &[
                to_addr(api(), v4(10, 20, 30, 7), Proto::Tcp, 5432),
                to_addr(api(), v4(10, 20, 30, 7), Proto::Tcp, 5433),
                to_addr(api(), v4(10, 20, 31, 7), Proto::Tcp, 5432),
                to_addr(api(), meta, Proto::Tcp, 443),
                to_addr(api(), meta, Proto::Tcp, 80),
                to_addr(api(), v4(8, 8, 8, 8), Proto::Tcp, 443),
                to_addr(api(), v4(8, 8, 8, 8), Proto::Udp, 443),
                to_pod(api(), kube_dns(), Proto::Udp, 53),
                to_pod(api(), kube_dns(), Proto::Tcp, 53),
                to_pod(api(), kube_dns(), Proto::Tcp, 54),
                to_host(api(), "db.example", Some(v4(10, 20, 30, 9)), 5432),
                to_addr(
                    pod("payments", &[("app", "other")]),
                    v4(8, 8, 8, 8),
                    Proto::Tcp,
                    443,
                ),
                to_addr(pod("shop", &[("app", "api")]), meta, Proto::Tcp, 443),
            ],
        );
    }

    #[test]
    fn round_trip_host_wildcards() {
        let src = "namespace payments\ndefault deny\napp api -> dns, https(*.one.example), https(**.any.example), fqdn(api.stripe.com:443)\n";
        let mut flows = Vec::new();
        for name in [
            "a.one.example",
            "a.b.one.example",
            "one.example",
            "a.any.example",
            "a.b.any.example",
            "any.example",
            "api.stripe.com",
            "x.api.stripe.com",
        ] {
            flows.push(to_host(api(), name, None, 443));
            flows.push(to_host(api(), name, Some(RESOLVED), 443));
            flows.push(to_host(api(), name, None, 80));
        }
        both(src, &flows);
    }

    #[test]
    fn round_trip_strict_dns_and_dns() {
        for dns in ["dns", "strict-dns", "strict-dns, dns"] {
            let src = format!(
                "namespace jobs\ndefault deny\napp worker -> {dns}, https(**.s3.amazonaws.com), redis(10.30.0.0/24) deny metadata\n"
            );
            let w = pod("jobs", &[("app", "worker")]);
            both(
                &src,
                &[
                    to_host(w.clone(), "bucket.s3.amazonaws.com", Some(RESOLVED), 443),
                    to_host(w.clone(), "a.b.s3.amazonaws.com", Some(RESOLVED), 443),
                    to_host(w.clone(), "s3.amazonaws.com", Some(RESOLVED), 443),
                    to_host(w.clone(), "example.org", Some(RESOLVED), 443),
                    to_host(
                        w.clone(),
                        "bucket.s3.amazonaws.com",
                        Some(v4(169, 254, 169, 254)),
                        443,
                    ),
                    to_pod(w.clone(), kube_dns(), Proto::Udp, 53),
                    to_pod(w.clone(), kube_dns(), Proto::Tcp, 53),
                    to_pod(w.clone(), kube_dns(), Proto::Udp, 5353),
                    to_addr(w, v4(10, 30, 0, 1), Proto::Tcp, 6379),
                ],
            );
        }
    }

    #[test]
    fn round_trip_guardrails() {
        let src = "cluster no-metadata deny metadata\ncluster no-smtp deny internet:25/tcp\nnamespace payments\ndefault deny\napp api -> dns, internet:25/tcp, internet:443/tcp\n";
        let meta = v4(169, 254, 169, 254);
        let lonely = pod("elsewhere", &[("app", "x")]);
        both(
            src,
            &[
                // A selected pod: the guardrail wins over its allow.
                to_addr(api(), v4(8, 8, 8, 8), Proto::Tcp, 25),
                to_addr(api(), v4(8, 8, 8, 8), Proto::Tcp, 443),
                to_addr(api(), meta, Proto::Tcp, 443),
                // A pod that only the guardrails select keeps its open egress.
                to_addr(lonely.clone(), v4(8, 8, 8, 8), Proto::Tcp, 80),
                to_addr(lonely.clone(), v4(8, 8, 8, 8), Proto::Tcp, 25),
                to_addr(lonely.clone(), v4(8, 8, 8, 8), Proto::Udp, 25),
                to_addr(lonely.clone(), meta, Proto::Udp, 53),
                to_pod(lonely.clone(), kube_dns(), Proto::Udp, 53),
                to_host(lonely, "example.org", Some(RESOLVED), 443),
            ],
        );
    }

    #[test]
    fn round_trip_pods_across_namespaces() {
        let src = "namespace shop\ndefault deny\napp front -> dns, pods(orders){app=orders}:8443, pods(*){app=otel}:4317/tcp, pods{tier=cache}:6379 deny pods{tier=cache, env=prod}\n";
        let f = pod("shop", &[("app", "front")]);
        both(
            src,
            &[
                to_pod(
                    f.clone(),
                    pod("orders", &[("app", "orders")]),
                    Proto::Tcp,
                    8443,
                ),
                to_pod(
                    f.clone(),
                    pod("shop", &[("app", "orders")]),
                    Proto::Tcp,
                    8443,
                ),
                to_pod(f.clone(), pod("x", &[("app", "otel")]), Proto::Tcp, 4317),
                to_pod(
                    f.clone(),
                    pod("shop", &[("tier", "cache")]),
                    Proto::Tcp,
                    6379,
                ),
                to_pod(
                    f.clone(),
                    pod("shop", &[("tier", "cache"), ("env", "prod")]),
                    Proto::Tcp,
                    6379,
                ),
                to_pod(
                    f.clone(),
                    pod("orders", &[("tier", "cache")]),
                    Proto::Tcp,
                    6379,
                ),
                to_pod(
                    pod("shop", &[("app", "x")]),
                    pod("orders", &[("app", "orders")]),
                    Proto::Tcp,
                    8443,
                ),
            ],
        );
    }

    /// A deny of the cluster DNS pods (a guardrail's or the app's own) would blind the DNS
    /// proxy, so `toFQDNs` could never learn the addresses the source allows: the backend refuses
    /// such programs (E0505) instead of emitting a policy that means less than the source.
    #[test]
    fn denied_dns_lookups_with_host_names_are_refused() {
        for src in [
            "cluster no-dns deny pods(kube-system){k8s-app=kube-dns}\nnamespace p\napp a -> dns, api.stripe.com:443\n",
            "namespace p\napp a -> dns, api.stripe.com:443 deny pods(kube-system){k8s-app=kube-dns}:53/udp, pods(kube-system){k8s-app=kube-dns}:53/tcp\n",
        ] {
            let c = compile(&[Input::new("t.egress", src)], &[Target::Cilium]);
            let codes: Vec<&str> = c
                .analysis
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| d.code.as_str())
                .collect();
            assert_eq!(codes, ["E0505"], "{src}");
        }
    }

    /// Cilium's identity label keys are refused by the checker (E0207): in a selector Cilium would
    /// read `io.kubernetes.pod.namespace` as the namespace, a wider meaning than the source's.
    #[test]
    fn identity_label_keys_are_refused() {
        let src =
            "namespace p\ndefault deny\napp a -> pods{io.kubernetes.pod.namespace=other}:80\n";
        let c = compile(&[Input::new("t.egress", src)], &[Target::Cilium]);
        assert!(
            c.analysis
                .diagnostics
                .iter()
                .any(|d| d.code.as_str() == "E0207")
        );
    }

    #[test]
    fn every_example_loads() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        for entry in std::fs::read_dir(&root).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "egress") {
                continue;
            }
            let src = std::fs::read_to_string(&path).unwrap();
            let c = compile(&[Input::new("x.egress", src)], &[Target::Cilium]);
            if c.has_errors() {
                continue;
            }
            let yaml = c.outputs[0].stream();
            if let Err(e) = Model::load(&yaml) {
                panic!("{}: {e}", path.display());
            }
        }
    }
}
