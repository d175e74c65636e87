//! The native backend's YAML, read back, against the reference on the IR.

use super::utils::*;
use crate::backend::Target;
use crate::model::Proto;

#[test]
fn round_trip_agrees_with_the_reference() {
    let src = "namespace payments
default deny
app payments-api -> dns, rds(10.20.30.0/24:5432), internet:443/tcp deny metadata
";
    let a = pod("payments", &[("app", "payments-api")]);
    let dns = pod("kube-system", &[("k8s-app", "kube-dns")]);
    agree_on(
        src,
        Target::Native,
        &[
            (to_addr(&a, "10.20.30.7", Proto::Tcp, 5432), true),
            (to_addr(&a, "10.20.31.7", Proto::Tcp, 5432), false),
            (to_addr(&a, "10.20.30.7", Proto::Tcp, 5433), false),
            (to_addr(&a, "10.20.30.7", Proto::Udp, 5432), false),
            (to_addr(&a, "203.0.113.7", Proto::Tcp, 443), true),
            (to_addr(&a, "169.254.169.254", Proto::Tcp, 443), false),
            (to_addr(&a, "169.254.169.253", Proto::Tcp, 443), true),
            (to_addr(&a, "2001:db8::7", Proto::Tcp, 443), true),
            (to_pod(&a, dns.clone(), Proto::Udp, 53), true),
            (to_pod(&a, dns.clone(), Proto::Tcp, 53), true),
            (to_pod(&a, dns, Proto::Udp, 54), false),
            (
                to_pod(
                    &a,
                    pod("kube-system", &[("k8s-app", "other")]),
                    Proto::Udp,
                    53,
                ),
                false,
            ),
            (
                to_pod(
                    &a,
                    pod("ledger", &[("k8s-app", "kube-dns")]),
                    Proto::Udp,
                    53,
                ),
                false,
            ),
            (
                to_pod(&a, pod("ledger", &[("app", "ledger")]), Proto::Tcp, 443),
                false,
            ),
            // Other pods of the namespace: the default deny isolates them.
            (
                to_addr(
                    &pod("payments", &[("app", "web")]),
                    "203.0.113.7",
                    Proto::Tcp,
                    443,
                ),
                false,
            ),
            // Pods of a namespace without policies are not isolated.
            (
                to_addr(
                    &pod("ledger", &[("app", "payments-api")]),
                    "169.254.169.254",
                    Proto::Tcp,
                    80,
                ),
                true,
            ),
        ],
    );
}

#[test]
fn round_trip_pods_across_namespaces() {
    let src = "namespace shop
def otel = pods(*){app=otel-collector}:4317/tcp
app storefront -> dns, pods(orders){app=orders-api}:8443, pods{app=cache}:6379, otel
";
    let s = pod("shop", &[("app", "storefront")]);
    agree_on(
        src,
        Target::Native,
        &[
            (
                to_pod(
                    &s,
                    pod("orders", &[("app", "orders-api")]),
                    Proto::Tcp,
                    8443,
                ),
                true,
            ),
            (
                to_pod(&s, pod("shop", &[("app", "orders-api")]), Proto::Tcp, 8443),
                false,
            ),
            (
                to_pod(&s, pod("shop", &[("app", "cache")]), Proto::Tcp, 6379),
                true,
            ),
            (
                to_pod(&s, pod("orders", &[("app", "cache")]), Proto::Tcp, 6379),
                false,
            ),
            (
                to_pod(
                    &s,
                    pod("anywhere", &[("app", "otel-collector")]),
                    Proto::Tcp,
                    4317,
                ),
                true,
            ),
            (
                to_pod(
                    &s,
                    pod("anywhere", &[("app", "otel-collector")]),
                    Proto::Udp,
                    4317,
                ),
                false,
            ),
            (to_addr(&s, "10.0.0.1", Proto::Tcp, 8443), false),
            // No default deny: other pods of shop are not isolated.
            (
                to_addr(
                    &pod("shop", &[("app", "web")]),
                    "10.0.0.1",
                    Proto::Tcp,
                    8443,
                ),
                true,
            ),
        ],
    );
}
