//! The README stays true: its language example compiles, its tables list every diagnostic code,
//! every lint and every target, and every `egressc` command of its `sh` blocks runs and succeeds
//! in a repository it fits.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail by panicking"
)]

use egressc::backend::Target;
use egressc::diagnostics::{Code, Severity};
use egressc::{Input, compile};

const README: &str = include_str!("../README.md");

#[test]
fn the_language_example_compiles() {
    let block = README
        .split("```egress\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("README has an egress example");
    let c = compile(&[Input::new("README.md", block)], &[Target::Cilium]);
    let errors: Vec<_> = c
        .analysis
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn every_code_and_target_is_listed() {
    for code in Code::ALL {
        let row = format!("| {} |", code.as_str());
        assert!(README.contains(&row), "README lacks a row for {code}");
        if code.severity() == Severity::Warning && !code.is_import() {
            assert!(
                egressc::lint::codes().any(|c| c == *code),
                "{code} is a warning but not a lint"
            );
        }
    }
    for t in Target::ALL {
        assert!(
            README.contains(&format!("| `{t}` |")),
            "README lacks a row for target {t}"
        );
    }
}

/// The program of the sandbox the README's commands run in.
const SANDBOX_POLICY: &str = "\
set pod-cidrs = 10.244.0.0/16
set node-cidrs = 10.0.0.0/20

namespace payments
default deny
app payments-api -> dns, rds(10.20.30.0/24:5432) deny metadata

expect payments-api -> 10.20.30.7:5432/tcp allow
expect payments-api -> 169.254.169.254:80 deny
";

/// The commands of the README's `sh` blocks that run `egressc` (alone, or fed by `cat`), each
/// without its comment.
fn readme_commands() -> (Vec<String>, usize) {
    let mut commands = Vec::new();
    let mut others = 0;
    for block in README.split("```sh\n").skip(1) {
        let body = block.split("```").next().unwrap_or_default();
        for line in body.lines() {
            let command = line.split(" # ").next().unwrap_or_default().trim();
            if command.is_empty() || command.starts_with('#') {
                continue;
            }
            let runs_egressc = command.starts_with("egressc ")
                || command == "egressc"
                || (command.starts_with("cat ") && command.contains("| egressc "));
            if runs_egressc {
                commands.push(command.to_owned());
            } else {
                others += 1;
            }
        }
    }
    (commands, others)
}

fn run(dir: &std::path::Path, program: &str, args: &[&str]) {
    let o = std::process::Command::new(program)
        .current_dir(dir)
        .args(args)
        .env("PATH", path())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// PATH with the built binary first.
fn path() -> std::ffi::OsString {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_egressc"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut paths = vec![bin];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

/// A repository as the README's commands expect it: the examples, `policies/`, a project file
/// with an `output` folder already built, `out/` built, `live.yaml` exported from the policies,
/// and a git history with `origin/main`.
fn sandbox() -> tempfile::TempDir {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("examples")).unwrap();
    for e in std::fs::read_dir(root.join("examples")).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "egress") {
            std::fs::copy(e.path(), d.join("examples").join(e.file_name())).unwrap();
        }
    }
    std::fs::create_dir_all(d.join("policies")).unwrap();
    std::fs::write(d.join("policies/payments.egress"), SANDBOX_POLICY).unwrap();
    std::fs::write(
        d.join("egressc.toml"),
        "sources = [\"policies\"]\ntargets = [\"native\"]\noutput = \"generated\"\n",
    )
    .unwrap();
    run(d, "egressc", &["build"]);
    run(d, "egressc", &["build", "policies/", "-o", "out/"]);
    run(
        d,
        "bash",
        &["-c", "egressc build policies/ --target native > live.yaml"],
    );
    run(d, "git", &["init", "-q"]);
    run(d, "git", &["add", "."]);
    run(
        d,
        "git",
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "commit",
            "-q",
            "-m",
            "policies",
        ],
    );
    run(
        d,
        "git",
        &["update-ref", "refs/remotes/origin/main", "HEAD"],
    );
    dir
}

/// `initialize`, `initialized`, `shutdown` and `exit`, framed.
fn lsp_session() -> String {
    [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#,
        r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#,
        r#"{"jsonrpc":"2.0","method":"exit"}"#,
    ]
    .iter()
    .map(|m| format!("Content-Length: {}\r\n\r\n{m}", m.len()))
    .collect()
}

/// Every `egressc` command of the README runs as written, in a repository it fits, and
/// succeeds; the other commands (cargo, kubectl, git, the test script) are counted apart.
#[test]
fn every_readme_command_runs() {
    let (commands, others) = readme_commands();
    assert!(commands.len() >= 25, "{commands:?}");
    assert!(others <= 8, "{others} commands of the README are not run");
    for command in &commands {
        let dir = sandbox();
        let mut child = std::process::Command::new("bash")
            .args(["-c", command])
            .current_dir(dir.path())
            .env("PATH", path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The language server is given a session that ends as a client ends it.
        let session = if command.starts_with("egressc lsp") {
            lsp_session()
        } else {
            String::new()
        };
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), session.as_bytes()).unwrap();
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "`{command}` failed:\n{err}");
        assert!(!err.contains("panicked"), "`{command}`: {err}");
    }
}
