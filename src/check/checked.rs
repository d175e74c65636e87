//! The checked program: names resolved, definitions expanded, every value validated. This is
//! the only input of lowering (`ir::lower`).

use std::collections::BTreeSet;

use ipnet::IpNet;

use crate::diagnostics::Code;
use crate::model::{LabelSelector, Peer, PortRange};
use crate::source::Span;

/// One destination after expansion, with the span of the user's source construct it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
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
#[derive(Clone, Debug)]
pub struct Workload {
    pub namespace: String,
    pub name: String,
    pub kind: WorkloadKind,
    pub selector: LabelSelector,
    pub allow: Vec<Target>,
    pub deny: Vec<Target>,
    /// The allow list reaches DNS through `strict-dns` only (never through plain `dns`):
    /// targets with a DNS proxy answer only the names the workload may reach. When both forms
    /// are used, the loose one wins, as allowances are a union.
    pub strict_dns: bool,
    pub span: Span,
    pub name_span: Span,
}

/// `default deny` in a namespace.
#[derive(Clone, Debug)]
pub struct DefaultDeny {
    pub namespace: String,
    pub span: Span,
}

/// `cluster NAME deny ...`: a guardrail for every pod of the cluster.
#[derive(Clone, Debug)]
pub struct Guardrail {
    pub name: String,
    pub deny: Vec<Target>,
    pub span: Span,
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

/// Lint thresholds and cluster facts, set in source with `set KEY = VALUE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// W0102: a private IPv4 range with a shorter prefix is "wide".
    pub wide_cidr_v4: u8,
    /// W0102: an IPv6 unique-local range with a shorter prefix is "wide".
    pub wide_cidr_v6: u8,
    /// W0111: a port range with more ports than this is "wide".
    pub wide_port_range: u32,
    /// W0109: the cluster's pod ranges.
    pub pod_cidrs: Vec<IpNet>,
    /// W0109: the cluster's service ranges.
    pub service_cidrs: Vec<IpNet>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            wide_cidr_v4: 20,
            wide_cidr_v6: 48,
            wide_port_range: 1000,
            pod_cidrs: Vec::new(),
            service_cidrs: Vec::new(),
        }
    }
}

/// `@allow(W0102, "reason")`: the lint `code` is silenced within `statement`.
#[derive(Clone, Debug)]
pub struct Suppression {
    pub code: Code,
    pub reason: String,
    pub statement: Span,
    pub span: Span,
}

/// `expect payments-api -> 10.20.30.7:5432/tcp allow`, checked.
#[derive(Clone, Debug)]
pub struct Expectation {
    pub namespace: String,
    pub workload: String,
    /// Labels of a pod the workload selects.
    pub source: std::collections::BTreeMap<String, String>,
    /// The destinations, expanded (a name such as `metadata` gives several).
    pub targets: Vec<Target>,
    /// `resolving ADDRESS` for a host name.
    pub resolving: Option<std::net::IpAddr>,
    pub allow: bool,
    pub span: Span,
}

/// The whole checked program.
#[derive(Clone, Debug, Default)]
pub struct Program {
    pub workloads: Vec<Workload>,
    pub default_denies: Vec<DefaultDeny>,
    pub guardrails: Vec<Guardrail>,
    pub defs: Vec<DefInfo>,
    /// Each namespace and where it is first declared.
    pub namespaces: Vec<(String, Span)>,
    /// Definitions used by a statement, directly or through other definitions.
    pub used_defs: BTreeSet<String>,
    pub settings: Settings,
    pub suppressions: Vec<Suppression>,
    pub expectations: Vec<Expectation>,
}
