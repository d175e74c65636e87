//! Compile-time benchmark: N generated apps (each with DNS, a database subnet, a pod peer, an
//! internet allowance with metadata denied, and a user definition) compiled for every target.
//!
//! `cargo bench --bench compile` runs N = 1,000 and 10,000 (each in a fresh child process so
//! that peak memory is per run) and prints wall time, peak resident memory and the growth
//! factor. `cargo bench --bench compile -- 50000` runs other sizes.

#![expect(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "benchmark harness: a failed setup aborts the run"
)]

use std::process::Command;
use std::time::Instant;

use egressc::backend::Target;
use egressc::{Input, compile};

fn program(n: usize) -> String {
    let mut s = String::from(
        "## A shared internal API.\ndef internal-api(net: cidr, port: port = 8443) = net:port/tcp\n\n",
    );
    let namespaces = (n / 100).max(1);
    for ns in 0..namespaces {
        s.push_str(&format!("namespace team-{ns}\ndefault deny\n"));
        for i in (ns * 100)..((ns + 1) * 100).min(n) {
            let a = (i / 256) % 256;
            let b = i % 256;
            s.push_str(&format!(
                "app svc-{i} -> dns, rds(10.{a}.{b}.0/24:5432), pods{{app=svc-{}}}:8080, internal-api(10.200.{b}.0/24),\n    internet:443/tcp deny metadata\n",
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

/// Runs one size in this process and prints `n seconds peak_kib bytes_out`.
fn child(n: usize, targets: &[Target]) {
    let src = program(n);
    let start = Instant::now();
    let c = compile(&[Input::new("bench.egress", src.into_bytes())], targets);
    let elapsed = start.elapsed().as_secs_f64();
    assert!(!c.has_errors(), "generated program must compile");
    let bytes: usize = c.outputs.iter().map(|o| o.stream().len()).sum();
    println!("{n} {elapsed:.4} {} {bytes}", peak_rss_kib().unwrap_or(0));
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if let Some(pos) = args.iter().position(|a| a == "--child") {
        let n: usize = args[pos + 1].parse().expect("size");
        let targets: Vec<Target> = args[pos + 2]
            .split(',')
            .map(|t| Target::parse(t).expect("target"))
            .collect();
        child(n, &targets);
        return;
    }
    let sizes: Vec<usize> = {
        let s: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
        if s.is_empty() { vec![1_000, 10_000] } else { s }
    };
    let exe = std::env::current_exe().expect("bench binary path");
    for t in Target::ALL {
        let mut previous: Option<f64> = None;
        for n in &sizes {
            let out = Command::new(&exe)
                .args(["--child", &n.to_string(), t.name()])
                .output()
                .expect("run child");
            let line = String::from_utf8_lossy(&out.stdout);
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() != 4 {
                println!(
                    "{t} n={n}: failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                continue;
            }
            let secs: f64 = f[1].parse().unwrap_or(0.0);
            let growth = previous
                .map(|p| format!(", x{:.1} time vs previous size", secs / p))
                .unwrap_or_default();
            println!(
                "{t:<18} n={n:>6}: {:>8.1} ms, peak RSS {:>7.1} MiB, {:>6.1} MiB YAML{growth}",
                secs * 1000.0,
                f[2].parse::<f64>().unwrap_or(0.0) / 1024.0,
                f[3].parse::<f64>().unwrap_or(0.0) / (1024.0 * 1024.0)
            );
            previous = Some(secs);
        }
    }
}
