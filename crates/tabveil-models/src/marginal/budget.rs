//! The privacy budget of a private marginal fit: planned in ρ-zCDP as AIM does, decided by the
//! run's accountant, recorded on the ledger release by release.
//!
//! **Plan.** Every release is a Gaussian measurement (noise multiplier σ on an L2-sensitivity-1
//! count vector: ρ = 1/(2σ²)) or an exponential-mechanism selection with parameter ε_s
//! (ρ = ε_s²/8, bounded range; Cesar & Rogers 2021). A ledger of such releases is ρ-zCDP with
//! ρ the sum, and its Rényi curve α·ρ is that of one Gaussian mechanism with σ = 1/√(2ρ); under
//! PLD a composition of Gaussians *is* that one Gaussian. So the total ρ of the run is the
//! largest ρ for which the accountant gives that Gaussian an ε at most the target (found by
//! bisection, with the accountant — no closed form).
//!
//! **Guard.** Every release is first composed onto a copy of the running accountant; it is
//! refused ([`ModelError::Internal`]) if the ε would exceed the target, so a ledger never ends
//! above it whatever the plan said. The last round spends what is left, found by bisection
//! with the accountant on the actual ledger.
//!
//! **Prior releases.** Releases made on the same table before the fit (a private schema
//! discovery, [`DpConfig::with_prior_releases`](crate::DpConfig::with_prior_releases)) open the
//! ledger and are composed into every accountant first: ρ is then the largest for which the
//! prior releases *and* that one Gaussian stay within the target, every guard sees them, and the
//! last round's bisection spends exactly what they leave. Nothing is assumed about their form
//! (a Gaussian-thresholding selection has an additive δ, so no ρ): the accountants compose them.
//!
//! Selections are recorded as exponential-mechanism events (see [`selection_event`]). A PLD run
//! is also guarded by an RDP accountant: the plan charges each release its zCDP ρ, a bound the
//! RDP accountant confirms, so a PLD run ends at or a little below the target.

use tabveil_accountant::{
    Accountant, AccountantKind, AccountantSpec, LedgerEntry, PrivacyEvent, PrivacyLedger, Stage,
};

use crate::error::{ConfigError, ModelError, Result};

/// Relative slack kept below the target by the plan, so rounding in the accountant never
/// makes the last release overshoot.
pub(crate) const SLACK: f64 = 1e-9;

/// The running budget of a private fit (see the [module docs](self)).
#[derive(Debug)]
pub(crate) struct Budget {
    target: f64,
    delta: f64,
    rho_total: f64,
    rho_used: f64,
    /// The run's accountant first; then an RDP accountant when the run's is another kind
    /// (see the module docs).
    accountants: Vec<Box<dyn Accountant>>,
    ledger: PrivacyLedger,
}

impl Budget {
    /// A budget of (ε, δ) under `spec`'s accountant, without prior releases; `seeded` marks
    /// the ledger when the privacy randomness was fixed by a noise seed.
    ///
    /// # Errors
    /// Accountant errors (an unreachable target).
    #[cfg(test)]
    pub(crate) fn new(
        epsilon: f64,
        delta: f64,
        spec: &AccountantSpec,
        seeded: bool,
    ) -> Result<Self> {
        let mut ledger = PrivacyLedger::new();
        if seeded {
            ledger.mark_noise_seeded();
        }
        Self::with_rho(
            total_rho(epsilon, delta, spec, &[])?,
            epsilon,
            delta,
            spec,
            ledger,
        )
    }

    /// A budget of (ε, δ) under `spec`'s accountant whose plan spends at most `rho_total`
    /// (the [`total_rho`] of (ε, δ) after the prior releases, computed once by the run's
    /// plan). `prior` is the ledger the run opens with — its prior releases, marked when the
    /// privacy randomness was fixed by a noise seed — and its events are composed into every
    /// guard first.
    ///
    /// # Errors
    /// Accountant errors (an event the accountant cannot compose).
    pub(crate) fn with_rho(
        rho_total: f64,
        epsilon: f64,
        delta: f64,
        spec: &AccountantSpec,
        prior: PrivacyLedger,
    ) -> Result<Self> {
        let mut accountants = guards(spec);
        for a in &mut accountants {
            for entry in prior.entries() {
                a.compose(entry.event())?;
            }
        }
        Ok(Budget {
            target: epsilon,
            delta,
            rho_total,
            rho_used: 0.0,
            accountants,
            ledger: prior,
        })
    }

    /// The ρ of the whole run.
    pub(crate) fn rho_total(&self) -> f64 {
        self.rho_total
    }

    /// The ρ recorded so far.
    pub(crate) fn rho_used(&self) -> f64 {
        self.rho_used
    }

    /// The ρ the plan may still spend.
    pub(crate) fn rho_left(&self) -> f64 {
        (self.rho_total * (1.0 - SLACK) - self.rho_used).max(0.0)
    }

    /// ε spent so far at the run's δ, by the run's accountant.
    ///
    /// # Errors
    /// Accountant errors.
    pub(crate) fn epsilon_spent(&self) -> Result<f64> {
        if self.ledger.is_empty() {
            return Ok(0.0);
        }
        match self.accountants.first() {
            Some(a) => Ok(a.epsilon(self.delta)?),
            None => Err(ModelError::Internal("a budget without an accountant")),
        }
    }

    /// The ledger, consuming the budget.
    pub(crate) fn into_ledger(self) -> PrivacyLedger {
        self.ledger
    }

    /// Records a Gaussian measurement with noise multiplier `sigma` (L2 sensitivity 1),
    /// after checking it keeps the ledger within the target.
    ///
    /// # Errors
    /// [`ModelError::Internal`] if it would not (the plan guarantees it does).
    pub(crate) fn record_measurement(
        &mut self,
        label: String,
        stage: Stage,
        sigma: f64,
    ) -> Result<()> {
        self.record(
            measurement_entry(label, stage, sigma)?,
            0.5 / (sigma * sigma),
        )
    }

    /// Records an exponential-mechanism selection with parameter `epsilon` (scores of
    /// sensitivity 1 after dividing by the largest weight), after checking it keeps the
    /// ledger within the target.
    ///
    /// # Errors
    /// [`ModelError::Internal`] if it would not (the plan guarantees it does).
    pub(crate) fn record_selection(&mut self, label: String, epsilon: f64) -> Result<()> {
        self.record(selection_entry(label, epsilon)?, epsilon * epsilon / 8.0)
    }

    /// Whether recording a measurement with noise multiplier `sigma` and a selection with
    /// parameter `epsilon` would keep ε within the target.
    ///
    /// # Errors
    /// Accountant errors.
    pub(crate) fn round_fits(&self, sigma: f64, epsilon: f64) -> Result<bool> {
        let events = [
            PrivacyEvent::gaussian(sigma, 1)?,
            selection_event(epsilon)?.0,
        ];
        for a in &self.accountants {
            let mut a = a.boxed_clone();
            for e in &events {
                a.compose(e)?;
            }
            if a.epsilon(self.delta)? > self.target {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The largest ρ for one more round — a selection with ε_s = √(8·share·ρ) and a
    /// measurement with σ = √(1 / (2·(1 − share)·ρ)) — that keeps ε within the target, by
    /// bisection with the accountant (at most the plan's ρ left). `None` when even a tiny
    /// round does not fit.
    ///
    /// # Errors
    /// Accountant errors.
    pub(crate) fn last_round(&self, selection_share: f64) -> Result<Option<(f64, f64)>> {
        let params = |rho: f64| {
            (
                (1.0 / (2.0 * (1.0 - selection_share) * rho)).sqrt(),
                (8.0 * selection_share * rho).sqrt(),
            )
        };
        let hi = self.rho_left();
        if hi <= 0.0 {
            return Ok(None);
        }
        let (s, e) = params(hi);
        if self.round_fits(s, e)? {
            return Ok(Some((s, e)));
        }
        let (mut good, mut bad) = (0.0, hi);
        for _ in 0..60 {
            let mid = 0.5 * (good + bad);
            let (s, e) = params(mid);
            if self.round_fits(s, e)? {
                good = mid;
            } else {
                bad = mid;
            }
        }
        Ok((good > 0.0).then(|| params(good)))
    }

    fn record(&mut self, entry: LedgerEntry, rho: f64) -> Result<()> {
        let mut trials = Vec::with_capacity(self.accountants.len());
        for a in &self.accountants {
            let mut trial = a.boxed_clone();
            trial.compose(entry.event())?;
            if trial.epsilon(self.delta)? > self.target {
                return Err(ModelError::Internal(
                    "a marginal release would exceed the privacy budget",
                ));
            }
            trials.push(trial);
        }
        self.accountants = trials;
        self.ledger.record(entry)?;
        self.rho_used += rho;
        Ok(())
    }
}

/// The ledger entry of a Gaussian measurement with noise multiplier `sigma` of a count vector
/// of L2 sensitivity 1.
///
/// # Errors
/// Ledger errors (an invalid σ).
pub(crate) fn measurement_entry(label: String, stage: Stage, sigma: f64) -> Result<LedgerEntry> {
    let event = PrivacyEvent::gaussian(sigma, 1)?;
    Ok(LedgerEntry::new(label, stage, event)?.with_l2_sensitivity(1.0)?)
}

/// The ledger entry of an exponential-mechanism selection with parameter `epsilon` (see
/// [`selection_event`]).
///
/// # Errors
/// Ledger errors (an invalid ε).
pub(crate) fn selection_entry(label: String, epsilon: f64) -> Result<LedgerEntry> {
    let (event, note) = selection_event(epsilon)?;
    Ok(LedgerEntry::new(
        format!("{label}{note}"),
        Stage::Training,
        event,
    )?)
}

/// The ledger event of an exponential-mechanism selection with parameter `epsilon` (an index
/// drawn with probability ∝ exp(ε·score/2) for scores of sensitivity 1: ε-bounded-range, hence
/// ε-DP and ε²/8-zCDP), and a note for its label. The accountants account it exactly (PLD) or
/// by its Rényi curve min(α·ε²/8, ε) (RDP), never above the ρ = ε²/8 the plan charges.
fn selection_event(epsilon: f64) -> Result<(PrivacyEvent, &'static str)> {
    Ok((
        PrivacyEvent::exponential_mechanism(epsilon, 1)?,
        " (exponential mechanism)",
    ))
}

/// The largest ρ whose Gaussian mechanism (σ = 1/√(2ρ)), composed after the `prior`
/// releases, has ε ≤ `epsilon` at `delta` under `spec`'s accountant (and the RDP guard), by
/// bracketing and bisection (ε is increasing in ρ).
///
/// # Errors
/// Accountant errors; [`ConfigError::InvalidParameter`] on `epsilon` when the prior releases
/// leave no room for one release.
pub(crate) fn total_rho(
    epsilon: f64,
    delta: f64,
    spec: &AccountantSpec,
    prior: &[PrivacyEvent],
) -> Result<f64> {
    let mut base = guards(spec);
    for a in &mut base {
        for e in prior {
            a.compose(e)?;
        }
    }
    let eps_of = |rho: f64| -> Result<f64> {
        let mut worst: f64 = 0.0;
        for a in &base {
            let mut a = a.boxed_clone();
            a.compose(&PrivacyEvent::gaussian((0.5 / rho).sqrt(), 1)?)?;
            worst = worst.max(a.epsilon(delta)?);
        }
        Ok(worst)
    };
    let mut lo = 1e-12;
    if eps_of(lo)? > epsilon {
        return Err(ConfigError::invalid(
            "epsilon",
            epsilon,
            "a budget large enough for at least one release",
        )
        .into());
    }
    let mut hi = 1e-3;
    while eps_of(hi)? <= epsilon {
        lo = hi;
        hi *= 4.0;
        if hi > 1e9 {
            return Ok(lo);
        }
    }
    for _ in 0..80 {
        let mid = (lo * hi).sqrt();
        if eps_of(mid)? <= epsilon {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi / lo < 1.0 + 1e-12 {
            break;
        }
    }
    Ok(lo)
}

/// The accountants that guard a run: the run's, then RDP when the run's is another kind.
fn guards(spec: &AccountantSpec) -> Vec<Box<dyn Accountant>> {
    let mut out = vec![spec.build()];
    if spec.kind != AccountantKind::Rdp {
        out.push(AccountantSpec::rdp().build());
    }
    out
}

#[cfg(test)]
mod tests;
