//! Cilium's endpoint selectors: Kubernetes label selectors (`verify/labels.rs`) over a pod's
//! identity labels, with Cilium's key rules on top `[parse]`: a key is `source:key` with source
//! `k8s` or `any` (none means `any`), `io.kubernetes.pod.namespace` is the pod's namespace,
//! `io.cilium.k8s.namespace.labels.<key>` a label of its namespace,
//! `io.cilium.k8s.policy.cluster` the cluster of a cluster mesh it runs in, and Cilium adds the
//! policy's namespace to a selector that does not name one, and (1.19) the local cluster to one
//! that does not name a cluster.

use crate::verify::cursor::{Cursor, ReadError};
use crate::verify::labels::{self, LabelSelector, Part};
use crate::verify::{NAMESPACE_NAME, Pod};

/// The identity label with a pod's namespace (any source prefix).
const NAMESPACE_LABEL: &str = "io.kubernetes.pod.namespace";
/// The form `ParseToCiliumRule` overwrites in a CiliumNetworkPolicy's `endpointSelector` [parse].
const NAMESPACE_MATCH: &str = "k8s:io.kubernetes.pod.namespace";
/// The identity label with the service account a pod runs as.
const SERVICE_ACCOUNT_LABEL: &str = "io.cilium.k8s.policy.serviceaccount";
/// Identity labels carrying the labels of a pod's namespace.
const NAMESPACE_LABELS: &str = "io.cilium.k8s.namespace.labels.";
/// The identity label with the name of the cluster of a cluster mesh a pod runs in.
const CLUSTER_LABEL: &str = "io.cilium.k8s.policy.cluster";

/// A key of a pod's identity labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    /// `io.kubernetes.pod.namespace`.
    Namespace,
    /// `io.cilium.k8s.namespace.labels.<key>`: a label of the pod's namespace.
    NamespaceLabel(String),
    /// `io.cilium.k8s.policy.serviceaccount`: the service account the pod runs as.
    ServiceAccount,
    /// `io.cilium.k8s.policy.cluster`: the cluster of the mesh the pod runs in.
    Cluster,
    /// A label of the pod.
    Label(String),
    /// `reserved:<identity>`: the single label of the endpoints of a reserved identity, in the
    /// `endpointSelector` of a CiliumClusterwideNetworkPolicy (`[lifecycle]`).
    Reserved(crate::model::Reserved),
}

/// The value of an identity label of `pod`, running in the cluster `cluster` (when the flow
/// model names it).
fn identity<'a>(key: &Key, pod: &'a Pod, cluster: Option<&'a str>) -> Option<&'a str> {
    match key {
        Key::Cluster => cluster,
        Key::Namespace => Some(&pod.namespace),
        Key::NamespaceLabel(k) if k == NAMESPACE_NAME => Some(&pod.namespace),
        Key::NamespaceLabel(k) => pod.ns_labels.get(k).map(String::as_str),
        Key::ServiceAccount => Some(&pod.service_account),
        Key::Label(k) => pod.labels.get(k).map(String::as_str),
        Key::Reserved(_) => None,
    }
}

/// The value of an identity label of the endpoint of a reserved identity: its one label
/// `reserved:<identity>` ([lifecycle]), no namespace, no service account, no pod label.
fn reserved_identity(key: &Key, identity: crate::model::Reserved) -> Option<&'static str> {
    match key {
        Key::Reserved(r) if *r == identity => Some(""),
        _ => None,
    }
}

/// Where a selector sits, which decides how Cilium completes it `[parse]`.
#[derive(Clone, Copy, Debug)]
pub enum Place<'a> {
    /// The `endpointSelector` of a CiliumNetworkPolicy in this namespace.
    Subject(&'a str),
    /// A `toEndpoints` entry of a CiliumNetworkPolicy in this namespace.
    Peer(&'a str),
    /// The `endpointSelector` of a CiliumClusterwideNetworkPolicy.
    ClusterSubject,
    /// A `toEndpoints` entry of a CiliumClusterwideNetworkPolicy.
    ClusterPeer,
    /// The `nodeSelector` of a host policy (a CiliumClusterwideNetworkPolicy): nodes' labels.
    Nodes,
}

impl Place<'_> {
    fn clusterwide(self) -> bool {
        matches!(
            self,
            Place::ClusterSubject | Place::ClusterPeer | Place::Nodes
        )
    }
}

/// An endpoint selector, with the namespace Cilium adds.
#[derive(Clone, Debug)]
pub struct EndpointSelector {
    labels: LabelSelector<Key>,
    /// The namespace the selected pods must be in, when Cilium adds one.
    namespace: Option<String>,
    /// As written, plus the namespace Cilium added, for messages.
    text: String,
    /// A `nodeSelector`: it selects nodes (their own traffic), never pods.
    nodes: bool,
    /// Whether it requires anything of `io.cilium.k8s.policy.cluster`: a selector that does not
    /// selects pods of the local cluster only ([mesh]).
    names_cluster: bool,
}

/// Whether Cilium keeps a node label among the labels of the node's host endpoint. [labels]
/// "Limiting Identity-Relevant Labels": the default filter excludes keys matching
/// `io.kubernetes`, `kubernetes.io`, `.*beta.kubernetes.io`, `k8s.io` (regular expressions,
/// matched anywhere in the key); the host endpoint's identity is built from the node's labels
/// through the same filter ([host]).
fn identity_relevant(key: &str) -> bool {
    !(key.contains("kubernetes.io") || key.contains("k8s.io") || key.contains("io.kubernetes"))
}

impl EndpointSelector {
    /// Whether it selects `pod` as a flow's destination from `source`. `[mesh]` "Policies
    /// automatically select endpoints from the local cluster only, unless one or multiple
    /// clusters are specifically targeted" (Cilium 1.19, `policy-default-local-cluster` on by
    /// default, cilium/cilium#40609): a pod of another cluster only when the selector
    /// requires something of `io.cilium.k8s.policy.cluster`. A destination that names no
    /// cluster runs in the source's.
    pub fn selects(&self, pod: &Pod, source: &Pod) -> bool {
        let cluster = pod.cluster.as_deref().or(source.cluster.as_deref());
        let remote = pod.cluster.is_some() && pod.cluster != source.cluster;
        (self.names_cluster || !remote) && self.matches_in(pod, cluster)
    }

    /// `[layer3]` ("The Endpoint Selector is based on the Kubernetes LabelSelector"): Kubernetes
    /// label selector semantics (`NotIn` also matches a missing label). The pod runs in the
    /// cluster it names.
    pub fn matches(&self, pod: &Pod) -> bool {
        self.matches_in(pod, pod.cluster.as_deref())
    }

    fn matches_in(&self, pod: &Pod, cluster: Option<&str>) -> bool {
        if self.nodes || pod.host {
            // [host] a node selector selects the host endpoint, by the node's labels that the
            // identity filter keeps; an endpoint selector never selects it.
            return self.nodes
                && pod.host
                && self.labels.matches(|k| match k {
                    Key::Label(l) if identity_relevant(l) => pod.labels.get(l).map(String::as_str),
                    _ => None,
                });
        }
        if let Some(r) = pod.reserved {
            // [init-ccnp] a selector confined to a namespace never selects it.
            return self.namespace.is_none() && self.labels.matches(|k| reserved_identity(k, r));
        }
        self.namespace
            .as_ref()
            .is_none_or(|ns| *ns == pod.namespace)
            && self.labels.matches(|k| identity(k, pod, cluster))
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether it requires anything of the cluster of a cluster mesh a pod runs in.
    pub fn names_cluster(&self) -> bool {
        self.names_cluster
    }

    /// Whether it is a host policy's `nodeSelector`: it selects nodes, never pods.
    pub fn is_nodes(&self) -> bool {
        self.nodes
    }

    /// The requirements on a pod's identity labels.
    pub fn labels(&self) -> &LabelSelector<Key> {
        &self.labels
    }

    /// The namespace Cilium confines the selection to, when it does.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// Pods inside and just outside the selection, for flows to try: in the namespace it is
    /// confined to or names, else in `home` and in a namespace no policy mentions.
    pub fn examples(&self, home: &str) -> Vec<Pod> {
        use crate::model::NamespaceSel;
        let model = self.labels.to_model(|k| match k {
            Key::Label(k) => Some(k.clone()),
            Key::Namespace
            | Key::NamespaceLabel(_)
            | Key::ServiceAccount
            | Key::Cluster
            | Key::Reserved(_) => None,
        });
        if self.nodes {
            return crate::verify::universe::nodes(&model);
        }
        let named: Vec<String> = self
            .namespace
            .iter()
            .cloned()
            .chain(
                self.labels
                    .match_labels
                    .iter()
                    .filter(|(k, _)| is_namespace(k))
                    .map(|(_, v)| v.clone()),
            )
            .chain(
                self.labels
                    .match_expressions
                    .iter()
                    .filter(|r| is_namespace(&r.key))
                    .flat_map(|r| r.values.iter().cloned()),
            )
            .collect();
        let mut spaces: Vec<NamespaceSel> = named.into_iter().map(NamespaceSel::Named).collect();
        let by_label = self.labels.to_model(|k| match k {
            Key::NamespaceLabel(l) => Some(l.clone()),
            Key::Namespace
            | Key::Label(_)
            | Key::ServiceAccount
            | Key::Cluster
            | Key::Reserved(_) => None,
        });
        if !by_label.reqs.is_empty() {
            spaces.push(NamespaceSel::Labels(by_label));
        }
        if spaces.is_empty() {
            spaces.push(NamespaceSel::Named(home.to_owned()));
            spaces.push(NamespaceSel::Any);
        }
        // Each pod also as every service account the selection names.
        let accounts = self.values_of(&Key::ServiceAccount);
        let pods: Vec<Pod> = spaces
            .iter()
            .flat_map(|n| crate::verify::universe::pods(n, &model, home))
            .collect();
        let mut out = pods.clone();
        for account in &accounts {
            out.extend(pods.iter().map(|p| Pod {
                service_account: account.clone(),
                ..p.clone()
            }));
        }
        // Each pod also in every cluster the selection names (and, as they are, in the
        // source's).
        let clusters = self.values_of(&Key::Cluster);
        let local = out.clone();
        for cluster in &clusters {
            out.extend(local.iter().map(|p| Pod {
                cluster: Some(cluster.clone()),
                ..p.clone()
            }));
        }
        out
    }
}

impl EndpointSelector {
    /// Every value the selector names for `key`, in `matchLabels` and in expressions.
    fn values_of(&self, key: &Key) -> Vec<String> {
        self.labels
            .match_labels
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .chain(
                self.labels
                    .match_expressions
                    .iter()
                    .filter(|r| r.key == *key)
                    .flat_map(|r| r.values.iter().cloned()),
            )
            .collect()
    }
}

/// Whether a key stands for the pod's namespace's name.
fn is_namespace(k: &Key) -> bool {
    match k {
        Key::Namespace => true,
        Key::NamespaceLabel(l) => l == NAMESPACE_NAME,
        Key::Label(_) | Key::ServiceAccount | Key::Cluster | Key::Reserved(_) => false,
    }
}

/// A selector key: `source:key` where the source is `k8s` (labels from Kubernetes, which every
/// pod label is) or `any`; no source means `any` [parse: selector.go sanitizes `key` to
/// `any.key`].
fn key(raw: &str, at: &Cursor<'_>, place: Place<'_>) -> Result<Key, ReadError> {
    let name = match raw.split_once(':') {
        Some(("k8s" | "any", rest)) => rest,
        // [lifecycle] the endpoints of a reserved identity, selected by a clusterwide policy.
        Some(("reserved", rest)) if matches!(place, Place::ClusterSubject) => {
            return match crate::model::Reserved::named(rest) {
                Some(r) => Ok(Key::Reserved(r)),
                None => Err(at.unmodelled(format!(
                    "`{raw}`: only the reserved identities `init` and `health` are modelled as subjects"
                ))),
            };
        }
        Some((source, _)) => {
            return Err(at.unmodelled(format!(
                "label source `{source}:` in `{raw}`: only `k8s:` and `any:` labels of pods are modelled"
            )));
        }
        None => raw,
    };
    if let Place::Nodes = place {
        if name.starts_with("io.cilium.") || name.starts_with("io.kubernetes.pod.") {
            return Err(at.unmodelled(format!(
                "`{raw}` in a node selector: nodes carry no pod identity labels"
            )));
        }
        return Ok(Key::Label(name.to_owned()));
    }
    if name == NAMESPACE_LABEL {
        return Ok(Key::Namespace);
    }
    if let Some(ns_key) = name.strip_prefix(NAMESPACE_LABELS) {
        // [k8s]: "io.cilium.k8s.namespace.labels will be ignored in CiliumNetworkPolicy
        // resources": what ignoring does to the selector is not documented, so refuse.
        if !place.clusterwide() {
            return Err(at.unmodelled(format!(
                "`{raw}` in a CiliumNetworkPolicy, where Cilium ignores namespace labels"
            )));
        }
        return Ok(Key::NamespaceLabel(ns_key.to_owned()));
    }
    // [k8s] "ServiceAccounts": Cilium gives every pod the identity label
    // `io.cilium.k8s.policy.serviceaccount` with its service account.
    if name == SERVICE_ACCOUNT_LABEL {
        return Ok(Key::ServiceAccount);
    }
    // [mesh] "The cluster name refers to the name given via the --cluster-name agent option":
    // every endpoint's identity carries its cluster's name (`PolicyLabelCluster`).
    if name == CLUSTER_LABEL {
        return Ok(Key::Cluster);
    }
    if name.starts_with("io.cilium.") || name.starts_with("io.kubernetes.pod.") {
        return Err(at.unmodelled(format!(
            "`{raw}` is an identity label (service account, cluster, ...) that flows do not carry"
        )));
    }
    Ok(Key::Label(name.to_owned()))
}

pub fn read(c: &Cursor<'_>, place: Place<'_>) -> Result<EndpointSelector, ReadError> {
    let mut names_namespace = false;
    let labels = labels::read_with(c, |raw, part, at| {
        if let Place::Subject(_) = place
            && part == Part::MatchLabels
            && raw == NAMESPACE_MATCH
        {
            // [k8s] "The endpointSelector always applies to pods in the namespace associated
            // with the CiliumNetworkPolicy"; [parse] ParseToCiliumRule overwrites this key
            // with the policy's namespace.
            return Ok(None);
        }
        let key = key(raw, at, place)?;
        names_namespace |= key == Key::Namespace;
        Ok(Some(key))
    })?;
    let names_cluster = labels.match_labels.iter().any(|(k, _)| *k == Key::Cluster)
        || labels
            .match_expressions
            .iter()
            .any(|r| r.key == Key::Cluster);
    let mut text = format!("{{{}}}", labels.text());
    let namespace = match place {
        // [k8s] a CiliumNetworkPolicy applies only to pods of its namespace.
        Place::Subject(ns) => Some(ns.to_owned()),
        // [layer3] "An empty EndpointSelector will select all egress endpoints from an endpoint
        // based on the CiliumNetworkPolicy namespace"; [parse] getEndpointSelector adds the
        // policy's namespace unless the selector names `io.kubernetes.pod.namespace` (as
        // `k8s:`, `any:` or bare key, in matchLabels or matchExpressions).
        Place::Peer(ns) if !names_namespace => {
            text.push_str(&format!(" in {ns}"));
            Some(ns.to_owned())
        }
        // [parse] in a clusterwide policy Cilium adds `Exists` on the namespace label: every pod
        // of every namespace.
        Place::ClusterPeer if !names_namespace => {
            text.push_str(" in any namespace");
            None
        }
        Place::Peer(_) | Place::ClusterPeer | Place::ClusterSubject | Place::Nodes => None,
    };
    if let Place::Nodes = place {
        text = format!("nodes{text}");
    }
    Ok(EndpointSelector {
        labels,
        namespace,
        text,
        nodes: matches!(place, Place::Nodes),
        names_cluster,
    })
}
