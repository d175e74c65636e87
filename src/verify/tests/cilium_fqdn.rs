//! `toFQDNs`: names and patterns, and the DNS proxy that must see the lookups.

use super::utils::*;
use crate::model::Proto;
use crate::verify::cilium::CiliumEvaluator;
use crate::verify::kube_dns;

const DNS_RULE: &str = "  - toEndpoints:
    - matchLabels:
        k8s-app: kube-dns
        \"k8s:io.kubernetes.pod.namespace\": kube-system
    toPorts:
    - ports:
      - port: \"53\"
        protocol: UDP
      rules:
        dns:
        - matchPattern: \"*\"
";

fn fqdn_policy(patterns: &str, dns: &str) -> CiliumEvaluator {
    let spec = format!(
        "  endpointSelector: {{}}\n  egress:\n{dns}  - toFQDNs:\n{patterns}    toPorts:\n    - ports:\n      - port: \"443\"\n        protocol: TCP\n"
    );
    cilium(&[cnp("payments", "p", &spec)])
}

#[test]
fn fqdn_names_and_patterns() {
    let m = fqdn_policy(
        "    - matchName: API.Stripe.com\n    - matchPattern: \"*.one.example\"\n    - matchPattern: \"**.any.example\"\n    - matchPattern: part*ial.com\n",
        DNS_RULE,
    );
    let allowed = |name: &str| decide(&m, &to_host(&api(), name, None, 443)).allowed;
    assert!(allowed("api.stripe.com"));
    assert!(allowed("api.stripe.com."));
    assert!(allowed("API.STRIPE.COM"));
    assert!(!allowed("x.api.stripe.com"));
    assert!(allowed("a.one.example"));
    assert!(!allowed("a.b.one.example"), "`*.` is one label");
    assert!(!allowed("one.example"));
    assert!(allowed("a.any.example"));
    assert!(allowed("a.b.any.example"), "`**.` is one or more labels");
    assert!(!allowed("any.example"));
    assert!(allowed("partial.com"));
    assert!(allowed("part-extra-ial.com"));
    assert!(!allowed("part.ial.com"));
    let d = decide(&m, &to_host(&api(), "evil.example", None, 443));
    assert!(
        d.closest
            .as_deref()
            .unwrap()
            .contains("does not match toFQDNs"),
        "{d:?}"
    );
    // `*` alone matches every name; toFQDNs never matches addresses or pods.
    let m = fqdn_policy("    - matchPattern: \"*\"\n", DNS_RULE);
    assert!(decide(&m, &to_host(&api(), "anything.example.org", None, 443)).allowed);
    assert!(!decide(&m, &to_addr(&api(), "1.1.1.1", Proto::Tcp, 443)).allowed);
    // A host with an address is allowed by name too.
    let d = decide(&m, &to_host(&api(), "a.example", Some("203.0.113.7"), 443));
    assert!(d.allowed, "{d:?}");
}

#[test]
fn fqdn_needs_the_dns_proxy() {
    // No rules.dns: the proxy never sees the lookup.
    let plain = DNS_RULE.replace(
        "      rules:\n        dns:\n        - matchPattern: \"*\"\n",
        "",
    );
    let m = fqdn_policy("    - matchName: api.stripe.com\n", &plain);
    let d = decide(&m, &to_host(&api(), "api.stripe.com", None, 443));
    assert!(!d.allowed, "{d:?}");
    let closest = d.closest.unwrap();
    assert!(closest.contains("DNS proxy"), "{closest}");
    assert!(closest.contains("payments/p spec.egress[1]"), "{closest}");
    // The lookup itself is still allowed.
    assert!(decide(&m, &to_pod(&api(), kube_dns(), Proto::Udp, 53)).allowed);
    // rules.dns that does not match the name.
    let strict = DNS_RULE.replace("matchPattern: \"*\"", "matchName: other.example");
    let m = fqdn_policy("    - matchName: api.stripe.com\n", &strict);
    let d = decide(&m, &to_host(&api(), "api.stripe.com", None, 443));
    assert!(!d.allowed, "{d:?}");
    assert!(
        d.closest
            .as_deref()
            .unwrap()
            .contains("no toPorts[].rules.dns"),
        "{d:?}"
    );
    // A DNS rule that the proxy sees, but a deny drops the lookup.
    let m = cilium(&[
        cnp(
            "payments",
            "p",
            &format!(
                "  endpointSelector: {{}}\n  egress:\n{DNS_RULE}  - toFQDNs:\n    - matchName: api.stripe.com\n"
            ),
        ),
        ccnp(
            "no-dns",
            "  endpointSelector: {}\n  egressDeny:\n  - toEndpoints:\n    - matchLabels:\n        k8s-app: kube-dns\n",
        ),
    ]);
    let d = decide(&m, &to_host(&api(), "api.stripe.com", None, 443));
    assert!(!d.allowed, "{d:?}");
    assert!(
        d.closest
            .as_deref()
            .unwrap()
            .contains("denied by no-dns spec.egressDeny[0]"),
        "{d:?}"
    );
}
