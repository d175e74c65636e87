//! Comparing two readings of policies (`egressc import`'s self-check, `egressc diff`) decides
//! one source pod of each key for every source with that key (`universe::Scoped::source_key`:
//! the policies that select it and, where rules read a flow's source, what they say of it).
//! Held here to deciding every source on its own: on random programs built for each product
//! and compared with other random programs, and on Calico rules that read the source, the
//! differences, the flows not decided and the count of flows decided alike are all equal.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail by panicking"
)]

use egressc::backend::Target;
use egressc::verify::cursor::Mode;
use egressc::verify::reading::Reading;
use egressc::verify::universe::{Comparison, compare_each_source, compare_scoped};
use egressc::{Input, compile};
use proptest::prelude::*;
use std::sync::OnceLock;

#[path = "common/programs.rs"]
mod programs;
use programs::{
    ALLOWS, CLUSTER_ALLOWS, CLUSTER_DENIES, CLUSTER_SUBJECTS, DENIES, HOST_ALLOWS, HOST_DENIES,
    HOST_SUBJECTS, cluster_statement, host_statement, program_with_dns,
};

/// The YAML `source` builds to for `target`, read back; `None` when the target refuses it.
fn reading(source: &str, target: Target) -> Option<Reading> {
    let c = compile(&[Input::new("program.egress", source)], &[target]);
    if c.has_errors() {
        return None;
    }
    let yaml = c.outputs.first()?.stream();
    Some(Reading::read(target, &yaml, Mode::Evaluate).unwrap())
}

/// Both comparisons of `a` with `b`, every difference kept: one source per key, and each.
fn both(a: &Reading, b: &Reading) -> (Comparison, Comparison) {
    let all = usize::MAX;
    match (a, b) {
        (Reading::Native(a), Reading::Native(b)) => (
            compare_scoped(&a.scoped(), &b.scoped(), all),
            compare_each_source(&a.scoped(), &b.scoped(), all),
        ),
        (Reading::Cilium(a), Reading::Cilium(b)) => (
            compare_scoped(&a.scoped(), &b.scoped(), all),
            compare_each_source(&a.scoped(), &b.scoped(), all),
        ),
        (Reading::Calico { tiers: a, .. }, Reading::Calico { tiers: b, .. }) => (
            compare_scoped(&a.scoped(), &b.scoped(), all),
            compare_each_source(&a.scoped(), &b.scoped(), all),
        ),
        _ => panic!("readings of different products"),
    }
}

/// The differences and undecided flows of a comparison, as text, and its count of flows
/// decided alike.
fn shown(c: &Comparison) -> (Vec<String>, Vec<String>, usize) {
    let differences = c
        .differences
        .iter()
        .map(|d| format!("{}: {:?} / {:?}", d.flow, d.want, d.got))
        .collect();
    (differences, c.undecided.clone(), c.agreed)
}

/// The fragments of `fragments` that `target` builds, each put in a program by `program`.
fn built(target: Target, fragments: &[&str], program: impl Fn(&str) -> String) -> Vec<usize> {
    (0..fragments.len())
        .filter(|i| {
            let source = program(fragments[*i]);
            !compile(&[Input::new("program.egress", source)], &[target]).has_errors()
        })
        .collect()
}

/// Per target, the allowances and denials of random programs it builds (most targets refuse
/// some fragments, and a program with one of them is refused whole).
struct Fragments {
    allows: Vec<usize>,
    denies: Vec<usize>,
}

impl Fragments {
    /// Found once per target for the whole test.
    fn of(target: Target) -> &'static Fragments {
        static FOUND: OnceLock<Vec<(Target, Fragments)>> = OnceLock::new();
        let found = FOUND.get_or_init(|| {
            [Target::Native, Target::Cilium, Target::Calico]
                .map(|t| {
                    let allows = built(t, ALLOWS, |f| format!("namespace x\napp a -> {f}\n"));
                    let denies = built(t, DENIES, |f| {
                        format!("namespace x\napp a -> any deny {f}\n")
                    });
                    (t, Fragments { allows, denies })
                })
                .into()
        });
        &found.iter().find(|(t, _)| *t == target).unwrap().1
    }
}

/// Apps (allowance and denial indices, `-> none`), a default deny, a guardrail, and maybe a
/// cluster-wide and a host statement.
type Drawn = (
    Vec<(Vec<usize>, Vec<usize>, bool)>,
    bool,
    bool,
    Option<(usize, Vec<usize>, Vec<usize>)>,
    Option<(usize, Vec<usize>, Vec<usize>)>,
);

fn drawn() -> impl Strategy<Value = Drawn> {
    (
        proptest::collection::vec(
            (
                proptest::collection::vec(any::<usize>(), 1..4),
                proptest::collection::vec(any::<usize>(), 0..3),
                proptest::bool::weighted(0.15),
            ),
            1..4,
        ),
        any::<bool>(),
        any::<bool>(),
        proptest::option::weighted(
            0.4,
            (
                0..CLUSTER_SUBJECTS.len(),
                proptest::collection::vec(0..CLUSTER_ALLOWS.len(), 1..3),
                proptest::collection::vec(0..CLUSTER_DENIES.len(), 0..2),
            ),
        ),
        proptest::option::weighted(
            0.3,
            (
                0..HOST_SUBJECTS.len(),
                proptest::collection::vec(0..HOST_ALLOWS.len(), 1..3),
                proptest::collection::vec(0..HOST_DENIES.len(), 0..2),
            ),
        ),
    )
}

/// The program `d` draws, of fragments `target` builds, read back as `target`'s product does:
/// without its cluster-wide and host statements, then without its guardrail, when `target`
/// refuses them; `None` when it refuses the rest too.
fn program(d: &Drawn, f: &Fragments, target: Target) -> Option<(String, Reading)> {
    let (apps, default_deny, guardrail, cluster, host) = d;
    let pick = |from: &[usize], i: &usize| from.get(i % from.len().max(1)).copied();
    let apps: Vec<(Vec<usize>, Vec<usize>, bool)> = apps
        .iter()
        .map(|(allow, deny, none)| {
            (
                allow.iter().filter_map(|i| pick(&f.allows, i)).collect(),
                deny.iter().filter_map(|i| pick(&f.denies, i)).collect(),
                *none,
            )
        })
        .collect();
    let unguarded = program_with_dns(None, apps.clone(), *default_deny, false, false);
    let apps = program_with_dns(None, apps, *default_deny, *guardrail, false);
    let whole = format!(
        "{}{}{apps}",
        cluster
            .as_ref()
            .map_or_else(String::new, |(s, a, d)| cluster_statement(*s, a, d)),
        host.as_ref()
            .map_or_else(String::new, |(s, a, d)| host_statement(*s, a, d)),
    );
    [whole, apps, unguarded]
        .into_iter()
        .find_map(|source| Some((source.clone(), reading(&source, target)?)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn one_source_per_key_decides_as_every_source(a in drawn(), b in drawn()) {
        for t in [Target::Native, Target::Cilium, Target::Calico] {
            let fragments = Fragments::of(t);
            let (Some((p, x)), Some((q, y))) =
                (program(&a, fragments, t), program(&b, fragments, t))
            else {
                continue;
            };
            let (grouped, each) = both(&x, &y);
            prop_assert_eq!(shown(&grouped), shown(&each), "{}\n---\n{}\n({})", p, q, t);
        }
    }
}

/// A Calico policy of namespace `p` selecting pods `app: a` and `app: b`, whose rules read the
/// source: both pods are selected by the same policies, and only the rules tell them apart.
fn calico(rules: &str) -> Reading {
    let yaml = format!(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {{name: sources, namespace: p}}\nspec:\n  selector: app == 'a' || app == 'b'\n  types: [Egress]\n  egress:\n{rules}"
    );
    Reading::read(Target::Calico, &yaml, Mode::Evaluate).unwrap()
}

#[test]
fn calico_sources_that_rules_tell_apart_are_decided_apart() {
    let by_source = calico(
        "  - action: Allow
    source:
      selector: app == 'a'
    destination:
      nets: [10.0.0.0/8]
  - action: Deny
    source:
      selector: app == 'b'
    destination:
      nets: [10.1.0.0/16]
  - action: Allow
    destination:
      nets: [10.0.0.0/9]
",
    );
    let for_all = calico(
        "  - action: Allow
    destination:
      nets: [10.0.0.0/9]
",
    );
    let (grouped, each) = both(&by_source, &for_all);
    assert_eq!(shown(&grouped), shown(&each));
    // The pod `app: a` is allowed more, and `app: b` less, than without the source rules.
    let from = |app: &str| {
        grouped
            .differences
            .iter()
            .filter(|d| d.flow.source.labels.get("app").map(String::as_str) == Some(app))
            .map(|d| d.want.allowed)
            .collect::<Vec<bool>>()
    };
    let (a, b) = (from("a"), from("b"));
    assert!(!a.is_empty() && a.iter().all(|allowed| *allowed), "{a:?}");
    assert!(!b.is_empty() && b.iter().all(|allowed| !*allowed), "{b:?}");
}
