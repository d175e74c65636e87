//! The `set KEY = VALUE` statements a lint reads, declared by that lint (`Rule::settings`).
//!
//! The checker validates each `set` against these declarations and stores the values by key in
//! `checked::Settings`; a lint reads them back through its own declaration, which also holds
//! the default.

use ipnet::IpNet;

use crate::check::checked::{SettingValue, Settings};

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
    /// One or more CIDRs (`set pod-cidrs = 10.244.0.0/16, fd00:10:244::/56`), none when unset.
    Cidrs,
}

impl Setting {
    /// What the setting takes, for messages: `a prefix length from 0 to 32`.
    pub fn takes(&self) -> String {
        match self.value {
            Value::Number { what, min, max, .. } => format!("{what} from {min} to {max}"),
            Value::Cidrs => "one or more CIDRs".to_owned(),
        }
    }

    /// The number set in the program, or the default.
    pub fn number(&self, settings: &Settings) -> u32 {
        match (settings.get(self.key), self.value) {
            (Some(SettingValue::Number(n)), _) => *n,
            (_, Value::Number { default, .. }) => default,
            (_, Value::Cidrs) => 0,
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
