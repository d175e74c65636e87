//! Document symbols: namespaces, each with the statements that follow it as children
//! (definitions, workloads, `default deny`, guardrails); workspace symbols: the declarations of
//! every program, by name.

use lsp_types::{DocumentSymbol, Range, SymbolKind};

use crate::check::checked::DefInfo;
use crate::syntax::ast;

use super::documents::Document;
use super::occurrences::{self, Symbol};
use super::program::Program;

/// A symbol (every field but `deprecated`, which the protocol has replaced with `tags`).
#[expect(
    deprecated,
    reason = "`DocumentSymbol::deprecated` must be written to build one"
)]
fn symbol(
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    range: Range,
    selection: Range,
    children: Option<Vec<DocumentSymbol>>,
) -> DocumentSymbol {
    DocumentSymbol {
        name,
        detail,
        kind,
        tags: None,
        deprecated: None,
        range,
        selection_range: selection,
        children,
    }
}

/// The symbol of a statement other than `namespace`, and the byte offset where it ends.
fn item_symbol(
    program: &Program,
    doc: &Document,
    item: &ast::Item,
) -> Option<(DocumentSymbol, usize)> {
    let (name, detail, kind, span, name_span) = match item {
        ast::Item::Def(def) => (
            def.name.node.clone(),
            program
                .def(&def.name.node)
                .filter(|d| d.span == def.span)
                .map(DefInfo::signature),
            SymbolKind::FUNCTION,
            def.span,
            def.name.span,
        ),
        ast::Item::Workload(w) => (
            w.name.node.clone(),
            Some(match &w.selector {
                ast::WorkloadSelector::App => "app".to_owned(),
                ast::WorkloadSelector::Labels(sel) => {
                    format!(
                        "pods {}",
                        doc.text.get(sel.span.range()).unwrap_or_default()
                    )
                }
            }),
            SymbolKind::CLASS,
            w.span,
            w.name.span,
        ),
        ast::Item::DefaultDeny(span) => (
            "default deny".to_owned(),
            None,
            SymbolKind::CONSTANT,
            *span,
            *span,
        ),
        ast::Item::Cluster(c) => (
            c.name.node.clone(),
            Some(
                if c.allow.is_some() {
                    "cluster allow-list"
                } else {
                    "cluster guardrail"
                }
                .to_owned(),
            ),
            SymbolKind::EVENT,
            c.span,
            c.name.span,
        ),
        ast::Item::Host(h) => (
            h.name.node.clone(),
            Some("host allow-list".to_owned()),
            SymbolKind::EVENT,
            h.span,
            h.name.span,
        ),
        // Namespaces are handled by the caller; settings and attributes are no symbols.
        _ => return None,
    };
    let whole = span.to(name_span);
    let range = doc.span_range(whole);
    Some((
        symbol(name, detail, kind, range, doc.span_range(name_span), None),
        whole.end as usize,
    ))
}

/// Namespaces, with the statements that follow each as children; statements before the first
/// namespace at the top level.
pub fn symbols(program: &Program, doc: &Document) -> Vec<DocumentSymbol> {
    let Some(file) = program.id_of(&doc.uri).and_then(|id| program.file(id)) else {
        return Vec::new();
    };
    let mut out: Vec<DocumentSymbol> = Vec::new();
    // The open namespace: its symbol and the byte range it covers so far.
    let mut open: Option<(DocumentSymbol, usize, usize)> = None;
    let close = |open: Option<(DocumentSymbol, usize, usize)>, out: &mut Vec<DocumentSymbol>| {
        if let Some((mut ns, start, end)) = open {
            ns.range = doc.range(start, end);
            out.push(ns);
        }
    };
    for item in &file.items {
        if let ast::Item::Namespace(n) = item {
            close(open.take(), &mut out);
            let start = doc.index.line_start(n.span.start as usize);
            let ns = symbol(
                n.node.clone(),
                None,
                SymbolKind::NAMESPACE,
                Range::default(),
                doc.span_range(n.span),
                Some(Vec::new()),
            );
            open = Some((ns, start.min(n.span.start as usize), n.span.end as usize));
            continue;
        }
        let Some((sym, item_end)) = item_symbol(program, doc, item) else {
            continue;
        };
        match &mut open {
            Some((ns, _, end)) => {
                *end = (*end).max(item_end);
                ns.children.get_or_insert_with(Vec::new).push(sym);
            }
            None => out.push(sym),
        }
    }
    close(open.take(), &mut out);
    out
}

/// The most symbols a workspace search returns.
const MOST_WORKSPACE_SYMBOLS: usize = 1000;

/// Workspace symbols: the declarations of every file of every program (definitions, workloads,
/// guardrails, namespaces) whose name holds `query` (case-insensitive), at most
/// [`MOST_WORKSPACE_SYMBOLS`].
#[expect(
    deprecated,
    reason = "`SymbolInformation::deprecated` must be written to build one"
)]
pub fn workspace<'a>(
    programs: impl Iterator<Item = &'a Program>,
    query: &str,
) -> Vec<lsp_types::SymbolInformation> {
    let query = query.to_lowercase();
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for program in programs {
        for file in &program.files {
            let Some(doc) = program.doc_of(file.id) else {
                continue;
            };
            for o in occurrences::occurrences(file) {
                if !o.declaration {
                    continue;
                }
                let (name, kind, container) = match &o.symbol {
                    Symbol::Def(n) => (n.clone(), SymbolKind::FUNCTION, None),
                    Symbol::Workload { namespace, name } => {
                        (name.clone(), SymbolKind::CLASS, Some(namespace.clone()))
                    }
                    Symbol::Cluster(n) => (n.clone(), SymbolKind::EVENT, None),
                    Symbol::Namespace(n) => (n.clone(), SymbolKind::NAMESPACE, None),
                    Symbol::Param { .. } => continue,
                };
                if !name.to_lowercase().contains(&query)
                    || !seen.insert((doc.uri.as_str().to_owned(), o.span.start))
                {
                    continue;
                }
                out.push(lsp_types::SymbolInformation {
                    name,
                    kind,
                    tags: None,
                    deprecated: None,
                    location: lsp_types::Location::new(doc.uri.clone(), doc.span_range(o.span)),
                    container_name: container.filter(|c| !c.is_empty()),
                });
                if out.len() >= MOST_WORKSPACE_SYMBOLS {
                    return out;
                }
            }
        }
    }
    out
}
