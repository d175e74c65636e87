//! `dns(name = api.example.com, name = *.example.com)`: cluster DNS (the standard library's
//! `dns`: UDP and TCP port 53 to the cluster's DNS server) for the lookups of some names only,
//! one meaning on every target (`docs/targets.md`, "DNS names"):
//!
//! - `name`: a name the workload may look up, written as host names are (`api.example.com`,
//!   `*.example.com` one label, `**.example.com` one or more, `api-*.example.com` inside the
//!   first label), matched as host names are; one or more, a lookup passes when one matches. A
//!   lookup of any other name is refused.
//!
//! Beside the call, on a workload's whole allow list: no other allowance of the DNS server on
//! port 53 (E0354: targets merge them and the names would mean nothing), every host name the
//! workload reaches is among the names (E0353: it could never be resolved), and no deny list
//! (E0352) or host statement (E0355) holds one.

use std::collections::HashMap;

use super::checked::Dest;
use super::literals;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{HostPattern, Peer, PortRange, PortSet, Proto};
use crate::source::Span;
use crate::syntax::ast;

/// The parameters of `dns(...)`.
pub(super) const PARAMS: [&str; 1] = ["name"];

/// `api.example.com`, `*.example.com`: a name to look up, as host names are written.
pub(super) fn lookup_name(value: &ast::Dest) -> Result<HostPattern, Diagnostic> {
    if let ast::DestKind::Atom(ast::Atom::Host { name, ports: None }) = &value.kind
        && value.ports.is_none()
    {
        return literals::host(name);
    }
    Err(Diagnostic::new(Code::E0351, value.span, "not a DNS name")
        .label("expected a host name such as `api.example.com` or `*.example.com`, without a port")
        .help("write a name the workload may look up: `name = api.example.com`"))
}

/// E0350: `dns(...)` with a positional argument or without a name.
pub(super) fn malformed(span: Span, why: &str) -> Diagnostic {
    Diagnostic::new(Code::E0350, span, format!("`dns(...)` {why}"))
        .label("a DNS allowance for some names")
        .help("write `dns(name = api.example.com, name = *.example.com)`: one `name = ...` per name the workload may look up, or `dns` for every name")
}

/// E0352: a name list in a deny list.
pub(super) fn denied(span: Span) -> Diagnostic {
    Diagnostic::new(Code::E0352, span, "a DNS name list cannot deny")
        .label("the lookups of some names, in a deny list")
        .note("Cilium's `egressDeny` takes no DNS rules, and no other target reads DNS lookups")
        .help("allow only the names the workload may look up with `dns(name = ...)` in the allow list: every other lookup is refused")
}

/// E0355: a name list in a host statement.
pub(super) fn in_host(span: Span, statement: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0355,
        span,
        format!("a DNS name list in host statement `{statement}`"),
    )
    .label("the lookups of some names, for a node's own traffic")
    .note("Cilium's host firewall enforces addresses and ports only: host policies take no DNS rules, and no other target reads DNS lookups")
    .help("allow the DNS server on port 53 without names (`dns`)")
}

/// Whether an allowance on `ports` reaches DNS's port 53 (TCP or UDP).
fn on_port_53(ports: Option<PortRange>) -> bool {
    let set = ports.map_or(PortSet::All, |r| PortSet::from_ranges(vec![r]));
    set.contains(Proto::Udp, 53) || set.contains(Proto::Tcp, 53)
}

/// An allow list, unless a DNS name list stands beside another allowance of the DNS server on
/// port 53 (E0354, on each such allowance) or leaves out a host name the list reaches (E0353,
/// on each such name). Cilium merges what one endpoint may send to one port: a rule without
/// DNS rules there adds "allow every name" to the DNS proxy's rules, so the list would mean
/// nothing; and `toFQDNs` learns addresses only from the lookups the proxy allows.
pub(super) fn beside(allowed: &[Dest], dns_server: &[Peer]) -> Vec<Diagnostic> {
    let mut lists: HashMap<&Peer, Vec<&HostPattern>> = HashMap::new();
    for d in allowed {
        if let Peer::Dns { peer, names } = &d.peer {
            lists.entry(peer.as_ref()).or_default().extend(names);
        }
    }
    let Some(first) = allowed.iter().find(|d| matches!(d.peer, Peer::Dns { .. })) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for d in allowed {
        if matches!(d.peer, Peer::Dns { .. }) || !on_port_53(d.ports) {
            continue;
        }
        let inner = match &d.peer {
            Peer::Http { peer, .. } | Peer::Tls { peer, .. } => peer.as_ref(),
            p => p,
        };
        if inner.includes_dns_server(dns_server) || lists.keys().any(|s| inner.may_overlap(s)) {
            out.push(
                Diagnostic::new(
                    Code::E0354,
                    d.origin,
                    format!("`{inner}` reaches the DNS server on port 53 beside a DNS name list"),
                )
                .label("allows every lookup")
                .secondary(first.origin, "the names the workload may look up")
                .note("Cilium merges what one pod may send to one port: a rule without DNS rules there lets the DNS proxy answer every name")
                .help("allow port 53 of the DNS server once: with `dns(name = ...)` for some names, or with `dns` for every name"),
            );
        }
    }
    let names: Vec<&HostPattern> = lists.values().flatten().copied().collect();
    for d in allowed {
        let Some(host) = reached_host(&d.peer) else {
            continue;
        };
        if !names.iter().any(|n| n.covers(host)) {
            out.push(
                Diagnostic::new(
                    Code::E0353,
                    d.origin,
                    format!("`{host}` is reached by name, but the workload may not look it up"),
                )
                .label("never resolved")
                .secondary(first.origin, "the names the workload may look up")
                .note("a lookup of a name outside the list is refused, so the workload never learns the addresses of this one")
                .help(format!("add `name = {host}` to the `dns(...)` list")),
            );
        }
    }
    out
}

/// In-cluster names, which `strict-dns` always allows: Services, and the resolver's search-path
/// expansions (`api.example.com.payments.svc.cluster.local` is tried first with the default
/// `ndots: 5`, and a refused expansion stops the lookup).
const CLUSTER_NAMES: &str = "cluster.local";

/// The host name a destination reaches, if any (an HTTP or TLS allowance's too).
fn reached_host(peer: &Peer) -> Option<&HostPattern> {
    match peer {
        Peer::Host(h) => Some(h),
        Peer::Http { peer, .. } | Peer::Tls { peer, .. } => match peer.as_ref() {
            Peer::Host(h) => Some(h),
            _ => None,
        },
        _ => None,
    }
}

/// `strict-dns` as the name list it stands for: every allowance of the DNS server on port 53
/// narrowed to the lookups of the host names the allow list reaches and of in-cluster names.
pub(super) fn strict(mut allowed: Vec<Dest>, dns_server: &[Peer]) -> Vec<Dest> {
    let mut names: Vec<HostPattern> = allowed
        .iter()
        .filter_map(|d| reached_host(&d.peer).cloned())
        .collect();
    names.push(HostPattern {
        wildcard: crate::model::Wildcard::AnyLabels,
        base: CLUSTER_NAMES.to_owned(),
    });
    names.sort();
    names.dedup();
    for d in &mut allowed {
        if dns_server.contains(&d.peer) && on_port_53(d.ports) {
            let peer = std::mem::replace(&mut d.peer, Peer::Any);
            d.peer = Peer::Dns {
                peer: Box::new(peer),
                names: names.clone(),
            };
        }
    }
    allowed
}
