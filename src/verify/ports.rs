//! Protocols and ports as the products' rules name them: one protocol type (an IP protocol number,
//! which Calico can name beyond TCP, UDP and SCTP), one inclusive port range, and one port match
//! (a protocol or any, a range or every port). Each product keeps its own spelling in messages
//! (`TCP 8000-8100` for NetworkPolicy, `tcp/8000-8100` for Cilium, `8000:8100` for Calico).

use std::fmt;

use crate::model::Proto;

/// An IP protocol by its IANA number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Protocol(pub u8);

impl Protocol {
    pub const ICMP: Protocol = Protocol(1);
    pub const TCP: Protocol = Protocol(6);
    pub const UDP: Protocol = Protocol(17);
    pub const ICMPV6: Protocol = Protocol(58);
    pub const SCTP: Protocol = Protocol(132);
    pub const UDPLITE: Protocol = Protocol(136);

    /// The protocol of a flow.
    pub fn of(proto: Proto) -> Protocol {
        Protocol(proto.number())
    }

    /// The protocol of flows this is, if flows have it.
    pub fn proto(self) -> Option<Proto> {
        Proto::WITH_PORTS
            .into_iter()
            .chain(Proto::PORTLESS)
            .find(|p| Protocol::of(*p) == self)
    }

    /// The protocol the products spell `name` (`TCP`, `UDP`, `SCTP`, `ICMP`, `ICMPv6`,
    /// `UDPLite`); each product accepts a subset.
    pub fn named(name: &str) -> Option<Protocol> {
        [
            Protocol::TCP,
            Protocol::UDP,
            Protocol::SCTP,
            Protocol::ICMP,
            Protocol::ICMPV6,
            Protocol::UDPLITE,
        ]
        .into_iter()
        .find(|p| p.name() == Some(name))
    }

    pub fn name(self) -> Option<&'static str> {
        match self.0 {
            6 => Some("TCP"),
            17 => Some("UDP"),
            132 => Some("SCTP"),
            1 => Some("ICMP"),
            58 => Some("ICMPv6"),
            136 => Some("UDPLite"),
            _ => None,
        }
    }

    /// Whether the protocol has ports (libcalico-go's validator: "protocol does not support
    /// ports" for the others).
    pub fn has_ports(self) -> bool {
        matches!(self, Protocol::TCP | Protocol::UDP | Protocol::SCTP)
    }

    pub fn is_icmp(self) -> bool {
        matches!(self, Protocol::ICMP | Protocol::ICMPV6)
    }
}

impl fmt::Display for Protocol {
    /// The name (`TCP`), or the number for a protocol without one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{}", self.0),
        }
    }
}

/// Ports `first..=last`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortRange {
    pub first: u16,
    pub last: u16,
}

impl PortRange {
    pub fn single(port: u16) -> PortRange {
        PortRange {
            first: port,
            last: port,
        }
    }

    pub fn contains(self, port: u16) -> bool {
        self.first <= port && port <= self.last
    }

    /// `443`, or `first{sep}last` (`8000-8100`, Calico's `8000:8100`).
    pub fn text(self, sep: char) -> String {
        if self.first == self.last {
            self.first.to_string()
        } else {
            format!("{}{sep}{}", self.first, self.last)
        }
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text('-'))
    }
}

/// A rule's port entry: a protocol (`None`: any) and ports (`None`: every port).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortMatch {
    pub protocol: Option<Protocol>,
    pub ports: Option<PortRange>,
}

impl PortMatch {
    /// The ranges of flows' protocols and ports this entry matches: each protocol with ports
    /// for "any protocol", every value of a protocol without ports.
    pub fn ranges(&self) -> Vec<crate::model::PortRange> {
        let protos: Vec<Proto> = match self.protocol {
            None => Proto::WITH_PORTS.to_vec(),
            Some(p) => p.proto().into_iter().collect(),
        };
        protos
            .into_iter()
            .map(|proto| {
                let (first, last) = match self.ports {
                    Some(r) if proto.has_ports() => (r.first, r.last),
                    _ => proto.span(),
                };
                crate::model::PortRange { proto, first, last }
            })
            .collect()
    }

    pub fn matches(&self, proto: Proto, port: u16) -> bool {
        self.protocol.is_none_or(|p| p == Protocol::of(proto))
            && self.ports.is_none_or(|r| r.contains(port))
    }
}
