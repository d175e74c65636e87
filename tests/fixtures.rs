//! Fixture tests: every `tests/fixtures/<stage>/.../{ok,err}/*.egress` is compiled, checked and
//! snapshotted with what its stage produces, nothing downstream (gleam's snapshots):
//!
//! | stage | snapshot |
//! |---|---|
//! | `syntax/`, `check/`, `lint/` | the source and the diagnostics |
//! | `lower/` | and the IR |
//! | `backend/` | and the YAML of its targets (by default the folder's: `backend/cilium/`) |
//! | `expect/` | and each expectation's verdict by the reference evaluator |
//!
//! A target's own diagnostics are shown whenever there are any. A fixture may start with
//! header lines:
//!   `# fixture: targets = native, cilium`   (default: the backend folder's target, else every
//!                                            target)
//!   `# fixture: expect = E0303, E0501`      (`err/`: exactly these error codes)
//!   `# fixture: warnings = none`            (exactly these warnings, or none)
//! `ok/` fixtures must compile for every listed target without errors (and an `expect/ok`
//! fixture's expectations must hold). Every diagnostic label lies inside its file, and every
//! node of the syntax tree inside its parent. Lints have their own fixtures (`tests/lints.rs`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail by panicking"
)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use egressc::backend::Target;
use egressc::diagnostics::{Code, Diagnostic, render};
use egressc::source::{SourceMap, Span};
use egressc::syntax::ast;
use egressc::verify::expect::{self, Outcome};
use egressc::verify::reference::Reference;
use egressc::{Analysis, Input, analyse, compile};

/// What a fixture's snapshot holds beyond its source and diagnostics.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// `syntax/`, `check/`, `lint/`: nothing more.
    Front,
    /// `lower/`: the IR.
    Lower,
    /// `backend/`: the YAML of its targets.
    Backend,
    /// `expect/`: the verdict of each expectation.
    Expect,
}

impl Stage {
    fn of(relative: &str) -> Stage {
        match relative.split('/').next().unwrap_or_default() {
            "syntax" | "check" | "lint" => Stage::Front,
            "lower" => Stage::Lower,
            "backend" => Stage::Backend,
            "expect" => Stage::Expect,
            other => panic!("{relative}: no fixture stage `{other}`"),
        }
    }
}

struct Header {
    targets: Vec<Target>,
    expect: BTreeSet<String>,
    warnings: Option<BTreeSet<String>>,
}

/// The header of a fixture at `relative` (`backend/cilium/ok/x.egress`).
fn header(relative: &str, text: &str) -> Header {
    let folder_target = relative
        .strip_prefix("backend/")
        .and_then(|rest| rest.split('/').next())
        .and_then(Target::parse);
    let mut h = Header {
        targets: folder_target.map_or_else(|| Target::ALL.to_vec(), |t| vec![t]),
        expect: BTreeSet::new(),
        warnings: None,
    };
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("# fixture:") else {
            continue;
        };
        let (key, value) = rest
            .split_once('=')
            .expect("fixture header is `key = value`");
        let items = value
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty() && s != "none");
        match key.trim() {
            "targets" => {
                h.targets = items
                    .map(|t| Target::parse(&t).unwrap_or_else(|| panic!("unknown target {t}")))
                    .collect()
            }
            "expect" => h.expect = items.collect(),
            "warnings" => h.warnings = Some(items.collect()),
            other => panic!("unknown fixture header key {other}"),
        }
    }
    h
}

fn relative(path: &Path) -> String {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    path.strip_prefix(&base)
        .unwrap_or(path)
        .display()
        .to_string()
}

struct Run {
    snap: String,
    errors: BTreeSet<String>,
    warnings: BTreeSet<String>,
    /// Expectations that do not hold on the reference.
    failed_expectations: Vec<String>,
    /// Labels outside their file, syntax nodes outside their parent.
    bad_spans: Vec<String>,
}

fn codes(diags: &[Diagnostic], errors: bool) -> BTreeSet<String> {
    diags
        .iter()
        .filter(|d| d.is_error() == errors)
        .map(|d| d.code.as_str().to_owned())
        .collect()
}

fn run(path: &Path, stage: Stage, h: &Header) -> Run {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let name = relative(path);
    let input = [Input::new(name.clone(), bytes.clone())];
    let mut snap = String::new();
    writeln!(snap, "----- SOURCE {name}").unwrap();
    if bytes.len() <= 4096 && !bytes.contains(&0) && std::str::from_utf8(&bytes).is_ok() {
        snap.push_str(&text);
    } else {
        writeln!(snap, "({} bytes, not shown)", bytes.len()).unwrap();
    }
    let front = analyse(&input);
    let front_diags: Vec<Diagnostic> = front.diagnostics.iter().cloned().collect();
    let mut errors = codes(&front_diags, true);
    let mut warnings = codes(&front_diags, false);
    let mut bad_spans = spans_outside(&front.sources, &front_diags);
    bad_spans.extend(nodes_outside(&front));
    if !front_diags.is_empty() {
        writeln!(snap, "----- DIAGNOSTICS").unwrap();
        snap.push_str(&render::human(&front.sources, &front_diags));
    }
    let mut failed_expectations = Vec::new();
    if let Some(ir) = &front.ir {
        if stage == Stage::Lower {
            writeln!(snap, "----- IR").unwrap();
            snap.push_str(&egressc::ir::dump::dump(ir));
        }
        if stage == Stage::Expect {
            writeln!(snap, "----- EXPECTATIONS (reference)").unwrap();
            failed_expectations = expectations(&front, ir, &mut snap);
        }
        for t in &h.targets {
            let c = compile(&input, &[*t]);
            let own: Vec<Diagnostic> = c
                .analysis
                .diagnostics
                .iter()
                .filter(|d| !front_diags.contains(d))
                .cloned()
                .collect();
            errors.extend(codes(&own, true));
            warnings.extend(codes(&own, false));
            bad_spans.extend(spans_outside(&c.analysis.sources, &own));
            if !own.is_empty() {
                writeln!(snap, "----- DIAGNOSTICS {t}").unwrap();
                snap.push_str(&render::human(&c.analysis.sources, &own));
            }
            if stage == Stage::Backend {
                for o in &c.outputs {
                    writeln!(snap, "----- YAML {t}").unwrap();
                    snap.push_str(&o.stream());
                }
            }
        }
    }
    Run {
        snap,
        errors,
        warnings,
        failed_expectations,
        bad_spans,
    }
}

/// Writes each expectation's verdict by the reference evaluator; returns those that fail.
fn expectations(front: &Analysis, ir: &egressc::ir::Program, snap: &mut String) -> Vec<String> {
    let reference = Reference::new(ir);
    let mut failed = Vec::new();
    for e in front.expectations() {
        let written = front
            .sources
            .get(e.span.file)
            .and_then(|f| f.text.get(e.span.range()))
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let verdict = match expect::check(e, &reference) {
            Outcome::Pass(d) => format!("pass ({})", d.why),
            Outcome::Fail { flow, decision } => {
                failed.push(written.clone());
                format!("FAIL on {flow:?}: {}", decision.why)
            }
            Outcome::Undecidable { flow, why } => {
                failed.push(written.clone());
                format!("UNDECIDABLE on {flow:?}: {why}")
            }
        };
        writeln!(snap, "{written}: {verdict}").unwrap();
    }
    failed
}

/// Labels that do not lie inside their file, on character boundaries.
fn spans_outside(sources: &SourceMap, diags: &[Diagnostic]) -> Vec<String> {
    let mut bad = Vec::new();
    for d in diags {
        for l in &d.labels {
            let fits = sources.get(l.span.file).is_some_and(|f| {
                l.span.start <= l.span.end
                    && f.text.is_char_boundary(l.span.start as usize)
                    && f.text.is_char_boundary(l.span.end as usize)
            });
            if !fits {
                bad.push(format!("{}: label {:?} outside its file", d.code, l.span));
            }
        }
    }
    bad
}

/// Syntax nodes whose span does not lie inside their parent's (statements: inside their file).
fn nodes_outside(front: &Analysis) -> Vec<String> {
    let mut bad = Vec::new();
    for file in &front.files {
        let Some(source) = front.sources.get(file.id) else {
            bad.push(format!("file {:?} is not in the source map", file.id));
            continue;
        };
        let whole = Span::new(file.id, 0, source.text.len());
        for item in &file.items {
            let mut nodes = Nodes {
                bad: &mut bad,
                parent: whole,
            };
            nodes.item(item);
        }
    }
    bad
}

/// A walk over the syntax tree that checks each node's span against its parent's.
struct Nodes<'a> {
    bad: &'a mut Vec<String>,
    parent: Span,
}

impl Nodes<'_> {
    fn leaf(&mut self, span: Span, what: &str) {
        let p = self.parent;
        if span.file != p.file || span.start < p.start || span.end > p.end || span.start > span.end
        {
            self.bad
                .push(format!("{what} at {span:?} is outside its parent {p:?}"));
        }
    }

    /// Checks `span`, then walks the children inside it.
    fn node(&mut self, span: Span, what: &str, children: impl FnOnce(&mut Nodes<'_>)) {
        self.leaf(span, what);
        let mut inner = Nodes {
            bad: self.bad,
            parent: span,
        };
        children(&mut inner);
    }

    fn item(&mut self, item: &ast::Item) {
        match item {
            ast::Item::Namespace(n) => self.leaf(n.span, "namespace"),
            ast::Item::DefaultDeny(s) => self.leaf(*s, "default deny"),
            ast::Item::Def(d) => self.node(d.span, "def", |n| {
                n.leaf(d.name.span, "def name");
                for p in &d.params {
                    n.node(p.span, "parameter", |n| {
                        n.leaf(p.name.span, "parameter name");
                        for t in &p.types {
                            n.leaf(t.span, "parameter type");
                        }
                        if let Some(default) = &p.default {
                            n.dest(default);
                        }
                    });
                }
                d.body.iter().for_each(|x| n.dest(x));
            }),
            ast::Item::Workload(w) => self.node(w.span, "workload", |n| {
                n.leaf(w.name.span, "workload name");
                if let ast::WorkloadSelector::Labels(sel) = &w.selector {
                    n.selector(sel);
                }
                w.allow.iter().chain(&w.deny).for_each(|x| n.dest(x));
            }),
            ast::Item::Cluster(c) => self.node(c.span, "cluster", |n| {
                n.leaf(c.name.span, "cluster name");
                c.deny.iter().for_each(|x| n.dest(x));
            }),
            ast::Item::Host(h) => self.node(h.span, "host", |n| {
                n.leaf(h.name.span, "host name");
                if let Some(sel) = &h.selector {
                    n.selector(sel);
                }
                if let Some(at) = h.pods {
                    n.leaf(at, "pods subject");
                }
                if let Some((sel, at)) = &h.namespaces {
                    n.leaf(*at, "namespaces");
                    n.selector(sel);
                }
                if let Some(e) = &h.except {
                    n.leaf(e.span, "except");
                }
                h.allow.iter().chain(&h.deny).for_each(|x| n.dest(x));
            }),
            ast::Item::Reserved(r) => self.node(r.span, "reserved", |n| {
                n.leaf(r.identity.span, "reserved identity");
                r.allow.iter().chain(&r.deny).for_each(|x| n.dest(x));
            }),
            ast::Item::Set(s) => self.node(s.span, "set", |n| {
                n.leaf(s.key.span, "setting key");
                s.values.iter().for_each(|x| n.dest(x));
            }),
            ast::Item::Allow(a) => self.node(a.span, "@allow", |n| {
                n.leaf(a.code.span, "lint");
                if let Some(r) = &a.reason {
                    n.leaf(r.span, "reason");
                }
            }),
            ast::Item::Expect(e) => self.node(e.span, "expect", |n| {
                n.leaf(e.workload.span, "expected workload");
                n.dest(&e.dest);
                if let Some(r) = &e.resolving {
                    n.leaf(r.span, "resolving address");
                }
            }),
        }
    }

    fn dest(&mut self, d: &ast::Dest) {
        self.node(d.span, "destination", |n| {
            match &d.kind {
                ast::DestKind::Atom(a) => n.atom(a),
                ast::DestKind::Call { name, args } => {
                    n.leaf(name.span, "callee");
                    for a in args {
                        if let Some(name) = &a.name {
                            n.leaf(name.span, "argument name");
                        }
                        n.dest(&a.value);
                    }
                }
                ast::DestKind::ServiceAccount { namespace, name } => {
                    if let Some(ns) = namespace {
                        n.leaf(ns.span, "namespace");
                    }
                    n.leaf(name.span, "service account");
                }
                ast::DestKind::Service { namespace, name } => {
                    if let Some(ns) = namespace {
                        n.leaf(ns.span, "namespace");
                    }
                    n.leaf(name.span, "Service");
                }
                ast::DestKind::Text(t) => n.leaf(t.span, "quoted text"),
                ast::DestKind::Pods {
                    namespace,
                    selector,
                    cluster,
                } => {
                    match namespace {
                        Some(ast::NamespaceRef::Any(s)) => n.leaf(*s, "any namespace"),
                        Some(ast::NamespaceRef::Named(name)) => n.leaf(name.span, "namespace"),
                        Some(ast::NamespaceRef::Labels(sel, s)) => {
                            n.node(*s, "namespace labels", |m| m.selector(sel))
                        }
                        None => {}
                    }
                    if let Some((key, name)) = cluster {
                        n.leaf(key.span, "parameter");
                        n.leaf(name.span, "cluster");
                    }
                    n.selector(selector);
                }
            }
            if let Some(p) = &d.ports {
                n.ports(p);
            }
        });
    }

    fn atom(&mut self, a: &ast::Atom) {
        let ports = match a {
            ast::Atom::Ip {
                addr,
                prefix,
                ports,
            } => {
                self.leaf(addr.span, "address");
                if let Some(p) = prefix {
                    self.leaf(p.span, "prefix length");
                }
                ports
            }
            ast::Atom::Host { name, ports } => {
                self.leaf(name.span, "host name");
                ports
            }
            ast::Atom::Name { name, ports } => {
                self.leaf(name.span, "name");
                ports
            }
            ast::Atom::Port(p) => {
                self.leaf(p.span, "port");
                &None
            }
        };
        if let Some(p) = ports {
            self.ports(p);
        }
    }

    fn ports(&mut self, p: &ast::PortSuffix) {
        self.node(p.span, "port suffix", |n| {
            n.leaf(p.port.span, "port");
            if let Some(proto) = &p.proto {
                n.leaf(proto.span, "protocol");
            }
        });
    }

    fn selector(&mut self, s: &ast::Selector) {
        self.node(s.span, "selector", |n| {
            for term in &s.terms {
                let (key, values): (_, &[_]) = match term {
                    ast::LabelTerm::Eq(k, v) | ast::LabelTerm::Ne(k, v) => {
                        (k, std::slice::from_ref(v))
                    }
                    ast::LabelTerm::In(k, vs) | ast::LabelTerm::NotIn(k, vs) => (k, vs),
                    ast::LabelTerm::Exists(k) | ast::LabelTerm::Absent(k) => (k, &[]),
                };
                n.leaf(key.span, "label key");
                for v in values {
                    n.leaf(v.span, "label value");
                }
            }
        });
    }
}

#[test]
fn fixtures() {
    let mut failures = Vec::new();
    insta::glob!("fixtures/**/*.egress", |path| {
        let kind = path
            .parent()
            .and_then(Path::file_name)
            .and_then(|s| s.to_str())
            .unwrap_or("");
        let name = relative(path);
        let stage = Stage::of(&name);
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        let h = header(&name, &text);
        let r = run(path, stage, &h);
        let snap = &r.snap;
        match kind {
            "ok" if !r.errors.is_empty() => failures.push(format!("{name} must compile:\n{snap}")),
            "err" if h.expect.is_empty() => {
                failures.push(format!("{name}: needs `# fixture: expect = ...`"))
            }
            "err" if r.errors != h.expect => failures.push(format!(
                "{name}: expected errors {:?}, got {:?}\n{snap}",
                h.expect, r.errors
            )),
            "ok" | "err" => {}
            other => failures.push(format!(
                "{name}: fixtures live in ok/ or err/ folders, not {other}"
            )),
        }
        if let Some(w) = &h.warnings
            && *w != r.warnings
        {
            failures.push(format!(
                "{name}: expected warnings {w:?}, got {:?}\n{snap}",
                r.warnings
            ));
        }
        if kind == "ok" && !r.failed_expectations.is_empty() {
            failures.push(format!(
                "{name}: expectations do not hold: {:?}\n{snap}",
                r.failed_expectations
            ));
        }
        for bad in &r.bad_spans {
            failures.push(format!("{name}: {bad}"));
        }
        insta::assert_snapshot!(r.snap);
    });
    assert!(
        failures.is_empty(),
        "{} fixture(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every code but the internal one has at least one `err` fixture that expects it; a lint has
/// its own fixture in `tests/lints/` instead (checked by `tests/lints.rs`).
#[test]
fn every_code_has_an_err_fixture() {
    let mut expected = BTreeSet::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "egress") {
                let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
                expected.extend(header(&relative(&p), &text).expect);
            }
        }
    }
    // E0001 is an internal error; a code whose explain page has no program as its example (the
    // project file, the file system, `egressc test`) is produced by a test of the binary that
    // the page names (checked by tests/explain.rs). Import codes are about YAML: their fixtures
    // are `tests/import/` (`tests/import.rs`).
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| egressc::lint::registry::by_code(**c).is_none() && !c.is_import())
        .filter(|c| **c != Code::E0001 && c.explanation().is_some_and(|p| p.contains("```egress")))
        .map(|c| c.as_str())
        .filter(|c| !expected.contains(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without an err fixture: {missing:?}"
    );
}

/// Every committed snapshot belongs to a fixture or example that still exists, and no
/// unreviewed `.snap.new` file is lying around.
#[test]
fn snapshots_have_their_sources() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut orphans = Vec::new();
    for e in std::fs::read_dir(root.join("tests/snapshots"))
        .unwrap()
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".snap.new") || name.ends_with(".pending-snap") {
            orphans.push(format!("{name}: unreviewed snapshot"));
            continue;
        }
        let Some(stem) = name.strip_suffix(".snap") else {
            continue;
        };
        let source = if let Some(rel) = stem.strip_prefix("fixtures__fixtures@") {
            root.join("tests/fixtures").join(rel.replace("__", "/"))
        } else if let Some(rel) = stem.strip_prefix("examples__examples@") {
            root.join("examples").join(rel.replace("__", "/"))
        } else if let Some(rel) = stem.strip_prefix("import__fixtures@") {
            root.join("tests/import").join(rel.replace("__", "/"))
        } else if let Some((file, test)) = stem.split_once("__") {
            // A named snapshot of a plain test function, e.g. `formats__json`.
            let source = root.join("tests").join(format!("{file}.rs"));
            let text = std::fs::read_to_string(&source).unwrap_or_default();
            if !text.contains(&format!("fn {test}(")) {
                orphans.push(format!("{name}: no test `{test}` in tests/{file}.rs"));
            }
            continue;
        } else {
            orphans.push(format!("{name}: no known test writes this snapshot"));
            continue;
        };
        if !source.exists() {
            orphans.push(format!("{name}: {} does not exist", source.display()));
        }
    }
    assert!(
        orphans.is_empty(),
        "orphan snapshots:\n{}",
        orphans.join("\n")
    );
}
