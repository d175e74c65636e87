//! Parsing a file again after an edit, the statements the edit touched only.
//!
//! A file is statements separated by line breaks, and the parser reads them one after the
//! other, each from where the last one ended, looking ahead at most into the line after it.
//! So when the text before and after an edit is the same, the statements there are the same:
//! the ones before keep their trees, the ones after keep theirs with their spans moved by the
//! edit's length, and only the text from the start of the statement before the edited one to
//! the start of the statement after the last one touched is parsed again. That text must parse
//! without a diagnostic (else the whole file is parsed, for the diagnostics a whole parse
//! gives), and the `##` documentation above the statements where it starts and ends must lie
//! inside it or be the same.

use crate::source::FileId;
use crate::syntax::{self, ast};

use super::recover::docs_above;
use super::shift;

/// Turns `tree`, the parse of `old` (one without any diagnostic), into the parse of `new`,
/// parsing only the statements around the bytes that differ; `false` (and `tree` unchanged)
/// when that is not possible and the whole text is to be parsed.
pub fn edited(id: FileId, old: &str, tree: &mut ast::File, new: &str) -> bool {
    let (old_b, new_b) = (old.as_bytes(), new.as_bytes());
    // The bytes before the edit (`same_start`) and after it (`same_end`).
    let same_start = old_b.iter().zip(new_b).take_while(|(a, b)| a == b).count();
    let most = old.len().min(new.len()) - same_start;
    let same_end = old_b
        .iter()
        .rev()
        .zip(new_b.iter().rev())
        .take(most)
        .take_while(|(a, b)| a == b)
        .count();
    let delta = new.len() as i64 - old.len() as i64;
    let starts: Vec<usize> = tree
        .items
        .iter()
        .map(|i| line_start(old, i.span().start as usize))
        .collect();
    // From the statement before the one the edit starts in (the whole text before the first
    // two statements)...
    let touched = starts.partition_point(|s| *s <= same_start);
    let first = touched.saturating_sub(2);
    let from = match starts.get(first) {
        Some(s) if first > 0 => docs_above(old, *s),
        _ => 0,
    };
    // ... to the statement after the first one wholly after the edit (or the end), where no
    // `##` line is directly above in either text.
    let after = old.len() - same_end;
    let mut last = starts.partition_point(|s| *s < after) + 1;
    let (old_to, new_to) = loop {
        let Some(s) = starts.get(last) else {
            break (old.len(), new.len());
        };
        let moved = (*s as i64 + delta) as usize;
        if docs_above(old, *s) == *s && docs_above(new, moved) == moved {
            break (*s, moved);
        }
        last += 1;
    };
    let Some(part) = new.get(from..new_to) else {
        return false;
    };
    let (Some(mut parsed), diags) = syntax::parse(id, part) else {
        return false;
    };
    if !diags.is_empty() || old.get(old_to..) != new.get(new_to..) {
        return false;
    }
    let at = i64::try_from(from).unwrap_or(i64::MAX);
    for i in &mut parsed.items {
        shift::item(i, id, at);
    }
    let kept_after = last.min(tree.items.len());
    for i in tree.items.get_mut(kept_after..).into_iter().flatten() {
        shift::item(i, id, delta);
    }
    tree.items.splice(first..kept_after, parsed.items);
    true
}

/// The start of the line holding byte offset `at`.
fn line_start(text: &str, at: usize) -> usize {
    text.get(..at)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Statements random files are made of: several lines long, with documentation, comments,
    /// attributes and words that are keywords elsewhere.
    const STATEMENTS: &[&str] = &[
        "namespace payments\n",
        "default deny\n",
        "## the ledger\n## of payments\ndef ledger = 10.1.0.0/16:8443/tcp\n",
        "def wide(p: port) = 10.0.0.0/8:p/tcp\n",
        "def set = 10.9.0.0/16\n",
        "app api -> dns, ledger\n",
        "app api -> dns,\n  ledger,\n  set\n",
        "app web ->\n  api.example.com:443/tcp\n  deny metadata\n",
        "pods {tier = db, env in (prod, dev)} -> dns, pods(payments){app = ledger}:5432\n",
        "@allow(no-dns, \"batch jobs resolve nothing\")\napp batch -> 10.0.0.0/8\n",
        "set pod-cidrs = 10.0.0.0/16\n",
        "cluster guard deny metadata\n",
        "cluster everyone -> dns\n",
        "expect api -> 10.1.0.1:8443/tcp allow\n",
        "# a comment\n",
        "\n",
        "app w -> strict-dns, wide(80), ::/0:443/tcp # why\n",
    ];

    /// What edits insert: bits of statements, line breaks, keywords, separators.
    const BITS: &[&str] = &[
        "\n",
        ",",
        ", ",
        " ",
        "deny ",
        "\n  deny metadata",
        "## doc\n",
        "#",
        "app ",
        "def ",
        "set ",
        "x",
        "10.",
        "->",
        "= ",
        "(",
        ")",
        "\"",
        "\r\n",
        "\napp z -> dns",
        "ledger",
        ",\n",
        "{",
        "}",
    ];

    fn random_text(rng: &mut crate::lsp::rng::Rng) -> String {
        (0..1 + rng.below(12))
            .map(|_| STATEMENTS[rng.below(STATEMENTS.len())])
            .collect()
    }

    /// A random edit: bytes removed, inserted or replaced somewhere (at a character boundary).
    fn random_edit(rng: &mut crate::lsp::rng::Rng, text: &str) -> String {
        let boundary = |rng: &mut crate::lsp::rng::Rng| {
            let mut at = rng.below(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            at
        };
        let (a, b) = (boundary(rng), boundary(rng));
        let (a, b) = (a.min(b), a.max(b));
        let b = if rng.below(2) == 0 { a } else { b.min(a + 12) };
        let b = (b..=text.len())
            .find(|i| text.is_char_boundary(*i))
            .unwrap();
        let insert = match rng.below(4) {
            0 => String::new(),
            1 => STATEMENTS[rng.below(STATEMENTS.len())].to_owned(),
            _ => BITS[rng.below(BITS.len())].to_owned(),
        };
        format!(
            "{}{insert}{}",
            text.get(..a).unwrap(),
            text.get(b..).unwrap()
        )
    }

    /// Random edits, each against the last text that parsed: a reparse that succeeds gives
    /// exactly the tree of a whole parse, spans included, and only where a whole parse gives
    /// no diagnostic.
    #[test]
    fn reparses_equal_whole_parses() {
        let id = FileId(7);
        let mut reparsed = 0;
        for seed in 1..=300 {
            let mut rng = crate::lsp::rng::Rng(0x9e37_79b9_7f4a_7c15 ^ seed);
            let mut text = random_text(&mut rng);
            let (Some(mut tree), diags) = syntax::parse(id, &text) else {
                continue;
            };
            if !diags.is_empty() {
                continue;
            }
            for round in 0..40 {
                let new = random_edit(&mut rng, &text);
                let mut incremental = tree.clone();
                let ok = edited(id, &text, &mut incremental, &new);
                let (whole, diags) = syntax::parse(id, &new);
                if ok {
                    reparsed += 1;
                    assert!(
                        diags.is_empty(),
                        "seed {seed}, round {round}: {text:?} → {new:?}: {diags:?}"
                    );
                    assert_eq!(
                        format!("{incremental:?}"),
                        format!("{:?}", whole.as_ref().unwrap()),
                        "seed {seed}, round {round}: {text:?} → {new:?}"
                    );
                } else {
                    assert_eq!(format!("{incremental:?}"), format!("{tree:?}"));
                }
                if let (Some(whole), true) = (whole, diags.is_empty()) {
                    text = new;
                    tree = whole;
                }
            }
        }
        assert!(reparsed > 1000, "only {reparsed} reparses");
    }

    #[test]
    fn an_edit_in_a_long_file_parses_a_few_statements() {
        let id = FileId(3);
        let line = |i: usize| format!("app svc-{i} -> dns, 10.0.{i}.0/24:5432/tcp\n");
        let old: String = (0..200).map(line).collect();
        let new = old.replace("app svc-100 -> dns,", "app svc-100 -> dns, 10.9.9.9,");
        let (Some(mut tree), _) = syntax::parse(id, &old) else {
            panic!("does not parse")
        };
        assert!(edited(id, &old, &mut tree, &new));
        let (whole, _) = syntax::parse(id, &new);
        assert_eq!(format!("{tree:?}"), format!("{:?}", whole.unwrap()));
    }
}
