//! Go to definition: of a definition (in any file of the program, or in the standard library's
//! read-only document), a parameter, a named argument, a workload, a guardrail or a namespace
//! (where the program first declares it).

use lsp_types::{GotoDefinitionResponse, Location, Position};

use crate::source::Span;
use crate::syntax::ast;

use super::diagnostics::locate;
use super::documents::Document;
use super::locate::{self, Hit, param_of};
use super::program::Program;
use super::server::Stdlib;

/// Where `span` is, in the file of the program or of the standard library it is in.
fn location(program: &Program, stdlib: &Stdlib, span: Span) -> Option<Location> {
    let (doc, range) = locate(program, stdlib, span)?;
    Some(Location::new(doc.uri.clone(), range))
}

/// Where a name is defined: a parameter of the enclosing definition, or a definition (the
/// standard library's when its document could be written; otherwise no result, and hover shows
/// it whole).
pub fn definition(
    program: &Program,
    stdlib: &Stdlib,
    doc: &Document,
    pos: Position,
) -> Option<GotoDefinitionResponse> {
    let offset = doc.offset(pos);
    let file = program.file(program.id_of(&doc.uri)?)?;
    let span = match locate::at(file, offset)? {
        Hit::DefName(def) => def.name.span,
        Hit::Param { param, .. } => param.name.span,
        Hit::Use { name, within } => match param_of(within, &name.node) {
            Some(p) => p.name.span,
            None => program.def(&name.node)?.name_span,
        },
        Hit::Port { name, within } => param_of(within, &name.node)?.name.span,
        Hit::ArgName { name, callee } => {
            let def = program.def(&callee.node)?;
            match param_of(program.def_ast(&callee.node), &name.node) {
                Some(p) => p.name.span,
                None => def.name_span,
            }
        }
        Hit::Workload(w) => w.name.span,
        Hit::Cluster(c) => c.name.span,
        // A namespace: where the program declares it first.
        Hit::Namespace(n) => program
            .files
            .iter()
            .flat_map(|f| &f.items)
            .find_map(|i| match i {
                ast::Item::Namespace(m) if m.node == n.node => Some(m.span),
                _ => None,
            })?,
        Hit::Type(_) | Hit::Proto(_) => return None,
    };
    location(program, stdlib, span).map(GotoDefinitionResponse::Scalar)
}
