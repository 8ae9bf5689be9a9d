//! Two-sample statistics reported per column beside the SDMetrics scores: the chi-square test
//! of homogeneity (discrete columns) and the Wasserstein-1 distance (continuous columns).
//!
//! ```
//! use tabveil_eval::fidelity::{chi_square, wasserstein1};
//!
//! // Moving every unit of mass by 1: W₁ = 1.
//! assert!((wasserstein1(&[0.0, 1.0], &[1.0, 2.0]).unwrap() - 1.0).abs() < 1e-12);
//!
//! let test = chi_square(&[Some(0), Some(1)], &[Some(0), Some(1)], 2).unwrap();
//! assert_eq!(test.statistic, 0.0);
//! assert!((test.p_value - 1.0).abs() < 1e-12);
//! ```

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::ks::sorted_present;

/// Result of the chi-square test of homogeneity between the real and synthetic category counts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChiSquareTest {
    /// Pearson's statistic Σ (O − E)² / E over the 2 × k table (real, synthetic) × categories.
    pub statistic: f64,
    /// Degrees of freedom: (number of categories present in either table) − 1.
    pub degrees_of_freedom: usize,
    /// P(χ² ≥ statistic) under homogeneity. With tens of thousands of rows any real difference
    /// is "significant": read the statistic and the TV score, not only the p-value.
    pub p_value: f64,
}

/// Chi-square test of homogeneity of two discrete samples over `n_categories` declared codes
/// (missing values dropped; codes ≥ `n_categories` ignored). Categories absent from both samples
/// are left out. `None` when either sample is empty after dropping missing values or fewer than
/// two categories occur.
pub fn chi_square(
    real: &[Option<u32>],
    synthetic: &[Option<u32>],
    n_categories: usize,
) -> Option<ChiSquareTest> {
    let count = |codes: &[Option<u32>]| {
        let mut counts = vec![0.0f64; n_categories];
        for code in codes.iter().flatten() {
            if let Some(c) = counts.get_mut(*code as usize) {
                *c += 1.0;
            }
        }
        counts
    };
    let (r, s) = (count(real), count(synthetic));
    let (nr, ns): (f64, f64) = (r.iter().sum(), s.iter().sum());
    if nr == 0.0 || ns == 0.0 {
        return None;
    }
    let n = nr + ns;
    let mut statistic = 0.0;
    let mut categories = 0usize;
    for (&a, &b) in r.iter().zip(&s) {
        let total = a + b;
        if total == 0.0 {
            continue;
        }
        categories += 1;
        let (ea, eb) = (total * nr / n, total * ns / n);
        statistic += (a - ea).powi(2) / ea + (b - eb).powi(2) / eb;
    }
    if categories < 2 {
        return None;
    }
    let degrees_of_freedom = categories - 1;
    let p_value = ChiSquared::new(degrees_of_freedom as f64)
        .ok()
        .map(|d| d.sf(statistic))?;
    Some(ChiSquareTest {
        statistic,
        degrees_of_freedom,
        p_value,
    })
}

/// Wasserstein-1 (earth mover's) distance between the empirical distributions of two samples,
/// ∫ |F₁(x) − F₂(x)| dx, in the column's own unit (seconds for datetimes). NaN values are
/// dropped; `None` when either sample is then empty.
pub fn wasserstein1(a: &[f64], b: &[f64]) -> Option<f64> {
    let a = sorted_present(a);
    let b = sorted_present(b);
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let (n, m) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut x = a[0].min(b[0]);
    let mut total = 0.0;
    while i < a.len() || j < b.len() {
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        let next = match (a.get(i), b.get(j)) {
            (Some(&p), Some(&q)) => p.min(q),
            (Some(&p), None) => p,
            (None, Some(&q)) => q,
            (None, None) => break,
        };
        total += (i as f64 / n - j as f64 / m).abs() * (next - x);
        x = next;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn wasserstein_hand_checked() {
        assert_abs_diff_eq!(wasserstein1(&[0.0], &[3.0]).unwrap(), 3.0, epsilon = 1e-15);
        // {0, 2} vs {1}: ∫|F₁ − F₂| = ½·1 + ½·1 = 1.
        assert_abs_diff_eq!(
            wasserstein1(&[0.0, 2.0], &[1.0]).unwrap(),
            1.0,
            epsilon = 1e-15
        );
        assert_abs_diff_eq!(
            wasserstein1(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).unwrap(),
            0.0,
            epsilon = 1e-15
        );
        assert_eq!(wasserstein1(&[f64::NAN], &[1.0]), None);
    }

    #[test]
    fn chi_square_hand_checked() {
        // Real (10, 0), synthetic (0, 10): E = 5 everywhere, χ² = 4 · 25 / 5 = 20, dof 1.
        let real = vec![Some(0); 10];
        let synthetic = vec![Some(1); 10];
        let test = chi_square(&real, &synthetic, 2).unwrap();
        assert_abs_diff_eq!(test.statistic, 20.0, epsilon = 1e-12);
        assert_eq!(test.degrees_of_freedom, 1);
        // P(χ²₁ ≥ 20) = erfc(√10) ≈ 7.744216e-6.
        assert_abs_diff_eq!(test.p_value, 7.744_216_431_044_1e-6, epsilon = 1e-12);
        assert_eq!(chi_square(&[Some(0)], &[Some(0)], 2), None);
    }
}
