//! The Calico evaluator: reads the emitted `projectcalico.org/v3` YAML text (NetworkPolicy,
//! GlobalNetworkPolicy, Tier) back and decides flows by Calico's documented semantics, not by
//! what our backend meant to emit.
//!
//! The upstream pages each decision below follows, cited as §name:
//! - §tier: <https://docs.tigera.io/calico/latest/reference/resources/tier>
//! - §tiers: <https://docs.tigera.io/calico/latest/network-policy/policy-tiers/tiered-policy>
//! - §np: <https://docs.tigera.io/calico/latest/reference/resources/networkpolicy> (its Spec,
//!   Rule, EntityRule, Selectors and Ports sections, shared with §gnp)
//! - §gnp: <https://docs.tigera.io/calico/latest/reference/resources/globalnetworkpolicy>
//! - §labels: <https://docs.tigera.io/calico/latest/network-policy/get-started/calico-policy/calico-labels>
//! - §dns: <https://docs.tigera.io/calico-enterprise/latest/network-policy/domain-based-policy>
//!   and the Enterprise EntityRule (`domains`, "Exact and wildcard domain names") in
//!   <https://docs.tigera.io/calico-enterprise/latest/reference/resources/networkpolicy>
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
//! The flow model has no pod addresses: `nets` never match a pod, so a pod lies outside every
//! `notNets` range. A host name matches `nets` by the address it resolved to, and `domains`
//! (Calico Enterprise only) by name.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::{Map, Value};

use super::{Decision, Destination, Evaluator, Flow, Labels, Pod, Undecidable, documents, kind_of};
use crate::model::Proto;

const API_VERSION: &str = "projectcalico.org/v3";
/// §np/§gnp: a policy without `tier` lives in the default tier.
const DEFAULT_TIER: &str = "default";

// ---------------------------------------------------------------------------------------------
// Selectors
// ---------------------------------------------------------------------------------------------

/// A parsed Calico selector expression (§np "Selectors").
#[derive(Clone, Debug, PartialEq, Eq)]
enum Expr {
    All,
    Global,
    Has(String),
    Eq(String, String),
    Ne(String, String),
    In(String, BTreeSet<String>),
    NotIn(String, BTreeSet<String>),
    Contains(String, String),
    StartsWith(String, String),
    EndsWith(String, String),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

impl Expr {
    fn eval(&self, labels: &Labels) -> bool {
        match self {
            Expr::All => true,
            // §np "global(): match all non-namespaced resources". We only ever match pods and
            // namespaces, which are not such resources.
            Expr::Global => false,
            Expr::Has(k) => labels.contains_key(k),
            Expr::Eq(k, v) => labels.get(k) == Some(v),
            // §np: `k != 'v'` and `k not in {..}` also match resources without the label.
            Expr::Ne(k, v) => labels.get(k) != Some(v),
            Expr::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
            Expr::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
            Expr::Contains(k, s) => labels.get(k).is_some_and(|v| v.contains(s.as_str())),
            Expr::StartsWith(k, s) => labels.get(k).is_some_and(|v| v.starts_with(s.as_str())),
            Expr::EndsWith(k, s) => labels.get(k).is_some_and(|v| v.ends_with(s.as_str())),
            Expr::Not(e) => !e.eval(labels),
            Expr::And(a, b) => a.eval(labels) && b.eval(labels),
            Expr::Or(a, b) => a.eval(labels) || b.eval(labels),
        }
    }
}

/// A Calico selector and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    text: String,
    expr: Expr,
}

impl Selector {
    /// Parses a selector; an empty (or blank) one is `all()`. Operator precedence (§np):
    /// match operators, then parentheses, then `!`, then `&&`, then `||`.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let mut p = SelParser { src: text, pos: 0 };
        p.skip_ws();
        if p.rest().is_empty() {
            return Ok(Selector {
                text: text.trim().to_owned(),
                expr: Expr::All,
            });
        }
        let expr = p.or()?;
        p.skip_ws();
        if !p.rest().is_empty() {
            return Err(p.err(format!(
                "expected `&&`, `||` or the end, found {}",
                p.found()
            )));
        }
        Ok(Selector {
            text: text.trim().to_owned(),
            expr,
        })
    }

    /// Whether a resource with these labels is selected.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.expr.eval(labels)
    }

    fn is_all(&self) -> bool {
        self.expr == Expr::All
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A recursive-descent parser over the selector text (`pos` is always a char boundary: it only
/// advances over ASCII tokens and whole quoted strings).
struct SelParser<'a> {
    src: &'a str,
    pos: usize,
}

/// §np: label names are letters, digits, `_`, `.`, `/` and `-`.
fn is_label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-')
}

impl<'a> SelParser<'a> {
    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or_default()
    }

    fn skip_ws(&mut self) {
        let r = self.rest();
        self.pos += r.len() - r.trim_start().len();
    }

    fn err(&self, msg: impl fmt::Display) -> String {
        let col = self.src.get(..self.pos).unwrap_or_default().chars().count() + 1;
        format!("selector `{}`: {msg} at column {col}", self.src)
    }

    fn found(&self) -> String {
        let r = self.rest();
        if r.is_empty() {
            "the end".to_owned()
        } else {
            let shown: String = r.chars().take(12).collect();
            format!("`{shown}`")
        }
    }

    /// Consumes `tok` (after blanks) if it comes next.
    fn eat(&mut self, tok: &str) -> bool {
        self.skip_ws();
        if self.rest().starts_with(tok) {
            self.pos += tok.len();
            true
        } else {
            false
        }
    }

    /// Consumes the word `word` if it comes next and is not the start of a longer label.
    fn keyword(&mut self, word: &str) -> bool {
        self.skip_ws();
        let r = self.rest();
        let whole = r
            .strip_prefix(word)
            .is_some_and(|after| !after.starts_with(is_label_char));
        if whole {
            self.pos += word.len();
        }
        whole
    }

    fn label(&mut self) -> Option<String> {
        self.skip_ws();
        let r = self.rest();
        let n = r.find(|c: char| !is_label_char(c)).unwrap_or(r.len());
        let label = r.get(..n).filter(|l| !l.is_empty())?.to_owned();
        self.pos += n;
        Some(label)
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.eat("||") {
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        while self.eat("&&") {
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        self.skip_ws();
        if self.rest().starts_with('!') && !self.rest().starts_with("!=") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn close(&mut self, after: &str) -> Result<(), String> {
        if self.eat(")") {
            Ok(())
        } else {
            Err(self.err(format!(
                "expected `)` after `{after}`, found {}",
                self.found()
            )))
        }
    }

    fn primary(&mut self) -> Result<Expr, String> {
        self.skip_ws();
        if self.eat("(") {
            let e = self.or()?;
            self.close("(...")?;
            return Ok(e);
        }
        for (name, expr) in [("all(", Expr::All), ("global(", Expr::Global)] {
            if self.rest().starts_with(name) {
                self.pos += name.len();
                self.close(name)?;
                return Ok(expr);
            }
        }
        if self.rest().starts_with("has(") {
            self.pos += "has(".len();
            let Some(key) = self.label() else {
                return Err(self.err(format!(
                    "expected a label name in `has(`, found {}",
                    self.found()
                )));
            };
            self.close(&format!("has({key}"))?;
            return Ok(Expr::Has(key));
        }
        let Some(key) = self.label() else {
            return Err(self.err(format!(
                "expected a label, `has(`, `all()`, `global()`, `!` or `(`, found {}",
                self.found()
            )));
        };
        if self.eat("==") {
            return Ok(Expr::Eq(key, self.string()?));
        }
        if self.eat("!=") {
            return Ok(Expr::Ne(key, self.string()?));
        }
        if self.keyword("not") {
            if !self.keyword("in") {
                return Err(self.err(format!("expected `in` after `not`, found {}", self.found())));
            }
            return Ok(Expr::NotIn(key, self.set()?));
        }
        if self.keyword("in") {
            return Ok(Expr::In(key, self.set()?));
        }
        if self.keyword("contains") {
            return Ok(Expr::Contains(key, self.string()?));
        }
        for (first, make) in [
            ("starts", Expr::StartsWith as fn(String, String) -> Expr),
            ("ends", Expr::EndsWith),
        ] {
            if self.keyword(first) {
                if !self.keyword("with") {
                    return Err(self.err(format!(
                        "expected `with` after `{first}`, found {}",
                        self.found()
                    )));
                }
                return Ok(make(key, self.string()?));
            }
        }
        Err(self.err(format!(
            "expected an operator after label `{key}` (`==`, `!=`, `in`, `not in`, `contains`, `starts with`, `ends with`), found {}",
            self.found()
        )))
    }

    fn string(&mut self) -> Result<String, String> {
        self.skip_ws();
        let r = self.rest();
        let Some(quote) = r.chars().next().filter(|c| matches!(c, '\'' | '"')) else {
            return Err(self.err(format!("expected a quoted value, found {}", self.found())));
        };
        let body = r.get(quote.len_utf8()..).unwrap_or_default();
        let Some(value) = body.find(quote).and_then(|end| body.get(..end)) else {
            return Err(self.err("unterminated string"));
        };
        self.pos += 2 * quote.len_utf8() + value.len();
        Ok(value.to_owned())
    }

    fn set(&mut self) -> Result<BTreeSet<String>, String> {
        if !self.eat("{") {
            return Err(self.err(format!("expected `{{`, found {}", self.found())));
        }
        let mut values = BTreeSet::new();
        if self.eat("}") {
            return Ok(values);
        }
        loop {
            values.insert(self.string()?);
            if self.eat(",") {
                continue;
            }
            if self.eat("}") {
                return Ok(values);
            }
            return Err(self.err(format!("expected `,` or `}}`, found {}", self.found())));
        }
    }
}

/// The labels Calico matches a pod by: its own, plus the automatic `projectcalico.org/namespace`
/// and `projectcalico.org/orchestrator: k8s` (§labels, "Labels for matching workload
/// endpoints").
fn pod_labels(pod: &Pod) -> Labels {
    let mut labels = pod.labels.clone();
    labels.insert("projectcalico.org/namespace".into(), pod.namespace.clone());
    labels.insert("projectcalico.org/orchestrator".into(), "k8s".into());
    labels
}

/// The labels of a namespace: Calico's `projectcalico.org/name` and Kubernetes'
/// `kubernetes.io/metadata.name` (§labels, "Labels for matching namespaces").
fn namespace_labels(namespace: &str) -> Labels {
    Labels::from([
        ("projectcalico.org/name".to_owned(), namespace.to_owned()),
        (
            "kubernetes.io/metadata.name".to_owned(),
            namespace.to_owned(),
        ),
    ])
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

/// §np Rule `action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
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

/// An IP protocol number (§np Rule `protocol`: `TCP`, `UDP`, `ICMP`, `ICMPv6`, `SCTP`,
/// `UDPLite` or 1-255; libcalico-go's numorstring also takes the v1 spellings `tcp`, `udp`,
/// `sctp`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Protocol(u8);

impl Protocol {
    fn parse(v: &Value) -> Result<Protocol, String> {
        match v {
            Value::String(s) => match s.as_str() {
                "TCP" | "tcp" => Ok(Protocol(6)),
                "UDP" | "udp" => Ok(Protocol(17)),
                "SCTP" | "sctp" => Ok(Protocol(132)),
                "ICMP" => Ok(Protocol(1)),
                "ICMPv6" => Ok(Protocol(58)),
                "UDPLite" => Ok(Protocol(136)),
                other => Err(format!(
                    "unknown protocol `{other}` (TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or 1-255)"
                )),
            },
            Value::Number(n) => n
                .as_u64()
                .filter(|n| (1..=255).contains(n))
                .and_then(|n| u8::try_from(n).ok())
                .map(Protocol)
                .ok_or_else(|| format!("protocol number {n} is not in 1-255")),
            other => Err(format!(
                "expected a protocol name or number, found {}",
                kind_of(other)
            )),
        }
    }

    fn of(proto: Proto) -> Protocol {
        match proto {
            Proto::Tcp => Protocol(6),
            Proto::Udp => Protocol(17),
            Proto::Sctp => Protocol(132),
        }
    }

    /// libcalico-go's validator: ports need a protocol that has them.
    fn has_ports(self) -> bool {
        matches!(self.0, 6 | 17 | 132)
    }

    fn is_icmp(self) -> bool {
        matches!(self.0, 1 | 58)
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            6 => f.write_str("TCP"),
            17 => f.write_str("UDP"),
            132 => f.write_str("SCTP"),
            1 => f.write_str("ICMP"),
            58 => f.write_str("ICMPv6"),
            136 => f.write_str("UDPLite"),
            n => write!(f, "{n}"),
        }
    }
}

/// §np Ports: a number, or `"first:last"` (inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PortRange {
    first: u16,
    last: u16,
}

impl PortRange {
    fn parse(v: &Value) -> Result<PortRange, String> {
        let single = |n: u16| PortRange { first: n, last: n };
        match v {
            Value::Number(n) => n
                .as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .map(single)
                .ok_or_else(|| format!("port {n} is not in 0-65535")),
            Value::String(s) => {
                if let Some((a, b)) = s.split_once(':') {
                    let (Ok(first), Ok(last)) = (a.trim().parse::<u16>(), b.trim().parse::<u16>())
                    else {
                        return Err(format!(
                            "port range `{s}` is not `first:last` with ports in 0-65535"
                        ));
                    };
                    if first > last {
                        return Err(format!("port range `{s}` ends before it starts"));
                    }
                    Ok(PortRange { first, last })
                } else if let Ok(n) = s.trim().parse::<u16>() {
                    Ok(single(n))
                } else {
                    // §np Ports: a string that is not a range names a port of the destination
                    // pod; pods' named ports are not modelled.
                    Err(format!(
                        "named port `{s}` is not modelled (pods carry no named ports)"
                    ))
                }
            }
            other => Err(format!("expected a port, found {}", kind_of(other))),
        }
    }

    fn contains(self, port: u16) -> bool {
        self.first <= port && port <= self.last
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}:{}", self.first, self.last)
        }
    }
}

/// A Calico Enterprise domain (§dns, "Domain name matching"): an exact name, or a name with one
/// `*` label, which stands for one or more labels at that position (`*.google.com` matches
/// `www.google.com` and `www.ipv6.google.com`, not `google.com`).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Domain {
    text: String,
    labels: Vec<String>,
    wildcard: Option<usize>,
}

impl Domain {
    fn parse(text: &str) -> Result<Domain, String> {
        let name = text.trim_end_matches('.').to_ascii_lowercase();
        let labels: Vec<String> = name.split('.').map(str::to_owned).collect();
        if labels.iter().any(String::is_empty) {
            return Err(format!("domain `{text}` has an empty label"));
        }
        let stars: Vec<usize> = labels
            .iter()
            .enumerate()
            .filter(|(_, l)| l.contains('*'))
            .map(|(i, _)| i)
            .collect();
        // §dns: not supported are several wildcards, and `*` that is not a whole label.
        if stars.len() > 1 {
            return Err(format!("domain `{text}` has more than one `*`"));
        }
        if let Some(&i) = stars.first()
            && labels.get(i).is_some_and(|l| l != "*")
        {
            return Err(format!("domain `{text}`: a `*` must be a whole label"));
        }
        Ok(Domain {
            text: text.to_owned(),
            labels,
            wildcard: stars.first().copied(),
        })
    }

    /// Whether a looked-up name matches (DNS names compare without case, RFC 4343).
    fn matches(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let labels: Vec<&str> = name.split('.').collect();
        if labels.iter().any(|l| l.is_empty()) {
            return false;
        }
        let same =
            |a: &[&str], b: &[String]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| *x == y);
        match self.wildcard {
            None => same(&labels, &self.labels),
            Some(i) => {
                let before = self.labels.get(..i).unwrap_or_default();
                let after = self.labels.get(i + 1..).unwrap_or_default();
                labels.len() > before.len() + after.len()
                    && labels.get(..before.len()).is_some_and(|l| same(l, before))
                    && labels
                        .get(labels.len() - after.len()..)
                        .is_some_and(|l| same(l, after))
            }
        }
    }
}

/// §np EntityRule: every present criterion must match.
#[derive(Clone, Debug, Default)]
struct Entity {
    nets: Vec<IpNet>,
    not_nets: Vec<IpNet>,
    selector: Option<Selector>,
    not_selector: Option<Selector>,
    namespace_selector: Option<Selector>,
    ports: Vec<PortRange>,
    not_ports: Vec<PortRange>,
    domains: Vec<Domain>,
}

#[derive(Clone, Debug)]
struct Rule {
    action: Action,
    protocol: Option<Protocol>,
    not_protocol: Option<Protocol>,
    source: Entity,
    destination: Entity,
}

#[derive(Clone, Debug)]
struct Policy {
    /// `None` for a GlobalNetworkPolicy.
    namespace: Option<String>,
    name: String,
    tier: String,
    order: Option<f64>,
    selector: Selector,
    /// A GlobalNetworkPolicy's `namespaceSelector` (absent: every namespace).
    namespace_selector: Option<Selector>,
    /// Whether `types` includes `Egress`.
    egress: bool,
    rules: Vec<Rule>,
}

impl Policy {
    fn id(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}", self.name),
            None => self.name.clone(),
        }
    }

    fn rule_id(&self, i: usize) -> String {
        format!("{} spec.egress[{i}]", self.id())
    }

    /// Whether the policy applies to the pod's egress. §np: a NetworkPolicy's `selector`
    /// selects the workloads of its own namespace; §gnp: a GlobalNetworkPolicy's selects in
    /// every namespace its `namespaceSelector` (default `all()`) selects.
    fn selects(&self, pod: &Pod) -> bool {
        let in_namespace = match &self.namespace {
            Some(ns) => *ns == pod.namespace,
            None => self
                .namespace_selector
                .as_ref()
                .is_none_or(|s| s.matches(&namespace_labels(&pod.namespace))),
        };
        self.egress && in_namespace && self.selector.matches(&pod_labels(pod))
    }
}

/// §tier `defaultAction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TierDefault {
    Deny,
    Pass,
}

#[derive(Clone, Debug)]
struct Tier {
    name: String,
    order: Option<f64>,
    default_action: TierDefault,
    policies: Vec<Policy>,
}

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

// ---------------------------------------------------------------------------------------------
// Reading the YAML
// ---------------------------------------------------------------------------------------------

/// Where a value is, for messages: `NetworkPolicy p/a-egress spec.egress[1].destination`.
#[derive(Clone, Debug)]
struct At {
    object: String,
    path: String,
}

impl At {
    fn new(object: impl Into<String>) -> At {
        At {
            object: object.into(),
            path: String::new(),
        }
    }

    fn key(&self, k: &str) -> At {
        At {
            object: self.object.clone(),
            path: if self.path.is_empty() {
                k.to_owned()
            } else {
                format!("{}.{k}", self.path)
            },
        }
    }

    fn index(&self, i: usize) -> At {
        At {
            object: self.object.clone(),
            path: format!("{}[{i}]", self.path),
        }
    }

    fn bad(&self, msg: impl fmt::Display) -> Undecidable {
        if self.path.is_empty() {
            Undecidable::BadYaml(format!("{}: {msg}", self.object))
        } else {
            Undecidable::BadYaml(format!("{} {}: {msg}", self.object, self.path))
        }
    }
}

/// A mapping whose keys are all in `known` (anything else is a field we do not understand).
fn mapping<'v>(
    v: &'v Value,
    at: &At,
    known: &[&str],
) -> Result<&'v Map<String, Value>, Undecidable> {
    let m = v
        .as_object()
        .ok_or_else(|| at.bad(format!("expected a mapping, found {}", kind_of(v))))?;
    if let Some(k) = m.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(at.bad(format!(
            "unknown field `{k}` (this evaluator reads {})",
            known.join(", ")
        )));
    }
    Ok(m)
}

/// A present, non-null field (Kubernetes reads `null` as unset).
fn field<'v>(m: &'v Map<String, Value>, k: &str) -> Option<&'v Value> {
    m.get(k).filter(|v| !v.is_null())
}

fn string<'v>(v: &'v Value, at: &At) -> Result<&'v str, Undecidable> {
    v.as_str()
        .ok_or_else(|| at.bad(format!("expected a string, found {}", kind_of(v))))
}

fn list<'v>(v: &'v Value, at: &At) -> Result<&'v [Value], Undecidable> {
    v.as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| at.bad(format!("expected a list, found {}", kind_of(v))))
}

fn boolean(v: &Value, at: &At) -> Result<bool, Undecidable> {
    v.as_bool()
        .ok_or_else(|| at.bad(format!("expected a boolean, found {}", kind_of(v))))
}

fn order(v: &Value, at: &At) -> Result<f64, Undecidable> {
    v.as_f64()
        .ok_or_else(|| at.bad(format!("expected a number, found {}", kind_of(v))))
}

fn selector(v: &Value, at: &At) -> Result<Selector, Undecidable> {
    Selector::parse(string(v, at)?).map_err(|e| at.bad(e))
}

/// An entity-rule selector: an empty string is no selector.
fn optional_selector(
    m: &Map<String, Value>,
    k: &str,
    at: &At,
) -> Result<Option<Selector>, Undecidable> {
    match field(m, k) {
        None => Ok(None),
        Some(v) if string(v, &at.key(k))?.trim().is_empty() => Ok(None),
        Some(v) => selector(v, &at.key(k)).map(Some),
    }
}

fn nets(m: &Map<String, Value>, k: &str, at: &At) -> Result<Vec<IpNet>, Undecidable> {
    let Some(v) = field(m, k) else {
        return Ok(Vec::new());
    };
    let at = at.key(k);
    list(v, &at)?
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let at = at.index(i);
            let text = string(n, &at)?;
            // libcalico-go reads a bare address as a /32 or /128.
            text.parse::<IpNet>()
                .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                .map(|n| n.trunc())
                .map_err(|_| at.bad(format!("`{text}` is not a CIDR")))
        })
        .collect()
}

fn ports(m: &Map<String, Value>, k: &str, at: &At) -> Result<Vec<PortRange>, Undecidable> {
    let Some(v) = field(m, k) else {
        return Ok(Vec::new());
    };
    let at = at.key(k);
    list(v, &at)?
        .iter()
        .enumerate()
        .map(|(i, p)| PortRange::parse(p).map_err(|e| at.index(i).bad(e)))
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Source,
    Destination,
}

fn entity(v: &Value, at: &At, side: Side, enterprise: bool) -> Result<Entity, Undecidable> {
    let m = mapping(
        v,
        at,
        &[
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
        ],
    )?;
    for k in ["serviceAccounts", "services"] {
        if field(m, k).is_some() {
            return Err(at
                .key(k)
                .bad("not modelled: flows carry no service accounts or services"));
        }
    }
    let mut e = Entity {
        nets: nets(m, "nets", at)?,
        not_nets: nets(m, "notNets", at)?,
        selector: optional_selector(m, "selector", at)?,
        not_selector: optional_selector(m, "notSelector", at)?,
        namespace_selector: optional_selector(m, "namespaceSelector", at)?,
        ports: ports(m, "ports", at)?,
        not_ports: ports(m, "notPorts", at)?,
        domains: Vec::new(),
    };
    if side == Side::Source {
        for k in ["ports", "notPorts"] {
            if field(m, k).is_some() {
                return Err(at.key(k).bad("source ports are not modelled"));
            }
        }
    }
    if let Some(v) = field(m, "domains") {
        let at = at.key("domains");
        if !enterprise {
            // The Calico Open Source EntityRule (§np) has no `domains`.
            return Err(at.bad(
                "`domains` is a Calico Enterprise field: Calico Open Source has no such field",
            ));
        }
        if side == Side::Source {
            return Err(at.bad("`domains` is only valid in an egress rule's destination"));
        }
        e.domains = list(v, &at)?
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let at = at.index(i);
                Domain::parse(string(d, &at)?).map_err(|e| at.bad(e))
            })
            .collect::<Result<_, _>>()?;
    }
    Ok(e)
}

fn rule(v: &Value, at: &At, enterprise: bool) -> Result<Rule, Undecidable> {
    let m = mapping(
        v,
        at,
        &[
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
        ],
    )?;
    let action_at = at.key("action");
    let action = match field(m, "action") {
        None => return Err(action_at.bad("a rule needs an action")),
        Some(v) => match string(v, &action_at)? {
            "Allow" => Action::Allow,
            "Deny" => Action::Deny,
            "Log" => Action::Log,
            "Pass" => Action::Pass,
            other => {
                return Err(action_at.bad(format!(
                    "unknown action `{other}` (Allow, Deny, Log or Pass)"
                )));
            }
        },
    };
    let protocol = |k: &str| {
        field(m, k)
            .map(|v| Protocol::parse(v).map_err(|e| at.key(k).bad(e)))
            .transpose()
    };
    let rule = Rule {
        action,
        protocol: protocol("protocol")?,
        not_protocol: protocol("notProtocol")?,
        source: match field(m, "source") {
            Some(v) => entity(v, &at.key("source"), Side::Source, enterprise)?,
            None => Entity::default(),
        },
        destination: match field(m, "destination") {
            Some(v) => entity(v, &at.key("destination"), Side::Destination, enterprise)?,
            None => Entity::default(),
        },
    };
    if field(m, "ipVersion").is_some() {
        return Err(at.key("ipVersion").bad("not modelled"));
    }
    if field(m, "http").is_some() {
        return Err(at
            .key("http")
            .bad("not modelled (application layer policy matches ingress only)"));
    }
    if let Some(v) = field(m, "metadata") {
        mapping(v, &at.key("metadata"), &["annotations"])?;
    }
    for k in ["icmp", "notICMP"] {
        // An ICMP match is only valid with protocol ICMP or ICMPv6, and such a rule never
        // matches the TCP, UDP and SCTP flows we decide, whatever the ICMP type.
        if field(m, k).is_some() && !rule.protocol.is_some_and(Protocol::is_icmp) {
            return Err(at.key(k).bad("an ICMP match needs protocol ICMP or ICMPv6"));
        }
    }
    // libcalico-go's validator: "protocol does not support ports".
    let d = &rule.destination;
    if (!d.ports.is_empty() || !d.not_ports.is_empty())
        && !rule.protocol.is_some_and(Protocol::has_ports)
    {
        return Err(at.key("destination").bad(
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
        return Err(at.bad("mixes IPv4 and IPv6 CIDRs in one rule"));
    }
    // §dns "Exact and wildcard domain names": with `domains`, the action must be Allow, and
    // `nets` and `selector` must be empty.
    if !d.domains.is_empty() {
        if action != Action::Allow {
            return Err(at.key("destination.domains").bad(format!(
                "domains are only valid in Allow rules, not {action}"
            )));
        }
        if !d.nets.is_empty() || d.selector.is_some() {
            return Err(at
                .key("destination.domains")
                .bad("a rule with domains must have no nets and no selector"));
        }
    }
    Ok(rule)
}

struct Meta {
    name: String,
    namespace: Option<String>,
}

fn metadata(v: Option<&Value>, at: &At) -> Result<Meta, Undecidable> {
    let Some(v) = v else {
        return Err(at.bad("no metadata"));
    };
    let m = mapping(v, at, &["name", "namespace", "labels", "annotations"])?;
    let name = match field(m, "name") {
        Some(v) => string(v, &at.key("name"))?.to_owned(),
        None => return Err(at.bad("no metadata.name")),
    };
    let namespace = field(m, "namespace")
        .map(|v| string(v, &at.key("namespace")).map(str::to_owned))
        .transpose()?;
    Ok(Meta { name, namespace })
}

fn tier(spec: Option<&Value>, name: String, at: &At) -> Result<Tier, Undecidable> {
    let empty = Value::Object(Map::new());
    let at_spec = at.key("spec");
    let m = mapping(
        spec.unwrap_or(&empty),
        &at_spec,
        &["order", "defaultAction"],
    )?;
    let default_action = match field(m, "defaultAction") {
        // §tier: `defaultAction` is Deny unless set.
        None => TierDefault::Deny,
        Some(v) => match string(v, &at_spec.key("defaultAction"))? {
            "Deny" => TierDefault::Deny,
            "Pass" => TierDefault::Pass,
            other => {
                return Err(at_spec
                    .key("defaultAction")
                    .bad(format!("unknown default action `{other}` (Deny or Pass)")));
            }
        },
    };
    Ok(Tier {
        name,
        order: field(m, "order")
            .map(|v| order(v, &at_spec.key("order")))
            .transpose()?,
        default_action,
        policies: Vec::new(),
    })
}

fn policy(
    spec: Option<&Value>,
    namespace: Option<String>,
    name: String,
    enterprise: bool,
    at: &At,
) -> Result<Policy, Undecidable> {
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
    let empty = Value::Object(Map::new());
    let at = at.key("spec");
    let m = mapping(spec.unwrap_or(&empty), &at, &known)?;
    // §np/§gnp: `selector` defaults to all().
    let sel = match field(m, "selector") {
        Some(v) => selector(v, &at.key("selector"))?,
        None => Selector {
            text: "all()".into(),
            expr: Expr::All,
        },
    };
    if let Some(v) = field(m, "serviceAccountSelector")
        && !selector(v, &at.key("serviceAccountSelector"))?.is_all()
    {
        return Err(at
            .key("serviceAccountSelector")
            .bad("not modelled: pods carry no service account"));
    }
    for k in ["doNotTrack", "preDNAT"] {
        if let Some(v) = field(m, k)
            && boolean(v, &at.key(k))?
        {
            return Err(at
                .key(k)
                .bad("not modelled: such policies apply to host endpoints only (§gnp)"));
        }
    }
    if let Some(v) = field(m, "applyOnForward") {
        // §gnp: meaningful only for host endpoints; a pod's egress is the same either way.
        boolean(v, &at.key("applyOnForward"))?;
    }
    if let Some(v) = field(m, "performanceHints") {
        // §np: hints never change the enforcement behaviour of the policy.
        list(v, &at.key("performanceHints"))?;
    }
    if let Some(v) = field(m, "ingress") {
        // Ingress rules never decide egress.
        list(v, &at.key("ingress"))?;
    }
    let rules = match field(m, "egress") {
        Some(v) => {
            let at = at.key("egress");
            list(v, &at)?
                .iter()
                .enumerate()
                .map(|(i, r)| rule(r, &at.index(i), enterprise))
                .collect::<Result<Vec<_>, _>>()?
        }
        None => Vec::new(),
    };
    let egress = match field(m, "types") {
        Some(v) => {
            let at = at.key("types");
            let mut egress = false;
            for (i, t) in list(v, &at)?.iter().enumerate() {
                match string(t, &at.index(i))? {
                    "Egress" => egress = true,
                    "Ingress" => {}
                    other => {
                        return Err(at
                            .index(i)
                            .bad(format!("unknown type `{other}` (Ingress or Egress)")));
                    }
                }
            }
            egress
        }
        // §np `types` default: Egress is included exactly when there are egress rules.
        None => !rules.is_empty(),
    };
    Ok(Policy {
        namespace,
        name,
        tier: match field(m, "tier") {
            Some(v) => string(v, &at.key("tier"))?.to_owned(),
            None => DEFAULT_TIER.to_owned(),
        },
        order: field(m, "order")
            .map(|v| order(v, &at.key("order")))
            .transpose()?,
        selector: sel,
        namespace_selector: if global {
            optional_selector(m, "namespaceSelector", &at)?
        } else {
            None
        },
        egress,
        rules,
    })
}

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

/// Whether an entity matches: yes (with what matched), no (with why), or unknown because a host
/// name has no address and the entity has `nets` or `notNets`.
enum Outcome {
    Yes(Vec<String>),
    No(String),
    Unknown { host: String, matched: Vec<String> },
}

fn list_of<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The address a destination is matched by.
enum Address<'a> {
    Known(IpAddr),
    Missing(&'a str),
    /// Pods have no modelled address.
    Pod,
}

fn address(d: &Destination) -> Address<'_> {
    match d {
        Destination::Address(a)
        | Destination::Host {
            address: Some(a), ..
        } => Address::Known(*a),
        Destination::Host {
            name,
            address: None,
        } => Address::Missing(name),
        Destination::Pod(_) => Address::Pod,
    }
}

/// Why `pod` is outside the scope of an entity's selectors, if it is. §np EntityRule /
/// "Selector scopes": a `namespaceSelector` limits them to the namespaces it selects; without
/// one, a NetworkPolicy's selectors look in its own namespace and a GlobalNetworkPolicy's in
/// every namespace (§labels, "the default values for namespaceSelector ... are different").
fn out_of_scope(e: &Entity, policy: &Policy, pod: &Pod) -> Option<String> {
    match &e.namespace_selector {
        Some(ns) => (!ns.matches(&namespace_labels(&pod.namespace))).then(|| {
            format!(
                "namespace {} does not match namespaceSelector `{ns}`",
                pod.namespace
            )
        }),
        None => match &policy.namespace {
            Some(ns) if *ns != pod.namespace => Some(format!(
                "{pod} is not in namespace {ns}, the only one a selector without namespaceSelector looks in"
            )),
            _ => None,
        },
    }
}

fn entity_matches(e: &Entity, d: &Destination, policy: &Policy) -> Outcome {
    let mut matched = Vec::new();
    let mut unknown = None;
    // §np EntityRule `nets`: the packet's address is in one of the CIDRs.
    if !e.nets.is_empty() {
        match address(d) {
            Address::Known(a) => match e.nets.iter().find(|n| n.contains(&a)) {
                Some(n) => matched.push(format!("{a} is in {n}")),
                None => return Outcome::No(format!("{a} is outside {}", list_of(&e.nets))),
            },
            Address::Missing(host) => unknown = Some(host.to_owned()),
            Address::Pod => {
                return Outcome::No(format!(
                    "{d} is a pod, and nets {} match addresses, never pods",
                    list_of(&e.nets)
                ));
            }
        }
    }
    // §np EntityRule `notNets`: the packet's address is in none of the CIDRs.
    if !e.not_nets.is_empty() {
        match address(d) {
            Address::Known(a) => match e.not_nets.iter().find(|n| n.contains(&a)) {
                Some(n) => return Outcome::No(format!("{a} is in notNets {n}")),
                None => matched.push(format!("{a} is outside notNets {}", list_of(&e.not_nets))),
            },
            Address::Missing(host) => unknown = Some(host.to_owned()),
            Address::Pod => matched.push(format!(
                "{d} is a pod, outside every notNets range {}",
                list_of(&e.not_nets)
            )),
        }
    }
    // §np EntityRule `selector`/`namespaceSelector`: positive matches on endpoints (and network
    // sets, of which there are none here); "a rule with a selector all() won't match all
    // packets", so an address or host name never matches them.
    if e.selector.is_some() || e.namespace_selector.is_some() {
        let Destination::Pod(pod) = d else {
            return Outcome::No(format!(
                "{d} is not a pod, and selectors match only endpoints"
            ));
        };
        if let Some(why) = out_of_scope(e, policy, pod) {
            return Outcome::No(why);
        }
        match &e.selector {
            Some(s) if !s.matches(&pod_labels(pod)) => {
                return Outcome::No(format!("{pod} does not match selector `{s}`"));
            }
            Some(s) => matched.push(format!("{pod} matches selector `{s}`")),
            None => {}
        }
        if let Some(ns) = &e.namespace_selector {
            matched.push(format!("namespace {} matches `{ns}`", pod.namespace));
        }
    }
    // §np "Understanding notSelector": it negates the packet match, so everything except the
    // selected endpoints (in scope) matches, addresses outside the cluster included.
    if let Some(ns) = &e.not_selector {
        if let Destination::Pod(pod) = d
            && out_of_scope(e, policy, pod).is_none()
            && ns.matches(&pod_labels(pod))
        {
            return Outcome::No(format!("{pod} matches notSelector `{ns}`"));
        }
        matched.push(format!("{d} is not selected by notSelector `{ns}`"));
    }
    // §dns: domains match the names the pod looked up; addresses and pods are not names.
    if !e.domains.is_empty() {
        let texts: Vec<&str> = e.domains.iter().map(|x| x.text.as_str()).collect();
        let Destination::Host { name, .. } = d else {
            return Outcome::No(format!(
                "{d} is not a host name, and domains {} match only names",
                texts.join(", ")
            ));
        };
        match e.domains.iter().find(|x| x.matches(name)) {
            Some(x) => matched.push(format!("{name} matches domain {}", x.text)),
            None => {
                return Outcome::No(format!(
                    "{name} does not match domains {}",
                    texts.join(", ")
                ));
            }
        }
    }
    match unknown {
        Some(host) => Outcome::Unknown { host, matched },
        None => Outcome::Yes(matched),
    }
}

/// The protocol and destination-port criteria of a rule.
fn ports_match(r: &Rule, flow: &Flow) -> Result<Vec<String>, String> {
    let proto = Protocol::of(flow.proto);
    let shown = format!("{}/{}", flow.proto.as_str(), flow.port);
    let mut matched = Vec::new();
    if let Some(p) = r.protocol {
        if p != proto {
            return Err(format!("{shown} is not protocol {p}"));
        }
        matched.push(format!("protocol {p}"));
    }
    if r.not_protocol == Some(proto) {
        return Err(format!("{shown} is excluded by notProtocol {proto}"));
    }
    let e = &r.destination;
    if !e.ports.is_empty() {
        if !e.ports.iter().any(|p| p.contains(flow.port)) {
            return Err(format!("{shown} is not in ports {}", list_of(&e.ports)));
        }
        matched.push(format!("port {} is in {}", flow.port, list_of(&e.ports)));
    }
    if let Some(p) = e.not_ports.iter().find(|p| p.contains(flow.port)) {
        return Err(format!("{shown} is in notPorts {p}"));
    }
    Ok(matched)
}

/// How a rule meets a flow.
enum RuleMatch {
    Match(String),
    /// 1: the destination matched and the protocol or port did not; 2: the destination (or
    /// source) did not match.
    Miss(u8, String),
    NeedsAddress(String),
}

/// §np EntityRule: "all match criteria must match for the rule as a whole to match". A
/// criterion that fails decides even when a host's address is unknown.
fn rule_matches(r: &Rule, policy: &Policy, flow: &Flow) -> RuleMatch {
    let dest = entity_matches(&r.destination, &flow.destination, policy);
    if let Outcome::No(why) = dest {
        return RuleMatch::Miss(2, why);
    }
    let ports = match ports_match(r, flow) {
        Ok(p) => p,
        Err(why) => {
            let why = match &dest {
                Outcome::Yes(m) if !m.is_empty() => format!("{}, but {why}", m.join(", ")),
                _ => why,
            };
            return RuleMatch::Miss(1, why);
        }
    };
    let source = match entity_matches(&r.source, &Destination::Pod(flow.source.clone()), policy) {
        Outcome::No(why) => return RuleMatch::Miss(2, format!("source: {why}")),
        Outcome::Yes(m) | Outcome::Unknown { matched: m, .. } => m,
    };
    match dest {
        Outcome::Unknown { host, .. } => RuleMatch::NeedsAddress(host),
        Outcome::Yes(mut m) => {
            m.extend(ports);
            m.extend(source);
            if m.is_empty() {
                RuleMatch::Match("the rule has no match criteria, so it matches every flow".into())
            } else {
                RuleMatch::Match(m.join(", "))
            }
        }
        Outcome::No(why) => RuleMatch::Miss(2, why),
    }
}

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

/// Calico policy read back from YAML: tiers in evaluation order, each with its policies in
/// evaluation order.
#[derive(Clone, Debug)]
pub struct Model {
    tiers: Vec<Tier>,
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

impl Model {
    /// Reads a YAML stream of Calico objects. `enterprise` admits `destination.domains`.
    pub fn load(yaml: &str, enterprise: bool) -> Result<Model, Undecidable> {
        let mut tiers = builtin_tiers();
        let mut defined = BTreeSet::new();
        let mut policies: Vec<Policy> = Vec::new();
        let mut seen = BTreeSet::new();
        for (i, doc) in documents(yaml)?.iter().enumerate() {
            let at = At::new(format!("document {}", i + 1));
            let obj = mapping(doc, &at, &["apiVersion", "kind", "metadata", "spec"])?;
            let api = match field(obj, "apiVersion") {
                Some(v) => string(v, &at.key("apiVersion"))?,
                None => return Err(at.bad("no apiVersion")),
            };
            let kind = match field(obj, "kind") {
                Some(v) => string(v, &at.key("kind"))?,
                None => return Err(at.bad("no kind")),
            };
            if api != API_VERSION {
                return Err(at
                    .key("apiVersion")
                    .bad(format!("`{api}` is not {API_VERSION}")));
            }
            let meta = metadata(field(obj, "metadata"), &at.key("metadata"))?;
            let spec = field(obj, "spec");
            match kind {
                "Tier" => {
                    let at = At::new(format!("Tier {}", meta.name));
                    if meta.namespace.is_some() {
                        return Err(at.bad("a Tier has no namespace"));
                    }
                    if !defined.insert(meta.name.clone()) {
                        return Err(at.bad("defined twice"));
                    }
                    let t = tier(spec, meta.name.clone(), &at)?;
                    tiers.insert(meta.name, t);
                }
                "NetworkPolicy" | "GlobalNetworkPolicy" => {
                    let global = kind == "GlobalNetworkPolicy";
                    let namespace = if global {
                        if meta.namespace.is_some() {
                            return Err(At::new(format!("{kind} {}", meta.name))
                                .bad("a GlobalNetworkPolicy has no namespace"));
                        }
                        None
                    } else {
                        // §np metadata: `namespace` defaults to "default".
                        Some(meta.namespace.unwrap_or_else(|| "default".to_owned()))
                    };
                    let id = match &namespace {
                        Some(ns) => format!("{ns}/{}", meta.name),
                        None => meta.name.clone(),
                    };
                    let at = At::new(format!("{kind} {id}"));
                    if !seen.insert((global, id)) {
                        return Err(at.bad("defined twice"));
                    }
                    policies.push(policy(spec, namespace, meta.name, enterprise, &at)?);
                }
                other => {
                    return Err(at.key("kind").bad(format!(
                        "kind `{other}` is not modelled (NetworkPolicy, GlobalNetworkPolicy and Tier are)"
                    )));
                }
            }
        }
        for p in policies {
            let Some(t) = tiers.get_mut(&p.tier) else {
                let kind = if p.namespace.is_some() {
                    "NetworkPolicy"
                } else {
                    "GlobalNetworkPolicy"
                };
                return Err(Undecidable::BadYaml(format!(
                    "{kind} {} spec.tier: tier `{}` is not defined (no Tier document, and not a built-in tier)",
                    p.id(),
                    p.tier
                )));
            };
            t.policies.push(p);
        }
        let mut tiers: Vec<Tier> = tiers.into_values().collect();
        tiers.sort_by(tier_cmp);
        for t in &mut tiers {
            t.policies.sort_by(policy_cmp);
        }
        Ok(Model { tiers })
    }
}

/// The closest miss among the Allow rules seen so far.
#[derive(Default)]
struct Closest(Option<(u8, String)>);

impl Closest {
    fn offer(&mut self, score: u8, text: impl FnOnce() -> String) {
        if self.0.as_ref().is_none_or(|(s, _)| score < *s) {
            self.0 = Some((score, text()));
        }
    }
}

impl Evaluator for Model {
    fn decide(&self, flow: &Flow) -> Result<Decision, Undecidable> {
        let src = &flow.source;
        let mut passed: Vec<String> = Vec::new();
        let mut closest = Closest::default();
        for tier in &self.tiers {
            let applying: Vec<&Policy> = tier.policies.iter().filter(|p| p.selects(src)).collect();
            // §tiers "Policy endpoint matching across tiers": a tier none of whose policies
            // selects the endpoint is skipped, its end-of-tier action included.
            if applying.is_empty() {
                continue;
            }
            let mut pass: Option<String> = None;
            'policies: for p in &applying {
                for (i, r) in p.rules.iter().enumerate() {
                    let why = match rule_matches(r, p, flow) {
                        RuleMatch::Match(why) => why,
                        RuleMatch::Miss(score, miss) => {
                            if r.action == Action::Allow {
                                closest.offer(score, || format!("{}: {miss}", p.rule_id(i)));
                            }
                            continue;
                        }
                        // A Log rule goes on either way; any other action makes the verdict
                        // depend on the address.
                        RuleMatch::NeedsAddress(_) if r.action == Action::Log => continue,
                        RuleMatch::NeedsAddress(host) => {
                            return Err(Undecidable::NeedsAddress { host });
                        }
                    };
                    // §np Rule: Allow and Deny are final, Log goes on with the next rule;
                    // §tier: Pass goes on with the next tier that applies to the endpoint.
                    match r.action {
                        Action::Log => {}
                        Action::Allow => {
                            return Ok(Decision {
                                allowed: true,
                                rule: Some(p.rule_id(i)),
                                why: format!("Allow in tier {}: {why}", tier.name),
                                closest: None,
                                source: None,
                            });
                        }
                        Action::Deny => {
                            let closest = closest.0.map(|c| c.1).unwrap_or_else(|| {
                                format!(
                                    "no Allow rule was reached: the Deny rule {} decided first",
                                    p.rule_id(i)
                                )
                            });
                            return Ok(Decision {
                                allowed: false,
                                rule: Some(p.rule_id(i)),
                                why: format!("Deny in tier {}: {why}", tier.name),
                                closest: Some(closest),
                                source: None,
                            });
                        }
                        Action::Pass => {
                            pass = Some(format!(
                                "tier {} passed it ({} Pass: {why})",
                                tier.name,
                                p.rule_id(i)
                            ));
                            break 'policies;
                        }
                    }
                }
            }
            if let Some(pass) = pass {
                passed.push(pass);
                continue;
            }
            let names: Vec<String> = applying.iter().map(|p| p.id()).collect();
            match tier.default_action {
                // §tier: a tier with defaultAction Pass hands what it did not act on to the
                // next tier.
                TierDefault::Pass => passed.push(format!(
                    "tier {} took no action and passed it (defaultAction Pass)",
                    tier.name
                )),
                // §tier/§tiers "Implicit default deny": a tier that applies to the endpoint
                // and takes no action drops the packet.
                TierDefault::Deny => {
                    let closest = closest.0.map(|c| c.1).unwrap_or_else(|| {
                        format!(
                            "no Allow rule of tier {} matched anything like it: its end-of-tier Deny decided",
                            tier.name
                        )
                    });
                    return Ok(Decision {
                        allowed: false,
                        rule: None,
                        why: format!(
                            "end of tier {}: {} select {src} and no rule acted, so the tier's default action Deny applies",
                            tier.name,
                            names.join(", ")
                        ),
                        closest: Some(closest),
                        source: None,
                    });
                }
            }
        }
        // §tier: "If the last Tier applying to the endpoint Passes the packet, that endpoint's
        // Profiles are evaluated"; §tiers "Default endpoint behavior": a Kubernetes workload's
        // profile allows all egress.
        let why = if passed.is_empty() {
            format!(
                "no Calico policy with Egress selects {src}: its namespace profile allows all egress"
            )
        } else {
            format!(
                "{}; no later tier selects {src}, so its namespace profile allows all egress",
                passed.join("; ")
            )
        };
        Ok(Decision {
            allowed: true,
            rule: None,
            why,
            closest: None,
            source: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::backend::Target;
    use crate::model::{NamespaceSel, Peer, PortSet, Wildcard};
    use crate::verify::reference::Reference;
    use crate::{Input, compile};

    fn pod(namespace: &str, labels: &[(&str, &str)]) -> Pod {
        Pod {
            namespace: namespace.to_owned(),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn addr(a: &str) -> Destination {
        Destination::Address(a.parse().unwrap())
    }

    fn host(name: &str, address: Option<&str>) -> Destination {
        Destination::Host {
            name: name.to_owned(),
            address: address.map(|a| a.parse().unwrap()),
        }
    }

    fn flow(source: &Pod, destination: Destination, proto: Proto, port: u16) -> Flow {
        Flow {
            source: source.clone(),
            destination,
            proto,
            port,
        }
    }

    fn load(yaml: &str) -> Model {
        Model::load(yaml, false).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
    }

    fn decide(m: &Model, f: &Flow) -> Decision {
        m.decide(f).unwrap_or_else(|e| panic!("{f}: {e}"))
    }

    fn bad(yaml: &str, enterprise: bool) -> String {
        match Model::load(yaml, enterprise) {
            Err(Undecidable::BadYaml(e)) => e,
            Err(e) => panic!("expected BadYaml, got {e}"),
            Ok(_) => panic!("expected BadYaml for\n{yaml}"),
        }
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pod("x", pairs).labels
    }

    // ---- selectors ----

    #[test]
    fn selector_operators() {
        let l = labels(&[("app", "web"), ("env", "prod"), ("tier", "frontend-1")]);
        let yes = [
            "app == 'web'",
            "app == \"web\"",
            "app != 'api'",
            "missing != 'x'",
            "env in {'prod', 'staging'}",
            "env not in {'dev'}",
            "missing not in {'a'}",
            "has(app)",
            "!has(missing)",
            "! has(missing)",
            "all()",
            "tier contains 'end'",
            "tier starts with 'front'",
            "tier ends with '-1'",
            "app == 'web' && env == 'prod'",
            "app == 'x' || env == 'prod'",
            "!(app == 'x')",
            "( app == 'web' )",
            "",
            "   ",
            "env in {}  || has(app)",
            "projectcalico.org/x != 'y'",
        ];
        for s in yes {
            assert!(Selector::parse(s).unwrap().matches(&l), "{s}");
        }
        let no = [
            "app == 'api'",
            "missing == ''",
            "env in {'dev'}",
            "missing in {'a'}",
            "env not in {'prod'}",
            "has(missing)",
            "!all()",
            "global()",
            "missing contains ''",
            "app == 'web' && env == 'dev'",
            "env in {}",
        ];
        for s in no {
            assert!(!Selector::parse(s).unwrap().matches(&l), "{s}");
        }
    }

    #[test]
    fn selector_precedence() {
        // `!` binds tighter than `&&`, which binds tighter than `||` (§np Selectors).
        let l = labels(&[("a", "1")]);
        let p = |s: &str| Selector::parse(s).unwrap().matches(&l);
        assert!(p("a == '1' || a == '2' && has(b)")); // a=1 || (a=2 && b)
        assert!(!p("(a == '1' || a == '2') && has(b)"));
        assert!(p("!has(b) && a == '1'")); // (!b) && a=1
        assert!(!p("!(has(b) || a == '1')"));
        assert!(p("!!has(a)"));
        assert_eq!(
            Selector::parse("!has(a) || a == '1' && has(b)")
                .unwrap()
                .expr,
            Expr::Or(
                Box::new(Expr::Not(Box::new(Expr::Has("a".into())))),
                Box::new(Expr::And(
                    Box::new(Expr::Eq("a".into(), "1".into())),
                    Box::new(Expr::Has("b".into()))
                ))
            )
        );
    }

    #[test]
    fn selector_errors_say_what_and_where() {
        let cases = [
            (
                "app == web",
                "expected a quoted value, found `web` at column 8",
            ),
            ("app = 'x'", "expected an operator after label `app`"),
            ("app == 'x", "unterminated string"),
            ("has(app", "expected `)` after `has(app`"),
            ("has()", "expected a label name in `has(`"),
            ("all(", "expected `)` after `all(`"),
            ("(a == 'b'", "expected `)`"),
            ("a == 'b' &&", "expected a label"),
            ("a == 'b' & c == 'd'", "expected `&&`, `||` or the end"),
            ("a in {'x' 'y'}", "expected `,` or `}`"),
            ("a in 'x'", "expected `{`"),
            ("a not 'x'", "expected `in` after `not`"),
            ("a starts 'x'", "expected `with` after `starts`"),
            ("== 'x'", "expected a label, `has(`"),
        ];
        for (s, want) in cases {
            let e = Selector::parse(s).unwrap_err();
            assert!(e.contains(want), "{s}: {e}");
            assert!(e.starts_with(&format!("selector `{s}`")), "{e}");
        }
    }

    #[test]
    fn pods_and_namespaces_carry_calico_labels() {
        let p = pod("shop", &[("app", "web")]);
        let sel = |s: &str| Selector::parse(s).unwrap();
        assert!(sel("projectcalico.org/namespace == 'shop'").matches(&pod_labels(&p)));
        assert!(sel("projectcalico.org/orchestrator == 'k8s'").matches(&pod_labels(&p)));
        assert!(sel("projectcalico.org/name == 'shop'").matches(&namespace_labels("shop")));
        assert!(sel("kubernetes.io/metadata.name == 'shop'").matches(&namespace_labels("shop")));
    }

    #[test]
    fn domains_star_is_one_or_more_labels() {
        let d = Domain::parse("*.example.com").unwrap();
        assert!(d.matches("a.example.com"));
        assert!(d.matches("a.b.example.com"));
        assert!(d.matches("A.Example.COM."));
        assert!(!d.matches("example.com"));
        assert!(!d.matches("aexample.com"));
        let d = Domain::parse("www.*.com").unwrap();
        assert!(d.matches("www.sun.com"));
        assert!(d.matches("www.a.b.com"));
        assert!(!d.matches("www.com"));
        let d = Domain::parse("api.stripe.com").unwrap();
        assert!(d.matches("api.stripe.com"));
        assert!(!d.matches("x.api.stripe.com"));
        assert!(Domain::parse("*.*.x.com").is_err());
        assert!(Domain::parse("w*.x.com").is_err());
        assert!(Domain::parse("a..com").is_err());
    }

    // ---- ordering and actions ----

    const DENY_100_ALLOW_200: &str = "\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: allow-all, namespace: p}
spec:
  order: 200
  selector: app == 'a'
  types: [Egress]
  egress:
  - action: Allow
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: deny-web, namespace: p}
spec:
  order: 100
  selector: app == 'a'
  types: [Egress]
  egress:
  - action: Deny
    protocol: TCP
    destination:
      ports: [80]
";

    #[test]
    fn lower_order_runs_first() {
        let m = load(DENY_100_ALLOW_200);
        let a = pod("p", &[("app", "a")]);
        let d = decide(&m, &flow(&a, addr("1.2.3.4"), Proto::Tcp, 80));
        assert!(!d.allowed);
        assert_eq!(d.rule.as_deref(), Some("p/deny-web spec.egress[0]"));
        assert!(d.why.starts_with("Deny in tier default"), "{}", d.why);
        assert!(
            d.closest
                .unwrap()
                .contains("Deny rule p/deny-web spec.egress[0] decided")
        );
        let d = decide(&m, &flow(&a, addr("1.2.3.4"), Proto::Tcp, 443));
        assert!(d.allowed);
        assert_eq!(d.rule.as_deref(), Some("p/allow-all spec.egress[0]"));
        // Swapped orders: the allow runs first and wins.
        let swapped = DENY_100_ALLOW_200
            .replace("order: 200", "order: 1")
            .replace("order: 100", "order: 2");
        let d = decide(&load(&swapped), &flow(&a, addr("1.2.3.4"), Proto::Tcp, 80));
        assert!(d.allowed);
        // Another pod: no policy selects it.
        let d = decide(
            &m,
            &flow(&pod("p", &[("app", "b")]), addr("1.2.3.4"), Proto::Tcp, 80),
        );
        assert!(d.allowed);
        assert_eq!(d.rule, None);
        assert!(d.why.contains("profile allows all egress"), "{}", d.why);
    }

    #[test]
    fn no_order_goes_last_and_ties_go_by_name() {
        let yaml = |order_a: &str, order_b: &str| {
            format!(
                "\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {{name: b-allow, namespace: p}}
spec:
  {order_b}
  selector: all()
  egress:
  - action: Allow
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {{name: a-deny, namespace: p}}
spec:
  {order_a}
  selector: all()
  egress:
  - action: Deny
"
            )
        };
        let f = flow(&pod("p", &[]), addr("1.2.3.4"), Proto::Tcp, 1);
        // Same order: by name, a-deny first.
        assert!(!decide(&load(&yaml("order: 5", "order: 5")), &f).allowed);
        // No order is after every ordered policy.
        assert!(decide(&load(&yaml("", "order: 5000000")), &f).allowed);
        assert!(!decide(&load(&yaml("order: 5000000", "")), &f).allowed);
        // Neither ordered: by name.
        assert!(!decide(&load(&yaml("", "")), &f).allowed);
    }

    const TIERS: &str = "\
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec:
  order: 100
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.gate}
spec:
  tier: security
  selector: all()
  types: [Egress]
  egress:
  - action: Deny
    destination:
      nets: [169.254.169.254/32]
  - action: Pass
    protocol: TCP
    destination:
      ports: [443]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: app, namespace: p}
spec:
  selector: app == 'a'
  types: [Egress]
  egress:
  - action: Allow
    protocol: TCP
    destination:
      ports: ['400:500']
";

    #[test]
    fn pass_jumps_to_the_next_tier_and_end_of_tier_denies() {
        let m = load(TIERS);
        let a = pod("p", &[("app", "a")]);
        // Pass in security, then the default tier allows 443.
        let d = decide(&m, &flow(&a, addr("1.2.3.4"), Proto::Tcp, 443));
        assert!(d.allowed, "{d:?}");
        assert_eq!(d.rule.as_deref(), Some("p/app spec.egress[0]"));
        // The metadata deny in the first tier wins over the later allow.
        let d = decide(&m, &flow(&a, addr("169.254.169.254"), Proto::Tcp, 443));
        assert!(!d.allowed);
        assert_eq!(d.rule.as_deref(), Some("security.gate spec.egress[0]"));
        // Port 450 is not passed: end of the security tier denies it, though the default tier
        // would allow it.
        let d = decide(&m, &flow(&a, addr("1.2.3.4"), Proto::Tcp, 450));
        assert!(!d.allowed);
        assert_eq!(d.rule, None);
        assert!(d.why.starts_with("end of tier security"), "{}", d.why);
        assert!(d.why.contains("default action Deny"), "{}", d.why);
        // A pod the default tier does not select: Pass, then no tier, so the profile allows.
        let b = pod("p", &[("app", "b")]);
        let d = decide(&m, &flow(&b, addr("1.2.3.4"), Proto::Tcp, 443));
        assert!(d.allowed);
        assert_eq!(d.rule, None);
        assert!(d.why.contains("tier security passed it"), "{}", d.why);
        // Passed, then the default tier's end-of-tier deny on udp.
        let d = decide(&m, &flow(&a, addr("1.2.3.4"), Proto::Udp, 443));
        assert!(!d.allowed);
        assert!(d.why.starts_with("end of tier security"), "{}", d.why);
    }

    #[test]
    fn default_action_pass_hands_on_to_the_next_tier() {
        let yaml = TIERS.replace("  order: 100\n", "  order: 100\n  defaultAction: Pass\n");
        let m = load(&yaml);
        let a = pod("p", &[("app", "a")]);
        // Not acted on in security: passed; the default tier allows 450 ...
        let d = decide(&m, &flow(&a, addr("1.2.3.4"), Proto::Tcp, 450));
        assert!(d.allowed, "{d:?}");
        // ... and its end-of-tier deny drops udp.
        let d = decide(&m, &flow(&a, addr("1.2.3.4"), Proto::Udp, 53));
        assert!(!d.allowed);
        assert!(
            d.why.starts_with("end of tier default: p/app select"),
            "{}",
            d.why
        );
        assert!(d.closest.unwrap().contains("udp/53 is not protocol TCP"));
        // A pod no default-tier policy selects keeps its egress, minus the guard.
        let b = pod("q", &[]);
        let d = decide(&m, &flow(&b, addr("1.2.3.4"), Proto::Udp, 53));
        assert!(d.allowed);
        assert!(d.why.contains("defaultAction Pass"), "{}", d.why);
        assert!(!decide(&m, &flow(&b, addr("169.254.169.254"), Proto::Udp, 53)).allowed);
    }

    #[test]
    fn a_tier_that_selects_nothing_is_skipped() {
        // A tier whose only policy selects other pods does not apply its end-of-tier deny.
        let yaml = TIERS.replace(
            "  selector: all()\n  types",
            "  selector: app == 'z'\n  types",
        );
        let m = load(&yaml);
        let b = pod("q", &[]);
        let d = decide(&m, &flow(&b, addr("169.254.169.254"), Proto::Tcp, 1));
        assert!(d.allowed);
        assert!(
            d.why.starts_with("no Calico policy with Egress selects"),
            "{}",
            d.why
        );
    }

    #[test]
    fn types_without_egress_do_not_apply() {
        let yaml = "\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: ingress-only, namespace: p}
spec:
  selector: all()
  types: [Ingress]
  egress:
  - action: Deny
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: no-types-no-egress, namespace: p}
spec:
  selector: all()
";
        let d = decide(
            &load(yaml),
            &flow(&pod("p", &[]), addr("1.2.3.4"), Proto::Tcp, 1),
        );
        assert!(d.allowed);
        // Without `types`, egress rules make it an egress policy.
        let yaml = yaml.replace("  types: [Ingress]\n", "");
        let d = decide(
            &load(&yaml),
            &flow(&pod("p", &[]), addr("1.2.3.4"), Proto::Tcp, 1),
        );
        assert!(!d.allowed);
    }

    #[test]
    fn log_goes_on_to_the_next_rule() {
        let yaml = "\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: a, namespace: p}
spec:
  selector: all()
  types: [Egress]
  egress:
  - action: Log
  - action: Allow
    protocol: 17
";
        let m = load(yaml);
        let s = pod("p", &[]);
        let d = decide(&m, &flow(&s, addr("1.2.3.4"), Proto::Udp, 53));
        assert!(d.allowed);
        assert_eq!(d.rule.as_deref(), Some("p/a spec.egress[1]"));
        assert!(d.why.contains("protocol UDP"), "{}", d.why);
        assert!(!decide(&m, &flow(&s, addr("1.2.3.4"), Proto::Tcp, 53)).allowed);
    }

    // ---- matching ----

    #[test]
    fn nets_and_not_nets() {
        let yaml = "\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: a, namespace: p}
spec:
  selector: all()
  types: [Egress]
  egress:
  - action: Allow
    destination:
      nets: [10.0.0.0/8]
      notNets: [10.1.0.0/16, 10.2.3.4]
  - action: Allow
    destination:
      notNets: [0.0.0.0/1]
";
        let m = load(yaml);
        let s = pod("p", &[]);
        let d = |dest| decide(&m, &flow(&s, dest, Proto::Tcp, 1));
        assert!(d(addr("10.9.9.9")).allowed);
        let no = d(addr("10.1.2.3"));
        assert!(!no.allowed);
        // Both rules miss on the destination; the first is reported.
        assert_eq!(
            no.closest.as_deref(),
            Some("p/a spec.egress[0]: 10.1.2.3 is in notNets 10.1.0.0/16")
        );
        assert!(!d(addr("10.2.3.4")).allowed);
        assert!(d(addr("200.1.1.1")).allowed); // outside 0.0.0.0/1
        let miss = d(addr("20.1.1.1"));
        assert!(!miss.allowed);
        assert_eq!(
            miss.closest.as_deref(),
            Some("p/a spec.egress[0]: 20.1.1.1 is outside 10.0.0.0/8")
        );
        // A host name matches by the address it resolved to.
        assert!(d(host("db.internal", Some("10.9.9.9"))).allowed);
        // A pod has no modelled address: nets never match it, notNets always do.
        let to_pod = d(Destination::Pod(pod("p", &[])));
        assert!(to_pod.allowed);
        assert_eq!(to_pod.rule.as_deref(), Some("p/a spec.egress[1]"));
        // IPv6 is outside IPv4 ranges.
        assert!(d(addr("2001:db8::1")).allowed);
    }

    #[test]
    fn a_host_without_address_is_undecidable_only_when_nets_decide() {
        let yaml = "\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: a, namespace: p}
spec:
  selector: all()
  types: [Egress]
  egress:
  - action: Log
    destination:
      nets: [169.254.169.254/32]
  - action: Deny
    protocol: TCP
    destination:
      nets: [169.254.169.254/32]
      ports: [80]
  - action: Allow
    protocol: TCP
";
        let m = Model::load(yaml, false).unwrap();
        let s = pod("p", &[]);
        // Port 443: the Deny rule misses on its port whatever the address; the Log rule does not
        // matter; the Allow rule matches.
        assert!(
            decide(
                &m,
                &flow(&s, host("api.example.com", None), Proto::Tcp, 443)
            )
            .allowed
        );
        // Port 80: the Deny rule depends on the address.
        assert_eq!(
            m.decide(&flow(&s, host("api.example.com", None), Proto::Tcp, 80)),
            Err(Undecidable::NeedsAddress {
                host: "api.example.com".into()
            })
        );
        assert!(
            !decide(
                &m,
                &flow(
                    &s,
                    host("api.example.com", Some("169.254.169.254")),
                    Proto::Tcp,
                    80
                )
            )
            .allowed
        );
    }

    #[test]
    fn selector_scopes_differ_between_namespaced_and_global_policies() {
        let yaml = "\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: a, namespace: p}
spec:
  selector: app == 'a'
  types: [Egress]
  egress:
  - action: Allow
    destination:
      selector: app == 'db'
  - action: Allow
    destination:
      namespaceSelector: projectcalico.org/name == 'kube-system'
      selector: k8s-app == 'kube-dns'
  - action: Allow
    destination:
      namespaceSelector: kubernetes.io/metadata.name == 'mon'
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: g}
spec:
  namespaceSelector: projectcalico.org/name == 'q'
  selector: app == 'a'
  types: [Egress]
  egress:
  - action: Allow
    destination:
      selector: app == 'db'
";
        let m = load(yaml);
        let p = pod("p", &[("app", "a")]);
        let q = pod("q", &[("app", "a")]);
        let to = |s: &Pod, ns: &str, l: &[(&str, &str)]| {
            decide(&m, &flow(s, Destination::Pod(pod(ns, l)), Proto::Tcp, 5432))
        };
        // Namespaced: the selector looks in the policy's own namespace only.
        assert!(to(&p, "p", &[("app", "db")]).allowed);
        let d = to(&p, "other", &[("app", "db")]);
        assert!(!d.allowed);
        assert!(d.closest.unwrap().contains("not in namespace p"));
        assert!(to(&p, "kube-system", &[("k8s-app", "kube-dns")]).allowed);
        let d = to(&p, "kube-public", &[("k8s-app", "kube-dns")]);
        assert!(!d.allowed);
        // A namespaceSelector alone selects every pod of those namespaces.
        assert!(to(&p, "mon", &[]).allowed);
        // Global: the selector looks in every namespace; its namespaceSelector picks the pods
        // it applies to.
        assert!(to(&q, "other", &[("app", "db")]).allowed);
        assert!(!to(&q, "other", &[("app", "web")]).allowed);
        let r = pod("r", &[("app", "a")]);
        assert!(to(&r, "other", &[("app", "web")]).allowed); // no policy selects r
        // Selectors never match addresses.
        let d = decide(&m, &flow(&q, addr("10.0.0.1"), Proto::Tcp, 5432));
        assert!(!d.allowed);
        assert!(d.closest.unwrap().contains("is not a pod"));
    }

    #[test]
    fn not_selector_excludes_only_selected_pods() {
        let yaml = "\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: a, namespace: p}
spec:
  selector: all()
  types: [Egress]
  egress:
  - action: Allow
    destination:
      notSelector: role == 'secret'
";
        let m = load(yaml);
        let s = pod("p", &[]);
        let to = |d| decide(&m, &flow(&s, d, Proto::Tcp, 1)).allowed;
        assert!(!to(Destination::Pod(pod("p", &[("role", "secret")]))));
        assert!(to(Destination::Pod(pod("p", &[("role", "public")]))));
        // Out of the policy's namespace, so not excluded.
        assert!(to(Destination::Pod(pod("o", &[("role", "secret")]))));
        assert!(to(addr("1.1.1.1")));
    }

    #[test]
    fn ports_ranges_and_protocols() {
        let yaml = "\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: a, namespace: p}
spec:
  selector: all()
  types: [Egress]
  egress:
  - action: Allow
    protocol: TCP
    destination:
      nets: [10.0.0.0/8]
      ports: [443, '8000:8100', \"9000\"]
      notPorts: ['8050:8059']
  - action: Allow
    protocol: sctp
    notProtocol: UDP
";
        let m = load(yaml);
        let s = pod("p", &[]);
        let at = |proto, port| decide(&m, &flow(&s, addr("10.0.0.1"), proto, port));
        assert!(at(Proto::Tcp, 443).allowed);
        assert!(at(Proto::Tcp, 8000).allowed);
        assert!(at(Proto::Tcp, 8100).allowed);
        assert!(at(Proto::Tcp, 9000).allowed);
        assert!(at(Proto::Sctp, 1).allowed);
        let d = at(Proto::Tcp, 8055);
        assert!(!d.allowed);
        assert_eq!(
            d.closest.as_deref(),
            Some(
                "p/a spec.egress[0]: 10.0.0.1 is in 10.0.0.0/8, but tcp/8055 is in notPorts 8050:8059"
            )
        );
        let d = at(Proto::Tcp, 8101);
        assert_eq!(
            d.closest.as_deref(),
            Some(
                "p/a spec.egress[0]: 10.0.0.1 is in 10.0.0.0/8, but tcp/8101 is not in ports 443, 8000:8100, 9000"
            )
        );
        assert!(!at(Proto::Udp, 443).allowed);
    }

    const DOMAINS: &str = "\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: a, namespace: p}
spec:
  selector: all()
  types: [Egress]
  egress:
  - action: Allow
    protocol: TCP
    destination:
      domains: ['*.s3.amazonaws.com', api.stripe.com]
      ports: [443]
";

    #[test]
    fn domains_are_enterprise_only_and_match_names() {
        let e = bad(DOMAINS, false);
        assert!(e.contains("spec.egress[0].destination.domains"), "{e}");
        assert!(e.contains("Calico Open Source has no such field"), "{e}");
        let m = Model::load(DOMAINS, true).unwrap();
        let s = pod("p", &[]);
        let to = |name: &str| decide(&m, &flow(&s, host(name, None), Proto::Tcp, 443));
        assert!(to("bucket.s3.amazonaws.com").allowed);
        assert!(to("a.b.s3.amazonaws.com").allowed);
        assert!(to("api.stripe.com").allowed);
        let d = to("s3.amazonaws.com");
        assert!(!d.allowed);
        assert!(d.closest.unwrap().contains(
            "s3.amazonaws.com does not match domains *.s3.amazonaws.com, api.stripe.com"
        ));
        // Addresses are not names.
        assert!(!decide(&m, &flow(&s, addr("52.1.1.1"), Proto::Tcp, 443)).allowed);
        // Only Allow rules, without nets or selector.
        let e = bad(&DOMAINS.replace("Allow", "Deny"), true);
        assert!(e.contains("only valid in Allow rules"), "{e}");
        let e = bad(
            &DOMAINS.replace("      ports", "      nets: [10.0.0.0/8]\n      ports"),
            true,
        );
        assert!(e.contains("no nets and no selector"), "{e}");
    }

    #[test]
    fn what_is_not_understood_is_bad_yaml() {
        let np = |egress: &str| {
            format!(
                "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {{name: a, namespace: p}}\nspec:\n  selector: all()\n  egress:\n{egress}"
            )
        };
        let cases = [
            (np("  - action: Reject\n"), "NetworkPolicy p/a spec.egress[0].action: unknown action `Reject`"),
            (np("  - action: Allow\n    colour: red\n"), "spec.egress[0]: unknown field `colour`"),
            (np("  - action: Allow\n    destination: {ports: [80]}\n"), "ports need protocol TCP, UDP or SCTP"),
            (np("  - action: Allow\n    protocol: TCP\n    destination: {ports: [http]}\n"), "named port `http` is not modelled"),
            (np("  - action: Allow\n    protocol: TCP\n    destination: {ports: ['90:80']}\n"), "ends before it starts"),
            (np("  - action: Allow\n    protocol: XTP\n"), "unknown protocol `XTP`"),
            (np("  - action: Allow\n    destination: {nets: [10.0.0.0/8, 'fd00::/8']}\n"), "mixes IPv4 and IPv6"),
            (np("  - action: Allow\n    destination: {nets: [10.0.0.0/33]}\n"), "`10.0.0.0/33` is not a CIDR"),
            (np("  - action: Allow\n    destination: {selector: \"app = 'x'\"}\n"), "destination.selector: selector `app = 'x'`: expected an operator"),
            (np("  - action: Allow\n    destination: {services: {name: x}}\n"), "not modelled"),
            (np("  - action: Allow\n    ipVersion: 4\n"), "ipVersion: not modelled"),
            (np("  - {}\n"), "a rule needs an action"),
            ("apiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata: {name: x}\n".into(), "kind `NetworkSet` is not modelled"),
            ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\n".into(), "`networking.k8s.io/v1` is not projectcalico.org/v3"),
            ("apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {tier: nope}\n".into(), "tier `nope` is not defined"),
            ("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: t}\nspec: {defaultAction: Allow}\n".into(), "unknown default action `Allow`"),
            ("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: g}\nspec: {preDNAT: true}\n".into(), "host endpoints only"),
            ("apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {types: [Sideways]}\n".into(), "unknown type `Sideways`"),
            ("apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {namespaceSelector: all()}\n".into(), "unknown field `namespaceSelector`"),
            (format!("{}---\n{}", np("  - action: Allow\n"), np("  - action: Allow\n")), "NetworkPolicy p/a: defined twice"),
            ("- a\n".into(), "document 1: expected a mapping"),
        ];
        for (yaml, want) in cases {
            let e = bad(&yaml, true);
            assert!(e.contains(want), "want `{want}`, got `{e}`\n{yaml}");
        }
    }

    #[test]
    fn a_namespaced_policy_without_namespace_is_in_default() {
        let yaml = "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: x}\nspec:\n  egress: [{action: Deny}]\n";
        let m = load(yaml);
        let d = decide(
            &m,
            &flow(&pod("default", &[]), addr("1.1.1.1"), Proto::Tcp, 1),
        );
        assert_eq!(d.rule.as_deref(), Some("default/x spec.egress[0]"));
        assert!(decide(&m, &flow(&pod("p", &[]), addr("1.1.1.1"), Proto::Tcp, 1)).allowed);
    }

    // ---- round trips: our backend's YAML, read back, against the reference on the IR ----

    /// Compiles `src` for `target` and decides each flow both ways; returns the disagreements.
    fn disagreements(name: &str, src: &str, target: Target, flows: &[Flow]) -> Vec<String> {
        let c = compile(&[Input::new(name, src)], &[target]);
        assert!(!c.has_errors(), "{name}: {:?}", c.analysis.diagnostics);
        let ir = c.analysis.ir.as_ref().unwrap();
        let yaml = c.outputs[0].stream();
        let calico = Model::load(&yaml, target == Target::CalicoEnterprise)
            .unwrap_or_else(|e| panic!("{name}: {e}\n{yaml}"));
        let reference = Reference::new(ir);
        let mut out = Vec::new();
        for f in flows {
            let want = reference.decide(f).unwrap();
            match calico.decide(f) {
                Ok(got) if got.allowed == want.allowed => {}
                Ok(got) => out.push(format!(
                    "{name} ({target}): {f}: reference {} ({}), calico {} ({:?}: {})",
                    want.verdict(),
                    want.why,
                    got.verdict(),
                    got.rule,
                    got.why
                )),
                Err(e) => out.push(format!("{name} ({target}): {f}: calico cannot decide: {e}")),
            }
        }
        out
    }

    fn agree(src: &str, target: Target, flows: &[Flow]) {
        let d = disagreements("t.egress", src, target, flows);
        assert!(d.is_empty(), "{}", d.join("\n"));
    }

    fn dns_pod() -> Destination {
        Destination::Pod(pod("kube-system", &[("k8s-app", "kube-dns")]))
    }

    #[test]
    fn round_trip_addresses_ports_metadata_dns_and_namespaces() {
        let src = "namespace p\ndefault deny\napp a -> dns, postgres(10.20.30.0/24), pods(q){app=b}:8443, internet:443/tcp deny metadata\n";
        let a = pod("p", &[("app", "a")]);
        let flows = [
            flow(&a, addr("10.20.30.7"), Proto::Tcp, 5432),
            flow(&a, addr("10.20.30.7"), Proto::Tcp, 5433),
            flow(&a, addr("10.20.31.7"), Proto::Tcp, 5432),
            flow(&a, addr("169.254.169.254"), Proto::Tcp, 443),
            flow(&a, addr("fd00:ec2::254"), Proto::Tcp, 443),
            flow(&a, addr("1.1.1.1"), Proto::Tcp, 443),
            flow(&a, addr("2001:db8::1"), Proto::Tcp, 443),
            flow(&a, addr("1.1.1.1"), Proto::Udp, 443),
            flow(&a, dns_pod(), Proto::Udp, 53),
            flow(&a, dns_pod(), Proto::Tcp, 53),
            flow(&a, dns_pod(), Proto::Udp, 54),
            flow(
                &a,
                Destination::Pod(pod("kube-public", &[("k8s-app", "kube-dns")])),
                Proto::Udp,
                53,
            ),
            flow(
                &a,
                Destination::Pod(pod("q", &[("app", "b")])),
                Proto::Tcp,
                8443,
            ),
            flow(
                &a,
                Destination::Pod(pod("p", &[("app", "b")])),
                Proto::Tcp,
                8443,
            ),
            flow(
                &a,
                Destination::Pod(pod("q", &[("app", "c")])),
                Proto::Tcp,
                8443,
            ),
            // Another pod of the namespace: only the default deny selects it.
            flow(&pod("p", &[("app", "z")]), addr("1.1.1.1"), Proto::Tcp, 443),
            // A pod of a namespace without policies.
            flow(
                &pod("r", &[("app", "a")]),
                addr("169.254.169.254"),
                Proto::Tcp,
                80,
            ),
        ];
        agree(src, Target::Calico, &flows);
        agree(src, Target::CalicoEnterprise, &flows);
        // The verdicts themselves, with what decided them.
        let c = compile(&[Input::new("t.egress", src)], &[Target::Calico]);
        let m = Model::load(&c.outputs[0].stream(), false).unwrap();
        let d = decide(&m, &flows[0]);
        assert!(d.allowed);
        assert_eq!(d.rule.as_deref(), Some("p/a-egress spec.egress[2]"));
        assert_eq!(
            d.why,
            "Allow in tier default: 10.20.30.7 is in 10.20.30.0/24, protocol TCP, port 5432 is in 5432"
        );
        let d = decide(&m, &flows[1]);
        assert!(!d.allowed);
        assert_eq!(d.rule, None);
        assert_eq!(
            d.closest.as_deref(),
            Some(
                "p/a-egress spec.egress[2]: 10.20.30.7 is in 10.20.30.0/24, but tcp/5433 is not in ports 5432"
            )
        );
        let d = decide(&m, &flows[3]);
        assert!(!d.allowed);
        assert_eq!(d.rule.as_deref(), Some("p/a-egress-deny spec.egress[0]"));
        assert_eq!(
            d.why,
            "Deny in tier default: 169.254.169.254 is in 169.254.169.254/32"
        );
    }

    #[test]
    fn round_trip_guardrails_and_pods_without_policy() {
        let src = "cluster no-metadata deny metadata\ncluster no-smtp deny internet:25/tcp\nnamespace q\napp a -> dns, internet:443/tcp\n";
        let a = pod("q", &[("app", "a")]);
        let loose = pod("z", &[("app", "free")]);
        let flows = [
            flow(&loose, addr("169.254.169.254"), Proto::Tcp, 80),
            flow(&loose, addr("1.1.1.1"), Proto::Tcp, 80),
            flow(&loose, addr("1.1.1.1"), Proto::Tcp, 25),
            flow(&loose, addr("1.1.1.1"), Proto::Udp, 25),
            flow(
                &loose,
                Destination::Pod(pod("q", &[("app", "a")])),
                Proto::Tcp,
                25,
            ),
            flow(&a, addr("1.1.1.1"), Proto::Tcp, 443),
            flow(&a, addr("169.254.169.254"), Proto::Tcp, 443),
            flow(&a, addr("1.1.1.1"), Proto::Tcp, 80),
            flow(&a, addr("1.1.1.1"), Proto::Tcp, 25),
            flow(&a, dns_pod(), Proto::Udp, 53),
            flow(&pod("q", &[]), addr("1.1.1.1"), Proto::Tcp, 80),
        ];
        agree(src, Target::Calico, &flows);
        let c = compile(&[Input::new("t.egress", src)], &[Target::Calico]);
        let m = Model::load(&c.outputs[0].stream(), false).unwrap();
        let d = decide(&m, &flows[0]);
        assert_eq!(
            d.rule.as_deref(),
            Some("egressc-guardrails.no-metadata spec.egress[0]")
        );
        assert!(
            d.why.starts_with("Deny in tier egressc-guardrails"),
            "{}",
            d.why
        );
        let d = decide(&m, &flows[1]);
        assert!(d.allowed);
        assert!(d.why.contains("defaultAction Pass"), "{}", d.why);
        let d = decide(&m, &flows[7]);
        assert!(!d.allowed);
        assert!(
            d.why.starts_with("end of tier default: q/a-egress select"),
            "{}",
            d.why
        );
    }

    #[test]
    fn round_trip_domains_on_enterprise() {
        let src = "namespace j\ndefault deny\napp w -> dns, https(**.s3.amazonaws.com), fqdn(api.stripe.com:443), fqdn(example.org) deny metadata\n";
        let w = pod("j", &[("app", "w")]);
        let ip = Some("52.216.1.1");
        let flows = [
            flow(&w, host("bucket.s3.amazonaws.com", ip), Proto::Tcp, 443),
            flow(&w, host("a.b.s3.amazonaws.com", ip), Proto::Tcp, 443),
            flow(&w, host("s3.amazonaws.com", ip), Proto::Tcp, 443),
            flow(&w, host("bucket.s3.amazonaws.com", ip), Proto::Tcp, 80),
            flow(&w, host("api.stripe.com", ip), Proto::Tcp, 443),
            flow(&w, host("x.api.stripe.com", ip), Proto::Tcp, 443),
            flow(&w, host("example.org", ip), Proto::Udp, 9),
            flow(&w, host("evil.com", ip), Proto::Tcp, 443),
            flow(
                &w,
                host("api.stripe.com", Some("169.254.169.254")),
                Proto::Tcp,
                443,
            ),
            flow(&w, addr("52.216.1.1"), Proto::Tcp, 443),
        ];
        agree(src, Target::CalicoEnterprise, &flows);
        // Without an address, the metadata deny (by address, on every port) cannot be decided.
        let c = compile(&[Input::new("t.egress", src)], &[Target::CalicoEnterprise]);
        let m = Model::load(&c.outputs[0].stream(), true).unwrap();
        assert_eq!(
            m.decide(&flow(&w, host("api.stripe.com", None), Proto::Tcp, 443)),
            Err(Undecidable::NeedsAddress {
                host: "api.stripe.com".into()
            })
        );
        // And open-source Calico refuses to read what the enterprise build emitted.
        assert!(Model::load(&c.outputs[0].stream(), false).is_err());
    }

    #[test]
    fn round_trip_selectors_that_yaml_could_misread() {
        // A selector that starts with `!` is a YAML tag unless quoted.
        let src = "namespace p\ndefault deny\npods legacy {!app} -> dns, pods{!app, tier notin (a, b)}:80, pods(*){env in (prod, staging)}:81\n";
        let legacy = pod("p", &[]);
        let flows = [
            flow(&legacy, dns_pod(), Proto::Udp, 53),
            flow(&legacy, Destination::Pod(pod("p", &[])), Proto::Tcp, 80),
            flow(
                &legacy,
                Destination::Pod(pod("p", &[("tier", "a")])),
                Proto::Tcp,
                80,
            ),
            flow(
                &legacy,
                Destination::Pod(pod("p", &[("tier", "c")])),
                Proto::Tcp,
                80,
            ),
            flow(
                &legacy,
                Destination::Pod(pod("p", &[("app", "x")])),
                Proto::Tcp,
                80,
            ),
            flow(
                &legacy,
                Destination::Pod(pod("o", &[("env", "prod")])),
                Proto::Tcp,
                81,
            ),
            flow(
                &legacy,
                Destination::Pod(pod("o", &[("env", "dev")])),
                Proto::Tcp,
                81,
            ),
            flow(&pod("p", &[("app", "x")]), dns_pod(), Proto::Udp, 53),
        ];
        agree(src, Target::Calico, &flows);
    }

    // ---- every example and backend fixture, over a grid of flows ----

    /// Destinations and ports worth trying against a program: the peers it names (and near
    /// misses), well-known addresses, and the ports it names (and their neighbours).
    fn grid(ir: &crate::ir::Program) -> Vec<Flow> {
        let mut sources: Vec<Pod> = vec![pod("elsewhere", &[("app", "stranger")])];
        let mut dests: Vec<Destination> = [
            "10.20.30.7",
            "10.20.31.9",
            "10.40.7.5",
            "10.40.8.1",
            "10.30.0.5",
            "10.20.40.3",
            "10.20.50.3",
            "10.244.3.9",
            "10.96.0.10",
            "169.254.169.254",
            "1.1.1.1",
            "fd00:ec2::254",
            "2001:db8::1",
        ]
        .into_iter()
        .map(addr)
        .collect();
        dests.push(dns_pod());
        dests.push(Destination::Pod(pod("elsewhere", &[("app", "stranger")])));
        let mut ports: BTreeSet<(Proto, u16)> = [53, 443, 25, 80, 5432, 8080, 8443]
            .into_iter()
            .flat_map(|p| Proto::ALL.map(|proto| (proto, p)))
            .collect();
        for p in &ir.policies {
            let me = Pod {
                namespace: p.namespace.clone(),
                labels: p.selector.example(),
            };
            sources.push(me.clone());
            sources.push(pod(&p.namespace, &[("app", "stranger")]));
            dests.push(Destination::Pod(me));
            for r in p.allow.iter().chain(&p.deny) {
                if let PortSet::Ranges(rs) = &r.ports {
                    for x in rs {
                        ports.insert((x.proto, x.first));
                        ports.insert((x.proto, x.last));
                        ports.insert((x.proto, x.last.saturating_add(1)));
                    }
                }
                for peer in &r.peers {
                    match peer {
                        Peer::Pods {
                            namespace,
                            selector,
                        } => {
                            let ns = match namespace {
                                NamespaceSel::Named(n) => n.clone(),
                                NamespaceSel::Any => "elsewhere".to_owned(),
                            };
                            dests.push(Destination::Pod(Pod {
                                namespace: ns.clone(),
                                labels: selector.example(),
                            }));
                            dests.push(Destination::Pod(pod(&ns, &[("app", "stranger")])));
                        }
                        Peer::Host(h) => {
                            let names = match h.wildcard {
                                Wildcard::None => vec![h.base.clone(), format!("x.{}", h.base)],
                                Wildcard::OneLabel | Wildcard::AnyLabels => vec![
                                    h.base.clone(),
                                    format!("a.{}", h.base),
                                    format!("a.b.{}", h.base),
                                ],
                            };
                            for name in names {
                                for a in ["203.0.113.7", "169.254.169.254", "10.20.30.7"] {
                                    dests.push(host(&name, Some(a)));
                                }
                            }
                        }
                        Peer::Net(n) => {
                            dests.push(Destination::Address(n.network()));
                            dests.push(Destination::Address(n.broadcast()));
                        }
                    }
                }
            }
        }
        dests.push(host("evil.example.net", Some("203.0.113.7")));
        let mut flows = Vec::new();
        for s in &sources {
            for d in &dests {
                for (proto, port) in &ports {
                    flows.push(flow(s, d.clone(), *proto, *port));
                }
            }
        }
        flows.sort();
        flows.dedup();
        flows
    }

    /// `# targets: a, b` from the first lines of a source, or every target when absent.
    fn targets_of(src: &str) -> Vec<Target> {
        let line = src
            .lines()
            .find_map(|l| l.strip_prefix("# targets:"))
            .unwrap_or("calico, calico-enterprise");
        line.split(',')
            .filter_map(|t| match t.trim() {
                "calico" => Some(Target::Calico),
                "calico-enterprise" => Some(Target::CalicoEnterprise),
                _ => None,
            })
            .collect()
    }

    fn sources_under(dir: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                sources_under(&path, out);
            } else if path.extension().is_some_and(|e| e == "egress") {
                out.push((
                    path.display().to_string(),
                    std::fs::read_to_string(&path).unwrap(),
                ));
            }
        }
    }

    #[test]
    fn crafted_sources_agree_with_the_reference() {
        let sources = [
            // Guardrails that deny pods, in one namespace and in all; a pod deny.
            "cluster no-db deny pods(db){app=pg}:5432/tcp\ncluster no-ssh deny pods(*){}:22/tcp\nnamespace q\napp a -> dns, pods(db){}, pods(*){}:22/tcp deny pods{app=secret}\n",
            // Overlapping policies (a union), a deny of a port range, a deny of pods on a port.
            "namespace q\ndefault deny\napp a -> dns, internet deny internet:25/tcp, 10.0.0.0/8:1000-2000/udp\npods b {tier=x} -> pods{app=a} deny pods{app=a}:80\npods all {} -> 10.20.30.0/24:443/tcp\n",
            // IPv4 and IPv6 together, SCTP, every port of a range.
            "namespace v\ndefault deny\napp a -> dns, fd00::/8:443, 10.0.0.0/8:443, 192.168.0.0/16:3868/sctp, 172.16.0.0/12 deny fd00:ec2::254/128, 10.1.0.0/16:443\n",
            // Two namespaces, pods across them, set-based selectors.
            "namespace a\ndefault deny\npods w {env in (prod, staging), tier!=batch} -> dns, pods(b){app=api}:8443, pods(b){app=api, env=prod}:9443\nnamespace b\napp api -> dns deny private\n",
        ];
        let mut problems = Vec::new();
        for (i, src) in sources.iter().enumerate() {
            for target in [Target::Calico, Target::CalicoEnterprise] {
                let c = compile(&[Input::new("t.egress", *src)], &[target]);
                assert!(!c.has_errors(), "source {i}: {:?}", c.analysis.diagnostics);
                let flows = grid(c.analysis.ir.as_ref().unwrap());
                problems.extend(disagreements(&format!("source {i}"), src, target, &flows));
            }
        }
        assert!(
            problems.is_empty(),
            "{}",
            problems
                .iter()
                .take(20)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    #[test]
    fn round_trip_many_ports_and_nets_are_split_into_rules() {
        // More than 50 ports and more than 256 nets: the backend splits them over rules.
        let ports: Vec<String> = (0..120)
            .map(|i| format!("10.99.0.0/16:{}/tcp", 1000 + 2 * i))
            .collect();
        let nets: Vec<String> = (0..300)
            .map(|i| format!("10.{}.{}.0/24", i / 100, 2 * (i % 100)))
            .collect();
        let src = format!(
            "namespace n\ndefault deny\napp a -> {}, {}\n",
            ports.join(", "),
            nets.iter()
                .map(|n| format!("{n}:443/tcp"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let a = pod("n", &[("app", "a")]);
        let mut flows = Vec::new();
        for p in [999, 1000, 1001, 1120, 1238, 1239, 1240] {
            flows.push(flow(&a, addr("10.99.1.1"), Proto::Tcp, p));
        }
        for n in [0, 1, 199, 200, 299] {
            let net: IpNet = nets[n].parse().unwrap();
            flows.push(flow(
                &a,
                Destination::Address(net.broadcast()),
                Proto::Tcp,
                443,
            ));
            let next: IpAddr = match net.broadcast() {
                IpAddr::V4(v) => IpAddr::V4((u32::from(v) + 1).into()),
                v6 => v6,
            };
            flows.push(flow(&a, Destination::Address(next), Proto::Tcp, 443));
        }
        agree(&src, Target::Calico, &flows);
        let c = compile(&[Input::new("t.egress", src.as_str())], &[Target::Calico]);
        let yaml = c.outputs[0].stream();
        let m = Model::load(&yaml, false).unwrap();
        // tcp/1238 is the 120th port: the third rule of 50 ports.
        let allowed = decide(&m, &flows[4]);
        assert_eq!(
            allowed.rule.as_deref(),
            Some("n/a-egress spec.egress[2]"),
            "{yaml}"
        );
    }

    #[test]
    fn examples_and_fixtures_agree_with_the_reference() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = Vec::new();
        sources_under(&root.join("examples"), &mut sources);
        for dir in ["calico/ok", "calico-enterprise/ok", "ok"] {
            sources_under(&root.join("tests/fixtures/backend").join(dir), &mut sources);
        }
        let mut problems = Vec::new();
        let mut checked = 0;
        for (name, src) in &sources {
            for target in targets_of(src) {
                let c = compile(&[Input::new(name.as_str(), src.as_str())], &[target]);
                if c.has_errors() {
                    // Fixtures under ok/ may be for other targets only.
                    continue;
                }
                let flows = grid(c.analysis.ir.as_ref().unwrap());
                checked += flows.len();
                problems.extend(disagreements(name, src, target, &flows));
            }
        }
        assert!(checked > 10_000, "only {checked} flows checked");
        assert!(
            problems.is_empty(),
            "{} disagreements, first:\n{}",
            problems.len(),
            problems
                .iter()
                .take(20)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
