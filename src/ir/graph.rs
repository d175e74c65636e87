//! A picture of who may reach what: every workload (grouped by namespace) with an edge to each
//! destination it is allowed (labelled with the ports) and a crossed edge to each it is denied;
//! a cluster guardrail is a node `every pod` with its denied edges. As Mermaid (which code hosts
//! draw in markdown) or Graphviz DOT, for `egressc graph` and the diff of a pull request.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::{PolicyKind, Program, Rule};

/// The form of the picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Mermaid,
    Dot,
}

/// An edge: from a workload to a destination, allowed or denied, with its ports.
struct Edge {
    from: usize,
    to: usize,
    allowed: bool,
    ports: String,
}

/// Nodes and edges, before they are drawn.
#[derive(Default)]
struct Picture {
    /// Workloads per namespace (`""`: the cluster), each with its node number.
    groups: BTreeMap<String, Vec<(usize, String)>>,
    /// Destinations, each with its node number.
    destinations: BTreeMap<String, usize>,
    edges: Vec<Edge>,
    nodes: usize,
}

impl Picture {
    fn workload(&mut self, namespace: &str, label: String) -> usize {
        let n = self.nodes;
        self.nodes += 1;
        self.groups
            .entry(namespace.to_owned())
            .or_default()
            .push((n, label));
        n
    }

    fn rules(&mut self, from: usize, rules: &[Rule], allowed: bool) {
        for r in rules {
            for p in &r.peers {
                let name = p.to_string();
                let to = match self.destinations.get(&name) {
                    Some(n) => *n,
                    None => {
                        let n = self.nodes;
                        self.nodes += 1;
                        self.destinations.insert(name, n);
                        n
                    }
                };
                self.edges.push(Edge {
                    from,
                    to,
                    allowed,
                    ports: r.ports.to_string(),
                });
            }
        }
    }
}

/// The workload a policy selects, as `egressc diff` names it (`payments/payments-api`), and the
/// label of its node.
fn names(kind: &PolicyKind, namespace: &str) -> Option<(String, String)> {
    match kind {
        PolicyKind::App { app } => Some((format!("{namespace}/{app}"), app.clone())),
        PolicyKind::Pods { name } => Some((format!("{namespace}/{name}"), format!("pods {name}"))),
        // Cluster-wide and host allow-lists are in `Program::cluster_policies` and
        // `Program::host_policies`, not drawn per namespace.
        PolicyKind::DefaultDeny
        | PolicyKind::Cluster { .. }
        | PolicyKind::Host { .. }
        | PolicyKind::Reserved { .. } => None,
    }
}

/// Draws the program; with `only`, just the workloads named there (`namespace/app`, and
/// `namespace/NAME` for a `pods NAME` statement) and the guardrails.
pub fn graph(program: &Program, style: Style, only: Option<&BTreeSet<String>>) -> String {
    let mut pic = Picture::default();
    for p in &program.policies {
        let Some((name, label)) = names(&p.kind, &p.namespace) else {
            continue;
        };
        if only.is_some_and(|o| !o.contains(&name)) {
            continue;
        }
        let from = pic.workload(&p.namespace, label);
        pic.rules(from, &p.allow, true);
        pic.rules(from, &p.deny, false);
    }
    for g in &program.guardrails {
        let from = pic.workload("", format!("every pod (cluster {})", g.name));
        pic.rules(from, &g.deny, false);
    }
    match style {
        Style::Mermaid => mermaid(&pic),
        Style::Dot => dot(&pic),
    }
}

/// Text inside a Mermaid label: quotes and the characters Mermaid reads as markup escaped.
fn mermaid_text(s: &str) -> String {
    s.replace('&', "#amp;")
        .replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
        .replace(['\r', '\n'], " ")
}

fn mermaid(pic: &Picture) -> String {
    let mut out = String::from("flowchart LR\n");
    for (i, (namespace, nodes)) in pic.groups.iter().enumerate() {
        let inner = !namespace.is_empty();
        let indent = if inner { "    " } else { "  " };
        if inner {
            let _ = writeln!(out, "  subgraph ns{i}[\"{}\"]", mermaid_text(namespace));
        }
        for (n, label) in nodes {
            let _ = writeln!(out, "{indent}n{n}[\"{}\"]", mermaid_text(label));
        }
        if inner {
            out.push_str("  end\n");
        }
    }
    for (name, n) in &pic.destinations {
        let _ = writeln!(out, "  n{n}([\"{}\"])", mermaid_text(name));
    }
    for e in &pic.edges {
        let ports = mermaid_text(&e.ports);
        if e.allowed {
            let _ = writeln!(out, "  n{} -->|\"{ports}\"| n{}", e.from, e.to);
        } else {
            let _ = writeln!(out, "  n{} --x|\"deny {ports}\"| n{}", e.from, e.to);
        }
    }
    out
}

/// A DOT string: quotes and backslashes escaped.
fn dot_text(s: &str) -> String {
    format!(
        "\"{}\"",
        s.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace(['\r', '\n'], " ")
    )
}

fn dot(pic: &Picture) -> String {
    let mut out = String::from("digraph egress {\n  rankdir=LR;\n  node [shape=box];\n");
    for (i, (namespace, nodes)) in pic.groups.iter().enumerate() {
        let inner = !namespace.is_empty();
        if inner {
            let _ = writeln!(
                out,
                "  subgraph cluster_{i} {{\n    label={};",
                dot_text(namespace)
            );
        }
        for (n, label) in nodes {
            let _ = writeln!(out, "    n{n} [label={}];", dot_text(label));
        }
        if inner {
            out.push_str("  }\n");
        }
    }
    for (name, n) in &pic.destinations {
        let _ = writeln!(out, "  n{n} [label={}, shape=ellipse];", dot_text(name));
    }
    for e in &pic.edges {
        if e.allowed {
            let _ = writeln!(
                out,
                "  n{} -> n{} [label={}];",
                e.from,
                e.to,
                dot_text(&e.ports)
            );
        } else {
            let _ = writeln!(
                out,
                "  n{} -> n{} [label={}, style=dashed, color=red, arrowhead=tee];",
                e.from,
                e.to,
                dot_text(&format!("deny {}", e.ports))
            );
        }
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::{dot_text, mermaid_text};

    #[test]
    fn text_cannot_end_a_label_or_start_markup() {
        assert_eq!(mermaid_text("a\"]b<i>&\nc"), "a#quot;]b#lt;i#gt;#amp; c");
        assert_eq!(dot_text("a\"b\\c\nd"), "\"a\\\"b\\\\c d\"");
    }
}
