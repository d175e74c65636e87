//! The real binary: exit codes, output folders, `--check`, JSON diagnostics, the project file.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail by panicking"
)]

#[path = "common/bin.rs"]
mod bin;
#[path = "common/examples.rs"]
mod examples_program;

use bin::{egressc, stderr, stdout, write};

fn examples() -> std::path::PathBuf {
    examples_program::root()
}

const CARD: &str = "namespace payments\napp payments-api -> dns, rds(10.20.30.0/24:5432), fqdn(api.stripe.com:443) deny metadata\n";
const CARD_NATIVE: &str =
    "namespace payments\napp payments-api -> dns, rds(10.20.30.0/24:5432) deny metadata\n";

#[test]
fn design_card_is_refused_by_native_and_compiles_without_fqdn() {
    let dir = tempfile::tempdir().unwrap();
    let card = write(dir.path(), "card.egress", CARD);
    let o = egressc()
        .args(["build", "--target", "native"])
        .arg(&card)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty(), "no partial output");
    assert!(stderr(&o).contains("error[E0501]"), "{}", stderr(&o));
    assert!(stderr(&o).contains("help:"));

    let ok = write(dir.path(), "ok.egress", CARD_NATIVE);
    let o = egressc()
        .args(["build", "--target", "native"])
        .arg(&ok)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let y = stdout(&o);
    assert!(y.contains("kind: NetworkPolicy"));
    assert!(y.contains("- Egress"));
    assert!(y.contains("cidr: 10.20.30.0/24"));
    assert!(y.contains("k8s-app: kube-dns"));
    assert!(y.contains("app.kubernetes.io/managed-by: egressc"));
}

#[test]
fn output_is_byte_identical_across_runs() {
    let run = || {
        egressc()
            .args(["build", "--target", "native"])
            .arg(examples().join("ledger-native.egress"))
            .output()
            .unwrap()
            .stdout
    };
    let first = run();
    assert!(!first.is_empty());
    assert_eq!(first, run());
}

#[test]
fn json_errors_have_code_position_and_span() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "bad.egress",
        "namespace payments\napp api -> dns, rds(10.20.30.1/24)\n",
    );
    let o = egressc()
        .args(["check", "--error-format", "json"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    // A report is stdout's when the command prints nothing else there.
    assert_eq!(stderr(&o), "");
    let line = stdout(&o);
    let v: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    assert_eq!(v["code"], "E0303");
    assert_eq!(v["severity"], "error");
    assert_eq!(v["line"], 2);
    assert_eq!(v["column"], 21);
    assert_eq!(v["span"]["start"], 39);
    assert!(v["file"].as_str().unwrap().ends_with("bad.egress"));
    assert!(v["help"].as_str().unwrap().contains("10.20.30.0/24"));
}

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.egress", CARD_NATIVE);
    egressc().arg("check").arg(&good).assert().code(0);
    let bad = write(
        dir.path(),
        "bad.egress",
        "namespace payments\napp api -> rdss\n",
    );
    egressc().arg("check").arg(&bad).assert().code(1);
    // usage errors
    egressc()
        .args(["build", "--target", "nativ"])
        .arg(&good)
        .assert()
        .code(2);
    egressc().args(["frobnicate"]).assert().code(2);
    // I/O error
    egressc()
        .args(["build", "/nonexistent/x.egress"])
        .assert()
        .code(2);
}

#[test]
fn unknown_target_lists_the_valid_ones() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.egress", CARD_NATIVE);
    let o = egressc()
        .args(["build", "--target", "nativ"])
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("native"), "{e}");
    assert!(e.contains("did you mean `native`"), "{e}");
}

#[test]
fn a_megabyte_of_garbage_on_one_line_is_a_syntax_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = String::with_capacity(1 << 20);
    let alphabet = b"ab(){}-> ,:/=*!@%&[]";
    let mut x: u32 = 12345;
    while s.len() < (1 << 20) {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        s.push(alphabet[(x >> 16) as usize % alphabet.len()] as char);
    }
    let f = write(dir.path(), "garbage.egress", &s);
    let o = egressc().arg("build").arg(&f).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    // A syntax error, or brackets nested too deeply (the random walk of brackets goes deep).
    assert!(stderr(&o).contains("E0101") || stderr(&o).contains("E0110"));
    assert!(stdout(&o).is_empty());
}

#[test]
fn output_folder_is_written_checked_and_never_touches_foreign_files() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(dir.path(), "p.egress", CARD_NATIVE);
    let out = dir.path().join("out");
    // A file egressc did not generate, which must survive.
    write(&out, "payments/handwritten.yaml", "kind: ConfigMap\n");

    // --check before the first build: missing files, exit 1
    let o = egressc()
        .arg("build")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .arg("--check")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("missing:"), "{}", stdout(&o));
    assert!(
        !out.join("payments/payments-api-egress.yaml").exists(),
        "--check writes nothing"
    );

    egressc()
        .arg("build")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(0);
    let policy = std::fs::read_to_string(out.join("payments/payments-api-egress.yaml")).unwrap();
    assert!(policy.starts_with("# Generated by egressc"));
    let kustomization = std::fs::read_to_string(out.join("kustomization.yaml")).unwrap();
    assert!(kustomization.contains("- payments/payments-api-egress.yaml"));
    assert_eq!(
        std::fs::read_to_string(out.join("payments/handwritten.yaml")).unwrap(),
        "kind: ConfigMap\n"
    );

    egressc()
        .arg("build")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .arg("--check")
        .assert()
        .code(0);

    // Change the source: --check reports stale, a build updates and removes what is no longer generated.
    std::fs::write(&src, "namespace payments\napp ledger -> dns\n").unwrap();
    let o = egressc()
        .arg("build")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .arg("--check")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let listed = stdout(&o);
    assert!(
        listed.contains("no longer generated:") && listed.contains("payments-api-egress.yaml"),
        "{listed}"
    );
    egressc()
        .arg("build")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(0);
    assert!(!out.join("payments/payments-api-egress.yaml").exists());
    assert!(out.join("payments/ledger-egress.yaml").exists());
    assert!(out.join("payments/handwritten.yaml").exists());
}

#[test]
fn errors_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(dir.path(), "p.egress", CARD);
    let out = dir.path().join("out");
    egressc()
        .arg("build")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1);
    assert!(!out.exists());
}

#[test]
fn refuses_to_overwrite_a_foreign_file() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(dir.path(), "p.egress", CARD_NATIVE);
    let out = dir.path().join("out");
    write(&out, "payments/payments-api-egress.yaml", "# mine\n");
    let o = egressc()
        .arg("build")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("error[E0605]"), "{}", stderr(&o));
    assert!(stderr(&o).contains("not generated by egressc"));
    assert_eq!(
        std::fs::read_to_string(out.join("payments/payments-api-egress.yaml")).unwrap(),
        "# mine\n"
    );
}

#[test]
fn several_files_and_folders_form_one_program() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "defs/db.egress",
        "## The payments database.\ndef payments-db = rds(10.20.30.0/24)\n",
    );
    write(
        dir.path(),
        "apps/payments.egress",
        "namespace payments\napp payments-api -> dns, payments-db\n",
    );
    let o = egressc().arg("build").arg(dir.path()).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("10.20.30.0/24"));

    // A duplicate across files points at both places.
    write(
        dir.path(),
        "apps/again.egress",
        "namespace payments\napp payments-api -> dns\n",
    );
    let o = egressc().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("E0203") && e.contains("again.egress") && e.contains("payments.egress"),
        "{e}"
    );
}

#[test]
fn project_file_builds_the_whole_repo_from_any_subfolder() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "egressc.toml",
        "sources = [\"policies\"]\ntargets = [\"native\"]\noutput = \"generated\"\n",
    );
    write(dir.path(), "policies/payments.egress", CARD_NATIVE);
    let sub = dir.path().join("policies");
    egressc().current_dir(&sub).arg("build").assert().code(0);
    assert!(
        dir.path()
            .join("generated/payments/payments-api-egress.yaml")
            .exists()
    );
    egressc()
        .current_dir(&sub)
        .args(["build", "--check", "-o"])
        .arg(dir.path().join("generated"))
        .assert()
        .code(0);
}

#[test]
fn project_file_is_checked_strictly() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "egressc.toml",
        "sources = [\"policies\"]\ntarget = [\"native\"]\n",
    );
    write(dir.path(), "policies/payments.egress", CARD_NATIVE);
    let o = egressc()
        .current_dir(dir.path())
        .arg("build")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("E0601") && e.contains("target"), "{e}");

    write(
        dir.path(),
        "egressc.toml",
        "sources = [\"policies\"]\ntargets = [\"nativ\"]\n",
    );
    let o = egressc()
        .current_dir(dir.path())
        .arg("build")
        .output()
        .unwrap();
    let e = stderr(&o);
    assert!(
        e.contains("E0601") && e.contains("unknown target `nativ`"),
        "{e}"
    );
}

#[test]
fn explain_prints_codes_and_library_names() {
    let o = egressc().args(["explain", "E0303"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("# E0303"));
    let o = egressc().args(["explain", "rds"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("rds(db: cidr | host, port: port = 5432)"));
    let o = egressc().args(["explain", "E9999"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn explain_prints_lints_by_code_and_name() {
    let by_code = egressc().args(["explain", "W0101"]).output().unwrap();
    assert_eq!(by_code.status.code(), Some(0));
    assert!(stdout(&by_code).starts_with("# W0101: egress without DNS (`no-dns`)"));
    let by_name = egressc().args(["explain", "no-dns"]).output().unwrap();
    assert_eq!(by_name.status.code(), Some(0));
    assert_eq!(stdout(&by_name), stdout(&by_code));
    let o = egressc().args(["explain", "no-dsn"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `no-dns`?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn emit_ir_prints_the_normalised_program() {
    let o = egressc()
        .args(["build", "--emit", "ir"])
        .arg(examples().join("payments.egress"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("deny 169.254.169.254/32, fd00:ec2::254/128 on any port"));
}

const EXPECTING: &str = "namespace payments
default deny
app reports -> dns, internet:443/tcp, rds(10.20.30.0/24) deny metadata
expect reports -> 10.20.30.7:5432 allow
expect reports -> 198.51.100.20:443 allow
expect reports -> metadata deny
";

#[test]
fn test_command_passes_on_true_expectations_and_writes_junit() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "p.egress", EXPECTING);
    let junit = dir.path().join("junit.xml");
    let o = egressc()
        .arg("test")
        .arg(&f)
        .arg("--junit")
        .arg(&junit)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let table = stdout(&o);
    for column in ["ir", "native", "cilium", "calico", "calico-enterprise"] {
        assert!(table.contains(column), "{table}");
    }
    assert!(table.contains("15 passed, 0 failed"), "{table}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testsuite name=\"cilium\" tests=\"3\" failures=\"0\">"),
        "{xml}"
    );
}

#[test]
fn test_command_reports_a_wrong_expectation_with_the_deciding_rule() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "p.egress",
        &format!("{EXPECTING}expect reports -> 169.254.169.254:443 allow\n"),
    );
    let o = egressc().arg("test").arg(&f).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("FAIL"), "{out}");
    assert!(
        out.contains("payments-api") || out.contains("reports-egress"),
        "{out}"
    );
    assert!(out.contains("169.254.169.254"), "{out}");
}

#[test]
fn test_command_says_when_a_target_cannot_decide() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "p.egress",
        "namespace payments\ndefault deny\napp reports -> dns, internet:443/tcp deny metadata\nexpect reports -> partner.example.com:443 allow\n",
    );
    let o = egressc()
        .args(["test", "--target", "native"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("E0403"), "{}", stderr(&o));
}

#[test]
fn trace_explains_a_denied_flow_per_target() {
    let o = egressc()
        .arg("trace")
        .arg(examples().join("ledger-native.egress"))
        .args(["--from", "ledger/ledger-api", "--to", "10.40.7.1:8081"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("DENY"), "{out}");
    assert!(out.contains("closest"), "{out}");
    assert!(out.contains("8080"), "{out}");
    for column in ["native", "cilium", "calico"] {
        assert!(out.contains(column), "{out}");
    }
}

/// Every example's expectations hold for the reference and for every target it lists (with the
/// cluster file, `examples/cluster.egress`).
#[test]
fn every_example_passes_egressc_test_on_its_targets() {
    let mut files: Vec<_> = std::fs::read_dir(examples())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "egress"))
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        if !text.contains("\nexpect ") {
            continue;
        }
        let targets = text
            .lines()
            .find_map(|l| l.strip_prefix("# targets:"))
            .unwrap()
            .replace(' ', "");
        let o = egressc()
            .args(["test", "--target", &targets])
            .args(examples_program::paths(&f))
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}: {}{}",
            f.display(),
            stdout(&o),
            stderr(&o)
        );
        let header = stdout(&o).lines().next().unwrap_or_default().to_owned();
        for t in targets.split(',') {
            assert!(
                header.contains(t),
                "{}: no column {t}: {header}",
                f.display()
            );
        }
        assert!(stdout(&o).contains(" 0 failed"), "{}", stdout(&o));
    }
}

/// A build writes each folder's files through one open folder, not one per file: 300 policies
/// for every target (1,200 files) are written with 64 files open at most.
#[test]
fn output_folder_is_written_with_few_files_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("namespace many\n");
    for i in 0..300 {
        text.push_str(&format!("app a{i} -> dns, 10.0.{}.0/24:443/tcp\n", i % 256));
    }
    let src = write(dir.path(), "many.egress", &text);
    let out = dir.path().join("out");
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 64 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_egressc"))
        .args([
            "build",
            "--target",
            "native,cilium,calico,calico-enterprise",
        ])
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.join("calico-enterprise/many/a299-egress.yaml").exists());
}

#[test]
fn reserved_statements_build_for_cilium_and_are_refused_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "reserved.egress",
        "reserved init -> any:53/udp\nnamespace default\nexpect init -> 8.8.8.8:53/udp allow\nexpect init -> 8.8.8.8:443/tcp deny\n",
    );
    let o = egressc()
        .args(["build", "--target", "cilium"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let y = stdout(&o);
    assert!(y.contains("kind: CiliumClusterwideNetworkPolicy"), "{y}");
    assert!(y.contains("\"reserved:init\": \"\""), "{y}");
    for target in ["native", "calico", "calico-enterprise"] {
        let o = egressc()
            .args(["build", "--target", target])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{target}");
        assert!(stdout(&o).is_empty(), "no partial output");
        assert!(stderr(&o).contains("error[E0549]"), "{}", stderr(&o));
        assert!(stderr(&o).contains("--target cilium"), "{}", stderr(&o));
    }
    let o = egressc().arg("test").arg(&file).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("4 passed, 0 failed"), "{}", stdout(&o));
}

const TLS: &str = "namespace shop\napp checkout -> dns, tls(10.1.2.0/24:443, name = api.example.com, name = *.cdn.example.com)\n";

#[test]
fn tls_server_names_build_on_cilium_trace_by_name_and_are_refused_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(dir.path(), "tls.egress", TLS);
    let o = egressc()
        .args(["build", "--target", "cilium"])
        .arg(&src)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let y = stdout(&o);
    assert!(
        y.contains("serverNames:\n      - api.example.com\n      - \"*.cdn.example.com\""),
        "{y}"
    );

    let trace = |to: &str| trace_on_cilium(&src, "shop/checkout", to);
    let allowed = trace("tls(10.1.2.3:443, name = img.cdn.example.com)");
    assert_eq!(allowed.matches("ALLOW").count(), 2, "{allowed}");
    let denied = trace("tls(10.1.2.3:443, name = cdn.example.com)");
    assert_eq!(denied.matches("DENY").count(), 2, "{denied}");
    assert!(denied.contains("matches no serverNames"), "{denied}");
    let plain = trace("10.1.2.3:443");
    assert_eq!(plain.matches("DENY").count(), 2, "{plain}");

    refused_but_on_cilium(&src, "E0537");
}

/// `egressc trace` of a flow from `from` to `to` on cilium: its output.
fn trace_on_cilium(src: &std::path::Path, from: &str, to: &str) -> String {
    let o = egressc()
        .args(["trace", "--from", from, "--to", to, "-t", "cilium"])
        .arg(src)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
}

/// Every target but cilium refuses `src` with `code` and a help line, writing nothing.
fn refused_but_on_cilium(src: &std::path::Path, code: &str) {
    for target in ["native", "calico", "calico-enterprise"] {
        let o = egressc()
            .args(["build", "--target", target])
            .arg(src)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{target}");
        assert!(stdout(&o).is_empty(), "no partial output");
        assert!(
            stderr(&o).contains(&format!("error[{code}]")),
            "{}",
            stderr(&o)
        );
        assert!(stderr(&o).contains("help:"));
    }
}

const MESH: &str = "set cluster-name = cluster1\nnamespace default\napp x-wing -> dns, pods(default, cluster = cluster2){name=rebel-base}:80\n";

#[test]
fn pods_of_another_cluster_build_on_cilium_trace_by_cluster_and_are_refused_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(dir.path(), "mesh.egress", MESH);
    let o = egressc()
        .args(["build", "--target", "cilium"])
        .arg(&src)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let y = stdout(&o);
    assert!(
        y.contains("\"k8s:io.cilium.k8s.policy.cluster\": cluster2\n        name: rebel-base"),
        "{y}"
    );
    assert!(
        y.contains("app: x-wing\n      \"k8s:io.cilium.k8s.policy.cluster\": cluster1"),
        "{y}"
    );

    let trace = |to: &str| trace_on_cilium(&src, "default/x-wing", to);
    let remote = trace("pods(default, cluster = cluster2){name=rebel-base}:80");
    assert_eq!(remote.matches("ALLOW").count(), 2, "{remote}");
    let local = trace("pods(default){name=rebel-base}:80");
    assert_eq!(local.matches("DENY").count(), 2, "{local}");
    let other = trace("pods(default, cluster = cluster3){name=rebel-base}:80");
    assert_eq!(other.matches("DENY").count(), 2, "{other}");

    refused_but_on_cilium(&src, "E0538");

    // Another cluster needs the program's own.
    let bare = write(
        dir.path(),
        "bare.egress",
        &MESH.replace("set cluster-name = cluster1\n", ""),
    );
    let o = egressc()
        .args(["build", "--target", "cilium"])
        .arg(&bare)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty(), "no partial output");
    assert!(stderr(&o).contains("error[E0381]"), "{}", stderr(&o));
}

const DNS_NAMES: &str = "namespace shop\napp checkout -> dns(name = api.example.com, name = *.cdn.example.com), api.example.com:443\n";

#[test]
fn dns_name_lists_build_on_cilium_trace_lookups_and_are_refused_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(dir.path(), "dns.egress", DNS_NAMES);
    let o = egressc()
        .args(["build", "--target", "cilium"])
        .arg(&src)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let y = stdout(&o);
    assert!(
        y.contains("dns:\n        - matchPattern: \"*.cdn.example.com\"\n        - matchName: api.example.com"),
        "{y}"
    );

    let trace = |to: &str| trace_on_cilium(&src, "shop/checkout", to);
    // One flow per DNS port (UDP and TCP), each decided by the IR and by cilium.
    let allowed = trace("dns(name = img.cdn.example.com)");
    assert_eq!(allowed.matches("ALLOW").count(), 4, "{allowed}");
    let denied = trace("dns(name = exfiltrate.evil.example)");
    assert_eq!(denied.matches("DENY").count(), 4, "{denied}");
    assert!(denied.contains("the DNS proxy refuses"), "{denied}");
    let plain = trace("kube-dns:53/udp");
    assert_eq!(plain.matches("ALLOW").count(), 2, "{plain}");

    refused_but_on_cilium(&src, "E0539");
}
