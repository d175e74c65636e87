//! W0104 `single-ip-family`: `0.0.0.0/0` allowed without `::/0`, or the reverse.

use ipnet::IpNet;

use crate::check::checked::Workload;
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::Policy;
use crate::lint::helpers::push_describe;
use crate::lint::{Check, Context, Rule};
use crate::model::Peer;

pub const RULE: Rule = Rule {
    code: Code::W0104,
    name: "single-ip-family",
    explanation: EXPLANATION,
    settings: &[],
    check: Check::Workload(check),
};

const EXPLANATION: &str = r#"# W0104: any-address allowance in one IP family only (`single-ip-family`)

## What it does

Checks for statements that allow every IPv4 address (`0.0.0.0/0`) but no IPv6 address, or every
IPv6 address (`::/0`) but no IPv4 address.

## Why is this bad?

In a dual-stack cluster, or when a destination resolves to both families, the connections of the
other family are dropped: clients that try IPv6 first stall until they fall back, and IPv6-only
destinations are unreachable. The result is intermittent and depends on DNS answers, so it is hard
to trace back to the policy. Usually the other family was simply forgotten.

Allow both, most simply with the standard library's `internet`, which holds `0.0.0.0/0` and `::/0`,
and pair it with `deny metadata`. If dropping the other family is intended, say so with
`@allow(single-ip-family, "reason")` on the line above the statement.

## Example

```egress
namespace payments
default deny
app webhooks -> dns, 0.0.0.0/0:443/tcp deny metadata
```

egressc says `` app `webhooks` may reach every IPv4 address but no IPv6 address ``, with the label
`` `0.0.0.0/0` without `::/0` ``.

Use instead:

```egress
namespace payments
default deny
app webhooks -> dns, internet:443/tcp deny metadata
```

The app may reach TCP 443 on any IPv4 or IPv6 address, except the metadata endpoint.
"#;

fn check(_cx: &Context<'_>, w: &Workload, _policy: &Policy, found: &mut Vec<Diagnostic>) {
    let any = |v4: bool| {
        w.allow.iter().find(|t| {
            matches!(&t.peer, Peer::Net(n) if n.prefix_len() == 0 && matches!(n, IpNet::V4(_)) == v4)
        })
    };
    let message = |rest: &str| {
        let mut m = String::with_capacity(w.name.len() + 11 + rest.len());
        push_describe(&mut m, w);
        m.push_str(rest);
        m
    };
    match (any(true), any(false)) {
        (Some(t), None) => found.push(
            Diagnostic::new(Code::W0104, t.origin, message(" may reach every IPv4 address but no IPv6 address"))
                .label("`0.0.0.0/0` without `::/0`")
                .help("add `::/0` too (or use `internet`, which holds both), unless IPv6 egress is meant to be dropped"),
        ),
        (None, Some(t)) => found.push(
            Diagnostic::new(Code::W0104, t.origin, message(" may reach every IPv6 address but no IPv4 address"))
                .label("`::/0` without `0.0.0.0/0`")
                .help("add `0.0.0.0/0` too (or use `internet`, which holds both), unless IPv4 egress is meant to be dropped"),
        ),
        _ => {}
    }
}
