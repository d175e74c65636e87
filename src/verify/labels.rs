//! The Kubernetes label selector (`matchLabels` and `matchExpressions`), read and matched the one
//! way Kubernetes does, for the native evaluator and, under its own key rules, the Cilium one.
//!
//! Upstream: `[selector]` <https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/label-selector/>
//! and apimachinery's `labels.Requirement.Matches` (the semantics kubectl documents as
//! `key notin (..)`).

use std::fmt;

use super::Labels;
use super::cursor::{Cursor, ReadError};

/// `[selector]` `matchExpressions[].operator`: In, NotIn, Exists and DoesNotExist (Gt and Lt
/// exist only for node selectors).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl Operator {
    /// Whether a label whose value is `value` (`None`: the label is absent) meets the operator.
    /// `NotIn` and `DoesNotExist` also hold when the label is absent.
    pub fn holds(self, values: &[String], value: Option<&str>) -> bool {
        let listed = |v: &str| values.iter().any(|x| x == v);
        match self {
            Operator::In => value.is_some_and(listed),
            Operator::NotIn => value.is_none_or(|v| !listed(v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
        }
    }
}

/// One `matchExpressions` entry, with the key as the reader made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement<K> {
    pub key: K,
    pub operator: Operator,
    /// As written.
    pub values: Vec<String>,
}

/// A label selector: every `matchLabels` pair and every `matchExpressions` requirement must
/// hold, and the empty selector selects everything (`[selector]`, LabelSelector).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelSelector<K = String> {
    pub match_labels: Vec<(K, String)>,
    pub match_expressions: Vec<Requirement<K>>,
    /// The selector as written, for messages: `app=api, env in (prod, staging), !legacy`.
    text: String,
}

impl<K> Default for LabelSelector<K> {
    fn default() -> LabelSelector<K> {
        LabelSelector {
            match_labels: Vec::new(),
            match_expressions: Vec::new(),
            text: String::new(),
        }
    }
}

impl<K> LabelSelector<K> {
    /// Whether the labels that `value` looks up (`None`: absent) are selected.
    pub fn matches<'l>(&self, value: impl Fn(&K) -> Option<&'l str>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| value(k) == Some(v.as_str()))
            && self
                .match_expressions
                .iter()
                .all(|r| r.operator.holds(&r.values, value(&r.key)))
    }

    /// The selector as written; empty for the empty selector.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl LabelSelector {
    /// Whether a pod or namespace with these labels is selected.
    pub fn matches_labels(&self, labels: &Labels) -> bool {
        self.matches(|k: &String| labels.get(k).map(String::as_str))
    }
}

impl<K> fmt::Display for LabelSelector<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Which half of a selector a key stands in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    MatchLabels,
    MatchExpressions,
}

/// Reads a selector with its keys as written.
pub fn read(c: &Cursor<'_>) -> Result<LabelSelector, ReadError> {
    read_with(c, |key, _, _| Ok(Some(key.to_owned())))
}

/// Reads a selector, making each key with `key` (given the key as written, where it stands and
/// the node it came from, for errors); `Ok(None)` leaves that pair or requirement out of the
/// matching (it stays in the text).
pub fn read_with<K>(
    c: &Cursor<'_>,
    mut key: impl FnMut(&str, Part, &Cursor<'_>) -> Result<Option<K>, ReadError>,
) -> Result<LabelSelector<K>, ReadError> {
    let m = c.map(&["matchLabels", "matchExpressions"])?;
    let mut selector = LabelSelector::default();
    let mut parts = Vec::new();
    if let Some(labels) = m.get("matchLabels") {
        for (k, v) in labels.entries()? {
            let value = v.str()?;
            parts.push(format!("{k}={value}"));
            if let Some(k) = key(k, Part::MatchLabels, &v)? {
                selector.match_labels.push((k, value.to_owned()));
            }
        }
    }
    for e in m.list("matchExpressions")? {
        let f = e.map(&["key", "operator", "values"])?;
        let name = f.required("key")?.str()?;
        let op = f.required("operator")?;
        let operator = match op.str()? {
            "In" => Operator::In,
            "NotIn" => Operator::NotIn,
            "Exists" => Operator::Exists,
            "DoesNotExist" => Operator::DoesNotExist,
            other => return Err(op.error(format!("unknown operator `{other}`"))),
        };
        let values = f
            .list("values")?
            .iter()
            .map(|v| v.str().map(str::to_owned))
            .collect::<Result<Vec<String>, _>>()?;
        // [selector] matchExpressions.values: In and NotIn need values, Exists and DoesNotExist
        // take none.
        match operator {
            Operator::In | Operator::NotIn if values.is_empty() => {
                return Err(e.error("`In` and `NotIn` need at least one value"));
            }
            Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
                return Err(e.error("`Exists` and `DoesNotExist` take no values"));
            }
            _ => {}
        }
        parts.push(match operator {
            Operator::In => format!("{name} in ({})", values.join(", ")),
            Operator::NotIn => format!("{name} notin ({})", values.join(", ")),
            Operator::Exists => name.to_owned(),
            Operator::DoesNotExist => format!("!{name}"),
        });
        if let Some(key) = key(name, Part::MatchExpressions, &e)? {
            selector.match_expressions.push(Requirement {
                key,
                operator,
                values,
            });
        }
    }
    selector.text = parts.join(", ");
    Ok(selector)
}

impl<K> LabelSelector<K> {
    /// The same requirements as a checked selector over the keys `key` makes (`None`: the
    /// requirement is left out), for generating pods inside and just outside the selection.
    pub fn to_model(&self, key: impl Fn(&K) -> Option<String>) -> crate::model::LabelSelector {
        use crate::model::LabelReq;
        let mut reqs = Vec::new();
        for (k, v) in &self.match_labels {
            if let Some(k) = key(k) {
                reqs.push(LabelReq::Eq(k, v.clone()));
            }
        }
        for r in &self.match_expressions {
            let Some(k) = key(&r.key) else { continue };
            let values = r.values.iter().cloned().collect();
            reqs.push(match r.operator {
                Operator::In => LabelReq::In(k, values),
                Operator::NotIn => LabelReq::NotIn(k, values),
                Operator::Exists => LabelReq::Exists(k),
                Operator::DoesNotExist => LabelReq::DoesNotExist(k),
            });
        }
        crate::model::LabelSelector::new(reqs)
    }
}
