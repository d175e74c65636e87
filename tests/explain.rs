//! Every `egressc explain` page is executable: its `## Wrong` example must produce its code and
//! its `## Right` example must compile (a lint's page, in ruff's outline, has them under
//! `## Example` and `Use instead:`). A fence may name a target: ```` ```egress target=cilium ````
//! (default: native), and ```` ```egress escaped ```` reads `\\xNN` as a raw byte, for examples of
//! binary or non-UTF-8 input. The pages of `egressc import`'s codes give YAML instead
//! (```` ```yaml ````): the wrong example must produce the code on import, the right one must
//! import without it and without errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail by panicking"
)]

use egressc::backend::Target;
use egressc::diagnostics::Code;
use egressc::{Input, compile, import};

struct Example {
    section: String,
    target: Target,
    source: Vec<u8>,
}

/// `\\xNN` → the byte NN; everything else as is.
fn unescape(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && bytes.get(i + 1) == Some(&b'x')
            && let Some(b) = text
                .get(i + 2..i + 4)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 4;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn examples(page: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut section = String::new();
    let mut lines = page.lines();
    while let Some(line) = lines.next() {
        if let Some(h) = line.strip_prefix("## ") {
            section = match h.trim() {
                "Example" => "Wrong".to_owned(),
                other => other.to_owned(),
            };
        } else if line.trim() == "Use instead:" {
            section = "Right".to_owned();
        } else if let Some(info) = line
            .strip_prefix("```egress")
            .or_else(|| line.strip_prefix("```yaml"))
        {
            let target = info
                .split_whitespace()
                .find_map(|w| w.strip_prefix("target="))
                .map(|t| Target::parse(t).unwrap_or_else(|| panic!("unknown target {t}")))
                .unwrap_or(Target::Native);
            let mut source = String::new();
            for l in lines.by_ref() {
                if l.starts_with("```") {
                    break;
                }
                source.push_str(l);
                source.push('\n');
            }
            let source = if info.split_whitespace().any(|w| w == "escaped") {
                unescape(&source)
            } else {
                source.into_bytes()
            };
            out.push(Example {
                section: section.clone(),
                target,
                source,
            });
        }
    }
    out
}

/// The page names a test as `` `NAME` in `tests/FILE.rs` ``, and that test exists and mentions
/// the code.
fn names_its_test(code: &str, page: &str) -> Result<(), String> {
    let ticked: Vec<&str> = page.split('`').skip(1).step_by(2).collect();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut named = false;
    for file in ticked
        .iter()
        .filter(|t| t.starts_with("tests/") && t.ends_with(".rs"))
    {
        let text = std::fs::read_to_string(root.join(file)).map_err(|e| format!("{file}: {e}"))?;
        for name in &ticked {
            let Some(at) = text.find(&format!("fn {name}(")) else {
                continue;
            };
            named = true;
            // the test's body: up to the next test
            let body = text[at..].split("#[test]").next().unwrap_or_default();
            if !body.contains(code) {
                return Err(format!("`{name}` in {file} does not mention {code}"));
            }
        }
    }
    if named {
        Ok(())
    } else {
        Err("needs ```egress examples, or names the test of the binary that produces it (`NAME` in `tests/FILE.rs`)".into())
    }
}

/// An import code's examples: the wrong YAML produces the code, the right YAML imports without
/// it and without errors.
fn import_examples(code: Code, wrong: &[&Example], right: &[&Example]) -> Vec<String> {
    let mut failures = Vec::new();
    for e in wrong {
        let i = import::import(&[Input::new("wrong.yaml", e.source.clone())]);
        if !i.diagnostics.iter().any(|d| d.code == code) {
            let got: Vec<&str> = i.diagnostics.iter().map(|d| d.code.as_str()).collect();
            failures.push(format!(
                "{code}: the wrong example does not produce it on import (got {got:?}):\n{}",
                String::from_utf8_lossy(&e.source)
            ));
        }
    }
    for e in right {
        let i = import::import(&[Input::new("right.yaml", e.source.clone())]);
        if i.diagnostics.has_errors() || i.diagnostics.iter().any(|d| d.code == code) {
            let got: Vec<&str> = i.diagnostics.iter().map(|d| d.code.as_str()).collect();
            failures.push(format!(
                "{code}: the right example does not import cleanly (got {got:?}):\n{}",
                String::from_utf8_lossy(&e.source)
            ));
        }
    }
    failures
}

#[test]
fn every_page_has_a_title_and_examples_that_hold() {
    let mut failures = Vec::new();
    for code in Code::ALL {
        let page = egressc::lint::explanation(*code).unwrap_or_default();
        let title = format!("# {}: ", code.as_str());
        if !page.starts_with(&title) {
            failures.push(format!("{code}: page must start with `{title}`"));
            continue;
        }
        if *code == Code::E0001 {
            // No source example can produce an internal error.
            continue;
        }
        let has_examples =
            page.contains("```egress") || (code.is_import() && page.contains("```yaml"));
        if !has_examples {
            // A situation that is not a program (a file system, the project file, a test run):
            // the page names the test of the binary that produces the code.
            if let Err(e) = names_its_test(code.as_str(), page) {
                failures.push(format!("{code}: {e}"));
            }
            continue;
        }
        let ex = examples(page);
        let wrong: Vec<&Example> = ex.iter().filter(|e| e.section == "Wrong").collect();
        let right: Vec<&Example> = ex.iter().filter(|e| e.section == "Right").collect();
        if wrong.is_empty() || right.is_empty() {
            failures.push(format!(
                "{code}: needs an ```egress (or, for import codes, ```yaml) example under `## Wrong` and under `## Right`"
            ));
            continue;
        }
        if code.is_import() {
            failures.extend(import_examples(*code, &wrong, &right));
            continue;
        }
        for e in wrong {
            let c = compile(&[Input::new("wrong.egress", e.source.clone())], &[e.target]);
            if !c.analysis.diagnostics.iter().any(|d| d.code == *code) {
                let got: Vec<&str> = c
                    .analysis
                    .diagnostics
                    .iter()
                    .map(|d| d.code.as_str())
                    .collect();
                failures.push(format!(
                    "{code}: the wrong example does not produce it (got {got:?}):\n{}",
                    String::from_utf8_lossy(&e.source)
                ));
            }
        }
        for e in right {
            let c = compile(&[Input::new("right.egress", e.source.clone())], &[e.target]);
            if c.has_errors() {
                let got: Vec<&str> = c
                    .analysis
                    .diagnostics
                    .iter()
                    .map(|d| d.code.as_str())
                    .collect();
                failures.push(format!(
                    "{code}: the right example does not compile (got {got:?}):\n{}",
                    String::from_utf8_lossy(&e.source)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
