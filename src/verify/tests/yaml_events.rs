//! The YAML tree read from the text (`yaml/block.rs`) and from the parser's events
//! (`yaml/events.rs`) is the tree serde-saphyr reads, positions included, on every YAML file of
//! the repository, the corpus (when present), every example's emitted YAML for every target,
//! streams chosen to sit on each edge of the block subset and of its scalar typing, and random
//! streams and their near misses; where a reader does not answer, the next one does, so an
//! error is always serde-saphyr's. Emitted YAML needs neither the events nor serde-saphyr.

use std::path::{Path, PathBuf};

use proptest::prelude::Rng as _;
use proptest::test_runner::{RngAlgorithm, TestRng};

use crate::backend::Target;
use crate::verify::yaml::{self, LIMITS, Limits, block, events, through_serde};
use crate::{Input, compile};

/// Every reading of `text` within `limits` that answers is serde-saphyr's (an error from
/// serde-saphyr is the error of all); says whether the block reader answered.
fn agree(text: &str, limits: Limits, what: &str) -> bool {
    let truth = through_serde(text, limits);
    let fast = block::parse(text, limits);
    if let Some(docs) = &fast {
        assert_eq!(
            Ok(docs),
            truth.as_ref(),
            "{what} is read differently from the text"
        );
    }
    if let Some(docs) = events::parse(text, limits) {
        assert_eq!(
            Ok(&docs),
            truth.as_ref(),
            "{what} is read differently from the parser's events"
        );
    }
    assert_eq!(yaml::parse_within(text, limits), truth, "{what}");
    fast.is_some()
}

fn same(text: &str, what: &str) -> bool {
    agree(text, LIMITS, what)
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(path);
        }
    }
}

#[test]
fn every_yaml_file_reads_alike() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    yaml_files(&root.join("tests"), &mut files);
    yaml_files(&root.join("../shared/corpus"), &mut files);
    assert!(files.len() > 20, "the repository's YAML files are found");
    for f in &files {
        if let Ok(text) = std::fs::read_to_string(f) {
            same(&text, &f.display().to_string());
        }
    }
}

#[test]
fn emitted_yaml_reads_alike_from_the_events() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let cluster = std::fs::read_to_string(root.join("cluster.egress")).unwrap();
    let mut read = 0;
    for e in std::fs::read_dir(&root).unwrap().flatten() {
        let path = e.path();
        if path.extension().is_none_or(|x| x != "egress") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut inputs = vec![Input::new(path.display().to_string(), text)];
        if !path.ends_with("cluster.egress") {
            inputs.push(Input::new("cluster.egress", cluster.clone()));
        }
        for target in [
            Target::Native,
            Target::Cilium,
            Target::Calico,
            Target::CalicoEnterprise,
        ] {
            let built = compile(&inputs, &[target]);
            for output in &built.outputs {
                let stream = output.stream();
                assert!(
                    same(&stream, &format!("{} for {target}", path.display())),
                    "{} for {target} needs more than the block reader",
                    path.display()
                );
                assert!(
                    events::parse(&stream, LIMITS).is_some(),
                    "{} for {target} needs serde-saphyr",
                    path.display()
                );
                read += 1;
            }
        }
    }
    assert!(read > 10, "examples are built");
}

#[test]
fn scalars_on_each_edge_read_alike() {
    let scalars = [
        "",
        "~",
        "null",
        "Null",
        "NULL",
        "yes",
        "Yes",
        "no",
        "NO",
        "y",
        "n",
        "on",
        "Off",
        "true",
        "False",
        "TRUE",
        "inf",
        ".inf",
        "-.inf",
        ".NaN",
        "nan",
        "Infinity",
        "0",
        "00",
        "007",
        "5432",
        "65535",
        "-1",
        "+1",
        "0x1F",
        "0X1F",
        "0o17",
        "0b101",
        "1_000",
        "1.5",
        "1e3",
        "1E-3",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551616",
        "123456789012345678901234567890",
        "10.0.0.0/24",
        "10.0.0.1",
        "fd00::/8",
        "::1",
        "10.0.0.0 /24",
        "1:20",
        "2024-01-01",
        "app",
        "k8s:app",
        "/api/v1",
        "/",
        "/.*",
        "a b",
        "\"quoted\"",
        "'5432'",
        "!!str 5",
        "!!int \"5\"",
        "&a x",
        "|\n  block",
        ">\n  folded",
        "[a, 1]",
        "{a: 1}",
        "-",
        "<<",
        "=",
        "*",
    ];
    for s in scalars {
        same(&format!("value: {s}\n"), &format!("`{s}` as a value"));
        same(&format!("- {s}\n"), &format!("`{s}` as an item"));
        same(&format!("{s}: value\n"), &format!("`{s}` as a key"));
    }
}

#[test]
fn streams_on_each_edge_read_alike() {
    let streams = [
        "",
        "---\n",
        "# only a comment\n",
        "---\n---\na: 1\n---\nnull\n",
        "a: 1\na: 2\n",
        "a: &x {b: 1}\nc: *x\n",
        "base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n",
        "d:\n  <<: {x: 1}\n  y: 2\n",
        "? [a, b]\n: c\n",
        "a: [1, 2\n",
        "a:\n  b:\n    c:\n      - d\n      -\n      - e: f\n",
        "%YAML 1.2\n---\na: 1\n",
        "a: 1\n...\n---\nb: 2\n",
        "\u{feff}a: 1\n",
        "k: \"line\\nbreak\"\nl: 'it''s'\n",
        "multi: this is\n  folded plain\n",
        "a: !custom x\n",
        "a:\n- 1\n- 2\n",
        "a: 1\n\tb: 2\n",
    ];
    for s in streams {
        same(s, &format!("{s:?}"));
    }
    let deep = format!("{}x{}", "[".repeat(60), "]".repeat(60));
    same(&deep, "nesting past the limit");
    let mut keys = String::new();
    for i in 0..40 {
        keys.push_str(&format!("k{i}: {i}\n"));
    }
    same(&keys, "a mapping of many keys");
    keys.push_str("k7: again\n");
    same(&keys, "a duplicate among many keys");

    // Around each budget: the same answer, the same error.
    for n in [10, 30, 60, 200] {
        let stream: String = (0..n).map(|i| format!("- k{i}: v\n")).collect();
        for nodes in [40, 100, 150] {
            let limits = Limits { nodes, ..LIMITS };
            agree(&stream, limits, &format!("{n} items within {nodes} nodes"));
        }
        let docs: String = (0..n).map(|i| format!("---\nk{i}: v\n")).collect();
        for documents in [20, 50, 100] {
            let limits = Limits {
                documents,
                ..LIMITS
            };
            agree(&docs, limits, &format!("{n} documents within {documents}"));
        }
    }
}

#[test]
fn the_block_subset_reads_alike_on_each_edge() {
    let streams = [
        // Where a list, a mapping and a null stand.
        "a:\n- 1\n- 2\n",
        "- 1\n- 2\n",
        "-\n  a: 1\n",
        "- a: 1\n  b: 2\n",
        "-   x\n",
        "a:\n  b: 1\n",
        "a:\n\n  # c\n  b: 1\n",
        "a:\n",
        "a:",
        "-",
        "a:   \nb: 1\n",
        "a: # c\nb: 1\n",
        "-\n- x\n",
        "- # c\n- x\n",
        "a:\n  - 1\n",
        "a: {}\nb: []\n",
        "- {}\n- []\n",
        "a: {} # c\n",
        "a: {}#c\n",
        "a: { }\n",
        "a: {}x\n",
        "x: 'a''b'\n",
        "x: ''\ny: \"\"\n'': 1\n",
        "'a''b': 1\n\"c\": 2\n",
        "x: 'it''s' # c\n",
        "x: 'a'b\n",
        "x: 'a'#c\n",
        "x: \"a\\\"b\"\n",
        "x: \"a\n  b\"\n",
        "x: 'a\n  b'\n",
        "- - a\n",
        "---\na: 1\n",
        "# c\n---\n# d\na: 1\n---\n---\nb: 2\n",
        "--- # c\na: 1\n",
        "--- a: 1\n",
        "---a: 1\n",
        "a: 1\n...\n",
        "a: 1\n--- \nb: 2\n",
        "  a: 1\n",
        "a: 1\n  b: 2\n",
        "a:\n  b: 1\n c: 2\n",
        "a:\n  -\n  - b\n",
        "a:\nb:\n",
        "- a:\n  b: 1\n",
        "-   a:\n    b: 1\n",
        "- \n",
        "-  \n",
        "-   # c\n",
        "- # c\n- b\n",
        "a:\n  - # c\n",
        "a:\n-\n- b\n",
        "a:\n- # c\n",
        "a:\n-  # c\n",
        "a:\n- b: 1\n",
        "a:\n-\n  b: 1\n",
        "a:\n- - x\n",
        "a:\n- {}\n",
        "a:\n  -   \n  - b\n",
        "- a:\n- b\n",
        "- a:  # c\n- b\n",
        "a: #c\n  b: 1\n",
        "a:  \n  - 1\n",
        "a:\n   # c\n  - 1\n",
        "a:\n  b:\n  - 1\n",
        "- a: 1\n  b:\n  - c\n",
        "-\n  - 1\n",
        "- -\n",
        "a:\n- 1\nb: 2\n",
        "a:\n- 1\n- b: 2\n  c: 3\nd: 4\n",
        "a:\n  - 1\n - 2\n",
        "a:\n- 1\n  - 2\n",
        "- a\n  b\n",
        "a: b\n  c\n",
        "a:\n  b\n",
        "a:\n  b\nc: 1\n",
        "a: b: c\n",
        "a: b:\n",
        "a:b\n",
        "a: b:c\n",
        "a: b #c: d\n",
        "a: b#c\n",
        "a: b # c\n",
        "a  : b\n",
        "a b: c d\n",
        "a: -1\n",
        "a: - b\n",
        "a: -b\n",
        "a:\n-b\n",
        "a: ?b\n",
        "? a\n: b\n",
        "a: :b\n",
        "a: b\n# c\n  # d\nc: e\n",
        "a: 1\n\n\n",
        "\n\n\na: 1",
        "a: 1\n#",
        "#\n",
        "a: x y  \n",
        "a: [b]\n",
        "a: &b c\n",
        "a: *b\n",
        "a: !b c\n",
        "a: |\n  b\n",
        "a: >-\n  b\n",
        "a: %b\n",
        "a: @b\n",
        "a: `b\n",
        "a: ,b\n",
        "a: b, c\n",
        "a: b[0]\n",
        "a: b{c}\n",
        "%TAG ! tag:x,2000:\n---\na: 1\n",
        "a: 1\nb: 2\na: 3\n",
        "- a: 1\n  a: 2\n",
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: x\n",
    ];
    let mut answered = 0;
    for s in streams {
        if same(s, &format!("{s:?}")) {
            answered += 1;
        }
    }
    assert!(
        answered > 60,
        "the block reader answers most of these ({answered})"
    );
}

#[test]
fn hostile_streams_read_alike() {
    // Deep nesting, each way, past the depth limit and within it.
    for depth in [5, 20, 45, 46, 47, 48, 49, 60, 200] {
        let mut mapping = String::new();
        let mut list = String::new();
        let mut mixed = String::new();
        for d in 0..depth {
            mapping.push_str(&format!("{}k{d}:\n", "  ".repeat(d)));
            list.push_str(&format!("{}-\n", "  ".repeat(d)));
            mixed.push_str(&format!("{}- k{d}:\n", "    ".repeat(d)));
        }
        same(&mapping, &format!("{depth} nested mappings"));
        same(&list, &format!("{depth} nested lists"));
        same(&mixed, &format!("{depth} nested entries"));
        for small in [3, 8, 16] {
            let limits = Limits {
                depth: small,
                ..LIMITS
            };
            agree(
                &mapping,
                limits,
                &format!("{depth} mappings within {small}"),
            );
            agree(&mixed, limits, &format!("{depth} entries within {small}"));
        }
    }
    // Long lines and keys: the parser looks 1,024 characters ahead for a key's `:`.
    for n in [999, 1000, 1001, 1023, 1024, 1025, 5000, 100_000] {
        let long = "x".repeat(n);
        same(&format!("{long}: 1\n"), &format!("a key of {n} characters"));
        same(
            &format!("a: {long}\n"),
            &format!("a value of {n} characters"),
        );
        same(&format!("'{long}': 1\n"), &format!("a quoted key of {n}"));
        same(
            &format!("- {long}: 1\n"),
            &format!("a key of {n} in a list"),
        );
    }
    // Bytes outside the subset, anywhere.
    let base = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n- 'a'\n- b\n";
    for odd in [
        "\t", "\r", "\r\n", "\u{feff}", "\0", "\u{7f}", "\u{1b}", "é", "\u{85}", "\u{2028}",
        "\u{a0}", "\u{fffd}",
    ] {
        for at in 0..=base.len() {
            let mut text = base.to_owned();
            text.insert_str(at, odd);
            same(&text, &format!("{odd:?} at {at}"));
        }
        same(
            &base.replace('\n', &format!("{odd}\n")),
            &format!("{odd:?} at each end of line"),
        );
    }
    same(&base.replace('\n', "\r\n"), "CRLF line ends");
    same(&format!("\u{feff}{base}"), "a byte order mark");
    // Bytes that are no text at all go through the importer's decoding first; as text, the
    // replacement characters and control characters are left to the other readers.
    let mut rng = Rng::new();
    for i in 0..200 {
        let bytes: Vec<u8> = (0..rng.below(200)).map(|_| rng.below(256) as u8).collect();
        same(
            &String::from_utf8_lossy(&bytes),
            &format!("random bytes {i}"),
        );
    }
}

/// A deterministic generator, so every run tries the same streams.
struct Rng(TestRng);

impl Rng {
    fn new() -> Rng {
        Rng(TestRng::deterministic_rng(RngAlgorithm::ChaCha))
    }

    fn below(&mut self, n: usize) -> usize {
        (self.0.next_u64() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// A random block-style stream: mappings and lists in each layout the subset allows, scalars
/// of every kind the typing knows, comments and blank lines between, `---` between documents.
fn random_stream(rng: &mut Rng) -> String {
    let mut out = String::new();
    for d in 0..1 + rng.below(3) {
        if d > 0 || rng.below(2) == 0 {
            out.push_str(rng.pick(&["---\n", "--- # doc\n", "---\n# head\n"]));
        }
        random_mapping(rng, &mut out, 0, 0);
    }
    out
}

/// A scalar: now and then one whose type the block reader leaves to the others.
fn random_scalar(rng: &mut Rng) -> String {
    if rng.below(300) == 0 {
        return rng
            .pick(&[
                "007",
                "-1",
                "1.5",
                "~",
                ".inf",
                "2024-01-01",
                "\"\\u0041\"",
                "*.x",
            ])
            .to_owned();
    }
    rng.pick(&[
        "x",
        "svc-1",
        "10.0.0.0/24",
        "5432",
        "0",
        "true",
        "yes",
        "null",
        "''",
        "'a''b'",
        "\"q\"",
        "'5432'",
        "app == 'x'",
        "all()",
        "fd00:ec2::254/128",
        "/api",
        "{}",
        "[]",
        "a b",
        "x # note",
        "k8s:app",
        "TCP",
        "Egress",
        "1:20",
        "\"\"",
        "a:b",
        "\"a\\\\.b\\\"\"",
        "https://x.example",
        "'*.example.com'",
    ])
    .to_owned()
}

fn random_key(rng: &mut Rng) -> String {
    rng.pick(&[
        "apiVersion",
        "kind",
        "name",
        "spec",
        "egress",
        "to",
        "ports",
        "port",
        "'quoted'",
        "\"dq\"",
        "app.kubernetes.io/name",
        "a b",
        "k",
        "toPorts",
        "matchLabels",
    ])
    .to_owned()
}

fn random_mapping(rng: &mut Rng, out: &mut String, indent: usize, depth: usize) {
    let pad = " ".repeat(indent);
    for i in 0..1 + rng.below(4) {
        if rng.below(8) == 0 {
            out.push_str(rng.pick(&["\n", "# c\n", "  # c\n", "   \n"]));
        }
        out.push_str(&pad);
        let key = random_key(rng);
        // Keys of one mapping differ by their number.
        match key.strip_suffix(['\'', '"']) {
            Some(open) => out.push_str(&format!("{open}{i}{}", key.replace(open, ""))),
            None => out.push_str(&format!("{key}{i}")),
        }
        out.push(':');
        random_value(rng, out, indent, depth, true);
    }
}

fn random_list(rng: &mut Rng, out: &mut String, indent: usize, depth: usize) {
    let pad = " ".repeat(indent);
    for _ in 0..1 + rng.below(3) {
        out.push_str(&pad);
        out.push('-');
        if depth < 6 && rng.below(3) == 0 {
            // A mapping that starts on the `-` line.
            let spaces = 1 + rng.below(3);
            out.push_str(&" ".repeat(spaces));
            let mut inner = String::new();
            random_mapping(rng, &mut inner, indent + 1 + spaces, depth + 1);
            out.push_str(inner.trim_start_matches(' '));
        } else {
            random_value(rng, out, indent, depth, false);
        }
    }
}

/// What follows a key's `:` or a `-`: a scalar on the line, nothing (null), or a collection on
/// the next lines (a list under a key may stand at the key's own indentation).
fn random_value(rng: &mut Rng, out: &mut String, indent: usize, depth: usize, key: bool) {
    match if depth >= 6 {
        rng.below(2)
    } else {
        rng.below(5)
    } {
        0 => {
            out.push(' ');
            out.push_str(&random_scalar(rng));
            out.push('\n');
        }
        1 => out.push_str(rng.pick(&["\n", " \n", " # c\n"])),
        2 => {
            out.push('\n');
            let inner = indent + 1 + rng.below(3);
            random_mapping(rng, out, inner, depth + 1);
        }
        _ => {
            out.push('\n');
            let inner = if key && rng.below(2) == 0 {
                indent
            } else {
                indent + 1 + rng.below(3)
            };
            random_list(rng, out, inner, depth + 1);
        }
    }
}

/// A near miss: one edit of a stream, of the kind that leaves the subset or the language.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    if lines.is_empty() {
        return text.to_owned();
    }
    let i = rng.below(lines.len());
    let line = &mut lines[i];
    match rng.below(6) {
        0 => {
            let at = rng.below(line.len() + 1);
            let odd = rng.pick(&[
                " ", "\t", "\r", ":", "-", "#", "'", "\"", "{", "[", "&", "*", "!", "|", ">", "%",
                "?", ",", "\\", "\u{feff}", "é", "\0", ": ", " #", "- ", "...",
            ]);
            if line.is_char_boundary(at) {
                line.insert_str(at, odd);
            }
        }
        1 => {
            let at = rng.below(line.len().max(1));
            if line.is_char_boundary(at) && line.is_char_boundary(at + 1) && at < line.len() {
                line.remove(at);
            }
        }
        2 => {
            let copy = line.clone();
            lines.insert(i, copy);
        }
        3 => line.insert(0, ' '),
        4 => {
            if line.starts_with(' ') {
                line.remove(0);
            }
        }
        _ => line.insert_str(0, "  "),
    }
    let mut out = lines.join("\n");
    if rng.below(4) != 0 {
        out.push('\n');
    }
    out
}

#[test]
fn random_streams_and_their_near_misses_read_alike() {
    let mut rng = Rng::new();
    let (mut read, mut answered) = (0, 0);
    for i in 0..1500 {
        let text = random_stream(&mut rng);
        if same(&text, &format!("random stream {i}:\n{text}")) {
            answered += 1;
        }
        read += 1;
        let mut near = text;
        for k in 0..1 + rng.below(3) {
            near = mutate(&mut rng, &near);
            same(&near, &format!("near miss {i}.{k}:\n{near}"));
        }
    }
    assert!(
        answered * 2 > read,
        "the block reader answers most random streams ({answered} of {read})"
    );
}

#[test]
fn the_benchmarks_streams_read_alike_from_the_text() {
    // The import benchmark's program, small: DNS, a database subnet, a pod peer, HTTPS to every
    // address but the metadata endpoint, namespaces with a default deny.
    let mut program = String::new();
    for ns in 0..3 {
        program.push_str(&format!("namespace team-{ns}\ndefault deny\n"));
        for i in (ns * 5)..(ns + 1) * 5 {
            program.push_str(&format!(
                "app svc-{i} -> dns, rds(10.0.{i}.0/24:5432), pods{{app=svc-{}}}:8080,\n    internet:443/tcp deny metadata\n",
                (i + 1) % 15
            ));
        }
    }
    for target in [
        Target::Native,
        Target::Cilium,
        Target::Calico,
        Target::CalicoEnterprise,
    ] {
        let built = compile(&[Input::new("bench.egress", program.clone())], &[target]);
        assert!(!built.has_errors());
        for output in &built.outputs {
            assert!(same(
                &output.stream(),
                &format!("the benchmark for {target}")
            ));
        }
    }
}
