//! The YAML tree read from the parser's events (`yaml/events.rs`) is the tree serde-saphyr
//! reads, positions included, on every YAML file of the repository, the corpus (when present),
//! every example's emitted YAML and streams chosen to sit on each edge of its scalar typing;
//! where it does not answer, serde-saphyr does. Emitted YAML never needs serde-saphyr.

use std::path::{Path, PathBuf};

use crate::backend::Target;
use crate::verify::yaml::{self, LIMITS, Limits, events, through_serde};
use crate::{Input, compile};

/// Both readings of `text` are equal (an error from serde-saphyr is the error of both).
fn same(text: &str, what: &str) {
    assert_eq!(
        yaml::parse(text),
        through_serde(text, LIMITS),
        "{what} is read differently from the parser's events"
    );
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
                same(&stream, &format!("{} for {target}", path.display()));
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
            assert_eq!(
                yaml::parse_within(&stream, limits),
                through_serde(&stream, limits),
                "{n} items within {nodes} nodes"
            );
        }
        let docs: String = (0..n).map(|i| format!("---\nk{i}: v\n")).collect();
        for documents in [20, 50, 100] {
            let limits = Limits {
                documents,
                ..LIMITS
            };
            assert_eq!(
                yaml::parse_within(&docs, limits),
                through_serde(&docs, limits),
                "{n} documents within {documents}"
            );
        }
    }
}
