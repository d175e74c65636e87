//! Classifies a literal token (`10.20.30.0/24:5432`, `[fd00::1]:443/tcp`, `*.example.com`,
//! `8000-8100`, `db:port`) by its characters, the way a lexer would, without validating values.
//!
//! The shape is `HEAD [/PREFIX] [:PORTS [/PROTO]]`, where an IPv6 HEAD either has no port or is
//! written in brackets (`[fd00::1]:443`), because `fd00::1:443` is itself a valid address.

use super::ast::{Atom, PortSuffix};
use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Span, Spanned};

struct Cut<'a> {
    file: FileId,
    base: usize,
    text: &'a str,
}

impl Cut<'_> {
    fn spanned(&self, from: usize, to: usize) -> Spanned<String> {
        Spanned::new(
            self.text.get(from..to).unwrap_or_default().to_owned(),
            Span::new(self.file, self.base + from, self.base + to),
        )
    }
    fn span(&self, from: usize, to: usize) -> Span {
        Span::new(self.file, self.base + from, self.base + to)
    }
}

fn malformed(span: Span, text: &str, why: &str) -> Diagnostic {
    Diagnostic::new(Code::E0105, span, format!("malformed literal `{text}`")).label(why.to_owned())
}

/// Classifies `text`, which starts at byte `base` of `file`.
pub fn classify(file: FileId, base: usize, text: &str) -> Result<Atom, Diagnostic> {
    let cut = Cut { file, base, text };
    let whole = cut.span(0, text.len());
    let bracketed = text.starts_with('[');
    // Split HEAD from the rest.
    let (head_from, head_to, rest_from) = if bracketed {
        match text.find(']') {
            Some(close) => (1, close, close + 1),
            None => {
                return Err(malformed(whole, text, "`[` is never closed")
                    .help("write an IPv6 address with a port as `[fd00::1]:443`"));
            }
        }
    } else {
        let slash = text.find('/').unwrap_or(text.len());
        let pre = text.get(..slash).unwrap_or_default();
        match pre.matches(':').count() {
            0 => (0, slash, slash),
            1 => {
                let colon = pre.find(':').unwrap_or(slash);
                (0, colon, colon)
            }
            _ => (0, slash, slash),
        }
    };
    let head = text.get(head_from..head_to).unwrap_or_default();
    let rest = text.get(rest_from..).unwrap_or_default();

    // Parse the rest: [/PREFIX] [:PORTS [/PROTO]]
    let mut pos = rest_from;
    let mut prefix = None;
    if rest.starts_with('/') {
        let body_from = pos + 1;
        let body_to = text
            .get(body_from..)
            .and_then(|s| s.find([':', '/']).map(|i| body_from + i))
            .unwrap_or(text.len());
        prefix = Some(cut.spanned(body_from, body_to));
        pos = body_to;
    }
    let mut ports = None;
    if text.get(pos..).is_some_and(|s| s.starts_with(':')) {
        let port_from = pos + 1;
        let port_to = text
            .get(port_from..)
            .and_then(|s| s.find([':', '/']).map(|i| port_from + i))
            .unwrap_or(text.len());
        let port = cut.spanned(port_from, port_to);
        pos = port_to;
        let mut proto = None;
        if text.get(pos..).is_some_and(|s| s.starts_with('/')) {
            let proto_from = pos + 1;
            let proto_to = text
                .get(proto_from..)
                .and_then(|s| s.find([':', '/']).map(|i| proto_from + i))
                .unwrap_or(text.len());
            proto = Some(cut.spanned(proto_from, proto_to));
            pos = proto_to;
        }
        if port.node.is_empty() {
            return Err(malformed(port.span, text, "a port is missing after `:`")
                .help("write the port, as in `10.20.30.0/24:5432`"));
        }
        ports = Some(PortSuffix {
            port,
            proto,
            args: Vec::new(),
            span: cut.span(port_from - 1, pos),
        });
    }
    if pos < text.len() {
        let tail = cut.span(pos, text.len());
        let diag = malformed(tail, text, "unexpected text here");
        let diag = if prefix.is_some()
            && ports.is_none()
            && text.get(pos..).is_some_and(|s| s.starts_with('/'))
        {
            diag.help("a protocol needs a port: write `:1-65535/udp` for every UDP port")
        } else if head.matches(':').count() >= 2 && !bracketed {
            diag.help("write an IPv6 address with a port in brackets: `[fd00::1]:443`")
        } else {
            diag
        };
        return Err(diag);
    }

    let head_sp = cut.spanned(head_from, head_to);
    if head.is_empty() {
        return Err(malformed(whole, text, "nothing before the port"));
    }
    let is_ip = bracketed
        || head.contains(':')
        || (head.contains('.') && head.chars().all(|c| c.is_ascii_digit() || c == '.'));
    if is_ip {
        return Ok(Atom::Ip {
            addr: head_sp,
            prefix,
            ports,
        });
    }
    if let Some(p) = prefix {
        return Err(
            malformed(p.span, text, "a prefix length belongs to an IP address")
                .help("write a CIDR such as `10.0.0.0/8`, or a host name without `/`"),
        );
    }
    let is_port = head.chars().next().is_some_and(|c| c.is_ascii_digit())
        && head.chars().all(|c| c.is_ascii_digit() || c == '-');
    if is_port {
        if let Some(p) = ports {
            return Err(malformed(p.span, text, "a port cannot have a port"));
        }
        return Ok(Atom::Port(head_sp));
    }
    if head.contains('.') || head.contains('*') {
        return Ok(Atom::Host {
            name: head_sp,
            ports,
        });
    }
    Ok(Atom::Name {
        name: head_sp,
        ports,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(text: &str) -> String {
        match classify(FileId(0), 0, text) {
            Ok(Atom::Ip {
                addr,
                prefix,
                ports,
            }) => format!(
                "ip {} {:?} {:?}",
                addr.node,
                prefix.map(|p| p.node),
                ports.map(|p| (p.port.node, p.proto.map(|x| x.node)))
            ),
            Ok(Atom::Host { name, ports }) => format!(
                "host {} {:?}",
                name.node,
                ports.map(|p| (p.port.node, p.proto.map(|x| x.node)))
            ),
            Ok(Atom::Port(p)) => format!("port {}", p.node),
            Ok(Atom::Name { name, ports }) => format!(
                "name {} {:?}",
                name.node,
                ports.map(|p| (p.port.node, p.proto.map(|x| x.node)))
            ),
            Err(d) => format!("error {}", d.code),
        }
    }

    #[test]
    fn classifies_literals() {
        assert_eq!(
            show("10.20.30.0/24:5432"),
            r#"ip 10.20.30.0 Some("24") Some(("5432", None))"#
        );
        assert_eq!(
            show("10.0.0.0/8:8000-8100/udp"),
            r#"ip 10.0.0.0 Some("8") Some(("8000-8100", Some("udp")))"#
        );
        assert_eq!(
            show("fd00:ec2::254/128"),
            r#"ip fd00:ec2::254 Some("128") None"#
        );
        assert_eq!(show("::/0"), r#"ip :: Some("0") None"#);
        assert_eq!(
            show("[fd00::1]:443/tcp"),
            r#"ip fd00::1 None Some(("443", Some("tcp")))"#
        );
        assert_eq!(
            show("fd00::/64:443"),
            r#"ip fd00:: Some("64") Some(("443", None))"#
        );
        assert_eq!(
            show("api.stripe.com:443"),
            r#"host api.stripe.com Some(("443", None))"#
        );
        assert_eq!(show("*.example.com"), "host *.example.com None");
        assert_eq!(show("5432"), "port 5432");
        assert_eq!(show("8000-8100"), "port 8000-8100");
        assert_eq!(
            show("db:port/tcp"),
            r#"name db Some(("port", Some("tcp")))"#
        );
        assert_eq!(show("10.20.300.0/24"), r#"ip 10.20.300.0 Some("24") None"#);
        assert_eq!(show("10.0.0.0/8/udp"), "error E0105");
        assert_eq!(show("host.com:"), "error E0105");
        assert_eq!(show("[::1"), "error E0105");
    }
}
