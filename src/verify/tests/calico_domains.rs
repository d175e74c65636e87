//! Calico Enterprise's `destination.domains`.

use super::utils::*;
use crate::model::Proto;
use crate::verify::calico::CalicoEvaluator;
use crate::verify::calico::domain::Domain;

#[test]
fn domains_star_is_one_or_more_labels() {
    let d = Domain::parse("*.example.com").unwrap();
    assert!(d.matches("a.example.com"));
    assert!(d.matches("a.b.example.com"));
    assert!(d.matches("A.Example.COM."));
    assert!(!d.matches("example.com"));
    assert!(!d.matches("aexample.com"));
    let d = Domain::parse("www.*.com").unwrap();
    assert!(d.matches("www.sun.com"));
    assert!(d.matches("www.a.b.com"));
    assert!(!d.matches("www.com"));
    let d = Domain::parse("api.stripe.com").unwrap();
    assert!(d.matches("api.stripe.com"));
    assert!(!d.matches("x.api.stripe.com"));
    assert!(Domain::parse("*.*.x.com").is_err());
    assert!(Domain::parse("w*.x.com").is_err());
    assert!(Domain::parse("a..com").is_err());
}

#[test]
fn domains_are_enterprise_only_and_match_names() {
    let domains = calico_egress(
        "  - action: Allow
    protocol: TCP
    destination:
      domains: ['*.s3.amazonaws.com', api.stripe.com]
      ports: [443]
",
    );
    let e = refusal(CalicoEvaluator::load(&domains, false));
    assert!(e.contains("spec.egress[0].destination.domains"), "{e}");
    assert!(e.contains("Calico Open Source has no such field"), "{e}");
    let m = CalicoEvaluator::load(&domains, true).unwrap();
    let s = pod("p", &[]);
    let to = |name: &str| decide(&m, &flow(&s, host(name, None), Proto::Tcp, 443));
    assert!(to("bucket.s3.amazonaws.com").allowed);
    assert!(to("a.b.s3.amazonaws.com").allowed);
    assert!(to("api.stripe.com").allowed);
    let d = to("s3.amazonaws.com");
    assert!(!d.allowed);
    assert!(
        d.closest
            .unwrap()
            .contains("s3.amazonaws.com does not match domains *.s3.amazonaws.com, api.stripe.com")
    );
    // Addresses are not names.
    assert!(!decide(&m, &flow(&s, addr("52.1.1.1"), Proto::Tcp, 443)).allowed);
    // Only Allow rules, without nets or selector.
    let e = refusal(CalicoEvaluator::load(
        &domains.replace("Allow", "Deny"),
        true,
    ));
    assert!(e.contains("only valid in Allow rules"), "{e}");
    let e = refusal(CalicoEvaluator::load(
        &domains.replace("      ports", "      nets: [10.0.0.0/8]\n      ports"),
        true,
    ));
    assert!(e.contains("no nets and no selector"), "{e}");
}
