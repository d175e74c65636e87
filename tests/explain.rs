//! Every `egressc explain` page is executable: its `## Wrong` example must produce its code and
//! its `## Right` example must compile. A fence may name a target: ```` ```egress target=cilium ````
//! (default: native).

use egressc::backend::Target;
use egressc::diagnostics::Code;
use egressc::{Input, compile};

struct Example {
    section: String,
    target: Target,
    source: String,
}

fn examples(page: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut section = String::new();
    let mut lines = page.lines();
    while let Some(line) = lines.next() {
        if let Some(h) = line.strip_prefix("## ") {
            section = h.trim().to_owned();
        } else if let Some(info) = line.strip_prefix("```egress") {
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
            out.push(Example {
                section: section.clone(),
                target,
                source,
            });
        }
    }
    out
}

#[test]
fn every_page_has_a_title_and_examples_that_hold() {
    let mut failures = Vec::new();
    for code in Code::ALL {
        let page = code.explanation();
        let title = format!("# {}: ", code.as_str());
        if !page.starts_with(&title) {
            failures.push(format!("{code}: page must start with `{title}`"));
            continue;
        }
        if *code == Code::E0001 || *code == Code::E0601 {
            // No source example can produce an internal error; E0601 is about egressc.toml
            // (tested in tests/cli.rs).
            continue;
        }
        let ex = examples(page);
        let wrong: Vec<&Example> = ex.iter().filter(|e| e.section == "Wrong").collect();
        let right: Vec<&Example> = ex.iter().filter(|e| e.section == "Right").collect();
        if wrong.is_empty() || right.is_empty() {
            failures.push(format!(
                "{code}: needs an ```egress example under `## Wrong` and under `## Right`"
            ));
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
                    e.source
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
                    e.source
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
