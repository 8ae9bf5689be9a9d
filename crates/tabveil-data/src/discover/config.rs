//! [`DiscoveryConfig`]: the settings of private schema discovery that are not its budget.

use serde::{Deserialize, Serialize};

use crate::error::TransformError;
use crate::error::{DataError, Result};

/// The label of the catch-all category by default ([`DiscoveryConfig::with_other_label`]).
pub const DEFAULT_OTHER_LABEL: &str = "(other)";

/// Settings of [`discover_schema`](crate::discover_schema) besides its (ε, δ).
///
/// # Defaults
/// - `other_label` `"(other)"`: the category that receives every value held by too few rows
///   to be released (made unique if a released value has that label).
/// - `tail` 0.005: bounds are the 0.5 % and 99.5 % quantiles of the noisy histogram, one cell
///   further out, widened over thin tails (cells under the noise floor that hold
///   significantly many rows together; [`ValueGrid::tail_bounds_with_thin_tails`](crate::ValueGrid::tail_bounds_with_thin_tails))
///   (values beyond are clipped when the data is read with the discovered schema).
/// - `bins_per_decade` 8, `min_exp` −3, `max_exp` 9: the public log-spaced grid of numeric
///   histograms covers ±10⁹ with a centre cell (−10⁻³, 10⁻³); datetimes use quarter-year
///   cells from 1900 to 2100.
/// - `spurious_cells` 0.001: the noise floor of a histogram is set so that the expected
///   number of empty cells whose noise passes it is 0.001.
/// - `closed`: none. A closed categorical column gets no `other` category: the user declares
///   (publicly) that its values are the released ones, e.g. a binary target; reading a value
///   that was not released is then an error.
/// - `threshold_delta_share` 0.5: the share of δ that the Gaussian thresholds' additive δ may
///   use (split evenly over the threshold releases); the rest goes to the Gaussian part.
/// - `nullable_above` 0: a column is nullable when its noisy null count exceeds this many
///   noise standard deviations (low on purpose: a spurious null cell costs little, a missing
///   one makes reading fail).
/// - `integer_below` 2: without a declared kind, a numeric column is integer when its noisy
///   count of fractional values is below this many noise standard deviations (the reader then
///   rounds the few fractional values it may meet).
/// - `weights`: format 2, bounds 1.5, categories 1 ([`NoiseWeights`]): a category release
///   decides whether a value exists for the model at all (below τ it becomes `other`), so it
///   gets the least noise; a bound is a tail quantile over coarse public cells and a kind a
///   majority vote, both robust to more noise. In zCDP terms a bounds release costs 44 % and
///   a format release 25 % of a category release's ρ = 1/(2σ²).
/// - `majority` 0.95: without a declared kind, a column is numeric, boolean or datetime when
///   that format holds this share of its noisy non-null count; categorical otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscoveryConfig {
    pub(crate) other_label: String,
    pub(crate) tail: f64,
    pub(crate) bins_per_decade: usize,
    pub(crate) min_exp: i32,
    pub(crate) max_exp: i32,
    pub(crate) spurious_cells: f64,
    pub(crate) threshold_delta_share: f64,
    pub(crate) nullable_above: f64,
    pub(crate) integer_below: f64,
    pub(crate) majority: f64,
    pub(crate) closed: Vec<String>,
    pub(crate) weights: NoiseWeights,
}

/// Relative noise multipliers of the three kinds of release: each release's σ is a common
/// scale (calibrated by the accountant) times its weight. A smaller weight spends more of the
/// budget on that kind: e.g. categories at 0.7 and bounds at 1.4 lower the threshold τ (fewer
/// values go to `other`) at the price of coarser bounds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NoiseWeights {
    /// The format release (kinds).
    pub format: f64,
    /// The histogram release (bounds).
    pub bounds: f64,
    /// The thresholding release (categories).
    pub categories: f64,
}

impl NoiseWeights {
    /// One σ for every release (all weights 1).
    pub const EQUAL: NoiseWeights = NoiseWeights {
        format: 1.0,
        bounds: 1.0,
        categories: 1.0,
    };
}

impl Default for NoiseWeights {
    /// Format 2, bounds 1.5, categories 1 (see [`DiscoveryConfig`]'s defaults).
    fn default() -> Self {
        NoiseWeights {
            format: 2.0,
            bounds: 1.5,
            categories: 1.0,
        }
    }
}

impl Default for DiscoveryConfig {
    fn default() -> Self {
        DiscoveryConfig {
            other_label: DEFAULT_OTHER_LABEL.to_owned(),
            tail: 0.005,
            bins_per_decade: 8,
            min_exp: -3,
            max_exp: 9,
            spurious_cells: 0.001,
            threshold_delta_share: 0.5,
            nullable_above: 0.0,
            integer_below: 2.0,
            majority: 0.95,
            closed: Vec::new(),
            weights: NoiseWeights::default(),
        }
    }
}

fn invalid(parameter: &'static str, value: impl ToString, expected: &'static str) -> DataError {
    DataError::Transform(TransformError::InvalidParameter {
        parameter,
        value: value.to_string(),
        expected,
    })
}

impl DiscoveryConfig {
    /// The label of the catch-all category.
    ///
    /// # Errors
    /// [`crate::TransformError::InvalidParameter`] for an empty label or one with surrounding
    /// spaces (not a valid category).
    pub fn with_other_label(mut self, label: impl Into<String>) -> Result<Self> {
        let label = label.into();
        if label.is_empty() || label.trim() != label {
            return Err(invalid(
                "other_label",
                label,
                "non-empty, without surrounding spaces",
            ));
        }
        self.other_label = label;
        Ok(self)
    }

    /// The tail quantile clipped on each side of a numeric column.
    ///
    /// # Errors
    /// [`crate::TransformError::InvalidParameter`] unless in [0, 0.25).
    pub fn with_tail(mut self, tail: f64) -> Result<Self> {
        if !(tail.is_finite() && (0.0..0.25).contains(&tail)) {
            return Err(invalid("tail", tail, "in [0, 0.25)"));
        }
        self.tail = tail;
        Ok(self)
    }

    /// Cells per decade of the numeric grid.
    ///
    /// # Errors
    /// [`crate::TransformError::InvalidParameter`] unless in 1..=100.
    pub fn with_bins_per_decade(mut self, bins: usize) -> Result<Self> {
        if !(1..=100).contains(&bins) {
            return Err(invalid("bins_per_decade", bins, "in 1..=100"));
        }
        self.bins_per_decade = bins;
        Ok(self)
    }

    /// The share of δ given to the thresholds' additive δ.
    ///
    /// # Errors
    /// [`crate::TransformError::InvalidParameter`] unless in (0, 1).
    pub fn with_threshold_delta_share(mut self, share: f64) -> Result<Self> {
        if !(share.is_finite() && share > 0.0 && share < 1.0) {
            return Err(invalid("threshold_delta_share", share, "in (0, 1)"));
        }
        self.threshold_delta_share = share;
        Ok(self)
    }

    /// The nullability threshold, in noise standard deviations.
    ///
    /// # Errors
    /// [`crate::TransformError::InvalidParameter`] unless finite.
    pub fn with_nullable_above(mut self, sigmas: f64) -> Result<Self> {
        if !sigmas.is_finite() {
            return Err(invalid("nullable_above", sigmas, "finite"));
        }
        self.nullable_above = sigmas;
        Ok(self)
    }

    /// Declares categorical columns as closed (no `other` category; see the defaults).
    #[must_use]
    pub fn with_closed<S: Into<String>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.closed = columns.into_iter().map(Into::into).collect();
        self
    }

    /// The relative noise multipliers of the format, bounds and category releases.
    ///
    /// # Errors
    /// [`crate::TransformError::InvalidParameter`] unless every weight is finite and > 0.
    pub fn with_noise_weights(mut self, weights: NoiseWeights) -> Result<Self> {
        for w in [weights.format, weights.bounds, weights.categories] {
            if !(w.is_finite() && w > 0.0) {
                return Err(invalid("noise_weights", w, "finite and > 0"));
            }
        }
        self.weights = weights;
        Ok(self)
    }

    /// The public grid of numeric histograms: its range is the bounds a column falls back to
    /// when nothing survives the noise.
    pub fn numeric_grid(&self) -> super::ValueGrid {
        super::ValueGrid::log(self.bins_per_decade, self.min_exp, self.max_exp)
    }

    /// The label of the catch-all category.
    pub fn other_label(&self) -> &str {
        &self.other_label
    }

    /// The tail quantile.
    pub fn tail(&self) -> f64 {
        self.tail
    }

    /// The share of δ for the thresholds.
    pub fn threshold_delta_share(&self) -> f64 {
        self.threshold_delta_share
    }
}
