//! Calico's selector language: operators, precedence, errors that say what and where, and the labels Calico gives pods and namespaces.

use super::utils::*;
use crate::verify::calico::selector::{Expr, Selector, namespace_labels, pod_labels};

#[test]
fn selector_operators() {
    let l = labels(&[("app", "web"), ("env", "prod"), ("tier", "frontend-1")]);
    let yes = [
        "app == 'web'",
        "app == \"web\"",
        "app != 'api'",
        "missing != 'x'",
        "env in {'prod', 'staging'}",
        "env not in {'dev'}",
        "missing not in {'a'}",
        "has(app)",
        "!has(missing)",
        "! has(missing)",
        "all()",
        "tier contains 'end'",
        "tier starts with 'front'",
        "tier ends with '-1'",
        "app == 'web' && env == 'prod'",
        "app == 'x' || env == 'prod'",
        "!(app == 'x')",
        "( app == 'web' )",
        "",
        "   ",
        "env in {}  || has(app)",
        "projectcalico.org/x != 'y'",
    ];
    for s in yes {
        assert!(Selector::parse(s).unwrap().matches(&l), "{s}");
    }
    let no = [
        "app == 'api'",
        "missing == ''",
        "env in {'dev'}",
        "missing in {'a'}",
        "env not in {'prod'}",
        "has(missing)",
        "!all()",
        "global()",
        "missing contains ''",
        "app == 'web' && env == 'dev'",
        "env in {}",
    ];
    for s in no {
        assert!(!Selector::parse(s).unwrap().matches(&l), "{s}");
    }
}

#[test]
fn selector_precedence() {
    // `!` binds tighter than `&&`, which binds tighter than `||` (§np Selectors).
    let l = labels(&[("a", "1")]);
    let p = |s: &str| Selector::parse(s).unwrap().matches(&l);
    assert!(p("a == '1' || a == '2' && has(b)")); // a=1 || (a=2 && b)
    assert!(!p("(a == '1' || a == '2') && has(b)"));
    assert!(p("!has(b) && a == '1'")); // (!b) && a=1
    assert!(!p("!(has(b) || a == '1')"));
    assert!(p("!!has(a)"));
    assert_eq!(
        Selector::parse("!has(a) || a == '1' && has(b)")
            .unwrap()
            .expr(),
        &Expr::Or(
            Box::new(Expr::Not(Box::new(Expr::Has("a".into())))),
            Box::new(Expr::And(
                Box::new(Expr::Eq("a".into(), "1".into())),
                Box::new(Expr::Has("b".into()))
            ))
        )
    );
}

#[test]
fn selector_errors_say_what_and_where() {
    let cases = [
        (
            "app == web",
            "expected a quoted value, found `web` at column 8",
        ),
        ("app = 'x'", "expected an operator after label `app`"),
        ("app == 'x", "unterminated string"),
        ("has(app", "expected `)` after `has(app`"),
        ("has()", "expected a label name in `has(`"),
        ("all(", "expected `)` after `all(`"),
        ("(a == 'b'", "expected `)`"),
        ("a == 'b' &&", "expected a label"),
        ("a == 'b' & c == 'd'", "expected `&&`, `||` or the end"),
        ("a in {'x' 'y'}", "expected `,` or `}`"),
        ("a in 'x'", "expected `{`"),
        ("a not 'x'", "expected `in` after `not`"),
        ("a starts 'x'", "expected `with` after `starts`"),
        ("== 'x'", "expected a label, `has(`"),
    ];
    for (s, want) in cases {
        let e = Selector::parse(s).unwrap_err();
        assert!(e.contains(want), "{s}: {e}");
        assert!(e.starts_with(&format!("selector `{s}`")), "{e}");
    }
}

#[test]
fn pods_and_namespaces_carry_calico_labels() {
    let p = pod("shop", &[("app", "web")]);
    let sel = |s: &str| Selector::parse(s).unwrap();
    assert!(sel("projectcalico.org/namespace == 'shop'").matches(&pod_labels(&p)));
    assert!(sel("projectcalico.org/orchestrator == 'k8s'").matches(&pod_labels(&p)));
    assert!(sel("projectcalico.org/name == 'shop'").matches(&namespace_labels(&p)));
    assert!(sel("kubernetes.io/metadata.name == 'shop'").matches(&namespace_labels(&p)));
    // Matched label by label, without building them, alike.
    let mut q = pod(
        "shop",
        &[("app", "web"), ("projectcalico.org/namespace", "other")],
    );
    q.ns_labels.insert("env".into(), "prod".into());
    for s in [
        "projectcalico.org/namespace == 'shop'",
        "projectcalico.org/orchestrator == 'k8s'",
        "app == 'web' && !has(tier)",
        "app in {'web', 'api'}",
    ] {
        assert_eq!(
            sel(s).matches_pod(&q),
            sel(s).matches(&pod_labels(&q)),
            "{s}"
        );
    }
    for s in [
        "projectcalico.org/name == 'shop'",
        "kubernetes.io/metadata.name == 'shop'",
        "env == 'prod'",
        "env != 'prod'",
    ] {
        assert_eq!(
            sel(s).matches_namespace(&q),
            sel(s).matches(&namespace_labels(&q)),
            "{s}"
        );
    }
}
