//! ICMP and protocols without ports, in every product: Cilium's `icmps` (by type, never with
//! `toPorts`, and `toPorts` never matching them), Calico's `protocol` with `icmp`/`notICMP`, and
//! native NetworkPolicy, whose ports are TCP, UDP and SCTP only; then each backend's output held
//! to the reference.

use super::utils::*;
use crate::backend::Target;
use crate::model::Proto;

/// An ICMP flow of `kind` and `code` to address `a`.
fn icmp(proto: Proto, a: &str, kind: u8, code: u8) -> crate::verify::Flow {
    to_addr(&api(), a, proto, u16::from_be_bytes([kind, code]))
}

#[test]
fn cilium_icmps_match_types_of_one_family() {
    let spec = "  endpointSelector: {}
  egress:
  - toCIDRSet:
    - cidr: 10.0.0.0/8
    icmps:
    - fields:
      - type: 8
      - type: 128
        family: IPv6
";
    let m = cilium(&[cnp("payments", "p", spec)]);
    assert!(allowed(&m, &icmp(Proto::Icmp, "10.1.2.3", 8, 0)));
    assert!(
        allowed(&m, &icmp(Proto::Icmp, "10.1.2.3", 8, 9)),
        "every code"
    );
    assert!(!allowed(&m, &icmp(Proto::Icmp, "10.1.2.3", 0, 0)));
    let d = decide(&m, &icmp(Proto::Icmp, "10.1.2.3", 13, 0));
    assert!(
        d.closest.as_deref().unwrap().contains("not in icmps"),
        "{d:?}"
    );
    // The family is part of the match: type 128 is listed for IPv6 only.
    assert!(!allowed(&m, &icmp(Proto::Icmp, "10.1.2.3", 128, 0)));
    // An ICMP rule is an L4 rule: nothing else passes it.
    assert!(!allowed(&m, &to_addr(&api(), "10.1.2.3", Proto::Tcp, 443)));
}

#[test]
fn cilium_to_ports_never_match_protocols_without_ports() {
    let spec = "  endpointSelector: {}
  egress:
  - toCIDRSet:
    - cidr: 10.0.0.0/8
    toPorts:
    - ports:
      - port: \"1\"
        endPort: 65535
  - toCIDRSet:
    - cidr: 192.168.0.0/16
";
    let m = cilium(&[cnp("payments", "p", spec)]);
    assert!(allowed(&m, &to_addr(&api(), "10.1.2.3", Proto::Sctp, 9)));
    let d = decide(&m, &icmp(Proto::Icmp, "10.1.2.3", 8, 0));
    assert!(!d.allowed, "ANY means TCP, UDP and SCTP: {d:?}");
    assert!(!allowed(&m, &to_addr(&api(), "10.1.2.3", Proto::Gre, 0)));
    // A rule without toPorts allows every protocol.
    assert!(allowed(&m, &icmp(Proto::Icmp, "192.168.1.1", 8, 0)));
    assert!(allowed(&m, &to_addr(&api(), "192.168.1.1", Proto::Gre, 0)));
}

#[test]
fn cilium_refuses_icmps_with_to_ports_and_type_names() {
    let both = "  endpointSelector: {}
  egress:
  - toPorts:
    - ports:
      - port: \"80\"
    icmps:
    - fields:
      - type: 8
";
    let m = refusal(crate::verify::cilium::CiliumEvaluator::load(&cnp(
        "payments", "p", both,
    )));
    assert!(m.contains("both `toPorts` and `icmps`"), "{m}");
    let named = "  endpointSelector: {}
  egress:
  - icmps:
    - fields:
      - type: EchoRequest
";
    let m = refusal(crate::verify::cilium::CiliumEvaluator::load(&cnp(
        "payments", "p", named,
    )));
    assert!(m.contains("not names"), "{m}");
}

#[test]
fn calico_icmp_matches_type_and_code() {
    let m = calico(&calico_egress(
        "  - action: Allow
    protocol: ICMP
    icmp: {type: 3, code: 4}
  - action: Allow
    protocol: ICMP
    icmp: {type: 8}
    notICMP: {type: 8, code: 1}
  - action: Allow
    protocol: 47
",
    ));
    let src = pod("p", &[]);
    let to = |proto, kind: u8, code: u8| {
        flow(
            &src,
            addr("10.0.0.1"),
            proto,
            u16::from_be_bytes([kind, code]),
        )
    };
    assert!(allowed(&m, &to(Proto::Icmp, 3, 4)));
    assert!(!allowed(&m, &to(Proto::Icmp, 3, 5)));
    assert!(allowed(&m, &to(Proto::Icmp, 8, 0)));
    let d = decide(&m, &to(Proto::Icmp, 8, 1));
    assert!(!d.allowed, "{d:?}");
    assert!(
        !allowed(&m, &to(Proto::Icmpv6, 8, 0)),
        "protocol ICMP is IPv4"
    );
    assert!(allowed(&m, &flow(&src, addr("10.0.0.1"), Proto::Gre, 0)));
    assert!(!allowed(&m, &flow(&src, addr("10.0.0.1"), Proto::Esp, 0)));
}

#[test]
fn calico_refuses_an_icmp_code_without_a_type() {
    let m = refusal(crate::verify::calico::CalicoEvaluator::load(
        &calico_egress(
            "  - action: Allow
    protocol: ICMP
    icmp: {code: 4}
",
        ),
        false,
    ));
    assert!(m.contains("code without a type"), "{m}");
}

#[test]
fn native_rules_with_ports_never_match_icmp() {
    let m = native(&np(
        "p",
        "  policyTypes: [Egress]
  egress:
  - ports:
    - port: 1
      endPort: 65535
  - to:
    - ipBlock:
        cidr: 192.168.0.0/16
",
    ));
    assert!(!allowed(&m, &icmp(Proto::Icmp, "10.1.2.3", 8, 0)));
    assert!(allowed(&m, &icmp(Proto::Icmp, "192.168.1.1", 8, 0)));
    assert!(allowed(&m, &to_addr(&api(), "192.168.1.1", Proto::Gre, 0)));
}

#[test]
fn every_backend_means_the_same_for_icmp() {
    let flows: Vec<_> = [
        icmp(Proto::Icmp, "10.0.0.5", 8, 0),
        icmp(Proto::Icmp, "10.0.0.5", 8, 255),
        icmp(Proto::Icmp, "10.0.0.5", 7, 255),
        icmp(Proto::Icmp, "10.0.0.5", 9, 0),
        icmp(Proto::Icmp, "10.0.0.7", 8, 0),
        icmp(Proto::Icmpv6, "fd00::1", 128, 0),
        icmp(Proto::Icmpv6, "fd00::1", 129, 0),
        to_addr(&api(), "10.0.0.5", Proto::Tcp, 443),
        to_addr(&api(), "10.0.0.5", Proto::Gre, 0),
    ]
    .into_iter()
    .map(|f| crate::verify::Flow {
        source: pod("payments", &[("app", "pinger")]),
        ..f
    })
    .collect();
    let src = "namespace payments
default deny
app pinger -> dns, 10.0.0.0/24:icmp(8), 10.0.0.0/24:443, fd00::/64:icmpv6(128) deny 10.0.0.7/32:icmp(8)
";
    agree(src, Target::Cilium, &flows);
    agree(src, Target::Calico, &flows);
    let codes = "namespace payments
default deny
app pinger -> dns, 10.0.0.0/24:icmp(8, 0), 10.0.0.0/24:gre, internet:icmpv6 deny 10.0.0.7/32:icmp
";
    agree(codes, Target::Calico, &flows);
    let native = error_codes(src, Target::Native);
    assert!(
        !native.is_empty() && native.iter().all(|c| c == "E0520"),
        "{native:?}"
    );
    assert_eq!(error_codes(codes, Target::Cilium), vec!["E0520", "E0521"]);
}

#[test]
fn every_icmp_message_is_every_type_on_cilium() {
    let (_, yaml) = compiled(
        "namespace payments\ndefault deny\napp pinger -> dns, 10.0.0.0/24:icmp\n",
        Target::Cilium,
    );
    assert_eq!(yaml.matches("type: ").count(), 256, "{yaml}");
    assert_eq!(
        yaml.matches("- fields:").count(),
        7,
        "40 types an entry: {yaml}"
    );
}
