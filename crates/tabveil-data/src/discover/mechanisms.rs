//! The releases of private schema discovery, each a function of exact counts that returns
//! only their noisy version (or the values a threshold let through). Every count vector here
//! has L2 sensitivity 1 under add/remove-one-row: a row adds 1 to exactly one cell (or to
//! none, for a field that does not parse), so the Gaussian mechanism with noise σ applies.

use std::collections::BTreeMap;

use statrs::distribution::{ContinuousCDF, Normal};
use tabveil_noise::PrivacyRng;

use super::config::DiscoveryConfig;
use super::grid::ValueGrid;
use crate::datetime;
use crate::error::{DataError, Result};

/// Datetime formats recognised by the format release, in order (those of
/// [`infer_schema`](crate::infer_schema)).
pub(crate) const DATETIME_FORMATS: [&str; 4] = [
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%z",
];

/// Spellings of a boolean recognised by the format release.
const BOOLEAN_SPELLINGS: [&str; 8] = ["true", "false", "yes", "no", "t", "f", "y", "n"];

/// Cells of the format release: integer, decimal, boolean, each datetime format, other text.
pub(crate) const FORMAT_CELLS: usize = 4 + DATETIME_FORMATS.len();
pub(crate) const CELL_INTEGER: usize = 0;
pub(crate) const CELL_DECIMAL: usize = 1;
pub(crate) const CELL_BOOLEAN: usize = 2;
pub(crate) const CELL_DATETIME: usize = 3;
pub(crate) const CELL_TEXT: usize = 3 + DATETIME_FORMATS.len();

/// `z` with `P[N(0, 1) > z] = p`, for `p ∈ (0, 1)`.
pub(crate) fn upper_quantile(p: f64) -> Result<f64> {
    let normal =
        Normal::new(0.0, 1.0).map_err(|_| DataError::Internal("standard normal rejected"))?;
    // By symmetry, −Φ⁻¹(p): accurate for tiny p (no 1 − p cancellation).
    Ok(-normal.inverse_cdf(p))
}

/// The threshold τ of Gaussian thresholding with noise σ such that a value held by one row
/// only is released with probability at most `delta_tau`: `P[1 + N(0, σ²) > τ] ≤ δ_τ`, i.e.
/// `τ = 1 + σ·z(δ_τ)`, nudged up by a relative 1e-9 so that rounding stays on the safe side.
pub(crate) fn threshold_for(sigma: f64, delta_tau: f64) -> Result<f64> {
    let z = upper_quantile(delta_tau)?;
    let tau = 1.0 + sigma * z;
    Ok(tau + 1e-9 * tau.abs())
}

/// The format cell of a non-null field.
pub(crate) fn format_cell(text: &str) -> usize {
    if let Ok(v) = text.parse::<f64>()
        && v.is_finite()
    {
        return if v.fract() == 0.0 {
            CELL_INTEGER
        } else {
            CELL_DECIMAL
        };
    }
    if BOOLEAN_SPELLINGS
        .iter()
        .any(|b| text.eq_ignore_ascii_case(b))
    {
        return CELL_BOOLEAN;
    }
    DATETIME_FORMATS
        .iter()
        .position(|f| datetime::parse_seconds(text, f).is_some())
        .map_or(CELL_TEXT, |k| CELL_DATETIME + k)
}

/// Adds N(0, σ²) to every count, from the privacy RNG. The exact counts are consumed.
pub(crate) fn gaussian_release(
    exact: Vec<f64>,
    sigma: f64,
    rng: &mut PrivacyRng,
) -> Result<Vec<f64>> {
    let mut noise = vec![0.0; exact.len()];
    rng.fill_gaussian_f64(sigma, &mut noise)?;
    Ok(exact.iter().zip(&noise).map(|(c, z)| c + z).collect())
}

/// The format release of one column: noisy counts of its non-null fields per format cell.
pub(crate) fn release_formats(
    fields: &[Option<String>],
    sigma: f64,
    rng: &mut PrivacyRng,
) -> Result<Vec<f64>> {
    let mut exact = vec![0.0; FORMAT_CELLS];
    for text in fields.iter().flatten() {
        exact[format_cell(text)] += 1.0;
    }
    gaussian_release(exact, sigma, rng)
}

/// What Gaussian thresholding released for one column: the values whose noisy count passed
/// τ (sorted), and the noisy null count (the null cell is a public candidate: always
/// released, no threshold needed).
pub(crate) struct SelectedValues {
    pub(crate) values: Vec<String>,
    pub(crate) noisy_nulls: f64,
}

/// Gaussian thresholding (Desfontaines, Voss, Gipson & Mandayam 2022): every value present
/// in the column gets its count plus N(0, σ²); the values above `tau` are released. A value
/// held by one row only passes with probability `P[1 + N(0, σ²) > τ]` (the additive δ the
/// ledger's `GaussianThreshold` event carries); the rest is the Gaussian mechanism on the
/// count vector (L2 sensitivity 1: one row, one cell). The candidate set comes from the
/// data, which is what the threshold pays for. Values are visited in sorted order so that a
/// seeded run is reproducible.
pub(crate) fn select_values(
    fields: &[Option<String>],
    sigma: f64,
    tau: f64,
    rng: &mut PrivacyRng,
) -> Result<SelectedValues> {
    let mut counts: BTreeMap<&str, f64> = BTreeMap::new();
    let mut nulls = 0.0;
    for f in fields {
        match f {
            Some(text) => *counts.entry(text.as_str()).or_insert(0.0) += 1.0,
            None => nulls += 1.0,
        }
    }
    let (labels, mut exact): (Vec<&str>, Vec<f64>) = counts.into_iter().unzip();
    exact.push(nulls);
    let mut noisy = gaussian_release(exact, sigma, rng)?;
    let noisy_nulls = noisy.pop().unwrap_or(0.0);
    // ---- post-processing of the noisy counts only ----
    let values = labels
        .into_iter()
        .zip(noisy)
        .filter(|(_, c)| *c > tau)
        .map(|(l, _)| l.to_owned())
        .collect();
    Ok(SelectedValues {
        values,
        noisy_nulls,
    })
}

/// What the numeric release gave for one column.
pub(crate) struct ReleasedBounds {
    /// The tail bounds, `None` when nothing survived the noise floor.
    pub(crate) bounds: Option<(f64, f64)>,
    pub(crate) noisy_nulls: f64,
}

/// The noisy histogram of a numeric column over the public `grid`, plus a null cell; counts
/// below `floor` are set to 0 (so that the noise of the many empty cells does not move the
/// tails), then the `config.tail` quantiles are read from the rest, widened over thin tails
/// ([`ValueGrid::tail_bounds_with_thin_tails`]; post-processing). `parse` turns
/// a field into a number; a field that does not parse adds to no cell (its row then touches
/// no count, which keeps the sensitivity at most 1).
pub(crate) fn release_bounds(
    fields: &[Option<String>],
    parse: impl Fn(&str) -> Option<f64>,
    grid: &ValueGrid,
    sigma: f64,
    floor: f64,
    config: &DiscoveryConfig,
    rng: &mut PrivacyRng,
) -> Result<ReleasedBounds> {
    let mut exact = vec![0.0; grid.len() + 1];
    for f in fields {
        match f {
            Some(text) => {
                if let Some(x) = parse(text).filter(|x| x.is_finite()) {
                    exact[grid.cell_of(x)] += 1.0;
                }
            }
            None => exact[grid.len()] += 1.0,
        }
    }
    let mut noisy = gaussian_release(exact, sigma, rng)?;
    // ---- post-processing of the noisy counts only ----
    let noisy_nulls = noisy.pop().unwrap_or(0.0);
    let raw = noisy.clone();
    for c in &mut noisy {
        if *c < floor {
            *c = 0.0;
        }
    }
    Ok(ReleasedBounds {
        // Thin tails are looked for over a decade of the log grid (two years of the datetime
        // grid): a public window.
        bounds: grid.tail_bounds_with_thin_tails(
            &noisy,
            &raw,
            config.tail,
            sigma,
            config.bins_per_decade,
        ),
        noisy_nulls,
    })
}
