//! Requests → the feature that answers them, on the analysis of the document's program.

use lsp_server::{ErrorCode, Request, RequestId, Response};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentSymbolRequest, FoldingRangeRequest, Formatting,
    GotoDefinition, HoverRequest, PrepareRenameRequest, References, Rename,
    Request as RequestTrait, SemanticTokensFullRequest, WorkspaceSymbolRequest,
};
use lsp_types::{
    CompletionResponse, DocumentSymbolResponse, SemanticTokensResult, WorkspaceSymbolResponse,
};

use super::server::Server;
use super::{
    code_actions, completion, folding, formatting, goto_definition, hover, references,
    semantic_tokens, symbols,
};

/// Answers one request.
pub fn request(s: &Server<'_>, req: Request) -> Response {
    match req.method.as_str() {
        HoverRequest::METHOD => handle::<HoverRequest>(s, req, |s, p| {
            let pos = p.text_document_position_params;
            let (program, doc) = s.lookup(&pos.text_document.uri)?;
            hover::hover(program, doc, pos.position)
        }),
        GotoDefinition::METHOD => handle::<GotoDefinition>(s, req, |s, p| {
            let pos = p.text_document_position_params;
            let (program, doc) = s.lookup(&pos.text_document.uri)?;
            goto_definition::definition(program, &s.stdlib, doc, pos.position)
        }),
        Completion::METHOD => handle::<Completion>(s, req, |s, p| {
            let pos = p.text_document_position;
            let (program, doc) = s.lookup(&pos.text_document.uri)?;
            Some(CompletionResponse::Array(completion::completion(
                Some(program),
                doc,
                pos.position,
            )))
        }),
        DocumentSymbolRequest::METHOD => handle::<DocumentSymbolRequest>(s, req, |s, p| {
            let (program, doc) = s.lookup(&p.text_document.uri)?;
            Some(DocumentSymbolResponse::Nested(symbols::symbols(
                program, doc,
            )))
        }),
        References::METHOD => handle::<References>(s, req, |s, p| {
            let pos = p.text_document_position;
            let (program, doc) = s.lookup(&pos.text_document.uri)?;
            references::references(program, doc, pos.position, p.context.include_declaration)
        }),
        PrepareRenameRequest::METHOD => {
            fallible::<PrepareRenameRequest>(s, req, |s, p| match s.lookup(&p.text_document.uri) {
                Some((program, doc)) => references::prepare(program, doc, p.position),
                None => Ok(None),
            })
        }
        Rename::METHOD => fallible::<Rename>(s, req, |s, p| {
            let pos = p.text_document_position;
            match s.lookup(&pos.text_document.uri) {
                Some((program, doc)) => references::rename(program, doc, pos.position, &p.new_name),
                None => Ok(None),
            }
        }),
        CodeActionRequest::METHOD => handle::<CodeActionRequest>(s, req, |s, p| {
            let (program, doc) = s.lookup(&p.text_document.uri)?;
            Some(code_actions::actions(program, doc, &p))
        }),
        Formatting::METHOD => fallible::<Formatting>(s, req, |s, p| {
            // An open document, formatted as the editor has it (it need not have been analysed).
            match s.docs.get(&p.text_document.uri) {
                Some(doc) => formatting::format(doc),
                None => Ok(None),
            }
        }),
        FoldingRangeRequest::METHOD => handle::<FoldingRangeRequest>(s, req, |s, p| {
            let (_, doc) = s.lookup(&p.text_document.uri)?;
            Some(folding::ranges(doc))
        }),
        SemanticTokensFullRequest::METHOD => handle::<SemanticTokensFullRequest>(s, req, |s, p| {
            let (program, doc) = s.lookup(&p.text_document.uri)?;
            Some(SemanticTokensResult::Tokens(semantic_tokens::tokens(
                program, doc,
            )))
        }),
        WorkspaceSymbolRequest::METHOD => handle::<WorkspaceSymbolRequest>(s, req, |s, p| {
            Some(WorkspaceSymbolResponse::Flat(symbols::workspace(
                s.programs(),
                &p.query,
            )))
        }),
        _ => Response::new_err(
            req.id,
            ErrorCode::MethodNotFound as i32,
            format!("unsupported request `{}`", req.method),
        ),
    }
}

/// Decodes a request's parameters, runs `f` and encodes its result.
fn handle<R: RequestTrait>(
    s: &Server<'_>,
    req: Request,
    f: impl FnOnce(&Server<'_>, R::Params) -> R::Result,
) -> Response {
    let Request { id, params, .. } = req;
    match serde_json::from_value::<R::Params>(params) {
        Ok(p) => respond(id, serde_json::to_value(f(s, p))),
        Err(e) => Response::new_err(
            id,
            ErrorCode::InvalidParams as i32,
            format!("invalid parameters: {e}"),
        ),
    }
}

/// [`handle`] for a request that may be refused: the refusal is an error answer
/// (`RequestFailed`) with its message, which editors show.
fn fallible<R: RequestTrait>(
    s: &Server<'_>,
    req: Request,
    f: impl FnOnce(&Server<'_>, R::Params) -> Result<R::Result, String>,
) -> Response {
    let Request { id, params, .. } = req;
    match serde_json::from_value::<R::Params>(params) {
        Ok(p) => match f(s, p) {
            Ok(r) => respond(id, serde_json::to_value(r)),
            Err(why) => Response::new_err(id, ErrorCode::RequestFailed as i32, why),
        },
        Err(e) => Response::new_err(
            id,
            ErrorCode::InvalidParams as i32,
            format!("invalid parameters: {e}"),
        ),
    }
}

fn respond(id: RequestId, result: serde_json::Result<serde_json::Value>) -> Response {
    match result {
        Ok(v) => Response::new_ok(id, v),
        Err(e) => Response::new_err(id, ErrorCode::InternalError as i32, e.to_string()),
    }
}
