//! NetworkPolicy YAML → [`Policies`], checked as the API server would check it
//! (`[validation]`) and defaulted as it would default it (`[defaults]`).
//!
//! When importing ([`Mode::Import`](crate::verify::cursor::Mode)), a document without a
//! namespace is in `default` (where `kubectl apply` puts it without `-n`), Calico's
//! `StagedKubernetesNetworkPolicy` is read as the NetworkPolicy it stages, and a port entry with a
//! named port is left out (with the rule, when it was the rule's only port).

use std::collections::HashSet;

use ipnet::IpNet;

use super::{Peer, Policies, Policy, Rule};
use crate::verify::cursor::{self, Cursor, Effect, ReadError, Reader};
use crate::verify::labels::{self, LabelSelector};
use crate::verify::ports::{PortMatch, PortRange, Protocol};
use crate::verify::yaml::{Document, Value};

/// Reads every document of a stream as a NetworkPolicy.
pub fn policies(docs: &[Document], reader: &Reader) -> Result<Policies, ReadError> {
    let mut policies: Vec<Policy> = Vec::new();
    let mut names: HashSet<(String, String)> = HashSet::new();
    for doc in docs {
        let root = reader.document(doc);
        let p = policy(&root)?;
        // Two objects with one name in one namespace: the second replaces the first when
        // applied, which is never what a stream of ours means.
        if !names.insert((p.namespace.clone(), p.name.clone())) {
            return Err(root.error(format!("{}/{} appears twice", p.namespace, p.name)));
        }
        policies.push(p);
    }
    Ok(Policies(policies))
}

/// The namespace a document without one is applied to by `kubectl apply` (without `-n`).
pub const DEFAULT_NAMESPACE: &str = "default";

/// Calico's staged form of a NetworkPolicy: not enforced; when importing, read as what it stages.
const STAGED: (&str, &str) = ("projectcalico.org/v3", "StagedKubernetesNetworkPolicy");

fn policy(root: &Cursor<'_>) -> Result<Policy, ReadError> {
    let reader = root.reader();
    let top = root.map(&["apiVersion", "kind", "metadata", "spec", "status"])?;
    let api = top.required("apiVersion")?.str()?;
    let kind = top.required("kind")?.str()?;
    let staged = (api, kind) == STAGED && reader.importing();
    if (api, kind) != ("networking.k8s.io/v1", "NetworkPolicy") && !staged {
        return Err(top.error(format!(
            "`{api}` `{kind}` is not a networking.k8s.io/v1 NetworkPolicy"
        )));
    }
    let meta = cursor::metadata(&top)?;
    let name = meta.name;
    // Without a namespace the object lands in whatever namespace `kubectl` is pointed at: the
    // evaluators refuse to guess; the importer reads it as `kubectl apply` without `-n` would.
    let namespace = match meta.namespace {
        Some(ns) => ns,
        None if reader.importing() => DEFAULT_NAMESPACE,
        None => {
            return Err(meta
                .fields
                .error("`namespace` is missing: the policy's pods depend on where it is applied"));
        }
    };
    let top = top.named(format!("{namespace}/{name}"));
    let mut spec_keys = vec!["podSelector", "policyTypes", "ingress", "egress"];
    if staged {
        spec_keys.push("stagedAction");
        reader.record(
            &top.get_or_empty("spec"),
            root.pos(),
            "staged, so not enforced yet: imported as the policy it stages",
            Effect::None,
        );
    }
    // [api] NetworkPolicy `spec` is optional: a missing spec is the empty spec.
    let (selector, rules, written, types) = match top.get("spec") {
        None => (LabelSelector::default(), Vec::new(), 0, Vec::new()),
        Some(spec) => {
            let spec = spec.map(&spec_keys)?;
            if let Some(a) = spec.get("stagedAction") {
                match a.str()? {
                    "Set" => {}
                    "Delete" | "Learn" => {
                        return Err(a.unmodelled(
                            "a staged deletion or learning policy stages no rules to import",
                        ));
                    }
                    other => {
                        return Err(a.error(format!(
                            "unknown staged action `{other}` (Set, Delete or Learn)"
                        )));
                    }
                }
            }
            // [api] NetworkPolicySpec, field `podSelector`: empty (or absent) selects every pod
            // of the policy's namespace.
            let selector = match spec.get("podSelector") {
                Some(s) => labels::read(&s)?,
                None => LabelSelector::default(),
            };
            let written = spec.list("egress")?;
            let mut rules = Vec::new();
            for r in &written {
                rules.extend(rule(r)?);
            }
            // Ingress rules never decide egress; they are only checked to be a list.
            spec.list("ingress")?;
            spec.ignored(
                "ingress",
                "ingress rules are not carried over (egress only)",
            );
            let mut types = Vec::new();
            for t in spec.list("policyTypes")? {
                // [validation] ValidateNetworkPolicySpec: only Ingress and Egress are valid.
                match t.str()? {
                    "Egress" => types.push("Egress"),
                    "Ingress" => {
                        types.push("Ingress");
                        reader.record(
                            &t,
                            t.pos(),
                            "the ingress isolation this policy type gives is not carried over (egress only)",
                            Effect::None,
                        );
                    }
                    other => {
                        return Err(
                            t.error(format!("unknown policy type `{other}` (Ingress or Egress)"))
                        );
                    }
                }
            }
            (selector, rules, written.len(), types)
        }
    };
    // [api] NetworkPolicySpec, field `policyTypes`: when not given, a policy affects egress
    // only if it has an egress section. [defaults] SetDefaults_NetworkPolicy: an empty or absent
    // list becomes [Ingress], plus Egress only when `spec.egress` has at least one rule, so
    // `egress: []` does not count. (A rule left out when importing still counts: the policy
    // isolates as written.)
    let egress = if types.is_empty() {
        written > 0
    } else {
        types.contains(&"Egress")
    };
    Ok(Policy {
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        selector,
        egress,
        rules,
        pos: root.pos(),
    })
}

/// An egress rule; `None` when importing and every port it named was left out (a rule
/// without ports would allow every port).
fn rule(c: &Cursor<'_>) -> Result<Option<Rule>, ReadError> {
    let reader = c.reader();
    let m = c.map(&["to", "ports"])?;
    let written = m.list("ports")?;
    let mut ports = Vec::new();
    for p in &written {
        ports.extend(reader.allowance(p, port(p))?);
    }
    if !written.is_empty() && ports.is_empty() {
        return Ok(None);
    }
    Ok(Some(Rule {
        to: m.list("to")?.iter().map(peer).collect::<Result<_, _>>()?,
        ports,
        pos: c.pos(),
    }))
}

fn cidr(c: &Cursor<'_>) -> Result<IpNet, ReadError> {
    let text = c.str()?;
    text.parse::<IpNet>()
        .map(|n| n.trunc())
        .map_err(|e| c.error(format!("`{text}` is not a CIDR: {e}")))
}

fn peer(c: &Cursor<'_>) -> Result<Peer, ReadError> {
    let m = c.map(&["ipBlock", "namespaceSelector", "podSelector"])?;
    let namespaces = m
        .get("namespaceSelector")
        .map(|s| labels::read(&s))
        .transpose()?;
    let pods = m.get("podSelector").map(|s| labels::read(&s)).transpose()?;
    match m.get("ipBlock") {
        // [validation] ValidateNetworkPolicyPeer: ipBlock excludes the two selectors.
        Some(_) if namespaces.is_some() || pods.is_some() => Err(m.error(
            "`ipBlock` cannot be combined with `namespaceSelector` or `podSelector` in one peer",
        )),
        Some(b) => {
            let b = b.map(&["cidr", "except"])?;
            let net = cidr(&b.required("cidr")?)?;
            let mut except = Vec::new();
            for e in b.list("except")? {
                let n = cidr(&e)?;
                // [validation] ValidateIPBlock: the API server rejects an except entry that is
                // not strictly inside `cidr` (equal to it included).
                if !net.contains(&n) || n.prefix_len() <= net.prefix_len() {
                    return Err(e.error(format!("`{n}` is not a strict subset of `{net}`")));
                }
                except.push(n);
            }
            Ok(Peer::Block {
                cidr: net,
                except,
                pos: c.pos(),
            })
        }
        // [validation] ValidateNetworkPolicyPeer: a peer with none of the three is rejected.
        None if namespaces.is_none() && pods.is_none() => {
            Err(m.error("a peer needs `ipBlock`, `namespaceSelector` or `podSelector`"))
        }
        None => Ok(Peer::Pods {
            namespaces,
            pods,
            pos: c.pos(),
        }),
    }
}

/// [validation] ValidateNetworkPolicyPort: ports are valid port numbers, 1-65535.
fn port_number(c: &Cursor<'_>) -> Result<u16, ReadError> {
    c.int()
        .and_then(|n| u16::try_from(n).ok())
        .filter(|n| *n != 0)
        .ok_or_else(|| c.error(format!("`{}` is not a port number (1-65535)", c.value())))
}

fn port(c: &Cursor<'_>) -> Result<PortMatch, ReadError> {
    let m = c.map(&["protocol", "port", "endPort"])?;
    // [api] NetworkPolicyPort, field `protocol`: TCP when absent
    // ([defaults] SetDefaults_NetworkPolicyPort); [validation]: only TCP, UDP and SCTP.
    let protocol = match m.get("protocol") {
        None => Protocol::TCP,
        Some(p) => match p.str()? {
            "TCP" => Protocol::TCP,
            "UDP" => Protocol::UDP,
            "SCTP" => Protocol::SCTP,
            other => {
                return Err(p.error(format!("unknown protocol `{other}` (TCP, UDP or SCTP)")));
            }
        },
    };
    let end = m.get("endPort");
    let ports = match m.get("port") {
        // [api] NetworkPolicyPort, field `port`: absent means every port of the protocol;
        // [validation] ValidateNetworkPolicyPort: no `endPort` without `port`.
        None => {
            if end.is_some() {
                return Err(m.error("`endPort` without `port`"));
            }
            None
        }
        Some(p) => {
            // A named port's number is whatever the destination pod's container spec says; we
            // never emit them and this model has no container ports, so it refuses rather than
            // guess.
            if let Value::Str(name) = p.value() {
                return Err(p.unmodelled(format!(
                    "named port `{name}`: its number depends on the destination pod's containers, which this model does not know"
                )));
            }
            let first = port_number(&p)?;
            // [api] NetworkPolicyPort, field `endPort`: port..=endPort, both included
            // ([concepts] "Targeting a range of ports"); [validation]: endPort >= port.
            let last = match end {
                None => first,
                Some(e) => {
                    let last = port_number(&e)?;
                    if last < first {
                        return Err(e.error(format!("{last} is less than `port` {first}")));
                    }
                    last
                }
            };
            Some(PortRange { first, last })
        }
    };
    Ok(PortMatch {
        protocol: Some(protocol),
        ports,
    })
}
