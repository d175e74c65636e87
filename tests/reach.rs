//! The language's reach, proved on the corpus of real policies (`../shared/corpus/`): one
//! program per valid egress document, `tests/reach/<path with __>.egress`, whose `expect` lines
//! state the document's meaning. See `tests/reach/README.md` for the table this test holds true.
//!
//! Every program compiles for the document's own target and every expectation passes on the IR
//! and on that target (as `egressc test` decides them). When `../shared/corpus/` exists, the
//! table lists every document of it, and the original YAML, read by the evaluator of its
//! dialect, decides every flow of the program's universe as the program does (EXACT) or allows
//! at least what it allows (NARROWER); a document with ingress rules, which the evaluators
//! refuse, is compared with its ingress left out, at the edges of both readings' rules, as
//! `egressc import` compares; a document that evaluator cannot read is reported, not compared. Without `../shared`, only the programs and the table are checked.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail by panicking"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use egressc::backend::Target;
use egressc::verify::cursor::Mode;
use egressc::verify::reading::Reading;
use egressc::verify::{self, Evaluator, Undecidable, expect, reference::Reference, universe};
use egressc::{Input, compile};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The status of a document, as the table writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Status {
    Exact,
    Narrower(String),
    NotYet(String),
    OutOfScope(String),
}

impl Status {
    fn parse(text: &str) -> Status {
        let why = |prefix: &str| {
            text.strip_prefix(prefix)
                .map(|r| {
                    r.trim()
                        .trim_start_matches('(')
                        .trim_end_matches(')')
                        .to_owned()
                })
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| panic!("`{text}` needs a reason in parentheses"))
        };
        if text == "EXACT" {
            Status::Exact
        } else if text.starts_with("NARROWER") {
            Status::Narrower(why("NARROWER"))
        } else if text.starts_with("NOT YET EXPRESSIBLE") {
            Status::NotYet(why("NOT YET EXPRESSIBLE"))
        } else if text.starts_with("OUT OF SCOPE") {
            Status::OutOfScope(why("OUT OF SCOPE"))
        } else {
            panic!("unknown status `{text}`")
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Status::Exact => "EXACT",
            Status::Narrower(_) => "NARROWER",
            Status::NotYet(_) => "NOT YET EXPRESSIBLE",
            Status::OutOfScope(_) => "OUT OF SCOPE",
        }
    }
}

/// The table of `tests/reach/README.md`: document path → status.
fn table() -> BTreeMap<String, Status> {
    let text = std::fs::read_to_string(root().join("tests/reach/README.md")).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("| `") else {
            continue;
        };
        let (path, rest) = rest.split_once('`').unwrap();
        let status = rest
            .trim()
            .trim_start_matches('|')
            .trim()
            .trim_end_matches('|')
            .trim();
        assert!(
            out.insert(path.to_owned(), Status::parse(status)).is_none(),
            "{path} is listed twice"
        );
    }
    out
}

/// A program of `tests/reach/`: its header and text.
struct Program {
    file: String,
    corpus: String,
    target: Target,
    status: Status,
    source: String,
}

fn header<'a>(source: &'a str, key: &str, file: &str) -> &'a str {
    source
        .lines()
        .find_map(|l| l.strip_prefix(&format!("# {key}: ")))
        .unwrap_or_else(|| panic!("{file}: no `# {key}:` line"))
        .trim()
}

fn programs() -> Vec<Program> {
    let dir = root().join("tests/reach");
    let mut out: Vec<Program> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "egress"))
        .map(|p| {
            let file = p.file_name().unwrap().to_string_lossy().into_owned();
            let source = std::fs::read_to_string(&p).unwrap();
            let corpus = header(&source, "corpus", &file).to_owned();
            let expected = format!(
                "{}.egress",
                corpus.replace('/', "__").trim_end_matches(".yaml")
            );
            assert_eq!(file, expected, "a program is named after its document");
            let target = Target::parse(header(&source, "target", &file))
                .unwrap_or_else(|| panic!("{file}: unknown target"));
            let status = Status::parse(header(&source, "status", &file));
            header(&source, "meaning", &file);
            Program {
                file,
                corpus,
                target,
                status,
                source,
            }
        })
        .collect();
    out.sort_by(|a, b| a.file.cmp(&b.file));
    out
}

/// The original document with `metadata.namespace: default` when it has none (upstream
/// examples rely on `kubectl apply -n`; the corpus README reads them in `default`), for a
/// namespaced kind.
fn with_namespace(yaml: &str) -> String {
    let clusterwide = ["CiliumClusterwideNetworkPolicy", "GlobalNetworkPolicy"]
        .iter()
        .any(|k| yaml.contains(&format!("kind: {k}")) || yaml.contains(&format!("\"{k}\"")));
    let Some(at) = yaml.find("metadata:") else {
        return yaml.to_owned();
    };
    let after = at + "metadata:".len();
    let rest = &yaml[after..];
    // The metadata block: up to its closing brace, or its indented lines.
    let block: String = if rest.trim_start().starts_with('{') {
        rest.split('}').next().unwrap_or_default().to_owned()
    } else {
        rest.lines()
            .skip(1)
            .take_while(|l| l.starts_with(' ') || l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    };
    if clusterwide || block.contains("namespace") {
        return yaml.to_owned();
    }
    if rest.trim_start().starts_with('{') {
        let brace = after + rest.find('{').unwrap() + 1;
        return format!("{} namespace: default,{}", &yaml[..brace], &yaml[brace..]);
    }
    let indent: String = rest
        .lines()
        .nth(1)
        .map(|l| l.chars().take_while(|c| *c == ' ').collect())
        .unwrap_or_else(|| "  ".to_owned());
    format!("{}\n{indent}namespace: default{}", &yaml[..after], rest)
}

/// The evaluators refuse an `ingress` section (it decides flows at the destination, which they
/// do not model); read as the importer reads it, it is left out, without effect on egress.
const INGRESS_REFUSED: &str = "ingress rules decide pod-to-pod flows at the destination";

/// How an original with ingress rules and the program's emitted YAML compare, each read by the
/// evaluator of the dialect (the original's ingress left out): at the edges of either's rules,
/// one source at a time, as `egressc import` compares.
fn compare_egress_only(p: &Program, yaml: &str, emitted: &str) -> Result<usize, String> {
    let original = Reading::read(p.target, &with_namespace(yaml), Mode::Import).map_err(|e| {
        format!(
            "not compared: the {} evaluator cannot read it: {e}",
            p.target
        )
    })?;
    let ours = original.reread(emitted)?;
    let c = original
        .compare(&ours, 10)
        .ok_or("the readings are of different products")?;
    let wrong: Vec<String> = c
        .differences
        .iter()
        .filter(|d| match &p.status {
            Status::Exact => true,
            // Never wider: the program allows nothing the original denies.
            _ => d.got.allowed && !d.want.allowed,
        })
        .map(|d| {
            format!(
                "{}: program {} ({}), original {} ({})",
                d.flow,
                d.got.verdict(),
                d.got.why,
                d.want.verdict(),
                d.want.why
            )
        })
        .chain(c.undecided.iter().cloned())
        .collect();
    if wrong.is_empty() {
        Ok(c.agreed)
    } else {
        Err(format!("DISAGREES:\n  {}", wrong.join("\n  ")))
    }
}

/// How the original and the program compare on the program's universe, or why they were not.
fn compare_with_original(
    p: &Program,
    ir: &egressc::ir::Program,
    emitted: &str,
) -> Result<usize, String> {
    let path = root().join("../shared/corpus").join(&p.corpus);
    let yaml = std::fs::read_to_string(&path).map_err(|e| format!("unreadable: {e}"))?;
    let original = match verify::load(p.target, &with_namespace(&yaml)) {
        Ok(original) => original,
        Err(e) if e.to_string().contains(INGRESS_REFUSED) => {
            return compare_egress_only(p, &yaml, emitted);
        }
        Err(e) => {
            return Err(format!(
                "not compared: the {} evaluator cannot read it: {e}",
                p.target
            ));
        }
    };
    let reference = Reference::new(ir);
    let mut flows = 0;
    let mut wrong = Vec::new();
    for flow in universe::flows(ir) {
        let ours = reference.decide(&flow).map_err(|e| e.to_string())?;
        let theirs = match original.decide(&flow) {
            Ok(d) => d,
            Err(Undecidable::NeedsAddress { .. }) => continue,
            Err(e) => return Err(format!("{flow}: {e}")),
        };
        flows += 1;
        let bad = match &p.status {
            Status::Exact => ours.allowed != theirs.allowed,
            // Never wider: the program allows nothing the original denies.
            _ => ours.allowed && !theirs.allowed,
        };
        if bad {
            wrong.push(format!(
                "{flow}: program {} ({}), original {} ({})",
                ours.verdict(),
                ours.why,
                theirs.verdict(),
                theirs.why
            ));
        }
    }
    if wrong.is_empty() {
        Ok(flows)
    } else {
        wrong.truncate(10);
        Err(format!("DISAGREES:\n  {}", wrong.join("\n  ")))
    }
}

#[test]
fn the_corpus_written_in_egressc() {
    let table = table();
    let programs = programs();
    let corpus = root().join("../shared/corpus");
    let have_corpus = corpus.is_dir();
    if !have_corpus {
        eprintln!("note: ../shared/corpus not found; the originals are not compared");
    }
    let mut failures = Vec::new();
    let mut notes: BTreeMap<String, String> = BTreeMap::new();
    // The table and the programs agree.
    for p in &programs {
        match table.get(&p.corpus) {
            None => failures.push(format!("{}: `{}` is not in the table", p.file, p.corpus)),
            Some(s) if *s != p.status => failures.push(format!(
                "{}: its header says {}, the table {}",
                p.file,
                p.status.label(),
                s.label()
            )),
            Some(_) => {}
        }
        if !matches!(p.status, Status::Exact | Status::Narrower(_)) {
            failures.push(format!("{}: a program is EXACT or NARROWER", p.file));
        }
    }
    for (doc, status) in &table {
        let has_program = programs.iter().any(|p| &p.corpus == doc);
        let expressible = matches!(status, Status::Exact | Status::Narrower(_));
        if expressible != has_program {
            failures.push(format!(
                "{doc}: {} but {}",
                status.label(),
                if has_program {
                    "it has a program"
                } else {
                    "it has no program"
                }
            ));
        }
        if have_corpus && !corpus.join(doc).is_file() {
            failures.push(format!("{doc}: not in ../shared/corpus"));
        }
    }
    if have_corpus {
        let mut stack = vec![corpus.clone()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = e.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|x| x == "yaml") {
                    let rel = path
                        .strip_prefix(&corpus)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    if !table.contains_key(&rel) {
                        failures.push(format!("{rel}: a corpus document missing from the table"));
                    }
                }
            }
        }
    }
    // Each program: compiles for its target, its expectations pass on the IR and the target,
    // and (with the corpus) the original means the same.
    for p in &programs {
        let c = compile(
            &[Input::new(p.file.as_str(), p.source.as_str())],
            &[p.target],
        );
        let errors: Vec<String> = c
            .analysis
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{} {}", d.code, d.message))
            .collect();
        let (Some(ir), Some(output)) = (c.analysis.ir.as_ref(), c.outputs.first()) else {
            failures.push(format!(
                "{}: does not compile for {}: {errors:?}",
                p.file, p.target
            ));
            continue;
        };
        let expectations = c.analysis.expectations();
        if expectations.len() < 2 {
            failures.push(format!("{}: state the meaning in `expect` lines", p.file));
        }
        let target = verify::load(p.target, &output.stream()).unwrap();
        let reference = Reference::new(ir);
        for (i, e) in expectations.iter().enumerate() {
            for (column, ev) in [
                ("ir", &reference as &dyn Evaluator),
                (p.target.name(), target.as_ref()),
            ] {
                if !expect::check(e, ev).passed() {
                    failures.push(format!(
                        "{}: expectation {} fails on {column}",
                        p.file,
                        i + 1
                    ));
                }
            }
        }
        if have_corpus {
            match compare_with_original(p, ir, &output.stream()) {
                Ok(n) => {
                    notes.insert(p.corpus.clone(), format!("{n} flows alike"));
                }
                Err(e) if e.starts_with("not compared") => {
                    notes.insert(p.corpus.clone(), e);
                }
                Err(e) => failures.push(format!("{}: {e}", p.file)),
            }
        }
    }
    // The table, with counts.
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut lines = Vec::new();
    for (doc, status) in &table {
        *counts.entry(status.label()).or_default() += 1;
        let why = match status {
            Status::Exact => notes.get(doc).cloned().unwrap_or_default(),
            Status::Narrower(w) | Status::NotYet(w) | Status::OutOfScope(w) => w.clone(),
        };
        lines.push(format!("{:<20} {doc}  {why}", status.label()));
    }
    let valid = table.len() - counts.get("OUT OF SCOPE").copied().unwrap_or(0);
    eprintln!("{}", lines.join("\n"));
    eprintln!(
        "{} documents, {valid} valid egress policies in a dialect egressc targets: {} EXACT, {} NARROWER, {} NOT YET EXPRESSIBLE; {} OUT OF SCOPE",
        table.len(),
        counts.get("EXACT").copied().unwrap_or(0),
        counts.get("NARROWER").copied().unwrap_or(0),
        counts.get("NOT YET EXPRESSIBLE").copied().unwrap_or(0),
        counts.get("OUT OF SCOPE").copied().unwrap_or(0),
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
