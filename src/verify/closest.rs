//! How a rule meets a flow, and which of the rules that missed came closest: what `egressc trace`
//! shows as "closest" when a flow is denied. Every evaluator ranks its misses on the one scale of
//! [`Near`], so a wrong port always reads as closer than a wrong destination.

/// How near a rule came to a flow it does not match, nearest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Near {
    /// The rule matches, but the product never sees the flow the way the rule needs (Cilium:
    /// the DNS proxy never learns the name's addresses).
    Unseen,
    /// The destination matches; the protocol or port does not.
    Port,
    /// The destination is inside what the rule names but left out of it: an `except` range, or
    /// the rule's namespace but not its pods.
    Excluded,
    /// A peer of the right kind that does not take the destination: another range, another
    /// namespace, other labels.
    Elsewhere,
    /// A peer of another kind (a pod for an address rule, an address for a pod rule).
    OtherKind,
    /// The rule matches nothing at all.
    Nothing,
}

/// A rule (or peer) that does not match a flow: how near it came and why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Miss {
    pub near: Near,
    /// Whether the ports missed as well as the destination (nearer when they did not).
    pub ports_too: bool,
    pub why: String,
}

impl Miss {
    pub fn new(near: Near, why: impl Into<String>) -> Miss {
        Miss {
            near,
            ports_too: false,
            why: why.into(),
        }
    }

    fn rank(&self) -> (Near, bool) {
        (self.near, self.ports_too)
    }
}

/// How a rule meets a flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hit {
    /// It matches: why.
    Match(String),
    Miss(Miss),
    /// It matches or not depending on the address a host name resolves to, which the flow lacks.
    NeedsAddress,
}

impl Hit {
    /// Which of the three it is, for [`crate::verify::universe::Split`] keys.
    pub fn key(&self) -> u8 {
        match self {
            Hit::Match(_) => 0,
            Hit::Miss(_) => 1,
            Hit::NeedsAddress => 2,
        }
    }
}

/// The closest miss offered so far (the first of the nearest).
#[derive(Clone, Debug, Default)]
pub struct Closest(Option<Miss>);

impl Closest {
    pub fn offer(&mut self, miss: Miss) {
        if self.0.as_ref().is_none_or(|m| miss.rank() < m.rank()) {
            self.0 = Some(miss);
        }
    }

    /// Offers a miss whose text is only made when it is the closest so far.
    pub fn offer_with(&mut self, near: Near, why: impl FnOnce() -> String) {
        if self.0.as_ref().is_none_or(|m| (near, false) < m.rank()) {
            self.0 = Some(Miss::new(near, why()));
        }
    }

    pub fn get(&self) -> Option<&Miss> {
        self.0.as_ref()
    }

    pub fn into_miss(self) -> Option<Miss> {
        self.0
    }

    /// Why the closest miss missed, for [`super::Decision::closest`].
    pub fn into_why(self) -> Option<String> {
        self.0.map(|m| m.why)
    }
}
