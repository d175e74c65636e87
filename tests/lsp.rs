//! `egressc lsp`: the real binary, spoken to over stdio with Content-Length framed JSON-RPC.
//! Every read has a timeout, so a hung server fails the test instead of hanging CI.

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

use lsp_client::*;
use serde_json::{Value, json};

const URI: &str = "file:///work/policies/payments.egress";

const BROKEN: &str = "namespace payments
default deny

## Our ledger service.
def ledger(port: port = 8443) = pods{app=ledger}:port/tcp

app payments-api -> dns, rds(10.20.30.1/24), ledger
";

#[test]
fn session() {
    let mut c = Client::initialized(Value::Null);

    // A broken file: E0303 on the CIDR, with the CLI's message, help and exact range.
    c.open(URI, BROKEN);
    let diags = c.diagnostics(URI);
    assert_eq!(diags.len(), 1, "{diags:?}");
    let d = &diags[0];
    assert_eq!(d["code"], "E0303");
    assert_eq!(d["source"], "egressc");
    assert_eq!(d["severity"], 1);
    let start = col(BROKEN, 6, "10.20.30.1/24");
    assert_eq!(d["range"], range(6, start, start + 13));
    let message = d["message"].as_str().unwrap();
    assert!(
        message.starts_with("`10.20.30.1/24` has host bits set"),
        "{message}"
    );
    assert!(
        message.contains("help: write `10.20.30.0/24` for the whole range"),
        "{message}"
    );

    // Fixed: the diagnostics are cleared.
    let fixed = BROKEN.replace("10.20.30.1/24", "10.20.30.0/24");
    c.change(URI, 2, &fixed);
    assert_eq!(errors(c.diagnostics(URI)), Vec::<Value>::new());

    // Hover on `rds`: its signature and documentation.
    let hover = c.result("textDocument/hover", at(URI, 6, col(&fixed, 6, "rds") + 1));
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(
        value.contains("rds(db: cidr | host, port: port = 5432)"),
        "{value}"
    );
    assert!(value.contains("PostgreSQL"), "{value}");
    let rds = col(&fixed, 6, "rds");
    assert_eq!(hover["range"], range(6, rds, rds + 3));

    // Hover on the user definition shows its `##` doc; on a type, a short text.
    let hover = c.result(
        "textDocument/hover",
        at(URI, 6, col(&fixed, 6, "ledger") + 2),
    );
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.contains("ledger(port: port = 8443)"), "{value}");
    assert!(value.contains("Our ledger service."), "{value}");
    let hover = c.result(
        "textDocument/hover",
        at(URI, 4, col(&fixed, 4, ": port") + 3),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("type `port`"),
        "{hover}"
    );

    // Go to definition on a user definition: its `def` line; on a standard library name: its
    // definition in the standard library, written read-only under the cache folder.
    let def = c.result(
        "textDocument/definition",
        at(URI, 6, col(&fixed, 6, "ledger")),
    );
    assert_eq!(def["uri"], URI);
    let name = col(&fixed, 4, "ledger");
    assert_eq!(def["range"], range(4, name, name + 6));
    let def = c.result("textDocument/definition", at(URI, 6, rds + 1));
    let stdlib = def["uri"].as_str().unwrap();
    assert!(stdlib.ends_with("/prelude.egress"), "{def}");
    let path = stdlib.strip_prefix("file://").unwrap();
    assert!(path.starts_with(c.cache.path().to_str().unwrap()), "{def}");
    let meta = std::fs::metadata(path).unwrap();
    assert!(
        meta.permissions().readonly(),
        "the standard library is read-only"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let line = text
        .lines()
        .nth(def["range"]["start"]["line"].as_u64().unwrap() as usize);
    assert!(line.unwrap().starts_with("def rds("), "{line:?}");

    // Completion after `-> `: definitions (with signature and doc) and `pods`.
    let text = format!("{fixed}app worker -> \n");
    c.change(URI, 3, &text);
    let _ = c.diagnostics(URI);
    let items = c.result("textDocument/completion", at(URI, 7, 14));
    let items = items.as_array().unwrap();
    let labels: Vec<&str> = items.iter().map(|i| i["label"].as_str().unwrap()).collect();
    for want in ["rds", "dns", "ledger", "strict-dns", "pods"] {
        assert!(labels.contains(&want), "{want} missing from {labels:?}");
    }
    let rds_item = items.iter().find(|i| i["label"] == "rds").unwrap();
    assert_eq!(
        rds_item["detail"],
        "rds(db: cidr | host, port: port = 5432)"
    );
    assert!(rds_item["documentation"]["value"].is_string());

    // Completion at the start of a line: statement keywords.
    let text = format!("{fixed}\n");
    c.change(URI, 4, &text);
    let _ = c.diagnostics(URI);
    let items = c.result("textDocument/completion", at(URI, 7, 0));
    let labels = completion_labels(&items);
    for want in [
        "namespace",
        "app",
        "pods",
        "def",
        "default deny",
        "cluster",
        "host",
    ] {
        assert!(labels.contains(&want), "{want} missing from {labels:?}");
    }

    // Completion after `:` in a parameter list: the types.
    let text = fixed.replace("def ledger(port: port = 8443)", "def ledger(port: ");
    c.change(URI, 5, &text);
    let _ = c.diagnostics(URI);
    let items = c.result("textDocument/completion", at(URI, 4, 17));
    let labels = completion_labels(&items);
    assert_eq!(labels, ["cidr", "host", "port", "proto", "dest"]);

    // Document symbols: the namespace, with the definition and the app as children.
    c.change(URI, 6, &fixed);
    let _ = c.diagnostics(URI);
    let symbols = c.result(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": URI}}),
    );
    let symbols = symbols.as_array().unwrap();
    assert_eq!(symbols.len(), 1, "{symbols:?}");
    assert_eq!(symbols[0]["name"], "payments");
    assert_eq!(symbols[0]["kind"], 3, "a namespace");
    let children: Vec<&str> = symbols[0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(children, ["default deny", "ledger", "payments-api"]);

    c.shutdown_and_exit();
}

#[test]
fn features_survive_a_half_typed_line() {
    let mut c = Client::initialized(Value::Null);
    let text = "namespace payments\n## Ledger.\ndef ledger = 10.0.0.0/8:443/tcp\napp a -> ledger, rds(\napp b -> dns\n";
    c.open(URI, text);
    let diags = c.diagnostics(URI);
    assert_eq!(diags[0]["code"], "E0101", "{diags:?}");
    // Hover and symbols still work on the statements that parse.
    let hover = c.result("textDocument/hover", at(URI, 4, 10));
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("Cluster DNS"),
        "{hover}"
    );
    let symbols = c.result(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": URI}}),
    );
    let children: Vec<&str> = symbols[0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(children, ["ledger", "b"]);
    // Completion in the broken call offers destinations.
    let items = c.result("textDocument/completion", at(URI, 3, 21));
    assert!(
        items
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["label"] == "ledger"),
        "{items}"
    );
    c.shutdown_and_exit();
}

#[test]
fn protocols_without_ports_complete_and_hover() {
    let mut c = Client::initialized(Value::Null);
    let text = "namespace monitoring\napp pinger -> dns, 10.0.0.0/24:icmp(8), 10.1.0.0/24:gre\n";
    c.open(URI, text);
    let _ = c.diagnostics(URI);
    let hover = c.result("textDocument/hover", at(URI, 1, col(text, 1, "icmp") + 1));
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(
        value.contains("protocol `icmp`") && value.contains("echo request"),
        "{value}"
    );
    let hover = c.result("textDocument/hover", at(URI, 1, col(text, 1, "gre") + 1));
    assert!(
        hover["contents"]["value"].as_str().unwrap().contains("47"),
        "{hover}"
    );
    // After `:`, the protocols without ports.
    let text = "namespace monitoring\napp pinger -> dns, 10.0.0.0/24:\n";
    c.change(URI, 2, text);
    let _ = c.diagnostics(URI);
    let items = c.result(
        "textDocument/completion",
        at(URI, 1, col(text, 1, "24:") + 3),
    );
    let labels = completion_labels(&items);
    for want in ["icmp", "icmpv6", "gre"] {
        assert!(labels.contains(&want), "{want} missing from {labels:?}");
    }
    c.shutdown_and_exit();
}

#[test]
fn built_in_names_have_hover_and_completion() {
    let mut c = Client::initialized(Value::Null);
    let text = "namespace default\napp set -> none\napp proxy -> dns, any:443/tcp\n";
    c.open(URI, text);
    assert_eq!(errors(c.diagnostics(URI)), Vec::<Value>::new());
    let hover = c.result("textDocument/hover", at(URI, 2, col(text, 2, "any") + 1));
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.contains("Every destination"), "{value}");
    let hover = c.result("textDocument/hover", at(URI, 1, col(text, 1, "none") + 1));
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.contains("nothing allowed"), "{value}");
    let items = c.result("textDocument/completion", at(URI, 2, col(text, 2, "dns")));
    let labels = completion_labels(&items);
    assert!(
        labels.contains(&"any") && labels.contains(&"none") && labels.contains(&"serviceaccount"),
        "{labels:?}"
    );
    for name in [
        "kube-apiserver",
        "nodes",
        "this-node",
        "other-nodes",
        "cluster",
        "world",
        "service",
    ] {
        assert!(labels.contains(&name), "{name} missing from {labels:?}");
    }
    c.shutdown_and_exit();
}

#[test]
fn destinations_in_the_cluster_and_services_have_hover() {
    let mut c = Client::initialized(Value::Null);
    let text =
        "namespace ops\napp a -> dns, kube-apiserver:6443/tcp, this-node, cluster, service(db)\n";
    c.open(URI, text);
    assert_eq!(errors(c.diagnostics(URI)), Vec::<Value>::new());
    for (name, says) in [
        ("service", "endpoints of a Service"),
        ("kube-apiserver", "API server"),
        ("this-node", "node the sending pod runs on"),
        ("cluster", "Everything inside the cluster"),
    ] {
        let hover = c.result("textDocument/hover", at(URI, 1, col(text, 1, name) + 1));
        let value = hover["contents"]["value"].as_str().unwrap();
        assert!(value.contains(says), "{name}: {value}");
    }
    c.shutdown_and_exit();
}

#[test]
fn host_statements_have_hover_and_symbols() {
    let mut c = Client::initialized(Value::Null);
    let text = "host workers {type=worker} -> any:443/tcp, dns\n";
    c.open(URI, text);
    assert_eq!(errors(c.diagnostics(URI)), Vec::<Value>::new());
    let hover = c.result("textDocument/hover", at(URI, 0, 1));
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.contains("own traffic of the nodes"), "{value}");
    let symbols = c.result(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": URI } }),
    );
    assert!(symbols.to_string().contains("host allow-list"), "{symbols}");
    c.shutdown_and_exit();
}

#[test]
fn positions_are_utf16() {
    let mut c = Client::initialized(Value::Null);
    // `é` is one UTF-16 unit and two bytes, `🦀` two units and four bytes.
    let text = "namespace payments\npods w {team=\"é🦀\"} -> rds(10.20.30.1/24)\n";
    c.open(URI, text);
    let diags = errors(c.diagnostics(URI));
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["E0207", "E0303"]);
    let start = col(text, 1, "10.20");
    assert_eq!(start, 27);
    assert_eq!(diags[1]["range"], range(1, start, start + 13));
    let value = col(text, 1, "\"é");
    assert_eq!(diags[0]["range"], range(1, value, value + 5));
    // Hover right after the crab still finds `rds`.
    let hover = c.result("textDocument/hover", at(URI, 1, col(text, 1, "rds") + 1));
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("rds(")
    );
    c.shutdown_and_exit();
}

#[test]
fn request_before_initialize_is_refused() {
    let mut c = Client::start();
    let resp = c.request("textDocument/hover", at(URI, 0, 0));
    assert_eq!(resp["error"]["code"], -32002, "{resp}");
    // Initialization still works afterwards.
    let resp = c.request("initialize", json!({"processId": null, "capabilities": {}}));
    assert!(resp["result"]["capabilities"].is_object(), "{resp}");
    c.notify("initialized", json!({}));
    c.shutdown_and_exit();
}

#[test]
fn unopened_documents_and_bad_requests_get_answers() {
    let mut c = Client::initialized(Value::Null);
    let never = "file:///work/policies/never-opened.egress";
    for method in [
        "textDocument/hover",
        "textDocument/definition",
        "textDocument/completion",
    ] {
        assert_eq!(c.result(method, at(never, 3, 7)), Value::Null, "{method}");
    }
    let symbols = c.result(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": never}}),
    );
    assert_eq!(symbols, Value::Null);
    // Changing or closing a document that is not open is ignored.
    c.change(never, 2, "namespace x\n");
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": never}}),
    );
    // Malformed parameters and unknown methods get error responses.
    let resp = c.request("textDocument/hover", json!({"nonsense": true}));
    assert_eq!(resp["error"]["code"], -32602, "{resp}");
    let resp = c.request("egressc/noSuchMethod", json!({}));
    assert_eq!(resp["error"]["code"], -32601, "{resp}");
    // Positions far outside the document are clamped.
    c.open(URI, "namespace a\napp b -> dns\n");
    let _ = c.diagnostics(URI);
    for (line, character) in [(0, 999), (99, 0), (u32::MAX, u32::MAX)] {
        for method in [
            "textDocument/hover",
            "textDocument/definition",
            "textDocument/completion",
        ] {
            let _ = c.result(method, at(URI, line, character));
        }
    }
    // Closing clears the document's diagnostics.
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": URI}}),
    );
    assert_eq!(c.diagnostics(URI), Vec::<Value>::new());
    c.shutdown_and_exit();
}

#[test]
fn exit_without_shutdown_exits_1() {
    let mut c = Client::initialized(Value::Null);
    c.notify("exit", Value::Null);
    assert_eq!(c.wait(), Some(1));
}

#[test]
fn requests_after_shutdown_are_refused() {
    let mut c = Client::initialized(Value::Null);
    let resp = c.request("shutdown", Value::Null);
    assert!(resp.get("error").is_none(), "{resp}");
    let resp = c.request("textDocument/hover", at(URI, 0, 0));
    assert_eq!(resp["error"]["code"], -32600, "{resp}");
    c.notify("exit", Value::Null);
    assert_eq!(c.wait(), Some(0));
}

const DEFS_URI: &str = "file:///work/policies/defs.egress";
const APP_URI: &str = "file:///work/policies/app.egress";
const DEFS: &str = "## The ledger.\ndef ledger = 10.0.0.0/8:443/tcp\n";
const APP: &str = "namespace payments\ndefault deny\napp api -> dns, ledger\n";

#[test]
fn open_documents_of_a_folder_form_one_program() {
    let mut c = Client::initialized(Value::Null);
    c.open(DEFS_URI, DEFS);
    let _ = c.diagnostics(DEFS_URI);
    c.open(APP_URI, APP);
    assert_eq!(errors(c.diagnostics(APP_URI)), Vec::<Value>::new());
    let def = c.result("textDocument/definition", at(APP_URI, 2, 18));
    assert_eq!(def["uri"], DEFS_URI);
    assert_eq!(def["range"], range(1, 4, 10));
    // Closing the definitions leaves `ledger` unknown.
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": DEFS_URI}}),
    );
    let diags = errors(c.diagnostics(APP_URI));
    assert_eq!(diags[0]["code"], "E0201", "{diags:?}");
    c.shutdown_and_exit();
}

#[test]
fn document_model_keeps_documents_apart() {
    let mut c = Client::initialized(json!({"program": "document"}));
    c.open(DEFS_URI, DEFS);
    let _ = c.diagnostics(DEFS_URI);
    c.open(APP_URI, APP);
    let diags = errors(c.diagnostics(APP_URI));
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "E0201");
    c.shutdown_and_exit();
}

const FRAGMENTS: &[&str] = &[
    "namespace ",
    "payments",
    "\n",
    "\r\n",
    "app ",
    "pods ",
    "def ",
    "default deny",
    " deny ",
    "cluster ",
    " -> ",
    ", ",
    "dns",
    "rds(",
    "10.20.30.0/24",
    ":5432",
    "/tcp",
    ")",
    "(",
    "{",
    "}",
    "app=x",
    "=",
    ":",
    "|",
    "cidr",
    "## doc\n",
    "# comment",
    "fqdn(**.example.com)",
    "[fd00::1]:443",
    "\"",
    "é",
    "🦀",
    "\u{0}",
    "\u{feff}",
    "\t",
    "@allow(",
    "set ",
];

/// The character boundaries of `text`.
fn boundaries(text: &str) -> Vec<usize> {
    text.char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect()
}

#[test]
fn random_edits_never_break_the_server() {
    let mut c = Client::initialized(Value::Null);
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let mut text = BROKEN.to_owned();
    c.open(URI, &text);
    let _ = c.diagnostics(URI);
    let mut version = 1;
    for batch in 0..20 {
        for _ in 0..10 {
            let cuts = boundaries(&text);
            let at = cuts[rng.below(cuts.len())];
            match rng.below(4) {
                // Insert a fragment of the language.
                0 | 1 => text.insert_str(at, FRAGMENTS[rng.below(FRAGMENTS.len())]),
                // Insert a random character, possibly multi-byte.
                2 => {
                    let ch = char::from_u32(u32::try_from(rng.below(0x1_0000)).unwrap())
                        .unwrap_or('\u{1F980}');
                    text.insert(at, ch);
                }
                // Delete a few characters.
                _ => {
                    let from = cuts.iter().position(|c| *c == at).unwrap();
                    let to = cuts[(from + 1 + rng.below(8)).min(cuts.len() - 1)];
                    text.replace_range(at..to, "");
                }
            }
            version += 1;
            c.change(URI, version, &text);
        }
        // After each batch the server answers, and its diagnostics are well formed.
        let lines = u32::try_from(text.lines().count()).unwrap();
        let line = u32::try_from(rng.below(lines as usize + 2)).unwrap();
        let character = u32::try_from(rng.below(40)).unwrap();
        for method in [
            "textDocument/hover",
            "textDocument/definition",
            "textDocument/completion",
        ] {
            let resp = c.request(method, at(URI, line, character));
            assert!(
                resp.get("error").is_none(),
                "batch {batch}: {method} failed on {text:?}: {resp}"
            );
        }
        let resp = c.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": URI}}),
        );
        assert!(
            resp["result"].is_array(),
            "batch {batch}: documentSymbol failed on {text:?}: {resp}"
        );
        // Changes sent together are analysed together: at most one publication per change,
        // each well formed.
        let published = c.drain_diagnostics(URI);
        assert!((1..=10).contains(&published.len()), "batch {batch}");
        for d in published.into_iter().flatten() {
            assert!(d["code"].as_str().unwrap().starts_with(['E', 'W']), "{d}");
            assert_eq!(d["source"], "egressc");
            let r = &d["range"];
            assert!(
                r["start"]["line"].as_u64() <= r["end"]["line"].as_u64(),
                "{d}"
            );
        }
    }
    c.shutdown_and_exit();
}

fn framed(body: &str) -> String {
    format!("Content-Length: {}\r\n\r\n{body}", body.len())
}

#[test]
fn malformed_frames_are_answered_and_the_server_keeps_serving() {
    let mut c = Client::initialized(Value::Null);
    // A body that is not JSON: parse error, id unknown.
    c.send_raw(framed("{\"jsonrpc\": \"2.0\", \"id\": 4, ").as_bytes());
    let e = c.next_error();
    assert_eq!(e["error"]["code"], -32700, "{e}");
    assert_eq!(e["id"], Value::Null);
    // JSON that is no JSON-RPC message: invalid request, with its id.
    c.send_raw(framed(r#"{"jsonrpc":"2.0","id":41,"method":7}"#).as_bytes());
    let e = c.next_error();
    assert_eq!(
        (e["error"]["code"].clone(), e["id"].clone()),
        (json!(-32600), json!(41))
    );
    // A length that is not a number, then one over the limit: parse errors, and the frames
    // after them are read.
    c.send_raw(b"Content-Length: twelve\r\n\r\n");
    assert_eq!(c.next_error()["error"]["code"], -32700);
    c.send_raw(b"Content-Length: 99999999999999\r\n\r\n");
    assert_eq!(c.next_error()["error"]["code"], -32700);
    // Bytes that are no frame at all, and a header line of a megabyte.
    c.send_raw(&vec![b'x'; 1 << 20]);
    c.send_raw(b"\r\n");
    c.open(URI, BROKEN);
    assert!(!c.diagnostics(URI).is_empty());
    let hover = c.result("textDocument/hover", at(URI, 6, 26));
    assert!(hover.to_string().contains("rds"), "{hover}");
    c.shutdown_and_exit();
}

#[test]
fn hostile_documents_get_coded_errors_and_the_server_keeps_serving() {
    let mut c = Client::initialized(json!({"program": "document"}));
    let head = "namespace payments\ndefault deny\n";
    let mut cases: Vec<(String, &str)> = Vec::new();
    for depth in [5_000, 100_000] {
        let nested = format!(
            "{head}app a -> dns, {}api.stripe.com:443{}\n",
            "fqdn(".repeat(depth),
            ")".repeat(depth)
        );
        cases.push((nested, "E0110"));
        let mut chain = format!("{head}def d0 = 10.0.0.0/24:443\n");
        for i in 1..depth {
            chain.push_str(&format!("def d{i} = d{}\n", i - 1));
        }
        chain.push_str(&format!("app a -> dns, d{}\n", depth - 1));
        cases.push((chain, "E0212"));
    }
    let mut doubling = format!("{head}def d0 = 10.0.0.0/24:443\n");
    for i in 1..=40 {
        doubling.push_str(&format!("def d{i} = d{0}, d{0}\n", i - 1));
    }
    doubling.push_str("app a -> dns, d40\n");
    cases.push((doubling, ""));
    for (i, (text, code)) in cases.iter().enumerate() {
        let uri = format!("file:///work/hostile/{i}.egress");
        c.open(&uri, text);
        let codes: Vec<String> = errors(c.diagnostics(&uri))
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_owned())
            .collect();
        if code.is_empty() {
            assert!(codes.is_empty(), "case {i}: {codes:?}");
        } else {
            assert!(codes.iter().any(|c| c == code), "case {i}: {codes:?}");
        }
        let symbols = c.result(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri}}),
        );
        assert!(symbols.is_array() || symbols.is_null());
    }
    c.shutdown_and_exit();
}
