//! W0122 `credential-in-header`: an HTTP allowance that requires a credential header's value,
//! which the policy then holds in clear text.

use crate::check::checked::Workload;
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::Policy;
use crate::lint::helpers::describe;
use crate::lint::{Check, Context, Rule};
use crate::model::Peer;

pub const RULE: Rule = Rule {
    code: Code::W0122,
    name: "credential-in-header",
    explanation: EXPLANATION,
    settings: &[],
    check: Check::Workload(check),
};

const EXPLANATION: &str = r#"# W0122: a credential in a header requirement (`credential-in-header`)

## What it does

Checks for `header = "NAME: VALUE"` in `http(...)` where the header carries a credential:
`Authorization`, `Proxy-Authorization`, `Cookie`, `X-Api-Key`, `Api-Key`, `X-Auth-Token`,
`X-Access-Token`, `X-Amz-Security-Token`.

## Why is this bad?

The value is written into the policy as it stands: into the source, into its history, and
into the emitted object, which whoever may read network policies in the namespace reads
(`kubectl get ciliumnetworkpolicies -o yaml`). A token or key there is disclosed to all of
them. It also breaks the policy each time the credential is rotated.

Require the header's presence (`header = Authorization`) and let the server check its value.
If the value is not secret (a fixed scheme, a public identifier), say so with
`@allow(credential-in-header, "reason")` on the line above the statement.

## Example

```egress
namespace shop
default deny
app checkout -> dns, http(api.example.com:80, header = "Authorization: Bearer 3f9a1c")
```

egressc says `` app `checkout` writes the value of its `authorization` header into the policy ``.

Use instead:

```egress target=cilium
namespace shop
default deny
app checkout -> dns, http(api.example.com:80, header = Authorization)
```
"#;

/// The headers that carry credentials.
const CREDENTIALS: [&str; 8] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
    "api-key",
    "x-auth-token",
    "x-access-token",
    "x-amz-security-token",
];

fn check(_cx: &Context<'_>, w: &Workload, _policy: &Policy, found: &mut Vec<Diagnostic>) {
    for t in &w.allow {
        let Peer::Http { http, .. } = &t.peer else {
            continue;
        };
        let names: Vec<&str> = http
            .headers
            .iter()
            .filter(|h| h.value.is_some() && CREDENTIALS.contains(&h.name.as_str()))
            .map(|h| h.name.as_str())
            .collect();
        let Some(first) = names.first() else {
            continue;
        };
        let what = match names.as_slice() {
            [one] => format!("the value of its `{one}` header"),
            many => format!("the values of its `{}` headers", many.join("`, `")),
        };
        found.push(
            Diagnostic::new(
                Code::W0122,
                t.origin,
                format!("{} writes {what} into the policy", describe(w)),
            )
            .label("a credential in clear text")
            .note("whoever may read network policies in the namespace reads the value")
            .help(format!(
                "require the header's presence (`header = {first}`) and let the server check its value"
            )),
        );
    }
}
