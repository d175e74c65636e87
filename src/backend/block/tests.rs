//! The block writer against serde-saphyr: the same bytes for every example and fixture on every
//! target, and for strings drawn at random as keys and values.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::backend::Target;

thread_local! {
    /// Whether `yaml::document` uses the writer (tests turn it off to get serde-saphyr's text).
    pub(super) static WRITER: Cell<bool> = const { Cell::new(true) };
    /// Objects the writer wrote, and objects it gave back.
    static COUNTS: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

pub(super) fn count(written: bool) {
    COUNTS.with(|c| {
        let (w, r) = c.get();
        c.set(if written { (w + 1, r) } else { (w, r + 1) });
    });
}

/// Every target's stream of `src` (empty for a target that refuses it), the writer on or off.
fn streams(src: &str, writer: bool) -> Vec<String> {
    WRITER.set(writer);
    let out = Target::ALL
        .iter()
        .map(|t| {
            let c = crate::compile(&[crate::Input::new("t.egress", src)], &[*t]);
            c.outputs.iter().map(|o| o.stream()).collect::<String>()
        })
        .collect();
    WRITER.set(true);
    out
}

/// The `.egress` files of `dir`.
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let path = e.path();
            if path.extension().is_some_and(|x| x == "egress")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                out.push((path.display().to_string(), text));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_example_and_fixture_is_written_as_serde_saphyr_writes_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = sources(&root.join("examples"));
    for stage in ["backend", "lower", "check", "lint", "expect"] {
        files.extend(sources(&root.join("tests/fixtures").join(stage).join("ok")));
    }
    assert!(files.len() > 40, "{} files", files.len());
    COUNTS.set((0, 0));
    let mut bytes = 0;
    for (name, text) in &files {
        let ours = streams(text, true);
        let theirs = streams(text, false);
        for ((t, a), b) in Target::ALL.iter().zip(&ours).zip(&theirs) {
            assert_eq!(a, b, "{name}, target {t}");
            bytes += a.len();
        }
    }
    let (written, refused) = COUNTS.get();
    assert!(bytes > 100_000, "{bytes} bytes compared");
    // The writer covers the objects the backends build; serde-saphyr writes only the rare one.
    assert!(
        written > 20 * refused.max(1),
        "{written} objects written, {refused} given back"
    );
}

/// A deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A string of pieces that decide YAML's quoting: indicators, spaces, words YAML 1.1 reads
    /// as booleans or nulls, numbers, escapes, line breaks, non-ASCII letters.
    fn string(&mut self) -> String {
        const PIECES: &[&str] = &[
            "a",
            "Z",
            "svc-1",
            "0",
            "7",
            "1e3",
            "0x1f",
            "0o7",
            ".",
            "-",
            "_",
            ":",
            ": ",
            "#",
            " #",
            " ",
            "  ",
            "\t",
            "'",
            "\"",
            "\\",
            "~",
            "!",
            "&",
            "*",
            "?",
            "|",
            ">",
            "%",
            "@",
            "`",
            ",",
            "[",
            "]",
            "{",
            "}",
            "/",
            "=",
            "on",
            "off",
            "yes",
            "No",
            "y",
            "n",
            "true",
            "False",
            "null",
            "NULL",
            ".inf",
            "-.nan",
            "2024-01-01",
            "1:20",
            "é",
            "\u{85}",
            "\u{feff}",
            "\u{7f}",
            "\u{1b}",
            "\n",
            "\r",
            "k8s:app",
            "10.0.0.0/8",
            "::1",
            "*.example.com",
            "0.0.0.0/0",
            "1_000",
            "+1",
            "-1",
            "0b1",
            "1.",
            ".5",
        ];
        let len = self.below(6);
        let mut s: String = (0..len).map(|_| PIECES[self.below(PIECES.len())]).collect();
        if self.below(40) == 0 {
            // Past the length at which serde-saphyr may fold a string.
            s.push_str(&"word ".repeat(20));
        }
        s
    }
}

#[derive(Serialize)]
struct Object {
    name: String,
    labels: BTreeMap<String, String>,
    values: Vec<String>,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
struct Rule {
    first: String,
    port: u16,
    empty: BTreeMap<String, String>,
    none: Vec<String>,
}

/// The object's text from the writer, or serde-saphyr's where the writer gives it back.
fn through_writer(object: &Object) -> (String, bool) {
    let mut out = String::new();
    match super::write(object, &mut out) {
        Ok(()) => (out, true),
        Err(super::Refused) => (serde_saphyr::to_string(object).unwrap_or_default(), false),
    }
}

#[test]
fn random_strings_are_quoted_as_serde_saphyr_quotes_them() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut written = 0;
    for _ in 0..5_000 {
        let object = Object {
            name: rng.string(),
            labels: (0..rng.below(3))
                .map(|_| (rng.string(), rng.string()))
                .collect(),
            values: (0..rng.below(3)).map(|_| rng.string()).collect(),
            rules: (0..rng.below(3))
                .map(|_| Rule {
                    first: rng.string(),
                    port: rng.next() as u16,
                    empty: BTreeMap::new(),
                    none: Vec::new(),
                })
                .collect(),
        };
        let Ok(theirs) = serde_saphyr::to_string(&object) else {
            continue;
        };
        let (ours, by_writer) = through_writer(&object);
        assert_eq!(ours, theirs, "{:?}", object.name);
        written += usize::from(by_writer);
    }
    assert!(written > 2_500, "{written} objects written by the writer");
}

#[test]
fn strings_written_without_serde_saphyr_are_the_ones_it_writes_as_they_are() {
    const PIECES: &[&str] = &[
        "a",
        "Z",
        "e",
        "E",
        "x",
        "0",
        "1",
        "7",
        ".",
        "_",
        "/",
        "-",
        "svc",
        "y",
        "n",
        "yes",
        "No",
        "ON",
        "off",
        "true",
        "False",
        "null",
        "nan",
        "Inf",
        "0x",
        "0o",
        "0b",
        "1e3",
        "2024-01-01",
        "10.0.0.0",
        "/24",
        ":",
        "#",
        " ",
        "~",
        "+",
        "'",
        "\"",
        "=",
        " == ",
        "&&",
        "|",
        "(",
        ")",
        "!",
        ",",
        "[",
        "{",
        "all()",
        "\t",
    ];
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut plain = 0;
    for _ in 0..40_000 {
        let len = 1 + rng.below(5);
        let s: String = (0..len).map(|_| PIECES[rng.below(PIECES.len())]).collect();
        if !super::plain(&s) {
            continue;
        }
        plain += 1;
        assert_eq!(
            super::value_text(&s).ok().as_deref(),
            Some(s.as_str()),
            "value {s:?}"
        );
        assert_eq!(
            super::key_text(&s).ok().as_deref(),
            Some(s.as_str()),
            "key {s:?}"
        );
    }
    for word in super::AMBIGUOUS_WORDS {
        assert_ne!(
            super::value_text(word).ok().as_deref(),
            Some(*word),
            "{word}"
        );
    }
    assert!(plain > 5_000, "{plain} plain strings");
}
