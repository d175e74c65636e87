//! CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy → statements and guardrails: one
//! function per field and kind of peer.
//!
//! | Cilium | the language |
//! |---|---|
//! | CiliumNetworkPolicy `metadata.namespace` (absent: `default`) | `namespace NAME` |
//! | `endpointSelector` | `app NAME` for exactly `app: NAME`, else `pods NAME {...}` |
//! | no `egress` or `egressDeny` (ingress only) | skipped (W0803) |
//! | `enableDefaultDeny.egress: false` | refused (E0803): allowances that isolate nothing |
//! | `toEndpoints` (with `k8s:io.kubernetes.pod.namespace`) | `pods{...}`, `pods(NS){...}`, `pods(*){...}` |
//! | `toEndpoints` on `io.cilium.k8s.policy.serviceaccount` (one account, one namespace) | `serviceaccount(NS/NAME)` |
//! | `io.cilium.k8s.policy.cluster` in an `endpointSelector` (`matchLabels`) | `set cluster-name = NAME`: the cluster the policies are applied in (policies naming another are refused) |
//! | `toEndpoints` with `io.cilium.k8s.policy.cluster` (`matchLabels`) | `pods(NS, cluster = NAME){...}`, or `pods(NS){...}` for the cluster the policies are applied in; without a cluster of the policies, left out (W0802) |
//! | `toCIDR`, `toCIDRSet` (`except`) | address ranges (exceptions denied or carved) |
//! | `toFQDNs` `matchName`, `matchPattern: "*.x"`, `"**.x"` | host names `x`, `*.x`, `**.x` |
//! | other `matchPattern`s | left out (W0802) |
//! | `toPorts` `port`, `endPort`, `protocol` (`ANY`: each of TCP, UDP, SCTP) | `:PORT/PROTO` |
//! | `icmps` (`type`, `family`) | `:icmp(TYPE)`, `:icmpv6(TYPE)`, `:icmp` for every type |
//! | `toPorts` without a peer, `toEntities: [all]` | `any` |
//! | `toEntities`: `world` (`-ipv4`, `-ipv6`), `cluster`, `host`, `remote-node` (both: `nodes`), `kube-apiserver` | `internet` (`0.0.0.0/0`, `::/0`), `cluster`, `this-node`, `other-nodes`, `kube-apiserver` |
//! | `rules.dns` answering every name (`*`) | the DNS visibility `dns` gives |
//! | `rules.dns` answering some names only, on the cluster DNS pods' TCP and UDP port 53 | `dns(name = N, ...)`; host names outside them left out (W0802), as they are never resolved |
//! | `rules.dns` with a selector the language cannot write | refused (E0803) |
//! | `egressDeny` | `deny ...` |
//! | CiliumClusterwideNetworkPolicy with only `egressDeny`, `enableDefaultDeny.egress: false` | `cluster NAME [SUBJECT] deny ...` |
//! | CiliumClusterwideNetworkPolicy that isolates (`enableDefaultDeny.egress` not `false`) | `cluster NAME [{SELECTOR}] [in ns{...}] [except NS, ...] -> ...` |
//! | CiliumClusterwideNetworkPolicy with a `nodeSelector` (a host policy) | `host NAME [{NODE LABELS}] -> ...` (`toEntities: [host]` alone, the node itself, dropped) |
//! | clusterwide allowances that isolate nothing, subjects by service account | refused (E0803) |
//! | `rules.http` (`method`, `path`, `host` in the forms the language's `http(...)` writes: an upper-case method, a path with `(\?.*)?` or `.*` after it, a host name with `[^.:]+\.` before it; `headers` and `headerMatches` without `mismatch` or `secret`) | `http(PEER:PORT, method = M, path = "P", host = H, header = "N: V")`; other expressions, header actions and Secret values left out (W0802) |
//! | `serverNames` (names and patterns the language's host patterns write) on TCP ports other than 53 | `tls(PEER:PORT, name = N, ...)`; names the language cannot write left out (W0802); their UDP and SCTP ports, where no TLS passes, dropped |
//! | other `toEntities` (the reader), `toServices`, `toGroups`, `toNodes`, other L7 rules, named ports, protocols without ports in `toPorts`, `cidrGroupRef` (the reader) | left out (W0802) |

use std::collections::BTreeSet;

use super::check::Model;
use super::documents::{Dialect, Doc};
use super::names::{self, Names};
use super::program::{Dest, Guardrail, Origin, Program, Statement};
use super::report::Report;
use super::shared::{self, At, WRITE_BY_HAND};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{
    HeaderMatch, HostPattern, HttpHost, HttpMatch, LabelSelector, NamespaceSel, Nodes, PathPattern,
    Peer as ModelPeer, PortRange, Proto, Subject,
};
use crate::source::{SourceMap, Span, Spanned};
use crate::verify::NAMESPACE_NAME;
use crate::verify::cilium::fqdn::Fqdn;
use crate::verify::cilium::selector::{EndpointSelector, Key};
use crate::verify::cilium::{Entity, Peers, Policies, PortRule, Rule, Spec, read};
use crate::verify::labels;

/// Reads every Cilium document and maps its rule sets into `program`.
pub fn import(
    docs: &[Doc],
    sources: &SourceMap,
    names: &Names,
    report: &mut Report,
    program: &mut Program,
) -> Model {
    let mut all: Vec<Spec> = Vec::new();
    let mut seen = BTreeSet::new();
    let read = shared::read_each(
        docs,
        Dialect::Cilium,
        sources,
        names,
        report,
        read::policies,
    );
    // The cluster the policies are applied in: the one their endpoint selectors name (a policy
    // selects endpoints of its own cluster only), the first if they name several.
    let cluster = read
        .iter()
        .flat_map(|(_, Policies(specs))| specs)
        .find_map(|s| cluster_of(&s.subject).ok().flatten());
    program.cluster_name.clone_from(&cluster);
    for (at, Policies(specs)) in read {
        let at = At {
            cluster: cluster.as_deref(),
            ..at
        };
        if let Some(first) = specs.first()
            && !seen.insert((at.d.kind.clone(), first.object.clone()))
        {
            report.twice(at.doc, at.span(first.pos), &first.object);
            continue;
        }
        for s in specs {
            spec(&s, &at, report, program);
            all.push(s);
        }
    }
    program.settle_reserved_denials();
    Model::Cilium(Policies(all))
}

/// One rule set: a statement of its namespace, or for a clusterwide policy a guardrail.
fn spec(s: &Spec, at: &At<'_>, report: &mut Report, program: &mut Program) {
    let origin = Origin {
        kind: at.d.kind.clone(),
        object: s.object.clone(),
        span: at.span(s.pos),
        doc: at.doc,
    };
    if !s.egress_section {
        report.push(
            Some(at.doc),
            Diagnostic::new(
                Code::W0803,
                origin.span,
                format!("{} {} has no egress rules: skipped", at.d.kind, s.object),
            )
            .label("an ingress policy")
            .help("egressc writes egress policies; keep ingress policies as they are"),
        );
        return;
    }
    match cluster_of(&s.subject) {
        Ok(c) if c.is_none() || c.as_deref() == at.cluster => {}
        refused => {
            let why = match refused {
                Err(why) => why,
                Ok(c) => format!(
                    "it selects endpoints of the cluster `{}`, and other policies are applied in `{}`",
                    c.unwrap_or_default(),
                    at.cluster.unwrap_or_default()
                ),
            };
            return report.refuse(
                at.doc,
                origin.span,
                format!(
                    "{} {}: its endpoint selector `{}`: {why}",
                    at.d.kind,
                    s.object,
                    s.subject.text()
                ),
                "import the policies of each cluster on their own",
            );
        }
    }
    if s.subject.is_nodes() {
        return host(s, origin, at, report, program);
    }
    if let Some(identity) = reserved_subject(&s.subject) {
        return reserved(s, identity, origin, at, report, program);
    }
    match s.object.split_once('/') {
        Some((namespace, name)) => workload(s, namespace, name, origin, at, report, program),
        None => guardrail(s, origin, at, report, program),
    }
}

/// A host policy (a CiliumClusterwideNetworkPolicy with a `nodeSelector`): `host NAME
/// {NODE LABELS} -> ...`.
fn host(s: &Spec, origin: Origin, at: &At<'_>, report: &mut Report, program: &mut Program) {
    let refuse = |report: &mut Report, why: String| {
        report.refuse(
            at.doc,
            origin.span,
            format!("{} {}: {why}", at.d.kind, s.object),
            "keep this policy outside egressc",
        );
    };
    if s.default_deny == Some(false) {
        return refuse(
            report,
            "with `enableDefaultDeny.egress: false` its rules add to other host policies without isolating any node, which the language cannot say".into(),
        );
    }
    let selector = match pod_labels(&s.subject) {
        Ok(sel) => sel,
        Err(why) => {
            return refuse(
                report,
                format!("its node selector `{}`: {why}", s.subject.text()),
            );
        }
    };
    let name = names::from_object(&s.object);
    let mut statement = match isolating(s, name, selector, &origin, at, report) {
        Ok(statement) => statement,
        Err(r) => return refuse(report, r.why),
    };
    // [entity] `host` is the node itself for a host policy: its traffic to itself is policed
    // by no target, so the allowance or denial says nothing and the language has no word for
    // it (E0372).
    let itself = |d: &super::program::Dest| d.peer == ModelPeer::Nodes(crate::model::Nodes::This);
    statement.allow.retain(|d| !itself(d));
    statement.deny.retain(|d| !itself(d));
    program.add_host(statement);
}

/// The reserved identity a clusterwide `endpointSelector` selects when it is that identity's
/// label alone (`reserved:init: ""`), as a `reserved` statement's subject is.
fn reserved_subject(sel: &EndpointSelector) -> Option<crate::model::Reserved> {
    let labels = sel.labels();
    if sel.namespace().is_some() || !labels.match_expressions.is_empty() {
        return None;
    }
    match labels.match_labels.as_slice() {
        [(Key::Reserved(r), v)] if v.is_empty() => Some(*r),
        _ => None,
    }
}

/// A CiliumClusterwideNetworkPolicy selecting the endpoints of a reserved identity:
/// `reserved IDENTITY -> ...`.
fn reserved(
    s: &Spec,
    identity: crate::model::Reserved,
    origin: Origin,
    at: &At<'_>,
    report: &mut Report,
    program: &mut Program,
) {
    let refuse = |report: &mut Report, why: String, help: &str| {
        report.refuse(
            at.doc,
            origin.span,
            format!("{} {}: {why}", at.d.kind, s.object),
            help,
        );
    };
    if s.default_deny == Some(false) {
        return refuse(
            report,
            "with `enableDefaultDeny.egress: false` its rules add to other policies without isolating the endpoints, which the language cannot say".into(),
            "keep this policy outside egressc",
        );
    }
    let name = identity.name().to_owned();
    match isolating(s, name, LabelSelector::default(), &origin, at, report) {
        Ok(statement) => program.add_reserved(identity, statement),
        Err(Refusal { why, help }) => refuse(report, why, help),
    }
}

/// A CiliumNetworkPolicy's rule set: a statement of its namespace.
fn workload(
    s: &Spec,
    namespace: &str,
    name: &str,
    origin: Origin,
    at: &At<'_>,
    report: &mut Report,
    program: &mut Program,
) {
    let refuse = |report: &mut Report, why: String, help: &str| {
        report.refuse(
            at.doc,
            origin.span,
            format!("{} {}: {why}", at.d.kind, s.object),
            help,
        );
    };
    if s.default_deny == Some(false) {
        refuse(
            report,
            "with `enableDefaultDeny.egress: false` its rules add to other policies without isolating any pod, which the language cannot say".into(),
            "keep this policy outside egressc",
        );
        return;
    }
    if !at.names.writable(namespace) {
        refuse(
            report,
            format!("the namespace `{namespace}` cannot be written in the language yet"),
            "import it once the language takes this name as a namespace, or keep this policy outside egressc",
        );
        return;
    }
    let selector = match subject(&s.subject) {
        Ok(sel) => sel,
        Err(why) => {
            refuse(
                report,
                format!("its endpoint selector `{}`: {why}", s.subject.text()),
                "keep this policy outside egressc",
            );
            return;
        }
    };
    match isolating(s, names::from_object(name), selector, &origin, at, report) {
        Ok(statement) => program.add(namespace, statement),
        Err(Refusal { why, help }) => refuse(report, why, help),
    }
}

/// A CiliumClusterwideNetworkPolicy's rule set: a guardrail when it only denies without
/// isolating (`enableDefaultDeny.egress: false`), else a cluster-wide allow-list; for the pods
/// its endpoint selector selects.
fn guardrail(s: &Spec, origin: Origin, at: &At<'_>, report: &mut Report, program: &mut Program) {
    let refuse = |report: &mut Report, why: &str| {
        report.refuse(
            at.doc,
            origin.span,
            format!("{} {}: {why}", at.d.kind, s.object),
            "keep this policy outside egressc; the language writes cluster-wide policies as `cluster NAME [{SELECTOR}] [in ns{...}] [except NS, ...] -> ...` and `... deny ...`",
        );
    };
    let subject = match cluster_subject(&s.subject) {
        Ok(sub) => sub,
        Err(why) => {
            return refuse(
                report,
                &format!("its endpoint selector `{}`: {why}", s.subject.text()),
            );
        }
    };
    // [lifecycle] a subject that does not require the namespace label (`{}`, `NotIn` alone)
    // also selects the endpoints of reserved identities, which carry none.
    let reserved: Vec<crate::model::Reserved> = crate::model::Reserved::ALL
        .into_iter()
        .filter(|r| s.subject.matches(&crate::verify::Pod::reserved(*r)))
        .collect();
    if s.default_deny != Some(false) {
        return cluster_workload(s, subject, &reserved, origin, at, report, program);
    }
    if !s.egress.is_empty() {
        return refuse(
            report,
            "with `enableDefaultDeny.egress: false` its allowances add to other policies without isolating any pod, which the language cannot say",
        );
    }
    let mut deny = Vec::new();
    for r in &s.deny {
        match deny_rule(r, at) {
            Ok(d) => deny.extend(d),
            Err(why) => return refuse(report, &why),
        }
    }
    let mut name = names::from_object(&s.object);
    if !at.names.writable(&name) {
        name = format!("{name}-guard");
    }
    for r in reserved {
        program
            .reserved_denials
            .push((r, deny.clone(), origin.clone()));
    }
    program.guardrails.push(Guardrail {
        name,
        subject,
        deny,
        origin,
    });
}

/// A CiliumClusterwideNetworkPolicy that isolates the pods it selects: `cluster NAME ... ->`,
/// and the same rules for the endpoints of the reserved identities it also selects.
fn cluster_workload(
    s: &Spec,
    subject: Subject,
    reserved: &[crate::model::Reserved],
    origin: Origin,
    at: &At<'_>,
    report: &mut Report,
    program: &mut Program,
) {
    let name = names::from_object(&s.object);
    match isolating(s, name, subject.selector, &origin, at, report) {
        Ok(statement) => {
            for r in reserved {
                let mut endpoints = statement.clone();
                endpoints.name = r.name().to_owned();
                endpoints.selector = LabelSelector::default();
                program.add_reserved(*r, endpoints);
            }
            program.add_cluster(subject.namespaces, statement);
        }
        Err(Refusal { why, help }) => report.refuse(
            at.doc,
            origin.span,
            format!("{} {}: {why}", at.d.kind, s.object),
            help,
        ),
    }
}

/// Why a rule set cannot be written, and the help line of its refusal.
struct Refusal {
    why: String,
    help: &'static str,
}

/// The statement `name` of a rule set that isolates what it selects (the pods of a namespace,
/// pods across namespaces, or nodes) with `selector`: its allowances (what cannot be carried
/// over is reported) and denials; or why the language cannot say it.
fn isolating(
    s: &Spec,
    name: String,
    selector: LabelSelector,
    origin: &Origin,
    at: &At<'_>,
    report: &mut Report,
) -> Result<Statement, Refusal> {
    let Some(dns) = answers(s) else {
        return Err(Refusal {
            why: "its DNS rules answer lookups of names the language cannot write (`dns(name = ...)` takes names, `*.x`, `**.x` and a wildcard inside the first label)".into(),
            help: "keep this policy outside egressc, or write its DNS selectors as the language's host names",
        });
    };
    let mut statement = Statement {
        name,
        selector,
        allow: Vec::new(),
        deny: Vec::new(),
        exceptions: Vec::new(),
        strict_dns: dns == Answers::Strict,
        origins: vec![origin.clone()],
    };
    for r in &s.egress {
        allow_rule(r, s, &dns, at, report, &mut statement);
    }
    for r in &s.deny {
        let dests = deny_rule(r, at).map_err(|why| Refusal {
            why,
            help: "keep this policy outside egressc",
        })?;
        for d in dests {
            statement.deny(d);
        }
    }
    Ok(statement)
}

/// The `endpointSelector` of a CiliumClusterwideNetworkPolicy as the pods of a cluster
/// statement: its pod labels, in the namespaces its namespace keys choose (`Exists` on the
/// namespace label, which every pod carries, chooses every namespace).
fn cluster_subject(sel: &EndpointSelector) -> Result<Subject, String> {
    let labels = sel.labels();
    if labels
        .match_labels
        .iter()
        .map(|(k, _)| k)
        .chain(labels.match_expressions.iter().map(|r| &r.key))
        .any(|k| *k == Key::ServiceAccount)
    {
        return Err("it selects by service account, which a cluster statement cannot".into());
    }
    // `Exists` on the namespace label chooses every namespace.
    let by_namespace = namespace_requirements(labels, |r| {
        !(r.key == Key::Namespace && r.operator == labels::Operator::Exists)
    });
    let namespaces =
        if by_namespace.match_labels.is_empty() && by_namespace.match_expressions.is_empty() {
            NamespaceSel::Any
        } else {
            NamespaceSel::Labels(shared::selector(&by_namespace, |k| Ok(k.clone()))?)
        };
    Ok(Subject {
        namespaces,
        selector: pod_labels(sel)?,
    })
}

/// An endpoint selector's pod requirements, without the namespace Cilium confines it to.
fn pod_labels(sel: &EndpointSelector) -> Result<LabelSelector, String> {
    let mut pods: labels::LabelSelector<Key> = labels::LabelSelector::default();
    pods.match_labels = sel
        .labels()
        .match_labels
        .iter()
        .filter(|(k, _)| matches!(k, Key::Label(_)))
        .cloned()
        .collect();
    pods.match_expressions = sel
        .labels()
        .match_expressions
        .iter()
        .filter(|r| matches!(r.key, Key::Label(_)))
        .cloned()
        .collect();
    shared::selector(&pods, |k| match k {
        Key::Label(k) => Ok(k.clone()),
        Key::Namespace | Key::NamespaceLabel(_) => Err("a namespace key".into()),
        Key::ServiceAccount => Err("a service account key".into()),
        Key::Cluster => Err("a cluster key".into()),
        Key::Reserved(_) => Err("a reserved identity".into()),
    })
}

/// `endpointSelector` of a CiliumNetworkPolicy: its pod requirements (Cilium confines it to
/// the policy's namespace).
fn subject(sel: &EndpointSelector) -> Result<LabelSelector, String> {
    let labels = sel.labels();
    if labels
        .match_labels
        .iter()
        .map(|(k, _)| k)
        .chain(labels.match_expressions.iter().map(|r| &r.key))
        .any(|k| !matches!(k, Key::Label(_) | Key::Cluster))
    {
        return Err("it selects by namespace, which a statement takes from its namespace".into());
    }
    pod_labels(sel)
}

/// The requirements of an endpoint selector on its namespace (its name and its labels), as a
/// selector on namespace labels; `keep` chooses among the expressions.
fn namespace_requirements(
    labels: &labels::LabelSelector<Key>,
    keep: impl Fn(&labels::Requirement<Key>) -> bool,
) -> labels::LabelSelector {
    let mut by_namespace = labels::LabelSelector::default();
    by_namespace.match_labels = labels
        .match_labels
        .iter()
        .filter_map(|(k, v)| namespace_key(k).map(|k| (k, v.clone())))
        .collect();
    by_namespace.match_expressions = labels
        .match_expressions
        .iter()
        .filter(|r| keep(r))
        .filter_map(|r| {
            namespace_key(&r.key).map(|key| labels::Requirement {
                key,
                operator: r.operator,
                values: r.values.clone(),
            })
        })
        .collect();
    by_namespace
}

/// The namespace key of an identity label, as a namespace's label: its name label for
/// `io.kubernetes.pod.namespace`, the label itself for `io.cilium.k8s.namespace.labels.*`.
fn namespace_key(k: &Key) -> Option<String> {
    match k {
        Key::Namespace => Some(NAMESPACE_NAME.to_owned()),
        Key::NamespaceLabel(l) => Some(l.clone()),
        Key::Label(_) | Key::ServiceAccount | Key::Cluster | Key::Reserved(_) => None,
    }
}

/// A `toEndpoints[]` selector on the identity label `io.cilium.k8s.policy.serviceaccount`:
/// `serviceaccount(NS/NAME)`, when it names one account (`matchLabels`) of one namespace (its
/// namespace label, or the one Cilium confines it to) and nothing else; `None` when it does not
/// name a service account.
fn service_account(sel: &EndpointSelector) -> Option<Result<Vec<ModelPeer>, String>> {
    let labels = sel.labels();
    let name = labels.match_labels.iter().find_map(|(k, v)| match k {
        Key::ServiceAccount => Some(v.clone()),
        _ => None,
    });
    let by_account = name.is_some()
        || labels
            .match_expressions
            .iter()
            .any(|r| r.key == Key::ServiceAccount);
    if !by_account {
        return None;
    }
    let refuse = |why: &str| Some(Err(why.to_owned()));
    let Some(name) = name else {
        return refuse(
            "a service account chosen by an expression cannot be written in the language",
        );
    };
    if !labels.match_expressions.is_empty() {
        return refuse(
            "a service account with other requirements cannot be written in the language",
        );
    }
    let mut namespace = sel.namespace().map(str::to_owned);
    for (k, v) in &labels.match_labels {
        match k {
            Key::ServiceAccount => {}
            Key::Namespace => namespace = Some(v.clone()),
            Key::NamespaceLabel(_) | Key::Label(_) | Key::Cluster | Key::Reserved(_) => {
                return refuse(
                    "a service account with pod or namespace labels cannot be written in the language",
                );
            }
        }
    }
    let Some(namespace) = namespace else {
        return refuse(
            "a service account of every namespace cannot be written in the language, which names one namespace",
        );
    };
    Some(Ok(vec![ModelPeer::ServiceAccount { namespace, name }]))
}

/// `toEndpoints[]`: pods of the namespaces the selector names, selects by label, or is confined
/// to; with `io.cilium.k8s.policy.cluster`, of that cluster (pods of another cluster unless it is
/// the one the policies are applied in).
fn endpoints(sel: &EndpointSelector, at: &At<'_>) -> Result<Vec<ModelPeer>, String> {
    let names = at.names;
    if let Some(accounts) = service_account(sel) {
        return accounts;
    }
    let labels = sel.labels();
    let remote = match cluster_of(sel)? {
        Some(c) if Some(c.as_str()) == at.cluster => None,
        Some(c) if at.cluster.is_none() => {
            return Err(format!(
                "it names the cluster `{c}`, and no endpoint selector says which cluster the policies are applied in"
            ));
        }
        other => other,
    };
    let by_namespace = namespace_requirements(labels, |_| true);
    let spaces = match sel.namespace() {
        Some(ns)
            if by_namespace.match_labels.is_empty()
                && by_namespace.match_expressions.is_empty() =>
        {
            vec![shared::namespace(ns.to_owned(), names)?]
        }
        _ => shared::namespaces(&by_namespace, names)?,
    };
    let selector = pod_labels(sel)?;
    Ok(spaces
        .into_iter()
        .map(|namespace| match &remote {
            Some(cluster) => ModelPeer::RemotePods {
                cluster: cluster.clone(),
                namespace,
                selector: selector.clone(),
            },
            None => ModelPeer::Pods {
                namespace,
                selector: selector.clone(),
            },
        })
        .collect())
}

/// The cluster of a cluster mesh a selector names (`io.cilium.k8s.policy.cluster` in
/// `matchLabels`, a name the language takes), or why it cannot be written.
fn cluster_of(sel: &EndpointSelector) -> Result<Option<String>, String> {
    if !sel.names_cluster() {
        return Ok(None);
    }
    let labels = sel.labels();
    if labels
        .match_expressions
        .iter()
        .any(|r| r.key == Key::Cluster)
    {
        return Err(
            "it chooses clusters by an expression, and the language names one cluster".into(),
        );
    }
    let name = labels
        .match_labels
        .iter()
        .find_map(|(k, v)| (*k == Key::Cluster).then(|| v.clone()))
        .unwrap_or_default();
    match crate::check::literals::cluster_name(&Spanned::new(name.clone(), Span::default())) {
        Ok(()) => Ok(Some(name)),
        Err(_) => Err(format!("`{name}` is not a cluster name the language takes")),
    }
}

/// `toFQDNs[]`: `matchName` as is, `matchPattern` `*.x` (one label) and `**.x` (one or more).
fn fqdn(f: &Fqdn) -> Result<HostPattern, String> {
    let text = match f {
        Fqdn::Name(n) => n.clone(),
        Fqdn::Pattern(p) => p.clone(),
    };
    crate::check::literals::host(&Spanned::new(text.clone(), Span::default()))
        .map_err(|_| format!("the host name or pattern `{text}` cannot be written in the language"))
}

/// What the DNS proxy answers for a rule set's pods, as the language can say it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Answers {
    /// No DNS rule: the proxy sees none of the lookups, so `toFQDNs` never learns an address.
    Unseen,
    /// Every name (`matchPattern: "*"`, or no DNS rules): `dns`.
    Every,
    /// The rule set's `toFQDNs` names and in-cluster names (`**.cluster.local`): `strict-dns`.
    Strict,
    /// Some other names, each one the language writes: `dns(name = ...)`.
    Names(Vec<HostPattern>),
}

/// Whether some lookups of the names `h` matches are refused by a DNS name list.
fn unresolved(dns: &Answers, h: &HostPattern) -> bool {
    matches!(dns, Answers::Names(names) if !names.iter().any(|n| n.covers(h)))
}

/// The DNS rules of a rule set, as the language's DNS allowances, or `None` when they answer
/// some other set of names.
fn answers(s: &Spec) -> Option<Answers> {
    let text = |f: &Fqdn| match f {
        Fqdn::Name(n) => (false, n.clone()),
        Fqdn::Pattern(p) => (true, p.clone()),
    };
    let rules: BTreeSet<(bool, String)> = s
        .egress
        .iter()
        .flat_map(|r| &r.ports)
        .flat_map(|p: &PortRule| p.dns.iter().flatten())
        .map(text)
        .collect();
    if rules.is_empty() {
        return Some(Answers::Unseen);
    }
    if rules.iter().any(|(p, t)| *p && (t == "*" || t == "**")) {
        return Some(Answers::Every);
    }
    let mut strict: BTreeSet<(bool, String)> = s
        .egress
        .iter()
        .filter_map(|r| match &r.peers {
            Some(Peers::Fqdns(f)) => Some(f),
            _ => None,
        })
        .flatten()
        .map(text)
        .collect();
    strict.insert((true, "**.cluster.local".to_owned()));
    if rules == strict {
        return Some(Answers::Strict);
    }
    let mut names = rules
        .iter()
        .map(|(_, t)| crate::check::literals::host(&Spanned::new(t.clone(), Span::default())).ok())
        .collect::<Option<Vec<HostPattern>>>()?;
    names.sort();
    names.dedup();
    Some(Answers::Names(names))
}

/// The destinations of a rule whose entries carry `rules.dns` answering some names only: the
/// cluster DNS pods on TCP and UDP port 53 become `dns(name = ...)`; anything else on port 53
/// there (other DNS pods, one protocol only) is left out, as the language's name lists are the
/// cluster DNS pods' on both; other ports are kept.
fn dns_lists(
    dests: Vec<Dest>,
    names: &[HostPattern],
    r: &Rule,
    at: &At<'_>,
    report: &mut Report,
    of: &str,
) -> Vec<Dest> {
    let dns_port = |d: &Dest| {
        d.ports.is_some_and(|p| {
            p.first == 53 && p.last == 53 && matches!(p.proto, Proto::Tcp | Proto::Udp)
        })
    };
    let server = ModelPeer::default_dns_server();
    let on = |proto: Proto| {
        dests
            .iter()
            .any(|d| d.peer == server && d.ports.is_some_and(|p| p.proto == proto) && dns_port(d))
    };
    let both = on(Proto::Tcp) && on(Proto::Udp);
    let mut out = Vec::new();
    for d in dests {
        if !dns_port(&d) {
            out.push(d);
        } else if both && d.peer == server {
            out.push(Dest {
                peer: ModelPeer::Dns {
                    peer: Box::new(d.peer),
                    names: names.to_vec(),
                },
                ports: d.ports,
            });
        } else {
            report.narrower(
                at.doc,
                at.span(r.pos),
                format!(
                    "`{}` on port 53 of {of} is left out: its DNS rules answer some names only, which the language says of the cluster DNS pods on TCP and UDP port 53 only",
                    d.peer
                ),
                WRITE_BY_HAND,
            );
        }
    }
    out
}

/// The peers of a rule, or why they cannot be written (`Ok(None)`: no peer, every destination).
fn peers(r: &Rule, at: &At<'_>) -> Result<Option<Vec<ModelPeer>>, String> {
    Ok(match &r.peers {
        None => None,
        Some(Peers::Endpoints(sels)) => {
            let mut out = Vec::new();
            for s in sels {
                out.extend(endpoints(s, at)?);
            }
            Some(out)
        }
        Some(Peers::Cidrs(_)) => Some(Vec::new()),
        Some(Peers::Entities(es)) => Some(entities(es)),
        Some(Peers::Fqdns(fqdns)) => Some(
            fqdns
                .iter()
                .map(|f| fqdn(f).map(ModelPeer::Host))
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// The destinations of `toEntities` [layer3 "Entities Based"], each exactly: `all` every
/// destination, `world` every address outside the cluster (the language's address ranges
/// mean no more), `cluster`, `host` the pod's own node, `remote-node` the others (both:
/// every node), `kube-apiserver`.
fn entities(es: &[Entity]) -> Vec<ModelPeer> {
    let world = |v6: bool| {
        let net: ipnet::IpNet = if v6 {
            ipnet::Ipv6Net::default().into()
        } else {
            ipnet::Ipv4Net::default().into()
        };
        ModelPeer::Net(net)
    };
    let nodes = |e: Entity| es.contains(&e);
    let mut out: Vec<ModelPeer> = Vec::new();
    for e in es {
        out.extend(match e {
            Entity::All => vec![ModelPeer::Any],
            Entity::World(None) => vec![world(false), world(true)],
            Entity::World(Some(v6)) => vec![world(*v6)],
            Entity::Cluster => vec![ModelPeer::Cluster],
            Entity::KubeApiserver => vec![ModelPeer::ApiServer],
            Entity::Host | Entity::RemoteNode
                if nodes(Entity::Host) && nodes(Entity::RemoteNode) =>
            {
                vec![ModelPeer::Nodes(Nodes::All)]
            }
            Entity::Host => vec![ModelPeer::Nodes(Nodes::This)],
            Entity::RemoteNode => vec![ModelPeer::Nodes(Nodes::Others)],
        });
    }
    out.sort();
    out.dedup();
    out
}

/// `toPorts` (each protocol of `ANY` on its own), or `icmps` (every code of each type); `Err`
/// names the ICMP messages the language cannot write.
fn ports_of(r: &Rule) -> Result<Vec<Option<PortRange>>, String> {
    if r.ports
        .iter()
        .any(|p| p.http.is_some() || p.server_names.is_some())
    {
        return Err("`egressDeny` takes no HTTP rules or server names".into());
    }
    if r.icmps.is_empty() {
        let all: Vec<_> = r
            .ports
            .iter()
            .flat_map(|p| p.ports.iter().copied())
            .collect();
        return Ok(shared::ports(&all));
    }
    let icmps = r
        .icmps
        .iter()
        .map(|i| {
            let proto = if i.v6 { Proto::Icmpv6 } else { Proto::Icmp };
            Some(PortRange::icmp(proto, i.kind, None))
        })
        .collect();
    match shared::writable(icmps) {
        (ports, left_out) if left_out.is_empty() => Ok(ports),
        (_, left_out) => Err(format!(
            "{} cannot be written in the language (type 255 is reserved)",
            left_out
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// An `egress` rule: its peers on its ports; each peer the language cannot write is left out.
fn allow_rule(
    r: &Rule,
    s: &Spec,
    dns: &Answers,
    at: &At<'_>,
    report: &mut Report,
    statement: &mut Statement,
) {
    if r.peers.is_none() && r.ports.is_empty() && r.icmps.is_empty() {
        // `{}`: the empty rule, which allows nothing and only isolates.
        return;
    }
    if r.ports
        .iter()
        .any(|p| p.http.is_some() || p.server_names.is_some())
    {
        return l7_rules(r, s, dns, at, report, statement);
    }
    let ports = match ports_of(r) {
        Ok(p) => p,
        Err(why) => {
            return report.narrower(
                at.doc,
                at.span(r.pos),
                format!("a rule of {} {} is left out: {why}", at.d.kind, s.object),
                WRITE_BY_HAND,
            );
        }
    };
    match &r.peers {
        None => {
            for d in shared::dests(&[ModelPeer::Any], &ports) {
                statement.allow(d);
            }
        }
        Some(Peers::Entities(es)) => {
            for d in shared::dests(&entities(es), &ports) {
                statement.allow(d);
            }
        }
        Some(Peers::Cidrs(cidrs)) => {
            for c in cidrs {
                for p in &ports {
                    statement.allow_except(c.net, &c.except, *p);
                }
            }
        }
        Some(Peers::Endpoints(sels)) => {
            let listed = r.ports.iter().any(|p| p.dns.is_some());
            for sel in sels {
                match endpoints(sel, at) {
                    Ok(peers) => {
                        let dests = shared::dests(&peers, &ports);
                        let dests = match dns {
                            Answers::Names(names) if listed => {
                                let of = format!("{} {}", at.d.kind, s.object);
                                dns_lists(dests, names, r, at, report, &of)
                            }
                            _ => dests,
                        };
                        for d in dests {
                            statement.allow(d);
                        }
                    }
                    Err(why) => report.narrower(
                        at.doc,
                        at.span(r.pos),
                        format!(
                            "a peer of {} {} (`{}`) is left out: {why}",
                            at.d.kind,
                            s.object,
                            sel.text()
                        ),
                        WRITE_BY_HAND,
                    ),
                }
            }
        }
        Some(Peers::Fqdns(_)) if *dns == Answers::Unseen => report.narrower(
            at.doc,
            at.span(r.pos),
            format!(
                "the host names of {} {} are left out: no DNS rule of this policy lets Cilium's DNS proxy see their lookups, so it never learns their addresses (the language's `dns` would)",
                at.d.kind, s.object
            ),
            "add `rules.dns` with `matchPattern: \"*\"` to the policy's DNS allowance if these names are meant to be reached",
        ),
        Some(Peers::Fqdns(fqdns)) => {
            for f in fqdns {
                match fqdn(f) {
                    Ok(h) if unresolved(dns, &h) => report.narrower(
                        at.doc,
                        at.span(r.pos),
                        format!(
                            "the host name `{h}` of {} {} is left out: its DNS rules refuse some of its lookups, so Cilium never learns those addresses",
                            at.d.kind, s.object
                        ),
                        "add the name to the policy's `rules.dns` if it is meant to be reached",
                    ),
                    Ok(h) => {
                        for d in shared::dests(&[ModelPeer::Host(h)], &ports) {
                            statement.allow(d);
                        }
                    }
                    Err(why) => report.narrower(
                        at.doc,
                        at.span(r.pos),
                        format!("a peer of {} {} ({f}) is left out: {why}", at.d.kind, s.object),
                        WRITE_BY_HAND,
                    ),
                }
            }
        }
    }
}

/// A rule whose port entries carry HTTP rules or server names: each entry on its own, each of
/// its HTTP rules as `http(PEER:PORT, ...)` on each of the rule's peers ([layer7] a request is
/// allowed when one rule matches: a union), its server names as one `tls(PEER:PORT, name =
/// ...)` on each peer's TCP ports. What the language cannot write is left out (the program
/// allows less); an entry without either is a plain allowance.
fn l7_rules(
    r: &Rule,
    s: &Spec,
    dns: &Answers,
    at: &At<'_>,
    report: &mut Report,
    statement: &mut Statement,
) {
    for pr in &r.ports {
        let plain = Rule {
            ports: vec![crate::verify::cilium::PortRule {
                http: None,
                server_names: None,
                ..pr.clone()
            }],
            ..r.clone()
        };
        if pr.http.is_none() && pr.server_names.is_none() {
            allow_rule(&plain, s, dns, at, report, statement);
            continue;
        }
        // The entry's peers and ports, as the plain allowance would write them.
        let mut inner = Statement {
            allow: Vec::new(),
            deny: Vec::new(),
            exceptions: Vec::new(),
            ..statement.clone()
        };
        allow_rule(&plain, s, dns, at, report, &mut inner);
        let of = format!("{} {}", at.d.kind, s.object);
        let mut narrower = |message: String, help: &str| {
            report.narrower(at.doc, at.span(r.pos), message, help);
        };
        if !inner.exceptions.is_empty() {
            narrower(
                format!(
                    "the L7 rules or server names of {of} are left out: their `toCIDRSet` has exceptions"
                ),
                WRITE_BY_HAND,
            );
            continue;
        }
        if let Some(server_names) = &pr.server_names {
            let mut names = Vec::new();
            for f in server_names {
                match fqdn(f) {
                    Ok(h) => names.push(h),
                    Err(why) => narrower(
                        format!("a server name of {of} is left out: {why}"),
                        WRITE_BY_HAND,
                    ),
                }
            }
            names.sort();
            names.dedup();
            if names.is_empty() {
                continue;
            }
            // [crd] "TLS must be present": only TCP carries it; port 53 is the DNS proxy's.
            for d in &inner.allow {
                match d.ports {
                    Some(p) if p.proto == Proto::Tcp && !(p.first <= 53 && 53 <= p.last) => {
                        statement.allow(Dest {
                            peer: ModelPeer::Tls {
                                peer: Box::new(d.peer.clone()),
                                names: names.clone(),
                            },
                            ports: d.ports,
                        });
                    }
                    Some(p) if p.proto != Proto::Tcp => {}
                    _ => narrower(
                        format!(
                            "the server names of {of} on `{}` are left out: the language writes them on TCP ports other than 53",
                            d.ports
                                .map_or_else(|| "every port".to_owned(), |p| p.to_string())
                        ),
                        WRITE_BY_HAND,
                    ),
                }
            }
            continue;
        }
        for h in pr.http.iter().flatten() {
            let m = match http_match(h) {
                Ok((m, true)) => {
                    narrower(
                        format!(
                            "an HTTP rule of {of} ({h}) is written `{m}`: each unescaped `.` of its expressions, which matches any character, is read as a dot"
                        ),
                        "escape the dots (`\\.`) in the YAML if a dot is meant",
                    );
                    m
                }
                Ok((m, false)) => m,
                Err(why) => {
                    narrower(
                        format!("an HTTP rule of {of} ({h}) is left out: {why}"),
                        WRITE_BY_HAND,
                    );
                    continue;
                }
            };
            for d in &inner.allow {
                statement.allow(Dest {
                    peer: ModelPeer::Http {
                        peer: Box::new(d.peer.clone()),
                        http: Box::new(m.clone()),
                    },
                    ports: d.ports,
                });
            }
        }
    }
}

/// A `rules.http[]` entry as the language's HTTP match, and whether that is narrower.
fn http_match(h: &crate::verify::cilium::http::HttpRule) -> Result<(HttpMatch, bool), String> {
    let r = h.reading()?;
    let host = match r.host {
        None => None,
        Some((name, wild, port)) => {
            let text = match wild {
                0 => name,
                1 => format!("*.{name}"),
                _ => format!("**.{name}"),
            };
            let name = crate::check::literals::host(&Spanned::new(text.clone(), Span::default()))
                .map_err(|_| {
                format!("its host `{text}` is not a host name the language writes")
            })?;
            Some(HttpHost { name, port })
        }
    };
    let path = r.path.map(|(p, prefix)| {
        if prefix {
            PathPattern::Prefix(p)
        } else {
            PathPattern::Exact(p)
        }
    });
    let mut headers = Vec::new();
    for (name, value) in &r.headers {
        // The language's `"N: V"` drops the spaces before `V`, which a value read from the
        // YAML keeps: such a value matches no request (the proxy removes them).
        if let Some(v) = value.as_deref().filter(|v| v.starts_with([' ', '\t'])) {
            return Err(format!(
                "its header `{name}` requires the value `{v}`, which starts with a space and matches no request"
            ));
        }
        let h = crate::check::parse_header(name, value.as_deref(), Span::default()).map_err(
            |d| match d.labels.first() {
                Some(l) => format!("{}: {}", d.message, l.message),
                None => d.message,
            },
        )?;
        if headers.iter().any(|o: &HeaderMatch| o.name == h.name) {
            return Err(format!(
                "it names the header `{name}` twice, which the language writes once"
            ));
        }
        headers.push(h);
    }
    headers.sort();
    let m = HttpMatch {
        method: r.method,
        path,
        host,
        headers,
    };
    if m == HttpMatch::default() {
        return Err("it matches every request".into());
    }
    Ok((m, r.narrowed))
}

/// An `egressDeny` rule: what it denies, or why it cannot be written (a deny is never left out).
fn deny_rule(r: &Rule, at: &At<'_>) -> Result<Vec<Dest>, String> {
    let ports = ports_of(r)?;
    let peers = match &r.peers {
        None => vec![ModelPeer::Any],
        Some(Peers::Cidrs(cidrs)) => cidrs
            .iter()
            .flat_map(|c| shared::without(c.net, &c.except))
            .map(ModelPeer::Net)
            .collect(),
        Some(_) => peers(r, at)?.unwrap_or_default(),
    };
    Ok(shared::dests(&peers, &ports))
}
