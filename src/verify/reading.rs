//! A stream of YAML as its product reads it (native, Cilium, Calico), and the comparison of two
//! readings one source pod at a time ([`super::universe::compare_scoped`]): what `egressc
//! import` checks its program with, and what `egressc diff` decides flows gained and lost with.

use crate::backend::Target;

use super::cursor::{Mode, ReadError, Reader};
use super::universe::{Comparison, compare_scoped};
use super::{calico, cilium, native, yaml};

/// Policies as one product reads them.
#[derive(Debug)]
pub enum Reading {
    Native(native::Policies),
    Cilium(cilium::Policies),
    Calico {
        tiers: calico::Tiers,
        /// Whether the input uses Calico Enterprise's `domains`.
        enterprise: bool,
    },
}

impl Reading {
    /// Reads `text` as `target`'s product does, in `mode`.
    pub fn read(target: Target, text: &str, mode: Mode) -> Result<Reading, String> {
        let docs = yaml::parse(text).map_err(|e| e.to_string())?;
        let reader = Reader::new(mode);
        let shown = |e: ReadError| e.to_string();
        Ok(match target {
            Target::Native => {
                Reading::Native(native::read::policies(&docs, &reader).map_err(shown)?)
            }
            Target::Cilium => {
                Reading::Cilium(cilium::read::policies(&docs, &reader).map_err(shown)?)
            }
            Target::Calico | Target::CalicoEnterprise => {
                let enterprise = target == Target::CalicoEnterprise;
                Reading::Calico {
                    tiers: calico::read::tiers(&docs, &reader, enterprise).map_err(shown)?,
                    enterprise,
                }
            }
        })
    }

    /// The target whose semantics the policies have.
    pub fn target(&self) -> Target {
        match self {
            Reading::Native(_) => Target::Native,
            Reading::Cilium(_) => Target::Cilium,
            Reading::Calico {
                enterprise: false, ..
            } => Target::Calico,
            Reading::Calico {
                enterprise: true, ..
            } => Target::CalicoEnterprise,
        }
    }

    /// YAML emitted for the same target, read the same way (refusing anything not modelled).
    pub fn reread(&self, text: &str) -> Result<Reading, String> {
        Reading::read(self.target(), text, Mode::Evaluate)
    }

    /// Both readings decide every flow at the edges of either, one source pod at a time (at
    /// most `limit` differences kept); `None` for readings of different products.
    pub fn compare(&self, other: &Reading, limit: usize) -> Option<Comparison> {
        Some(match (self, other) {
            (Reading::Native(a), Reading::Native(b)) => {
                compare_scoped(&a.scoped(), &b.scoped(), limit)
            }
            (Reading::Cilium(a), Reading::Cilium(b)) => {
                compare_scoped(&a.scoped(), &b.scoped(), limit)
            }
            (Reading::Calico { tiers: a, .. }, Reading::Calico { tiers: b, .. }) => {
                compare_scoped(&a.scoped(), &b.scoped(), limit)
            }
            _ => return None,
        })
    }
}
