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
