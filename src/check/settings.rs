//! `set KEY = VALUE`: lint thresholds and facts about the cluster, each set at most once.
//!
//! `set wide-cidr-v4 = 16` moves a threshold; `set pod-cidrs = 10.244.0.0/16` states a fact
//! the lints cannot know. Which keys exist, what each takes and its default are declared by the
//! lints that read them (`lint::settings`, listed by `lint::registry`); the values land in
//! [`checked::Settings`] by key.

use std::collections::BTreeMap;

use super::checked;
use super::expand::Checker;
use super::literals;
use crate::diagnostics::{Code, Diagnostic, Diagnostics, suggest};
use crate::lint::registry;
use crate::lint::settings::{APISERVER, CLUSTER_NAME, Value};
use crate::model::Peer;
use crate::source::Span;
use crate::syntax::ast;

/// The key of the cluster's DNS server, read before anything is expanded ([`dns_server`]).
pub(super) const DNS_SERVER: &str = "dns-server";

/// The value of the first `set dns-server = ...` of the program (a later one is E0702 when
/// the statements are checked), into `checker.dns_server`: pods of a named namespace
/// (`pods(openshift-dns){...}`) or addresses, without ports; anything else is E0706 and leaves
/// the CoreDNS pods. Read before definitions and statements, which expand `dns-server`.
pub(super) fn dns_server(checker: &mut Checker<'_>, files: &[ast::File]) {
    let Some(set) = files.iter().flat_map(|f| &f.items).find_map(|i| match i {
        ast::Item::Set(s) if s.key.node == DNS_SERVER => Some(s),
        _ => None,
    }) else {
        return;
    };
    let mut peers = Vec::new();
    let mut ok = true;
    for v in &set.values {
        let peer = match &v.kind {
            ast::DestKind::Pods {
                namespace: Some(_),
                cluster: None,
                ..
            } if v.ports.is_none() => match checker.dests(std::slice::from_ref(v), None) {
                Some(ts) => ts.into_iter().map(|t| t.peer).collect(),
                None => {
                    ok = false;
                    continue;
                }
            },
            ast::DestKind::Atom(ast::Atom::Ip {
                addr,
                prefix,
                ports: None,
            }) if v.ports.is_none() => match literals::ip_net(addr, prefix.as_ref()) {
                Ok(n) => vec![Peer::Net(n)],
                Err(e) => {
                    checker.diags.push(e);
                    ok = false;
                    continue;
                }
            },
            _ => {
                checker.diags.push(invalid_dns_server(v));
                ok = false;
                continue;
            }
        };
        peers.extend(peer);
    }
    if ok && !peers.is_empty() {
        checker.dns_server = peers;
    }
}

/// The name of the first `set cluster-name = NAME` of the program, when it is one, into
/// `checker.cluster_name`: read before anything is expanded, since a pods destination of
/// another cluster (`pods(NS, cluster = NAME)`) needs it. What is wrong with the statement is
/// reported when it is checked ([`statement`]).
pub(super) fn cluster_name(checker: &mut Checker<'_>, files: &[ast::File]) {
    checker.cluster_name = files
        .iter()
        .flat_map(|f| &f.items)
        .find_map(|i| match i {
            ast::Item::Set(s) if s.key.node == CLUSTER_NAME.key => Some(s),
            _ => None,
        })
        .and_then(cluster_name_value)
        .filter(|n| literals::cluster_name(n).is_ok())
        .map(|n| n.node.clone());
}

/// The one name `set cluster-name` gives, as written, if it gives one.
fn cluster_name_value(set: &ast::Setting) -> Option<&ast::Name> {
    match set.values.as_slice() {
        [v] if v.ports.is_none() => match &v.kind {
            ast::DestKind::Atom(ast::Atom::Name { name, ports: None }) => Some(name),
            ast::DestKind::Atom(ast::Atom::Port(name)) => Some(name),
            _ => None,
        },
        _ => None,
    }
}

/// E0706: a DNS server that is neither pods of a named namespace nor addresses without ports.
fn invalid_dns_server(v: &ast::Dest) -> Diagnostic {
    let help = match &v.kind {
        ast::DestKind::Pods {
            namespace: None, ..
        } => "name the namespace of the DNS pods: `pods(openshift-dns){...}`",
        _ if v.ports.is_some()
            || matches!(
                &v.kind,
                ast::DestKind::Atom(ast::Atom::Ip { ports: Some(_), .. })
            ) =>
        {
            "write the DNS server without a port: `dns` gives it port 53 over UDP and TCP"
        }
        ast::DestKind::Pods {
            cluster: Some(_), ..
        } => {
            "name the DNS pods of the cluster the policies are applied in, without `cluster = ...`"
        }
        _ => {
            "write the DNS server's pods (`pods(NAMESPACE){...}`) or its addresses (`169.254.20.10`)"
        }
    };
    Diagnostic::new(Code::E0706, v.span, "invalid DNS server")
        .label("not pods of a namespace or an address")
        .help(help)
}

/// Checks a `set` statement: a second one for the same key is E0702, else it is applied.
pub(super) fn statement(
    diags: &mut Diagnostics,
    seen: &mut BTreeMap<String, Span>,
    set: &ast::Setting,
    settings: &mut checked::Settings,
) {
    if let Some(first) = seen.insert(set.key.node.clone(), set.key.span) {
        diags.push(
            Diagnostic::new(
                Code::E0702,
                set.key.span,
                format!("`{}` is set twice", set.key.node),
            )
            .label("set again here")
            .secondary(first, "first set here")
            .help("keep one `set` statement per setting"),
        );
    } else if set.key.node != DNS_SERVER {
        setting(diags, set, settings);
    }
}

/// Applies `set KEY = VALUE` to `settings`, or reports why it cannot: an unknown key is E0701
/// (with the closest key or the list of them), a value out of range or of the wrong kind E0702
/// on the values. Ranges take CIDRs only, without ports; thresholds one number.
fn setting(diags: &mut Diagnostics, set: &ast::Setting, settings: &mut checked::Settings) {
    let key = set.key.node.as_str();
    let Some(declared) = registry::setting(key) else {
        let mut d = Diagnostic::new(
            Code::E0701,
            set.key.span,
            format!("unknown setting `{key}`"),
        )
        .label("not a setting");
        // A key the text begins (`wide-cidr` of `wide-cidr-v4`), else the closest.
        let begun = registry::settings()
            .map(|s| s.key)
            .find(|k| k.starts_with(key));
        d = match begun.or_else(|| suggest::did_you_mean(key, registry::settings().map(|s| s.key)))
        {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.note(format!(
                "the settings are {}",
                registry::settings()
                    .map(|s| format!("`{}`", s.key))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
        diags.push(d);
        return;
    };
    let bad = |diags: &mut Diagnostics, span: Span| {
        diags.push(
            Diagnostic::new(Code::E0702, span, format!("invalid value for `{key}`"))
                .label(format!("expected {}", declared.takes())),
        );
    };
    match declared.value {
        Value::Cidrs => {
            let mut nets = Vec::new();
            for v in &set.values {
                match &v.kind {
                    ast::DestKind::Atom(ast::Atom::Ip {
                        addr,
                        prefix,
                        ports: None,
                    }) if v.ports.is_none() => match literals::ip_net(addr, prefix.as_ref()) {
                        Ok(n) => nets.push(n),
                        Err(e) => diags.push(e),
                    },
                    other => diags.push(not_a_range(key, v, other)),
                }
            }
            settings.set(declared.key, checked::SettingValue::Cidrs(nets));
        }
        Value::ClusterName => match cluster_name_value(set) {
            Some(name) => match literals::cluster_name(name) {
                Ok(()) => {
                    settings.set(declared.key, checked::SettingValue::Name(name.node.clone()))
                }
                Err(e) => diags.push(e),
            },
            None => bad(diags, values_span(set)),
        },
        Value::Number { min, max, .. } => {
            let number = match set.values.as_slice() {
                [v] => match &v.kind {
                    ast::DestKind::Atom(ast::Atom::Port(n)) if v.ports.is_none() => {
                        n.node.parse::<u32>().ok()
                    }
                    _ => None,
                },
                _ => None,
            };
            match number.filter(|n| *n >= min && *n <= max) {
                Some(n) => settings.set(declared.key, checked::SettingValue::Number(n)),
                None => bad(diags, values_span(set)),
            }
        }
    }
}

/// The span of a `set` statement's values, from the first to the last.
fn values_span(set: &ast::Setting) -> Span {
    set.values
        .first()
        .map(|v| v.span)
        .unwrap_or(set.span)
        .to(set.values.last().map(|v| v.span).unwrap_or(set.span))
}

/// E0717 for each `set apiserver` value that is neither on the nodes nor outside the cluster:
/// inside a declared pod or Service range (a Service's cluster IP, such as the `kubernetes`
/// Service's, is not an endpoint: traffic to it is translated before policy applies), or partly
/// in a node range. Backends place each endpoint on a node or outside the cluster by these
/// facts, so they must be unambiguous.
pub(super) fn apiserver_placement(
    diags: &mut Diagnostics,
    files: &[ast::File],
    facts: &crate::model::ClusterFacts,
) {
    let sets = files.iter().flat_map(|f| &f.items).filter_map(|i| match i {
        ast::Item::Set(s) if s.key.node == APISERVER.key => Some(s),
        _ => None,
    });
    for set in sets {
        for v in &set.values {
            let ast::DestKind::Atom(ast::Atom::Ip {
                addr,
                prefix,
                ports: None,
            }) = &v.kind
            else {
                continue;
            };
            let Ok(net) = literals::ip_net(addr, prefix.as_ref()) else {
                continue;
            };
            let overlaps = |r: &ipnet::IpNet| r.contains(&net) || net.contains(r);
            let (range, what) = if let Some(r) = facts.pods.iter().find(|r| overlaps(r)) {
                (*r, "pod range")
            } else if let Some(r) = facts.services.iter().find(|r| overlaps(r)) {
                (*r, "Service range")
            } else if let Some(r) = facts.nodes.iter().find(|r| net.contains(*r) && **r != net) {
                (*r, "node range")
            } else {
                continue;
            };
            diags.push(
                Diagnostic::new(
                    Code::E0717,
                    v.span,
                    format!("the API server's address `{net}` overlaps the {what} `{range}`"),
                )
                .label("not on a node, nor outside the cluster")
                .note("`apiserver` is where the API server listens (the endpoints of the `kubernetes` Service in `default`, as `kubectl get endpointslices -n default` shows), on the nodes or outside the cluster; the Service's cluster IP is translated to them before policy applies")
                .help("write the endpoint addresses, as in `set apiserver = 10.0.0.10`"),
            );
        }
    }
}

/// E0716: a value of a cluster fact (`set node-cidrs = ...`) that is not an address or range.
fn not_a_range(key: &str, v: &ast::Dest, kind: &ast::DestKind) -> Diagnostic {
    let found = match kind {
        ast::DestKind::Atom(ast::Atom::Ip { .. }) => "an address with a port",
        ast::DestKind::Atom(ast::Atom::Host { .. }) => "a host name",
        ast::DestKind::Atom(ast::Atom::Port(_)) => "a number",
        ast::DestKind::Atom(ast::Atom::Name { .. }) => "a name",
        ast::DestKind::Call { .. } => "a call",
        ast::DestKind::Pods { .. } => "pods",
        ast::DestKind::ServiceAccount { .. } => "a service account",
        ast::DestKind::Service { .. } => "a Service",
        ast::DestKind::Text(_) => "a quoted text",
    };
    Diagnostic::new(
        Code::E0716,
        v.span,
        format!("`{key}` takes addresses and ranges, found {found}"),
    )
    .label("not an address or a range")
    .note("a cluster fact is read before anything is expanded: write the addresses themselves")
    .help(if key == APISERVER.key {
        format!("write the addresses without ports, as in `set {key} = 10.0.0.10`")
    } else {
        format!("write the ranges without ports, as in `set {key} = 10.0.0.0/16, fd00:10::/64`")
    })
}
