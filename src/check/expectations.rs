//! `expect` statements: checked where they are written (the destination, the `resolving`
//! address), then matched with the workload they name once every statement is known.
//!
//! `expect payments-api -> api.stripe.com:443 resolving 54.187.216.72 allow` may come before
//! the `app payments-api` statement, or in another file of the same namespace: hence the two
//! steps. The checked [`checked::Expectation`]s are what `egressc test` decides.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::checked::{self, Dest, Program, Workload};
use super::expand::Checker;
use crate::diagnostics::{Code, Diagnostic, Diagnostics, suggest};
use crate::model::Peer;
use crate::syntax::ast;

/// An expectation checked where it is written: its namespace, the statement, its destinations
/// and the address its host name resolves to.
pub(super) type Pending<'a> = (String, &'a ast::Expect, Vec<Dest>, Option<IpAddr>);

/// Checks an `expect` statement of namespace `ns`: its destination, and that `resolving` gives
/// one address to a host name (E0402).
pub(super) fn statement<'a>(
    checker: &mut Checker<'_>,
    e: &'a ast::Expect,
    ns: String,
) -> Option<Pending<'a>> {
    let dests = checker.dests(std::slice::from_ref(&e.dest), Some(&ns));
    let resolving = match &e.resolving {
        None => Some(None),
        Some(r) => match r.node.parse::<std::net::IpAddr>() {
            Ok(a) => Some(Some(a)),
            Err(_) => {
                checker.diags.push(
                    Diagnostic::new(Code::E0402, r.span, format!("`{}` is not one IP address", r.node))
                        .label("expected an address such as `203.0.113.7`")
                        .help("write the single address the host name resolves to, without a prefix length"),
                );
                None
            }
        },
    };
    if let (Some(dests), Some(resolving)) = (dests, resolving) {
        let named = |p: &Peer| match p {
            Peer::Http { peer, .. } | Peer::Tls { peer, .. } => matches!(**peer, Peer::Host(_)),
            p => matches!(p, Peer::Host(_)),
        };
        if resolving.is_some() && !dests.iter().all(|t| named(&t.peer)) {
            checker.diags.push(
                Diagnostic::new(
                    Code::E0402,
                    e.dest.span,
                    "`resolving` applies to host names only",
                )
                .label("not a host name")
                .help("remove `resolving ...`, or expect a host name such as `api.stripe.com:443`"),
            );
            return None;
        }
        return Some((ns, e, dests, resolving));
    }
    None
}

/// Matches each expectation with the `app` or `pods` statement it names in its namespace
/// (E0401 when there is none).
pub(super) fn resolve(
    diags: &mut Diagnostics,
    program: &Program,
    pending: Vec<Pending<'_>>,
) -> Vec<checked::Expectation> {
    // Nothing to match: the indexes of every statement by name are not built.
    if pending.is_empty() {
        return Vec::new();
    }
    let by_name: BTreeMap<(&str, &str), &Workload> = program
        .workloads
        .iter()
        .map(|w| ((w.namespace.as_str(), w.name.as_str()), w))
        .collect();
    let mut expectations = Vec::new();
    // A cluster statement is named from any namespace: the source is a pod of that namespace
    // that its selector selects (whether the namespace is among its namespaces or not).
    let clusterwide: BTreeMap<&str, &crate::model::LabelSelector> = program
        .cluster_workloads
        .iter()
        .map(|w| (w.name.as_str(), &w.subject.selector))
        .chain(
            program
                .guardrails
                .iter()
                .map(|g| (g.name.as_str(), &g.subject.selector)),
        )
        .collect();
    // A host statement is named from any namespace too: the source is a node it selects.
    let hosts: BTreeMap<&str, &crate::model::LabelSelector> = program
        .host_workloads
        .iter()
        .map(|h| (h.name.as_str(), &h.nodes))
        .collect();
    // A reserved statement is named by its identity from any namespace: the source is an
    // endpoint of that identity.
    let reserved: BTreeMap<&str, crate::model::Reserved> = program
        .reserved_workloads
        .iter()
        .map(|r| (r.identity.name(), r.identity))
        .collect();
    for (ns, e, dests, resolving) in pending {
        let name = e.workload.node.as_str();
        let source = by_name
            .get(&(ns.as_str(), name))
            .map(|w| (w.selector.example(), false, None))
            .or_else(|| clusterwide.get(name).map(|s| (s.example(), false, None)))
            .or_else(|| hosts.get(name).map(|s| (s.example(), true, None)))
            .or_else(|| {
                reserved
                    .get(name)
                    .map(|r| (BTreeMap::new(), false, Some(*r)))
            });
        match source {
            Some((source, host, reserved)) => expectations.push(checked::Expectation {
                namespace: ns.clone(),
                source,
                host,
                reserved,
                dests,
                resolving,
                allow: e.allow,
                cluster: program.cluster.clone(),
                span: e.span,
            }),
            None => {
                let names: Vec<&str> = program
                    .workloads
                    .iter()
                    .filter(|w| w.namespace == ns)
                    .map(|w| w.name.as_str())
                    .chain(clusterwide.keys().copied())
                    .chain(hosts.keys().copied())
                    .chain(reserved.keys().copied())
                    .collect();
                let mut d = Diagnostic::new(
                    Code::E0401,
                    e.workload.span,
                    format!(
                        "no app or workload `{}` in namespace `{ns}`, nor a cluster, host or reserved statement",
                        e.workload.node
                    ),
                )
                .label("the source of the expected flow");
                d = match suggest::did_you_mean(&e.workload.node, names.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(
                        "expectations name an `app` or `pods` statement of the same namespace, or a `cluster`, `host` or `reserved` statement",
                    ),
                };
                diags.push(d);
            }
        }
    }
    expectations
}
