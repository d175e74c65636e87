//! W0107 `unused-definition`: a `def` no statement uses.

use crate::diagnostics::{Code, Diagnostic};
use crate::lint::{Check, Context, Rule};

pub const RULE: Rule = Rule {
    code: Code::W0107,
    name: "unused-definition",
    explanation: EXPLANATION,
    settings: &[],
    check: Check::Program(check),
};

const EXPLANATION: &str = r#"# W0107: unused definition (`unused-definition`)

## What it does

Checks for definitions (`def`) of the program that no statement uses, directly or through other
definitions. Usage is counted over every file of the build; the standard library is exempt.

## Why is this bad?

An unused definition is dead policy: readers assume it is in force (a `legacy-db` that is no longer
reachable, a `partner-api` that was never wired in), and when it is finally used, nobody has
checked it against the current network for a long time. It can also be the trace of a typo, where a
statement spells out the destination again instead of naming the definition.

Use the definition in the statements it was meant for, or remove it. A file of shared definitions
that other files use is fine: build them together. To keep a definition for later, write
`@allow(unused-definition, "reason")` above it.

## Example

```egress
def legacy-db = rds(10.9.0.0/24)

namespace payments
default deny
app payments-api -> dns, rds(10.20.30.0/24)
```

egressc says `` definition `legacy-db` is never used ``, with the help
`use it in a statement, or remove it`.

Use instead:

```egress
def payments-db = rds(10.20.30.0/24)

namespace payments
default deny
app payments-api -> dns, payments-db
```

The definition names the destination once, and the statement uses it.
"#;

fn check(cx: &Context<'_>, found: &mut Vec<Diagnostic>) {
    let program = cx.program;
    for d in program.defs.iter().filter(|d| !d.from_stdlib) {
        if !program.used_defs.contains(&d.name) {
            found.push(
                Diagnostic::new(
                    Code::W0107,
                    d.name_span,
                    format!("definition `{}` is never used", d.name),
                )
                .label("not used by any statement")
                .help("use it in a statement, or remove it"),
            );
        }
    }
}
