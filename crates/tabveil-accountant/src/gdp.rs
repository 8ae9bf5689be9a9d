//! The central-limit Gaussian-DP approximation (Opacus' `GaussianAccountant`), for comparison.
//!
//! ```
//! use tabveil_accountant::{Accountant, BoundKind, GdpAccountant, PrivacyEvent};
//!
//! let mut gdp = GdpAccountant::new();
//! gdp.compose(&PrivacyEvent::poisson_subsampled_gaussian(256.0 / 60_000.0, 1.1, 14_063)?)?;
//! // Close to the tight value (~2.38) here, but it is NOT an upper bound.
//! assert!((gdp.epsilon(1e-5)? - 2.3244).abs() < 1e-3);
//! assert_eq!(gdp.guarantee(1e-5)?.bound, BoundKind::Approximation);
//! # Ok::<(), tabveil_accountant::AccountantError>(())
//! ```

use crate::accountant::{Accountant, AccountantKind};
use crate::error::{AccountantError, Result};
use crate::event::{PrivacyEvent, check_delta, check_epsilon};
use crate::gaussian;
use crate::rdp::steps_rounded_up;
use crate::rounding::div_up;
use crate::special::log_expm1;

/// **Approximation, not a bound.** The central-limit-theorem Gaussian-DP accountant of Bu,
/// Dong, Long & Su (2020), "Deep learning with Gaussian differential privacy", as implemented
/// by Opacus 1.6.0's `GaussianAccountant` (`opacus/accountants/analysis/gdp.py`,
/// `compute_mu_poisson`): `T` steps of the Poisson-subsampled Gaussian are treated as
/// `μ`-GDP with `μ = q √(T (e^{1/σ²} − 1))`, and ε is the tight ε of that μ.
///
/// The CLT is only asymptotic: for finite `T`, and especially for small σ or large q, the
/// true ε can be **larger** than this value (in the reference vectors it falls below the PRV
/// *lower* bound in about half the cases). It is here to compare with other libraries only;
/// tabveil never uses it to enforce a budget, and calibration refuses it
/// ([`AccountantError::ApproximationNotAllowed`]).
///
/// Plain Gaussian events (and q = 1) go through the same formula, as in Opacus, which is
/// *not* the exact Gaussian value (use [`crate::PldAccountant`] for that). Heterogeneous
/// histories, which Opacus refuses, compose by adding μ² (the CLT's composition rule).
#[derive(Debug, Clone, Default)]
pub struct GdpAccountant {
    mu_squared: f64,
}

impl GdpAccountant {
    /// An accountant with nothing composed.
    pub fn new() -> Self {
        GdpAccountant::default()
    }

    /// The μ of the CLT approximation for everything composed so far.
    pub fn mu(&self) -> f64 {
        self.mu_squared.sqrt()
    }
}

impl Accountant for GdpAccountant {
    fn kind(&self) -> AccountantKind {
        AccountantKind::Gdp
    }

    /// Adds `q² T (e^{1/σ²} − 1)` to μ², in log space so that no intermediate underflows or
    /// overflows into a NaN (a σ so small that 1/σ² overflows gives μ = +∞, and then no finite
    /// ε; a σ so large that the term underflows adds 0).
    ///
    /// A discrete Gaussian release counts as a Gaussian one (its privacy is essentially the
    /// same: Canonne, Kamath & Steinke 2020). The exponential mechanism and Gaussian
    /// thresholding have no CLT form here: refused with
    /// [`AccountantError::UnsupportedEvent`], never skipped.
    fn compose(&mut self, event: &PrivacyEvent) -> Result<()> {
        let sigma = match (event, event.noise_multiplier()) {
            (
                PrivacyEvent::ExponentialMechanism { .. } | PrivacyEvent::GaussianThreshold { .. },
                _,
            )
            | (_, None) => {
                return Err(AccountantError::UnsupportedEvent {
                    accountant: AccountantKind::Gdp,
                    mechanism: event.mechanism_name(),
                    reason: "the central-limit approximation covers Gaussian noise only; use \
                             rdp or pld",
                });
            }
            (_, Some(sigma)) => sigma,
        };
        let q = event.sample_rate();
        let inverse_variance = div_up(div_up(1.0, sigma), sigma);
        let log_term =
            2.0 * q.ln() + steps_rounded_up(event.steps()).ln() + log_expm1(inverse_variance);
        self.mu_squared += log_term.exp();
        Ok(())
    }

    /// The CLT approximation of ε (may under-estimate the true ε).
    fn epsilon(&self, delta: f64) -> Result<f64> {
        check_delta(delta)?;
        let mu = self.mu();
        if !mu.is_finite() {
            return Err(AccountantError::EpsilonUnbounded {
                delta,
                accountant: AccountantKind::Gdp,
            });
        }
        gaussian::epsilon_unchecked(mu, delta, AccountantKind::Gdp)
    }

    /// The CLT approximation of δ(ε) (may under-estimate the true δ).
    fn delta(&self, epsilon: f64) -> Result<f64> {
        check_epsilon(epsilon)?;
        let mu = self.mu();
        if !mu.is_finite() {
            return Ok(1.0);
        }
        Ok(gaussian::delta_unchecked(mu, epsilon))
    }

    fn boxed_clone(&self) -> Box<dyn Accountant> {
        Box::new(self.clone())
    }
}
