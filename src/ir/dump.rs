//! A stable text form of the IR, for snapshots and `egressc build --emit ir`.

use std::fmt::Write as _;

use super::{PolicyKind, Program, Rule};
use crate::model::Subject;

fn rule_line(out: &mut String, verb: &str, r: &Rule) {
    let peers: Vec<String> = r.peers.iter().map(ToString::to_string).collect();
    let _ = writeln!(out, "  {verb} {} on {}", peers.join(", "), r.ports);
}

/// What a cluster-wide statement selects: `every pod`, or its pods and namespaces.
fn selection(s: &Subject) -> String {
    if s.is_every_pod() {
        "every pod".to_owned()
    } else {
        s.to_string()
    }
}

/// One line per policy header and per rule.
pub fn dump(program: &Program) -> String {
    let mut out = String::new();
    for p in &program.policies {
        let what = match &p.kind {
            PolicyKind::App { app } => format!("app {app}"),
            PolicyKind::Pods { name } => format!("pods {name}"),
            PolicyKind::DefaultDeny => "default deny".to_owned(),
            PolicyKind::Cluster { name } => format!("cluster {name}"),
            PolicyKind::Host { name } => format!("host {name}"),
            PolicyKind::Reserved { identity } => format!("reserved {}", identity.name()),
        };
        let _ = writeln!(
            out,
            "policy {}/{} ({what}) selects {}",
            p.namespace, p.name, p.selector
        );
        for r in &p.allow {
            rule_line(&mut out, "allow", r);
        }
        for r in &p.deny {
            rule_line(&mut out, "deny", r);
        }
    }
    for c in &program.cluster_policies {
        let _ = writeln!(
            out,
            "cluster policy {} selects {}",
            c.policy.name,
            selection(&c.subject)
        );
        for r in &c.policy.allow {
            rule_line(&mut out, "allow", r);
        }
        for r in &c.policy.deny {
            rule_line(&mut out, "deny", r);
        }
    }
    for h in &program.host_policies {
        let nodes = if h.policy.selector.reqs.is_empty() {
            "every node".to_owned()
        } else {
            format!("nodes{}", h.policy.selector)
        };
        let _ = writeln!(out, "host policy {} selects {nodes}", h.policy.name);
        for r in &h.policy.allow {
            rule_line(&mut out, "allow", r);
        }
        for r in &h.policy.deny {
            rule_line(&mut out, "deny", r);
        }
    }
    for r in &program.reserved_policies {
        let _ = writeln!(
            out,
            "reserved policy {} selects the endpoints of reserved:{}",
            r.policy.name,
            r.identity.name()
        );
        for rule in &r.policy.allow {
            rule_line(&mut out, "allow", rule);
        }
        for rule in &r.policy.deny {
            rule_line(&mut out, "deny", rule);
        }
    }
    for g in &program.guardrails {
        let _ = writeln!(
            out,
            "guardrail {} selects {}",
            g.name,
            selection(&g.subject)
        );
        for r in &g.deny {
            rule_line(&mut out, "deny", r);
        }
    }
    out
}
