//! Compile-time benchmark of the release binary, as users run it.
//!
//! Two generated workloads, N workloads each:
//! - `peers`: the workload every peer tool was timed on: N apps in 50 namespaces, one file per
//!   namespace, each `dns, 10.a.b.0/24:5432/tcp, 0.0.0.0/0:443/tcp deny metadata` (one policy
//!   per app);
//! - `apps`: a richer mix in one file: namespaces of 100 apps with a default deny, each app with
//!   DNS, a database through a standard-library call, a pod peer, a user definition and the
//!   internet with metadata denied.
//!
//! Each command (`build --target native` to stdout and with `-o DIR`, every target with
//! `-o DIR`, `check`) runs `--runs` times (5 unless given) under `/usr/bin/time`; the figures
//! are medians of CPU seconds (user + system: the machine may be shared, so wall time says
//! little) and of peak resident memory, with the growth of CPU time from one size to the next
//! and the cost of every target against one. Without `/usr/bin/time` only wall time is shown.
//!
//! `cargo bench --bench compile` runs N = 1,000, 10,000 and 100,000 (the sizes of the issue's
//! goals); `cargo bench --bench compile -- 10000 --runs 3 --workload peers` other sizes, one
//! workload; `-- 100 --runs 1` is the smoke test (CI runs it; a failed command fails the run).
//! A ratio is shown only when the CPU time it divides by is above the timer's resolution. `EGRESSC_BENCH_BIN=PATH cargo
//! bench --bench compile` measures another build of egressc (an older one, for a before and
//! after).

#![expect(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "benchmark harness: a failed setup aborts the run"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const NAMESPACES: usize = 50;

/// A workload's source files: names and texts.
type Sources = Vec<(String, String)>;

/// A workload's generator: N → its sources.
type Generator = fn(usize) -> Sources;

/// The `peers` workload: one file per namespace.
fn peers(n: usize) -> Sources {
    (0..NAMESPACES)
        .map(|ns| {
            let mut s = format!("namespace team-{ns}\n");
            for i in (ns..n).step_by(NAMESPACES) {
                let (a, b) = ((i / 256) % 256, i % 256);
                s.push_str(&format!(
                    "app svc-{i} -> dns, 10.{a}.{b}.0/24:5432/tcp, 0.0.0.0/0:443/tcp deny metadata\n"
                ));
            }
            (format!("team-{ns:02}.egress"), s)
        })
        .collect()
}

/// The `apps` workload: one file.
fn apps(n: usize) -> Sources {
    let mut s = String::from(
        "## A shared internal API.\ndef internal-api(net: cidr, port: port = 8443) = net:port/tcp\n\n",
    );
    let namespaces = (n / 100).max(1);
    for ns in 0..namespaces {
        s.push_str(&format!("namespace team-{ns}\ndefault deny\n"));
        for i in (ns * 100)..((ns + 1) * 100).min(n) {
            let (a, b) = ((i / 256) % 256, i % 256);
            s.push_str(&format!(
                "app svc-{i} -> dns, rds(10.{a}.{b}.0/24:5432), pods{{app=svc-{}}}:8080, internal-api(10.200.{b}.0/24),\n    internet:443/tcp deny metadata\n",
                (i + 1) % n.max(1)
            ));
        }
    }
    vec![("apps.egress".to_owned(), s)]
}

/// One run's figures: CPU seconds (user, system), peak RSS in KiB, wall seconds.
#[derive(Clone, Copy)]
struct Run {
    user: f64,
    sys: f64,
    rss_kib: Option<u64>,
    wall: f64,
}

/// Runs `egressc ARGS` once, output to the null device, measured by `/usr/bin/time` when
/// present; with `-o OUT` when `out` is given (a folder that does not exist yet, so that every
/// run writes every file). `None` when it fails.
fn run_once(exe: &Path, args: &[String], timer: Option<&Path>, out: Option<&Path>) -> Option<Run> {
    let report = tempfile::NamedTempFile::new().expect("temporary file");
    let mut command = match timer {
        Some(time) => {
            let mut c = Command::new(time);
            c.arg("-f")
                .arg("%U %S %M")
                .arg("-o")
                .arg(report.path())
                .arg(exe);
            c
        }
        None => Command::new(exe),
    };
    let start = Instant::now();
    command.args(args);
    if let Some(out) = out {
        command.arg("-o").arg(out);
    }
    let status = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run egressc");
    let wall = start.elapsed().as_secs_f64();
    if !status.success() {
        return None;
    }
    let figures = std::fs::read_to_string(report.path()).unwrap_or_default();
    let f: Vec<&str> = figures
        .lines()
        .last()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    Some(match (timer, f.as_slice()) {
        (Some(_), [user, sys, rss]) => Run {
            user: user.parse().unwrap_or(0.0),
            sys: sys.parse().unwrap_or(0.0),
            rss_kib: rss.parse().ok(),
            wall,
        },
        _ => Run {
            user: wall,
            sys: 0.0,
            rss_kib: None,
            wall,
        },
    })
}

/// `/usr/bin/time` counts CPU time in ticks of 10 ms: a figure below this many seconds is too
/// coarse to divide by.
const RESOLVED: f64 = 0.05;

/// `x2.8 WHAT`, or why no ratio is shown when the divisor is below the timer's resolution
/// (at N = 100 one target can measure 0 ms, and the ratio would read `xinf`).
fn ratio(cpu: f64, base: f64, what: &str) -> String {
    if base < RESOLVED {
        format!("{what}: below the timer's resolution")
    } else {
        format!("x{:.1} {what}", cpu / base)
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median figures of `runs` runs; `None` when a run failed.
fn measure(
    exe: &Path,
    args: &[String],
    timer: Option<&Path>,
    out: Option<&Path>,
    runs: usize,
) -> Option<Run> {
    let all: Vec<Run> = (0..runs)
        .map(|k| {
            let fresh = out.map(|o| o.join(format!("run-{k}")));
            run_once(exe, args, timer, fresh.as_deref())
        })
        .collect::<Option<Vec<Run>>>()?;
    Some(Run {
        user: median(all.iter().map(|r| r.user).collect()),
        sys: median(all.iter().map(|r| r.sys).collect()),
        rss_kib: all
            .iter()
            .map(|r| r.rss_kib)
            .collect::<Option<Vec<u64>>>()
            .map(|v| median(v.into_iter().map(|k| k as f64).collect()) as u64),
        wall: median(all.iter().map(|r| r.wall).collect()),
    })
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .map(|i| args[i + 1].parse().expect("--runs N"))
        .unwrap_or(5_usize)
        .max(1);
    let sizes: Vec<usize> = {
        let s: Vec<usize> = args
            .iter()
            .enumerate()
            .filter(|(i, _)| *i == 0 || args[i - 1] != "--runs")
            .filter_map(|(_, a)| a.parse().ok())
            .collect();
        if s.is_empty() {
            vec![1_000, 10_000, 100_000]
        } else {
            s
        }
    };
    let exe = std::env::var_os("EGRESSC_BENCH_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_egressc")),
        PathBuf::from,
    );
    let timer = Some(Path::new("/usr/bin/time")).filter(|p| p.exists());
    if timer.is_none() {
        println!("/usr/bin/time not found: wall time only (CPU time and memory unknown)");
    }
    println!(
        "{} ({} CPUs), medians of {runs} runs; cpu = user + sys",
        exe.display(),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    let only = args
        .iter()
        .position(|a| a == "--workload")
        .map(|i| args[i + 1].clone());
    let generators: [(&str, Generator); 2] = [("peers", peers), ("apps", apps)];
    let mut failures = 0_usize;
    for (workload, generate) in generators {
        if only.as_ref().is_some_and(|o| o != workload) {
            continue;
        }
        let mut previous: Vec<Option<f64>> = vec![None; 4];
        for &n in &sizes {
            let dir = tempfile::tempdir().expect("temporary folder");
            let src = dir.path().join("src");
            std::fs::create_dir(&src).expect("source folder");
            for (name, text) in generate(n) {
                std::fs::write(src.join(name), text).expect("write source");
            }
            let src = src.display().to_string();
            let s = |v: &[&str]| v.iter().map(|a| (*a).to_owned()).collect::<Vec<String>>();
            let all = "native,cilium,calico,calico-enterprise";
            // What, the arguments, and whether with `-o DIR`.
            let commands: [(&str, Vec<String>, bool); 4] = [
                (
                    "build --target native",
                    s(&["build", "--target", "native", &src]),
                    false,
                ),
                (
                    "build --target native -o DIR",
                    s(&["build", "--target", "native", &src]),
                    true,
                ),
                (
                    "build, all four targets -o DIR",
                    s(&["build", "--target", all, &src]),
                    true,
                ),
                ("check", s(&["check", &src]), false),
            ];
            let mut one_target = None;
            for (k, (what, command, with_out)) in commands.iter().enumerate() {
                let out = dir.path().join(format!("out-{k}"));
                let Some(r) = measure(
                    &exe,
                    command,
                    timer,
                    with_out.then_some(out.as_path()),
                    runs,
                ) else {
                    println!("{workload:<5} n={n:>6} {what:<32} failed");
                    failures += 1;
                    previous[k] = None;
                    continue;
                };
                let cpu = r.user + r.sys;
                let mut notes = Vec::new();
                if let Some(p) = previous[k] {
                    notes.push(ratio(cpu, p, "cpu vs previous size"));
                }
                if k == 1 {
                    one_target = Some(cpu);
                }
                if let (2, Some(one)) = (k, one_target) {
                    notes.push(ratio(cpu, one, "cpu vs one target -o DIR"));
                }
                previous[k] = Some(cpu);
                let rss = r
                    .rss_kib
                    .map_or("?".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0));
                println!(
                    "{workload:<5} n={n:>6} {what:<32} cpu {:>8.1} ms (user {:>7.1} + sys {:>6.1}), peak RSS {rss:>6} MiB, wall {:>7.1} ms{}",
                    cpu * 1000.0,
                    r.user * 1000.0,
                    r.sys * 1000.0,
                    r.wall * 1000.0,
                    if notes.is_empty() {
                        String::new()
                    } else {
                        format!(", {}", notes.join(", "))
                    }
                );
            }
        }
    }
    if failures > 0 {
        println!("{failures} command(s) failed");
        std::process::exit(1);
    }
}
