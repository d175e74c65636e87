//! CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy YAML → [`Policies`]. A field Cilium
//! knows but this evaluator does not model is refused with the reason (`hint`).
//!
//! When importing ([`Mode::Import`](crate::verify::cursor::Mode)), what is not modelled is left
//! out where that only narrows: an egress rule, one of its `toEndpoints` selectors or CIDRs, a
//! `toPorts` entry or one of its ports (a rule whose every peer or port entry was left out goes
//! with them, since without them it would reach more); ingress sections are skipped; a
//! CiliumNetworkPolicy without a namespace is in `default`. A deny rule is never left out.

use std::net::IpAddr;

use ipnet::IpNet;

use super::fqdn::Fqdn;
use super::http::HttpRule;
use super::selector::{self, Place};
use super::{Cidr, Entity, IcmpType, Peers, Policies, PortRule, Rule, Spec};
use crate::verify::cursor::{self, Cursor, Fields, ReadError, Reader};
use crate::verify::native::read::DEFAULT_NAMESPACE;
use crate::verify::ports::{PortMatch, PortRange, Protocol};
use crate::verify::yaml::{Document, Value};

const API_VERSION: &str = "cilium.io/v2";
const POLICY: &str = "CiliumNetworkPolicy";
const CLUSTERWIDE: &str = "CiliumClusterwideNetworkPolicy";

/// Why a field Cilium knows is still not read here.
fn hint(field: &str) -> Option<&'static str> {
    Some(match field {
        "ingress" | "ingressDeny" => {
            "ingress rules decide pod-to-pod flows at the destination, which this evaluator does not model"
        }
        "toServices" | "toGroups" | "toNodes" | "toRequires" => "this kind of peer is not modelled",
        "kafka" | "l7proto" | "l7" => "L7 rules other than DNS and HTTP are not modelled",
        "listener" | "originatingTLS" | "terminatingTLS" => {
            "proxy redirects and TLS termination are not modelled"
        }
        "cidrGroupRef" | "cidrGroupSelector" => {
            "CiliumCIDRGroup references need objects this stream does not hold"
        }
        _ => return None,
    })
}

/// A mapping of a Cilium policy whose keys are all in `known`.
fn fields<'a>(c: &Cursor<'a>, known: &[&str]) -> Result<Fields<'a>, ReadError> {
    c.map_explained(known, hint)
}

/// [`fields`] of an `egressDeny` rule or one of its `toPorts` entries: [deny] egressDeny has no
/// `toFQDNs` and no L7 rules.
fn deny_fields<'a>(c: &Cursor<'a>, known: &[&str]) -> Result<Fields<'a>, ReadError> {
    c.map_explained(known, |k| match k {
        "toFQDNs" => Some("egressDeny rules have no `toFQDNs`"),
        "rules" => Some("egressDeny rules have no L7 `rules`"),
        _ => hint(k),
    })
}

/// A peer list: absent is `None`; an explicitly empty list is refused, as Cilium reads `[]` as
/// absent (`len() == 0`), which would turn a peer rule into a rule for every destination.
fn peer_items<'a>(m: &Fields<'a>, key: &str) -> Result<Option<Vec<Cursor<'a>>>, ReadError> {
    let Some(c) = m.get(key) else {
        return Ok(None);
    };
    let list = c.list()?;
    if list.is_empty() {
        return Err(c.unmodelled(
            "an empty list: Cilium reads it as absent, which widens the rule to every destination",
        ));
    }
    Ok(Some(list))
}

/// An address or a prefix (an address alone is a host prefix).
fn net(c: &Cursor<'_>) -> Result<IpNet, ReadError> {
    let text = c.str()?;
    if let Ok(n) = text.parse::<IpNet>() {
        return Ok(n.trunc());
    }
    text.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| c.error(format!("`{text}` is not a CIDR")))
}

fn ports_entry(c: &Cursor<'_>) -> Result<PortMatch, ReadError> {
    let m = fields(c, &["port", "endPort", "protocol"])?;
    // [layer4] `Port string`: a number or a port name. Names need the destination's pod spec,
    // and the CRD keeps the number a string. An entry without a port names a protocol only
    // (VRRP, GRE, ...).
    let port = m.get("port").ok_or_else(|| {
        m.cursor()
            .unmodelled("a port entry without a port is not modelled")
    })?;
    let text = port.str()?;
    let first = text.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
        port.unmodelled(format!(
            "`{text}`: only port numbers 1-65535 are modelled (not names, not 0)"
        ))
    })?;
    let last = match m.get("endPort") {
        None => first,
        Some(e) => e
            .int()
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p >= first)
            .ok_or_else(|| {
                e.error(format!(
                    "`{}` is not a port number from {first} to 65535",
                    e.value()
                ))
            })?,
    };
    // [layer4] "Protocol is the L4 protocol. If omitted or empty, any protocol matches."
    let protocol = match m.get("protocol") {
        None => None,
        Some(p) => match p.str()? {
            "" | "ANY" => None,
            "TCP" => Some(Protocol::TCP),
            "UDP" => Some(Protocol::UDP),
            "SCTP" => Some(Protocol::SCTP),
            other => {
                return Err(p.unmodelled(format!(
                    "protocol `{other}` (modelled: TCP, UDP, SCTP, ANY)"
                )));
            }
        },
    };
    Ok(PortMatch {
        protocol,
        ports: Some(PortRange { first, last }),
    })
}

/// A `toPorts` entry; `None` when importing and every port it named was left out.
fn port_rule(c: &Cursor<'_>, deny: bool) -> Result<Option<PortRule>, ReadError> {
    let reader = c.reader();
    let m = if deny {
        deny_fields(c, &["ports"])?
    } else {
        fields(c, &["ports", "rules", "serverNames"])?
    };
    let list = m.list("ports")?;
    if list.is_empty() {
        return Err(c.unmodelled("no `ports`: what such an entry matches is not modelled"));
    }
    let mut ports = Vec::new();
    for p in &list {
        if deny {
            ports.push(ports_entry(p)?);
        } else {
            ports.extend(reader.allowance(p, ports_entry(p))?);
        }
    }
    if ports.is_empty() {
        return Ok(None);
    }
    let rules = match m.get("rules") {
        None => None,
        Some(r) => Some((fields(&r, &["dns", "http"])?, r)),
    };
    // [layer7] "L7Rules is a union of port level rule types ... exactly one of the following
    // must be set".
    let http = match &rules {
        Some((f, r)) if f.get("http").is_some() => {
            if f.get("dns").is_some() {
                return Err(r.error("both `dns` and `http` rules on one port entry"));
            }
            let list = f.list("http")?;
            Some(
                list.iter()
                    .map(HttpRule::read)
                    .collect::<Result<Vec<_>, _>>()?,
            )
        }
        _ => None,
    };
    let dns = match rules {
        None => None,
        Some(_) if http.is_some() => None,
        Some((f, r)) => {
            let list = f.list("dns")?;
            if list.is_empty() {
                return Err(r.error("empty `rules`"));
            }
            // [layer7] "DNS policies do not support port ranges."
            if ports
                .iter()
                .any(|p| p.ports.is_some_and(|r| r.first != r.last))
            {
                return Err(r.error("DNS rules on a port range"));
            }
            Some(list.iter().map(Fqdn::read).collect::<Result<Vec<_>, _>>()?)
        }
    };
    // [crd] `serverNames`: "If not empty, then TLS must be present and one of the provided
    // SNIs must be indicated in the TLS handshake" (`minItems: 1`). Beside L7 rules they need
    // TLS termination, which is not modelled (upstream refuses the merge without it: "cannot
    // merge L7 rules ... with SNI filtering without TLS termination").
    let server_names = match m.get("serverNames") {
        None => None,
        Some(v) => {
            if dns.is_some() || http.is_some() {
                return Err(v.unmodelled(
                    "`serverNames` beside L7 rules need TLS termination, which is not modelled",
                ));
            }
            let list = v.list()?;
            if list.is_empty() {
                return Err(v.error("empty `serverNames`"));
            }
            Some(
                list.iter()
                    .map(Fqdn::server_name)
                    .collect::<Result<Vec<_>, _>>()?,
            )
        }
    };
    Ok(Some(PortRule {
        ports,
        dns,
        http,
        server_names,
    }))
}

fn cidr_rule(c: &Cursor<'_>) -> Result<Cidr, ReadError> {
    let m = fields(c, &["cidr", "except"])?;
    let cidr = net(&m.required("cidr")?)?;
    let except = m
        .list("except")?
        .iter()
        .map(|e| {
            let n = net(e)?;
            // [layer3] except entries are "subnets of the destination prefix".
            if cidr.contains(&n) {
                Ok(n)
            } else {
                Err(e.error(format!("{n} is not inside {cidr}")))
            }
        })
        .collect::<Result<Vec<IpNet>, _>>()?;
    Ok(Cidr { net: cidr, except })
}

/// `icmps[]`: each entry's `fields`, each a `type` (a number; [layer4] also admits CamelCase
/// names, which this model does not read) and a `family` (`IPv4` when absent [crd]).
fn icmps(m: &Fields<'_>) -> Result<Vec<IcmpType>, ReadError> {
    let mut out = Vec::new();
    for entry in m.list("icmps")? {
        let e = fields(&entry, &["fields"])?;
        let list = e.list("fields")?;
        if list.is_empty() {
            return Err(entry.error("no ICMP `fields`: what such an entry matches is not modelled"));
        }
        for f in list {
            let f = fields(&f, &["type", "family"])?;
            let kind_at = f.required("type")?;
            let kind = kind_at
                .int()
                .and_then(|n| u8::try_from(n).ok())
                .ok_or_else(|| {
                    kind_at.error(format!(
                        "`{}`: only ICMP type numbers 0-255 are modelled (not names)",
                        kind_at.value()
                    ))
                })?;
            let v6 = match f.get("family") {
                None => false,
                Some(fam) => match fam.str()? {
                    "IPv4" => false,
                    "IPv6" => true,
                    other => {
                        return Err(fam.error(format!("unknown family `{other}` (IPv4 or IPv6)")));
                    }
                },
            };
            out.push(IcmpType { v6, kind });
        }
    }
    Ok(out)
}

/// A `toEntities` entry; [layer3] "Entities Based" lists them.
fn entity(c: &Cursor<'_>) -> Result<Entity, ReadError> {
    match c.str()? {
        "all" => Ok(Entity::All),
        "world" => Ok(Entity::World(None)),
        "world-ipv4" => Ok(Entity::World(Some(false))),
        "world-ipv6" => Ok(Entity::World(Some(true))),
        "cluster" => Ok(Entity::Cluster),
        "host" => Ok(Entity::Host),
        "remote-node" => Ok(Entity::RemoteNode),
        "kube-apiserver" => Ok(Entity::KubeApiserver),
        other => Err(c.unmodelled(format!(
            "entity `{other}` is not modelled (all, world, world-ipv4, world-ipv6, cluster, host, remote-node and kube-apiserver are)"
        ))),
    }
}

/// The items of a peer list: in an allow rule each one that is not modelled is left out when
/// importing; `None` for an absent list, `Some(empty)` when every item was left out.
fn peers_of<'a, T>(
    m: &Fields<'a>,
    key: &str,
    deny: bool,
    read: impl Fn(&Cursor<'a>) -> Result<T, ReadError>,
) -> Result<Option<Vec<T>>, ReadError> {
    let Some(items) = peer_items(m, key)? else {
        return Ok(None);
    };
    let reader = m.cursor().reader();
    let mut out = Vec::new();
    for item in &items {
        if deny {
            out.push(read(item)?);
        } else {
            out.extend(reader.allowance(item, read(item))?);
        }
    }
    Ok(Some(out))
}

/// An `egress` or `egressDeny` rule; `None` when importing and every peer or port entry of an
/// allow rule was left out (the rule would reach more without them).
fn rule(
    c: &Cursor<'_>,
    cnp_namespace: Option<&str>,
    deny: bool,
) -> Result<Option<Rule>, ReadError> {
    let reader = c.reader();
    let m = if deny {
        deny_fields(
            c,
            &[
                "toEndpoints",
                "toCIDR",
                "toCIDRSet",
                "toEntities",
                "toPorts",
                "icmps",
            ],
        )?
    } else {
        fields(
            c,
            &[
                "toEndpoints",
                "toCIDR",
                "toCIDRSet",
                "toEntities",
                "toFQDNs",
                "toPorts",
                "icmps",
            ],
        )?
    };
    let present: Vec<&str> = [
        "toEndpoints",
        "toCIDR",
        "toCIDRSet",
        "toFQDNs",
        "toEntities",
    ]
    .into_iter()
    .filter(|k| m.get(k).is_some())
    .collect();
    if present.len() > 1 {
        return Err(c.error(format!(
            "Cilium refuses a rule combining {}",
            present.join(" and ")
        )));
    }
    let place = match cnp_namespace {
        Some(ns) => Place::Peer(ns),
        None => Place::ClusterPeer,
    };
    let endpoints = peers_of(&m, "toEndpoints", deny, |s| selector::read(s, place))?;
    let cidr = peers_of(&m, "toCIDR", deny, |c| {
        Ok(Cidr {
            net: net(c)?,
            except: Vec::new(),
        })
    })?;
    let cidr_set = peers_of(&m, "toCIDRSet", deny, cidr_rule)?;
    let fqdns = peers_of(&m, "toFQDNs", deny, Fqdn::read)?;
    let entities = peers_of(&m, "toEntities", deny, entity)?;
    let peers = match (endpoints, cidr.or(cidr_set), fqdns, entities) {
        (Some(e), _, _, _) => Some(Peers::Endpoints(e)),
        (_, Some(c), _, _) => Some(Peers::Cidrs(c)),
        (_, _, Some(f), _) => Some(Peers::Fqdns(f)),
        (_, _, _, Some(e)) => Some(Peers::Entities(e)),
        _ => None,
    };
    let written_ports = m.list("toPorts")?;
    let mut ports = Vec::new();
    for p in &written_ports {
        match port_rule(p, deny) {
            Ok(Some(r)) => ports.push(r),
            Ok(None) => {}
            Err(e) if deny => return Err(e),
            Err(e) => ports.extend(reader.allowance(p, Err(e))?),
        }
    }
    let icmps = icmps(&m)?;
    if !written_ports.is_empty() && !icmps.is_empty() {
        return Err(c.error("Cilium refuses a rule with both `toPorts` and `icmps`"));
    }
    let emptied = match &peers {
        Some(Peers::Endpoints(v)) => v.is_empty(),
        Some(Peers::Cidrs(v)) => v.is_empty(),
        Some(Peers::Fqdns(v)) => v.is_empty(),
        Some(Peers::Entities(v)) => v.is_empty(),
        None => false,
    };
    if emptied || (!written_ports.is_empty() && ports.is_empty()) {
        return Ok(None);
    }
    Ok(Some(Rule {
        peers,
        ports,
        icmps,
        pos: c.pos(),
    }))
}

fn spec(c: &Cursor<'_>, namespace: Option<&str>) -> Result<Spec, ReadError> {
    let reader = c.reader();
    let mut known = vec![
        "endpointSelector",
        "nodeSelector",
        "egress",
        "egressDeny",
        "enableDefaultDeny",
        "description",
        "labels",
    ];
    if reader.importing() {
        known.extend(["ingress", "ingressDeny"]);
    }
    let m = fields(c, &known)?;
    for k in ["ingress", "ingressDeny"] {
        m.list(k)?;
        m.ignored(k, "ingress rules are not carried over (egress only)");
    }
    // [host] a host policy is a CiliumClusterwideNetworkPolicy with a nodeSelector instead of
    // an endpointSelector; [crd] a rule has exactly one of the two.
    let subject = match (m.get("endpointSelector"), m.get("nodeSelector")) {
        (Some(s), None) => {
            selector::read(&s, namespace.map_or(Place::ClusterSubject, Place::Subject))?
        }
        (None, Some(s)) if namespace.is_none() => selector::read(&s, Place::Nodes)?,
        (None, Some(s)) => {
            return Err(
                s.error("a nodeSelector in a CiliumNetworkPolicy: host policies are clusterwide")
            );
        }
        (Some(_), Some(s)) => {
            return Err(s.error("both endpointSelector and nodeSelector: a rule has one subject"));
        }
        (None, None) => {
            m.required("endpointSelector")?;
            return Err(c.error("neither endpointSelector nor nodeSelector"));
        }
    };
    let written = m.list("egress")?;
    let written_deny = m.list("egressDeny")?;
    // `toRequires` adds its requirements to every rule of the policy: leaving its rule out
    // would widen the others, so it is refused, never left out.
    for r in written.iter().chain(&written_deny) {
        if let Value::Map(entries) = r.value()
            && let Some(e) = entries.iter().find(|e| e.key == "toRequires")
        {
            return Err(ReadError {
                pos: Some(e.key_pos),
                ..r.unmodelled(
                    "`toRequires` constrains every rule of the policy and is not modelled",
                )
            });
        }
    }
    let mut egress = Vec::new();
    for r in &written {
        egress.extend(reader.allowance(r, rule(r, namespace, false))?.flatten());
    }
    let mut deny = Vec::new();
    for r in &written_deny {
        deny.extend(rule(r, namespace, true)?);
    }
    let default_deny = match m.get("enableDefaultDeny") {
        None => None,
        Some(d) => {
            let d = fields(&d, &["egress", "ingress"])?;
            if let Some(ingress) = d.get("ingress") {
                ingress.bool()?;
            }
            d.get("egress").map(|e| e.bool()).transpose()?
        }
    };
    m.str("description")?;
    Ok(Spec {
        object: c.object().to_owned(),
        path: c.path(),
        subject,
        egress,
        deny,
        default_deny,
        egress_section: !written.is_empty() || !written_deny.is_empty(),
        pos: c.pos(),
    })
}

fn document(root: &Cursor<'_>) -> Result<Vec<Spec>, ReadError> {
    let reader = root.reader();
    let m = fields(
        root,
        &["apiVersion", "kind", "metadata", "spec", "specs", "status"],
    )?;
    let kind = m.required("kind")?.str()?;
    if kind != POLICY && kind != CLUSTERWIDE {
        return Err(m.error(format!(
            "kind `{kind}`: this evaluator reads {POLICY} and {CLUSTERWIDE}"
        )));
    }
    let api = m.required("apiVersion")?.str()?;
    if api != API_VERSION {
        return Err(m.error(format!("apiVersion `{api}` (expected {API_VERSION})")));
    }
    let meta = cursor::metadata(&m)?;
    let name = meta.name;
    // [k8s] a CiliumNetworkPolicy lives in (and applies to) one namespace; a
    // CiliumClusterwideNetworkPolicy is not namespaced.
    let (object, namespace) = match (kind, meta.namespace) {
        (POLICY, Some(ns)) => (format!("{ns}/{name}"), Some(ns)),
        (POLICY, None) if reader.importing() => (
            format!("{DEFAULT_NAMESPACE}/{name}"),
            Some(DEFAULT_NAMESPACE),
        ),
        (POLICY, None) => {
            return Err(meta.fields.error(format!(
                "{POLICY} `{name}` without a namespace (it would land in the current one)"
            )));
        }
        (_, None) => (name.to_owned(), None),
        (_, Some(_)) => {
            return Err(meta
                .fields
                .error(format!("{CLUSTERWIDE} `{name}` with a namespace")));
        }
    };
    let m = m.named(object.as_str());
    let mut specs = Vec::new();
    if let Some(s) = m.get("spec") {
        specs.push(spec(&s, namespace)?);
    }
    for s in m.list("specs")? {
        specs.push(spec(&s, namespace)?);
    }
    if specs.is_empty() {
        return Err(root.error(format!("`{object}` has neither spec nor specs")));
    }
    Ok(specs)
}

/// Reads every document of a stream as a Cilium policy.
pub fn policies(docs: &[Document], reader: &Reader) -> Result<Policies, ReadError> {
    let mut specs = Vec::new();
    for doc in docs {
        specs.extend(document(&reader.document(doc))?);
    }
    Ok(Policies(specs))
}
