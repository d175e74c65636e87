//! Fixture tests: every `tests/fixtures/<stage>/{ok,err}/*.egress` is compiled and snapshotted
//! with its source, rendered diagnostics, IR dump and the YAML of each target.
//!
//! A fixture may start with header lines:
//!   `# fixture: targets = native, cilium`   (default: every target)
//!   `# fixture: expect = E0303, E0501`      (required in `err/`: exactly these codes)
//! `ok/` fixtures must compile for every listed target without errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use egressc::backend::Target;
use egressc::diagnostics::{Code, render};
use egressc::{Input, compile};

struct Header {
    targets: Vec<Target>,
    expect: BTreeSet<String>,
}

fn header(text: &str) -> Header {
    let mut h = Header {
        targets: Target::ALL.to_vec(),
        expect: BTreeSet::new(),
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
            .filter(|s| !s.is_empty());
        match key.trim() {
            "targets" => {
                h.targets = items
                    .map(|t| Target::parse(&t).unwrap_or_else(|| panic!("unknown target {t}")))
                    .collect()
            }
            "expect" => h.expect = items.collect(),
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

fn run(path: &Path) -> (String, BTreeSet<String>, bool) {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let h = header(&text);
    let name = relative(path);
    let mut snap = String::new();
    writeln!(snap, "----- SOURCE {name}").unwrap();
    if bytes.len() <= 4096 && !bytes.contains(&0) && std::str::from_utf8(&bytes).is_ok() {
        snap.push_str(&text);
    } else {
        writeln!(snap, "({} bytes, not shown)", bytes.len()).unwrap();
    }
    let mut codes = BTreeSet::new();
    let mut ok = true;
    let mut ir_done = false;
    for t in &h.targets {
        let c = compile(&[Input::new(name.clone(), bytes.clone())], &[*t]);
        let diags: Vec<_> = c.analysis.diagnostics.iter().cloned().collect();
        codes.extend(diags.iter().map(|d| d.code.as_str().to_owned()));
        ok &= !c.has_errors();
        if !ir_done {
            if let Some(ir) = &c.analysis.ir {
                writeln!(snap, "----- IR").unwrap();
                snap.push_str(&egressc::ir::dump::dump(ir));
            }
            ir_done = true;
        }
        if !diags.is_empty() {
            writeln!(snap, "----- DIAGNOSTICS {t}").unwrap();
            snap.push_str(&render::human(&c.analysis.sources, &diags));
        }
        for o in &c.outputs {
            writeln!(snap, "----- YAML {t}").unwrap();
            snap.push_str(&o.stream());
        }
    }
    (snap, codes, ok)
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
        let (snap, codes, ok) = run(path);
        let name = relative(path);
        match kind {
            "ok" if !ok => failures.push(format!("{name} must compile:\n{snap}")),
            "ok" => {}
            "err" if h.expect.is_empty() => failures.push(format!(
                "{name}: an err fixture needs `# fixture: expect = ...`"
            )),
            "err" if codes != h.expect => failures.push(format!(
                "{name}: expected codes {:?}, got {codes:?}\n{snap}",
                h.expect
            )),
            "err" => {}
            other => failures.push(format!(
                "{name}: fixtures live in ok/ or err/ folders, not {other}"
            )),
        }
        insta::assert_snapshot!(snap);
    });
    assert!(
        failures.is_empty(),
        "{} fixture(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every error code (but the internal one) has at least one `err` fixture that expects it.
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
    // E0601 concerns the project file, tested in tests/cli.rs; E0001 is an internal error.
    let exempt = ["E0001", "E0601"];
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !exempt.contains(c) && !expected.contains(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without an err fixture: {missing:?}"
    );
}
