//! The checked program: names resolved, definitions expanded, every value validated. This is
//! the only input of lowering (`ir::lower_workload`, `ir::assemble`).

use std::collections::{BTreeMap, BTreeSet};

use ipnet::IpNet;

use crate::diagnostics::Code;
use crate::model::{ClusterFacts, LabelSelector, Peer, PortRange, Subject};
use crate::source::Span;

/// One destination after expansion, with the span of the user's source construct it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dest {
    pub peer: Peer,
    /// `None`: every port of every protocol.
    pub ports: Option<PortRange>,
    pub origin: Span,
}

/// How a workload statement selected its pods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkloadKind {
    /// `app NAME`
    App,
    /// `pods NAME {...}`
    Pods,
}

/// `app payments-api -> ...` after checking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub namespace: String,
    pub name: String,
    pub kind: WorkloadKind,
    pub selector: LabelSelector,
    pub allow: Vec<Dest>,
    pub deny: Vec<Dest>,
    /// The allow list reaches DNS through `strict-dns` only (never through plain `dns`):
    /// targets with a DNS proxy answer only the names the workload may reach. When both forms
    /// are used, the loose one wins, as allowances are a union.
    pub strict_dns: bool,
    pub name_span: Span,
}

/// `default deny` in a namespace.
#[derive(Clone, Debug)]
pub struct DefaultDeny {
    pub namespace: String,
    pub span: Span,
}

/// `cluster NAME deny ...`: a guardrail for the pods of its subject (every pod of the cluster
/// unless it narrows it), which isolates none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guardrail {
    pub name: String,
    pub subject: Subject,
    pub deny: Vec<Dest>,
    pub span: Span,
}

/// `cluster NAME ... -> ...`: an allow-list for the pods of its subject in every namespace it
/// chooses, isolating them as an `app` statement isolates its pods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterWorkload {
    pub name: String,
    pub subject: Subject,
    pub allow: Vec<Dest>,
    pub deny: Vec<Dest>,
    /// As [`Workload::strict_dns`].
    pub strict_dns: bool,
    pub name_span: Span,
}

/// `host NAME {...} -> ...`: an allow-list for the own traffic of the nodes whose labels match
/// (every node without a selector), isolating them as an `app` statement isolates its pods.
#[derive(Clone, Debug)]
pub struct HostWorkload {
    pub name: String,
    /// The nodes' labels (empty: every node).
    pub nodes: LabelSelector,
    pub allow: Vec<Dest>,
    pub deny: Vec<Dest>,
    /// As [`Workload::strict_dns`].
    pub strict_dns: bool,
    pub name_span: Span,
}

/// `reserved IDENTITY -> ...`: an allow-list for the endpoints of one of Cilium's reserved
/// identities, isolating them as an `app` statement isolates its pods.
#[derive(Clone, Debug)]
pub struct ReservedWorkload {
    pub identity: crate::model::Reserved,
    pub allow: Vec<Dest>,
    pub deny: Vec<Dest>,
    /// As [`Workload::strict_dns`].
    pub strict_dns: bool,
    pub name_span: Span,
}

/// A parameter of a definition, for documentation and editors.
#[derive(Clone, Debug)]
pub struct ParamInfo {
    pub name: String,
    pub types: Vec<String>,
    pub default: Option<String>,
}

/// A definition, for documentation and editors (`explain NAME`, hover, go-to-definition).
#[derive(Clone, Debug)]
pub struct DefInfo {
    pub name: String,
    pub params: Vec<ParamInfo>,
    pub doc: Option<String>,
    pub span: Span,
    pub name_span: Span,
    pub from_stdlib: bool,
}

impl DefInfo {
    /// `rds(db: cidr | host, port: port = 5432)`
    pub fn signature(&self) -> String {
        if self.params.is_empty() {
            return self.name.clone();
        }
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| {
                let mut s = format!("{}: {}", p.name, p.types.join(" | "));
                if let Some(d) = &p.default {
                    s.push_str(" = ");
                    s.push_str(d);
                }
                s
            })
            .collect();
        format!("{}({})", self.name, params.join(", "))
    }
}

/// The values of `set KEY = VALUE`, by key. Which keys exist, what they take and their defaults
/// are declared by the lints that read them (`lint::settings`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    values: BTreeMap<&'static str, SettingValue>,
}

/// A checked setting value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettingValue {
    /// `set wide-port-range = 100`
    Number(u32),
    /// `set pod-cidrs = 10.244.0.0/16, fd00:10:244::/56`
    Cidrs(Vec<IpNet>),
    /// `set cluster-name = cluster1`
    Name(String),
}

impl Settings {
    pub fn get(&self, key: &str) -> Option<&SettingValue> {
        self.values.get(key)
    }

    pub fn set(&mut self, key: &'static str, value: SettingValue) {
        self.values.insert(key, value);
    }
}

/// `@allow(W0102, "reason")` or `@allow(wide-private-cidr, "reason")`: the lint `code` is
/// silenced within `statement`.
#[derive(Clone, Debug)]
pub struct Suppression {
    pub code: Code,
    pub statement: Span,
}

/// `expect payments-api -> 10.20.30.7:5432/tcp allow`, checked. Outside the crate only its
/// span is read; [`crate::verify::expect`] turns it into flows.
#[derive(Clone, Debug)]
pub struct Expectation {
    pub(crate) namespace: String,
    /// Labels of a pod the workload selects (of a node, for a host statement).
    pub(crate) source: std::collections::BTreeMap<String, String>,
    /// The source is a node's own traffic (a `host` statement).
    pub(crate) host: bool,
    /// The source is an endpoint of this reserved identity (a `reserved` statement).
    pub(crate) reserved: Option<crate::model::Reserved>,
    /// The destinations, expanded (a name such as `metadata` gives several).
    pub(crate) dests: Vec<Dest>,
    /// `resolving ADDRESS` for a host name.
    pub(crate) resolving: Option<std::net::IpAddr>,
    pub(crate) allow: bool,
    /// The program's cluster facts, which place pods, nodes and the API server in the flows.
    pub(crate) cluster: ClusterFacts,
    pub span: Span,
}

/// The whole checked program.
#[derive(Clone, Debug, Default)]
pub struct Program {
    pub workloads: Vec<Workload>,
    pub default_denies: Vec<DefaultDeny>,
    pub guardrails: Vec<Guardrail>,
    pub cluster_workloads: Vec<ClusterWorkload>,
    pub host_workloads: Vec<HostWorkload>,
    pub reserved_workloads: Vec<ReservedWorkload>,
    pub defs: Vec<DefInfo>,
    /// Each namespace and where it is first declared.
    pub namespaces: Vec<(String, Span)>,
    /// Definitions used by a statement, directly or through other definitions.
    pub used_defs: BTreeSet<String>,
    pub settings: Settings,
    /// The cluster facts among the settings (`set pod-cidrs`, `set node-cidrs`, ...).
    pub cluster: ClusterFacts,
    pub suppressions: Vec<Suppression>,
    pub expectations: Vec<Expectation>,
    /// The cluster's DNS server (`set dns-server`, else the CoreDNS pods): pods or addresses.
    pub dns_server: Vec<Peer>,
}
