//! A flow universe generated from a program: for every rule, the edges where a wrong policy
//! would show — each CIDR's first, last and middle address and the addresses just outside it
//! (which covers every `except` edge, as denies are rules too), each port and the ports just
//! outside each range, every protocol, host names that match and nearly match each pattern,
//! pods inside and just outside every selector, the cluster DNS pods and the metadata addresses.
//! Sources are a pod of every policy's selection, an unselected pod of each namespace, pods
//! inside and just outside each cluster-wide statement's subject, and a pod of a namespace with
//! no policy.
//!
//! Two readings of policies (the YAML an importer read and the YAML its program rebuilds to)
//! are compared one source pod at a time ([`compare_scoped`]): each side says which of its
//! policies can decide a pod's flows and what lies at the edges of their rules ([`Scoped`],
//! [`Seeds`]), so the work grows with the number of policies, not with its square.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use super::cluster::{ClusterModel, Place};
use super::{ClientHello, Destination, Flow, HttpRequest, Labels, Lookup, Pod, kube_dns};
use crate::backend::Target;
use crate::ir::{self, Rule};
use crate::model::{
    HostPattern, HttpMatch, LabelReq, LabelSelector, NamespaceSel, PathPattern, Peer, PortRange,
    PortSet, Proto, Wildcard,
};

/// A namespace no policy mentions.
pub const ELSEWHERE: &str = "egressc-elsewhere";
/// An address that stands for what a host name resolves to.
pub const RESOLVED: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));

fn offset(a: IpAddr, delta: i128) -> Option<IpAddr> {
    match a {
        IpAddr::V4(v) => {
            let n = i128::from(u32::from(v)) + delta;
            u32::try_from(n).ok().map(|n| IpAddr::V4(Ipv4Addr::from(n)))
        }
        IpAddr::V6(v) => {
            let n = i128::try_from(u128::from(v)).ok()?.checked_add(delta)?;
            u128::try_from(n)
                .ok()
                .map(|n| IpAddr::V6(Ipv6Addr::from(n)))
        }
    }
}

/// First, last and middle addresses of `n`, and the ones just outside it.
fn edges(n: &IpNet, out: &mut BTreeSet<IpAddr>) {
    let first = n.network();
    let last = n.broadcast();
    out.insert(first);
    out.insert(last);
    let bits = u32::from(n.max_prefix_len() - n.prefix_len());
    if bits >= 2 {
        let half: i128 = if bits >= 126 {
            1i128 << 100
        } else {
            1i128 << (bits - 1)
        };
        out.extend(offset(first, half + 1));
    }
    out.extend(offset(first, -1));
    out.extend(offset(last, 1));
}

pub(crate) fn names(h: &HostPattern) -> Vec<String> {
    if h.wildcard == Wildcard::InLabel {
        // The first label with each `*` as nothing and as a few characters, and names just
        // outside: a character before it, a label before it, another domain after it.
        let empty = h.base.replace('*', "");
        let filled = h.base.replace('*', "x-1");
        return vec![
            format!("x{empty}"),
            format!("a.{filled}"),
            format!("{filled}.evil.example"),
            filled.replacen('.', "x.", 1),
            empty,
            filled,
        ];
    }
    let b = &h.base;
    let mut v = vec![
        b.clone(),
        format!("a.{b}"),
        format!("a.b.{b}"),
        format!("x{b}"),
    ];
    if h.wildcard == Wildcard::None {
        v.push(format!("{b}.evil.example"));
    }
    v
}

/// Nodes sending their own traffic, inside a node selection and just outside it: with labels
/// that meet the selector, with each requirement broken once, and without labels.
pub fn nodes(selector: &LabelSelector) -> Vec<Pod> {
    let (inside, broken) = inside_and_broken(selector);
    let mut out = vec![Pod::host(inside), Pod::host(Labels::new())];
    out.extend(broken.into_iter().map(Pod::host));
    out
}

/// A namespace that `ns{...}` selectors pick: its labels make the difference.
pub const LABELLED: &str = "egressc-labelled";

/// Labels that meet `selector` and, for each of its requirements, labels that break that one
/// requirement only.
fn inside_and_broken(selector: &LabelSelector) -> (Labels, Vec<Labels>) {
    let inside = selector.example();
    let broken = selector
        .reqs
        .iter()
        .map(|r| {
            let mut labels: Labels = inside.clone();
            match r {
                LabelReq::Eq(k, v) => {
                    labels.insert(k.clone(), format!("{v}-other"));
                }
                LabelReq::In(k, _) | LabelReq::Exists(k) => {
                    labels.remove(k);
                }
                LabelReq::NotIn(k, vs) => {
                    if let Some(v) = vs.iter().next() {
                        labels.insert(k.clone(), v.clone());
                    }
                }
                LabelReq::DoesNotExist(k) => {
                    labels.insert(k.clone(), "present".to_owned());
                }
            }
            labels
        })
        .collect();
    (inside, broken)
}

/// A namespace with these labels: named by its name label when the labels hold one.
pub(crate) fn labelled(labels: Labels) -> (String, Labels) {
    let name = labels
        .get(super::NAMESPACE_NAME)
        .cloned()
        .unwrap_or_else(|| LABELLED.to_owned());
    let mut extra = labels;
    extra.remove(super::NAMESPACE_NAME);
    (name, extra)
}

/// A cluster of the mesh that no program names, for pods just outside `cluster = NAME`.
pub const OTHER_CLUSTER: &str = "egressc-other-cluster";

/// Pods of another cluster for `pods(NAMESPACE, cluster = CLUSTER){...}` to take in or just
/// miss: the pods [`pods`] gives, each in `cluster`, in [`OTHER_CLUSTER`] and in the source's
/// own cluster.
pub(crate) fn remote_pods(
    cluster: &str,
    namespace: &NamespaceSel,
    selector: &LabelSelector,
    home: &str,
) -> Vec<Pod> {
    pods(namespace, selector, home)
        .into_iter()
        .flat_map(|p| {
            [
                Pod {
                    cluster: Some(cluster.to_owned()),
                    ..p.clone()
                },
                Pod {
                    cluster: Some(OTHER_CLUSTER.to_owned()),
                    ..p.clone()
                },
                p,
            ]
        })
        .collect()
}

/// Pods inside a peer's selection and just outside it: in a selected namespace with labels
/// that meet the selector, in another namespace, and with each requirement of the pod selector
/// (and of a namespace selector) broken once.
pub(crate) fn pods(namespace: &NamespaceSel, selector: &LabelSelector, home: &str) -> Vec<Pod> {
    super::memo::pods(namespace, selector, home, || {
        edge_pods(namespace, selector, home)
    })
}

/// [`pods`], built.
fn edge_pods(namespace: &NamespaceSel, selector: &LabelSelector, home: &str) -> Vec<Pod> {
    let (ns, ns_labels, ns_broken) = match namespace {
        NamespaceSel::Named(n) => (n.clone(), Labels::new(), Vec::new()),
        NamespaceSel::Any => (ELSEWHERE.to_owned(), Labels::new(), Vec::new()),
        NamespaceSel::Labels(sel) => {
            let (inside, broken) = inside_and_broken(sel);
            let (name, extra) = labelled(inside);
            (name, extra, broken)
        }
    };
    let (inside, broken) = inside_and_broken(selector);
    let pod = |namespace: &str, ns_labels: &Labels, labels: Labels| Pod {
        ns_labels: ns_labels.clone(),
        ..Pod::new(namespace, labels)
    };
    let other = if ns == home { ELSEWHERE } else { home };
    let mut out = vec![
        pod(&ns, &ns_labels, inside.clone()),
        pod(other, &Labels::new(), inside.clone()),
    ];
    out.extend(broken.into_iter().map(|l| pod(&ns, &ns_labels, l)));
    for b in ns_broken {
        let (name, extra) = labelled(b);
        out.push(pod(&name, &extra, inside.clone()));
    }
    out
}

/// Requests an HTTP allowance matches and requests that just miss it: its example request,
/// the same with a query string, and with each field it names changed once (another method; a
/// path one character longer, one segment deeper, or, for a prefix, without its last
/// character; a host its pattern nearly matches, with a final dot, with and without the port
/// it names and with another one; see [`header_variants`] for its headers).
pub(crate) fn http_requests(m: &HttpMatch) -> Vec<HttpRequest> {
    let (method, target, host) = m.example();
    let headers = m.example_headers();
    let request = |method: &str, target: &str, host: &str| HttpRequest {
        method: method.to_owned(),
        target: target.to_owned(),
        host: host.to_owned(),
        headers: headers.clone(),
    };
    let mut out = vec![
        request(&method, &target, &host),
        request(&method, &format!("{target}?page=2"), &host),
        request(&method, &target, &format!("{host}:8080")),
    ];
    if m.method.is_some() {
        let other = if method == "DELETE" { "PUT" } else { "DELETE" };
        out.push(request(other, &target, &host));
    }
    match &m.path {
        Some(PathPattern::Exact(p)) => {
            out.push(request(&method, &format!("{p}x"), &host));
            out.push(request(&method, &format!("{p}/x"), &host));
        }
        Some(PathPattern::Prefix(p)) => {
            out.push(request(&method, &format!("{p}a/b"), &host));
            let mut shorter = p.clone();
            shorter.pop();
            if !shorter.is_empty() {
                out.push(request(&method, &shorter, &host));
            }
            out.push(request(&method, "/elsewhere", &host));
        }
        None => {}
    }
    if let Some(h) = &m.host {
        for name in names(&h.name) {
            out.push(request(&method, &target, &name));
            out.push(request(&method, &target, &format!("{name}.")));
            if let Some(p) = h.port {
                out.push(request(&method, &target, &format!("{name}:{p}")));
                out.push(request(&method, &target, &format!("{name}:{}", p ^ 1)));
            }
        }
    }
    let example = request(&method, &target, &host);
    out.extend(header_variants(m).into_iter().map(|headers| HttpRequest {
        headers,
        ..example.clone()
    }));
    out
}

/// The header lines of requests that match an allowance's headers or just miss them: without
/// any header, without each one, each name in upper case, each sent twice (its value then
/// reads `v,v`), each value one character longer, in upper case, and empty.
fn header_variants(m: &HttpMatch) -> Vec<Vec<(String, String)>> {
    let all = m.example_headers();
    if all.is_empty() {
        return Vec::new();
    }
    let mut out = vec![Vec::new()];
    for (i, (name, value)) in all.iter().enumerate() {
        // The lines with this one replaced by `line`, or without it.
        let with = |line: Option<(String, String)>| -> Vec<(String, String)> {
            all.iter()
                .enumerate()
                .filter_map(|(j, l)| {
                    if j == i {
                        line.clone()
                    } else {
                        Some(l.clone())
                    }
                })
                .collect()
        };
        out.push(with(None));
        out.push(with(Some((name.to_ascii_uppercase(), value.clone()))));
        let mut twice = all.clone();
        twice.push((name.clone(), value.clone()));
        out.push(twice);
        for v in [
            format!("{value}x"),
            value.to_ascii_uppercase(),
            String::new(),
        ] {
            if v != *value {
                out.push(with(Some((name.clone(), v))));
            }
        }
    }
    out
}

/// ClientHellos a TLS allowance's names match and nearly match: each name its patterns match
/// and nearly match (see [`names`]) as the server name, and a ClientHello without one.
pub(crate) fn client_hellos(patterns: &[HostPattern]) -> Vec<ClientHello> {
    let mut out = vec![ClientHello { server_name: None }];
    for p in patterns {
        out.extend(names(p).into_iter().map(|n| ClientHello {
            server_name: Some(n),
        }));
    }
    out
}

/// Each range's ends and the values just outside them (ports, or ICMP messages numbered
/// `type × 256 + code`), in its protocol and in its neighbours: the same port in every protocol
/// with ports, the same message in the other ICMP family.
/// Pods running as a service account and just missing it: the account in its namespace, the
/// same pod as another account, and the account's name in another namespace.
pub(crate) fn service_account_pods(namespace: &str, name: &str, home: &str) -> Vec<Pod> {
    let labels = Labels::from([("app".to_owned(), "runs-as".to_owned())]);
    let as_account = |ns: &str, account: &str| Pod {
        service_account: account.to_owned(),
        ..Pod::new(ns, labels.clone())
    };
    let other = if namespace == home { ELSEWHERE } else { home };
    vec![
        as_account(namespace, name),
        as_account(namespace, &format!("{name}-other")),
        as_account(other, name),
    ]
}

/// The endpoints of a Service and pods just missing it: an endpoint on a port the Service
/// forwards to and on another port, an endpoint of another Service of the namespace, an
/// endpoint of a Service of the same name in another namespace, and a pod of the namespace with
/// the endpoints' labels that no Service selects.
pub(crate) fn service_endpoints(namespace: &str, name: &str, home: &str) -> Vec<Pod> {
    let labels = Labels::from([("app".to_owned(), name.to_owned())]);
    let endpoint = |ns: &str, service: Option<(&str, bool)>| Pod {
        endpoint_of: service.map(|(s, on_port)| super::Endpoint {
            service: s.to_owned(),
            on_port,
        }),
        ..Pod::new(ns, labels.clone())
    };
    let other = if namespace == home { ELSEWHERE } else { home };
    let other_service = format!("{name}-other");
    vec![
        endpoint(namespace, Some((name, true))),
        endpoint(namespace, Some((name, false))),
        endpoint(namespace, Some((&other_service, true))),
        endpoint(other, Some((name, true))),
        endpoint(namespace, None),
    ]
}

fn ports(set: &PortSet, out: &mut BTreeSet<(Proto, u16)>) {
    if let PortSet::Ranges(rs) = set {
        for r in rs {
            range_edges(r, &twins(r.proto), out);
        }
    }
}

/// The protocols whose flows a rule of `proto` must be told apart from at the same port (the
/// other transports, or the other ICMP).
fn twins(proto: Proto) -> Vec<Proto> {
    if proto.has_ports() {
        Proto::WITH_PORTS.to_vec()
    } else if proto.is_icmp() {
        vec![Proto::Icmp, Proto::Icmpv6]
    } else {
        Vec::new()
    }
}

/// The ends of a range and the values just outside it (within its protocol's span), in its
/// protocol and in `twins`.
fn range_edges(r: &PortRange, twins: &[Proto], out: &mut BTreeSet<(Proto, u16)>) {
    let (low, high) = r.proto.span();
    for p in [
        Some(r.first),
        Some(r.last),
        r.first.checked_sub(1),
        r.last.checked_add(1),
    ]
    .into_iter()
    .flatten()
    .filter(|p| (low..=high).contains(p))
    {
        out.insert((r.proto, p));
        for other in twins {
            out.insert((*other, p));
        }
    }
}

/// The addresses every universe tries: the metadata endpoints, and an IPv4 and an IPv6 address
/// no rule is likely to name.
const PROBE_ADDRESSES: [IpAddr; 4] = [
    IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)),
    IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8)),
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
];

/// The host name every universe tries.
const PROBE_HOST: &str = "example.org";

/// The ports every universe tries: DNS, HTTP, HTTPS, one SCTP port, an ICMP echo request, an
/// ICMPv6 one and a protocol without ports (allowed only where a rule allows every protocol, or
/// names them).
const PROBE_PORTS: [(Proto, u16); 9] = [
    (Proto::Tcp, 53),
    (Proto::Udp, 53),
    (Proto::Tcp, 80),
    (Proto::Tcp, 443),
    (Proto::Udp, 443),
    (Proto::Sctp, 9),
    (Proto::Icmp, 8 << 8),
    (Proto::Icmpv6, 128 << 8),
    (Proto::Gre, 0),
];

/// Every flow of the universe, deduplicated and sorted.
pub fn flows(program: &ir::Program) -> Vec<Flow> {
    let rules: Vec<(&Rule, &str)> = program
        .policies
        .iter()
        .flat_map(|p| {
            p.allow
                .iter()
                .chain(&p.deny)
                .map(move |r| (r, p.namespace.as_str()))
        })
        .chain(
            program
                .guardrails
                .iter()
                .flat_map(|g| g.deny.iter().map(|r| (r, ELSEWHERE))),
        )
        .chain(
            program
                .cluster_policies
                .iter()
                .map(|c| &c.policy)
                .chain(program.host_policies.iter().map(|h| &h.policy))
                .chain(program.reserved_policies.iter().map(|r| &r.policy))
                .flat_map(|p| p.allow.iter().chain(&p.deny).map(|r| (r, ELSEWHERE))),
        )
        .collect();

    let model = ClusterModel::new(&program.cluster);
    let mut addresses = BTreeSet::from([
        IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)),
        IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)),
        IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8)),
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
    ]);
    // Every declared cluster range's edges, and a node of the cluster.
    for n in program.cluster.inside().chain(&program.cluster.apiserver) {
        edges(n, &mut addresses);
    }
    // The first node (the API server's, by default) and one that runs no API server.
    addresses.extend(model.node_address(0));
    addresses.extend(model.node_address(1));
    let mut hosts: BTreeSet<String> = BTreeSet::from(["example.org".to_owned()]);
    let mut dest_pods: BTreeSet<Pod> = BTreeSet::from([kube_dns()]);
    let mut port_set: BTreeSet<(Proto, u16)> = BTreeSet::from([
        (Proto::Tcp, 53),
        (Proto::Udp, 53),
        (Proto::Tcp, 80),
        (Proto::Tcp, 443),
        (Proto::Udp, 443),
        (Proto::Sctp, 9),
        // An ICMP echo request, an ICMPv6 one and a protocol without ports: allowed only where
        // a rule allows every protocol, or names them.
        (Proto::Icmp, 8 << 8),
        (Proto::Icmpv6, 128 << 8),
        (Proto::Gre, 0),
    ]);
    // HTTP allowances: their ports, and the requests that tell them apart.
    let mut http_ports: BTreeSet<u16> = BTreeSet::new();
    let mut requests: BTreeSet<HttpRequest> = BTreeSet::new();
    // TLS allowances: their ports, and the ClientHellos that tell them apart.
    let mut tls_ports: BTreeSet<u16> = BTreeSet::new();
    let mut hellos: BTreeSet<ClientHello> = BTreeSet::new();
    // DNS name lists: the names that tell them apart (looked up on port 53).
    let mut looked_up: BTreeSet<String> = BTreeSet::new();
    for (r, _) in &rules {
        for peer in &r.peers {
            let l7_ports = match peer {
                Peer::Dns {
                    names: patterns, ..
                } => {
                    looked_up.extend(patterns.iter().flat_map(names));
                    continue;
                }
                Peer::Http { http, .. } => {
                    requests.extend(http_requests(http));
                    &mut http_ports
                }
                Peer::Tls { names, .. } => {
                    hellos.extend(client_hellos(names));
                    &mut tls_ports
                }
                _ => continue,
            };
            if let PortSet::Ranges(rs) = &r.ports {
                for x in rs.iter().filter(|x| x.proto == Proto::Tcp) {
                    l7_ports.extend([x.first, x.last]);
                }
            }
        }
    }
    // Pods of other clusters of the mesh, and the clusters the program names.
    let mut remote: BTreeSet<Pod> = BTreeSet::new();
    let mut clusters: BTreeSet<String> = BTreeSet::new();
    for (r, home) in &rules {
        ports(&r.ports, &mut port_set);
        for peer in r.peers.iter().map(|p| match p {
            Peer::Http { peer, .. } | Peer::Tls { peer, .. } | Peer::Dns { peer, .. } => {
                peer.as_ref()
            }
            p => p,
        }) {
            match peer {
                Peer::Net(n) => edges(n, &mut addresses),
                Peer::Host(h) => hosts.extend(names(h)),
                Peer::Pods {
                    namespace,
                    selector,
                } => dest_pods.extend(pods(namespace, selector, home)),
                Peer::RemotePods {
                    cluster,
                    namespace,
                    selector,
                } => {
                    clusters.insert(cluster.clone());
                    remote.extend(remote_pods(cluster, namespace, selector, home));
                }
                // Every destination, the API server, nodes, everything in the cluster: the
                // addresses, names and pods the universe has anyway.
                Peer::Any | Peer::ApiServer | Peer::Nodes(_) | Peer::Cluster => {}
                Peer::ServiceAccount { namespace, name } => {
                    dest_pods.extend(service_account_pods(namespace, name, home))
                }
                Peer::Service { namespace, name } => {
                    dest_pods.extend(service_endpoints(namespace, name, home))
                }
                Peer::Http { .. } | Peer::Tls { .. } | Peer::Dns { .. } => {}
            }
        }
    }
    // With a DNS name list, the lookups of every host name of the universe too (a list must
    // leave none of the program's out).
    let lookups: Vec<Lookup> = if looked_up.is_empty() {
        Vec::new()
    } else {
        looked_up
            .into_iter()
            .chain(hosts.iter().cloned())
            .collect::<BTreeSet<String>>()
            .into_iter()
            .map(|name| Lookup { name })
            .collect()
    };

    let mut sources: BTreeSet<Pod> = BTreeSet::new();
    for p in &program.policies {
        sources.insert(Pod::new(p.namespace.clone(), p.selector.example()));
        sources.insert(Pod::new(
            p.namespace.clone(),
            Labels::from([("egressc-test".into(), "unselected".into())]),
        ));
    }
    // A cluster-wide statement's pods, and pods just outside its selector or its namespaces.
    let subjects = program
        .cluster_policies
        .iter()
        .map(|c| &c.subject)
        .chain(program.guardrails.iter().map(|g| &g.subject));
    for s in subjects {
        sources.extend(pods(&s.namespaces, &s.selector, ELSEWHERE));
    }
    sources.insert(Pod::new(
        ELSEWHERE,
        Labels::from([("app".into(), "elsewhere".into())]),
    ));
    // A host statement's nodes, nodes just outside its selector, and one without labels.
    for h in &program.host_policies {
        sources.extend(nodes(&h.policy.selector));
    }
    // The endpoints of the reserved identities, where a policy selects them or a cluster-wide
    // one could by mistake (a target's "every pod" that selects every endpoint).
    if !(program.reserved_policies.is_empty()
        && program.cluster_policies.is_empty()
        && program.guardrails.is_empty())
    {
        sources.extend(crate::model::Reserved::ALL.map(Pod::reserved));
    }

    // Each address as what the cluster has there.
    let mut destinations: Vec<Destination> = addresses
        .into_iter()
        .filter(|a| !matches!(model.place(*a), Place::ApiServer { .. }))
        .flat_map(|a| model.destinations_at(a, ELSEWHERE))
        .collect();
    destinations.extend(model.apiservers().into_iter().map(Destination::ApiServer));
    for h in hosts {
        destinations.push(Destination::Host {
            name: h.clone(),
            address: None,
        });
        destinations.push(Destination::Host {
            name: h,
            address: Some(RESOLVED),
        });
    }
    // Where the program names other clusters, this cluster's pods there too: selectors that
    // name no cluster must not take them in.
    if let Some(c) = clusters.first() {
        remote.extend(dest_pods.iter().map(|p| Pod {
            cluster: Some(c.clone()),
            ..p.clone()
        }));
    }
    // Every pod of the cluster at an address of its own; pods of other clusters at none (no
    // address rule of the language matches them).
    destinations.extend(dest_pods.into_iter().enumerate().map(|(i, p)| {
        Destination::Pod(Pod {
            address: model.pod_address(i),
            ..p
        })
    }));
    destinations.extend(remote.into_iter().map(Destination::Pod));
    // Every pod source runs in the cluster the policies are applied in.
    let sources: BTreeSet<Pod> = sources
        .into_iter()
        .map(|s| Pod {
            cluster: if s.is_pod() {
                program.cluster.name.clone()
            } else {
                None
            },
            ..s
        })
        .collect();

    let mut out = Vec::with_capacity(sources.len() * destinations.len() * port_set.len());
    for s in &sources {
        for d in destinations.iter().filter(|d| d.reachable_from(s)) {
            for (proto, port) in &port_set {
                let flow = |http, tls, dns| Flow {
                    source: s.clone(),
                    destination: d.clone(),
                    proto: *proto,
                    port: *port,
                    http,
                    tls,
                    dns,
                };
                out.push(flow(None, None, None));
                if *proto == Proto::Tcp && http_ports.contains(port) {
                    out.extend(requests.iter().map(|r| flow(Some(r.clone()), None, None)));
                }
                let to_server = matches!(d, Destination::Pod(_) | Destination::Address(_));
                if *port == 53 && matches!(proto, Proto::Tcp | Proto::Udp) && to_server {
                    out.extend(lookups.iter().map(|l| flow(None, None, Some(l.clone()))));
                }
                if *proto == Proto::Tcp && tls_ports.contains(port) {
                    out.extend(hellos.iter().map(|h| flow(None, Some(h.clone()), None)));
                }
            }
        }
    }
    out
}

/// How an evaluator fared against the reference over a program's universe.
#[derive(Clone, Debug, Default)]
pub struct Agreement {
    /// Flows both decided alike.
    pub agreed: usize,
    /// Flows a target allows and the source does not, because an allowed address rule matches
    /// a pod's or a node's address that the program did not declare (`set pod-cidrs`, `set
    /// node-cidrs`), on a target whose address rules match them (native `ipBlock`, Calico
    /// `nets`): the documented difference W0116 warns about, counted, never silent.
    pub wider_undeclared: usize,
    /// Flows a target denies and the source allows for the same reason, through a denied
    /// address rule (Calico's `Deny` on `nets`): narrower, and documented likewise.
    pub narrower_undeclared: usize,
    /// One line per flow decided differently (or not decided), at most the limit given.
    pub disagreements: Vec<String>,
}

/// Whether `target` deciding `flow` otherwise than the reference is the documented difference:
/// the flow goes to a pod or a node whose address only the default ranges place (the program
/// declares no `pod-cidrs` or `node-cidrs` there), and `target`'s address rules match such
/// addresses (native `ipBlock` in the wider reading, Calico `nets`; never Cilium's CIDR rules).
pub fn undeclared_difference(model: &ClusterModel, target: Target, flow: &Flow) -> bool {
    let matches_cluster_addresses = match target {
        Target::Native | Target::Calico | Target::CalicoEnterprise => true,
        Target::Cilium => false,
    };
    matches_cluster_addresses
        && flow.destination.in_cluster()
        && flow
            .destination
            .address()
            .is_some_and(|a| model.undeclared(a))
}

/// Holds `target`'s evaluator to the reference on every flow of `program`'s universe. A host
/// name without an address that a target matching addresses cannot decide is skipped: the
/// universe gives every name a resolved twin, which it must decide. A flow to a pod or node
/// placed by the default (undeclared) ranges is counted apart (`wider_undeclared`,
/// `narrower_undeclared`) when a target matching such addresses decides it otherwise.
pub fn compare(
    program: &ir::Program,
    evaluator: &dyn super::Evaluator,
    target: Target,
    limit: usize,
) -> Agreement {
    use super::Evaluator as _;
    let reference = super::reference::Reference::new(program);
    let model = ClusterModel::new(&program.cluster);
    let mut out = Agreement::default();
    for flow in flows(program) {
        let want = match reference.decide(&flow) {
            Ok(d) => d,
            Err(e) => {
                out.disagreements
                    .push(format!("{flow}: the reference cannot decide: {e}"));
                continue;
            }
        };
        match evaluator.decide(&flow) {
            Ok(got) if got.allowed == want.allowed => out.agreed += 1,
            Ok(got) if undeclared_difference(&model, target, &flow) => {
                if got.allowed {
                    out.wider_undeclared += 1;
                } else {
                    out.narrower_undeclared += 1;
                }
            }
            Ok(got) => out.disagreements.push(format!(
                "{flow}\n    ir:   {} by {} ({})\n    {target}: {} by {} ({}; closest: {})",
                want.verdict(),
                want.rule.as_deref().unwrap_or("default"),
                want.why,
                got.verdict(),
                got.rule.as_deref().unwrap_or("default"),
                got.why,
                got.closest.as_deref().unwrap_or("-"),
            )),
            Err(super::Undecidable::NeedsAddress { .. })
                if matches!(flow.destination, Destination::Host { address: None, .. }) => {}
            Err(e) => out
                .disagreements
                .push(format!("{flow}: {target} cannot decide: {e}")),
        }
        if out.disagreements.len() >= limit {
            break;
        }
    }
    out
}

/// What lies at the edges of some rules: source pods to try, destinations and ports.
#[derive(Clone, Debug, Default)]
pub struct Seeds {
    pub sources: BTreeSet<Pod>,
    pub destinations: BTreeSet<Destination>,
    pub ports: BTreeSet<(Proto, u16)>,
    /// HTTP requests that match and nearly match the rules' HTTP rules: each TCP flow is also
    /// tried carrying each of them.
    pub requests: BTreeSet<HttpRequest>,
    /// ClientHellos that match and nearly match the rules' server names: each TCP flow is also
    /// tried opening with each of them.
    pub hellos: BTreeSet<ClientHello>,
    /// DNS lookups of names that match and nearly match the rules' DNS names: each TCP and UDP
    /// flow is also tried carrying each of them.
    pub lookups: BTreeSet<Lookup>,
}

impl Seeds {
    /// The edges of an address range (and just outside it).
    pub fn net(&mut self, n: &IpNet) {
        let mut out = BTreeSet::new();
        edges(n, &mut out);
        self.destinations
            .extend(out.into_iter().map(Destination::Address));
    }

    /// Host names that match and nearly match a pattern, each with and without its address.
    pub fn host(&mut self, h: &HostPattern) {
        for name in names(h) {
            self.name(name);
        }
    }

    /// One host name, with and without its address.
    pub fn name(&mut self, name: String) {
        self.destinations.insert(Destination::Host {
            name: name.clone(),
            address: Some(RESOLVED),
        });
        self.destinations.insert(Destination::Host {
            name,
            address: None,
        });
    }

    /// Pods inside and just outside a selection (see `pods`).
    pub fn pods(
        &mut self,
        namespace: &NamespaceSel,
        selector: &crate::model::LabelSelector,
        home: &str,
    ) {
        self.destinations.extend(
            pods(namespace, selector, home)
                .into_iter()
                .map(Destination::Pod),
        );
    }

    /// The ends of a range and the values just outside it in its protocol, and its first value
    /// in the protocols it must be told apart from.
    pub fn ports(&mut self, r: PortRange) {
        range_edges(&r, &[], &mut self.ports);
        for other in twins(r.proto) {
            self.ports.insert((other, r.first));
        }
    }

    /// Adds `other`'s seeds: each set merged in one pass over both (`BTreeSet::append`), not
    /// one search per element, and not at all when it holds what this one does (the two
    /// readings of a comparison often give the same seeds).
    pub fn extend(&mut self, mut other: Seeds) {
        fn merge<T: Ord>(into: &mut BTreeSet<T>, from: &mut BTreeSet<T>) {
            if into != from {
                into.append(from);
            }
        }
        merge(&mut self.sources, &mut other.sources);
        merge(&mut self.destinations, &mut other.destinations);
        merge(&mut self.ports, &mut other.ports);
        merge(&mut self.requests, &mut other.requests);
        merge(&mut self.hellos, &mut other.hellos);
        merge(&mut self.lookups, &mut other.lookups);
    }
}

/// Policies that can be decided one source pod at a time.
pub trait Scoped {
    /// The pods worth trying as sources: each policy's selection and pods just outside it.
    fn sources(&self) -> BTreeSet<Pod>;

    /// Appends what the policies say of `source` itself: which of them select it (by their
    /// place in the stream) and, where a rule reads a flow's source, what each of their rules
    /// says of it. Two sources with equal keys that are both pods or both nodes have the same
    /// scope: [`Scoped::scope`] gives both the same seeds, and an evaluator that decides every
    /// flow from one as the same flow from the other (it reads the source only to find the
    /// policies that select it and, through those rules, what the key holds). A comparison
    /// decides one source of each key for all of them (`tests/scoped_groups.rs` holds it to
    /// deciding each).
    fn source_key(&self, source: &Pod, key: &mut Vec<usize>);

    /// An evaluator that decides every flow from `source` as all the policies would, and the
    /// seeds of the rules it holds.
    fn scope(&self, source: &Pod) -> (Box<dyn Split + '_>, Seeds);
}

/// An evaluator that says what its verdicts depend on. Each product's rules match a flow by
/// its destination and by its protocol and port separately (a rule matches when both parts
/// do), so that, for one source pod, a verdict is a function of what every rule's destination
/// part says of the destination and what every rule's port part says of the protocol and port.
/// The keys are those answers: two flows from one source whose destinations have equal keys
/// and whose ports have equal keys get the same verdict.
pub trait Split: super::Evaluator {
    /// Appends what each rule that can decide flows from `flow.source` says of
    /// `flow.destination` (its protocol and port are not read).
    fn destination_key(&self, flow: &Flow, key: &mut Vec<u8>);

    /// Appends what each rule that can decide flows from `flow.source` says of `flow.proto`
    /// and `flow.port` (its destination is not read).
    fn port_key(&self, flow: &Flow, key: &mut Vec<u8>);
}

/// A flow two readings decide differently.
#[derive(Clone, Debug)]
pub struct Difference {
    pub flow: Flow,
    /// The first reading's verdict (the input, for an importer).
    pub want: super::Decision,
    /// The second reading's.
    pub got: super::Decision,
}

/// How two readings compared.
#[derive(Clone, Debug, Default)]
pub struct Comparison {
    pub agreed: usize,
    /// At most the limit given.
    pub differences: Vec<Difference>,
    /// Flows a reading could not decide, with why (at most the limit given).
    pub undecided: Vec<String>,
}

/// The probes every source tries: the cluster DNS pods, the metadata addresses, an address and a
/// host name no rule is likely to name, the common ports.
fn probes() -> Seeds {
    let mut s = Seeds::default();
    s.destinations
        .extend(PROBE_ADDRESSES.map(Destination::Address));
    s.destinations.insert(Destination::Pod(super::kube_dns()));
    s.name(PROBE_HOST.to_owned());
    s.ports.extend(PROBE_PORTS);
    s
}

/// Decides every flow of both readings' universes, one source at a time: the sources of both,
/// a pod of a namespace neither mentions, and for each source the destinations and ports at the
/// edges of the rules that can decide it on either side. A host name without an address that a
/// reading matching addresses cannot decide is skipped (its resolved twin is decided). Sources
/// whose keys are equal on both sides ([`Scoped::source_key`]) are decided once for all of them.
pub fn compare_scoped(want: &dyn Scoped, got: &dyn Scoped, limit: usize) -> Comparison {
    super::texts::verdicts_only(|| {
        super::memo::remembering(|| compare_verdicts(want, got, limit, Grouping::ByKey))
    })
}

/// [`compare_scoped`] deciding every source on its own, whatever its key: the comparison that
/// deciding one source per key is held equal to (`tests/scoped_groups.rs`).
pub fn compare_each_source(want: &dyn Scoped, got: &dyn Scoped, limit: usize) -> Comparison {
    super::texts::verdicts_only(|| {
        super::memo::remembering(|| compare_verdicts(want, got, limit, Grouping::EachSource))
    })
}

/// Whether sources with equal keys are decided once for all of them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Grouping {
    ByKey,
    EachSource,
}

/// Flows from one source grouped by what decides them: each destination (and each protocol
/// and port) with the number of those whose keys on both sides are equal to its own, which it
/// stands for. The keys on one side have one length for one source (one entry per rule, or per
/// peer), so the two sides' keys put end to end tell classes apart.
struct Classes {
    /// Each class's destinations, the first standing for all.
    destinations: Vec<Vec<Destination>>,
    /// Each class's protocols and ports, the first standing for all.
    ports: Vec<Vec<(Proto, u16)>>,
}

/// A flow from `source`, whose destination, protocol, port and request are set where it is
/// used.
fn from(source: &Pod) -> Flow {
    Flow {
        source: source.clone(),
        destination: Destination::Pod(super::kube_dns()),
        proto: Proto::Tcp,
        port: 0,
        http: None,
        tls: None,
        dns: None,
    }
}

impl Classes {
    fn of(source: &Pod, a: &dyn Split, b: &dyn Split, seeds: Seeds) -> Classes {
        use std::collections::BTreeMap;
        /// What a flow goes to between two destinations, never decided.
        const PLACEHOLDER: Destination = Destination::Address(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let mut key = Vec::new();
        let mut flow = from(source);
        let mut destinations: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
        let mut out = Classes {
            destinations: Vec::new(),
            ports: Vec::new(),
        };
        for d in seeds.destinations {
            key.clear();
            // A host name without its address is skipped where a side needs the address.
            key.push(u8::from(matches!(
                d,
                Destination::Host { address: None, .. }
            )));
            flow.destination = d;
            a.destination_key(&flow, &mut key);
            b.destination_key(&flow, &mut key);
            // The destination moves into its class; the flow holds a placeholder until the
            // next one.
            let d = std::mem::replace(&mut flow.destination, PLACEHOLDER);
            match destinations.get(&key) {
                Some(&i) => {
                    if let Some(class) = out.destinations.get_mut(i) {
                        class.push(d);
                    }
                }
                None => {
                    destinations.insert(key.clone(), out.destinations.len());
                    out.destinations.push(vec![d]);
                }
            }
        }
        let mut ports: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
        for (proto, port) in seeds.ports {
            key.clear();
            flow.proto = proto;
            flow.port = port;
            a.port_key(&flow, &mut key);
            b.port_key(&flow, &mut key);
            match ports.get(&key) {
                Some(&i) => {
                    if let Some(class) = out.ports.get_mut(i) {
                        class.push((proto, port));
                    }
                }
                None => {
                    ports.insert(key.clone(), out.ports.len());
                    out.ports.push(vec![(proto, port)]);
                }
            }
        }
        out
    }
}

/// What one source's flows came to: how many both sides decided alike, and the classes of flows
/// they decided differently or could not decide, in the order they were met (with the classes
/// they index, when there are any).
struct Outcome {
    agreed: usize,
    events: Vec<Event>,
    classes: Option<Classes>,
}

/// A class of destinations, one of ports, and the HTTP request or TLS ClientHello the flows
/// carry.
struct Event {
    destinations: usize,
    ports: usize,
    http: Option<HttpRequest>,
    tls: Option<ClientHello>,
    dns: Option<Lookup>,
    /// Decided differently (else: not decided on a side).
    differs: bool,
}

/// What a flow carries besides its packets: an HTTP request, a TLS ClientHello or a DNS lookup.
type Carried = (Option<HttpRequest>, Option<ClientHello>, Option<Lookup>);

/// Decides the flows of `source`'s universe, one flow of each class for all of it, with texts
/// off (see [`compare_verdicts`]).
fn outcome(want: &dyn Scoped, got: &dyn Scoped, source: &Pod, probes: &Seeds) -> Outcome {
    let (a, mut seeds) = want.scope(source);
    let (b, more) = got.scope(source);
    seeds.extend(more);
    seeds.extend(probes.clone());
    seeds.destinations.retain(|d| d.reachable_from(source));
    // Each TCP flow as neither HTTP nor TLS, as each request and as each ClientHello (what
    // HTTP and TLS rules read is the request or the ClientHello alone, so the classes hold
    // for each); each flow to port 53 also as each DNS lookup (what DNS rules read is the
    // name alone).
    let requests: Vec<Carried> = std::iter::once((None, None, None))
        .chain(
            seeds
                .requests
                .iter()
                .cloned()
                .map(|r| (Some(r), None, None)),
        )
        .chain(seeds.hellos.iter().cloned().map(|h| (None, Some(h), None)))
        .collect();
    let lookups: &[Carried] = &seeds
        .lookups
        .iter()
        .cloned()
        .map(|l| (None, None, Some(l)))
        .collect::<Vec<_>>();
    let classes = Classes::of(source, a.as_ref(), b.as_ref(), seeds);
    let mut out = Outcome {
        agreed: 0,
        events: Vec::new(),
        classes: None,
    };
    let mut flow = from(source);
    for (i, destinations) in classes.destinations.iter().enumerate() {
        let Some(destination) = destinations.first() else {
            continue;
        };
        let unresolved = matches!(destination, Destination::Host { address: None, .. });
        flow.destination.clone_from(destination);
        for (j, ports, at, (http, tls, dns)) in
            classes.ports.iter().enumerate().flat_map(|(j, ports)| {
                let first = ports.first().copied();
                let tcp = first.is_some_and(|(proto, _)| proto == Proto::Tcp);
                let carried = if tcp {
                    requests.as_slice()
                } else {
                    requests.get(..1).unwrap_or_default()
                };
                // Lookups go to port 53, which stands for its whole class.
                let dns = ports
                    .iter()
                    .find(|(proto, port)| *port == 53 && matches!(proto, Proto::Tcp | Proto::Udp))
                    .copied();
                let plain = carried
                    .iter()
                    .filter_map(move |h| Some((j, ports, first?, h)));
                let looked = dns
                    .into_iter()
                    .flat_map(move |at| lookups.iter().map(move |l| (j, ports, at, l)));
                plain.chain(looked)
            })
        {
            let (proto, port) = at;
            flow.proto = proto;
            flow.port = port;
            flow.http.clone_from(http);
            flow.tls.clone_from(tls);
            flow.dns.clone_from(dns);
            let differs = match (a.decide(&flow), b.decide(&flow)) {
                (Ok(x), Ok(y)) if x.allowed == y.allowed => {
                    out.agreed += destinations.len() * ports.len();
                    continue;
                }
                (Ok(_), Ok(_)) => true,
                (Err(super::Undecidable::NeedsAddress { .. }), _)
                | (_, Err(super::Undecidable::NeedsAddress { .. }))
                    if unresolved =>
                {
                    continue;
                }
                _ => false,
            };
            out.events.push(Event {
                destinations: i,
                ports: j,
                http: http.clone(),
                tls: tls.clone(),
                dns: dns.clone(),
                differs,
            });
        }
    }
    if !out.events.is_empty() {
        out.classes = Some(classes);
    }
    out
}

/// Adds what `source`'s flows came to (its own, or those of a source with the same key) to
/// `out`: the flows decided differently are decided again from `source` with their texts, and
/// those not decided are decided again from it to say why.
fn report(
    want: &dyn Scoped,
    got: &dyn Scoped,
    source: &Pod,
    outcome: &Outcome,
    limit: usize,
    out: &mut Comparison,
) {
    use super::texts::written;
    out.agreed += outcome.agreed;
    let Some(classes) = &outcome.classes else {
        return;
    };
    let mut scoped: Option<(Box<dyn Split + '_>, Box<dyn Split + '_>)> = None;
    for e in &outcome.events {
        let full = if e.differs {
            out.differences.len() >= limit
        } else {
            out.undecided.len() >= limit
        };
        if full {
            continue;
        }
        let (Some(destinations), Some(ports)) = (
            classes.destinations.get(e.destinations),
            classes.ports.get(e.ports),
        ) else {
            continue;
        };
        let (a, b) = scoped.get_or_insert_with(|| (want.scope(source).0, got.scope(source).0));
        let flow = |destination: &Destination, (proto, port): (Proto, u16)| Flow {
            source: source.clone(),
            destination: destination.clone(),
            proto,
            port,
            http: e.http.clone(),
            tls: e.tls.clone(),
            dns: e.dns.clone(),
        };
        if e.differs {
            // Every flow of the two classes differs alike: each is reported.
            for d in destinations {
                for &p in ports {
                    if out.differences.len() >= limit {
                        break;
                    }
                    let flow = flow(d, p);
                    let (want, got) = written(|| (a.decide(&flow), b.decide(&flow)));
                    if let (Ok(want), Ok(got)) = (want, got) {
                        out.differences.push(Difference { flow, want, got });
                    }
                }
            }
        } else if let (Some(d), Some(&p)) = (destinations.first(), ports.first()) {
            let flow = flow(d, p);
            if let (Err(e), _) | (_, Err(e)) = (a.decide(&flow), b.decide(&flow)) {
                out.undecided.push(format!("{flow}: {e}"));
            }
        }
    }
}

/// [`compare_scoped`] with texts off. For each source, the flows of its universe (every
/// destination at every port) fall into classes whose flows every rule on both sides treats
/// alike ([`Split`]), so each side gives all the flows of a class one verdict: one flow of each
/// class is decided, for all of them, and the check is as strong as deciding every flow. A
/// flow decided differently is decided again with its texts, for the report. Sources with
/// equal keys on both sides, both pods or both nodes, have the same universe and the same
/// verdicts ([`Scoped::source_key`]): the first of them in order is decided for all, and the
/// others are reported in their place, as if each had been decided.
fn compare_verdicts(
    want: &dyn Scoped,
    got: &dyn Scoped,
    limit: usize,
    grouping: Grouping,
) -> Comparison {
    use std::collections::hash_map::{Entry, HashMap};
    let mut sources = want.sources();
    sources.append(&mut got.sources());
    sources.insert(Pod::new(
        ELSEWHERE,
        Labels::from([("app".into(), "elsewhere".into())]),
    ));
    let probes = probes();
    let mut out = Comparison::default();
    let mut decided: HashMap<Vec<usize>, Outcome> = HashMap::new();
    let mut key = Vec::new();
    for source in &sources {
        if grouping == Grouping::EachSource {
            let o = outcome(want, got, source, &probes);
            report(want, got, source, &o, limit, &mut out);
            continue;
        }
        // Each side's key ends with a value no index takes, so the two put end to end tell
        // keys apart.
        key.clear();
        key.push(usize::from(source.host));
        want.source_key(source, &mut key);
        key.push(usize::MAX);
        got.source_key(source, &mut key);
        let o = match decided.entry(key.clone()) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(outcome(want, got, source, &probes)),
        };
        report(want, got, source, o, limit, &mut out);
    }
    out
}

/// A pod of a selection in `namespace` and pods just outside it (in the namespace, and an
/// unlabelled one), as sources to try.
pub fn subjects(namespace: &str, selector: &crate::model::LabelSelector) -> Vec<Pod> {
    let mut out = pods(
        &NamespaceSel::Named(namespace.to_owned()),
        selector,
        namespace,
    );
    out.push(Pod::new(
        namespace,
        Labels::from([("egressc-test".into(), "unselected".into())]),
    ));
    out
}
