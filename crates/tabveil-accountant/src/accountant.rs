//! The `Accountant` trait that every accounting method implements, and the guarantee it reports.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::event::{Neighbouring, PrivacyEvent};

/// Which accounting method produced a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountantKind {
    /// Rényi DP of the sampled Gaussian, converted to (ε, δ): an upper bound.
    Rdp,
    /// Privacy loss distributions with pessimistic discretisation: an upper bound, tighter than
    /// RDP.
    Pld,
    /// The central-limit Gaussian-DP approximation: *not* a bound, it can under-estimate ε.
    /// For comparison only; tabveil never uses it to enforce a budget.
    Gdp,
}

impl AccountantKind {
    /// Whether values from this accountant bound ε from above or only approximate it.
    pub fn bound(self) -> BoundKind {
        match self {
            AccountantKind::Rdp | AccountantKind::Pld => BoundKind::UpperBound,
            AccountantKind::Gdp => BoundKind::Approximation,
        }
    }

    /// The short lower-case name used on the command line and in JSON (`rdp`, `pld`, `gdp`).
    pub fn name(self) -> &'static str {
        match self {
            AccountantKind::Rdp => "rdp",
            AccountantKind::Pld => "pld",
            AccountantKind::Gdp => "gdp",
        }
    }
}

impl std::fmt::Display for AccountantKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a reported ε is guaranteed to be at least the true ε.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoundKind {
    /// The true ε is at most the reported value.
    UpperBound,
    /// The reported value approximates ε and may be below the true value.
    Approximation,
}

/// An (ε, δ) statement with everything needed to read it correctly.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PrivacyGuarantee {
    /// ε spent.
    pub epsilon: f64,
    /// The δ at which ε was computed.
    pub delta: f64,
    /// The accountant that produced ε.
    pub accountant: AccountantKind,
    /// Whether ε is an upper bound or an approximation.
    pub bound: BoundKind,
    /// The neighbouring relation under which it holds.
    pub neighbouring: Neighbouring,
}

impl std::fmt::Display for PrivacyGuarantee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bound = match self.bound {
            BoundKind::UpperBound => "upper bound",
            BoundKind::Approximation => "approximation, may under-estimate",
        };
        write!(
            f,
            "ε = {} at δ = {:e} ({} {}; {})",
            self.epsilon, self.delta, self.accountant, bound, self.neighbouring
        )
    }
}

/// Composes privacy events and answers (ε, δ) queries about their composition.
///
/// All events are for the add/remove-one-row relation ([`Neighbouring::AddRemoveOne`]).
/// Composition is adaptive and order-free. An accountant with no events reports ε = 0.
pub trait Accountant: std::fmt::Debug + Send + Sync {
    /// Which method this is.
    fn kind(&self) -> AccountantKind;

    /// Adds `event` to the composition.
    ///
    /// # Errors
    /// When the event's privacy loss cannot be represented (e.g. overflow of the composed
    /// count, or a grid that would not fit in memory for the PLD accountant).
    fn compose(&mut self, event: &PrivacyEvent) -> Result<()>;

    /// The smallest ε this method certifies at `delta` for everything composed so far.
    ///
    /// # Errors
    /// [`crate::AccountantError::InvalidDelta`] unless δ ∈ (0, 1), and numerical failures.
    fn epsilon(&self, delta: f64) -> Result<f64>;

    /// The δ this method certifies at `epsilon` for everything composed so far.
    ///
    /// # Errors
    /// [`crate::AccountantError::InvalidEpsilon`] unless ε is finite and ≥ 0, and numerical
    /// failures.
    fn delta(&self, epsilon: f64) -> Result<f64>;

    /// A boxed copy, so that callers can ask "what if" without touching this one.
    fn boxed_clone(&self) -> Box<dyn Accountant>;

    /// Precomputes what composing `event` (any number of steps of it) will need, without
    /// composing it, so that copies made afterwards with
    /// [`boxed_clone`](Accountant::boxed_clone) share the work: the RDP accountant caches the
    /// per-step RDP curve; the default does nothing. Use it before asking "ε after k steps"
    /// for many k.
    ///
    /// # Errors
    /// As [`Accountant::compose`].
    fn prepare(&mut self, event: &PrivacyEvent) -> Result<()> {
        let _ = event;
        Ok(())
    }

    /// ε at `delta`, labelled with the accountant, bound kind and neighbouring relation.
    ///
    /// # Errors
    /// As [`Accountant::epsilon`].
    fn guarantee(&self, delta: f64) -> Result<PrivacyGuarantee> {
        let kind = self.kind();
        Ok(PrivacyGuarantee {
            epsilon: self.epsilon(delta)?,
            delta,
            accountant: kind,
            bound: kind.bound(),
            neighbouring: Neighbouring::AddRemoveOne,
        })
    }
}
