//! `set KEY = VALUE`: lint thresholds and facts about the cluster, each set at most once.
//!
//! `set wide-cidr-v4 = 16` moves a threshold; `set pod-cidrs = 10.244.0.0/16` states a fact
//! the lints cannot know. The values land in [`checked::Settings`], whose defaults hold for
//! every setting a program does not set.

use std::collections::BTreeMap;

use super::checked;
use super::literals;
use crate::diagnostics::{Code, Diagnostic, Diagnostics, suggest};
use crate::source::Span;
use crate::syntax::ast;

/// The settings `set KEY = VALUE` accepts, with what each takes (for the help line of E0702).
const SETTINGS: [(&str, &str); 5] = [
    ("wide-cidr-v4", "a prefix length from 0 to 32"),
    ("wide-cidr-v6", "a prefix length from 0 to 128"),
    ("wide-port-range", "a number of ports from 1 to 65535"),
    ("pod-cidrs", "one or more CIDRs"),
    ("service-cidrs", "one or more CIDRs"),
];

/// Checks a `set` statement: a second one for the same key is E0702, else it is applied.
pub(super) fn statement(
    diags: &mut Diagnostics,
    seen: &mut BTreeMap<String, Span>,
    set: &ast::Setting,
    settings: &mut checked::Settings,
) {
    if let Some(first) = seen.insert(set.key.node.clone(), set.key.span) {
        diags.push(
            Diagnostic::new(
                Code::E0702,
                set.key.span,
                format!("`{}` is set twice", set.key.node),
            )
            .label("set again here")
            .secondary(first, "first set here")
            .help("keep one `set` statement per setting"),
        );
    } else {
        setting(diags, set, settings);
    }
}

/// Applies `set KEY = VALUE` to `settings`, or reports why it cannot: an unknown key is E0701
/// (with the closest key or the list of them), a value out of range or of the wrong kind E0702
/// on the values. Ranges take CIDRs only, without ports; thresholds one number.
fn setting(diags: &mut Diagnostics, set: &ast::Setting, settings: &mut checked::Settings) {
    let key = set.key.node.as_str();
    let Some((_, takes)) = SETTINGS.iter().find(|(k, _)| *k == key) else {
        let mut d = Diagnostic::new(
            Code::E0701,
            set.key.span,
            format!("unknown setting `{key}`"),
        )
        .label("not a setting");
        d = match suggest::did_you_mean(key, SETTINGS.iter().map(|(k, _)| *k)) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.note(format!(
                "the settings are {}",
                SETTINGS
                    .iter()
                    .map(|(k, _)| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
        diags.push(d);
        return;
    };
    let bad = |diags: &mut Diagnostics, span: Span| {
        diags.push(
            Diagnostic::new(Code::E0702, span, format!("invalid value for `{key}`"))
                .label(format!("expected {takes}")),
        );
    };
    match key {
        "pod-cidrs" | "service-cidrs" => {
            let mut nets = Vec::new();
            for v in &set.values {
                match &v.kind {
                    ast::DestKind::Atom(ast::Atom::Ip {
                        addr,
                        prefix,
                        ports: None,
                    }) if v.ports.is_none() => match literals::ip_net(addr, prefix.as_ref()) {
                        Ok(n) => nets.push(n),
                        Err(e) => diags.push(e),
                    },
                    _ => bad(diags, v.span),
                }
            }
            if key == "pod-cidrs" {
                settings.pod_cidrs = nets;
            } else {
                settings.service_cidrs = nets;
            }
        }
        _ => {
            let number = match set.values.as_slice() {
                [v] => match &v.kind {
                    ast::DestKind::Atom(ast::Atom::Port(n)) if v.ports.is_none() => {
                        n.node.parse::<u32>().ok()
                    }
                    _ => None,
                },
                _ => None,
            };
            let max = match key {
                "wide-cidr-v4" => 32,
                "wide-cidr-v6" => 128,
                _ => 65535,
            };
            let min = u32::from(key == "wide-port-range");
            match number.filter(|n| *n >= min && *n <= max) {
                Some(n) => match key {
                    "wide-cidr-v4" => settings.wide_cidr_v4 = u8::try_from(n).unwrap_or(32),
                    "wide-cidr-v6" => settings.wide_cidr_v6 = u8::try_from(n).unwrap_or(128),
                    _ => settings.wide_port_range = n,
                },
                None => bad(
                    diags,
                    set.values
                        .first()
                        .map(|v| v.span)
                        .unwrap_or(set.span)
                        .to(set.values.last().map(|v| v.span).unwrap_or(set.span)),
                ),
            }
        }
    }
}
