//! [`PrivacyRng::choose_log_weighted`]: the draw of an exponential mechanism — an index chosen
//! with probability proportional to exp(score).

use crate::error::{NoiseError, Result};
use crate::rng::PrivacyRng;

impl PrivacyRng {
    /// An index `i` drawn with probability exp(`log_weights[i]`) / Σⱼ exp(`log_weights[j]`):
    /// the sampling step of an exponential mechanism, whose caller sets
    /// `log_weights[i] = ε·score[i] / (2·Δ)` (or `ε·score[i] / Δ` for monotone scores).
    ///
    /// The weights are normalised by their largest entry, and the index is the inverse CDF at
    /// a uniform u = k / 2⁵³ built from 53 fair Bernoulli draws of this generator (each exactly
    /// ½), so no floating-point uniform is involved. Entries of −∞ have probability 0.
    ///
    /// ```
    /// use tabveil_noise::PrivacyRng;
    ///
    /// let mut rng = PrivacyRng::dangerous_seeded(1);
    /// let i = rng.choose_log_weighted(&[0.0, f64::NEG_INFINITY, 1.0])?;
    /// assert!(i == 0 || i == 2);
    /// # Ok::<(), tabveil_noise::NoiseError>(())
    /// ```
    ///
    /// # Errors
    /// [`NoiseError::InvalidWeights`] for an empty list, a NaN or +∞ entry, or no finite
    /// entry.
    pub fn choose_log_weighted(&mut self, log_weights: &[f64]) -> Result<usize> {
        if log_weights
            .iter()
            .any(|w| w.is_nan() || *w == f64::INFINITY)
        {
            return Err(NoiseError::InvalidWeights {
                reason: "a log-weight is NaN or +∞",
            });
        }
        let max = log_weights
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        if !max.is_finite() {
            return Err(NoiseError::InvalidWeights {
                reason: "no finite log-weight",
            });
        }
        let weights: Vec<f64> = log_weights.iter().map(|w| (w - max).exp()).collect();
        let sum: f64 = weights.iter().sum();
        let mut bits = 0u64;
        for _ in 0..53 {
            bits = (bits << 1) | u64::from(self.bernoulli(0.5)?);
        }
        let u = bits as f64 / (1u64 << 53) as f64 * sum;
        let mut acc = 0.0;
        for (i, w) in weights.iter().enumerate() {
            acc += w;
            if u < acc {
                return Ok(i);
            }
        }
        // Rounding left u at the very top: the last index of positive weight (the largest
        // entry has weight 1, so there is one).
        Ok(weights.iter().rposition(|&w| w > 0.0).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_follow_the_weights() {
        let mut rng = PrivacyRng::dangerous_seeded(3);
        let log_w = [0.0, 2f64.ln(), f64::NEG_INFINITY, 1f64.ln()];
        let n = 40_000;
        let mut counts = [0usize; 4];
        for _ in 0..n {
            counts[rng.choose_log_weighted(&log_w).unwrap()] += 1;
        }
        assert_eq!(counts[2], 0);
        // Expected shares 1/4, 1/2, 0, 1/4; 5 standard deviations of a binomial share.
        for (c, p) in counts.iter().zip([0.25, 0.5, 0.0, 0.25]) {
            let sd = (p * (1.0 - p) / n as f64).sqrt();
            assert!(
                (*c as f64 / n as f64 - p).abs() <= 5.0 * sd + 1e-12,
                "{counts:?}"
            );
        }
    }

    #[test]
    fn bad_weights_are_refused() {
        let mut rng = PrivacyRng::dangerous_seeded(3);
        for w in [
            vec![],
            vec![f64::NAN],
            vec![f64::INFINITY, 0.0],
            vec![f64::NEG_INFINITY],
        ] {
            assert!(matches!(
                rng.choose_log_weighted(&w),
                Err(NoiseError::InvalidWeights { .. })
            ));
        }
    }
}
