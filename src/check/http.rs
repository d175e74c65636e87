//! `http(DEST, method = GET, path = "/v1/orders/*", host = api.example.com)`: the checks of an
//! HTTP allowance's arguments, one meaning on every target (`docs/targets.md`, "HTTP"):
//!
//! - `method`: an upper-case method (`GET`, `POST`, ...), matched exactly (E0366 otherwise);
//! - `path`: a quoted path starting with `/`, matched whole (a query string after it is
//!   allowed); a final `*` makes it a prefix (`"/v1/*"`: every path under `/v1/`). A `*`
//!   elsewhere (E0362), a path that does not start with `/` or holds a query, a fragment, a
//!   space or a character outside RFC 3986's path characters (E0361) is refused;
//! - `host`: a host name as a destination writes it (`api.example.com`, `*.example.com`,
//!   `**.example.com`), with a port when clients send one (`api.example.com:8080`), matched
//!   against the request's `Host` header as sent.
//!
//! - `header`: `header = X-Team` (the request carries the header, whatever its value) or
//!   `header = "X-Team: payments"` (it carries it with exactly that value), as many as
//!   needed, all required. A name is an HTTP token (RFC 9110, 5.6.2; E0390), matched without
//!   regard to case; a value is printable ASCII without spaces at its ends (E0391), compared
//!   byte for byte with the header's whole value (its lines joined by `,`). A name twice
//!   (E0392) or one that Cilium's proxy sets, rewrites or removes before its policy reads the
//!   request (E0393) is refused.
//!
//! The destination must have TCP ports (E0363): HTTP runs over TCP, and a target proxies the
//! port to read the requests.

use super::literals;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{HeaderMatch, HttpHost, PathPattern};
use crate::source::{Span, Spanned};
use crate::syntax::ast;

/// The parameters of `http(...)`.
pub(super) const PARAMS: [&str; 4] = ["method", "path", "host", "header"];

/// The characters RFC 3986 allows in a path (unreserved, sub-delims, `:`, `@`, `/`, and `%`
/// for percent-encoding).
fn path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()+,;=:@/%".contains(c)
}

/// `"/v1/orders"` or `"/v1/*"`.
pub(super) fn path(text: &Spanned<String>) -> Result<PathPattern, Diagnostic> {
    let p = text.node.as_str();
    let bad = |why: &str| {
        Diagnostic::new(
            Code::E0361,
            text.span,
            format!("`{p}` is not an HTTP path pattern"),
        )
        .label(why.to_owned())
        .help("write a path such as \"/v1/orders\", or \"/v1/*\" for every path under `/v1/`")
    };
    if !p.starts_with('/') {
        return Err(bad("a path starts with `/`"));
    }
    let (body, prefix) = match p.strip_suffix('*') {
        Some(b) => (b, true),
        None => (p, false),
    };
    if body.contains('*') {
        return Err(Diagnostic::new(
            Code::E0362,
            text.span,
            format!("`{p}` has a `*` before its end"),
        )
        .label("`*` stands only at the end of a path, for every path that starts with the rest")
        .help(
            "write one pattern per path, or end the pattern with `*` to allow every path under it",
        ));
    }
    if let Some(c) = body.chars().find(|c| !path_char(*c)) {
        let why = match c {
            '?' => "a query string is not part of the path (every query is allowed)".to_owned(),
            '#' => "a fragment is never sent to the server".to_owned(),
            c => format!("`{}` is not a path character", c.escape_default()),
        };
        return Err(bad(&why));
    }
    Ok(if prefix {
        PathPattern::Prefix(body.to_owned())
    } else {
        PathPattern::Exact(body.to_owned())
    })
}

/// `GET`, `POST`: an upper-case HTTP method.
pub(super) fn method(value: &ast::Dest) -> Result<String, Diagnostic> {
    if let ast::DestKind::Atom(ast::Atom::Name { name, ports: None }) = &value.kind
        && value.ports.is_none()
        && !name.node.is_empty()
        && name.node.chars().all(|c| c.is_ascii_uppercase())
    {
        return Ok(name.node.clone());
    }
    Err(
        Diagnostic::new(Code::E0366, value.span, "not an HTTP method")
            .label("expected an upper-case method such as `GET` or `POST`")
            .help("write one method per `http(...)`, in upper case: `method = GET`"),
    )
}

/// `api.example.com`, `*.example.com`, `api.example.com:8080`: a host name, and the port when
/// the `Host` header carries one.
pub(super) fn host(value: &ast::Dest) -> Result<HttpHost, Diagnostic> {
    if let ast::DestKind::Atom(ast::Atom::Host { name, ports }) = &value.kind
        && value.ports.is_none()
    {
        let port = match ports {
            None => None,
            Some(p) => match (p.proto.is_none() && p.args.is_empty())
                .then(|| p.port.node.parse::<u16>().ok())
                .flatten()
                .filter(|n| *n > 0)
            {
                Some(n) => Some(n),
                None => {
                    return Err(Diagnostic::new(
                        Code::E0308,
                        p.span,
                        "not the port of a `Host` header",
                    )
                    .label("expected one port number, without a protocol")
                    .help("write the header as clients send it: `host = api.example.com:8080`"));
                }
            },
        };
        return Ok(HttpHost {
            name: literals::host(name)?,
            port,
        });
    }
    Err(Diagnostic::new(Code::E0308, value.span, "not a host name")
        .label("expected a host name such as `api.example.com` or `*.example.com`")
        .help("write the name the requests carry in their `Host` header: `host = api.example.com`"))
}

/// RFC 9110's `tchar`: the characters of a token, which a header name is.
fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// The headers Cilium's proxy (Envoy) sets, rewrites or removes before its policy reads a
/// request, with why: `Host` is the authority (`host = ...`); the connection's own headers
/// are removed, `Referer` when sent twice, the `x-forwarded-` and `x-envoy-` ones are the
/// proxy's (`ConnectionManagerUtility::mutateRequestHeaders`), as is `x-request-id`.
fn rewritten(name: &str) -> Option<&'static str> {
    match name {
        "host" => Some("the `Host` header is matched by `host = ...`"),
        "connection" | "keep-alive" | "proxy-connection" | "transfer-encoding" | "upgrade"
        | "te" => Some(
            "Cilium's proxy removes the connection's own headers before its policy reads the request",
        ),
        "referer" => {
            Some("Cilium's proxy removes a `Referer` it cannot read, or that is sent twice")
        }
        "x-request-id" => Some("Cilium's proxy sets `x-request-id` when a request has none"),
        n if n.starts_with("x-forwarded-") || n.starts_with("x-envoy-") => {
            Some("Cilium's proxy sets or removes these headers itself")
        }
        _ => None,
    }
}

/// `X-Team` or `"X-Team"` (present), `"X-Team: payments"` (present with that value): a
/// header an HTTP request must carry.
pub(super) fn header(value: &ast::Dest) -> Result<HeaderMatch, Diagnostic> {
    let (text, quoted) = match &value.kind {
        ast::DestKind::Text(t) => (t.node.as_str(), true),
        ast::DestKind::Atom(
            ast::Atom::Name { name, ports: None } | ast::Atom::Host { name, ports: None },
        ) if value.ports.is_none() => (name.node.as_str(), false),
        _ => {
            return Err(Diagnostic::new(Code::E0390, value.span, "not an HTTP header")
                .label("expected a header name, or a name and a value in quotes")
                .help("write `header = X-Team` for a header present with any value, or `header = \"X-Team: payments\"` for one value"));
        }
    };
    let (name, rest) = match text.split_once(':') {
        Some((n, v)) if quoted => (n, Some(v)),
        _ => (text, None),
    };
    parse_header(name, rest, value.span)
}

/// A header's name and, after its `:`, its value (the spaces before it removed), checked as
/// `header = ...` checks them, at `span`.
pub(crate) fn parse_header(
    name: &str,
    rest: Option<&str>,
    span: Span,
) -> Result<HeaderMatch, Diagnostic> {
    let bad_name = |why: String| {
        let what = if name.is_empty() {
            "a header without a name".to_owned()
        } else {
            format!("`{}` is not an HTTP header name", name.escape_debug())
        };
        Diagnostic::new(Code::E0390, span, what)
            .label(why)
            .help("a header name is letters, digits, `-` and a few other symbols, such as `X-Team`; write a value after `: ` in quotes: `header = \"X-Team: payments\"`")
    };
    if name.is_empty() {
        return Err(bad_name("a header has a name".to_owned()));
    }
    if let Some(c) = name.chars().find(|c| !token_char(*c)) {
        return Err(bad_name(format!(
            "`{}` is not a character of a header name",
            c.escape_debug()
        )));
    }
    let lower = name.to_ascii_lowercase();
    if let Some(why) = rewritten(&lower) {
        return Err(Diagnostic::new(
            Code::E0393,
            span,
            format!("`{name}` is not a header a policy can match as sent"),
        )
        .label(why)
        .help("match the request by another header, or by `method`, `path` and `host`"));
    }
    let value_text = match rest {
        None => None,
        Some(v) => {
            let v = v.trim_start_matches(' ');
            let bad = |why: String| {
                let what = if v.is_empty() {
                    "a header with an empty value".to_owned()
                } else {
                    format!("`{}` is not an HTTP header value", v.escape_debug())
                };
                Diagnostic::new(Code::E0391, span, what)
                .label(why)
                .help("write printable ASCII after `: `, as the header is sent: `header = \"X-Team: payments\"`, or `header = X-Team` for any value")
            };
            if v.is_empty() {
                return Err(bad(
                    "the value is empty; `header = NAME` requires the header with any value"
                        .to_owned(),
                ));
            }
            if let Some(c) = v.chars().find(|c| !(' '..='~').contains(c)) {
                return Err(bad(if c.is_control() {
                    format!(
                        "`{}` is a control character, which no header value holds",
                        c.escape_debug()
                    )
                } else {
                    format!("`{c}` is not ASCII")
                }));
            }
            if v.ends_with(' ') {
                return Err(bad(
                    "a header value never ends with a space: it is removed as the request is read"
                        .to_owned(),
                ));
            }
            Some(v.to_owned())
        }
    };
    Ok(HeaderMatch {
        name: lower,
        value: value_text,
    })
}

/// E0392: a header an `http(...)` names twice.
pub(super) fn header_twice(span: Span, name: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0392,
        span,
        format!("the header `{name}` is named twice"),
    )
    .label("one `http(...)` names a header once")
    .note("header names are matched without regard to case, and a request's header has one value")
    .help(
        "keep one `header = ...` for it; write another `http(...)` for requests with another value",
    )
}

/// E0363: an HTTP allowance on a destination without TCP ports.
pub(super) fn not_http(span: Span, found: &str) -> Diagnostic {
    Diagnostic::new(Code::E0363, span, format!("an HTTP rule on {found}"))
        .label("HTTP needs a TCP port")
        .help("give the destination its HTTP port, as in `http(api.example.com:80, method = GET)`")
}

/// E0368: an HTTP allowance on TCP port 53. Cilium proxies port 53 as DNS where a DNS
/// visibility rule takes it (`toPorts[].rules.dns`, which every program reaching the cluster's
/// DNS server has, and which host names need); one port of a pod's policy has one L7 parser,
/// and Cilium rejects a policy whose rules give a port both DNS and HTTP rules ("cannot merge
/// conflicting L7 parsers"). Port 53 is DNS's: an HTTP rule there is refused everywhere.
pub(super) fn dns_port(span: Span, ports: crate::model::PortRange) -> Diagnostic {
    let what = if ports.first == ports.last {
        "an HTTP rule on port 53".to_owned()
    } else {
        format!("an HTTP rule on `{ports}`, which holds port 53")
    };
    Diagnostic::new(Code::E0368, span, what)
    .label("port 53 is DNS's")
    .note("Cilium proxies port 53 as DNS for its DNS visibility rule, and one port takes one kind of L7 rule")
    .help("give the HTTP rule its own port, or allow port 53 without `http(...)`")
}

/// E0364: `http(...)` without a destination, with several, or with nothing to match.
pub(super) fn malformed(span: Span, why: &str) -> Diagnostic {
    Diagnostic::new(Code::E0364, span, format!("`http(...)` {why}"))
        .label("an HTTP allowance")
        .help("write `http(DESTINATION:PORT, method = GET, path = \"/v1/*\", host = api.example.com, header = X-Team)`: one destination, then at least one of `method`, `path`, `host` and `header`")
}

/// E0365: a quoted text where a destination is expected.
pub(super) fn text_misplaced(span: Span) -> Diagnostic {
    Diagnostic::new(Code::E0365, span, "a quoted text is not a destination")
        .label("quoted text stands only as the `path` or a `header` of `http(...)`")
        .help("remove the quotes from a destination, or write `http(DEST, path = \"/v1/*\")`")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Spanned<String> {
        Spanned::new(text.to_owned(), Span::default())
    }

    #[test]
    fn paths_are_exact_or_prefixes() {
        assert_eq!(
            path(&at("/v1/orders")).ok(),
            Some(PathPattern::Exact("/v1/orders".into()))
        );
        assert_eq!(
            path(&at("/v1/*")).ok(),
            Some(PathPattern::Prefix("/v1/".into()))
        );
        assert_eq!(path(&at("/*")).ok(), Some(PathPattern::Prefix("/".into())));
        for bad in ["v1", "/v1?a=1", "/v1#top", "/a b", "/v1\"x"] {
            assert_eq!(
                path(&at(bad)).map_err(|d| d.code),
                Err(Code::E0361),
                "{bad}"
            );
        }
        assert_eq!(
            path(&at("/v1/*/orders")).map_err(|d| d.code),
            Err(Code::E0362)
        );
    }

    #[test]
    fn headers_are_a_token_and_a_printable_value() {
        let parse = |name: &str, value: Option<&str>| {
            parse_header(name, value, Span::default()).map_err(|d| d.code)
        };
        assert_eq!(
            parse("X-Team", Some("  pay ments")),
            Ok(HeaderMatch {
                name: "x-team".into(),
                value: Some("pay ments".into())
            })
        );
        assert_eq!(
            parse("X_T.1~!", None),
            Ok(HeaderMatch {
                name: "x_t.1~!".into(),
                value: None
            })
        );
        for (name, value, code) in [
            ("", Some("a"), Code::E0390),
            ("X Team", None, Code::E0390),
            ("X/Team", None, Code::E0390),
            ("X-Team", Some(" "), Code::E0391),
            ("X-Team", Some("a\nb"), Code::E0391),
            ("X-Team", Some("a\r\nX-Evil: 1"), Code::E0391),
            ("X-Team", Some("a\0"), Code::E0391),
            ("X-Team", Some("a "), Code::E0391),
            ("HOST", None, Code::E0393),
            ("X-Envoy-Internal", None, Code::E0393),
            ("Transfer-Encoding", Some("chunked"), Code::E0393),
        ] {
            assert_eq!(parse(name, value), Err(code), "{name:?} {value:?}");
        }
    }
}
