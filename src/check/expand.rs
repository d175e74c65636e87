//! Expansion: destination expressions evaluated to checked destinations, calls expanded by
//! substitution after every argument is checked against its parameter's types.
//!
//! [`Checker`] carries what every phase shares: the program's definitions, the diagnostics so
//! far, the definitions being expanded (to find cycles, E0205), which DNS forms a workload's
//! allow list used, and which definitions the statements used.
//!
//! Cost is bounded (see `crate::limits`): a definition used without arguments is expanded once
//! per context and shared ([`Checker::memo`]); identical destinations of a body are merged;
//! a value over [`MAX_EXPANDED_DESTINATIONS`] is E0211, expansions nested past
//! [`MAX_EXPANSION_DEPTH`] are E0212 and a program past its step budget ([`EXPANSION_STEPS`]
//! plus [`EXPANSION_STEPS_PER_BYTE`] per byte of source) is E0213, each
//! naming the chain of definitions being expanded.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::builtins;
use super::checked::Dest;
use super::defs::signature;
use super::{dns, http, literals, services, tls};
use crate::diagnostics::{Code, Diagnostic, Diagnostics, suggest};
use crate::limits::{
    EXPANSION_STEPS, EXPANSION_STEPS_PER_BYTE, EXPANSION_STEPS_PER_DIAGNOSTIC,
    MAX_EXPANDED_DESTINATIONS, MAX_EXPANSION_DEPTH,
};
use crate::model::{
    HostPattern, HttpMatch, LabelReq, LabelSelector, NamespaceSel, Peer, PortRange, Proto,
};
use crate::source::{Span, Spanned};
use crate::syntax::ast;

/// Where a port came from, for conflicting ports (E0312): the span that gave it, and whether
/// the user gave it (a `:PORT` suffix or an argument) or a parameter's default did.
#[derive(Clone, Copy, Debug)]
pub(super) struct Given {
    pub(super) span: Span,
    pub(super) explicit: bool,
}

/// A destination during expansion, with where its port came from.
#[derive(Clone, Debug)]
pub(super) struct Expanded {
    pub(super) dest: Dest,
    /// `None` while the destination has no port.
    pub(super) port: Option<Given>,
}

impl Expanded {
    /// A destination without a port.
    pub(super) fn new(peer: Peer, origin: Span) -> Expanded {
        Expanded {
            dest: Dest {
                peer,
                ports: None,
                origin,
            },
            port: None,
        }
    }
}

/// A value during expansion: what a destination expression, an argument or a definition's body
/// evaluates to.
#[derive(Clone, Debug)]
pub(super) enum Val {
    /// Destinations (`cidr`, `host` and `dest` values): `10.0.0.0/8:5432`, `api.stripe.com`,
    /// `rds`, `pods{app=db}`, or a definition's whole body.
    Dests(Vec<Expanded>),
    /// A port range, first and last (the same for one port): `5432`, `8000-8100`, and where
    /// it was given.
    Port(u16, u16, Given),
    /// A protocol: `tcp`, `udp` or `sctp`.
    Proto(Proto),
}

impl Val {
    /// The type names this value satisfies: destinations that are all addresses are a `cidr`,
    /// all host names a `host`, and any destinations (an empty list too) a `dest`.
    pub(super) fn types(&self) -> &'static [&'static str] {
        match self {
            Val::Dests(ts)
                if !ts.is_empty() && ts.iter().all(|t| matches!(t.dest.peer, Peer::Net(_))) =>
            {
                &["cidr", "dest"]
            }
            Val::Dests(ts)
                if !ts.is_empty() && ts.iter().all(|t| matches!(t.dest.peer, Peer::Host(_))) =>
            {
                &["host", "dest"]
            }
            Val::Dests(_) => &["dest"],
            Val::Port(..) => &["port"],
            Val::Proto(_) => &["proto"],
        }
    }

    /// The value in words, for messages: `expected a port, found a host name`.
    pub(super) fn describe(&self) -> &'static str {
        match self.types().first() {
            Some(&"cidr") => "an address range",
            Some(&"host") => "a host name",
            Some(&"port") => "a port",
            Some(&"proto") => "a protocol",
            _ => "destinations",
        }
    }
}

/// The state of a check: the definitions, the diagnostics so far, and what expansion has seen.
pub(super) struct Checker<'a> {
    /// Every definition of the program, by name.
    pub(super) defs: HashMap<&'a str, &'a ast::Def>,
    /// Every diagnostic so far, in the order found (`check` sorts them at the end).
    pub(super) diags: Diagnostics,
    /// Definitions being expanded, innermost last, to catch recursion.
    pub(super) stack: Vec<&'a str>,
    /// Which standard-library DNS forms the current allow list used: plain `dns` (outside
    /// `strict-dns`) and `strict-dns`. Reset per workload; see `Workload::strict_dns`.
    pub(super) saw_dns: bool,
    /// See `saw_dns`.
    pub(super) saw_strict_dns: bool,
    /// Whether expansion is for a statement (so definitions count as used); false while
    /// definitions are checked on their own.
    pub(super) marking: bool,
    /// The definitions statements used (see `Program::used_defs`).
    pub(super) used: BTreeSet<String>,
    /// The cluster's DNS server, the value of the built-in `dns-server` (`set dns-server`,
    /// read before anything is expanded; else the CoreDNS pods).
    pub(super) dns_server: Vec<Peer>,
    /// The cluster the policies are applied in (`set cluster-name`, read before anything is
    /// expanded), which pods of another cluster must not name.
    pub(super) cluster_name: Option<String>,
    /// Definition cycles already reported (sorted member names), so that a cycle entered from
    /// each of its members is reported once.
    cycles: BTreeSet<String>,
    /// Expansions in progress inside each other (E0212 past [`MAX_EXPANSION_DEPTH`]).
    depth: usize,
    /// The deepest `depth` reached since the innermost memoised call started.
    deepest: usize,
    /// Expansion steps so far (E0213 past `budget`).
    steps: u64,
    /// The program's step budget; see [`Checker::set_budget`].
    budget: u64,
    /// The step budget ran out: every expansion fails from then on, reported once.
    exhausted: bool,
    /// Calls without arguments already expanded, by context: they are expanded once and
    /// shared, with the origin of each use.
    memo: HashMap<MemoKey<'a>, Memo>,
    /// The namespaces of memoised calls, numbered for [`MemoKey`].
    memo_namespaces: HashMap<String, usize>,
    /// Diagnostics reported so far (code, place, message), each reported once.
    reported: HashSet<(Code, Option<Span>, String)>,
}

/// What a call without arguments depends on besides the definition: the definition it is
/// called from (plain `dns` inside `strict-dns` is not plain DNS), the namespace of
/// `pods{...}` (numbered in `Checker::memo_namespaces`), and whether it counts as used
/// (`Checker::marking`).
type MemoKey<'a> = (&'a str, Option<&'a str>, Option<usize>, bool);

/// A shared expansion: its value (`None`: it failed, and said why), how many levels deep it
/// went, and the DNS forms it used.
#[derive(Clone)]
struct Memo {
    val: Option<Val>,
    height: usize,
    saw_dns: bool,
    saw_strict_dns: bool,
}

/// The values of a definition's parameters while its body is expanded.
pub(super) type Env = HashMap<String, Val>;

impl<'a> Checker<'a> {
    /// A checker with no definitions yet.
    pub(super) fn new() -> Checker<'a> {
        Checker {
            defs: HashMap::new(),
            diags: Diagnostics::new(),
            stack: Vec::new(),
            saw_dns: false,
            saw_strict_dns: false,
            marking: false,
            used: BTreeSet::new(),
            dns_server: vec![Peer::default_dns_server()],
            cluster_name: None,
            cycles: BTreeSet::new(),
            depth: 0,
            deepest: 0,
            steps: 0,
            budget: EXPANSION_STEPS,
            exhausted: false,
            memo: HashMap::new(),
            memo_namespaces: HashMap::new(),
            reported: HashSet::new(),
        }
    }

    /// Sets the step budget for a program of `bytes` bytes of source.
    pub(super) fn set_budget(&mut self, bytes: u64) {
        self.budget =
            EXPANSION_STEPS.saturating_add(EXPANSION_STEPS_PER_BYTE.saturating_mul(bytes));
    }

    /// The definitions being expanded, outermost first, for messages: `` `a` → `b` → `c` ``,
    /// the middle left out when the chain is long.
    fn chain(&self, last: Option<&str>) -> String {
        let names: Vec<&str> = self.stack.iter().copied().chain(last).collect();
        let quote = |ns: &[&str]| {
            ns.iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(" → ")
        };
        match (
            names.get(..4),
            names.len().checked_sub(4).and_then(|i| names.get(i..)),
        ) {
            (Some(head), Some(tail)) if names.len() > 8 => {
                format!("{} → … → {}", quote(head), quote(tail))
            }
            _ => quote(&names),
        }
    }

    /// A note naming the chain of definitions being expanded, if any.
    fn with_chain(&self, d: Diagnostic, last: Option<&str>) -> Diagnostic {
        if self.stack.is_empty() && last.is_none() {
            d
        } else {
            let deep = self.stack.len() + usize::from(last.is_some());
            d.note(format!(
                "while expanding {} ({deep} definition{} deep)",
                self.chain(last),
                if deep == 1 { "" } else { "s" }
            ))
        }
    }

    /// E0212 at `span`: one more level (or `last`, already expanded elsewhere and `below`
    /// levels deep) would pass [`MAX_EXPANSION_DEPTH`].
    fn too_deep(&mut self, span: Span, last: Option<&str>, below: usize) -> Option<Val> {
        let d = Diagnostic::new(
            Code::E0212,
            span,
            format!("expansion nests more than {MAX_EXPANSION_DEPTH} levels deep"),
        )
        .label("one level too many here");
        let mut d = self.with_chain(d, last);
        if let Some(name) = last {
            d = d.note(format!("`{name}` itself nests {below} levels deep"));
        }
        let d = d.help("flatten the chain: define the destinations once and combine them side by side, as in `def all = a, b, c`");
        self.err(d)
    }

    /// E0211 at `span` when `n` destinations pass [`MAX_EXPANDED_DESTINATIONS`].
    fn too_many(&mut self, n: usize, span: Span, what: &str) -> bool {
        if n <= MAX_EXPANDED_DESTINATIONS {
            return false;
        }
        let d = Diagnostic::new(
            Code::E0211,
            span,
            format!("{what} expands to {n} destinations, more than {MAX_EXPANDED_DESTINATIONS}"),
        )
        .label("expands to too many destinations");
        let d = self
            .with_chain(d, None)
            .help("no policy needs this many rules: use wider address ranges or fewer ports");
        self.report(d);
        true
    }

    /// Reports `d`; the value is `None`, so that `return self.err(...)` ends an expansion.
    fn err(&mut self, d: Diagnostic) -> Option<Val> {
        self.report(d);
        None
    }

    /// Records a diagnostic once: a definition's body is expanded again at each use, and would
    /// report the same mistake each time. A new diagnostic costs [`EXPANSION_STEPS_PER_DIAGNOSTIC`] steps of
    /// the budget, so that a program whose expansions keep failing stops as early as one whose
    /// expansions succeed.
    pub(super) fn report(&mut self, d: Diagnostic) {
        let key = (d.code, d.primary_span(), d.message.clone());
        if self.reported.insert(key) {
            let at = d.primary_span().unwrap_or_default();
            self.diags.push(d);
            let _ = self.step(EXPANSION_STEPS_PER_DIAGNOSTIC, at);
        }
    }

    /// E0201 for a name that is neither a parameter, a protocol nor a definition.
    fn unknown_name(&mut self, name: &Spanned<String>, env: &Env) {
        let message = format!("unknown name `{}`", name.node);
        // Met again in another expansion of the same body: said already, without the search
        // for a suggestion.
        if self
            .reported
            .contains(&(Code::E0201, Some(name.span), message.clone()))
        {
            return;
        }
        let mut candidates: Vec<&str> = self.defs.keys().copied().collect();
        candidates.extend(env.keys().map(String::as_str));
        candidates.extend(["tcp", "udp", "sctp"]);
        candidates.extend(builtins::BUILTINS.iter().map(|b| b.name));
        candidates.sort_unstable();
        let mut d = Diagnostic::new(Code::E0201, name.span, message)
            .label("not defined in this program or the standard library");
        if let Some(s) = suggest::did_you_mean(&name.node, candidates) {
            d = d.help(format!("did you mean `{s}`?"));
        } else if name
            .node
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !name.node.contains('.')
        {
            d = d.help("host names need at least one dot, as in `api.example.com`; `egressc explain E0201` lists how names are found");
        }
        self.report(d);
    }

    /// Expands one destination expression.
    ///
    /// `origin` is the span of the statement's destination the expansion started from: every
    /// destination it yields points there. `ns` is the statement's namespace, for `pods{...}`
    /// without one (`None` in a cluster guardrail). A `:PORT/PROTO` suffix applies to the
    /// result. `None` when anything failed, after reporting it.
    pub(super) fn eval(
        &mut self,
        d: &ast::Dest,
        env: &Env,
        ns: Option<&str>,
        origin: Span,
    ) -> Option<Val> {
        if self.exhausted {
            return None;
        }
        if self.depth >= MAX_EXPANSION_DEPTH {
            return self.too_deep(d.span, None, 0);
        }
        self.step(1, d.span)?;
        self.depth += 1;
        self.deepest = self.deepest.max(self.depth);
        let val = self.eval_dest(d, env, ns, origin);
        self.depth -= 1;
        if let Some(Val::Dests(ts)) = &val {
            self.step(ts.len(), d.span)?;
        }
        val
    }

    /// Counts `n` expansion steps; E0213 (once) when the program's budget runs out at `span`.
    fn step(&mut self, n: usize, span: Span) -> Option<()> {
        self.steps = self.steps.saturating_add(n as u64);
        if self.steps <= self.budget {
            return Some(());
        }
        if !self.exhausted {
            self.exhausted = true;
            let d = Diagnostic::new(
                Code::E0213,
                span,
                format!("expansion needs more than {} steps", self.budget),
            )
            .label("the budget ran out here");
            let d = self.with_chain(d, None).help(
                "definitions that take arguments are expanded at every use: pass fewer arguments through long chains, or define the destinations once",
            );
            self.report(d);
        }
        None
    }

    /// [`Checker::eval`] without the budget.
    fn eval_dest(
        &mut self,
        d: &ast::Dest,
        env: &Env,
        ns: Option<&str>,
        origin: Span,
    ) -> Option<Val> {
        let val = match &d.kind {
            ast::DestKind::Atom(a) => self.eval_atom(a, env, ns, origin)?,
            ast::DestKind::Call { name, args }
                if name.node == builtins::HTTP && !env.contains_key(&name.node) =>
            {
                self.http_call(args, env, ns, origin, d.span)?
            }
            ast::DestKind::Call { name, args }
                if name.node == builtins::TLS && !env.contains_key(&name.node) =>
            {
                self.tls_call(args, env, ns, origin, d.span)?
            }
            ast::DestKind::Call { name, args }
                if name.node == builtins::DNS && !env.contains_key(&name.node) =>
            {
                self.dns_call(name, args, env, ns, origin, d.span)?
            }
            ast::DestKind::Call { name, args } => {
                self.eval_call(name, args, env, ns, origin, d.span)?
            }
            ast::DestKind::Text(t) => return self.err(http::text_misplaced(t.span)),
            ast::DestKind::Pods {
                namespace,
                selector,
                cluster,
            } => {
                let remote = match cluster {
                    Some((key, name)) => Some(self.remote_cluster(key, name)?),
                    None => None,
                };
                let namespace = match namespace {
                    Some(ast::NamespaceRef::Any(_)) => NamespaceSel::Any,
                    Some(ast::NamespaceRef::Named(n)) => {
                        if let Err(e) = literals::dns_label(n, "namespace") {
                            return self.err(e);
                        }
                        NamespaceSel::Named(n.node.clone())
                    }
                    // `ns{}` selects every namespace, as `*` does: one meaning, one form.
                    Some(ast::NamespaceRef::Labels(sel, _)) => match self.selector(sel)? {
                        s if s.reqs.is_empty() => NamespaceSel::Any,
                        s => NamespaceSel::Labels(s),
                    },
                    None => match ns {
                        Some(ns) => NamespaceSel::Named(ns.to_owned()),
                        None => {
                            return self.err(
                                Diagnostic::new(
                                    Code::E0204,
                                    d.span,
                                    "`pods{...}` needs a namespace here: the statement is outside any namespace",
                                )
                                .label("which namespace are these pods in?")
                                .help("write `pods(NAMESPACE){...}`, or `pods(*){...}` for every namespace"),
                            );
                        }
                    },
                };
                let selector = self.selector(selector)?;
                let peer = match remote {
                    Some(cluster) => Peer::RemotePods {
                        cluster,
                        namespace,
                        selector,
                    },
                    None => Peer::Pods {
                        namespace,
                        selector,
                    },
                };
                Val::Dests(vec![Expanded::new(peer, origin)])
            }
            ast::DestKind::ServiceAccount { namespace, name } => {
                self.service_account(namespace.as_ref(), name, ns, d.span, origin)?
            }
            ast::DestKind::Service { namespace, name } => {
                self.service_by_name(namespace.as_ref(), name, ns, d.span, origin)?
            }
        };
        match &d.ports {
            Some(suffix) => self.apply_ports(val, suffix, env, false),
            None => Some(val),
        }
    }

    /// The cluster of `pods(NS, cluster = NAME)`: `NAME`, a cluster name (E0380) other than
    /// the program's own (E0382), which `set cluster-name` must declare (E0381); a parameter
    /// other than `cluster` is E0383.
    fn remote_cluster(&mut self, key: &ast::Name, name: &ast::Name) -> Option<String> {
        if key.node != "cluster" {
            self.report(
                Diagnostic::new(
                    Code::E0383,
                    key.span,
                    format!("unknown parameter `{}` of a pods destination", key.node),
                )
                .label("not `cluster`")
                .help("name the cluster of the pods: `pods(NAMESPACE, cluster = NAME){...}`"),
            );
            return None;
        }
        if let Err(e) = literals::cluster_name(name) {
            self.report(e);
            return None;
        }
        match &self.cluster_name {
            None => {
                self.report(Diagnostic::new(
                    Code::E0381,
                    name.span,
                    format!("pods of the cluster `{}`, but the program names no cluster of its own", name.node),
                )
                .label("another cluster than which?")
                .note("selectors that name no cluster select pods of the cluster the policies are applied in; naming another one needs that cluster's name")
                .help("declare the cluster the policies are applied in, as in `set cluster-name = cluster1`"));
                None
            }
            Some(own) if *own == name.node => {
                let own = own.clone();
                self.report(Diagnostic::new(
                    Code::E0382,
                    name.span,
                    format!("`{own}` is the program's own cluster"),
                )
                .label("the cluster the policies are applied in (`set cluster-name`)")
                .note("`cluster = NAME` is for pods of another cluster of the mesh; pods of this cluster need no cluster")
                .help(format!("leave out `cluster = {own}`")));
                None
            }
            Some(_) => Some(name.node.clone()),
        }
    }

    /// The namespace of `serviceaccount(NS/NAME)` or `service(NS/NAME)`: `NS` (a DNS-1123
    /// label, E0206), else the statement's; outside any namespace without `NS/`, E0204.
    fn namespace_of(
        &mut self,
        form: &str,
        namespace: Option<&Spanned<String>>,
        name: &Spanned<String>,
        ns: Option<&str>,
        span: Span,
    ) -> Option<String> {
        match namespace {
            Some(n) => match literals::dns_label(n, "namespace") {
                Ok(()) => Some(n.node.clone()),
                Err(e) => {
                    self.report(e);
                    None
                }
            },
            None => match ns {
                Some(ns) => Some(ns.to_owned()),
                None => {
                    self.report(Diagnostic::new(
                        Code::E0204,
                        span,
                        format!("`{form}(NAME)` needs a namespace here: the statement is outside any namespace"),
                    )
                    .label(format!("which namespace is this {} in?", if form == "service" { "Service" } else { "service account" }))
                    .help(format!("write `{form}(NAMESPACE/{})`", name.node)));
                    None
                }
            },
        }
    }

    /// `service(NS/NAME)`: the endpoints of a Service (a DNS-1123 label, E0206) on its own
    /// ports, in `NS` or the statement's namespace.
    fn service_by_name(
        &mut self,
        namespace: Option<&Spanned<String>>,
        name: &Spanned<String>,
        ns: Option<&str>,
        span: Span,
        origin: Span,
    ) -> Option<Val> {
        let namespace = self.namespace_of("service", namespace, name, ns, span)?;
        if let Err(e) = literals::dns_label(name, "Service") {
            return self.err(e);
        }
        Some(Val::Dests(vec![Expanded::new(
            Peer::Service {
                namespace,
                name: name.node.clone(),
            },
            origin,
        )]))
    }

    /// `serviceaccount(NS/NAME)`: the account's name a DNS-1123 subdomain (E0206), in `NS` or
    /// the statement's namespace.
    fn service_account(
        &mut self,
        namespace: Option<&Spanned<String>>,
        name: &Spanned<String>,
        ns: Option<&str>,
        span: Span,
        origin: Span,
    ) -> Option<Val> {
        let namespace = self.namespace_of("serviceaccount", namespace, name, ns, span)?;
        if let Err(e) = literals::dns_subdomain(name, "service account") {
            return self.err(e);
        }
        Some(Val::Dests(vec![Expanded::new(
            Peer::ServiceAccount {
                namespace,
                name: name.node.clone(),
            },
            origin,
        )]))
    }

    /// `X:PORT/PROTO`, `X:icmp(8)`: gives what the suffix allows (`services`) to every
    /// destination of `X` that has none.
    ///
    /// Without a protocol the port is `tcp`; the port and the protocol may be parameters. A
    /// port or a protocol takes no port (E0311). A destination that already has another port
    /// keeps it when the new one is a default: a parameter's default, or a number written after
    /// a parameter (`name:443` in `def https(name: host)` is 443 unless the argument names a
    /// port, as `param_operand` says); a port the user gave otherwise is E0312.
    fn apply_ports(
        &mut self,
        val: Val,
        suffix: &ast::PortSuffix,
        env: &Env,
        param_operand: bool,
    ) -> Option<Val> {
        let Val::Dests(ts) = val else {
            return self.err(
                Diagnostic::new(
                    Code::E0311,
                    suffix.span,
                    format!("{} cannot have a port", val.describe()),
                )
                .label("only destinations take `:PORT`")
                .help(
                    "write the port after a destination, as in `10.0.0.0/8:443` or `db:port/tcp`",
                ),
            );
        };
        if let Some(t) = ts
            .iter()
            .find(|t| matches!(t.dest.peer, Peer::Service { .. }))
        {
            return self.err(port_on_service(t, suffix));
        }
        let (range, mut given) = self.service(suffix, env)?;
        if param_operand && !env.contains_key(&suffix.port.node) {
            given.explicit = false;
        }
        let mut ts = match services::give(ts, range, suffix) {
            Ok(ts) => ts,
            Err(d) => return self.err(d),
        };
        for t in &mut ts {
            match t.dest.ports {
                None => {
                    t.dest.ports = Some(range);
                    t.port = Some(given);
                }
                Some(old) if old == range || !given.explicit => {}
                Some(old) => return self.conflicting_ports(t, old, range, given),
            }
        }
        Some(Val::Dests(ts))
    }

    /// E0312: `range`, given at `given`, would replace the port `old` of `t`.
    fn conflicting_ports(
        &mut self,
        t: &Expanded,
        old: PortRange,
        range: PortRange,
        given: Given,
    ) -> Option<Val> {
        let mut d = Diagnostic::new(
            Code::E0312,
            given.span,
            format!(
                "`{}` already has port {old}, so port {range} cannot apply to it",
                t.dest.peer
            ),
        )
        .label(format!("port {range} given here"));
        if let Some(at) = t.port {
            let what = if at.explicit {
                format!("port {old} given here")
            } else {
                format!("port {old} given here by a default")
            };
            d = d.secondary(at.span, what);
        }
        self.err(d.help(
            "give the port once: on the destination (`10.0.0.0/24:6432`) or as the argument (`rds(10.0.0.0/24, port = 6432)`)",
        ))
    }

    /// Expands an address, host name, port or name (a parameter, a protocol or a definition
    /// called without arguments). A parameter's destinations take the caller's `origin`.
    fn eval_atom(
        &mut self,
        a: &ast::Atom,
        env: &Env,
        ns: Option<&str>,
        origin: Span,
    ) -> Option<Val> {
        let with_ports =
            |this: &mut Self, peer: Peer, ports: &Option<ast::PortSuffix>| -> Option<Val> {
                let v = Val::Dests(vec![Expanded::new(peer, origin)]);
                match ports {
                    Some(p) => this.apply_ports(v, p, env, false),
                    None => Some(v),
                }
            };
        match a {
            ast::Atom::Ip {
                addr,
                prefix,
                ports,
            } => match literals::ip_net(addr, prefix.as_ref()) {
                Ok(net) => with_ports(self, Peer::Net(net), ports),
                Err(e) => self.err(e),
            },
            ast::Atom::Host { name, ports } => match literals::host(name) {
                Ok(h) => with_ports(self, Peer::Host(h), ports),
                Err(e) => self.err(e),
            },
            ast::Atom::Port(tok) => match literals::port_range(tok) {
                Ok((a, b)) => Some(Val::Port(
                    a,
                    b,
                    Given {
                        span: tok.span,
                        explicit: true,
                    },
                )),
                Err(e) => self.err(e),
            },
            ast::Atom::Name { name, ports } => {
                let param = env.contains_key(&name.node);
                let val = if let Some(v) = env.get(&name.node) {
                    let mut v = v.clone();
                    if let Val::Dests(ts) = &mut v {
                        for t in ts {
                            t.dest.origin = origin;
                        }
                    }
                    v
                } else if let Some(p) = Proto::parse(&name.node) {
                    Val::Proto(p)
                } else if builtins::is_builtin(&name.node) {
                    match builtins::destination(name, origin, &self.dns_server) {
                        Ok(ts) => Val::Dests(ts),
                        Err(e) => return self.err(e),
                    }
                } else if self.defs.contains_key(name.node.as_str()) {
                    self.eval_call(name, &[], env, ns, origin, name.span)?
                } else {
                    self.unknown_name(name, env);
                    return None;
                };
                match ports {
                    Some(p) => self.apply_ports(val, p, env, param),
                    None => Some(val),
                }
            }
        }
    }

    /// `http(DEST, method = M, path = "P", host = H, header = X)`: the destinations of `DEST`, each narrowed
    /// to the HTTP requests the arguments match (see `http.rs`). Every argument is checked
    /// before any error stops the call.
    fn http_call(
        &mut self,
        args: &[ast::Arg],
        env: &Env,
        ns: Option<&str>,
        origin: Span,
        call_span: Span,
    ) -> Option<Val> {
        let mut target: Option<Option<Val>> = None;
        let mut m = HttpMatch::default();
        let mut ok = true;
        for arg in args {
            let field = arg.name.as_ref().map(|n| n.node.as_str());
            let checked = match field {
                None if target.is_none() => {
                    target = Some(self.eval_dest(&arg.value, env, ns, origin));
                    Ok(())
                }
                None => Err(http::malformed(
                    arg.value.span,
                    "takes one destination; name the other arguments (`method = GET`)",
                )),
                Some("method") if m.method.is_none() => {
                    http::method(&arg.value).map(|v| m.method = Some(v))
                }
                Some("path") if m.path.is_none() => match &arg.value.kind {
                    ast::DestKind::Text(t) => http::path(t).map(|v| m.path = Some(v)),
                    _ => Err(http::malformed(
                        arg.value.span,
                        "takes its path in quotes: `path = \"/v1/orders\"`",
                    )),
                },
                Some("host") if m.host.is_none() => {
                    http::host(&arg.value).map(|v| m.host = Some(v))
                }
                Some("header") => http::header(&arg.value).and_then(|h| {
                    if m.headers.iter().any(|o| o.name == h.name) {
                        return Err(http::header_twice(arg.value.span, &h.name));
                    }
                    m.headers.push(h);
                    Ok(())
                }),
                Some(f @ ("method" | "path" | "host")) => Err(http::malformed(
                    arg.value.span,
                    &format!("names `{f}` twice; write one `http(...)` per request shape"),
                )),
                Some(other) => Err(unknown_param("http", &http::PARAMS, arg, other)),
            };
            if let Err(d) = checked {
                self.report(d);
                ok = false;
            }
        }
        let Some(target) = target else {
            return self.err(http::malformed(call_span, "has no destination"));
        };
        // An argument already reported: the call is not reported again for it.
        if !ok {
            return None;
        }
        m.headers.sort();
        if m == HttpMatch::default() {
            return self.err(http::malformed(
                call_span,
                "names no method, path, host or header to match",
            ));
        }
        self.narrow_l7(
            target?,
            call_span,
            (http::not_http, http::dns_port),
            |peer| Peer::Http {
                peer: Box::new(peer),
                http: Box::new(m.clone()),
            },
        )
    }

    /// The destinations of an HTTP or TLS allowance, each wrapped by `wrap`: each must have a
    /// TCP port other than 53 and be no HTTP or TLS allowance itself, else the first that is not
    /// is reported with `errors` (no TCP port, port 53).
    fn narrow_l7(
        &mut self,
        target: Val,
        call_span: Span,
        errors: L7Errors,
        wrap: impl Fn(Peer) -> Peer,
    ) -> Option<Val> {
        let (not_tcp, dns_port) = errors;
        let Val::Dests(mut dests) = target else {
            return self.err(not_tcp(call_span, "something that is not a destination"));
        };
        for t in &mut dests {
            let found = match (&t.dest.peer, t.dest.ports) {
                (Peer::Http { .. }, _) => Some("an HTTP allowance"),
                (Peer::Tls { .. }, _) => Some("a TLS allowance"),
                (Peer::Dns { .. }, _) => Some("a DNS allowance"),
                (_, None) => Some("every port of every protocol"),
                (_, Some(r)) if r.proto != Proto::Tcp => Some("a port that is not TCP"),
                _ => None,
            };
            if let Some(found) = found {
                return self.err(not_tcp(t.dest.origin, found));
            }
            if let Some(r) = t.dest.ports.filter(|r| r.first <= 53 && 53 <= r.last) {
                return self.err(dns_port(t.dest.origin, r));
            }
            let peer = std::mem::replace(&mut t.dest.peer, Peer::Any);
            t.dest.peer = wrap(peer);
        }
        Some(Val::Dests(dests))
    }

    /// `tls(DEST, name = N, ...)`: the destinations of `DEST`, each narrowed to the TLS
    /// connections whose ClientHello names a server one of the names matches (see `tls.rs`).
    /// Every argument is checked before any error stops the call.
    fn tls_call(
        &mut self,
        args: &[ast::Arg],
        env: &Env,
        ns: Option<&str>,
        origin: Span,
        call_span: Span,
    ) -> Option<Val> {
        let mut target: Option<Option<Val>> = None;
        let mut names: Vec<HostPattern> = Vec::new();
        let mut ok = true;
        for arg in args {
            let checked = match arg.name.as_ref().map(|n| n.node.as_str()) {
                None if target.is_none() => {
                    target = Some(self.eval_dest(&arg.value, env, ns, origin));
                    Ok(())
                }
                None => Err(tls::malformed(
                    arg.value.span,
                    "takes one destination; give the server names as `name = ...`",
                )),
                Some("name") => tls::server_name(&arg.value).map(|n| names.push(n)),
                Some(other) => Err(unknown_param("tls", &tls::PARAMS, arg, other)),
            };
            if let Err(d) = checked {
                self.report(d);
                ok = false;
            }
        }
        let Some(target) = target else {
            return self.err(tls::malformed(call_span, "has no destination"));
        };
        // An argument already reported: the call is not reported again for it.
        if !ok {
            return None;
        }
        if names.is_empty() {
            return self.err(tls::malformed(call_span, "names no server name"));
        }
        names.sort();
        names.dedup();
        self.narrow_l7(target?, call_span, (tls::not_tls, tls::dns_port), |peer| {
            Peer::Tls {
                peer: Box::new(peer),
                names: names.clone(),
            }
        })
    }

    /// `dns(name = N, ...)`: the standard library's `dns` (port 53 of the DNS server), each
    /// destination narrowed to the lookups of the names (see `dns.rs`). Not plain `dns` for
    /// `Workload::strict_dns`. Every argument is checked before any error stops the call.
    fn dns_call(
        &mut self,
        name: &Spanned<String>,
        args: &[ast::Arg],
        env: &Env,
        ns: Option<&str>,
        origin: Span,
        call_span: Span,
    ) -> Option<Val> {
        let mut names: Vec<HostPattern> = Vec::new();
        let mut ok = true;
        for arg in args {
            let checked = match arg.name.as_ref().map(|n| n.node.as_str()) {
                None => Err(dns::malformed(
                    arg.value.span,
                    "takes no destination: it is the DNS server's port 53; give the names as `name = ...`",
                )),
                Some("name") => dns::lookup_name(&arg.value).map(|n| names.push(n)),
                Some(other) => Err(unknown_param("dns", &dns::PARAMS, arg, other)),
            };
            if let Err(d) = checked {
                self.report(d);
                ok = false;
            }
        }
        // An argument already reported: the call is not reported again for it.
        if !ok {
            return None;
        }
        if names.is_empty() {
            return self.err(dns::malformed(call_span, "names no name"));
        }
        names.sort();
        names.dedup();
        let plain = self.saw_dns;
        let server = self.eval_call(name, &[], env, ns, origin, call_span);
        self.saw_dns = plain;
        let Val::Dests(mut dests) = server? else {
            return None;
        };
        for t in &mut dests {
            let peer = std::mem::replace(&mut t.dest.peer, Peer::Any);
            t.dest.peer = Peer::Dns {
                peer: Box::new(peer),
                names: names.clone(),
            };
        }
        Some(Val::Dests(dests))
    }

    /// Expands a call: binds the arguments to the definition's parameters (by name or position,
    /// each checked against its parameter's types; defaults for the others), then expands the
    /// body. A definition met again while it is being expanded is a cycle (E0205).
    ///
    /// Calls of `dns` and `strict-dns` are noted for `Workload::strict_dns`. An unknown
    /// parameter (E0208), an extra, repeated or missing argument (E0302) or an argument of the
    /// wrong type (E0301) stops the call after every argument has been checked.
    fn eval_call(
        &mut self,
        name: &Spanned<String>,
        args: &[ast::Arg],
        env: &Env,
        ns: Option<&str>,
        origin: Span,
        call_span: Span,
    ) -> Option<Val> {
        let Some(def) = self.defs.get(name.node.as_str()).copied() else {
            self.unknown_name(name, env);
            return None;
        };
        // DNS visibility marker: `strict-dns` (whose body expands `dns`) versus plain `dns`.
        if self.marking && !self.used.contains(def.name.node.as_str()) {
            self.used.insert(def.name.node.clone());
        }
        match def.name.node.as_str() {
            "strict-dns" => self.saw_strict_dns = true,
            "dns" if self.stack.last() != Some(&"strict-dns") => self.saw_dns = true,
            _ => {}
        }
        if let Some(at) = self.stack.iter().position(|d| *d == def.name.node.as_str()) {
            // One report per cycle, whichever definition the walk entered it from.
            let mut members: Vec<&str> = self.stack.get(at..).unwrap_or_default().to_vec();
            let mut path = members.join(" → ");
            path.push_str(&format!(" → {}", def.name.node));
            members.sort_unstable();
            let key = members.join(",");
            if !self.cycles.insert(key) {
                return None;
            }
            let message = if members.len() == 1 {
                format!("`{}` refers to itself", name.node)
            } else {
                format!("`{}` refers to itself through {}", name.node, path)
            };
            return self.err(
                Diagnostic::new(Code::E0205, name.span, message)
                    .label("used here while it is being expanded")
                    .secondary(def.name.span, "defined here")
                    .note(format!("the cycle: {path}"))
                    .help("a definition cannot use itself, directly or through another definition"),
            );
        }
        if !args.is_empty() {
            return self.expand_call(def, args, env, ns, origin, call_span);
        }
        // A call without arguments depends only on its context: expand it once and share it.
        let ns_number = ns.map(|ns| match self.memo_namespaces.get(ns) {
            Some(n) => *n,
            None => {
                let n = self.memo_namespaces.len();
                self.memo_namespaces.insert(ns.to_owned(), n);
                n
            }
        });
        let key: MemoKey<'a> = (
            def.name.node.as_str(),
            self.stack.last().copied(),
            ns_number,
            self.marking,
        );
        if let Some(m) = self.memo.get(&key).cloned() {
            // A failed expansion said why when it failed.
            let mut val = m.val?;
            if self.depth + m.height > MAX_EXPANSION_DEPTH {
                return self.too_deep(name.span, Some(def.name.node.as_str()), m.height);
            }
            self.deepest = self.deepest.max(self.depth + m.height);
            self.saw_dns |= m.saw_dns;
            self.saw_strict_dns |= m.saw_strict_dns;
            if let Val::Dests(ts) = &mut val {
                self.step(ts.len(), name.span)?;
                for t in ts {
                    t.dest.origin = origin;
                }
            }
            return Some(val);
        }
        let outer = (self.saw_dns, self.saw_strict_dns, self.deepest);
        (self.saw_dns, self.saw_strict_dns, self.deepest) = (false, false, self.depth);
        let val = self.expand_call(def, args, env, ns, origin, call_span);
        let memo = Memo {
            val: val.clone(),
            height: self.deepest - self.depth,
            saw_dns: self.saw_dns,
            saw_strict_dns: self.saw_strict_dns,
        };
        self.saw_dns |= outer.0;
        self.saw_strict_dns |= outer.1;
        self.deepest = self.deepest.max(outer.2);
        self.memo.insert(key, memo);
        val
    }

    /// Expands a call of `def` once the name is resolved: binds the arguments, then expands
    /// the body.
    fn expand_call(
        &mut self,
        def: &'a ast::Def,
        args: &[ast::Arg],
        env: &Env,
        ns: Option<&str>,
        origin: Span,
        call_span: Span,
    ) -> Option<Val> {
        // Bind arguments to parameters.
        let mut bound: Vec<Option<(Val, Span)>> = vec![None; def.params.len()];
        let mut ok = true;
        let mut positional = 0usize;
        for arg in args {
            let index = match &arg.name {
                Some(n) => match def.params.iter().position(|p| p.name.node == n.node) {
                    Some(i) => i,
                    None => {
                        let names: Vec<&str> =
                            def.params.iter().map(|p| p.name.node.as_str()).collect();
                        let mut d = Diagnostic::new(
                            Code::E0208,
                            n.span,
                            format!("`{}` has no parameter `{}`", def.name.node, n.node),
                        )
                        .label("unknown parameter");
                        d = match suggest::did_you_mean(&n.node, names.iter().copied()) {
                            Some(s) => d.help(format!("did you mean `{s}`?")),
                            None => d.note(format!("parameters: {}", names.join(", "))),
                        };
                        self.report(d);
                        ok = false;
                        continue;
                    }
                },
                None => {
                    positional += 1;
                    positional - 1
                }
            };
            let Some(param) = def.params.get(index) else {
                let d = Diagnostic::new(
                    Code::E0302,
                    arg.value.span,
                    format!(
                        "`{}` takes {} argument{}, but more were given",
                        def.name.node,
                        def.params.len(),
                        if def.params.len() == 1 { "" } else { "s" }
                    ),
                )
                .label("extra argument")
                .secondary(
                    def.name.span,
                    format!("`{}` is defined here", def.name.node),
                )
                .help(format!("the signature is `{}`", signature(def)));
                self.report(d);
                ok = false;
                continue;
            };
            let Some(v) = self.eval(&arg.value, env, ns, origin) else {
                ok = false;
                continue;
            };
            let types: Vec<&str> = param.types.iter().map(|t| t.node.as_str()).collect();
            if !types.iter().any(|t| v.types().contains(t)) {
                let d = Diagnostic::new(
                    Code::E0301,
                    arg.value.span,
                    format!(
                        "argument `{}` of `{}` expects {}, found {}",
                        param.name.node,
                        def.name.node,
                        types.join(" or "),
                        v.describe()
                    ),
                )
                .label(format!("expected {}", types.join(" or ")))
                .secondary(param.span, "parameter declared here");
                self.report(d);
                ok = false;
                continue;
            }
            if let Some(slot) = bound.get_mut(index) {
                if slot.is_some() {
                    self.report(
                        Diagnostic::new(
                            Code::E0302,
                            arg.value.span,
                            format!(
                                "argument `{}` of `{}` is given twice",
                                param.name.node, def.name.node
                            ),
                        )
                        .label("given again here"),
                    );
                    ok = false;
                }
                *slot = Some((v, arg.value.span));
            }
        }
        // Parameters without an argument take their default, expanded with no parameters in
        // scope; a missing argument is reported only when nothing before it failed.
        self.stack.push(def.name.node.as_str());
        let mut inner = Env::new();
        for (i, param) in def.params.iter().enumerate() {
            match bound.get_mut(i).and_then(Option::take) {
                Some((v, _)) => {
                    inner.insert(param.name.node.clone(), v);
                }
                None => match &param.default {
                    Some(default) => match self.eval(default, &Env::new(), ns, origin) {
                        // A default port gives way to a port the destination already has.
                        Some(Val::Port(a, b, _)) => {
                            let given = Given {
                                span: call_span,
                                explicit: false,
                            };
                            inner.insert(param.name.node.clone(), Val::Port(a, b, given));
                        }
                        Some(v) => {
                            inner.insert(param.name.node.clone(), v);
                        }
                        None => ok = false,
                    },
                    None if ok => {
                        let d = Diagnostic::new(
                            Code::E0302,
                            call_span,
                            format!(
                                "`{}` needs an argument for `{}`",
                                def.name.node, param.name.node
                            ),
                        )
                        .label(format!("missing `{}`", param.name.node))
                        .secondary(param.span, "parameter declared here")
                        .help(format!("the signature is `{}`", signature(def)));
                        self.report(d);
                        ok = false;
                    }
                    None => {}
                },
            }
        }
        // The body, in the parameters' environment, once every argument is bound.
        let result = if ok {
            self.eval_body(def, &inner, ns, origin)
        } else {
            None
        };
        self.stack.pop();
        result
    }

    /// Expands a definition's body in `env`: a body of one port or protocol is that value
    /// (`def pg = 5432` is a port); any other body is destinations, all of its items (E0301).
    pub(super) fn eval_body(
        &mut self,
        def: &ast::Def,
        env: &Env,
        ns: Option<&str>,
        origin: Span,
    ) -> Option<Val> {
        let vals: Vec<Option<Val>> = def
            .body
            .iter()
            .map(|d| self.eval(d, env, ns, origin))
            .collect();
        let vals: Option<Vec<Val>> = vals.into_iter().collect();
        let vals = vals?;
        if let [single] = vals.as_slice()
            && !matches!(single, Val::Dests(_))
        {
            return Some(single.clone());
        }
        let mut out = Vec::new();
        // Identical destinations are merged: a body such as `d, d` would otherwise double at
        // every level of a chain.
        let mut seen: HashSet<(Peer, Option<PortRange>)> = HashSet::new();
        for (v, d) in vals.into_iter().zip(&def.body) {
            match v {
                Val::Dests(ts) => out.extend(
                    ts.into_iter()
                        .filter(|t| seen.insert((t.dest.peer.clone(), t.dest.ports))),
                ),
                other => {
                    self.report(
                        Diagnostic::new(
                            Code::E0301,
                            d.span,
                            format!(
                                "expected a destination in the body of `{}`, found {}",
                                def.name.node,
                                other.describe()
                            ),
                        )
                        .label("not a destination"),
                    );
                    return None;
                }
            }
        }
        let what = format!("`{}`", def.name.node);
        if self.too_many(out.len(), def.name.span, &what) {
            return None;
        }
        Some(Val::Dests(out))
    }

    /// A list of destinations in a statement, each expanded with no parameters and each its
    /// own `origin`; a bare port or protocol is E0301. `None` when any item failed, after
    /// reporting every one.
    pub(super) fn dests(&mut self, list: &[ast::Dest], ns: Option<&str>) -> Option<Vec<Dest>> {
        // Each item's destinations, then the list at its length: it is held for the whole build.
        let mut parts = Vec::with_capacity(list.len());
        let mut len = 0;
        let mut ok = true;
        for d in list {
            match self.eval(d, &Env::new(), ns, d.span) {
                Some(Val::Dests(ts)) => {
                    len += ts.len();
                    parts.push(ts);
                    // Counted as the list grows: a list of large definitions stops at the
                    // limit, not after holding every copy.
                    if let Some(first) = list.first()
                        && self.too_many(len, first.span.to(d.span), "this list")
                    {
                        return None;
                    }
                }
                Some(other) => {
                    self.report(
                        Diagnostic::new(
                            Code::E0301,
                            d.span,
                            format!("expected a destination, found {}", other.describe()),
                        )
                        .label("not a destination")
                        .help("give a port to a destination, as in `10.0.0.0/8:5432`"),
                    );
                    ok = false;
                }
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        let mut out = Vec::with_capacity(len);
        for ts in parts {
            out.extend(ts.into_iter().map(|t| t.dest));
        }
        Some(out)
    }

    /// A label selector (`{app=web, tier in (a, b)}`), its keys and values checked (E03xx from
    /// `literals`). `!=` is `notin` with one value. `None` when any term failed, after
    /// reporting every one.
    pub(super) fn selector(&mut self, sel: &ast::Selector) -> Option<LabelSelector> {
        let mut reqs = Vec::new();
        let mut ok = true;
        for t in &sel.terms {
            let (key, values): (&Spanned<String>, Vec<&Spanned<String>>) = match t {
                ast::LabelTerm::Eq(k, v) | ast::LabelTerm::Ne(k, v) => (k, vec![v]),
                ast::LabelTerm::In(k, vs) | ast::LabelTerm::NotIn(k, vs) => {
                    (k, vs.iter().collect())
                }
                ast::LabelTerm::Exists(k) | ast::LabelTerm::Absent(k) => (k, vec![]),
            };
            if let Err(e) = literals::label_key(key) {
                self.report(e);
                ok = false;
            }
            for v in &values {
                if let Err(e) = literals::label_value(v) {
                    self.report(e);
                    ok = false;
                }
            }
            let set = || {
                values
                    .iter()
                    .map(|v| v.node.clone())
                    .collect::<BTreeSet<_>>()
            };
            reqs.push(match t {
                ast::LabelTerm::Eq(k, v) => LabelReq::Eq(k.node.clone(), v.node.clone()),
                ast::LabelTerm::Ne(k, _) | ast::LabelTerm::NotIn(k, _) => {
                    LabelReq::NotIn(k.node.clone(), set())
                }
                ast::LabelTerm::In(k, _) => LabelReq::In(k.node.clone(), set()),
                ast::LabelTerm::Exists(k) => LabelReq::Exists(k.node.clone()),
                ast::LabelTerm::Absent(k) => LabelReq::DoesNotExist(k.node.clone()),
            });
        }
        ok.then(|| LabelSelector::new(reqs))
    }
}

/// E0343: a port given to `service(NS/NAME)`, which is reached on the Service's own ports.
fn port_on_service(t: &Expanded, suffix: &ast::PortSuffix) -> Diagnostic {
    let (namespace, name) = match &t.dest.peer {
        Peer::Service { namespace, name } => (namespace.as_str(), name.as_str()),
        _ => ("NAMESPACE", "NAME"),
    };
    Diagnostic::new(
        Code::E0343,
        suffix.span,
        format!("`service({namespace}/{name})` cannot have a port"),
    )
    .label("a Service is reached on its own ports")
    .secondary(t.dest.origin, "the Service")
    .note("`service(...)` means the Service's endpoints on the ports the Service forwards to; a port of its own would be a second, different meaning")
    .help(format!(
        "write the Service's pods with the port they listen on, as in `pods({namespace}){{app={name}}}{}`",
        suffix_text(suffix)
    ))
}

/// A port suffix as written: `:53/udp`, `:icmp(8, 0)`.
fn suffix_text(suffix: &ast::PortSuffix) -> String {
    let mut s = format!(":{}", suffix.port.node);
    if let Some(p) = &suffix.proto {
        s.push('/');
        s.push_str(&p.node);
    }
    if !suffix.args.is_empty() {
        let args: Vec<&str> = suffix.args.iter().map(|a| a.node.as_str()).collect();
        s.push_str(&format!("({})", args.join(", ")));
    }
    s
}

/// The errors of an HTTP or TLS allowance's destination: no TCP port (with what was found
/// instead), and port 53.
type L7Errors = (
    fn(Span, &str) -> Diagnostic,
    fn(Span, crate::model::PortRange) -> Diagnostic,
);

/// E0208: an argument of `call(...)` (`http`, `tls`) named by none of its parameters.
fn unknown_param(call: &str, params: &[&str], arg: &ast::Arg, other: &str) -> Diagnostic {
    let d = Diagnostic::new(
        Code::E0208,
        arg.name.as_ref().map_or(arg.value.span, |n| n.span),
        format!("`{call}` has no parameter `{other}`"),
    )
    .label("unknown parameter");
    match suggest::did_you_mean(other, params.iter().copied()) {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d.note(format!("parameters: {}", params.join(", "))),
    }
}
