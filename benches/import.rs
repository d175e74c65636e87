//! Import benchmark: N generated policies (each app with DNS, a database subnet, a pod peer and
//! HTTPS to every address but the metadata endpoint, in namespaces of 100 with a default deny),
//! built for a product with `egressc build` and imported back with `egressc import`, the
//! self-check included (it builds the imported program and decides every flow on both sides).
//!
//! `cargo bench --bench import` runs N = 1,000 and 10,000 for native, Cilium and Calico, each in
//! a fresh child process, and prints the wall time of reading, mapping and laying out the
//! program (`import::draft`), of the self-check (`Draft::check`), their peak resident memory and
//! the input's size. `cargo bench --bench import -- 50000` runs other sizes.

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

/// Builds the YAML, imports it in this process and prints
/// `n draft_seconds check_seconds peak_kib bytes_in`.
fn child(n: usize, target: Target) {
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
    let imported = draft.check();
    let checked = start.elapsed().as_secs_f64() - drafted;
    assert!(imported.exact(), "the round trip must be exact");
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
        child(n, Target::parse(&args[pos + 2]).expect("target"));
        return;
    }
    let sizes: Vec<usize> = {
        let s: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
        if s.is_empty() { vec![1_000, 10_000] } else { s }
    };
    let exe = std::env::current_exe().expect("bench binary path");
    for t in [Target::Native, Target::Cilium, Target::Calico] {
        for n in &sizes {
            let out = Command::new(&exe)
                .args(["--child", &n.to_string(), t.name()])
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
            println!(
                "{t:<8} n={n:>6} policies: read, map, lay out {:>8.1} ms; self-check {:>9.1} ms; peak RSS {:>7.1} MiB; {:>6.1} MiB YAML in",
                ms(1),
                ms(2),
                f[3].parse::<f64>().unwrap_or(0.0) / 1024.0,
                f[4].parse::<f64>().unwrap_or(0.0) / (1024.0 * 1024.0)
            );
        }
    }
}
