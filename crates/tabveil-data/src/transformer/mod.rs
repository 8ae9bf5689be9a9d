//! [`DataTransformer`]: a [`Table`] ⇄ the numeric [`Matrix`] the models train on, as SDV's
//! CTGAN does it.
//!
//! - Continuous and datetime columns: mode-specific normalisation. A variational Bayesian
//!   Gaussian mixture ([`BayesianMixture`], scikit-learn's settings) is fitted per column;
//!   modes with weight > 0.005 are kept; a value x is encoded with a mode c *sampled* from its
//!   posterior over the kept modes as `clip((x − μ_c) / (4σ_c), ±0.99)` plus the one-hot of c.
//!   Nullable columns get a `[present, missing]` indicator, so nulls survive the round trip.
//! - Categorical and boolean columns: one-hot over the domain, with a "missing" slot when
//!   nullable.
//! - Id columns: nothing (regenerated on output).
//!
//! The [`OutputLayout`] says which matrix columns are `tanh` scalars and which are softmax
//! blocks (categories, modes, null indicators).
//!
//! ```
//! use tabveil_data::{ColumnSchema, DataTransformer, DataTransformerConfig, Schema, Table, Value};
//!
//! let schema = Schema::new("t", vec![
//!     ColumnSchema::continuous("x", Some(0.0), Some(100.0)),
//!     ColumnSchema::categorical("c", ["a", "b"]).nullable(),
//! ])?;
//! let rows: Vec<Vec<Value>> = (0..200)
//!     .map(|i| vec![Value::Number(if i % 2 == 0 { 10.0 } else { 90.0 } + (i % 7) as f64),
//!                   if i % 3 == 0 { Value::Null } else { Value::from("b") }])
//!     .collect();
//! let table = Table::from_rows(&schema, &rows)?;
//! let transformer = DataTransformer::fit(&table, &schema, &DataTransformerConfig::default())?;
//! let matrix = transformer.transform(&table, 0)?;
//! assert_eq!(matrix.n_cols(), transformer.layout().width());
//! let back = transformer.inverse_transform(&matrix)?;
//! assert_eq!(back.column("c"), table.column("c"));
//! # Ok::<(), tabveil_data::DataError>(())
//! ```

mod column;
mod fit_jobs;
mod layout;
mod matrix;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub(crate) use fit_jobs::{ContinuousJob, fit_continuous_jobs};

use crate::error::TransformError;
use crate::error::{DataError, Result};
use crate::mixture::{BayesianMixture, BgmConfig, WeightedPoints};
use crate::progress::{FitProgress, NoProgress};
use crate::schema::{ColumnKind, Schema};
use crate::table::{Column, ColumnData, Table};

pub(crate) use column::{ColumnTransform, ContinuousTransform, DiscreteTransform};
pub use layout::{OutputLayout, SoftmaxRole, Span, SpanKind};
pub use matrix::Matrix;

/// Rows per block when transforming in parallel (a constant, so results do not depend on the
/// number of threads).
const BLOCK_ROWS: usize = 4096;

/// Settings of the data transformer.
///
/// # Defaults
/// SDV CTGAN's: the mixture of [`BgmConfig::default`], `weight_threshold` 0.005,
/// `std_multiplier` 4, `clip` 0.99; `seed` 0 (k-means initialisation); `threads` 0 (all
/// available cores, used across columns when fitting and across rows when transforming).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataTransformerConfig {
    /// The mixture fitted on each continuous column.
    pub bgm: BgmConfig,
    /// Modes with a weight above this are kept.
    pub weight_threshold: f64,
    /// A mode spans ± `std_multiplier` standard deviations of the scalar's range.
    pub std_multiplier: f64,
    /// The encoded scalar is clipped to ± `clip`.
    pub clip: f64,
    /// Seeds the k-means initialisation of the mixtures (column i uses `seed + i`).
    pub seed: u64,
    /// Worker threads (0 = all available cores).
    pub threads: usize,
}

impl Default for DataTransformerConfig {
    fn default() -> Self {
        DataTransformerConfig {
            bgm: BgmConfig::default(),
            weight_threshold: 0.005,
            std_multiplier: 4.0,
            clip: 0.99,
            seed: 0,
            threads: 0,
        }
    }
}

impl DataTransformerConfig {
    /// Checks every parameter.
    ///
    /// # Errors
    /// [`crate::TransformError::InvalidParameter`] naming the first bad one.
    pub fn check(&self) -> Result<()> {
        self.bgm.check()?;
        let bad = |parameter, value: f64, expected| {
            Err(DataError::Transform(TransformError::InvalidParameter {
                parameter,
                value: value.to_string(),
                expected,
            }))
        };
        if !(self.weight_threshold.is_finite() && (0.0..1.0).contains(&self.weight_threshold)) {
            return bad("weight_threshold", self.weight_threshold, "in [0, 1)");
        }
        if !(self.std_multiplier.is_finite() && self.std_multiplier > 0.0) {
            return bad("std_multiplier", self.std_multiplier, "finite and > 0");
        }
        if !(self.clip.is_finite() && self.clip > 0.0 && self.clip <= 1.0) {
            return bad("clip", self.clip, "in (0, 1]");
        }
        Ok(())
    }

    fn n_threads(&self) -> usize {
        if self.threads > 0 {
            self.threads
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        }
    }
}

/// A fitted transformer: encodes tables of its schema into matrices and decodes matrices back.
///
/// Serialisable (serde), so a fitted model can keep it. Fitted with [`DataTransformer::fit`]
/// it holds statistics of the raw data (mixture parameters, observed min/max of undeclared
/// bounds, categories read from the data): **not private**. Fitted with
/// [`fit_private`](crate::fit_private), everything it holds is public or DP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataTransformer {
    schema: Schema,
    columns: Vec<ColumnTransform>,
    layout: OutputLayout,
    threads: usize,
}

impl DataTransformer {
    /// Fits the transformer on `table` (non-private: see the type's documentation).
    ///
    /// # Errors
    /// [`crate::TransformError::InvalidParameter`] for a bad config; [`crate::TransformError::SchemaMismatch`] when the
    /// table does not belong to `schema`.
    pub fn fit(table: &Table, schema: &Schema, config: &DataTransformerConfig) -> Result<Self> {
        Self::fit_with_progress(table, schema, config, &mut NoProgress)
    }

    /// [`DataTransformer::fit`], reporting each fitted column to `progress`, which can cancel.
    ///
    /// # Errors
    /// As [`DataTransformer::fit`], and [`DataError::Cancelled`].
    pub fn fit_with_progress(
        table: &Table,
        schema: &Schema,
        config: &DataTransformerConfig,
        progress: &mut dyn FitProgress,
    ) -> Result<Self> {
        config.check()?;
        check_table(table, schema)?;
        let mut jobs = Vec::new();
        for (index, (col, cs)) in table.columns().iter().zip(schema.columns()).enumerate() {
            if let ColumnData::Continuous(values) = col.data() {
                let present: Vec<f64> = values
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !col.is_null(*i))
                    .map(|(_, v)| *v)
                    .collect();
                let (dmin, dmax) = cs.bounds();
                let observed = present
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                        (a.min(*v), b.max(*v))
                    });
                // Undeclared bounds: the observed ones, as SDV enforces min/max (not private).
                let bounds = (
                    dmin.or((!present.is_empty()).then_some(observed.0)),
                    dmax.or((!present.is_empty()).then_some(observed.1)),
                );
                let points = if present.is_empty() {
                    // An all-null column: one placeholder mode (never decoded to a value
                    // unless the model generates non-null values for it).
                    let centre = match bounds {
                        (Some(a), Some(b)) => 0.5 * (a + b),
                        (Some(a), None) | (None, Some(a)) => a,
                        (None, None) => 0.0,
                    };
                    WeightedPoints::weighted(vec![centre], vec![1.0], vec![0.0])?
                } else {
                    WeightedPoints::from_values(&present)?
                };
                jobs.push(ContinuousJob {
                    index,
                    name: cs.name().to_owned(),
                    points,
                    bounds,
                    integer: cs.is_integer(),
                    nullable: cs.is_nullable(),
                });
            }
        }
        let mut fitted = fit_continuous_jobs(jobs, config, progress, schema.n_columns())?;
        let columns = schema
            .columns()
            .iter()
            .zip(table.columns())
            .enumerate()
            .map(|(i, (cs, col))| match cs.kind() {
                ColumnKind::Id => Ok(ColumnTransform::Id),
                ColumnKind::Categorical { .. } | ColumnKind::Boolean { .. } => {
                    Ok(ColumnTransform::Discrete(DiscreteTransform {
                        domain: col.domain().map(<[String]>::to_vec).unwrap_or_default(),
                        nullable: cs.is_nullable(),
                    }))
                }
                ColumnKind::Continuous { .. } | ColumnKind::Datetime { .. } => fitted
                    .iter_mut()
                    .find(|(j, _)| *j == i)
                    .and_then(|(_, t)| t.take())
                    .map(|t| ColumnTransform::Continuous(Box::new(t)))
                    .ok_or(DataError::Internal("a continuous column was not fitted")),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self::from_columns(schema.clone(), columns, config.threads))
    }

    pub(crate) fn from_columns(
        schema: Schema,
        columns: Vec<ColumnTransform>,
        threads: usize,
    ) -> Self {
        let mut spans = Vec::new();
        let mut start = 0;
        let mut push = |column, width, kind| {
            spans.push(Span {
                column,
                start,
                width,
                kind,
            });
            start += width;
        };
        for (i, t) in columns.iter().enumerate() {
            match t {
                ColumnTransform::Continuous(c) => {
                    push(i, 1, SpanKind::Tanh);
                    push(i, c.n_modes(), SpanKind::Softmax(SoftmaxRole::Mode));
                    if c.nullable {
                        push(i, 2, SpanKind::Softmax(SoftmaxRole::NullIndicator));
                    }
                }
                ColumnTransform::Discrete(d) => {
                    push(i, d.width(), SpanKind::Softmax(SoftmaxRole::Category));
                }
                ColumnTransform::Id => {}
            }
        }
        let names = schema
            .columns()
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
        DataTransformer {
            schema,
            columns,
            layout: OutputLayout::new(spans, names),
            threads,
        }
    }

    /// The layout of the transformed matrix.
    pub fn layout(&self) -> &OutputLayout {
        &self.layout
    }

    /// The schema the transformer was fitted for.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The kept modes of continuous column `name` as (weight, mean, standard deviation),
    /// weights renormalised over the kept modes; `None` for other columns.
    pub fn modes(&self, name: &str) -> Option<Vec<(f64, f64, f64)>> {
        let i = self.schema.column_index(name)?;
        match &self.columns[i] {
            ColumnTransform::Continuous(c) => Some(
                c.kept_weights
                    .iter()
                    .zip(&c.means)
                    .zip(&c.stds)
                    .map(|((w, m), s)| (*w, *m, *s))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// The fitted mixture of continuous column `name` (all components).
    pub fn mixture(&self, name: &str) -> Option<&BayesianMixture> {
        let i = self.schema.column_index(name)?;
        match &self.columns[i] {
            ColumnTransform::Continuous(c) => Some(&c.mixture),
            _ => None,
        }
    }

    /// The domain of discrete column `name` (as encoded, without the null slot).
    pub fn domain(&self, name: &str) -> Option<&[String]> {
        let i = self.schema.column_index(name)?;
        match &self.columns[i] {
            ColumnTransform::Discrete(d) => Some(&d.domain),
            _ => None,
        }
    }

    /// Encodes `table`. The mode of each continuous value is sampled from its posterior with
    /// a generator seeded by `seed` (so the same seed gives the same matrix, whatever the
    /// number of threads).
    ///
    /// # Errors
    /// [`crate::TransformError::SchemaMismatch`] when the table is not of the transformer's schema (or a
    /// categorical domain differs).
    pub fn transform(&self, table: &Table, seed: u64) -> Result<Matrix> {
        check_table(table, &self.schema)?;
        for (t, col) in self.columns.iter().zip(table.columns()) {
            if let ColumnTransform::Discrete(d) = t
                && col.domain() != Some(d.domain.as_slice())
            {
                return Err(DataError::Transform(TransformError::SchemaMismatch {
                    reason: format!("column `{}` has another domain", col.name()),
                }));
            }
        }
        let width = self.layout.width();
        let n = table.n_rows();
        let mut out = Matrix::zeros(n, width);
        if width == 0 || n == 0 {
            return Ok(out);
        }
        let blocks: Vec<(usize, &mut [f32])> = out
            .as_mut_slice()
            .chunks_mut(BLOCK_ROWS * width)
            .enumerate()
            .map(|(b, chunk)| (b * BLOCK_ROWS, chunk))
            .collect();
        let threads = self.n_threads().min(blocks.len()).max(1);
        let per_thread = blocks.len().div_ceil(threads);
        let mut groups: Vec<Vec<(usize, &mut [f32])>> = Vec::new();
        let mut it = blocks.into_iter();
        loop {
            let g: Vec<_> = it.by_ref().take(per_thread).collect();
            if g.is_empty() {
                break;
            }
            groups.push(g);
        }
        if groups.len() <= 1 {
            for g in groups {
                for (start, chunk) in g {
                    self.transform_block(table, seed, start, chunk);
                }
            }
            return Ok(out);
        }
        std::thread::scope(|scope| {
            for g in groups {
                scope.spawn(move || {
                    for (start, chunk) in g {
                        self.transform_block(table, seed, start, chunk);
                    }
                });
            }
        });
        Ok(out)
    }

    /// Encodes rows `start..start + chunk.len() / width` into `chunk`.
    fn transform_block(&self, table: &Table, seed: u64, start: usize, chunk: &mut [f32]) {
        let width = self.layout.width();
        let rows = chunk.len() / width;
        let mut offset = 0;
        for (ci, (t, col)) in self.columns.iter().zip(table.columns()).enumerate() {
            match (t, col.data()) {
                (ColumnTransform::Continuous(c), ColumnData::Continuous(values)) => {
                    let w = c.width();
                    // One uniform per cell, from a stream of its own: the value of row r
                    // depends only on (seed, column, r).
                    let mut rng = ChaCha8Rng::seed_from_u64(seed);
                    rng.set_stream(ci as u64);
                    rng.set_word_pos(2 * start as u128);
                    let mut scratch = c.scratch();
                    for r in 0..rows {
                        let row = start + r;
                        let u: f64 = rng.random();
                        let x = (!col.is_null(row)).then(|| values[row]);
                        let dst = &mut chunk[r * width + offset..r * width + offset + w];
                        c.encode(x, u, &mut scratch, dst);
                    }
                    offset += w;
                }
                (ColumnTransform::Discrete(d), ColumnData::Categorical(codes)) => {
                    let w = d.width();
                    for r in 0..rows {
                        let row = start + r;
                        let code = (!col.is_null(row)).then(|| codes[row]);
                        let dst = &mut chunk[r * width + offset..r * width + offset + w];
                        d.encode(code, dst);
                    }
                    offset += w;
                }
                _ => {}
            }
        }
    }

    /// Decodes a matrix (e.g. generated by a model) back to a [`Table`] of the transformer's
    /// schema: argmax of every softmax block, the scalar clipped to [−1, 1] and mapped through
    /// the chosen mode, values clamped to the bounds, integer columns rounded.
    ///
    /// # Errors
    /// [`crate::TransformError::MatrixWidth`] for the wrong width; [`crate::TransformError::NonFiniteMatrix`] for NaN
    /// or infinite entries.
    pub fn inverse_transform(&self, matrix: &Matrix) -> Result<Table> {
        let width = self.layout.width();
        if matrix.n_cols() != width {
            return Err(DataError::Transform(TransformError::MatrixWidth {
                expected: width,
                found: matrix.n_cols(),
            }));
        }
        if let Some(i) = matrix.as_slice().iter().position(|v| !v.is_finite()) {
            return Err(DataError::Transform(TransformError::NonFiniteMatrix {
                row: i / width,
                col: i % width,
            }));
        }
        let n = matrix.n_rows();
        let mut columns = Vec::with_capacity(self.columns.len());
        let mut offset = 0;
        for (t, cs) in self.columns.iter().zip(self.schema.columns()) {
            let name = cs.name().to_owned();
            match t {
                ColumnTransform::Continuous(c) => {
                    let w = c.width();
                    let mut values = Vec::with_capacity(n);
                    let mut nulls = Vec::with_capacity(if c.nullable { n } else { 0 });
                    for r in 0..n {
                        let v = c.decode(&matrix.row(r)[offset..offset + w]);
                        values.push(v.unwrap_or(0.0));
                        if c.nullable {
                            nulls.push(v.is_none());
                        }
                    }
                    let nulls = c.nullable.then_some(nulls);
                    columns.push(Column::from_parts(
                        name,
                        ColumnData::Continuous(values),
                        nulls,
                        None,
                    ));
                    offset += w;
                }
                ColumnTransform::Discrete(d) => {
                    let w = d.width();
                    let mut codes = Vec::with_capacity(n);
                    let mut nulls = Vec::with_capacity(if d.nullable { n } else { 0 });
                    for r in 0..n {
                        let v = d.decode(&matrix.row(r)[offset..offset + w]);
                        codes.push(v.unwrap_or(0));
                        if d.nullable {
                            nulls.push(v.is_none());
                        }
                    }
                    let nulls = d.nullable.then_some(nulls);
                    let domain: Arc<[String]> = d.domain.clone().into();
                    columns.push(Column::from_parts(
                        name,
                        ColumnData::Categorical(codes),
                        nulls,
                        Some(domain),
                    ));
                    offset += w;
                }
                ColumnTransform::Id => columns.push(Column::id(name)),
            }
        }
        Ok(Table::from_checked(n, columns))
    }

    fn n_threads(&self) -> usize {
        if self.threads > 0 {
            self.threads
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        }
    }
}

/// The table must have the schema's columns, in order, with matching kinds.
pub(crate) fn check_table(table: &Table, schema: &Schema) -> Result<()> {
    if table.n_columns() != schema.n_columns() {
        return Err(DataError::Transform(TransformError::SchemaMismatch {
            reason: format!(
                "the table has {} columns, the schema {}",
                table.n_columns(),
                schema.n_columns()
            ),
        }));
    }
    for (col, cs) in table.columns().iter().zip(schema.columns()) {
        let ok = col.name() == cs.name()
            && match col.data() {
                ColumnData::Continuous(_) => cs.kind().is_numeric(),
                ColumnData::Categorical(_) => cs.kind().is_discrete(),
                ColumnData::Id => matches!(cs.kind(), ColumnKind::Id),
            };
        if !ok {
            return Err(DataError::Transform(TransformError::SchemaMismatch {
                reason: format!("column `{}` does not match the schema", col.name()),
            }));
        }
        // A table built in memory can carry nulls the schema does not allow; the encoders
        // (and the private counts) have no cell for them.
        if !cs.is_nullable() && col.null_count() > 0 {
            return Err(DataError::Transform(TransformError::SchemaMismatch {
                reason: format!(
                    "column `{}` has missing values but the schema declares it non-nullable",
                    col.name()
                ),
            }));
        }
    }
    Ok(())
}
