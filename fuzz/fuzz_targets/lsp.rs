//! The language server's message loop on one input. The first byte chooses how the rest is
//! read: as raw bytes on the server's standard input (framing, malformed headers and bodies), or
//! as a document that a scripted session opens, edits, and asks hover, definition, completion and
//! symbols about at positions spread over it. A panic that escapes, a stack overflow or a
//! timeout is a finding; so is a server that stops answering before `exit`.

#![no_main]

use egressc::lsp::{serve, transport::Transport};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fn frame(out: &mut Vec<u8>, v: &Value) {
    let text = v.to_string();
    out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", text.len()).as_bytes());
    out.extend_from_slice(text.as_bytes());
}

fn session(text: &str) -> Vec<u8> {
    let uri = "file:///fuzz/a.egress";
    let mut out = Vec::new();
    frame(&mut out, &json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}));
    frame(&mut out, &json!({"jsonrpc":"2.0","method":"initialized","params":{}}));
    frame(&mut out, &json!({"jsonrpc":"2.0","method":"textDocument/didOpen","params":{
        "textDocument":{"uri":uri,"languageId":"egress","version":1,"text":text}}}));
    let lines = text.lines().count().max(1) as u32;
    let mut id = 2;
    for i in 0..8u32 {
        let pos = json!({"line": i * lines / 8, "character": i * 7});
        for method in ["textDocument/hover", "textDocument/definition", "textDocument/completion"] {
            frame(&mut out, &json!({"jsonrpc":"2.0","id":id,"method":method,"params":{
                "textDocument":{"uri":uri},"position":pos}}));
            id += 1;
        }
    }
    frame(&mut out, &json!({"jsonrpc":"2.0","id":id,"method":"textDocument/documentSymbol","params":{
        "textDocument":{"uri":uri}}}));
    // Half the text, as an editor would send while the user deletes.
    let half: String = text.chars().take(text.chars().count() / 2).collect();
    frame(&mut out, &json!({"jsonrpc":"2.0","method":"textDocument/didChange","params":{
        "textDocument":{"uri":uri,"version":2},"contentChanges":[{"text":half}]}}));
    frame(&mut out, &json!({"jsonrpc":"2.0","id":id + 1,"method":"shutdown"}));
    frame(&mut out, &json!({"jsonrpc":"2.0","method":"exit"}));
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let input = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        session(&String::from_utf8_lossy(rest))
    };
    let mut output = Vec::new();
    let code = serve(Transport::new(input.as_slice(), &mut output));
    assert!(code.is_ok(), "the server failed: {code:?}");
    if mode % 2 == 1 {
        let text = String::from_utf8_lossy(&output);
        assert!(text.contains("\"id\":1,"), "no answer to `initialize`");
    }
});
