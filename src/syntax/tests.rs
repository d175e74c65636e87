//! Keywords are contextual: every word the language gives a meaning to is a name in every name
//! position, for every statement kind, and a label in every selector position.

use crate::diagnostics::Code;
use crate::{Input, analyse};

/// Every word with a meaning somewhere in the language: statement keywords, the words inside
/// statements, and the built-in names (which are reserved as definition names only).
const WORDS: [&str; 16] = [
    "namespace",
    "def",
    "app",
    "pods",
    "default",
    "deny",
    "allow",
    "cluster",
    "expect",
    "set",
    "resolving",
    "in",
    "notin",
    "ns",
    "none",
    "any",
];

/// A program that uses `k` in every name position of every statement kind.
fn program(k: &str) -> String {
    // Built-in names cannot be defined again (E0202): their `def` uses another name.
    let def = if ["none", "any", "cluster"].contains(&k) {
        "d"
    } else {
        k
    };
    format!(
        "namespace {k}\n\
         default deny\n\
         def {def}({k}: port = 53) = pods(kube-system){{k8s-app=kube-dns}}:{k}/udp\n\
         app {k} -> {def}, {def}({k} = 5353), pods({k}){{{k}={k}}}:80\n\
         pods p-{k} {{{k}, !{k}x, {k}y in ({k}, a), {k}z notin ({k}), {k}w!={k}}} -> {def}, pods({k})\n\
         cluster {k} deny 10.9.0.0/16\n\
         @allow(no-dns, \"{k}\")\n\
         app q-{k} -> pods(ns{{{k}={k}}}){{app={k}}}:443\n\
         expect {k} -> pods({k}){{{k}={k}}}:80 allow\n\
         set {k} = 16\n"
    )
}

#[test]
fn every_keyword_is_a_name_in_every_name_position() {
    for k in WORDS {
        let source = program(k);
        let a = analyse(&[Input::new("keywords.egress", source.as_str())]);
        let codes: Vec<Code> = a
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code)
            .collect();
        // The only error: `set` takes a known setting, and `k` is none.
        assert_eq!(codes, vec![Code::E0701], "`{k}`:\n{source}\n{codes:?}");
        let statements = a.files.first().map_or(0, |f| f.items.len());
        assert_eq!(statements, 10, "`{k}`: every statement parsed");
    }
}

#[test]
fn deny_is_a_name_unless_a_destination_follows() {
    let a = analyse(&[Input::new(
        "deny.egress",
        "namespace p\ndef deny = 10.1.0.0/24:443\napp a -> deny, 10.2.0.0/24:443 deny 10.2.0.0/25\napp b -> deny\napp c -> deny:443 deny deny\n",
    )]);
    let errors: Vec<String> = a
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    // `deny:443` gives a port to a destination that has one: an error of the checker, not of
    // the parser.
    assert!(errors.iter().all(|e| !e.starts_with("E01")), "{errors:?}");
}

/// The tree and diagnostics of `text` parsed whole by the grammar's `file` rule, and parsed
/// statement by statement (`fast_statement` first), when that succeeds, and how many statements
/// `fast_statement` read.
fn whole_and_by_statement(text: &str) -> (String, Option<String>, usize) {
    let id = crate::source::FileId(3);
    let mut diags = crate::diagnostics::Diagnostics::new();
    let whole = match super::pairs(id, text) {
        Ok(pairs) => {
            let file = super::pairs_to_ast::file(id, text, pairs, &mut diags);
            format!("{file:?} {diags:?}")
        }
        Err(d) => format!("{d:?}"),
    };
    let mut diags = crate::diagnostics::Diagnostics::new();
    let by_statement = super::statements(id, text, &mut diags).map(|items| {
        let file = super::ast::File { id, items };
        format!("{file:?} {diags:?}")
    });
    let mut fast = 0;
    let mut pos = super::skip_lines(text.as_bytes(), 0).0;
    while let Some(rest) = text.get(pos..).filter(|rest| !rest.is_empty()) {
        use pest::Parser as _;
        // The attempt never fails: pest's error for a failed parse scans to the end of the
        // file, once per statement.
        assert!(
            super::parser::EgressParser::parse(super::Rule::fast_statement, rest).is_ok(),
            "{rest:?}"
        );
        let end = match super::first_attempt(rest) {
            Some(pair) => {
                fast += 1;
                pair.as_span().end()
            }
            None => match super::parser::EgressParser::parse(super::Rule::statement, rest) {
                Ok(mut pairs) => pairs.next().map_or(rest.len(), |p| p.as_span().end()),
                Err(_) => rest.len(),
            },
        };
        pos = super::skip_lines(text.as_bytes(), pos + end).0;
    }
    (whole, by_statement, fast)
}

/// Destinations of the generated statements: plain ones, which `fast_statement` reads in one
/// token, and others, which it leaves to `dest`.
const DESTS: &[&str] = &[
    "dns",
    "metadata",
    "deny",
    "10.0.0.0/24:5432/tcp",
    "0.0.0.0/0:443/tcp",
    "[fd00::1]:443",
    "*.example.com",
    "8000-8100",
    "10.0.0.0/8:icmp(8)",
    "deny:443",
    "rds(10.1.0.0/16)",
    "pods{app=x}:80",
    "bad//x",
    "dns :53",
    "a.b",
    "x{a=b}",
    "service(ns/s)",
    "é.example.com",
    "ns{a=b}",
    "a#b",
    "dns\t",
    "x:y(1)",
];

/// What goes between the parts of a generated statement: mostly a space, sometimes nothing,
/// tabs, comments, line breaks, or a piece that may break the statement.
const GAPS: &[&str] = &[
    " ", " ", " ", " ", " ", " ", "  ", "", "\t", " # c", "\n", "\r\n", "\n  ", " deny ", ",",
    "->", "(", "{", "\"", "denyx", "d", "#",
];

/// A generated file: `namespace`, `default deny`, `def` and `app` statements.
fn generated(rng: &mut crate::lsp::rng::Rng) -> String {
    let mut text = String::new();
    let gap = |rng: &mut crate::lsp::rng::Rng, text: &mut String| {
        let g = if rng.below(12) == 0 {
            GAPS[rng.below(GAPS.len())]
        } else {
            " "
        };
        text.push_str(g);
    };
    for _ in 0..1 + rng.below(5) {
        match rng.below(8) {
            0 => {
                text.push_str("namespace");
                gap(rng, &mut text);
                text.push_str(["team-1", "deny", "app"][rng.below(3)]);
            }
            1 => {
                text.push_str("default");
                gap(rng, &mut text);
                text.push_str("deny");
            }
            kind => {
                if kind == 2 {
                    text.push_str("def d =");
                } else {
                    text.push_str("app");
                    gap(rng, &mut text);
                    text.push_str(["x", "svc-1", "deny", "app", "a.b"][rng.below(5)]);
                    gap(rng, &mut text);
                    text.push_str("->");
                }
                let mut denied = kind == 2;
                for i in 0..1 + rng.below(6) {
                    gap(rng, &mut text);
                    if i > 0 {
                        if !denied && rng.below(5) == 0 {
                            denied = true;
                            text.push_str(if rng.below(3) == 0 {
                                "\n  deny"
                            } else {
                                "deny"
                            });
                        } else {
                            text.push(',');
                        }
                        gap(rng, &mut text);
                    }
                    text.push_str(DESTS[rng.below(DESTS.len())]);
                }
            }
        }
        gap(rng, &mut text);
        text.push_str(["\n", "\n", "\n\n", "\r\n", " # c\n"][rng.below(5)]);
    }
    text
}

/// Statement by statement and whole, every example, every fixture and thousands of generated
/// files give the same trees (spans included) and diagnostics; most generated statements are
/// read by `fast_statement`.
#[test]
fn statements_read_by_the_first_attempt_are_those_of_a_whole_parse() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = Vec::new();
    let mut folders = vec![root.join("examples"), root.join("tests/fixtures")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "egress") {
                texts.extend(std::fs::read_to_string(&path).ok());
            }
        }
    }
    assert!(texts.len() > 100, "{} files", texts.len());
    let mut rng = crate::lsp::rng::Rng(0x2545_f491_4f6c_dd1d);
    texts.extend((0..3000).map(|_| generated(&mut rng)));
    let (mut compared, mut fast) = (0, 0);
    for text in &texts {
        let (whole, by_statement, read) = whole_and_by_statement(text);
        if let Some(by_statement) = by_statement {
            assert_eq!(by_statement, whole, "{text:?}");
            compared += 1;
            fast += read;
        }
    }
    assert!(
        compared > 1200 && fast > 1300,
        "{compared} files, {fast} statements"
    );
}
