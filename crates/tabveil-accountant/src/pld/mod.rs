//! The privacy-loss-distribution accountant.
//!
//! ```
//! use tabveil_accountant::{Accountant, PldAccountant, PldConfig, PrivacyEvent};
//!
//! // MNIST DP-SGD: q = 256/60000, σ = 1.1, 60 epochs.
//! let mut pld = PldAccountant::new(PldConfig::default());
//! pld.compose(&PrivacyEvent::poisson_subsampled_gaussian(256.0 / 60_000.0, 1.1, 14_063)?)?;
//! let eps = pld.epsilon(1e-5)?;
//! assert!((eps - 2.38178).abs() < 1e-4);
//! // A plain Gaussian history is exact (no discretisation).
//! let mut g = PldAccountant::default();
//! g.compose(&PrivacyEvent::gaussian(2.0, 1)?)?;
//! assert!((g.epsilon(1e-5)? - 1.993_091_404_415).abs() < 1e-9);
//! # Ok::<(), tabveil_accountant::AccountantError>(())
//! ```

mod compose;
mod config;
mod discretise;
mod pmf;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

pub use config::PldConfig;

use crate::accountant::{Accountant, AccountantKind};
use crate::error::{AccountantError, Result};
use crate::event::{PrivacyEvent, check_delta, check_epsilon};
use crate::gaussian::GaussianDp;
use crate::rdp::round_up_ulps;
use compose::Group;
use discretise::{Direction, subsampled_gaussian_pmf};
use pmf::Pmf;

/// Privacy-loss-distribution accountant for (subsampled) Gaussian mechanisms: the tightest
/// upper bound tabveil computes.
///
/// **What it bounds.** ε(δ) for the add/remove-one relation, as the maximum over the two
/// directions (a row removed, a row added) of the hockey-stick divergence of the composed
/// privacy loss distributions (Meiser & Mohammadi 2018; Koskela, Jälkö & Honkela 2020;
/// Doroshenko et al. 2022). Each subsampled-Gaussian mechanism is discretised with the
/// *pessimistic* connect-the-dots construction on the grid of multiples of
/// [`PldConfig::discretisation_interval`], self-composed by FFT, with every truncated tail
/// charged as infinite loss: the result is an **upper bound**, typically within ~1e-4 of the
/// true ε at the default interval. It matches Google's dp_accounting 0.6.0 `PLDAccountant`
/// to about 1e-9 relative on the same grid.
///
/// A history made only of plain Gaussian mechanisms (or q = 1) is accounted **exactly** through
/// its μ-GDP profile ([`GaussianDp`]), with no discretisation; in a mixed history those
/// mechanisms are first merged into one Gaussian (exactly), which is then discretised like the
/// rest, so the mixed result is still an upper bound.
///
/// Events are merged by mechanism (composition is commutative), the single-step
/// distributions are cached per (q, σ), and the composed distribution is computed lazily at
/// the first query after a change, then reused.
///
/// # Defaults
/// [`PldAccountant::default`] uses [`PldConfig::default`].
#[derive(Debug, Clone, Default)]
pub struct PldAccountant {
    config: PldConfig,
    /// Σ count / σ² over plain Gaussian mechanisms.
    gaussian_mu_squared: f64,
    /// Subsampled mechanisms (q < 1) and their total steps, in first-seen order.
    groups: Vec<(f64, f64, u64)>,
    single_step: HashMap<(u64, u64), Arc<(Pmf, Pmf)>>,
    composed: OnceLock<Result<Composed>>,
}

/// The composed history.
#[derive(Debug, Clone)]
enum Composed {
    Nothing,
    Exact(GaussianDp),
    Discrete { remove: Pmf, add: Pmf },
}

impl PldAccountant {
    /// An accountant with nothing composed.
    pub fn new(config: PldConfig) -> Self {
        PldAccountant {
            config,
            ..PldAccountant::default()
        }
    }

    /// The configuration.
    pub fn config(&self) -> &PldConfig {
        &self.config
    }

    /// The probability of infinite privacy loss in the composed distribution (the larger of
    /// the two directions): tail mass charged pessimistically. No δ below it can be certified.
    ///
    /// # Errors
    /// As [`Accountant::epsilon`] (the composition runs here if it has not yet).
    pub fn infinity_mass(&self) -> Result<f64> {
        Ok(match self.composed()? {
            Composed::Nothing | Composed::Exact(_) => 0.0,
            Composed::Discrete { remove, add } => remove.infinity.max(add.infinity),
        })
    }

    /// Discretises and caches the single-step distributions of `event`'s mechanism (a no-op
    /// for plain Gaussian mechanisms, which need none).
    pub(crate) fn warm(&mut self, event: &PrivacyEvent) -> Result<()> {
        let (q, sigma) = (event.sample_rate(), event.noise_multiplier());
        let key = (q.to_bits(), sigma.to_bits());
        if q < 1.0 && !self.single_step.contains_key(&key) {
            let remove = subsampled_gaussian_pmf(q, sigma, Direction::Remove, &self.config)?;
            let add = subsampled_gaussian_pmf(q, sigma, Direction::Add, &self.config)?;
            self.single_step.insert(key, Arc::new((remove, add)));
        }
        Ok(())
    }

    fn composed(&self) -> Result<&Composed> {
        self.composed
            .get_or_init(|| self.compose_all())
            .as_ref()
            .map_err(Clone::clone)
    }

    fn compose_all(&self) -> Result<Composed> {
        let mu_squared = self.gaussian_mu_squared;
        if self.groups.is_empty() {
            return Ok(if mu_squared == 0.0 {
                Composed::Nothing
            } else {
                Composed::Exact(GaussianDp::new(round_up_ulps(mu_squared.sqrt(), 2))?)
            });
        }
        let mut pmfs: Vec<(Arc<(Pmf, Pmf)>, u64)> = Vec::with_capacity(self.groups.len() + 1);
        for &(q, sigma, steps) in &self.groups {
            let pair = self
                .single_step
                .get(&(q.to_bits(), sigma.to_bits()))
                .cloned()
                .ok_or(AccountantError::Numerical {
                    what: "PLD single-step distribution missing from the cache",
                })?;
            pmfs.push((pair, steps));
        }
        if mu_squared > 0.0 {
            // All plain Gaussian mechanisms compose exactly into one with σ = 1/μ; discretise
            // that one (its two directions coincide).
            let sigma = 1.0 / mu_squared.sqrt();
            if !(sigma.is_finite() && sigma > 0.0) {
                return Err(AccountantError::Numerical {
                    what: "the merged Gaussian mechanisms have a noise multiplier out of range",
                });
            }
            let pmf = subsampled_gaussian_pmf(1.0, sigma, Direction::Remove, &self.config)?;
            pmfs.push((Arc::new((pmf.clone(), pmf)), 1));
        }
        let groups: Vec<Group<'_>> = pmfs
            .iter()
            .map(|(pair, count)| Group {
                remove: &pair.0,
                add: &pair.1,
                count: *count,
            })
            .collect();
        let (remove, add) = compose::compose(&groups, &self.config)?;
        Ok(Composed::Discrete { remove, add })
    }
}

impl Accountant for PldAccountant {
    fn kind(&self) -> AccountantKind {
        AccountantKind::Pld
    }

    /// Adds the event to the history. A subsampled mechanism seen for the first time is
    /// discretised here (so a grid that would be too large fails now, with nothing added).
    fn compose(&mut self, event: &PrivacyEvent) -> Result<()> {
        let (q, sigma, steps) = (event.sample_rate(), event.noise_multiplier(), event.steps());
        if q == 1.0 {
            self.gaussian_mu_squared += crate::rdp::steps_rounded_up(steps) / (sigma * sigma);
        } else {
            let key = (q.to_bits(), sigma.to_bits());
            self.warm(event)?;
            if let Some(group) = self
                .groups
                .iter_mut()
                .find(|(gq, gs, _)| gq.to_bits() == key.0 && gs.to_bits() == key.1)
            {
                group.2 = group
                    .2
                    .checked_add(steps)
                    .ok_or(AccountantError::CountOverflow {
                        what: "PLD accountant steps",
                    })?;
            } else {
                self.groups.push((q, sigma, steps));
            }
        }
        self.composed = OnceLock::new();
        Ok(())
    }

    /// The smallest ε whose δ(ε), the larger of the two directions, is at most `delta`: an
    /// upper bound (exact for a pure Gaussian history), rounded up.
    ///
    /// # Errors
    /// [`AccountantError::InvalidDelta`]; [`AccountantError::EpsilonUnbounded`] when `delta`
    /// is below the mass at infinite loss (see [`PldAccountant::infinity_mass`]);
    /// [`AccountantError::PldGridTooLarge`] when the composition does not fit.
    fn epsilon(&self, delta: f64) -> Result<f64> {
        check_delta(delta)?;
        let eps = match self.composed()? {
            Composed::Nothing => return Ok(0.0),
            Composed::Exact(g) => return g.epsilon(delta),
            Composed::Discrete { remove, add } => {
                let unbounded = AccountantError::EpsilonUnbounded {
                    delta,
                    accountant: AccountantKind::Pld,
                };
                let r = remove.epsilon_for_delta(delta).ok_or(unbounded.clone())?;
                let a = add.epsilon_for_delta(delta).ok_or(unbounded)?;
                r.max(a)
            }
        };
        Ok(if eps > 0.0 {
            round_up_ulps(eps, 4)
        } else {
            0.0
        })
    }

    /// The larger of the two directions' δ(ε): an upper bound (exact for a pure Gaussian
    /// history).
    fn delta(&self, epsilon: f64) -> Result<f64> {
        check_epsilon(epsilon)?;
        Ok(match self.composed()? {
            Composed::Nothing => 0.0,
            Composed::Exact(g) => g.delta(epsilon)?,
            Composed::Discrete { remove, add } => {
                let d = remove
                    .delta_for_epsilon(epsilon)
                    .max(add.delta_for_epsilon(epsilon));
                if d > 0.0 {
                    round_up_ulps(d, 4).min(1.0)
                } else {
                    0.0
                }
            }
        })
    }

    fn boxed_clone(&self) -> Box<dyn Accountant> {
        Box::new(self.clone())
    }

    /// Discretises and caches the single-step distributions of `event`'s mechanism, so that
    /// copies made afterwards share them.
    fn prepare(&mut self, event: &PrivacyEvent) -> Result<()> {
        self.warm(event)
    }
}
