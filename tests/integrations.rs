//! What others put in their CI, exercised: every hook of `.pre-commit-hooks.yaml` runs its
//! entry on a fixture repository (clean: exit 0; unformatted, warned or stale: exit 1), the
//! GitHub Action's steps (`ci/action.sh`, which `action.yml` runs) write their annotations and
//! SARIF log, and `cargo package` takes the standard library and leaves `editors/` out.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail by panicking"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "common/bin.rs"]
mod bin;

use bin::{egressc, stderr, stdout, write};

const PROJECT: &str = "sources = [\"policies\"]\ntargets = [\"native\"]\noutput = \"generated\"\n";
const CLEAN: &str = "namespace payments\ndefault deny\napp api -> dns\n";
const UNFORMATTED: &str = "namespace payments\ndefault deny\napp api->dns\n";
const WARNED: &str = "namespace payments\napp api -> dns\n";
const CHANGED: &str = "namespace payments\ndefault deny\napp api -> dns, 10.1.2.0/24:443\n";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_egressc"))
}

/// A project with a clean policy, built into its `output` folder.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "egressc.toml", PROJECT);
    write(dir.path(), "policies/payments.egress", CLEAN);
    let o = egressc()
        .current_dir(dir.path())
        .arg("build")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    dir
}

/// A hook: its id, the words of its entry and whether it is given the file names.
struct Hook {
    id: String,
    entry: Vec<String>,
    pass_filenames: bool,
}

fn hooks() -> Vec<Hook> {
    let text = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let list: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|h| Hook {
            id: h["id"].as_str().unwrap().to_owned(),
            entry: h["entry"]
                .as_str()
                .unwrap()
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            pass_filenames: h["pass_filenames"].as_bool().unwrap_or(true),
        })
        .collect()
}

/// Runs a hook's entry in `dir` as pre-commit would, with the staged policy file.
fn run_hook(h: &Hook, dir: &Path) -> Output {
    assert_eq!(h.entry[0], "egressc", "{}", h.id);
    let mut c = Command::new(binary());
    c.current_dir(dir).args(&h.entry[1..]);
    if h.pass_filenames {
        c.arg("policies/payments.egress");
    }
    c.output().unwrap()
}

#[test]
fn every_pre_commit_hook_passes_a_clean_repository_and_fails_its_own_problem() {
    let hooks = hooks();
    let ids: Vec<&str> = hooks.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, ["egressc-fmt", "egressc-check", "egressc-build-check"]);
    let dir = project();
    for h in &hooks {
        let o = run_hook(h, dir.path());
        assert_eq!(o.status.code(), Some(0), "{}: {}", h.id, stderr(&o));
    }
    // Each hook fails on what it is for.
    for (id, text) in [
        ("egressc-fmt", UNFORMATTED),
        ("egressc-check", WARNED),
        ("egressc-build-check", CHANGED),
    ] {
        let dir = project();
        write(dir.path(), "policies/payments.egress", text);
        let h = hooks.iter().find(|h| h.id == id).unwrap();
        let o = run_hook(h, dir.path());
        assert_eq!(
            o.status.code(),
            Some(1),
            "{id}: {}{}",
            stdout(&o),
            stderr(&o)
        );
    }
}

/// Runs a step of the Action in `dir`.
fn step(dir: &Path, name: &str, env: &[(&str, &str)]) -> Output {
    Command::new("bash")
        .arg(root().join("ci/action.sh"))
        .arg(name)
        .current_dir(dir)
        .env("EGRESSC", binary())
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

#[test]
fn the_github_action_runs_its_steps() {
    let action = std::fs::read_to_string(root().join("action.yml")).unwrap();
    for s in ["install", "check", "build-check"] {
        assert!(
            action.contains(&format!("ci/action.sh\" {s}\n")),
            "action.yml does not run the step {s}"
        );
    }
    assert!(action.contains("upload-sarif"));
    let dir = project();
    let o = step(dir.path(), "check", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("egressc.sarif")).unwrap()).unwrap();
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 0);
    let o = step(dir.path(), "build-check", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A warning: an annotation, a SARIF result, and the step fails (or not, when allowed).
    write(dir.path(), "policies/payments.egress", WARNED);
    let o = step(dir.path(), "check", &[("EGRESSC_SARIF", "out.sarif")]);
    assert_eq!(o.status.code(), Some(1));
    // Denied, the warning is an error annotation.
    assert!(
        stdout(&o).contains("::error file=policies/payments.egress")
            && stdout(&o).contains("W0105"),
        "{}",
        stdout(&o)
    );
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out.sarif")).unwrap()).unwrap();
    assert_eq!(log["runs"][0]["results"][0]["ruleId"], "W0105");
    let o = step(dir.path(), "check", &[("EGRESSC_DENY_WARNINGS", "false")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Stale generated YAML fails the last step.
    write(dir.path(), "policies/payments.egress", CHANGED);
    let o = step(dir.path(), "build-check", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = step(dir.path(), "nothing", &[]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_package_holds_the_standard_library_and_leaves_editors_out() {
    let o = Command::new(env!("CARGO"))
        .current_dir(root())
        .args(["package", "--list", "--allow-dirty", "--offline"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let files = stdout(&o);
    let list: Vec<&str> = files.lines().collect();
    for stdlib in std::fs::read_dir(root().join("stdlib")).unwrap().flatten() {
        let name = format!("stdlib/{}", stdlib.file_name().to_string_lossy());
        assert!(list.contains(&name.as_str()), "{name} is not packaged");
    }
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "README.md",
        "grammar/egress.pest",
        "src/main.rs",
    ] {
        assert!(list.contains(&needed), "{needed} is not packaged");
    }
    assert!(
        !list.iter().any(|f| f.starts_with("editors/")),
        "editors/ is packaged"
    );
    assert!(!list.iter().any(|f| f.starts_with("target/")));
}
