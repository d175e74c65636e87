//! `toPorts[].rules.http[]`: Cilium's HTTP rules, read and matched as Cilium's proxy (Envoy)
//! does. `[layer7]` `PortRuleHTTP`: `method`, `path` and `host` are "extended POSIX regex"
//! matched against the request's method, path and host; Cilium configures Envoy with them as
//! `safe_regex` header matchers (cilium/cilium#41314: "HTTP rule types configures the `Path`
//! field as regex matcher"), which match only the whole value (envoyproxy/envoy#19948,
//! #38473: "no-partial matching in regex is by design"): `:path` is the request target with
//! its query string, `:authority` the host as the client sent it (with a port when it gave
//! one). Every field given must match; a request matches the entry when one rule matches
//! (`[layer7]` "A layer 7 request is permitted if at least one of the rules matches").
//!
//! Headers, as Cilium hands them to its proxy (`pkg/envoy/server.go`, `getHTTPRule`): a
//! `headers` entry is split at its first space; with a space it is a name (its final `:`s
//! removed) and a value matched exactly (`"X-Team: payments"`), without one a name that must
//! be present (`"X-Team"`). A `headerMatches` entry (`PortRuleHTTP`, `HeaderMatch`) requires
//! its `name`, with exactly its `value` when it has one ("Value matches the exact value of the
//! header"), present otherwise ("only presence of the header is enough"). The proxy lowers the
//! case of every name and matches against the header's value with its lines joined by `,`
//! (`getAllOfHeaderAsString`). A `headerMatches` entry with a `mismatch` action (`LOG`,
//! `ADD`, `DELETE`, `REPLACE`) requires nothing: "the overall rule is still considered as
//! matching", the request logged or rewritten instead of refused. One with a `secret` is
//! matched against the Secret's value, which the reader does not know: it reads it as
//! matched by no request (narrower than Cilium; egressc never writes one).

use std::fmt;

use regex::Regex;

use crate::verify::HttpRequest;
use crate::verify::cursor::{Cursor, ReadError};

/// What a rule asks of one header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderNeed {
    /// Present, whatever its value.
    Present,
    /// Present with exactly this value.
    Value(String),
    /// Present with the value of a Secret (namespace/name), unknown to the reader.
    Secret(String),
    /// Nothing: a `mismatch` action logs or rewrites the request instead of refusing it.
    Action(String),
}

/// One header of a rule: its name in lower case and what the rule asks of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderRule {
    pub name: String,
    pub need: HeaderNeed,
}

impl HeaderRule {
    /// A `headers` entry: `"X-Team: payments"` or `"X-Team"`.
    fn from_text(c: &Cursor<'_>) -> Result<HeaderRule, ReadError> {
        let text = c.str()?;
        let rule = match text.split_once(' ') {
            Some((name, value)) => HeaderRule {
                name: name.trim_end_matches(':').to_ascii_lowercase(),
                need: HeaderNeed::Value(value.to_owned()),
            },
            None => HeaderRule {
                name: text.to_ascii_lowercase(),
                need: HeaderNeed::Present,
            },
        };
        if rule.name.is_empty() {
            return Err(c.unmodelled(format!(
                "`{text}` names no header, which Cilium's proxy does not take"
            )));
        }
        Ok(rule)
    }

    /// A `headerMatches` entry: `{name, value, secret, mismatch}`.
    fn from_match(c: &Cursor<'_>) -> Result<HeaderRule, ReadError> {
        let m = c.map(&["name", "value", "secret", "mismatch"])?;
        let name = m.str("name")?.unwrap_or_default();
        if name.is_empty() {
            // `PortRuleHTTP.Sanitize`: "Header name missing".
            return Err(c.error("a `headerMatches` entry names no header"));
        }
        let value = m.str("value")?.filter(|v| !v.is_empty());
        let need = if let Some(a) = m.str("mismatch")? {
            if !["LOG", "ADD", "DELETE", "REPLACE"].contains(&a) {
                return Err(c.error(format!(
                    "`mismatch: {a}` is not one of LOG, ADD, DELETE and REPLACE"
                )));
            }
            HeaderNeed::Action(a.to_owned())
        } else if let Some(secret) = m.get("secret") {
            let s = secret.map(&["name", "namespace"])?;
            let name = s.str("name")?.unwrap_or_default();
            if name.is_empty() {
                return Err(secret.error("the secret has no name"));
            }
            let ns = s.str("namespace")?.unwrap_or_default();
            HeaderNeed::Secret(format!("{ns}/{name}"))
        } else {
            value.map_or(HeaderNeed::Present, |v| HeaderNeed::Value(v.to_owned()))
        };
        Ok(HeaderRule {
            name: name.to_ascii_lowercase(),
            need,
        })
    }

    /// Whether a request with these header lines meets it.
    fn matches(&self, headers: &[(String, String)]) -> bool {
        let values: Vec<&str> = headers
            .iter()
            .filter(|(n, _)| n.to_ascii_lowercase() == self.name)
            .map(|(_, v)| v.as_str())
            .collect();
        match &self.need {
            HeaderNeed::Action(_) => true,
            HeaderNeed::Secret(_) => false,
            HeaderNeed::Present => !values.is_empty(),
            HeaderNeed::Value(v) => !values.is_empty() && values.join(",") == *v,
        }
    }
}

impl fmt::Display for HeaderRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.need {
            HeaderNeed::Present => write!(f, "header {:?}", self.name),
            HeaderNeed::Value(v) => write!(f, "header {:?}", format!("{}: {v}", self.name)),
            HeaderNeed::Secret(s) => write!(f, "header {:?} from secret {s}", self.name),
            HeaderNeed::Action(a) => write!(f, "header {:?} or {a}", self.name),
        }
    }
}

/// One `rules.http[]` entry, each regex anchored at both ends.
#[derive(Clone, Debug)]
pub struct HttpRule {
    method: Option<Regex>,
    path: Option<Regex>,
    host: Option<Regex>,
    /// `headers` and `headerMatches`, in that order.
    headers: Vec<HeaderRule>,
    text: String,
    /// The regular expressions as written: `method`, `path`, `host`.
    written: [Option<String>; 3],
}

impl HttpRule {
    pub fn read(c: &Cursor<'_>) -> Result<HttpRule, ReadError> {
        let m = c.map(&["method", "path", "host", "headers", "headerMatches"])?;
        let mut headers = Vec::new();
        for h in m.list("headers")? {
            headers.push(HeaderRule::from_text(&h)?);
        }
        for h in m.list("headerMatches")? {
            headers.push(HeaderRule::from_match(&h)?);
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
            .chain(headers.iter().map(ToString::to_string))
            .collect();
        let written = ["method", "path", "host"]
            .map(|k| m.get(k).and_then(|v| v.str().ok()).map(ToOwned::to_owned));
        Ok(HttpRule {
            method: method.map(|(r, _)| r),
            path: path.map(|(r, _)| r),
            host: host.map(|(r, _)| r),
            headers,
            text: format!("{{{}}}", text.join(", ")),
            written,
        })
    }

    /// Requests worth trying against the rule: one read off its expressions (each repetition
    /// taken once, each optional group left out, escapes undone) and ones that just miss it
    /// (another method, a longer or deeper path, a query string, another host, a port, without
    /// its headers, a header without its value or sent twice).
    pub fn examples(&self) -> Vec<HttpRequest> {
        let [method, path, host] = self.written.clone().map(|w| w.as_deref().map(literal));
        let method = method.unwrap_or_else(|| "GET".to_owned());
        let path = path.unwrap_or_else(|| "/".to_owned());
        let host = host.unwrap_or_else(|| "example.org".to_owned());
        let headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|h| {
                let value = match &h.need {
                    HeaderNeed::Value(v) => v.clone(),
                    _ => "1".to_owned(),
                };
                (h.name.clone(), value)
            })
            .collect();
        let request = |method: &str, target: &str, host: &str| HttpRequest {
            method: method.to_owned(),
            target: target.to_owned(),
            host: host.to_owned(),
            headers: headers.clone(),
        };
        let full = request(&method, &path, &host);
        let mut variants = vec![HttpRequest {
            headers: Vec::new(),
            ..full.clone()
        }];
        for (i, (name, value)) in headers.iter().enumerate() {
            let others = headers
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, l)| l.clone());
            variants.push(HttpRequest {
                headers: others
                    .clone()
                    .chain([(name.clone(), format!("{value}x"))])
                    .collect(),
                ..full.clone()
            });
            variants.push(HttpRequest {
                headers: others
                    .chain([(name.clone(), value.clone()), (name.clone(), value.clone())])
                    .collect(),
                ..full.clone()
            });
        }
        let mut out = vec![
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
        ];
        if !headers.is_empty() {
            out.extend(variants);
        }
        out
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
    /// `(name, value)`: the headers required, present with any value when `value` is `None`.
    pub headers: Vec<(String, Option<String>)>,
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
            headers: Vec::new(),
            narrowed: false,
        };
        for h in &self.headers {
            out.headers.push(match &h.need {
                HeaderNeed::Present => (h.name.clone(), None),
                HeaderNeed::Value(v) => (h.name.clone(), Some(v.clone())),
                HeaderNeed::Secret(s) => {
                    return Err(format!(
                        "its header `{}` is matched against the Secret `{s}`, whose value the language does not hold",
                        h.name
                    ));
                }
                HeaderNeed::Action(a) => {
                    return Err(format!(
                        "its header `{}` has `mismatch: {a}`: Cilium lets a request without that header through, logged or rewritten, which the language cannot say (read as a requirement, it would allow less)",
                        h.name
                    ));
                }
            });
        }
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
            && self.headers.iter().all(|h| h.matches(&r.headers))
    }
}

impl fmt::Display for HttpRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
