//! W0109 `cidr-overlaps-cluster`: an allowed range overlaps the cluster's pod or service ranges.

use std::collections::HashMap;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::check::checked::Workload;
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::Policy;
use crate::lint::settings::{POD_CIDRS, SERVICE_CIDRS};
use crate::lint::{Check, Context, Rule};
use crate::model::Peer;

pub const RULE: Rule = Rule {
    code: Code::W0109,
    name: "cidr-overlaps-cluster",
    explanation: EXPLANATION,
    settings: &[POD_CIDRS, SERVICE_CIDRS],
    check: Check::Workload(check),
};

const EXPLANATION: &str = r#"# W0109: CIDR overlaps the cluster's pod or service range (`cidr-overlaps-cluster`)

## What it does

Checks for allowed address ranges that overlap the cluster's pod range or service range, as
declared with `set pod-cidrs = ...` and `set service-cidrs = ...` (the lint is silent until they
are set). An any-address allowance such as `internet` includes every range by design and is
exempt.

## Why is this bad?

Address rules do not select pods reliably: pod addresses change whenever a pod is rescheduled,
Cilium and other CNIs match pod traffic by identity (a `toCIDR` rule does not select pods at all),
and traffic to a service's ClusterIP is translated to a pod address before the policy applies, so a
rule for the ClusterIP never matches. The allowance either does nothing or allows whichever pod
holds the address today.

Reach pods with `pods{...}` (for a service, select the pods behind it), which every target matches
by labels. Keep address ranges for destinations outside the cluster.

## Example

```egress
set pod-cidrs = 10.244.0.0/16
set service-cidrs = 10.96.0.0/12

namespace payments
default deny
app payments-api -> dns, 10.244.3.0/24:8080
```

egressc says `` `10.244.3.0/24` overlaps the cluster's pod range `10.244.0.0/16` ``, with the label
`addresses of pods`.

Use instead:

```egress
set pod-cidrs = 10.244.0.0/16
set service-cidrs = 10.96.0.0/12

namespace payments
default deny
app payments-api -> dns, pods{app=ledger}:8080
```

The app reaches the ledger pods of its namespace on TCP 8080, wherever they are scheduled.

## Options

- `set pod-cidrs = CIDR, ...`: the cluster's pod ranges (none by default).
- `set service-cidrs = CIDR, ...`: the cluster's service ranges (none by default).
"#;

/// The cluster ranges, pod ranges first, each with what it holds; a range overlapping an
/// allowed one is found without comparing every pair.
struct ClusterRanges<'a> {
    ranges: Vec<(&'a IpNet, &'static str)>,
    /// The first position of each range in `ranges`.
    first: HashMap<IpNet, usize>,
    /// Network addresses in order, with positions in `ranges`, for ranges inside a given one.
    by_address: Vec<(IpAddr, usize)>,
    /// `min_over[k][i]`: the smallest position among `by_address[i..i + 2^k]`.
    min_over: Vec<Vec<usize>>,
}

impl<'a> ClusterRanges<'a> {
    fn new(pods: &'a [IpNet], services: &'a [IpNet]) -> ClusterRanges<'a> {
        let ranges: Vec<(&IpNet, &'static str)> = pods
            .iter()
            .map(|c| (c, "pod"))
            .chain(services.iter().map(|c| (c, "service")))
            .collect();
        let mut first = HashMap::new();
        for (i, (c, _)) in ranges.iter().enumerate() {
            first.entry(c.trunc()).or_insert(i);
        }
        let mut by_address: Vec<(IpAddr, usize)> = ranges
            .iter()
            .enumerate()
            .map(|(i, (c, _))| (c.network(), i))
            .collect();
        by_address.sort_unstable();
        let mut min_over = vec![by_address.iter().map(|(_, i)| *i).collect::<Vec<_>>()];
        let mut width = 1;
        while width * 2 <= by_address.len() {
            let row: Vec<usize> = min_over
                .last()
                .map(|prev| {
                    prev.iter()
                        .zip(prev.iter().skip(width))
                        .map(|(a, b)| *a.min(b))
                        .collect()
                })
                .unwrap_or_default();
            min_over.push(row);
            width *= 2;
        }
        ClusterRanges {
            ranges,
            first,
            by_address,
            min_over,
        }
    }

    /// The smallest position among `by_address[from..to]`.
    fn min_between(&self, from: usize, to: usize) -> Option<usize> {
        let len = to.checked_sub(from).filter(|l| *l > 0)?;
        let k = usize::try_from(len.ilog2()).ok()?;
        let row = self.min_over.get(k)?;
        let a = row.get(from)?;
        let b = row.get(to - (1 << k))?;
        Some(*a.min(b))
    }

    /// The first range (in declaration order) that holds `n` or, unless `n` is an any-address
    /// range, lies inside it.
    fn overlapping(&self, n: &IpNet) -> Option<(&'a IpNet, &'static str)> {
        // Ranges that hold `n`: its supernets.
        let holding = (0..=n.prefix_len())
            .filter_map(|p| IpNet::new(n.network(), p).ok())
            .filter_map(|s| self.first.get(&s.trunc()).copied())
            .min();
        // Ranges inside `n`: their network address lies in `n` (a range whose network address
        // lies in `n` and that is wider than `n` holds it, which counts too).
        let inside = if n.prefix_len() > 0 {
            let from = self.by_address.partition_point(|(a, _)| *a < n.network());
            let to = self
                .by_address
                .partition_point(|(a, _)| *a <= n.broadcast());
            self.min_between(from, to)
        } else {
            None
        };
        let best = match (holding, inside) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        self.ranges.get(best).copied()
    }
}

fn check(cx: &Context<'_>, w: &Workload, _policy: &Policy, found: &mut Vec<Diagnostic>) {
    let settings = &cx.program.settings;
    let cluster = ClusterRanges::new(POD_CIDRS.cidrs(settings), SERVICE_CIDRS.cidrs(settings));
    if cluster.ranges.is_empty() {
        return;
    }
    for t in &w.allow {
        let Peer::Net(n) = &t.peer else { continue };
        if let Some((c, what)) = cluster.overlapping(n) {
            found.push(
                Diagnostic::new(
                    Code::W0109,
                    t.origin,
                    format!("`{n}` overlaps the cluster's {what} range `{c}`"),
                )
                .label(format!("addresses of {what}s"))
                .note("address rules do not select pods reliably: CNIs match pod traffic by identity, and a service's ClusterIP is translated before policy applies")
                .help("reach pods with `pods{...}` (for a service, the pods behind it)"),
            );
        }
    }
}
