//! W0101 `no-dns`: an `app` or `pods` statement without a DNS allowance.

use crate::check::checked::Workload;
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::Policy;
use crate::lint::helpers::{describe, is_dns, surely_selects};
use crate::lint::{Check, Context, Rule};

pub const RULE: Rule = Rule {
    code: Code::W0101,
    name: "no-dns",
    explanation: EXPLANATION,
    settings: &[],
    check: Check::Workload(check),
};

const EXPLANATION: &str = r#"# W0101: egress without DNS (`no-dns`)

## What it does

Checks for `app` and `pods` statements that allow some destinations but not the cluster DNS.

egressc counts as DNS an allowance to the pods `k8s-app=kube-dns` in `kube-system` on UDP 53 (as
the standard library's `dns` writes it), or to an address on UDP port 53, such as a node-local DNS
cache at `169.254.20.10:53/udp`.

## Why is this bad?

Once an egress policy selects a pod, everything it does not allow is dropped, DNS lookups
included: the pods can still connect to the addresses they were given, but every name lookup (of a
service, a database host name, an external API) hangs until it times out. This is the most common
reason a newly isolated workload "cannot connect to anything", and the failure shows up as slow
timeouts rather than as a clear error.

Add `dns` (or `strict-dns`) to the statement. If the pods really resolve no names, silence the
warning for that statement with `@allow(no-dns, "connects by address only")` on the line above it.

## Example

```egress
namespace payments
default deny
app payments-api -> rds(10.20.30.0/24)
```

egressc says `` app `payments-api` has no DNS allowance ``, with the label
`every name lookup of these pods will hang`.

Use instead:

```egress
namespace payments
default deny
app payments-api -> dns, rds(10.20.30.0/24)
```

The pods may look names up through the cluster DNS (UDP and TCP 53) and reach their database.
"#;

fn check(cx: &Context<'_>, w: &Workload, _policy: &Policy, found: &mut Vec<Diagnostic>) {
    // `-> none` allows nothing, so no lookup can hang: nothing to warn about.
    let server = &cx.program.dns_server;
    if w.allow.is_empty() || w.allow.iter().any(|t| is_dns(t, server)) {
        return;
    }
    // A cluster-wide allow-list that surely selects every pod of the workload and allows DNS
    // allows it to them too (policies form a union).
    let covered = cx.program.cluster_workloads.iter().any(|c| {
        surely_selects(&c.subject, &w.namespace, &w.selector)
            && c.allow.iter().any(|t| is_dns(t, server))
    });
    if covered {
        return;
    }
    found.push(
        Diagnostic::new(
            Code::W0101,
            w.name_span,
            format!("{} has no DNS allowance", describe(w)),
        )
        .label("every name lookup of these pods will hang")
        .note(
            "once an egress policy selects a pod, everything not allowed is dropped, DNS included",
        )
        .help("add `dns` (or `strict-dns`) to its destinations"),
    );
}
