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
    for format in ["human", "json", "sarif", "github", "short"] {
        let o = egressc()
            .args(["check", "--error-format", format])
            .arg(&f)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1));
        let e = stderr(&o) + &stdout(&o);
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
            // one line, the name as shown
            "short" => {
                assert_eq!(e.lines().count(), 1, "{e}");
                assert!(
                    e.starts_with(&format!("{}/{shown}:2:", dir.path().display())),
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

/// A program with the apps `web` and `api` (or only `web`) in namespace `shop`.
fn shop(apps: &[&str]) -> String {
    let mut s = String::from("namespace shop\ndefault deny\n");
    for a in apps {
        s.push_str(&format!("app {a} -> dns\n"));
    }
    s
}

/// `egressc build SRC -o OUT` with extra arguments.
fn build_into(src: &Path, out: &Path, extra: &[&str]) -> Output {
    egressc()
        .arg("build")
        .arg(src)
        .arg("-o")
        .arg(out)
        .args(extra)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap()
}

/// Every file below `dir` (symlinks not followed), as paths relative to it, sorted.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn output_folder_symlinks_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(dir.path(), "p.egress", &shop(&["web"]));
    let elsewhere = dir.path().join("elsewhere");
    let victim = write(
        &elsewhere,
        "old-egress.yaml",
        "# Generated by egressc from p.egress (app old). Do not edit.\nkind: Secret\n",
    );
    let out = dir.path().join("out");

    // `out/shop` is a symlink to a folder elsewhere: nothing is written there, nothing deleted.
    std::fs::create_dir_all(&out).unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join("shop")).unwrap();
    let o = build_into(&src, &out, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("error[E0602]"), "{}", stderr(&o));
    assert_eq!(tree(&elsewhere), ["old-egress.yaml"]);
    assert!(!out.join("kustomization.yaml").exists(), "nothing written");
    std::fs::remove_file(out.join("shop")).unwrap();

    // A symlink planted at the temporary name the previous version used.
    std::fs::create_dir_all(out.join("shop")).unwrap();
    let planted = out.join("shop/web-egress.yaml.egressc-tmp");
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    let o = build_into(&src, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        std::fs::read_to_string(&victim)
            .unwrap()
            .ends_with("kind: Secret\n"),
        "the symlink's target is untouched"
    );
    assert!(std::fs::symlink_metadata(&planted).unwrap().is_symlink());
    assert!(
        stderr(&o).contains("no manifest lists it"),
        "{}",
        stderr(&o)
    );
    // ... and `--check` reports it.
    let o = build_into(&src, &out, &["--check"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("leftover:"), "{}", stdout(&o));
    std::fs::remove_file(&planted).unwrap();
    build_into(&src, &out, &["--check"])
        .status
        .success()
        .then_some(())
        .unwrap();

    // A generated file replaced by a symlink: not written through, not deleted.
    let file = out.join("shop/web-egress.yaml");
    std::fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink(&victim, &file).unwrap();
    for (program, why) in [(shop(&["web"]), "rewrite"), (shop(&["api"]), "delete")] {
        std::fs::write(&src, program).unwrap();
        let o = build_into(&src, &out, &[]);
        assert_eq!(o.status.code(), Some(2), "{why}: {}", stderr(&o));
        assert!(stderr(&o).contains("error[E0602]"), "{why}: {}", stderr(&o));
        assert!(
            std::fs::read_to_string(&victim)
                .unwrap()
                .ends_with("kind: Secret\n")
        );
        assert!(std::fs::symlink_metadata(&file).unwrap().is_symlink());
    }
    std::fs::remove_file(&file).unwrap();

    // The manifest and the lock file are never followed either.
    for name in [".egressc-manifest.json", ".egressc.lock"] {
        let control = out.join(name);
        std::fs::remove_file(&control).unwrap();
        std::os::unix::fs::symlink(&victim, &control).unwrap();
        let o = build_into(&src, &out, &[]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("error[E0602]"),
            "{name}: {}",
            stderr(&o)
        );
        assert!(
            std::fs::read_to_string(&victim)
                .unwrap()
                .ends_with("kind: Secret\n")
        );
        std::fs::remove_file(&control).unwrap();
    }

    // The folder named with -o may itself be a symlink: the user chose it.
    let real = dir.path().join("real");
    std::fs::create_dir_all(&real).unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let o = build_into(&src, &link, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(real.join("shop/api-egress.yaml").exists());
}

#[test]
fn a_forged_header_does_not_make_a_file_egressc_s() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(dir.path(), "p.egress", &shop(&["web"]));
    let out = dir.path().join("out");
    assert_eq!(build_into(&src, &out, &[]).status.code(), Some(0));
    let forged = "# Generated by egressc from p.egress (app x). Do not edit.\nkind: ConfigMap\n";

    // A file with a forged header where egressc would write: refused, kept.
    let planted = write(&out, "shop/api-egress.yaml", forged);
    std::fs::write(&src, shop(&["web", "api"])).unwrap();
    let o = build_into(&src, &out, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("error[E0605]"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&planted).unwrap(), forged);
    std::fs::remove_file(&planted).unwrap();

    // A file with a forged header that egressc does not produce: never deleted.
    let planted = write(&out, "shop/old-egress.yaml", forged);
    assert_eq!(build_into(&src, &out, &[]).status.code(), Some(0));
    std::fs::write(&src, shop(&["api"])).unwrap();
    assert_eq!(build_into(&src, &out, &[]).status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&planted).unwrap(), forged);
    assert!(
        !out.join("shop/web-egress.yaml").exists(),
        "egressc's own file is deleted"
    );

    // A listed file changed by hand is kept when it is no longer generated.
    let edited = out.join("shop/api-egress.yaml");
    std::fs::write(&edited, "# edited by hand\n").unwrap();
    std::fs::write(&src, shop(&["web"])).unwrap();
    let o = build_into(&src, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&edited).unwrap(),
        "# edited by hand\n"
    );
    assert!(
        stderr(&o).contains("changed since egressc wrote it"),
        "{}",
        stderr(&o)
    );

    // A folder written by the previous version (no manifest): files with the header where
    // egressc writes are replaced, others are kept and listed, nothing is deleted.
    let legacy = dir.path().join("legacy");
    write(&legacy, "shop/web-egress.yaml", forged);
    write(&legacy, "shop/gone-egress.yaml", forged);
    let o = build_into(&src, &legacy, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        std::fs::read_to_string(legacy.join("shop/web-egress.yaml"))
            .unwrap()
            .contains("name: web-egress")
    );
    assert_eq!(
        std::fs::read_to_string(legacy.join("shop/gone-egress.yaml")).unwrap(),
        forged
    );
    assert!(
        stderr(&o).contains("no manifest lists it"),
        "{}",
        stderr(&o)
    );
    assert!(legacy.join(".egressc-manifest.json").exists());
}

#[test]
fn a_hostile_manifest_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(dir.path(), "p.egress", &shop(&["web"]));
    let victim = write(dir.path(), "victim.yaml", "kind: Secret\n");
    let out = dir.path().join("out");
    let hash = "0".repeat(64);
    for manifest in [
        format!("{{\"egressc_manifest\":1,\"files\":{{\"../victim.yaml\":\"{hash}\"}},\"pending\":[]}}"),
        format!("{{\"egressc_manifest\":1,\"files\":{{\"{}\":\"{hash}\"}},\"pending\":[]}}", victim.display()),
        "{\"egressc_manifest\":1,\"files\":{},\"pending\":[\"../victim.yaml\"]}".to_owned(),
        "{\"egressc_manifest\":1,\"files\":{},\"pending\":[\"shop/.x.yaml.0123456789abcdef.egressc-tmp/../../../victim.yaml\"]}".to_owned(),
        "{\"egressc_manifest\":9,\"files\":{},\"pending\":[]}".to_owned(),
        "not json at all".to_owned(),
    ] {
        write(&out, ".egressc-manifest.json", &manifest);
        for extra in [&[][..], &["--check"][..]] {
            let o = build_into(&src, &out, extra);
            assert_eq!(o.status.code(), Some(2), "{manifest}: {}", stderr(&o));
            assert!(stderr(&o).contains("error[E0604]"), "{manifest}: {}", stderr(&o));
            assert_eq!(std::fs::read_to_string(&victim).unwrap(), "kind: Secret\n");
            assert_eq!(tree(&out), [".egressc-manifest.json", ".egressc.lock"], "{manifest}");
        }
    }
}

#[test]
fn special_files_in_the_output_folder_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(dir.path(), "p.egress", &shop(&["web"]));
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("shop")).unwrap();
    let fifo = out.join("shop/web-egress.yaml");
    assert!(
        StdCommand::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    // Opening a FIFO for reading would hang: the timeout of `build_into` guards the test.
    let o = build_into(&src, &out, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("error[E0606]") && stderr(&o).contains("FIFO"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_file(&fifo).unwrap();
    std::fs::remove_dir(out.join("shop")).unwrap();
    write(&out, "shop", "a file where a folder goes\n");
    let o = build_into(&src, &out, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("error[E0606]"), "{}", stderr(&o));
}

/// A program of `n` apps in namespace `ns` (a build writes `n + 1` files).
fn many_apps(ns: &str, n: usize) -> String {
    let mut s = format!("namespace {ns}\ndefault deny\n");
    for i in 0..n {
        s.push_str(&format!("app {ns}-app-{i} -> dns\n"));
    }
    s
}

#[test]
fn concurrent_builds_into_one_folder_never_mix() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.egress", &many_apps("alpha", 300));
    let b = write(dir.path(), "b.egress", &many_apps("beta", 300));
    let out = dir.path().join("out");
    let bin = assert_cmd::cargo::cargo_bin("egressc");
    for round in 0..12 {
        let spawn = |src: &Path| {
            StdCommand::new(&bin)
                .arg("build")
                .arg(src)
                .arg("-o")
                .arg(&out)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (first, second) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let one = spawn(first);
        let two = spawn(second);
        for child in [one, two] {
            let o = child.wait_with_output().unwrap();
            assert_eq!(o.status.code(), Some(0), "round {round}: {}", stderr(&o));
        }
        let is_a = build_into(&a, &out, &["--check"]).status.success();
        let is_b = build_into(&b, &out, &["--check"]).status.success();
        assert!(
            is_a != is_b,
            "round {round}: the folder is {} build's output",
            if is_a { "each" } else { "neither" }
        );
        let files = tree(&out);
        assert!(
            !files.iter().any(|f| f.ends_with(".egressc-tmp")),
            "round {round}: {files:?}"
        );
        assert_eq!(files.len(), 300 + 2 + 2, "round {round}: {files:?}");
    }
}

#[test]
fn a_locked_output_folder_is_refused_after_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(dir.path(), "p.egress", &shop(&["web"]));
    let out = dir.path().join("out");
    assert_eq!(build_into(&src, &out, &[]).status.code(), Some(0));
    let lock = std::fs::File::open(out.join(".egressc.lock")).unwrap();
    lock.lock().unwrap();
    for extra in [
        &["--lock-timeout", "0"][..],
        &["--lock-timeout", "1", "--check"][..],
    ] {
        let start = std::time::Instant::now();
        let o = build_into(&src, &out, extra);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("error[E0603]"),
            "{extra:?}: {}",
            stderr(&o)
        );
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
    }
    // A build waits for the lock and then writes.
    let waiting = StdCommand::new(assert_cmd::cargo::cargo_bin("egressc"))
        .arg("build")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::fs::write(&src, shop(&["api"])).ok();
    lock.unlock().unwrap();
    let o = waiting.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// Whether the manifest in `out` lists temporary files (a build is between its first manifest
/// and its last).
fn mid_build(out: &Path) -> bool {
    std::fs::read_to_string(out.join(".egressc-manifest.json"))
        .is_ok_and(|m| m.contains(".egressc-tmp"))
}

#[test]
fn a_killed_build_leaves_nothing_the_next_one_cannot_clean() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let small = write(dir.path(), "small.egress", &many_apps("shop", 3));
    assert_eq!(build_into(&small, &out, &[]).status.code(), Some(0));
    let big = write(dir.path(), "big.egress", &many_apps("shop", 2500));
    let bin = assert_cmd::cargo::cargo_bin("egressc");
    let mut killed_mid_build = 0;
    for attempt in 0..20 {
        let mut child = StdCommand::new(&bin)
            .arg("build")
            .arg(&big)
            .arg("-o")
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        while !mid_build(&out) && start.elapsed() < std::time::Duration::from_secs(20) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
        let leftovers: Vec<String> = tree(&out)
            .into_iter()
            .filter(|f| f.ends_with(".egressc-tmp"))
            .collect();
        if !leftovers.is_empty() || mid_build(&out) {
            killed_mid_build += 1;
            let up_to_date: Vec<bool> = [&small, &big]
                .iter()
                .map(|src| {
                    let o = build_into(src, &out, &["--check"]);
                    if !leftovers.is_empty() {
                        assert!(
                            stdout(&o).contains("leftover of an interrupted build"),
                            "attempt {attempt}: {}",
                            stdout(&o)
                        );
                    }
                    o.status.success()
                })
                .collect();
            if !leftovers.is_empty() {
                // Temporary files left behind: never "up to date".
                assert_eq!(
                    up_to_date,
                    [false, false],
                    "attempt {attempt}: {leftovers:?}"
                );
            } else {
                // Killed before its first file or after its last: at most one program's output.
                assert!(up_to_date != [true, true], "attempt {attempt}");
            }
        }
        // The next build cleans up and completes; the one after it finds it up to date.
        let src = if attempt % 2 == 0 { &small } else { &big };
        let o = build_into(src, &out, &[]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "attempt {attempt}: {}",
            stderr(&o)
        );
        assert!(
            !tree(&out).iter().any(|f| f.ends_with(".egressc-tmp")),
            "attempt {attempt}"
        );
        assert_eq!(build_into(src, &out, &["--check"]).status.code(), Some(0));
        if killed_mid_build >= 3 {
            break;
        }
    }
    eprintln!("{killed_mid_build} build(s) killed between their first and last manifest");
    assert!(
        killed_mid_build > 0,
        "no build was killed between its manifests"
    );
}

#[test]
fn sources_over_the_size_limits_are_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    // A sparse file of 1 GiB: refused from its size, in no time and no memory.
    let huge = dir.path().join("huge.egress");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let start = std::time::Instant::now();
    let o = egressc().arg("check").arg(&huge).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("error[E0106]") && stderr(&o).contains("1024.0 MiB"),
        "{}",
        stderr(&o)
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    let o = egressc()
        .args(["check", "--error-format", "json"])
        .arg(&huge)
        .output()
        .unwrap();
    assert!(stdout(&o).contains("\"code\":\"E0106\""), "{}", stdout(&o));

    // Five files of 7 MiB: the fifth would pass 32 MiB in total.
    let many = dir.path().join("many");
    std::fs::create_dir_all(&many).unwrap();
    let mut text = String::from("namespace payments\n");
    while text.len() < 7 << 20 {
        text.push_str("# a comment that fills the file up to seven mebibytes of source\n");
    }
    for i in 0..5 {
        std::fs::write(many.join(format!("f{i}.egress")), &text).unwrap();
    }
    let o = egressc().arg("check").arg(&many).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("error[E0107]") && e.contains("f4.egress"), "{e}");
}

#[test]
fn special_files_are_refused_without_reading_them() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("policies");
    write(&folder, "a.egress", &shop(&["web"]));
    assert!(
        StdCommand::new("mkfifo")
            .arg(folder.join("pipe.egress"))
            .status()
            .unwrap()
            .success()
    );
    let o = egressc()
        .arg("check")
        .arg(&folder)
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("error[E0108]") && stderr(&o).contains("a FIFO"),
        "{}",
        stderr(&o)
    );

    // Files of /proc and devices are not read: the environment stays private.
    for path in ["/proc/self/environ", "/dev/zero"] {
        let o = egressc()
            .arg("check")
            .arg(path)
            .env("EGRESSC_TEST_SECRET", "hunter2")
            .timeout(std::time::Duration::from_secs(30))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{path}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains("error[E0108]"), "{path}: {e}");
        assert!(
            !e.contains("hunter2") && !e.contains("PATH="),
            "{path}: {e}"
        );
    }

    // A binary file gets E0103 and nothing of it is shown.
    let binary = dir.path().join("secret.egress");
    std::fs::write(&binary, b"SECRET=hunter2\0\x01\x02").unwrap();
    let o = egressc().arg("check").arg(&binary).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("error[E0103]"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("hunter2"), "{}", stderr(&o));
}

#[test]
fn symlinks_out_of_a_source_folder_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let secret = write(dir.path(), "home/.env", "API_KEY=hunter2\n");
    let folder = dir.path().join("policies");
    write(&folder, "a.egress", &shop(&["web"]));
    std::os::unix::fs::symlink(&secret, folder.join("x.egress")).unwrap();
    let o = egressc().arg("check").arg(&folder).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("error[E0109]") && e.contains("x.egress"), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
    std::fs::remove_file(folder.join("x.egress")).unwrap();

    // A symlinked folder that leads out is refused the same way.
    write(dir.path(), "elsewhere/b.egress", &shop(&["api"]));
    std::os::unix::fs::symlink(dir.path().join("elsewhere"), folder.join("more")).unwrap();
    let o = egressc().arg("check").arg(&folder).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("error[E0109]"), "{}", stderr(&o));
    std::fs::remove_file(folder.join("more")).unwrap();

    // Inside the folder, symlinks are followed; a file named on the command line is read as
    // named.
    write(
        &folder,
        "shared/defs.egress",
        "def db = rds(10.20.30.0/24)\n",
    );
    std::os::unix::fs::symlink(folder.join("shared"), folder.join("alias")).unwrap();
    let o = egressc().arg("check").arg(&folder).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn symlink_loops_visit_each_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("policies");
    write(&folder, "a.egress", &shop(&["web"]));
    write(
        &folder,
        "sub/b.egress",
        "namespace billing\napp api -> dns\n",
    );
    // Two loops: a folder linking to itself and one linking to its parent.
    std::os::unix::fs::symlink(".", folder.join("self")).unwrap();
    std::os::unix::fs::symlink("..", folder.join("sub/up")).unwrap();
    // And the same file twice under two names.
    std::os::unix::fs::symlink("a.egress", folder.join("again.egress")).unwrap();
    let o = egressc()
        .arg("build")
        .arg(&folder)
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("E0203"), "{}", stderr(&o));
    assert_eq!(kinds(&stdout(&o)).len(), 3, "{}", stdout(&o));
}

#[test]
fn project_paths_stay_inside_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("repo");
    write(&project, "policies/a.egress", &shop(&["web"]));
    let outside = dir.path().join("outside");
    write(&outside, "b.egress", &shop(&["api"]));
    let run = || {
        egressc()
            .current_dir(&project)
            .arg("build")
            .env("EGRESSC_TEST_SECRET", "hunter2")
            .output()
            .unwrap()
    };
    for (toml, code) in [
        ("sources = [\"/proc/self/environ\"]\n", "E0607"),
        ("sources = [\"../outside\"]\n", "E0607"),
        (
            "sources = [\"policies\"]\noutput = \"../generated\"\n",
            "E0607",
        ),
        (
            "sources = [\"policies\"]\noutput = \"/tmp/generated\"\n",
            "E0607",
        ),
    ] {
        write(&project, "egressc.toml", toml);
        let o = run();
        assert_eq!(o.status.code(), Some(2), "{toml}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains(&format!("error[{code}]")), "{toml}: {e}");
        assert!(!e.contains("hunter2"), "{toml}: {e}");
    }
    assert!(!dir.path().join("generated").exists());

    // A source that is a symlink out of the project.
    std::os::unix::fs::symlink(&outside, project.join("linked")).unwrap();
    write(&project, "egressc.toml", "sources = [\"linked\"]\n");
    let o = run();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("error[E0607]"), "{}", stderr(&o));

    // An output folder that is a symlink out of the project.
    let target = dir.path().join("target");
    std::fs::create_dir_all(&target).unwrap();
    std::os::unix::fs::symlink(&target, project.join("generated")).unwrap();
    write(
        &project,
        "egressc.toml",
        "sources = [\"policies\"]\noutput = \"generated\"\n",
    );
    let o = run();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("error[E0602]"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_dir(&target).unwrap().count(),
        0,
        "nothing written"
    );
    std::fs::remove_file(project.join("generated")).unwrap();
    assert_eq!(run().status.code(), Some(0));
    assert!(project.join("generated/shop/web-egress.yaml").exists());

    // The project file itself may not be a symlink (E0608).
    let credentials = write(
        dir.path(),
        "credentials",
        "[default]\naws_secret_access_key = hunter2\n",
    );
    std::fs::remove_file(project.join("egressc.toml")).unwrap();
    std::os::unix::fs::symlink(&credentials, project.join("egressc.toml")).unwrap();
    let o = run();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("error[E0608]"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("hunter2"), "{}", stderr(&o));
}
