//! The checked program: names resolved, definitions expanded, every value validated. This is
//! the only input of lowering (`ir::lower`).

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

/// The whole checked program.
#[derive(Clone, Debug, Default)]
pub struct Program {
    pub workloads: Vec<Workload>,
    pub default_denies: Vec<DefaultDeny>,
    pub guardrails: Vec<Guardrail>,
    pub defs: Vec<DefInfo>,
}
