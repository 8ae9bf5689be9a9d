//! Condition samplers: SDV's training-by-sampling (non-private) and the generation sampler
//! (frequencies, true or DP).

use rand::Rng;

use super::layout::ConditionLayout;
use crate::error::{DataError, Result, TransformError};
use crate::private::PrivateStatistics;
use crate::table::{ColumnData, Table};
use crate::transformer::Matrix;

/// A batch of condition vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionBatch {
    /// `n × layout.width()` one-hot condition vectors.
    pub cond: Matrix,
    /// `n × n_discrete` one-hot of the conditioned column (SDV's `mask`).
    pub mask: Matrix,
    /// For each row, the conditioned column (index into [`ConditionLayout::columns`]).
    pub columns: Vec<usize>,
    /// For each row, the conditioned category (index within the column's block).
    pub categories: Vec<usize>,
}

/// Draws condition vectors for *generation*: a discrete column uniformly, then a category
/// with probability equal to its frequency (true frequencies, or DP-noisy ones in private
/// mode). SDV draws them from the log-frequency table instead, which over-represents rare
/// categories in the output.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationSampler {
    layout: ConditionLayout,
    /// The normalised frequencies, kept as computed: rebuilding them from differences of
    /// cumulative sums gives −2.2e-16 where a sum rounds above 1, which a saved model then
    /// cannot load (issue 12).
    frequencies: Vec<Vec<f64>>,
    cumulative: Vec<Vec<f64>>,
}

impl GenerationSampler {
    /// A sampler from explicit frequencies, one vector per discrete column (slot order,
    /// null slot last when nullable); each is normalised (all zero → uniform).
    ///
    /// # Errors
    /// [`crate::TransformError::InvalidParameter`] for a wrong number or length of vectors, or negative or
    /// non-finite values.
    pub fn from_frequencies(layout: ConditionLayout, frequencies: Vec<Vec<f64>>) -> Result<Self> {
        if frequencies.len() != layout.columns().len() {
            return Err(DataError::Transform(TransformError::InvalidParameter {
                parameter: "frequencies",
                value: frequencies.len().to_string(),
                expected: "one vector per discrete column",
            }));
        }
        let mut cumulative = Vec::with_capacity(frequencies.len());
        let mut normalised = Vec::with_capacity(frequencies.len());
        for (f, c) in frequencies.iter().zip(layout.columns()) {
            if f.len() != c.width() || f.iter().any(|v| !v.is_finite() || *v < 0.0) {
                return Err(DataError::Transform(TransformError::InvalidParameter {
                    parameter: "frequencies",
                    value: format!("{} values for column {}", f.len(), c.name),
                    expected: "one finite value ≥ 0 per slot of the column",
                }));
            }
            let f = normalised_of(f);
            cumulative.push(cumulative_of(&f));
            normalised.push(f);
        }
        Ok(GenerationSampler {
            layout,
            frequencies: normalised,
            cumulative,
        })
    }

    /// True frequencies of `table` (**not private**: for non-private models).
    ///
    /// # Errors
    /// [`crate::TransformError::SchemaMismatch`] when the table lacks a column of the layout.
    pub fn from_table(layout: ConditionLayout, table: &Table) -> Result<Self> {
        let freqs = exact_counts(&layout, table)?;
        Self::from_frequencies(layout, freqs)
    }

    /// The DP-noisy frequencies released by [`fit_private`](crate::fit_private)
    /// (post-processing: free).
    ///
    /// # Errors
    /// [`crate::TransformError::SchemaMismatch`] when a column of the layout has no statistics.
    pub fn from_private(layout: ConditionLayout, stats: &PrivateStatistics) -> Result<Self> {
        let freqs = layout
            .columns()
            .iter()
            .map(|c| {
                stats
                    .column(&c.name)
                    .map(crate::private::NoisyColumn::frequencies)
                    .ok_or_else(|| {
                        DataError::Transform(TransformError::SchemaMismatch {
                            reason: format!("no private statistics for column `{}`", c.name),
                        })
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        Self::from_frequencies(layout, freqs)
    }

    /// The layout.
    pub fn layout(&self) -> &ConditionLayout {
        &self.layout
    }

    /// The normalised frequencies of discrete column `i` (index into the layout's columns).
    /// Each is ≥ 0 (and finite), so it can be given back to
    /// [`from_frequencies`](Self::from_frequencies).
    pub fn frequencies(&self, i: usize) -> Option<Vec<f64>> {
        self.frequencies.get(i).cloned()
    }

    /// `n` condition vectors (`None` when the layout has no discrete column).
    pub fn sample<R: Rng + ?Sized>(&self, n: usize, rng: &mut R) -> Option<ConditionBatch> {
        sample_batch(&self.layout, &self.cumulative, n, rng)
    }
}

/// SDV's training-by-sampling (CTGAN's `DataSampler` with `log_frequency=True`): a discrete
/// column uniformly, a category with probability ∝ log(1 + count), and a real row holding that
/// category.
///
/// **Non-private only.** It keeps exact category frequencies and per-category row lists of the
/// real data, and its sampling of rows is not the Poisson sampling the accountant assumes: the
/// private trainer must not use it (and the type is not constructible from private
/// statistics).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingSampler {
    layout: ConditionLayout,
    cumulative: Vec<Vec<f64>>,
    rows: Vec<Vec<Vec<u32>>>,
    n_rows: usize,
}

impl TrainingSampler {
    /// Indexes `table` (the table the model trains on).
    ///
    /// # Errors
    /// [`crate::TransformError::SchemaMismatch`] when the table lacks a column of the layout;
    /// [`crate::TransformError::NoRows`] for an empty table.
    pub fn new(layout: ConditionLayout, table: &Table) -> Result<Self> {
        if table.n_rows() == 0 {
            return Err(DataError::Transform(TransformError::NoRows));
        }
        let mut rows = Vec::with_capacity(layout.columns().len());
        let mut cumulative = Vec::with_capacity(layout.columns().len());
        for c in layout.columns() {
            let (codes, col) = discrete_codes(table, &c.name)?;
            let mut lists = vec![Vec::new(); c.width()];
            for (i, &code) in codes.iter().enumerate() {
                let slot = if col.is_null(i) {
                    c.categories.len()
                } else {
                    code as usize
                };
                if let Some(l) = lists.get_mut(slot) {
                    l.push(i as u32);
                }
            }
            let log_freq: Vec<f64> = lists
                .iter()
                .map(|l: &Vec<u32>| (1.0 + l.len() as f64).ln())
                .collect();
            cumulative.push(cumulative_of(&normalised_of(&log_freq)));
            rows.push(lists);
        }
        Ok(TrainingSampler {
            layout,
            cumulative,
            rows,
            n_rows: table.n_rows(),
        })
    }

    /// The layout.
    pub fn layout(&self) -> &ConditionLayout {
        &self.layout
    }

    /// `n` condition vectors (`None` when the layout has no discrete column).
    pub fn sample_condition<R: Rng + ?Sized>(
        &self,
        n: usize,
        rng: &mut R,
    ) -> Option<ConditionBatch> {
        sample_batch(&self.layout, &self.cumulative, n, rng)
    }

    /// For each condition of `batch`, a real row holding that category (uniformly among them),
    /// as SDV's `sample_data`. A category with no row (possible only for the null slot or an
    /// unused category, which log(1 + 0) = 0 never draws) falls back to a uniform row.
    pub fn sample_rows<R: Rng + ?Sized>(&self, batch: &ConditionBatch, rng: &mut R) -> Vec<usize> {
        batch
            .columns
            .iter()
            .zip(&batch.categories)
            .map(|(&c, &k)| match self.rows.get(c).and_then(|l| l.get(k)) {
                Some(list) if !list.is_empty() => list[rng.random_range(0..list.len())] as usize,
                _ => rng.random_range(0..self.n_rows),
            })
            .collect()
    }

    /// `n` rows uniformly with replacement (for tables without discrete columns).
    pub fn sample_rows_uniform<R: Rng + ?Sized>(&self, n: usize, rng: &mut R) -> Vec<usize> {
        (0..n).map(|_| rng.random_range(0..self.n_rows)).collect()
    }
}

fn sample_batch<R: Rng + ?Sized>(
    layout: &ConditionLayout,
    cumulative: &[Vec<f64>],
    n: usize,
    rng: &mut R,
) -> Option<ConditionBatch> {
    let n_discrete = layout.columns().len();
    if n_discrete == 0 {
        return None;
    }
    let width = layout.width();
    let mut cond = vec![0.0f32; n * width];
    let mut mask = vec![0.0f32; n * n_discrete];
    let mut columns = Vec::with_capacity(n);
    let mut categories = Vec::with_capacity(n);
    for r in 0..n {
        let c = rng.random_range(0..n_discrete);
        let u: f64 = rng.random();
        let cum = &cumulative[c];
        let k = cum
            .iter()
            .position(|&v| v > u)
            .unwrap_or(cum.len().saturating_sub(1));
        cond[r * width + layout.columns()[c].offset + k] = 1.0;
        mask[r * n_discrete + c] = 1.0;
        columns.push(c);
        categories.push(k);
    }
    Some(ConditionBatch {
        cond: Matrix::new(cond, width).ok()?,
        mask: Matrix::new(mask, n_discrete).ok()?,
        columns,
        categories,
    })
}

/// `weights` divided by their total (uniform when the total is 0): finite values ≥ 0 for
/// finite weights ≥ 0. Weights already normalised (their sum within 1e-12 of 1, as the
/// frequencies a saved model gives back) are kept as they are, so that loading and saving a
/// model again gives the same bytes.
fn normalised_of(weights: &[f64]) -> Vec<f64> {
    let total: f64 = weights.iter().sum();
    if (total - 1.0).abs() <= 1e-12 {
        return weights.to_vec();
    }
    let n = weights.len().max(1) as f64;
    weights
        .iter()
        .map(|w| if total > 0.0 { w / total } else { 1.0 / n })
        .collect()
}

/// Cumulative sums of normalised weights, non-decreasing, capped at 1 and ending at 1.
fn cumulative_of(weights: &[f64]) -> Vec<f64> {
    let mut acc = 0.0_f64;
    let mut out: Vec<f64> = weights
        .iter()
        .map(|w| {
            acc = (acc + w).min(1.0);
            acc
        })
        .collect();
    if let Some(last) = out.last_mut() {
        *last = 1.0;
    }
    out
}

fn discrete_codes<'t>(
    table: &'t Table,
    name: &str,
) -> Result<(&'t [u32], &'t crate::table::Column)> {
    let col = table.column(name).ok_or_else(|| {
        DataError::Transform(TransformError::SchemaMismatch {
            reason: format!("the table has no column `{name}`"),
        })
    })?;
    match col.data() {
        ColumnData::Categorical(codes) => Ok((codes, col)),
        _ => Err(DataError::Transform(TransformError::SchemaMismatch {
            reason: format!("column `{name}` is not categorical"),
        })),
    }
}

fn exact_counts(layout: &ConditionLayout, table: &Table) -> Result<Vec<Vec<f64>>> {
    layout
        .columns()
        .iter()
        .map(|c| {
            let (codes, col) = discrete_codes(table, &c.name)?;
            let mut counts = vec![0.0; c.width()];
            for (i, &code) in codes.iter().enumerate() {
                let slot = if col.is_null(i) {
                    c.categories.len()
                } else {
                    code as usize
                };
                if let Some(s) = counts.get_mut(slot) {
                    *s += 1.0;
                }
            }
            Ok(counts)
        })
        .collect()
}
