//! Requests → the feature that answers them, on the analysis of the document's program.

use lsp_server::{ErrorCode, Request, RequestId, Response};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, GotoDefinition, HoverRequest, Request as RequestTrait,
};
use lsp_types::{CompletionResponse, DocumentSymbolResponse};

use super::server::Server;
use super::{completion, goto_definition, hover, symbols};

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

fn respond(id: RequestId, result: serde_json::Result<serde_json::Value>) -> Response {
    match result {
        Ok(v) => Response::new_ok(id, v),
        Err(e) => Response::new_err(id, ErrorCode::InternalError as i32, e.to_string()),
    }
}
