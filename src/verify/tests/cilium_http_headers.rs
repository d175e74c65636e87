//! Cilium's HTTP header rules, as its proxy matches them: `headers` entries split at their
//! first space (`"X-Team: payments"` a value, `"X-Team"` a presence), `headerMatches` entries
//! with a `value` or without; names without regard to case, values byte for byte against the
//! header's lines joined by `,`; a `mismatch` action requires nothing, a `secret` value is
//! unknown (matched by no request).

use super::utils::*;
use crate::model::Proto;
use crate::verify::cilium::CiliumEvaluator;
use crate::verify::{Flow, HttpRequest};

fn policy(rule: &str) -> CiliumEvaluator {
    cilium(&[cnp(
        "payments",
        "api",
        &format!(
            "  endpointSelector:\n    matchLabels: {{app: api}}\n  egress:\n  - toCIDRSet: [{{cidr: 10.40.0.0/16}}]\n    toPorts:\n    - ports: [{{port: \"80\", protocol: TCP}}]\n      rules:\n        http:\n        - {rule}\n"
        ),
    )])
}

fn request(headers: &[(&str, &str)]) -> Flow {
    let mut f = to_addr(&api(), "10.40.1.2", Proto::Tcp, 80);
    f.http = Some(HttpRequest {
        method: "GET".into(),
        target: "/".into(),
        host: "10.40.1.2".into(),
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
    });
    f
}

#[test]
fn headers_entries_are_a_name_and_a_value_or_a_name() {
    let e = policy("headers: [\"X-Team: payments\", X-Trace]");
    let ok = |h: &[(&str, &str)]| allowed(&e, &request(h));
    assert!(ok(&[("x-team", "payments"), ("X-TRACE", "")]));
    assert!(ok(&[
        ("X-Team", "payments"),
        ("x-trace", "1"),
        ("other", "a")
    ]));
    assert!(!ok(&[("x-team", "payments")]), "without x-trace");
    assert!(
        !ok(&[("x-team", "Payments"), ("x-trace", "1")]),
        "values keep their case"
    );
    assert!(!ok(&[("x-team", "payments "), ("x-trace", "1")]));
    assert!(
        !ok(&[
            ("x-team", "payments"),
            ("x-team", "payments"),
            ("x-trace", "1")
        ]),
        "sent twice, the value reads `payments,payments`"
    );
    // Split at the first space: the value is the rest, spaces and colons included.
    let e = policy("headers: [\"X-Team: a: b c\"]");
    assert!(allowed(&e, &request(&[("x-team", "a: b c")])));
    // Without a space the whole entry is a name, which no request sends.
    let e = policy("headers: [\"X-Team:payments\"]");
    assert!(!allowed(&e, &request(&[("x-team", "payments")])));
}

#[test]
fn header_matches_are_exact_and_actions_require_nothing() {
    let e = policy("headerMatches: [{name: X-Team, value: payments}, {name: x-trace}]");
    let ok = |h: &[(&str, &str)]| allowed(&e, &request(h));
    assert!(ok(&[("X-TEAM", "payments"), ("x-trace", "z")]));
    assert!(!ok(&[("x-team", "billing"), ("x-trace", "z")]));
    assert!(!ok(&[("x-trace", "z")]));
    for action in ["LOG", "ADD", "DELETE", "REPLACE"] {
        let e = policy(&format!(
            "headerMatches: [{{name: X-Token, value: t, mismatch: {action}}}]"
        ));
        assert!(allowed(&e, &request(&[])), "{action}");
        assert!(allowed(&e, &request(&[("x-token", "other")])), "{action}");
    }
    let e = policy("headerMatches: [{name: X-Token, secret: {namespace: a, name: b}}]");
    assert!(!allowed(&e, &request(&[("x-token", "t")])));
}

#[test]
fn malformed_header_rules_are_refused() {
    let sel = "  endpointSelector: {}\n";
    for (rule, want) in [
        ("headerMatches: [{value: x}]", "names no header"),
        (
            "headerMatches: [{name: a, mismatch: DROP}]",
            "is not one of",
        ),
        (
            "headerMatches: [{name: a, secret: {namespace: x}}]",
            "no name",
        ),
        ("headers: [\"\"]", "names no header"),
    ] {
        let doc = cnp(
            "p",
            "x",
            &format!(
                "{sel}  egress:\n  - toPorts:\n    - ports: [{{port: \"80\", protocol: TCP}}]\n      rules:\n        http:\n        - {rule}\n"
            ),
        );
        let e = refusal(CiliumEvaluator::load(&doc));
        assert!(e.contains(want), "want `{want}` in `{e}`\n{doc}");
    }
}
