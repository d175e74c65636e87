//! `egressc lsp` and the program a document belongs to: the project file's sources (or the
//! document's folder) read from disk, kept in sync through watched-file notifications, with
//! diagnostics published per file; the standard library as a read-only document; edits in a
//! burst analysed once.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail by panicking"
)]

#[path = "common/lsp_client.rs"]
mod lsp_client;
#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

use std::path::Path;

use lsp_client::*;
use serde_json::{Value, json};

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn codes(diags: &[Value]) -> Vec<&str> {
    diags.iter().map(|d| d["code"].as_str().unwrap()).collect()
}

fn watched(c: &mut Client, changes: &[(&Path, u32)]) {
    let changes: Vec<Value> = changes
        .iter()
        .map(|(p, t)| json!({"uri": uri(p), "type": t}))
        .collect();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": changes }),
    );
}

const APP: &str = "namespace payments\ndefault deny\napp api -> dns, ledger\n";
const DEFS: &str = "## The ledger.\ndef ledger = 10.1.0.0/16:8443/tcp\n";

#[test]
fn a_project_is_loaded_whole_and_kept_in_sync() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(&root.join("egressc.toml"), "sources = [\"policies\"]\n");
    let app = root.join("policies/app.egress");
    let defs = root.join("policies/shared/defs.egress");
    write(&app, APP);
    write(&defs, DEFS);
    // Not a source of the project: never read (it would define `ledger` twice).
    write(&root.join("scratch/ledger.egress"), DEFS);

    let mut c = Client::initialized(Value::Null);
    c.open(&uri(&app), APP);
    // No false "unknown name": `ledger` is defined in a file no editor opened.
    assert_eq!(errors(c.diagnostics(&uri(&app))), Vec::<Value>::new());
    // Every file of the program gets its diagnostics, the unopened one without a version.
    let p = c.publication(&uri(&defs));
    assert_eq!(p["version"], Value::Null, "{p}");
    assert_eq!(
        errors(p["diagnostics"].as_array().unwrap().clone()),
        Vec::<Value>::new()
    );

    // Go to definition into the unopened file.
    let def = c.result(
        "textDocument/definition",
        at(&uri(&app), 2, col(APP, 2, "ledger")),
    );
    assert_eq!(def["uri"], uri(&defs));
    assert_eq!(def["range"], range(1, 4, 10));

    // The unopened file changes on disk: its new diagnostics arrive.
    write(&defs, &DEFS.replace("10.1.0.0/16", "10.1.0.1/16"));
    watched(&mut c, &[(&defs, 2)]);
    let d = c.diagnostics(&uri(&defs));
    assert_eq!(codes(&d), ["E0303"], "{d:?}");
    assert_eq!(d[0]["range"], range(1, 13, 24));

    c.settle();
    // It is deleted: `ledger` is unknown in the open file, and the deleted file's diagnostics
    // are cleared.
    std::fs::remove_file(&defs).unwrap();
    watched(&mut c, &[(&defs, 3)]);
    let d = c.diagnostics(&uri(&app));
    assert_eq!(codes(&errors(d)), ["E0201"]);
    assert_eq!(c.diagnostics(&uri(&defs)), Vec::<Value>::new());

    c.settle();
    // A new file defines it again.
    let again = root.join("policies/again.egress");
    write(&again, DEFS);
    watched(&mut c, &[(&again, 1)]);
    assert_eq!(errors(c.diagnostics(&uri(&app))), Vec::<Value>::new());
    c.shutdown_and_exit();
}

#[test]
fn without_a_project_the_folder_is_the_program() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app.egress");
    write(&app, APP);
    write(&dir.path().join("defs.egress"), DEFS);
    // A subfolder is no part of the folder's program.
    write(&dir.path().join("sub/other.egress"), DEFS);
    let mut c = Client::initialized(Value::Null);
    c.open(&uri(&app), APP);
    assert_eq!(errors(c.diagnostics(&uri(&app))), Vec::<Value>::new());
    c.settle();
    // A definition in the open document, as the editor has it, wins over the disk.
    let edited = format!("{APP}def ledger = 10.2.0.0/16\n");
    c.change(&uri(&app), 2, &edited);
    let d = c.diagnostics(&uri(&dir.path().join("defs.egress")));
    assert_eq!(codes(&errors(d.clone())), ["E0202"]);
    assert_eq!(d[0]["relatedInformation"][0]["location"]["uri"], uri(&app));
    // An unsaved new document in the folder belongs to its program.
    let new = dir.path().join("new.egress");
    c.change(&uri(&app), 3, APP);
    c.settle();
    c.open(&uri(&new), "namespace x\napp y -> ledger\n");
    assert_eq!(errors(c.diagnostics(&uri(&new))), Vec::<Value>::new());
    c.shutdown_and_exit();
}

#[test]
fn reading_is_bounded_as_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(&root.join("egressc.toml"), "sources = [\"p\"]\n");
    let app = root.join("p/app.egress");
    write(&app, APP);
    write(&root.join("p/defs.egress"), DEFS);
    // A symlink out of the project is refused, as `egressc check` refuses it.
    let secret = outside.path().join("secret.egress");
    write(&secret, DEFS);
    let link = root.join("p/link.egress");
    std::os::unix::fs::symlink(&secret, &link).unwrap();
    // A file over the size limit is refused without being read.
    let big = root.join("p/big.egress");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(9 * 1024 * 1024).unwrap();
    let mut c = Client::initialized(Value::Null);
    c.open(&uri(&app), APP);
    assert_eq!(codes(&c.diagnostics(&uri(&link))), ["E0109"]);
    assert_eq!(codes(&c.diagnostics(&uri(&big))), ["E0106"]);
    c.shutdown_and_exit();

    // An invalid project file: the user is told, and the document is analysed on its own.
    write(&root.join("egressc.toml"), "sources = [\"../elsewhere\"]\n");
    let mut c = Client::initialized(Value::Null);
    c.open(&uri(&app), APP);
    let m = c.wait_for(|m| m["method"] == "window/showMessage");
    let text = m["params"]["message"].as_str().unwrap();
    assert!(text.contains("E0607"), "{text}");
    assert_eq!(codes(&errors(c.diagnostics(&uri(&app)))), ["E0201"]);
    c.shutdown_and_exit();
}

#[test]
fn the_client_is_asked_to_watch_sources() {
    let mut c = Client::initialized_with(json!({
        "processId": null, "rootUri": null,
        "capabilities": {"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}},
    }));
    let m = c.wait_for(|m| m["method"] == "client/registerCapability");
    let reg = &m["params"]["registrations"][0];
    assert_eq!(reg["method"], "workspace/didChangeWatchedFiles");
    let globs: Vec<&str> = reg["registerOptions"]["watchers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["globPattern"].as_str().unwrap())
        .collect();
    assert_eq!(globs, ["**/*.egress", "**/egressc.toml"]);
    c.send(&json!({"jsonrpc": "2.0", "id": m["id"], "result": null}));
    c.shutdown_and_exit();
}

#[test]
fn the_standard_library_is_a_read_only_document() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app.egress");
    write(&app, APP.replace("ledger", "postgres(10.0.0.0/8)").as_str());
    let text = std::fs::read_to_string(&app).unwrap();
    let mut c = Client::initialized(Value::Null);
    c.open(&uri(&app), &text);
    let _ = c.diagnostics(&uri(&app));
    for name in ["dns", "postgres"] {
        let def = c.result(
            "textDocument/definition",
            at(&uri(&app), 2, col(&text, 2, name)),
        );
        let path = def["uri"]
            .as_str()
            .unwrap()
            .strip_prefix("file://")
            .unwrap()
            .to_owned();
        let stdlib = std::fs::read_to_string(&path).unwrap();
        let line = stdlib
            .lines()
            .nth(def["range"]["start"]["line"].as_u64().unwrap() as usize)
            .unwrap();
        assert!(line.starts_with(&format!("def {name}")), "{line}");
        assert!(std::fs::metadata(&path).unwrap().permissions().readonly());
        // Opening it is not adding it to a program: no duplicate definitions anywhere.
        c.open(def["uri"].as_str().unwrap(), &stdlib);
    }
    let hover = c.result(
        "textDocument/hover",
        at(&uri(&app), 2, col(&text, 2, "dns")),
    );
    assert!(hover["contents"]["value"].as_str().unwrap().contains("dns"));
    c.settle();
    c.change(&uri(&app), 2, &text);
    assert_eq!(errors(c.diagnostics(&uri(&app))), Vec::<Value>::new());
    c.shutdown_and_exit();
}

/// Fifty edits sent at once: only the last version is analysed and published.
#[test]
fn a_burst_of_edits_is_analysed_once_at_its_last_version() {
    let u = "file:///nowhere/burst.egress";
    let mut c = Client::initialized(Value::Null);
    c.open(u, APP);
    assert_eq!(c.publication(u)["version"], 1);
    let mut burst = Vec::new();
    for v in 2..=51 {
        let text = format!("{APP}app w{v} -> 10.0.0.{v}/32\n");
        let body = json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": u, "version": v}, "contentChanges": [{"text": text}]}})
        .to_string();
        burst.extend(format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes());
    }
    c.send_raw(&burst);
    // The hover answers on the last text.
    let hover = c.result("textDocument/hover", at(u, 3, 5));
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("workload `w51`"),
        "{hover}"
    );
    let publications: Vec<Value> = c
        .take_pending()
        .into_iter()
        .filter(|m| m["params"]["uri"] == u)
        .collect();
    assert_eq!(publications.len(), 1, "{publications:?}");
    assert_eq!(publications[0]["params"]["version"], 51);
    c.shutdown_and_exit();
}

/// Statements whose diagnostics depend on the other files: a definition used or defined again
/// elsewhere, objects and settings declared twice across files, a syntax error, lints.
const LINES: &[&str] = &[
    "namespace payments\n",
    "namespace billing\n",
    "default deny\n",
    "app api -> dns, ledger\n",
    "app api -> ledgr\n",
    "app web -> 10.0.0.0/8:443/tcp\n",
    "def ledger = 10.2.0.0/16:8443/tcp\n",
    "def vault = 10.3.0.0/16:8200/tcp\n",
    "app db -> vault\n",
    "set wide-port-range = 100\n",
    "app batch -> 0.0.0.0/0:1-65535/tcp\n",
    "expect api -> 10.1.0.1:8443/tcp allow\n",
    "app broken -> {\n",
];

/// A random file: a namespace, then a few statements.
fn random_file(rng: &mut Rng) -> String {
    let mut text = String::from(LINES[rng.below(2)]);
    for _ in 0..rng.below(5) {
        text.push_str(LINES[rng.below(LINES.len())]);
    }
    text
}

/// What the client holds: the last diagnostics published for each document.
fn held(c: &mut Client, into: &mut std::collections::BTreeMap<String, Value>) {
    for m in c.take_pending() {
        if m["method"] == "textDocument/publishDiagnostics" {
            let p = &m["params"];
            into.insert(
                p["uri"].as_str().unwrap().to_owned(),
                p["diagnostics"].clone(),
            );
        }
    }
}

/// Random edit sequences, some waited for and some in bursts, to two open files of a project
/// with two more on disk: what the client holds in the end (a file's diagnostics are sent
/// again only when they change) equals what a fresh server publishes for the final texts.
#[test]
fn incremental_diagnostics_equal_a_fresh_analysis() {
    for seed in 1..=4u64 {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(&root.join("egressc.toml"), "sources = [\".\"]\n");
        write(&root.join("c.egress"), DEFS);
        write(
            &root.join("d.egress"),
            "namespace payments\napp api -> dns\n",
        );
        let open = [root.join("a.egress"), root.join("b.egress")];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed);
        let mut texts: Vec<String> = open.iter().map(|_| random_file(&mut rng)).collect();
        for (p, t) in open.iter().zip(&texts) {
            write(p, t);
        }
        let mut c = Client::initialized(Value::Null);
        let mut state = std::collections::BTreeMap::new();
        for (p, t) in open.iter().zip(&texts) {
            c.open(&uri(p), t);
        }
        c.settle();
        let mut versions = [1i64; 2];
        for _ in 0..25 {
            // One to three edits before the server is waited for.
            for _ in 0..=rng.below(3) {
                let i = rng.below(2);
                texts[i] = random_file(&mut rng);
                versions[i] += 1;
                c.change(&uri(&open[i]), versions[i], &texts[i]);
            }
            let _ = c.request(
                "textDocument/documentSymbol",
                json!({"textDocument": {"uri": uri(&open[0])}}),
            );
            held(&mut c, &mut state);
        }
        // A request that needs the current text is answered after the analysis of the last
        // versions, and so after their diagnostics (a read-only one may be answered from an
        // earlier analysis while the last runs).
        let _ = c.request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": uri(&open[0])}, "options": {"tabSize": 4, "insertSpaces": true}}),
        );
        held(&mut c, &mut state);
        c.shutdown_and_exit();

        let mut fresh = Client::initialized(Value::Null);
        let mut expected = std::collections::BTreeMap::new();
        for (p, t) in open.iter().zip(&texts) {
            fresh.open(&uri(p), t);
        }
        let _ = fresh.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri(&open[0])}}),
        );
        held(&mut fresh, &mut expected);
        fresh.shutdown_and_exit();
        assert_eq!(state, expected, "seed {seed}: {texts:?}");
        assert_eq!(state.len(), 4, "every file of the project: {state:?}");
    }
}
