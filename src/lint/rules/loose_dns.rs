//! W0108 `loose-dns`: an app reaches host names but allows every DNS lookup.

use crate::check::checked::Workload;
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::Policy;
use crate::lint::helpers::{describe, is_dns};
use crate::lint::{Check, Context, Rule};
use crate::model::Peer;

pub const RULE: Rule = Rule {
    code: Code::W0108,
    name: "loose-dns",
    explanation: EXPLANATION,
    settings: &[],
    check: Check::Workload(check),
};

const EXPLANATION: &str = r#"# W0108: loose DNS where the strict form would do (`loose-dns`)

## What it does

Checks for apps that reach host names and allow DNS with `dns`, the loose form. The warning is
reported whatever the target, as the same source may be built for several.

## Why is this bad?

On Cilium, host names work through the DNS proxy, and with `dns` the proxy answers every lookup of
these pods (`matchPattern: "*"`). The app can resolve any name on the internet, which is what DNS
tunnelling and exfiltration need, although its policy names only a few hosts. `strict-dns` is the
same allowance, but the proxy answers only the host names the app may reach, plus in-cluster names
under `cluster.local` (services, and the resolver's search-path expansions), and refuses every
other lookup. The other targets cannot refuse a lookup by name, so they refuse `strict-dns`
(E0539): a program built for them keeps `dns`.

Write `strict-dns` instead of `dns` (or list the names with `dns(name = ...)`). Keep `dns` (and
silence the warning with `@allow(loose-dns, "reason")`) for apps built for a target other than
Cilium, apps that must resolve names they never connect to through the policy, or that look up
relative names through node search domains such as `ec2.internal`, which the strict form refuses.

## Example

```egress target=cilium
namespace payments
default deny
app payments-api -> dns, fqdn(api.stripe.com:443)
```

egressc says `` app `payments-api` reaches 1 host name but allows every DNS lookup ``, with the
note `the app needs api.stripe.com`.

Use instead:

```egress target=cilium
namespace payments
default deny
app payments-api -> strict-dns, fqdn(api.stripe.com:443)
```

Cilium's DNS proxy answers lookups of `api.stripe.com` and of in-cluster names only.
"#;

fn check(cx: &Context<'_>, w: &Workload, policy: &Policy, found: &mut Vec<Diagnostic>) {
    let hosts: Vec<String> = policy
        .allow
        .iter()
        .flat_map(|r| r.peers.iter())
        .filter_map(|peer| match peer {
            Peer::Host(h) => Some(h.to_string()),
            _ => None,
        })
        .collect();
    if hosts.is_empty() || policy.strict_dns {
        return;
    }
    let Some(dns) = w
        .allow
        .iter()
        .find(|t| is_dns(t, &cx.program.dns_server) && matches!(t.peer, Peer::Pods { .. }))
    else {
        return;
    };
    found.push(
        Diagnostic::new(
            Code::W0108,
            dns.origin,
            format!("{} reaches {} host name{} but allows every DNS lookup", describe(w), hosts.len(), if hosts.len() == 1 { "" } else { "s" }),
        )
        .label("loose DNS: the proxy answers any name")
        .note(format!("the app needs {}", hosts.join(", ")))
        .help("on cilium, write `strict-dns` instead of `dns`: its DNS proxy then answers only these names (the other targets refuse name lists)"),
    );
}
