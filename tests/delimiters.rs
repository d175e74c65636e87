//! An unclosed delimiter is reported at its opener, with the closer it expects, by `egressc
//! check` and by `egressc lsp` alike: one case per delimiter (the fixtures of
//! `tests/fixtures/syntax/err/`).

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

use std::process::Command;

use lsp_client::*;
use serde_json::Value;

/// (fixture, line, column of the opener (1-based), code, message).
const CASES: [(&str, u32, u32, &str, &str); 5] = [
    (
        "unclosed-paren",
        5,
        29,
        "E0101",
        "unclosed `(`: expected `)` before the end of the file",
    ),
    (
        "unclosed-brace",
        3,
        30,
        "E0101",
        "unclosed `{`: expected `}` before the end of the file",
    ),
    (
        "unclosed-bracket",
        3,
        26,
        "E0105",
        "malformed literal `[fd00::1:443`",
    ),
    (
        "unclosed-string",
        3,
        15,
        "E0101",
        "unclosed `\"`: expected `\"` before the end of its line",
    ),
    (
        "mismatched-bracket",
        3,
        34,
        "E0101",
        "unclosed `{`: expected `}` before `)`",
    ),
];

fn path(name: &str) -> String {
    format!(
        "{}/tests/fixtures/syntax/err/{name}.egress",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn the_command_line_points_at_the_opener() {
    for (name, line, column, code, message) in CASES {
        let out = Command::new(env!("CARGO_BIN_EXE_egressc"))
            .args(["check", "--error-format", "json", &path(name)])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        let d: Value = text
            .lines()
            .find_map(|l| serde_json::from_str(l).ok())
            .unwrap_or_else(|| panic!("{name}: no JSON in {text}"));
        assert_eq!(d["code"], code, "{name}: {d}");
        assert_eq!(d["message"], message, "{name}: {d}");
        assert_eq!(
            (d["line"].as_u64(), d["column"].as_u64()),
            (Some(u64::from(line)), Some(u64::from(column))),
            "{name}: {d}"
        );
    }
}

#[test]
fn the_language_server_points_at_the_opener() {
    let mut c = Client::initialized(serde_json::json!({"program": "document"}));
    for (name, line, column, code, message) in CASES {
        let text = std::fs::read_to_string(path(name)).unwrap();
        let uri = format!("file:///nowhere/{name}.egress");
        c.open(&uri, &text);
        let d = c.diagnostics(&uri);
        assert_eq!(d.len(), 1, "{name}: {d:?}");
        assert_eq!(d[0]["code"], code, "{name}");
        assert!(
            d[0]["message"].as_str().unwrap().starts_with(message),
            "{name}: {}",
            d[0]["message"]
        );
        assert_eq!(d[0]["range"]["start"]["line"], line - 1, "{name}");
        assert_eq!(d[0]["range"]["start"]["character"], column - 1, "{name}");
    }
    c.shutdown_and_exit();
}
