//! Hover: the signature and documentation of a definition, the declaration of a parameter,
//! what a type, protocol, workload or guardrail is, and what a keyword means.

use lsp_types::{Hover, HoverContents, Position};

use crate::check::checked::DefInfo;
use crate::model::Proto;
use crate::source::Span;
use crate::syntax::ast;

use super::documents::Document;
use super::locate::{self, Hit, param_of, word_at};
use super::markup::markdown;
use super::program::Program;
use super::vocabulary::{DESTINATION_KEYWORDS, KEYWORDS, OTHER_KEYWORDS, PORTLESS, TYPES};

/// The hover text of a definition: its signature, its documentation, where it comes from.
pub fn def_markdown(def: &DefInfo) -> String {
    let mut s = format!("```egress\n{}\n```", def.signature());
    if let Some(doc) = &def.doc {
        s.push_str("\n\n");
        s.push_str(doc);
    }
    if def.from_stdlib {
        s.push_str("\n\n*standard library*");
    }
    s
}

/// The hover text of a parameter: its declaration as written, and its definition.
fn param_markdown(param: &ast::Param, def: &str, text: &str) -> String {
    let decl = text
        .get(param.span.range())
        .map(str::to_owned)
        .unwrap_or_else(|| param.name.node.clone());
    format!("```egress\n{decl}\n```\n\nparameter of `{def}`")
}

/// The hover text of a name the AST holds under the cursor, and the span it covers.
fn hover_at(program: &Program, doc: &Document, hit: Hit<'_>) -> Option<(String, Span)> {
    match hit {
        Hit::DefName(def) => program
            .def(&def.name.node)
            .map(|d| (def_markdown(d), def.name.span)),
        Hit::Use { name, within } => {
            if let Some(p) = param_of(within, &name.node) {
                let def = within.map(|d| d.name.node.as_str()).unwrap_or_default();
                return Some((param_markdown(p, def, &doc.text), name.span));
            }
            if let Some(p) = Proto::parse(&name.node) {
                return Some((format!("protocol `{}`", p.as_str()), name.span));
            }
            program
                .def(&name.node)
                .map(|d| (def_markdown(d), name.span))
        }
        Hit::Param { param, def } => Some((
            param_markdown(param, &def.name.node, &doc.text),
            param.name.span,
        )),
        Hit::Type(t) => TYPES
            .iter()
            .find(|(n, _)| *n == t.node)
            .map(|(n, what)| (format!("type `{n}`: {what}"), t.span)),
        Hit::ArgName { name, callee } => {
            let def = program.def(&callee.node)?;
            let p = def.params.iter().find(|p| p.name == name.node)?;
            let mut decl = format!("{}: {}", p.name, p.types.join(" | "));
            if let Some(d) = &p.default {
                decl.push_str(" = ");
                decl.push_str(d);
            }
            Some((
                format!(
                    "```egress\n{decl}\n```\n\nparameter of `{}`",
                    def.signature()
                ),
                name.span,
            ))
        }
        Hit::Port { name, within } => match param_of(within, &name.node) {
            Some(p) => {
                let def = within.map(|d| d.name.node.as_str()).unwrap_or_default();
                Some((param_markdown(p, def, &doc.text), name.span))
            }
            None => PORTLESS
                .iter()
                .find(|(p, _)| *p == name.node)
                .map(|(p, what)| (format!("protocol `{p}`: {what}"), name.span)),
        },
        Hit::Proto(p) => {
            Proto::parse(&p.node).map(|x| (format!("protocol `{}`", x.as_str()), p.span))
        }
        Hit::Namespace(_) => None,
        Hit::Workload(w) => {
            let what = match &w.selector {
                ast::WorkloadSelector::App => {
                    format!("the pods labelled `app={}`", w.name.node)
                }
                ast::WorkloadSelector::Labels(sel) => format!(
                    "the pods matching `{}`",
                    doc.text.get(sel.span.range()).unwrap_or_default()
                ),
            };
            Some((format!("workload `{}`: {what}", w.name.node), w.name.span))
        }
        Hit::Cluster(c) => {
            let whose = if c.selector.is_none() && c.namespaces.is_none() && c.except.is_none() {
                "every pod of the cluster"
            } else {
                "the pods it selects in every namespace it chooses"
            };
            let what = match c.allow {
                Some(_) => format!(
                    "cluster-wide allow-list `{}`: isolates {whose} and allows its destinations",
                    c.name.node
                ),
                None => format!(
                    "guardrail `{}`: denies its destinations to {whose}",
                    c.name.node
                ),
            };
            Some((what, c.name.span))
        }
    }
}

/// A keyword under the cursor: a whole token (not part of `app.example.com`), not in a comment.
fn keyword_at(doc: &Document, offset: usize) -> Option<(&'static str, usize, usize)> {
    let text = &doc.text;
    let (start, end) = word_at(text, offset);
    let word = text.get(start..end)?;
    let line_start = doc.index.line_start(start);
    if text.get(line_start..start)?.contains('#') {
        return None;
    }
    let glued = |c: Option<char>| c.is_some_and(|c| ".:*/[]".contains(c));
    if glued(text.get(..start)?.chars().next_back()) || glued(text.get(end..)?.chars().next()) {
        return None;
    }
    let (_, what) = KEYWORDS
        .iter()
        .chain(&OTHER_KEYWORDS)
        .chain(&DESTINATION_KEYWORDS)
        .find(|(k, _)| *k == word)?;
    Some((what, start, end))
}

/// What the name or keyword under `pos` is; nothing on other text.
pub fn hover(program: &Program, doc: &Document, pos: Position) -> Option<Hover> {
    let offset = doc.offset(pos);
    let id = program.id_of(&doc.uri)?;
    let file = program.file(id)?;
    let found = locate::at(file, offset).and_then(|hit| hover_at(program, doc, hit));
    let (value, range) = match found {
        Some((value, span)) => (value, doc.span_range(span)),
        None => {
            let (what, start, end) = keyword_at(doc, offset)?;
            (what.to_owned(), doc.range(start, end))
        }
    };
    Some(Hover {
        contents: HoverContents::Markup(markdown(value)),
        range: Some(range),
    })
}
