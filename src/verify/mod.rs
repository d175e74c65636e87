//! What the policies mean, checked: flows, the reference evaluator on the IR, and one evaluator
//! per target that reads the EMITTED YAML TEXT back and decides flows by that product's
//! documented semantics. `egressc test`, `egressc trace` and the equivalence tests compare them.
//!
//! This is not a compiler stage: it reads the IR and YAML text, never the AST or the backends'
//! in-memory objects, so that a backend bug shows up as a disagreement.
//!
//! One folder per product (`native/`, `cilium/`, `calico/`), each with `read.rs` (YAML → the
//! product's policies) and `decide.rs` (the product's semantics). What they share is here:
//! `yaml.rs` (a YAML stream as a tree with positions), `cursor.rs` (reading it by path, with
//! the rule for unknown fields), `labels.rs` (Kubernetes label selectors), `ports.rs`
//! (protocols and port ranges), `closest.rs` (how near a rule came, for `egressc trace`) and
//! `reading.rs` (a stream as its product reads it, and two readings compared: `import`, `diff`).

pub mod calico;
pub mod cilium;
pub mod closest;
pub mod cluster;
pub mod cursor;
pub mod expect;
pub mod labels;
mod memo;
pub mod native;
pub mod ports;
pub mod reading;
pub mod reference;
pub mod texts;
pub mod universe;
pub mod yaml;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use crate::backend::Target;
use crate::model::Proto;
use crate::source::Span;

/// Labels of a pod or namespace.
pub type Labels = BTreeMap<String, String>;

/// The one label every namespace carries, set by the control plane to the namespace's name
/// (<https://kubernetes.io/docs/reference/labels-annotations-taints/#kubernetes-io-metadata-name>);
/// the flow model gives namespaces no other label.
pub const NAMESPACE_NAME: &str = crate::model::NAMESPACE_NAME_LABEL;

/// The labels of a namespace: only [`NAMESPACE_NAME`].
pub fn namespace_labels(namespace: &str) -> Labels {
    Labels::from([(NAMESPACE_NAME.to_owned(), namespace.to_owned())])
}

/// The service account of a pod that names none: every namespace has one called `default`.
pub const DEFAULT_SERVICE_ACCOUNT: &str = "default";

/// The cluster DNS pods of the standard library's `dns`.
pub fn kube_dns() -> Pod {
    Pod::new(
        "kube-system",
        Labels::from([("k8s-app".into(), "kube-dns".into())]),
    )
}

/// A pod: its namespace, the labels of its namespace and its own labels, and as a destination
/// its address. Every namespace carries the label `kubernetes.io/metadata.name: <namespace>`,
/// in every evaluator; the flow model gives some namespaces more labels (`ns_labels`), to tell
/// `pods(ns{...})` apart.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pod {
    pub namespace: String,
    /// The namespace's labels besides `kubernetes.io/metadata.name`.
    pub ns_labels: Labels,
    pub labels: Labels,
    /// The service account the pod runs as (`default` unless the pod names one).
    pub service_account: String,
    /// Where the flow model places it (`cluster::ClusterModel`); `None` for a flow's source,
    /// whose address no rule reads.
    pub address: Option<IpAddr>,
    /// As a destination, the Service of its namespace it is an endpoint of, if any.
    pub endpoint_of: Option<Endpoint>,
    /// A node's own traffic rather than a pod's (a source only: the node's host network
    /// namespace, host-networked pods included): `labels` are the node's, `namespace` is empty
    /// and no namespace holds it; only host policies select it.
    pub host: bool,
    /// An endpoint of one of Cilium's reserved identities rather than a pod (a source only: an
    /// endpoint still initialising, or a health endpoint): no labels, `namespace` empty; only
    /// the policies that select that identity select it.
    pub reserved: Option<crate::model::Reserved>,
    /// The name of the cluster of a cluster mesh the pod runs in, when the flow model gives
    /// one: a source's is the cluster the policies are applied in (`set cluster-name`), and a
    /// destination without one runs in its source's cluster. A destination naming another
    /// cluster than its source's is a pod of another cluster ([`Flow::remote_cluster`]).
    pub cluster: Option<String>,
}

/// A destination pod's Service, as the flow to it sees it: which Service of the pod's
/// namespace selects the pod, and whether the flow's port is one the Service forwards to (a
/// target port of the Service, on this pod) or another one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Endpoint {
    pub service: String,
    pub on_port: bool,
}

impl Pod {
    /// A pod of a namespace that carries only its name label, without an address.
    pub fn new(namespace: impl Into<String>, labels: Labels) -> Pod {
        Pod {
            namespace: namespace.into(),
            ns_labels: Labels::new(),
            labels,
            service_account: DEFAULT_SERVICE_ACCOUNT.to_owned(),
            address: None,
            endpoint_of: None,
            host: false,
            reserved: None,
            cluster: None,
        }
    }

    /// An endpoint of a reserved identity, sending its own traffic.
    pub fn reserved(identity: crate::model::Reserved) -> Pod {
        Pod {
            reserved: Some(identity),
            ..Pod::new("", Labels::new())
        }
    }

    /// Whether it is a pod (in a namespace), not a node or an endpoint of a reserved identity.
    pub fn is_pod(&self) -> bool {
        !self.host && self.reserved.is_none()
    }

    /// A node, sending its own traffic, with these labels.
    pub fn host(labels: Labels) -> Pod {
        Pod {
            host: true,
            ..Pod::new("", labels)
        }
    }

    /// One label of the pod's namespace (its name label included), as [`Pod::namespace_labels`]
    /// gives it, without building them all.
    pub fn namespace_label(&self, key: &str) -> Option<&str> {
        if key == NAMESPACE_NAME {
            Some(&self.namespace)
        } else {
            self.ns_labels.get(key).map(String::as_str)
        }
    }

    /// Every label of the pod's namespace, its name label included.
    pub fn namespace_labels(&self) -> Labels {
        let mut labels = self.ns_labels.clone();
        labels.extend(namespace_labels(&self.namespace));
        labels
    }
}

impl fmt::Display for Pod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |labels: &Labels| {
            labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if self.host {
            return write!(f, "host{{{}}}", show(&self.labels));
        }
        if let Some(r) = self.reserved {
            return write!(f, "reserved {}", r.name());
        }
        if self.ns_labels.is_empty() {
            write!(f, "pods({}){{{}}}", self.namespace, show(&self.labels))?;
        } else {
            write!(
                f,
                "pods({} ns{{{}}}){{{}}}",
                self.namespace,
                show(&self.ns_labels),
                show(&self.labels)
            )?;
        }
        if let Some(c) = &self.cluster {
            write!(f, " in cluster {c}")?;
        }
        if self.service_account != DEFAULT_SERVICE_ACCOUNT {
            write!(f, " as {}", self.service_account)?;
        }
        if let Some(a) = self.address {
            write!(f, " at {a}")?;
        }
        match &self.endpoint_of {
            Some(e) => {
                let port = if e.on_port {
                    "on a port it forwards to"
                } else {
                    "on another port"
                };
                write!(
                    f,
                    ", behind service({}/{}) {port}",
                    self.namespace, e.service
                )
            }
            None => Ok(()),
        }
    }
}

/// A node of the cluster, at one of its addresses: the node the source pod runs on, or another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Node {
    pub this: bool,
    pub address: IpAddr,
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let which = if self.this {
            "this node"
        } else {
            "another node"
        };
        write!(f, "{which} at {}", self.address)
    }
}

/// The API server, at one of its endpoint addresses: on a node (the source pod's own, or
/// another) or outside the cluster (a managed control plane).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiServer {
    pub address: IpAddr,
    /// `Some(true)` on the source pod's node, `Some(false)` on another node, `None` outside
    /// the cluster.
    pub on_node: Option<bool>,
}

impl ApiServer {
    /// The API server at `a`: once outside the cluster, or on this node and on another.
    pub fn at(a: IpAddr, on_node: bool) -> Vec<ApiServer> {
        if on_node {
            vec![
                ApiServer {
                    address: a,
                    on_node: Some(true),
                },
                ApiServer {
                    address: a,
                    on_node: Some(false),
                },
            ]
        } else {
            vec![ApiServer {
                address: a,
                on_node: None,
            }]
        }
    }

    /// The node it runs on, if any.
    pub fn node(&self) -> Option<Node> {
        self.on_node.map(|this| Node {
            this,
            address: self.address,
        })
    }
}

impl fmt::Display for ApiServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "kube-apiserver at {}", self.address)?;
        match self.on_node {
            Some(true) => f.write_str(" (on this node)"),
            Some(false) => f.write_str(" (on another node)"),
            None => f.write_str(" (outside the cluster)"),
        }
    }
}

/// Where a flow goes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Destination {
    /// An address outside the cluster: not a pod's, a node's or the API server's.
    Address(IpAddr),
    /// A host name, looked up through cluster DNS, and the address it resolved to (if known).
    Host {
        name: String,
        address: Option<IpAddr>,
    },
    /// A pod of the cluster, at its address.
    Pod(Pod),
    /// A node of the cluster.
    Node(Node),
    /// The API server.
    ApiServer(ApiServer),
}

impl Destination {
    /// The address the flow's packets carry, when the model knows it.
    pub fn address(&self) -> Option<IpAddr> {
        match self {
            Destination::Address(a) => Some(*a),
            Destination::Host { address, .. } => *address,
            Destination::Pod(p) => p.address,
            Destination::Node(n) => Some(n.address),
            Destination::ApiServer(s) => Some(s.address),
        }
    }

    /// Whether a flow from `source` to here is in the model: everything but a node's traffic to
    /// itself (the node of a host source, and the API server on it), which stays on the node
    /// and which no target polices.
    pub fn reachable_from(&self, source: &Pod) -> bool {
        let to_itself = match self {
            Destination::Node(n) => n.this,
            Destination::ApiServer(s) => s.on_node == Some(true),
            _ => false,
        };
        !(source.host && to_itself)
    }

    /// Whether the destination is inside the cluster (a pod, a node, the API server on a node),
    /// which address rules of the language never match.
    pub fn in_cluster(&self) -> bool {
        match self {
            Destination::Address(_) | Destination::Host { .. } => false,
            Destination::Pod(_) | Destination::Node(_) => true,
            Destination::ApiServer(s) => s.on_node.is_some(),
        }
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::Address(a) => write!(f, "{a}"),
            Destination::Host {
                name,
                address: None,
            } => write!(f, "{name}"),
            Destination::Host {
                name,
                address: Some(a),
            } => write!(f, "{name} resolving {a}"),
            Destination::Pod(p) => write!(f, "{p}"),
            Destination::Node(n) => write!(f, "{n}"),
            Destination::ApiServer(s) => write!(f, "{s}"),
        }
    }
}

/// One connection attempt: from a pod to a destination, protocol and port.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Flow {
    pub source: Pod,
    pub destination: Destination,
    pub proto: Proto,
    /// The destination port (TCP, UDP, SCTP); for ICMP and ICMPv6 the message, `type × 256 +
    /// code` as in `crate::model::PortRange` (see [`Flow::icmp`]); 0 for other protocols.
    pub port: u16,
    /// The HTTP request a TCP flow carries, if it is one (`None`: another protocol on TCP).
    pub http: Option<HttpRequest>,
    /// The TLS ClientHello a TCP flow opens with, if it is a TLS connection (`None`: another
    /// protocol on TCP). A flow carries an HTTP request or a ClientHello, never both.
    pub tls: Option<ClientHello>,
    /// The DNS lookup a flow to port 53 carries, if it is one (`None`: the packets themselves,
    /// which a DNS name list does not restrict).
    pub dns: Option<Lookup>,
}

/// A DNS query, as far as policies read it: the name it asks for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lookup {
    /// A lower-case name without a final dot.
    pub name: String,
}

impl fmt::Display for Lookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DNS lookup of {}", self.name)
    }
}

/// The first message of a TLS connection, as far as policies read it: the server name it
/// sends (the SNI extension, RFC 6066), if any.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientHello {
    /// A lower-case host name without a final dot, or `None` when the client sends none.
    pub server_name: Option<String>,
}

impl fmt::Display for ClientHello {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.server_name {
            Some(n) => write!(f, "TLS to server name {n}"),
            None => f.write_str("TLS without a server name"),
        }
    }
}

/// An HTTP request: its method, its request target (the path and any query string, as sent),
/// its host as sent (the `Host` header or `:authority`, with a port when the client gave one)
/// and its other header lines (name and value as sent, in order; a name may come twice).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HttpRequest {
    pub method: String,
    pub target: String,
    pub host: String,
    pub headers: Vec<(String, String)>,
}

impl HttpRequest {
    /// The path, without the query string.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

impl fmt::Display for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} http://{}{}", self.method, self.host, self.target)?;
        for (i, (name, value)) in self.headers.iter().enumerate() {
            let sep = if i == 0 { " with" } else { "," };
            write!(f, "{sep} {name}: {value}")?;
        }
        Ok(())
    }
}

impl Flow {
    /// The cluster of the flow's destination pod when it runs in another cluster of the mesh
    /// than the source: selectors that name no cluster never select it (Cilium 1.19's default
    /// `policy-default-local-cluster`; native NetworkPolicy and Calico select pods of their own
    /// cluster only).
    pub fn remote_cluster(&self) -> Option<&str> {
        match &self.destination {
            Destination::Pod(p) => p
                .cluster
                .as_deref()
                .filter(|c| Some(*c) != self.source.cluster.as_deref()),
            _ => None,
        }
    }

    /// The ICMP type and code of an ICMP or ICMPv6 flow.
    pub fn icmp(&self) -> Option<(u8, u8)> {
        self.proto.is_icmp().then(|| {
            let [kind, code] = self.port.to_be_bytes();
            (kind, code)
        })
    }

    /// `tcp/443`, `icmp type 8 code 0`, `gre`: what the flow carries.
    pub fn packet(&self) -> String {
        self.carries().to_string()
    }

    /// What the flow carries, written only when shown (see [`Flow::packet`]).
    pub fn carries(&self) -> Packet<'_> {
        Packet(self)
    }

    /// Why a target that matches addresses cannot decide this flow to a host without one.
    pub fn needs_address(&self) -> Undecidable {
        Undecidable::NeedsAddress {
            host: match &self.destination {
                Destination::Host { name, .. } => name.clone(),
                other => other.to_string(),
            },
        }
    }
}

/// A flow's protocol and port as shown: `tcp/443`, `icmp type 8 code 0`, `gre`.
pub struct Packet<'a>(&'a Flow);

impl fmt::Display for Packet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flow = self.0;
        match flow.icmp() {
            Some((kind, code)) => write!(f, "{} type {kind} code {code}", flow.proto.as_str()),
            None if flow.proto.has_ports() => write!(f, "{}/{}", flow.proto.as_str(), flow.port),
            None => f.write_str(flow.proto.as_str()),
        }
    }
}

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} -> {} {}",
            self.source,
            self.destination,
            self.carries()
        )?;
        match (&self.http, &self.tls, &self.dns) {
            (Some(r), _, _) => write!(f, " ({r})"),
            (None, Some(h), _) => write!(f, " ({h})"),
            (None, None, Some(l)) => write!(f, " ({l})"),
            (None, None, None) => Ok(()),
        }
    }
}

/// A verdict and what decided it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The object and rule that decided, e.g. `payments/payments-api-egress spec.egress[1]`,
    /// or `None` when a default decided (no policy selects the pod; nothing allowed the flow).
    pub rule: Option<String>,
    /// One line saying why, e.g. `10.20.30.7 is in 10.20.30.0/24 and tcp/5432 is allowed`.
    pub why: String,
    /// When denied: the rule that came closest and why it did not match (wrong port, outside
    /// the CIDR, in an except range, host name not matched).
    pub closest: Option<String>,
    /// The user's source construct behind the deciding rule (reference evaluator only).
    pub source: Option<Span>,
}

impl Decision {
    /// A verdict no rule made (no policy selects the pod; nothing allowed the flow).
    pub fn by_default(allowed: bool, why: impl Into<String>) -> Decision {
        Decision {
            allowed,
            rule: None,
            why: why.into(),
            closest: None,
            source: None,
        }
    }

    /// A verdict a rule made.
    pub fn by_rule(allowed: bool, rule: String, why: impl Into<String>) -> Decision {
        Decision {
            rule: Some(rule),
            ..Decision::by_default(allowed, why)
        }
    }

    pub fn verdict(&self) -> &'static str {
        if self.allowed { "allow" } else { "deny" }
    }
}

/// Why an evaluator cannot decide a flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Undecidable {
    /// The target matches by address and the flow names a host without one.
    NeedsAddress { host: String },
    /// The YAML could not be read back (a backend defect).
    BadYaml(String),
}

impl Undecidable {
    /// The YAML could not be read back: a stream that does not parse or that the evaluator
    /// refuses.
    pub fn bad_yaml(e: impl fmt::Display) -> Undecidable {
        Undecidable::BadYaml(e.to_string())
    }
}

impl fmt::Display for Undecidable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Undecidable::NeedsAddress { host } => write!(
                f,
                "`{host}` needs the address it resolves to (`{host}:443 resolving 203.0.113.7`) for a target that matches addresses"
            ),
            Undecidable::BadYaml(e) => write!(f, "the emitted YAML could not be read back: {e}"),
        }
    }
}

/// Decides flows.
pub trait Evaluator {
    fn decide(&self, flow: &Flow) -> Result<Decision, Undecidable>;
}

/// Reads an emitted YAML stream with a product's `read`, refusing any field it does not know.
fn read_emitted<T>(
    text: &str,
    read: impl FnOnce(&[yaml::Document], &cursor::Reader) -> Result<T, cursor::ReadError>,
) -> Result<T, Undecidable> {
    let docs = yaml::parse(text).map_err(Undecidable::bad_yaml)?;
    read(&docs, &cursor::Reader::new(cursor::Mode::Evaluate)).map_err(Undecidable::bad_yaml)
}

/// The evaluator for `target`, reading its emitted YAML stream.
pub fn load(target: Target, yaml: &str) -> Result<Box<dyn Evaluator>, Undecidable> {
    Ok(match target {
        Target::Native => Box::new(native::NativeEvaluator::load(yaml)?),
        Target::Cilium => Box::new(cilium::CiliumEvaluator::load(yaml)?),
        Target::Calico => Box::new(calico::CalicoEvaluator::load(yaml, false)?),
        Target::CalicoEnterprise => Box::new(calico::CalicoEvaluator::load(yaml, true)?),
    })
}

/// A column of `egressc test`: the reference (the IR) or a target's emitted YAML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Reference,
    Target(Target),
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Column::Reference => f.write_str("ir"),
            Column::Target(t) => write!(f, "{t}"),
        }
    }
}
