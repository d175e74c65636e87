//! Import benchmark: N generated policies (each app with DNS, a database subnet, a pod peer and
//! HTTPS to every address but the metadata endpoint, in namespaces of 100 with a default deny),
//! built for a product with `egressc build` and imported back with `egressc import`, the
//! self-check included (it builds the imported program and decides every flow on both sides).
//!
//! `cargo bench --bench import` runs N = 1,000 and 10,000 for native, Cilium and Calico, each in
//! a fresh child process, and prints the wall time of reading, mapping and laying out the
//! program (`import::draft`), of the self-check (`Draft::check`, for N up to
//! `--check-up-to`, 1,000 unless given: it decides every flow twice and grows with N), their
//! peak resident memory and the input's size. `cargo bench --bench import -- 50000
//! --check-up-to 50000` runs other sizes.

#![expect(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "benchmark harness: a failed setup aborts the run"
)]

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Instant;

use egressc::backend::Target;
use egressc::{Input, compile, import};

/// The program whose YAML is imported (as in `benches/compile.rs`, without a user definition).
fn program(n: usize) -> String {
    let mut s = String::new();
    let namespaces = (n / 100).max(1);
    for ns in 0..namespaces {
        s.push_str(&format!("namespace team-{ns}\ndefault deny\n"));
        for i in (ns * 100)..((ns + 1) * 100).min(n) {
            let a = (i / 256) % 256;
            let b = i % 256;
            s.push_str(&format!(
                "app svc-{i} -> dns, rds(10.{a}.{b}.0/24:5432), pods{{app=svc-{}}}:8080,\n    internet:443/tcp deny metadata\n",
                (i + 1) % n.max(1)
            ));
        }
    }
    s
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Builds the YAML, imports it in this process (checking it when `check`) and prints
/// `n draft_seconds check_seconds peak_kib bytes_in` (check_seconds -1 when not checked).
fn child(n: usize, target: Target, check: bool) {
    let built = compile(&[Input::new("bench.egress", program(n))], &[target]);
    assert!(!built.has_errors(), "generated program must compile");
    // One file per namespace, as `kubectl get -n NS -o yaml` would give (and each under the
    // limit of one input).
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    for d in &built.outputs[0].documents {
        let file = files
            .entry(d.namespace.clone().unwrap_or_else(|| "cluster".into()))
            .or_default();
        file.push_str("---\n");
        file.push_str(&d.text);
    }
    let bytes: usize = files.values().map(String::len).sum();
    let inputs: Vec<Input> = files
        .into_iter()
        .map(|(ns, text)| Input::new(format!("{ns}.yaml"), text))
        .collect();
    let start = Instant::now();
    let draft = import::draft(&inputs);
    let drafted = start.elapsed().as_secs_f64();
    let checked = if check {
        let imported = draft.check();
        assert!(imported.exact(), "the round trip must be exact");
        start.elapsed().as_secs_f64() - drafted
    } else {
        -1.0
    };
    println!(
        "{n} {drafted:.4} {checked:.4} {} {bytes}",
        peak_rss_kib().unwrap_or(0)
    );
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if let Some(pos) = args.iter().position(|a| a == "--child") {
        let n: usize = args[pos + 1].parse().expect("size");
        child(
            n,
            Target::parse(&args[pos + 2]).expect("target"),
            args[pos + 3] == "check",
        );
        return;
    }
    let check_up_to: usize = args
        .iter()
        .position(|a| a == "--check-up-to")
        .map_or(1_000, |pos| args[pos + 1].parse().expect("--check-up-to N"));
    let sizes: Vec<usize> = {
        let s: Vec<usize> = args
            .iter()
            .enumerate()
            .filter(|(i, _)| *i == 0 || args[i - 1] != "--check-up-to")
            .filter_map(|(_, a)| a.parse().ok())
            .collect();
        if s.is_empty() { vec![1_000, 10_000] } else { s }
    };
    let exe = std::env::current_exe().expect("bench binary path");
    for t in [Target::Native, Target::Cilium, Target::Calico] {
        for n in &sizes {
            let check = if *n <= check_up_to { "check" } else { "draft" };
            let out = Command::new(&exe)
                .args(["--child", &n.to_string(), t.name(), check])
                .output()
                .expect("run child");
            let line = String::from_utf8_lossy(&out.stdout);
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() != 5 {
                println!(
                    "{t} n={n}: failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                continue;
            }
            let ms = |i: usize| f[i].parse::<f64>().unwrap_or(0.0) * 1000.0;
            let check = if ms(2) < 0.0 {
                "not run".to_owned()
            } else {
                format!("{:.1} ms", ms(2))
            };
            println!(
                "{t:<8} n={n:>6} policies: read, map, lay out {:>8.1} ms; self-check {check:>11}; peak RSS {:>7.1} MiB; {:>6.1} MiB YAML in",
                ms(1),
                f[3].parse::<f64>().unwrap_or(0.0) / 1024.0,
                f[4].parse::<f64>().unwrap_or(0.0) / (1024.0 * 1024.0)
            );
        }
    }
}
