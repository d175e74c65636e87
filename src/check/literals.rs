//! Validation of literal values: addresses, prefixes, ports, protocols, host names, names and
//! labels. Each function returns the value or a coded diagnostic on the smallest span.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::diagnostics::{Code, Diagnostic, suggest};
use crate::model::{HostPattern, Proto, Wildcard};
use crate::source::{Span, Spanned};

fn sub(span: Span, from: usize, to: usize) -> Span {
    Span {
        file: span.file,
        start: span.start + u32::try_from(from).unwrap_or(0),
        end: span.start + u32::try_from(to).unwrap_or(0),
    }
}

/// `10.20.30.0` or `fd00:ec2::254`, with an optional prefix length → a network.
pub fn ip_net(
    addr: &Spanned<String>,
    prefix: Option<&Spanned<String>>,
) -> Result<IpNet, Diagnostic> {
    let ip = if addr.node.contains(':') {
        addr.node.parse::<Ipv6Addr>().map(IpAddr::V6).map_err(|_| {
            Diagnostic::new(
                Code::E0305,
                addr.span,
                format!("malformed IPv6 address `{}`", addr.node),
            )
            .label("not an IPv6 address")
            .help("write IPv6 addresses as in `fd00:ec2::254`, and `[fd00::1]:443` with a port")
        })?
    } else {
        IpAddr::V4(ipv4(addr)?)
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match prefix {
        None => max,
        Some(p) => {
            let len: u32 = p.node.parse().map_err(|_| {
                Diagnostic::new(
                    Code::E0304,
                    p.span,
                    format!("prefix length `{}` is not a number", p.node),
                )
                .label(format!("expected a number from 0 to {max}"))
            })?;
            if len > u32::from(max) {
                return Err(Diagnostic::new(
                    Code::E0304,
                    p.span,
                    format!(
                        "prefix length /{len} is out of range for an IPv{} address",
                        if max == 32 { 4 } else { 6 }
                    ),
                )
                .label(format!("must be at most {max}"))
                .help(format!("use a prefix length from 0 to {max}")));
            }
            u8::try_from(len).unwrap_or(max)
        }
    };
    let net = IpNet::new(ip, len)
        .map_err(|_| Diagnostic::bug(addr.span, "prefix length checked but rejected"))?;
    if net.network() != ip {
        let whole = match prefix {
            Some(p) => addr.span.to(p.span),
            None => addr.span,
        };
        let single = if ip.is_ipv4() { 32 } else { 128 };
        return Err(Diagnostic::new(
            Code::E0303,
            whole,
            format!("`{ip}/{len}` has host bits set"),
        )
        .label(format!("the network of this range is `{}`", net.trunc()))
        .help(format!(
            "write `{}` for the whole range, or `{ip}/{single}` for the single address",
            net.trunc()
        )));
    }
    Ok(net)
}

fn ipv4(addr: &Spanned<String>) -> Result<Ipv4Addr, Diagnostic> {
    let text = &addr.node;
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 4 {
        return Err(Diagnostic::new(
            Code::E0305,
            addr.span,
            format!("malformed IPv4 address `{text}`"),
        )
        .label(format!("has {} parts, an IPv4 address has 4", parts.len()))
        .help("write four numbers from 0 to 255, as in `10.20.30.0`"));
    }
    let mut octets = [0u8; 4];
    let mut offset = 0;
    for (i, part) in parts.iter().enumerate() {
        let span = sub(addr.span, offset, offset + part.len());
        offset += part.len() + 1;
        let value: u32 = part.parse().map_err(|_| {
            Diagnostic::new(
                Code::E0305,
                span,
                format!("malformed IPv4 address `{text}`"),
            )
            .label("expected a number from 0 to 255")
        })?;
        if value > 255 {
            return Err(Diagnostic::new(
                Code::E0305,
                span,
                format!("octet {value} is out of range in `{text}`"),
            )
            .label("must be from 0 to 255"));
        }
        if part.len() > 1 && part.starts_with('0') {
            return Err(Diagnostic::new(
                Code::E0305,
                span,
                format!("octet `{part}` has a leading zero in `{text}`"),
            )
            .label("leading zeros are read as octal by some tools")
            .help(format!("write `{value}`")));
        }
        if let Some(slot) = octets.get_mut(i) {
            *slot = u8::try_from(value).unwrap_or(0);
        }
    }
    Ok(Ipv4Addr::from(octets))
}

/// `5432` or `8000-8100` → an inclusive range.
pub fn port_range(tok: &Spanned<String>) -> Result<(u16, u16), Diagnostic> {
    let text = tok.node.as_str();
    let (a, b, split) = match text.split_once('-') {
        Some((a, b)) => (a, b, Some(a.len())),
        None => (text, text, None),
    };
    let one = |s: &str, from: usize| -> Result<u16, Diagnostic> {
        let span = sub(tok.span, from, from + s.len());
        let n: u64 = s.parse().map_err(|_| {
            Diagnostic::new(Code::E0306, span, format!("`{s}` is not a port number"))
                .label("expected a number from 1 to 65535")
        })?;
        if n == 0 || n > 65535 {
            return Err(
                Diagnostic::new(Code::E0306, span, format!("port {n} is out of range"))
                    .label("ports are numbered from 1 to 65535")
                    .help(if n == 0 {
                        "port 0 is not a real port: leave the port out to allow every port"
                            .to_owned()
                    } else {
                        "use a port from 1 to 65535".to_owned()
                    }),
            );
        }
        Ok(u16::try_from(n).unwrap_or(u16::MAX))
    };
    let first = one(a, 0)?;
    let last = match split {
        Some(at) => one(b, at + 1)?,
        None => first,
    };
    if first > last {
        return Err(Diagnostic::new(
            Code::E0307,
            tok.span,
            format!("port range `{text}` is reversed"),
        )
        .label("the first port is greater than the last")
        .help(format!("write `{last}-{first}`")));
    }
    Ok((first, last))
}

/// `tcp`, `udp` or `sctp`.
pub fn proto(tok: &Spanned<String>) -> Result<Proto, Diagnostic> {
    Proto::parse(&tok.node).ok_or_else(|| {
        let lower = tok.node.to_ascii_lowercase();
        let d = Diagnostic::new(
            Code::E0310,
            tok.span,
            format!("unknown protocol `{}`", tok.node),
        )
        .label("expected `tcp`, `udp` or `sctp`");
        if Proto::parse(&lower).is_some() {
            d.help(format!("protocols are written in lower case: `{lower}`"))
        } else if let Some(s) = suggest::did_you_mean(&tok.node, ["tcp", "udp", "sctp"]) {
            d.help(format!("did you mean `{s}`?"))
        } else {
            d
        }
    })
}

fn label_ok(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// A host name with an optional leading `*.` (one label) or `**.` (one or more labels), or a
/// first label with `*` inside it (`special*service.example.com`).
pub fn host(name: &Spanned<String>) -> Result<HostPattern, Diagnostic> {
    let text = name.node.as_str();
    let lower = text.to_ascii_lowercase();
    if lower != text {
        return Err(Diagnostic::new(
            Code::E0308,
            name.span,
            format!("host name `{text}` has upper-case letters"),
        )
        .label("host names are matched in lower case")
        .help(format!("write `{lower}`")));
    }
    let stripped = text.trim_end_matches('.');
    let (wildcard, base) = if let Some(rest) = stripped.strip_prefix("**.") {
        (Wildcard::AnyLabels, rest)
    } else if let Some(rest) = stripped.strip_prefix("*.") {
        (Wildcard::OneLabel, rest)
    } else {
        (Wildcard::None, stripped)
    };
    // `special*service.example.com`: `*` inside the first label (never `**`), the rest a name.
    if wildcard == Wildcard::None
        && let Some((first, rest)) = stripped.split_once('.')
        && first.contains('*')
        && !first.contains("**")
        && label_ok(&first.replace('*', "x"))
        && !rest.contains('*')
    {
        let checked = host(&Spanned::new(
            rest.to_owned(),
            sub(name.span, first.len() + 1, text.len()),
        ))?;
        if checked.wildcard == Wildcard::None && rest.contains('.') {
            return Ok(HostPattern {
                wildcard: Wildcard::InLabel,
                base: stripped.to_owned(),
            });
        }
    }
    let base_from = text.len() - text.trim_start_matches(['*']).len();
    let base_from = if wildcard == Wildcard::None {
        0
    } else {
        base_from + 1
    };
    let mut offset = base_from;
    for label in base.split('.') {
        let span = sub(name.span, offset, offset + label.len());
        offset += label.len() + 1;
        if label.contains('*') {
            let first = offset == base_from + label.len() + 1;
            let message = if first {
                format!("wildcard inside a label of host name `{text}`")
            } else {
                format!("wildcard in the middle of host name `{text}`")
            };
            return Err(Diagnostic::new(Code::E0309, span, message)
                .label("a wildcard may only stand in the first label")
                .help(
                    "write `*.example.com` (one label), `**.example.com` (one or more labels) or `api*.example.com` (inside the first label)",
                ));
        }
        if !label_ok(label) {
            let why = if label.is_empty() {
                "empty label".to_owned()
            } else if label.len() > 63 {
                "a label has at most 63 characters".to_owned()
            } else {
                "labels hold letters, digits and `-`, and do not start or end with `-`".to_owned()
            };
            return Err(Diagnostic::new(
                Code::E0308,
                span,
                format!("malformed host name `{text}`"),
            )
            .label(why));
        }
    }
    if !base.contains('.') {
        let (label, help) = if wildcard == Wildcard::None {
            (
                "a host name needs at least two labels",
                "write a fully qualified name such as `api.example.com`",
            )
        } else {
            (
                "a wildcard needs a domain with at least two labels after it",
                "write a pattern such as `*.example.com`",
            )
        };
        return Err(Diagnostic::new(
            Code::E0308,
            name.span,
            format!("host name `{text}` has a single label"),
        )
        .label(label)
        .help(help));
    }
    if base.len() > 253 {
        return Err(Diagnostic::new(
            Code::E0308,
            name.span,
            "host name is longer than 253 characters",
        )
        .label("too long"));
    }
    Ok(HostPattern {
        wildcard,
        base: base.to_owned(),
    })
}

/// A DNS-1123 subdomain (service account names): dot-separated DNS-1123 labels, at most 253
/// characters.
pub fn dns_subdomain(name: &Spanned<String>, what: &str) -> Result<(), Diagnostic> {
    let text = name.node.as_str();
    if text.len() <= 253 && text.split('.').all(label_ok) {
        return Ok(());
    }
    Err(Diagnostic::new(
        Code::E0206,
        name.span,
        format!("invalid {what} name `{text}`"),
    )
    .label("may hold only lower-case letters, digits, `-` and `.`, each part starting and ending with a letter or digit")
    .note("Kubernetes service account names are DNS-1123 subdomains")
    .help(format!(
        "write `{}`",
        text.to_ascii_lowercase().replace(['_', ' '], "-")
    )))
}

/// A DNS-1123 label (namespace and workload names), with a suggested fix.
pub fn dns_label(name: &Spanned<String>, what: &str) -> Result<(), Diagnostic> {
    let text = name.node.as_str();
    if label_ok(text) {
        return Ok(());
    }
    let fixed: String = text
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let fixed: String = fixed.chars().take(63).collect();
    let why = if text.len() > 63 {
        "longer than 63 characters"
    } else if text.bytes().any(|b| b.is_ascii_uppercase()) {
        "has upper-case letters"
    } else {
        "may hold only lower-case letters, digits and `-`, starting and ending with a letter or digit"
    };
    let d = Diagnostic::new(
        Code::E0206,
        name.span,
        format!("invalid {what} name `{text}`"),
    )
    .label(why)
    .note("Kubernetes names are DNS-1123 labels");
    Err(if fixed.is_empty() {
        d
    } else {
        d.help(format!("write `{}`", fixed.trim_end_matches('-')))
    })
}

/// A cluster name of a cluster mesh, as Cilium validates it (cilium/cilium#32641, strict since
/// Cilium 1.17): at most 32 lower-case letters, digits and `-`, starting and ending with a
/// letter or digit; `default`, the name of a cluster outside any mesh, names none in a mesh.
pub fn cluster_name(name: &Spanned<String>) -> Result<(), Diagnostic> {
    let text = name.node.as_str();
    let why = if text == "default" {
        "the name of a cluster outside any cluster mesh"
    } else if text.len() > 32 {
        "longer than 32 characters"
    } else if !label_ok(text) {
        "may hold only lower-case letters, digits and `-`, starting and ending with a letter or digit"
    } else {
        return Ok(());
    };
    Err(Diagnostic::new(
        Code::E0380,
        name.span,
        format!("invalid cluster name `{text}`"),
    )
    .label(why)
    .note("Cilium's cluster names (`cluster-name` of the agent) have at most 32 lower-case letters, digits and `-`, and `default` is reserved for a cluster outside any mesh")
    .help("write the cluster's name as Cilium's `cluster-name` option gives it, as in `cluster2`"))
}

fn label_name_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
}

/// A Kubernetes label key: `[prefix/]name`.
pub fn label_key(key: &Spanned<String>) -> Result<(), Diagnostic> {
    let text = key.node.as_str();
    // Cilium reads these keys as the endpoint's namespace or service account identity (and
    // keeps no pod label under `io.kubernetes.` in an identity), so a selector using them would
    // mean something else there (wider, even).
    if text.starts_with("io.kubernetes.pod.") || text.starts_with("io.cilium.") {
        return Err(Diagnostic::new(
            Code::E0207,
            key.span,
            format!("label key `{text}` is reserved"),
        )
        .label("an identity label of Cilium, not a pod label")
        .help("select pods of another namespace with `pods(NAMESPACE){...}`"));
    }
    let ok = match text.split_once('/') {
        Some((prefix, name)) => {
            !prefix.is_empty()
                && prefix.len() <= 253
                && prefix.split('.').all(label_ok)
                && label_name_ok(name)
        }
        None => label_name_ok(text),
    };
    if ok {
        Ok(())
    } else {
        Err(Diagnostic::new(Code::E0207, key.span, format!("invalid label key `{text}`"))
            .label("not a Kubernetes label key")
            .note("a key is an optional DNS subdomain prefix and `/`, then a name of at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit"))
    }
}

/// A Kubernetes label value (may be empty).
pub fn label_value(value: &Spanned<String>) -> Result<(), Diagnostic> {
    let text = value.node.as_str();
    if text.is_empty() || label_name_ok(text) {
        Ok(())
    } else {
        Err(Diagnostic::new(Code::E0207, value.span, format!("invalid label value `{text}`"))
            .label("not a Kubernetes label value")
            .note("a value has at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit"))
    }
}
