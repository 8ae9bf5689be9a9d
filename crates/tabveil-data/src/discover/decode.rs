//! Post-processing of the noisy releases into schema fields: the noise floor of a histogram,
//! bounds from its tail cells, a kind from the format counts, the `other` label.

use super::config::DiscoveryConfig;
use super::grid::ValueGrid;
use super::mechanisms::{
    CELL_BOOLEAN, CELL_DATETIME, CELL_DECIMAL, CELL_INTEGER, DATETIME_FORMATS, FORMAT_CELLS,
    upper_quantile,
};
use crate::error::Result;
use crate::schema::ColumnKind;

/// The noise floor of a histogram over `grid`: the level that the noise of one empty cell
/// passes with probability `spurious_cells / cells`.
pub(crate) fn noise_floor(grid: &ValueGrid, sigma: f64, config: &DiscoveryConfig) -> Result<f64> {
    let p = (config.spurious_cells / grid.len() as f64).clamp(1e-300, 0.5);
    Ok(sigma * upper_quantile(p)?)
}

/// The column's bounds: declared ones kept, released ones from the histogram (`unit` 1: the
/// integers inside the cells; another unit, e.g. a day for datetimes: multiples of it,
/// outwards), the grid's public range when nothing was released.
pub(crate) fn bounds_from(
    released: Option<(f64, f64)>,
    grid: &ValueGrid,
    min: Option<f64>,
    max: Option<f64>,
    unit: Option<f64>,
) -> (f64, f64, bool) {
    let fallback = released.is_none();
    let (lo, hi) = released.unwrap_or_else(|| grid.range());
    // Integers: [ceil(lo), floor(hi)] holds every integer the cells [lo, hi) can hold (so the
    // centre cell (−10⁻³, 10⁻³) of an integer column is 0). Days: outwards.
    let (mut lo, mut hi) = match unit {
        Some(u) if u == 1.0 && !fallback => (lo.ceil() + 0.0, hi.floor() + 0.0),
        Some(u) => ((lo / u).floor() * u, (hi / u).ceil() * u),
        None => (lo, hi),
    };
    if unit.is_some() && lo >= hi {
        hi = lo + unit.unwrap_or(1.0);
    }
    if let Some(m) = min {
        lo = m;
    }
    if let Some(m) = max {
        hi = m;
    }
    if lo >= hi {
        // A declared bound on the wrong side of the released one: the public range instead.
        let (glo, ghi) = grid.range();
        if min.is_some() {
            hi = ghi.max(lo + 1.0);
        } else {
            lo = glo.min(hi - 1.0);
        }
    }
    (lo, hi, fallback)
}

pub(crate) fn mark_bounds(released: &mut Vec<&'static str>, min: Option<f64>, max: Option<f64>) {
    if min.is_none() {
        released.push("min");
    }
    if max.is_none() {
        released.push("max");
    }
}

/// The kind read from the noisy format counts (post-processing), and whether it is a
/// fallback (nothing survived the noise: categorical).
pub(crate) fn kind_from_formats(
    noisy: &[f64],
    sigma: f64,
    config: &DiscoveryConfig,
) -> (ColumnKind, bool) {
    let c = |i: usize| noisy.get(i).copied().unwrap_or(0.0).max(0.0);
    let total: f64 = (0..FORMAT_CELLS).map(c).sum();
    let categorical = ColumnKind::Categorical { categories: None };
    if total <= 0.0 {
        return (categorical, true);
    }
    let share = config.majority * total;
    if c(CELL_INTEGER) + c(CELL_DECIMAL) >= share {
        let integer =
            noisy.get(CELL_DECIMAL).copied().unwrap_or(0.0) < config.integer_below * sigma;
        return (
            ColumnKind::Continuous {
                min: None,
                max: None,
                integer,
            },
            false,
        );
    }
    if c(CELL_BOOLEAN) >= share {
        return (ColumnKind::Boolean { categories: None }, false);
    }
    for (k, f) in DATETIME_FORMATS.iter().enumerate() {
        if c(CELL_DATETIME + k) >= share {
            return (
                ColumnKind::Datetime {
                    format: (*f).to_owned(),
                    min: None,
                    max: None,
                },
                false,
            );
        }
    }
    (categorical, false)
}

/// `label`, or `label 2`, `label 3`, … if a released value already has it.
pub(crate) fn unique_label(label: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == label) {
        return label.to_owned();
    }
    (2..)
        .map(|k| format!("{label} {k}"))
        .find(|l| !taken.iter().any(|t| t == l))
        .unwrap_or_else(|| label.to_owned())
}
