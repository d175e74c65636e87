//! W0105 `no-default-deny`: a namespace with workloads and no `default deny`.

use std::collections::BTreeSet;

use crate::diagnostics::{Code, Diagnostic};
use crate::lint::helpers::surely_selects;
use crate::lint::{Check, Context, Rule};

pub const RULE: Rule = Rule {
    code: Code::W0105,
    name: "no-default-deny",
    explanation: EXPLANATION,
    settings: &[],
    check: Check::Program(check),
};

const EXPLANATION: &str = r#"# W0105: namespace without default deny (`no-default-deny`)

## What it does

Checks for namespaces that have `app` or `pods` statements but no `default deny`.

## Why is this bad?

Kubernetes isolates a pod for egress only when some policy selects it: the statements restrict the
pods they select, and every other pod of the namespace (a new deployment, a debug pod, a job, a
compromised sidecar) may still reach anything, the cloud metadata endpoint included. A policy set
that looks complete leaves exactly the unexpected pods unrestricted.

Add `default deny` under the `namespace` line: every pod of the namespace is then isolated for
egress, and may reach only what a statement that selects it allows. Check first that every workload
of the namespace has a statement, including `dns`, since pods without one lose all egress. To
silence the warning for a namespace that is deliberately open, put
`@allow(no-default-deny, "reason")` above its first `namespace` line.

## Example

```egress
namespace payments
app payments-api -> dns, rds(10.20.30.0/24)
```

egressc says `` namespace `payments` has workloads but no `default deny` ``, with the label
`pods without a statement of their own may reach anything`.

Use instead:

```egress
namespace payments
default deny
app payments-api -> dns, rds(10.20.30.0/24)
```

Every pod of `payments` is isolated for egress; the payments API may reach DNS and its database.
"#;

fn check(cx: &Context<'_>, found: &mut Vec<Diagnostic>) {
    let program = cx.program;
    let with_workloads: BTreeSet<&str> = program
        .workloads
        .iter()
        .map(|w| w.namespace.as_str())
        .collect();
    let with_default: BTreeSet<&str> = program
        .default_denies
        .iter()
        .map(|d| d.namespace.as_str())
        .collect();
    for (ns, span) in &program.namespaces {
        let has_workloads = with_workloads.contains(ns.as_str());
        // A cluster-wide allow-list that surely selects every pod of the namespace isolates
        // them as `default deny` would.
        let has_default = with_default.contains(ns.as_str())
            || program
                .cluster_workloads
                .iter()
                .any(|c| surely_selects(&c.subject, ns, &crate::model::LabelSelector::default()));
        if has_workloads && !has_default {
            found.push(
                Diagnostic::new(
                    Code::W0105,
                    *span,
                    format!("namespace `{ns}` has workloads but no `default deny`"),
                )
                .label("pods without a statement of their own may reach anything")
                .help(format!("add `default deny` under `namespace {ns}`")),
            );
        }
    }
}
