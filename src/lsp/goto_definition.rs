//! Go to definition: of a user definition, a parameter, a named argument, a workload, a
//! guardrail or a namespace (where the program first declares it).

use lsp_types::{GotoDefinitionResponse, Location, Position};

use crate::source::Span;
use crate::syntax::ast;

use super::documents::{Document, Documents};
use super::locate::{self, Hit, param_of};
use super::program::Program;

/// Where `span` is, in the open document of its file.
fn location(program: &Program, docs: &Documents, span: Span) -> Option<Location> {
    let uri = program.uri_of(span.file)?;
    let doc = docs.get(uri)?;
    Some(Location::new(uri.clone(), doc.span_range(span)))
}

/// Where a name is defined: a parameter of the enclosing definition, or a user definition.
/// Standard library definitions are not in any document: no result (hover shows them whole).
pub fn definition(
    program: &Program,
    docs: &Documents,
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
            None => {
                let def = program.def(&name.node).filter(|d| !d.from_stdlib)?;
                def.name_span
            }
        },
        Hit::Port { name, within } => param_of(within, &name.node)?.name.span,
        Hit::ArgName { name, callee } => {
            program.def(&callee.node).filter(|d| !d.from_stdlib)?;
            param_of(program.def_ast(&callee.node), &name.node)?
                .name
                .span
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
    location(program, docs, span).map(GotoDefinitionResponse::Scalar)
}
