//! A stable text form of the IR, for snapshots and `egressc build --emit ir`.

use std::fmt::Write as _;

use super::{PolicyKind, Program, Rule};

fn rule_line(out: &mut String, verb: &str, r: &Rule) {
    let peers: Vec<String> = r.peers.iter().map(ToString::to_string).collect();
    let _ = writeln!(out, "  {verb} {} on {}", peers.join(", "), r.ports);
}

/// One line per policy header and per rule.
pub fn dump(program: &Program) -> String {
    let mut out = String::new();
    for p in &program.policies {
        let what = match &p.kind {
            PolicyKind::App { app } => format!("app {app}"),
            PolicyKind::Pods { name } => format!("pods {name}"),
            PolicyKind::DefaultDeny => "default deny".to_owned(),
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
    for g in &program.guardrails {
        let _ = writeln!(out, "guardrail {} selects every pod", g.name);
        for r in &g.deny {
            rule_line(&mut out, "deny", r);
        }
    }
    out
}
