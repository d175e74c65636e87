//! `toPorts[].rules.http[]`: Cilium's HTTP rules, read and matched as Cilium's proxy (Envoy)
//! does. [layer7] `PortRuleHTTP`: `method`, `path` and `host` are "extended POSIX regex"
//! matched against the request's method, path and host; Cilium configures Envoy with them as
//! `safe_regex` header matchers (cilium/cilium#41314: "HTTP rule types configures the `Path`
//! field as regex matcher"), which match only the whole value (envoyproxy/envoy#19948,
//! #38473: "no-partial matching in regex is by design"): `:path` is the request target with
//! its query string, `:authority` the host as the client sent it (with a port when it gave
//! one). Every field given must match; a request matches the entry when one rule matches
//! ([layer7] "A layer 7 request is permitted if at least one of the rules matches").
//! `headers` and `headerMatches` are not modelled.

use std::fmt;

use regex::Regex;

use crate::verify::HttpRequest;
use crate::verify::cursor::{Cursor, ReadError};

/// One `rules.http[]` entry, each regex anchored at both ends.
#[derive(Clone, Debug)]
pub struct HttpRule {
    method: Option<Regex>,
    path: Option<Regex>,
    host: Option<Regex>,
    text: String,
    /// The regular expressions as written: `method`, `path`, `host`.
    written: [Option<String>; 3],
}

impl HttpRule {
    pub fn read(c: &Cursor<'_>) -> Result<HttpRule, ReadError> {
        let m = c.map(&["method", "path", "host", "headers", "headerMatches"])?;
        for k in ["headers", "headerMatches"] {
            if let Some(h) = m.get(k) {
                return Err(h.unmodelled(format!("`{k}`: HTTP headers are not modelled")));
            }
        }
        let field = |k: &str| -> Result<Option<(Regex, String)>, ReadError> {
            let Some(v) = m.get(k) else { return Ok(None) };
            let text = v.str()?;
            let invalid =
                |e: regex::Error| v.error(format!("`{text}` is not a regular expression: {e}"));
            // The text must be a regular expression on its own before it is anchored: `a)|(b`
            // is none, yet `^(?:a)|(b)$` is one, matching every string.
            Regex::new(text).map_err(invalid)?;
            Regex::new(&format!("^(?:{text})$"))
                .map(|r| Some((r, format!("{k} {text:?}"))))
                .map_err(invalid)
        };
        let (method, path, host) = (field("method")?, field("path")?, field("host")?);
        let text: Vec<String> = [&method, &path, &host]
            .into_iter()
            .flatten()
            .map(|(_, t)| t.clone())
            .collect();
        let written = ["method", "path", "host"]
            .map(|k| m.get(k).and_then(|v| v.str().ok()).map(ToOwned::to_owned));
        Ok(HttpRule {
            method: method.map(|(r, _)| r),
            path: path.map(|(r, _)| r),
            host: host.map(|(r, _)| r),
            text: format!("{{{}}}", text.join(", ")),
            written,
        })
    }

    /// Requests worth trying against the rule: one read off its expressions (each repetition
    /// taken once, each optional group left out, escapes undone) and ones that just miss it
    /// (another method, a longer or deeper path, a query string, another host, a port).
    pub fn examples(&self) -> Vec<HttpRequest> {
        let [method, path, host] = self.written.clone().map(|w| w.as_deref().map(literal));
        let method = method.unwrap_or_else(|| "GET".to_owned());
        let path = path.unwrap_or_else(|| "/".to_owned());
        let host = host.unwrap_or_else(|| "example.org".to_owned());
        let request = |method: &str, target: &str, host: &str| HttpRequest {
            method: method.to_owned(),
            target: target.to_owned(),
            host: host.to_owned(),
        };
        vec![
            request(&method, &path, &host),
            request("DELETE", &path, &host),
            request(&method, &format!("{path}?page=2"), &host),
            request(&method, &format!("{path}x"), &host),
            request(&method, &format!("{path}/x"), &host),
            request(&method, "/elsewhere", &host),
            request(&method, &path, &format!("x{host}")),
            request(&method, &path, &format!("a.{host}")),
            request(&method, &path, &format!("{host}.")),
            request(&method, &path, &format!("{host}:8080")),
        ]
    }
}

/// A text an expression of the forms Cilium rules hold matches: anchors dropped, optional
/// groups left out, `.*` and `[^.:]+` as one character, escapes undone.
fn literal(re: &str) -> String {
    let re = re.strip_prefix('^').unwrap_or(re);
    let re = re.strip_suffix('$').unwrap_or(re);
    let re = re
        .replace("(\\?.*)?", "")
        .replace("(\\.[^.:]+)*", "")
        .replace("[^.:]+", "a")
        .replace(".*", "x");
    let mut out = String::with_capacity(re.len());
    let mut chars = re.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// An expression read as the language's HTTP match: its text, and whether that reading is
/// narrower than the expression (an unescaped `.` read as a dot).
struct Literal {
    text: String,
    narrowed: bool,
}

/// `re` as literal text, when it is one: escaped characters as themselves, `^` and `$` at its
/// ends dropped (the match is whole anyway), an unescaped `.` as a dot (narrower: it matches
/// any character); `None` for any other operator.
fn literal_text(re: &str) -> Option<Literal> {
    let re = re.strip_prefix('^').unwrap_or(re);
    let re = re
        .strip_suffix('$')
        .filter(|r| !r.ends_with('\\'))
        .unwrap_or(re);
    let mut out = Literal {
        text: String::with_capacity(re.len()),
        narrowed: false,
    };
    let mut chars = re.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let e = chars.next()?;
                if e.is_ascii_alphanumeric() {
                    // `\d`, `\w`, ...: a class, not a character.
                    return None;
                }
                out.text.push(e);
            }
            '.' => {
                out.narrowed = true;
                out.text.push('.');
            }
            c if "+*?()|[]{}^$".contains(c) => return None,
            c => out.text.push(c),
        }
    }
    Some(out)
}

/// How a rule reads in the language: its method, path and `Host` header as the language's
/// HTTP match writes them, with whether that is narrower than the rule; `Err` names the field
/// the language cannot write (a method that is not upper-case letters, a path matched without
/// its query strings, any other regular expression).
pub struct Reading {
    pub method: Option<String>,
    /// `(path, prefix)`: `/v1/orders(\?.*)?` is `("/v1/orders", false)`, `/v1/.*` is
    /// `("/v1/", true)`.
    pub path: Option<(String, bool)>,
    /// `(name, wildcard labels, port)`: 0 for a name, 1 for one label (`[^.:]+\.`), 2 for one
    /// or more.
    pub host: Option<(String, u8, Option<u16>)>,
    pub narrowed: bool,
}

impl HttpRule {
    /// The rule as the language can write it (see [`Reading`]).
    pub fn reading(&self) -> Result<Reading, String> {
        let [method, path, host] = &self.written;
        let mut out = Reading {
            method: None,
            path: None,
            host: None,
            narrowed: false,
        };
        if let Some(m) = method {
            let m = m.trim_start_matches('^').trim_end_matches('$');
            if m.is_empty() || !m.chars().all(|c| c.is_ascii_uppercase()) {
                return Err(format!("its method `{m}` is not one upper-case method"));
            }
            out.method = Some(m.to_owned());
        }
        if let Some(p) = path {
            let cut = |suffix: &str| {
                let p = p.strip_suffix('$').unwrap_or(p);
                p.strip_suffix(suffix).map(ToOwned::to_owned)
            };
            let (body, prefix) = match (cut("(\\?.*)?"), cut(".*")) {
                (Some(b), _) => (b, false),
                (None, Some(b)) => (b, true),
                (None, None) => {
                    return Err(format!(
                        "its path `{p}` matches no query string, and the language's paths allow any (`{p}(\\?.*)?`)"
                    ));
                }
            };
            let lit = literal_text(&body)
                .filter(|l| l.text.starts_with('/'))
                .ok_or_else(|| {
                    format!("its path `{p}` is a regular expression the language cannot write")
                })?;
            out.narrowed |= lit.narrowed;
            out.path = Some((lit.text, prefix));
        }
        if let Some(h) = host {
            let bare = h.trim_start_matches('^');
            let (wild, rest) = if let Some(r) = bare.strip_prefix("[^.:]+(\\.[^.:]+)*\\.") {
                (2, r)
            } else if let Some(r) = bare.strip_prefix("[^.:]+\\.") {
                (1, r)
            } else {
                (0, bare)
            };
            let lit = literal_text(rest).ok_or_else(|| {
                format!("its host `{h}` is a regular expression the language cannot write")
            })?;
            let (name, port) = match lit.text.rsplit_once(':') {
                Some((n, p)) => match p.parse::<u16>() {
                    Ok(p) if p > 0 => (n.to_owned(), Some(p)),
                    _ => {
                        return Err(format!(
                            "its host `{h}` has a port the language cannot write"
                        ));
                    }
                },
                None => (lit.text, None),
            };
            out.narrowed |= lit.narrowed;
            out.host = Some((name, wild, port));
        }
        Ok(out)
    }

    /// Whether the request matches every field the rule gives.
    pub fn matches(&self, r: &HttpRequest) -> bool {
        self.method.as_ref().is_none_or(|m| m.is_match(&r.method))
            && self.path.as_ref().is_none_or(|p| p.is_match(&r.target))
            && self.host.as_ref().is_none_or(|h| h.is_match(&r.host))
    }
}

impl fmt::Display for HttpRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
