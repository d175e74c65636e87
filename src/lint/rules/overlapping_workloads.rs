//! W0110 `overlapping-workloads`: statements of one namespace that may select the same pods.

use std::collections::BTreeMap;

use crate::check::checked::Workload;
use crate::diagnostics::{Code, Diagnostic};
use crate::lint::helpers::describe;
use crate::lint::{Check, Context, Rule};
use crate::model::{LabelSelector, overlapping_pairs};

pub const RULE: Rule = Rule {
    code: Code::W0110,
    name: "overlapping-workloads",
    explanation: EXPLANATION,
    settings: &[],
    check: Check::Program(check),
};

const EXPLANATION: &str = r#"# W0110: statements select overlapping pods (`overlapping-workloads`)

## What it does

Checks for statements of one namespace that may select the same pods: an `app NAME` (the label
`app=NAME`) and a `pods NAME {...}` selector that a pod with that label could also match, or two
`pods` selectors that do not exclude each other. The warning is on each statement that overlaps
earlier ones, and names all of them; its note lists what a pod selected by all of them may reach.

## Why is this bad?

Egress policies are a union: a pod selected by both may reach everything either statement allows,
and neither narrows the other. A pod labelled `app=payments-api` and `tier=web` would get the web
tier's allowances as well as its own, which is rarely what either statement's author intended.

Make the selectors disjoint, for example by excluding the other workload
(`{tier=web, app notin (payments-api)}`), or merge the statements into one if the pods are meant to
be the same.

## Example

```egress
namespace payments
default deny
app payments-api -> dns, rds(10.20.30.0/24)
pods web-tier {tier=web} -> dns, 10.30.0.0/24:443
```

egressc says
`` workload `web-tier` may select the same pods as app `payments-api` in `payments` ``, with the
note `egress policies are a union: each adds allowances and none narrows another`.

Use instead:

```egress
namespace payments
default deny
app payments-api -> dns, rds(10.20.30.0/24)
pods web-tier {tier=web, app notin (payments-api)} -> dns, 10.30.0.0/24:443
```

No pod can match both selectors, so each pod gets the allowances of exactly one statement.
"#;

fn check(cx: &Context<'_>, found: &mut Vec<Diagnostic>) {
    let program = cx.program;
    let selectors: Vec<(&str, &LabelSelector)> = program
        .workloads
        .iter()
        .map(|w| (w.namespace.as_str(), &w.selector))
        .collect();
    let mut earlier_of: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, j) in overlapping_pairs(&selectors) {
        earlier_of.entry(j).or_default().push(i);
    }
    for (j, earlier) in earlier_of {
        let Some(b) = program.workloads.get(j) else {
            continue;
        };
        let earlier: Vec<&Workload> = earlier
            .iter()
            .filter_map(|i| program.workloads.get(*i))
            .collect();
        let mut combined: Vec<String> = earlier
            .iter()
            .flat_map(|a| a.allow.iter())
            .chain(&b.allow)
            .map(|t| match t.ports {
                Some(r) => format!("{} on {r}", t.peer),
                None => format!("{}", t.peer),
            })
            .collect();
        combined.sort();
        combined.dedup();
        let names: Vec<String> = earlier.iter().map(|a| describe(a)).collect();
        let mut d = Diagnostic::new(
            Code::W0110,
            b.name_span,
            format!(
                "{} may select the same pods as {} in `{}`",
                describe(b),
                names.join(", "),
                b.namespace
            ),
        )
        .label(format!("selects {}", b.selector));
        for a in &earlier {
            d = d.secondary(a.name_span, format!("selects {}", a.selector));
        }
        found.push(
            d.note("egress policies are a union: each adds allowances and none narrows another")
                .note(format!("pods selected by all of them may reach: {}", combined.join(", ")))
                .help("make the selectors disjoint (e.g. add `!app` to a `pods` selector), or merge the statements"),
        );
    }
}
