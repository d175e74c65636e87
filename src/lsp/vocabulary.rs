//! The words of the language with what each means, for hover and completion: the parameter
//! types, the keywords and the named arguments of `http(...)` and `tls(...)`.

/// The parameter types, with what they accept.
pub const TYPES: [(&str, &str); 5] = [
    (
        "cidr",
        "an IPv4 or IPv6 address or CIDR range (`10.20.30.0/24`, `fd00::1`), with or without a port",
    ),
    (
        "host",
        "a host name (`api.stripe.com`); `*.x` matches exactly one label, `**.x` one or more",
    ),
    ("port", "a port or a port range (`5432`, `8000-8100`)"),
    ("proto", "a protocol: `tcp`, `udp` or `sctp`"),
    (
        "dest",
        "any destination: a name, an address, a host name, `pods{...}`, or a list of them",
    ),
];

/// The named arguments of the calls that take them after their destination, and the cluster
/// `pods(...)` takes after its namespace, with what each matches: (call, argument, meaning).
pub const CALL_PARAMS: [(&str, &str, &str); 7] = [
    (
        "http",
        "method",
        "an upper-case HTTP method, matched exactly: `method = GET`",
    ),
    (
        "http",
        "path",
        "a quoted path, matched whole with any query string; a final `*` for a prefix: `path = \"/v1/*\"`",
    ),
    (
        "http",
        "host",
        "the request's `Host` header, matched as host names are: `host = api.example.com`",
    ),
    (
        "http",
        "header",
        "a header the request carries: `header = X-Team` (any value) or `header = \"X-Team: payments\"` (exactly that value); several are all required",
    ),
    (
        "tls",
        "name",
        "a server name the ClientHello sends (SNI), matched as host names are: `name = api.example.com`",
    ),
    (
        "pods",
        "cluster",
        "another cluster of a Cilium cluster mesh, whose pods these are (`set cluster-name` names this one): `pods(default, cluster = cluster2){name=rebel-base}`",
    ),
    (
        "dns",
        "name",
        "a name the workload may look up, matched as host names are; every other lookup is refused: `name = api.example.com`",
    ),
];

/// The protocols without ports a port suffix names (`:icmp`, `:gre`), with what each is.
pub const PORTLESS: [(&str, &str); 8] = [
    (
        "icmp",
        "ICMP for IPv4: `:icmp` every message, `:icmp(8)` one type (8 is an echo request), `:icmp(3, 4)` one type and code",
    ),
    (
        "icmpv6",
        "ICMP for IPv6: `:icmpv6` every message, `:icmpv6(128)` one type (128 is an echo request), `:icmpv6(1, 4)` one type and code",
    ),
    ("gre", "GRE, IP protocol 47 (tunnels); no ports"),
    ("esp", "IPsec ESP, IP protocol 50; no ports"),
    ("ah", "IPsec AH, IP protocol 51; no ports"),
    ("vrrp", "VRRP, IP protocol 112; no ports"),
    ("ipip", "IP in IP, IP protocol 4 (tunnels); no ports"),
    (
        "igmp",
        "IGMP, IP protocol 2 (multicast membership); no ports",
    ),
];

/// Keywords, as completion labels, with a short explanation.
pub const KEYWORDS: [(&str, &str); 9] = [
    (
        "namespace",
        "`namespace NAME`: the statements that follow apply to this namespace.",
    ),
    (
        "app",
        "`app NAME -> DESTINATIONS [deny DESTINATIONS]`: the pods labelled `app=NAME` may reach exactly these destinations.",
    ),
    (
        "pods",
        "`pods NAME {SELECTOR} -> DESTINATIONS`: the pods matching a label selector. As a destination, `pods{...}` selects pods of the same namespace, `pods(NS){...}` of namespace NS, `pods(*){...}` of any.",
    ),
    (
        "def",
        "`def NAME(PARAM: TYPE = DEFAULT, ...) = DESTINATIONS`: a reusable destination list; `##` lines right above it are its documentation.",
    ),
    (
        "default deny",
        "`default deny`: every pod of the namespace is isolated for egress.",
    ),
    (
        "deny",
        "`deny DESTINATIONS`: never allowed, even where an allowance covers them.",
    ),
    (
        "cluster",
        "`cluster NAME [{SELECTOR}] [in ns{...}] [except NS, ...] -> DESTINATIONS`: an allow-list for pods of every namespace (cilium, calico); `cluster NAME ... deny DESTINATIONS`: a guardrail, a deny that isolates no pod.",
    ),
    (
        "host",
        "`host NAME [{NODE LABELS}] -> DESTINATIONS [deny DESTINATIONS]`: an allow-list for the own traffic of the nodes whose labels match (host network namespace, host-networked pods included): cilium's host firewall (`nodeSelector`), calico's host endpoints (failsafe ports allowed to `any`); native refuses it (E0542).",
    ),
    (
        "reserved",
        "`reserved init|health -> DESTINATIONS [deny DESTINATIONS]`: an allow-list for the endpoints of one of cilium's reserved identities: `init`, endpoints still initialising (their labels not known yet), or `health`, cilium's health endpoints; other targets refuse it (E0549).",
    ),
];

/// Every word that starts a statement where it begins a line (`pods` only when a name follows:
/// `pods{...}` and `pods(NS){...}` are destinations).
pub const STATEMENT_WORDS: [&str; 10] = [
    "namespace",
    "def",
    "app",
    "pods",
    "default",
    "cluster",
    "host",
    "reserved",
    "set",
    "expect",
];

/// What each of Cilium's reserved identities a `reserved` statement selects is.
pub fn reserved_identity(identity: crate::model::Reserved) -> &'static str {
    match identity {
        crate::model::Reserved::Init => {
            "`reserved:init`: endpoints still initialising, whose labels cilium does not know yet"
        }
        crate::model::Reserved::Health => {
            "`reserved:health`: the health endpoints cilium runs on each node"
        }
    }
}

/// The other statements, completed at the start of a line.
pub const STATEMENT_KEYWORDS: [(&str, &str); 2] = [
    (
        "expect",
        "`expect WORKLOAD -> DESTINATION allow|deny`: a flow the policies must allow or deny (`egressc test`).",
    ),
    (
        "set",
        "`set KEY = VALUE`: a lint setting (a threshold or a fact about the cluster).",
    ),
];

/// The attribute that allows a lint's finding on the next statement.
pub const ALLOW: (&str, &str) = (
    "@allow",
    "`@allow(CODE, \"reason\")`: the next statement may have this lint's finding (W01xx, or its name), for the reason given.",
);

/// Words that start a destination, for completion in a destination list and hover.
pub const DESTINATION_KEYWORDS: [(&str, &str); 3] = [
    (
        "service",
        "`service(NAMESPACE/NAME)`: the endpoints of a Service, on the ports the Service forwards to (`service(NAME)`: in the statement's namespace; no port suffix, E0343). Calico only; native NetworkPolicy and Cilium refuse it (E0524).",
    ),
    (
        "serviceaccount",
        "`serviceaccount(NAMESPACE/NAME)`: the pods running as a service account (`serviceaccount(NAME)`: in the statement's namespace). Cilium and Calico; native NetworkPolicy cannot select them (E0509).",
    ),
    (
        "ns",
        "`pods(ns{KEY=VALUE, ...}){...}`: the pods of every namespace carrying these labels (inside `pods(...)`).",
    ),
];

/// Keywords that only appear inside statements, for hover.
pub const OTHER_KEYWORDS: [(&str, &str); 4] = [
    (
        "default",
        "`default deny`: every pod of the namespace is isolated for egress.",
    ),
    (
        "set",
        "`set KEY = VALUE`: a lint setting (a threshold or a fact about the cluster).",
    ),
    (
        "in",
        "`KEY in (A, B)`: the label KEY is set to one of the values.",
    ),
    (
        "notin",
        "`KEY notin (A, B)`: the label KEY is unset or set to none of the values.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Completion offers exactly the named arguments the checker takes.
    #[test]
    fn call_params_are_the_checkers() {
        for call in ["http", "tls", "dns"] {
            let mut offered: Vec<&str> = CALL_PARAMS
                .iter()
                .filter(|(c, _, _)| *c == call)
                .map(|(_, p, _)| *p)
                .collect();
            let mut taken = crate::check::call_params(call).to_vec();
            offered.sort_unstable();
            taken.sort_unstable();
            assert_eq!(offered, taken, "`{call}(...)`");
        }
        for (call, _, _) in CALL_PARAMS {
            assert!(
                call == "pods" || !crate::check::call_params(call).is_empty(),
                "`{call}` takes no named argument"
            );
        }
    }
}
