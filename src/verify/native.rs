//! The native evaluator: reads a stream of `networking.k8s.io/v1` NetworkPolicy objects (the
//! emitted YAML text) and decides flows by Kubernetes NetworkPolicy semantics, not by what our
//! backend meant to write.
//!
//! Upstream sources, cited at each decision below:
//! - [concepts] <https://kubernetes.io/docs/concepts/services-networking/network-policies/>
//! - [api] <https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/>
//! - [selector] <https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/label-selector/>
//! - [defaults] kubernetes/kubernetes `pkg/apis/networking/v1/defaults.go`
//!   (`SetDefaults_NetworkPolicy`, `SetDefaults_NetworkPolicyPort`)
//! - [validation] kubernetes/kubernetes `pkg/apis/networking/validation/validation.go`
//!   (`ValidateNetworkPolicySpec`, `ValidateNetworkPolicyPeer`, `ValidateNetworkPolicyPort`,
//!   `ValidateIPBlock`)
//! - [labels] <https://kubernetes.io/docs/reference/labels-annotations-taints/#kubernetes-io-metadata-name>
//!
//! Whatever this module does not understand (another kind or API version, a field it does not
//! know, a value the API server would reject, a named port) makes loading fail with
//! [`Undecidable::BadYaml`] naming the object and the path: it never guesses and never skips.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use ipnet::IpNet;
use serde_json::{Map, Value};

use super::{Decision, Destination, Evaluator, Flow, Labels, Pod, Undecidable, documents, kind_of};
use crate::model::Proto;

/// The one label every namespace carries, set by the control plane to the namespace's name
/// ([labels] `kubernetes.io/metadata.name`); our flow model gives namespaces no other label.
const NAMESPACE_NAME: &str = "kubernetes.io/metadata.name";

/// Decides flows by the NetworkPolicies of one YAML stream.
#[derive(Debug)]
pub struct Model {
    policies: Vec<Policy>,
}

#[derive(Debug)]
struct Policy {
    namespace: String,
    name: String,
    /// `spec.podSelector`.
    selector: Selector,
    /// Whether the policy applies to egress (`Egress` in `policyTypes`, after defaulting).
    egress: bool,
    rules: Vec<Rule>,
}

#[derive(Debug)]
struct Rule {
    /// Empty: every destination ([api] NetworkPolicyEgressRule, field `to`: an empty or absent
    /// list does not restrict the destination).
    to: Vec<Peer>,
    /// Empty: every port of every protocol ([api] NetworkPolicyEgressRule, field `ports`: an
    /// empty or absent list does not restrict the port).
    ports: Vec<Port>,
}

#[derive(Debug)]
enum Peer {
    Block {
        cidr: IpNet,
        except: Vec<IpNet>,
    },
    /// At least one of the two is set.
    Pods {
        namespaces: Option<Selector>,
        pods: Option<Selector>,
    },
}

#[derive(Debug)]
struct Port {
    proto: Proto,
    /// `None`: every port of `proto`.
    range: Option<(u16, u16)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Debug)]
struct Requirement {
    key: String,
    op: Op,
    values: BTreeSet<String>,
}

/// A label selector: every `matchLabels` pair and every `matchExpressions` requirement must
/// hold, and the empty selector selects everything ([selector], LabelSelector).
#[derive(Debug, Default)]
struct Selector {
    labels: BTreeMap<String, String>,
    exprs: Vec<Requirement>,
}

impl Selector {
    fn matches(&self, labels: &Labels) -> bool {
        self.labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && self.exprs.iter().all(|r| {
                // [selector] matchExpressions: In/NotIn relate the key's value to the set;
                // NotIn and DoesNotExist also hold when the label is absent (the apimachinery
                // `labels.Requirement.Matches` semantics kubectl documents as `key notin (..)`).
                let value = labels.get(&r.key);
                match r.op {
                    Op::In => value.is_some_and(|v| r.values.contains(v)),
                    Op::NotIn => value.is_none_or(|v| !r.values.contains(v)),
                    Op::Exists => value.is_some(),
                    Op::DoesNotExist => value.is_none(),
                }
            })
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for r in &self.exprs {
            let set = || r.values.iter().cloned().collect::<Vec<_>>().join(", ");
            parts.push(match r.op {
                Op::In => format!("{} in ({})", r.key, set()),
                Op::NotIn => format!("{} notin ({})", r.key, set()),
                Op::Exists => r.key.clone(),
                Op::DoesNotExist => format!("!{}", r.key),
            });
        }
        if parts.is_empty() {
            f.write_str("{} (everything)")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.range {
            None => write!(f, "every {} port", self.proto.upper()),
            Some((a, b)) if a == b => write!(f, "{} {a}", self.proto.upper()),
            Some((a, b)) => write!(f, "{} {a}-{b}", self.proto.upper()),
        }
    }
}

fn describe_ports(ports: &[Port]) -> String {
    if ports.is_empty() {
        return "any port".to_owned();
    }
    ports
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------------
// Reading the YAML.

fn bad(at: &str, what: impl fmt::Display) -> Undecidable {
    Undecidable::BadYaml(format!("{at}: {what}"))
}

fn object<'a>(v: &'a Value, at: &str) -> Result<&'a Map<String, Value>, Undecidable> {
    v.as_object()
        .ok_or_else(|| bad(at, format!("expected a mapping, found {}", kind_of(v))))
}

/// Refuses any key outside `known`: an unknown field may change the meaning.
fn only(map: &Map<String, Value>, known: &[&str], at: &str) -> Result<(), Undecidable> {
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(bad(
            at,
            format!(
                "unknown field `{k}` (this evaluator knows {})",
                known.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// A field's value; an explicit `null` is the same as a missing field (Kubernetes decodes JSON
/// `null` into an unset optional field).
fn field<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).filter(|v| !v.is_null())
}

fn string<'a>(v: &'a Value, at: &str) -> Result<&'a str, Undecidable> {
    v.as_str()
        .ok_or_else(|| bad(at, format!("expected a string, found {}", kind_of(v))))
}

fn list<'a>(v: &'a Value, at: &str) -> Result<&'a [Value], Undecidable> {
    v.as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| bad(at, format!("expected a list, found {}", kind_of(v))))
}

fn string_map(v: &Value, at: &str) -> Result<BTreeMap<String, String>, Undecidable> {
    object(v, at)?
        .iter()
        .map(|(k, v)| Ok((k.clone(), string(v, &format!("{at}.{k}"))?.to_owned())))
        .collect()
}

fn selector(v: &Value, at: &str) -> Result<Selector, Undecidable> {
    let map = object(v, at)?;
    only(map, &["matchLabels", "matchExpressions"], at)?;
    let labels = match field(map, "matchLabels") {
        Some(v) => string_map(v, &format!("{at}.matchLabels"))?,
        None => BTreeMap::new(),
    };
    let mut exprs = Vec::new();
    if let Some(v) = field(map, "matchExpressions") {
        for (i, e) in list(v, &format!("{at}.matchExpressions"))?
            .iter()
            .enumerate()
        {
            let at = format!("{at}.matchExpressions[{i}]");
            let e = object(e, &at)?;
            only(e, &["key", "operator", "values"], &at)?;
            let key = string(
                field(e, "key").ok_or_else(|| bad(&at, "`key` is missing"))?,
                &format!("{at}.key"),
            )?;
            let op = string(
                field(e, "operator").ok_or_else(|| bad(&at, "`operator` is missing"))?,
                &format!("{at}.operator"),
            )?;
            // [selector] matchExpressions.operator: In, NotIn, Exists, DoesNotExist (Gt and Lt
            // exist only for node selectors).
            let op = match op {
                "In" => Op::In,
                "NotIn" => Op::NotIn,
                "Exists" => Op::Exists,
                "DoesNotExist" => Op::DoesNotExist,
                other => {
                    return Err(bad(
                        &format!("{at}.operator"),
                        format!("unknown operator `{other}`"),
                    ));
                }
            };
            let values: BTreeSet<String> = match field(e, "values") {
                Some(v) => list(v, &format!("{at}.values"))?
                    .iter()
                    .enumerate()
                    .map(|(j, s)| string(s, &format!("{at}.values[{j}]")).map(str::to_owned))
                    .collect::<Result<_, _>>()?,
                None => BTreeSet::new(),
            };
            // [selector] matchExpressions.values: In and NotIn need values, Exists and
            // DoesNotExist take none.
            match op {
                Op::In | Op::NotIn if values.is_empty() => {
                    return Err(bad(&at, "`In` and `NotIn` need at least one value"));
                }
                Op::Exists | Op::DoesNotExist if !values.is_empty() => {
                    return Err(bad(&at, "`Exists` and `DoesNotExist` take no values"));
                }
                _ => {}
            }
            exprs.push(Requirement {
                key: key.to_owned(),
                op,
                values,
            });
        }
    }
    Ok(Selector { labels, exprs })
}

fn cidr(v: &Value, at: &str) -> Result<IpNet, Undecidable> {
    let text = string(v, at)?;
    text.parse::<IpNet>()
        .map_err(|e| bad(at, format!("`{text}` is not a CIDR: {e}")))
}

fn peer(v: &Value, at: &str) -> Result<Peer, Undecidable> {
    let map = object(v, at)?;
    only(map, &["ipBlock", "namespaceSelector", "podSelector"], at)?;
    let block = field(map, "ipBlock");
    let namespaces = field(map, "namespaceSelector")
        .map(|v| selector(v, &format!("{at}.namespaceSelector")))
        .transpose()?;
    let pods = field(map, "podSelector")
        .map(|v| selector(v, &format!("{at}.podSelector")))
        .transpose()?;
    match block {
        // [validation] ValidateNetworkPolicyPeer: ipBlock excludes the two selectors.
        Some(_) if namespaces.is_some() || pods.is_some() => Err(bad(
            at,
            "`ipBlock` cannot be combined with `namespaceSelector` or `podSelector` in one peer",
        )),
        Some(b) => {
            let at = format!("{at}.ipBlock");
            let b = object(b, &at)?;
            only(b, &["cidr", "except"], &at)?;
            let net = cidr(
                field(b, "cidr").ok_or_else(|| bad(&at, "`cidr` is missing"))?,
                &format!("{at}.cidr"),
            )?
            .trunc();
            let mut except = Vec::new();
            if let Some(v) = field(b, "except") {
                for (i, e) in list(v, &format!("{at}.except"))?.iter().enumerate() {
                    let eat = format!("{at}.except[{i}]");
                    let e = cidr(e, &eat)?.trunc();
                    // [validation] ValidateIPBlock: the API server rejects an except entry
                    // that is not strictly inside `cidr` (equal to it included).
                    if !net.contains(&e) || e.prefix_len() <= net.prefix_len() {
                        return Err(bad(
                            &eat,
                            format!("`{e}` is not a strict subset of `{net}`"),
                        ));
                    }
                    except.push(e);
                }
            }
            Ok(Peer::Block { cidr: net, except })
        }
        // [validation] ValidateNetworkPolicyPeer: a peer with none of the three is rejected.
        None if namespaces.is_none() && pods.is_none() => Err(bad(
            at,
            "a peer needs `ipBlock`, `namespaceSelector` or `podSelector`",
        )),
        None => Ok(Peer::Pods { namespaces, pods }),
    }
}

fn port_number(v: &Value, at: &str) -> Result<u16, Undecidable> {
    // [validation] ValidateNetworkPolicyPort: ports are valid port numbers, 1-65535.
    v.as_u64()
        .and_then(|n| u16::try_from(n).ok())
        .filter(|n| *n != 0)
        .ok_or_else(|| bad(at, format!("`{v}` is not a port number (1-65535)")))
}

fn port(v: &Value, at: &str) -> Result<Port, Undecidable> {
    let map = object(v, at)?;
    only(map, &["protocol", "port", "endPort"], at)?;
    // [api] NetworkPolicyPort, field `protocol`: TCP when absent
    // ([defaults] SetDefaults_NetworkPolicyPort); [validation]: only TCP, UDP and SCTP.
    let proto = match field(map, "protocol") {
        None => Proto::Tcp,
        Some(p) => match string(p, &format!("{at}.protocol"))? {
            "TCP" => Proto::Tcp,
            "UDP" => Proto::Udp,
            "SCTP" => Proto::Sctp,
            other => {
                return Err(bad(
                    &format!("{at}.protocol"),
                    format!("unknown protocol `{other}` (TCP, UDP or SCTP)"),
                ));
            }
        },
    };
    let end = field(map, "endPort");
    let range = match field(map, "port") {
        // [api] NetworkPolicyPort, field `port`: absent means every port of the protocol;
        // [validation] ValidateNetworkPolicyPort: no `endPort` without `port`.
        None => {
            if end.is_some() {
                return Err(bad(at, "`endPort` without `port`"));
            }
            None
        }
        // A named port's number is whatever the destination pod's container spec says; we never
        // emit them and this model has no container ports, so it refuses rather than guess.
        Some(Value::String(name)) => {
            return Err(bad(
                &format!("{at}.port"),
                format!(
                    "named port `{name}`: its number depends on the destination pod's containers, which this model does not know"
                ),
            ));
        }
        Some(p) => {
            let first = port_number(p, &format!("{at}.port"))?;
            // [api] NetworkPolicyPort, field `endPort`: port..=endPort, both included
            // ([concepts] "Targeting a range of ports"); [validation]: endPort >= port.
            let last = match end {
                None => first,
                Some(e) => {
                    let last = port_number(e, &format!("{at}.endPort"))?;
                    if last < first {
                        return Err(bad(
                            &format!("{at}.endPort"),
                            format!("{last} is less than `port` {first}"),
                        ));
                    }
                    last
                }
            };
            Some((first, last))
        }
    };
    Ok(Port { proto, range })
}

fn rule(v: &Value, at: &str) -> Result<Rule, Undecidable> {
    let map = object(v, at)?;
    only(map, &["to", "ports"], at)?;
    let to = match field(map, "to") {
        Some(v) => list(v, &format!("{at}.to"))?
            .iter()
            .enumerate()
            .map(|(i, p)| peer(p, &format!("{at}.to[{i}]")))
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let ports = match field(map, "ports") {
        Some(v) => list(v, &format!("{at}.ports"))?
            .iter()
            .enumerate()
            .map(|(i, p)| port(p, &format!("{at}.ports[{i}]")))
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    Ok(Rule { to, ports })
}

fn policy(doc: &Value, index: usize) -> Result<Policy, Undecidable> {
    let at = format!("document {}", index + 1);
    let top = object(doc, &at)?;
    only(top, &["apiVersion", "kind", "metadata", "spec"], &at)?;
    let api = field(top, "apiVersion").ok_or_else(|| bad(&at, "`apiVersion` is missing"))?;
    let kind = field(top, "kind").ok_or_else(|| bad(&at, "`kind` is missing"))?;
    let (api, kind) = (string(api, &at)?, string(kind, &at)?);
    if (api, kind) != ("networking.k8s.io/v1", "NetworkPolicy") {
        return Err(bad(
            &at,
            format!("`{api}` `{kind}` is not a networking.k8s.io/v1 NetworkPolicy"),
        ));
    }
    let meta_at = format!("{at} metadata");
    let meta = object(
        field(top, "metadata").ok_or_else(|| bad(&at, "`metadata` is missing"))?,
        &meta_at,
    )?;
    only(
        meta,
        &["name", "namespace", "labels", "annotations"],
        &meta_at,
    )?;
    let name = string(
        field(meta, "name").ok_or_else(|| bad(&meta_at, "`name` is missing"))?,
        &format!("{meta_at}.name"),
    )?;
    // Without a namespace the object lands in whatever namespace `kubectl` is pointed at: the
    // YAML alone does not say which pods it selects.
    let namespace = string(
        field(meta, "namespace").ok_or_else(|| {
            bad(
                &meta_at,
                "`namespace` is missing: the policy's pods depend on where it is applied",
            )
        })?,
        &format!("{meta_at}.namespace"),
    )?;
    for k in ["labels", "annotations"] {
        if let Some(v) = field(meta, k) {
            string_map(v, &format!("{meta_at}.{k}"))?;
        }
    }
    let at = format!("{namespace}/{name}");
    let empty = Map::new();
    // [api] NetworkPolicy `spec` is optional: a missing spec is the empty spec.
    let spec = match field(top, "spec") {
        Some(s) => object(s, &format!("{at} spec"))?,
        None => &empty,
    };
    only(
        spec,
        &["podSelector", "policyTypes", "ingress", "egress"],
        &format!("{at} spec"),
    )?;
    // [api] NetworkPolicySpec, field `podSelector`: empty (or absent) selects every pod of the
    // policy's namespace.
    let selector = match field(spec, "podSelector") {
        Some(v) => selector(v, &format!("{at} spec.podSelector"))?,
        None => Selector::default(),
    };
    let rules: Vec<Rule> = match field(spec, "egress") {
        Some(v) => list(v, &format!("{at} spec.egress"))?
            .iter()
            .enumerate()
            .map(|(i, r)| rule(r, &format!("{at} spec.egress[{i}]")))
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    // Ingress rules never decide egress; they are only checked to be a list.
    if let Some(v) = field(spec, "ingress") {
        list(v, &format!("{at} spec.ingress"))?;
    }
    let mut types = Vec::new();
    if let Some(v) = field(spec, "policyTypes") {
        for (i, t) in list(v, &format!("{at} spec.policyTypes"))?
            .iter()
            .enumerate()
        {
            let tat = format!("{at} spec.policyTypes[{i}]");
            // [validation] ValidateNetworkPolicySpec: only Ingress and Egress are valid.
            match string(t, &tat)? {
                t @ ("Ingress" | "Egress") => types.push(t),
                other => {
                    return Err(bad(
                        &tat,
                        format!("unknown policy type `{other}` (Ingress or Egress)"),
                    ));
                }
            }
        }
    }
    // [api] NetworkPolicySpec, field `policyTypes`: when not given, a policy affects egress
    // only if it has an egress section. [defaults] SetDefaults_NetworkPolicy: an empty or absent
    // list becomes [Ingress], plus Egress only when `spec.egress` has at least one rule, so
    // `egress: []` does not count.
    let egress = if types.is_empty() {
        !rules.is_empty()
    } else {
        types.contains(&"Egress")
    };
    Ok(Policy {
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        selector,
        egress,
        rules,
    })
}

impl Model {
    /// Reads a YAML stream of NetworkPolicy objects.
    pub fn load(yaml: &str) -> Result<Model, Undecidable> {
        let mut policies: Vec<Policy> = Vec::new();
        for (i, doc) in documents(yaml)?.iter().enumerate() {
            let p = policy(doc, i)?;
            // Two objects with one name in one namespace: the second replaces the first when
            // applied, which is never what a stream of ours means.
            if policies
                .iter()
                .any(|q| q.namespace == p.namespace && q.name == p.name)
            {
                return Err(bad(
                    &format!("document {}", i + 1),
                    format!("{}/{} appears twice", p.namespace, p.name),
                ));
            }
            policies.push(p);
        }
        Ok(Model { policies })
    }
}

// ---------------------------------------------------------------------------------------------
// Deciding.

/// How close a miss came: lower is closer. (1, _, _): the destination matched and the port did
/// not; (2, 0, _): in an `except` range, or in the namespace but not the pods; (2, 1, _):
/// outside the range, or another namespace; (2, 2, _): the wrong kind of peer (an address for a
/// pod peer). The last is 1 when the ports missed too.
type Closeness = (u8, u8, u8);

enum Outcome {
    Match(String),
    Miss(Closeness, String),
    /// The answer depends on the address of a host that has none.
    NeedsAddress,
}

/// The namespace's labels: only `kubernetes.io/metadata.name` ([labels]).
fn namespace_labels(namespace: &str) -> Labels {
    Labels::from([(NAMESPACE_NAME.to_owned(), namespace.to_owned())])
}

fn peer_outcome(policy: &Policy, peer: &Peer, dest: &Destination) -> Outcome {
    match (peer, dest) {
        // [concepts] "The NetworkPolicy resource", ipBlock: a CIDR range of destinations;
        // [api] IPBlock, field `except`: ranges removed from it. A host name matches by the
        // address it resolved to.
        (
            Peer::Block { cidr, except },
            Destination::Address(a)
            | Destination::Host {
                address: Some(a), ..
            },
        ) => {
            if !cidr.contains(a) {
                Outcome::Miss((2, 1, 0), format!("{a} is outside {cidr}"))
            } else if let Some(e) = except.iter().find(|e| e.contains(a)) {
                Outcome::Miss((2, 0, 0), format!("{a} is in {cidr} but in except {e}"))
            } else {
                Outcome::Match(format!("{a} is in ipBlock {cidr}"))
            }
        }
        (Peer::Block { .. }, Destination::Host { address: None, .. }) => Outcome::NeedsAddress,
        // [concepts] "The NetworkPolicy resource", ipBlock: meant for addresses outside the
        // cluster, pod addresses being ephemeral; our flow model gives pods no address, so
        // address ranges match no pod.
        (Peer::Block { cidr, .. }, Destination::Pod(p)) => Outcome::Miss(
            (2, 2, 0),
            format!("{p} is a pod, and ipBlock {cidr} matches addresses only"),
        ),
        (Peer::Pods { namespaces, pods }, Destination::Pod(p)) => {
            // [api] NetworkPolicyPeer: `podSelector` alone looks in the policy's own namespace;
            // `namespaceSelector` alone takes every pod of the namespaces it selects; the two
            // in one peer take the pods matching podSelector within the namespaces matching
            // namespaceSelector ([concepts] "Behavior of to and from selectors": one element
            // with both is an AND, two elements an OR).
            match namespaces {
                None if p.namespace != policy.namespace => {
                    return Outcome::Miss(
                        (2, 1, 0),
                        format!(
                            "{p} is not in namespace {} (a podSelector without namespaceSelector selects the policy's own namespace)",
                            policy.namespace
                        ),
                    );
                }
                Some(ns) if !ns.matches(&namespace_labels(&p.namespace)) => {
                    return Outcome::Miss(
                        (2, 1, 0),
                        format!(
                            "namespace {} does not match namespaceSelector {ns}",
                            p.namespace
                        ),
                    );
                }
                _ => {}
            }
            match pods {
                Some(sel) if !sel.matches(&p.labels) => {
                    Outcome::Miss((2, 0, 0), format!("{p} does not match podSelector {sel}"))
                }
                Some(sel) => Outcome::Match(format!("{p} matches podSelector {sel}")),
                None => Outcome::Match(format!(
                    "{p} is in a namespace matching namespaceSelector {}",
                    namespaces
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default()
                )),
            }
        }
        (Peer::Pods { .. }, dest) => Outcome::Miss(
            (2, 2, 0),
            format!("{dest} is not a pod, and namespaceSelector/podSelector peers match pods only"),
        ),
    }
}

/// Why the rule's ports miss the flow, or `None` when they allow it ([api] NetworkPolicyPort:
/// a port entry needs both its protocol and its port to match; the entries are ORed).
fn ports_miss(ports: &[Port], flow: &Flow) -> Option<String> {
    let hit = ports.is_empty()
        || ports.iter().any(|p| {
            p.proto == flow.proto
                && p.range
                    .is_none_or(|(a, b)| a <= flow.port && flow.port <= b)
        });
    (!hit).then(|| {
        format!(
            "{}/{} is not in {}",
            flow.proto.as_str(),
            flow.port,
            describe_ports(ports)
        )
    })
}

/// [api] NetworkPolicyEgressRule: a flow must match the rule's `ports` and its `to`; the `to`
/// entries are ORed.
fn rule_outcome(policy: &Policy, rule: &Rule, flow: &Flow) -> Outcome {
    let ports_miss = ports_miss(&rule.ports, flow);
    let ports_ok = || {
        format!(
            "{}/{} is in {}",
            flow.proto.as_str(),
            flow.port,
            describe_ports(&rule.ports)
        )
    };
    if rule.to.is_empty() {
        let why = "the rule has no `to` (every destination)";
        return match ports_miss {
            None => Outcome::Match(format!("{why} and {}", ports_ok())),
            Some(m) => Outcome::Miss((1, 0, 0), format!("{why}, but {m}")),
        };
    }
    let mut best: Option<(Closeness, String)> = None;
    let mut consider = |c: Closeness, why: String| {
        if best.as_ref().is_none_or(|b| c < b.0) {
            best = Some((c, why));
        }
    };
    let mut needs_address = false;
    for p in &rule.to {
        match (peer_outcome(policy, p, &flow.destination), &ports_miss) {
            (Outcome::Match(m), None) => return Outcome::Match(format!("{m} and {}", ports_ok())),
            (Outcome::Match(m), Some(pm)) => consider((1, 0, 0), format!("{m}, but {pm}")),
            (Outcome::NeedsAddress, None) => needs_address = true,
            (Outcome::NeedsAddress, Some(pm)) => consider((1, 0, 0), pm.clone()),
            (Outcome::Miss(c, m), pm) => consider((c.0, c.1, u8::from(pm.is_some())), m),
        }
    }
    if needs_address {
        return Outcome::NeedsAddress;
    }
    match best {
        Some((c, m)) => Outcome::Miss(c, m),
        None => Outcome::Miss((3, 0, 0), "the rule has no peers".to_owned()),
    }
}

impl Evaluator for Model {
    fn decide(&self, flow: &Flow) -> Result<Decision, Undecidable> {
        let source: &Pod = &flow.source;
        // [concepts] "The two sorts of pod isolation": a pod is isolated for egress when a
        // NetworkPolicy that selects it has Egress in its policyTypes; policies are
        // namespaced, so only those of the pod's own namespace can select it.
        let applying: Vec<&Policy> = self
            .policies
            .iter()
            .filter(|p| {
                p.egress && p.namespace == source.namespace && p.selector.matches(&source.labels)
            })
            .collect();
        if applying.is_empty() {
            // [concepts] "The two sorts of pod isolation": a pod that is not isolated for
            // egress may connect anywhere.
            return Ok(Decision {
                allowed: true,
                rule: None,
                why: "no NetworkPolicy with Egress selects the pod".to_owned(),
                closest: None,
                source: None,
            });
        }
        // [concepts] "The two sorts of pod isolation": policies add up; an isolated pod may
        // make what the union of the egress rules of the policies applying to it allows ([api]
        // NetworkPolicySpec, field `egress`: one matching rule in any of them suffices).
        let mut closest: Option<(Closeness, String)> = None;
        let mut needs_address = false;
        for p in &applying {
            for (i, r) in p.rules.iter().enumerate() {
                let at = format!("{}/{} spec.egress[{i}]", p.namespace, p.name);
                match rule_outcome(p, r, flow) {
                    Outcome::Match(why) => {
                        return Ok(Decision {
                            allowed: true,
                            rule: Some(at),
                            why,
                            closest: None,
                            source: None,
                        });
                    }
                    Outcome::NeedsAddress => needs_address = true,
                    Outcome::Miss(c, why) => {
                        if closest.as_ref().is_none_or(|b| c < b.0) {
                            closest = Some((c, format!("{at}: {why}")));
                        }
                    }
                }
            }
        }
        if needs_address && let Destination::Host { name, .. } = &flow.destination {
            return Err(Undecidable::NeedsAddress { host: name.clone() });
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
            allowed: false,
            rule: None,
            why,
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

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn pod(namespace: &str, pairs: &[(&str, &str)]) -> Pod {
        Pod {
            namespace: namespace.to_owned(),
            labels: labels(pairs),
        }
    }

    fn to_addr(source: &Pod, a: &str, proto: Proto, port: u16) -> Flow {
        Flow {
            source: source.clone(),
            destination: Destination::Address(a.parse().unwrap()),
            proto,
            port,
        }
    }

    fn to_pod(source: &Pod, dest: Pod, proto: Proto, port: u16) -> Flow {
        Flow {
            source: source.clone(),
            destination: Destination::Pod(dest),
            proto,
            port,
        }
    }

    fn to_host(source: &Pod, name: &str, address: Option<&str>, port: u16) -> Flow {
        Flow {
            source: source.clone(),
            destination: Destination::Host {
                name: name.to_owned(),
                address: address.map(|a| a.parse().unwrap()),
            },
            proto: Proto::Tcp,
            port,
        }
    }

    fn decide(yaml: &str, flow: &Flow) -> Decision {
        Model::load(yaml).unwrap().decide(flow).unwrap()
    }

    fn allowed(yaml: &str, flow: &Flow) -> bool {
        decide(yaml, flow).allowed
    }

    fn bad_yaml(yaml: &str) -> String {
        match Model::load(yaml) {
            Err(Undecidable::BadYaml(m)) => m,
            other => panic!("expected BadYaml, got {other:?}"),
        }
    }

    /// A policy in `payments` selecting `app=api`, with `spec` appended (indented by 2).
    fn np(name: &str, spec: &str) -> String {
        format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n  namespace: payments\nspec:\n  podSelector:\n    matchLabels:\n      app: api\n{spec}"
        )
    }

    const API_EGRESS: &str = "# Generated by hand. Do not edit.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  labels:
    app.kubernetes.io/managed-by: egressc
  name: payments-api-egress
  namespace: payments
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
  - Egress
  egress:
  - to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
      podSelector:
        matchLabels:
          k8s-app: kube-dns
    ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
  - to:
    - ipBlock:
        cidr: 10.20.30.0/24
    ports:
    - port: 5432
      protocol: TCP
  - to:
    - ipBlock:
        cidr: 0.0.0.0/0
        except:
        - 169.254.169.254/32
    ports:
    - port: 443
";

    fn api() -> Pod {
        pod("payments", &[("app", "api")])
    }

    #[test]
    fn an_unselected_pod_is_not_isolated() {
        let other = pod("payments", &[("app", "web")]);
        let d = decide(API_EGRESS, &to_addr(&other, "10.20.31.7", Proto::Tcp, 22));
        assert!(d.allowed);
        assert_eq!(d.rule, None);
        assert_eq!(d.why, "no NetworkPolicy with Egress selects the pod");
        // The same labels in another namespace: policies select only in their own namespace.
        let elsewhere = pod("ledger", &[("app", "api")]);
        assert!(allowed(
            API_EGRESS,
            &to_addr(&elsewhere, "10.20.31.7", Proto::Tcp, 22)
        ));
    }

    #[test]
    fn an_isolated_pod_reaches_only_what_a_rule_allows() {
        let d = decide(API_EGRESS, &to_addr(&api(), "10.20.30.7", Proto::Tcp, 5432));
        assert!(d.allowed);
        assert_eq!(
            d.rule.as_deref(),
            Some("payments/payments-api-egress spec.egress[1]")
        );
        assert_eq!(
            d.why,
            "10.20.30.7 is in ipBlock 10.20.30.0/24 and tcp/5432 is in TCP 5432"
        );

        let d = decide(API_EGRESS, &to_addr(&api(), "10.20.30.7", Proto::Tcp, 5433));
        assert!(!d.allowed);
        assert_eq!(d.rule, None);
        assert_eq!(
            d.why,
            "no egress rule of payments/payments-api-egress allows it"
        );
        assert_eq!(
            d.closest.as_deref(),
            Some(
                "payments/payments-api-egress spec.egress[1]: 10.20.30.7 is in ipBlock 10.20.30.0/24, but tcp/5433 is not in TCP 5432"
            )
        );
    }

    #[test]
    fn except_ranges_are_cut_out_of_the_block() {
        let d = decide(
            API_EGRESS,
            &to_addr(&api(), "169.254.169.254", Proto::Tcp, 443),
        );
        assert!(!d.allowed);
        assert_eq!(
            d.closest.as_deref(),
            Some(
                "payments/payments-api-egress spec.egress[2]: 169.254.169.254 is in 0.0.0.0/0 but in except 169.254.169.254/32"
            )
        );
        assert!(allowed(
            API_EGRESS,
            &to_addr(&api(), "169.254.169.253", Proto::Tcp, 443)
        ));
        assert!(allowed(
            API_EGRESS,
            &to_addr(&api(), "169.254.169.255", Proto::Tcp, 443)
        ));
        // No IPv6 range: an IPv6 address is outside.
        let d = decide(API_EGRESS, &to_addr(&api(), "2001:db8::1", Proto::Tcp, 443));
        assert!(!d.allowed);
        assert!(
            d.closest
                .unwrap()
                .ends_with("2001:db8::1 is outside 0.0.0.0/0")
        );
    }

    #[test]
    fn the_closest_miss_prefers_a_matching_destination() {
        // 10.20.31.7:5432 is outside the /24 (closer: right port) and inside 0.0.0.0/0 (wrong
        // port); a matching destination with the wrong port is closer.
        let d = decide(API_EGRESS, &to_addr(&api(), "10.20.31.7", Proto::Tcp, 5432));
        assert!(!d.allowed);
        assert_eq!(
            d.closest.as_deref(),
            Some(
                "payments/payments-api-egress spec.egress[2]: 10.20.31.7 is in ipBlock 0.0.0.0/0, but tcp/5432 is not in TCP 443"
            )
        );
        // A pod of the right namespace with the wrong labels.
        let d = decide(
            API_EGRESS,
            &to_pod(
                &api(),
                pod("kube-system", &[("k8s-app", "coredns")]),
                Proto::Udp,
                53,
            ),
        );
        assert!(!d.allowed);
        assert_eq!(
            d.closest.as_deref(),
            Some(
                "payments/payments-api-egress spec.egress[0]: pods(kube-system){k8s-app=coredns} does not match podSelector k8s-app=kube-dns"
            )
        );
    }

    #[test]
    fn port_without_protocol_is_tcp() {
        // spec.egress[2] has `port: 443` and no protocol.
        assert!(allowed(
            API_EGRESS,
            &to_addr(&api(), "203.0.113.7", Proto::Tcp, 443)
        ));
        let d = decide(API_EGRESS, &to_addr(&api(), "203.0.113.7", Proto::Udp, 443));
        assert!(!d.allowed);
        assert!(
            d.closest
                .unwrap()
                .ends_with("but udp/443 is not in TCP 443")
        );
    }

    #[test]
    fn end_port_is_an_inclusive_range_and_protocol_alone_is_every_port() {
        let yaml = np(
            "ranges",
            "  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.0/8}
    ports:
    - {protocol: UDP, port: 8000, endPort: 8100}
    - protocol: SCTP
",
        );
        let a = api();
        assert!(!allowed(&yaml, &to_addr(&a, "10.1.1.1", Proto::Udp, 7999)));
        assert!(allowed(&yaml, &to_addr(&a, "10.1.1.1", Proto::Udp, 8000)));
        assert!(allowed(&yaml, &to_addr(&a, "10.1.1.1", Proto::Udp, 8100)));
        assert!(!allowed(&yaml, &to_addr(&a, "10.1.1.1", Proto::Udp, 8101)));
        assert!(!allowed(&yaml, &to_addr(&a, "10.1.1.1", Proto::Tcp, 8050)));
        assert!(allowed(&yaml, &to_addr(&a, "10.1.1.1", Proto::Sctp, 1)));
        assert!(allowed(&yaml, &to_addr(&a, "10.1.1.1", Proto::Sctp, 65535)));
        let d = decide(&yaml, &to_addr(&a, "10.1.1.1", Proto::Tcp, 8050));
        assert!(
            d.closest
                .unwrap()
                .ends_with("tcp/8050 is not in UDP 8000-8100, every SCTP port")
        );
    }

    #[test]
    fn missing_or_empty_ports_allow_every_protocol() {
        for ports in ["", "    ports: []\n"] {
            let yaml = np(
                "all-ports",
                &format!(
                    "  policyTypes: [Egress]\n  egress:\n  - to:\n    - ipBlock: {{cidr: 10.0.0.0/8}}\n{ports}"
                ),
            );
            for proto in Proto::ALL {
                assert!(
                    allowed(&yaml, &to_addr(&api(), "10.0.0.1", proto, 1)),
                    "{ports:?} {proto:?}"
                );
            }
            assert!(!allowed(&yaml, &to_addr(&api(), "11.0.0.1", Proto::Tcp, 1)));
        }
    }

    #[test]
    fn missing_or_empty_to_allows_every_destination() {
        for to in ["", "    to: []\n"] {
            let yaml = np(
                "all-destinations",
                &format!(
                    "  policyTypes: [Egress]\n  egress:\n  - ports:\n    - {{port: 443, protocol: TCP}}\n{to}"
                ),
            );
            let a = api();
            assert!(allowed(
                &yaml,
                &to_addr(&a, "198.51.100.1", Proto::Tcp, 443)
            ));
            assert!(allowed(
                &yaml,
                &to_pod(&a, pod("other", &[]), Proto::Tcp, 443)
            ));
            // A host name without an address: nothing depends on its address.
            assert!(allowed(&yaml, &to_host(&a, "api.stripe.com", None, 443)));
            let d = decide(&yaml, &to_addr(&a, "198.51.100.1", Proto::Tcp, 80));
            assert!(!d.allowed);
            assert_eq!(
                d.closest.as_deref(),
                Some(
                    "payments/all-destinations spec.egress[0]: the rule has no `to` (every destination), but tcp/80 is not in TCP 443"
                )
            );
        }
        // `egress: [{}]`: everything.
        let yaml = np("open", "  policyTypes: [Egress]\n  egress:\n  - {}\n");
        assert!(allowed(
            &yaml,
            &to_addr(&api(), "198.51.100.1", Proto::Sctp, 9)
        ));
    }

    #[test]
    fn egress_without_rules_denies_everything() {
        let yaml = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-egress, namespace: payments}
spec:
  podSelector: {}
  policyTypes: [Egress]
";
        let d = decide(
            yaml,
            &to_addr(&pod("payments", &[]), "10.0.0.1", Proto::Tcp, 443),
        );
        assert!(!d.allowed);
        assert_eq!(
            d.why,
            "payments/default-deny-egress selects the pod for Egress with no egress rules: nothing is allowed"
        );
        assert_eq!(d.closest, None);
        assert!(allowed(
            yaml,
            &to_addr(&pod("ledger", &[]), "10.0.0.1", Proto::Tcp, 443)
        ));
    }

    #[test]
    fn policy_types_decide_isolation() {
        let rules = "  egress:\n  - to:\n    - ipBlock: {cidr: 10.0.0.0/8}\n";
        let a = api();
        let outside = to_addr(&a, "192.0.2.1", Proto::Tcp, 80);
        // Missing policyTypes with an egress section: Ingress and Egress.
        let d = decide(&np("implied", rules), &outside);
        assert!(!d.allowed);
        // An empty list is defaulted the same way.
        assert!(!allowed(
            &np("implied", &format!("  policyTypes: []\n{rules}")),
            &outside
        ));
        // Missing policyTypes without an egress section (or with an empty one): Ingress only.
        assert!(allowed(&np("ingress-only", ""), &outside));
        assert!(allowed(&np("ingress-only", "  egress: []\n"), &outside));
        // An explicit [Ingress] ignores the egress rules and does not isolate egress.
        let d = decide(
            &np("ingress", &format!("  policyTypes: [Ingress]\n{rules}")),
            &outside,
        );
        assert!(d.allowed);
        assert_eq!(d.why, "no NetworkPolicy with Egress selects the pod");
        // [Ingress, Egress] isolates.
        assert!(!allowed(
            &np(
                "both",
                &format!("  policyTypes: [Ingress, Egress]\n{rules}")
            ),
            &outside
        ));
    }

    #[test]
    fn policies_selecting_a_pod_form_a_union() {
        let yaml = format!(
            "{}---\n{}",
            np(
                "a",
                "  policyTypes: [Egress]\n  egress:\n  - to:\n    - ipBlock: {cidr: 10.0.0.0/8}\n    ports: [{port: 443}]\n"
            ),
            np(
                "b",
                "  policyTypes: [Egress]\n  egress:\n  - to:\n    - podSelector: {matchLabels: {app: db}}\n    ports: [{port: 5432}]\n"
            ),
        );
        let a = api();
        let d = decide(&yaml, &to_addr(&a, "10.1.2.3", Proto::Tcp, 443));
        assert_eq!(d.rule.as_deref(), Some("payments/a spec.egress[0]"));
        let d = decide(
            &yaml,
            &to_pod(&a, pod("payments", &[("app", "db")]), Proto::Tcp, 5432),
        );
        assert_eq!(d.rule.as_deref(), Some("payments/b spec.egress[0]"));
        let d = decide(&yaml, &to_addr(&a, "10.1.2.3", Proto::Tcp, 5432));
        assert!(!d.allowed);
        assert_eq!(d.why, "no egress rule of payments/a, payments/b allows it");
        // A policy selecting every pod of the namespace adds its rules too.
        let open = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: c, namespace: payments}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{ports: [{port: 5432}]}]\n";
        assert!(allowed(
            &format!("{yaml}{open}"),
            &to_addr(&a, "10.1.2.3", Proto::Tcp, 5432)
        ));
    }

    #[test]
    fn both_selectors_in_one_peer_are_an_and_two_peers_an_or() {
        let and = np(
            "and",
            "  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: ledger}
      podSelector:
        matchLabels: {app: ledger}
",
        );
        let or = np(
            "or",
            "  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: ledger}
    - podSelector:
        matchLabels: {app: ledger}
",
        );
        let a = api();
        let ledger_app = pod("ledger", &[("app", "ledger")]);
        let ledger_other = pod("ledger", &[("app", "worker")]);
        let local_app = pod("payments", &[("app", "ledger")]);
        let far_app = pod("shop", &[("app", "ledger")]);
        assert!(allowed(
            &and,
            &to_pod(&a, ledger_app.clone(), Proto::Tcp, 1)
        ));
        assert!(!allowed(
            &and,
            &to_pod(&a, ledger_other.clone(), Proto::Tcp, 1)
        ));
        assert!(!allowed(
            &and,
            &to_pod(&a, local_app.clone(), Proto::Tcp, 1)
        ));
        assert!(allowed(&or, &to_pod(&a, ledger_app, Proto::Tcp, 1)));
        assert!(allowed(
            &or,
            &to_pod(&a, ledger_other.clone(), Proto::Tcp, 1)
        ));
        assert!(allowed(&or, &to_pod(&a, local_app, Proto::Tcp, 1)));
        // podSelector alone: only the policy's own namespace.
        let d = decide(&or, &to_pod(&a, far_app, Proto::Tcp, 1));
        assert!(!d.allowed);
        let d = decide(&and, &to_pod(&a, ledger_other, Proto::Tcp, 1));
        assert_eq!(
            d.closest.as_deref(),
            Some(
                "payments/and spec.egress[0]: pods(ledger){app=worker} does not match podSelector app=ledger"
            )
        );
        // Pod peers never match addresses.
        let d = decide(&or, &to_addr(&a, "10.0.0.1", Proto::Tcp, 1));
        assert!(!d.allowed);
        // An empty namespaceSelector selects every namespace.
        let every = np(
            "every",
            "  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector: {}\n      podSelector: {matchLabels: {app: otel}}\n",
        );
        assert!(allowed(
            &every,
            &to_pod(&a, pod("anywhere", &[("app", "otel")]), Proto::Tcp, 4317)
        ));
        assert!(!allowed(
            &every,
            &to_pod(&a, pod("anywhere", &[]), Proto::Tcp, 4317)
        ));
    }

    #[test]
    fn match_expressions() {
        let yaml = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: batch, namespace: orders}
spec:
  podSelector:
    matchLabels: {tier: batch}
    matchExpressions:
    - {key: env, operator: In, values: [prod, staging]}
    - {key: app, operator: DoesNotExist}
  policyTypes: [Egress]
  egress:
  - to:
    - podSelector:
        matchExpressions:
        - {key: role, operator: NotIn, values: [admin]}
        - {key: app, operator: Exists}
";
        let dest_ok = pod("orders", &[("app", "x")]);
        let selected = pod("orders", &[("tier", "batch"), ("env", "prod")]);
        let flow = |src: &Pod, dst: Pod| to_pod(src, dst, Proto::Tcp, 80);
        // Selected: isolated; the destination matches NotIn (no `role` label) and Exists.
        assert!(allowed(yaml, &flow(&selected, dest_ok.clone())));
        assert!(allowed(
            yaml,
            &flow(&selected, pod("orders", &[("app", "x"), ("role", "user")]))
        ));
        let d = decide(
            yaml,
            &flow(&selected, pod("orders", &[("app", "x"), ("role", "admin")])),
        );
        assert!(!d.allowed);
        assert!(
            d.closest
                .unwrap()
                .ends_with("does not match podSelector role notin (admin), app")
        );
        assert!(!allowed(yaml, &flow(&selected, pod("orders", &[]))));
        // Not selected (env not in the set, or an `app` label): not isolated.
        for labels in [
            &[("tier", "batch"), ("env", "dev")][..],
            &[("tier", "batch"), ("env", "prod"), ("app", "y")],
            &[("tier", "batch")],
        ] {
            let d = decide(yaml, &flow(&pod("orders", labels), pod("orders", &[])));
            assert!(d.allowed && d.rule.is_none(), "{labels:?}");
        }
    }

    #[test]
    fn host_names_match_by_their_address() {
        let a = api();
        let d = decide(
            API_EGRESS,
            &to_host(&a, "db.internal", Some("10.20.30.9"), 5432),
        );
        assert!(d.allowed);
        assert_eq!(
            d.rule.as_deref(),
            Some("payments/payments-api-egress spec.egress[1]")
        );
        assert!(!allowed(
            API_EGRESS,
            &to_host(&a, "metadata", Some("169.254.169.254"), 443)
        ));
        // Without an address, an ipBlock rule whose ports allow the flow leaves it open.
        let m = Model::load(API_EGRESS).unwrap();
        assert_eq!(
            m.decide(&to_host(&a, "api.stripe.com", None, 443)),
            Err(Undecidable::NeedsAddress {
                host: "api.stripe.com".to_owned()
            })
        );
        // ... but not when no ipBlock rule allows the port: denied whatever the address.
        let d = m
            .decide(&to_host(&a, "api.stripe.com", None, 8443))
            .unwrap();
        assert!(!d.allowed);
        // A non-isolated pod needs no address.
        assert!(
            m.decide(&to_host(&pod("payments", &[]), "api.stripe.com", None, 443))
                .unwrap()
                .allowed
        );
    }

    #[test]
    fn comments_and_empty_documents_are_fine() {
        let yaml = format!("# header\n---\n{API_EGRESS}---\n# trailing comment only\n");
        assert!(allowed(
            &yaml,
            &to_addr(&api(), "10.20.30.7", Proto::Tcp, 5432)
        ));
        let m = Model::load("").unwrap();
        assert!(
            m.decide(&to_addr(&api(), "10.0.0.1", Proto::Tcp, 1))
                .unwrap()
                .allowed
        );
    }

    #[test]
    fn what_it_does_not_understand_is_bad_yaml() {
        let cases: Vec<(String, &str)> = vec![
            (API_EGRESS.replace("kind: NetworkPolicy", "kind: CiliumNetworkPolicy"), "is not a networking.k8s.io/v1 NetworkPolicy"),
            (API_EGRESS.replace("networking.k8s.io/v1", "networking.k8s.io/v1beta1"), "is not a networking.k8s.io/v1 NetworkPolicy"),
            (API_EGRESS.replace("  policyTypes:", "  order: 10\n  policyTypes:"), "payments/payments-api-egress spec: unknown field `order`"),
            (API_EGRESS.replace("  - to:\n    - ipBlock:\n        cidr: 10", "  - action: Deny\n    to:\n    - ipBlock:\n        cidr: 10"), "spec.egress[1]: unknown field `action`"),
            (API_EGRESS.replace("        cidr: 10.20.30.0/24", "        cidr: 10.20.30.0/24\n        cidrs: [10.0.0.0/8]"), "spec.egress[1].to[0].ipBlock: unknown field `cidrs`"),
            (API_EGRESS.replace("    - port: 5432\n", "    - port: 5432\n      name: pg\n"), "spec.egress[1].ports[0]: unknown field `name`"),
            (API_EGRESS.replace("10.20.30.0/24", "10.20.300.0/24"), "spec.egress[1].to[0].ipBlock.cidr: `10.20.300.0/24` is not a CIDR"),
            (API_EGRESS.replace("10.20.30.0/24", "10.20.30.7"), "is not a CIDR"),
            (API_EGRESS.replace("- 169.254.169.254/32", "- 0.0.0.0/0"), "spec.egress[2].to[0].ipBlock.except[0]: `0.0.0.0/0` is not a strict subset of `0.0.0.0/0`"),
            (API_EGRESS.replace("    - port: 5432\n", "    - port: postgres\n"), "spec.egress[1].ports[0].port: named port `postgres`"),
            (API_EGRESS.replace("    - port: 5432\n      protocol: TCP", "    - port: 5432\n      protocol: tcp"), "unknown protocol `tcp`"),
            (API_EGRESS.replace("    - port: 5432\n", "    - port: 5432\n      endPort: 5000\n"), "spec.egress[1].ports[0].endPort: 5000 is less than `port` 5432"),
            (API_EGRESS.replace("    - port: 5432\n", "    - port: 70000\n"), "is not a port number"),
            (API_EGRESS.replace("    - ipBlock:\n        cidr: 10.20.30.0/24", "    - ipBlock:\n        cidr: 10.20.30.0/24\n      podSelector: {}"), "`ipBlock` cannot be combined"),
            (API_EGRESS.replace("    - ipBlock:\n        cidr: 10.20.30.0/24", "    - {}"), "spec.egress[1].to[0]: a peer needs"),
            (API_EGRESS.replace("  namespace: payments\n", ""), "`namespace` is missing"),
            (API_EGRESS.replace("  - Egress", "  - Egres"), "unknown policy type `Egres`"),
            (API_EGRESS.replace("          k8s-app: kube-dns", "          k8s-app: kube-dns\n        matchExpressions:\n        - {key: tier, operator: Gt, values: ['1']}"), "unknown operator `Gt`"),
            (API_EGRESS.replace("          k8s-app: kube-dns", "          k8s-app: kube-dns\n        matchExpressions:\n        - {key: tier, operator: In}"), "need at least one value"),
            (format!("{API_EGRESS}---\n{API_EGRESS}"), "payments/payments-api-egress appears twice"),
        ];
        for (yaml, expected) in cases {
            let m = bad_yaml(&yaml);
            assert!(m.contains(expected), "{m:?} does not contain {expected:?}");
        }
    }

    // ------------------------------------------------------------------------------------------
    // Round trip: our native backend's YAML, read back, against the reference on the IR.

    fn round_trip(src: &str, flows: &[(Flow, bool)]) {
        let c = crate::compile(&[crate::Input::new("t.egress", src)], &[Target::Native]);
        assert!(!c.has_errors(), "{:?}", c.analysis.diagnostics);
        let yaml = c.outputs[0].stream();
        let native = Model::load(&yaml).unwrap();
        let program = c.analysis.ir.as_ref().unwrap();
        let reference = Reference::new(program);
        for (flow, expected) in flows {
            let r = reference.decide(flow).unwrap();
            let n = native.decide(flow).unwrap();
            assert_eq!(
                (r.allowed, n.allowed),
                (*expected, *expected),
                "{flow}\nreference: {r:?}\nnative: {n:?}\n{yaml}"
            );
        }
    }

    #[test]
    fn round_trip_agrees_with_the_reference() {
        let src = "namespace payments
default deny
app payments-api -> dns, rds(10.20.30.0/24:5432), internet:443/tcp deny metadata
";
        let a = pod("payments", &[("app", "payments-api")]);
        let dns = pod("kube-system", &[("k8s-app", "kube-dns")]);
        round_trip(
            src,
            &[
                (to_addr(&a, "10.20.30.7", Proto::Tcp, 5432), true),
                (to_addr(&a, "10.20.31.7", Proto::Tcp, 5432), false),
                (to_addr(&a, "10.20.30.7", Proto::Tcp, 5433), false),
                (to_addr(&a, "10.20.30.7", Proto::Udp, 5432), false),
                (to_addr(&a, "203.0.113.7", Proto::Tcp, 443), true),
                (to_addr(&a, "169.254.169.254", Proto::Tcp, 443), false),
                (to_addr(&a, "169.254.169.253", Proto::Tcp, 443), true),
                (to_addr(&a, "2001:db8::7", Proto::Tcp, 443), true),
                (to_pod(&a, dns.clone(), Proto::Udp, 53), true),
                (to_pod(&a, dns.clone(), Proto::Tcp, 53), true),
                (to_pod(&a, dns, Proto::Udp, 54), false),
                (
                    to_pod(
                        &a,
                        pod("kube-system", &[("k8s-app", "other")]),
                        Proto::Udp,
                        53,
                    ),
                    false,
                ),
                (
                    to_pod(
                        &a,
                        pod("ledger", &[("k8s-app", "kube-dns")]),
                        Proto::Udp,
                        53,
                    ),
                    false,
                ),
                (
                    to_pod(&a, pod("ledger", &[("app", "ledger")]), Proto::Tcp, 443),
                    false,
                ),
                // Other pods of the namespace: the default deny isolates them.
                (
                    to_addr(
                        &pod("payments", &[("app", "web")]),
                        "203.0.113.7",
                        Proto::Tcp,
                        443,
                    ),
                    false,
                ),
                // Pods of a namespace without policies are not isolated.
                (
                    to_addr(
                        &pod("ledger", &[("app", "payments-api")]),
                        "169.254.169.254",
                        Proto::Tcp,
                        80,
                    ),
                    true,
                ),
            ],
        );
    }

    #[test]
    fn round_trip_pods_across_namespaces() {
        let src = "namespace shop
def otel = pods(*){app=otel-collector}:4317/tcp
app storefront -> dns, pods(orders){app=orders-api}:8443, pods{app=cache}:6379, otel
";
        let s = pod("shop", &[("app", "storefront")]);
        round_trip(
            src,
            &[
                (
                    to_pod(
                        &s,
                        pod("orders", &[("app", "orders-api")]),
                        Proto::Tcp,
                        8443,
                    ),
                    true,
                ),
                (
                    to_pod(&s, pod("shop", &[("app", "orders-api")]), Proto::Tcp, 8443),
                    false,
                ),
                (
                    to_pod(&s, pod("shop", &[("app", "cache")]), Proto::Tcp, 6379),
                    true,
                ),
                (
                    to_pod(&s, pod("orders", &[("app", "cache")]), Proto::Tcp, 6379),
                    false,
                ),
                (
                    to_pod(
                        &s,
                        pod("anywhere", &[("app", "otel-collector")]),
                        Proto::Tcp,
                        4317,
                    ),
                    true,
                ),
                (
                    to_pod(
                        &s,
                        pod("anywhere", &[("app", "otel-collector")]),
                        Proto::Udp,
                        4317,
                    ),
                    false,
                ),
                (to_addr(&s, "10.0.0.1", Proto::Tcp, 8443), false),
                // No default deny: other pods of shop are not isolated.
                (
                    to_addr(
                        &pod("shop", &[("app", "web")]),
                        "10.0.0.1",
                        Proto::Tcp,
                        8443,
                    ),
                    true,
                ),
            ],
        );
    }
}
