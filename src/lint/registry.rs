//! The registry of lints: every rule once, and the lookups code ↔ name ↔ rule that the command
//! line (`--allow no-dns`), suppressions (`@allow(no-dns, "...")`), `egressc explain` and the
//! checker's `set` statements go through.
//!
//! A rule lives in its own file under `rules/` with its code, name, explanation, settings and
//! check; adding one means writing that file and listing it in [`RULES`] (and its code in
//! `diagnostics/codes.rs`, which holds every code's title).

use super::Check;
use super::rules;
use super::settings::Setting;
use crate::diagnostics::{Code, suggest};

/// One lint.
#[derive(Debug)]
pub struct Rule {
    /// The stable code: `W0101`.
    pub code: Code,
    /// The kebab-case name, accepted wherever the code is: `no-dns`.
    pub name: &'static str,
    /// The long explanation (`egressc explain`): what it does, why, an example, the fix, its
    /// options.
    pub explanation: &'static str,
    /// The `set KEY = VALUE` statements it reads.
    pub settings: &'static [Setting],
    /// Reports what it finds (the driver applies levels and suppressions).
    pub(crate) check: Check,
}

/// Every lint, in code order.
pub const RULES: &[Rule] = &[
    rules::no_dns::RULE,
    rules::wide_private_cidr::RULE,
    rules::metadata_reachable::RULE,
    rules::single_ip_family::RULE,
    rules::no_default_deny::RULE,
    rules::redundant_destination::RULE,
    rules::unused_definition::RULE,
    rules::loose_dns::RULE,
    rules::cidr_overlaps_cluster::RULE,
    rules::overlapping_workloads::RULE,
    rules::wide_port_range::RULE,
    rules::undeclared_cluster_ranges::RULE,
    rules::http_on_tls_port::RULE,
    rules::tls_on_http_port::RULE,
    rules::credential_in_header::RULE,
];

/// The lint with this code, if the code is a lint's.
pub fn by_code(code: Code) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code == code)
}

/// A lint by its code (in any case) or its name: `W0101`, `w0101`, `no-dns`.
pub fn find(text: &str) -> Option<&'static Rule> {
    let text = text.trim();
    match Code::parse(text) {
        Some(code) => by_code(code),
        None => {
            let name = text.to_ascii_lowercase();
            RULES.iter().find(|r| r.name == name)
        }
    }
}

/// The lint code or name closest to a misspelt one, for "did you mean".
pub fn closest(text: &str) -> Option<&'static str> {
    let text = text.trim();
    suggest::did_you_mean(
        &text.to_ascii_uppercase(),
        RULES.iter().map(|r| r.code.as_str()),
    )
    .or_else(|| suggest::did_you_mean(&text.to_ascii_lowercase(), RULES.iter().map(|r| r.name)))
}

/// Every lint as `W0101 (no-dns)`, comma separated, for messages that list them.
pub fn listing() -> String {
    RULES
        .iter()
        .map(|r| format!("{} ({})", r.code, r.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every setting: the cluster facts, then the lints' own, in the order of the lints that
/// declare them (a lint reading a cluster fact lists it among its settings too).
pub fn settings() -> impl Iterator<Item = &'static Setting> {
    let facts = &super::settings::CLUSTER_FACTS;
    facts.iter().chain(
        RULES
            .iter()
            .flat_map(|r| r.settings.iter())
            .filter(|s| !facts.contains(s)),
    )
}

/// The setting with this key.
pub fn setting(key: &str) -> Option<&'static Setting> {
    settings().find(|s| s.key == key)
}

/// The long explanation of any code: a lint's from its rule, an error's from `diagnostics`.
pub fn explanation(code: Code) -> Option<&'static str> {
    by_code(code)
        .map(|r| r.explanation)
        .or_else(|| code.explanation())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Severity;

    #[test]
    fn every_lint_code_is_one_lint_and_every_lint_a_warning() {
        for code in Code::ALL {
            let rules = RULES.iter().filter(|r| r.code == *code).count();
            let expected = usize::from(code.is_lint());
            assert!(!code.is_lint() || code.severity() == Severity::Warning);
            assert_eq!(rules, expected, "{code} has {rules} lint(s)");
        }
        let mut codes: Vec<Code> = RULES.iter().map(|r| r.code).collect();
        let sorted = {
            let mut s = codes.clone();
            s.sort();
            s
        };
        assert_eq!(codes, sorted, "RULES is in code order");
        codes.dedup();
        assert_eq!(codes.len(), RULES.len());
    }

    #[test]
    fn names_are_kebab_case_unique_and_not_codes() {
        let mut names: Vec<&str> = RULES.iter().map(|r| r.name).collect();
        for n in &names {
            assert!(
                !n.is_empty()
                    && !n.starts_with('-')
                    && !n.ends_with('-')
                    && !n.contains("--")
                    && n.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "`{n}` is not kebab-case"
            );
            assert!(Code::parse(n).is_none(), "`{n}` reads as a code");
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RULES.len(), "two lints share a name");
    }

    #[test]
    fn codes_and_names_find_the_same_rule() {
        for r in RULES {
            assert_eq!(find(r.code.as_str()).map(|f| f.code), Some(r.code));
            assert_eq!(
                find(&r.code.as_str().to_ascii_lowercase()).map(|f| f.code),
                Some(r.code)
            );
            assert_eq!(find(r.name).map(|f| f.code), Some(r.code));
        }
        assert!(find("E0303").is_none(), "errors are not lints");
        assert!(find("no-such-lint").is_none());
        assert_eq!(closest("no-dsn"), Some("no-dns"));
        assert_eq!(closest("W102"), Some("W0102"));
        assert_eq!(closest("zzzzzzzz"), None);
    }

    #[test]
    fn pages_name_code_title_and_name_and_document_their_settings() {
        for r in RULES {
            let head = format!("# {}: {} (`{}`)\n", r.code, r.code.title(), r.name);
            assert!(
                r.explanation.starts_with(&head),
                "{}: the page must start with `{head}`",
                r.code
            );
            for section in ["## What it does", "## Why is this bad?", "## Example"] {
                assert!(
                    r.explanation.contains(section),
                    "{}: no `{section}`",
                    r.code
                );
            }
            assert!(r.explanation.contains("\nUse instead:\n"), "{}", r.code);
            for s in r.settings {
                let options = r.explanation.split("## Options").nth(1).unwrap_or_default();
                assert!(
                    options.contains(&format!("`set {} = ", s.key)),
                    "{}: `{}` is not under `## Options`",
                    r.code,
                    s.key
                );
            }
        }
    }

    #[test]
    fn setting_keys_are_unique() {
        let mut keys: Vec<&str> = settings().map(|s| s.key).collect();
        let n = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), n);
    }
}
