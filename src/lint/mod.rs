//! Pitfall lints: warnings about policies that are valid but probably not what was meant. Runs
//! after lowering, on the checked program (source spans of every destination) and the IR.
//! Each lint has a stable `W01xx` code, a span, a help line and an explain page.
//!
//! Levels are set per code (`--allow`, `--warn`, `--deny`, `--deny-warnings`), and one statement
//! can silence one lint with `@allow(CODE, "reason")` on the line above it. Thresholds and
//! cluster facts come from `set` statements (`checked::Settings`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::check::checked::{self, Target, Workload};
use crate::diagnostics::{Code, Diagnostic, Diagnostics, Severity};
use crate::ir;
use crate::model::{Peer, PortRange, PortSet, Proto};
use crate::source::Span;

/// What to do with a lint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

/// Lint levels from the command line.
#[derive(Clone, Debug, Default)]
pub struct LintConfig {
    pub levels: BTreeMap<Code, Level>,
    /// `--deny-warnings`: every warning that is not allowed becomes an error.
    pub deny_warnings: bool,
}

impl LintConfig {
    fn level(&self, code: Code) -> Level {
        match self.levels.get(&code) {
            Some(l) => *l,
            None if self.deny_warnings => Level::Deny,
            None => Level::Warn,
        }
    }
}

/// Every lint code.
pub fn codes() -> impl Iterator<Item = Code> {
    Code::ALL
        .iter()
        .copied()
        .filter(|c| c.severity() == Severity::Warning)
}

const METADATA_V4: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);
const METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);

fn private_v4() -> [IpNet; 3] {
    [
        IpNet::V4(ipnet::Ipv4Net::new_assert(Ipv4Addr::new(10, 0, 0, 0), 8)),
        IpNet::V4(ipnet::Ipv4Net::new_assert(Ipv4Addr::new(172, 16, 0, 0), 12)),
        IpNet::V4(ipnet::Ipv4Net::new_assert(
            Ipv4Addr::new(192, 168, 0, 0),
            16,
        )),
    ]
}

fn unique_local_v6() -> IpNet {
    IpNet::V6(ipnet::Ipv6Net::new_assert(
        Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0),
        7,
    ))
}

fn ports_of(t: &Target) -> PortSet {
    match t.ports {
        None => PortSet::All,
        Some(r) => PortSet::from_ranges(vec![r]),
    }
}

/// Whether a destination is the cluster DNS (CoreDNS / kube-dns) on UDP 53.
fn is_dns(t: &Target) -> bool {
    let ports = ports_of(t);
    match &t.peer {
        p @ Peer::Pods { .. } => p.includes_cluster_dns() && ports.contains(Proto::Udp, 53),
        // A node-local DNS cache or a resolver reached by address.
        Peer::Net(_) => ports.contains(Proto::Udp, 53) && t.ports.is_some(),
        Peer::Host(_) => false,
    }
}

fn describe(w: &Workload) -> String {
    match w.kind {
        checked::WorkloadKind::App => format!("app `{}`", w.name),
        checked::WorkloadKind::Pods => format!("workload `{}`", w.name),
    }
}

fn count(n: &IpNet) -> String {
    let bits = u32::from(n.max_prefix_len() - n.prefix_len());
    if bits >= 64 {
        return format!("2^{bits}");
    }
    group(1u64 << bits)
}

/// `65536` → `65,536`.
fn group(c: u64) -> String {
    let s = c.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// All lints, filtered by level and suppressions.
pub fn lint(program: &checked::Program, ir: &ir::Program, config: &LintConfig) -> Diagnostics {
    let mut found = Vec::new();
    let guard_denies_metadata = |addr: IpAddr| {
        program.guardrails.iter().any(|g| {
            g.deny
                .iter()
                .any(|t| t.ports.is_none() && matches!(&t.peer, Peer::Net(n) if n.contains(&addr)))
        })
    };
    for w in &program.workloads {
        no_dns(w, &mut found);
        wide_cidr(w, &program.settings, &mut found);
        metadata(w, &guard_denies_metadata, &mut found);
        single_family(w, &mut found);
        redundant(w, &mut found);
        cluster_ranges(w, &program.settings, &mut found);
        wide_ports(w, &program.settings, &mut found);
    }
    no_default_deny(program, &mut found);
    unused_defs(program, &mut found);
    loose_dns(program, ir, &mut found);
    overlapping(program, &mut found);

    let mut out = Diagnostics::new();
    for d in found {
        let Some(span) = d.primary_span() else {
            continue;
        };
        let silenced = program.suppressions.iter().any(|s| {
            s.code == d.code
                && s.statement.file == span.file
                && s.statement.start <= span.start
                && span.end <= s.statement.end
        });
        if silenced {
            continue;
        }
        match config.level(d.code) {
            Level::Allow => {}
            Level::Warn => out.push(d),
            Level::Deny => {
                let why = if config.levels.get(&d.code) == Some(&Level::Deny) {
                    format!("`{}` is denied (--deny {})", d.code, d.code)
                } else {
                    "warnings are denied (--deny-warnings)".to_owned()
                };
                let mut d = d.note(why);
                d.severity = Severity::Error;
                out.push(d);
            }
        }
    }
    out.sort();
    out
}

/// W0101: egress rules but no DNS.
fn no_dns(w: &Workload, found: &mut Vec<Diagnostic>) {
    if w.allow.iter().any(is_dns) {
        return;
    }
    found.push(
        Diagnostic::new(
            Code::W0101,
            w.name_span,
            format!("{} has no DNS allowance", describe(w)),
        )
        .label("every name lookup of these pods will hang")
        .note(
            "once an egress policy selects a pod, everything not allowed is dropped, DNS included",
        )
        .help("add `dns` (or `strict-dns`) to its destinations"),
    );
}

/// W0102: a private range wider than the threshold.
fn wide_cidr(w: &Workload, settings: &checked::Settings, found: &mut Vec<Diagnostic>) {
    let mut by_origin: BTreeMap<Span, Vec<IpNet>> = BTreeMap::new();
    for t in &w.allow {
        let Peer::Net(n) = &t.peer else { continue };
        let wide = match n {
            IpNet::V4(_) => {
                private_v4().iter().any(|p| p.contains(n)) && n.prefix_len() < settings.wide_cidr_v4
            }
            IpNet::V6(_) => unique_local_v6().contains(n) && n.prefix_len() < settings.wide_cidr_v6,
        };
        if wide {
            by_origin.entry(t.origin).or_default().push(*n);
        }
    }
    for (origin, nets) in by_origin {
        let list: Vec<String> = nets
            .iter()
            .map(|n| format!("`{n}` ({} addresses)", count(n)))
            .collect();
        found.push(
            Diagnostic::new(Code::W0102, origin, format!("{} may reach {}", describe(w), list.join(", ")))
                .label("a wide private range")
                .note("a wide private range re-opens whole VPCs; a /24 for the database subnet is far safer than a /16")
                .help(format!(
                    "narrow it to the subnets the app needs, or set the threshold with `set wide-cidr-v4 = N` (now /{}) or `set wide-cidr-v6 = N` (now /{})",
                    settings.wide_cidr_v4, settings.wide_cidr_v6
                )),
        );
    }
}

fn denied(w: &Workload, addr: IpAddr) -> bool {
    w.deny
        .iter()
        .any(|t| t.ports.is_none() && matches!(&t.peer, Peer::Net(n) if n.contains(&addr)))
}

/// W0103: an allowed range covers the metadata endpoint and nothing denies it.
fn metadata(w: &Workload, guarded: &dyn Fn(IpAddr) -> bool, found: &mut Vec<Diagnostic>) {
    for addr in [IpAddr::V4(METADATA_V4), IpAddr::V6(METADATA_V6)] {
        if denied(w, addr) || guarded(addr) {
            continue;
        }
        if let Some(t) = w
            .allow
            .iter()
            .find(|t| matches!(&t.peer, Peer::Net(n) if n.contains(&addr)))
        {
            found.push(
                Diagnostic::new(
                    Code::W0103,
                    t.origin,
                    format!("{} may reach the cloud metadata endpoint {addr}", describe(w)),
                )
                .label(format!("this range includes {addr}"))
                .note("the metadata endpoint hands out the node's cloud credentials")
                .help("add `deny metadata` to the statement (or a cluster-wide `cluster NAME deny metadata` guardrail)"),
            );
            // One warning per statement is enough: `deny metadata` covers both families.
            return;
        }
    }
}

/// W0104: `0.0.0.0/0` without `::/0`, or the reverse.
fn single_family(w: &Workload, found: &mut Vec<Diagnostic>) {
    let any = |v4: bool| {
        w.allow
            .iter()
            .find(|t| matches!(&t.peer, Peer::Net(n) if n.prefix_len() == 0 && matches!(n, IpNet::V4(_)) == v4))
    };
    match (any(true), any(false)) {
        (Some(t), None) => found.push(
            Diagnostic::new(Code::W0104, t.origin, format!("{} may reach every IPv4 address but no IPv6 address", describe(w)))
                .label("`0.0.0.0/0` without `::/0`")
                .help("add `::/0` too (or use `internet`, which holds both), unless IPv6 egress is meant to be dropped"),
        ),
        (None, Some(t)) => found.push(
            Diagnostic::new(Code::W0104, t.origin, format!("{} may reach every IPv6 address but no IPv4 address", describe(w)))
                .label("`::/0` without `0.0.0.0/0`")
                .help("add `0.0.0.0/0` too (or use `internet`, which holds both), unless IPv4 egress is meant to be dropped"),
        ),
        _ => {}
    }
}

fn inside(a: &Target, b: &Target) -> bool {
    let peer = match (&a.peer, &b.peer) {
        (Peer::Net(x), Peer::Net(y)) => y.contains(x),
        (x, y) => x == y,
    };
    peer && ports_of(b).covers(&ports_of(a))
}

/// W0106: a destination listed twice, or inside another of the same list.
fn redundant(w: &Workload, found: &mut Vec<Diagnostic>) {
    for list in [&w.allow, &w.deny] {
        let mut reported = BTreeSet::new();
        for (i, a) in list.iter().enumerate() {
            let outer = list
                .iter()
                .enumerate()
                .filter(|(j, b)| *j != i && b.origin != a.origin && inside(a, b))
                // Of two identical destinations, the later one is the repeat.
                .find(|(j, b)| !(inside(b, a) && *j > i));
            if let Some((_, b)) = outer {
                if !reported.insert(a.origin) {
                    continue;
                }
                let same = inside(b, a);
                let message = if same {
                    format!("`{}` is listed twice for {}", a.peer, describe(w))
                } else {
                    format!(
                        "`{}` is already covered by `{}` for {}",
                        a.peer,
                        b.peer,
                        describe(w)
                    )
                };
                found.push(
                    Diagnostic::new(Code::W0106, a.origin, message)
                        .label(if same { "listed again here" } else { "adds nothing" })
                        .secondary(b.origin, "already allowed here")
                        .help("remove the redundant destination, or narrow the wider one if this one was meant to be the only access"),
                );
            }
        }
    }
}

/// W0109: an allowed range overlaps the cluster's pod or service ranges.
fn cluster_ranges(w: &Workload, settings: &checked::Settings, found: &mut Vec<Diagnostic>) {
    for t in &w.allow {
        let Peer::Net(n) = &t.peer else { continue };
        let hit = settings
            .pod_cidrs
            .iter()
            .map(|c| (c, "pod"))
            .chain(settings.service_cidrs.iter().map(|c| (c, "service")))
            // Inside a cluster range, or overlapping it without being an any-address allowance
            // (`internet` includes every range by design).
            .find(|(c, _)| c.contains(n) || (n.contains(*c) && n.prefix_len() > 0));
        if let Some((c, what)) = hit {
            found.push(
                Diagnostic::new(
                    Code::W0109,
                    t.origin,
                    format!("`{n}` overlaps the cluster's {what} range `{c}`"),
                )
                .label(format!("addresses of {what}s"))
                .note("address rules do not select pods reliably: CNIs match pod traffic by identity, and a service's ClusterIP is translated before policy applies")
                .help("reach pods with `pods{...}` (for a service, the pods behind it)"),
            );
        }
    }
}

/// W0111: a port range wider than the threshold (every port of a protocol is exempt).
fn wide_ports(w: &Workload, settings: &checked::Settings, found: &mut Vec<Diagnostic>) {
    let mut seen = BTreeSet::new();
    for t in &w.allow {
        let Some(PortRange { first, last, .. }) = t.ports else {
            continue;
        };
        let size = u32::from(last) - u32::from(first) + 1;
        if size > settings.wide_port_range
            && !(first == 1 && last == 65535)
            && seen.insert(t.origin)
        {
            found.push(
                Diagnostic::new(Code::W0111, t.origin, format!("port range {first}-{last} opens {} ports", group(u64::from(size))))
                    .label("a wide port range")
                    .help(format!(
                        "write the single port if one was meant, or set the threshold with `set wide-port-range = N` (now {})",
                        settings.wide_port_range
                    )),
            );
        }
    }
}

/// W0105: a namespace with workloads and no `default deny`.
fn no_default_deny(program: &checked::Program, found: &mut Vec<Diagnostic>) {
    let with_workloads: BTreeSet<&str> = program
        .workloads
        .iter()
        .map(|w| w.namespace.as_str())
        .collect();
    let with_default: BTreeSet<&str> = program
        .default_denies
        .iter()
        .map(|d| d.namespace.as_str())
        .collect();
    for (ns, span) in &program.namespaces {
        let has_workloads = with_workloads.contains(ns.as_str());
        let has_default = with_default.contains(ns.as_str());
        if has_workloads && !has_default {
            found.push(
                Diagnostic::new(
                    Code::W0105,
                    *span,
                    format!("namespace `{ns}` has workloads but no `default deny`"),
                )
                .label("pods without a statement of their own may reach anything")
                .help(format!("add `default deny` under `namespace {ns}`")),
            );
        }
    }
}

/// W0107: a user definition no statement uses.
fn unused_defs(program: &checked::Program, found: &mut Vec<Diagnostic>) {
    for d in program.defs.iter().filter(|d| !d.from_stdlib) {
        if !program.used_defs.contains(&d.name) {
            found.push(
                Diagnostic::new(
                    Code::W0107,
                    d.name_span,
                    format!("definition `{}` is never used", d.name),
                )
                .label("not used by any statement")
                .help("use it in a statement, or remove it"),
            );
        }
    }
}

/// W0108: host names with the loose DNS form.
fn loose_dns(program: &checked::Program, ir: &ir::Program, found: &mut Vec<Diagnostic>) {
    let workloads: BTreeMap<(&str, String), &Workload> = program
        .workloads
        .iter()
        .map(|w| ((w.namespace.as_str(), format!("{}-egress", w.name)), w))
        .collect();
    for p in &ir.policies {
        let hosts: Vec<String> = p
            .allow
            .iter()
            .flat_map(|r| r.peers.iter())
            .filter_map(|peer| match peer {
                Peer::Host(h) => Some(h.to_string()),
                _ => None,
            })
            .collect();
        if hosts.is_empty() || p.strict_dns {
            continue;
        }
        let Some(w) = workloads.get(&(p.namespace.as_str(), p.name.clone())) else {
            continue;
        };
        let Some(dns) = w
            .allow
            .iter()
            .find(|t| is_dns(t) && matches!(t.peer, Peer::Pods { .. }))
        else {
            continue;
        };
        found.push(
            Diagnostic::new(
                Code::W0108,
                dns.origin,
                format!("{} reaches {} host name{} but allows every DNS lookup", describe(w), hosts.len(), if hosts.len() == 1 { "" } else { "s" }),
            )
            .label("loose DNS: the proxy answers any name")
            .note(format!("the app needs {}", hosts.join(", ")))
            .help("write `strict-dns` instead of `dns`: on Cilium the DNS proxy then answers only these names"),
        );
    }
}

/// W0110: statements of one namespace that may select the same pods: one warning on each
/// statement that overlaps earlier ones, naming all of them.
fn overlapping(program: &checked::Program, found: &mut Vec<Diagnostic>) {
    let selectors: Vec<(&str, &crate::model::LabelSelector)> = program
        .workloads
        .iter()
        .map(|w| (w.namespace.as_str(), &w.selector))
        .collect();
    let mut earlier_of: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, j) in crate::model::overlapping_pairs(&selectors) {
        earlier_of.entry(j).or_default().push(i);
    }
    for (j, earlier) in earlier_of {
        let Some(b) = program.workloads.get(j) else {
            continue;
        };
        let earlier: Vec<&Workload> = earlier
            .iter()
            .filter_map(|i| program.workloads.get(*i))
            .collect();
        let mut combined: Vec<String> = earlier
            .iter()
            .flat_map(|a| a.allow.iter())
            .chain(&b.allow)
            .map(|t| match t.ports {
                Some(r) => format!("{} on {r}", t.peer),
                None => format!("{}", t.peer),
            })
            .collect();
        combined.sort();
        combined.dedup();
        let names: Vec<String> = earlier.iter().map(|a| describe(a)).collect();
        let mut d = Diagnostic::new(
            Code::W0110,
            b.name_span,
            format!(
                "{} may select the same pods as {} in `{}`",
                describe(b),
                names.join(", "),
                b.namespace
            ),
        )
        .label(format!("selects {}", b.selector));
        for a in &earlier {
            d = d.secondary(a.name_span, format!("selects {}", a.selector));
        }
        found.push(
            d.note("egress policies are a union: each adds allowances and none narrows another")
                .note(format!("pods selected by all of them may reach: {}", combined.join(", ")))
                .help("make the selectors disjoint (e.g. add `!app` to a `pods` selector), or merge the statements"),
        );
    }
}
