//! Stage 2: names, types and values. AST → checked program.
//!
//! Definitions are global to a program (standard library and every user file). Statements
//! apply to the namespace most recently declared in their own file. Calls are expanded by
//! substitution; every argument is checked against its parameter's type first.

pub mod checked;
pub mod literals;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::diagnostics::{Code, Diagnostic, Diagnostics, suggest};
use crate::model::{
    HostPattern, LabelReq, LabelSelector, NamespaceSel, Peer, PortRange, Proto, Wildcard,
};
use crate::source::{FileId, Span, Spanned};
use crate::syntax::ast;
use checked::{
    DefInfo, DefaultDeny, Guardrail, ParamInfo, Program, Target, Workload, WorkloadKind,
};

/// The parameter types of the language.
const TYPES: [&str; 5] = ["cidr", "host", "port", "proto", "dest"];

/// A value during expansion.
#[derive(Clone, Debug)]
enum Val {
    /// Destinations (`cidr`, `host` and `dest` values).
    Targets(Vec<Target>),
    /// `5432`, `8000-8100`
    Port(u16, u16),
    /// `tcp`
    Proto(Proto),
}

impl Val {
    /// The type names this value satisfies.
    fn types(&self) -> &'static [&'static str] {
        match self {
            Val::Targets(ts)
                if !ts.is_empty() && ts.iter().all(|t| matches!(t.peer, Peer::Net(_))) =>
            {
                &["cidr", "dest"]
            }
            Val::Targets(ts)
                if !ts.is_empty() && ts.iter().all(|t| matches!(t.peer, Peer::Host(_))) =>
            {
                &["host", "dest"]
            }
            Val::Targets(_) => &["dest"],
            Val::Port(..) => &["port"],
            Val::Proto(_) => &["proto"],
        }
    }

    fn describe(&self) -> &'static str {
        match self.types().first() {
            Some(&"cidr") => "an address range",
            Some(&"host") => "a host name",
            Some(&"port") => "a port",
            Some(&"proto") => "a protocol",
            _ => "destinations",
        }
    }
}

/// A placeholder value of a type, used to check a definition's body on its own.
fn sample(ty: &str, origin: Span) -> Val {
    match ty {
        "cidr" => Val::Targets(vec![Target {
            peer: Peer::Net(ipnet::IpNet::V4(ipnet::Ipv4Net::default())),
            ports: None,
            origin,
        }]),
        "host" => Val::Targets(vec![Target {
            peer: Peer::Host(HostPattern {
                wildcard: Wildcard::None,
                base: "example.com".into(),
            }),
            ports: None,
            origin,
        }]),
        "port" => Val::Port(1, 1),
        "proto" => Val::Proto(Proto::Tcp),
        _ => Val::Targets(Vec::new()),
    }
}

struct Checker<'a> {
    defs: HashMap<&'a str, &'a ast::Def>,
    diags: Diagnostics,
    /// Definitions being expanded, to catch recursion.
    stack: Vec<&'a str>,
    /// Which standard-library DNS forms the current allow list used: plain `dns` (outside
    /// `strict-dns`) and `strict-dns`. Reset per workload; see `Workload::strict_dns`.
    saw_dns: bool,
    saw_strict_dns: bool,
    /// Whether expansion is for a statement (so definitions count as used).
    marking: bool,
    used: BTreeSet<String>,
    /// Definition cycles already reported (sorted member names).
    cycles: BTreeSet<String>,
}

type Env = HashMap<String, Val>;

impl<'a> Checker<'a> {
    fn err(&mut self, d: Diagnostic) -> Option<Val> {
        self.diags.push(d);
        None
    }

    fn unknown_name(&mut self, name: &Spanned<String>, env: &Env) {
        let mut candidates: Vec<&str> = self.defs.keys().copied().collect();
        candidates.extend(env.keys().map(String::as_str));
        candidates.extend(["tcp", "udp", "sctp"]);
        candidates.sort_unstable();
        let mut d = Diagnostic::new(
            Code::E0201,
            name.span,
            format!("unknown name `{}`", name.node),
        )
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
        self.diags.push(d);
    }

    /// Expands one destination expression.
    fn eval(&mut self, d: &ast::Dest, env: &Env, ns: Option<&str>, origin: Span) -> Option<Val> {
        let val = match &d.kind {
            ast::DestKind::Atom(a) => self.eval_atom(a, env, ns, origin)?,
            ast::DestKind::Call { name, args } => {
                self.eval_call(name, args, env, ns, origin, d.span)?
            }
            ast::DestKind::Pods {
                namespace,
                selector,
            } => {
                let namespace = match namespace {
                    Some(ast::NamespaceRef::Any(_)) => NamespaceSel::Any,
                    Some(ast::NamespaceRef::Named(n)) => {
                        if let Err(e) = literals::dns_label(n, "namespace") {
                            return self.err(e);
                        }
                        NamespaceSel::Named(n.node.clone())
                    }
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
                Val::Targets(vec![Target {
                    peer: Peer::Pods {
                        namespace,
                        selector,
                    },
                    ports: None,
                    origin,
                }])
            }
        };
        match &d.ports {
            Some(suffix) => self.apply_ports(val, suffix, env),
            None => Some(val),
        }
    }

    /// `X:PORT/PROTO`: gives the port to every destination of `X` that has none.
    fn apply_ports(&mut self, val: Val, suffix: &ast::PortSuffix, env: &Env) -> Option<Val> {
        let Val::Targets(mut ts) = val else {
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
        let (first, last) = self.port_value(&suffix.port, env)?;
        let proto = match &suffix.proto {
            None => Proto::Tcp,
            Some(p) => match env.get(&p.node) {
                Some(Val::Proto(x)) => *x,
                Some(other) => {
                    return self.err(
                        Diagnostic::new(
                            Code::E0301,
                            p.span,
                            format!("expected a protocol, found {}", other.describe()),
                        )
                        .label("this parameter is not a `proto`"),
                    );
                }
                None => match literals::proto(p) {
                    Ok(x) => x,
                    Err(e) => return self.err(e),
                },
            },
        };
        for t in &mut ts {
            if t.ports.is_none() {
                t.ports = Some(PortRange { proto, first, last });
            }
        }
        Some(Val::Targets(ts))
    }

    fn port_value(&mut self, tok: &Spanned<String>, env: &Env) -> Option<(u16, u16)> {
        if tok.node.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            return match literals::port_range(tok) {
                Ok(r) => Some(r),
                Err(e) => {
                    self.diags.push(e);
                    None
                }
            };
        }
        match env.get(&tok.node) {
            Some(Val::Port(a, b)) => Some((*a, *b)),
            Some(other) => {
                let d = Diagnostic::new(
                    Code::E0301,
                    tok.span,
                    format!("expected a port, found {}", other.describe()),
                )
                .label("this parameter is not a `port`");
                self.err(d).map(|_| (0, 0))
            }
            None => {
                self.diags.push(
                    Diagnostic::new(
                        Code::E0201,
                        tok.span,
                        format!("unknown port `{}`", tok.node),
                    )
                    .label("not a port number or a `port` parameter")
                    .help("ports are numbers from 1 to 65535, as in `:443` or `:8000-8100`"),
                );
                None
            }
        }
    }

    fn eval_atom(
        &mut self,
        a: &ast::Atom,
        env: &Env,
        ns: Option<&str>,
        origin: Span,
    ) -> Option<Val> {
        let with_ports =
            |this: &mut Self, peer: Peer, ports: &Option<ast::PortSuffix>| -> Option<Val> {
                let v = Val::Targets(vec![Target {
                    peer,
                    ports: None,
                    origin,
                }]);
                match ports {
                    Some(p) => this.apply_ports(v, p, env),
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
                Ok((a, b)) => Some(Val::Port(a, b)),
                Err(e) => self.err(e),
            },
            ast::Atom::Name { name, ports } => {
                let val = if let Some(v) = env.get(&name.node) {
                    let mut v = v.clone();
                    if let Val::Targets(ts) = &mut v {
                        for t in ts {
                            t.origin = origin;
                        }
                    }
                    v
                } else if let Some(p) = Proto::parse(&name.node) {
                    Val::Proto(p)
                } else if self.defs.contains_key(name.node.as_str()) {
                    self.eval_call(name, &[], env, ns, origin, name.span)?
                } else {
                    self.unknown_name(name, env);
                    return None;
                };
                match ports {
                    Some(p) => self.apply_ports(val, p, env),
                    None => Some(val),
                }
            }
        }
    }

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
        if self.marking {
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
                        self.diags.push(d);
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
                self.diags.push(d);
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
                self.diags.push(d);
                ok = false;
                continue;
            }
            if let Some(slot) = bound.get_mut(index) {
                if slot.is_some() {
                    self.diags.push(
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
        self.stack.push(def.name.node.as_str());
        let mut inner = Env::new();
        for (i, param) in def.params.iter().enumerate() {
            match bound.get_mut(i).and_then(Option::take) {
                Some((v, _)) => {
                    inner.insert(param.name.node.clone(), v);
                }
                None => match &param.default {
                    Some(default) => {
                        if let Some(v) = self.eval(default, &Env::new(), ns, origin) {
                            inner.insert(param.name.node.clone(), v);
                        } else {
                            ok = false;
                        }
                    }
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
                        self.diags.push(d);
                        ok = false;
                    }
                    None => {}
                },
            }
        }
        let result = if ok {
            self.eval_body(def, &inner, ns, origin)
        } else {
            None
        };
        self.stack.pop();
        result
    }

    fn eval_body(
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
            && !matches!(single, Val::Targets(_))
        {
            return Some(single.clone());
        }
        let mut out = Vec::new();
        for (v, d) in vals.into_iter().zip(&def.body) {
            match v {
                Val::Targets(ts) => out.extend(ts),
                other => {
                    self.diags.push(
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
        Some(Val::Targets(out))
    }

    /// A list of destinations in a statement.
    fn targets(&mut self, list: &[ast::Dest], ns: Option<&str>) -> Option<Vec<Target>> {
        let mut out = Vec::new();
        let mut ok = true;
        for d in list {
            match self.eval(d, &Env::new(), ns, d.span) {
                Some(Val::Targets(ts)) => out.extend(ts),
                Some(other) => {
                    self.diags.push(
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
        ok.then_some(out)
    }

    fn selector(&mut self, sel: &ast::Selector) -> Option<LabelSelector> {
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
                self.diags.push(e);
                ok = false;
            }
            for v in &values {
                if let Err(e) = literals::label_value(v) {
                    self.diags.push(e);
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

    /// Checks a definition's signature and body on its own, with placeholder arguments.
    fn check_def(&mut self, def: &'a ast::Def) {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut env = Env::new();
        for p in &def.params {
            if let Some(first) = seen.insert(p.name.node.as_str(), p.name.span) {
                self.diags.push(
                    Diagnostic::new(
                        Code::E0210,
                        p.name.span,
                        format!("parameter `{}` is declared twice", p.name.node),
                    )
                    .label("declared again here")
                    .secondary(first, "first declared here"),
                );
            }
            for t in &p.types {
                if !TYPES.contains(&t.node.as_str()) {
                    let mut d =
                        Diagnostic::new(Code::E0209, t.span, format!("unknown type `{}`", t.node))
                            .label("not a type of the language")
                            .note("the types are `cidr`, `host`, `port`, `proto` and `dest`");
                    if let Some(s) = suggest::did_you_mean(&t.node, TYPES) {
                        d = d.help(format!("did you mean `{s}`?"));
                    }
                    self.diags.push(d);
                }
            }
            if let Some(default) = &p.default
                && let Some(v) = self.eval(default, &Env::new(), Some("default"), default.span)
            {
                let types: Vec<&str> = p.types.iter().map(|t| t.node.as_str()).collect();
                if !types.iter().any(|t| v.types().contains(t)) {
                    self.diags.push(
                        Diagnostic::new(
                            Code::E0301,
                            default.span,
                            format!(
                                "default of `{}` must be {}, found {}",
                                p.name.node,
                                types.join(" or "),
                                v.describe()
                            ),
                        )
                        .label("wrong type"),
                    );
                }
            }
            let ty = p.types.first().map(|t| t.node.as_str()).unwrap_or("dest");
            env.insert(p.name.node.clone(), sample(ty, def.span));
        }
        self.stack.push(def.name.node.as_str());
        let _ = self.eval_body(def, &env, Some("default"), def.span);
        self.stack.pop();
    }
}

fn signature(def: &ast::Def) -> String {
    info(def, false).signature()
}

fn info(def: &ast::Def, from_stdlib: bool) -> DefInfo {
    DefInfo {
        name: def.name.node.clone(),
        params: def
            .params
            .iter()
            .map(|p| ParamInfo {
                name: p.name.node.clone(),
                types: p.types.iter().map(|t| t.node.clone()).collect(),
                default: p.default.as_ref().map(|d| match &d.kind {
                    ast::DestKind::Atom(ast::Atom::Port(p)) => p.node.clone(),
                    ast::DestKind::Atom(ast::Atom::Name { name, .. }) => name.node.clone(),
                    _ => "…".to_owned(),
                }),
            })
            .collect(),
        doc: def.doc.clone(),
        span: def.span,
        name_span: def.name.span,
        from_stdlib,
    }
}

/// Checks a whole program. `stdlib` files provide definitions only.
pub fn check(stdlib: &[ast::File], files: &[ast::File]) -> (Program, Diagnostics) {
    let mut checker = Checker {
        defs: HashMap::new(),
        diags: Diagnostics::new(),
        stack: Vec::new(),
        saw_dns: false,
        saw_strict_dns: false,
        marking: false,
        used: BTreeSet::new(),
        cycles: BTreeSet::new(),
    };
    let mut program = Program::default();
    let stdlib_ids: BTreeSet<FileId> = stdlib.iter().map(|f| f.id).collect();

    // 1. Definitions, global to the program.
    let mut user_defs = Vec::new();
    for file in stdlib.iter().chain(files) {
        for item in &file.items {
            if let ast::Item::Def(def) = item {
                let from_stdlib = stdlib_ids.contains(&file.id);
                if let Some(prev) = checker.defs.get(def.name.node.as_str()) {
                    let what = if stdlib_ids.contains(&prev.span.file) {
                        "the standard library"
                    } else {
                        "this program"
                    };
                    checker.diags.push(
                        Diagnostic::new(
                            Code::E0202,
                            def.name.span,
                            format!("`{}` is defined twice", def.name.node),
                        )
                        .label("defined again here")
                        .secondary(prev.name.span, format!("first defined here, in {what}"))
                        .help("rename one of the definitions"),
                    );
                    continue;
                }
                checker.defs.insert(def.name.node.as_str(), def);
                program.defs.push(info(def, from_stdlib));
                if !from_stdlib {
                    user_defs.push(def);
                }
            }
        }
    }
    for def in user_defs {
        checker.check_def(def);
    }

    // 2. Statements, in file order, each in its file's current namespace.
    let mut seen: BTreeMap<(String, String), Span> = BTreeMap::new();
    let mut claim =
        |checker: &mut Checker<'_>, ns: &str, object: String, span: Span, what: &str| -> bool {
            if let Some(first) = seen.get(&(ns.to_owned(), object.clone())) {
                checker.diags.push(
                    Diagnostic::new(
                        Code::E0203,
                        span,
                        format!("{what} in namespace `{ns}` is declared twice"),
                    )
                    .label("declared again here")
                    .secondary(*first, "first declared here")
                    .note(format!("both would generate the policy `{object}`"))
                    .help("merge the two statements into one"),
                );
                return false;
            }
            seen.insert((ns.to_owned(), object), span);
            true
        };
    checker.marking = true;
    let mut pending_expectations: Vec<(
        String,
        &ast::Expect,
        Vec<Target>,
        Option<std::net::IpAddr>,
    )> = Vec::new();
    let mut settings_seen: BTreeMap<String, Span> = BTreeMap::new();
    for file in files {
        let mut namespace: Option<String> = None;
        let mut pending: Vec<&ast::Suppression> = Vec::new();
        for item in &file.items {
            if let ast::Item::Allow(a) = item {
                pending.push(a);
                continue;
            }
            for a in pending.drain(..) {
                if let Some(sup) = suppression(&mut checker.diags, a, item_span(item)) {
                    program.suppressions.push(sup);
                }
            }
            match item {
                ast::Item::Allow(_) | ast::Item::Def(_) => {}
                ast::Item::Expect(e) => {
                    let Some(ns) = namespace.clone() else {
                        checker
                            .diags
                            .push(outside_namespace(e.span, "this expectation"));
                        continue;
                    };
                    let targets = checker.targets(std::slice::from_ref(&e.dest), Some(&ns));
                    let resolving = match &e.resolving {
                        None => Some(None),
                        Some(r) => match r.node.parse::<std::net::IpAddr>() {
                            Ok(a) => Some(Some(a)),
                            Err(_) => {
                                checker.diags.push(
                                    Diagnostic::new(Code::E0402, r.span, format!("`{}` is not one IP address", r.node))
                                        .label("expected an address such as `203.0.113.7`")
                                        .help("write the single address the host name resolves to, without a prefix length"),
                                );
                                None
                            }
                        },
                    };
                    if let (Some(targets), Some(resolving)) = (targets, resolving) {
                        if resolving.is_some()
                            && !targets.iter().all(|t| matches!(t.peer, Peer::Host(_)))
                        {
                            checker.diags.push(
                                Diagnostic::new(Code::E0402, e.dest.span, "`resolving` applies to host names only")
                                    .label("not a host name")
                                    .help("remove `resolving ...`, or expect a host name such as `api.stripe.com:443`"),
                            );
                            continue;
                        }
                        pending_expectations.push((ns, e, targets, resolving));
                    }
                }
                ast::Item::Set(set) => {
                    if let Some(first) = settings_seen.insert(set.key.node.clone(), set.key.span) {
                        checker.diags.push(
                            Diagnostic::new(
                                Code::E0702,
                                set.key.span,
                                format!("`{}` is set twice", set.key.node),
                            )
                            .label("set again here")
                            .secondary(first, "first set here")
                            .help("keep one `set` statement per setting"),
                        );
                    } else {
                        setting(&mut checker.diags, set, &mut program.settings);
                    }
                }
                ast::Item::Namespace(n) => {
                    if !program.namespaces.iter().any(|(x, _)| x == &n.node) {
                        program.namespaces.push((n.node.clone(), n.span));
                    }
                    match literals::dns_label(n, "namespace") {
                        Ok(()) => namespace = Some(n.node.clone()),
                        Err(e) => {
                            checker.diags.push(e);
                            namespace = Some(n.node.clone());
                        }
                    }
                }
                ast::Item::DefaultDeny(span) => {
                    let Some(ns) = namespace.clone() else {
                        checker
                            .diags
                            .push(outside_namespace(*span, "`default deny`"));
                        continue;
                    };
                    if claim(
                        &mut checker,
                        &ns,
                        "default-deny-egress".into(),
                        *span,
                        "`default deny`",
                    ) {
                        program.default_denies.push(DefaultDeny {
                            namespace: ns,
                            span: *span,
                        });
                    }
                }
                ast::Item::Workload(w) => {
                    let Some(ns) = namespace.clone() else {
                        checker
                            .diags
                            .push(outside_namespace(w.span, "this statement"));
                        continue;
                    };
                    let kind = match w.selector {
                        ast::WorkloadSelector::App => WorkloadKind::App,
                        ast::WorkloadSelector::Labels(_) => WorkloadKind::Pods,
                    };
                    let what = match kind {
                        WorkloadKind::App => "app",
                        WorkloadKind::Pods => "workload",
                    };
                    let name_ok = match literals::dns_label(&w.name, what) {
                        Ok(()) => true,
                        Err(e) => {
                            checker.diags.push(e);
                            false
                        }
                    };
                    let selector = match &w.selector {
                        ast::WorkloadSelector::App => Some(LabelSelector::new(vec![LabelReq::Eq(
                            "app".into(),
                            w.name.node.clone(),
                        )])),
                        ast::WorkloadSelector::Labels(s) => checker.selector(s),
                    };
                    (checker.saw_dns, checker.saw_strict_dns) = (false, false);
                    let allow = checker.targets(&w.allow, Some(&ns));
                    let strict_dns = checker.saw_strict_dns && !checker.saw_dns;
                    let deny = checker.targets(&w.deny, Some(&ns));
                    let object = format!("{}-egress", w.name.node);
                    let fresh = claim(
                        &mut checker,
                        &ns,
                        object,
                        w.name.span,
                        &format!("{what} `{}`", w.name.node),
                    );
                    if let (true, true, Some(selector), Some(allow), Some(deny)) =
                        (name_ok, fresh, selector, allow, deny)
                    {
                        program.workloads.push(Workload {
                            namespace: ns,
                            name: w.name.node.clone(),
                            kind,
                            selector,
                            allow,
                            deny,
                            strict_dns,
                            span: w.span,
                            name_span: w.name.span,
                        });
                    }
                }
                ast::Item::Cluster(c) => {
                    let name_ok = match literals::dns_label(&c.name, "guardrail") {
                        Ok(()) => true,
                        Err(e) => {
                            checker.diags.push(e);
                            false
                        }
                    };
                    let fresh = claim(
                        &mut checker,
                        "",
                        c.name.node.clone(),
                        c.name.span,
                        &format!("guardrail `{}`", c.name.node),
                    );
                    let deny = checker.targets(&c.deny, None);
                    if let (true, true, Some(deny)) = (name_ok, fresh, deny) {
                        program.guardrails.push(Guardrail {
                            name: c.name.node.clone(),
                            deny,
                            span: c.span,
                        });
                    }
                }
            }
        }
        for a in pending {
            checker.diags.push(
                Diagnostic::new(
                    Code::E0705,
                    a.span,
                    "`@allow` is not followed by a statement",
                )
                .label("silences nothing")
                .help("put `@allow(CODE, \"reason\")` on the line right above the statement it silences"),
            );
        }
    }
    let by_name: BTreeMap<(&str, &str), &Workload> = program
        .workloads
        .iter()
        .map(|w| ((w.namespace.as_str(), w.name.as_str()), w))
        .collect();
    let mut expectations = Vec::new();
    for (ns, e, targets, resolving) in pending_expectations {
        match by_name.get(&(ns.as_str(), e.workload.node.as_str())) {
            Some(w) => expectations.push(checked::Expectation {
                namespace: ns.clone(),
                workload: w.name.clone(),
                source: w.selector.example(),
                targets,
                resolving,
                allow: e.allow,
                span: e.span,
            }),
            None => {
                let names: Vec<&str> = program
                    .workloads
                    .iter()
                    .filter(|w| w.namespace == ns)
                    .map(|w| w.name.as_str())
                    .collect();
                let mut d = Diagnostic::new(
                    Code::E0401,
                    e.workload.span,
                    format!(
                        "no app or workload `{}` in namespace `{ns}`",
                        e.workload.node
                    ),
                )
                .label("the source of the expected flow");
                d = match suggest::did_you_mean(&e.workload.node, names.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(
                        "expectations name an `app` or `pods` statement of the same namespace",
                    ),
                };
                checker.diags.push(d);
            }
        }
    }
    program.expectations = expectations;
    program.used_defs = std::mem::take(&mut checker.used);
    let mut diags = checker.diags;
    diags.sort();
    let mut unique = Diagnostics::new();
    let mut last: Option<(Code, Option<Span>, String)> = None;
    for d in diags {
        let key = (d.code, d.primary_span(), d.message.clone());
        if last.as_ref() != Some(&key) {
            last = Some(key);
            unique.push(d);
        }
    }
    (program, unique)
}

/// The span of a statement, for `@allow` suppressions.
fn item_span(item: &ast::Item) -> Span {
    match item {
        ast::Item::Namespace(n) => n.span,
        ast::Item::Def(d) => d.span,
        ast::Item::Workload(w) => w.span,
        ast::Item::DefaultDeny(s) => *s,
        ast::Item::Cluster(c) => c.span,
        ast::Item::Set(s) => s.span,
        ast::Item::Allow(a) => a.span,
        ast::Item::Expect(e) => e.span,
    }
}

/// Checks `@allow(CODE, "reason")`: a known lint code and a non-empty reason.
fn suppression(
    diags: &mut Diagnostics,
    a: &ast::Suppression,
    statement: Span,
) -> Option<checked::Suppression> {
    let lints: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| c.severity() == crate::diagnostics::Severity::Warning)
        .map(|c| c.as_str())
        .collect();
    let code = match Code::parse(&a.code.node)
        .filter(|c| c.severity() == crate::diagnostics::Severity::Warning)
    {
        Some(c) => c,
        None => {
            let mut d = Diagnostic::new(
                Code::E0703,
                a.code.span,
                format!("unknown lint code `{}`", a.code.node),
            )
            .label(if Code::parse(&a.code.node).is_some() {
                "an error, and errors cannot be silenced"
            } else {
                "not a warning egressc reports"
            });
            d = match suggest::did_you_mean(
                &a.code.node.to_ascii_uppercase(),
                lints.iter().copied(),
            ) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.note(format!("the lint codes are {}", lints.join(", "))),
            };
            diags.push(d);
            return None;
        }
    };
    let reason = a
        .reason
        .as_ref()
        .map(|r| r.node.trim().to_owned())
        .unwrap_or_default();
    if reason.is_empty() {
        diags.push(
            Diagnostic::new(
                Code::E0704,
                a.span,
                format!("silencing `{code}` needs a reason"),
            )
            .label("no reason given")
            .help(format!(
                "say why, as in `@allow({code}, \"reviewed with the network team\")`"
            )),
        );
        return None;
    }
    Some(checked::Suppression {
        code,
        reason,
        statement,
        span: a.span,
    })
}

/// The settings `set KEY = VALUE` accepts, with what each takes.
const SETTINGS: [(&str, &str); 5] = [
    ("wide-cidr-v4", "a prefix length from 0 to 32"),
    ("wide-cidr-v6", "a prefix length from 0 to 128"),
    ("wide-port-range", "a number of ports from 1 to 65535"),
    ("pod-cidrs", "one or more CIDRs"),
    ("service-cidrs", "one or more CIDRs"),
];

/// Applies `set KEY = VALUE` to `settings`, or reports why it cannot.
fn setting(diags: &mut Diagnostics, set: &ast::Setting, settings: &mut checked::Settings) {
    let key = set.key.node.as_str();
    let Some((_, takes)) = SETTINGS.iter().find(|(k, _)| *k == key) else {
        let mut d = Diagnostic::new(
            Code::E0701,
            set.key.span,
            format!("unknown setting `{key}`"),
        )
        .label("not a setting");
        d = match suggest::did_you_mean(key, SETTINGS.iter().map(|(k, _)| *k)) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.note(format!(
                "the settings are {}",
                SETTINGS
                    .iter()
                    .map(|(k, _)| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
        diags.push(d);
        return;
    };
    let bad = |diags: &mut Diagnostics, span: Span| {
        diags.push(
            Diagnostic::new(Code::E0702, span, format!("invalid value for `{key}`"))
                .label(format!("expected {takes}")),
        );
    };
    match key {
        "pod-cidrs" | "service-cidrs" => {
            let mut nets = Vec::new();
            for v in &set.values {
                match &v.kind {
                    ast::DestKind::Atom(ast::Atom::Ip {
                        addr,
                        prefix,
                        ports: None,
                    }) if v.ports.is_none() => match literals::ip_net(addr, prefix.as_ref()) {
                        Ok(n) => nets.push(n),
                        Err(e) => diags.push(e),
                    },
                    _ => bad(diags, v.span),
                }
            }
            if key == "pod-cidrs" {
                settings.pod_cidrs = nets;
            } else {
                settings.service_cidrs = nets;
            }
        }
        _ => {
            let number = match set.values.as_slice() {
                [v] => match &v.kind {
                    ast::DestKind::Atom(ast::Atom::Port(n)) if v.ports.is_none() => {
                        n.node.parse::<u32>().ok()
                    }
                    _ => None,
                },
                _ => None,
            };
            let max = match key {
                "wide-cidr-v4" => 32,
                "wide-cidr-v6" => 128,
                _ => 65535,
            };
            let min = u32::from(key == "wide-port-range");
            match number.filter(|n| *n >= min && *n <= max) {
                Some(n) => match key {
                    "wide-cidr-v4" => settings.wide_cidr_v4 = u8::try_from(n).unwrap_or(32),
                    "wide-cidr-v6" => settings.wide_cidr_v6 = u8::try_from(n).unwrap_or(128),
                    _ => settings.wide_port_range = n,
                },
                None => bad(
                    diags,
                    set.values
                        .first()
                        .map(|v| v.span)
                        .unwrap_or(set.span)
                        .to(set.values.last().map(|v| v.span).unwrap_or(set.span)),
                ),
            }
        }
    }
}

fn outside_namespace(span: Span, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0204,
        span,
        format!("{what} is outside any namespace"),
    )
    .label("no `namespace` statement above this line in this file")
    .help("add `namespace NAME` above it; each file sets its own namespace")
}
