//! `egressc diff`: flows gained and lost decided by the evaluators. The fixture repository
//! `tests/diff/` has two revisions (`before/`, `after/`) committed into a git repository; its
//! markdown diff is a snapshot. A reformatted and reordered program shows no difference, on the
//! fixture and on random programs; live YAML is compared as the importer reads it; hostile
//! revisions given to `--base` are refused.

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

use egressc::Input;
use egressc::backend::Target;
use egressc::diff::{Old, Outcome, diff};
use egressc::lint::LintConfig;
use proptest::prelude::*;

#[path = "common/bin.rs"]
mod bin;
#[path = "common/programs.rs"]
mod programs;

use bin::{egressc, stderr, stdout, write};
use programs::{ALLOWS, DENIES, DNS_SERVERS, program_with_dns};

fn fixture(side: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/diff")
        .join(side)
}

/// Copies the files of `from` into `to`, replacing what is there.
fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let target = to.join(e.file_name());
        if p.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&p, &target);
        } else {
            std::fs::copy(&p, &target).unwrap();
        }
    }
}

fn run_git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
}

/// A git repository with `before/` committed, then `after/` committed on top.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    run_git(dir.path(), &["init", "-q"]);
    copy_tree(&fixture("before"), dir.path());
    run_git(dir.path(), &["add", "."]);
    run_git(dir.path(), &["commit", "-q", "-m", "before"]);
    copy_tree(&fixture("after"), dir.path());
    run_git(dir.path(), &["add", "."]);
    run_git(dir.path(), &["commit", "-q", "-m", "after"]);
    dir
}

#[test]
fn the_fixture_repository_diff_in_markdown() {
    let dir = repo();
    let o = egressc()
        .current_dir(dir.path())
        .args(["diff", "--base", "HEAD~1", "--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let markdown = stdout(&o);
    insta::assert_snapshot!(markdown);
    // From a subfolder of the project, the same.
    let o = egressc()
        .current_dir(dir.path().join("policies"))
        .args(["diff", "--base", "HEAD~1", "--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), markdown);
}

#[test]
fn two_folders_give_the_rows_of_the_revisions() {
    let o = egressc()
        .args(["diff", "--format", "json"])
        .arg(fixture("before/policies"))
        .arg(fixture("after/policies"))
        .args(["--target", "native,cilium"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["wider"], true);
    for t in v["targets"].as_array().unwrap() {
        let rows = t["rows"].as_array().unwrap();
        let has = |workload: &str, change: &str, dest: &str| {
            rows.iter().any(|r| {
                r["workload"] == workload
                    && r["change"] == change
                    && r["destination"].as_str().unwrap().contains(dest)
            })
        };
        assert!(
            has("payments/payments-api", "gained", "10.20.40.0/24:5432/tcp"),
            "{t}"
        );
        assert!(has("payments/ledger", "lost", "10.30.0.0/16:443"), "{t}");
        assert!(has("payments/reporting", "gained", "10.0.0.0/8:443"), "{t}");
        // The reordered, reformatted batch namespace: nothing.
        assert!(
            !rows
                .iter()
                .any(|r| r["workload"].as_str().unwrap().starts_with("batch/")),
            "{t}"
        );
        // The same flows are not reported twice: every row differs.
        assert!(
            rows.iter()
                .all(|r| r["workload"].as_str().unwrap().starts_with("payments/")),
            "{t}"
        );
    }
    let codes: Vec<&str> = v["introduced"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"W0101"), "{codes:?}");
}

#[test]
fn fail_on_wider_exits_1_only_when_something_becomes_reachable() {
    let wider = egressc()
        .args(["diff", "--fail-on", "wider"])
        .arg(fixture("before/policies"))
        .arg(fixture("after/policies"))
        .output()
        .unwrap();
    assert_eq!(wider.status.code(), Some(1), "{}", stderr(&wider));
    assert!(
        stdout(&wider).contains("payments/payments-api"),
        "{}",
        stdout(&wider)
    );
    let narrower = egressc()
        .args(["diff", "--fail-on", "wider"])
        .arg(fixture("after/policies/batch.egress"))
        .arg(fixture("before/policies/batch.egress"))
        .output()
        .unwrap();
    assert_eq!(narrower.status.code(), Some(0), "{}", stderr(&narrower));
    assert!(
        stdout(&narrower).contains("no difference"),
        "{}",
        stdout(&narrower)
    );
}

#[test]
fn a_new_refusal_fails_the_diff() {
    let dir = tempfile::tempdir().unwrap();
    let old = write(
        dir.path(),
        "old.egress",
        "namespace payments\ndefault deny\napp api -> dns\n",
    );
    let new = write(
        dir.path(),
        "new.egress",
        "namespace payments\ndefault deny\napp api -> dns, fqdn(api.stripe.com:443)\n",
    );
    let o = egressc()
        .args(["diff", "--target", "native"])
        .args([&old, &new])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("E0501"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("native: the new program does not build"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn live_yaml_is_compared_as_the_importer_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let built = egressc()
        .args(["build", "--target", "native"])
        .arg(fixture("before/policies"))
        .output()
        .unwrap();
    assert_eq!(built.status.code(), Some(0), "{}", stderr(&built));
    let live = write(dir.path(), "live.yaml", &stdout(&built));
    // The program that was built from: no difference.
    let o = egressc()
        .args(["diff"])
        .arg(&live)
        .arg(fixture("before/policies"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("native: no difference"),
        "{}",
        stdout(&o)
    );
    // The next revision: its rows, on the YAML's own product.
    let o = egressc()
        .args(["diff", "--format", "json"])
        .arg(&live)
        .arg(fixture("after/policies"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["targets"].as_array().unwrap().len(), 1);
    assert_eq!(v["targets"][0]["target"], "native");
    let rows = v["targets"][0]["rows"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|r| r["workload"] == "payments/payments-api" && r["change"] == "gained"),
        "{rows:?}"
    );
    // A lost flow is named by the rule of the YAML object that allowed it.
    assert!(
        rows.iter()
            .any(|r| r["change"] == "lost"
                && r["destination"].as_str().unwrap().contains("spec.egress")),
        "{rows:?}"
    );
}

#[test]
fn hostile_revisions_are_refused_before_git_sees_them() {
    let dir = repo();
    let written = dir.path().join("written");
    let output = format!("--output={}", written.display());
    for rev in [
        output.as_str(),
        "-n",
        "HEAD:policies/payments.egress",
        "HEAD~1..HEAD",
        "a\nb",
    ] {
        let o = egressc()
            .current_dir(dir.path())
            .arg("diff")
            .arg(format!("--base={rev}"))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{rev}");
        assert!(stderr(&o).contains("error[E0903]"), "{rev}: {}", stderr(&o));
    }
    assert!(!written.exists());
}

#[test]
fn a_revision_that_cannot_be_read_is_e0902() {
    let dir = repo();
    let o = egressc()
        .current_dir(dir.path())
        .args(["diff", "--base", "no-such-branch"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("error[E0902]"), "{}", stderr(&o));
    // A file past the input limit at the revision is refused from the listing, not read.
    write(
        dir.path(),
        "policies/huge.egress",
        &"# x\n".repeat(2_300_000),
    );
    run_git(dir.path(), &["add", "."]);
    run_git(dir.path(), &["commit", "-q", "-m", "huge"]);
    let o = egressc()
        .current_dir(dir.path())
        .args(["diff", "--base", "HEAD", "policies/payments.egress"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = egressc()
        .current_dir(dir.path())
        .args(["diff", "--base", "HEAD"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("error[E0902]") && stderr(&o).contains("larger than"),
        "{}",
        stderr(&o)
    );
    // Outside a repository.
    let plain = tempfile::tempdir().unwrap();
    write(
        plain.path(),
        "a.egress",
        "namespace payments\napp api -> dns\n",
    );
    let o = egressc()
        .current_dir(plain.path())
        .args(["diff", "--base", "HEAD", "a.egress"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("error[E0902]"), "{}", stderr(&o));
}

/// The program with its app statements in reverse order, laid out by `egressc fmt`.
fn reordered(source: &str) -> String {
    let lines: Vec<&str> = source.lines().collect();
    let (apps, rest): (Vec<&str>, Vec<&str>) = lines.iter().partition(|l| l.starts_with("app "));
    let mut out: Vec<&str> = rest.clone();
    let at = out
        .iter()
        .position(|l| l.starts_with("pods "))
        .unwrap_or(out.len());
    for (i, a) in apps.iter().rev().enumerate() {
        out.insert(at + i, a);
    }
    let text = out.join("\n") + "\n";
    egressc::fmt::format(egressc::source::FileId(0), &text).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn a_reordered_and_reformatted_program_shows_no_difference(
        dns_server in proptest::option::of(0..DNS_SERVERS.len()),
        apps in proptest::collection::vec(
            (
                proptest::collection::vec(0..ALLOWS.len(), 1..4),
                proptest::collection::vec(0..DENIES.len(), 0..2),
                any::<bool>(),
            ),
            1..4,
        ),
        flags in any::<(bool, bool)>(),
    ) {
        let (default_deny, guardrail) = flags;
        let source = program_with_dns(dns_server, apps, default_deny, guardrail, false);
        let old = [Input::new("old.egress", source.as_str())];
        let new = [Input::new("new.egress", reordered(&source))];
        let d = diff(Old::Program(&old), &new, &[Target::Native, Target::Cilium], &LintConfig::default());
        for t in &d.targets {
            match &t.outcome {
                Outcome::Compared { rows, undecided, .. } => {
                    prop_assert!(rows.is_empty(), "{}: {rows:?}\n{source}", t.target);
                    prop_assert!(undecided.is_empty());
                }
                // A target that refuses the program refuses both.
                Outcome::NewRefused | Outcome::OldRefused(_) => {}
            }
        }
        prop_assert!(!d.wider());
    }
}
