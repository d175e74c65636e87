//! NetworkPolicy ports: the TCP default, `endPort` ranges, a protocol alone, no ports at all.

use super::utils::*;
use crate::model::Proto;

#[test]
fn port_without_protocol_is_tcp() {
    // spec.egress[2] has `port: 443` and no protocol.
    assert!(allowed(
        &native(API_EGRESS),
        &to_addr(&api(), "203.0.113.7", Proto::Tcp, 443)
    ));
    let d = decide(
        &native(API_EGRESS),
        &to_addr(&api(), "203.0.113.7", Proto::Udp, 443),
    );
    assert!(!d.allowed);
    assert!(
        d.closest
            .unwrap()
            .ends_with("but udp/443 is not in TCP 443")
    );
}

#[test]
fn end_port_is_an_inclusive_range_and_protocol_alone_is_every_port() {
    let yaml = np(
        "ranges",
        "  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.0/8}
    ports:
    - {protocol: UDP, port: 8000, endPort: 8100}
    - protocol: SCTP
",
    );
    let a = api();
    assert!(!allowed(
        &native(&yaml),
        &to_addr(&a, "10.1.1.1", Proto::Udp, 7999)
    ));
    assert!(allowed(
        &native(&yaml),
        &to_addr(&a, "10.1.1.1", Proto::Udp, 8000)
    ));
    assert!(allowed(
        &native(&yaml),
        &to_addr(&a, "10.1.1.1", Proto::Udp, 8100)
    ));
    assert!(!allowed(
        &native(&yaml),
        &to_addr(&a, "10.1.1.1", Proto::Udp, 8101)
    ));
    assert!(!allowed(
        &native(&yaml),
        &to_addr(&a, "10.1.1.1", Proto::Tcp, 8050)
    ));
    assert!(allowed(
        &native(&yaml),
        &to_addr(&a, "10.1.1.1", Proto::Sctp, 1)
    ));
    assert!(allowed(
        &native(&yaml),
        &to_addr(&a, "10.1.1.1", Proto::Sctp, 65535)
    ));
    let d = decide(&native(&yaml), &to_addr(&a, "10.1.1.1", Proto::Tcp, 8050));
    assert!(
        d.closest
            .unwrap()
            .ends_with("tcp/8050 is not in UDP 8000-8100, every SCTP port")
    );
}

#[test]
fn missing_or_empty_ports_allow_every_protocol() {
    for ports in ["", "    ports: []\n"] {
        let yaml = np(
            "all-ports",
            &format!(
                "  policyTypes: [Egress]\n  egress:\n  - to:\n    - ipBlock: {{cidr: 10.0.0.0/8}}\n{ports}"
            ),
        );
        for proto in Proto::WITH_PORTS {
            assert!(
                allowed(&native(&yaml), &to_addr(&api(), "10.0.0.1", proto, 1)),
                "{ports:?} {proto:?}"
            );
        }
        assert!(!allowed(
            &native(&yaml),
            &to_addr(&api(), "11.0.0.1", Proto::Tcp, 1)
        ));
    }
}
