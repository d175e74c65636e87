//! Every file in `examples/` is compiled for every target (a file at the top of the folder with
//! `examples/cluster.egress`, the cluster they run in). An example names the targets it
//! supports in a header line `# targets: native, cilium`; for those it must compile, its YAML is
//! snapshotted exactly, and (when `../shared/conformance/validate` exists, as in CI) validated
//! against the upstream schemas. Every other target must refuse it with capability errors only
//! (E05xx), never with anything else. Examples are good practice: no warnings, except in
//! `examples/pitfalls/`, which shows every lint.
//!
//! The upstream Calico schema is Calico Open Source's, which has no `destination.domains` (a
//! Calico Enterprise field): for `calico-enterprise` the output is validated with those lists
//! removed; their shape is checked by the calico backend's own tests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail by panicking"
)]

use std::path::Path;
use std::process::Command;

use egressc::backend::Target;
use egressc::compile;

#[path = "common/examples.rs"]
mod examples_program;

fn supported(text: &str) -> Vec<Target> {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("# targets:"))
        .expect("every example has a `# targets: ...` line");
    line.split(',')
        .map(|t| Target::parse(t.trim()).unwrap_or_else(|| panic!("unknown target `{}`", t.trim())))
        .collect()
}

fn validator() -> Option<std::path::PathBuf> {
    let v = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/validate");
    v.exists().then_some(v)
}

/// The YAML without `domains:` blocks (Calico Enterprise only; the open-source schema lacks it).
fn without_domains(yaml: &str) -> String {
    let mut out = String::new();
    let mut skip_deeper_than: Option<usize> = None;
    for line in yaml.lines() {
        let indent = line.len() - line.trim_start().len();
        if let Some(level) = skip_deeper_than {
            let item_at_level = indent == level && line.trim_start().starts_with("- ");
            if indent > level || item_at_level {
                continue;
            }
            skip_deeper_than = None;
        }
        if line.trim() == "domains:" {
            skip_deeper_than = Some(indent);
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn validate(validator: &Path, yaml: &str, what: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = dir.path().join("out.yaml");
    std::fs::write(&file, yaml).map_err(|e| e.to_string())?;
    let out = Command::new(validator)
        .arg("-q")
        .arg(&file)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} fails conformance validation:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

#[test]
fn examples() {
    let validator = validator();
    if validator.is_none() {
        eprintln!(
            "note: ../shared/conformance/validate not found; schema validation skipped (CI runs it)"
        );
    }
    let mut failures = Vec::new();
    insta::glob!("../examples", "**/*.egress", |path| {
        let bytes = std::fs::read(path).unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let name = path
            .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")))
            .unwrap_or(path)
            .display()
            .to_string();
        let targets = supported(&text);
        let mut snap = String::new();
        for t in Target::ALL {
            let c = compile(&examples_program::inputs(path), &[*t]);
            if targets.contains(t) {
                if c.has_errors() {
                    let all: Vec<_> = c.analysis.diagnostics.iter().cloned().collect();
                    failures.push(format!(
                        "{name} must compile for {t}:\n{}",
                        egressc::diagnostics::render::human(&c.analysis.sources, &all)
                    ));
                    continue;
                }
                let yaml = c.outputs.iter().map(|o| o.stream()).collect::<String>();
                snap.push_str(&format!("----- {t}\n{yaml}"));
                let warnings: Vec<&str> = c
                    .analysis
                    .diagnostics
                    .iter()
                    .map(|d| d.code.as_str())
                    .collect();
                if !warnings.is_empty() && !name.contains("pitfalls") {
                    failures.push(format!("{name} must be free of warnings, got {warnings:?}"));
                }
                let checked = if *t == Target::CalicoEnterprise {
                    without_domains(&yaml)
                } else {
                    yaml
                };
                // A file of cluster facts only emits no object, and there is nothing to check.
                if let Some(v) = &validator
                    && !checked.is_empty()
                    && let Err(e) = validate(v, &checked, &format!("{name} for {t}"))
                {
                    failures.push(e);
                }
            } else {
                let codes: Vec<&str> = c
                    .analysis
                    .diagnostics
                    .iter()
                    .filter(|d| d.is_error())
                    .map(|d| d.code.as_str())
                    .collect();
                if !c.has_errors() {
                    failures.push(format!(
                        "{name} compiles for {t}: add {t} to its `# targets:` line"
                    ));
                } else if codes.iter().any(|c| !c.starts_with("E05")) {
                    failures.push(format!(
                        "{name} is not listed for {t}, so {t} must refuse it with capability errors (E05xx) only; got {codes:?}"
                    ));
                }
                snap.push_str(&format!("----- {t}: refused with {}\n", codes.join(", ")));
            }
        }
        insta::assert_snapshot!(snap);
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
