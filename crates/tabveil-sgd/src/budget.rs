//! [`PrivacyBudget`]: every DP-SGD step goes on the ledger, and no step may overshoot ε.

use tabveil_accountant::{
    AccountantSpec, BoundKind, Calibration, LedgerEntry, NoiseSchedule, PrivacyEvent,
    PrivacyLedger, Stage, epsilon_of, max_steps_within,
};

use crate::error::{Result, SgdError};

/// What a step request got (see [`PrivacyBudget`]).
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StepOutcome {
    /// The step was recorded on the ledger and applied.
    Applied {
        /// Steps taken under this budget so far, this one included.
        steps_taken: u64,
    },
    /// The step would have pushed ε above the target: nothing was released, recorded or
    /// updated.
    BudgetExhausted {
        /// Steps taken under this budget.
        steps_taken: u64,
        /// The target ε.
        target_epsilon: f64,
    },
}

impl StepOutcome {
    /// True for [`StepOutcome::Applied`].
    pub fn is_applied(&self) -> bool {
        matches!(self, StepOutcome::Applied { .. })
    }
}

/// The privacy budget of a training run.
///
/// A budget owns the run's [`PrivacyLedger`] (which may already hold preprocessing releases).
/// When a `DpOptimizer` is built on it, the budget learns the step's mechanism (q, σ, C, a
/// label) and computes once, with the chosen accountant
/// ([`tabveil_accountant::max_steps_within`]), the largest number of further steps k such that
/// ε(ledger ∘ k steps) ≤ target at δ. Each step then costs a comparison: step k + 1 is refused
/// with [`StepOutcome::BudgetExhausted`] before anything is released, so a run ends at
/// ε ≤ target — never a whole epoch past it.
///
/// [`calibrate_noise_multiplier`] goes the other way: the smallest σ for which a planned
/// number of steps fits the target after what the ledger already holds.
///
/// # Example
/// ```
/// use tabveil_accountant::{AccountantSpec, PrivacyLedger};
/// use tabveil_sgd::{PrivacyBudget, calibrate_noise_multiplier};
///
/// let ledger = PrivacyLedger::new();
/// // σ for 1 000 steps at q = 0.01 within ε = 1 at δ = 1e-5.
/// let sigma = calibrate_noise_multiplier(&ledger, 1.0, 1e-5, 0.01, 1_000, &AccountantSpec::rdp())?;
/// assert!(sigma.noise_multiplier > 1.0 && sigma.epsilon <= 1.0);
/// let budget = PrivacyBudget::new(ledger, 1.0, 1e-5, AccountantSpec::rdp())?;
/// assert_eq!(budget.target_epsilon(), Some(1.0));
/// # Ok::<(), tabveil_sgd::SgdError>(())
/// ```
#[derive(Debug)]
pub struct PrivacyBudget {
    ledger: Option<PrivacyLedger>,
    limit: Limit,
    mechanism: Option<Mechanism>,
    steps_taken: u64,
}

#[derive(Debug)]
enum Limit {
    /// Refuse steps beyond ε = `epsilon` at `delta`.
    Target {
        epsilon: f64,
        delta: f64,
        spec: AccountantSpec,
        allowed_steps: Option<u64>,
    },
    /// Record every step, refuse none.
    Unlimited,
    /// Record nothing: no privacy claim at all.
    Unaccounted,
}

/// The mechanism of one step, fixed when an optimizer binds the budget.
#[derive(Debug, Clone)]
struct Mechanism {
    label: String,
    event: PrivacyEvent,
    max_grad_norm: f64,
}

impl PrivacyBudget {
    /// A budget that refuses any step that would make the ledger's ε at `delta` exceed
    /// `target_epsilon`, as computed by the accountant `spec` describes (an upper-bound
    /// accountant: RDP or PLD, not the Gaussian-DP approximation).
    ///
    /// # Errors
    /// [`SgdError::InvalidParameter`] unless ε is finite and > 0 and δ ∈ (0, 1), and when
    /// `spec` is an approximation rather than an upper bound.
    pub fn new(
        ledger: PrivacyLedger,
        target_epsilon: f64,
        delta: f64,
        spec: AccountantSpec,
    ) -> Result<Self> {
        if !(target_epsilon.is_finite() && target_epsilon > 0.0) {
            return Err(SgdError::InvalidParameter {
                parameter: "target_epsilon",
                value: target_epsilon,
                expected: "finite and > 0",
            });
        }
        if !(delta > 0.0 && delta < 1.0) {
            return Err(SgdError::InvalidParameter {
                parameter: "delta",
                value: delta,
                expected: "in (0, 1)",
            });
        }
        if spec.kind.bound() != BoundKind::UpperBound {
            return Err(SgdError::InvalidParameter {
                parameter: "accountant",
                value: f64::NAN,
                expected: "an upper-bound accountant (RDP or PLD), not an approximation",
            });
        }
        Ok(PrivacyBudget {
            ledger: Some(ledger),
            limit: Limit::Target {
                epsilon: target_epsilon,
                delta,
                spec,
                allowed_steps: None,
            },
            mechanism: None,
            steps_taken: 0,
        })
    }

    /// A budget that records every step on `ledger` and refuses none: for studies that
    /// report ε after a fixed number of steps.
    pub fn unlimited(ledger: PrivacyLedger) -> Self {
        PrivacyBudget {
            ledger: Some(ledger),
            limit: Limit::Unlimited,
            mechanism: None,
            steps_taken: 0,
        }
    }

    /// No ledger and no limit: steps are not recorded anywhere, so **no privacy guarantee can
    /// be stated**. The only budget that allows σ = 0 or C = ∞ (ablations and tests that
    /// compare a DP step with a plain one).
    pub fn dangerous_unaccounted() -> Self {
        PrivacyBudget {
            ledger: None,
            limit: Limit::Unaccounted,
            mechanism: None,
            steps_taken: 0,
        }
    }

    /// The ledger (None for an unaccounted budget).
    pub fn ledger(&self) -> Option<&PrivacyLedger> {
        self.ledger.as_ref()
    }

    /// Gives the ledger back (None for an unaccounted budget).
    pub fn into_ledger(self) -> Option<PrivacyLedger> {
        self.ledger
    }

    /// The target ε, if this budget has one.
    pub fn target_epsilon(&self) -> Option<f64> {
        match &self.limit {
            Limit::Target { epsilon, .. } => Some(*epsilon),
            _ => None,
        }
    }

    /// The δ of the target, if this budget has one.
    pub fn delta(&self) -> Option<f64> {
        match &self.limit {
            Limit::Target { delta, .. } => Some(*delta),
            _ => None,
        }
    }

    /// True when steps are recorded on a ledger.
    pub fn is_accounted(&self) -> bool {
        !matches!(self.limit, Limit::Unaccounted)
    }

    /// Steps taken under this budget.
    pub fn steps_taken(&self) -> u64 {
        self.steps_taken
    }

    /// Steps still allowed, once an optimizer has bound the budget (None when unlimited or
    /// not bound yet).
    pub fn remaining_steps(&self) -> Option<u64> {
        match &self.limit {
            Limit::Target { allowed_steps, .. } => {
                allowed_steps.map(|a| a.saturating_sub(self.steps_taken))
            }
            _ => None,
        }
    }

    /// ε spent so far at `delta`, by the budget's accountant (RDP for budgets without a
    /// target).
    ///
    /// # Errors
    /// [`SgdError::NotPrivate`] for an unaccounted budget; accountant errors.
    pub fn epsilon_spent(&self, delta: f64) -> Result<f64> {
        let ledger = self.ledger.as_ref().ok_or(SgdError::NotPrivate {
            setting: "an unaccounted budget",
        })?;
        let spec = match &self.limit {
            Limit::Target { spec, .. } => spec.clone(),
            _ => AccountantSpec::rdp(),
        };
        Ok(epsilon_of(ledger, &spec, delta)?.epsilon)
    }

    /// Fixes the mechanism of each step and, for a target, computes how many steps fit.
    /// Called by the `DpOptimizer`; `seeded` marks the ledger when the privacy randomness was
    /// fixed by a `noise_seed`.
    pub(crate) fn bind(
        &mut self,
        label: &str,
        sample_rate: f64,
        noise_multiplier: f64,
        max_grad_norm: f64,
        seeded: bool,
    ) -> Result<()> {
        if self.mechanism.is_some() {
            return Err(SgdError::InvalidParameter {
                parameter: "privacy budget",
                value: f64::NAN,
                expected: "a budget not already bound to another optimizer",
            });
        }
        if matches!(self.limit, Limit::Unaccounted) {
            return Ok(());
        }
        if noise_multiplier == 0.0 {
            return Err(SgdError::NotPrivate {
                setting: "noise multiplier 0",
            });
        }
        if !max_grad_norm.is_finite() {
            return Err(SgdError::NotPrivate {
                setting: "clipping norm ∞",
            });
        }
        let event = PrivacyEvent::poisson_subsampled_gaussian(sample_rate, noise_multiplier, 1)?;
        // Check the label and sensitivity now, so that a step never fails half-way.
        LedgerEntry::new(label, Stage::Training, event)?.with_l2_sensitivity(max_grad_norm)?;
        if let Some(ledger) = self.ledger.as_mut()
            && seeded
        {
            ledger.mark_noise_seeded();
        }
        if let (
            Limit::Target {
                epsilon,
                delta,
                spec,
                allowed_steps,
            },
            Some(ledger),
        ) = (&mut self.limit, &self.ledger)
        {
            let fixed: Vec<PrivacyEvent> = ledger.entries().iter().map(|e| *e.event()).collect();
            *allowed_steps = Some(max_steps_within(
                *epsilon,
                *delta,
                &fixed,
                sample_rate,
                noise_multiplier,
                spec,
            )?);
        }
        self.mechanism = Some(Mechanism {
            label: label.to_owned(),
            event,
            max_grad_norm,
        });
        Ok(())
    }

    /// Asks for one more step: records it on the ledger and returns `Applied`, or returns
    /// `BudgetExhausted` and records nothing.
    pub(crate) fn request_step(&mut self) -> Result<StepOutcome> {
        if let Limit::Target {
            epsilon,
            allowed_steps,
            ..
        } = &self.limit
        {
            let allowed = allowed_steps.ok_or(SgdError::Internal("budget used before binding"))?;
            if self.steps_taken >= allowed {
                return Ok(StepOutcome::BudgetExhausted {
                    steps_taken: self.steps_taken,
                    target_epsilon: *epsilon,
                });
            }
        }
        if let (Some(ledger), Some(m)) = (self.ledger.as_mut(), &self.mechanism) {
            let entry = LedgerEntry::new(m.label.as_str(), Stage::Training, m.event)?
                .with_l2_sensitivity(m.max_grad_norm)?;
            ledger.record(entry)?;
        } else if self.is_accounted() {
            return Err(SgdError::Internal(
                "accounted budget without a bound mechanism",
            ));
        }
        self.steps_taken += 1;
        Ok(StepOutcome::Applied {
            steps_taken: self.steps_taken,
        })
    }
}

/// The noise multiplier σ for `steps` DP-SGD steps at sampling rate `sample_rate` that spends
/// at most `target_epsilon` at `delta` after everything already on `ledger` (preprocessing
/// releases, earlier training), as computed by the accountant `spec` describes.
///
/// **Guarantee** (from [`tabveil_accountant::calibrate_noise`]): the returned σ is on the safe
/// side — ε(ledger ∘ steps × (q, σ)) ≤ target was evaluated, not extrapolated — and within
/// 1e-6 relative of the smallest such σ.
///
/// # Errors
/// [`SgdError::Accountant`] for invalid ε, δ, q or steps, a GDP spec, or a target the ledger
/// alone already exceeds.
pub fn calibrate_noise_multiplier(
    ledger: &PrivacyLedger,
    target_epsilon: f64,
    delta: f64,
    sample_rate: f64,
    steps: u64,
    spec: &AccountantSpec,
) -> Result<Calibration> {
    let schedule = NoiseSchedule {
        fixed: ledger.entries().iter().map(|e| *e.event()).collect(),
        calibrated: vec![(sample_rate, steps)],
    };
    Ok(tabveil_accountant::calibrate_noise(
        target_epsilon,
        delta,
        &schedule,
        spec,
    )?)
}

#[cfg(test)]
mod tests;
