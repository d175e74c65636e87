//! `toCIDR`/`toCIDRSet` with `except`, and `toPorts`: protocols, ranges, ports without peers.

use super::utils::*;
use crate::model::Proto;
use crate::verify::Undecidable;

#[test]
fn cidr_sets_with_except() {
    let spec = "  endpointSelector: {}
  egress:
  - toCIDRSet:
    - cidr: 10.0.0.0/8
      except:
      - 10.96.0.0/12
    - cidr: 2001:db8::/32
    toPorts:
    - ports:
      - port: \"8000\"
        endPort: 8100
        protocol: TCP
";
    let m = cilium(&[cnp("payments", "p", spec)]);
    let d = decide(&m, &to_addr(&api(), "10.1.0.1", Proto::Tcp, 8050));
    assert!(d.allowed, "{d:?}");
    let six = "2001:db8::1";
    assert!(decide(&m, &to_addr(&api(), six, Proto::Tcp, 8100)).allowed);
    let d = decide(&m, &to_addr(&api(), "10.96.0.10", Proto::Tcp, 8050));
    assert!(!d.allowed, "{d:?}");
    assert!(
        d.closest
            .as_deref()
            .unwrap()
            .contains("except range 10.96.0.0/12"),
        "{d:?}"
    );
    let d = decide(&m, &to_addr(&api(), "10.1.0.1", Proto::Tcp, 8101));
    assert!(
        d.closest
            .as_deref()
            .unwrap()
            .contains("not in toPorts [tcp/8000-8100]"),
        "{d:?}"
    );
    assert!(!decide(&m, &to_addr(&api(), "10.1.0.1", Proto::Udp, 8050)).allowed);
    // A host name matches by the address it resolved to, and needs one.
    assert!(decide(&m, &to_host(&api(), "db.internal", Some("10.2.3.4"), 8000)).allowed);
    assert_eq!(
        m.decide(&to_host(&api(), "db.internal", None, 8000)),
        Err(Undecidable::NeedsAddress {
            host: "db.internal".into()
        })
    );
    // A pod never matches a CIDR.
    let d = decide(&m, &to_pod(&api(), pod("payments", &[]), Proto::Tcp, 8000));
    assert!(
        d.closest
            .as_deref()
            .unwrap()
            .contains("CIDR rules match no pods"),
        "{d:?}"
    );
}

#[test]
fn ports_protocols_and_ranges() {
    let spec = "  endpointSelector: {}
  egress:
  - toCIDR:
    - 10.0.0.0/8
    toPorts:
    - ports:
      - port: \"53\"
      - port: \"7000\"
        endPort: 7010
        protocol: ANY
      - port: \"9000\"
        protocol: SCTP
  - toCIDR:
    - 192.168.0.0/16
";
    let m = cilium(&[cnp("payments", "p", spec)]);
    let ok =
        |a: &str, proto: Proto, port: u16| decide(&m, &to_addr(&api(), a, proto, port)).allowed;
    let ten = "10.0.0.1";
    assert!(ok(ten, Proto::Udp, 53) && ok(ten, Proto::Tcp, 53) && ok(ten, Proto::Sctp, 53));
    assert!(ok(ten, Proto::Udp, 7005) && ok(ten, Proto::Tcp, 7010));
    assert!(!ok(ten, Proto::Tcp, 7011));
    assert!(ok(ten, Proto::Sctp, 9000) && !ok(ten, Proto::Tcp, 9000));
    // No toPorts: every port of every protocol.
    let lan = "192.168.1.1";
    assert!(ok(lan, Proto::Tcp, 1) && ok(lan, Proto::Udp, 65535) && ok(lan, Proto::Sctp, 9));
}

#[test]
fn ports_without_peers_match_every_destination() {
    let m = cilium(&[cnp(
        "payments",
        "p",
        "  endpointSelector: {}\n  egress:\n  - toPorts:\n    - ports:\n      - port: \"443\"\n        protocol: TCP\n",
    )]);
    assert!(decide(&m, &to_addr(&api(), "8.8.8.8", Proto::Tcp, 443)).allowed);
    assert!(decide(&m, &to_pod(&api(), pod("x", &[]), Proto::Tcp, 443)).allowed);
    assert!(decide(&m, &to_host(&api(), "example.org", None, 443)).allowed);
    assert!(!decide(&m, &to_addr(&api(), "8.8.8.8", Proto::Tcp, 80)).allowed);
}
