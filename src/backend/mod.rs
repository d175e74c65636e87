//! Stage 4: IR → YAML, one module per target. Backends see only the IR (never the AST); each
//! either expresses a policy exactly or refuses it with a coded diagnostic on the source span.
//! What each target emits and refuses is summarised in `docs/targets.md`.

mod block;
pub(crate) mod calico;
pub(crate) mod cilium;
mod cluster;
pub(crate) mod native;
mod yaml;

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::ir;
use crate::model::{self, Peer, PortSet};
use crate::source::{SourceMap, Span};

/// An output target (`--target`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// `networking.k8s.io/v1` NetworkPolicy.
    Native,
    /// `cilium.io/v2` CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy.
    Cilium,
    /// `projectcalico.org/v3` NetworkPolicy and GlobalNetworkPolicy (Calico Open Source).
    Calico,
    /// The same as `Calico`, plus `destination.domains` (Calico Enterprise and Calico Cloud).
    CalicoEnterprise,
}

impl Target {
    pub const ALL: &'static [Target] = &[
        Target::Native,
        Target::Cilium,
        Target::Calico,
        Target::CalicoEnterprise,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Target::Native => "native",
            Target::Cilium => "cilium",
            Target::Calico => "calico",
            Target::CalicoEnterprise => "calico-enterprise",
        }
    }

    pub fn parse(text: &str) -> Option<Target> {
        Target::ALL.iter().copied().find(|t| t.name() == text)
    }

    /// The names of every target, for messages.
    pub fn names() -> String {
        let names: Vec<&str> = Target::ALL.iter().map(|t| t.name()).collect();
        names.join(", ")
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One emitted Kubernetes object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    pub name: String,
    pub kind: &'static str,
    /// The YAML text, starting with a header comment and ending with a newline.
    pub text: String,
}

/// Everything one target emitted for one program.
#[derive(Clone, Debug)]
pub struct Output {
    pub target: Target,
    pub documents: Documents,
}

/// The documents of an output, shared by the outputs that are the same (the two Calico
/// editions', see [`emit_each`]) rather than held twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Documents(Arc<[Document]>);

impl From<Vec<Document>> for Documents {
    fn from(documents: Vec<Document>) -> Documents {
        Documents(documents.into())
    }
}

impl Deref for Documents {
    type Target = [Document];

    fn deref(&self) -> &[Document] {
        &self.0
    }
}

impl<'a> IntoIterator for &'a Documents {
    type Item = &'a Document;
    type IntoIter = std::slice::Iter<'a, Document>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl Output {
    /// The documents as one multi-document YAML stream.
    pub fn stream(&self) -> String {
        self.pieces().collect()
    }

    /// The stream's texts in order (documents and the `---` lines between them), for writing
    /// the stream without building it.
    pub fn pieces(&self) -> impl Iterator<Item = &str> {
        self.documents
            .iter()
            .enumerate()
            .flat_map(|(i, d)| [(i > 0).then_some("---\n"), Some(d.text.as_str())])
            .flatten()
    }
}

/// Emits `program` for `target`, or every reason it cannot.
pub fn emit(
    target: Target,
    program: &ir::Program,
    sources: &SourceMap,
) -> Result<Output, Diagnostics> {
    let documents = match target {
        Target::Native => native::emit(program, sources)?,
        Target::Cilium => cilium::emit(program, sources)?,
        Target::Calico => calico::emit(program, sources, calico::Edition::Open)?,
        Target::CalicoEnterprise => calico::emit(program, sources, calico::Edition::Enterprise)?,
    };
    Ok(Output {
        target,
        documents: documents.into(),
    })
}

/// [`emit`] for each of `targets`, in order. When both Calico editions are asked for and the
/// open edition accepts the program, the enterprise edition's output is the open edition's,
/// emitted once: the enterprise edition refuses nothing that the open edition accepts, and the
/// two write differently only host names (`domains`), which the open edition refuses (a test
/// compares the two editions on every example and fixture).
pub fn emit_each(
    targets: &[Target],
    program: &ir::Program,
    sources: &SourceMap,
) -> Vec<Result<Output, Diagnostics>> {
    let both = targets.contains(&Target::Calico) && targets.contains(&Target::CalicoEnterprise);
    let mut open: Option<Result<Output, Diagnostics>> = None;
    let mut open_output = || {
        open.get_or_insert_with(|| emit(Target::Calico, program, sources))
            .clone()
    };
    targets
        .iter()
        .map(|&t| match t {
            Target::Calico if both => open_output(),
            Target::CalicoEnterprise if both => match open_output() {
                Ok(o) => Ok(Output {
                    target: t,
                    documents: o.documents,
                }),
                Err(_) => emit(t, program, sources),
            },
            _ => emit(t, program, sources),
        })
        .collect()
}

/// `metadata` of a generated object: name, namespace (none for cluster-scoped objects) and the
/// managed-by label.
fn metadata(name: &str, namespace: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: namespace.map(str::to_owned),
        labels: Some(BTreeMap::from([(
            yaml::MANAGED_BY.0.to_owned(),
            yaml::MANAGED_BY.1.to_owned(),
        )])),
        ..Default::default()
    }
}

/// E0503 for every host name in `deny`: no target can deny by name, since a name's addresses
/// are only learnt from the lookups that are allowed, and a deny must hold without them.
fn host_denies(deny: &[ir::Rule], target: Target) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for r in deny {
        for p in &r.peers {
            if let Peer::Host(h) = p {
                diags.push(
                    Diagnostic::new(
                        Code::E0503,
                        r.origin_of(p),
                        format!("a deny by host name (`{h}`) cannot be enforced by {target}"),
                    )
                    .label("denied by name")
                    .help(
                        "no target can enforce a deny by host name; deny the address range instead",
                    ),
                );
            }
        }
    }
    diags
}

/// E0538 for every pods destination of another cluster of `rules`, on a target without cluster
/// meshes (all but Cilium): native NetworkPolicy selects pods of its own cluster only, and
/// Calico's selectors read the labels of the endpoints its own cluster knows.
fn remote_refusals<'a>(
    rules: impl IntoIterator<Item = &'a ir::Rule>,
    target: Target,
) -> Diagnostics {
    peer_refusals(rules, |r, p| {
        let Peer::RemotePods { cluster, .. } = p else {
            return None;
        };
        Some(
            Diagnostic::new(
                Code::E0538,
                r.origin_of(p),
                format!(
                    "{} cannot select pods of another cluster (`{cluster}`)",
                    target_title(target)
                ),
            )
            .label("pods of another cluster of a cluster mesh")
            .note(match target {
                Target::Native => "a NetworkPolicy peer selects pods of the policy's own cluster only",
                _ => "Calico selectors match the endpoints of the policy's own cluster by their labels; no label names another cluster",
            })
            .help("build with `--target cilium` (`io.cilium.k8s.policy.cluster` in `toEndpoints`), or allow those pods by a rule of their own cluster's policies"),
        )
    })
}

/// E0524 for every `service(NS/NAME)` of `rules`, on a target (native, Cilium) that cannot say
/// "the endpoints of this Service, on the Service's ports" exactly.
fn service_refusals<'a>(
    rules: impl IntoIterator<Item = &'a ir::Rule>,
    target: Target,
) -> Diagnostics {
    peer_refusals(rules, |r, p| {
        let Peer::Service { namespace, name } = p else {
            return None;
        };
        let note = match target {
            // cilium/cilium#34021: `toServices` "only supports selectorless services with
            // Endpoints external to the cluster"; cilium/cilium#20067: `toServices` with
            // `toPorts` allowed the ports to every address of `world`.
            Target::Cilium => {
                "Cilium's `toServices` matches only Services without a selector whose endpoints are outside the cluster, and with `toPorts` it has allowed those ports to every address outside the cluster (cilium/cilium#34021, cilium/cilium#20067)"
            }
            _ => {
                "a NetworkPolicy peer selects pods by labels, on the ports the rule lists; it cannot name a Service"
            }
        };
        Some(
            Diagnostic::new(
                Code::E0524,
                r.origin_of(p),
                format!("`{p}` cannot be expressed in {}", target_title(target)),
            )
            .label("the endpoints of a Service, on its ports")
            .note(note)
            .help(format!("write the Service's pods and the ports they listen on, as in `pods({namespace}){{app={name}}}:8080`, or build with `--target calico`")),
        )
    })
}

/// The diagnostic `refuse` gives each peer of `rules` (`None` for a peer it accepts), in order.
fn peer_refusals<'a>(
    rules: impl IntoIterator<Item = &'a ir::Rule>,
    refuse: impl Fn(&ir::Rule, &Peer) -> Option<Diagnostic>,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for r in rules {
        for p in &r.peers {
            if let Some(d) = refuse(r, p) {
                diags.push(d);
            }
        }
    }
    diags
}

/// What a target makes of protocols without ports: none of them (native), ICMP by type only
/// (cilium), or all of them with ICMP codes (calico).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Portless {
    None,
    IcmpTypes,
}

/// E0536 for every HTTP allowance of `rules` on a target without HTTP rules: native
/// NetworkPolicy matches connections only, and Calico's `http` match works on ingress only,
/// with Istio's application layer policy ("Calico network policy supports restricting traffic
/// based on HTTP methods and paths only for ingress traffic", Calico's "Use HTTP methods and
/// paths in policy rules"). E0537 for every TLS allowance there: NetworkPolicy matches
/// connections only, and no Calico policy rule matches a TLS server name (Calico Enterprise's
/// `domains` match the names pods look up, not the ClientHello).
fn l7_refusals<'a>(rules: impl IntoIterator<Item = &'a ir::Rule>, target: Target) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for r in rules {
        for p in &r.peers {
            if let Peer::Dns { names, .. } = p {
                diags.push(dns_refused(target, names, r.origin_of(p)));
            }
            if let Peer::Tls { names, .. } = p {
                let why = match target {
                    Target::Native => {
                        "native NetworkPolicy matches connections, not TLS server names"
                    }
                    _ => "no Calico policy rule matches the server name of a TLS connection",
                };
                let names: Vec<String> = names.iter().map(ToString::to_string).collect();
                diags.push(
                    Diagnostic::new(
                        Code::E0537,
                        r.origin_of(p),
                        format!(
                            "{} cannot allow only the TLS connections to some server names ({})",
                            target_title(target),
                            names.join(", ")
                        ),
                    )
                    .label("a TLS allowance")
                    .note(why)
                    .help("build with `--target cilium` (`toPorts[].serverNames`), or allow the destination on its port without `tls(...)`"),
                );
            }
            let Peer::Http { http, .. } = p else { continue };
            let why = match target {
                Target::Native => "native NetworkPolicy matches connections, not HTTP requests",
                _ => {
                    "Calico matches HTTP methods and paths on ingress only, and only with Istio's application layer policy"
                }
            };
            diags.push(
                Diagnostic::new(
                    Code::E0536,
                    r.origin_of(p),
                    format!("{} cannot allow only some HTTP requests ({http})", target_title(target)),
                )
                .label("an HTTP allowance")
                .note(why)
                .help("build with `--target cilium` (`toPorts[].rules.http`), or allow the destination on its port without `http(...)`"),
            );
        }
    }
    diags
}

/// E0539: a DNS name list (`dns(name = ...)`, `strict-dns`) on a target that cannot refuse a
/// lookup by its name: native NetworkPolicy and Calico match packets by address and port, and
/// Calico Enterprise's `domains` allow the addresses of the names a pod looked up (Calico
/// Enterprise, "DNS policy": "Calico Enterprise allows connections only to IP addresses returned
/// from DNS lookups to trusted DNS servers"), never refusing the lookup itself.
fn dns_refused(target: Target, names: &[model::HostPattern], span: Span) -> Diagnostic {
    let why = match target {
        Target::Native => {
            "native NetworkPolicy matches addresses and ports, not the names pods look up"
        }
        Target::Calico => "Calico matches addresses and ports, not the names pods look up",
        _ => {
            "Calico Enterprise's `domains` allow the addresses of names a pod looked up; no rule refuses a lookup"
        }
    };
    let names: Vec<String> = names.iter().map(ToString::to_string).collect();
    Diagnostic::new(
        Code::E0539,
        span,
        format!(
            "{} cannot refuse DNS lookups by name ({})",
            target_title(target),
            names.join(", ")
        ),
    )
    .label("a DNS allowance for some names only")
    .note(why)
    .help("build with `--target cilium` (`toPorts[].rules.dns`), or allow every lookup with plain `dns` (`strict-dns` is a name list too)")
}

/// E0520 for every protocol without ports that `target` cannot express in `rules`, and E0521
/// for ICMP codes where it matches ICMP by type only; one report per protocol and place.
fn protocol_refusals<'a>(
    rules: impl IntoIterator<Item = &'a ir::Rule>,
    target: Target,
    takes: Portless,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let mut seen = std::collections::BTreeSet::new();
    for r in rules {
        let PortSet::Ranges(ranges) = &r.ports else {
            continue;
        };
        let span = r.origins.first().copied().unwrap_or_default();
        for range in ranges.iter().filter(|x| !x.proto.has_ports()) {
            if !seen.insert((span, range.proto)) {
                continue;
            }
            let icmp = range.proto.is_icmp();
            if takes == Portless::IcmpTypes && icmp {
                if let Some((kind, Some(code))) = range
                    .icmp_messages()
                    .into_iter()
                    .find(|(_, code)| code.is_some())
                {
                    diags.push(
                        Diagnostic::new(
                            Code::E0521,
                            span,
                            format!("`{range}` names an ICMP code, and {target} matches ICMP by type only"),
                        )
                        .label(format!("code {code} of type {kind}"))
                        .help(format!("allow the whole type (`:{}({kind})`) if every code is fine, or build with `--target calico`, which matches codes", range.proto.as_str())),
                    );
                }
                continue;
            }
            let (what, help) = match (target, icmp) {
                (Target::Native, true) => (
                    "native NetworkPolicy matches TCP, UDP and SCTP ports only".to_owned(),
                    "build with `--target cilium` (ICMP types) or `--target calico` (ICMP types and codes)",
                ),
                (Target::Native, false) => (
                    "native NetworkPolicy matches TCP, UDP and SCTP ports only".to_owned(),
                    "build with `--target calico`, which matches every IP protocol",
                ),
                _ => (
                    format!(
                        "{target} accepts it only behind an agent flag that is off by default, and rejects the whole policy without it"
                    ),
                    "build with `--target calico`, which matches every IP protocol",
                ),
            };
            diags.push(
                Diagnostic::new(
                    Code::E0520,
                    span,
                    format!("`{range}` cannot be expressed in {}", target_title(target)),
                )
                .label(what)
                .help(help),
            );
        }
    }
    diags
}

/// A target as messages name its product: `native NetworkPolicy`, `cilium`.
fn target_title(target: Target) -> String {
    match target {
        Target::Native => "native NetworkPolicy".to_owned(),
        other => other.to_string(),
    }
}

/// E0549: the statements on Cilium's reserved identities, refused by a target that has no such
/// identity (every one but Cilium): its policies select pods (and Calico's host endpoints) by
/// their labels, and no selector of theirs names an endpoint whose labels are not known yet, nor
/// Cilium's health endpoints.
fn reserved_refusals(program: &ir::Program, target: Target) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for r in &program.reserved_policies {
        diags.push(
            Diagnostic::new(
                Code::E0549,
                r.policy.origin,
                format!(
                    "{} cannot select the reserved identity `{}`",
                    target_title(target),
                    r.identity.name()
                ),
            )
            .label("endpoints of one of Cilium's reserved identities")
            .note("reserved identities (`init`: endpoints still initialising; `health`: the health endpoints) are Cilium's own; this target's policies select pods by their labels")
            .help("build reserved statements with `--target cilium` (a CiliumClusterwideNetworkPolicy selecting `reserved:init` or `reserved:health`)"),
        );
    }
    diags
}

/// The header comment's description of a policy: `app payments-api`, `default deny in payments`.
fn describe(policy: &ir::Policy) -> String {
    match &policy.kind {
        ir::PolicyKind::App { app } => format!("app {app}"),
        ir::PolicyKind::Pods { name } => format!("pods {name}"),
        ir::PolicyKind::DefaultDeny => format!("default deny in {}", policy.namespace),
        ir::PolicyKind::Cluster { name } => format!("cluster {name}"),
        ir::PolicyKind::Host { name } => format!("host {name}"),
        ir::PolicyKind::Reserved { identity } => format!("reserved {}", identity.name()),
    }
}

/// Compiles `src` for `target`: the YAML stream, or the error codes (for backend unit tests).
#[cfg(test)]
pub(crate) fn build_for_test(src: &str, target: Target) -> Result<String, Vec<String>> {
    let c = crate::compile(&[crate::Input::new("t.egress", src)], &[target]);
    if c.has_errors() {
        return Err(c
            .analysis
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code.as_str().to_owned())
            .collect());
    }
    Ok(c.outputs.iter().map(|o| o.stream()).collect())
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    /// The `.egress` files below `dir`, at any depth.
    fn sources_below(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                sources_below(&path, out);
            } else if path.extension().is_some_and(|x| x == "egress") {
                out.push(path);
            }
        }
    }

    /// [`emit_each`]'s premise: wherever the open Calico edition accepts a program, the
    /// enterprise edition accepts it too and writes the same documents. On every example and
    /// fixture, alone and with the examples' cluster file.
    #[test]
    fn calico_editions_agree_where_the_open_one_accepts() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        sources_below(&root.join("examples"), &mut files);
        sources_below(&root.join("tests/fixtures"), &mut files);
        files.sort();
        assert!(files.len() > 50, "{} sources", files.len());
        let cluster = crate::Input::new(
            "cluster.egress",
            std::fs::read_to_string(root.join("examples/cluster.egress")).unwrap(),
        );
        let mut accepted = 0;
        for file in &files {
            let input = crate::Input::new(file.display().to_string(), std::fs::read(file).unwrap());
            for inputs in [vec![input.clone()], vec![cluster.clone(), input.clone()]] {
                let analysis = crate::analyse(&inputs);
                let Some(ir) = &analysis.ir else { continue };
                let Ok(open) = emit(Target::Calico, ir, &analysis.sources) else {
                    continue;
                };
                accepted += 1;
                match emit(Target::CalicoEnterprise, ir, &analysis.sources) {
                    Ok(enterprise) => assert_eq!(enterprise.documents, open.documents, "{file:?}"),
                    Err(d) => panic!("{file:?}: the enterprise edition refuses it: {d:?}"),
                }
                let each = emit_each(
                    &[Target::Calico, Target::CalicoEnterprise],
                    ir,
                    &analysis.sources,
                );
                let docs: Vec<Documents> =
                    each.into_iter().flatten().map(|o| o.documents).collect();
                assert_eq!(docs, [open.documents.clone(), open.documents], "{file:?}");
            }
        }
        assert!(accepted > 20, "{accepted} programs accepted");
    }
}
