//! [`WeightedPoints`]: the 1-D data a mixture is fitted on.

use crate::error::TransformError;
use crate::error::{DataError, Result};

/// Weighted 1-D points, sorted by value, each with an *intrinsic variance*: 0 for an observed
/// value, `width²/12` for the centre of a histogram bin standing for values spread uniformly
/// over the bin. Fitting on the distinct values of a column with their counts is the same
/// computation as fitting on every row (up to the order of floating-point sums).
#[derive(Debug, Clone, PartialEq)]
pub struct WeightedPoints {
    pub(crate) x: Vec<f64>,
    pub(crate) w: Vec<f64>,
    pub(crate) v: Vec<f64>,
}

impl WeightedPoints {
    /// The distinct values of `values` with their multiplicities.
    ///
    /// # Errors
    /// [`crate::TransformError::NonFiniteMatrix`] if a value is NaN or infinite (index in `col`).
    pub fn from_values(values: &[f64]) -> Result<Self> {
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(DataError::Transform(TransformError::NonFiniteMatrix {
                row: i,
                col: 0,
            }));
        }
        let mut sorted = values.to_vec();
        sorted.sort_unstable_by(f64::total_cmp);
        let mut x: Vec<f64> = Vec::new();
        let mut w: Vec<f64> = Vec::new();
        for v in sorted {
            match x.last() {
                Some(&last) if last == v => {
                    if let Some(c) = w.last_mut() {
                        *c += 1.0;
                    }
                }
                _ => {
                    x.push(v);
                    w.push(1.0);
                }
            }
        }
        let v = vec![0.0; x.len()];
        Ok(WeightedPoints { x, w, v })
    }

    /// Points with explicit weights (≥ 0) and intrinsic variances (≥ 0); zero-weight points
    /// are dropped.
    ///
    /// # Errors
    /// [`crate::TransformError::InvalidParameter`] for lengths that differ or values that are negative or
    /// not finite.
    pub fn weighted(x: Vec<f64>, w: Vec<f64>, v: Vec<f64>) -> Result<Self> {
        if x.len() != w.len() || x.len() != v.len() {
            return Err(DataError::Transform(TransformError::InvalidParameter {
                parameter: "weighted points",
                value: format!("{} / {} / {}", x.len(), w.len(), v.len()),
                expected: "as many weights and variances as points",
            }));
        }
        let bad =
            |s: &[f64], nonneg: bool| s.iter().any(|a| !a.is_finite() || (nonneg && *a < 0.0));
        if bad(&x, false) || bad(&w, true) || bad(&v, true) {
            return Err(DataError::Transform(TransformError::InvalidParameter {
                parameter: "weighted points",
                value: "non-finite or negative".to_owned(),
                expected: "finite points, weights ≥ 0 and variances ≥ 0",
            }));
        }
        let mut idx: Vec<usize> = (0..x.len()).filter(|&i| w[i] > 0.0).collect();
        idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
        Ok(WeightedPoints {
            x: idx.iter().map(|&i| x[i]).collect(),
            w: idx.iter().map(|&i| w[i]).collect(),
            v: idx.iter().map(|&i| v[i]).collect(),
        })
    }

    /// Number of distinct points.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// True when there are no points.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Total weight (the number of rows for [`WeightedPoints::from_values`]).
    pub fn total_weight(&self) -> f64 {
        self.w.iter().sum()
    }

    /// Weighted mean.
    pub(crate) fn mean(&self) -> f64 {
        let t = self.total_weight();
        self.x.iter().zip(&self.w).map(|(x, w)| x * w).sum::<f64>() / t
    }

    /// Weighted variance with one degree of freedom removed (`np.cov` of the rows), counting
    /// the intrinsic variances; 0 when the total weight is ≤ 1.
    pub(crate) fn sample_variance(&self) -> f64 {
        let t = self.total_weight();
        if t <= 1.0 {
            return 0.0;
        }
        let m = self.mean();
        let ss: f64 = self
            .x
            .iter()
            .zip(&self.w)
            .zip(&self.v)
            .map(|((x, w), v)| w * ((x - m) * (x - m) + v))
            .sum();
        ss / (t - 1.0)
    }
}
