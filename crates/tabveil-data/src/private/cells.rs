//! The cells of the noisy histogram of a continuous column over its public bounds.

use serde::{Deserialize, Serialize};

/// How a continuous column's values are counted: a partition of [min, max] that depends only on
/// public information (the declared bounds, whether the column is integer, the bin count).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistogramCells {
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
    /// The representative value of each cell (a bin's centre, or the exact value of a point
    /// cell).
    pub centres: Vec<f64>,
    /// The variance of the values a cell stands for: `width²/12` for a bin (values spread
    /// uniformly), 0 for a point cell.
    pub spreads: Vec<f64>,
    /// How values map to cells.
    pub rule: CellRule,
}

/// How values map to cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellRule {
    /// One point cell per integer in [⌈min⌉, ⌊max⌋] (integer columns with a small range).
    Integers,
    /// A point cell for exactly `min`, `bins` equal-width bins over (min, max), a point cell
    /// for exactly `max`. Spikes at the bounds (zeros, clipped values) are common, and a point
    /// cell keeps them exact at no privacy cost (one row still touches one cell).
    BoundsAndBins {
        /// Number of interior bins.
        bins: usize,
    },
}

impl HistogramCells {
    /// The cells for a column with bounds [min, max] (min < max, finite).
    pub(crate) fn new(min: f64, max: f64, integer: bool, bins: usize) -> Self {
        let (lo, hi) = (min.ceil(), max.floor());
        if integer && hi >= lo && hi - lo < (bins + 2) as f64 {
            let n = (hi - lo) as usize + 1;
            return HistogramCells {
                min,
                max,
                centres: (0..n).map(|i| lo + i as f64).collect(),
                spreads: vec![0.0; n],
                rule: CellRule::Integers,
            };
        }
        let width = (max - min) / bins as f64;
        let mut centres = Vec::with_capacity(bins + 2);
        let mut spreads = Vec::with_capacity(bins + 2);
        centres.push(min);
        spreads.push(0.0);
        for b in 0..bins {
            centres.push(min + (b as f64 + 0.5) * width);
            spreads.push(width * width / 12.0);
        }
        centres.push(max);
        spreads.push(0.0);
        HistogramCells {
            min,
            max,
            centres,
            spreads,
            rule: CellRule::BoundsAndBins { bins },
        }
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.centres.len()
    }

    /// True when there are no cells (never, for a valid column).
    pub fn is_empty(&self) -> bool {
        self.centres.is_empty()
    }

    /// The cell of a value in [min, max] (values outside are put in the nearest cell).
    pub(crate) fn cell_of(&self, x: f64) -> usize {
        let last = self.centres.len().saturating_sub(1);
        match self.rule {
            CellRule::Integers => {
                let first = self.centres.first().copied().unwrap_or(0.0);
                ((x.round() - first).max(0.0) as usize).min(last)
            }
            CellRule::BoundsAndBins { bins } => {
                if x <= self.min {
                    0
                } else if x >= self.max {
                    last
                } else {
                    let b = ((x - self.min) / (self.max - self.min) * bins as f64) as usize;
                    1 + b.min(bins - 1)
                }
            }
        }
    }
}
