//! W0116 `undeclared-cluster-ranges`: an allowed address range, while the cluster's pod or
//! node ranges are not declared, so targets that match pods and nodes by address may reach
//! more than the source says.

use ipnet::IpNet;

use crate::check::checked::Workload;
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::Policy;
use crate::lint::helpers::push_describe;
use crate::lint::settings::{NODE_CIDRS, POD_CIDRS};
use crate::lint::{Check, Context, Rule};
use crate::model::{Peer, push_net};

pub const RULE: Rule = Rule {
    code: Code::W0116,
    name: "undeclared-cluster-ranges",
    explanation: EXPLANATION,
    settings: &[POD_CIDRS, NODE_CIDRS],
    check: Check::Workload(check),
};

const EXPLANATION: &str = r#"# W0116: address range while the pod or node ranges are undeclared (`undeclared-cluster-ranges`)

## What it does

Checks for statements that allow an address range while the program does not declare the
cluster's pod ranges (`set pod-cidrs = ...`) or node ranges (`set node-cidrs = ...`). Link-local
ranges (`169.254.0.0/16`, `fe80::/10`), where no pod or node lives, are exempt.

## Why is this bad?

An address range means the addresses in it outside the cluster: pods are reached with
`pods(...)` and nodes with `nodes`. Cilium's CIDR rules never match pods or nodes, but Calico's
`nets` match every address, and whether native `ipBlock` matches pods and nodes is left to the
network plugin (Calico's does). So on those targets `10.0.0.0/8:443` also reaches every pod and
node whose address falls in `10.0.0.0/8`, which the source never allowed.

When the ranges are declared, egressc cuts them out of every address rule (Calico `notNets`,
native `except`) and the statement means the same on every target. Without them it cannot, and
says so here.

## Example

```egress
namespace payments
default deny
app payments-api -> dns, 10.0.0.0/8:443
```

egressc says `` on Calico and native NetworkPolicy, `10.0.0.0/8` may also reach pods and nodes
whose addresses fall in it ``, with the label `an address range`.

Use instead:

```egress
set pod-cidrs = 10.244.0.0/16
set node-cidrs = 10.0.0.0/20
set service-cidrs = 10.96.0.0/12

namespace payments
default deny
app payments-api -> dns, 10.0.0.0/8:443
```

Calico writes `nets: [10.0.0.0/8]` with `notNets: [10.0.0.0/20, 10.96.0.0/12, 10.244.0.0/16]`,
native an `ipBlock` with the same `except` list: the app reaches TCP 443 on `10.0.0.0/8` outside
the cluster, and pods and nodes only where other destinations allow them.

## Options

- `set pod-cidrs = CIDR, ...`: the cluster's pod ranges.
- `set node-cidrs = CIDR, ...`: the nodes' addresses.
"#;

/// Link-local ranges: no pod or node has such an address.
fn link_local(n: &IpNet) -> bool {
    let local: [IpNet; 2] = [
        IpNet::V4(ipnet::Ipv4Net::new_assert(
            std::net::Ipv4Addr::new(169, 254, 0, 0),
            16,
        )),
        IpNet::V6(ipnet::Ipv6Net::new_assert(
            std::net::Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0),
            10,
        )),
    ];
    local.iter().any(|l| l.contains(n))
}

fn check(cx: &Context<'_>, w: &Workload, _policy: &Policy, found: &mut Vec<Diagnostic>) {
    let settings = &cx.program.settings;
    let undeclared = [(POD_CIDRS, "10.244.0.0/16"), (NODE_CIDRS, "10.0.0.0/20")]
        .map(|(s, example)| s.cidrs(settings).is_empty().then_some((s.key, example)));
    let what = match undeclared {
        [Some(_), Some(_)] => "pods and nodes",
        [Some(_), None] => "pods",
        [None, Some(_)] => "nodes",
        [None, None] => return,
    };
    let mut ranges = w.allow.iter().filter_map(|t| match &t.peer {
        Peer::Net(n) if !link_local(n) => Some((n, t.origin)),
        _ => None,
    });
    let Some((first, origin)) = ranges.next() else {
        return;
    };
    let more = ranges.count();
    // The texts are built piece by piece: one finding per statement with a range, in
    // programs of thousands of statements.
    let mut help = String::with_capacity(80);
    help.push_str("declare them: ");
    for (i, (key, example)) in undeclared.iter().flatten().enumerate() {
        if i > 0 {
            help.push_str(" and ");
        }
        for part in ["`set ", key, " = ", example, "`"] {
            help.push_str(part);
        }
    }
    let mut message = String::with_capacity(100);
    message.push_str("on Calico and native NetworkPolicy, `");
    push_net(&mut message, first);
    for part in ["` may also reach ", what, " whose addresses fall in it"] {
        message.push_str(part);
    }
    let mut note = String::with_capacity(200 + w.name.len());
    for part in [
        "the cluster's ranges of ",
        what,
        " are not declared, so egressc cannot cut them out of the ranges ",
    ] {
        note.push_str(part);
    }
    push_describe(&mut note, w);
    note.push_str(
        " allows (Calico `notNets`, native `except`); Cilium never matches them by address",
    );
    let mut d = Diagnostic::new(Code::W0116, origin, message)
        .label("an address range")
        .note(note)
        .help(help);
    if more > 0 {
        d = d.note(format!("{more} more range(s) of this statement alike"));
    }
    found.push(d);
}
