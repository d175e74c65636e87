//! One program as the server sees it: a group of open documents analysed together.
//!
//! Diagnostics come from [`crate::analyse`], exactly as `egressc check` reports them. Editor
//! features use ASTs that survive syntax errors ([`super::recover`]) and the definitions the
//! checker lists for them ([`crate::check::check`]), so hover and completion keep working while
//! a line is half typed.

use std::collections::HashMap;

use lsp_types::Uri;

use crate::check::checked::DefInfo;
use crate::source::{FileId, Span};
use crate::syntax::ast;
use crate::{Analysis, Input, analyse, check, stdlib, syntax};

use super::recover;

/// How documents are grouped into programs (`initializationOptions.program`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Model {
    /// The open documents of one folder form one program, as `egressc build FOLDER` would
    /// compile them (limited to the open ones): definitions are shared, and duplicates across
    /// files are reported.
    #[default]
    Folder,
    /// Every document is a program of its own.
    Document,
}

impl Model {
    pub fn parse(s: &str) -> Option<Model> {
        match s {
            "folder" => Some(Model::Folder),
            "document" => Some(Model::Document),
            _ => None,
        }
    }

    /// The key of the program a document belongs to.
    pub fn group(self, uri: &Uri) -> String {
        let s = uri.as_str();
        match self {
            Model::Folder if s.starts_with("file:") => match s.rfind('/') {
                Some(i) => s.get(..i).unwrap_or(s).to_owned(),
                None => s.to_owned(),
            },
            _ => s.to_owned(),
        }
    }
}

/// The standard library's ASTs, parsed once (file ids `0..stdlib::FILES.len()`, as in
/// [`crate::analyse`]).
pub fn stdlib_files() -> Vec<ast::File> {
    let mut files = Vec::new();
    for (i, (_, text)) in stdlib::FILES.iter().enumerate() {
        let id = FileId(u32::try_from(i).unwrap_or(u32::MAX));
        let (ast, _) = syntax::parse(id, text);
        files.extend(ast);
    }
    files
}

/// The analysis of one group of documents.
#[derive(Debug)]
pub struct Program {
    /// The documents, in file-id order: document `i` is file `stdlib::FILES.len() + i`.
    pub uris: Vec<Uri>,
    /// The compiler's analysis: the diagnostics to publish.
    pub analysis: Analysis,
    /// One AST per document, statements that do not parse left out.
    pub files: Vec<ast::File>,
    /// Every definition, standard library first.
    pub defs: Vec<DefInfo>,
    /// Where each name is in `defs` (the first definition of a name).
    by_name: HashMap<String, usize>,
}

impl Program {
    /// Analyses documents (uri, text), in the given order.
    pub fn build(docs: &[(Uri, &str)], stdlib: &[ast::File]) -> Program {
        let inputs: Vec<Input> = docs
            .iter()
            .map(|(uri, text)| Input::new(uri.as_str(), text.as_bytes()))
            .collect();
        let analysis = analyse(&inputs);
        let files: Vec<ast::File> = docs
            .iter()
            .enumerate()
            .map(|(i, (_, text))| {
                let id = file_id(i);
                match analysis.files.iter().find(|f| f.id == id) {
                    Some(f) => f.clone(),
                    None => recover::parse(id, text),
                }
            })
            .collect();
        let (checked, _) = check::check(stdlib, &files);
        let mut by_name = HashMap::new();
        for (i, d) in checked.defs.iter().enumerate() {
            by_name.entry(d.name.clone()).or_insert(i);
        }
        Program {
            by_name,
            uris: docs.iter().map(|(u, _)| u.clone()).collect(),
            analysis,
            files,
            defs: checked.defs,
        }
    }

    /// The file id of a document of this program.
    pub fn id_of(&self, uri: &Uri) -> Option<FileId> {
        self.uris.iter().position(|u| u == uri).map(file_id)
    }

    /// The document a file id belongs to (`None` for the standard library).
    pub fn uri_of(&self, id: FileId) -> Option<&Uri> {
        (id.0 as usize)
            .checked_sub(stdlib::FILES.len())
            .and_then(|i| self.uris.get(i))
    }

    pub fn file(&self, id: FileId) -> Option<&ast::File> {
        self.files.iter().find(|f| f.id == id)
    }

    pub fn def(&self, name: &str) -> Option<&DefInfo> {
        self.by_name.get(name).and_then(|i| self.defs.get(*i))
    }

    /// The AST of a user definition, by name.
    pub fn def_ast(&self, name: &str) -> Option<&ast::Def> {
        self.files
            .iter()
            .flat_map(|f| &f.items)
            .find_map(|i| match i {
                ast::Item::Def(d) if d.name.node == name => Some(d),
                _ => None,
            })
    }

    /// "stdlib/prelude.egress:23" for a span in the standard library.
    pub fn describe(&self, span: Span) -> String {
        let sources = &self.analysis.sources;
        match sources.get(span.file) {
            Some(f) => {
                let (line, _) = f.line_col(span.start as usize);
                format!("{}:{line}", f.name)
            }
            None => "an unknown file".to_owned(),
        }
    }
}

fn file_id(doc: usize) -> FileId {
    FileId(u32::try_from(stdlib::FILES.len() + doc).unwrap_or(u32::MAX))
}
