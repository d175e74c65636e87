//! `projectcalico.org/v3` YAML (NetworkPolicy, GlobalNetworkPolicy, Tier) → [`Tiers`], checked
//! as libcalico-go's validator would check it.
//!
//! When importing ([`Mode::Import`](crate::verify::cursor::Mode)), the staged kinds are read as the
//! policies they stage, NetworkSets and GlobalNetworkSets are read into [`Tiers::sets`], and an
//! `Allow` rule (or a `Log` rule, which decides nothing) that is not modelled is left out; a
//! `Deny` or `Pass` rule never is.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use ipnet::IpNet;

use super::domain::Domain;
use super::selector::Selector;
use super::{
    Action, Entity, Icmp, NetworkSet, Policy, Rule, ServiceMatch, Tier, TierDefault, Tiers,
};
use crate::verify::cursor::{self, Cursor, Effect, Fields, ReadError, Reader};
use crate::verify::ports::{PortRange, Protocol};
use crate::verify::yaml::{Document, Value};

const API_VERSION: &str = "projectcalico.org/v3";
/// §np/§gnp: a policy without `tier` lives in the default tier.
const DEFAULT_TIER: &str = "default";

/// The tiers every cluster has. §tiers: `default` has the fixed order 1,000,000 and
/// (as every tier by default, §tier) the end-of-tier action `Deny`; the Kubernetes admin tiers
/// (`kube-admin` at 1,000 and `kube-baseline` at 10,000,000) pass by default.
fn builtin_tiers() -> BTreeMap<String, Tier> {
    [
        (DEFAULT_TIER, 1_000_000.0, TierDefault::Deny),
        ("kube-admin", 1_000.0, TierDefault::Pass),
        ("kube-baseline", 10_000_000.0, TierDefault::Pass),
    ]
    .into_iter()
    .map(|(name, order, default_action)| {
        (
            name.to_owned(),
            Tier {
                name: name.to_owned(),
                order: Some(order),
                default_action,
                policies: Vec::new(),
            },
        )
    })
    .collect()
}

/// §tier: "lower order taking precedence", no order = last; §sorter `TierLess`: ties by name.
fn tier_cmp(a: &Tier, b: &Tier) -> Ordering {
    match (a.order, b.order) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
    .then_with(|| a.name.cmp(&b.name))
}

/// §np `order`: "applies the policy with the lowest value first"; §sorter: no order counts as
/// +infinity (after every ordered policy) and ties go by name.
fn policy_cmp(a: &Policy, b: &Policy) -> Ordering {
    let key = |p: &Policy| p.order.unwrap_or(f64::INFINITY);
    key(a)
        .total_cmp(&key(b))
        .then_with(|| a.name.cmp(&b.name))
        .then_with(|| a.namespace.cmp(&b.namespace))
}

/// Reads a stream of Calico objects into tiers in evaluation order. `enterprise` admits
/// `destination.domains`.
pub fn tiers(docs: &[Document], reader: &Reader, enterprise: bool) -> Result<Tiers, ReadError> {
    let mut tiers = builtin_tiers();
    let mut defined = BTreeSet::new();
    let mut policies: Vec<(Policy, Cursor<'_>)> = Vec::new();
    let mut sets = Vec::new();
    let mut seen = BTreeSet::new();
    for doc in docs {
        let obj =
            reader
                .document(doc)
                .map(&["apiVersion", "kind", "metadata", "spec", "status"])?;
        let api_at = obj.required("apiVersion")?;
        let api = api_at.str()?;
        let kind_at = obj.required("kind")?;
        let kind = kind_at.str()?;
        if api != API_VERSION {
            return Err(api_at.error(format!("`{api}` is not {API_VERSION}")));
        }
        let meta = cursor::metadata(&obj)?;
        let name = meta.name.to_owned();
        let namespace = meta.namespace.map(str::to_owned);
        let staged = reader.importing() && kind.starts_with("Staged");
        match kind {
            "Tier" => {
                let obj = obj.named(format!("Tier {name}"));
                if namespace.is_some() {
                    return Err(obj.error("a Tier has no namespace"));
                }
                if !defined.insert(name.clone()) {
                    return Err(obj.error("defined twice"));
                }
                let t = tier(&obj.get_or_empty("spec"), name.clone())?;
                tiers.insert(name, t);
            }
            "NetworkSet" | "GlobalNetworkSet" if reader.importing() => {
                let global = kind == "GlobalNetworkSet";
                let namespace = match (global, namespace) {
                    (true, Some(_)) => {
                        return Err(obj
                            .named(format!("{kind} {name}"))
                            .error("a GlobalNetworkSet has no namespace"));
                    }
                    (true, None) => None,
                    // §np metadata: a namespaced resource without one is in "default".
                    (false, ns) => Some(ns.unwrap_or_else(|| "default".to_owned())),
                };
                let spec = obj.get_or_empty("spec");
                let m = spec.map(&["nets", "allowedEgressDomains"])?;
                if let Some(d) = m.get("allowedEgressDomains") {
                    return Err(d.unmodelled("network sets with domains are not modelled"));
                }
                sets.push(NetworkSet {
                    namespace,
                    name,
                    labels: meta.labels.clone(),
                    nets: nets(&m, "nets")?,
                    pos: doc.root.pos,
                });
            }
            "NetworkPolicy"
            | "GlobalNetworkPolicy"
            | "StagedNetworkPolicy"
            | "StagedGlobalNetworkPolicy"
                if staged || !kind.starts_with("Staged") =>
            {
                let global = kind.ends_with("GlobalNetworkPolicy");
                let namespace = if global {
                    if namespace.is_some() {
                        return Err(obj
                            .named(format!("{kind} {name}"))
                            .error("a GlobalNetworkPolicy has no namespace"));
                    }
                    None
                } else {
                    // §np metadata: `namespace` defaults to "default".
                    Some(namespace.unwrap_or_else(|| "default".to_owned()))
                };
                let id = match &namespace {
                    Some(ns) => format!("{ns}/{name}"),
                    None => name.clone(),
                };
                let obj = obj.named(format!("{kind} {id}"));
                if !seen.insert((global, id)) {
                    return Err(obj.error("defined twice"));
                }
                let spec = obj.get_or_empty("spec");
                if staged {
                    reader.record(
                        &spec,
                        doc.root.pos,
                        "staged, so not enforced yet: imported as the policy it stages",
                        Effect::None,
                    );
                }
                let (mut p, at) = policy(&spec, namespace, name, enterprise, staged)?;
                p.pos = doc.root.pos;
                policies.push((p, at));
            }
            other => {
                return Err(kind_at.error(format!(
                    "kind `{other}` is not modelled (NetworkPolicy, GlobalNetworkPolicy and Tier are)"
                )));
            }
        }
    }
    for (p, tier_at) in policies {
        let Some(t) = tiers.get_mut(&p.tier) else {
            let message = format!(
                "tier `{}` is not defined (no Tier document, and not a built-in tier)",
                p.tier
            );
            return Err(if reader.importing() {
                tier_at.unmodelled(message)
            } else {
                tier_at.error(message)
            });
        };
        t.policies.push(p);
    }
    let mut tiers: Vec<Tier> = tiers.into_values().collect();
    tiers.sort_by(tier_cmp);
    for t in &mut tiers {
        t.policies.sort_by(policy_cmp);
    }
    Ok(Tiers {
        tiers,
        sets,
        enterprise,
    })
}

fn tier(spec: &Cursor<'_>, name: String) -> Result<Tier, ReadError> {
    let m = spec.map(&["order", "defaultAction"])?;
    let default_action = match m.get("defaultAction") {
        // §tier: `defaultAction` is Deny unless set.
        None => TierDefault::Deny,
        Some(a) => match a.str()? {
            "Deny" => TierDefault::Deny,
            "Pass" => TierDefault::Pass,
            other => {
                return Err(a.error(format!("unknown default action `{other}` (Deny or Pass)")));
            }
        },
    };
    Ok(Tier {
        name,
        order: m.get("order").map(|o| o.number()).transpose()?,
        default_action,
        policies: Vec::new(),
    })
}

/// A policy, and where its tier was decided (its `tier` field, or its spec for the default
/// tier): the tier is checked once every Tier is read.
fn policy<'a>(
    spec: &Cursor<'a>,
    namespace: Option<String>,
    name: String,
    enterprise: bool,
    staged: bool,
) -> Result<(Policy, Cursor<'a>), ReadError> {
    let reader = spec.reader();
    let global = namespace.is_none();
    let mut known = vec![
        "order",
        "selector",
        "types",
        "ingress",
        "egress",
        "tier",
        "serviceAccountSelector",
        "performanceHints",
    ];
    if global {
        known.extend([
            "namespaceSelector",
            "doNotTrack",
            "preDNAT",
            "applyOnForward",
        ]);
    }
    if staged {
        known.push("stagedAction");
    }
    let m = spec.map(&known)?;
    if let Some(a) = m.get("stagedAction") {
        match a.str()? {
            "Set" => {}
            "Delete" | "Learn" => {
                return Err(
                    a.unmodelled("a staged deletion or learning policy stages no rules to import")
                );
            }
            other => {
                return Err(a.error(format!(
                    "unknown staged action `{other}` (Set, Delete or Learn)"
                )));
            }
        }
    }
    // §np/§gnp: `selector` defaults to all().
    let selector = match m.get("selector") {
        Some(s) => self::selector(&s)?,
        None => Selector::all(),
    };
    if let Some(s) = m.get("serviceAccountSelector")
        && !self::selector(&s)?.is_all()
    {
        return Err(s.unmodelled("not modelled: pods carry no service account"));
    }
    for k in ["doNotTrack", "preDNAT"] {
        if let Some(c) = m.get(k)
            && c.bool()?
        {
            return Err(
                c.unmodelled("not modelled: such policies apply to host endpoints only (§gnp)")
            );
        }
    }
    if let Some(c) = m.get("applyOnForward") {
        // §gnp: meaningful only for host endpoints; a pod's egress is the same either way.
        c.bool()?;
    }
    // §np: hints never change the enforcement behaviour of the policy.
    m.list("performanceHints")?;
    // Ingress rules never decide egress.
    m.list("ingress")?;
    m.ignored(
        "ingress",
        "ingress rules are not carried over (egress only)",
    );
    let written = m.list("egress")?;
    let mut rules = Vec::new();
    for r in &written {
        // An Allow rule left out only narrows, a Log rule decides nothing; a Deny or Pass rule
        // left out would change what later rules decide.
        let droppable = action_of(r).is_some_and(|a| matches!(a, Action::Allow | Action::Log));
        match rule(r, enterprise) {
            Ok(x) => rules.push(x),
            Err(e) if droppable && e.unmodelled && reader.importing() => {
                let effect = if action_of(r) == Some(Action::Log) {
                    Effect::None
                } else {
                    Effect::Narrower
                };
                reader.record(r, e.pos.unwrap_or(r.pos()), e.message, effect);
            }
            Err(e) => return Err(e),
        }
    }
    let egress = match m.get("types") {
        Some(types) => {
            let mut egress = false;
            for t in types.list()? {
                match t.str()? {
                    "Egress" => egress = true,
                    "Ingress" => {}
                    other => {
                        return Err(t.error(format!("unknown type `{other}` (Ingress or Egress)")));
                    }
                }
            }
            egress
        }
        // §np `types` default: Egress is included exactly when there are egress rules.
        None => !written.is_empty(),
    };
    let tier_at = m.get("tier");
    let tier = match &tier_at {
        Some(t) => t.str()?.to_owned(),
        None => DEFAULT_TIER.to_owned(),
    };
    let policy = Policy {
        namespace,
        name,
        tier,
        order: m.get("order").map(|o| o.number()).transpose()?,
        selector,
        namespace_selector: if global {
            optional_selector(&m, "namespaceSelector")?
        } else {
            None
        },
        egress,
        rules,
        pos: spec.pos(),
    };
    Ok((policy, tier_at.unwrap_or_else(|| spec.clone())))
}

fn selector(c: &Cursor<'_>) -> Result<Selector, ReadError> {
    Selector::parse(c.str()?).map_err(|e| c.error(e))
}

/// An entity-rule selector: an empty string is no selector.
fn optional_selector(m: &Fields<'_>, k: &str) -> Result<Option<Selector>, ReadError> {
    match m.get(k) {
        None => Ok(None),
        Some(c) if c.str()?.trim().is_empty() => Ok(None),
        Some(c) => selector(&c).map(Some),
    }
}

fn nets(m: &Fields<'_>, k: &str) -> Result<Vec<IpNet>, ReadError> {
    m.list(k)?
        .iter()
        .map(|n| {
            let text = n.str()?;
            // libcalico-go reads a bare address as a /32 or /128.
            text.parse::<IpNet>()
                .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                .map(|n| n.trunc())
                .map_err(|_| n.error(format!("`{text}` is not a CIDR")))
        })
        .collect()
}

/// §np Ports: a number, or `"first:last"` (inclusive).
fn port_range(c: &Cursor<'_>) -> Result<PortRange, ReadError> {
    match c.value() {
        Value::Int(n) => u16::try_from(*n)
            .map(PortRange::single)
            .map_err(|_| c.error(format!("port {n} is not in 0-65535"))),
        Value::Str(s) => {
            if let Some((a, b)) = s.split_once(':') {
                let (Ok(first), Ok(last)) = (a.trim().parse::<u16>(), b.trim().parse::<u16>())
                else {
                    return Err(c.error(format!(
                        "port range `{s}` is not `first:last` with ports in 0-65535"
                    )));
                };
                if first > last {
                    return Err(c.error(format!("port range `{s}` ends before it starts")));
                }
                Ok(PortRange { first, last })
            } else if let Ok(n) = s.trim().parse::<u16>() {
                Ok(PortRange::single(n))
            } else {
                // §np Ports: a string that is not a range names a port of the destination
                // pod; pods' named ports are not modelled.
                Err(c.unmodelled(format!(
                    "named port `{s}` is not modelled (pods carry no named ports)"
                )))
            }
        }
        Value::Float(x) => Err(c.error(format!("port {x} is not in 0-65535"))),
        other => Err(c.error(format!("expected a port, found {}", other.kind()))),
    }
}

fn ports(m: &Fields<'_>, k: &str) -> Result<Vec<PortRange>, ReadError> {
    m.list(k)?.iter().map(port_range).collect()
}

/// §np Rule `protocol`: `TCP`, `UDP`, `ICMP`, `ICMPv6`, `SCTP`, `UDPLite` or 1-255;
/// libcalico-go's numorstring also takes the v1 spellings `tcp`, `udp`, `sctp`.
fn protocol(c: &Cursor<'_>) -> Result<Protocol, ReadError> {
    match c.value() {
        Value::Str(s) => match s.as_str() {
            "tcp" => Some(Protocol::TCP),
            "udp" => Some(Protocol::UDP),
            "sctp" => Some(Protocol::SCTP),
            name => Protocol::named(name),
        }
        .ok_or_else(|| {
            c.error(format!(
                "unknown protocol `{s}` (TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or 1-255)"
            ))
        }),
        Value::Int(n) => u8::try_from(*n)
            .ok()
            .filter(|n| *n >= 1)
            .map(Protocol)
            .ok_or_else(|| c.error(format!("protocol number {n} is not in 1-255"))),
        Value::Float(x) => Err(c.error(format!("protocol number {x} is not in 1-255"))),
        other => Err(c.error(format!(
            "expected a protocol name or number, found {}",
            other.kind()
        ))),
    }
}

/// §np ICMP: `type` 0-254 and `code` 0-255, a code only with a type (the CRD's "ICMP code
/// specified without an ICMP type").
fn icmp(c: &Cursor<'_>) -> Result<Icmp, ReadError> {
    let m = c.map(&["type", "code"])?;
    let number = |k: &str, max: u8| -> Result<Option<u8>, ReadError> {
        m.get(k)
            .map(|v| {
                v.int()
                    .and_then(|n| u8::try_from(n).ok())
                    .filter(|n| *n <= max)
                    .ok_or_else(|| v.error(format!("ICMP {k} `{}` is not in 0-{max}", v.value())))
            })
            .transpose()
    };
    let code = number("code", u8::MAX)?;
    match number("type", 254)? {
        Some(kind) => Ok(Icmp { kind, code }),
        None if code.is_some() => Err(c.error("an ICMP code without a type")),
        None => Err(c.error("an ICMP match without a type: what it matches is not modelled")),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Source,
    Destination,
}

/// The CRD's EntityRule `services`: "Services cannot be specified on the same rule as
/// Selector, NotSelector, NamespaceSelector, Nets, NotNets or ServiceAccounts. Ports and
/// NotPorts can only be specified with Services on ingress rules", so in an egress rule's
/// destination the Service is the whole criterion; as an egress rule's source (traffic that
/// originates from a Service's endpoints) it is not modelled.
fn services(f: &Cursor<'_>, m: &Fields<'_>, side: Side) -> Result<ServiceMatch, ReadError> {
    if side == Side::Source {
        return Err(f.unmodelled("a source's `services` is not modelled"));
    }
    for k in [
        "selector",
        "notSelector",
        "namespaceSelector",
        "nets",
        "notNets",
        "serviceAccounts",
        "ports",
        "notPorts",
    ] {
        if let Some(x) = m.get(k) {
            return Err(x.error(format!(
                "`{k}` cannot be given with `services` in an egress rule's destination"
            )));
        }
    }
    let s = f.map(&["name", "namespace"])?;
    let Some(name) = s.str("name")? else {
        return Err(f.error("`services` needs a `name`"));
    };
    let namespace = s.str("namespace")?.filter(|n| !n.is_empty());
    Ok(ServiceMatch {
        name: name.to_owned(),
        namespace: namespace.map(str::to_owned),
    })
}

/// An entity rule, and its `domains` field when written (for the checks that need the rule).
fn entity<'a>(
    c: &Cursor<'a>,
    side: Side,
    enterprise: bool,
) -> Result<(Entity, Option<Cursor<'a>>), ReadError> {
    let m = c.map(&[
        "nets",
        "notNets",
        "selector",
        "notSelector",
        "namespaceSelector",
        "ports",
        "notPorts",
        "domains",
        "serviceAccounts",
        "services",
    ])?;
    let services = match m.get("services") {
        None => None,
        Some(f) => Some(services(&f, &m, side)?),
    };
    let service_accounts = match m.get("serviceAccounts") {
        None => None,
        Some(f) => {
            let sa = f.map(&["names", "selector"])?;
            if let Some(s) = sa.get("selector")
                && !s.str()?.trim().is_empty()
            {
                return Err(s.unmodelled("not modelled: service accounts carry no labels here"));
            }
            let names = sa
                .list("names")?
                .iter()
                .map(|n| n.str().map(str::to_owned))
                .collect::<Result<Vec<_>, _>>()?;
            Some(names)
        }
    };
    let mut e = Entity {
        nets: nets(&m, "nets")?,
        not_nets: nets(&m, "notNets")?,
        selector: optional_selector(&m, "selector")?,
        not_selector: optional_selector(&m, "notSelector")?,
        namespace_selector: optional_selector(&m, "namespaceSelector")?,
        ports: ports(&m, "ports")?,
        not_ports: ports(&m, "notPorts")?,
        domains: Vec::new(),
        service_accounts,
        services,
    };
    if side == Side::Source {
        for k in ["ports", "notPorts"] {
            if let Some(f) = m.get(k) {
                return Err(f.unmodelled("source ports are not modelled"));
            }
        }
    }
    let domains = m.get("domains");
    if let Some(d) = &domains {
        if !enterprise {
            // The Calico Open Source EntityRule (§np) has no `domains`.
            return Err(d.error(
                "`domains` is a Calico Enterprise field: Calico Open Source has no such field",
            ));
        }
        if side == Side::Source {
            return Err(d.error("`domains` is only valid in an egress rule's destination"));
        }
        e.domains = d
            .list()?
            .iter()
            .map(|x| Domain::parse(x.str()?).map_err(|e| x.error(e)))
            .collect::<Result<_, _>>()?;
    }
    Ok((e, domains))
}

/// A rule's action as written, if it is one.
fn action_of(c: &Cursor<'_>) -> Option<Action> {
    let Value::Map(entries) = c.value() else {
        return None;
    };
    match &entries.iter().find(|e| e.key == "action")?.value.value {
        Value::Str(a) => match a.as_str() {
            "Allow" => Some(Action::Allow),
            "Deny" => Some(Action::Deny),
            "Log" => Some(Action::Log),
            "Pass" => Some(Action::Pass),
            _ => None,
        },
        _ => None,
    }
}

fn rule(c: &Cursor<'_>, enterprise: bool) -> Result<Rule, ReadError> {
    let m = c.map(&[
        "action",
        "protocol",
        "notProtocol",
        "icmp",
        "notICMP",
        "ipVersion",
        "source",
        "destination",
        "metadata",
        "http",
    ])?;
    let action_at = m
        .get("action")
        .ok_or_else(|| m.error("a rule needs an action"))?;
    let action = match action_at.str()? {
        "Allow" => Action::Allow,
        "Deny" => Action::Deny,
        "Log" => Action::Log,
        "Pass" => Action::Pass,
        other => {
            return Err(action_at.error(format!(
                "unknown action `{other}` (Allow, Deny, Log or Pass)"
            )));
        }
    };
    let protocol_of = |k: &str| m.get(k).map(|p| protocol(&p)).transpose();
    let (protocol, not_protocol) = (protocol_of("protocol")?, protocol_of("notProtocol")?);
    let (source, _) = match m.get("source") {
        Some(s) => entity(&s, Side::Source, enterprise)?,
        None => (Entity::default(), None),
    };
    let destination_at = m.get("destination");
    let (destination, domains_at) = match &destination_at {
        Some(d) => entity(d, Side::Destination, enterprise)?,
        None => (Entity::default(), None),
    };
    let icmp_of = |k: &str| m.get(k).map(|i| icmp(&i)).transpose();
    let rule = Rule {
        action,
        protocol,
        not_protocol,
        icmp: icmp_of("icmp")?,
        not_icmp: icmp_of("notICMP")?,
        source,
        destination,
        pos: c.pos(),
    };
    if let Some(v) = m.get("ipVersion") {
        return Err(v.unmodelled("not modelled"));
    }
    if let Some(h) = m.get("http") {
        return Err(h.unmodelled("not modelled (application layer policy matches ingress only)"));
    }
    if let Some(meta) = m.get("metadata") {
        meta.map(&["annotations"])?;
    }
    for k in ["icmp", "notICMP"] {
        // The CRD's rule "ICMP fields require protocol to be ICMP or ICMPv6".
        if let Some(i) = m.get(k)
            && !rule.protocol.is_some_and(Protocol::is_icmp)
        {
            return Err(i.error("an ICMP match needs protocol ICMP or ICMPv6"));
        }
    }
    let d = &rule.destination;
    // libcalico-go's validator: "protocol does not support ports".
    if let Some(at) = &destination_at
        && (!d.ports.is_empty() || !d.not_ports.is_empty())
        && !rule.protocol.is_some_and(Protocol::has_ports)
    {
        return Err(at.error(
            "ports need protocol TCP, UDP or SCTP (Calico rejects ports with any other protocol or none)",
        ));
    }
    // §np EntityRule: IPv4 and IPv6 CIDRs are not mixed in one rule.
    let families: BTreeSet<bool> = [&rule.source, &rule.destination]
        .iter()
        .flat_map(|e| e.nets.iter().chain(&e.not_nets))
        .map(|n| matches!(n, IpNet::V4(_)))
        .collect();
    if families.len() > 1 {
        return Err(c.error("mixes IPv4 and IPv6 CIDRs in one rule"));
    }
    // §dns "Exact and wildcard domain names": with `domains`, the action must be Allow, and
    // `nets` and `selector` must be empty.
    if let Some(domains_at) = domains_at
        && !d.domains.is_empty()
    {
        if action != Action::Allow {
            return Err(domains_at.error(format!(
                "domains are only valid in Allow rules, not {action}"
            )));
        }
        if !d.nets.is_empty() || d.selector.is_some() {
            return Err(domains_at.error("a rule with domains must have no nets and no selector"));
        }
    }
    Ok(rule)
}
