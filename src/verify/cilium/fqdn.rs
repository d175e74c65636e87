//! `toFQDNs` and `rules.dns` selectors: `matchName` and `matchPattern` `[layer3]`, read and matched
//! against a looked-up name.

use std::fmt;

use crate::verify::cursor::{Cursor, ReadError};

/// A `toFQDNs` or `rules.dns` selector, lower case without a final dot.
#[derive(Clone, Debug)]
pub enum Fqdn {
    Name(String),
    Pattern(String),
}

impl fmt::Display for Fqdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fqdn::Name(n) => write!(f, "matchName {n}"),
            Fqdn::Pattern(p) => write!(f, "matchPattern {p}"),
        }
    }
}

/// The characters `*` stands for [layer3: "0 or more valid DNS characters, except for the `.`
/// separator"; the upstream matcher uses `[-a-zA-Z0-9_]`].
fn dns_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// DNS names are case-insensitive and Cilium compares fully qualified names: lower case, one
/// final dot dropped.
fn normal(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// One label against one pattern label, where `*` is zero or more DNS characters.
fn label_matches(pattern: &[u8], label: &[u8]) -> bool {
    match pattern.split_first() {
        None => label.is_empty(),
        Some((b'*', rest)) => (0..=label.len()).any(|k| {
            let (head, tail) = label.split_at(k);
            head.iter().all(|c| dns_char(char::from(*c))) && label_matches(rest, tail)
        }),
        Some((c, rest)) => label
            .split_first()
            .is_some_and(|(first, tail)| first == c && label_matches(rest, tail)),
    }
}

/// Pattern labels against name labels: `**` is one or more whole labels [layer3: "`**.` is a
/// special prefix ... to wildcard all cascaded subdomains"; Cilium 1.19].
fn labels_match(pattern: &[&str], name: &[&str]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((&"**", rest)) => {
            (1..=name.len()).any(|k| name.get(k..).is_some_and(|tail| labels_match(rest, tail)))
        }
        Some((p, rest)) => name.split_first().is_some_and(|(n, more)| {
            label_matches(p.as_bytes(), n.as_bytes()) && labels_match(rest, more)
        }),
    }
}

impl Fqdn {
    pub fn read(c: &Cursor<'_>) -> Result<Fqdn, ReadError> {
        let m = c.map(&["matchName", "matchPattern"])?;
        let (text, is_pattern) = match (m.get("matchName"), m.get("matchPattern")) {
            (Some(n), None) => (n.str()?, false),
            (None, Some(p)) => (p.str()?, true),
            _ => return Err(c.error("needs exactly one of matchName and matchPattern")),
        };
        let text = normal(text.trim());
        let allowed = |ch: char| dns_char(ch) || ch == '.' || (is_pattern && ch == '*');
        if text.is_empty() || !text.chars().all(allowed) {
            return Err(c.error(format!("`{text}` is not a valid name or pattern")));
        }
        if is_pattern {
            // `**` only as a whole label (or the whole pattern); other uses are not documented.
            if text != "**" && text.split('.').any(|l| l.contains("**") && l != "**") {
                return Err(c.error(format!("`{text}`: `**` inside a label")));
            }
            Ok(Fqdn::Pattern(text))
        } else {
            Ok(Fqdn::Name(text))
        }
    }

    /// A `serverNames` entry: a name, or a pattern when it holds a `*` (`[crd]` `serverNames`:
    /// "`*` matches 0 or more DNS valid characters", "`**.` is a special prefix which matches
    /// all multilevel subdomains", "the name `*` matches all valid DNS names": the semantics of
    /// `matchPattern`).
    pub fn server_name(c: &Cursor<'_>) -> Result<Fqdn, ReadError> {
        let text = normal(c.str()?.trim());
        let allowed = |ch: char| dns_char(ch) || ch == '.' || ch == '*';
        if text.is_empty() || !text.chars().all(allowed) || text.split('.').any(str::is_empty) {
            return Err(c.error(format!("`{text}` is not a valid server name")));
        }
        if !text.contains('*') {
            return Ok(Fqdn::Name(text));
        }
        if text != "**" && text.split('.').any(|l| l.contains("**") && l != "**") {
            return Err(c.error(format!("`{text}`: `**` inside a label")));
        }
        if text.split('.').skip(1).any(|l| l == "**") {
            return Err(c.error(format!("`{text}`: `**.` only as a prefix")));
        }
        Ok(Fqdn::Pattern(text))
    }

    pub fn matches(&self, name: &str) -> bool {
        let name = normal(name);
        let labels: Vec<&str> = name.split('.').collect();
        if labels.iter().any(|l| l.is_empty()) {
            return false;
        }
        match self {
            // [layer3] "Inserts IPs of domains that match matchName exactly".
            Fqdn::Name(n) => *n == name,
            // [layer3] "`*` alone matches all names".
            Fqdn::Pattern(p) if p == "*" || p == "**" => {
                labels.iter().all(|l| l.chars().all(dns_char))
            }
            Fqdn::Pattern(p) => {
                let pattern: Vec<&str> = p.split('.').collect();
                labels_match(&pattern, &labels)
            }
        }
    }
}
