//! `egressc import`: fixtures for every field of every dialect, the upstream corpus, the round
//! trip of random programs, and the command line.
//!
//! Fixtures are `tests/import/<dialect>/*.yaml`, each starting with
//!   `# import: exact | narrower | refused`   (the verdict of every document that is not skipped)
//!   `# codes: W0802, E0803`                  (exactly these import codes, or `none`)
//! and snapshotted with their diagnostics (spans in the YAML) and the printed program. Every
//! printed program checks and builds (the importer's own self-check), and none is ever wider
//! than its input (E0806 would say so).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail by panicking"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use egressc::backend::Target;
use egressc::diagnostics::{Code, render};
use egressc::import::{Imported, Verdict, import};
use egressc::verify::{self, universe};
use egressc::{Input, compile};
use proptest::prelude::*;

#[path = "common/bin.rs"]
mod bin;
#[path = "common/files.rs"]
mod files;
#[path = "common/programs.rs"]
mod programs;

use bin::{egressc, stderr, stdout, write};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn codes(imported: &Imported) -> BTreeSet<String> {
    imported
        .diagnostics
        .iter()
        .map(|d| d.code.as_str().to_owned())
        .collect()
}

fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Exact => "exact",
        Verdict::Narrower => "narrower",
        Verdict::Refused => "refused",
    }
}

/// The fixture's header: its verdict and its codes.
fn header(text: &str) -> (String, BTreeSet<String>) {
    let mut verdict = None;
    let mut codes = None;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("# import:") {
            verdict = Some(v.trim().to_owned());
        } else if let Some(c) = line.strip_prefix("# codes:") {
            codes = Some(
                c.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty() && s != "none")
                    .collect(),
            );
        }
    }
    (
        verdict.expect("a fixture starts with `# import: VERDICT`"),
        codes.expect("a fixture has a `# codes:` line"),
    )
}

#[test]
fn fixtures() {
    insta::glob!("import/**/*.yaml", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.strip_prefix(root()).unwrap().display().to_string();
        let (want_verdict, want_codes) = header(&text);
        let imported = import(&[Input::new(name.clone(), text.clone())]);
        assert!(
            !imported.diagnostics.iter().any(|d| d.code == Code::E0806),
            "{name}: the self-check failed:\n{}",
            render::human(&imported.sources, &imported.diagnostics.clone().into_vec())
        );
        assert_eq!(codes(&imported), want_codes, "{name}: codes");
        let worst = imported
            .outcomes
            .iter()
            .map(|o| o.verdict)
            .max()
            .map_or("exact", verdict_name);
        assert_eq!(worst, want_verdict, "{name}: verdict");
        match want_verdict.as_str() {
            "refused" => assert!(imported.program.is_none(), "{name}: printed when refused"),
            _ => assert!(imported.program.is_some(), "{name}: nothing printed"),
        }
        let mut snap = render::human(&imported.sources, &imported.diagnostics.clone().into_vec());
        snap.push_str("---\n");
        snap.push_str(imported.program.as_deref().unwrap_or("(nothing printed)\n"));
        insta::assert_snapshot!(snap);
    });
}

/// Every YAML document of `../shared/corpus` (when it is there), each imported on its own:
/// exact, narrower and reported, or refused; never wider.
#[test]
fn the_corpus_is_imported_exactly_or_its_losses_reported() {
    let corpus = root().join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("skipped: {} is not there", corpus.display());
        return;
    }
    let files = files::below(&corpus, "yaml");
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut table = String::new();
    for f in &files {
        let name = f.strip_prefix(&corpus).unwrap().display().to_string();
        let imported = import(&[Input::new(name.clone(), std::fs::read(f).unwrap())]);
        assert!(
            !imported.diagnostics.iter().any(|d| d.code == Code::E0806),
            "{name}: the program differs from its input:\n{}",
            render::human(&imported.sources, &imported.diagnostics.clone().into_vec())
        );
        let verdict = if imported.diagnostics.has_errors() {
            "REFUSED"
        } else if imported
            .outcomes
            .iter()
            .any(|o| o.verdict == Verdict::Narrower)
        {
            // Narrower only where a W0802 says what was left out.
            assert!(
                imported.diagnostics.iter().any(|d| d.code == Code::W0802),
                "{name}"
            );
            "NARROWER"
        } else {
            "EXACT"
        };
        *counts.entry(verdict).or_default() += 1;
        let why: Vec<String> = imported
            .diagnostics
            .iter()
            .filter(|d| d.is_error() || d.code == Code::W0802)
            .map(|d| format!("{} {}", d.code, d.message))
            .collect();
        table.push_str(&format!("{verdict:9} {name}\n"));
        for w in why {
            table.push_str(&format!("          {w}\n"));
        }
    }
    eprintln!("{table}");
    eprintln!(
        "corpus: {} documents: EXACT {}, NARROWER (reported) {}, REFUSED {}, WIDER 0",
        files.len(),
        counts.get("EXACT").unwrap_or(&0),
        counts.get("NARROWER").unwrap_or(&0),
        counts.get("REFUSED").unwrap_or(&0),
    );
    // The one invalid document upstream is refused as invalid.
    let invalid = corpus.join("calico-docs/network-policy__policy-rules__log-rules__L119.yaml");
    let imported = import(&[Input::new("L119.yaml", std::fs::read(invalid).unwrap())]);
    assert!(codes(&imported).contains("E0802"), "{:?}", codes(&imported));
    assert!(imported.program.is_none());
}

/// The program `p`, built for `target`, imported, and built again, decides every flow of `p`'s
/// universe as `p` does (the reference evaluator on `p`'s IR against the target's evaluator on
/// the rebuilt YAML), and the import is exact.
fn round_trip(source: &str, target: Target) -> Result<(), String> {
    let built = compile(&[Input::new("p.egress", source)], &[target]);
    let Some(ir) = built.analysis.ir.as_ref() else {
        return Err(format!("does not check:\n{source}"));
    };
    let Some(output) = built.outputs.first().filter(|_| !built.has_errors()) else {
        return Ok(());
    };
    let yaml = output.stream();
    if yaml.is_empty() {
        // Cluster facts only (examples/cluster.egress): nothing to import.
        return Ok(());
    }
    let imported = import(&[Input::new("p.yaml", yaml.clone())]);
    let diags = render::human(&imported.sources, &imported.diagnostics.clone().into_vec());
    let Some(program) = imported.program.as_deref() else {
        return Err(format!("{target}: refused\n{diags}\n{source}\n{yaml}"));
    };
    if !imported.exact() || imported.diagnostics.iter().any(|d| d.code == Code::W0802) {
        return Err(format!("{target}: not exact\n{diags}\n{source}\n{program}"));
    }
    let again = compile(&[Input::new("imported.egress", program)], &[target]);
    let Some(out) = again.outputs.first().filter(|_| !again.has_errors()) else {
        return Err(format!("{target}: the import does not build\n{program}"));
    };
    let evaluator = verify::load(target, &out.stream()).map_err(|e| e.to_string())?;
    let agreement = universe::compare(ir, evaluator.as_ref(), target, 5);
    if agreement.disagreements.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{target}:\n{}\n{source}\n{program}",
            agreement.disagreements.join("\n")
        ))
    }
}

#[test]
fn every_example_survives_the_round_trip() {
    for p in files::below(&root().join("examples"), "egress") {
        let source = std::fs::read_to_string(&p).unwrap();
        for t in Target::ALL {
            if let Err(e) = round_trip(&source, *t) {
                panic!("{}: {e}", p.display());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, .. ProptestConfig::default() })]

    #[test]
    fn importing_what_a_program_builds_to_gives_its_flows(
        apps in proptest::collection::vec(
            (
                proptest::collection::vec(0..programs::ALLOWS.len(), 1..5),
                proptest::collection::vec(0..programs::DENIES.len(), 0..3),
                proptest::bool::weighted(0.15),
            ),
            1..4,
        ),
        default_deny in any::<bool>(),
        guardrail in any::<bool>(),
        keyword_namespace in any::<bool>(),
    ) {
        let source = programs::program_with_dns(None, apps, default_deny, guardrail, keyword_namespace);
        for t in Target::ALL {
            if let Err(e) = round_trip(&source, *t) {
                prop_assert!(false, "{}", e);
            }
        }
    }
}

// ---- the command line ----

const EXACT: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.20.30.0/24}}]
    ports: [{port: 5432}]
";

/// [`EXACT`] with a named port beside the number: left out (W0802).
fn lossy() -> String {
    EXACT.replace("[{port: 5432}]", "[{port: postgresql}, {port: 5432}]")
}

#[test]
fn exit_codes_say_exact_lossy_invalid_or_usage() {
    let dir = tempfile::tempdir().unwrap();
    let exact = write(dir.path(), "exact.yaml", EXACT);
    let lossy = write(dir.path(), "lossy.yaml", &lossy());
    let invalid = write(dir.path(), "invalid.yaml", "apiVersion: [\n");
    let o = egressc().arg("import").arg(&exact).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("app api -> postgres(10.20.30.0/24)"),
        "{}",
        stdout(&o)
    );
    assert!(stderr(&o).contains("1 exact"), "{}", stderr(&o));
    let o = egressc().arg("import").arg(&lossy).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("app api -> postgres(10.20.30.0/24)"));
    assert!(
        stderr(&o).contains("W0802") && stderr(&o).contains("lossy.yaml:9:"),
        "{}",
        stderr(&o)
    );
    let o = egressc()
        .args(["import", "--allow-loss"])
        .arg(&lossy)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let o = egressc().arg("import").arg(&invalid).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty());
    assert!(stderr(&o).contains("E0801") && stderr(&o).contains("nothing was printed"));
    let o = egressc().args(["import", "missing.yaml"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = egressc().arg("import").output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn folders_stdin_and_an_output_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "in/a.yaml", EXACT);
    write(dir.path(), "in/notes.txt", "not read");
    let out = dir.path().join("policies.egress");
    let o = egressc()
        .arg("import")
        .arg(dir.path().join("in"))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.contains("namespace shop"), "{written}");
    // Nothing but the output file is left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    // An invalid input leaves an earlier output file as it was.
    write(dir.path(), "in/b.yaml", "kind: NetworkPolicy\n");
    let o = egressc()
        .arg("import")
        .arg(dir.path().join("in"))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), written);
    let o = egressc()
        .args(["import", "-"])
        .write_stdin(EXACT)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("from <stdin>"), "{}", stdout(&o));
}

#[test]
fn hostile_input_is_refused_with_a_code() {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("binary.yaml");
    std::fs::write(&binary, b"\x7fELF\x02\x01\x01\x00\x00\x00").unwrap();
    let not_utf8 = dir.path().join("latin1.yaml");
    std::fs::write(&not_utf8, b"kind: NetworkPolicy # caf\xe9\n").unwrap();
    let big = dir.path().join("big.yaml");
    let item = EXACT.replace("name: api-egress", "name: api-egress-NNN");
    let mut text = String::new();
    let mut n = 0;
    while text.len() < 50 << 20 {
        text.push_str("---\n");
        text.push_str(&item.replace("NNN", &n.to_string()));
        n += 1;
    }
    std::fs::write(&big, text).unwrap();
    for (file, code) in [(&binary, "E0103"), (&not_utf8, "E0102"), (&big, "E0106")] {
        let o = egressc().arg("import").arg(file).output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(stdout(&o).is_empty());
        assert!(stderr(&o).contains(code), "{code}: {}", stderr(&o));
    }
}
