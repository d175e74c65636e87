//! Names built into the language: destinations the language itself cannot write, reserved like
//! standard-library names (a `def` of one is E0202) and documented like them (`egressc explain
//! any`, hover, completion).
//!
//! - `none`: the whole allow list of a workload that may send nothing (`app batch -> none`);
//!   read where the statement is checked (`statements.rs`), an error anywhere else (E0320).
//! - `any`: every destination, inside the cluster or outside it ([`Peer::Any`]).
//! - `dns-server`: the cluster's DNS server (`set dns-server`, read before anything is
//!   expanded, by `settings::dns_server`; else the CoreDNS pods).
//! - `kube-apiserver`, `nodes`, `this-node`, `other-nodes`, `cluster`: destinations inside the
//!   cluster ([`Peer::ApiServer`], [`Peer::Nodes`], [`Peer::Cluster`]); `world`, everything
//!   outside it, is the standard library's `internet`.

use super::checked::DefInfo;
use super::expand::Expanded;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Nodes, Peer};
use crate::source::{Span, Spanned};

/// A built-in name and its documentation.
pub(super) struct Builtin {
    pub name: &'static str,
    pub doc: &'static str,
}

pub(super) const NONE: &str = "none";
pub(super) const ANY: &str = "any";
pub(super) const DNS_SERVER: &str = "dns-server";
pub(super) const HTTP: &str = "http";
pub(super) const TLS: &str = "tls";
/// The standard library's `dns`, which takes names when called: `dns(name = api.example.com)`.
pub(super) const DNS: &str = "dns";

pub(super) const BUILTINS: [Builtin; 10] = [
    Builtin {
        name: NONE,
        doc: "Nothing: `app batch-export -> none` isolates the pods for egress with nothing \
allowed (native: a NetworkPolicy with `policyTypes: [Egress]` and no rule; cilium: `egress: [{}]` \
with `enableDefaultDeny.egress: true`; calico: `types: [Egress]` and no rule). It stands only as \
the whole allow list of an `app` or `pods` statement, with no deny clause. Built into the \
language.",
    },
    Builtin {
        name: ANY,
        doc: "Every destination, inside the cluster or outside it: every address, host name, \
pod, node and the API server. Usually with a port: `any:443/tcp`, `any:53/udp`. Native: a rule \
with `ports` and no `to`; cilium: `toPorts` alone (every port: `toEntities: [all]`); calico: a \
rule with a protocol and ports and no other criterion. In a deny list it denies those ports \
everywhere. Built into the language.",
    },
    Builtin {
        name: DNS_SERVER,
        doc: "The cluster's DNS server on every port: the CoreDNS pods (`k8s-app=kube-dns` in \
`kube-system`) unless the program says otherwise with `set dns-server = \
pods(openshift-dns){dns.operator.openshift.io/daemonset-dns=default}` (OpenShift) or `set \
dns-server = 169.254.20.10` (a NodeLocal DNSCache). The standard library's `kube-dns`, `dns` and \
`strict-dns` and the `no-dns` lint use it. Built into the language.",
    },
    Builtin {
        name: "kube-apiserver",
        doc: "The Kubernetes API server, at its endpoint addresses (what the \
`kubernetes` Service in `default` forwards to), on a node or outside the cluster: \
`kube-apiserver:6443/tcp` (the endpoints' port, often 6443; 443 is the Service's). Cilium: \
`toEntities: [kube-apiserver]`. Native and Calico have no name for it and write the addresses \
the program declares: `set apiserver = 10.0.0.10` (E0522 without \
it). Built into the language.",
    },
    Builtin {
        name: "nodes",
        doc: "Every node of the cluster, at the nodes' addresses (host-network pods \
included): `nodes:10250/tcp`. An address range never reaches a node. Cilium: `toEntities: \
[host, remote-node]`. Native and Calico have no name for them and write the addresses the \
program declares: `set node-cidrs = 10.0.0.0/16` (E0522 without it). \
Built into the language.",
    },
    Builtin {
        name: "this-node",
        doc: "The node the sending pod runs on (its kubelet, a node-local agent, host-network \
pods there): `this-node:10250/tcp`. Cilium: `toEntities: [host]`. Native and Calico match \
nodes by address and cannot tell this node from the others (E0523): write `nodes` there. \
Built into the language.",
    },
    Builtin {
        name: "other-nodes",
        doc: "Every node but the one the sending pod runs on: `other-nodes:4240/tcp`. Cilium: \
`toEntities: [remote-node]`. Native and Calico cannot tell the nodes apart (E0523): write \
`nodes` there. Built into the language.",
    },
    Builtin {
        name: "cluster",
        doc: "Everything inside the cluster: every pod of every namespace, every \
node and the API server (also when it runs outside the cluster, as Cilium's entity has it). \
Cilium: `toEntities: [cluster]`. Native and Calico: every pod of every namespace, plus the \
declared addresses of the nodes and the API server (`set node-cidrs`, `set apiserver`; E0522 \
without them). Everything outside the cluster is `world`. Built into the language.",
    },
    Builtin {
        name: HTTP,
        doc: "HTTP requests to a destination: `http(api.example.com:80, method = GET, path = \
\"/v1/orders/*\", host = api.example.com)` allows only the requests whose method, path and host \
match (each argument optional, at least one given), and nothing else on that port. `path` is \
matched whole, with any query string; a final `*` matches every path that starts with the rest. \
`header = X-Team` requires a header with any value, `header = \"X-Team: payments\"` with exactly \
that value; every header named is required. The destination needs TCP ports. Cilium: `toPorts[].rules.http`; native NetworkPolicy and \
Calico refuse it (E0536). Built into the language.",
    },
    Builtin {
        name: TLS,
        doc: "TLS connections to a destination by the server name they send: \
`tls(api.example.com:443, name = api.example.com, name = *.cdn.example.com)` allows only the TLS \
connections whose ClientHello names a server one of the names matches (as host names match), \
and nothing else on that port: not a connection without a server name, not another protocol. \
The destination needs TCP ports. Cilium: `toPorts[].serverNames`; native NetworkPolicy and \
Calico refuse it (E0537). Built into the language.",
    },
];

/// Whether `name` is built in.
pub(super) fn is_builtin(name: &str) -> bool {
    BUILTINS.iter().any(|b| b.name == name)
}

/// The definitions list's entries for the built-in names.
pub(super) fn infos() -> impl Iterator<Item = DefInfo> {
    BUILTINS.iter().map(|b| DefInfo {
        name: b.name.to_owned(),
        params: Vec::new(),
        doc: Some(b.doc.to_owned()),
        span: Span::default(),
        name_span: Span::default(),
        from_stdlib: true,
    })
}

/// The value of a built-in name used as a destination: `any`, the DNS server `dns_server`, or
/// E0320 for `none`.
pub(super) fn destination(
    name: &Spanned<String>,
    origin: Span,
    dns_server: &[Peer],
) -> Result<Vec<Expanded>, Diagnostic> {
    match name.node.as_str() {
        ANY => Ok(vec![Expanded::new(Peer::Any, origin)]),
        DNS_SERVER => Ok(dns_server
            .iter()
            .map(|p| Expanded::new(p.clone(), origin))
            .collect()),
        "kube-apiserver" => Ok(vec![Expanded::new(Peer::ApiServer, origin)]),
        "nodes" => Ok(vec![Expanded::new(Peer::Nodes(Nodes::All), origin)]),
        "this-node" => Ok(vec![Expanded::new(Peer::Nodes(Nodes::This), origin)]),
        "other-nodes" => Ok(vec![Expanded::new(Peer::Nodes(Nodes::Others), origin)]),
        "cluster" => Ok(vec![Expanded::new(Peer::Cluster, origin)]),
        HTTP => Err(Diagnostic::new(
            Code::E0364,
            name.span,
            "`http` needs its destination and what to match",
        )
        .label("an HTTP allowance without arguments")
        .help("write `http(DESTINATION:PORT, method = GET, path = \"/v1/*\")`")),
        TLS => Err(Diagnostic::new(
            Code::E0373,
            name.span,
            "`tls` needs its destination and server names",
        )
        .label("a TLS allowance without arguments")
        .help("write `tls(DESTINATION:PORT, name = api.example.com)`")),
        _ => Err(misplaced_none(name.span)),
    }
}

/// E0320: `none` where it cannot stand (a definition, an argument, a deny list, an
/// expectation, with a port).
pub(super) fn misplaced_none(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::E0320,
        span,
        "`none` stands only as the whole allow list of a statement",
    )
    .label("not a destination")
    .help("remove `none`; write `app NAME -> none` for a workload that may send nothing")
}

/// E0202 for a definition of a built-in name.
pub(super) fn redefined(name: &Spanned<String>) -> Diagnostic {
    Diagnostic::new(
        Code::E0202,
        name.span,
        format!("`{}` is defined twice", name.node),
    )
    .label("defined again here")
    .note(format!("`{}` is built into the language", name.node))
    .help("rename the definition")
}
