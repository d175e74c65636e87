//! The server's state: the open documents, the programs they belong to (read from the file
//! system through the [`Workspace`] the server was given), and the analysis of each.
//!
//! Changes only mark programs stale; [`Server::next_job`] hands a stale program, with the
//! latest text of every file, to the analysis worker when the serving loop has nothing queued
//! or a request needs an answer, and [`Server::finish`] takes the result. So a burst of edits
//! costs one analysis, of the last version.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    DidSaveTextDocument, Notification as NotificationTrait, PublishDiagnostics, ShowMessage,
};
use lsp_types::request::Request as RequestTrait;
use lsp_types::{MessageType, PublishDiagnosticsParams, ShowMessageParams, Uri};

use crate::Input;
use crate::project;
use crate::source::FileId;
use crate::syntax::ast;

use super::diagnostics;
use super::documents::{Document, Documents};
use super::program::{self, Member, Model, Parsed, Program};
use super::uri;
use super::worker::{Done, Job};
use super::workspace::{Loaded, Workspace};

/// A file of a program as read from the file system.
#[derive(Debug)]
struct OnDisk {
    path: PathBuf,
    uri: Uri,
    input: Input,
}

/// One program: the files read for it, and its last analysis.
#[derive(Debug, Default)]
struct Prog {
    /// The folder it was loaded for (`None`: made of open documents only).
    folder: Option<PathBuf>,
    /// Its root folder and whether a project file names its sources.
    root: Option<(PathBuf, bool)>,
    disk: Vec<OnDisk>,
    analysis: Option<Program>,
    /// The syntax trees of its files, reused where a file did not change.
    parsed: Parsed,
    /// Whether a file changed since the last analysis started.
    stale: bool,
    /// Whether an analysis of it is running.
    in_flight: bool,
    /// What was last published for each document: the version and the diagnostics.
    published: BTreeMap<String, Published>,
}

/// A publication, as the client holds it until the next one for the same document.
type Published = (Option<i32>, Vec<lsp_types::Diagnostic>);

/// The standard library, parsed, and its files as documents editors may open read-only.
pub struct Stdlib {
    /// Shared with the analysis worker.
    pub files: Arc<Vec<ast::File>>,
    /// One per standard library file, when the workspace could write it.
    pub docs: Vec<Option<Document>>,
}

impl Stdlib {
    fn new(workspace: &dyn Workspace) -> Stdlib {
        let docs = crate::stdlib::FILES
            .iter()
            .map(|(name, text)| {
                let path = workspace.stdlib_file(name, text)?;
                let uri = uri::from_path(&path)?;
                Some(Document::new(uri, 0, (*text).to_owned()))
            })
            .collect();
        Stdlib {
            files: Arc::new(program::stdlib_files()),
            docs,
        }
    }

    /// The document of a standard library file.
    pub fn doc_of(&self, id: FileId) -> Option<&Document> {
        self.docs.get(id.0 as usize)?.as_ref()
    }

    fn is(&self, u: &Uri) -> bool {
        let path = uri::to_path(u);
        self.docs
            .iter()
            .flatten()
            .any(|d| d.uri == *u || (path.is_some() && uri::to_path(&d.uri) == path))
    }
}

pub struct Server<'w> {
    model: Model,
    workspace: &'w dyn Workspace,
    pub docs: Documents,
    programs: BTreeMap<String, Prog>,
    /// Which program each file read from the file system belongs to.
    owner: HashMap<PathBuf, String>,
    /// The folders whose program was read since the last change on disk.
    loaded: BTreeSet<PathBuf>,
    pub stdlib: Stdlib,
    /// Messages to send: diagnostics, messages to the user, requests to the client.
    pub outbox: Vec<Message>,
    /// Whether the client watches files for the server when asked to.
    watch: bool,
    next_request: u32,
    /// How many analyses ran (for the log and tests of coalescing).
    pub analyses: u64,
}

/// The key of the program loaded for a root folder.
fn root_key(root: &Path) -> String {
    format!("root:{}", root.display())
}

impl<'w> Server<'w> {
    pub fn new(model: Model, workspace: &'w dyn Workspace, watch: bool) -> Server<'w> {
        Server {
            model,
            workspace,
            docs: Documents::default(),
            programs: BTreeMap::new(),
            owner: HashMap::new(),
            loaded: BTreeSet::new(),
            stdlib: Stdlib::new(workspace),
            outbox: Vec::new(),
            watch,
            next_request: 0,
            analyses: 0,
        }
    }

    /// Asks the client to report changes of sources and project files, when it can.
    pub fn register_watchers(&mut self) {
        if !self.watch || self.model == Model::Document {
            return;
        }
        let options = serde_json::json!({
            "watchers": [
                {"globPattern": "**/*.egress"},
                {"globPattern": format!("**/{}", project::FILE_NAME)},
            ]
        });
        let params = serde_json::json!({"registrations": [{
            "id": "egressc-watched-files",
            "method": DidChangeWatchedFiles::METHOD,
            "registerOptions": options,
        }]});
        self.next_request += 1;
        self.outbox.push(Message::Request(Request::new(
            RequestId::from(format!("egressc-{}", self.next_request)),
            lsp_types::request::RegisterCapability::METHOD.to_owned(),
            params,
        )));
    }

    /// The program a document belongs to: the one that read it from the file system, else the
    /// one its folder's program, else the open documents of its folder (or itself alone).
    fn key_of(&self, u: &Uri) -> String {
        if self.model == Model::Document {
            return u.as_str().to_owned();
        }
        if let Some(path) = uri::to_path(u) {
            if let Some(k) = self.owner.get(&path) {
                return k.clone();
            }
            if let Some(folder) = path.parent() {
                let key = root_key(folder);
                if self
                    .programs
                    .get(&key)
                    .is_some_and(|p| p.root.as_ref().is_some_and(|(_, project)| !project))
                {
                    return key;
                }
            }
        }
        self.model.group(u)
    }

    /// Reads the program of `folder` from the file system (again).
    fn load(&mut self, folder: &Path) {
        self.loaded.insert(folder.to_path_buf());
        let Loaded {
            root,
            project,
            files,
        } = match self.workspace.program(folder) {
            Ok(l) => l,
            Err(message) => {
                self.show(MessageType::ERROR, message);
                return;
            }
        };
        let key = root_key(&root);
        let disk: Vec<OnDisk> = files
            .into_iter()
            .filter_map(|(path, input)| {
                // `sources = ["."]` gives `root/./a.egress`: the path an editor opens is
                // `root/a.egress`.
                let path: PathBuf = path.components().collect();
                Some(OnDisk {
                    uri: uri::from_path(&path)?,
                    path,
                    input,
                })
            })
            .collect();
        self.owner.retain(|_, k| *k != key);
        for d in &disk {
            // A file read for an earlier program now belongs to this one.
            if let Some(old) = self.owner.insert(d.path.clone(), key.clone())
                && let Some(p) = self.programs.get_mut(&old)
            {
                p.stale = true;
            }
        }
        // Open documents that were on their own or with their folder may belong here now.
        let moved: Vec<String> = self
            .docs
            .iter()
            .map(|d| self.key_of(&d.uri))
            .filter(|k| *k != key)
            .collect();
        for k in moved {
            if let Some(p) = self.programs.get_mut(&k) {
                p.stale = true;
            }
        }
        let prog = self.programs.entry(key).or_default();
        prog.folder = Some(folder.to_path_buf());
        prog.root = Some((root, project));
        prog.disk = disk;
        prog.stale = true;
    }

    fn show(&mut self, typ: MessageType, message: String) {
        let params = ShowMessageParams { typ, message };
        self.outbox.push(Message::Notification(Notification {
            method: ShowMessage::METHOD.to_owned(),
            params: serde_json::to_value(params).unwrap_or_default(),
        }));
    }

    fn mark(&mut self, u: &Uri) {
        let key = self.key_of(u);
        self.programs.entry(key).or_default().stale = true;
    }

    /// Loads the program of a document's folder, unless it was read since the last change.
    fn ensure_loaded(&mut self, u: &Uri) {
        if self.model == Model::Document {
            return;
        }
        let Some(path) = uri::to_path(u) else {
            return;
        };
        if self.owner.contains_key(&path) {
            return;
        }
        if let Some(folder) = path.parent()
            && !self.loaded.contains(folder)
        {
            self.load(folder);
        }
    }

    /// Reads again every program a changed file may belong to.
    fn disk_changed(&mut self, path: &Path) {
        let project_file = path.file_name().is_some_and(|n| n == project::FILE_NAME);
        let folders: Vec<PathBuf> = self
            .programs
            .iter()
            .filter(|(key, p)| {
                let Some((root, _)) = &p.root else {
                    return false;
                };
                project_file || self.owner.get(path) == Some(*key) || path.starts_with(root)
            })
            .filter_map(|(_, p)| p.folder.clone())
            .collect();
        if project_file {
            self.loaded.clear();
        }
        for f in folders {
            self.load(&f);
        }
        // A new file next to an open document: its folder's program is read again.
        if let Some(folder) = path.parent()
            && self
                .docs
                .iter()
                .any(|d| uri::to_path(&d.uri).is_some_and(|p| p.parent() == Some(folder)))
        {
            self.loaded.remove(folder);
            let open: Vec<Uri> = self.docs.iter().map(|d| d.uri.clone()).collect();
            for u in open {
                self.ensure_loaded(&u);
            }
        }
    }

    /// Handles a notification.
    pub fn notification(&mut self, n: Notification) {
        let method = n.method.clone();
        if catch_unwind(AssertUnwindSafe(|| self.on_notification(n))).is_err() {
            eprintln!("egressc lsp: failed on `{method}`; please file an issue");
        }
    }

    fn on_notification(&mut self, n: Notification) {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) =
                    n.extract::<lsp_types::DidOpenTextDocumentParams>(DidOpenTextDocument::METHOD)
                else {
                    return;
                };
                let d = p.text_document;
                if self.stdlib.is(&d.uri) {
                    // Read-only, and no part of any program of the user's.
                    return;
                }
                let u = d.uri.clone();
                self.docs.open(Document::new(d.uri, d.version, d.text));
                self.ensure_loaded(&u);
                self.mark(&u);
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) = n.extract::<lsp_types::DidChangeTextDocumentParams>(
                    DidChangeTextDocument::METHOD,
                ) else {
                    return;
                };
                let u = p.text_document.uri;
                if self
                    .docs
                    .change(&u, p.text_document.version, p.content_changes)
                {
                    self.mark(&u);
                }
            }
            DidCloseTextDocument::METHOD => {
                let Ok(p) = n
                    .extract::<lsp_types::DidCloseTextDocumentParams>(DidCloseTextDocument::METHOD)
                else {
                    return;
                };
                let u = p.text_document.uri;
                if self.docs.close(&u).is_none() {
                    return;
                }
                // A file of the program on disk reads as it is saved again.
                match uri::to_path(&u) {
                    Some(path) if self.owner.contains_key(&path) => self.disk_changed(&path),
                    _ => {}
                }
                self.mark(&u);
            }
            DidSaveTextDocument::METHOD => {
                let Ok(p) =
                    n.extract::<lsp_types::DidSaveTextDocumentParams>(DidSaveTextDocument::METHOD)
                else {
                    return;
                };
                if let Some(path) = uri::to_path(&p.text_document.uri) {
                    self.disk_changed(&path);
                }
            }
            DidChangeWatchedFiles::METHOD => {
                let Ok(p) = n.extract::<lsp_types::DidChangeWatchedFilesParams>(
                    DidChangeWatchedFiles::METHOD,
                ) else {
                    return;
                };
                let paths: BTreeSet<PathBuf> = p
                    .changes
                    .iter()
                    .filter_map(|c| uri::to_path(&c.uri))
                    .collect();
                for path in paths {
                    self.disk_changed(&path);
                }
            }
            // `initialized`, `$/cancelRequest` (handled by the serving loop), ...
            _ => {}
        }
    }

    /// The files of a program: its files on disk (as the editor has them when open), then the
    /// open documents that belong to it and are not on disk.
    fn members(&self, key: &str) -> Vec<Member> {
        let open: HashMap<PathBuf, &Document> = self
            .docs
            .iter()
            .filter_map(|d| Some((uri::to_path(&d.uri)?, d)))
            .collect();
        let mut members = Vec::new();
        let mut taken = BTreeSet::new();
        if let Some(p) = self.programs.get(key) {
            for d in &p.disk {
                match open.get(&d.path) {
                    Some(doc) => {
                        taken.insert(doc.uri.as_str().to_owned());
                        members.push(Member {
                            uri: doc.uri.clone(),
                            version: Some(doc.version),
                            input: Input::new(d.input.name.clone(), doc.text.as_bytes()),
                        });
                    }
                    None => members.push(Member {
                        uri: d.uri.clone(),
                        version: None,
                        input: d.input.clone(),
                    }),
                }
            }
        }
        for doc in self.docs.iter() {
            if taken.contains(doc.uri.as_str()) || self.key_of(&doc.uri) != key {
                continue;
            }
            let name = uri::to_path(&doc.uri)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| doc.uri.as_str().to_owned());
            members.push(Member {
                uri: doc.uri.clone(),
                version: Some(doc.version),
                input: Input::new(name, doc.text.as_bytes()),
            });
        }
        members
    }

    /// The next analysis to run: the first stale program that is not being analysed, with its
    /// files as they are now (`None`: nothing to analyse). A program left without files is
    /// dropped here and its documents' diagnostics cleared.
    pub fn next_job(&mut self) -> Option<Job> {
        loop {
            let key = self
                .programs
                .iter()
                .find(|(_, p)| p.stale && !p.in_flight)
                .map(|(k, _)| k.clone())?;
            let members = self.members(&key);
            let prog = self.programs.get_mut(&key)?;
            prog.stale = false;
            if members.is_empty() {
                let before = std::mem::take(&mut prog.published);
                self.programs.remove(&key);
                for u in before.into_keys() {
                    if let Ok(u) = u.parse() {
                        self.outbox.push(publish(u, Vec::new(), None));
                    }
                }
                continue;
            }
            prog.in_flight = true;
            self.analyses += 1;
            return Some(Job {
                parsed: std::mem::take(&mut prog.parsed),
                key,
                members,
            });
        }
    }

    /// Takes a finished analysis: publishes the diagnostics that changed, and keeps it for
    /// requests until the next one.
    pub fn finish(&mut self, done: Done) {
        let Some(prog) = self.programs.get_mut(&done.key) else {
            // Its files are all gone: their diagnostics were cleared.
            return;
        };
        prog.in_flight = false;
        prog.parsed = done.parsed;
        let Some(program) = done.program else {
            return;
        };
        let before = std::mem::take(&mut prog.published);
        let mut published = BTreeMap::new();
        for (doc, list) in diagnostics::by_document(&program, &self.stdlib) {
            let key = doc.uri.as_str().to_owned();
            let now = (program.version_of(&doc.uri), list);
            // The client holds the last publication of each document: one that would say the
            // same again (a file the edit did not touch) is not sent.
            if before.get(&key) != Some(&now) {
                self.outbox
                    .push(publish(doc.uri.clone(), now.1.clone(), now.0));
            }
            published.insert(key, now);
        }
        for u in before.keys().filter(|u| !published.contains_key(*u)) {
            if let Ok(u) = u.parse() {
                self.outbox.push(publish(u, Vec::new(), None));
            }
        }
        if let Some(prog) = self.programs.get_mut(&done.key) {
            prog.published = published;
            let old = prog.analysis.replace(program);
            // Freeing a large program's analysis takes a while: not on the way to the next
            // answer.
            if let Some(old) = old {
                std::thread::spawn(move || drop(old));
            }
        }
    }

    /// Whether a request about document `u` (`None`: about no document) can be answered now.
    /// It waits for an analysis of the document's current text when one runs or none was
    /// completed, and, when it needs the `latest` text (edits computed on the text), for the
    /// analysis of its current text; otherwise it is answered from the last completed
    /// analysis, never waiting behind one of a version already gone.
    pub fn ready(&self, u: Option<&Uri>, latest: bool) -> bool {
        let Some(p) = u.and_then(|u| self.programs.get(&self.key_of(u))) else {
            return true;
        };
        match (p.stale, p.in_flight) {
            (false, false) => true,
            // The analysis running is of the current text.
            (false, true) => false,
            (true, _) => !latest && p.analysis.is_some(),
        }
    }

    /// The analysis of the program of an open document, and the document as analysed.
    pub fn lookup(&self, u: &Uri) -> Option<(&Program, &Document)> {
        let program = self.programs.get(&self.key_of(u))?.analysis.as_ref()?;
        Some((program, program.doc(u)?))
    }

    /// Every analysed program.
    pub fn programs(&self) -> impl Iterator<Item = &Program> {
        self.programs.values().filter_map(|p| p.analysis.as_ref())
    }

    /// Answers a request with `f`, catching a defect in it.
    pub fn answer(&mut self, req: Request, f: impl FnOnce(&Self, Request) -> Response) -> Response {
        let id = req.id.clone();
        let method = req.method.clone();
        match catch_unwind(AssertUnwindSafe(|| f(self, req))) {
            Ok(resp) => resp,
            Err(_) => Response::new_err(
                id,
                ErrorCode::InternalError as i32,
                format!("egressc failed on `{method}`; please file an issue"),
            ),
        }
    }
}

pub fn publish(uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) -> Message {
    let params = PublishDiagnosticsParams {
        uri,
        diagnostics,
        version,
    };
    Message::Notification(Notification {
        method: PublishDiagnostics::METHOD.to_owned(),
        params: serde_json::to_value(params).unwrap_or_default(),
    })
}
