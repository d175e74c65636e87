//! W0103 `metadata-reachable`: an allowed range holds the cloud metadata endpoint and nothing
//! denies it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::check::checked::Dest;
use crate::check::checked::Workload;
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::Policy;
use crate::lint::helpers::describe;
use crate::lint::{Check, Context, Rule};
use crate::model::Peer;

pub const RULE: Rule = Rule {
    code: Code::W0103,
    name: "metadata-reachable",
    explanation: EXPLANATION,
    settings: &[],
    check: Check::Workload(check),
};

const EXPLANATION: &str = r#"# W0103: cloud metadata endpoint reachable (`metadata-reachable`)

## What it does

Checks for allowed ranges (and `any`) that contain the cloud instance metadata endpoint, 169.254.169.254 (AWS,
GCP, Azure and others) or fd00:ec2::254 (AWS over IPv6), when nothing denies it. Only a deny of
every port counts, in the statement or in a cluster-wide guardrail; a deny of some ports of the
endpoint leaves the others open.

## Why is this bad?

The endpoint hands out the node's cloud credentials and configuration to anything that asks: a pod
that can reach it can often act with the node's IAM role, and a server-side request forgery in the
app becomes a credential leak. Broad allowances such as `internet`, `0.0.0.0/0` or
`169.254.0.0/16` include it without saying so.

Add `deny metadata` to the statement: the standard library's `metadata` holds both addresses, and
the deny is carved out of the allowance (native) or becomes a deny rule (Cilium, Calico). A
cluster-wide guardrail `cluster NAME deny metadata` also counts, on targets that support it.

## Example

```egress
namespace payments
default deny
app proxy -> dns, internet:443/tcp
```

egressc says `` app `proxy` may reach the cloud metadata endpoint 169.254.169.254 ``, with the note
`the metadata endpoint hands out the node's cloud credentials`.

Use instead:

```egress
namespace payments
default deny
app proxy -> dns, internet:443/tcp deny metadata
```

The proxy may reach any address on TCP 443 except the metadata endpoint, in both IP families.
"#;

const METADATA_V4: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);
const METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);

/// Whether a deny list denies every port of `addr`.
fn denies(deny: &[Dest], addr: IpAddr) -> bool {
    deny.iter()
        .any(|t| t.ports.is_none() && covers(&t.peer, addr))
}

/// Whether a destination takes in `addr`: a range holding it, or `any`.
fn covers(peer: &Peer, addr: IpAddr) -> bool {
    match peer {
        Peer::Net(n) => n.contains(&addr),
        Peer::Any => true,
        // The metadata endpoint is not a pod's, a node's or the API server's address.
        Peer::Host(_)
        | Peer::Pods { .. }
        | Peer::RemotePods { .. }
        | Peer::ServiceAccount { .. }
        | Peer::Service { .. }
        | Peer::ApiServer
        | Peer::Nodes(_)
        | Peer::Cluster => false,
        // Some HTTP requests to the endpoint still reach it.
        // And so do some TLS connections.
        // And so does a DNS allowance for some names, with whatever carries no lookup.
        Peer::Http { peer, .. } | Peer::Tls { peer, .. } | Peer::Dns { peer, .. } => {
            covers(peer, addr)
        }
    }
}

fn check(cx: &Context<'_>, w: &Workload, _policy: &Policy, found: &mut Vec<Diagnostic>) {
    // Whether a guardrail denies each metadata address, whatever the workload.
    let endpoints: Vec<(IpAddr, bool)> = [IpAddr::V4(METADATA_V4), IpAddr::V6(METADATA_V6)]
        .into_iter()
        .map(|addr| {
            let guarded = cx.program.guardrails.iter().any(|g| denies(&g.deny, addr));
            (addr, guarded)
        })
        .collect();
    for (addr, guarded) in &endpoints {
        let addr = *addr;
        if *guarded || denies(&w.deny, addr) {
            continue;
        }
        if let Some(t) = w.allow.iter().find(|t| covers(&t.peer, addr)) {
            found.push(
                Diagnostic::new(
                    Code::W0103,
                    t.origin,
                    format!("{} may reach the cloud metadata endpoint {addr}", describe(w)),
                )
                .label(match t.peer {
                    Peer::Any => format!("every destination, {addr} included"),
                    _ => format!("this range includes {addr}"),
                })
                .note("the metadata endpoint hands out the node's cloud credentials")
                .help("add `deny metadata` to the statement (or a cluster-wide `cluster NAME deny metadata` guardrail)"),
            );
            // One warning per statement is enough: `deny metadata` covers both families.
            break;
        }
    }
}
