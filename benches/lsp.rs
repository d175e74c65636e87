//! Language-server benchmark: how long `egressc lsp` (the release binary) takes to publish
//! diagnostics after an edit, on the workload every peer was timed on: N workloads in 50
//! namespaces, one file per namespace, each `dns, 10.a.b.0/24:5432/tcp, 0.0.0.0/0:443/tcp deny
//! metadata`, under an `egressc.toml`.
//!
//! The same workloads are also timed as one file (the 50 namespaces one after the other), where
//! every edit is to the file that holds the whole program.
//!
//! `cargo bench --bench lsp` runs N = 1,000 and 5,000; `cargo bench --bench lsp -- 200` other
//! sizes. For each size and layout it prints: the first diagnostics after opening a file (the
//! whole program read and analysed), the median and 95th percentile latency from an edit to its
//! diagnostics and the server's CPU time per edit, a burst of ten keystrokes 30 ms apart
//! followed by a hover (how long the hover waits, how many versions were analysed until the last
//! was published: the hover may be answered from an earlier analysis) and the
//! server's CPU time in all. Timings on a shared machine are noisy: compare the CPU time too. It
//! fails when an edit is published for another version than the last one sent (an edit waited
//! for is analysed at its version, alone).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "benchmark harness: a failed setup aborts the run"
)]

#[path = "../tests/common/lsp_client.rs"]
mod lsp_client;

use std::time::{Duration, Instant};

use lsp_client::Client;
use serde_json::{Value, json};

const NAMESPACES: usize = 50;
/// Edits timed one by one, each waited for.
const EDITS: usize = 30;

/// How the program is laid out in files.
#[derive(Clone, Copy)]
enum Layout {
    /// One file per namespace; the first is edited.
    PerNamespace,
    /// One file holding every namespace.
    OneFile,
}

/// The text of namespace `ns`'s file; `bump` changes the first workload's subnet (an edit).
fn file(ns: usize, n: usize, bump: usize) -> String {
    let mut s = format!("namespace team-{ns}\ndefault deny\n");
    let per = n / NAMESPACES;
    for i in (ns * per)..((ns + 1) * per) {
        let (a, b) = ((i / 256) % 256, i % 256);
        let a = if i == ns * per { (a + bump) % 256 } else { a };
        s.push_str(&format!(
            "app svc-{i} -> dns, 10.{a}.{b}.0/24:5432/tcp, 0.0.0.0/0:443/tcp deny metadata\n"
        ));
    }
    s
}

/// User and system CPU seconds of a process so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields.get(11..13).map_or(0.0, |f| {
        f.iter().filter_map(|v| v.parse::<f64>().ok()).sum()
    });
    ticks / 100.0
}

/// Waits for the publication of `version` of `uri`; returns how many publications came for it
/// (earlier versions included).
fn wait_version(c: &mut Client, uri: &str, version: i64) -> usize {
    let mut count = 0;
    loop {
        let p = c.publication(uri);
        count += 1;
        if p["version"] == version {
            return count;
        }
        assert!(
            p["version"].as_i64().unwrap_or(0) < version,
            "published {} after {version}",
            p["version"]
        );
    }
}

/// The text of the edited file, with its first workload's subnet bumped by `bump`.
fn edited(layout: Layout, n: usize, bump: usize) -> String {
    match layout {
        Layout::PerNamespace => file(0, n, bump),
        Layout::OneFile => (0..NAMESPACES)
            .map(|ns| file(ns, n, if ns == 0 { bump } else { 0 }))
            .collect(),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The value below which `q` of the sorted `values` lie (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn run(n: usize, layout: Layout) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("egressc.toml"), "sources = [\".\"]\n").unwrap();
    let (path, label) = match layout {
        Layout::PerNamespace => {
            for ns in 0..NAMESPACES {
                std::fs::write(
                    dir.path().join(format!("team-{ns:02}.egress")),
                    file(ns, n, 0),
                )
                .unwrap();
            }
            (dir.path().join("team-00.egress"), "50 files")
        }
        Layout::OneFile => {
            let path = dir.path().join("all.egress");
            std::fs::write(&path, edited(layout, n, 0)).unwrap();
            (path, "one file")
        }
    };
    let uri = format!("file://{}", path.display());
    let mut c = Client::initialized(Value::Null);
    let pid = c.pid();
    let cpu0 = cpu_seconds(pid);

    let start = Instant::now();
    c.open(&uri, &edited(layout, n, 0));
    wait_version(&mut c, &uri, 1);
    let cold = start.elapsed();

    // Single edits, each waited for.
    let mut latencies = Vec::new();
    let mut version = 1;
    let cpu_edits = cpu_seconds(pid);
    for k in 1..=EDITS {
        version += 1;
        let start = Instant::now();
        c.change(&uri, version, &edited(layout, n, k));
        assert_eq!(wait_version(&mut c, &uri, version), 1);
        latencies.push(ms(start.elapsed()));
    }
    let cpu_per_edit = (cpu_seconds(pid) - cpu_edits) * 1000.0 / EDITS as f64;
    latencies.sort_by(f64::total_cmp);
    let median = quantile(&latencies, 0.5);
    let p95 = quantile(&latencies, 0.95);

    // A burst of keystrokes, then a hover.
    for k in 0..10 {
        version += 1;
        c.change(&uri, version, &edited(layout, n, 100 + k));
        std::thread::sleep(Duration::from_millis(30));
    }
    let start = Instant::now();
    let hover = c.result(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 5}}),
    );
    let hover_wait = start.elapsed();
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .contains("svc-0"),
        "{hover}"
    );
    // The hover may be answered from an earlier analysis; the last version is published
    // in the end, and no version after it.
    let analysed = wait_version(&mut c, &uri, version);
    let cpu = cpu_seconds(pid) - cpu0;
    c.shutdown_and_exit();
    println!(
        "n={n:>6}, {label}: first diagnostics {:>7.1} ms; edit → diagnostics median {median:>6.1} ms, \
         p95 {p95:>6.1} ms, CPU {cpu_per_edit:>5.1} ms per edit ({EDITS} edits); \
         10 keystrokes 30 ms apart → hover after {:>6.1} ms, {analysed} of 10 versions analysed; server CPU {cpu:.2} s",
        ms(cold),
        ms(hover_wait),
    );
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 5_000]
    } else {
        sizes
    };
    for n in sizes {
        run(n, Layout::PerNamespace);
        run(n, Layout::OneFile);
    }
}
