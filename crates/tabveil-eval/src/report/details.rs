//! Per-column details and association matrices.

use super::{AssociationMatrices, ColumnDetail, Distribution};
use crate::fidelity::{
    ColumnShape, chi_square, cramers_v, discretize, histogram_bin_edges, ks_statistic, pearson,
    wasserstein1,
};
use crate::frame::{Frame, Layout};

/// Bins of the per-column histograms.
const HISTOGRAM_BINS: usize = 30;

pub(crate) fn column_details(
    layout: &Layout,
    real: &Frame,
    synthetic: &Frame,
    shapes: &[ColumnShape],
) -> Vec<ColumnDetail> {
    let mut out = Vec::new();
    for (j, spec) in layout.columns.iter().enumerate() {
        let Some(shape) = shapes.iter().find(|s| s.column == spec.name) else {
            continue;
        };
        let detail = if spec.kind.is_continuous() {
            let (r, s) = (real.continuous(j), synthetic.continuous(j));
            ColumnDetail {
                column: spec.name.clone(),
                kind: spec.kind,
                shape_metric: shape.metric,
                shape_score: shape.score,
                ks_statistic: ks_statistic(r, s),
                wasserstein: wasserstein1(r, s),
                chi_square: None,
                missing_real: missing_share(r.iter().map(|v| v.is_nan())),
                missing_synthetic: missing_share(s.iter().map(|v| v.is_nan())),
                distribution: histogram(r, s),
            }
        } else {
            let (r, s) = (real.categorical(j), synthetic.categorical(j));
            let n = spec.categories.len();
            ColumnDetail {
                column: spec.name.clone(),
                kind: spec.kind,
                shape_metric: shape.metric,
                shape_score: shape.score,
                ks_statistic: None,
                wasserstein: None,
                chi_square: chi_square(r, s, n),
                missing_real: missing_share(r.iter().map(Option::is_none)),
                missing_synthetic: missing_share(s.iter().map(Option::is_none)),
                distribution: Distribution::Categories {
                    labels: spec.categories.clone(),
                    real: shares(r, n),
                    synthetic: shares(s, n),
                },
            }
        };
        out.push(detail);
    }
    out
}

pub(crate) fn association_matrices(
    layout: &Layout,
    real: &Frame,
    synthetic: &Frame,
) -> AssociationMatrices {
    let used: Vec<usize> = (0..layout.columns.len())
        .filter(|&j| layout.columns[j].kind.is_continuous() || layout.columns[j].kind.is_discrete())
        .collect();
    let matrix = |frame: &Frame| -> Vec<Vec<Option<f64>>> {
        let discrete: Vec<Option<Vec<Option<u32>>>> = used
            .iter()
            .map(|&j| {
                if layout.columns[j].kind.is_continuous() {
                    discretize(frame.continuous(j))
                } else {
                    Some(frame.categorical(j).to_vec())
                }
            })
            .collect();
        let mut m = vec![vec![None; used.len()]; used.len()];
        for a in 0..used.len() {
            m[a][a] = Some(1.0);
            for b in a + 1..used.len() {
                let (ja, jb) = (used[a], used[b]);
                let value = if layout.columns[ja].kind.is_continuous()
                    && layout.columns[jb].kind.is_continuous()
                {
                    pearson(frame.continuous(ja), frame.continuous(jb))
                } else {
                    match (&discrete[a], &discrete[b]) {
                        (Some(x), Some(y)) => cramers_v(x, y),
                        _ => None,
                    }
                };
                m[a][b] = value;
                m[b][a] = value;
            }
        }
        m
    };
    AssociationMatrices {
        columns: used
            .iter()
            .map(|&j| layout.columns[j].name.clone())
            .collect(),
        real: matrix(real),
        synthetic: matrix(synthetic),
    }
}

fn missing_share(flags: impl ExactSizeIterator<Item = bool>) -> f64 {
    let n = flags.len();
    let missing = flags.filter(|m| *m).count();
    if n == 0 {
        0.0
    } else {
        missing as f64 / n as f64
    }
}

fn shares(codes: &[Option<u32>], n: usize) -> Vec<f64> {
    let mut counts = vec![0.0; n];
    let mut total = 0.0;
    for c in codes.iter().flatten() {
        if let Some(slot) = counts.get_mut(*c as usize) {
            *slot += 1.0;
            total += 1.0;
        }
    }
    if total > 0.0 {
        counts.iter_mut().for_each(|c| *c /= total);
    }
    counts
}

fn histogram(real: &[f64], synthetic: &[f64]) -> Distribution {
    let both: Vec<f64> = real
        .iter()
        .chain(synthetic)
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let edges = histogram_bin_edges(&both, HISTOGRAM_BINS).unwrap_or_default();
    let count = |values: &[f64]| -> Vec<f64> {
        let mut counts = vec![0.0; HISTOGRAM_BINS];
        let mut total = 0.0;
        let (Some(lo), Some(hi)) = (edges.first(), edges.last()) else {
            return counts;
        };
        let width = (hi - lo) / HISTOGRAM_BINS as f64;
        for &v in values.iter().filter(|v| v.is_finite()) {
            let bin = (((v - lo) / width) as usize).min(HISTOGRAM_BINS - 1);
            counts[bin] += 1.0;
            total += 1.0;
        }
        if total > 0.0 {
            counts.iter_mut().for_each(|c| *c /= total);
        }
        counts
    };
    Distribution::Histogram {
        real: count(real),
        synthetic: count(synthetic),
        edges,
    }
}
