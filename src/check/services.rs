//! Port suffixes: what a `:PORT/PROTO` after a destination allows, and which destinations take
//! it.
//!
//! A suffix names ports of a protocol with ports (`:5432`, `:8000-8100/udp`, `:port/p` with
//! parameters), ICMP messages (`:icmp` every message, `:icmp(8)` one type, `:icmp(8, 0)` one
//! type and code; `:icmpv6` likewise), or another IP protocol, which has no ports (`:gre`,
//! `:esp`, `:ah`, `:vrrp`, `:ipip`, `:igmp`). A protocol without ports given a port is E0340,
//! ICMP of the other IP family than an address range E0341, a malformed ICMP type or code E0342.

use super::expand::{Checker, Env, Expanded, Given, Val};
use super::literals;
use crate::diagnostics::{Code, Diagnostic, suggest};
use crate::model::{Peer, PortRange, Proto};
use crate::source::Spanned;
use crate::syntax::ast;

/// The largest ICMP type a policy can name: 255 is reserved (IANA), and Calico's `icmp.type`
/// stops at 254.
const MAX_ICMP_TYPE: u64 = 254;

impl Checker<'_> {
    /// What a port suffix allows and where it was given, or `None` after reporting why it
    /// allows nothing.
    pub(super) fn service(
        &mut self,
        suffix: &ast::PortSuffix,
        env: &Env,
    ) -> Option<(PortRange, Given)> {
        let here = Given {
            span: suffix.span,
            explicit: true,
        };
        let port = &suffix.port;
        let portless = match env.get(&port.node) {
            Some(_) => None,
            None => Proto::parse_portless(&port.node),
        };
        let Some(proto) = portless else {
            if let Some(first) = suffix.args.first() {
                return self.fail(no_arguments(
                    port,
                    first,
                    "write `:icmp(8)` for ICMP echo requests, or a port without parentheses".into(),
                ));
            }
            let (first, last, given) = self.port_value(port, here, env)?;
            let proto = self.port_protocol(suffix.proto.as_ref(), env)?;
            return Some((PortRange { proto, first, last }, given));
        };
        if let Some(p) = &suffix.proto {
            return self.fail(
                Diagnostic::new(
                    Code::E0340,
                    p.span,
                    format!("`{}` has no ports, so it takes no `/{}`", port.node, p.node),
                )
                .label("a protocol after a protocol without ports")
                .help(portless_help(proto)),
            );
        }
        if !proto.is_icmp() {
            if let Some(first) = suffix.args.first() {
                return self.fail(no_arguments(
                    port,
                    first,
                    format!("write `:{}` for the whole protocol", port.node),
                ));
            }
            return Some((PortRange::whole(proto), here));
        }
        match suffix.args.as_slice() {
            [] => Some((PortRange::whole(proto), here)),
            [kind] => {
                let kind = self.icmp_number(kind, "type", MAX_ICMP_TYPE)?;
                Some((PortRange::icmp(proto, kind, None), here))
            }
            [kind, code] => {
                let kind = self.icmp_number(kind, "type", MAX_ICMP_TYPE);
                let code = self.icmp_number(code, "code", u64::from(u8::MAX));
                Some((PortRange::icmp(proto, kind?, Some(code?)), here))
            }
            [_, _, extra, ..] => self.fail(
                Diagnostic::new(
                    Code::E0342,
                    extra.span,
                    format!("`{}` takes a type and a code, no more", port.node),
                )
                .label("one argument too many")
                .help(format!(
                    "write `:{}(TYPE)` or `:{}(TYPE, CODE)`",
                    port.node, port.node
                )),
            ),
        }
    }

    /// An ICMP type or code: a number from 0 to `max`.
    fn icmp_number(&mut self, tok: &Spanned<String>, what: &str, max: u64) -> Option<u8> {
        match tok.node.parse::<u64>() {
            Ok(n) if n <= max => u8::try_from(n).ok(),
            Ok(n) => self.fail(
                Diagnostic::new(
                    Code::E0342,
                    tok.span,
                    format!("ICMP {what} {n} is out of range"),
                )
                .label(format!("an ICMP {what} is a number from 0 to {max}"))
                .help(if what == "type" {
                    "ICMP types run from 0 to 254 (255 is reserved): `:icmp(8)` is an echo request"
                } else {
                    "ICMP codes run from 0 to 255"
                }),
            ),
            Err(_) => self.fail(
                Diagnostic::new(
                    Code::E0342,
                    tok.span,
                    format!("ICMP {what} `{}` is not a number", tok.node),
                )
                .label(format!("expected a number from 0 to {max}"))
                .help("write ICMP types and codes as numbers, as in `:icmp(8)` (echo request) or `:icmpv6(128)`"),
            ),
        }
    }

    /// The protocol after a port: `tcp` when none is written; a `proto` parameter or a protocol
    /// with ports (a protocol without ports is E0340, anything else E0310 or E0301).
    fn port_protocol(&mut self, p: Option<&Spanned<String>>, env: &Env) -> Option<Proto> {
        let Some(p) = p else {
            return Some(Proto::Tcp);
        };
        match env.get(&p.node) {
            Some(Val::Proto(x)) => Some(*x),
            Some(other) => self.fail(
                Diagnostic::new(
                    Code::E0301,
                    p.span,
                    format!("expected a protocol, found {}", other.describe()),
                )
                .label("this parameter is not a `proto`"),
            ),
            None => match Proto::parse_portless(&p.node) {
                Some(portless) => self.fail(
                    Diagnostic::new(
                        Code::E0340,
                        p.span,
                        format!("`{}` has no ports, so it cannot follow a port", p.node),
                    )
                    .label("a port of a protocol without ports")
                    .help(portless_help(portless)),
                ),
                None => match literals::proto(p) {
                    Ok(x) => Some(x),
                    Err(e) => self.fail(e),
                },
            },
        }
    }

    /// The port range of `:PORT` and where it was given (`at`, the suffix, for a number): a
    /// number or range, or a `port` parameter; a parameter of another type is E0301, any other
    /// name E0201 (with the closest protocol without ports or parameter).
    fn port_value(
        &mut self,
        tok: &Spanned<String>,
        at: Given,
        env: &Env,
    ) -> Option<(u16, u16, Given)> {
        if tok.node.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            return match literals::port_range(tok) {
                Ok((a, b)) => Some((a, b, at)),
                Err(e) => self.fail(e),
            };
        }
        match env.get(&tok.node) {
            Some(Val::Port(a, b, given)) => Some((*a, *b, *given)),
            Some(other) => self.fail(
                Diagnostic::new(
                    Code::E0301,
                    tok.span,
                    format!("expected a port, found {}", other.describe()),
                )
                .label("this parameter is not a `port`"),
            ),
            None => {
                let mut candidates: Vec<&str> =
                    Proto::PORTLESS.iter().map(|p| p.as_str()).collect();
                candidates.extend(env.keys().map(String::as_str));
                let d = Diagnostic::new(
                    Code::E0201,
                    tok.span,
                    format!("unknown port `{}`", tok.node),
                )
                .label("not a port number, a `port` parameter or a protocol without ports");
                let d = match suggest::did_you_mean(&tok.node, candidates) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(
                        "ports are numbers from 1 to 65535, as in `:443` or `:8000-8100`; `:icmp` and `:gre` name protocols without ports",
                    ),
                };
                self.fail(d)
            }
        }
    }

    /// Reports `d`; the value is `None`.
    fn fail<T>(&mut self, d: Diagnostic) -> Option<T> {
        self.report(d);
        None
    }
}

/// E0342: arguments after `port`, which is not ICMP.
fn no_arguments(port: &Spanned<String>, first: &Spanned<String>, help: String) -> Diagnostic {
    Diagnostic::new(
        Code::E0342,
        first.span,
        format!("`{}` takes no arguments", port.node),
    )
    .label("only `icmp` and `icmpv6` take a type and a code")
    .help(help)
}

/// How to write a protocol without ports.
fn portless_help(proto: Proto) -> String {
    if proto.is_icmp() {
        format!(
            "write `:{p}` for every message, or `:{p}(TYPE)` or `:{p}(TYPE, CODE)` for some",
            p = proto.as_str()
        )
    } else {
        format!("write `:{}` alone: the whole protocol", proto.as_str())
    }
}

/// The destinations of `ts` that take `range`: ICMP for one IP family leaves out the address
/// ranges of the other that have no port yet (ICMP for IPv4 never reaches an IPv6 address), and
/// is E0341 when that leaves none to take it, as in `fd00::/8:icmp`.
pub(super) fn give(
    ts: Vec<Expanded>,
    range: PortRange,
    suffix: &ast::PortSuffix,
) -> Result<Vec<Expanded>, Diagnostic> {
    let v4 = match range.proto {
        Proto::Icmp => Some(true),
        Proto::Icmpv6 => Some(false),
        _ => None,
    };
    let other_family = |t: &Expanded| match (&t.dest.peer, v4) {
        (Peer::Net(n), Some(v4)) => {
            t.dest.ports.is_none() && matches!(n, ipnet::IpNet::V4(_)) != v4
        }
        _ => false,
    };
    let (dropped, kept): (Vec<Expanded>, Vec<Expanded>) = ts.into_iter().partition(other_family);
    let Some(first) = dropped.first() else {
        return Ok(kept);
    };
    if kept.iter().any(|t| t.dest.ports.is_none()) {
        return Ok(kept);
    }
    let (this, other, write) = if v4 == Some(true) {
        ("IPv4", "IPv6", "icmpv6")
    } else {
        ("IPv6", "IPv4", "icmp")
    };
    Err(Diagnostic::new(
        Code::E0341,
        suffix.span,
        format!(
            "`{}` is ICMP for {this}, and `{}` is an {other} range",
            range.proto.as_str(),
            first.dest.peer
        ),
    )
    .label(format!("ICMP for {this} only"))
    .help(format!("write `:{write}` for ICMP to {other} addresses")))
}
