//! `egressc lsp`: a language server over stdio: [`transport`] reads frames on a thread of its
//! own and the serving loop handles them in order on another (`lsp-server` gives the message
//! types); a malformed frame is answered with a JSON-RPC error instead of ending the server.
//!
//! Latency: edits only mark their program stale; a program is analysed once for a burst of
//! edits, at the latest version (after 15 ms without another edit, or before a request that
//! needs it, every edit already queued applied first), on a thread of its own (`worker`), and a
//! file whose text did not change keeps its syntax tree from the analysis before
//! (`program::Parsed`); only the diagnostics that changed are published. A request is answered
//! from the last completed analysis while the one running is of a version already gone; it
//! waits only for an analysis of the current text. A `$/cancelRequest` for a request still
//! queued answers it without doing its work.
//!
//! Features: full text sync; diagnostics for every file of a program; hover on names,
//! parameters, types and keywords; go to definition (other files, the standard library);
//! references and rename; code actions (did-you-mean, `dns`, `default deny`, `@allow`);
//! formatting (`egressc fmt`'s layout); semantic tokens; folding ranges; document and
//! workspace symbols; completion of definitions, keywords, statements, parameter types,
//! protocols, setting names and lint codes. Positions are UTF-16, as the protocol requires.
//!
//! Programs: by default a document belongs to the program `egressc check` would build from
//! its folder: the sources of the project file that governs it (`egressc.toml`, found upwards),
//! else the `.egress` files of its folder. They are read through the [`Workspace`] the server is
//! given (the library reads no files: `egressc lsp` hands it the command line's reading, with
//! its limits and symlink rules), kept in sync through `didSave` and
//! `workspace/didChangeWatchedFiles` (registered when the client can), and every file of the
//! program gets its diagnostics, open or not. Open documents count as the editor has them.
//! `initializationOptions: {"program": "document"}` makes every document a program of its own.
//! The standard library is written once, read-only, where the workspace says: go to definition
//! of `dns` opens it.
//!
//! Never panics on input: every request for a document that is not open gets an empty answer,
//! malformed parameters get an `InvalidParams` error, and a defect in a handler is caught and
//! answered with an `InternalError` instead of ending the server.

mod code_actions;
mod completion;
mod diagnostics;
mod dispatch;
mod documents;
mod folding;
mod formatting;
mod goto_definition;
mod hover;
mod locate;
mod markup;
mod occurrences;
mod position;
mod program;
mod recover;
mod references;
mod reparse;
/// The tests' deterministic generator, shared with the language-server and syntax tests.
#[cfg(test)]
#[path = "../../tests/common/rng.rs"]
pub(crate) mod rng;
mod semantic_tokens;
mod server;
mod shift;
mod symbols;
pub mod transport;
mod uri;
mod vocabulary;
mod worker;
pub mod workspace;

use std::collections::{BTreeSet, VecDeque};
use std::fmt;
use std::io::{self, BufRead, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

use lsp_server::{ErrorCode, Message, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument,
    Notification as NotificationTrait,
};
use lsp_types::request::Request as RequestTrait;
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability,
    FoldingRangeProviderCapability, RenameOptions, SemanticTokensFullOptions,
    SemanticTokensOptions, SemanticTokensServerCapabilities, WorkDoneProgressOptions,
};
use lsp_types::{
    CompletionOptions, HoverProviderCapability, InitializeResult, OneOf, PositionEncodingKind,
    SaveOptions, ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, TextDocumentSyncSaveOptions,
};

use program::Model;
use server::Server;
use transport::{Incoming, Transport};
pub use workspace::{Loaded, NoFiles, Workspace};

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

/// Serves the protocol on stdin/stdout until `exit`, reading programs through `workspace`.
/// Exit code 0 after `shutdown` then `exit`, 1 when `exit` comes without `shutdown` or the
/// client goes away.
pub fn run(workspace: &dyn Workspace) -> Result<ExitCode, ServerError> {
    let stdin = std::io::BufReader::new(std::io::stdin());
    let stdout = std::io::stdout().lock();
    serve(Transport::new(stdin, stdout), workspace)
}

/// The server's capabilities, as sent in the `initialize` answer.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![":".into(), "|".into(), "/".into()]),
            ..CompletionOptions::default()
        }),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: semantic_tokens::legend(),
                full: Some(SemanticTokensFullOptions::Bool(true)),
                range: None,
                work_done_progress_options: WorkDoneProgressOptions::default(),
            },
        )),
        ..ServerCapabilities::default()
    }
}

/// How long the server waits for more edits after one, before it analyses: a burst of
/// keystrokes is analysed once, at its last version.
const QUIET: Duration = Duration::from_millis(15);
/// The longest a stream of edits delays an analysis.
const MOST_DELAY: Duration = Duration::from_millis(60);

/// What the reading thread hands over.
type Read = Result<Incoming, String>;

/// What the serving loop waits for: a message read, or an analysis finished.
enum Event {
    Read(Read),
    Analysed(Box<worker::Done>),
}

/// Reads frames on a thread of their own, so that the serving loop sees what is queued.
fn reader<R: BufRead + Send + 'static>(mut t: Transport<R, io::Sink>, tx: Sender<Event>) {
    std::thread::spawn(move || {
        loop {
            let next = t.read().map_err(|e| e.to_string());
            let end = matches!(next, Ok(Incoming::Closed) | Err(_));
            if tx.send(Event::Read(next)).is_err() || end {
                break;
            }
        }
    });
}

/// The document a request is about, when it names one.
fn request_document(req: &lsp_server::Request) -> Option<lsp_types::Uri> {
    req.params
        .pointer("/textDocument/uri")
        .and_then(serde_json::Value::as_str)
        .and_then(|u| u.parse().ok())
}

/// Whether a request's answer is computed on the document's text (edits to apply, completions
/// at the cursor), so that it needs the analysis of the text as it is now.
fn needs_latest(method: &str) -> bool {
    use lsp_types::request::{
        CodeActionRequest, Completion, Formatting, PrepareRenameRequest, Rename,
    };
    [
        Formatting::METHOD,
        Rename::METHOD,
        PrepareRenameRequest::METHOD,
        CodeActionRequest::METHOD,
        Completion::METHOD,
    ]
    .contains(&method)
}

/// Whether a message changes the text of a document.
fn is_edit(msg: &Incoming) -> bool {
    matches!(msg, Incoming::Message(Message::Notification(n))
        if n.method == DidChangeTextDocument::METHOD
            || n.method == DidOpenTextDocument::METHOD
            || n.method == DidCloseTextDocument::METHOD)
}

/// Serves one connection: `initialize` (requests before it get `ServerNotInitialized`), then
/// messages until `exit`. A malformed frame gets its error answer at any time.
///
/// Messages are handled in order, but analysis waits: edits only mark their program stale,
/// and a program is analysed, on the worker's thread, when nothing is queued (after `QUIET`
/// without another edit) or when a request needs it, after every edit already queued has been
/// applied; a request waits only for an analysis of the current text. A `$/cancelRequest`
/// for a request still queued answers it with `RequestCancelled` without doing its work.
pub fn serve<R: BufRead + Send + 'static, W: Write>(
    t: Transport<R, W>,
    workspace: &dyn Workspace,
) -> Result<ExitCode, ServerError> {
    let (r, w) = t.into_parts();
    let (events_tx, rx) = channel();
    reader(Transport::new(r, io::sink()), events_tx.clone());
    let mut t = Transport::new(io::empty(), w);
    let recv = |rx: &Receiver<Event>| loop {
        match rx.recv() {
            Ok(Event::Read(m)) => break m.map_err(ServerError),
            // No analysis runs before `initialize`.
            Ok(Event::Analysed(_)) => {}
            Err(_) => break Ok(Incoming::Closed),
        }
    };
    let (id, params) = loop {
        match recv(&rx)? {
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
    let watch = params
        .pointer("/capabilities/workspace/didChangeWatchedFiles/dynamicRegistration")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    let result = InitializeResult {
        capabilities: capabilities(),
        server_info: Some(ServerInfo {
            name: "egressc".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    };
    let result = serde_json::to_value(result).map_err(err)?;
    t.send(&Response::new_ok(id, result).into()).map_err(err)?;
    let mut server = Server::new(model, workspace, watch);
    let jobs = worker::spawn(Arc::clone(&server.stdlib.files), events_tx, |done| {
        Event::Analysed(Box::new(done))
    });
    // Whether the worker has a job.
    let mut busy = false;
    let mut queue: VecDeque<Incoming> = VecDeque::new();
    let mut cancelled: BTreeSet<RequestId> = BTreeSet::new();
    let mut shutting_down = false;
    let mut closed = false;
    // When the first edit not yet analysed was applied.
    let mut editing: Option<Instant> = None;
    // Handles an event (see `event`) with the loop's state.
    macro_rules! handle {
        ($e:expr) => {
            event(
                $e,
                &mut t,
                &mut server,
                &mut busy,
                &mut queue,
                &mut cancelled,
                &mut closed,
            )?
        };
    }
    loop {
        while let Ok(e) = rx.try_recv() {
            handle!(e);
        }
        if queue.is_empty() {
            if closed {
                return Ok(ExitCode::from(1));
            }
            // After an edit, wait for the client to be quiet, so that a burst of keystrokes is
            // analysed once, at its last version.
            if let Some(since) = editing
                && since.elapsed() < MOST_DELAY
            {
                match rx.recv_timeout(QUIET) {
                    Ok(e) => {
                        handle!(e);
                        continue;
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => closed = true,
                }
            }
            // Nothing queued: have the programs analysed, then wait.
            editing = None;
            kick(&mut server, &jobs, &mut busy);
            send_all(&mut t, &mut server)?;
            if closed {
                return Ok(ExitCode::from(1));
            }
            let e = rx.recv().unwrap_or(Event::Read(Ok(Incoming::Closed)));
            handle!(e);
            continue;
        }
        if queue.front().is_some_and(is_edit) {
            editing.get_or_insert_with(Instant::now);
        }
        let Some(msg) = queue.pop_front() else {
            continue;
        };
        match msg {
            Incoming::Closed => return Ok(ExitCode::from(1)),
            Incoming::Malformed(answer) => t.send_value(&answer).map_err(err)?,
            Incoming::Message(Message::Request(req)) => {
                let resp = if cancelled.remove(&req.id) {
                    Response::new_err(
                        req.id,
                        ErrorCode::RequestCanceled as i32,
                        "cancelled".into(),
                    )
                } else if shutting_down {
                    Response::new_err(
                        req.id,
                        ErrorCode::InvalidRequest as i32,
                        "the server is shutting down".into(),
                    )
                } else if req.method == lsp_types::request::Shutdown::METHOD {
                    shutting_down = true;
                    Response::new_ok(req.id, serde_json::Value::Null)
                } else {
                    // Every edit already queued first: the answer is about the latest text,
                    // and no analysis is spent on a version that is already gone.
                    let (edits, rest): (VecDeque<Incoming>, VecDeque<Incoming>) =
                        queue.drain(..).partition(is_edit);
                    queue = rest;
                    for e in edits {
                        if let Incoming::Message(Message::Notification(n)) = e {
                            server.notification(n);
                        }
                    }
                    // Wait for an analysis of the current text when the answer needs it, never
                    // for one of a version already gone (`Server::ready`); what arrives
                    // meanwhile is queued after the request.
                    let doc = request_document(&req);
                    let latest = needs_latest(&req.method);
                    loop {
                        kick(&mut server, &jobs, &mut busy);
                        send_all(&mut t, &mut server)?;
                        if !busy || server.ready(doc.as_ref(), latest) {
                            break;
                        }
                        let Ok(e) = rx.recv() else {
                            break;
                        };
                        handle!(e);
                    }
                    server.answer(req, dispatch::request)
                };
                t.send(&resp.into()).map_err(err)?;
            }
            Incoming::Message(Message::Notification(n)) => {
                if n.method == lsp_types::notification::Exit::METHOD {
                    return Ok(if shutting_down {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(1)
                    });
                }
                if n.method == lsp_types::notification::Initialized::METHOD {
                    server.register_watchers();
                }
                server.notification(n);
                send_all(&mut t, &mut server)?;
            }
            Incoming::Message(Message::Response(_)) => {}
        }
    }
}

/// Starts the next analysis when the worker has none.
fn kick(server: &mut Server<'_>, jobs: &Sender<worker::Job>, busy: &mut bool) {
    if *busy {
        return;
    }
    match catch_unwind(AssertUnwindSafe(|| server.next_job())) {
        Ok(Some(job)) => *busy = jobs.send(job).is_ok(),
        Ok(None) => {}
        Err(_) => eprintln!("egressc lsp: the analysis failed; please file an issue"),
    }
}

/// Handles an event: a message read is queued, a finished analysis published.
fn event<R: BufRead, W: Write>(
    e: Event,
    t: &mut Transport<R, W>,
    server: &mut Server<'_>,
    busy: &mut bool,
    queue: &mut VecDeque<Incoming>,
    cancelled: &mut BTreeSet<RequestId>,
    closed: &mut bool,
) -> Result<(), ServerError> {
    match e {
        Event::Read(m) => take(m, queue, cancelled, closed),
        Event::Analysed(done) => {
            *busy = false;
            if catch_unwind(AssertUnwindSafe(|| server.finish(*done))).is_err() {
                eprintln!("egressc lsp: publishing an analysis failed; please file an issue");
            }
            send_all(t, server)
        }
    }
}

/// Queues a message read; a `$/cancelRequest` also marks its request cancelled, and the end of
/// the input marks the connection closed.
fn take(
    m: Read,
    queue: &mut VecDeque<Incoming>,
    cancelled: &mut BTreeSet<RequestId>,
    closed: &mut bool,
) -> Result<(), ServerError> {
    let m = m.map_err(ServerError)?;
    match &m {
        Incoming::Closed => *closed = true,
        Incoming::Message(Message::Notification(n))
            if n.method == lsp_types::notification::Cancel::METHOD =>
        {
            if let Some(id) = n
                .params
                .get("id")
                .and_then(|id| serde_json::from_value::<RequestId>(id.clone()).ok())
            {
                cancelled.insert(id);
            }
        }
        _ => {}
    }
    queue.push_back(m);
    Ok(())
}

fn send_all<R: BufRead, W: Write>(
    t: &mut Transport<R, W>,
    server: &mut Server<'_>,
) -> Result<(), ServerError> {
    for m in std::mem::take(&mut server.outbox) {
        t.send(&m).map_err(err)?;
    }
    Ok(())
}
