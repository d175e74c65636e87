//! W0121 `tls-on-http-port`: a TLS allowance on port 80, where clients speak plain HTTP.

use crate::check::checked::Workload;
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::Policy;
use crate::lint::helpers::describe;
use crate::lint::{Check, Context, Rule};
use crate::model::{Peer, Proto};

pub const RULE: Rule = Rule {
    code: Code::W0121,
    name: "tls-on-http-port",
    explanation: EXPLANATION,
    settings: &[],
    check: Check::Workload(check),
};

const EXPLANATION: &str = r#"# W0121: a TLS rule on port 80 (`tls-on-http-port`)

## What it does

Checks for `tls(...)` allowances whose ports hold 80, the port of plain HTTP.

## Why is this bad?

A TLS rule allows only TLS connections whose ClientHello names one of its servers: Cilium's
proxy refuses every connection on the port that does not open with such a ClientHello. Plain
HTTP sends no ClientHello, so every plain-HTTP connection on that port is refused: the
statement allows nothing a client on port 80 usually sends.

Write the TLS rule for the port the workload speaks TLS on (443), or narrow plain HTTP with
`http(..., host = NAME)`, which matches the `Host` header. If the port does carry TLS, say so
with `@allow(tls-on-http-port, "reason")` on the line above the statement.

## Example

```egress
namespace shop
default deny
app checkout -> dns, tls(api.example.com:80, name = api.example.com)
```

egressc says `` app `checkout` has a TLS rule on port 80, where clients speak plain HTTP ``.

Use instead:

```egress target=cilium
namespace shop
default deny
app checkout -> dns, tls(api.example.com:443, name = api.example.com), http(api.example.com:80, host = api.example.com)
```

TLS connections on 443 must name `api.example.com`; plain-HTTP requests on 80 must carry it as
their `Host` header.
"#;

fn check(_cx: &Context<'_>, w: &Workload, _policy: &Policy, found: &mut Vec<Diagnostic>) {
    for t in &w.allow {
        let http = t
            .ports
            .is_some_and(|r| r.proto == Proto::Tcp && r.first <= 80 && 80 <= r.last);
        if http && matches!(t.peer, Peer::Tls { .. }) {
            found.push(
                Diagnostic::new(
                    Code::W0121,
                    t.origin,
                    format!(
                        "{} has a TLS rule on port 80, where clients speak plain HTTP",
                        describe(w)
                    ),
                )
                .label("a TLS rule on a plain-HTTP port")
                .note("a TLS rule refuses every connection that opens with no ClientHello naming one of its servers, as plain HTTP does")
                .help("write the TLS rule for the TLS port (443), or narrow plain HTTP with `http(..., host = NAME)`"),
            );
        }
    }
}
