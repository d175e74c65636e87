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
use super::{recover, reparse};

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

/// What the last analysis of a program keeps for the next: the syntax trees of its files by
/// file id, with the text each was parsed from (a file whose text did not change is not parsed
/// again), and each workload's policy and lint findings (see [`crate::reuse`]).
#[derive(Debug, Default)]
pub struct Parsed {
    trees: Trees,
    kept: crate::reuse::Kept,
}

#[cfg(test)]
impl Parsed {
    /// How many files the last analysis parsed (the others were reused).
    fn last_parsed(&self) -> usize {
        self.trees.last_parsed
    }

    /// How many of the files the last analysis parsed were parsed where an edit touched them
    /// only.
    fn last_reparsed(&self) -> usize {
        self.trees.last_reparsed
    }

    /// How many workloads the last analysis lowered and linted (the others were reused).
    fn last_lowered(&self) -> usize {
        self.kept.last_lowered
    }
}

/// The syntax trees of a program's files as last parsed.
#[derive(Debug, Default)]
struct Trees {
    files: HashMap<FileId, Tree>,
    last_parsed: usize,
    /// How many of those parses were of the statements an edit touched only.
    last_reparsed: usize,
}

/// The last parse of a file.
#[derive(Debug)]
struct Tree {
    text: String,
    ast: Option<ast::File>,
    diags: Diagnostics,
    /// When that parse gave a diagnostic: the last text of the file that parsed without any,
    /// and its tree (the next edit is parsed against them).
    clean: Option<(String, ast::File)>,
}

impl Trees {
    /// The parse of `text` as file `id`: the one kept when the text is the same, else the
    /// last parse without diagnostics with the statements an edit touched parsed again (see
    /// [`reparse`]), else a parse of the whole text.
    fn parse(&mut self, id: FileId, text: &str) -> (Option<ast::File>, Diagnostics) {
        if let Some(t) = self.files.get(&id)
            && t.text == text
        {
            return (t.ast.clone(), t.diags.clone());
        }
        self.last_parsed += 1;
        let clean = self.files.remove(&id).and_then(|t| match t.ast {
            Some(ast) if t.diags.is_empty() => Some((t.text, ast)),
            _ => t.clean,
        });
        let tree = match clean {
            Some((old, mut ast)) => {
                if reparse::edited(id, &old, &mut ast, text) {
                    self.last_reparsed += 1;
                    Tree {
                        text: text.to_owned(),
                        ast: Some(ast),
                        diags: Diagnostics::new(),
                        clean: None,
                    }
                } else {
                    Tree::parse(id, text, Some((old, ast)))
                }
            }
            None => Tree::parse(id, text, None),
        };
        let parse = (tree.ast.clone(), tree.diags.clone());
        self.files.insert(id, tree);
        parse
    }
}

impl Tree {
    /// A parse of the whole of `text`, keeping `clean` (the last parse without diagnostics)
    /// when this one gives some.
    fn parse(id: FileId, text: &str, clean: Option<(String, ast::File)>) -> Tree {
        let (ast, diags) = syntax::parse(id, text);
        let clean = if ast.is_some() && diags.is_empty() {
            None
        } else {
            clean
        };
        Tree {
            text: text.to_owned(),
            ast,
            diags,
            clean,
        }
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
    /// The compiler's analysis: the diagnostics to publish (its syntax trees are in `files`,
    /// and it has no IR).
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
    /// file's text did not change, and what the lints found about the workloads that did not
    /// change.
    pub fn build(members: Vec<Member>, stdlib: &[ast::File], parsed: &mut Parsed) -> Program {
        let mut uris = Vec::with_capacity(members.len());
        let mut versions = Vec::with_capacity(members.len());
        let mut inputs = Vec::with_capacity(members.len());
        for m in members {
            uris.push(m.uri);
            versions.push(m.version);
            inputs.push(m.input);
        }
        let Parsed { trees, kept } = parsed;
        trees.last_parsed = 0;
        trees.last_reparsed = 0;
        // Files past the last member are gone: their trees are dropped.
        let ids: std::collections::HashSet<FileId> = (0..inputs.len()).map(file_id).collect();
        trees.files.retain(|id, _| ids.contains(id));
        let mut analysis = analyse_parsing(
            &inputs,
            &LintConfig::default(),
            &mut |id, text| trees.parse(id, text),
            Some(kept),
        );
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
        // The trees of the files that parsed move here (in file-id order, as parsed).
        let all_parsed = analysis.files.len() == docs.len();
        let mut parsed_files = std::mem::take(&mut analysis.files).into_iter().peekable();
        let files: Vec<ast::File> = docs
            .iter()
            .enumerate()
            .map(|(i, doc)| {
                let id = file_id(i);
                match parsed_files.next_if(|f| f.id == id) {
                    Some(f) => f,
                    None => recover::parse(id, &doc.text),
                }
            })
            .collect();
        let defs = match &analysis.checked {
            Some(checked) if all_parsed => checked.defs.clone(),
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
        assert_eq!(parsed.last_parsed(), 2);
        assert!(!p.analysis.diagnostics.has_errors());
        // One file edited: only it is parsed, and the analysis sees both.
        let p = Program::build(
            members("namespace a\napp x -> ledgr\n"),
            &stdlib,
            &mut parsed,
        );
        assert_eq!(parsed.last_parsed(), 1);
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
        assert_eq!(parsed.last_parsed(), 0);
        assert_eq!(
            again.analysis.diagnostics.iter().count(),
            p.analysis.diagnostics.iter().count()
        );
    }

    /// Lines random programs are made of, besides workloads: definitions that other files
    /// use, changed and renamed; settings and cluster statements that the workload lints
    /// read; suppressions, expectations, a line that does not parse and lines that move what
    /// follows them.
    const LINES: &[&str] = &[
        "namespace payments\n",
        "namespace web\n",
        "default deny\n",
        "def ledger = 10.1.0.0/16:8443/tcp\n",
        "def ledger = 10.2.0.0/16:5432/tcp\n",
        "def ledgr = 10.1.0.0/16:8443/tcp\n",
        "def wide(p: port) = 10.0.0.0/8:p/tcp\n",
        "@allow(no-dns, \"batch jobs resolve nothing\")\n",
        "set wide-port-range = 100\n",
        "set pod-cidrs = 10.0.0.0/16\n",
        "cluster guard deny metadata\n",
        "cluster everyone -> dns\n",
        "expect api -> 10.1.0.1:8443/tcp allow\n",
        "app broken -> {\n",
        "\n",
        "# a comment that moves what follows\n",
    ];

    /// The allow lists of random workloads, some through the definitions above.
    const DESTS: &[&str] = &[
        "dns, ledger",
        "10.1.0.0/16:5432/tcp",
        "api.example.com:443/tcp, dns, ledger deny metadata",
        "0.0.0.0/0:1-65535/tcp",
        "strict-dns, wide(80), ::/0:443/tcp",
        "10.0.0.0/8, 169.254.169.254:80/tcp",
        "dns, 10.3.0.0/24:5432/tcp, 0.0.0.0/0:443/tcp deny metadata",
    ];

    /// A random line: mostly a workload (of a few names, so that some are declared twice).
    fn random_line(rng: &mut crate::lsp::rng::Rng) -> String {
        match rng.below(3) {
            0 => LINES[rng.below(LINES.len())].to_owned(),
            _ => format!(
                "app w{} -> {}\n",
                rng.below(12),
                DESTS[rng.below(DESTS.len())]
            ),
        }
    }

    /// The files with the errors random edits make repaired: lines that do not parse and
    /// expectations removed, of the definitions and workloads of one name the first kept, and
    /// the definitions workloads use added when they are missing.
    fn repair(files: &mut [Vec<String>]) {
        let mut names = std::collections::BTreeSet::new();
        for lines in files.iter_mut() {
            lines.retain(|l| {
                let words: Vec<&str> = l.split_whitespace().take(2).collect();
                match words.as_slice() {
                    [_, "broken"] | ["expect", ..] => false,
                    ["def" | "app", name] => {
                        names.insert(name.split('(').next().map(str::to_owned))
                    }
                    _ => true,
                }
            });
        }
        for (name, def) in [
            ("ledger", "def ledger = 10.1.0.0/16:8443/tcp\n"),
            ("wide", "def wide(p: port) = 10.0.0.0/8:p/tcp\n"),
        ] {
            if !names.contains(&Some(name.to_owned()))
                && let Some(first) = files.first_mut()
            {
                first.push(def.to_owned());
            }
        }
    }

    /// Random edits to a program: a line replaced, inserted or removed (moving the statements
    /// after it), a file added or removed; after each, the analysis that reuses what the last
    /// one kept equals a fresh one: the same diagnostics, spans included.
    fn edits_equal_fresh(seed: u64, max_files: usize) {
        let stdlib = stdlib_files();
        let mut parsed = Parsed::default();
        let mut rng = crate::lsp::rng::Rng(0x2545_f491_4f6c_dd1d ^ seed);
        // Each file starts with its namespace, which edits leave alone.
        let mut files: Vec<Vec<String>> = (0..max_files)
            .map(|i| vec![format!("namespace team-{i}\n")])
            .collect();
        let mut reused = 0;
        let mut reparsed = 0;
        for round in 0..80 {
            let f = rng.below(files.len());
            let Some(lines) = files.get_mut(f) else {
                continue;
            };
            let at = 1 + rng.below(lines.len());
            match rng.below(10) {
                0 if lines.len() > 1 => {
                    lines.remove(at.min(lines.len() - 1));
                }
                1 if max_files > 1 => lines.truncate(1),
                2 | 3 if lines.len() > 1 => {
                    let i = at.min(lines.len() - 1);
                    lines[i] = random_line(&mut rng);
                }
                _ => lines.insert(at, random_line(&mut rng)),
            }
            if round % 3 == 2 {
                repair(&mut files);
            }
            let inputs: Vec<Input> = files
                .iter()
                .enumerate()
                .filter(|(_, l)| l.len() > 1 || max_files == 1)
                .map(|(i, l)| Input::new(format!("{i}.egress"), l.concat()))
                .collect();
            let members = inputs
                .iter()
                .enumerate()
                .map(|(i, input)| Member {
                    uri: format!("file:///p/{i}.egress").parse().unwrap(),
                    version: None,
                    input: input.clone(),
                })
                .collect();
            let incremental = Program::build(members, &stdlib, &mut parsed).analysis;
            let fresh = crate::analyse(&inputs);
            let texts: Vec<String> = files.iter().map(|l| l.concat()).collect();
            assert_eq!(
                format!("{:#?}", incremental.diagnostics),
                format!("{:#?}", fresh.diagnostics),
                "seed {seed}, round {round}: {texts:#?}"
            );
            if let Some(ir) = &fresh.ir {
                reused += ir.policies.len().saturating_sub(parsed.last_lowered());
            }
            reparsed += parsed.last_reparsed();
        }
        assert!(reused > 0, "seed {seed}: no workload was ever reused");
        assert!(reparsed > 0, "seed {seed}: no file was parsed in part");
    }

    #[test]
    fn incremental_analyses_of_several_files_equal_fresh_ones() {
        for seed in 1..=12 {
            edits_equal_fresh(seed, 3);
        }
    }

    #[test]
    fn incremental_analyses_of_one_file_equal_fresh_ones() {
        for seed in 1..=12 {
            edits_equal_fresh(seed, 1);
        }
    }
}
