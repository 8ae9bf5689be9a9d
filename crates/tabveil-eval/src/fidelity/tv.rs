//! SDMetrics' `TVComplement`: one minus the total variation distance of two discrete columns.
//!
//! ```
//! use tabveil_eval::fidelity::tv_complement;
//!
//! let real = [Some(0), Some(0), Some(1), None];
//! let synthetic = [Some(0), Some(1), Some(1), Some(1)];
//! // Real (missing dropped): 2/3, 1/3. Synthetic: 1/4, 3/4. TV = (5/12 + 5/12) / 2.
//! let score = tv_complement(&real, &synthetic).unwrap();
//! assert!((score - (1.0 - 5.0 / 12.0)).abs() < 1e-12);
//! ```

use std::collections::BTreeMap;

/// Regularisation SDMetrics adds to the real count of a value seen only in the synthetic column.
const UNSEEN_REAL_COUNT: f64 = 1e-6;

/// SDMetrics' `TVComplement`: 1 − ½ Σ |f_synthetic(v) − f_real(v)| over the values of either
/// column, missing values (`None`) dropped first. As in SDMetrics 0.32, a value seen only in the
/// synthetic column gets a real count of 10⁻⁶ (which also enters the real total). `None`
/// (SDMetrics: an incomputable-metric error, reported as NaN) when either column has no value.
pub fn tv_complement(real: &[Option<u32>], synthetic: &[Option<u32>]) -> Option<f64> {
    let real_counts = counts(real);
    let synthetic_counts = counts(synthetic);
    let n_synthetic: f64 = synthetic_counts.values().sum();
    if real_counts.is_empty() || synthetic_counts.is_empty() {
        return None;
    }
    let unseen = synthetic_counts
        .keys()
        .filter(|v| !real_counts.contains_key(v))
        .count();
    let n_real: f64 = real_counts.values().sum::<f64>() + unseen as f64 * UNSEEN_REAL_COUNT;
    let mut total_variation = 0.0;
    for (value, &count) in &real_counts {
        let observed = synthetic_counts.get(value).copied().unwrap_or(0.0) / n_synthetic;
        total_variation += (observed - count / n_real).abs();
    }
    for (value, &count) in &synthetic_counts {
        if !real_counts.contains_key(value) {
            total_variation += (count / n_synthetic - UNSEEN_REAL_COUNT / n_real).abs();
        }
    }
    // Rounding can push the total variation a hair past 1.
    Some((1.0 - 0.5 * total_variation).clamp(0.0, 1.0))
}

fn counts(codes: &[Option<u32>]) -> BTreeMap<u32, f64> {
    let mut map = BTreeMap::new();
    for code in codes.iter().flatten() {
        *map.entry(*code).or_insert(0.0) += 1.0;
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn identical_distributions_score_one() {
        let a = [Some(1), Some(2), Some(2)];
        let b = [Some(2), Some(1), Some(2)];
        assert_abs_diff_eq!(tv_complement(&a, &b).unwrap(), 1.0, epsilon = 1e-15);
    }

    #[test]
    fn disjoint_supports_score_almost_zero() {
        // Synthetic-only value 1 gets a real count of 1e-6: TV = ½(|0 − 1| + |1 − 1e-6/(1+1e-6)|…).
        let score = tv_complement(&[Some(0)], &[Some(1)]).unwrap();
        let n_real: f64 = 1.0 + 1e-6;
        let expected = 1.0 - 0.5 * ((0.0 - 1.0 / n_real).abs() + (1.0 - 1e-6 / n_real).abs());
        assert_abs_diff_eq!(score, expected, epsilon = 1e-15);
        assert!(score < 1e-5);
    }

    #[test]
    fn empty_after_dropping_missing_is_incomputable() {
        assert_eq!(tv_complement(&[None, None], &[Some(0)]), None);
        assert_eq!(tv_complement(&[Some(0)], &[]), None);
    }
}
