//! SDMetrics' `ContingencySimilarity`, the binning the QualityReport applies to continuous
//! columns before it, and Cramér's V.
//!
//! ```
//! use tabveil_eval::fidelity::{contingency_similarity, discretize};
//!
//! // SDMetrics bins a continuous column into 10 equal-width bins between its own minimum and
//! // maximum (numpy's `histogram_bin_edges` + `digitize`); the maximum and missing values land
//! // in bin 11.
//! let bins = discretize(&[0.0, 1.0, 9.5, 10.0, f64::NAN]).unwrap();
//! assert_eq!(bins, vec![Some(1), Some(2), Some(10), Some(11), Some(11)]);
//!
//! let a = [Some(0), Some(0), Some(1), Some(1)];
//! let b = [Some(0), Some(1), Some(0), Some(1)];
//! let pair = contingency_similarity((&a, &b), (&a, &b), 0.0);
//! assert_eq!(pair.score, Some(1.0));
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Counts per (a, b) cell: (real, synthetic). Ordered, so sums run in one fixed order.
type Cells = BTreeMap<(Option<u32>, Option<u32>), (u64, u64)>;

/// Number of equal-width bins SDMetrics' QualityReport uses for continuous columns.
pub const QUALITY_REPORT_BINS: usize = 10;

/// The outcome of [`contingency_similarity`] for one pair of columns.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ContingencyPair {
    /// 1 − ½ Σ |p_real(a, b) − p_synthetic(a, b)| over the cells of either table, or `None` when
    /// the real association does not exceed the threshold (SDMetrics: NaN).
    pub score: Option<f64>,
    /// Cramér's V of the real pair, when a threshold was given and it is defined.
    pub real_association: Option<f64>,
}

/// SDMetrics' `ContingencySimilarity` with its `real_association_threshold`, as the
/// QualityReport calls it (threshold 0.3 there). Missing values (`None`) form their own
/// category, as pandas' `groupby(dropna=False)` does; frequencies are over all rows.
///
/// With a threshold > 0, the real pair's Cramér's V (on the table of observed values, missing
/// included) must exceed it, else the score is `None`; a real table with fewer than two
/// distinct values on either side also gives `None`.
///
/// One deviation: SDMetrics subsamples 50 000 rows at random (without a seed) when a table is
/// larger; we always use every row, so results are reproducible.
pub fn contingency_similarity(
    real: (&[Option<u32>], &[Option<u32>]),
    synthetic: (&[Option<u32>], &[Option<u32>]),
    real_association_threshold: f64,
) -> ContingencyPair {
    let n_real = real.0.len().min(real.1.len());
    let n_synthetic = synthetic.0.len().min(synthetic.1.len());
    if n_real == 0 || n_synthetic == 0 {
        return ContingencyPair {
            score: None,
            real_association: None,
        };
    }
    let mut cells: Cells = BTreeMap::new();
    for (a, b) in real.0.iter().zip(real.1) {
        cells.entry((*a, *b)).or_insert((0, 0)).0 += 1;
    }
    let mut real_association = None;
    if real_association_threshold > 0.0 {
        real_association = cramers_v_of_cells(&cells);
        match real_association {
            Some(v) if v > real_association_threshold => {}
            _ => {
                return ContingencyPair {
                    score: None,
                    real_association,
                };
            }
        }
    }
    for (a, b) in synthetic.0.iter().zip(synthetic.1) {
        cells.entry((*a, *b)).or_insert((0, 0)).1 += 1;
    }
    let (nr, ns) = (n_real as f64, n_synthetic as f64);
    let variation: f64 = cells
        .values()
        .map(|&(r, s)| (r as f64 / nr - s as f64 / ns).abs() / 2.0)
        .sum();
    ContingencyPair {
        // Rounding can push the sum of shares a hair past 1.
        score: Some((1.0 - variation).clamp(0.0, 1.0)),
        real_association,
    }
}

/// Cramér's V of two discrete columns (missing values as their own category), without Yates'
/// correction, as SciPy's `association(method="cramer")`. `None` when either column has fewer
/// than two distinct values or the lengths differ.
pub fn cramers_v(a: &[Option<u32>], b: &[Option<u32>]) -> Option<f64> {
    if a.len() != b.len() {
        return None;
    }
    let mut cells: Cells = BTreeMap::new();
    for (x, y) in a.iter().zip(b) {
        cells.entry((*x, *y)).or_insert((0, 0)).0 += 1;
    }
    cramers_v_of_cells(&cells)
}

/// Bins a continuous column as SDMetrics' QualityReport does before a contingency table:
/// 10 equal-width bins between the column's own minimum and maximum (numpy's
/// `histogram_bin_edges`, widened by ±0.5 when the column is constant; [0, 1] when every value is
/// missing), then numpy's `digitize`: the bin of x is the number of edges ≤ x, so values fall in
/// bins 1…10, the maximum in bin 11, and missing values (NaN) in bin 11 too. `None` when a value
/// is infinite (numpy refuses to bin it; SDMetrics then reports the pairs as NaN).
pub fn discretize(values: &[f64]) -> Option<Vec<Option<u32>>> {
    let edges = histogram_bin_edges(values, QUALITY_REPORT_BINS)?;
    Some(values.iter().map(|&x| Some(digitize(x, &edges))).collect())
}

/// numpy's `histogram_bin_edges(values, bins)` on the non-NaN values.
pub(crate) fn histogram_bin_edges(values: &[f64], bins: usize) -> Option<Vec<f64>> {
    let mut present = values.iter().copied().filter(|v| !v.is_nan()).peekable();
    let (mut first, mut last) = if present.peek().is_none() {
        (0.0, 1.0)
    } else {
        present.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        })
    };
    if !first.is_finite() || !last.is_finite() || bins == 0 {
        return None;
    }
    if first == last {
        first -= 0.5;
        last += 0.5;
    }
    // numpy's linspace: start + i · step, the last edge set to stop exactly.
    let step = (last - first) / bins as f64;
    let mut edges: Vec<f64> = (0..=bins).map(|i| i as f64 * step + first).collect();
    if let Some(end) = edges.last_mut() {
        *end = last;
    }
    Some(edges)
}

/// numpy's `digitize(x, edges)` for increasing edges (`searchsorted(side="right")`): the number
/// of edges ≤ x; NaN sorts after everything.
pub(crate) fn digitize(x: f64, edges: &[f64]) -> u32 {
    if x.is_nan() {
        return edges.len() as u32;
    }
    edges.partition_point(|&e| e <= x) as u32
}

fn cramers_v_of_cells(cells: &Cells) -> Option<f64> {
    let mut rows: Vec<Option<u32>> = Vec::new();
    let mut cols: Vec<Option<u32>> = Vec::new();
    for ((a, b), (count, _)) in cells {
        if *count > 0 {
            rows.push(*a);
            cols.push(*b);
        }
    }
    rows.sort_unstable();
    rows.dedup();
    cols.sort_unstable();
    cols.dedup();
    let (r, c) = (rows.len(), cols.len());
    if r < 2 || c < 2 {
        return None;
    }
    let mut table = vec![0.0f64; r * c];
    for ((a, b), (count, _)) in cells {
        if *count > 0 {
            let i = rows.binary_search(a).ok()?;
            let j = cols.binary_search(b).ok()?;
            table[i * c + j] = *count as f64;
        }
    }
    let row_sums: Vec<f64> = (0..r)
        .map(|i| table[i * c..(i + 1) * c].iter().sum())
        .collect();
    let col_sums: Vec<f64> = (0..c)
        .map(|j| (0..r).map(|i| table[i * c + j]).sum())
        .collect();
    let n: f64 = row_sums.iter().sum();
    let mut chi2 = 0.0;
    for i in 0..r {
        for j in 0..c {
            let expected = row_sums[i] * col_sums[j] / n;
            chi2 += (table[i * c + j] - expected).powi(2) / expected;
        }
    }
    let phi2 = chi2 / n;
    Some((phi2 / (r.min(c) - 1) as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn bin_edges_follow_numpy() {
        let edges = histogram_bin_edges(&[0.0, 10.0], 10).unwrap();
        assert_eq!(edges.len(), 11);
        assert_abs_diff_eq!(edges[3], 3.0, epsilon = 1e-12);
        assert_eq!(edges[10], 10.0);
        // Constant column: widened by ±0.5 (numpy gives 2.5, 2.6, …, 3.5).
        let edges = histogram_bin_edges(&[3.0, 3.0], 10).unwrap();
        assert_abs_diff_eq!(edges[0], 2.5, epsilon = 1e-12);
        assert_abs_diff_eq!(edges[10], 3.5, epsilon = 1e-12);
        assert_eq!(histogram_bin_edges(&[1.0, f64::INFINITY], 10), None);
    }

    #[test]
    fn digitize_matches_numpy() {
        // np.digitize([nan, 0, 1, 5, 10, 11], np.histogram_bin_edges([0, 10])) = [11 1 2 6 11 11]
        let edges = histogram_bin_edges(&[0.0, 10.0], 10).unwrap();
        let got: Vec<u32> = [f64::NAN, 0.0, 1.0, 5.0, 10.0, 11.0]
            .iter()
            .map(|&x| digitize(x, &edges))
            .collect();
        assert_eq!(got, vec![11, 1, 2, 6, 11, 11]);
    }

    #[test]
    fn cramers_v_hand_checked() {
        // Perfect association in a 2×2 table: V = 1. Independence: V = 0.
        let a = [Some(0), Some(0), Some(1), Some(1)];
        assert_abs_diff_eq!(cramers_v(&a, &a).unwrap(), 1.0, epsilon = 1e-12);
        let b = [Some(0), Some(1), Some(0), Some(1)];
        assert_abs_diff_eq!(cramers_v(&a, &b).unwrap(), 0.0, epsilon = 1e-12);
        // SciPy's docstring example: association(obs4x2, "cramer") = 0.18617813077483678.
        let obs = [[100u32, 150], [203, 322], [420, 700], [320, 210]];
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for (i, row) in obs.iter().enumerate() {
            for (j, &count) in row.iter().enumerate() {
                for _ in 0..count {
                    x.push(Some(i as u32));
                    y.push(Some(j as u32));
                }
            }
        }
        assert_abs_diff_eq!(
            cramers_v(&x, &y).unwrap(),
            0.186_178_130_774_836_78,
            epsilon = 1e-12
        );
        assert_eq!(cramers_v(&[Some(0), Some(0)], &[Some(0), Some(1)]), None);
    }

    #[test]
    fn contingency_hand_checked() {
        // Real cells: (0,0) ½, (1,1) ½. Synthetic: (0,0) ¼, (0,1) ¼, (1,1) ½ → TV = ½(¼ + ¼) = ¼.
        let ra = [Some(0), Some(1)];
        let rb = [Some(0), Some(1)];
        let sa = [Some(0), Some(0), Some(1), Some(1)];
        let sb = [Some(0), Some(1), Some(1), Some(1)];
        let pair = contingency_similarity((&ra, &rb), (&sa, &sb), 0.0);
        assert_abs_diff_eq!(pair.score.unwrap(), 0.75, epsilon = 1e-15);
        assert_eq!(pair.real_association, None);
        // Missing values are a category of their own.
        let pair = contingency_similarity((&[None], &[Some(0)]), (&[Some(0)], &[Some(0)]), 0.0);
        assert_abs_diff_eq!(pair.score.unwrap(), 0.0, epsilon = 1e-15);
    }

    #[test]
    fn association_threshold_filters_pairs() {
        let a = [Some(0), Some(0), Some(1), Some(1)];
        let b = [Some(0), Some(1), Some(0), Some(1)];
        let pair = contingency_similarity((&a, &b), (&a, &b), 0.3);
        assert_eq!(pair.score, None);
        assert_abs_diff_eq!(pair.real_association.unwrap(), 0.0, epsilon = 1e-12);
        let pair = contingency_similarity((&a, &a), (&a, &b), 0.3);
        assert_abs_diff_eq!(pair.score.unwrap(), 0.5, epsilon = 1e-15);
    }
}
