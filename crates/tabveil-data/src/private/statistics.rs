//! [`PrivateStatistics`]: everything the private preprocessing released, after
//! post-processing.

use serde::{Deserialize, Serialize};

use super::cells::HistogramCells;

/// The noisy statistics released by [`fit_private`](crate::fit_private), one per modelled
/// column, after post-processing (free): counts clamped at 0 (and, for histograms, zeroed
/// below a threshold). Everything here is differentially private and may be kept in a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrivateStatistics {
    noise_std: f64,
    columns: Vec<NoisyColumn>,
}

/// The noisy counts of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoisyColumn {
    /// The column.
    pub name: String,
    /// Categories or histogram cells.
    pub cells: NoisyCells,
    /// Post-processed counts, one per category or cell (≥ 0).
    pub counts: Vec<f64>,
    /// Post-processed count of missing values, for a nullable column.
    pub null_count: Option<f64>,
    /// The sum of the *unclamped* noisy counts (null cell included): an unbiased estimate of
    /// the number of rows, with variance `n_cells · noise_std²`.
    pub raw_total: f64,
}

/// What a column's counts are over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum NoisyCells {
    /// The declared categories, in order.
    Categories,
    /// The cells of a histogram over the declared bounds.
    Histogram(HistogramCells),
}

impl NoisyColumn {
    /// Number of noisy counts released for this column (null cell included).
    pub fn n_cells(&self) -> usize {
        self.counts.len() + usize::from(self.null_count.is_some())
    }

    /// Relative frequencies of the categories, with the null slot last for a nullable column
    /// (the order of the condition vector). Uniform when every count is 0.
    pub fn frequencies(&self) -> Vec<f64> {
        let mut f: Vec<f64> = self.counts.iter().copied().chain(self.null_count).collect();
        let total: f64 = f.iter().sum();
        let n = f.len().max(1) as f64;
        for v in &mut f {
            *v = if total > 0.0 { *v / total } else { 1.0 / n };
        }
        f
    }
}

impl PrivateStatistics {
    pub(crate) fn new(noise_std: f64, columns: Vec<NoisyColumn>) -> Self {
        PrivateStatistics { noise_std, columns }
    }

    /// Standard deviation of the noise added to every count.
    pub fn noise_std(&self) -> f64 {
        self.noise_std
    }

    /// The per-column statistics, in schema order (id columns excluded).
    pub fn columns(&self) -> &[NoisyColumn] {
        &self.columns
    }

    /// The statistics of column `name`.
    pub fn column(&self, name: &str) -> Option<&NoisyColumn> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// A differentially private estimate of the number of rows (post-processing, free): the
    /// inverse-variance weighted mean of the columns' raw noisy totals (each column total is
    /// unbiased with variance `n_cells · noise_std²`). At least 1.
    pub fn estimated_rows(&self) -> f64 {
        let (mut num, mut den) = (0.0, 0.0);
        for c in &self.columns {
            let w = 1.0 / c.n_cells().max(1) as f64;
            num += w * c.raw_total;
            den += w;
        }
        if den > 0.0 { (num / den).max(1.0) } else { 1.0 }
    }

    /// Standard deviation of [`PrivateStatistics::estimated_rows`] (before the max with 1).
    pub fn estimated_rows_std(&self) -> f64 {
        let den: f64 = self
            .columns
            .iter()
            .map(|c| 1.0 / c.n_cells().max(1) as f64)
            .sum();
        if den > 0.0 {
            self.noise_std / den.sqrt()
        } else {
            f64::INFINITY
        }
    }
}
