//! Fixture tests: every `tests/fixtures/<stage>/{ok,warn,err}/*.egress` is compiled and
//! snapshotted with its source, the front end's diagnostics, the IR, and per target its
//! diagnostics and YAML.
//!
//! A fixture may start with header lines:
//!   `# fixture: targets = native, cilium`   (default: every target)
//!   `# fixture: expect = E0303, E0501`      (`err/`: exactly these error codes;
//!                                            `warn/`: exactly these warning codes, no error)
//!   `# fixture: warnings = none`            (exactly these warnings, or none; any folder)
//! `ok/` fixtures must compile for every listed target without errors.

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
use egressc::{Input, analyse, compile};

struct Header {
    targets: Vec<Target>,
    expect: BTreeSet<String>,
    warnings: Option<BTreeSet<String>>,
}

fn header(text: &str) -> Header {
    let mut h = Header {
        targets: Target::ALL.to_vec(),
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
}

fn codes(diags: &[Diagnostic], errors: bool) -> BTreeSet<String> {
    diags
        .iter()
        .filter(|d| d.is_error() == errors)
        .map(|d| d.code.as_str().to_owned())
        .collect()
}

fn run(path: &Path, h: &Header) -> Run {
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
    if !front_diags.is_empty() {
        writeln!(snap, "----- DIAGNOSTICS").unwrap();
        snap.push_str(&render::human(&front.sources, &front_diags));
    }
    if let Some(ir) = &front.ir {
        writeln!(snap, "----- IR").unwrap();
        snap.push_str(&egressc::ir::dump::dump(ir));
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
            if !own.is_empty() {
                writeln!(snap, "----- DIAGNOSTICS {t}").unwrap();
                snap.push_str(&render::human(&c.analysis.sources, &own));
            }
            for o in &c.outputs {
                writeln!(snap, "----- YAML {t}").unwrap();
                snap.push_str(&o.stream());
            }
        }
    }
    Run {
        snap,
        errors,
        warnings,
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
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        let h = header(&text);
        let r = run(path, &h);
        let name = relative(path);
        let snap = &r.snap;
        match kind {
            "ok" if !r.errors.is_empty() => failures.push(format!("{name} must compile:\n{snap}")),
            "err" | "warn" if h.expect.is_empty() => {
                failures.push(format!("{name}: needs `# fixture: expect = ...`"))
            }
            "err" if r.errors != h.expect => failures.push(format!(
                "{name}: expected errors {:?}, got {:?}\n{snap}",
                h.expect, r.errors
            )),
            "warn" if !r.errors.is_empty() || r.warnings != h.expect => failures.push(format!(
                "{name}: expected warnings {:?} and no error, got {:?} and {:?}\n{snap}",
                h.expect, r.warnings, r.errors
            )),
            "ok" | "err" | "warn" => {}
            other => failures.push(format!(
                "{name}: fixtures live in ok/, warn/ or err/ folders, not {other}"
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
        insta::assert_snapshot!(r.snap);
    });
    assert!(
        failures.is_empty(),
        "{} fixture(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every code (but the internal one) has at least one `err` or `warn` fixture that expects it;
/// a lint has its own fixture in `tests/lints/` instead (checked by `tests/lints.rs`).
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
                expected.extend(header(&text).expect);
            }
        }
    }
    // E0601 concerns the project file and E0403 `egressc test`, both tested in tests/cli.rs;
    // E0001 is an internal error.
    let exempt = ["E0001", "E0403", "E0601"];
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| egressc::lint::registry::by_code(**c).is_none())
        .map(|c| c.as_str())
        .filter(|c| !exempt.contains(c) && !expected.contains(*c))
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
