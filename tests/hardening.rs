//! Hostile input to the real binary: file names that try to inject YAML, output folders with
//! planted symlinks, forged headers and hostile manifests, concurrent and killed builds, project
//! files that reach outside the project, special and oversized files, symlink loops and closed
//! pipes. Each test is the reproduction of an attack; SECURITY.md names them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail by panicking"
)]

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;
use std::process::{Command as StdCommand, Output, Stdio};

#[path = "common/bin.rs"]
mod bin;

use bin::{egressc, stderr, stdout, write};

/// `../shared/conformance/validate` on a file, when it exists (CI has it).
fn conforms(file: &Path) {
    let v = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/validate");
    if !v.exists() {
        eprintln!("note: ../shared/conformance/validate not found; schema validation skipped");
        return;
    }
    let o = StdCommand::new(&v).arg("-q").arg(file).output().unwrap();
    assert!(
        o.status.success(),
        "{} fails conformance:\n{}{}",
        file.display(),
        stdout(&o),
        stderr(&o)
    );
}

const PROGRAM: &str = "namespace payments\ndefault deny\napp payments-api -> dns\n";

/// The folder and file of the reproduction: together their path reads as an allow-all
/// NetworkPolicy document after a `---`.
const INJECTED_DIR: &str = "x\n---\napiVersion: networking.k8s.io";
const INJECTED_FILE: &str = "v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-all\n  namespace: payments\nspec:\n  podSelector: {}\n  egress:\n  - {}\n  policyTypes:\n  - Egress\n#.egress";

/// The YAML documents of a stream, as their `kind:` lines.
fn kinds(yaml: &str) -> Vec<&str> {
    yaml.lines().filter(|l| l.starts_with("kind: ")).collect()
}

#[test]
fn file_names_cannot_inject_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let plain = write(dir.path(), "plain/p.egress", PROGRAM);
    let hostile = write(&dir.path().join(INJECTED_DIR), INJECTED_FILE, PROGRAM);
    let expected = egressc().arg("build").arg(&plain).output().unwrap();
    assert_eq!(expected.status.code(), Some(0), "{}", stderr(&expected));
    for target in ["native", "cilium", "calico"] {
        // The file itself, and the folder it is in.
        for arg in [hostile.clone(), dir.path().join(INJECTED_DIR)] {
            let o = egressc()
                .args(["build", "--target", target])
                .arg(&arg)
                .output()
                .unwrap();
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            let yaml = stdout(&o);
            let reference = stdout(
                &egressc()
                    .args(["build", "--target", target])
                    .arg(&plain)
                    .output()
                    .unwrap(),
            );
            assert_eq!(kinds(&yaml), kinds(&reference), "{yaml}");
            assert_eq!(yaml.lines().count(), reference.lines().count(), "{yaml}");
            assert!(
                !yaml
                    .lines()
                    .any(|l| l.trim_start().starts_with("name: allow-all")),
                "{yaml}"
            );
            for line in yaml.lines().filter(|l| l.starts_with("# Generated")) {
                assert!(
                    line.contains(
                        "x\\n---\\napiVersion: networking.k8s.io/v1\\nkind: NetworkPolicy"
                    ),
                    "{line}"
                );
            }
            let file = dir.path().join(format!("{target}.yaml"));
            std::fs::write(&file, &yaml).unwrap();
            conforms(&file);
        }
    }
    // The same through an output folder: the files hold one document each.
    let out = dir.path().join("out");
    egressc()
        .arg("build")
        .arg(&hostile)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(0);
    for name in [
        "payments/payments-api-egress.yaml",
        "payments/default-deny-egress.yaml",
    ] {
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        assert_eq!(kinds(&text), ["kind: NetworkPolicy"], "{text}");
        assert!(
            !text
                .lines()
                .any(|l| l.trim_start().starts_with("name: allow-all")),
            "{text}"
        );
        conforms(&out.join(name));
    }
}

#[test]
fn file_names_are_escaped_in_every_diagnostic_format() {
    let dir = tempfile::tempdir().unwrap();
    // An error in a file whose name carries a workflow command and a terminal escape.
    let name = "a\n::error file=forged::\u{1b}[2J\u{202e}.egress";
    let f = write(
        dir.path(),
        name,
        "namespace payments\napp api -> rds(10.0.0.1/24)\n",
    );
    for format in ["human", "json", "sarif", "github"] {
        let o = egressc()
            .args(["check", "--error-format", format])
            .arg(&f)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1));
        let e = stderr(&o);
        assert!(e.contains("E0303"), "{e}");
        assert!(
            !e.contains('\u{1b}') && !e.contains('\u{202e}'),
            "{format}: {e:?}"
        );
        let shown = "a\\n::error file=forged::\\u{1b}[2J\\u{202e}.egress";
        match format {
            "human" => assert!(e.contains(shown), "{e}"),
            // in a JSON string, each backslash is escaped once more
            "json" => assert!(e.contains(&shown.replace('\\', "\\\\")), "{e}"),
            // a workflow command: one line, `:` and `%` encoded
            "github" => {
                assert_eq!(e.lines().count(), 1, "{e}");
                assert!(
                    e.starts_with("::error file=") && e.contains("a\\n%3A%3Aerror"),
                    "{e}"
                );
            }
            _ => {}
        }
    }
}

#[test]
fn non_utf8_file_names_are_shown_byte_by_byte() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join(OsStr::from_bytes(b"caf\xe9\n.egress"));
    std::fs::write(&f, PROGRAM).unwrap();
    let o = egressc().arg("build").arg(&f).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let yaml = stdout(&o);
    assert!(yaml.contains("caf\\xe9\\n.egress"), "{yaml}");
    assert_eq!(kinds(&yaml).len(), 2, "{yaml}");
}

/// A pipe whose reader has gone before anything is written.
fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

/// Runs the binary with stdout into a closed pipe.
fn with_closed_stdout(args: &[&OsStr]) -> Output {
    StdCommand::new(assert_cmd::cargo::cargo_bin("egressc"))
        .args(args)
        .stdout(closed_pipe())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn a_closed_stdout_is_an_error_not_a_panic_and_files_are_written_first() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let payments = root.join("examples/payments.egress");
    let commands: Vec<Vec<&OsStr>> = vec![
        vec![
            "test".as_ref(),
            payments.as_os_str(),
            "--junit".as_ref(),
            junit.as_os_str(),
        ],
        vec![
            "build".as_ref(),
            payments.as_os_str(),
            "-t".as_ref(),
            "cilium".as_ref(),
        ],
        vec![
            "build".as_ref(),
            payments.as_os_str(),
            "--emit".as_ref(),
            "ir".as_ref(),
        ],
        vec![
            "trace".as_ref(),
            payments.as_os_str(),
            "--from".as_ref(),
            "payments/payments-api".as_ref(),
            "--to".as_ref(),
            "10.20.30.7:5432".as_ref(),
        ],
        vec!["explain".as_ref(), "E0303".as_ref()],
        vec!["explain".as_ref(), "rds".as_ref()],
        vec!["targets".as_ref()],
    ];
    for args in commands {
        let o = with_closed_stdout(&args);
        let e = stderr(&o);
        assert!(!e.contains("panicked"), "{args:?}: {e}");
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert!(e.contains("stdout was closed"), "{args:?}: {e}");
    }
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testsuites") && xml.ends_with("</testsuites>\n"),
        "{xml}"
    );

    // `--check` lists stale files on stdout.
    let out = dir.path().join("out");
    let o = with_closed_stdout(&[
        "build".as_ref(),
        payments.as_os_str(),
        "-t".as_ref(),
        "cilium".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
        "--check".as_ref(),
    ]);
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn a_closed_stderr_is_not_a_panic() {
    // `test` notes on stderr that it skips the targets that refuse the program.
    let payments = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/payments.egress");
    let o = StdCommand::new(assert_cmd::cargo::cargo_bin("egressc"))
        .arg("test")
        .arg(&payments)
        .stdout(Stdio::piped())
        .stderr(closed_pipe())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("passed, 0 failed"), "{}", stdout(&o));
}
