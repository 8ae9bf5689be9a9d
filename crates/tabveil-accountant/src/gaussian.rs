//! μ-Gaussian differential privacy: the exact privacy profile of Gaussian mechanisms.
//!
//! ```
//! use tabveil_accountant::GaussianDp;
//!
//! // Three Gaussian releases with noise multipliers 10, 10 and 5 compose to one with
//! // μ = √(1/100 + 1/100 + 1/25).
//! let mu = GaussianDp::from_noise_multipliers(&[(10.0, 2), (5.0, 1)])?;
//! assert!((mu.mu() - 0.06_f64.sqrt()).abs() < 1e-15);
//! let eps = mu.epsilon(1e-5)?;
//! assert!(mu.delta(eps)? <= 1e-5);
//! # Ok::<(), tabveil_accountant::AccountantError>(())
//! ```

use crate::accountant::AccountantKind;
use crate::error::{AccountantError, Result};
use crate::event::{check_delta, check_epsilon, check_noise_multiplier};
use crate::rdp::round_up_ulps;
use crate::root::{Bracket, brent};
use crate::rounding::{add_up, div_up};
use crate::special::{log_norm_cdf, norm_cdf};

/// A μ-GDP guarantee (Dong, Roth & Su 2022, "Gaussian differential privacy"): distinguishing
/// neighbours is at least as hard as telling `N(0, 1)` from `N(μ, 1)`.
///
/// The Gaussian mechanism with noise multiplier σ (L2 sensitivity 1) is exactly `1/σ`-GDP,
/// under add/remove-one as under any relation where the sensitivity is 1, and `k` adaptive
/// compositions of `μ_i`-GDP mechanisms are exactly `√(Σ μ_i²)`-GDP (Dong et al., Corollary
/// 3.3). So a history of plain Gaussian mechanisms has an exact (ε, δ) profile, given by
/// [`GaussianDp::delta`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaussianDp {
    mu: f64,
}

impl GaussianDp {
    /// A μ-GDP guarantee. μ = +∞ is allowed and means no privacy at all (δ(ε) = 1 for every
    /// ε, so [`GaussianDp::epsilon`] reports that no finite ε holds): it is what composing a
    /// noise multiplier too small for `f64` (1/σ² overflows) gives.
    ///
    /// # Errors
    /// [`AccountantError::Numerical`] unless μ ≥ 0 (NaN included).
    pub fn new(mu: f64) -> Result<Self> {
        if mu >= 0.0 {
            Ok(GaussianDp { mu })
        } else {
            Err(AccountantError::Numerical {
                what: "μ of a Gaussian-DP guarantee must be ≥ 0",
            })
        }
    }

    /// The composition of Gaussian mechanisms given as `(noise multiplier, count)` pairs:
    /// `μ = √(Σ count / σ²)`, rounded up (+∞ when it overflows: no privacy).
    ///
    /// # Errors
    /// [`AccountantError::InvalidNoiseMultiplier`] for an invalid σ.
    pub fn from_noise_multipliers(mechanisms: &[(f64, u64)]) -> Result<Self> {
        let mut mu_squared = 0.0;
        for &(sigma, count) in mechanisms {
            check_noise_multiplier(sigma)?;
            mu_squared = add_up(mu_squared, mu_squared_of(sigma, count));
        }
        GaussianDp::new(mu_from_squared(mu_squared))
    }

    /// μ.
    pub fn mu(&self) -> f64 {
        self.mu
    }

    /// The exact δ(ε) of a μ-GDP mechanism: `Φ(−ε/μ + μ/2) − e^ε Φ(−ε/μ − μ/2)` (Balle & Wang
    /// 2018, "Improving the Gaussian mechanism", Theorem 8; Dong et al. 2022, Corollary 2.13),
    /// computed with the second term in log space so it never overflows, plus a bound on its
    /// floating-point error: never below the exact value (the two terms can cancel to nothing
    /// in `f64`, e.g. for tiny μ, and then the bound is what remains). 1 for μ = +∞.
    ///
    /// # Errors
    /// [`AccountantError::InvalidEpsilon`] unless ε is finite and ≥ 0.
    pub fn delta(&self, epsilon: f64) -> Result<f64> {
        check_epsilon(epsilon)?;
        Ok(delta_unchecked(self.mu, epsilon))
    }

    /// The smallest ε with `δ(ε) ≤ delta`: exact up to the root finder's 1e-14 relative
    /// tolerance and the error bound of [`GaussianDp::delta`], and always on the safe side
    /// (`delta(ε) ≤ delta`). 0 when `δ(0) ≤ delta`.
    ///
    /// # Errors
    /// [`AccountantError::InvalidDelta`] unless δ ∈ (0, 1);
    /// [`AccountantError::EpsilonUnbounded`] for μ = +∞.
    pub fn epsilon(&self, delta: f64) -> Result<f64> {
        check_delta(delta)?;
        epsilon_unchecked(self.mu, delta, AccountantKind::Pld)
    }
}

/// `count/σ²` rounded up (+∞ when it overflows).
pub(crate) fn mu_squared_of(sigma: f64, count: u64) -> f64 {
    div_up(div_up(crate::rdp::steps_rounded_up(count), sigma), sigma)
}

/// `√(μ²)` rounded up.
pub(crate) fn mu_from_squared(mu_squared: f64) -> f64 {
    round_up_ulps(mu_squared.sqrt(), 1)
}

/// δ(ε) of μ-GDP, never below the exact value; 0 for μ = 0, 1 for μ = +∞.
///
/// Error model: `erfc`, `exp`, `ln` within 2 ulps, each arithmetic operation within half an
/// ulp. With `a = −ε/μ + μ/2` and `b = a − μ` computed to `|Δa|, |Δb| ≤ 2u(|ε/μ| + |a|)` (u
/// the unit roundoff), `Φ(a)` is within `3u + (|a| + 1)|Δa|` relative (φ(x)/Φ(x) ≤ |x| + 1)
/// and `e^ε Φ(b) = exp(ε + ln Φ(b))` within `3u + 4u(|ε| + |ln Φ(b)|) + (|b| + 1)|Δb|`.
/// Twice the sum of both absolute errors is added to the difference.
pub(crate) fn delta_unchecked(mu: f64, epsilon: f64) -> f64 {
    if mu == 0.0 {
        return 0.0;
    }
    if mu == f64::INFINITY {
        return 1.0;
    }
    let u = f64::EPSILON;
    let ratio = epsilon / mu;
    let a = -ratio + mu / 2.0;
    let b = -ratio - mu / 2.0;
    let first = norm_cdf(a);
    let log_phi_b = log_norm_cdf(b);
    let second = (epsilon + log_phi_b).exp();
    let da = 2.0 * u * (ratio + a.abs());
    let db = 2.0 * u * (ratio + b.abs());
    let rel_first = 3.0 * u + (a.abs() + 1.0) * da;
    let rel_second = 3.0 * u + 4.0 * u * (epsilon + log_phi_b.abs()) + (b.abs() + 1.0) * db;
    // (An underflowed term contributes no error; guard 0 · ∞.)
    let error = 2.0
        * ((if first > 0.0 { first * rel_first } else { 0.0 })
            + (if second > 0.0 {
                second * rel_second
            } else {
                0.0
            }));
    let delta = (first - second).max(0.0) + error;
    if delta > 0.0 {
        delta.next_up().min(1.0)
    } else {
        // Both terms underflowed: δ is below the smallest double.
        f64::from_bits(1)
    }
}

/// The smallest ε with δ(ε) ≤ `delta` for μ-GDP (safe side of the root).
pub(crate) fn epsilon_unchecked(mu: f64, delta: f64, accountant: AccountantKind) -> Result<f64> {
    if mu.is_nan() || mu == f64::INFINITY {
        return Err(AccountantError::EpsilonUnbounded { delta, accountant });
    }
    if mu == 0.0 || delta_unchecked(mu, 0.0) <= delta {
        return Ok(0.0);
    }
    let log_target = delta.ln();
    // g(ε) = ln δ(ε) − ln δ_target is decreasing; bracket the root from above.
    // The sign of g is that of δ(ε) − δ_target exactly (ln may round two close values equal).
    let g = |eps: f64| -> Result<f64> {
        let d = delta_unchecked(mu, eps);
        let g = d.ln() - log_target;
        Ok(if d > delta {
            g.max(f64::MIN_POSITIVE)
        } else {
            g.min(0.0)
        })
    };
    // ε(δ) ≤ μ²/2 + μ·Φ⁻¹(1 − δ) and Φ⁻¹(1 − δ) < 39 for every δ ≥ 5e-324: an upper end
    // from which doubling is rarely needed, and which scales with μ (a fixed end at 1 leaves
    // Brent hundreds of bisections for μ ≈ 1e-150).
    let mut hi = 0.5 * mu * mu + 40.0 * mu;
    if !hi.is_finite() {
        // ε ≈ μ²/2 exceeds the largest double.
        return Err(AccountantError::EpsilonUnbounded { delta, accountant });
    }
    let mut g_hi = g(hi)?;
    while g_hi > 0.0 {
        hi *= 2.0;
        if !hi.is_finite() {
            return Err(AccountantError::EpsilonUnbounded { delta, accountant });
        }
        g_hi = g(hi)?;
    }
    let g_lo = g(0.0)?;
    let bracket = brent(
        g,
        Bracket {
            lo: 0.0,
            f_lo: g_lo,
            hi,
            f_hi: g_hi,
        },
        1e-14,
        1e-300,
    )?;
    // δ(ε) ≤ δ_target was evaluated (with its error bound) at this end: no rounding needed.
    let (eps, _) = bracket.non_positive_end();
    Ok(eps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    #[test]
    fn matches_mpmath_values() {
        // `exact_gaussian` of cases 304, 309 and 314 of tests/data/accountant_reference.json
        // (mpmath, 50 digits).
        for (sigma, steps, delta, want) in [
            (0.5, 1, 1e-5, 9.997_256_146_434_3),
            (2.0, 1, 1e-6, 2.254_084_650_219_741),
            (50.0, 1, 1e-5, 0.058_632_255_306_096_163),
        ] {
            let g = GaussianDp::from_noise_multipliers(&[(sigma, steps)]).unwrap();
            let got = g.epsilon(delta).unwrap();
            assert!(rel(got, want) < 1e-12, "σ={sigma}: {got} vs {want}");
            assert!(g.delta(got).unwrap() <= delta);
        }
    }

    #[test]
    fn huge_mu_does_not_overflow() {
        let g = GaussianDp::new(700.0).unwrap();
        let eps = g.epsilon(1e-5).unwrap();
        assert!(eps.is_finite() && eps > 0.5 * 700.0 * 700.0);
        assert!(g.delta(eps).unwrap() <= 1e-5);
    }

    #[test]
    fn zero_mu_spends_nothing() {
        let g = GaussianDp::new(0.0).unwrap();
        assert_eq!(g.epsilon(1e-9).unwrap(), 0.0);
        assert_eq!(g.delta(0.0).unwrap(), 0.0);
        assert!(GaussianDp::new(f64::NAN).is_err());
    }
}
