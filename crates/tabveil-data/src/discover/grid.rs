//! [`ValueGrid`]: the public cells of the noisy histogram that locates a numeric column's
//! bounds, and the tail quantiles read from the released counts.

use serde::{Deserialize, Serialize};

/// A thin tail beyond the cells that pass the noise floor is kept when the sum of its raw
/// noisy counts exceeds this many standard deviations of that sum's noise (σ·√cells): with no
/// rows there, one side widens with probability 0.13 %.
const THIN_TAIL_Z: f64 = 3.0;
/// Seconds in a (Julian) quarter year: the cell width of the datetime grid.
const QUARTER_SECONDS: f64 = 365.25 * 86_400.0 / 4.0;
/// 1900-01-01T00:00:00Z and 2100-01-01T00:00:00Z, in seconds since the epoch.
const DATETIME_RANGE: (f64, f64) = (-2_208_988_800.0, 4_102_444_800.0);

/// The public cells of a numeric column's histogram: fixed before any data is read, so the
/// bounds read from it are cell edges (public numbers), never a value of the data.
///
/// - [`ValueGrid::log`]: symmetric log-spaced cells over ±10^`max_exp`: one centre cell
///   (−10^`min_exp`, 10^`min_exp`), then `per_decade` cells per decade on each side. Values
///   beyond the range fall in the outermost cells (a bound there is the public range's end).
/// - [`ValueGrid::datetime`]: quarter-year cells from 1900 to 2100.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueGrid {
    edges: Vec<f64>,
}

impl ValueGrid {
    /// Symmetric log-spaced cells (see the type's documentation); `min_exp < max_exp`,
    /// `per_decade ≥ 1` (checked by the discovery configuration).
    pub fn log(per_decade: usize, min_exp: i32, max_exp: i32) -> Self {
        let steps = (max_exp - min_exp).max(1) as usize * per_decade.max(1);
        let positive: Vec<f64> = (0..=steps)
            .map(|k| 10f64.powf(f64::from(min_exp) + k as f64 / per_decade.max(1) as f64))
            .collect();
        let mut edges: Vec<f64> = positive.iter().rev().map(|e| -e).collect();
        edges.extend(positive);
        ValueGrid { edges }
    }

    /// Quarter-year cells from 1900-01-01 to 2100-01-01 (seconds since the epoch).
    pub fn datetime() -> Self {
        let (lo, hi) = DATETIME_RANGE;
        let n = ((hi - lo) / QUARTER_SECONDS).ceil() as usize;
        let edges = (0..=n)
            .map(|k| (lo + k as f64 * QUARTER_SECONDS).min(hi))
            .collect();
        ValueGrid { edges }
    }

    /// The number of cells.
    pub fn len(&self) -> usize {
        self.edges.len() - 1
    }

    /// Always false: a grid has at least one cell.
    pub fn is_empty(&self) -> bool {
        self.edges.len() < 2
    }

    /// The whole public range: the first and last edges.
    pub fn range(&self) -> (f64, f64) {
        (self.edges[0], self.edges[self.edges.len() - 1])
    }

    /// The cell of `x`: cell i is [edge i, edge i+1); values outside the range go to the
    /// outermost cells.
    pub fn cell_of(&self, x: f64) -> usize {
        // Number of edges ≤ x, minus one, clamped to the cells.
        let above = self.edges.partition_point(|e| *e <= x);
        above.saturating_sub(1).min(self.len() - 1)
    }

    /// The tail bounds read from released (noisy) cell counts: the left edge of the cell
    /// before the first one where the cumulative count exceeds `tail` of the total, and the
    /// right edge of the cell after the last one where the count from the right exceeds it. `None` when no count is positive.
    /// Post-processing of the counts only.
    pub fn tail_bounds(&self, counts: &[f64], tail: f64) -> Option<(f64, f64)> {
        let total: f64 = counts.iter().filter(|c| **c > 0.0).sum();
        if total <= 0.0 || counts.len() != self.len() {
            return None;
        }
        let cut = tail * total;
        let mut acc = 0.0;
        let mut lo = None;
        for (i, c) in counts.iter().enumerate() {
            acc += c.max(0.0);
            if acc > cut {
                lo = Some(i);
                break;
            }
        }
        let mut acc = 0.0;
        let mut hi = None;
        for (i, c) in counts.iter().enumerate().rev() {
            acc += c.max(0.0);
            if acc > cut {
                hi = Some(i);
                break;
            }
        }
        let (lo, hi) = (lo?, hi?);
        let (lo, hi) = (lo.min(hi), lo.max(hi));
        // One more cell on each side: the noise floor zeroes the thin cells of the tails, so
        // the quantile cell is often one cell inside the true tail (a public rule: the bounds
        // stay cell edges).
        let lo = lo.saturating_sub(1);
        let hi = (hi + 1).min(self.len() - 1);
        Some((self.edges[lo], self.edges[hi + 1]))
    }

    /// [`tail_bounds`](Self::tail_bounds) of the floored counts, widened over thin tails: the
    /// noise floor zeroes every cell that holds fewer rows than it, so rows spread thinly
    /// over many cells beyond the surviving ones (small integers on a log grid, a long
    /// tail) would all be clipped, however many they are together. On each side, the `window`
    /// cells just beyond the outermost surviving cell are summed from their `raw` noisy
    /// counts (noise σ·√window, not a floor per cell); when the sum is significant (above
    /// 3 σ·√window), the bound moves out to the cell that leaves at most `tail` of the total
    /// beyond it. Post-processing of released counts only; `floored` and `raw` are the same
    /// release, with and without the floor.
    pub fn tail_bounds_with_thin_tails(
        &self,
        floored: &[f64],
        raw: &[f64],
        tail: f64,
        sigma: f64,
        window: usize,
    ) -> Option<(f64, f64)> {
        let (mut lo, mut hi) = self.tail_bounds(floored, tail)?;
        if raw.len() != self.len() {
            return Some((lo, hi));
        }
        let total: f64 = floored.iter().filter(|c| **c > 0.0).sum();
        let first = floored.iter().position(|c| *c > 0.0)?;
        let last = floored.iter().rposition(|c| *c > 0.0)?;
        let keep_out = tail * total;
        let below: Vec<f64> = (first.saturating_sub(window)..first)
            .rev()
            .map(|i| raw[i])
            .collect();
        if let Some(k) = thin_tail(&below, keep_out, sigma) {
            lo = lo.min(self.edges[first - k]);
        }
        let above: Vec<f64> = (last + 1..(last + 1 + window).min(self.len()))
            .map(|i| raw[i])
            .collect();
        if let Some(k) = thin_tail(&above, keep_out, sigma) {
            hi = hi.max(self.edges[last + k + 1]);
        }
        Some((lo, hi))
    }
}

/// `cells`: raw noisy counts going out from the surviving cells (nearest first). `None` when
/// their sum is not significant; else how many cells, from the nearest, hold all of it but
/// `keep_out` rows.
fn thin_tail(cells: &[f64], keep_out: f64, sigma: f64) -> Option<usize> {
    let total: f64 = cells.iter().sum();
    if cells.is_empty() || total < THIN_TAIL_Z * sigma * (cells.len() as f64).sqrt() {
        return None;
    }
    let mut acc = 0.0;
    for (k, c) in cells.iter().enumerate() {
        acc += c;
        if acc >= total - keep_out {
            return Some(k + 1);
        }
    }
    Some(cells.len())
}
