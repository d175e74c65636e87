//! W0102 `wide-private-cidr`: a private address range wider than the threshold.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::check::checked::Workload;
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::Policy;
use crate::lint::helpers::{describe, group};
use crate::lint::settings::{Setting, Value};
use crate::lint::{Check, Context, Rule};
use crate::model::Peer;
use crate::source::Span;

pub const RULE: Rule = Rule {
    code: Code::W0102,
    name: "wide-private-cidr",
    explanation: EXPLANATION,
    settings: &[WIDE_CIDR_V4, WIDE_CIDR_V6],
    check: Check::Workload(check),
};

/// A private IPv4 range with a shorter prefix is wide.
const WIDE_CIDR_V4: Setting = Setting {
    key: "wide-cidr-v4",
    value: Value::Number {
        what: "a prefix length",
        min: 0,
        max: 32,
        default: 20,
    },
};

/// An IPv6 unique-local range with a shorter prefix is wide.
const WIDE_CIDR_V6: Setting = Setting {
    key: "wide-cidr-v6",
    value: Value::Number {
        what: "a prefix length",
        min: 0,
        max: 128,
        default: 48,
    },
};

const EXPLANATION: &str = r#"# W0102: wide private CIDR (`wide-private-cidr`)

## What it does

Checks for allowed private address ranges wider than a threshold: an IPv4 range inside
10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 with a prefix shorter than /20, or an IPv6
unique-local range (fc00::/7) shorter than /48. The message lists each wide range and how many
addresses it holds.

## Why is this bad?

A range like `10.20.0.0/16` (65,536 addresses) usually re-opens a whole VPC, with every database,
cache and admin interface in it, when the app needs one subnet.

Narrow the range to the subnets the app needs; a /24 for a database subnet is typical. For one
reviewed statement, write `@allow(wide-private-cidr, "reason")` on the line above it.

## Example

```egress
namespace payments
default deny
app payments-api -> dns, rds(10.20.0.0/16)
```

egressc says `` app `payments-api` may reach `10.20.0.0/16` (65,536 addresses) ``, with the label
`a wide private range`.

Use instead:

```egress
namespace payments
default deny
app payments-api -> dns, rds(10.20.30.0/24)
```

The app reaches the database subnet only, 256 addresses on TCP 5432.

## Options

If wide ranges are normal in your network, move the thresholds for the whole program:

- `set wide-cidr-v4 = N`: an IPv4 private range with a prefix shorter than /N is wide (default 20).
- `set wide-cidr-v6 = N`: an IPv6 unique-local range with a prefix shorter than /N is wide
  (default 48).
"#;

fn private_v4() -> [Ipv4Net; 3] {
    [
        Ipv4Net::new_assert(Ipv4Addr::new(10, 0, 0, 0), 8),
        Ipv4Net::new_assert(Ipv4Addr::new(172, 16, 0, 0), 12),
        Ipv4Net::new_assert(Ipv4Addr::new(192, 168, 0, 0), 16),
    ]
}

fn unique_local_v6() -> Ipv6Net {
    Ipv6Net::new_assert(Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7)
}

/// How many addresses a range holds: `65,536`, or `2^96` when too many to write out.
fn count(n: &IpNet) -> String {
    let bits = u32::from(n.max_prefix_len() - n.prefix_len());
    if bits >= 64 {
        return format!("2^{bits}");
    }
    group(1u64 << bits)
}

fn check(cx: &Context<'_>, w: &Workload, _policy: &Policy, found: &mut Vec<Diagnostic>) {
    let settings = &cx.program.settings;
    let (v4, v6) = (WIDE_CIDR_V4.number(settings), WIDE_CIDR_V6.number(settings));
    let mut by_origin: BTreeMap<Span, Vec<IpNet>> = BTreeMap::new();
    for t in &w.allow {
        let Peer::Net(n) = &t.peer else { continue };
        let wide = match n {
            IpNet::V4(n4) => {
                private_v4().iter().any(|p| p.contains(n4)) && u32::from(n.prefix_len()) < v4
            }
            IpNet::V6(n6) => unique_local_v6().contains(n6) && u32::from(n.prefix_len()) < v6,
        };
        if wide {
            by_origin.entry(t.origin).or_default().push(*n);
        }
    }
    for (origin, nets) in by_origin {
        let list: Vec<String> = nets
            .iter()
            .map(|n| format!("`{n}` ({} addresses)", count(n)))
            .collect();
        found.push(
            Diagnostic::new(Code::W0102, origin, format!("{} may reach {}", describe(w), list.join(", ")))
                .label("a wide private range")
                .note("a wide private range re-opens whole VPCs; a /24 for the database subnet is far safer than a /16")
                .help(format!(
                    "narrow it to the subnets the app needs, or set the threshold with `set wide-cidr-v4 = N` (now /{v4}) or `set wide-cidr-v6 = N` (now /{v6})"
                )),
        );
    }
}
