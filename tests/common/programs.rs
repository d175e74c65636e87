//! Random well-typed programs for property tests (`tests/equivalence.rs`, `tests/import.rs`):
//! apps in one namespace, each with a few destinations from [`ALLOWS`] and denials from
//! [`DENIES`], with or without a default deny and a guardrail.

/// Fragments for random programs: each a destination the language accepts.
pub const ALLOWS: &[&str] = &[
    "dns",
    "strict-dns",
    "rds(10.20.30.0/24)",
    "10.0.0.0/8:8000-8100/udp",
    "10.1.2.0/24:443",
    "10.1.0.0/16:22",
    "internet:443/tcp",
    "private:5432",
    "0.0.0.0/0:80",
    "::/0:443",
    "2001:db8::/32:8443",
    "pods{app=ledger}:8443",
    "pods(billing){tier=api, env in (prod, staging)}:9090",
    "pods(*){app=otel}:4317",
    "pods{team notin (red), !legacy}:7000-7010",
    "fqdn(api.stripe.com:443)",
    "https(*.example.com)",
    "https(**.s3.amazonaws.com)",
    "special*service.api.example.io:443/tcp",
    "169.254.169.254/32:80",
    "10.1.2.0/24:icmp(8)",
    "fd00::/64:icmpv6(128)",
    "pods{app=ledger}:icmp",
    "internet:icmp(3, 4)",
    "10.9.0.0/16:gre",
    "any:443/tcp",
    "any:53/udp",
    "any",
    "pods(kube-system)",
    "pods(ns{team=payments}){app=x}:80",
    "pods(ns{env in (prod, staging), !legacy})",
    "serviceaccount(ledger):8443",
    "serviceaccount(billing/reporter)",
    "kube-apiserver:6443/tcp",
    "kube-apiserver",
    "nodes:10250/tcp",
    "nodes",
    "this-node:10250/tcp",
    "other-nodes:4240/tcp",
    "cluster:8080/tcp",
    "cluster",
    "world:443/tcp",
    "service(kube-system/kube-dns)",
    "service(ledger/ledger-api)",
];

pub const DENIES: &[&str] = &[
    "metadata",
    "10.1.2.0/25",
    "10.1.0.0/16:22",
    "10.20.30.128/25:5432",
    "private:5432",
    "pods{app=ledger}",
    "0.0.0.0/1:80",
    "10.1.2.0/25:icmp(8)",
    "10.0.0.0/8:icmp",
    "any:25/tcp",
    "pods(ns{team=payments})",
    "serviceaccount(ledger)",
    "kube-apiserver",
    "nodes:22/tcp",
    "this-node",
    "cluster:25/tcp",
    "service(cache)",
];

/// Cluster facts to put before a random program: none (the default cluster, where the
/// documented difference on undeclared pod and node addresses shows), and declared ranges
/// overlapping the fragments' own (pods and nodes inside `10.0.0.0/8`, nodes in IPv6, Services,
/// the API server on a node, and on a node and outside the cluster in a private range).
#[allow(dead_code, reason = "tests/import.rs does not declare facts")]
pub const FACTS: &[&str] = &[
    "",
    "set pod-cidrs = 10.244.0.0/16\nset node-cidrs = 10.1.0.0/20\n",
    "set pod-cidrs = 10.1.2.64/26, fd00:10:244::/56\nset node-cidrs = 10.0.0.0/20, 2001:db8:5::/64\nset service-cidrs = 10.96.0.0/12\nset apiserver = 10.0.0.10\n",
    "set pod-cidrs = 10.244.0.0/16\nset service-cidrs = 10.96.0.0/12\nset node-cidrs = 10.1.0.0/20\nset apiserver = 10.1.0.5, 10.20.30.200\n",
];

/// Names for the random programs' apps and namespace: statement keywords among them, which
/// are names wherever a name is expected.
pub const NAMES: &[&str] = &["default", "deny", "set", "pods", "app-4", "app-5"];

/// DNS servers a random program may declare (`set dns-server = ...`): OpenShift's DNS pods and a
/// node-local DNS cache.
pub const DNS_SERVERS: &[&str] = &[
    "pods(openshift-dns){dns.operator.openshift.io/daemonset-dns=default}",
    "169.254.20.10",
];

/// A random program: `set dns-server = DNS_SERVERS[i]` when `dns_server` is `Some(i)`, its
/// apps (allow and deny fragments, or `none`), whether the namespace has `default deny`,
/// whether a guardrail applies, and whether the namespace is `default`.
pub fn program_with_dns(
    dns_server: Option<usize>,
    apps: Vec<(Vec<usize>, Vec<usize>, bool)>,
    default_deny: bool,
    guardrail: bool,
    keyword_namespace: bool,
) -> String {
    let mut s = String::new();
    if let Some(i) = dns_server {
        s.push_str(&format!(
            "set dns-server = {}\n",
            DNS_SERVERS[i % DNS_SERVERS.len()]
        ));
    }
    if guardrail {
        s.push_str("cluster guard deny metadata, 10.9.0.0/16, pods(ns{team=red}){app=db}, serviceaccount(kube-system/untrusted)\n");
    }
    s.push_str(if keyword_namespace {
        "namespace default\n"
    } else {
        "namespace payments\n"
    });
    if default_deny {
        s.push_str("default deny\n");
    }
    for (i, (allow, deny, none)) in apps.iter().enumerate() {
        let name = NAMES[i % NAMES.len()];
        if *none {
            s.push_str(&format!("app {name} -> none\n"));
            continue;
        }
        let allow: Vec<&str> = allow.iter().map(|a| ALLOWS[*a % ALLOWS.len()]).collect();
        s.push_str(&format!("app {name} -> {}", allow.join(", ")));
        if !deny.is_empty() {
            let deny: Vec<&str> = deny.iter().map(|d| DENIES[*d % DENIES.len()]).collect();
            s.push_str(&format!(" deny {}", deny.join(", ")));
        }
        s.push('\n');
    }
    s.push_str("pods batch {tier=batch, !app} -> dns, 10.50.0.0/24:443\n");
    s
}

/// Subjects of a random cluster-wide allow-list (what follows `cluster NAME`): every pod, pods
/// by label in every namespace, namespaces by label, namespaces left out (the random apps'
/// own among them).
#[allow(
    dead_code,
    reason = "tests/import.rs writes no cluster-wide allow-lists"
)]
pub const CLUSTER_SUBJECTS: &[&str] = &[
    "",
    "{app=agent}",
    "in ns{team=obs}",
    "except kube-system, payments",
    "{tier=batch} except default",
    "{app=app-4} in ns{env in (prod, staging)} except kube-system",
];

/// Destinations of a random cluster-wide allow-list (pods always with their namespace);
/// `none` is written alone.
#[allow(
    dead_code,
    reason = "tests/import.rs writes no cluster-wide allow-lists"
)]
pub const CLUSTER_ALLOWS: &[&str] = &[
    "dns",
    "strict-dns",
    "none",
    "internet:443/tcp",
    "pods(monitoring){app=prometheus}:9090",
    "pods(*){app=otel}:4317",
    "10.1.2.0/24:443",
    "any:53/udp",
    "pods(ns{team=payments}){app=x}:80",
    "serviceaccount(billing/reporter)",
    "http(pods(shop){app=api}:8080, path = \"/v1/*\")",
    "http(10.1.2.0/24:80, method = POST, path = \"/orders\")",
    "http(10.1.2.0/24:80, header = \"X-Team: payments\")",
];

#[allow(
    dead_code,
    reason = "tests/import.rs writes no cluster-wide allow-lists"
)]
pub const CLUSTER_DENIES: &[&str] = &["metadata", "10.1.2.0/25", "pods(kube-system)", "any:25/tcp"];

/// A cluster-wide allow-list: `cluster everywhere SUBJECT -> ALLOWS deny DENIES`, or `-> none`
/// when the allows hold `none`.
#[allow(
    dead_code,
    reason = "tests/import.rs writes no cluster-wide allow-lists"
)]
pub fn cluster_statement(subject: usize, allow: &[usize], deny: &[usize]) -> String {
    let subject = CLUSTER_SUBJECTS[subject % CLUSTER_SUBJECTS.len()];
    let allow: Vec<&str> = allow
        .iter()
        .map(|a| CLUSTER_ALLOWS[*a % CLUSTER_ALLOWS.len()])
        .collect();
    if allow.contains(&"none") {
        return format!("cluster everywhere {subject} -> none\n");
    }
    let mut s = format!("cluster everywhere {subject} -> {}", allow.join(", "));
    if !deny.is_empty() {
        let deny: Vec<&str> = deny
            .iter()
            .map(|d| CLUSTER_DENIES[*d % CLUSTER_DENIES.len()])
            .collect();
        s.push_str(&format!(" deny {}", deny.join(", ")));
    }
    s.push('\n');
    s
}

/// Subjects of a random host statement (what follows `host NAME`): every node, nodes by label,
/// and a Kubernetes label that Cilium leaves out of a node's identity (refused there).
#[allow(dead_code, reason = "tests/import.rs writes no host statements")]
pub const HOST_SUBJECTS: &[&str] = &[
    "",
    "{type=worker}",
    "{role in (ingress, egress), !tainted}",
    "{kubernetes.io/os=linux}",
];

/// Destinations of a random host statement; the first is the failsafe ports Calico keeps open
/// on host endpoints (without it Calico refuses), `none` is written alone.
#[allow(dead_code, reason = "tests/import.rs writes no host statements")]
pub const HOST_ALLOWS: &[&str] = &[
    "any:53/udp, any:67/udp, any:179/tcp, any:2379-2380/tcp, any:5473/tcp, any:6443/tcp, any:6666-6667/tcp",
    "dns",
    "none",
    "internet:443/tcp",
    "nodes:10250/tcp",
    "other-nodes:4240/tcp",
    "kube-apiserver:6443/tcp",
    "pods(kube-system){k8s-app=kube-dns}:53/udp",
    "any:443/tcp",
    "10.1.2.0/24:8472/udp",
    "10.9.0.0/16:gre",
    "cluster:8080/tcp",
];

#[allow(dead_code, reason = "tests/import.rs writes no host statements")]
pub const HOST_DENIES: &[&str] = &["metadata", "10.1.2.0/25", "any:25/tcp", "pods(kube-system)"];

/// A host statement: `host nodes SUBJECT -> ALLOWS deny DENIES`, or `-> none` when the allows
/// hold `none`.
#[allow(dead_code, reason = "tests/import.rs writes no host statements")]
pub fn host_statement(subject: usize, allow: &[usize], deny: &[usize]) -> String {
    let subject = HOST_SUBJECTS[subject % HOST_SUBJECTS.len()];
    let allow: Vec<&str> = allow
        .iter()
        .map(|a| HOST_ALLOWS[*a % HOST_ALLOWS.len()])
        .collect();
    if allow.contains(&"none") {
        return format!("host workers {subject} -> none\n");
    }
    let mut s = format!("host workers {subject} -> {}", allow.join(", "));
    if !deny.is_empty() {
        let deny: Vec<&str> = deny
            .iter()
            .map(|d| HOST_DENIES[*d % HOST_DENIES.len()])
            .collect();
        s.push_str(&format!(" deny {}", deny.join(", ")));
    }
    s.push('\n');
    s
}

/// HTTP allowances of a random reserved statement, besides the host statements' destinations.
#[allow(
    dead_code,
    reason = "only tests/equivalence.rs writes reserved statements"
)]
pub const RESERVED_HTTP: &[&str] = &[
    "http(pods(shop){app=api}:8080, path = \"/v1/*\", header = X-Trace-Id)",
    "http(10.1.2.0/24:80, method = POST, path = \"/orders\")",
];

/// A statement of a reserved identity (`init` or `health`, by `identity`'s parity, with the
/// host statements' destinations and HTTP allowances): `reserved IDENTITY -> ALLOWS deny
/// DENIES`, or `-> none`.
#[allow(
    dead_code,
    reason = "only tests/equivalence.rs writes reserved statements"
)]
pub fn reserved_statement(identity: usize, allow: &[usize], deny: &[usize]) -> String {
    let identity = ["init", "health"][identity % 2];
    let allow: Vec<&str> = allow
        .iter()
        .filter_map(|a| {
            HOST_ALLOWS
                .iter()
                .chain(RESERVED_HTTP)
                .nth(*a % (HOST_ALLOWS.len() + RESERVED_HTTP.len()))
                .copied()
        })
        .collect();
    if allow.contains(&"none") {
        return format!("reserved {identity} -> none\n");
    }
    let mut s = format!("reserved {identity} -> {}", allow.join(", "));
    if !deny.is_empty() {
        let deny: Vec<&str> = deny
            .iter()
            .map(|d| HOST_DENIES[*d % HOST_DENIES.len()])
            .collect();
        s.push_str(&format!(" deny {}", deny.join(", ")));
    }
    s.push('\n');
    s
}

/// HTTP allowances for random programs (cilium writes them; the other targets refuse them),
/// with a plain allowance that overlaps one of them on its port (a union with it).
#[allow(dead_code, reason = "only tests/equivalence.rs writes HTTP allowances")]
pub const HTTP_ALLOWS: &[&str] = &[
    "http(api.example.com:80, method = GET)",
    "http(pods(shop){app=api}:8080, path = \"/v1/*\")",
    "http(10.1.2.0/24:80, method = POST, path = \"/orders\")",
    "http(any:8080, host = *.example.com:8080)",
    "http(api.example.com:80, host = api.example.com)",
    "http(pods{app=ledger}:8443, method = PUT, path = \"/v1/accounts\", host = **.ledger.internal)",
    "http(api.example.com:80, method = GET, header = \"X-Team: payments\")",
    "http(api.example.com:80, header = X-Trace-Id, header = \"Accept: a, b\")",
    "http(10.1.2.0/24:80, header = \"x-team: Payments\")",
    "10.1.2.128/25:80",
];

/// An app `web` that may reach DNS and some HTTP allowances.
#[allow(dead_code, reason = "only tests/equivalence.rs writes HTTP allowances")]
pub fn http_statement(allow: &[usize]) -> String {
    let allow: Vec<&str> = allow
        .iter()
        .map(|a| HTTP_ALLOWS[*a % HTTP_ALLOWS.len()])
        .collect();
    format!("app web -> dns, {}\n", allow.join(", "))
}

/// TLS allowances for random programs (cilium writes them; the other targets refuse them),
/// with a plain allowance that overlaps one of them on its port through another peer (a union
/// with it: Cilium merges only what one peer is allowed on one port).
#[allow(dead_code, reason = "only tests/equivalence.rs writes TLS allowances")]
pub const TLS_ALLOWS: &[&str] = &[
    "tls(api.example.com:443, name = api.example.com)",
    "tls(any:8443, name = *.example.com, name = api.example.org)",
    "tls(10.1.2.0/24:443, name = **.internal.example.com)",
    "tls(pods(shop){app=api}:9443, name = api-*.example.com)",
    "tls(*.example.com:443, name = *.example.com, name = example.com)",
    "10.1.2.128/25:443",
];

/// An app `vault` that may reach DNS and some TLS allowances.
#[allow(dead_code, reason = "only tests/equivalence.rs writes TLS allowances")]
pub fn tls_statement(allow: &[usize]) -> String {
    let allow: Vec<&str> = allow
        .iter()
        .map(|a| TLS_ALLOWS[*a % TLS_ALLOWS.len()])
        .collect();
    format!("app vault -> dns, {}\n", allow.join(", "))
}

/// Destinations of a random program in a cluster mesh (cilium writes pods of other clusters; the
/// other targets refuse them): pods of another cluster in every form `pods(...)` takes, a deny of
/// some of them, and pods of this cluster with the same labels.
#[allow(dead_code, reason = "only tests/equivalence.rs writes cluster meshes")]
pub const MESH_ALLOWS: &[&str] = &[
    "pods(default, cluster = cluster2){name=rebel-base}:80",
    "pods(*, cluster = cluster2){app=db}",
    "pods(shop, cluster = cluster3)",
    "pods{name=rebel-base}:80",
    "deny pods(*, cluster = cluster2){app=db, tier=secret}",
    "pods(kube-system, cluster = cluster2){k8s-app=kube-dns}:53/udp",
];

/// A program applied in `cluster1` with an app `xwing` that may reach DNS and some of
/// [`MESH_ALLOWS`] (a deny among them becomes the statement's deny clause).
#[allow(dead_code, reason = "only tests/equivalence.rs writes cluster meshes")]
pub fn mesh_statement(allow: &[usize]) -> String {
    let (deny, allow): (Vec<&str>, Vec<&str>) = allow
        .iter()
        .map(|a| MESH_ALLOWS[*a % MESH_ALLOWS.len()])
        .partition(|a| a.starts_with("deny "));
    let allow: Vec<&str> = std::iter::once("dns").chain(allow).collect();
    let mut s = format!(
        "set cluster-name = cluster1\napp xwing -> {}",
        allow.join(", ")
    );
    if let Some(d) = deny.first() {
        s.push(' ');
        s.push_str(d);
    }
    s.push('\n');
    s
}

/// DNS name lists for random programs (cilium writes them; the other targets refuse them): a
/// name the app may look up, and a destination it reaches that the name covers.
#[allow(dead_code, reason = "only tests/equivalence.rs writes DNS name lists")]
pub const DNS_NAMES: &[(&str, &str)] = &[
    ("api.example.com", "api.example.com:443"),
    ("*.example.org", "https(a.example.org)"),
    ("**.s3.amazonaws.com", "https(**.s3.amazonaws.com)"),
    (
        "api-*.example.net",
        "tls(api-v1.example.net:443, name = api-v1.example.net)",
    ),
    ("**.cluster.local", "pods(ledger){app=ledger}:8443"),
    ("example.com", "10.1.2.0/24:443"),
];

/// An app `resolver` that may look up some names only, and reaches what they cover.
#[allow(dead_code, reason = "only tests/equivalence.rs writes DNS name lists")]
pub fn dns_statement(picks: &[usize]) -> String {
    let (names, dests): (Vec<&str>, Vec<&str>) = picks
        .iter()
        .map(|p| DNS_NAMES[*p % DNS_NAMES.len()])
        .unzip();
    let names: Vec<String> = names.iter().map(|n| format!("name = {n}")).collect();
    format!(
        "app resolver -> dns({}), {}\n",
        names.join(", "),
        dests.join(", ")
    )
}
