//! Which names and labels the language can write, asked of the grammar and the checker
//! themselves, so that the importer follows the language as it grows (keywords became
//! contextual, and `namespace default` writable, without a change here).

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::check::literals;
use crate::source::{FileId, Span, Spanned};
use crate::syntax::{self, ast};

/// Answers, remembered per name.
#[derive(Debug, Default)]
pub struct Names {
    known: RefCell<BTreeMap<String, bool>>,
}

fn spanned(text: &str) -> Spanned<String> {
    Spanned::new(text.to_owned(), Span::default())
}

impl Names {
    /// Whether `name` can stand where the language takes a name (a namespace, a statement, a
    /// definition): a DNS label that the grammar reads as a name.
    pub fn writable(&self, name: &str) -> bool {
        if let Some(known) = self.known.borrow().get(name) {
            return *known;
        }
        let ok = literals::dns_label(&spanned(name), "name").is_ok() && {
            let (file, diags) = syntax::parse(FileId(0), &format!("namespace {name}\n"));
            !diags.has_errors()
                && file.is_some_and(
                    |f| matches!(f.items.as_slice(), [ast::Item::Namespace(n)] if n.node == name),
                )
        };
        self.known.borrow_mut().insert(name.to_owned(), ok);
        ok
    }
}

/// Whether a label key and value can be written in a selector.
pub fn label(key: &str, value: Option<&str>) -> bool {
    literals::label_key(&spanned(key)).is_ok()
        && value.is_none_or(|v| literals::label_value(&spanned(v)).is_ok())
}

/// A statement name suggested by an object name: lower case, `.` and other characters that a
/// name cannot hold as `-`, without a trailing `-egress` (the language adds it back to name
/// the policy), at most 56 characters so that `NAME-egress` stays a valid name.
pub fn from_object(object: &str) -> String {
    let mut name: String = object
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while name.contains("--") {
        name = name.replace("--", "-");
    }
    let name = name.trim_matches('-');
    // `<name>-egress` and the deny policy beside it, `<name>-egress-deny`, as egressc writes them.
    let name = name
        .strip_suffix("-egress-deny")
        .or_else(|| name.strip_suffix("-egress"))
        .unwrap_or(name);
    let mut name: String = name.chars().take(56).collect();
    while name.ends_with('-') {
        name.pop();
    }
    if name.is_empty() {
        "imported".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_grammar() {
        let names = Names::default();
        assert!(names.writable("payments"));
        assert!(!names.writable("Payments"));
        assert!(!names.writable("a.b"));
        assert!(names.writable("default"));
    }

    #[test]
    fn object_names_become_statement_names() {
        assert_eq!(from_object("payments-api-egress"), "payments-api");
        assert_eq!(
            from_object("default.allow-tcp-6379"),
            "default-allow-tcp-6379"
        );
        assert_eq!(from_object("Fancy..Rule"), "fancy-rule");
        assert_eq!(from_object("--"), "imported");
        assert_eq!(from_object(&"a".repeat(80)).len(), 56);
    }
}
