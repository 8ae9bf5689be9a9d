//! Differentially private preprocessing: every statistic of the data that the transformer and
//! the samplers keep is released by a discrete Gaussian mechanism recorded on the
//! [`PrivacyLedger`], or comes from the public schema.
//!
//! Per modelled column, one release of integer counts with exact discrete Gaussian noise
//! N_ℤ(0, σ²) (Canonne, Kamath & Steinke 2020; `tabveil_noise::DiscreteGaussian`: integer
//! arithmetic only, so none of the floating-point attacks on continuous samplers applies),
//! noise multiplier σ, L2 sensitivity 1, recorded as a
//! [`PrivacyEvent::DiscreteGaussian`] event:
//! - categorical / boolean: the vector of category counts, with a null bucket when nullable;
//! - continuous / datetime: a histogram over the declared bounds (cells: [`HistogramCells`]),
//!   with a null bucket when nullable (that bucket is the noisy null rate).
//!
//! **Sensitivity.** Neighbouring tables differ by one row (add/remove). That row falls in
//! exactly one cell of each column's histogram (its category, its bin, or the null bucket), so
//! each column's count vector changes by 1 in one coordinate: L2 sensitivity 1. Each column is
//! its own discrete Gaussian mechanism with scale σ; the accountant composes them (its RDP is
//! that of the continuous Gaussian; its privacy loss distribution is computed from the discrete
//! Gaussian itself).
//!
//! **Post-processing (free).** Counts are clamped at 0; histogram counts below
//! `zero_below · σ` are set to 0 (removes the noise floor of empty cells); the mixture of each
//! continuous column is fitted by weighted EM on the cell centres (bins carry their within-bin
//! variance). Nothing else of the data is used: the declared bounds and categories are public.
//!
//! **Rows.** The number of rows N is *not* treated as public: [`PrivateStatistics::estimated_rows`]
//! estimates it from the noisy totals (post-processing).
//!
//! ```
//! use tabveil_accountant::PrivacyLedger;
//! use tabveil_data::{fit_private, planned_preprocessing, PrivateConfig, Schema, Table, Value};
//! use tabveil_noise::{DiscreteGaussian, PrivacyRng};
//!
//! let schema = Schema::from_json(r#"{"name": "t", "columns": [
//!     {"name": "age", "kind": "continuous", "min": 0, "max": 100, "integer": true},
//!     {"name": "sex", "kind": "categorical", "categories": ["F", "M"]}
//! ]}"#)?;
//! let rows: Vec<Vec<Value>> = (0..500)
//!     .map(|i| vec![Value::Number((20 + i % 50) as f64), Value::from(if i % 3 == 0 { "F" } else { "M" })])
//!     .collect();
//! let table = Table::from_rows(&schema, &rows)?;
//! let config = PrivateConfig::new(4.0)?;
//! // What would be spent, without touching data:
//! let plan = planned_preprocessing(&schema, &config)?;
//! assert_eq!(plan.len(), 2);
//! let mut ledger = PrivacyLedger::new();
//! let mut rng = PrivacyRng::secure()?;
//! let (transformer, stats) = fit_private(&table, &schema, &config, &mut ledger, &mut rng)?;
//! assert_eq!(ledger.entries(), plan.as_slice());
//! assert!((stats.estimated_rows() - 500.0).abs() < 100.0);
//! # let _ = transformer;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cells;
mod statistics;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use tabveil_accountant::{LedgerEntry, PrivacyEvent, PrivacyLedger, Stage};
use tabveil_noise::{DiscreteGaussian, PrivacyRng};

use crate::error::TransformError;
use crate::error::{DataError, Result};
use crate::mixture::WeightedPoints;
use crate::progress::{FitProgress, NoProgress};
use crate::schema::{ColumnKind, ColumnSchema, Schema};
use crate::table::{ColumnData, Table};
use crate::transformer::{
    ColumnTransform, ContinuousJob, DataTransformer, DataTransformerConfig, DiscreteTransform,
    check_table, fit_continuous_jobs,
};

pub use cells::{CellRule, HistogramCells};
pub use statistics::{NoisyCells, NoisyColumn, PrivateStatistics};

/// The L2 sensitivity of every per-column count vector (see the module documentation).
pub const COUNT_SENSITIVITY: f64 = 1.0;

/// The default number of interior histogram bins of a continuous column
/// ([`PrivateConfig::with_histogram_bins`]).
pub const DEFAULT_HISTOGRAM_BINS: usize = 128;

/// The default zeroing threshold of noisy histogram counts, in noise standard deviations
/// ([`PrivateConfig::with_zero_below`]).
pub const DEFAULT_ZERO_BELOW: f64 = 2.0;

/// Settings of the private preprocessing.
///
/// # Defaults
/// `histogram_bins` 128 (interior bins of a continuous column; integer columns with at most
/// 130 values get one cell per value), `zero_below` 2 (noise standard deviations), the
/// transformer settings of [`DataTransformerConfig::default`]. The noise multiplier has no
/// default: it is set jointly with training (the facade calibrates it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrivateConfig {
    noise_multiplier: f64,
    histogram_bins: usize,
    zero_below: f64,
    transformer: DataTransformerConfig,
}

impl PrivateConfig {
    /// Settings with noise multiplier σ (noise std / L2 sensitivity) for every preprocessing
    /// release.
    ///
    /// # Errors
    /// [`crate::TransformError::InvalidParameter`] unless σ is finite and > 0.
    pub fn new(noise_multiplier: f64) -> Result<Self> {
        if !(noise_multiplier.is_finite() && noise_multiplier > 0.0) {
            return Err(DataError::Transform(TransformError::InvalidParameter {
                parameter: "noise_multiplier",
                value: noise_multiplier.to_string(),
                expected: "finite and > 0",
            }));
        }
        Ok(PrivateConfig {
            noise_multiplier,
            histogram_bins: DEFAULT_HISTOGRAM_BINS,
            zero_below: DEFAULT_ZERO_BELOW,
            transformer: DataTransformerConfig::default(),
        })
    }

    /// Number of interior histogram bins of continuous columns (≥ 1).
    ///
    /// # Errors
    /// [`crate::TransformError::InvalidParameter`] for 0.
    pub fn with_histogram_bins(mut self, bins: usize) -> Result<Self> {
        if bins == 0 {
            return Err(DataError::Transform(TransformError::InvalidParameter {
                parameter: "histogram_bins",
                value: "0".into(),
                expected: "at least 1",
            }));
        }
        self.histogram_bins = bins;
        Ok(self)
    }

    /// Histogram counts below `zero_below` noise standard deviations are set to 0.
    ///
    /// # Errors
    /// [`crate::TransformError::InvalidParameter`] unless finite and ≥ 0.
    pub fn with_zero_below(mut self, zero_below: f64) -> Result<Self> {
        if !(zero_below.is_finite() && zero_below >= 0.0) {
            return Err(DataError::Transform(TransformError::InvalidParameter {
                parameter: "zero_below",
                value: zero_below.to_string(),
                expected: "finite and ≥ 0",
            }));
        }
        self.zero_below = zero_below;
        Ok(self)
    }

    /// The transformer settings (mixture, thresholds, seed, threads).
    ///
    /// # Errors
    /// As [`DataTransformerConfig::check`].
    pub fn with_transformer(mut self, transformer: DataTransformerConfig) -> Result<Self> {
        transformer.check()?;
        self.transformer = transformer;
        Ok(self)
    }

    /// The noise multiplier σ.
    pub fn noise_multiplier(&self) -> f64 {
        self.noise_multiplier
    }

    /// The number of interior histogram bins.
    pub fn histogram_bins(&self) -> usize {
        self.histogram_bins
    }

    /// The zeroing threshold, in noise standard deviations.
    pub fn zero_below(&self) -> f64 {
        self.zero_below
    }

    /// The transformer settings.
    pub fn transformer(&self) -> &DataTransformerConfig {
        &self.transformer
    }
}

/// The ledger entries [`fit_private`] would record for `schema` with `config`, in order,
/// without touching any data: for the validator and for calibrating the noise jointly with
/// training (with these very events, as templates: see
/// `tabveil_accountant::PreprocessingPlan::templates_of`).
///
/// # Errors
/// [`crate::SchemaError::SchemaNotReviewed`] for a schema inferred from the data and not reviewed;
/// [`crate::TransformError::MissingBounds`] / [`crate::TransformError::MissingCategories`] for a column whose public
/// bounds or categories are not declared (private mode needs them).
pub fn planned_preprocessing(schema: &Schema, config: &PrivateConfig) -> Result<Vec<LedgerEntry>> {
    if schema.is_inferred_from_data() {
        return Err(DataError::Schema(crate::SchemaError::SchemaNotReviewed));
    }
    schema
        .columns()
        .iter()
        .filter(|c| !matches!(c.kind(), ColumnKind::Id))
        .map(|c| {
            check_public(c)?;
            let event = PrivacyEvent::discrete_gaussian(config.noise_multiplier, 1)?;
            Ok(
                LedgerEntry::new(release_label(c), Stage::Preprocessing, event)?
                    .with_l2_sensitivity(COUNT_SENSITIVITY)?,
            )
        })
        .collect()
}

/// Fits a [`DataTransformer`] privately: one discrete Gaussian release of integer counts per
/// modelled column, recorded on `ledger`; the noise comes from `rng` (if it is seeded, the
/// ledger is marked so).
///
/// # Errors
/// [`crate::SchemaError::SchemaNotReviewed`], [`crate::TransformError::MissingBounds`] /
/// [`crate::TransformError::MissingCategories`] before anything is released;
/// [`crate::TransformError::SchemaMismatch`] when the table is not of `schema`; accountant and noise errors.
pub fn fit_private(
    table: &Table,
    schema: &Schema,
    config: &PrivateConfig,
    ledger: &mut PrivacyLedger,
    rng: &mut PrivacyRng,
) -> Result<(DataTransformer, PrivateStatistics)> {
    fit_private_with_progress(table, schema, config, ledger, rng, &mut NoProgress)
}

/// [`fit_private`], reporting each fitted column to `progress` (which can cancel; releases
/// already made stay on the ledger).
///
/// # Errors
/// As [`fit_private`], and [`DataError::Cancelled`].
pub fn fit_private_with_progress(
    table: &Table,
    schema: &Schema,
    config: &PrivateConfig,
    ledger: &mut PrivacyLedger,
    rng: &mut PrivacyRng,
    progress: &mut dyn FitProgress,
) -> Result<(DataTransformer, PrivateStatistics)> {
    config.transformer.check()?;
    check_table(table, schema)?;
    // Validate everything before the first release, so that an error spends nothing.
    let plan = planned_preprocessing(schema, config)?;
    for (col, cs) in table.columns().iter().zip(schema.columns()) {
        if cs.kind().is_discrete() && col.domain().map(<[String]>::to_vec) != cs.categories() {
            return Err(DataError::Transform(TransformError::SchemaMismatch {
                reason: format!(
                    "column `{}` does not use the declared categories",
                    cs.name()
                ),
            }));
        }
    }
    if rng.is_seeded() {
        ledger.mark_noise_seeded();
    }
    let sigma = config.noise_multiplier * COUNT_SENSITIVITY;
    // σ² rounded up to an exact rational: the noise is never smaller than the σ on the ledger.
    let discrete = DiscreteGaussian::new(sigma)?;
    let mut plan = plan.into_iter();
    let mut noisy = Vec::new();
    let mut jobs = Vec::new();
    let mut histograms: Vec<ReleasedHistogram> = Vec::new();
    let mut transforms: Vec<Option<ColumnTransform>> = Vec::with_capacity(schema.n_columns());
    for (index, (col, cs)) in table.columns().iter().zip(schema.columns()).enumerate() {
        let entry = match cs.kind() {
            ColumnKind::Id => {
                transforms.push(Some(ColumnTransform::Id));
                continue;
            }
            _ => plan
                .next()
                .ok_or(DataError::Internal("plan shorter than the columns"))?,
        };
        // Exact counts: never leave this function; only their noisy version does.
        let (exact, cells) = match (col.data(), cs.kind()) {
            (ColumnData::Categorical(codes), _) => {
                let k = cs.categories().map_or(0, |c| c.len());
                let mut counts = vec![0.0; k + usize::from(cs.is_nullable())];
                for (i, &c) in codes.iter().enumerate() {
                    let cell = if col.is_null(i) { k } else { c as usize };
                    if let Some(slot) = counts.get_mut(cell) {
                        *slot += 1.0;
                    }
                }
                (counts, NoisyCells::Categories)
            }
            (ColumnData::Continuous(values), _) => {
                let (Some(min), Some(max)) = cs.bounds() else {
                    return Err(DataError::Transform(TransformError::MissingBounds {
                        column: cs.name().to_owned(),
                    }));
                };
                let cells = HistogramCells::new(min, max, cs.is_integer(), config.histogram_bins);
                let k = cells.len();
                let mut counts = vec![0.0; k + usize::from(cs.is_nullable())];
                for (i, &x) in values.iter().enumerate() {
                    let cell = if col.is_null(i) { k } else { cells.cell_of(x) };
                    counts[cell] += 1.0;
                }
                (counts, NoisyCells::Histogram(cells))
            }
            (ColumnData::Id, _) => return Err(DataError::Internal("id data in a modelled column")),
        };
        // The discrete Gaussian mechanism: one exact N_ℤ(0, σ²) draw per count, from the
        // privacy RNG. Counts and noise are integers; their sums are exact in f64 (below 2⁵³).
        let noise: Vec<i64> = exact
            .iter()
            .map(|_| rng.discrete_gaussian(&discrete))
            .collect();
        let released: Vec<f64> = exact
            .iter()
            .zip(&noise)
            .map(|(c, &z)| c + z as f64)
            .collect();
        ledger.record(entry)?;
        drop(exact);

        // ---- post-processing of `released` only, from here on ----
        let raw_total: f64 = released.iter().sum();
        let (mut counts, null_count) = if cs.is_nullable() {
            let mut v = released;
            let null = v.pop().map(|n| n.max(0.0));
            (v, null)
        } else {
            (released, None)
        };
        match &cells {
            NoisyCells::Categories => {
                for c in &mut counts {
                    *c = c.max(0.0);
                }
                transforms.push(Some(ColumnTransform::Discrete(DiscreteTransform {
                    domain: cs.categories().unwrap_or_default(),
                    nullable: cs.is_nullable(),
                })));
            }
            NoisyCells::Histogram(h) => {
                let floor = config.zero_below * sigma;
                for c in &mut counts {
                    if *c < floor || *c <= 0.0 {
                        *c = 0.0;
                    }
                }
                let points = if counts.iter().any(|c| *c > 0.0) {
                    WeightedPoints::weighted(h.centres.clone(), counts.clone(), h.spreads.clone())?
                } else {
                    // Nothing survived the noise: one broad mode over the public bounds.
                    let width = h.max - h.min;
                    WeightedPoints::weighted(
                        vec![0.5 * (h.min + h.max)],
                        vec![1.0],
                        vec![width * width / 12.0],
                    )?
                };
                histograms.push(ReleasedHistogram {
                    index,
                    centres: h.centres.clone(),
                    spreads: h.spreads.clone(),
                    counts: counts.clone(),
                });
                jobs.push(ContinuousJob {
                    index,
                    name: cs.name().to_owned(),
                    points,
                    bounds: (Some(h.min), Some(h.max)),
                    integer: cs.is_integer(),
                    nullable: cs.is_nullable(),
                });
                transforms.push(None);
            }
        }
        noisy.push(NoisyColumn {
            name: cs.name().to_owned(),
            cells,
            counts,
            null_count,
            raw_total,
        });
    }
    let fitted = fit_continuous_jobs(jobs, &config.transformer, progress, schema.n_columns())?;
    for (index, t) in fitted {
        if let (Some(slot), Some(mut t)) = (transforms.get_mut(index), t) {
            // Post-processing: the released histogram's point cells and counts.
            if let Some(h) = histograms.iter().find(|h| h.index == index) {
                let n = h.centres.len().min(h.counts.len());
                t.mark_point_modes(&h.centres[..n], &h.spreads[..n], &h.counts[..n]);
            }
            *slot = Some(ColumnTransform::Continuous(Box::new(t)));
        }
    }
    let columns = transforms
        .into_iter()
        .map(|t| t.ok_or(DataError::Internal("a column was not fitted")))
        .collect::<Result<Vec<_>>>()?;
    let transformer =
        DataTransformer::from_columns(schema.clone(), columns, config.transformer.threads);
    Ok((transformer, PrivateStatistics::new(sigma, noisy)))
}

/// A continuous column's released histogram, after the noise floor: its public cells and its
/// noisy non-null counts.
struct ReleasedHistogram {
    index: usize,
    centres: Vec<f64>,
    spreads: Vec<f64>,
    counts: Vec<f64>,
}

/// The ledger label of a column's release.
fn release_label(c: &ColumnSchema) -> String {
    if c.kind().is_discrete() {
        format!("preprocessing: counts of column {}", c.name())
    } else {
        format!("preprocessing: histogram of column {}", c.name())
    }
}

/// Private mode needs the public domain of every modelled column.
fn check_public(c: &ColumnSchema) -> Result<()> {
    match c.kind() {
        ColumnKind::Continuous { min, max, .. } | ColumnKind::Datetime { min, max, .. }
            if min.is_none() || max.is_none() =>
        {
            return Err(DataError::Transform(TransformError::MissingBounds {
                column: c.name().to_owned(),
            }));
        }
        ColumnKind::Categorical { categories: None } => {
            return Err(DataError::Transform(TransformError::MissingCategories {
                column: c.name().to_owned(),
            }));
        }
        _ => {}
    }
    Ok(())
}
