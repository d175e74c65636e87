//! Cilium `serverNames` [crd]: TLS must be present and its ClientHello must name a server one
//! of them matches; `*` is characters of one label, `**.` one or more labels.

use super::utils::*;
use crate::model::Proto;
use crate::verify::ClientHello;
use crate::verify::cilium::CiliumEvaluator;

fn tls(name: Option<&str>) -> Option<ClientHello> {
    Some(ClientHello {
        server_name: name.map(ToOwned::to_owned),
    })
}

fn policy(names: &str) -> CiliumEvaluator {
    cilium(&[cnp(
        "payments",
        "api",
        &format!(
            "  endpointSelector:\n    matchLabels: {{app: api}}\n  egress:\n  - toCIDRSet: [{{cidr: 10.40.0.0/16}}]\n    toPorts:\n    - ports: [{{port: \"443\", protocol: TCP}}]\n      serverNames: [{names}]\n    - ports: [{{port: \"8080\", protocol: TCP}}]\n"
        ),
    )])
}

#[test]
fn a_connection_passes_when_its_server_name_matches_one() {
    let e = policy(
        "api.example.com, \"*.cdn.example.com\", \"**.internal.example\", \"api-*.example.net\"",
    );
    let to = |name: Option<&str>| {
        let mut f = to_addr(&api(), "10.40.1.2", Proto::Tcp, 443);
        f.tls = tls(name);
        allowed(&e, &f)
    };
    for ok in [
        "api.example.com",
        "img.cdn.example.com",
        "a.internal.example",
        "a.b.internal.example",
        "api-.example.net",
        "api-eu.example.net",
    ] {
        assert!(to(Some(ok)), "{ok}");
    }
    for no in [
        "www.example.com",
        "cdn.example.com",
        "a.b.cdn.example.com",
        "internal.example",
        "api.example.net",
        "x.api-eu.example.net",
    ] {
        assert!(!to(Some(no)), "{no}");
    }
    assert!(!to(None), "a ClientHello without a server name");
    // Not TLS at all, and another port of the rule, which has no server names.
    assert!(!allowed(&e, &to_addr(&api(), "10.40.1.2", Proto::Tcp, 443)));
    assert!(allowed(&e, &to_addr(&api(), "10.40.1.2", Proto::Tcp, 8080)));
}

#[test]
fn server_names_beside_l7_rules_or_malformed_are_refused() {
    let sel = "  endpointSelector: {}\n";
    for (entry, want) in [
        ("      serverNames: []\n", "empty `serverNames`"),
        (
            "      serverNames: [\"a..example\"]\n",
            "not a valid server name",
        ),
        (
            "      serverNames: [\"a.**.example\"]\n",
            "only as a prefix",
        ),
        (
            "      serverNames: [a.example]\n      rules:\n        http:\n        - method: GET\n",
            "need TLS termination",
        ),
    ] {
        let doc = cnp(
            "p",
            "x",
            &format!(
                "{sel}  egress:\n  - toPorts:\n    - ports: [{{port: \"443\", protocol: TCP}}]\n{entry}"
            ),
        );
        let e = refusal(CiliumEvaluator::load(&doc));
        assert!(e.contains(want), "want `{want}` in `{e}`\n{doc}");
    }
}
