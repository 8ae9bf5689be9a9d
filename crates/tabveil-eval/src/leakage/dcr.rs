//! Distance to closest record: synthetic → training next to synthetic → holdout.

use serde::{Deserialize, Serialize};

use super::gower::{GowerSpace, Reference, nearest};
use super::percentile_sorted;
use crate::frame::Frame;

/// Number of bins of the DCR histograms.
const HISTOGRAM_BINS: usize = 40;

/// Summary of the distances from every synthetic row to its nearest row of one reference table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DcrStats {
    /// Rows of the reference table searched.
    pub reference_rows: usize,
    /// Median distance.
    pub median: f64,
    /// 5th percentile: how close the closest few percent come.
    pub p5: f64,
    /// Share of synthetic rows at distance 0 (identical on every column used).
    pub exact_copy_rate: f64,
}

/// Distance to closest record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DcrSummary {
    /// Synthetic → the whole training table (its exact-copy rate is the one to quote).
    pub synthetic_to_train: DcrStats,
    /// Synthetic → a random training subset as large as the holdout (the fair comparison).
    pub synthetic_to_train_size_matched: Option<DcrStats>,
    /// Synthetic → holdout: the baseline.
    pub synthetic_to_holdout: Option<DcrStats>,
    /// Share of synthetic rows strictly closer to the size-matched training subset than to the
    /// holdout (ties count half). Baseline 0.5.
    pub closer_to_train_share: Option<f64>,
    /// Histograms of the size-matched training and holdout distances (or of the training
    /// distances alone without a holdout), on common bins.
    pub histogram: DcrHistogram,
    /// One line saying what the numbers mean.
    pub reading: String,
}

/// Histogram counts of DCR values on shared bin edges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DcrHistogram {
    /// Bin edges (one more than counts).
    pub edges: Vec<f64>,
    /// Counts of synthetic → training distances (size-matched when a holdout exists).
    pub train: Vec<u64>,
    /// Counts of synthetic → holdout distances (empty without a holdout).
    pub holdout: Vec<u64>,
}

pub(super) fn dcr(
    space: &GowerSpace,
    real: &Frame,
    synthetic: &Frame,
    holdout: Option<&Frame>,
    members: Option<&[usize]>,
    threads: usize,
) -> DcrSummary {
    let queries = space.encode(synthetic);
    let distances = |reference: &Frame| -> Vec<f64> {
        nearest(
            space,
            &queries,
            &Reference::new(&space.encode(reference)),
            threads,
        )
        .into_iter()
        .flatten()
        .map(|n| n.distance)
        .collect()
    };
    let to_train = distances(real);
    let synthetic_to_train = stats(&to_train, real.n_rows);
    let (matched, to_holdout) = match (holdout, members) {
        (Some(h), Some(m)) => (Some(distances(&real.select_rows(m))), Some(distances(h))),
        _ => (None, None),
    };
    let closer_to_train_share = match (&matched, &to_holdout) {
        (Some(a), Some(b)) if !a.is_empty() => Some(
            a.iter()
                .zip(b)
                .map(|(x, y)| match x.partial_cmp(y) {
                    Some(std::cmp::Ordering::Less) => 1.0,
                    Some(std::cmp::Ordering::Equal) => 0.5,
                    _ => 0.0,
                })
                .sum::<f64>()
                / a.len() as f64,
        ),
        _ => None,
    };
    let synthetic_to_train_size_matched = matched
        .as_ref()
        .zip(members)
        .map(|(d, m)| stats(d, m.len()));
    let synthetic_to_holdout = to_holdout
        .as_ref()
        .zip(holdout)
        .map(|(d, h)| stats(d, h.n_rows));
    let histogram = histogram(
        matched.as_deref().unwrap_or(&to_train),
        to_holdout.as_deref().unwrap_or(&[]),
    );
    let reading = reading(
        &synthetic_to_train,
        synthetic_to_train_size_matched.as_ref(),
        synthetic_to_holdout.as_ref(),
        closer_to_train_share,
    );
    DcrSummary {
        synthetic_to_train,
        synthetic_to_train_size_matched,
        synthetic_to_holdout,
        closer_to_train_share,
        histogram,
        reading,
    }
}

fn stats(distances: &[f64], reference_rows: usize) -> DcrStats {
    let mut sorted = distances.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let copies = sorted.iter().filter(|d| **d == 0.0).count();
    DcrStats {
        reference_rows,
        median: percentile_sorted(&sorted, 50.0).unwrap_or(f64::NAN),
        p5: percentile_sorted(&sorted, 5.0).unwrap_or(f64::NAN),
        exact_copy_rate: if sorted.is_empty() {
            0.0
        } else {
            copies as f64 / sorted.len() as f64
        },
    }
}

fn histogram(train: &[f64], holdout: &[f64]) -> DcrHistogram {
    let max = train
        .iter()
        .chain(holdout)
        .copied()
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let width = max / HISTOGRAM_BINS as f64;
    let edges = (0..=HISTOGRAM_BINS).map(|i| i as f64 * width).collect();
    let count = |values: &[f64]| {
        let mut counts = vec![0u64; if values.is_empty() { 0 } else { HISTOGRAM_BINS }];
        for &v in values {
            let bin = ((v / width) as usize).min(HISTOGRAM_BINS - 1);
            if let Some(c) = counts.get_mut(bin) {
                *c += 1;
            }
        }
        counts
    };
    DcrHistogram {
        edges,
        train: count(train),
        holdout: count(holdout),
    }
}

/// The one-line reading. Thresholds (ours): a copy rate more than 1 point and twice above the
/// holdout's, or more than 60 % of synthetic rows closer to training rows, flag memorisation.
fn reading(
    full: &DcrStats,
    matched: Option<&DcrStats>,
    holdout: Option<&DcrStats>,
    closer: Option<f64>,
) -> String {
    let (Some(matched), Some(holdout), Some(closer)) = (matched, holdout, closer) else {
        return format!(
            "{:.2} % of synthetic rows copy a training row exactly; without a holdout there is no \
             baseline to tell memorisation from rows that are simply common",
            100.0 * full.exact_copy_rate
        );
    };
    let (copy_train, copy_holdout) = (matched.exact_copy_rate, holdout.exact_copy_rate);
    if copy_train > copy_holdout + 0.01 && copy_train > 2.0 * copy_holdout {
        format!(
            "copies found: {:.2} % of synthetic rows copy a training row, against {:.2} % that \
             match an (equally large) set of unseen real rows",
            100.0 * copy_train,
            100.0 * copy_holdout
        )
    } else if closer > 0.6 {
        format!(
            "sign of memorisation: {:.0} % of synthetic rows lie closer to training rows than to \
             unseen real rows (baseline 50 %)",
            100.0 * closer
        )
    } else {
        format!(
            "no sign of memorisation: synthetic rows are as close to unseen real rows as to \
             training rows ({:.0} % closer to training, baseline 50 %; median DCR {:.3} vs {:.3})",
            100.0 * closer,
            matched.median,
            holdout.median
        )
    }
}
