//! `tls(DEST, name = api.example.com, name = *.example.com)`: the checks of a TLS allowance's
//! arguments, one meaning on every target (`docs/targets.md`, "TLS"):
//!
//! - `name`: the server name a client sends in its TLS ClientHello (SNI), as a host name or a
//!   pattern of host names is written (`api.example.com`, `*.example.com`, `**.example.com`,
//!   `api-*.example.com`), matched as host names are; one or more, a connection passes when one
//!   matches. A ClientHello without a server name matches none; anything but TLS matches none.
//!
//! The destination must have TCP ports other than 53 (E0375): TLS runs over TCP, and a target proxies the
//! port to read the ClientHello.

use super::literals;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{HostPattern, PortRange};
use crate::source::Span;
use crate::syntax::ast;

/// The parameters of `tls(...)`.
pub(super) const PARAMS: [&str; 1] = ["name"];

/// `api.example.com`, `*.example.com`: a server name, as host names are written.
pub(super) fn server_name(value: &ast::Dest) -> Result<HostPattern, Diagnostic> {
    if let ast::DestKind::Atom(ast::Atom::Host { name, ports: None }) = &value.kind
        && value.ports.is_none()
    {
        return literals::host(name);
    }
    Err(
        Diagnostic::new(Code::E0374, value.span, "not a TLS server name")
            .label(
                "expected a host name such as `api.example.com` or `*.example.com`, without a port",
            )
            .help("write the name clients send in their TLS ClientHello: `name = api.example.com`"),
    )
}

/// E0375: a TLS allowance on a destination without TCP ports.
pub(super) fn not_tls(span: Span, found: &str) -> Diagnostic {
    Diagnostic::new(Code::E0375, span, format!("a TLS rule on {found}"))
        .label("TLS needs a TCP port")
        .help("give the destination its TLS port, as in `tls(api.example.com:443, name = api.example.com)`")
}

/// E0375: a TLS allowance on TCP port 53, which Cilium proxies as DNS (see `http::dns_port`:
/// one port takes one kind of L7 rule, and server names count as one).
pub(super) fn dns_port(span: Span, ports: PortRange) -> Diagnostic {
    let what = if ports.first == ports.last {
        "a TLS rule on port 53".to_owned()
    } else {
        format!("a TLS rule on `{ports}`, which holds port 53")
    };
    Diagnostic::new(Code::E0375, span, what)
        .label("port 53 is DNS's")
        .note("Cilium proxies port 53 as DNS for its DNS visibility rule, and one port takes one kind of L7 rule")
        .help("give the TLS rule its own port (DNS over TLS is 853), or allow port 53 without `tls(...)`")
}

/// E0373: `tls(...)` without a destination, with several, or without a server name.
pub(super) fn malformed(span: Span, why: &str) -> Diagnostic {
    Diagnostic::new(Code::E0373, span, format!("`tls(...)` {why}"))
        .label("a TLS allowance")
        .help("write `tls(DESTINATION:PORT, name = api.example.com)`: one destination, then one `name = ...` per server name")
}
