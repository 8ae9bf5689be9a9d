//! The two-sample Kolmogorov–Smirnov statistic and SDMetrics' `KSComplement`.
//!
//! ```
//! use tabveil_eval::fidelity::{ks_complement, ks_statistic};
//!
//! // Empirical CDFs of {1, 2, 3} and {2, 3, 4} differ by at most 1/3.
//! assert!((ks_statistic(&[1.0, 2.0, 3.0], &[2.0, 3.0, 4.0]).unwrap() - 1.0 / 3.0).abs() < 1e-12);
//! // Missing values (NaN) are dropped first, as SDMetrics does.
//! assert_eq!(ks_complement(&[1.0, f64::NAN], &[1.0]), Some(1.0));
//! assert_eq!(ks_complement(&[f64::NAN], &[1.0]), None);
//! ```

use std::cmp::Ordering;

/// The two-sample Kolmogorov–Smirnov statistic D = sup |F₁(x) − F₂(x)| of two samples of
/// non-missing values, or `None` if either sample is empty. NaN values are ignored.
pub fn ks_statistic(a: &[f64], b: &[f64]) -> Option<f64> {
    let a = sorted_present(a);
    let b = sorted_present(b);
    ks_sorted(&a, &b)
}

/// SDMetrics' `KSComplement`: 1 − D after dropping missing values and rounding every value to
/// 14 decimals (`sys.float_info.dig − 1`), as SDMetrics 0.32 does. `None` (SDMetrics: NaN) when
/// either column has no value left.
pub fn ks_complement(real: &[f64], synthetic: &[f64]) -> Option<f64> {
    let a = rounded_sorted(real);
    let b = rounded_sorted(synthetic);
    ks_sorted(&a, &b).map(|d| 1.0 - d)
}

/// D of two sorted samples without NaN.
pub(crate) fn ks_sorted(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let (n, m) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut d: f64 = 0.0;
    while i < a.len() && j < b.len() {
        // Step both CDFs past every copy of the smallest pending value.
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    Some(d)
}

/// The non-NaN values of `x`, sorted.
pub(crate) fn sorted_present(x: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = x.iter().copied().filter(|v| !v.is_nan()).collect();
    v.sort_unstable_by(|p, q| p.partial_cmp(q).unwrap_or(Ordering::Equal));
    v
}

/// numpy's `round(x, 14)`: `rint(x · 10¹⁴) / 10¹⁴` (ties to even).
pub(crate) fn round14(x: f64) -> f64 {
    const SCALE: f64 = 1e14;
    let y = (x * SCALE).round_ties_even() / SCALE;
    // numpy keeps x when x · 10¹⁴ overflows to ±inf.
    if y.is_finite() { y } else { x }
}

fn rounded_sorted(x: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = x
        .iter()
        .copied()
        .filter(|v| !v.is_nan())
        .map(round14)
        .collect();
    v.sort_unstable_by(|p, q| p.partial_cmp(q).unwrap_or(Ordering::Equal));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn hand_checked_statistics() {
        // Disjoint supports: D = 1.
        assert_eq!(ks_statistic(&[1.0, 2.0], &[3.0, 4.0]), Some(1.0));
        // Identical samples: D = 0.
        assert_eq!(ks_statistic(&[1.0, 2.0, 2.0], &[2.0, 1.0, 2.0]), Some(0.0));
        // Ties across samples: F_a(1) = 1/2, F_b(1) = 1/4 → 1/4; F_a(2) = 1, F_b(2) = 1/2 → 1/2.
        let d = ks_statistic(&[1.0, 2.0], &[1.0, 2.0, 3.0, 3.0]).unwrap();
        assert_abs_diff_eq!(d, 0.5, epsilon = 1e-15);
        assert_eq!(ks_statistic(&[], &[1.0]), None);
    }

    #[test]
    fn complement_drops_missing_values() {
        let real = [1.0, f64::NAN, 2.0];
        let synthetic = [f64::NAN, 1.0, 2.0];
        assert_eq!(ks_complement(&real, &synthetic), Some(1.0));
    }

    #[test]
    fn rounding_merges_values_closer_than_1e_minus_14() {
        assert_eq!(ks_complement(&[0.1 + 0.2], &[0.3]), Some(1.0));
        assert_eq!(ks_statistic(&[0.1 + 0.2], &[0.3]), Some(1.0));
    }
}
