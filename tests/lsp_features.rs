//! `egressc lsp` features over stdio, on a program of several files (one of them never opened):
//! references, rename, code actions, semantic tokens, folding ranges, workspace symbols and
//! completion at the start of a line, of setting names and of lint codes.

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

use std::path::{Path, PathBuf};

use lsp_client::*;
use serde_json::{Value, json};

const APP: &str = "namespace payments
default deny

app payments-api -> dns, ledger(8443), rds(10.20.30.0/24)
app worker -> ledger
expect payments-api -> 10.1.0.1:8443/tcp allow
";
const DEFS: &str = "# Shared destinations.
# Used by every namespace.
def ledger(port: port = 443) =
    10.1.0.0/16:port/tcp
";

struct Project {
    _dir: tempfile::TempDir,
    app: PathBuf,
    defs: PathBuf,
}

fn project() -> Project {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("egressc.toml"), "sources = [\".\"]\n").unwrap();
    let app = dir.path().join("app.egress");
    let defs = dir.path().join("defs.egress");
    std::fs::write(&app, APP).unwrap();
    std::fs::write(&defs, DEFS).unwrap();
    Project {
        _dir: dir,
        app,
        defs,
    }
}

fn uri(p: &Path) -> String {
    format!("file://{}", p.display())
}

/// (uri, line, start, end) of each location, sorted.
fn places(locations: &Value) -> Vec<(String, u64, u64, u64)> {
    let mut out: Vec<_> = locations
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let r = &l["range"];
            (
                l["uri"].as_str().unwrap().to_owned(),
                r["start"]["line"].as_u64().unwrap(),
                r["start"]["character"].as_u64().unwrap(),
                r["end"]["character"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn references_and_rename_cover_the_whole_program() {
    let p = project();
    let (app, defs) = (uri(&p.app), uri(&p.defs));
    let mut c = Client::initialized(Value::Null);
    c.open(&app, APP);
    assert_eq!(errors(c.diagnostics(&app)), Vec::<Value>::new());

    // References of `ledger` from a use: the unopened file's definition and both uses.
    let refs = c.result(
        "textDocument/references",
        json!({"textDocument": {"uri": app}, "position": {"line": 3, "character": 26},
               "context": {"includeDeclaration": true}}),
    );
    assert_eq!(
        places(&refs),
        [
            (app.clone(), 3, 25, 31),
            (app.clone(), 4, 14, 20),
            (defs.clone(), 2, 4, 10)
        ]
    );
    let refs = c.result(
        "textDocument/references",
        json!({"textDocument": {"uri": app}, "position": {"line": 3, "character": 26},
               "context": {"includeDeclaration": false}}),
    );
    assert_eq!(places(&refs).len(), 2);

    // Rename the definition: every file, the unopened one too.
    let prepared = c.result("textDocument/prepareRename", at(&app, 4, 15));
    assert_eq!(prepared, range(4, 14, 20));
    let edit = c.result(
        "textDocument/rename",
        json!({"textDocument": {"uri": app}, "position": {"line": 4, "character": 15}, "newName": "books"}),
    );
    let changes = &edit["changes"];
    assert_eq!(changes[&app].as_array().unwrap().len(), 2, "{edit}");
    assert_eq!(changes[&defs][0]["range"], range(2, 4, 10), "{edit}");
    assert_eq!(changes[&defs][0]["newText"], "books");

    // The workload: its statement and the `expect` that names it.
    let edit = c.result(
        "textDocument/rename",
        json!({"textDocument": {"uri": app}, "position": {"line": 3, "character": 5}, "newName": "api"}),
    );
    let edits: Vec<Value> = edit["changes"][&app].as_array().unwrap().clone();
    let ranges: Vec<&Value> = edits.iter().map(|e| &e["range"]).collect();
    assert_eq!(ranges, [&range(3, 4, 16), &range(5, 7, 19)]);

    // The namespace.
    let edit = c.result(
        "textDocument/rename",
        json!({"textDocument": {"uri": app}, "position": {"line": 0, "character": 12}, "newName": "billing"}),
    );
    assert_eq!(edit["changes"][&app][0]["range"], range(0, 10, 18));

    // A parameter: its declaration and its use, in the unopened file.
    let edit = c.result(
        "textDocument/rename",
        json!({"textDocument": {"uri": defs}, "position": {"line": 2, "character": 12}, "newName": "p"}),
    );
    let ranges: Vec<&Value> = edit["changes"][&defs]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["range"])
        .collect();
    assert_eq!(ranges, [&range(2, 11, 15), &range(3, 16, 20)]);

    // Refused: a standard library name, a name taken, a name that is no name.
    let refused = c.request("textDocument/prepareRename", at(&app, 3, 21));
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("standard library"), "{refused}");
    for (new, why) in [
        ("rds", "already defined"),
        ("9x", "not a name"),
        ("app", "keyword"),
    ] {
        let resp = c.request(
            "textDocument/rename",
            json!({"textDocument": {"uri": app}, "position": {"line": 4, "character": 15}, "newName": new}),
        );
        let message = resp["error"]["message"].as_str().unwrap();
        assert!(message.contains(why), "{new}: {resp}");
    }
    c.shutdown_and_exit();
}

/// The code actions at a range, by title.
fn actions(c: &mut Client, uri: &str, r: Value) -> Vec<Value> {
    let result = c.result(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": r, "context": {"diagnostics": []}}),
    );
    result.as_array().unwrap().clone()
}

fn titled<'a>(actions: &'a [Value], title: &str) -> &'a Value {
    actions
        .iter()
        .find(|a| a["title"] == title)
        .unwrap_or_else(|| panic!("no `{title}` in {actions:?}"))
}

#[test]
fn code_actions_fix_what_they_say() {
    let u = "file:///nowhere/fix.egress";
    let text =
        "namespace payments\n\napp payments-api -> ledgr\ndef ledger = 10.1.0.0/16:443/tcp\n";
    let mut c = Client::initialized(json!({"program": "document"}));
    c.open(u, text);
    let d = c.diagnostics(u);
    assert_eq!(d[0]["code"], "E0201");
    // Did you mean: the name replaced.
    let a = actions(&mut c, u, range(2, 21, 21));
    let fix = titled(&a, "Replace with `ledger`");
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["edit"]["changes"][u][0]["range"], range(2, 20, 25));
    assert_eq!(fix["edit"]["changes"][u][0]["newText"], "ledger");

    // With the name fixed: W0101 (no DNS) and W0105 (no default deny).
    let text = text.replace("ledgr", "ledger");
    c.change(u, 2, &text);
    let d = c.diagnostics(u);
    let codes: Vec<&str> = d.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(
        codes.contains(&"W0101") && codes.contains(&"W0105"),
        "{codes:?}"
    );
    let a = actions(&mut c, u, range(2, 5, 5));
    let dns = titled(&a, "Allow DNS: add `dns`");
    assert_eq!(dns["edit"]["changes"][u][0]["range"], range(2, 20, 20));
    assert_eq!(dns["edit"]["changes"][u][0]["newText"], "dns, ");
    let allow = titled(&a, "Allow W0101 here with `@allow`");
    assert_eq!(allow["edit"]["changes"][u][0]["range"], range(2, 0, 0));
    assert_eq!(
        allow["edit"]["changes"][u][0]["newText"],
        "@allow(W0101, \"reason\")\n"
    );
    let a = actions(&mut c, u, range(0, 12, 12));
    let deny = titled(&a, "Add `default deny` to the namespace");
    assert_eq!(deny["edit"]["changes"][u][0]["range"], range(0, 18, 18));
    assert_eq!(deny["edit"]["changes"][u][0]["newText"], "\ndefault deny");

    // Applying both fixes leaves neither warning.
    let fixed = "namespace payments\ndefault deny\n\napp payments-api -> dns, ledger\ndef ledger = 10.1.0.0/16:443/tcp\n";
    c.change(u, 3, fixed);
    let d = c.diagnostics(u);
    let codes: Vec<&str> = d.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(
        !codes.contains(&"W0101") && !codes.contains(&"W0105"),
        "{codes:?}"
    );
    // And an inserted `@allow` silences its lint.
    let allowed = text.replace("app payments", "@allow(W0101, \"reason\")\napp payments");
    c.change(u, 4, &allowed);
    let d = c.diagnostics(u);
    assert!(!d.iter().any(|d| d["code"] == "W0101"), "{d:?}");
    c.shutdown_and_exit();
}

/// Decodes semantic tokens into (line, start, length, type, modifiers).
fn decode(data: &Value) -> Vec<(u64, u64, u64, u64, u64)> {
    let data: Vec<u64> = data
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let (mut line, mut col) = (0, 0);
    data.chunks(5)
        .map(|t| {
            if t[0] > 0 {
                col = 0;
            }
            line += t[0];
            col += t[1];
            (line, col, t[2], t[3], t[4])
        })
        .collect()
}

#[test]
fn semantic_tokens_folding_symbols_and_completion() {
    let p = project();
    let (app, defs) = (uri(&p.app), uri(&p.defs));
    let mut c = Client::initialized(Value::Null);
    c.open(&app, APP);
    c.open(&defs, DEFS);
    let _ = c.diagnostics(&app);

    // The legend, then tokens: the type of each word by name.
    let legend = {
        let mut c2 = Client::start();
        let r = c2.result(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": {}}),
        );
        r["capabilities"]["semanticTokensProvider"]["legend"]["tokenTypes"].clone()
    };
    let types: Vec<&str> = legend
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let tokens = c.result(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": app}}),
    );
    let kind_of = |line: u64, start: u64| {
        decode(&tokens["data"])
            .into_iter()
            .find(|t| t.0 == line && t.1 == start)
            .map(|t| (types[t.3 as usize], t.4))
    };
    assert_eq!(kind_of(0, 0), Some(("keyword", 0)));
    assert_eq!(kind_of(0, 10), Some(("namespace", 1)));
    assert_eq!(kind_of(3, 0), Some(("keyword", 0)));
    assert_eq!(kind_of(3, 4), Some(("class", 1)));
    // `dns` is the standard library's, `ledger` the program's.
    assert_eq!(kind_of(3, 20), Some(("function", 2)));
    assert_eq!(kind_of(3, 25), Some(("function", 0)));
    let tokens = c.result(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": defs}}),
    );
    let all = decode(&tokens["data"]);
    assert!(all.contains(&(0, 0, 22, 8, 0)), "comment: {all:?}");
    assert!(
        all.iter()
            .any(|t| (t.0, t.1, types[t.3 as usize]) == (2, 17, "type")),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|t| (t.0, t.1, types[t.3 as usize]) == (3, 21, "enumMember")),
        "{all:?}"
    );

    // Folding: the namespace's statements, the two-line definition, the comment block.
    let folds = c.result(
        "textDocument/foldingRange",
        json!({"textDocument": {"uri": app}}),
    );
    assert_eq!(folds[0]["startLine"], 0);
    assert_eq!(folds[0]["endLine"], 5);
    assert_eq!(folds[0]["kind"], "region");
    let folds = c.result(
        "textDocument/foldingRange",
        json!({"textDocument": {"uri": defs}}),
    );
    let spans: Vec<(u64, u64)> = folds
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["startLine"].as_u64().unwrap(),
                f["endLine"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(spans, [(0, 1), (2, 3)]);

    // Workspace symbols, by part of a name, across files.
    let found = c.result("workspace/symbol", json!({"query": "LEDG"}));
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found[0]["name"], "ledger");
    assert_eq!(found[0]["location"]["uri"], defs);
    let found = c.result("workspace/symbol", json!({"query": "pay"}));
    let names: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["payments", "payments-api"]);

    // Completion at the start of a line: the statements, `expect`, `set` and `@allow` too.
    let text = format!("{APP}\n");
    c.change(&app, 2, &text);
    let items = c.result("textDocument/completion", at(&app, 6, 0));
    let labels = completion_labels(&items);
    for k in ["namespace", "app", "expect", "set", "@allow"] {
        assert!(labels.contains(&k), "{k}: {labels:?}");
    }
    // `@` typed already: replaced with the item.
    c.change(&app, 3, &format!("{APP}@\n"));
    let items = c.result("textDocument/completion", at(&app, 6, 1));
    let allow = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "@allow")
        .unwrap();
    assert_eq!(allow["textEdit"]["range"], range(6, 0, 1));
    // Setting names after `set`.
    c.change(&app, 4, &format!("{APP}set w\n"));
    let items = c.result("textDocument/completion", at(&app, 6, 5));
    let labels = completion_labels(&items);
    assert!(
        labels.contains(&"wide-cidr-v4") && labels.contains(&"pod-cidrs"),
        "{labels:?}"
    );
    // Lint codes in `@allow(`.
    c.change(&app, 5, &format!("{APP}@allow(\n"));
    let items = c.result("textDocument/completion", at(&app, 6, 7));
    let labels = completion_labels(&items);
    assert!(
        labels.contains(&"W0101") && labels.contains(&"W0105"),
        "{labels:?}"
    );
    let w0101 = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "W0101")
        .unwrap();
    assert_eq!(w0101["detail"], "no-dns");
    // The named arguments of `http(...)` after its destination.
    let line = "app web -> dns, http(api.example.com:80, h";
    c.change(&app, 6, &format!("{APP}{line}\n"));
    let items = c.result("textDocument/completion", at(&app, 6, line.len() as u32));
    let labels = completion_labels(&items);
    for p in ["method", "path", "host", "header"] {
        assert!(labels.contains(&p), "{p}: {labels:?}");
    }
    // And of `dns(...)` after its first name.
    let line = "app web -> dns(name = api.example.com, n";
    c.change(&app, 7, &format!("{APP}{line}\n"));
    let items = c.result("textDocument/completion", at(&app, 6, line.len() as u32));
    let labels = completion_labels(&items);
    assert!(labels.contains(&"name"), "{labels:?}");
    assert!(!labels.contains(&"method"), "{labels:?}");
    c.shutdown_and_exit();
}

#[test]
fn formatting_is_egressc_fmt() {
    let messy = "namespace   payments\napp  x ->dns,10.0.0.0/8:443/tcp\n";
    // What `egressc fmt` makes of the file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("messy.egress");
    std::fs::write(&path, messy).unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_egressc"))
        .arg("fmt")
        .arg(&path)
        .output()
        .unwrap()
        .status;
    assert!(status.success());
    let formatted = std::fs::read_to_string(&path).unwrap();
    assert_ne!(formatted, messy);

    let u = "file:///nowhere/messy.egress";
    let mut c = Client::initialized(json!({"program": "document"}));
    c.open(u, messy);
    let options = json!({"tabSize": 4, "insertSpaces": true});
    let edits = c.result(
        "textDocument/formatting",
        json!({"textDocument": {"uri": u}, "options": options}),
    );
    assert_eq!(edits.as_array().unwrap().len(), 1, "{edits}");
    assert_eq!(edits[0]["newText"], formatted.as_str());
    assert_eq!(
        edits[0]["range"]["start"],
        json!({"line": 0, "character": 0})
    );
    assert_eq!(edits[0]["range"]["end"], json!({"line": 2, "character": 0}));
    // Formatted already: no edit.
    c.change(u, 2, &formatted);
    let edits = c.result(
        "textDocument/formatting",
        json!({"textDocument": {"uri": u}, "options": options}),
    );
    assert_eq!(edits, json!([]));
    // A document that does not parse is refused with its syntax error.
    c.change(u, 3, "namespace payments\napp x -> rds(10.0.0.0/8\n");
    let resp = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": u}, "options": options}),
    );
    let message = resp["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("cannot format: unclosed `(`"), "{resp}");
    c.shutdown_and_exit();
}
