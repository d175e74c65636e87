//! The native evaluator: reads a stream of `networking.k8s.io/v1` NetworkPolicy objects (the
//! emitted YAML text) into [`Policies`] (`read.rs`) and decides flows by Kubernetes NetworkPolicy
//! semantics (`decide.rs`), not by what our backend meant to write. Label selectors are the
//! shared Kubernetes ones (`verify/labels.rs`).
//!
//! Upstream sources, cited at each decision:
//! - `[concepts]` <https://kubernetes.io/docs/concepts/services-networking/network-policies/>
//! - `[api]` <https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/>
//! - `[selector]` <https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/label-selector/>
//! - `[defaults]` kubernetes/kubernetes `pkg/apis/networking/v1/defaults.go`
//!   (`SetDefaults_NetworkPolicy`, `SetDefaults_NetworkPolicyPort`)
//! - `[validation]` kubernetes/kubernetes `pkg/apis/networking/validation/validation.go`
//!   (`ValidateNetworkPolicySpec`, `ValidateNetworkPolicyPeer`, `ValidateNetworkPolicyPort`,
//!   `ValidateIPBlock`)
//! - `[labels]` <https://kubernetes.io/docs/reference/labels-annotations-taints/#kubernetes-io-metadata-name>
//!
//! Whatever it does not understand (another kind or API version, a field it does not know, a
//! value the API server would reject, a named port) makes loading fail with
//! [`Undecidable::BadYaml`] naming the object, the path and the line: it never guesses and never
//! skips.

mod decide;
pub mod read;
pub mod scope;

use ipnet::IpNet;

use super::labels::LabelSelector;
use super::ports::PortMatch;
use super::yaml::Pos;
use super::{Undecidable, read_emitted};

/// The NetworkPolicies of one YAML stream, in stream order.
#[derive(Clone, Debug, Default)]
pub struct Policies(pub Vec<Policy>);

#[derive(Clone, Debug)]
pub struct Policy {
    pub namespace: String,
    pub name: String,
    /// `spec.podSelector`.
    pub selector: LabelSelector,
    /// Whether the policy applies to egress (`Egress` in `policyTypes`, after defaulting).
    pub egress: bool,
    pub rules: Vec<Rule>,
    /// Where the document starts.
    pub pos: Pos,
}

/// One `spec.egress` entry.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Empty: every destination (`[api]` NetworkPolicyEgressRule, field `to`: an empty or absent
    /// list does not restrict the destination).
    pub to: Vec<Peer>,
    /// Empty: every port of every protocol (`[api]` NetworkPolicyEgressRule, field `ports`: an
    /// empty or absent list does not restrict the port). Each entry has a protocol.
    pub ports: Vec<PortMatch>,
    pub pos: Pos,
}

#[derive(Clone, Debug)]
pub enum Peer {
    Block {
        cidr: IpNet,
        except: Vec<IpNet>,
        pos: Pos,
    },
    /// At least one of the two is set.
    Pods {
        namespaces: Option<LabelSelector>,
        pods: Option<LabelSelector>,
        pos: Pos,
    },
}

/// Decides flows by the NetworkPolicies of one YAML stream.
#[derive(Clone, Debug)]
pub struct NativeEvaluator {
    policies: Policies,
}

impl NativeEvaluator {
    pub fn new(policies: Policies) -> NativeEvaluator {
        NativeEvaluator { policies }
    }

    /// Reads a YAML stream of NetworkPolicy objects, refusing what it does not understand.
    pub fn load(yaml: &str) -> Result<NativeEvaluator, Undecidable> {
        read_emitted(yaml, read::policies).map(NativeEvaluator::new)
    }
}
