//! What the fuzz targets check on one input, shared with `tests/fuzz_regressions.rs`, which
//! replays every finding kept in `tests/data/fuzz/`.

use egressc::backend::Target;
use egressc::diagnostics::render::{self, Format};
use egressc::lsp::{NoFiles, serve, transport::Transport};
use egressc::verify::{self, universe};
use egressc::{Input, compile};
use serde_json::{Value, json};

/// The whole pipeline: parse, check, lower, lint, every backend alone, every diagnostic in every
/// output format, and each target's YAML read back by its evaluator and held to the reference
/// over the program's flow universe. Panics on a finding. A program the front end refuses is
/// analysed once, not once per target.
pub fn pipeline(data: &[u8]) {
    let input = [Input::new("fuzz.egress", data)];
    for target in Target::ALL.iter().copied() {
        let c = compile(&input, &[target]);
        let diags: Vec<_> = c.analysis.diagnostics.iter().cloned().collect();
        for format in [Format::Human, Format::Json, Format::Sarif, Format::Github] {
            let _ = render::render(
                format,
                &c.analysis.sources,
                &diags,
                egressc::lint::explanation,
            );
        }
        let Some(ir) = c.analysis.ir.as_ref() else {
            // The front end failed: every target would fail the same way.
            break;
        };
        let Some(output) = c.outputs.first() else {
            continue;
        };
        if c.has_errors() {
            continue;
        }
        let yaml = output.stream();
        let evaluator = match verify::load(target, &yaml) {
            Ok(e) => e,
            Err(e) => panic!("{target} cannot read its own output back: {e}\n{yaml}"),
        };
        let agreement = universe::compare(ir, evaluator.as_ref(), target, 1);
        if let Some(d) = agreement.disagreements.first() {
            panic!("{target} disagrees with the reference: {d}\n{yaml}");
        }
    }
}

fn frame(out: &mut Vec<u8>, v: &Value) {
    let text = v.to_string();
    out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", text.len()).as_bytes());
    out.extend_from_slice(text.as_bytes());
}

/// A session that opens `text`, asks hover, definition and completion at positions spread over
/// it and its symbols, deletes half of it, then shuts down.
fn session(text: &str) -> Vec<u8> {
    let uri = "file:///fuzz/a.egress";
    let mut out = Vec::new();
    frame(
        &mut out,
        &json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}),
    );
    frame(
        &mut out,
        &json!({"jsonrpc":"2.0","method":"initialized","params":{}}),
    );
    frame(
        &mut out,
        &json!({"jsonrpc":"2.0","method":"textDocument/didOpen","params":{
        "textDocument":{"uri":uri,"languageId":"egress","version":1,"text":text}}}),
    );
    let lines = u32::try_from(text.lines().count().max(1)).unwrap_or(u32::MAX);
    let mut id = 2;
    for i in 0..8u32 {
        let pos = json!({"line": i.saturating_mul(lines) / 8, "character": i * 7});
        for method in [
            "textDocument/hover",
            "textDocument/definition",
            "textDocument/completion",
        ] {
            frame(
                &mut out,
                &json!({"jsonrpc":"2.0","id":id,"method":method,"params":{
                "textDocument":{"uri":uri},"position":pos}}),
            );
            id += 1;
        }
    }
    frame(
        &mut out,
        &json!({"jsonrpc":"2.0","id":id,"method":"textDocument/documentSymbol","params":{
        "textDocument":{"uri":uri}}}),
    );
    let half: String = text.chars().take(text.chars().count() / 2).collect();
    frame(
        &mut out,
        &json!({"jsonrpc":"2.0","method":"textDocument/didChange","params":{
        "textDocument":{"uri":uri,"version":2},"contentChanges":[{"text":half}]}}),
    );
    frame(
        &mut out,
        &json!({"jsonrpc":"2.0","id":id + 1,"method":"shutdown"}),
    );
    frame(&mut out, &json!({"jsonrpc":"2.0","method":"exit"}));
    out
}

/// The language server's message loop. The first byte chooses how the rest is read: even, as
/// raw bytes on the server's input (framing, malformed headers and bodies); odd, as a document
/// of a scripted [`session`], which must get an answer to every request and exit cleanly.
pub fn lsp(data: &[u8]) {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let scripted = mode % 2 == 1;
    let input = if scripted {
        session(&String::from_utf8_lossy(rest))
    } else {
        rest.to_vec()
    };
    let mut output = Vec::new();
    let code = serve(
        Transport::new(std::io::Cursor::new(input), &mut output),
        &NoFiles,
    );
    assert!(code.is_ok(), "the server failed: {code:?}");
    if scripted {
        let text = String::from_utf8_lossy(&output);
        assert_eq!(
            code.ok(),
            Some(std::process::ExitCode::SUCCESS),
            "no clean exit after `shutdown`"
        );
        assert!(text.contains("\"id\":1,"), "no answer to `initialize`");
    }
}
