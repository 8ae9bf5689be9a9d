//! Pearson's r and SDMetrics' `CorrelationSimilarity`.
//!
//! ```
//! use tabveil_eval::fidelity::{correlation_similarity, pearson};
//!
//! let x = [1.0, 2.0, 3.0, 4.0];
//! let y = [2.0, 4.0, 6.0, 8.0];
//! assert!((pearson(&x, &y).unwrap() - 1.0).abs() < 1e-12);
//!
//! // Real r = 1, synthetic r = −1: the score is 1 − |1 − (−1)| / 2 = 0.
//! let y_rev = [8.0, 6.0, 4.0, 2.0];
//! let pair = correlation_similarity((&x, &y), (&x, &y_rev), 0.0);
//! assert!(pair.score.unwrap().abs() < 1e-12);
//! ```

use serde::{Deserialize, Serialize};

/// The outcome of [`correlation_similarity`] for one pair of continuous columns.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CorrelationPair {
    /// 1 − |r_real − r_synthetic| / 2, or `None` when incomputable or when |r_real| does not
    /// exceed the threshold (SDMetrics: NaN).
    pub score: Option<f64>,
    /// Pearson's r of the real pair (rows where both values are present).
    pub real: Option<f64>,
    /// Pearson's r of the synthetic pair.
    pub synthetic: Option<f64>,
}

/// Pearson's correlation of the rows where both `x` and `y` are present (not NaN), computed as
/// SciPy's `pearsonr` does (centred, each side normalised, clipped to [−1, 1]). `None` when the
/// lengths differ, fewer than two rows remain, or either side is constant.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() {
        return None;
    }
    let pairs: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter(|(a, b)| !a.is_nan() && !b.is_nan())
        .map(|(a, b)| (*a, *b))
        .collect();
    pearson_complete(&pairs)
}

/// SDMetrics' `CorrelationSimilarity` (Pearson) with its `real_correlation_threshold`, as the
/// QualityReport calls it (threshold 0.5 there):
/// - a column that holds a single distinct value (missing values aside) in either table makes
///   the pair incomputable (SDMetrics raises `ConstantInputError`, reported as NaN);
/// - r is computed on the rows where both values are present;
/// - if |r_real| ≤ `real_correlation_threshold` the score is `None` (the pair does not count).
pub fn correlation_similarity(
    real: (&[f64], &[f64]),
    synthetic: (&[f64], &[f64]),
    real_correlation_threshold: f64,
) -> CorrelationPair {
    let none = CorrelationPair {
        score: None,
        real: None,
        synthetic: None,
    };
    if [real.0, real.1, synthetic.0, synthetic.1]
        .iter()
        .any(|c| has_single_distinct_value(c))
    {
        return none;
    }
    let Some(r_real) = pearson(real.0, real.1) else {
        return none;
    };
    if r_real.abs() <= real_correlation_threshold {
        return CorrelationPair {
            real: Some(r_real),
            ..none
        };
    }
    let r_synthetic = pearson(synthetic.0, synthetic.1);
    CorrelationPair {
        score: r_synthetic.map(|s| 1.0 - (r_real - s).abs() / 2.0),
        real: Some(r_real),
        synthetic: r_synthetic,
    }
}

/// pandas' `nunique() == 1`: exactly one distinct non-missing value.
fn has_single_distinct_value(x: &[f64]) -> bool {
    let mut present = x.iter().filter(|v| !v.is_nan());
    match present.next() {
        Some(first) => present.all(|v| v == first),
        None => false,
    }
}

fn pearson_complete(pairs: &[(f64, f64)]) -> Option<f64> {
    if pairs.len() < 2 {
        return None;
    }
    let (x0, y0) = pairs[0];
    if pairs.iter().all(|p| p.0 == x0) || pairs.iter().all(|p| p.1 == y0) {
        return None;
    }
    let n = pairs.len() as f64;
    let mean_x = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let norm_x = pairs
        .iter()
        .map(|p| (p.0 - mean_x).powi(2))
        .sum::<f64>()
        .sqrt();
    let norm_y = pairs
        .iter()
        .map(|p| (p.1 - mean_y).powi(2))
        .sum::<f64>()
        .sqrt();
    if norm_x == 0.0 || norm_y == 0.0 || !norm_x.is_finite() || !norm_y.is_finite() {
        return None;
    }
    let r: f64 = pairs
        .iter()
        .map(|p| ((p.0 - mean_x) / norm_x) * ((p.1 - mean_y) / norm_y))
        .sum();
    Some(r.clamp(-1.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn hand_checked_pearson() {
        // x = (1, 2, 3), y = (1, 3, 2): centred (−1, 0, 1)·(−1, 1, 0) = 1, norms √2 · √2 → r = ½.
        assert_abs_diff_eq!(
            pearson(&[1.0, 2.0, 3.0], &[1.0, 3.0, 2.0]).unwrap(),
            0.5,
            epsilon = 1e-15
        );
        // Missing values drop the whole row.
        assert_abs_diff_eq!(
            pearson(&[1.0, f64::NAN, 2.0, 3.0], &[1.0, 9.0, 3.0, 2.0]).unwrap(),
            0.5,
            epsilon = 1e-15
        );
        assert_eq!(pearson(&[1.0, 1.0], &[1.0, 2.0]), None);
        assert_eq!(pearson(&[1.0], &[1.0]), None);
    }

    #[test]
    fn weak_real_correlation_does_not_count() {
        let x = [1.0, 2.0, 3.0];
        let y = [1.0, 3.0, 2.0];
        let pair = correlation_similarity((&x, &y), (&x, &y), 0.5);
        assert_eq!(pair.score, None);
        assert_abs_diff_eq!(pair.real.unwrap(), 0.5, epsilon = 1e-15);
        let pair = correlation_similarity((&x, &y), (&x, &y), 0.4);
        assert_abs_diff_eq!(pair.score.unwrap(), 1.0, epsilon = 1e-15);
    }

    #[test]
    fn constant_column_is_incomputable() {
        let x = [1.0, 2.0, 3.0];
        let c = [5.0, 5.0, f64::NAN];
        let pair = correlation_similarity((&x, &x), (&x, &c), 0.0);
        assert_eq!(pair.score, None);
        assert_eq!(pair.real, None);
    }
}
