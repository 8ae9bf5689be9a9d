//! Discretisation: every modelled column becomes an attribute with *fine cells*, fixed by
//! public information only (the schema's categories and bounds, whether a column is integer
//! or nullable, and the fine resolution chosen before the column is measured), and *model
//! cells*, contiguous groups of fine cells chosen afterwards from the column's noisy fine
//! histogram (post-processing of a release).
//!
//! - Categorical / boolean: one fine cell per declared category, then a null cell when the
//!   column is nullable.
//! - Continuous / datetime over the declared [min, max]: one cell per integer when the column
//!   is integer and its range has at most `resolution` values; otherwise a point cell for
//!   exactly `min`, `resolution` equal-width bins over (min, max), a point cell for exactly
//!   `max`, and a point cell for exactly 0 when 0 lies strictly inside the bounds (spikes at
//!   the bounds and at zero — amounts, balances, counts — are common, and a point cell keeps
//!   them exact at no privacy cost: a row still falls in exactly one cell). Then a null cell
//!   when nullable.

use serde::{Deserialize, Serialize};

/// How the fine cells of a numeric column partition its range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub(crate) enum Grid {
    /// One cell per integer `first, first + 1, …, first + count − 1`.
    Integers {
        /// The first integer.
        first: f64,
        /// How many integers.
        count: usize,
    },
    /// Point cells at the bounds (and at 0 when inside), equal-width bins between.
    Bins {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
        /// Interior bins.
        bins: usize,
        /// Whether there is a point cell for exactly 0 (right after the bin holding 0).
        zero: bool,
        /// Whether decoded values are rounded to integers.
        integer: bool,
    },
}

/// What one fine cell of a numeric grid stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CellRange {
    /// Exactly this value.
    Point(f64),
    /// Values in [lo, hi) (integer columns: rounded, within the bounds).
    Interval(f64, f64),
}

impl Grid {
    /// The grid of a numeric column with bounds `min < max` (finite) at `resolution`.
    pub(crate) fn new(min: f64, max: f64, integer: bool, resolution: usize) -> Self {
        let resolution = resolution.max(1);
        let (lo, hi) = (min.ceil(), max.floor());
        if integer && hi >= lo && hi - lo < resolution as f64 {
            return Grid::Integers {
                first: lo,
                count: (hi - lo) as usize + 1,
            };
        }
        Grid::Bins {
            min,
            max,
            bins: resolution,
            zero: min < 0.0 && 0.0 < max,
            integer,
        }
    }

    /// Number of cells.
    pub(crate) fn len(&self) -> usize {
        match *self {
            Grid::Integers { count, .. } => count,
            Grid::Bins { bins, zero, .. } => bins + 2 + usize::from(zero),
        }
    }

    /// The cell of `x` (values outside the bounds go to the nearest end cell).
    pub(crate) fn cell_of(&self, x: f64) -> usize {
        match *self {
            Grid::Integers { first, count } => {
                ((x.round() - first).max(0.0) as usize).min(count.saturating_sub(1))
            }
            Grid::Bins {
                min,
                max,
                bins,
                zero,
                ..
            } => {
                let last = bins + 1 + usize::from(zero);
                if x <= min {
                    return 0;
                }
                if x >= max {
                    return last;
                }
                let b = (((x - min) / (max - min) * bins as f64) as usize).min(bins - 1);
                if !zero {
                    return 1 + b;
                }
                let zb = self.zero_bin();
                if x == 0.0 {
                    2 + zb
                } else if b <= zb {
                    1 + b
                } else {
                    2 + b
                }
            }
        }
    }

    /// What cell `cell` stands for.
    pub(crate) fn range(&self, cell: usize) -> CellRange {
        match *self {
            Grid::Integers { first, .. } => CellRange::Point(first + cell as f64),
            Grid::Bins {
                min,
                max,
                bins,
                zero,
                ..
            } => {
                let last = bins + 1 + usize::from(zero);
                if cell == 0 {
                    return CellRange::Point(min);
                }
                if cell >= last {
                    return CellRange::Point(max);
                }
                let width = (max - min) / bins as f64;
                let b = if zero {
                    let zb = self.zero_bin();
                    if cell == 2 + zb {
                        return CellRange::Point(0.0);
                    }
                    if cell <= 1 + zb { cell - 1 } else { cell - 2 }
                } else {
                    cell - 1
                };
                CellRange::Interval(min + b as f64 * width, min + (b + 1) as f64 * width)
            }
        }
    }

    /// True when the grid's parameters are usable (a loaded model is checked with it).
    pub(crate) fn is_valid(&self) -> bool {
        match *self {
            Grid::Integers { first, count } => first.is_finite() && count >= 1,
            Grid::Bins { min, max, bins, .. } => {
                min.is_finite() && max.is_finite() && min < max && bins >= 1
            }
        }
    }

    /// True when decoded values are whole numbers.
    pub(crate) fn is_integer(&self) -> bool {
        match *self {
            Grid::Integers { .. } => true,
            Grid::Bins { integer, .. } => integer,
        }
    }

    /// The interior bin holding 0 (only meaningful when the grid has a zero cell).
    fn zero_bin(&self) -> usize {
        match *self {
            Grid::Bins { min, max, bins, .. } => {
                (((0.0 - min) / (max - min) * bins as f64) as usize).min(bins - 1)
            }
            Grid::Integers { .. } => 0,
        }
    }

    /// Whether cell `cell` is a point cell of a binned grid (bounds, zero): the cells that
    /// may become model cells of their own.
    pub(crate) fn is_point(&self, cell: usize) -> bool {
        matches!(self, Grid::Bins { .. }) && matches!(self.range(cell), CellRange::Point(_))
    }
}

/// The fine cells of one modelled column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum FineCells {
    /// Categorical or boolean: one cell per category.
    Categories {
        /// The categories (the schema's, or in non-private mode the table's domain when the
        /// schema declares none).
        labels: Vec<String>,
    },
    /// Continuous or datetime.
    Numeric {
        /// The grid.
        grid: Grid,
    },
}

/// A modelled column: its schema position and its fine cells (a null cell last when
/// nullable). Public: a function of the schema and the chosen resolution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Coding {
    /// The column's index in the schema.
    pub(crate) column: usize,
    /// The column's name.
    pub(crate) name: String,
    /// The non-null cells.
    pub(crate) cells: FineCells,
    /// Whether a null cell follows.
    pub(crate) nullable: bool,
}

impl Coding {
    /// Number of fine cells, the null cell included.
    pub(crate) fn len(&self) -> usize {
        let base = match &self.cells {
            FineCells::Categories { labels } => labels.len(),
            FineCells::Numeric { grid } => grid.len(),
        };
        base + usize::from(self.nullable)
    }

    /// The null cell, if the column is nullable.
    pub(crate) fn null_cell(&self) -> Option<usize> {
        self.nullable.then(|| self.len() - 1)
    }

    /// The grid of a numeric column.
    pub(crate) fn grid(&self) -> Option<&Grid> {
        match &self.cells {
            FineCells::Numeric { grid } => Some(grid),
            FineCells::Categories { .. } => None,
        }
    }
}

/// The model cells of one attribute: contiguous groups of its fine cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Grouping {
    /// For each fine cell, its model cell.
    pub(crate) group_of: Vec<u32>,
    /// Number of model cells.
    pub(crate) groups: usize,
}

impl Grouping {
    /// One model cell per fine cell.
    pub(crate) fn identity(n: usize) -> Self {
        Grouping {
            group_of: (0..n as u32).collect(),
            groups: n,
        }
    }

    /// The grouping from a list of group labels per fine cell, relabelled 0, 1, … in order
    /// of first appearance.
    pub(crate) fn from_labels(labels: &[usize]) -> Self {
        let mut map: Vec<(usize, u32)> = Vec::new();
        let mut group_of = Vec::with_capacity(labels.len());
        for &l in labels {
            let g = match map.iter().find(|(k, _)| *k == l) {
                Some(&(_, g)) => g,
                None => {
                    let g = map.len() as u32;
                    map.push((l, g));
                    g
                }
            };
            group_of.push(g);
        }
        Grouping {
            groups: map.len(),
            group_of,
        }
    }

    /// The fine cells of model cell `g`.
    pub(crate) fn members(&self, g: usize) -> impl Iterator<Item = usize> + '_ {
        self.group_of
            .iter()
            .enumerate()
            .filter(move |(_, x)| **x as usize == g)
            .map(|(f, _)| f)
    }
}

/// The weights of a column's fine cells from its noisy histogram `y` (noise std `sigma` per
/// cell; 0 without privacy) — post-processing:
/// - categories: counts below `floor · σ` weigh 0, the others their noisy count;
/// - numeric columns: the interval cells are smoothed with the kernel (1, 2, 3, 2, 1)/9, which
///   divides the noise's standard deviation by about 2 (σ_s ≈ 0.48 σ). The *bulk* is the run
///   from the first to the last cell whose smoothed count exceeds `edge · σ_s`, with `edge`
///   chosen so that a column of empty cells passes it with probability ≈ 5 % (P(Z > edge) =
///   0.05 / cells): a value decoded far outside the data's range — from a cell only noise
///   filled — would distort every statistic computed from the synthetic column's range. In
///   the bulk (widened by the kernel's reach, 2 cells) the weights are the smoothed counts less
///   `floor · σ_s`; beyond it, 0. (Geometric tails beyond the bulk, holding each side's
///   estimated mass, scored no better on the benchmark tables and are not used.)
///   Point cells (bounds, zero) weigh their count when it passes the `edge` test on σ.
pub(crate) fn denoise(coding: &Coding, y: &[f64], sigma: f64, floor: f64) -> Vec<f64> {
    let hard = |v: f64, s: f64| if v > 0.0 && v >= floor * s { v } else { 0.0 };
    let FineCells::Numeric { grid } = &coding.cells else {
        return y.iter().map(|&v| hard(v, sigma)).collect();
    };
    if sigma <= 0.0 {
        return y.iter().map(|&v| v.max(0.0)).collect();
    }
    let base = grid.len();
    let interval: Vec<usize> = (0..base).filter(|&f| !grid.is_point(f)).collect();
    const KERNEL: [f64; 5] = [1.0, 2.0, 3.0, 2.0, 1.0];
    let smoothed: Vec<f64> = (0..interval.len())
        .map(|k| {
            let (mut sum, mut weight) = (0.0, 0.0);
            for (j, kw) in KERNEL.iter().enumerate() {
                let i = k as isize + j as isize - 2;
                if i >= 0 && (i as usize) < interval.len() {
                    sum += kw * y[interval[i as usize]];
                    weight += kw;
                }
            }
            sum / weight
        })
        .collect();
    let z = upper_normal_quantile(0.05 / base.max(1) as f64);
    let sigma_s = sigma * (19.0f64).sqrt() / 9.0;
    let mut w: Vec<f64> = y
        .iter()
        .map(|&v| if v > z * sigma { v } else { 0.0 })
        .collect();
    let first = smoothed.iter().position(|&v| v > z * sigma_s);
    let last = smoothed.iter().rposition(|&v| v > z * sigma_s);
    let (lo, hi) = match (first, last) {
        (Some(a), Some(b)) => (
            a.saturating_sub(2),
            (b + 2).min(interval.len().saturating_sub(1)),
        ),
        // No significant cell at all: nothing to trim by.
        _ => (0, interval.len().saturating_sub(1)),
    };
    for (k, &f) in interval.iter().enumerate() {
        w[f] = if (lo..=hi).contains(&k) {
            (smoothed[k] - floor * sigma_s).max(0.0)
        } else {
            0.0
        };
    }
    w
}

/// z with P(Z > z) = p for a standard normal Z (p in (0, 0.5]; Acklam's rational
/// approximation of the tail, relative error < 1.2e-9).
pub(crate) fn upper_normal_quantile(p: f64) -> f64 {
    let p = p.clamp(1e-300, 0.5);
    // Acklam's lower-tail quantile x(p) (relative error below 1.2e-9); the upper one is −x.
    const P_LOW: f64 = 0.024_25;
    if p >= P_LOW {
        let a = [
            -3.969_683_028_665_376e1,
            2.209_460_984_245_205e2,
            -2.759_285_104_469_687e2,
            1.383_577_518_672_69e2,
            -3.066_479_806_614_716e1,
            2.506_628_277_459_239,
        ];
        let b = [
            -5.447_609_879_822_406e1,
            1.615_858_368_580_409e2,
            -1.556_989_798_598_866e2,
            6.680_131_188_771_972e1,
            -1.328_068_155_288_572e1,
        ];
        let q = p - 0.5;
        let r = q * q;
        let num = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q;
        let den = ((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0;
        return -(num / den);
    }
    let q = (-2.0 * p.ln()).sqrt();
    let c = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    let d = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let num = ((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5];
    let den = (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0;
    -(num / den)
}

/// Settings of [`group_cells`] (all public).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GroupingRule {
    /// A fine cell (category, point cell) whose denoised count is below this is "small".
    pub(crate) small: f64,
    /// Target mass of each interval group of a numeric column.
    pub(crate) mass_per_group: f64,
    /// Most interval groups of a numeric column.
    pub(crate) max_groups: usize,
    /// Never merge categories (the target column).
    pub(crate) keep_categories: bool,
}

/// The model cells of an attribute from its denoised (≥ 0) fine counts — post-processing of
/// the column's noisy histogram, so any rule is allowed; this one:
/// - categorical: small categories (below `rule.small`) are merged into one cell when there
///   are at least two of them (never for `keep_categories`); the null cell is a category;
/// - numeric: the null cell is a cell; point cells holding at least `rule.small` are cells of
///   their own (others join the interval next to them); the interval cells are split into
///   contiguous groups of roughly equal mass, about `mass / rule.mass_per_group` of them
///   (between 1 and `rule.max_groups`); a group may straddle a kept point cell.
pub(crate) fn group_cells(coding: &Coding, counts: &[f64], rule: &GroupingRule) -> Grouping {
    let n = coding.len();
    match &coding.cells {
        FineCells::Categories { .. } => {
            let small: Vec<usize> = (0..n).filter(|&f| counts[f] < rule.small).collect();
            if rule.keep_categories || small.len() < 2 {
                return Grouping::identity(n);
            }
            let merged = small[0];
            let labels: Vec<usize> = (0..n)
                .map(|f| if counts[f] < rule.small { merged } else { f })
                .collect();
            Grouping::from_labels(&labels)
        }
        FineCells::Numeric { grid } => {
            let base = grid.len();
            // Labels below `n` are kept point cells (their own index); labels from `n` on are
            // interval groups, numbered by cumulative mass so they follow the values' order.
            let kept_point = |f: usize| grid.is_point(f) && counts[f] >= rule.small;
            let interior: Vec<usize> = (0..base).filter(|&f| !kept_point(f)).collect();
            let mass: f64 = interior.iter().map(|&f| counts[f]).sum();
            let groups = ((mass / rule.mass_per_group.max(1e-9)).round() as usize)
                .clamp(1, rule.max_groups.max(1))
                .min(interior.len().max(1));
            let mut labels = vec![0usize; n];
            let mut cumulative = 0.0;
            for f in 0..base {
                if kept_point(f) {
                    labels[f] = f;
                    continue;
                }
                let g = if mass > 0.0 {
                    ((cumulative + 0.5 * counts[f]) / (mass / groups as f64)) as usize
                } else {
                    // No mass anywhere: equal numbers of cells.
                    let k = interior.iter().position(|&x| x == f).unwrap_or(0);
                    k * groups / interior.len().max(1)
                };
                labels[f] = n + g.min(groups - 1);
                cumulative += counts[f];
            }
            if let Some(null) = coding.null_cell() {
                labels[null] = null;
            }
            Grouping::from_labels(&labels)
        }
    }
}

#[cfg(test)]
mod tests;
