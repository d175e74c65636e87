//! The imported program as text, laid out the way a person would write it: a header, the
//! definitions (named address sets, and pods used by several statements), the cluster-wide
//! guardrails, then one group per namespace (`default deny` first), each statement under a
//! comment naming the objects it came from, with standard-library names wherever they mean
//! exactly the same (`dns`, `kube-dns`, `metadata`, `internet`, `private`, `postgres(...)`,
//! `mysql(...)`, `redis(...)`, `https(...)`).

use std::collections::{BTreeMap, BTreeSet};

use ipnet::IpNet;

use super::names::Names;
use super::program::{Dest, Origin, Program, Set, Statement};
use crate::model::{
    LabelReq, LabelSelector, NAMESPACE_NAME_LABEL, NamespaceSel, Peer, PortRange, Proto, Subject,
};
use crate::source::SourceMap;

/// Lines longer than this are broken after a comma.
const WIDTH: usize = 100;

/// How many uses make a pods destination worth a definition.
const DEFINE_AFTER: usize = 3;

/// The standard library's names, which a definition must not take.
pub const STDLIB: &[&str] = &[
    "kube-dns",
    "dns",
    "strict-dns",
    "rds",
    "postgres",
    "mysql",
    "redis",
    "fqdn",
    "https",
    "metadata",
    "internet",
    "private",
];

fn net(text: &str) -> Option<IpNet> {
    text.parse().ok()
}

fn tcp(port: u16) -> Option<PortRange> {
    Some(PortRange {
        proto: Proto::Tcp,
        first: port,
        last: port,
    })
}

/// The cluster DNS pods of the standard library's `kube-dns`.
fn kube_dns() -> Peer {
    Peer::Pods {
        namespace: NamespaceSel::Named("kube-system".into()),
        selector: LabelSelector::new(vec![LabelReq::Eq("k8s-app".into(), "kube-dns".into())]),
    }
}

/// `:443/tcp`, `:8000-8100/udp`, `:icmp(8)`, `:icmp(3, 4)`, `:gre`, or nothing for every port.
/// An ICMP range is one message (the mappings make it so), or the whole protocol.
fn suffix(ports: Option<PortRange>) -> String {
    let Some(r) = ports else {
        return String::new();
    };
    let proto = r.proto.as_str();
    if r.proto.is_icmp() {
        return match r.icmp_messages().as_slice() {
            _ if r.is_whole() => format!(":{proto}"),
            [(kind, None)] => format!(":{proto}({kind})"),
            [(kind, Some(code))] => format!(":{proto}({kind}, {code})"),
            _ => format!(":{proto}"),
        };
    }
    if !r.proto.has_ports() {
        format!(":{proto}")
    } else if r.first == r.last {
        format!(":{}/{proto}", r.first)
    } else {
        format!(":{}-{}/{proto}", r.first, r.last)
    }
}

/// A label value as the grammar reads it: bare when it can be, else quoted.
fn value(v: &str) -> String {
    if !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        v.to_owned()
    } else {
        format!("\"{v}\"")
    }
}

/// `{app=web, env in (prod, staging), !legacy}`.
pub fn selector(s: &LabelSelector) -> String {
    let set = |vs: &BTreeSet<String>| vs.iter().map(|v| value(v)).collect::<Vec<_>>().join(", ");
    let parts: Vec<String> = s
        .reqs
        .iter()
        .map(|r| match r {
            LabelReq::Eq(k, v) => format!("{k}={}", value(v)),
            LabelReq::In(k, vs) => format!("{k} in ({})", set(vs)),
            LabelReq::NotIn(k, vs) => format!("{k} notin ({})", set(vs)),
            LabelReq::Exists(k) => k.clone(),
            LabelReq::DoesNotExist(k) => format!("!{k}"),
        })
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// A peer as written in a statement of namespace `home` (`None`: a guardrail or definition,
/// where pods always name their namespace).
/// An HTTP or TLS allowance, which holds its destination's port (`ports`, as a suffix):
/// `http(api.example.com:80, method = GET)`, `tls(api.example.com:443, name = api.example.com)`.
fn holding(p: &Peer, home: Option<&str>, ports: &str) -> Option<String> {
    match p {
        Peer::Http { peer: inner, http } => {
            Some(format!("http({}{ports}, {http})", peer(inner, home)))
        }
        Peer::Tls { peer: inner, names } => {
            let names: Vec<String> = names.iter().map(|n| format!(", name = {n}")).collect();
            Some(format!(
                "tls({}{ports}{})",
                peer(inner, home),
                names.concat()
            ))
        }
        // Always the DNS server's port 53: no destination, no port.
        Peer::Dns { names, .. } => {
            let names: Vec<String> = names.iter().map(|n| format!("name = {n}")).collect();
            Some(format!("dns({})", names.join(", ")))
        }
        _ => None,
    }
}

fn peer(p: &Peer, home: Option<&str>) -> String {
    match p {
        // Its port goes inside the parentheses: see `dest_texts`.
        Peer::Http { .. } | Peer::Tls { .. } | Peer::Dns { .. } => {
            holding(p, home, "").unwrap_or_default()
        }
        Peer::Net(n) => n.to_string(),
        Peer::Host(h) => h.to_string(),
        Peer::Any | Peer::ApiServer | Peer::Nodes(_) | Peer::Cluster => p.to_string(),
        Peer::ServiceAccount { namespace, name } if Some(namespace.as_str()) == home => {
            format!("serviceaccount({name})")
        }
        Peer::ServiceAccount { namespace, name } => format!("serviceaccount({namespace}/{name})"),
        Peer::Service { namespace, name } if Some(namespace.as_str()) == home => {
            format!("service({name})")
        }
        Peer::Service { namespace, name } => format!("service({namespace}/{name})"),
        Peer::Pods {
            namespace: NamespaceSel::Named(ns),
            selector: s,
        } if Some(ns.as_str()) == home => format!("pods{}", selector(s)),
        Peer::Pods {
            namespace,
            selector: s,
        } => pods(namespace, None, s),
        Peer::RemotePods {
            cluster,
            namespace,
            selector: s,
        } => pods(namespace, Some(cluster), s),
    }
}

/// `pods(NS){...}`, `pods(NS, cluster = NAME){...}`, without the selector when it is empty.
fn pods(
    namespace: &NamespaceSel,
    cluster: Option<&str>,
    s: &crate::model::LabelSelector,
) -> String {
    let ns = match namespace {
        NamespaceSel::Labels(l) => format!("ns{}", selector(l)),
        other => other.to_string(),
    };
    let args = match cluster {
        Some(c) => format!("{ns}, cluster = {c}"),
        None => ns,
    };
    if s.reqs.is_empty() {
        format!("pods({args})")
    } else {
        format!("pods({args}){}", selector(s))
    }
}

/// A group of destinations that one standard-library name stands for.
struct Group {
    members: Vec<Dest>,
    text: String,
}

/// The definitions of network sets (`sets`) and the standard-library names that mean exactly
/// some of `dests`, each with the destinations it stands for.
fn stdlib_groups(dests: &BTreeSet<&Dest>, strict_dns: bool, sets: &[Set]) -> Vec<Group> {
    let mut out = Vec::new();
    let ports: BTreeSet<Option<PortRange>> = dests.iter().map(|d| d.ports).collect();
    for set in sets {
        for p in &ports {
            let members: Vec<Dest> = set
                .nets
                .iter()
                .map(|n| Dest {
                    peer: Peer::Net(*n),
                    ports: *p,
                })
                .collect();
            if !members.is_empty() && members.iter().all(|m| dests.contains(m)) {
                out.push(Group {
                    members,
                    text: format!("{}{}", set.name, suffix(*p)),
                });
            }
        }
    }
    let has = |d: &Dest| dests.contains(d);
    let d = |peer: Peer, ports: Option<PortRange>| Dest { peer, ports };
    let dns_pods = kube_dns();
    // dns: the cluster DNS pods on UDP and TCP 53.
    let dns = [
        d(
            dns_pods.clone(),
            Some(PortRange {
                proto: Proto::Udp,
                first: 53,
                last: 53,
            }),
        ),
        d(dns_pods.clone(), tcp(53)),
    ];
    if dns.iter().all(has) {
        out.push(Group {
            members: dns.to_vec(),
            text: if strict_dns { "strict-dns" } else { "dns" }.into(),
        });
    }
    // Address sets, on any one port range.
    for (name, nets) in [
        ("metadata", &["169.254.169.254/32", "fd00:ec2::254/128"][..]),
        ("internet", &["0.0.0.0/0", "::/0"][..]),
        (
            "private",
            &["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"][..],
        ),
    ] {
        for p in &ports {
            let members: Vec<Dest> = nets
                .iter()
                .filter_map(|n| net(n))
                .map(|n| d(Peer::Net(n), *p))
                .collect();
            if members.iter().all(has) {
                out.push(Group {
                    members,
                    text: format!("{name}{}", suffix(*p)),
                });
            }
        }
    }
    for dest in dests {
        match &dest.peer {
            // Databases by subnet, on their default port.
            Peer::Net(n) => {
                for (name, port) in [("postgres", 5432), ("mysql", 3306), ("redis", 6379)] {
                    if dest.ports == tcp(port) {
                        out.push(Group {
                            members: vec![(*dest).clone()],
                            text: format!("{name}({n})"),
                        });
                    }
                }
            }
            Peer::Host(h) if dest.ports == tcp(443) => out.push(Group {
                members: vec![(*dest).clone()],
                text: format!("https({h})"),
            }),
            p if *p == dns_pods => out.push(Group {
                members: vec![(*dest).clone()],
                text: format!("kube-dns{}", suffix(dest.ports)),
            }),
            // A DNS name list: one `dns(name = ...)` for all its ports.
            p @ Peer::Dns { .. } => out.push(Group {
                members: dests
                    .iter()
                    .filter(|d| d.peer == *p)
                    .map(|d| (*d).clone())
                    .collect(),
                text: holding(p, None, "").unwrap_or_default(),
            }),
            _ => {}
        }
    }
    out
}

/// Destinations as written, standard-library names first where they mean exactly the same,
/// each name at the place of its first member.
fn dest_texts(list: &[Dest], home: Option<&str>, defs: &Defs<'_>, strict_dns: bool) -> Vec<String> {
    let all: BTreeSet<&Dest> = list.iter().collect();
    let mut by_member: BTreeMap<&Dest, usize> = BTreeMap::new();
    let groups = stdlib_groups(&all, strict_dns, defs.sets);
    let mut taken: BTreeSet<Dest> = BTreeSet::new();
    let mut chosen = Vec::new();
    for g in groups {
        if g.members.iter().any(|m| taken.contains(m)) {
            continue;
        }
        taken.extend(g.members.iter().cloned());
        chosen.push(g);
    }
    for (i, g) in chosen.iter().enumerate() {
        for m in &g.members {
            if let Some(d) = all.get(m) {
                by_member.insert(d, i);
            }
        }
    }
    let mut printed = BTreeSet::new();
    let mut out = Vec::new();
    for d in list {
        match by_member.get(d) {
            Some(g) => {
                if printed.insert(*g)
                    && let Some(group) = chosen.get(*g)
                {
                    out.push(group.text.clone());
                }
            }
            // An HTTP or TLS allowance holds its port.
            None => match holding(&d.peer, home, &suffix(d.ports)) {
                Some(text) => out.push(text),
                None => {
                    let p = match defs.pods.get(&d.peer) {
                        Some(name) => name.clone(),
                        None => peer(&d.peer, home),
                    };
                    out.push(format!("{p}{}", suffix(d.ports)));
                }
            },
        }
    }
    out
}

/// `head` followed by `items` joined with `, `, broken after commas when a line grows long,
/// continuation lines aligned under the first item.
fn wrapped(head: &str, items: &[String], tail: &str) -> String {
    let indent = " ".repeat(head.chars().count());
    let mut out = head.to_owned();
    let mut line_len = out.chars().count();
    for (i, item) in items.iter().enumerate() {
        let last = i + 1 == items.len();
        let piece = if last {
            item.clone()
        } else {
            format!("{item},")
        };
        if i > 0 {
            if line_len + 1 + piece.chars().count() > WIDTH {
                out.push('\n');
                out.push_str(&indent);
                line_len = indent.len();
            } else {
                out.push(' ');
                line_len += 1;
            }
        }
        out.push_str(&piece);
        line_len += piece.chars().count();
    }
    out.push_str(tail);
    out
}

fn origin_comment(o: &Origin, sources: &SourceMap) -> String {
    let (line, _) = sources
        .get(o.span.file)
        .map(|f| f.line_col(o.span.start as usize))
        .unwrap_or((0, 0));
    format!(
        "# from {} {} ({}:{line})\n",
        o.kind,
        o.object,
        sources.name(o.span.file)
    )
}

/// The definitions statements use: network sets, and pods destinations used often.
struct Defs<'a> {
    sets: &'a [Set],
    pods: BTreeMap<Peer, String>,
}

/// Names for pods destinations used at least [`DEFINE_AFTER`] times: the value of their one
/// `=` label, when that makes a writable name no one else has.
fn definitions(program: &Program, names: &Names) -> BTreeMap<Peer, String> {
    let mut uses: BTreeMap<&Peer, usize> = BTreeMap::new();
    for s in program.namespaces.values().flatten() {
        let peers: BTreeSet<&Peer> = s.allow.iter().chain(&s.deny).map(|d| &d.peer).collect();
        for p in peers {
            *uses.entry(p).or_default() += 1;
        }
    }
    let mut taken: BTreeSet<String> = STDLIB.iter().map(|s| (*s).to_owned()).collect();
    taken.extend(program.sets.iter().map(|s| s.name.clone()));
    let mut out = BTreeMap::new();
    let dns_pods = kube_dns();
    for (p, n) in uses {
        if n < DEFINE_AFTER || *p == dns_pods {
            continue;
        }
        let Peer::Pods { selector: s, .. } = p else {
            continue;
        };
        let [LabelReq::Eq(_, v)] = s.reqs.as_slice() else {
            continue;
        };
        if names.writable(v) && taken.insert(v.clone()) {
            out.insert(p.clone(), v.clone());
        }
    }
    out
}

/// A cluster-wide name for a cluster or host statement: its own when the language takes it
/// (else `imported`), numbered when another cluster-wide statement has it.
fn cluster_name(name: &str, names: &Names, taken: &mut BTreeSet<String>) -> String {
    let base = if names.writable(name) {
        name.to_owned()
    } else {
        "imported".to_owned()
    };
    let mut out = base.clone();
    let mut n = 1;
    while !taken.insert(out.clone()) {
        n += 1;
        out = format!("{base}-{n}");
    }
    out
}

/// A cluster or host statement from its head (`cluster NAME ... -> `): its allow list (`none`
/// when empty) and deny clause, lines wrapped.
fn allow_list(head: &str, s: &Statement, defs: &Defs<'_>) -> String {
    if s.allow.is_empty() {
        return format!("{head}none\n");
    }
    let allow = dest_texts(&s.allow, None, defs, s.strict_dns);
    let mut out = wrapped(head, &allow, "\n");
    let deny = dest_texts(&s.deny, None, defs, false);
    if !deny.is_empty() {
        let indent = " ".repeat(head.chars().count().saturating_sub(3));
        out.push_str(&wrapped(&format!("{indent}deny "), &deny, "\n"));
    }
    out
}

/// What follows a cluster statement's name: ` {SELECTOR}`, ` in ns{...}` and ` except NS, ...`
/// (the requirement that a namespace's name is none of them), each only when it narrows.
fn cluster_subject(s: &Subject) -> String {
    let mut out = String::new();
    if !s.selector.reqs.is_empty() {
        out.push_str(&format!(" {}", selector(&s.selector)));
    }
    if let NamespaceSel::Labels(l) = &s.namespaces {
        let (except, rest): (Vec<&LabelReq>, Vec<&LabelReq>) = l
            .reqs
            .iter()
            .partition(|r| matches!(r, LabelReq::NotIn(k, _) if k == NAMESPACE_NAME_LABEL));
        if !rest.is_empty() {
            let rest = LabelSelector::new(rest.into_iter().cloned().collect());
            out.push_str(&format!(" in ns{}", selector(&rest)));
        }
        let names: BTreeSet<&String> = except
            .iter()
            .flat_map(|r| match r {
                LabelReq::NotIn(_, vs) => vs.iter().collect(),
                _ => Vec::new(),
            })
            .collect();
        if !names.is_empty() {
            let names: Vec<&str> = names.into_iter().map(String::as_str).collect();
            out.push_str(&format!(" except {}", names.join(", ")));
        }
    }
    out
}

/// The statement's subject: `app NAME` when it selects exactly `app=NAME` and that name is
/// free, else `pods NAME {...}` with a free name from its objects.
fn subject(s: &Statement, names: &Names, taken: &mut BTreeSet<String>) -> String {
    if let [LabelReq::Eq(k, v)] = s.selector.reqs.as_slice()
        && k == "app"
        && names.writable(v)
        && v != "default-deny"
        && taken.insert(v.clone())
    {
        return format!("app {v}");
    }
    let base = if names.writable(&s.name) {
        s.name.clone()
    } else {
        format!("{}-pods", s.name)
    };
    let base = if names.writable(&base) && base != "default-deny" {
        base
    } else {
        "imported".to_owned()
    };
    let mut name = base.clone();
    let mut n = 1;
    while !taken.insert(name.clone()) {
        n += 1;
        name = format!("{base}-{n}");
    }
    format!("pods {name} {}", selector(&s.selector))
}

fn statement(
    s: &Statement,
    namespace: &str,
    defs: &Defs<'_>,
    names: &Names,
    taken: &mut BTreeSet<String>,
    sources: &SourceMap,
) -> String {
    let mut out: String = s
        .origins
        .iter()
        .map(|o| origin_comment(o, sources))
        .collect();
    if s.default_deny() {
        out.push_str("default deny\n");
        return out;
    }
    let head = format!("{} -> ", subject(s, names, taken));
    if s.allow.is_empty() {
        out.push_str(&head);
        out.push_str("none\n");
        return out;
    }
    let allow = dest_texts(&s.allow, Some(namespace), defs, s.strict_dns);
    let deny = dest_texts(&s.deny, Some(namespace), defs, false);
    if deny.is_empty() {
        out.push_str(&wrapped(&head, &allow, "\n"));
    } else {
        out.push_str(&wrapped(&head, &allow, "\n"));
        let indent = " ".repeat(head.chars().count().saturating_sub(3));
        out.push_str(&wrapped(&format!("{indent}deny "), &deny, "\n"));
    }
    out
}

/// The whole program as text.
pub fn print(program: &Program, files: &[&str], names: &Names, sources: &SourceMap) -> String {
    let mut out = String::new();
    let from = match files {
        [] => "standard input".to_owned(),
        [one] => (*one).to_owned(),
        [a, b] => format!("{a} and {b}"),
        many => format!("{} files", many.len()),
    };
    out.push_str(&format!(
        "# Imported by `egressc import` from {}.\n# Review the loss report it printed before relying on this program.\n",
        crate::source::printable(&from)
    ));
    if let Some(c) = &program.cluster_name {
        out.push_str(&format!("\nset cluster-name = {c}\n"));
    }
    let defs = Defs {
        sets: &program.sets,
        pods: definitions(program, names),
    };
    if !program.sets.is_empty() || !defs.pods.is_empty() {
        out.push('\n');
    }
    for set in &program.sets {
        out.push_str(&origin_comment(&set.origin, sources));
        let nets: Vec<String> = set.nets.iter().map(ToString::to_string).collect();
        out.push_str(&wrapped(&format!("def {} = ", set.name), &nets, "\n"));
    }
    for (p, name) in &defs.pods {
        out.push_str(&format!("def {name} = {}\n", peer(p, None)));
    }
    // A reserved statement is named by its identity, which no other cluster-wide statement
    // takes.
    let mut cluster_names: BTreeSet<String> = program
        .reserved
        .iter()
        .map(|(r, _)| r.name().to_owned())
        .collect();
    for (identity, s) in &program.reserved {
        out.push('\n');
        for o in &s.origins {
            out.push_str(&origin_comment(o, sources));
        }
        out.push_str(&allow_list(
            &format!("reserved {} -> ", identity.name()),
            s,
            &defs,
        ));
    }
    for g in &program.guardrails {
        out.push('\n');
        out.push_str(&origin_comment(&g.origin, sources));
        cluster_names.insert(g.name.clone());
        let deny = dest_texts(&g.deny, None, &defs, false);
        out.push_str(&wrapped(
            &format!("cluster {}{} deny ", g.name, cluster_subject(&g.subject)),
            &deny,
            "\n",
        ));
    }
    for c in &program.cluster {
        let s = &c.statement;
        out.push('\n');
        for o in &s.origins {
            out.push_str(&origin_comment(o, sources));
        }
        let name = cluster_name(&s.name, names, &mut cluster_names);
        let head = format!("cluster {name}{} -> ", cluster_subject(&c.subject()));
        out.push_str(&allow_list(&head, s, &defs));
    }
    for s in &program.hosts {
        out.push('\n');
        for o in &s.origins {
            out.push_str(&origin_comment(o, sources));
        }
        let name = cluster_name(&s.name, names, &mut cluster_names);
        let nodes = if s.selector.reqs.is_empty() {
            String::new()
        } else {
            format!(" {}", selector(&s.selector))
        };
        out.push_str(&allow_list(&format!("host {name}{nodes} -> "), s, &defs));
    }
    for (namespace, statements) in &program.namespaces {
        out.push_str(&format!("\nnamespace {namespace}\n"));
        let mut taken = BTreeSet::new();
        let (denies, rest): (Vec<&Statement>, Vec<&Statement>) =
            statements.iter().partition(|s| s.default_deny());
        for s in denies.into_iter().chain(rest) {
            out.push_str(&statement(s, namespace, &defs, names, &mut taken, sources));
        }
    }
    out
}
