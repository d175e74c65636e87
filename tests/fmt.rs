//! `egressc fmt`: formatting keeps the meaning and is a fixed point, on every fixture, example
//! and the standard library, and on random programs written in random layouts; the canonical
//! layout of a messy file (snapshot); and the command line (in place, `--check` with a diff,
//! folders, standard input, files it refuses).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail by panicking"
)]

use std::path::Path;

use egressc::source::FileId;
use egressc::{Input, analyse};
use proptest::prelude::*;

#[path = "common/bin.rs"]
mod bin;
#[path = "common/files.rs"]
mod files;
#[path = "common/programs.rs"]
mod programs;

use bin::{egressc, stderr, stdout, write};
use programs::{ALLOWS, DENIES, DNS_SERVERS, program_with_dns};

/// What a program means, as far as formatting may not change it: the IR and the codes and
/// messages of its diagnostics.
fn meaning(text: &str) -> (Option<String>, Vec<String>) {
    let a = analyse(&[Input::new("program.egress", text)]);
    let diags = a
        .diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code.as_str(), d.message))
        .collect();
    (a.ir.as_ref().map(egressc::ir::dump::dump), diags)
}

/// Formats `text`, holds the result to the same meaning and to being a fixed point, and returns
/// it, or the codes it was refused with.
fn holds(name: &str, text: &str) -> Result<String, Vec<&'static str>> {
    let once = egressc::fmt::format(FileId(0), text)
        .map_err(|d| d.iter().map(|d| d.code.as_str()).collect::<Vec<_>>())?;
    let twice = egressc::fmt::format(FileId(0), &once).unwrap();
    assert_eq!(once, twice, "{name}: formatting twice changed the text");
    assert_eq!(
        meaning(text),
        meaning(&once),
        "{name}: formatting changed the meaning\n{once}"
    );
    Ok(once)
}

#[test]
fn every_fixture_example_and_the_stdlib_keep_their_meaning() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut formatted = 0;
    let mut files = Vec::new();
    for dir in [
        "tests/fixtures",
        "examples",
        "stdlib",
        "tests/lints",
        "tests/reach",
    ] {
        if root.join(dir).is_dir() {
            files.extend(files::below(&root.join(dir), "egress"));
        }
    }
    assert!(files.len() > 50, "{} files", files.len());
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        match holds(&f.display().to_string(), &text) {
            Ok(_) => formatted += 1,
            // Only a file that does not parse is refused, never with E0901.
            Err(codes) => assert!(
                codes.iter().all(|c| c.starts_with("E01")),
                "{}: refused with {codes:?}",
                f.display()
            ),
        }
    }
    eprintln!("{formatted} of {} files formatted", files.len());
    assert!(formatted * 10 > files.len() * 8);
}

#[test]
fn examples_are_formatted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for f in files::below(&root.join("examples"), "egress") {
        let text = std::fs::read_to_string(&f).unwrap();
        assert_eq!(
            holds(&f.display().to_string(), &text).as_deref(),
            Ok(text.as_str()),
            "{} is not formatted",
            f.display()
        );
    }
}

const MESSY: &str = "\
# a file written in a hurry


namespace   payments
default   deny
## the database
def rds( db : cidr|host , port:port=5432 )=db:port/tcp
app payments-api->dns,rds( 10.20.30.0/24 ), fqdn(api.stripe.com:443)   # stripe
   deny metadata ,10.1.0.0/16:22
pods batch {tier = batch,env in (prod,staging),!legacy}->  dns,
        10.50.0.0/24:443 , 10.51.0.0/24:icmp(8,0)


@allow(wide-private-cidr,\"the VPC peering range is reviewed quarterly\")
app ledger -> dns, 10.0.0.0/8:443 # peering
app reporting -> dns, rds(10.20.30.0/24:5432), 10.60.0.0/24:443, 10.61.0.0/24:443, 10.62.0.0/24:443, 10.63.0.0/24:443, fqdn(reports.example.com:443)
app worker ->
  # its queue
  dns, 10.70.0.0/24:5672
cluster   guard deny metadata
expect payments-api->10.20.30.7:5432/tcp allow
";

#[test]
fn a_messy_file_is_laid_out_canonically() {
    let formatted = holds("messy", MESSY).unwrap();
    insta::assert_snapshot!(formatted);
}

/// Separators a person might write between the items of a list, and around `->`.
const COMMAS: &[&str] = &[",", ", ", " ,  ", ",\n    ", ",\n", ", # why\n  "];
const ARROWS: &[&str] = &["->", " -> ", "  ->  ", " ->\n   ", " -> # a comment\n  "];
const ENDS: &[&str] = &["\n", "\n\n", "  # trailing\n", "\n\n\n# own line\n"];

/// A random program in a random layout: the fragments of `tests/common/programs.rs`, joined by
/// random separators.
fn messy_program(apps: &[(Vec<usize>, Vec<usize>)], layout: &[usize]) -> String {
    let pick =
        |list: &'static [&'static str], i: usize| list[layout[i % layout.len()] % list.len()];
    let mut s = String::from("namespace payments\ndefault deny\n");
    let mut n = 0;
    for (i, (allow, deny)) in apps.iter().enumerate() {
        s.push_str(&format!("app app-{i}{}", pick(ARROWS, n)));
        n += 1;
        for (j, a) in allow.iter().enumerate() {
            if j > 0 {
                s.push_str(pick(COMMAS, n));
                n += 1;
            }
            s.push_str(ALLOWS[a % ALLOWS.len()]);
        }
        if !deny.is_empty() {
            s.push_str(if layout[n % layout.len()].is_multiple_of(2) {
                " deny "
            } else {
                "\n  deny "
            });
            for (j, d) in deny.iter().enumerate() {
                if j > 0 {
                    s.push_str(pick(COMMAS, n));
                    n += 1;
                }
                s.push_str(DENIES[d % DENIES.len()]);
            }
        }
        s.push_str(pick(ENDS, n));
        n += 1;
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_programs_keep_their_meaning(
        apps in proptest::collection::vec(
            (
                proptest::collection::vec(0..ALLOWS.len(), 1..8),
                proptest::collection::vec(0..DENIES.len(), 0..3),
            ),
            1..5,
        ),
        layout in proptest::collection::vec(0usize..100, 1..40),
    ) {
        let source = messy_program(&apps, &layout);
        prop_assert!(meaning(&source).0.is_some(), "does not check:\n{source}");
        // Refused by nothing, E0901 included.
        prop_assert_eq!(holds("random", &source).err(), None);
    }

    #[test]
    fn random_programs_of_the_equivalence_tests_keep_their_meaning(
        dns_server in proptest::option::of(0..DNS_SERVERS.len()),
        apps in proptest::collection::vec(
            (
                proptest::collection::vec(0..ALLOWS.len(), 1..5),
                proptest::collection::vec(0..DENIES.len(), 0..3),
                any::<bool>(),
            ),
            1..4,
        ),
        flags in any::<(bool, bool, bool)>(),
    ) {
        let (default_deny, guardrail, keyword_namespace) = flags;
        let source = program_with_dns(dns_server, apps, default_deny, guardrail, keyword_namespace);
        prop_assert_eq!(holds("random", &source).err(), None, "E0901 or a syntax error");
    }
}

const UNFORMATTED: &str = "namespace payments\napp api->dns\n";
const FORMATTED: &str = "namespace payments\napp api -> dns\n";

#[test]
fn fmt_rewrites_files_and_folders_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "policies/a.egress", UNFORMATTED);
    let b = write(dir.path(), "policies/team/b.egress", FORMATTED);
    let o = egressc()
        .current_dir(dir.path())
        .args(["fmt", "policies"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&a).unwrap(), FORMATTED);
    assert_eq!(std::fs::read_to_string(&b).unwrap(), FORMATTED);
    assert!(
        stderr(&o).contains("formatted 1 file, 1 already formatted"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stdout(&o), "");
}

#[test]
fn fmt_check_prints_a_diff_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.egress", UNFORMATTED);
    let o = egressc()
        .current_dir(dir.path())
        .args(["fmt", "--check", "a.egress"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&a).unwrap(), UNFORMATTED);
    let diff = stdout(&o);
    assert!(diff.contains("--- a.egress (as it is)"), "{diff}");
    assert!(diff.contains("-app api->dns\n+app api -> dns\n"), "{diff}");
    assert!(
        stderr(&o).contains("1 file not formatted (a.egress)"),
        "{}",
        stderr(&o)
    );
    std::fs::write(&a, FORMATTED).unwrap();
    let o = egressc()
        .current_dir(dir.path())
        .args(["fmt", "--check", "a.egress"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "");
}

#[test]
fn fmt_formats_standard_input_to_stdout() {
    let o = egressc()
        .args(["fmt", "-"])
        .write_stdin(UNFORMATTED)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), FORMATTED);
    let o = egressc()
        .args(["fmt", "--check", "-"])
        .write_stdin(UNFORMATTED)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("+app api -> dns"));
}

#[test]
fn fmt_leaves_a_file_that_does_not_parse_and_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.egress",
        "namespace payments\napp api -> ,\n",
    );
    let good = write(dir.path(), "good.egress", UNFORMATTED);
    let o = egressc()
        .current_dir(dir.path())
        .args([
            "fmt",
            "bad.egress",
            "good.egress",
            "--error-format",
            "short",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("bad.egress:2:"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&bad).unwrap(),
        "namespace payments\napp api -> ,\n"
    );
    assert_eq!(std::fs::read_to_string(&good).unwrap(), FORMATTED);
}

#[test]
fn fmt_never_writes_through_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let real = write(dir.path(), "elsewhere/real.egress", UNFORMATTED);
    std::fs::create_dir_all(dir.path().join("policies")).unwrap();
    std::os::unix::fs::symlink(&real, dir.path().join("policies/link.egress")).unwrap();
    let o = egressc()
        .current_dir(dir.path())
        .args(["fmt", "policies/link.egress"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("E0904"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&real).unwrap(), UNFORMATTED);
}

#[test]
fn fmt_without_paths_formats_the_project() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "egressc.toml", "sources = [\"policies\"]\n");
    let a = write(dir.path(), "policies/a.egress", UNFORMATTED);
    let o = egressc()
        .current_dir(dir.path().join("policies"))
        .args(["fmt", "--check"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("--- policies/a.egress"),
        "{}",
        stdout(&o)
    );
    let o = egressc()
        .current_dir(dir.path())
        .arg("fmt")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&a).unwrap(), FORMATTED);
}
