//! Checked values shared by the checker, the IR and the backends: protocols, port ranges,
//! host patterns, label selectors and peers. No syntax, no YAML.

use std::collections::BTreeSet;
use std::fmt;

use ipnet::IpNet;

/// An IP protocol: a transport protocol with ports (`tcp`, `udp`, `sctp`), ICMP for IPv4 or IPv6
/// (`icmp`, `icmpv6`, with a type and a code), or another IP protocol without ports (`gre`,
/// `esp`, `ah`, `vrrp`, `ipip`, `igmp`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Proto {
    Tcp,
    Udp,
    Sctp,
    Icmp,
    Icmpv6,
    Gre,
    Esp,
    Ah,
    Vrrp,
    Ipip,
    Igmp,
}

impl Proto {
    /// The protocols with ports, which a `/PROTO` after a port names.
    pub const WITH_PORTS: [Proto; 3] = [Proto::Tcp, Proto::Udp, Proto::Sctp];

    /// The protocols without ports, which a port suffix names on its own (`:icmp`, `:gre`).
    pub const PORTLESS: [Proto; 8] = [
        Proto::Icmp,
        Proto::Icmpv6,
        Proto::Gre,
        Proto::Esp,
        Proto::Ah,
        Proto::Vrrp,
        Proto::Ipip,
        Proto::Igmp,
    ];

    /// A protocol with ports: `tcp`, `udp` or `sctp`.
    pub fn parse(text: &str) -> Option<Proto> {
        Proto::WITH_PORTS.into_iter().find(|p| p.as_str() == text)
    }

    /// A protocol without ports: `icmp`, `icmpv6`, `gre`, `esp`, `ah`, `vrrp`, `ipip`, `igmp`.
    pub fn parse_portless(text: &str) -> Option<Proto> {
        Proto::PORTLESS.into_iter().find(|p| p.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Sctp => "sctp",
            Proto::Icmp => "icmp",
            Proto::Icmpv6 => "icmpv6",
            Proto::Gre => "gre",
            Proto::Esp => "esp",
            Proto::Ah => "ah",
            Proto::Vrrp => "vrrp",
            Proto::Ipip => "ipip",
            Proto::Igmp => "igmp",
        }
    }

    /// The upper-case spelling Kubernetes, Cilium and Calico use for protocols with ports.
    pub fn upper(self) -> &'static str {
        match self {
            Proto::Tcp => "TCP",
            Proto::Udp => "UDP",
            Proto::Sctp => "SCTP",
            Proto::Icmp => "ICMP",
            Proto::Icmpv6 => "ICMPv6",
            Proto::Gre => "GRE",
            Proto::Esp => "ESP",
            Proto::Ah => "AH",
            Proto::Vrrp => "VRRP",
            Proto::Ipip => "IPIP",
            Proto::Igmp => "IGMP",
        }
    }

    /// The IANA protocol number (`gre` is 47; IPIP is IP-in-IP, 4).
    pub fn number(self) -> u8 {
        match self {
            Proto::Tcp => 6,
            Proto::Udp => 17,
            Proto::Sctp => 132,
            Proto::Icmp => 1,
            Proto::Icmpv6 => 58,
            Proto::Gre => 47,
            Proto::Esp => 50,
            Proto::Ah => 51,
            Proto::Vrrp => 112,
            Proto::Ipip => 4,
            Proto::Igmp => 2,
        }
    }

    pub fn has_ports(self) -> bool {
        matches!(self, Proto::Tcp | Proto::Udp | Proto::Sctp)
    }

    pub fn is_icmp(self) -> bool {
        matches!(self, Proto::Icmp | Proto::Icmpv6)
    }

    /// The values a [`PortRange`] of this protocol runs over: ports 1-65535; for ICMP, type and
    /// code as `type × 256 + code` (see [`PortRange::icmp`]); 0 for the others.
    pub fn span(self) -> (u16, u16) {
        if self.has_ports() {
            (1, u16::MAX)
        } else if self.is_icmp() {
            (0, u16::MAX)
        } else {
            (0, 0)
        }
    }
}

/// What one protocol allows: `tcp/5432` or `udp/8000-8100` (an inclusive range of ports), an
/// ICMP type or type and code, or a whole protocol without ports (`gre`).
///
/// The set operations of [`PortSet`] need one ordered space per protocol, so ICMP's type and
/// code are numbered `type × 256 + code`: every ICMP message is `0..=65535`, type 8 is
/// `2048..=2303` and type 8 code 0 is `2048`. A protocol without ports has the single value 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortRange {
    pub proto: Proto,
    pub first: u16,
    pub last: u16,
}

impl PortRange {
    /// Every port, message or packet of `proto`.
    pub fn whole(proto: Proto) -> PortRange {
        let (first, last) = proto.span();
        PortRange { proto, first, last }
    }

    /// ICMP messages of one type (every code), or of one type and code.
    pub fn icmp(proto: Proto, kind: u8, code: Option<u8>) -> PortRange {
        let base = u16::from(kind) << 8;
        match code {
            Some(c) => PortRange {
                proto,
                first: base | u16::from(c),
                last: base | u16::from(c),
            },
            None => PortRange {
                proto,
                first: base,
                last: base | 0xff,
            },
        }
    }

    pub fn contains(&self, proto: Proto, port: u16) -> bool {
        self.proto == proto && self.first <= port && port <= self.last
    }

    /// Whether the range is every value of its protocol.
    pub fn is_whole(&self) -> bool {
        (self.first, self.last) == self.proto.span()
    }

    /// An ICMP range as the messages products name: whole types (`(8, None)`) and single codes
    /// (`(8, Some(0))`), in order; empty for another protocol.
    pub fn icmp_messages(&self) -> Vec<(u8, Option<u8>)> {
        if !self.proto.is_icmp() {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut at = u32::from(self.first);
        let last = u32::from(self.last);
        while at <= last {
            let kind = u8::try_from(at >> 8).unwrap_or(u8::MAX);
            let code = u8::try_from(at & 0xff).unwrap_or(u8::MAX);
            if code == 0 && at + 0xff <= last {
                out.push((kind, None));
                at += 0x100;
            } else {
                out.push((kind, Some(code)));
                at += 1;
            }
        }
        out
    }
}

/// `type 8`, `type 8 code 0`, `types 0-8`: an ICMP type and code as written in messages.
fn icmp_text(first: u16, last: u16) -> String {
    let (t1, c1, t2, c2) = (first >> 8, first & 0xff, last >> 8, last & 0xff);
    match (c1, c2) {
        (0, 0xff) if t1 == t2 => format!("type {t1}"),
        (0, 0xff) => format!("types {t1}-{t2}"),
        _ if t1 == t2 && c1 == c2 => format!("type {t1} code {c1}"),
        _ if t1 == t2 => format!("type {t1} codes {c1}-{c2}"),
        _ => format!("type {t1} code {c1} to type {t2} code {c2}"),
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proto = self.proto.as_str();
        if self.proto.is_icmp() {
            if self.is_whole() {
                f.write_str(proto)
            } else {
                write!(f, "{proto} {}", icmp_text(self.first, self.last))
            }
        } else if !self.proto.has_ports() {
            f.write_str(proto)
        } else if self.first == self.last {
            write!(f, "{proto}/{}", self.first)
        } else {
            write!(f, "{proto}/{}-{}", self.first, self.last)
        }
    }
}

/// The ports a rule allows or denies: every port of every protocol, or a normalised list of
/// ranges (sorted, merged, non-empty).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PortSet {
    All,
    Ranges(Vec<PortRange>),
}

impl PortSet {
    /// Sorts and merges overlapping or adjacent ranges of the same protocol.
    pub fn from_ranges(mut ranges: Vec<PortRange>) -> PortSet {
        ranges.sort();
        // Merged in place: each range joins the last one kept when it overlaps or touches it.
        ranges.dedup_by(|r, prev| {
            let joins = prev.proto == r.proto && u32::from(r.first) <= u32::from(prev.last) + 1;
            if joins {
                prev.last = prev.last.max(r.last);
            }
            joins
        });
        PortSet::Ranges(ranges)
    }

    pub fn union(&self, other: &PortSet) -> PortSet {
        match (self, other) {
            (PortSet::All, _) | (_, PortSet::All) => PortSet::All,
            (PortSet::Ranges(a), PortSet::Ranges(b)) => {
                PortSet::from_ranges(a.iter().chain(b.iter()).copied().collect())
            }
        }
    }

    pub fn contains(&self, proto: Proto, port: u16) -> bool {
        match self {
            PortSet::All => true,
            PortSet::Ranges(rs) => rs.iter().any(|r| r.contains(proto, port)),
        }
    }

    /// Whether every port of `other` is in `self`.
    pub fn covers(&self, other: &PortSet) -> bool {
        match (self, other) {
            (PortSet::All, _) => true,
            (PortSet::Ranges(_), PortSet::All) => false,
            (PortSet::Ranges(_), PortSet::Ranges(b)) => b.iter().all(|r| self.covers_range(r)),
        }
    }

    fn covers_range(&self, r: &PortRange) -> bool {
        match self {
            PortSet::All => true,
            // Ranges are merged, so one range must hold all of `r`.
            PortSet::Ranges(a) => a
                .iter()
                .any(|x| x.proto == r.proto && x.first <= r.first && r.last <= x.last),
        }
    }

    pub fn intersects(&self, other: &PortSet) -> bool {
        match (self, other) {
            (PortSet::All, _) | (_, PortSet::All) => true,
            (PortSet::Ranges(a), PortSet::Ranges(b)) => a.iter().any(|x| {
                b.iter()
                    .any(|y| x.proto == y.proto && x.first <= y.last && y.first <= x.last)
            }),
        }
    }

    /// `self \ other` when `self` is a list of ranges; `None` when `self` is every port (the
    /// rest of "every protocol" cannot be listed as ports).
    pub fn minus(&self, other: &PortSet) -> Option<PortSet> {
        let PortSet::Ranges(a) = self else {
            return match other {
                PortSet::All => Some(PortSet::Ranges(Vec::new())),
                PortSet::Ranges(_) => None,
            };
        };
        let PortSet::Ranges(b) = other else {
            return Some(PortSet::Ranges(Vec::new()));
        };
        let mut out = Vec::new();
        for x in a {
            let mut pieces = vec![*x];
            for y in b.iter().filter(|y| y.proto == x.proto) {
                let mut next = Vec::new();
                for p in pieces {
                    if y.last < p.first || p.last < y.first {
                        next.push(p);
                        continue;
                    }
                    if p.first < y.first {
                        next.push(PortRange {
                            last: y.first - 1,
                            ..p
                        });
                    }
                    if y.last < p.last {
                        next.push(PortRange {
                            first: y.last + 1,
                            ..p
                        });
                    }
                }
                pieces = next;
            }
            out.extend(pieces);
        }
        Some(PortSet::from_ranges(out))
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, PortSet::Ranges(r) if r.is_empty())
    }
}

impl fmt::Display for PortSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortSet::All => f.write_str("any port"),
            PortSet::Ranges(rs) => {
                let parts: Vec<String> = rs.iter().map(ToString::to_string).collect();
                f.write_str(&parts.join(", "))
            }
        }
    }
}

/// How many labels a leading wildcard stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Wildcard {
    /// `api.stripe.com`
    None,
    /// `*.example.com`: exactly one label.
    OneLabel,
    /// `**.example.com`: one or more labels.
    AnyLabels,
    /// `special*service.example.com`: a first label in which each `*` stands for zero or more
    /// characters of a label (never a `.`); `base` is then the whole pattern.
    InLabel,
}

/// A host name, possibly with a leading wildcard. `base` is lower case without the wildcard
/// (the whole pattern for [`Wildcard::InLabel`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostPattern {
    pub wildcard: Wildcard,
    pub base: String,
}

impl HostPattern {
    /// A name the pattern matches: the name itself, or one with each wildcard filled in
    /// (`a.example.com` for `*.example.com`, `a.b.example.com` for `**.example.com`).
    pub fn example(&self) -> String {
        match self.wildcard {
            Wildcard::None => self.base.clone(),
            Wildcard::OneLabel => format!("a.{}", self.base),
            Wildcard::AnyLabels => format!("a.b.{}", self.base),
            Wildcard::InLabel => self.base.replace('*', "a"),
        }
    }

    /// Whether a (lower-case, dot-separated) name matches this pattern.
    pub fn matches(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.');
        match self.wildcard {
            Wildcard::None => name == self.base,
            Wildcard::OneLabel | Wildcard::AnyLabels => {
                let Some(prefix) = name.strip_suffix(self.base.as_str()) else {
                    return false;
                };
                let Some(labels) = prefix.strip_suffix('.') else {
                    return false;
                };
                !labels.is_empty()
                    && !labels.split('.').any(str::is_empty)
                    && (self.wildcard == Wildcard::AnyLabels || !labels.contains('.'))
            }
            Wildcard::InLabel => {
                let (Some((pattern, rest)), Some((label, name_rest))) =
                    (self.base.split_once('.'), name.split_once('.'))
                else {
                    return false;
                };
                rest == name_rest && !label.is_empty() && label_matches(pattern, label)
            }
        }
    }
}

impl HostPattern {
    /// Whether every name `other` matches, this pattern matches too (exactly for the forms the
    /// language writes; a mid-label pattern covers only itself and the exact names it matches).
    pub fn covers(&self, other: &HostPattern) -> bool {
        // The names under `base`, at any depth: `base` itself or a name ending in `.base`.
        let under = |base: &str, name: &str| {
            name == base
                || name
                    .strip_suffix(base)
                    .is_some_and(|head| head.ends_with('.'))
        };
        // What follows a mid-label pattern's first label.
        let rest = |p: &HostPattern| p.base.split_once('.').map(|(_, r)| r.to_owned());
        match (self.wildcard, other.wildcard) {
            (_, Wildcard::None) => self.matches(&other.base),
            (Wildcard::OneLabel, Wildcard::OneLabel) => self.base == other.base,
            (Wildcard::OneLabel, Wildcard::InLabel) => rest(other).is_some_and(|r| r == self.base),
            (Wildcard::AnyLabels, Wildcard::OneLabel | Wildcard::AnyLabels) => {
                under(&self.base, &other.base)
            }
            (Wildcard::AnyLabels, Wildcard::InLabel) => {
                rest(other).is_some_and(|r| under(&self.base, &r))
            }
            (Wildcard::InLabel, Wildcard::InLabel) => self == other,
            _ => false,
        }
    }
}

/// Whether a label matches a label pattern in which each `*` is zero or more characters.
fn label_matches(pattern: &str, label: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == label,
        Some((head, tail)) => {
            label.starts_with(head)
                && (head.len()..=label.len()).any(|k| {
                    label
                        .get(k..)
                        .is_some_and(|after| label_matches(tail, after))
                })
        }
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.wildcard {
            Wildcard::None => f.write_str(&self.base),
            Wildcard::OneLabel => write!(f, "*.{}", self.base),
            Wildcard::AnyLabels => write!(f, "**.{}", self.base),
            Wildcard::InLabel => f.write_str(&self.base),
        }
    }
}

/// One requirement of a label selector.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LabelReq {
    Eq(String, String),
    In(String, BTreeSet<String>),
    NotIn(String, BTreeSet<String>),
    Exists(String),
    DoesNotExist(String),
}

impl LabelReq {
    pub fn key(&self) -> &str {
        match self {
            LabelReq::Eq(k, _)
            | LabelReq::In(k, _)
            | LabelReq::NotIn(k, _)
            | LabelReq::Exists(k)
            | LabelReq::DoesNotExist(k) => k,
        }
    }

    pub fn matches(&self, labels: &std::collections::BTreeMap<String, String>) -> bool {
        match self {
            LabelReq::Eq(k, v) => labels.get(k) == Some(v),
            LabelReq::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
            LabelReq::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
            LabelReq::Exists(k) => labels.contains_key(k),
            LabelReq::DoesNotExist(k) => !labels.contains_key(k),
        }
    }
}

impl fmt::Display for LabelReq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |vs: &BTreeSet<String>| vs.iter().cloned().collect::<Vec<_>>().join(", ");
        match self {
            LabelReq::Eq(k, v) => write!(f, "{k}={v}"),
            LabelReq::In(k, vs) => write!(f, "{k} in ({})", set(vs)),
            LabelReq::NotIn(k, vs) => write!(f, "{k} notin ({})", set(vs)),
            LabelReq::Exists(k) => write!(f, "{k}"),
            LabelReq::DoesNotExist(k) => write!(f, "!{k}"),
        }
    }
}

/// A conjunction of label requirements; empty selects every pod. Sorted and deduplicated.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct LabelSelector {
    pub reqs: Vec<LabelReq>,
}

impl LabelSelector {
    pub fn new(mut reqs: Vec<LabelReq>) -> LabelSelector {
        reqs.sort();
        reqs.dedup();
        LabelSelector { reqs }
    }

    pub fn matches(&self, labels: &std::collections::BTreeMap<String, String>) -> bool {
        self.reqs.iter().all(|r| r.matches(labels))
    }

    /// Labels of a pod this selector selects (for flows and expectations): every `=` and the
    /// first value of every `in`; `notin` and `!key` need no label; `key` gets a value.
    pub fn example(&self) -> std::collections::BTreeMap<String, String> {
        let mut labels = std::collections::BTreeMap::new();
        for r in &self.reqs {
            match r {
                LabelReq::Eq(k, v) => {
                    labels.insert(k.clone(), v.clone());
                }
                LabelReq::In(k, vs) => {
                    if let Some(v) = vs.iter().next() {
                        labels.insert(k.clone(), v.clone());
                    }
                }
                LabelReq::Exists(k) => {
                    labels
                        .entry(k.clone())
                        .or_insert_with(|| "example".to_owned());
                }
                LabelReq::NotIn(..) | LabelReq::DoesNotExist(_) => {}
            }
        }
        labels
    }

    /// A conservative test: `false` only when no set of labels can satisfy both selectors
    /// (they require different values for one key, or one requires a key the other forbids).
    pub fn may_overlap(&self, other: &LabelSelector) -> bool {
        for a in &self.reqs {
            for b in &other.reqs {
                if a.key() != b.key() {
                    continue;
                }
                let disjoint = match (a, b) {
                    (LabelReq::Eq(_, x), LabelReq::Eq(_, y)) => x != y,
                    (LabelReq::Eq(_, x), LabelReq::In(_, ys))
                    | (LabelReq::In(_, ys), LabelReq::Eq(_, x)) => !ys.contains(x),
                    (LabelReq::Eq(_, x), LabelReq::NotIn(_, ys))
                    | (LabelReq::NotIn(_, ys), LabelReq::Eq(_, x)) => ys.contains(x),
                    (LabelReq::In(_, xs), LabelReq::In(_, ys)) => xs.is_disjoint(ys),
                    (LabelReq::DoesNotExist(_), LabelReq::DoesNotExist(_)) => false,
                    (LabelReq::DoesNotExist(_), _) | (_, LabelReq::DoesNotExist(_)) => {
                        !matches!((a, b), (LabelReq::NotIn(..), _) | (_, LabelReq::NotIn(..)))
                    }
                    _ => false,
                };
                if disjoint {
                    return false;
                }
            }
        }
        true
    }
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.reqs.iter().map(ToString::to_string).collect();
        write!(f, "{{{}}}", parts.join(", "))
    }
}

/// The pairs `(i, j)`, `i < j`, of selectors in one namespace that may select a common pod,
/// without comparing every pair: selectors that require `app=X` are indexed by `X` (two such
/// selectors with different values never overlap), so the work grows with the number of
/// selectors times the number of selectors without an `app=` requirement, not quadratically.
pub fn overlapping_pairs(selectors: &[(&str, &LabelSelector)]) -> Vec<(usize, usize)> {
    use std::collections::BTreeMap;
    fn app_of(s: &LabelSelector) -> Option<&str> {
        s.reqs.iter().find_map(|r| match r {
            LabelReq::Eq(k, v) if k == "app" => Some(v.as_str()),
            _ => None,
        })
    }
    let mut by_app: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    let mut generic: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut by_namespace: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, (ns, sel)) in selectors.iter().enumerate() {
        match app_of(sel) {
            Some(app) => by_app.entry((*ns, app)).or_default().push(i),
            None => generic.entry(*ns).or_default().push(i),
        }
        by_namespace.entry(*ns).or_default().push(i);
    }
    let mut pairs = std::collections::BTreeSet::new();
    let mut consider = |a: usize, b: usize| {
        let (i, j) = if a < b { (a, b) } else { (b, a) };
        if i != j
            && let (Some((_, x)), Some((_, y))) = (selectors.get(i), selectors.get(j))
            && x.may_overlap(y)
        {
            pairs.insert((i, j));
        }
    };
    for same in by_app.values() {
        for (k, a) in same.iter().enumerate() {
            for b in same.iter().skip(k + 1) {
                consider(*a, *b);
            }
        }
    }
    for (ns, generic) in &generic {
        for a in generic {
            for b in by_namespace.get(ns).into_iter().flatten() {
                consider(*a, *b);
            }
        }
    }
    pairs.into_iter().collect()
}

/// What the program declares about the cluster's addresses (`set pod-cidrs`, `set
/// service-cidrs`, `set node-cidrs`, `set apiserver`); each list is empty when not declared.
///
/// An address range in the language means the addresses in it outside the cluster: not pods,
/// not nodes, not Services' cluster IPs. Targets that match pods and nodes by address (Calico's
/// `nets`, native `ipBlock` under some implementations) exclude the declared ranges from it
/// ([`ClusterFacts::outside`]); the API server's addresses and the node ranges stand for the
/// destinations `kube-apiserver` and `nodes` where a target has no name for them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterFacts {
    pub pods: Vec<IpNet>,
    pub services: Vec<IpNet>,
    pub nodes: Vec<IpNet>,
    pub apiserver: Vec<IpNet>,
    /// The name of the cluster the policies are applied in, in a cluster mesh (`set
    /// cluster-name = cluster1`): what pods of other clusters are told apart from.
    pub name: Option<String>,
}

impl ClusterFacts {
    /// The declared ranges that are not outside the cluster: pods, nodes and Services.
    pub fn inside(&self) -> impl Iterator<Item = &IpNet> {
        self.pods.iter().chain(&self.nodes).chain(&self.services)
    }

    /// The part of `net` outside the cluster, as the ranges to cut out of it: `None` when a
    /// declared range holds all of `net` (nothing of it is outside), else the declared pod, node
    /// and Service ranges strictly inside it (widest first, none inside another).
    pub fn outside(&self, net: &IpNet) -> Option<Vec<IpNet>> {
        cut(net, self.inside())
    }

    /// The part of node range `net` that is nodes: `None` when a declared pod or Service range
    /// holds all of it, else those ranges strictly inside it.
    pub fn node_part(&self, net: &IpNet) -> Option<Vec<IpNet>> {
        cut(net, self.pods.iter().chain(&self.services))
    }
}

/// `net` minus `ranges`: `None` when one of them holds all of it, else the ranges strictly
/// inside it, aggregated (a range inside another is left out).
fn cut<'a>(net: &IpNet, ranges: impl Iterator<Item = &'a IpNet>) -> Option<Vec<IpNet>> {
    let mut inside = Vec::new();
    for r in ranges {
        if r.contains(net) {
            return None;
        }
        if net.contains(r) {
            inside.push(*r);
        }
    }
    Some(IpNet::aggregate(&inside))
}

/// The one label every namespace carries, set by the control plane to the namespace's name
/// (<https://kubernetes.io/docs/reference/labels-annotations-taints/#kubernetes-io-metadata-name>).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Which namespaces a pod peer lives in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum NamespaceSel {
    Named(String),
    #[default]
    Any,
    /// `ns{team=payments}`: every namespace whose labels match.
    Labels(LabelSelector),
}

impl NamespaceSel {
    /// Whether a namespace with this name and these labels is selected.
    pub fn matches(&self, name: &str, labels: &std::collections::BTreeMap<String, String>) -> bool {
        match self {
            NamespaceSel::Named(n) => n == name,
            NamespaceSel::Any => true,
            NamespaceSel::Labels(sel) => sel.matches(labels),
        }
    }

    /// A conservative test: `false` only when no namespace can be selected by both.
    pub fn may_overlap(&self, other: &NamespaceSel) -> bool {
        match (self, other) {
            (NamespaceSel::Named(x), NamespaceSel::Named(y)) => x == y,
            (NamespaceSel::Labels(a), NamespaceSel::Labels(b)) => a.may_overlap(b),
            _ => true,
        }
    }
}

impl fmt::Display for NamespaceSel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NamespaceSel::Named(n) => f.write_str(n),
            NamespaceSel::Any => f.write_str("*"),
            NamespaceSel::Labels(sel) => write!(f, "ns{sel}"),
        }
    }
}

/// What an HTTP allowance matches in a request's path: `Exact("/v1/orders")` that path, with
/// or without a query string; `Prefix("/v1/")` (written `/v1/*`) every path that starts with it,
/// with or without a query string.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathPattern {
    Exact(String),
    Prefix(String),
}

impl PathPattern {
    /// Whether a request's path (its query string already removed) matches.
    pub fn matches(&self, path: &str) -> bool {
        match self {
            PathPattern::Exact(p) => path == p,
            PathPattern::Prefix(p) => path.starts_with(p.as_str()),
        }
    }
}

impl fmt::Display for PathPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathPattern::Exact(p) => f.write_str(p),
            PathPattern::Prefix(p) => write!(f, "{p}*"),
        }
    }
}

/// What an HTTP allowance matches in a request's `Host` header (`:authority` in HTTP/2), as the
/// client sent it: `host = api.example.com` the name alone, `host = api.example.com:8080` the
/// name and that port (clients write the port when it is not the scheme's default). The name
/// is matched as host names are (`*.x` one label, `**.x` one or more), in lower case, without a
/// final dot.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HttpHost {
    pub name: HostPattern,
    pub port: Option<u16>,
}

impl HttpHost {
    /// Whether a `Host` header, as sent, matches.
    pub fn matches(&self, header: &str) -> bool {
        let name = match self.port {
            None => header,
            Some(p) => match header.rsplit_once(':') {
                Some((name, port)) if port == p.to_string() => name,
                _ => return false,
            },
        };
        !name.contains(':') && !name.ends_with('.') && self.name.matches(name)
    }
}

impl fmt::Display for HttpHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            None => write!(f, "{}", self.name),
            Some(p) => write!(f, "{}:{p}", self.name),
        }
    }
}

/// A header an HTTP allowance requires: `header = X-Team` (present, whatever its value) or
/// `header = "X-Team: payments"` (present with exactly that value). The name is matched
/// without regard to case and kept in lower case; the value is the header's whole value, its
/// lines joined by `,` when the request sends it more than once (RFC 9110, 5.3), compared
/// byte for byte.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HeaderMatch {
    pub name: String,
    pub value: Option<String>,
}

impl HeaderMatch {
    /// Whether a request with these header lines (name and value, as sent) matches.
    pub fn matches(&self, headers: &[(String, String)]) -> bool {
        let values: Vec<&str> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(&self.name))
            .map(|(_, v)| v.as_str())
            .collect();
        !values.is_empty() && self.value.as_ref().is_none_or(|v| values.join(",") == *v)
    }

    /// A value the header can be sent with to match: its value, or `1` for a presence.
    pub fn example(&self) -> String {
        self.value.clone().unwrap_or_else(|| "1".to_owned())
    }
}

impl fmt::Display for HeaderMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bare = self.name.starts_with(|c: char| c.is_ascii_alphabetic())
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        match &self.value {
            Some(v) => write!(f, "\"{}: {v}\"", self.name),
            None if bare => f.write_str(&self.name),
            None => write!(f, "\"{}\"", self.name),
        }
    }
}

/// The HTTP requests an allowance is narrowed to (`http(DEST, method = GET, path = "/v1/*",
/// host = api.example.com, header = "X-Team: payments")`): each field given must match, and
/// every header; at least one field or header is given.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct HttpMatch {
    /// An upper-case method, matched exactly.
    pub method: Option<String>,
    pub path: Option<PathPattern>,
    pub host: Option<HttpHost>,
    /// The headers required, each name once, in order of name.
    pub headers: Vec<HeaderMatch>,
}

impl HttpMatch {
    /// Whether a request with this method, path (without its query), `Host` header (as sent)
    /// and other header lines matches.
    pub fn matches(
        &self,
        method: &str,
        path: &str,
        host: &str,
        headers: &[(String, String)],
    ) -> bool {
        self.method.as_deref().is_none_or(|m| m == method)
            && self.path.as_ref().is_none_or(|p| p.matches(path))
            && self.host.as_ref().is_none_or(|h| h.matches(host))
            && self.headers.iter().all(|h| h.matches(headers))
    }

    /// The header lines of a request it matches: each header it requires, with its example
    /// value (see [`HeaderMatch::example`]).
    pub fn example_headers(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|h| (h.name.clone(), h.example()))
            .collect()
    }
}

impl HttpMatch {
    /// A request it matches, as (method, request target, host): its method (else `GET`), its
    /// path (a prefix followed by `example`), its host (a name its pattern matches, else
    /// `example.org`).
    pub fn example(&self) -> (String, String, String) {
        let method = self.method.clone().unwrap_or_else(|| "GET".to_owned());
        let target = match &self.path {
            None => "/".to_owned(),
            Some(PathPattern::Exact(p)) => p.clone(),
            Some(PathPattern::Prefix(p)) => format!("{p}example"),
        };
        let host = match &self.host {
            None => "example.org".to_owned(),
            Some(h) => {
                let name = h.name.example();
                match h.port {
                    None => name,
                    Some(p) => format!("{name}:{p}"),
                }
            }
        };
        (method, target, host)
    }
}

impl fmt::Display for HttpMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(m) = &self.method {
            parts.push(format!("method = {m}"));
        }
        if let Some(p) = &self.path {
            parts.push(format!("path = \"{p}\""));
        }
        if let Some(h) = &self.host {
            parts.push(format!("host = {h}"));
        }
        for h in &self.headers {
            parts.push(format!("header = {h}"));
        }
        f.write_str(&parts.join(", "))
    }
}

/// The pods a cluster-wide statement selects: those its label selector selects in the namespaces
/// it chooses (every namespace, or those whose labels match; `except NS, ...` is a requirement
/// on the namespace's name label).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Subject {
    pub namespaces: NamespaceSel,
    pub selector: LabelSelector,
}

impl Subject {
    /// Whether a pod with these labels, in a namespace with this name and labels, is selected.
    pub fn matches(
        &self,
        namespace: &str,
        namespace_labels: &std::collections::BTreeMap<String, String>,
        labels: &std::collections::BTreeMap<String, String>,
    ) -> bool {
        self.namespaces.matches(namespace, namespace_labels) && self.selector.matches(labels)
    }

    /// Whether it selects every pod of the cluster.
    pub fn is_every_pod(&self) -> bool {
        self.namespaces == NamespaceSel::Any && self.selector.reqs.is_empty()
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pods({}){}", self.namespaces, self.selector)
    }
}

/// Appends `net` to `out` as its `Display` writes it (`10.0.0.0/24`, `fd00::/8`): an IPv4
/// range digit by digit, without the formatting machinery, which costs ten times as much.
pub fn push_net(out: &mut String, net: &IpNet) {
    fn push_u8(out: &mut String, n: u8) {
        if n >= 100 {
            out.push(char::from(b'0' + n / 100));
        }
        if n >= 10 {
            out.push(char::from(b'0' + n / 10 % 10));
        }
        out.push(char::from(b'0' + n % 10));
    }
    match net {
        IpNet::V4(n) => {
            for (i, octet) in n.addr().octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_u8(out, octet);
            }
            out.push('/');
            push_u8(out, n.prefix_len());
        }
        IpNet::V6(_) => {
            let _ = fmt::Write::write_fmt(out, format_args!("{net}"));
        }
    }
}

/// Where traffic goes: an address range, a host name, pods, or everywhere.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Peer {
    Net(IpNet),
    Host(HostPattern),
    Pods {
        namespace: NamespaceSel,
        selector: LabelSelector,
    },
    /// `any`: every destination, inside the cluster or outside it (addresses, host names, pods,
    /// nodes, the API server).
    Any,
    /// `serviceaccount(payments/ledger)`: the pods of a namespace running as a service account.
    ServiceAccount {
        namespace: String,
        name: String,
    },
    /// `service(kube-system/kube-dns)`: the endpoints of a Service, on the Service's own ports.
    Service {
        namespace: String,
        name: String,
    },
    /// `kube-apiserver`: the API server, at its endpoint addresses (on a node or outside the
    /// cluster).
    ApiServer,
    /// `nodes`, `this-node`, `other-nodes`: nodes of the cluster, at their addresses.
    Nodes(Nodes),
    /// `cluster`: everything inside the cluster: every pod of every namespace, every node and
    /// the API server.
    Cluster,
    /// `http(api.example.com:80, method = GET)`: the HTTP requests to `peer` that `http`
    /// matches (and nothing else on the port: not other requests, not other protocols).
    Http {
        peer: Box<Peer>,
        /// Boxed: the largest field of any peer, which every other peer would be as large as.
        http: Box<HttpMatch>,
    },
    /// `tls(api.example.com:443, name = api.example.com)`: the TLS connections to `peer` whose
    /// ClientHello names a server one of `names` matches (and nothing else on the port: not a
    /// connection without a server name, not another protocol). The names are sorted, each once.
    Tls {
        peer: Box<Peer>,
        names: Vec<HostPattern>,
    },
    /// `pods(default, cluster = cluster2){name=rebel-base}`: pods of another cluster of a
    /// cluster mesh, never of the cluster the policies are applied in (`Pods` are only those).
    RemotePods {
        cluster: String,
        namespace: NamespaceSel,
        selector: LabelSelector,
    },
    /// `dns(name = api.example.com)`: the DNS server `peer` (on the ports the allowance gives),
    /// for the lookups of the names one of `names` matches only: a lookup of another name is
    /// refused. Traffic that carries no lookup is allowed as `peer` would be. The names are
    /// sorted, each once.
    Dns {
        peer: Box<Peer>,
        names: Vec<HostPattern>,
    },
}

/// A Cilium reserved identity that a `reserved` statement names as its subject: endpoints that
/// carry it instead of a pod's labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reserved {
    /// `init`: endpoints still initialising, whose labels are not known yet.
    Init,
    /// `health`: the health endpoints Cilium runs on each node.
    Health,
}

impl Reserved {
    /// Every reserved identity, in the order the language lists them.
    pub const ALL: [Reserved; 2] = [Reserved::Init, Reserved::Health];

    /// The identity's name in the language (`reserved init -> ...`).
    pub fn name(self) -> &'static str {
        match self {
            Reserved::Init => "init",
            Reserved::Health => "health",
        }
    }

    /// The identity named `name`, if there is one.
    pub fn named(name: &str) -> Option<Reserved> {
        Reserved::ALL.into_iter().find(|r| r.name() == name)
    }

    /// Cilium's identity label for it (`reserved:init`).
    pub fn label(self) -> String {
        format!("reserved:{}", self.name())
    }
}

/// Which nodes a [`Peer::Nodes`] means, seen from the sending pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Nodes {
    /// `nodes`: every node.
    All,
    /// `this-node`: the node the sending pod runs on.
    This,
    /// `other-nodes`: every node but the one the sending pod runs on.
    Others,
}

impl Nodes {
    /// The destination's name in the language.
    pub fn name(self) -> &'static str {
        match self {
            Nodes::All => "nodes",
            Nodes::This => "this-node",
            Nodes::Others => "other-nodes",
        }
    }

    /// Whether the node the pod runs on (`this`) or another one is among these nodes.
    pub fn includes(self, this: bool) -> bool {
        match self {
            Nodes::All => true,
            Nodes::This => this,
            Nodes::Others => !this,
        }
    }
}

impl Peer {
    /// The cluster's DNS server unless `set dns-server` says otherwise: the CoreDNS pods,
    /// `k8s-app=kube-dns` in `kube-system`.
    pub fn default_dns_server() -> Peer {
        Peer::Pods {
            namespace: NamespaceSel::Named("kube-system".to_owned()),
            selector: LabelSelector::new(vec![LabelReq::Eq(
                "k8s-app".to_owned(),
                "kube-dns".to_owned(),
            )]),
        }
    }

    /// Whether this peer includes some of the DNS server `server` (pods or addresses): pods
    /// whose namespace and selector take in a pod of the server, an address range holding one
    /// of its addresses, or `any`. A service account of the server's namespace counts (the
    /// server's pods may run as it).
    pub fn includes_dns_server(&self, server: &[Peer]) -> bool {
        server.iter().any(|s| match (self, s) {
            (Peer::Any, _) | (Peer::Cluster, Peer::Pods { .. }) => true,
            // The Service in front of the CoreDNS pods, by the name every distribution gives it.
            (Peer::Service { namespace, name }, s) => {
                namespace == "kube-system" && name == "kube-dns" && *s == Peer::default_dns_server()
            }
            (
                Peer::Pods {
                    namespace,
                    selector,
                },
                Peer::Pods {
                    namespace: sn,
                    selector: ss,
                },
            ) => {
                let ns = match sn {
                    NamespaceSel::Named(n) => namespace.matches(
                        n,
                        &std::collections::BTreeMap::from([(
                            NAMESPACE_NAME_LABEL.to_owned(),
                            n.clone(),
                        )]),
                    ),
                    NamespaceSel::Any => *namespace == NamespaceSel::Any,
                    NamespaceSel::Labels(l) => {
                        *namespace == NamespaceSel::Any || namespace.matches("", &l.example())
                    }
                };
                ns && selector.matches(&ss.example())
            }
            (Peer::ServiceAccount { namespace, .. }, Peer::Pods { namespace: sn, .. }) => {
                sn.may_overlap(&NamespaceSel::Named(namespace.clone()))
            }
            (Peer::Net(a), Peer::Net(b)) => a.contains(b),
            _ => false,
        })
    }

    /// Whether two peers can match a common destination (conservative for pods).
    pub fn may_overlap(&self, other: &Peer) -> bool {
        match (self, other) {
            // An HTTP allowance reaches some of its peer's destinations.
            (Peer::Http { peer, .. }, o) | (o, Peer::Http { peer, .. }) => peer.may_overlap(o),
            // So does a TLS allowance.
            (Peer::Tls { peer, .. }, o) | (o, Peer::Tls { peer, .. }) => peer.may_overlap(o),
            // Pods of another cluster are none of this cluster's destinations; `any` holds them.
            (
                Peer::RemotePods {
                    cluster: ca,
                    namespace: na,
                    selector: sa,
                },
                Peer::RemotePods {
                    cluster: cb,
                    namespace: nb,
                    selector: sb,
                },
            ) => ca == cb && na.may_overlap(nb) && sa.may_overlap(sb),
            (Peer::RemotePods { .. }, o) | (o, Peer::RemotePods { .. }) => *o == Peer::Any,
            // And a DNS allowance with names.
            (Peer::Dns { peer, .. }, o) | (o, Peer::Dns { peer, .. }) => peer.may_overlap(o),
            (Peer::Net(a), Peer::Net(b)) => a.contains(b) || b.contains(a),
            (Peer::Host(a), Peer::Host(b)) => {
                a == b || a.wildcard != Wildcard::None || b.wildcard != Wildcard::None
            }
            (
                Peer::Pods {
                    namespace: na,
                    selector: sa,
                },
                Peer::Pods {
                    namespace: nb,
                    selector: sb,
                },
            ) => na.may_overlap(nb) && sa.may_overlap(sb),
            (Peer::Any, _) | (_, Peer::Any) => true,
            (
                Peer::Service {
                    namespace: na,
                    name: a,
                },
                Peer::Service {
                    namespace: nb,
                    name: b,
                },
            ) => na == nb && a == b,
            // A Service's endpoints are pods, or any addresses for a Service without a selector
            // (the API server's for `kubernetes` in `default`).
            (Peer::Service { .. }, _) | (_, Peer::Service { .. }) => true,
            // Everything inside the cluster; the API server may also be outside it, at an
            // address an address range matches.
            (Peer::Cluster, p) | (p, Peer::Cluster) => !matches!(p, Peer::Host(_)),
            // The API server may run on a node, or outside the cluster.
            (Peer::ApiServer, Peer::ApiServer | Peer::Nodes(_) | Peer::Net(_))
            | (Peer::Nodes(_) | Peer::Net(_), Peer::ApiServer) => true,
            (Peer::Nodes(a), Peer::Nodes(b)) => {
                (a.includes(true) && b.includes(true)) || (a.includes(false) && b.includes(false))
            }
            (
                Peer::ServiceAccount {
                    namespace: na,
                    name: a,
                },
                Peer::ServiceAccount {
                    namespace: nb,
                    name: b,
                },
            ) => na == nb && a == b,
            // Pods chosen by labels may run as any service account.
            (Peer::ServiceAccount { namespace, .. }, Peer::Pods { namespace: ns, .. })
            | (Peer::Pods { namespace: ns, .. }, Peer::ServiceAccount { namespace, .. }) => {
                ns.may_overlap(&NamespaceSel::Named(namespace.clone()))
            }
            _ => false,
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Net(n) => write!(f, "{n}"),
            Peer::Host(h) => write!(f, "{h}"),
            Peer::Pods {
                namespace,
                selector,
            } => write!(f, "pods({namespace}){selector}"),
            Peer::Any => f.write_str("any"),
            Peer::ServiceAccount { namespace, name } => {
                write!(f, "serviceaccount({namespace}/{name})")
            }
            Peer::Service { namespace, name } => write!(f, "service({namespace}/{name})"),
            Peer::ApiServer => f.write_str("kube-apiserver"),
            Peer::Nodes(n) => f.write_str(n.name()),
            Peer::Cluster => f.write_str("cluster"),
            Peer::Http { peer, http } => write!(f, "http({peer}, {http})"),
            Peer::Tls { peer, names } => {
                write!(f, "tls({peer}")?;
                for n in names {
                    write!(f, ", name = {n}")?;
                }
                f.write_str(")")
            }
            Peer::RemotePods {
                cluster,
                namespace,
                selector,
            } => write!(f, "pods({namespace}, cluster = {cluster}){selector}"),
            // As written: the DNS server is the program's (`dns-server`).
            Peer::Dns { names, .. } => {
                let names: Vec<String> = names.iter().map(|n| format!("name = {n}")).collect();
                write!(f, "dns({})", names.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(proto: Proto, first: u16, last: u16) -> PortRange {
        PortRange { proto, first, last }
    }

    /// Every checked destination and rule holds peers by value: a peer is as large as its
    /// largest kind, so the large parts of a rare kind are boxed.
    #[test]
    fn a_peer_is_no_larger_than_ten_words() {
        assert!(
            std::mem::size_of::<Peer>() <= 80,
            "{}",
            std::mem::size_of::<Peer>()
        );
    }

    /// `push_net` writes what `Display` writes, for IPv4 ranges of every length with and
    /// without host bits, and IPv6 ranges.
    #[test]
    fn ranges_are_pushed_as_displayed() {
        let mut next = crate::ir::draws(3);
        for _ in 0..5000 {
            let octets = [0; 4].map(|_: u8| [0, 1, 9, 10, 99, 100, 169, 254, 255][next(9)]);
            let v4 = ipnet::Ipv4Net::new(octets.into(), next(33) as u8).unwrap();
            let v6 = ipnet::Ipv6Net::new(
                std::net::Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, next(3) as u16),
                next(129) as u8,
            )
            .unwrap();
            for net in [IpNet::V4(v4), IpNet::V6(v6)] {
                let mut s = String::from("at ");
                push_net(&mut s, &net);
                assert_eq!(s, format!("at {net}"));
            }
        }
    }

    #[test]
    fn port_sets_merge_and_subtract() {
        let s = PortSet::from_ranges(vec![
            r(Proto::Tcp, 80, 80),
            r(Proto::Tcp, 81, 90),
            r(Proto::Udp, 53, 53),
        ]);
        assert_eq!(
            s,
            PortSet::Ranges(vec![r(Proto::Tcp, 80, 90), r(Proto::Udp, 53, 53)])
        );
        let m = s
            .minus(&PortSet::Ranges(vec![r(Proto::Tcp, 85, 85)]))
            .unwrap();
        assert_eq!(
            m,
            PortSet::Ranges(vec![
                r(Proto::Tcp, 80, 84),
                r(Proto::Tcp, 86, 90),
                r(Proto::Udp, 53, 53)
            ])
        );
        assert!(PortSet::All.minus(&s).is_none());
        assert!(s.covers(&PortSet::Ranges(vec![r(Proto::Tcp, 82, 83)])));
        assert!(!s.covers(&PortSet::All));
    }

    #[test]
    fn wildcards_have_one_meaning() {
        let one = HostPattern {
            wildcard: Wildcard::OneLabel,
            base: "example.com".into(),
        };
        let many = HostPattern {
            wildcard: Wildcard::AnyLabels,
            base: "example.com".into(),
        };
        assert!(one.matches("a.example.com"));
        assert!(!one.matches("a.b.example.com"));
        assert!(!one.matches("example.com"));
        assert!(!one.matches("aexample.com"));
        assert!(many.matches("a.b.example.com"));
        assert!(many.matches("a.example.com"));
        assert!(!many.matches("example.com"));
    }

    #[test]
    fn patterns_cover_the_names_they_match() {
        let p = |wildcard, base: &str| HostPattern {
            wildcard,
            base: base.into(),
        };
        let many = p(Wildcard::AnyLabels, "example.com");
        assert!(many.covers(&p(Wildcard::None, "a.example.com")));
        assert!(many.covers(&p(Wildcard::OneLabel, "example.com")));
        assert!(many.covers(&p(Wildcard::AnyLabels, "b.example.com")));
        assert!(many.covers(&p(Wildcard::InLabel, "a*b.x.example.com")));
        assert!(!many.covers(&p(Wildcard::None, "example.com")));
        assert!(!many.covers(&p(Wildcard::AnyLabels, "xexample.com")));
        let one = p(Wildcard::OneLabel, "example.com");
        assert!(one.covers(&p(Wildcard::InLabel, "a*b.example.com")));
        assert!(!one.covers(&many));
        assert!(!one.covers(&p(Wildcard::OneLabel, "a.example.com")));
        let exact = p(Wildcard::None, "a.example.com");
        assert!(exact.covers(&exact));
        assert!(!exact.covers(&one));
        assert!(!p(Wildcard::InLabel, "a*.example.com").covers(&one));
    }

    #[test]
    fn selectors_overlap_conservatively() {
        let a = LabelSelector::new(vec![LabelReq::Eq("app".into(), "a".into())]);
        let b = LabelSelector::new(vec![LabelReq::Eq("app".into(), "b".into())]);
        let any = LabelSelector::default();
        assert!(!a.may_overlap(&b));
        assert!(a.may_overlap(&any));
    }
}
