//! What several lints need: how a workload is named in messages, whether
//! a destination is the cluster DNS, and large numbers written for people.

use crate::check::checked::{Dest, Workload, WorkloadKind};
use crate::model::{
    LabelSelector, NAMESPACE_NAME_LABEL, NamespaceSel, Peer, PortRange, Proto, Subject,
};

/// `app `payments-api``, `workload `web-tier``: a statement as messages name it.
pub fn describe(w: &Workload) -> String {
    let mut out = String::with_capacity(w.name.len() + 11);
    push_describe(&mut out, w);
    out
}

/// Appends [`describe`] of `w` to `out`.
pub fn push_describe(out: &mut String, w: &Workload) {
    out.push_str(match w.kind {
        WorkloadKind::App => "app `",
        WorkloadKind::Pods => "workload `",
    });
    out.push_str(&w.name);
    out.push('`');
}

/// Whether a destination is the cluster's DNS server (`server`: `set dns-server`, else the
/// CoreDNS pods) on UDP 53.
pub fn is_dns(t: &Dest, server: &[Peer]) -> bool {
    peer_is_dns(&t.peer, t.ports, server)
}

/// [`is_dns`] of `peer` on `ports` (`None`: every port).
fn peer_is_dns(peer: &Peer, ports: Option<PortRange>, server: &[Peer]) -> bool {
    let port_53 = ports.is_none_or(|r| r.contains(Proto::Udp, 53));
    match peer {
        p @ (Peer::Pods { .. } | Peer::ServiceAccount { .. } | Peer::Service { .. }) => {
            p.includes_dns_server(server) && port_53
        }
        // A node-local DNS cache or a resolver reached by address, or on the nodes.
        Peer::Net(_) | Peer::Nodes(_) => port_53 && ports.is_some(),
        // Every destination (everything in the cluster), the cluster DNS included.
        Peer::Any | Peer::Cluster => port_53,
        // Some HTTP requests are no DNS lookups.
        // Nor are TLS connections.
        // Pods of another cluster are not this cluster's DNS server.
        Peer::Host(_)
        | Peer::ApiServer
        | Peer::Http { .. }
        | Peer::Tls { .. }
        | Peer::RemotePods { .. } => false,
        // The lookups of some names are DNS lookups.
        Peer::Dns { peer, .. } => peer_is_dns(peer, ports, server),
    }
}

/// `65536` → `65,536`.
pub fn group(c: u64) -> String {
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

/// Whether `subject` selects every pod that `selector` selects in `namespace`, whatever labels
/// the namespace carries besides its name: its namespaces are every namespace or chosen by the
/// name label alone, and each of its pod requirements is one of the selector's.
pub fn surely_selects(subject: &Subject, namespace: &str, selector: &LabelSelector) -> bool {
    let namespace_ok = match &subject.namespaces {
        NamespaceSel::Any => true,
        NamespaceSel::Named(n) => n == namespace,
        NamespaceSel::Labels(l) => {
            l.reqs.iter().all(|r| r.key() == NAMESPACE_NAME_LABEL)
                && l.matches(&std::collections::BTreeMap::from([(
                    NAMESPACE_NAME_LABEL.to_owned(),
                    namespace.to_owned(),
                )]))
        }
    };
    namespace_ok
        && subject
            .selector
            .reqs
            .iter()
            .all(|r| selector.reqs.contains(r))
}
