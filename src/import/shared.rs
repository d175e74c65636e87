//! What the dialect mappings share: reading each document on its own, label selectors into the
//! language's, namespace selectors into `pods(NS)`, `pods(*)` or `pods(ns{...})`, port matches
//! into port ranges, and an address range minus its exceptions.

use ipnet::IpNet;

use super::documents::{Dialect, Doc};
use super::names::{self, Names};
use super::program::Dest;
use super::report::{Report, span};
use crate::model::{LabelReq, LabelSelector, NamespaceSel, Peer, PortRange, PortSet};
use crate::source::{SourceMap, Span};
use crate::verify::NAMESPACE_NAME;
use crate::verify::cursor::{Mode, ReadError, Reader};
use crate::verify::labels::{self, Operator};
use crate::verify::ports::PortMatch;
use crate::verify::yaml::{Document, Pos};

/// The help line for what is left out because the language cannot say it yet.
pub const WRITE_BY_HAND: &str =
    "review what this allowed, and write it by hand where the language can say it";

/// Where a mapping reports: the document, its file and the names it may write.
pub struct At<'a> {
    pub doc: usize,
    pub d: &'a Doc,
    pub sources: &'a SourceMap,
    pub names: &'a Names,
    /// The cluster of a Cilium cluster mesh the policies are applied in, when their endpoint
    /// selectors name one (`io.cilium.k8s.policy.cluster`).
    pub cluster: Option<&'a str>,
}

impl At<'_> {
    pub fn span(&self, pos: Pos) -> Span {
        span(self.sources, self.d.file, pos)
    }
}

/// Reads each document of `dialect` on its own with its product's `read` (in import mode),
/// reporting what it left out and why it could not be read: the documents that were read,
/// each with what `read` made of it.
pub fn read_each<'a, T>(
    docs: &'a [Doc],
    dialect: Dialect,
    sources: &'a SourceMap,
    names: &'a Names,
    report: &mut Report,
    read: impl Fn(&[Document], &Reader) -> Result<T, ReadError>,
) -> Vec<(At<'a>, T)> {
    let mut out = Vec::new();
    for (doc, d) in docs.iter().enumerate() {
        if d.dialect != Some(dialect) {
            continue;
        }
        let reader = Reader::new(Mode::Import);
        let read = read(std::slice::from_ref(&d.yaml), &reader);
        for l in reader.losses() {
            report.loss(doc, sources, d.file, &l);
        }
        match read {
            Err(e) => report.read_error(Some(doc), sources, d.file, &e),
            Ok(t) => out.push((
                At {
                    doc,
                    d,
                    sources,
                    names,
                    cluster: None,
                },
                t,
            )),
        }
    }
    out
}

/// A Kubernetes label selector as the language's, keys made by `key` (`None`: a key the
/// language cannot select by, with why). `Err` says why it cannot be written.
pub fn selector<K>(
    s: &labels::LabelSelector<K>,
    key: impl Fn(&K) -> Result<String, String>,
) -> Result<LabelSelector, String> {
    let mut reqs = Vec::new();
    let writable = |k: &str, v: Option<&str>| {
        if names::label(k, v) {
            Ok(())
        } else {
            Err(match v {
                Some(v) => format!("the label `{k}={v}` cannot be written in a selector"),
                None => format!("the label key `{k}` cannot be written in a selector"),
            })
        }
    };
    for (k, v) in &s.match_labels {
        let k = key(k)?;
        writable(&k, Some(v))?;
        reqs.push(LabelReq::Eq(k, v.clone()));
    }
    for r in &s.match_expressions {
        let k = key(&r.key)?;
        for v in &r.values {
            writable(&k, Some(v))?;
        }
        writable(&k, None)?;
        let values = r.values.iter().cloned().collect();
        reqs.push(match r.operator {
            Operator::In if r.values.len() == 1 => {
                LabelReq::Eq(k, r.values.first().cloned().unwrap_or_default())
            }
            Operator::In => LabelReq::In(k, values),
            Operator::NotIn => LabelReq::NotIn(k, values),
            Operator::Exists => LabelReq::Exists(k),
            Operator::DoesNotExist => LabelReq::DoesNotExist(k),
        });
    }
    Ok(LabelSelector::new(reqs))
}

/// The namespaces a Kubernetes namespace selector stands for: those it names (by
/// `kubernetes.io/metadata.name`, which the control plane sets on every namespace), every
/// namespace, or the namespaces whose labels it selects (`ns{...}`).
pub fn namespaces(s: &labels::LabelSelector, names: &Names) -> Result<Vec<NamespaceSel>, String> {
    let named: Vec<String> = match (s.match_labels.as_slice(), s.match_expressions.as_slice()) {
        ([], []) => return Ok(vec![NamespaceSel::Any]),
        ([(k, v)], []) if k == NAMESPACE_NAME => vec![v.clone()],
        ([], [r]) if r.key == NAMESPACE_NAME && r.operator == Operator::In => r.values.clone(),
        ([], [r]) if r.key == NAMESPACE_NAME && r.operator == Operator::Exists => {
            return Ok(vec![NamespaceSel::Any]);
        }
        _ => return Ok(vec![NamespaceSel::Labels(selector(s, |k| Ok(k.clone()))?)]),
    };
    named.into_iter().map(|n| namespace(n, names)).collect()
}

/// A namespace by name, when the language can write the name.
pub fn namespace(name: String, names: &Names) -> Result<NamespaceSel, String> {
    if names.writable(&name) {
        Ok(NamespaceSel::Named(name))
    } else {
        Err(format!(
            "the namespace `{name}` cannot be written in the language"
        ))
    }
}

/// The port ranges a list of port matches stands for: each protocol of "any protocol" on its
/// own, "every port" of a protocol as its whole span; `None` alone for no port match at all
/// (every port of every protocol).
pub fn ports(matches: &[PortMatch]) -> Vec<Option<PortRange>> {
    if matches.is_empty() {
        return vec![None];
    }
    let mut out = Vec::new();
    for r in matches.iter().flat_map(PortMatch::ranges) {
        if !out.contains(&Some(r)) {
            out.push(Some(r));
        }
    }
    out
}

/// Port ranges as the language writes them: the ICMP ranges of each family merged, and then
/// each ICMP message (a type, or a type and code) on its own unless it is every message; the
/// messages the language cannot write (type 255, reserved) are returned apart.
pub fn writable(ports: Vec<Option<PortRange>>) -> (Vec<Option<PortRange>>, Vec<PortRange>) {
    let (icmp, mut out): (Vec<_>, Vec<_>) = ports
        .into_iter()
        .partition(|p| p.is_some_and(|r| r.proto.is_icmp()));
    let mut left_out = Vec::new();
    if let PortSet::Ranges(merged) = PortSet::from_ranges(icmp.into_iter().flatten().collect()) {
        for r in merged {
            if r.is_whole() {
                out.push(Some(r));
                continue;
            }
            for (kind, code) in r.icmp_messages() {
                let m = PortRange::icmp(r.proto, kind, code);
                if kind == u8::MAX {
                    left_out.push(m);
                } else {
                    out.push(Some(m));
                }
            }
        }
    }
    (out, left_out)
}

/// Each peer on each port range.
pub fn dests(peers: &[Peer], ports: &[Option<PortRange>]) -> Vec<Dest> {
    peers
        .iter()
        .flat_map(|p| {
            ports.iter().map(move |r| Dest {
                peer: p.clone(),
                ports: *r,
            })
        })
        .collect()
}

/// `net` without the ranges in `except`, as the fewest address ranges.
pub fn without(net: IpNet, except: &[IpNet]) -> Vec<IpNet> {
    let mut pieces = vec![net];
    for e in except {
        let mut next = Vec::new();
        for p in pieces {
            if e.contains(&p) {
                continue;
            }
            if !p.contains(e) {
                next.push(p);
                continue;
            }
            // Halve `p` until the half holding `e` is `e`, keeping every other half.
            let mut cur = p;
            while cur.prefix_len() < e.prefix_len() {
                let Ok(mut halves) = cur.subnets(cur.prefix_len() + 1) else {
                    break;
                };
                let (Some(a), Some(b)) = (halves.next(), halves.next()) else {
                    break;
                };
                if a.contains(e) {
                    next.push(b);
                    cur = a;
                } else {
                    next.push(a);
                    cur = b;
                }
            }
        }
        pieces = next;
    }
    pieces.sort();
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> IpNet {
        s.parse().unwrap_or_else(|_| IpNet::default())
    }

    #[test]
    fn exceptions_leave_the_fewest_ranges() {
        assert_eq!(
            without(n("10.0.0.0/24"), &[n("10.0.0.128/25")]),
            vec![n("10.0.0.0/25")]
        );
        assert_eq!(
            without(n("10.0.0.0/24"), &[n("10.0.0.0/26")]),
            vec![n("10.0.0.64/26"), n("10.0.0.128/25")]
        );
        assert_eq!(without(n("10.0.0.0/24"), &[n("10.0.0.0/23")]), vec![]);
        assert_eq!(
            without(n("0.0.0.0/0"), &[n("169.254.169.254/32")]).len(),
            32
        );
    }

    #[test]
    fn any_protocol_is_each_protocol() {
        let any = PortMatch {
            protocol: None,
            ports: Some(crate::verify::ports::PortRange::single(53)),
        };
        assert_eq!(ports(&[any]).len(), 3);
        assert_eq!(ports(&[]), vec![None]);
    }
}
