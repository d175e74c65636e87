//! One program as the server sees it: the files of a project (or of a folder) analysed
//! together, open documents as the editor has them and the other files as they are on disk.
//!
//! Diagnostics come from [`crate::analyse`], exactly as `egressc check` reports them. Editor
//! features use ASTs that survive syntax errors ([`super::recover`]) and the definitions the
//! checker lists for them ([`crate::check::check`]), so hover and completion keep working while
//! a line is half typed.

use std::collections::HashMap;

use lsp_types::Uri;

use crate::check::checked::DefInfo;
use crate::diagnostics::Diagnostics;
use crate::lint::LintConfig;
use crate::source::{FileId, Span};
use crate::syntax::ast;
use crate::{Analysis, Input, analyse_parsing, check, stdlib, syntax};

use super::documents::Document;
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

/// The syntax trees of a program's files as last parsed, by file id, with the text each was
/// parsed from: a file whose text did not change is not parsed again.
#[derive(Debug, Default)]
pub struct Parsed {
    files: HashMap<FileId, (String, Option<ast::File>, Diagnostics)>,
    /// How many files the last analysis parsed (the others were reused).
    pub last_parsed: usize,
}

impl Parsed {
    /// The parse of `text` as file `id`: the one kept when the text is the same.
    fn parse(&mut self, id: FileId, text: &str) -> (Option<ast::File>, Diagnostics) {
        if let Some((kept, ast, diags)) = self.files.get(&id)
            && kept == text
        {
            return (ast.clone(), diags.clone());
        }
        self.last_parsed += 1;
        let (ast, diags) = syntax::parse(id, text);
        self.files
            .insert(id, (text.to_owned(), ast.clone(), diags.clone()));
        (ast, diags)
    }
}

/// One file of a program as it is analysed: an open document's text, or a file as read from
/// the file system (perhaps refused).
#[derive(Debug)]
pub struct Member {
    pub uri: Uri,
    /// The version of an open document; `None` for a file read from the file system.
    pub version: Option<i32>,
    pub input: Input,
}

/// The analysis of one program.
#[derive(Debug)]
pub struct Program {
    /// The files, in file-id order: file `i` is file `stdlib::FILES.len() + i`; each text as
    /// the compiler saw it (a refused file is empty).
    pub docs: Vec<Document>,
    /// The version of each file that was an open document.
    pub versions: Vec<Option<i32>>,
    /// The compiler's analysis: the diagnostics to publish.
    pub analysis: Analysis,
    /// One AST per file, statements that do not parse left out.
    pub files: Vec<ast::File>,
    /// Every definition, standard library first.
    pub defs: Vec<DefInfo>,
    /// Where each name is in `defs` (the first definition of a name).
    by_name: HashMap<String, usize>,
}

impl Program {
    /// Analyses the members, in the given order, reusing the syntax trees of `parsed` where a
    /// file's text did not change.
    pub fn build(members: Vec<Member>, stdlib: &[ast::File], parsed: &mut Parsed) -> Program {
        let mut uris = Vec::with_capacity(members.len());
        let mut versions = Vec::with_capacity(members.len());
        let mut inputs = Vec::with_capacity(members.len());
        for m in members {
            uris.push(m.uri);
            versions.push(m.version);
            inputs.push(m.input);
        }
        parsed.last_parsed = 0;
        // Files past the last member are gone: their trees are dropped.
        let ids: std::collections::HashSet<FileId> = (0..inputs.len()).map(file_id).collect();
        parsed.files.retain(|id, _| ids.contains(id));
        let analysis = analyse_parsing(&inputs, &LintConfig::default(), &mut |id, text| {
            parsed.parse(id, text)
        });
        let docs: Vec<Document> = uris
            .into_iter()
            .zip(&versions)
            .enumerate()
            .map(|(i, (uri, version))| {
                let text = analysis
                    .sources
                    .get(file_id(i))
                    .map(|f| f.text.clone())
                    .unwrap_or_default();
                Document::new(uri, version.unwrap_or(0), text)
            })
            .collect();
        let files: Vec<ast::File> = docs
            .iter()
            .enumerate()
            .map(|(i, doc)| {
                let id = file_id(i);
                match analysis.files.iter().find(|f| f.id == id) {
                    Some(f) => f.clone(),
                    None => recover::parse(id, &doc.text),
                }
            })
            .collect();
        let defs = match &analysis.checked {
            Some(checked) if analysis.files.len() == docs.len() => checked.defs.clone(),
            _ => check::check(stdlib, &files).0.defs,
        };
        let mut by_name = HashMap::new();
        for (i, d) in defs.iter().enumerate() {
            by_name.entry(d.name.clone()).or_insert(i);
        }
        Program {
            by_name,
            docs,
            versions,
            analysis,
            files,
            defs,
        }
    }

    /// The file id of a document of this program.
    pub fn id_of(&self, uri: &Uri) -> Option<FileId> {
        self.docs.iter().position(|d| &d.uri == uri).map(file_id)
    }

    /// The document of a file id, as analysed (`None` for the standard library).
    pub fn doc_of(&self, id: FileId) -> Option<&Document> {
        (id.0 as usize)
            .checked_sub(stdlib::FILES.len())
            .and_then(|i| self.docs.get(i))
    }

    /// The version of an open document, as analysed.
    pub fn version_of(&self, uri: &Uri) -> Option<i32> {
        let i = self.docs.iter().position(|d| &d.uri == uri)?;
        self.versions.get(i).copied().flatten()
    }

    /// The document of a URI, as analysed.
    pub fn doc(&self, uri: &Uri) -> Option<&Document> {
        self.docs.iter().find(|d| &d.uri == uri)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn member(i: usize, text: &str) -> Member {
        Member {
            uri: format!("file:///p/{i}.egress").parse().unwrap(),
            version: None,
            input: Input::new(format!("{i}.egress"), text),
        }
    }

    #[test]
    fn files_that_did_not_change_are_not_parsed_again() {
        let stdlib = stdlib_files();
        let mut parsed = Parsed::default();
        let texts = [
            "namespace a\napp x -> dns, ledger\n",
            "def ledger = 10.1.0.0/16:443/tcp\n",
        ];
        let members = |first: &str| vec![member(0, first), member(1, texts[1])];
        let p = Program::build(members(texts[0]), &stdlib, &mut parsed);
        assert_eq!(parsed.last_parsed, 2);
        assert!(!p.analysis.diagnostics.has_errors());
        // One file edited: only it is parsed, and the analysis sees both.
        let p = Program::build(
            members("namespace a\napp x -> ledgr\n"),
            &stdlib,
            &mut parsed,
        );
        assert_eq!(parsed.last_parsed, 1);
        let codes: Vec<_> = p.analysis.diagnostics.iter().map(|d| d.code).collect();
        assert!(
            codes.contains(&crate::diagnostics::Code::E0201),
            "{codes:?}"
        );
        // Nothing changed: nothing parsed; the same diagnostics.
        let again = Program::build(
            members("namespace a\napp x -> ledgr\n"),
            &stdlib,
            &mut parsed,
        );
        assert_eq!(parsed.last_parsed, 0);
        assert_eq!(
            again.analysis.diagnostics.iter().count(),
            p.analysis.diagnostics.iter().count()
        );
    }
}
