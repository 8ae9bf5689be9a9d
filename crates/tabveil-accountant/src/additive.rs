//! The additive δ of Gaussian thresholding (partition selection), composed over a history.
//!
//! **What it bounds.** Gaussian thresholding with noise σ and threshold τ (one candidate value
//! per row, L2 sensitivity 1) releases, on neighbouring tables, either the same candidates with
//! Gaussian-noised counts (the row's value exists in both: the Gaussian mechanism, post-
//! processed), or — when the row's value exists only with the row — an extra candidate with
//! probability `δ_τ = P[1 + N(0, σ²) > τ] = Φ((1 − τ)/σ)`, the rest identical. Desfontaines,
//! Voss, Gipson & Mandayam (2022), "Differentially private partition selection" (PoPETs), and
//! Google's `GaussianPartitionSelection` (differential-privacy `cc/algorithms/
//! partition-selection.h`, `common_docs/Delta_For_Thresholding.pdf`) state the single-run
//! guarantee `δ(ε) = δ_Gaussian(ε) + δ_τ`.
//!
//! For a history with `k` such runs and anything else composed: write each run's output
//! distribution with the row as `(1 − δ_τ)·(without the row) + δ_τ·C` in the second case. Then
//! the composed distribution is at least `Γ·H` as a measure, with `Γ = Π(1 − δ_τ,i)` and `H`
//! the history where those runs are replaced by their Gaussian part, and `H` is within total
//! variation `1 − Γ` of the real one. Both directions of the hockey-stick divergence follow:
//! `δ(ε) ≤ δ_rest(ε) + (1 − Γ)` for every ε ≥ 0, where `δ_rest` is the accountant's bound for
//! everything else with each threshold run counted as its Gaussian part. So ε at δ is
//! `ε_rest(δ − (1 − Γ))`, and no ε can be certified when `1 − Γ ≥ δ`. (`1 − Γ ≤ Σ δ_τ,i`, the
//! union bound, is what the brief of issue 16 states; the product form is exact for the
//! coupling and never larger.)

use crate::error::{AccountantError, Result};
use crate::event::PrivacyEvent;
use crate::special::log_norm_cdf;

/// `1 − Π (1 − δ_τ,i)^{count_i}` over the Gaussian threshold runs composed so far, kept as
/// `ln Π(1 − δ_τ)^{count}` (rounded down, so the δ derived from it is an upper bound).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct AdditiveDelta {
    log_keep: f64,
}

impl AdditiveDelta {
    /// Adds the additive δ of `event` (a no-op for everything but Gaussian thresholding).
    pub(crate) fn compose_event(&mut self, event: &PrivacyEvent) {
        if let PrivacyEvent::GaussianThreshold {
            noise_multiplier,
            threshold,
            count,
        } = *event
        {
            self.compose(noise_multiplier, threshold, count);
        }
    }

    /// Adds `count` runs of Gaussian thresholding with noise σ and threshold τ.
    pub(crate) fn compose(&mut self, sigma: f64, threshold: f64, count: u64) {
        let log_delta = threshold_log_delta(sigma, threshold);
        // ln(1 − δ_τ), rounded down: ln_1p is within an ulp, δ_τ was rounded up.
        let per_run = (-log_delta.exp()).ln_1p();
        let per_run = per_run - 4.0 * f64::EPSILON * per_run.abs();
        let total = crate::rdp::steps_rounded_up(count) * per_run;
        self.log_keep += total - 4.0 * f64::EPSILON * total.abs();
        self.log_keep = self.log_keep.next_down();
    }

    /// The additive δ, `1 − Γ`, rounded up (0 when nothing was composed).
    pub(crate) fn value(&self) -> f64 {
        if self.log_keep == 0.0 {
            return 0.0;
        }
        let d = -self.log_keep.exp_m1();
        (d + 4.0 * f64::EPSILON * d).next_up().min(1.0)
    }

    /// The δ left for the rest of the history when `delta` is asked for, rounded down.
    ///
    /// # Errors
    /// [`AccountantError::AdditiveDeltaTooLarge`] when the additive δ is not below `delta`.
    pub(crate) fn remaining(&self, delta: f64) -> Result<f64> {
        let additive = self.value();
        if additive == 0.0 {
            return Ok(delta);
        }
        let rest = delta - additive;
        // Subtraction is exact or rounds to nearest; step down to stay on the safe side.
        let rest = if rest + additive == delta && delta - rest == additive {
            rest
        } else {
            rest.next_down()
        };
        if rest > 0.0 {
            Ok(rest)
        } else {
            Err(AccountantError::AdditiveDeltaTooLarge { delta, additive })
        }
    }

    /// `delta_rest + additive`, rounded up and capped at 1.
    pub(crate) fn add_to(&self, delta_rest: f64) -> f64 {
        let additive = self.value();
        if additive == 0.0 {
            return delta_rest;
        }
        crate::rounding::add_up(delta_rest, additive).min(1.0)
    }
}

/// `ln δ_τ` for one run, `δ_τ = Φ((1 − τ)/σ)`, rounded up (log-space, so thresholds far in the
/// tail keep their relative accuracy).
pub(crate) fn threshold_log_delta(sigma: f64, threshold: f64) -> f64 {
    let z = (1.0 - threshold) / sigma;
    // |Δz| ≤ 2u(|z| + ...); ln Φ changes by at most (|z| + 1)|Δz| (φ/Φ ≤ |z| + 1).
    let dz = 2.0 * f64::EPSILON * (z.abs() + 1.0 / sigma);
    let log_phi = log_norm_cdf(z);
    (log_phi + (z.abs() + 1.0) * dz + 4.0 * f64::EPSILON * log_phi.abs())
        .next_up()
        .min(0.0)
}

/// `δ_τ = P[1 + N(0, σ²) > τ]` for one run of Gaussian thresholding, rounded up.
///
/// ```
/// // τ = 1 + 5σ: a value held by one row is released with probability Φ(−5) ≈ 2.9e-7.
/// let d = tabveil_accountant::gaussian_threshold_delta(2.0, 11.0);
/// assert!((d - 2.866_515_718_791_939e-7).abs() < 1e-15);
/// ```
pub fn gaussian_threshold_delta(noise_multiplier: f64, threshold: f64) -> f64 {
    threshold_log_delta(noise_multiplier, threshold)
        .exp()
        .next_up()
        .min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composes_as_one_minus_the_product_of_survivals() {
        let mut a = AdditiveDelta::default();
        assert_eq!(a.value(), 0.0);
        assert_eq!(a.remaining(1e-6).unwrap(), 1e-6);
        a.compose(1.0, 6.0, 3);
        let d = gaussian_threshold_delta(1.0, 6.0);
        // scipy: norm.sf(5) = 2.866515718791939e-07.
        assert!((d - 2.866_515_718_791_939e-7).abs() < 1e-18);
        // 1 − (1 − d)³ without cancellation; its own error is a few ulps.
        let want = -(3.0 * (-d).ln_1p()).exp_m1();
        assert!(a.value() >= want * (1.0 - 8.0 * f64::EPSILON));
        assert!(a.value() < want * (1.0 + 1e-12));
        assert!(a.remaining(1e-6).unwrap() <= 1e-6 - want);
        assert!(matches!(
            a.remaining(8e-7),
            Err(AccountantError::AdditiveDeltaTooLarge { .. })
        ));
        assert!(a.add_to(1e-7) >= 1e-7 + want);
    }
}
