//! Import benchmark: N generated policies (each app with DNS, a database subnet, a pod peer and
//! HTTPS to every address but the metadata endpoint, in namespaces of 100 with a default deny),
//! built for a product with `egressc build` and imported back with `egressc import`, the
//! self-check included (it builds the imported program and decides every flow on both sides).
//!
//! `cargo bench --bench import` runs N = 1,000 and 10,000 for native, Cilium and Calico, each in
//! a fresh child process, and prints the time of reading, mapping and laying out the program
//! (`import::draft`) and of the self-check (`Draft::check`, for N up to `--check-up-to`, every
//! size unless given), their peak resident memory and the input's size. Each time is given
//! twice: the CPU time the process spent (user and system, from `/proc/self/schedstat`), which
//! holds on a machine shared with other work, and the wall time, which other work stretches.
//! `cargo bench --bench import -- 50000` runs other sizes; `-- --inputs DIR` keeps the inputs in
//! `DIR/TARGET-N/` (for a profiler: `import-HASH --child N DIR/TARGET-N check` imports them).

#![expect(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "benchmark harness: a failed setup aborts the run"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
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

/// The CPU time (user and system) this process has run for, in seconds: the first field of
/// `/proc/self/schedstat`, in nanoseconds.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(f64::NAN, |ns| ns as f64 / 1e9)
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// The YAML of `program(n)` built for `target`, one file per namespace, as `kubectl get -n NS
/// -o yaml` would give (and each under the limit of one input), written into `dir`.
fn write_inputs(n: usize, target: Target, dir: &Path) -> usize {
    let built = compile(&[Input::new("bench.egress", program(n))], &[target]);
    assert!(!built.has_errors(), "generated program must compile");
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    for d in &built.outputs[0].documents {
        let file = files
            .entry(d.namespace.clone().unwrap_or_else(|| "cluster".into()))
            .or_default();
        file.push_str("---\n");
        file.push_str(&d.text);
    }
    for (ns, text) in &files {
        std::fs::write(dir.join(format!("{ns}.yaml")), text).expect("write input");
    }
    files.values().map(String::len).sum()
}

/// Imports the files of `dir` in this process (checking the result when `check`) and prints
/// `n draft_wall draft_cpu check_wall check_cpu peak_kib` (seconds; the check's -1 when not
/// checked). The YAML is built by the parent, so that the peak memory is the import's.
fn child(n: usize, dir: &Path, check: bool) {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("input folder")
        .map(|e| e.expect("input file").path())
        .collect();
    paths.sort();
    let inputs: Vec<Input> = paths
        .iter()
        .map(|p| {
            let name = p.file_name().expect("file name").to_string_lossy();
            Input::new(name, std::fs::read_to_string(p).expect("read input"))
        })
        .collect();
    let (start, cpu) = (Instant::now(), cpu_seconds());
    let draft = import::draft(&inputs);
    let (drafted, drafted_cpu) = (start.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    let (checked, checked_cpu) = if check {
        let imported = draft.check();
        assert!(imported.exact(), "the round trip must be exact");
        (
            start.elapsed().as_secs_f64() - drafted,
            cpu_seconds() - cpu - drafted_cpu,
        )
    } else {
        (-1.0, -1.0)
    };
    println!(
        "{n} {drafted:.4} {drafted_cpu:.4} {checked:.4} {checked_cpu:.4} {}",
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
        child(n, Path::new(&args[pos + 2]), args[pos + 3] == "check");
        return;
    }
    let check_up_to: usize = args
        .iter()
        .position(|a| a == "--check-up-to")
        .map_or(usize::MAX, |pos| {
            args[pos + 1].parse().expect("--check-up-to N")
        });
    let keep = args
        .iter()
        .position(|a| a == "--inputs")
        .map(|pos| PathBuf::from(&args[pos + 1]));
    let sizes: Vec<usize> = {
        let s: Vec<usize> = args
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                *i == 0 || !["--check-up-to", "--inputs"].contains(&args[i - 1].as_str())
            })
            .filter_map(|(_, a)| a.parse().ok())
            .collect();
        if s.is_empty() { vec![1_000, 10_000] } else { s }
    };
    let exe = std::env::current_exe().expect("bench binary path");
    println!(
        "CPU time is user + system of the importing process; wall time includes waiting for a shared CPU"
    );
    for t in [Target::Native, Target::Cilium, Target::Calico] {
        for n in &sizes {
            let check = if *n <= check_up_to { "check" } else { "draft" };
            let temporary = tempfile::tempdir().expect("temporary folder");
            let dir = match &keep {
                Some(keep) => keep.join(format!("{t}-{n}")),
                None => temporary.path().to_path_buf(),
            };
            std::fs::create_dir_all(&dir).expect("input folder");
            let bytes = write_inputs(*n, t, &dir);
            let out = Command::new(&exe)
                .arg("--child")
                .arg(n.to_string())
                .arg(&dir)
                .arg(check)
                .output()
                .expect("run child");
            let line = String::from_utf8_lossy(&out.stdout);
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() != 6 {
                println!(
                    "{t} n={n}: failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                continue;
            }
            let ms = |i: usize| f[i].parse::<f64>().unwrap_or(0.0) * 1000.0;
            let check = if ms(3) < 0.0 {
                "not run".to_owned()
            } else {
                format!("{:>7.0} ms CPU ({:>7.0} ms wall)", ms(4), ms(3))
            };
            println!(
                "{t:<8} n={n:>6} policies: read, map, lay out {:>6.0} ms CPU ({:>6.0} ms wall); self-check {check}; together {:>6.0} ms CPU; peak RSS {:>6.1} MiB; {:>5.1} MiB YAML in",
                ms(2),
                ms(1),
                ms(2) + ms(4).max(0.0),
                f[5].parse::<f64>().unwrap_or(0.0) / 1024.0,
                bytes as f64 / (1024.0 * 1024.0)
            );
        }
    }
}
