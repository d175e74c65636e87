//! `egressc lsp`: a language server over stdio, synchronous, on one thread: [`transport`] reads
//! and writes the frames (`lsp-server` gives the message types), and a malformed frame is
//! answered with a JSON-RPC error instead of ending the server.
//!
//! Features: full text sync; diagnostics on open and change (the compiler's codes, messages and
//! severities); hover on names, parameters, types and keywords; go to definition of user
//! definitions and parameters; completion of definitions, keywords, parameter types and
//! protocols; document symbols (namespaces with their statements). Positions are UTF-16, as the
//! protocol requires.
//!
//! Programs: by default the open documents of one folder form one program (definitions are
//! shared across them, as with `egressc build FOLDER`); `initializationOptions: {"program":
//! "document"}` makes every document a program of its own. Standard library definitions are in
//! no document: go to definition gives no result for them, and hover shows their signature and
//! whole documentation.
//!
//! Never panics on input: every request for a document that is not open gets an empty answer,
//! malformed parameters get an `InvalidParams` error, and a defect in a handler is caught and
//! answered with an `InternalError` instead of ending the server.

mod completion;
mod diagnostics;
mod documents;
mod goto_definition;
mod hover;
mod locate;
mod markup;
mod position;
mod program;
mod recover;
mod symbols;
pub mod transport;
mod vocabulary;

use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument,
    Notification as NotificationTrait, PublishDiagnostics,
};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, GotoDefinition, HoverRequest, Request as RequestTrait,
};
use lsp_types::{
    CompletionOptions, CompletionResponse, DocumentSymbolResponse, HoverProviderCapability,
    InitializeResult, OneOf, PositionEncodingKind, PublishDiagnosticsParams, ServerCapabilities,
    ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind, Uri,
};

use crate::syntax::ast;
use documents::{Document, Documents};
use program::{Model, Program};
use transport::{Incoming, Transport};

/// A failure of the connection itself (not of a request): the server cannot go on.
#[derive(Debug)]
pub struct ServerError(String);

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "language server: {}", self.0)
    }
}

impl std::error::Error for ServerError {}

fn err(e: impl fmt::Display) -> ServerError {
    ServerError(e.to_string())
}

/// Serves the protocol on stdin/stdout until `exit`. Exit code 0 after `shutdown` then `exit`,
/// 1 when `exit` comes without `shutdown` or the client goes away.
pub fn run() -> Result<ExitCode, ServerError> {
    let stdin = std::io::stdin().lock();
    let stdout = std::io::stdout().lock();
    serve(Transport::new(stdin, stdout))
}

/// The server's capabilities, as sent in the `initialize` answer.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![":".into(), "|".into(), "/".into()]),
            ..CompletionOptions::default()
        }),
        document_symbol_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    }
}

/// Serves one connection: `initialize` (requests before it get `ServerNotInitialized`), then
/// messages until `exit`. A malformed frame gets its error answer at any time.
pub fn serve<R: BufRead, W: Write>(mut t: Transport<R, W>) -> Result<ExitCode, ServerError> {
    let (id, params) = loop {
        match t.read().map_err(err)? {
            Incoming::Closed => return Ok(ExitCode::from(1)),
            Incoming::Malformed(answer) => t.send_value(&answer).map_err(err)?,
            Incoming::Message(Message::Request(req)) if req.method == "initialize" => {
                break (req.id, req.params);
            }
            Incoming::Message(Message::Request(req)) => {
                let resp = Response::new_err(
                    req.id,
                    ErrorCode::ServerNotInitialized as i32,
                    format!("expected `initialize`, got `{}`", req.method),
                );
                t.send(&resp.into()).map_err(err)?;
            }
            Incoming::Message(Message::Notification(n))
                if n.method == lsp_types::notification::Exit::METHOD =>
            {
                return Ok(ExitCode::from(1));
            }
            Incoming::Message(_) => {}
        }
    };
    let model = params
        .get("initializationOptions")
        .and_then(|o| o.get("program"))
        .and_then(|p| p.as_str())
        .and_then(Model::parse)
        .unwrap_or_default();
    let result = InitializeResult {
        capabilities: capabilities(),
        server_info: Some(ServerInfo {
            name: "egressc".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    };
    let result = serde_json::to_value(result).map_err(err)?;
    t.send(&Response::new_ok(id, result).into()).map_err(err)?;
    let mut server = Server::new(model);
    let mut shutting_down = false;
    loop {
        let msg = match t.read().map_err(err)? {
            Incoming::Message(m) => m,
            Incoming::Malformed(answer) => {
                t.send_value(&answer).map_err(err)?;
                continue;
            }
            // The client closed the connection without `exit`.
            Incoming::Closed => return Ok(ExitCode::from(1)),
        };
        match msg {
            Message::Request(req) => {
                let resp = if shutting_down {
                    Response::new_err(
                        req.id,
                        ErrorCode::InvalidRequest as i32,
                        "the server is shutting down".into(),
                    )
                } else if req.method == lsp_types::request::Shutdown::METHOD {
                    shutting_down = true;
                    Response::new_ok(req.id, serde_json::Value::Null)
                } else {
                    server.request(req)
                };
                t.send(&resp.into()).map_err(err)?;
            }
            Message::Notification(n) => {
                if n.method == lsp_types::notification::Exit::METHOD {
                    return Ok(if shutting_down {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(1)
                    });
                }
                for out in server.notification(n) {
                    t.send(&out.into()).map_err(err)?;
                }
            }
            Message::Response(_) => {}
        }
    }
}

/// The server's state: open documents, and the analysis of each program.
struct Server {
    model: Model,
    docs: Documents,
    /// Program key → analysis of its open documents.
    programs: BTreeMap<String, Program>,
    stdlib: Vec<ast::File>,
}

impl Server {
    fn new(model: Model) -> Server {
        Server {
            model,
            docs: Documents::default(),
            programs: BTreeMap::new(),
            stdlib: program::stdlib_files(),
        }
    }

    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        let method = req.method.clone();
        match catch_unwind(AssertUnwindSafe(|| self.dispatch(req))) {
            Ok(resp) => resp,
            Err(_) => Response::new_err(
                id,
                ErrorCode::InternalError as i32,
                format!("egressc failed on `{method}`; please file an issue"),
            ),
        }
    }

    fn dispatch(&mut self, req: Request) -> Response {
        match req.method.as_str() {
            HoverRequest::METHOD => self.handle::<HoverRequest>(req, |s, p| {
                let pos = p.text_document_position_params;
                let (program, doc) = s.lookup(&pos.text_document.uri)?;
                hover::hover(program?, doc, pos.position)
            }),
            GotoDefinition::METHOD => self.handle::<GotoDefinition>(req, |s, p| {
                let pos = p.text_document_position_params;
                let (program, doc) = s.lookup(&pos.text_document.uri)?;
                goto_definition::definition(program?, &s.docs, doc, pos.position)
            }),
            Completion::METHOD => self.handle::<Completion>(req, |s, p| {
                let pos = p.text_document_position;
                let (program, doc) = s.lookup(&pos.text_document.uri)?;
                Some(CompletionResponse::Array(completion::completion(
                    program,
                    doc,
                    pos.position,
                )))
            }),
            DocumentSymbolRequest::METHOD => self.handle::<DocumentSymbolRequest>(req, |s, p| {
                let (program, doc) = s.lookup(&p.text_document.uri)?;
                Some(DocumentSymbolResponse::Nested(symbols::symbols(
                    program?, doc,
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
        &mut self,
        req: Request,
        f: impl FnOnce(&Self, R::Params) -> R::Result,
    ) -> Response {
        let Request { id, params, .. } = req;
        match serde_json::from_value::<R::Params>(params) {
            Ok(p) => respond(id, serde_json::to_value(f(self, p))),
            Err(e) => Response::new_err(
                id,
                ErrorCode::InvalidParams as i32,
                format!("invalid parameters: {e}"),
            ),
        }
    }

    /// An open document and its program's analysis.
    fn lookup(&self, uri: &Uri) -> Option<(Option<&Program>, &Document)> {
        let doc = self.docs.get(uri)?;
        Some((self.programs.get(&self.model.group(uri)), doc))
    }

    /// Handles a notification; returns the notifications to send (diagnostics).
    fn notification(&mut self, n: Notification) -> Vec<Notification> {
        let method = n.method.clone();
        match catch_unwind(AssertUnwindSafe(|| self.on_notification(n))) {
            Ok(out) => out,
            Err(_) => {
                eprintln!("egressc lsp: failed on `{method}`; please file an issue");
                Vec::new()
            }
        }
    }

    fn on_notification(&mut self, n: Notification) -> Vec<Notification> {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) =
                    n.extract::<lsp_types::DidOpenTextDocumentParams>(DidOpenTextDocument::METHOD)
                else {
                    return Vec::new();
                };
                let d = p.text_document;
                let uri = d.uri.clone();
                self.docs.open(Document::new(d.uri, d.version, d.text));
                self.reanalyse(&uri)
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) = n.extract::<lsp_types::DidChangeTextDocumentParams>(
                    DidChangeTextDocument::METHOD,
                ) else {
                    return Vec::new();
                };
                let uri = p.text_document.uri;
                if !self
                    .docs
                    .change(&uri, p.text_document.version, p.content_changes)
                {
                    return Vec::new();
                }
                self.reanalyse(&uri)
            }
            DidCloseTextDocument::METHOD => {
                let Ok(p) = n
                    .extract::<lsp_types::DidCloseTextDocumentParams>(DidCloseTextDocument::METHOD)
                else {
                    return Vec::new();
                };
                let uri = p.text_document.uri;
                if self.docs.close(&uri).is_none() {
                    return Vec::new();
                }
                let mut out = vec![publish(uri.clone(), Vec::new(), None)];
                out.extend(self.reanalyse(&uri));
                out
            }
            // `initialized`, `$/cancelRequest`, `didSave`, watched files, ...: nothing to do.
            _ => Vec::new(),
        }
    }

    /// Analyses the program `uri` belongs to again and returns the diagnostics of each of its
    /// open documents.
    fn reanalyse(&mut self, uri: &Uri) -> Vec<Notification> {
        let key = self.model.group(uri);
        let members: Vec<(Uri, &str)> = self
            .docs
            .iter()
            .filter(|d| self.model.group(&d.uri) == key)
            .map(|d| (d.uri.clone(), d.text.as_str()))
            .collect();
        if members.is_empty() {
            self.programs.remove(&key);
            return Vec::new();
        }
        let program = Program::build(&members, &self.stdlib);
        let mut out = Vec::new();
        for (u, list) in diagnostics::by_document(&self.docs, &program) {
            let Some(doc) = self.docs.iter().find(|d| d.uri.as_str() == u) else {
                continue;
            };
            out.push(publish(doc.uri.clone(), list, Some(doc.version)));
        }
        self.programs.insert(key, program);
        out
    }
}

fn respond(id: RequestId, result: serde_json::Result<serde_json::Value>) -> Response {
    match result {
        Ok(v) => Response::new_ok(id, v),
        Err(e) => Response::new_err(id, ErrorCode::InternalError as i32, e.to_string()),
    }
}

fn publish(
    uri: Uri,
    diagnostics: Vec<lsp_types::Diagnostic>,
    version: Option<i32>,
) -> Notification {
    let params = PublishDiagnosticsParams {
        uri,
        diagnostics,
        version,
    };
    Notification {
        method: PublishDiagnostics::METHOD.to_owned(),
        params: serde_json::to_value(params).unwrap_or_default(),
    }
}
