//! `networking.k8s.io/v1` NetworkPolicy, typed with k8s-openapi.
//!
//! Native policies are allow-only and form a union, so a `deny` is carved out of the allowed
//! ranges as `except` entries (`ir::carve`); host names and cluster-wide guardrails cannot be
//! expressed and are refused with a coded error.

use std::collections::BTreeMap;

use ipnet::IpNet;
use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::yaml;
use super::{Document, cluster, describe};
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::ir;
use crate::ir::carve::{self, CarveError, CarvedRule};
use crate::model::{self, ClusterFacts, LabelReq, NamespaceSel, Peer, PortSet};
use crate::source::SourceMap;

const CAN_RESOLVE_HOSTS: &str =
    "`--target cilium` (toFQDNs) or `--target calico-enterprise` (domains)";

/// A Kubernetes label selector from ours: equalities as `matchLabels`, the rest as expressions.
pub fn label_selector(sel: &model::LabelSelector) -> LabelSelector {
    let mut labels = BTreeMap::new();
    let mut exprs = Vec::new();
    for r in &sel.reqs {
        match r {
            LabelReq::Eq(k, v) => {
                labels.insert(k.clone(), v.clone());
            }
            LabelReq::In(k, vs) => exprs.push(req(k, "In", Some(vs.iter().cloned().collect()))),
            LabelReq::NotIn(k, vs) => {
                exprs.push(req(k, "NotIn", Some(vs.iter().cloned().collect())))
            }
            LabelReq::Exists(k) => exprs.push(req(k, "Exists", None)),
            LabelReq::DoesNotExist(k) => exprs.push(req(k, "DoesNotExist", None)),
        }
    }
    LabelSelector {
        match_labels: (!labels.is_empty()).then_some(labels),
        match_expressions: (!exprs.is_empty()).then_some(exprs),
    }
}

fn req(key: &str, op: &str, values: Option<Vec<String>>) -> LabelSelectorRequirement {
    LabelSelectorRequirement {
        key: key.to_owned(),
        operator: op.to_owned(),
        values,
    }
}

fn ports(set: &PortSet) -> Option<Vec<NetworkPolicyPort>> {
    match set {
        PortSet::All => None,
        PortSet::Ranges(rs) => Some(
            rs.iter()
                .map(|r| NetworkPolicyPort {
                    protocol: Some(r.proto.upper().to_owned()),
                    port: Some(IntOrString::Int(i32::from(r.first))),
                    end_port: (r.last != r.first).then_some(i32::from(r.last)),
                })
                .collect(),
        ),
    }
}

fn peer(p: &carve::CarvedPeer, policy_ns: &str) -> Option<NetworkPolicyPeer> {
    match &p.peer {
        // Refused before we get here (E0536): NetworkPolicy matches connections only.
        // And E0537: nor TLS server names. And E0538: nor pods of another cluster; E0539: nor
        // DNS names.
        Peer::Http { .. } | Peer::Tls { .. } | Peer::RemotePods { .. } | Peer::Dns { .. } => None,
        Peer::Net(n) => Some(NetworkPolicyPeer {
            ip_block: Some(IPBlock {
                cidr: n.to_string(),
                except: (!p.except.is_empty())
                    .then(|| p.except.iter().map(ToString::to_string).collect()),
            }),
            ..Default::default()
        }),
        Peer::Pods {
            namespace,
            selector,
        } => {
            let namespace_selector = match namespace {
                NamespaceSel::Named(ns) if ns == policy_ns => None,
                NamespaceSel::Named(ns) => Some(LabelSelector {
                    match_labels: Some(BTreeMap::from([(
                        "kubernetes.io/metadata.name".to_owned(),
                        ns.clone(),
                    )])),
                    match_expressions: None,
                }),
                NamespaceSel::Any => Some(LabelSelector::default()),
                // [api] NetworkPolicyPeer `namespaceSelector`: the namespaces whose labels match.
                NamespaceSel::Labels(sel) => Some(label_selector(sel)),
            };
            Some(NetworkPolicyPeer {
                ip_block: None,
                namespace_selector,
                pod_selector: Some(label_selector(selector)),
            })
        }
        // Written as a rule without `to` (see `rule`); service accounts (E0509) and Services
        // (E0524) are refused; the destinations in the cluster are written as addresses and
        // pods (`kinds`).
        Peer::Host(_)
        | Peer::Any
        | Peer::ServiceAccount { .. }
        | Peer::Service { .. }
        | Peer::ApiServer
        | Peer::Nodes(_)
        | Peer::Cluster => None,
    }
}

/// An egress rule: its peers on its ports. With `any` among them, the rule has no `to` at all:
/// [api] NetworkPolicyEgressRule `to`: "If this field is empty or missing, this rule matches all
/// destinations", so every other peer of the rule adds nothing.
fn rule(r: &CarvedRule, policy_ns: &str) -> NetworkPolicyEgressRule {
    let every = r.peers.iter().any(|p| p.peer == Peer::Any);
    NetworkPolicyEgressRule {
        to: (!every).then(|| r.peers.iter().filter_map(|p| peer(p, policy_ns)).collect()),
        ports: ports(&r.ports),
    }
}

/// The policy's rules with its denies carved out, outside the cluster and on the nodes
/// (`kinds`), or its refusals.
fn carved(
    policy: &ir::Policy,
    facts: &ClusterFacts,
) -> Result<(Vec<CarvedRule>, Vec<CarvedRule>), Diagnostics> {
    let mut diags = super::host_denies(&policy.deny, super::Target::Native);
    diags.extend(super::protocol_refusals(
        policy.allow.iter().chain(&policy.deny),
        super::Target::Native,
        super::Portless::None,
    ));
    let rules = || policy.allow.iter().chain(&policy.deny);
    diags.extend(cluster::refusals(rules(), facts, super::Target::Native));
    diags.extend(super::service_refusals(rules(), super::Target::Native));
    diags.extend(super::remote_refusals(rules(), super::Target::Native));
    diags.extend(super::l7_refusals(rules(), super::Target::Native));
    if diags.has_errors() {
        return Err(diags);
    }
    for r in policy.allow.iter().chain(&policy.deny) {
        for p in &r.peers {
            if let Peer::ServiceAccount { .. } = p {
                diags.push(
                    Diagnostic::new(
                        Code::E0509,
                        r.origin_of(p),
                        format!("native NetworkPolicy cannot select pods by service account (`{p}`)"),
                    )
                    .label("pods chosen by the service account they run as")
                    .note("a NetworkPolicy peer selects pods by their labels and namespaces only")
                    .help("select the pods by their labels (`pods(NAMESPACE){app=...}`), or build with `--target cilium` or `--target calico`, which match service accounts"),
                );
            }
        }
    }
    for r in &policy.allow {
        for p in &r.peers {
            if let Peer::Host(h) = p {
                diags.push(
                    Diagnostic::new(
                        Code::E0501,
                        r.origin_of(p),
                        format!("host name `{h}` cannot be expressed in native NetworkPolicy"),
                    )
                    .label("native NetworkPolicy matches only addresses and pods")
                    .help(format!("build this app with {CAN_RESOLVE_HOSTS}, or allow the address range instead")),
                );
            }
        }
    }
    let carved = if all_outside(policy) {
        carve::carve(&policy.allow, &policy.deny).map(|outside| (outside, Vec::new()))
    } else {
        kinds(policy, facts).carve()
    };
    let errors = match carved {
        Ok(rules) if !diags.has_errors() => return Ok(rules),
        Ok(_) => Vec::new(),
        Err(errors) => errors,
    };
    for e in errors {
        diags.push(match e {
            // Reported with the host's name by `host_denies`, as on every target.
            CarveError::HostDeny { .. } => continue,
            CarveError::PodDeny { allow, deny } => Diagnostic::new(
                Code::E0502,
                deny,
                "this pod deny overlaps pods the app may reach, and native NetworkPolicy cannot subtract selectors",
            )
            .label("denied pods")
            .secondary(allow, "allowed pods that may overlap")
            .help("narrow the allowed selector so it excludes these pods, or build with `--target cilium` or `--target calico`, which have deny rules"),
            CarveError::FromAny { allow, deny, peer } => Diagnostic::new(
                Code::E0502,
                deny,
                format!("`{peer}` cannot be carved out of `any` in native NetworkPolicy"),
            )
            .label("denied here")
            .secondary(allow, "allows every destination")
            .note("a native rule for every destination has no `to`, and only an `ipBlock` can take `except` entries")
            .help("allow the address ranges and pods instead of `any`, deny ports only (as in `deny any:25/tcp`), or build with `--target cilium` or `--target calico`, which have deny rules"),
            CarveError::PartialPortsOfAll { allow, deny, peer } => Diagnostic::new(
                Code::E0502,
                deny,
                format!("denying some ports of `{peer}` cannot be carved out of an allowance for every protocol"),
            )
            .label("port-specific deny")
            .secondary(allow, "allows every port of every protocol")
            .help("give the allowance explicit ports (e.g. `:1-65535/tcp`), or build with `--target cilium` or `--target calico`, which have deny rules"),
        });
    }
    Err(diags)
}

/// The carved rules with each address range cut down to its part outside the cluster: the
/// declared pod, node and Service ranges inside it join its `except` list, and a range that a
/// declared range holds entirely is dropped. Whether `ipBlock` matches pod and node addresses
/// is left to the implementation (the NetworkPolicy concepts page: "ipBlock ... These should be
/// cluster-external IPs, since Pod IPs are ephemeral and unpredictable"): Calico's matches them
/// (projectcalico/calico#6634), Cilium's does not (cilium/cilium#19601, and the Cilium policy
/// docs, "Selecting nodes with CIDR / ipBlock"); cutting them out makes the rule mean the same
/// under every implementation.
fn outside_the_cluster(rules: Vec<CarvedRule>, facts: &ClusterFacts) -> Vec<CarvedRule> {
    with_excepts(rules, |n| facts.outside(n))
}

/// The nodes' ranges carved, each without the declared pod and Service ranges inside it (pods
/// of clusters whose pods take addresses of the nodes' network).
fn in_the_nodes(rules: Vec<CarvedRule>, facts: &ClusterFacts) -> Vec<CarvedRule> {
    with_excepts(rules, |n| facts.node_part(n))
}

/// Each range peer with the exceptions `excepts` gives it added to its own; a peer that `excepts`
/// leaves out (`None`) or that its exceptions cover whole is dropped.
fn with_excepts(
    rules: Vec<CarvedRule>,
    excepts: impl Fn(&IpNet) -> Option<Vec<IpNet>>,
) -> Vec<CarvedRule> {
    rules
        .into_iter()
        .map(|r| CarvedRule {
            peers: r
                .peers
                .into_iter()
                .filter_map(|p| match &p.peer {
                    Peer::Net(n) => {
                        let mut except = excepts(n)?;
                        except.extend(p.except.iter().copied());
                        let except = IpNet::aggregate(&except);
                        (!except.iter().any(|e| e.contains(n)))
                            .then_some(carve::CarvedPeer { except, ..p })
                    }
                    _ => Some(p),
                })
                .collect(),
            ..r
        })
        .collect()
}

/// The rules of both kinds of addresses, those on the same ports as one.
fn merge(mut outside: Vec<CarvedRule>, nodes: Vec<CarvedRule>) -> Vec<CarvedRule> {
    for r in nodes {
        match outside.iter_mut().find(|o| o.ports == r.ports) {
            Some(o) => {
                o.peers.extend(r.peers);
                o.origins.extend(r.origins);
                o.origins.sort();
                o.origins.dedup();
            }
            None => outside.push(r),
        }
    }
    outside
}

/// A policy's rules split by the kind of addresses they reach: outside the cluster (address
/// ranges, the API server outside it) with pods and `any`, and the nodes' (node ranges, the
/// API server on a node). The language's address ranges never reach a node, so a deny of one
/// carves only its own kind; a deny of every destination narrows both.
struct Kinds {
    outside: (Vec<ir::Rule>, Vec<ir::Rule>),
    nodes: (Vec<ir::Rule>, Vec<ir::Rule>),
    /// Denies of a destination in the cluster out of `any`.
    errors: Vec<CarveError>,
}

/// Whether `kinds` would give the policy's rules back as they are, all outside the cluster and
/// none on the nodes: no destination inside the cluster, no deny of `any` (which narrows both
/// kinds) and no rule without peers (which it leaves out).
fn all_outside(policy: &ir::Policy) -> bool {
    let inside = |p: &Peer| matches!(p, Peer::ApiServer | Peer::Nodes(_) | Peer::Cluster);
    policy
        .allow
        .iter()
        .chain(&policy.deny)
        .all(|r| !r.peers.is_empty() && !r.peers.iter().any(inside))
        && !policy.deny.iter().any(|r| r.peers.contains(&Peer::Any))
}

fn kinds(policy: &ir::Policy, facts: &ClusterFacts) -> Kinds {
    let mut k = Kinds {
        outside: (Vec::new(), Vec::new()),
        nodes: (Vec::new(), Vec::new()),
        errors: Vec::new(),
    };
    for (deny, rules) in [(false, &policy.allow), (true, &policy.deny)] {
        for r in rules {
            let mut outside = Vec::new();
            let mut nodes = Vec::new();
            let mut origins = BTreeMap::new();
            for p in &r.peers {
                let origin = r.origin_of(p);
                let Some(by) = cluster::by_address(p, facts) else {
                    if deny && *p == Peer::Any {
                        nodes.push(p.clone());
                    }
                    outside.push(p.clone());
                    origins.insert(p.clone(), origin);
                    continue;
                };
                // Only ports can be cut out of `any` (a rule without `to`).
                if let Some(a) = policy
                    .allow
                    .iter()
                    .filter(|_| deny)
                    .find(|a| a.peers.contains(&Peer::Any) && a.ports.intersects(&r.ports))
                {
                    k.errors.push(CarveError::FromAny {
                        allow: a.origin_of(&Peer::Any),
                        deny: origin,
                        peer: p.clone(),
                    });
                    continue;
                }
                for q in by
                    .outside
                    .iter()
                    .copied()
                    .map(Peer::Net)
                    .chain(by.pods.then(cluster::every_pod))
                {
                    origins.entry(q.clone()).or_insert(origin);
                    outside.push(q);
                }
                for q in by.nodes.iter().copied().map(Peer::Net) {
                    origins.entry(q.clone()).or_insert(origin);
                    nodes.push(q);
                }
            }
            let rule = |peers: Vec<Peer>| {
                let peer_origins = peers
                    .iter()
                    .filter_map(|p| origins.get(p).map(|s| (p.clone(), *s)))
                    .collect();
                ir::Rule {
                    peers,
                    ports: r.ports.clone(),
                    origins: r.origins.clone(),
                    peer_origins,
                }
            };
            let (o, n) = if deny {
                (&mut k.outside.1, &mut k.nodes.1)
            } else {
                (&mut k.outside.0, &mut k.nodes.0)
            };
            if !outside.is_empty() {
                o.push(rule(outside));
            }
            if !nodes.is_empty() {
                n.push(rule(nodes));
            }
        }
    }
    k
}

impl Kinds {
    /// Carves each kind's denies out of its allows: the rules outside the cluster, then the
    /// nodes'.
    fn carve(self) -> Result<(Vec<CarvedRule>, Vec<CarvedRule>), Vec<CarveError>> {
        let mut errors = self.errors;
        let outside = carve::carve(&self.outside.0, &self.outside.1);
        let nodes = carve::carve(&self.nodes.0, &self.nodes.1);
        match (outside, nodes) {
            (Ok(o), Ok(n)) if errors.is_empty() => Ok((o, n)),
            (o, n) => {
                errors.extend(o.err().into_iter().flatten());
                errors.extend(n.err().into_iter().flatten());
                Err(errors)
            }
        }
    }
}

fn object(policy: &ir::Policy, facts: &ClusterFacts) -> Result<NetworkPolicy, Diagnostics> {
    let (outside, nodes) = carved(policy, facts)?;
    let carved = merge(
        outside_the_cluster(outside, facts),
        in_the_nodes(nodes, facts),
    );
    let egress: Vec<NetworkPolicyEgressRule> = carved
        .iter()
        .filter(|r| !r.peers.is_empty())
        .map(|r| rule(r, &policy.namespace))
        .collect();
    Ok(NetworkPolicy {
        metadata: ObjectMeta {
            name: Some(policy.name.clone()),
            namespace: Some(policy.namespace.clone()),
            labels: Some(BTreeMap::from([(
                yaml::MANAGED_BY.0.to_owned(),
                yaml::MANAGED_BY.1.to_owned(),
            )])),
            ..Default::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(label_selector(&policy.selector)),
            policy_types: Some(vec!["Egress".to_owned()]),
            egress: (!egress.is_empty()).then_some(egress),
            ingress: None,
        }),
    })
}

/// Whether `policy` denies all of `peer` on `ports` itself (so its own carving holds).
fn denies_itself(policy: &ir::Policy, peer: &Peer, ports: &PortSet) -> bool {
    policy.deny.iter().any(|d| {
        d.ports.covers(ports)
            && d.peers.iter().any(|q| match (q, peer) {
                (Peer::Net(outer), Peer::Net(inner)) => outer.contains(inner),
                (Peer::Any, _) => true,
                (q, p) => q == p,
            })
    })
}

/// A policy's deny must hold against the allowances of every other policy that may select the
/// same pods: native policies form a union, and `except` carves only a policy's own rules.
fn cross_policy_denies(program: &ir::Program) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let selectors: Vec<(&str, &model::LabelSelector)> = program
        .policies
        .iter()
        .map(|p| (p.namespace.as_str(), &p.selector))
        .collect();
    for (i, j) in model::overlapping_pairs(&selectors) {
        for (x, y) in [(i, j), (j, i)] {
            let (Some(a), Some(b)) = (program.policies.get(x), program.policies.get(y)) else {
                continue;
            };
            if a.deny.is_empty() {
                continue;
            }
            let clash = a.deny.iter().find_map(|d| {
                d.peers.iter().find_map(|dp| {
                    b.allow
                        .iter()
                        .any(|r| {
                            r.ports.intersects(&d.ports)
                                && r.peers.iter().any(|bp| bp.may_overlap(dp))
                                && !denies_itself(b, dp, &d.ports)
                        })
                        .then(|| (d.origin_of(dp), dp.clone()))
                })
            });
            if let Some((span, dp)) = clash {
                diags.push(
                    Diagnostic::new(
                        Code::E0502,
                        span,
                        format!(
                            "the deny of `{dp}` cannot hold in native NetworkPolicy: `{}` may select the same pods and allows it",
                            b.name
                        ),
                    )
                    .label("denied here")
                    .secondary(b.origin, "may select the same pods; its allowances are added, not narrowed")
                    .note("native policies selecting one pod form a union, and `except` only narrows a policy's own rules")
                    .help("deny the same destinations in both statements, make their selectors disjoint, or build with `--target cilium` or `--target calico`, whose denies apply to every policy"),
                );
            }
        }
    }
    diags
}

/// One NetworkPolicy per policy; guardrails and cluster-wide allow-lists are refused.
pub fn emit(program: &ir::Program, sources: &SourceMap) -> Result<Vec<Document>, Diagnostics> {
    let mut diags = cross_policy_denies(program);
    let mut docs = Vec::with_capacity(program.policies.len());
    for g in &program.guardrails {
        diags.push(
            Diagnostic::new(
                Code::E0504,
                g.origin,
                format!("native NetworkPolicy has no cluster-wide object for guardrail `{}`", g.name),
            )
            .label("applies to pods of every namespace")
            .help("build guardrails with `--target cilium` (CiliumClusterwideNetworkPolicy) or `--target calico` (GlobalNetworkPolicy)"),
        );
    }
    // [k8s] NetworkPolicy: "a namespaced resource"; its podSelector "selects pods in the
    // same namespace as the NetworkPolicy". One per namespace would miss namespaces created
    // later, so a cluster-wide allow-list is refused rather than approximated.
    for c in &program.cluster_policies {
        diags.push(
            Diagnostic::new(
                Code::E0535,
                c.policy.origin,
                format!(
                    "native NetworkPolicy has no cluster-wide object for `cluster {}`",
                    c.subject_name()
                ),
            )
            .label("selects pods in every namespace it chooses")
            .note("a NetworkPolicy selects pods of its own namespace only")
            .help("build cluster-wide allow-lists with `--target cilium` (CiliumClusterwideNetworkPolicy) or `--target calico` (GlobalNetworkPolicy), or write the statement in each namespace"),
        );
    }
    diags.extend(super::reserved_refusals(program, super::Target::Native));
    // [k8s] NetworkPolicy selects pods; a node's own traffic (its host network namespace) is
    // outside what any NetworkPolicy says.
    for h in &program.host_policies {
        diags.push(
            Diagnostic::new(
                Code::E0542,
                h.policy.origin,
                format!(
                    "native NetworkPolicy cannot restrict the own traffic of nodes (`host {}`)",
                    h.subject_name()
                ),
            )
            .label("selects nodes, not pods")
            .note("a NetworkPolicy selects pods; no NetworkPolicy applies to a node's own traffic")
            .help("build host statements with `--target cilium` (a host policy with `nodeSelector`) or `--target calico` (a GlobalNetworkPolicy on host endpoints)"),
        );
    }
    for p in &program.policies {
        match object(p, &program.cluster) {
            Ok(np) => match yaml::document(&np, sources, p.origin, &describe(p)) {
                Ok(text) => docs.push(Document {
                    namespace: Some(p.namespace.clone()),
                    name: p.name.clone(),
                    kind: "NetworkPolicy",
                    text,
                }),
                Err(d) => diags.push(d),
            },
            Err(d) => diags.extend(d),
        }
    }
    if diags.has_errors() {
        diags.sort();
        return Err(diags);
    }
    Ok(docs)
}
