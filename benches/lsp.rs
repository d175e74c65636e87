//! Language-server benchmark: how long `egressc lsp` (the release binary) takes to publish
//! diagnostics after an edit, on the workload every peer was timed on: N workloads in 50
//! namespaces, one file per namespace, each `dns, 10.a.b.0/24:5432/tcp, 0.0.0.0/0:443/tcp deny
//! metadata`, under an `egressc.toml`.
//!
//! `cargo bench --bench lsp` runs N = 1,000 and 5,000; `cargo bench --bench lsp -- 200` other
//! sizes. For each size it prints: the first diagnostics after opening a file (the whole program
//! read and analysed), the median and worst latency from an edit to its diagnostics, a burst of
//! ten keystrokes 30 ms apart followed by a hover (how long the hover waits, how many versions
//! were analysed) and the server's CPU time. It fails when an edit is published for another
//! version than the last one sent (an edit waited for is analysed at its version, alone).

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

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn run(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("egressc.toml"), "sources = [\".\"]\n").unwrap();
    for ns in 0..NAMESPACES {
        std::fs::write(
            dir.path().join(format!("team-{ns:02}.egress")),
            file(ns, n, 0),
        )
        .unwrap();
    }
    let path = dir.path().join("team-00.egress");
    let uri = format!("file://{}", path.display());
    let mut c = Client::initialized(Value::Null);
    let pid = c.pid();
    let cpu0 = cpu_seconds(pid);

    let start = Instant::now();
    c.open(&uri, &file(0, n, 0));
    wait_version(&mut c, &uri, 1);
    let cold = start.elapsed();

    // Single edits, each waited for.
    let mut latencies = Vec::new();
    let mut version = 1;
    for k in 1..=20 {
        version += 1;
        let start = Instant::now();
        c.change(&uri, version, &file(0, n, k));
        assert_eq!(wait_version(&mut c, &uri, version), 1);
        latencies.push(ms(start.elapsed()));
    }
    latencies.sort_by(f64::total_cmp);
    let median = latencies[latencies.len() / 2];
    let worst = latencies[latencies.len() - 1];

    // A burst of keystrokes, then a hover.
    for k in 0..10 {
        version += 1;
        c.change(&uri, version, &file(0, n, 100 + k));
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
    let published: Vec<Value> = c
        .take_pending()
        .into_iter()
        .filter(|m| m["params"]["uri"] == uri)
        .collect();
    let analysed = published.len();
    assert!(
        published
            .last()
            .is_some_and(|p| p["params"]["version"] == version),
        "the last version is published"
    );
    let cpu = cpu_seconds(pid) - cpu0;
    c.shutdown_and_exit();
    println!(
        "n={n:>6}: first diagnostics {:>7.1} ms; edit → diagnostics median {median:>6.1} ms, worst {worst:>6.1} ms (20 edits); \
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
        run(n);
    }
}
