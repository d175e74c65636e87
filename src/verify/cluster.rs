//! Where pods, nodes and the API server are in the flow model: the program's declared cluster
//! facts (`set pod-cidrs`, `set node-cidrs`, `set service-cidrs`, `set apiserver`), and for
//! what it leaves undeclared a default cluster laid out like a kubeadm one (pods in
//! `10.244.0.0/16` and `fd00:10:244::/56`, nodes in `100.64.0.0/16` and `fd00:100:64::/64`,
//! the API server on a node at `100.64.0.2`). The node ranges are shared address space
//! (RFC 6598), which clouds give nodes and which documentation examples rarely use.
//!
//! Every address of the universe is placed by this model: a pod's, a node's, the API server's,
//! a Service's cluster IP (a pod's: traffic to it is translated to a pod's address before
//! egress policy applies), or an address outside the cluster. A target that
//! matches pods or nodes by address (Calico's `nets`, native `ipBlock`) can only be exact for
//! the declared ranges, which the backends cut out of address rules; on the default ranges it
//! may reach more, which is a documented difference ([`ClusterModel::undeclared`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use super::{ApiServer, Destination, Labels, Node, Pod};
use crate::model::ClusterFacts;

/// The default pod ranges (kubeadm's and flannel's `10.244.0.0/16`).
const DEFAULT_PODS: [IpNet; 2] = [
    IpNet::V4(ipnet::Ipv4Net::new_assert(Ipv4Addr::new(10, 244, 0, 0), 16)),
    IpNet::V6(ipnet::Ipv6Net::new_assert(
        Ipv6Addr::new(0xfd00, 0x10, 0x244, 0, 0, 0, 0, 0),
        56,
    )),
];

/// The default node ranges.
const DEFAULT_NODES: [IpNet; 2] = [
    IpNet::V4(ipnet::Ipv4Net::new_assert(Ipv4Addr::new(100, 64, 0, 0), 16)),
    IpNet::V6(ipnet::Ipv6Net::new_assert(
        Ipv6Addr::new(0xfd00, 0x100, 0x64, 0, 0, 0, 0, 0),
        64,
    )),
];

/// What an address is in the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// One of the API server's addresses, on a node or outside the cluster.
    ApiServer {
        on_node: bool,
    },
    Pod,
    Node,
    /// A Service's cluster IP, translated to a pod's address before egress policy applies.
    Service,
    Outside,
}

/// The cluster of a program's flows.
#[derive(Clone, Debug)]
pub struct ClusterModel {
    pods: Vec<IpNet>,
    nodes: Vec<IpNet>,
    services: Vec<IpNet>,
    apiserver: Vec<IpAddr>,
    /// Whether the pod and node ranges are the program's own.
    declared_pods: bool,
    declared_nodes: bool,
}

impl ClusterModel {
    pub fn new(facts: &ClusterFacts) -> ClusterModel {
        let or_default = |declared: &[IpNet], default: &[IpNet]| {
            if declared.is_empty() {
                default.to_vec()
            } else {
                declared.to_vec()
            }
        };
        let mut model = ClusterModel {
            pods: or_default(&facts.pods, &DEFAULT_PODS),
            nodes: or_default(&facts.nodes, &DEFAULT_NODES),
            services: facts.services.clone(),
            apiserver: facts.apiserver.iter().map(IpNet::network).collect(),
            declared_pods: !facts.pods.is_empty(),
            declared_nodes: !facts.nodes.is_empty(),
        };
        if model.apiserver.is_empty() {
            // The control plane runs on a node, as in kubeadm and kind.
            model.apiserver = model.node_address(0).into_iter().collect();
        }
        model
    }

    fn in_any(ranges: &[IpNet], a: IpAddr) -> bool {
        ranges.iter().any(|n| n.contains(&a))
    }

    /// What `a` is: the API server's addresses first, then pods, Services and nodes (a pod
    /// range inside a node range, as in clusters whose pods take addresses of the nodes'
    /// network, holds pods).
    pub fn place(&self, a: IpAddr) -> Place {
        if self.apiserver.contains(&a) {
            return Place::ApiServer {
                on_node: Self::in_any(&self.nodes, a),
            };
        }
        if Self::in_any(&self.pods, a) {
            Place::Pod
        } else if Self::in_any(&self.services, a) {
            Place::Service
        } else if Self::in_any(&self.nodes, a) {
            Place::Node
        } else {
            Place::Outside
        }
    }

    /// Whether `a` is a pod's or a node's address only by the default ranges, which the program
    /// did not declare: targets matching them by address are exact only for declared ranges.
    pub fn undeclared(&self, a: IpAddr) -> bool {
        (!self.declared_pods && Self::in_any(&self.pods, a))
            || (!self.declared_nodes && Self::in_any(&self.nodes, a))
    }

    /// The address of the `i`th pod of the flows: in the first pod range of IPv4 (else IPv6),
    /// past the network address, wrapping inside the range.
    pub fn pod_address(&self, i: usize) -> Option<IpAddr> {
        self.address_in(&self.pods, i)
    }

    /// The address of the `i`th node, in the node ranges but not in a pod or Service range.
    pub fn node_address(&self, i: usize) -> Option<IpAddr> {
        (0..64)
            .filter_map(|k| self.address_in(&self.nodes, i + k))
            .find(|a| !Self::in_any(&self.pods, *a) && !Self::in_any(&self.services, *a))
    }

    /// The `i`th address past the network address of the first range of `ranges` (IPv4 first),
    /// wrapping inside it.
    fn address_in(&self, ranges: &[IpNet], i: usize) -> Option<IpAddr> {
        let net = ranges
            .iter()
            .find(|n| n.addr().is_ipv4())
            .or(ranges.first())?;
        let size_bits = u32::from(net.max_prefix_len() - net.prefix_len()).min(32);
        let room = (1u64 << size_bits).saturating_sub(2).max(1);
        let step = 2 + (i as u64 % room);
        offset(net.network(), step)
    }

    /// The API server's endpoints as destinations: each address once outside the cluster, or
    /// twice on a node (the pod's own node, another node).
    pub fn apiservers(&self) -> Vec<ApiServer> {
        self.apiserver
            .iter()
            .flat_map(|a| ApiServer::at(*a, Self::in_any(&self.nodes, *a)))
            .collect()
    }

    /// What the cluster has at address `a`, as destinations: the API server (on this node and
    /// another, or outside), a node (this one and another), a pod of `namespace` with no label
    /// but the test's own, or an address outside the cluster. A Service's cluster IP stands for
    /// the pod it is translated to.
    pub fn destinations_at(&self, a: IpAddr, namespace: &str) -> Vec<Destination> {
        match self.place(a) {
            Place::Outside => vec![Destination::Address(a)],
            Place::Pod | Place::Service => vec![Destination::Pod(Pod {
                address: Some(a),
                ..Pod::new(
                    namespace,
                    Labels::from([("egressc-test".into(), "by-address".into())]),
                )
            })],
            Place::Node => [true, false]
                .into_iter()
                .map(|this| Destination::Node(Node { this, address: a }))
                .collect(),
            Place::ApiServer { on_node } => ApiServer::at(a, on_node)
                .into_iter()
                .map(Destination::ApiServer)
                .collect(),
        }
    }
}

/// `a + n`, if it stays an address.
fn offset(a: IpAddr, n: u64) -> Option<IpAddr> {
    match a {
        IpAddr::V4(v) => u32::from(v)
            .checked_add(u32::try_from(n).ok()?)
            .map(|x| IpAddr::V4(Ipv4Addr::from(x))),
        IpAddr::V6(v) => u128::from(v)
            .checked_add(u128::from(n))
            .map(|x| IpAddr::V6(Ipv6Addr::from(x))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_and_declared_places() {
        let defaults = ClusterModel::new(&ClusterFacts::default());
        let a = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(defaults.place(a("10.244.3.9")), Place::Pod);
        assert_eq!(defaults.place(a("100.64.0.9")), Place::Node);
        assert_eq!(defaults.place(a("8.8.8.8")), Place::Outside);
        assert_eq!(
            defaults.place(a("100.64.0.2")),
            Place::ApiServer { on_node: true }
        );
        assert!(defaults.undeclared(a("10.244.3.9")));
        let facts = ClusterFacts {
            pods: vec!["10.0.128.0/17".parse().unwrap()],
            nodes: vec!["10.0.0.0/16".parse().unwrap()],
            services: vec!["10.96.0.0/12".parse().unwrap()],
            apiserver: vec!["34.1.2.3/32".parse().unwrap()],
            name: None,
        };
        let m = ClusterModel::new(&facts);
        assert_eq!(
            m.place(a("10.0.200.1")),
            Place::Pod,
            "pods inside the nodes' range"
        );
        assert_eq!(m.place(a("10.0.1.1")), Place::Node);
        assert_eq!(m.place(a("10.96.0.1")), Place::Service);
        assert_eq!(m.place(a("10.244.3.9")), Place::Outside);
        assert!(!m.undeclared(a("10.0.200.1")));
        assert_eq!(
            m.apiservers().len(),
            1,
            "outside the cluster: one placement"
        );
        assert_eq!(
            defaults.apiservers().len(),
            2,
            "on this node and on another"
        );
        assert_eq!(m.pod_address(0), Some(a("10.0.128.2")));
        assert_eq!(m.node_address(0), Some(a("10.0.0.2")));
    }
}
