//! The `set KEY = VALUE` statements: a lint's thresholds, declared by that lint
//! (`Rule::settings`), and the facts about the cluster, declared here ([`CLUSTER_FACTS`]) since
//! the checker, the backends and several lints read them.
//!
//! The checker validates each `set` against these declarations and stores the values by key in
//! `checked::Settings`; a lint reads them back through its declaration, which also holds the
//! default.

use ipnet::IpNet;

use crate::check::checked::{SettingValue, Settings};
use crate::model::ClusterFacts;

/// The cluster's pod ranges.
pub const POD_CIDRS: Setting = Setting {
    key: "pod-cidrs",
    value: Value::Cidrs,
};

/// The cluster's Service (cluster IP) ranges.
pub const SERVICE_CIDRS: Setting = Setting {
    key: "service-cidrs",
    value: Value::Cidrs,
};

/// The nodes' addresses.
pub const NODE_CIDRS: Setting = Setting {
    key: "node-cidrs",
    value: Value::Cidrs,
};

/// The API server's endpoint addresses (what the `kubernetes` Service in `default` forwards
/// to).
pub const APISERVER: Setting = Setting {
    key: "apiserver",
    value: Value::Cidrs,
};

/// The name of the cluster the policies are applied in, in a cluster mesh: what tells the
/// pods of other clusters (`pods(NS, cluster = NAME){...}`) apart.
pub const CLUSTER_NAME: Setting = Setting {
    key: "cluster-name",
    value: Value::ClusterName,
};

/// The facts about the cluster a program may declare.
pub const CLUSTER_FACTS: [Setting; 5] = [
    POD_CIDRS,
    SERVICE_CIDRS,
    NODE_CIDRS,
    APISERVER,
    CLUSTER_NAME,
];

/// The cluster facts a program declares.
pub fn cluster_facts(settings: &Settings) -> ClusterFacts {
    ClusterFacts {
        pods: POD_CIDRS.cidrs(settings).to_vec(),
        services: SERVICE_CIDRS.cidrs(settings).to_vec(),
        nodes: NODE_CIDRS.cidrs(settings).to_vec(),
        apiserver: APISERVER.cidrs(settings).to_vec(),
        name: match settings.get(CLUSTER_NAME.key) {
            Some(SettingValue::Name(n)) => Some(n.clone()),
            _ => None,
        },
    }
}

/// One setting: its key and what it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setting {
    /// `wide-cidr-v4`
    pub key: &'static str,
    pub value: Value,
}

/// What a setting takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    /// A whole number from `min` to `max`, `default` when unset; `what` names it ("a prefix
    /// length").
    Number {
        what: &'static str,
        min: u32,
        max: u32,
        default: u32,
    },
    /// One or more addresses or CIDRs (`set pod-cidrs = 10.244.0.0/16, fd00:10:244::/56`,
    /// `set apiserver = 10.0.0.10`), none when unset.
    Cidrs,
    /// A cluster name (`set cluster-name = cluster1`): Cilium's, at most 32 lower-case letters,
    /// digits and `-`; none when unset.
    ClusterName,
}

impl Setting {
    /// What the setting takes, for messages: `a prefix length from 0 to 32`.
    pub fn takes(&self) -> String {
        match self.value {
            Value::Number { what, min, max, .. } => format!("{what} from {min} to {max}"),
            Value::Cidrs => "one or more addresses or CIDRs".to_owned(),
            Value::ClusterName => "a cluster name".to_owned(),
        }
    }

    /// The number set in the program, or the default.
    pub fn number(&self, settings: &Settings) -> u32 {
        match (settings.get(self.key), self.value) {
            (Some(SettingValue::Number(n)), _) => *n,
            (_, Value::Number { default, .. }) => default,
            (_, Value::Cidrs | Value::ClusterName) => 0,
        }
    }

    /// The CIDRs set in the program, or none.
    pub fn cidrs<'a>(&self, settings: &'a Settings) -> &'a [IpNet] {
        match settings.get(self.key) {
            Some(SettingValue::Cidrs(nets)) => nets,
            _ => &[],
        }
    }
}
