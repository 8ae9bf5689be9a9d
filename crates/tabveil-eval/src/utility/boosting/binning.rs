//! Feature binning: every feature value becomes a bin index (`u8`), found once from the training
//! features and applied to any table with the same columns.
//!
//! Per feature, as scikit-learn's `_BinMapper` does it (without its 200 000-row subsample): with
//! at most [`MAX_BINS`] distinct non-missing values, the thresholds are the midpoints between
//! consecutive distinct values; with more, they are the quantiles at k / [`MAX_BINS`],
//! k = 1 … [`MAX_BINS`] − 1, by NumPy's `midpoint` method. A value `x` falls in the first bin `b`
//! with `x ≤ threshold[b]` (the last bin if none); a missing value (NaN) in bin
//! [`MISSING_BIN`].

use super::{Features, MAX_BINS};

/// The bin of missing values, after every bin of non-missing values.
pub(super) const MISSING_BIN: u8 = MAX_BINS as u8;

/// Bins per feature, including the missing-value bin.
pub(super) const N_BINS: usize = MAX_BINS + 1;

/// Thresholds per feature, found on the training features.
#[derive(Debug, Clone)]
pub(super) struct BinMapper {
    /// Ascending thresholds of each feature (at most [`MAX_BINS`] − 1).
    thresholds: Vec<Vec<f64>>,
    /// Whether the training values of each feature had a missing value.
    has_missing: Vec<bool>,
}

/// Bin indices, column-major.
#[derive(Debug, Clone)]
pub(super) struct Binned {
    pub n_rows: usize,
    /// One vector of `n_rows` bin indices per feature.
    pub columns: Vec<Vec<u8>>,
}

impl BinMapper {
    /// Finds the thresholds of every column of `features`.
    pub fn fit(features: &Features) -> Self {
        let (thresholds, has_missing) = (0..features.n_columns)
            .map(|j| {
                let column = features.column(j);
                // ±∞ count as ±f64::MAX, so midpoints stay numbers.
                let mut values: Vec<f64> = column
                    .iter()
                    .filter(|v| !v.is_nan())
                    .map(|v| v.clamp(-f64::MAX, f64::MAX))
                    .collect();
                let has_missing = values.len() < column.len();
                values.sort_by(f64::total_cmp);
                (thresholds(&values), has_missing)
            })
            .unzip();
        Self {
            thresholds,
            has_missing,
        }
    }

    /// The bins of every value of `features` (the columns the mapper was fitted on).
    pub fn transform(&self, features: &Features) -> Binned {
        let columns = self
            .thresholds
            .iter()
            .enumerate()
            .map(|(j, thresholds)| {
                features
                    .column(j)
                    .iter()
                    .map(|&v| bin_of(thresholds, v))
                    .collect()
            })
            .collect();
        Binned {
            n_rows: features.n_rows,
            columns,
        }
    }

    /// Bins of non-missing values of feature `j` (thresholds + 1).
    pub fn n_value_bins(&self, j: usize) -> usize {
        self.thresholds[j].len() + 1
    }

    /// Whether the training values of feature `j` had a missing value.
    pub fn has_missing(&self, j: usize) -> bool {
        self.has_missing[j]
    }
}

/// The thresholds of one feature from its sorted non-missing values.
fn thresholds(sorted: &[f64]) -> Vec<f64> {
    let mut distinct = sorted.to_vec();
    distinct.dedup();
    let mut out: Vec<f64> = if distinct.len() <= MAX_BINS {
        distinct.windows(2).map(|w| (w[0] + w[1]) * 0.5).collect()
    } else {
        // NumPy's `percentile(values, linspace(0, 100, MAX_BINS + 1)[1:-1], method="midpoint")`:
        // at virtual index q·(n − 1), the value there when the index is whole, else the midpoint
        // of its two neighbours.
        let last = (sorted.len() - 1) as f64;
        (1..MAX_BINS)
            .map(|k| {
                let percentile = k as f64 * (100.0 / MAX_BINS as f64);
                let index = percentile / 100.0 * last;
                let lo = index.floor();
                let (a, b) = (sorted[lo as usize], sorted[index.ceil() as usize]);
                if index == lo { a } else { b - (b - a) * 0.5 }
            })
            .collect()
    };
    // A midpoint of huge values can overflow; scikit-learn likewise caps thresholds below +∞.
    for t in &mut out {
        *t = t.min(f64::MAX);
    }
    out
}

/// The bin of `value`: the number of thresholds below it, or [`MISSING_BIN`] for NaN.
fn bin_of(thresholds: &[f64], value: f64) -> u8 {
    if value.is_nan() {
        return MISSING_BIN;
    }
    // At most MAX_BINS − 1 thresholds, so the index fits below MISSING_BIN.
    let bin = thresholds.partition_point(|&t| t < value);
    u8::try_from(bin).unwrap_or(MISSING_BIN - 1)
}
