//! Native NetworkPolicy (and Calico's StagedKubernetesNetworkPolicy) → statements: one function
//! per field and kind of peer.
//!
//! | NetworkPolicy | the language |
//! |---|---|
//! | `metadata.namespace` (absent: `default`) | `namespace NAME` |
//! | `podSelector` | `app NAME` for exactly `app: NAME`, else `pods NAME {...}`; `{}` with no rules: `default deny` |
//! | `policyTypes: [Egress]` with no rules | `none` |
//! | `policyTypes` without `Egress` (ingress only) | skipped (W0803) |
//! | `egress[].to[].ipBlock` `cidr`, `except` | the range without its exceptions |
//! | `podSelector` alone | `pods{...}` (the policy's namespace) |
//! | `namespaceSelector` by `kubernetes.io/metadata.name`, or `{}` | `pods(NS){...}`, `pods(*){...}` |
//! | `namespaceSelector` by other labels | `pods(ns{...}){...}` |
//! | `ports[]` `protocol`, `port`, `endPort` | `:PORT/PROTO`, `:FIRST-LAST/PROTO`; no port: `:1-65535/PROTO` |
//! | a rule without `to` | `any` |
//! | named ports (the reader) | left out (W0802) |

use std::collections::BTreeSet;

use super::check::Model;
use super::documents::{Dialect, Doc};
use super::names::{self, Names};
use super::program::{Origin, Program, Statement};
use super::report::Report;
use super::shared::{self, At, WRITE_BY_HAND};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{NamespaceSel, Peer as ModelPeer, PortRange};
use crate::source::SourceMap;
use crate::verify::native::{Peer, Policies, Policy, Rule, read};

/// Reads every native document and maps its policy into `program`; the policies read are the
/// input's meaning for the self-check.
pub fn import(
    docs: &[Doc],
    sources: &SourceMap,
    names: &Names,
    report: &mut Report,
    program: &mut Program,
) -> Model {
    let mut all: Vec<Policy> = Vec::new();
    let mut seen = BTreeSet::new();
    let read = shared::read_each(
        docs,
        Dialect::Native,
        sources,
        names,
        report,
        read::policies,
    );
    for (at, Policies(policies)) in read {
        for p in policies {
            if !seen.insert((p.namespace.clone(), p.name.clone())) {
                report.twice(
                    at.doc,
                    at.span(p.pos),
                    &format!("{}/{}", p.namespace, p.name),
                );
                continue;
            }
            policy(&p, &at, report, program);
            all.push(p);
        }
    }
    Model::Native(Policies(all))
}

/// One policy: its subject and each of its egress rules.
fn policy(p: &Policy, at: &At<'_>, report: &mut Report, program: &mut Program) {
    let object = format!("{}/{}", p.namespace, p.name);
    let origin = Origin {
        kind: at.d.kind.clone(),
        object: object.clone(),
        span: at.span(p.pos),
        doc: at.doc,
    };
    if !p.egress {
        report.push(
            Some(at.doc),
            Diagnostic::new(
                Code::W0803,
                origin.span,
                format!("{} {object} does not isolate egress: skipped", at.d.kind),
            )
            .label("an ingress policy")
            .help("egressc writes egress policies; keep ingress policies as they are"),
        );
        return;
    }
    if !at.names.writable(&p.namespace) {
        report.refuse(
            at.doc,
            origin.span,
            format!(
                "{} {object}: the namespace `{}` cannot be written in the language yet",
                at.d.kind, p.namespace
            ),
            "import it once the language takes this name as a namespace, or keep this policy outside egressc",
        );
        return;
    }
    let selector = match shared::selector(&p.selector, |k| Ok(k.clone())) {
        Ok(s) => s,
        Err(why) => {
            report.refuse(
                at.doc,
                origin.span,
                format!(
                    "{} {object} selects its pods by `{}`: {why}",
                    at.d.kind, p.selector
                ),
                "keep this policy outside egressc",
            );
            return;
        }
    };
    let mut statement = Statement {
        name: names::from_object(&p.name),
        selector,
        allow: Vec::new(),
        deny: Vec::new(),
        exceptions: Vec::new(),
        strict_dns: false,
        origins: vec![origin],
    };
    for r in &p.rules {
        rule(r, p, at, report, &mut statement);
    }
    program.add(&p.namespace, statement);
}

/// `egress[]`: each peer on each port, or every destination without `to`.
fn rule(r: &Rule, p: &Policy, at: &At<'_>, report: &mut Report, statement: &mut Statement) {
    let ports = shared::ports(&r.ports);
    if r.to.is_empty() {
        add(statement, &[ModelPeer::Any], &ports);
    }
    for peer in &r.to {
        match peer {
            Peer::Block { cidr, except, .. } => ip_block(statement, *cidr, except, &ports),
            Peer::Pods {
                namespaces,
                pods,
                pos,
            } => match pods_peer(namespaces.as_ref(), pods.as_ref(), &p.namespace, at.names) {
                Ok(peers) => add(statement, &peers, &ports),
                Err(why) => report.narrower(
                    at.doc,
                    at.span(*pos),
                    format!(
                        "a peer of {} {}/{} is left out: {why}",
                        at.d.kind, p.namespace, p.name
                    ),
                    WRITE_BY_HAND,
                ),
            },
        }
    }
}

fn add(statement: &mut Statement, peers: &[ModelPeer], ports: &[Option<PortRange>]) {
    for d in shared::dests(peers, ports) {
        statement.allow(d);
    }
}

/// `ipBlock`: the range without its exceptions.
fn ip_block(
    statement: &mut Statement,
    cidr: ipnet::IpNet,
    except: &[ipnet::IpNet],
    ports: &[Option<PortRange>],
) {
    for p in ports {
        statement.allow_except(cidr, except, *p);
    }
}

/// `namespaceSelector` and `podSelector`: pods of the policy's namespace, of the namespaces
/// named, or of every namespace.
fn pods_peer(
    namespaces: Option<&crate::verify::labels::LabelSelector>,
    pods: Option<&crate::verify::labels::LabelSelector>,
    home: &str,
    names: &Names,
) -> Result<Vec<ModelPeer>, String> {
    let selector = match pods {
        Some(s) => shared::selector(s, |k| Ok(k.clone()))?,
        None => crate::model::LabelSelector::default(),
    };
    let namespaces = match namespaces {
        None => vec![NamespaceSel::Named(home.to_owned())],
        Some(ns) => shared::namespaces(ns, names)?,
    };
    Ok(namespaces
        .into_iter()
        .map(|namespace| ModelPeer::Pods {
            namespace,
            selector: selector.clone(),
        })
        .collect())
}
