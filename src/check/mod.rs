//! Stage 2: names, types and values. AST → checked program.
//!
//! Definitions are global to a program (standard library and every user file). Statements
//! apply to the namespace most recently declared in their own file. Calls are expanded by
//! substitution; every argument is checked against its parameter's type first.
//!
//! [`check`] runs the phases in order, each in its own file: [`defs`] (every definition, each
//! user definition checked on its own), [`statements`] (policy objects, with [`settings`],
//! [`suppress`] and the first half of [`expectations`] for the statements that are no policy),
//! then [`expectations`] matched with the workloads. [`expand`] evaluates destinations and
//! calls for all of them; [`literals`] validates addresses, ports, names and labels.

mod builtins;
pub mod checked;
mod defs;
mod dns;
mod expand;
mod expectations;
mod http;
pub(crate) use http::parse_header;
pub mod literals;
mod services;
mod settings;
mod statements;
mod suppress;
mod tls;

use crate::diagnostics::{Code, Diagnostics};
use crate::source::Span;
use crate::syntax::ast;
use checked::Program;
use expand::Checker;

/// The named arguments a call of the language takes after its destination (`http(...)`,
/// `tls(...)`, `dns(...)`); none for any other name. The language server's completion lists
/// them with what each means; a test holds its list to this one.
#[cfg(test)]
pub(crate) fn call_params(call: &str) -> &'static [&'static str] {
    match call {
        "http" => &http::PARAMS,
        "tls" => &tls::PARAMS,
        "dns" => &dns::PARAMS,
        _ => &[],
    }
}

/// Checks a whole program. `stdlib` files provide definitions only.
pub fn check(stdlib: &[ast::File], files: &[ast::File]) -> (Program, Diagnostics) {
    let mut checker = Checker::new();
    // The user's source, as far as its statements reach (the standard library is trusted).
    let bytes: u64 = files
        .iter()
        .filter_map(|f| f.items.iter().map(|i| u64::from(i.span().end)).max())
        .sum();
    checker.set_budget(bytes);
    let mut program = Program::default();
    settings::cluster_name(&mut checker, files);
    settings::dns_server(&mut checker, files);
    defs::check(&mut checker, &mut program, stdlib, files);
    let pending = statements::check(&mut checker, &mut program, files);
    program.cluster = crate::lint::settings::cluster_facts(&program.settings);
    settings::apiserver_placement(&mut checker.diags, files, &program.cluster);
    program.expectations = expectations::resolve(&mut checker.diags, &program, pending);
    program.used_defs = std::mem::take(&mut checker.used);
    program.dns_server = std::mem::take(&mut checker.dns_server);
    (program, unique(checker.diags))
}

/// `diags` sorted by place, with repeats (same code, place and message) reported once: a
/// definition's body, for one, is expanded again at every call.
fn unique(mut diags: Diagnostics) -> Diagnostics {
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
    unique
}
