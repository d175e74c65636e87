//! The surface AST: what the user wrote, classified but not yet validated. Every node carries
//! the span it came from; literal values are kept as source text for the checker to validate.

use crate::source::{FileId, Span, Spanned};

/// A name as written: `payments`, `payments-api`, `rds`.
pub type Name = Spanned<String>;

/// One parsed file.
#[derive(Clone, Debug)]
pub struct File {
    pub id: FileId,
    pub items: Vec<Item>,
}

/// A statement.
#[derive(Clone, Debug)]
pub enum Item {
    /// `namespace payments`
    Namespace(Name),
    /// `def rds(db: cidr | host, port: port = 5432) = db:port/tcp`
    Def(Def),
    /// `app payments-api -> dns deny metadata` and `pods jobs {tier=batch} -> dns`
    Workload(Workload),
    /// `default deny`
    DefaultDeny(Span),
    /// `cluster block-metadata deny metadata`
    Cluster(Cluster),
    /// `host workers {type=ingress-worker} -> nodes:6443/tcp`
    Host(Host),
    /// `reserved init -> any:53/udp`
    Reserved(ReservedStmt),
    /// `set wide-cidr-v4 = 16`
    Set(Setting),
    /// `@allow(W0102, "reason")`, applying to the next statement
    Allow(Suppression),
    /// `expect payments-api -> 10.20.30.7:5432/tcp allow`
    Expect(Box<Expect>),
}

impl Item {
    /// The source the statement covers.
    pub fn span(&self) -> Span {
        match self {
            Item::Namespace(n) => n.span,
            Item::Def(d) => d.span,
            Item::Workload(w) => w.span,
            Item::DefaultDeny(s) => *s,
            Item::Cluster(c) => c.span,
            Item::Host(h) => h.span,
            Item::Reserved(r) => r.span,
            Item::Set(s) => s.span,
            Item::Allow(a) => a.span,
            Item::Expect(e) => e.span,
        }
    }
}

/// `expect payments-api -> api.stripe.com:443 resolving 54.187.216.72 allow`
#[derive(Clone, Debug)]
pub struct Expect {
    pub workload: Name,
    pub dest: Dest,
    /// `resolving ADDRESS`, for a host name.
    pub resolving: Option<Spanned<String>>,
    pub allow: bool,
    pub span: Span,
}

/// `set pod-cidrs = 10.244.0.0/16`
#[derive(Clone, Debug)]
pub struct Setting {
    pub key: Name,
    pub values: Vec<Dest>,
    pub span: Span,
}

/// `@allow(W0102, "reason")`
#[derive(Clone, Debug)]
pub struct Suppression {
    pub code: Spanned<String>,
    pub reason: Option<Spanned<String>>,
    pub span: Span,
}

/// A named definition, possibly with parameters.
#[derive(Clone, Debug)]
pub struct Def {
    pub name: Name,
    pub params: Vec<Param>,
    pub body: Vec<Dest>,
    /// The `##` lines right above the definition, without the markers.
    pub doc: Option<String>,
    pub span: Span,
}

/// `port: port = 5432`
#[derive(Clone, Debug)]
pub struct Param {
    pub name: Name,
    /// `cidr | host` — one or more type names.
    pub types: Vec<Name>,
    pub default: Option<Dest>,
    pub span: Span,
}

/// How a workload statement selects its pods.
#[derive(Clone, Debug)]
pub enum WorkloadSelector {
    /// `app NAME`: pods labelled `app=NAME`.
    App,
    /// `pods NAME {..}`: a general label selector.
    Labels(Selector),
}

/// `app payments-api -> dns, rds(10.20.30.0/24) deny metadata`
#[derive(Clone, Debug)]
pub struct Workload {
    pub name: Name,
    pub selector: WorkloadSelector,
    pub allow: Vec<Dest>,
    pub deny: Vec<Dest>,
    pub span: Span,
}

/// `cluster block-metadata deny metadata` (a guardrail) or `cluster agents {app=agent} in
/// ns{team=obs} except kube-system -> collector deny metadata` (a cluster-wide allow-list).
#[derive(Clone, Debug)]
pub struct Cluster {
    pub name: Name,
    /// `{app=agent}`: the pods selected in each namespace; `None` selects every pod.
    pub selector: Option<Selector>,
    /// `in ns{team=obs}`: the namespaces whose pods are selected (the span is the `ns{...}`).
    pub namespaces: Option<(Selector, Span)>,
    /// `except kube-system, calico-system`: namespaces left out.
    pub except: Option<Except>,
    /// `-> ...`: the allow list of a cluster-wide allow-list; `None` for a guardrail
    /// (`cluster NAME deny ...`).
    pub allow: Option<Vec<Dest>>,
    pub deny: Vec<Dest>,
    pub span: Span,
}

/// `host workers {type=ingress-worker} -> nodes:6443/tcp deny metadata`: an allow-list for the
/// own traffic of the nodes whose labels match (every node without a selector).
#[derive(Clone, Debug)]
pub struct Host {
    pub name: Name,
    /// `{type=ingress-worker}`: the nodes' labels; `None` selects every node.
    pub selector: Option<Selector>,
    /// `pods{...}` written where the nodes' labels go (refused by the checker, E0371).
    pub pods: Option<Span>,
    /// `in ns{...}` (refused by the checker, E0370: nodes have no namespace).
    pub namespaces: Option<(Selector, Span)>,
    /// `except ...` (refused by the checker, E0370).
    pub except: Option<Except>,
    pub allow: Vec<Dest>,
    pub deny: Vec<Dest>,
    pub span: Span,
}

/// `reserved init -> any:53/udp deny metadata`: an allow-list for the endpoints of one of
/// Cilium's reserved identities, named by `identity` (`init`, `health`; others are refused by
/// the checker).
#[derive(Clone, Debug)]
pub struct ReservedStmt {
    pub identity: Name,
    pub allow: Vec<Dest>,
    pub deny: Vec<Dest>,
    pub span: Span,
}

/// `except kube-system, calico-system`
#[derive(Clone, Debug)]
pub struct Except {
    pub names: Vec<Name>,
    /// The whole clause, `except` included.
    pub span: Span,
}

/// A destination expression with an optional port suffix.
#[derive(Clone, Debug)]
pub struct Dest {
    pub kind: DestKind,
    /// `:5432/tcp` written after a call, a name or a pods destination (for literals the suffix
    /// is part of the [`Atom`]).
    pub ports: Option<PortSuffix>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum DestKind {
    /// A literal or a name, classified.
    Atom(Atom),
    /// `rds(10.20.30.0/24:5432, port = 6432)`
    Call { name: Name, args: Vec<Arg> },
    /// `serviceaccount(payments/ledger)`: the pods running as a service account; without
    /// `NAMESPACE/`, in the statement's namespace.
    ServiceAccount { namespace: Option<Name>, name: Name },
    /// `service(kube-system/kube-dns)`: the endpoints of a Service on its own ports; without
    /// `NAMESPACE/`, in the statement's namespace.
    Service { namespace: Option<Name>, name: Name },
    /// `"/v1/orders/*"`: a quoted text, as an argument (`http(..., path = "/v1/*")`); the
    /// text between the quotes.
    Text(Spanned<String>),
    /// `pods(kube-system){k8s-app=kube-dns}`; `pods(kube-system)` has an empty selector.
    Pods {
        namespace: Option<NamespaceRef>,
        selector: Selector,
        /// `cluster = cluster2` after the namespace: the parameter's name and value as written.
        cluster: Option<(Name, Name)>,
    },
}

/// `pods(kube-system)`, `pods(*)` or `pods(ns{team=payments})`
#[derive(Clone, Debug)]
pub enum NamespaceRef {
    Any(Span),
    Named(Name),
    /// `ns{team=payments}`: every namespace carrying these labels; the span is the whole
    /// `ns{...}`.
    Labels(Selector, Span),
}

/// A call argument, positional or named.
#[derive(Clone, Debug)]
pub struct Arg {
    pub name: Option<Name>,
    pub value: Dest,
}

/// `:5432`, `:8000-8100/udp`, `:port/tcp`, `:icmp(8, 0)` — each part as written.
#[derive(Clone, Debug)]
pub struct PortSuffix {
    /// `5432`, `port`, `icmp`.
    pub port: Spanned<String>,
    pub proto: Option<Spanned<String>>,
    /// `(8, 0)` after a protocol: an ICMP type and code, as written (empty without parentheses).
    pub args: Vec<Spanned<String>>,
    pub span: Span,
}

/// What a literal token looks like, decided from its characters only.
#[derive(Clone, Debug)]
pub enum Atom {
    /// `10.20.30.0/24:5432`, `[fd00::1]:443`, `169.254.169.254`
    Ip {
        addr: Spanned<String>,
        prefix: Option<Spanned<String>>,
        ports: Option<PortSuffix>,
    },
    /// `api.stripe.com:443`, `*.example.com`, `**.s3.amazonaws.com`
    Host {
        name: Spanned<String>,
        ports: Option<PortSuffix>,
    },
    /// `5432`, `8000-8100`
    Port(Spanned<String>),
    /// `dns`, `metadata`, `tcp`, `db:port/tcp`
    Name {
        name: Name,
        ports: Option<PortSuffix>,
    },
}

/// `{tier=batch, env in (prod, staging), canary, !legacy}`
#[derive(Clone, Debug)]
pub struct Selector {
    pub terms: Vec<LabelTerm>,
    pub span: Span,
}

/// One term of a label selector.
#[derive(Clone, Debug)]
pub enum LabelTerm {
    /// `tier=batch`
    Eq(Spanned<String>, Spanned<String>),
    /// `tier != batch`
    Ne(Spanned<String>, Spanned<String>),
    /// `env in (prod, staging)`
    In(Spanned<String>, Vec<Spanned<String>>),
    /// `env notin (dev)`
    NotIn(Spanned<String>, Vec<Spanned<String>>),
    /// `canary`
    Exists(Spanned<String>),
    /// `!legacy`
    Absent(Spanned<String>),
}
