//! W0120 `http-on-tls-port`: an HTTP allowance on port 443, where clients speak TLS.

use crate::check::checked::Workload;
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::Policy;
use crate::lint::helpers::describe;
use crate::lint::{Check, Context, Rule};
use crate::model::{Peer, Proto};

pub const RULE: Rule = Rule {
    code: Code::W0120,
    name: "http-on-tls-port",
    explanation: EXPLANATION,
    settings: &[],
    check: Check::Workload(check),
};

const EXPLANATION: &str = r#"# W0120: an HTTP rule on port 443 (`http-on-tls-port`)

## What it does

Checks for `http(...)` allowances whose ports hold 443, the port of HTTPS.

## Why is this bad?

An HTTP rule is enforced by a proxy that reads each request: Cilium sends the port's traffic
through its HTTP proxy, which reads plain HTTP only. HTTPS is TLS, so the proxy cannot read the
requests inside it, and every HTTPS connection on that port is refused: the statement allows
none of the requests it names. Port 443 almost always carries TLS.

Allow the destination on 443 without `http(...)` (TLS hides the requests, so they cannot be
told apart), or write the HTTP rule for the plain-HTTP port the workload really uses. If the
port does carry plain HTTP, say so with `@allow(http-on-tls-port, "reason")` on the line above
the statement.

## Example

```egress
namespace shop
default deny
app checkout -> dns, http(api.example.com:443, method = GET)
```

egressc says `` app `checkout` has an HTTP rule on port 443, where clients speak TLS ``.

Use instead:

```egress target=cilium
namespace shop
default deny
app checkout -> dns, https(api.example.com)
```

The app may open TLS connections to `api.example.com` on port 443, whatever requests they carry.
"#;

fn check(_cx: &Context<'_>, w: &Workload, _policy: &Policy, found: &mut Vec<Diagnostic>) {
    for t in &w.allow {
        let tls = t
            .ports
            .is_some_and(|r| r.proto == Proto::Tcp && r.first <= 443 && 443 <= r.last);
        if tls && matches!(t.peer, Peer::Http { .. }) {
            found.push(
                Diagnostic::new(
                    Code::W0120,
                    t.origin,
                    format!(
                        "{} has an HTTP rule on port 443, where clients speak TLS",
                        describe(w)
                    ),
                )
                .label("an HTTP rule on a TLS port")
                .note("the proxy that enforces HTTP rules reads plain HTTP only: it refuses every TLS connection there")
                .help("allow the destination on 443 without `http(...)`, or write the HTTP rule for the plain-HTTP port"),
            );
        }
    }
}
