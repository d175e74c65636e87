//! W0111 `wide-port-range`: a port range wider than the threshold.

use std::collections::BTreeSet;

use crate::check::checked::Workload;
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::Policy;
use crate::lint::helpers::group;
use crate::lint::settings::{Setting, Value};
use crate::lint::{Check, Context, Rule};
use crate::model::PortRange;

pub const RULE: Rule = Rule {
    code: Code::W0111,
    name: "wide-port-range",
    explanation: EXPLANATION,
    settings: &[WIDE_PORT_RANGE],
    check: Check::Workload(check),
};

/// A port range with more ports than this is wide.
const WIDE_PORT_RANGE: Setting = Setting {
    key: "wide-port-range",
    value: Value::Number {
        what: "a number of ports",
        min: 1,
        max: 65535,
        default: 1000,
    },
};

const EXPLANATION: &str = r#"# W0111: wide port range (`wide-port-range`)

## What it does

Checks for destinations whose port range holds more ports than a threshold (1000 by default), as
in `10.20.30.0/24:1024-65535`. Every port of a protocol (`1-65535`) is exempt: it is written on
purpose, and reads as such.

## Why is this bad?

A range that wide opens every service listening on those ports at the destination, not the one the
app talks to, and is usually a placeholder ("the port is somewhere up there") that was never
narrowed.

Write the port the app uses, or the narrow range it needs. To keep one reviewed statement, write
`@allow(wide-port-range, "reason")` on the line above it.

## Example

```egress
namespace payments
default deny
app payments-api -> dns, 10.20.30.0/24:1024-65535
```

egressc says `port range 1024-65535 opens 64,512 ports`, with the label `a wide port range`.

Use instead:

```egress
namespace payments
default deny
app payments-api -> dns, 10.20.30.0/24:8443
```

The app reaches the one service it uses, on TCP 8443.

## Options

If wide ranges are normal for your workloads (media servers, passive FTP), raise the threshold:

- `set wide-port-range = N`: a port range with more than N ports is wide (default 1000).
"#;

fn check(cx: &Context<'_>, w: &Workload, _policy: &Policy, found: &mut Vec<Diagnostic>) {
    let threshold = WIDE_PORT_RANGE.number(&cx.program.settings);
    let mut seen = BTreeSet::new();
    for t in &w.allow {
        let Some(PortRange { proto, first, last }) = t.ports else {
            continue;
        };
        if !proto.has_ports() {
            continue;
        }
        let size = u32::from(last) - u32::from(first) + 1;
        if size > threshold && !(first == 1 && last == 65535) && seen.insert(t.origin) {
            found.push(
                Diagnostic::new(
                    Code::W0111,
                    t.origin,
                    format!("port range {first}-{last} opens {} ports", group(u64::from(size))),
                )
                .label("a wide port range")
                .help(format!(
                    "write the single port if one was meant, or set the threshold with `set wide-port-range = N` (now {threshold})"
                )),
            );
        }
    }
}
