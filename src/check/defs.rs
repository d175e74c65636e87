//! Definitions: global to a program (standard library and every user file), each name defined
//! once (E0202); each user definition's signature and body checked on its own with placeholder
//! arguments, so that a definition no statement calls is checked too.

use std::collections::{BTreeSet, HashMap};

use super::builtins;
use super::checked::{DefInfo, ParamInfo, Program};
use super::expand::{Checker, Env, Expanded, Given, Val};
use crate::diagnostics::{Code, Diagnostic, suggest};
use crate::model::{HostPattern, Peer, Proto, Wildcard};
use crate::source::{FileId, Span};
use crate::syntax::ast;

/// The parameter types of the language, as written after `:` in `def f(x: cidr | host)`.
const TYPES: [&str; 5] = ["cidr", "host", "port", "proto", "dest"];

/// A placeholder value of a type, used to check a definition's body on its own: `0.0.0.0/0`
/// for a `cidr`, `example.com` for a `host`, port 1, `tcp`, and no destinations for a `dest`.
/// Only the type matters: the body is checked for what it does with the parameter, not for
/// what a caller will pass.
fn sample(ty: &str, origin: Span) -> Val {
    match ty {
        "cidr" => Val::Dests(vec![Expanded::new(
            Peer::Net(ipnet::IpNet::V4(ipnet::Ipv4Net::default())),
            origin,
        )]),
        "host" => Val::Dests(vec![Expanded::new(
            Peer::Host(HostPattern {
                wildcard: Wildcard::None,
                base: "example.com".into(),
            }),
            origin,
        )]),
        // Like a default: whatever port a caller passes, it is checked at the call.
        "port" => Val::Port(
            1,
            1,
            Given {
                span: origin,
                explicit: false,
            },
        ),
        "proto" => Val::Proto(Proto::Tcp),
        _ => Val::Dests(Vec::new()),
    }
}

/// Registers every definition of `stdlib` and `files` with the checker and the program, then
/// checks each user definition on its own.
///
/// A name defined again, in the standard library or the program, is E0202 and the first
/// definition stays. Standard library definitions are trusted and not checked again.
pub(super) fn check<'a>(
    checker: &mut Checker<'a>,
    program: &mut Program,
    stdlib: &'a [ast::File],
    files: &'a [ast::File],
) {
    let stdlib_ids: BTreeSet<FileId> = stdlib.iter().map(|f| f.id).collect();
    let mut user_defs = Vec::new();
    program.defs.extend(builtins::infos());
    for file in stdlib.iter().chain(files) {
        for item in &file.items {
            if let ast::Item::Def(def) = item {
                let from_stdlib = stdlib_ids.contains(&file.id);
                if builtins::is_builtin(&def.name.node) {
                    checker.diags.push(builtins::redefined(&def.name));
                    continue;
                }
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
}

impl<'a> Checker<'a> {
    /// Checks a definition's signature and body on its own, with placeholder arguments.
    ///
    /// A parameter declared twice is E0210, an unknown type E0209, a default that is not of
    /// its parameter's types E0301. The body is expanded in namespace `default` with one
    /// sample value per parameter (of its first type), outside `marking`, so that it counts as
    /// used only when a statement calls it.
    pub(super) fn check_def(&mut self, def: &'a ast::Def) {
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

/// A definition's signature as `egressc explain` and help lines write it.
pub(super) fn signature(def: &ast::Def) -> String {
    info(def, false).signature()
}

/// What the program lists about a definition (for `explain`, hover and completion). A
/// parameter's default is shown when it is a port or a name, else as `…`.
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
