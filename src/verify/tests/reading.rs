//! The reading layer the evaluators and the importer share: positions of every node,
//! multi-document streams, unknown fields refused, unmodelled allowances refused or left out,
//! null as absent, and the bounds on hostile input.

use super::utils::*;
use crate::verify::cursor::{Effect, Loss, Mode, Reader};
use crate::verify::native::{self, NativeEvaluator};
use crate::verify::yaml::{self, Limits, Pos, Value};

fn at(line: u32, column: u32) -> (u32, u32) {
    (line, column)
}

fn line_column(p: Pos) -> (u32, u32) {
    (p.line, p.column)
}

#[test]
fn every_node_and_key_knows_its_line_and_column() {
    let text = "# header\n---\na: 1\nb:\n  - x\n  - {y: 'é', z: [1, 2]}\n---\n# nothing\n---\nnull\n---\nc: true\n";
    let docs = yaml::parse(text).unwrap();
    // The empty documents (a comment, `null`) are left out.
    assert_eq!(docs.iter().map(|d| d.number).collect::<Vec<_>>(), [1, 2]);
    let Value::Map(top) = &docs[0].root.value else {
        panic!("{:?}", docs[0].root)
    };
    assert_eq!(line_column(docs[0].root.pos), at(3, 1));
    assert_eq!(line_column(top[1].key_pos), at(4, 1));
    let Value::List(items) = &top[1].value.value else {
        panic!("{top:?}")
    };
    assert_eq!(line_column(items[0].pos), at(5, 5));
    let Value::Map(flow) = &items[1].value else {
        panic!("{items:?}")
    };
    // Columns count characters; offsets count bytes (`é` is two).
    assert_eq!(flow[1].key, "z");
    assert_eq!(line_column(flow[1].key_pos), at(6, 14));
    assert_eq!(flow[1].key_pos.offset, text.find("z:"));
    assert_eq!(flow[0].value.value, Value::Str("é".into()));
    assert_eq!(docs[1].root.pos.line, 12);
}

#[test]
fn what_does_not_parse_says_where() {
    for (text, line) in [
        ("a: [\n", 1),
        ("a: 1\nb: 2\na: 3\n", 3),
        ("a:\n  b: 1\n c: 2\n", 3),
    ] {
        let e = yaml::parse(text).unwrap_err();
        assert_eq!(e.pos.map(|p| p.line), Some(line), "{text:?}: {e}");
    }
    // Keys that are equal as text are duplicates, whatever their YAML type.
    let e = yaml::parse("'1': a\n1: b\n").unwrap_err();
    assert!(e.message.contains("duplicate key `1` at line 2"), "{e}");
    // In a large mapping too.
    let mut many: String = (0..40).map(|i| format!("k{i}: v\n")).collect();
    many.push_str("k3: again\n");
    let e = yaml::parse(&many).unwrap_err();
    assert!(e.message.contains("duplicate"), "{e}");
    assert_eq!(e.pos.map(|p| p.line), Some(41), "{e}");
    let mut many: String = (0..40).map(|i| format!("'{i}': v\n")).collect();
    many.push_str("3: again\n");
    let e = yaml::parse(&many).unwrap_err();
    assert!(e.message.contains("duplicate key `3` at line 41"), "{e}");
}

#[test]
fn refusals_name_the_object_the_path_and_the_line() {
    let yaml = API_EGRESS.replace(
        "  - to:\n    - ipBlock:\n        cidr: 10",
        "  - action: Deny\n    to:\n    - ipBlock:\n        cidr: 10",
    );
    let line = yaml.lines().position(|l| l.contains("action")).unwrap() + 1;
    let e = refusal(NativeEvaluator::load(&yaml));
    assert!(
        e.ends_with(&format!(
            "payments/payments-api-egress spec.egress[1]: unknown field `action` (the fields read here: to, ports) (line {line}, column 5)"
        )),
        "{e}"
    );
    // A wrong type, before the object has a name.
    let e = refusal(NativeEvaluator::load("apiVersion: [v1]\n"));
    assert!(
        e.ends_with("document 1 apiVersion: expected a string, found a list (line 1, column 13)"),
        "{e}"
    );
}

#[test]
fn an_importer_leaves_out_what_it_does_not_model_and_refuses_what_it_does_not_know() {
    let yaml = API_EGRESS
        .replace(
            "  namespace: payments\n",
            "  namespace: payments\n  uid: 1234\n  resourceVersion: \"7\"\n",
        )
        .replace("- port: 5432\n", "- port: postgresql\n")
        + "status: {}\n";
    let docs = yaml::parse(&yaml).unwrap();
    let reader = Reader::new(Mode::Import);
    let native::Policies(policies) = native::read::policies(&docs, &reader).unwrap();
    assert_eq!(policies.len(), 1);
    // The rule whose only port is named goes with it, as without ports it would allow every port.
    assert_eq!(policies[0].rules.len(), 2);
    let line = |needle: &str| {
        u32::try_from(yaml.lines().position(|l| l.contains(needle)).unwrap() + 1).unwrap()
    };
    let losses: Vec<(String, String, Effect, (u32, u32))> = reader
        .losses()
        .into_iter()
        .map(|l: Loss| (l.object, l.left_out, l.effect, line_column(l.pos)))
        .collect();
    assert_eq!(
        losses,
        [(
            "payments/payments-api-egress".into(),
            "spec.egress[1].ports[0]".into(),
            Effect::Narrower,
            at(line("postgresql"), 13)
        )]
    );
    // The evaluators refuse the same stream; an unknown field is refused in either mode.
    assert!(refusal(NativeEvaluator::load(&yaml)).contains("named port `postgresql`"));
    let unknown = yaml.replace(
        "  - to:\n    - ipBlock:\n        cidr: 10",
        "  - action: Deny\n    to:\n    - ipBlock:\n        cidr: 10",
    );
    let docs = yaml::parse(&unknown).unwrap();
    let e = native::read::policies(&docs, &Reader::new(Mode::Import)).unwrap_err();
    assert!(
        !e.unmodelled && e.message.contains("unknown field `action`"),
        "{e}"
    );
}

#[test]
fn null_is_an_absent_field() {
    let yaml = np(
        "nulls",
        "  policyTypes: [Egress]\n  egress:\n  - to: null\n    ports:\n    - {port: 443, protocol: null, endPort: ~}\n",
    );
    let m = native(&yaml);
    assert!(allowed(
        &m,
        &to_addr(&api(), "198.51.100.1", crate::model::Proto::Tcp, 443)
    ));
    assert!(!allowed(
        &m,
        &to_addr(&api(), "198.51.100.1", crate::model::Proto::Udp, 443)
    ));
}

/// Nested `[`, nested mappings, an alias bomb, too many nodes, documents or bytes: each is an
/// error, never a crash or an exhausted machine.
#[test]
fn hostile_yaml_is_refused() {
    let deep_flow = "[".repeat(100_000);
    let deep_block: String = (0..500)
        .map(|i| format!("{}a:\n", "  ".repeat(i)))
        .collect();
    let mut laughs = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        laughs.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    for text in [&deep_flow, &deep_block, &laughs] {
        assert!(yaml::parse(text).is_err());
        assert!(NativeEvaluator::load(text).is_err());
    }
    let small = Limits {
        bytes: 10_000,
        depth: 8,
        nodes: 1_000,
        documents: 10,
        alias_events: 100,
    };
    let many_nodes: String = (0..2_000).map(|i| format!("k{i}: v\n")).collect();
    let many_documents = "a: 1\n---\n".repeat(20);
    let nine_deep: String = (0..9).map(|i| format!("{}a:\n", "  ".repeat(i))).collect();
    for text in [
        &many_nodes,
        &many_documents,
        &"x".repeat(10_001),
        &nine_deep,
    ] {
        assert!(yaml::parse_within(text, small).is_err(), "{}", text.len());
    }
    // Within the bounds, the same shapes read.
    let eight_deep: String = (0..8).map(|i| format!("{}a:\n", "  ".repeat(i))).collect();
    assert!(yaml::parse_within(&eight_deep, small).is_ok());
    assert!(yaml::parse_within(&"a: 1\n---\n".repeat(5), small).is_ok());
}
