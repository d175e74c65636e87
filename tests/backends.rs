//! The cilium, calico and calico-enterprise backends on every example and on a program that
//! uses every feature: each build either succeeds or fails only with the capability codes its
//! target documents (docs/targets.md), output is deterministic, and (when
//! `../shared/conformance/validate` exists, as in CI) every document is valid for the upstream
//! schemas. A user's machine has no `../shared`: validation is then skipped with a note.

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail by panicking, helpers included"
)]

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use egressc::backend::Target;
use egressc::{Input, compile};

#[path = "common/examples.rs"]
mod examples;

const NEW_TARGETS: [Target; 3] = [Target::Cilium, Target::Calico, Target::CalicoEnterprise];

/// The codes each target may refuse a valid program with.
fn capability_codes(t: Target) -> &'static [&'static str] {
    match t {
        Target::Native => &[
            "E0501", "E0502", "E0503", "E0504", "E0522", "E0523", "E0524", "E0536", "E0537",
            "E0538", "E0539", "E0549",
        ],
        Target::Cilium => &["E0503", "E0505", "E0508", "E0524"],
        Target::Calico => &[
            "E0501", "E0503", "E0522", "E0523", "E0536", "E0549", "E0537", "E0538", "E0539",
        ],
        Target::CalicoEnterprise => &[
            "E0503", "E0506", "E0522", "E0523", "E0536", "E0549", "E0537", "E0538", "E0539",
        ],
    }
}

/// A program with every construct the backends handle.
const EVERYTHING: &str = "\
namespace payments
default deny
app payments-api -> dns, rds(10.20.30.0/24:5432), https(api.stripe.com),
                    https(**.s3.amazonaws.com), pods(ledger){app=ledger}:8443,
                    pods(*){app=otel-collector}:4317, pods{app=cache}:6379,
                    10.0.0.0/8:8000-8100/udp, 10.1.0.0/16:10-50/sctp, fd00:10::/32:443,
                    pods(kube-system){k8s-app=kube-dns}:9153
                    deny metadata, pods{app=admin}, 10.9.0.0/16:22
pods nightly {tier=batch, env in (prod, staging), !legacy, owner notin (x)} ->
    strict-dns, internet:443/tcp deny metadata

namespace ledger
default deny
app ledger -> dns, pods(*){}:9090, internet deny metadata

cluster no-metadata deny metadata
cluster no-smtp deny internet:25/tcp, pods(*){app=mail-relay}
";

fn validator() -> Option<PathBuf> {
    let v = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/validate");
    v.exists().then_some(v)
}

/// The validator's error findings for `yaml`, as `path: message` lines. For calico-enterprise,
/// `destination.domains` is expected to be unknown to the Calico Open Source schema and is left
/// out; nothing else is.
fn findings(validator: &Path, yaml: &str, target: Target) -> Vec<String> {
    let mut child = Command::new(validator)
        .args(["--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the validator runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(yaml.as_bytes())
        .expect("the validator reads its input");
    let out = child.wait_with_output().expect("the validator finishes");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "validator output is not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let documents = report["documents"].as_u64().unwrap_or(0);
    let expected = yaml.matches("\napiVersion: ").count() as u64;
    let mut problems = Vec::new();
    if documents != expected {
        problems.push(format!(
            "validator saw {documents} documents, the output has {expected}"
        ));
    }
    for f in report["findings"].as_array().into_iter().flatten() {
        if f["level"] != "error" {
            continue;
        }
        let path = f["path"].as_str().unwrap_or("");
        let message = f["message"].as_str().unwrap_or("");
        let enterprise_only = target == Target::CalicoEnterprise
            && path.ends_with(".destination.domains")
            && message.starts_with("unknown field 'domains'");
        if !enterprise_only {
            problems.push(format!("{} {path}: {message}", f["object"]));
        }
    }
    problems
}

fn codes(c: &egressc::Compilation) -> BTreeSet<String> {
    c.analysis
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code.as_str().to_owned())
        .collect()
}

/// Compiles `source` for `target`: `Ok(yaml)`, or `Err` with the error codes, after checking
/// that they are capability codes of that target.
fn build(name: &str, source: &[u8], target: Target, failures: &mut Vec<String>) -> Option<String> {
    build_with(name, &[Input::new(name, source)], target, failures)
}

/// [`build`] for a program of several files (an example with the cluster file).
fn build_with(
    name: &str,
    inputs: &[Input],
    target: Target,
    failures: &mut Vec<String>,
) -> Option<String> {
    let c = compile(inputs, &[target]);
    if c.has_errors() {
        let got = codes(&c);
        let allowed: BTreeSet<String> = capability_codes(target)
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        if !got.is_subset(&allowed) {
            failures.push(format!(
                "{name} for {target}: refused with {got:?}, but {target} documents only {allowed:?}"
            ));
        }
        return None;
    }
    let yaml: String = c.outputs.iter().map(|o| o.stream()).collect();
    let again = compile(inputs, &[target]);
    let yaml_again: String = again.outputs.iter().map(|o| o.stream()).collect();
    if yaml != yaml_again {
        failures.push(format!(
            "{name} for {target}: output differs between two builds"
        ));
    }
    Some(yaml)
}

/// Each example at the top of `examples/`, with the files it is compiled with (the cluster
/// file first).
fn examples() -> Vec<(String, Vec<u8>, Vec<Input>)> {
    let dir = examples::root();
    let mut files: Vec<(String, Vec<u8>, Vec<Input>)> = std::fs::read_dir(&dir)
        .expect("examples/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "egress"))
        .map(|p| {
            let name = format!("examples/{}", p.file_name().unwrap_or_default().display());
            let source = std::fs::read(&p).expect("example is readable");
            (name, source, examples::inputs(&p))
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

/// The targets an example's `# targets:` header lists, if it has one.
fn listed(source: &[u8]) -> Option<Vec<Target>> {
    let text = String::from_utf8_lossy(source);
    let line = text.lines().find_map(|l| l.strip_prefix("# targets:"))?;
    Some(
        line.split(',')
            .filter_map(|t| Target::parse(t.trim()))
            .collect(),
    )
}

#[test]
fn every_example_builds_or_is_refused_with_capability_codes_and_validates() {
    let validator = validator();
    if validator.is_none() {
        eprintln!("note: ../shared/conformance/validate not found; schema validation skipped");
    }
    let mut failures = Vec::new();
    let mut validated = 0;
    for (name, source, inputs) in examples() {
        for t in NEW_TARGETS {
            let yaml = build_with(&name, &inputs, t, &mut failures);
            if let Some(targets) = listed(&source)
                && targets.contains(&t) != yaml.is_some()
            {
                failures.push(format!(
                    "{name}: its `# targets:` line {} {t}, but {t} {}",
                    if targets.contains(&t) {
                        "lists"
                    } else {
                        "does not list"
                    },
                    if yaml.is_some() {
                        "compiles it"
                    } else {
                        "refuses it"
                    }
                ));
            }
            if let (Some(yaml), Some(v)) = (yaml, &validator) {
                for p in findings(v, &yaml, t) {
                    failures.push(format!("{name} for {t}: {p}"));
                }
                validated += 1;
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    if validator.is_some() {
        assert!(validated > 0, "no example built for any new target");
    }
}

#[test]
fn every_feature_validates_on_every_new_target() {
    let validator = validator();
    let mut failures = Vec::new();
    // Calico Open Source refuses the host names; without them the program must build. Both
    // Calico editions refuse the name list of `strict-dns`.
    let plain_dns = EVERYTHING.replace("strict-dns", "dns");
    let without_hosts = plain_dns
        .replace("https(api.stripe.com),\n", "\n")
        .replace("https(**.s3.amazonaws.com), ", "");
    for (t, source) in [
        (Target::Cilium, EVERYTHING.to_owned()),
        (Target::CalicoEnterprise, plain_dns),
        (Target::Calico, without_hosts),
    ] {
        let Some(yaml) = build("everything.egress", source.as_bytes(), t, &mut failures) else {
            failures.push(format!("everything.egress must build for {t}"));
            continue;
        };
        match &validator {
            Some(v) => failures.extend(
                findings(v, &yaml, t)
                    .into_iter()
                    .map(|p| format!("everything.egress for {t}: {p}")),
            ),
            None => eprintln!("note: ../shared/conformance/validate not found; {t} not validated"),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn refusals_name_the_targets_that_can() {
    let cases: [(&str, Target, &str, &[&str]); 11] = [
        (
            "namespace p\napp a -> dns, pods(ns{team=x}){app=y}\n",
            Target::Cilium,
            "E0508",
            &["--target native", "--target calico"],
        ),
        (
            "namespace p\napp a -> dns, any:443 deny 10.0.0.0/8\n",
            Target::Native,
            "E0502",
            &["--target cilium", "--target calico"],
        ),
        (
            "namespace p\napp a -> https(api.stripe.com)\n",
            Target::Cilium,
            "E0505",
            &["dns"],
        ),
        (
            "namespace p\napp a -> dns, https(api.stripe.com)\n",
            Target::Calico,
            "E0501",
            &["calico-enterprise", "cilium"],
        ),
        (
            "namespace p\napp a -> dns, https(*.example.com)\n",
            Target::CalicoEnterprise,
            "E0506",
            &["**.example.com", "cilium"],
        ),
        (
            "namespace p\napp a -> dns, internet:443 deny fqdn(evil.example.com)\n",
            Target::Cilium,
            "E0503",
            &["address range"],
        ),
        (
            "namespace p\napp a -> dns, service(ledger/api)\n",
            Target::Native,
            "E0524",
            &["pods(ledger)", "--target calico"],
        ),
        (
            "namespace p\napp a -> dns, service(ledger/api)\n",
            Target::Cilium,
            "E0524",
            &["pods(ledger)", "--target calico"],
        ),
        (
            "namespace p\napp a -> dns, nodes:10250\n",
            Target::Calico,
            "E0522",
            &["set node-cidrs", "--target cilium"],
        ),
        (
            "namespace p\napp a -> dns, kube-apiserver:6443\n",
            Target::Native,
            "E0522",
            &["set apiserver", "--target cilium"],
        ),
        (
            "set node-cidrs = 10.0.0.0/16\nnamespace p\napp a -> dns, this-node:10250\n",
            Target::Native,
            "E0523",
            &["nodes", "--target cilium"],
        ),
    ];
    for (source, target, code, words) in cases {
        let c = compile(&[Input::new("t.egress", source)], &[target]);
        assert!(c.outputs.is_empty(), "{source}: a refusal emits nothing");
        let d = c
            .analysis
            .diagnostics
            .iter()
            .find(|d| d.code.as_str() == code)
            .unwrap_or_else(|| panic!("{source}: expected {code} on {target}"));
        let help = d.help.clone().unwrap_or_default();
        for w in words {
            assert!(
                help.contains(w),
                "{code}: help `{help}` should mention `{w}`"
            );
        }
    }
}
