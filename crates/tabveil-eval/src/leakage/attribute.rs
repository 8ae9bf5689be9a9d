//! Attribute inference: guessing a sensitive column from the others with the synthetic table.

use serde::{Deserialize, Serialize};

use super::gower::{GowerSpace, Reference, nearest};
use crate::frame::{Frame, Layout, Values};

/// The attribute-inference attack's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeInference {
    /// The sensitive column.
    pub column: String,
    /// `"accuracy"` (categorical column, higher = more inferable) or `"normalised_mae"`
    /// (continuous column: mean |error| / range, lower = more inferable).
    pub metric: String,
    /// The metric on training rows (people whose data trained the synthesizer).
    pub train: f64,
    /// The metric on holdout rows: what the synthetic data reveals about anyone.
    pub holdout: f64,
    /// Guessing without the other columns: the most common synthetic category's accuracy on
    /// the holdout, or the normalised MAE of the synthetic median.
    pub baseline: f64,
    /// One line saying what the numbers mean.
    pub reading: String,
}

pub(super) fn attribute_inference(
    layout: &Layout,
    real: &Frame,
    members: &Frame,
    holdout: &Frame,
    synthetic: &Frame,
    sensitive: usize,
    threads: usize,
) -> Option<AttributeInference> {
    let spec = layout.columns.get(sensitive)?;
    let space = GowerSpace::new(layout, real, Some(sensitive));
    if space.n_columns() == 0 {
        return None;
    }
    let reference = Reference::new(&space.encode(synthetic));
    let guesses = |frame: &Frame| -> Vec<Option<usize>> {
        nearest(&space, &space.encode(frame), &reference, threads)
            .into_iter()
            .map(|n| n.map(|n| n.index))
            .collect()
    };
    let (on_members, on_holdout) = (guesses(members), guesses(holdout));
    match (&synthetic.columns[sensitive], spec.kind.is_discrete()) {
        (Values::Categorical(syn), true) => {
            let accuracy = |frame: &Frame, guess: &[Option<usize>]| {
                let truth = frame.categorical(sensitive);
                let hits = truth
                    .iter()
                    .zip(guess)
                    .filter(|(t, g)| g.is_some_and(|g| syn[g] == **t))
                    .count();
                hits as f64 / truth.len().max(1) as f64
            };
            let mut counts = std::collections::HashMap::new();
            for c in syn {
                *counts.entry(*c).or_insert(0usize) += 1;
            }
            let mode = counts
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                .map(|(c, _)| c);
            let truth = holdout.categorical(sensitive);
            let baseline = truth.iter().filter(|t| mode == Some(**t)).count() as f64
                / truth.len().max(1) as f64;
            let (train, hold) = (
                accuracy(members, &on_members),
                accuracy(holdout, &on_holdout),
            );
            Some(AttributeInference {
                column: spec.name.clone(),
                metric: "accuracy".to_owned(),
                train,
                holdout: hold,
                baseline,
                reading: reading(train, hold, baseline, true),
            })
        }
        (Values::Continuous(syn), false) => {
            let (lo, hi) = real
                .continuous(sensitive)
                .iter()
                .filter(|v| v.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                    (a.min(v), b.max(v))
                });
            let range = if hi > lo { hi - lo } else { 1.0 };
            let nmae = |frame: &Frame, guess: &[Option<usize>]| {
                let (mut total, mut n) = (0.0, 0usize);
                for (t, g) in frame.continuous(sensitive).iter().zip(guess) {
                    let Some(g) = g else { continue };
                    let p = syn[*g];
                    if t.is_finite() && p.is_finite() {
                        total += ((t - p).abs() / range).min(1.0);
                        n += 1;
                    }
                }
                if n == 0 { f64::NAN } else { total / n as f64 }
            };
            let mut present: Vec<f64> = syn.iter().copied().filter(|v| v.is_finite()).collect();
            present.sort_unstable_by(f64::total_cmp);
            let median = super::percentile_sorted(&present, 50.0).unwrap_or(f64::NAN);
            let truth: Vec<f64> = holdout
                .continuous(sensitive)
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .collect();
            let baseline = truth
                .iter()
                .map(|t| ((t - median).abs() / range).min(1.0))
                .sum::<f64>()
                / truth.len().max(1) as f64;
            let (train, hold) = (nmae(members, &on_members), nmae(holdout, &on_holdout));
            Some(AttributeInference {
                column: spec.name.clone(),
                metric: "normalised_mae".to_owned(),
                train,
                holdout: hold,
                baseline,
                reading: reading(train, hold, baseline, false),
            })
        }
        _ => None,
    }
}

/// Thresholds (ours): 5 points of accuracy, or 0.02 of normalised MAE.
fn reading(train: f64, holdout: f64, baseline: f64, higher_is_better: bool) -> String {
    let (gap, margin) = if higher_is_better {
        (train - holdout, 0.05)
    } else {
        (holdout - train, 0.02)
    };
    let above_baseline = if higher_is_better {
        holdout - baseline > margin
    } else {
        baseline - holdout > margin
    };
    if gap > margin {
        format!(
            "leak: the sensitive value of training rows is guessed better than that of unseen \
             rows ({train:.3} vs {holdout:.3}; baseline {baseline:.3})"
        )
    } else if above_baseline {
        format!(
            "inferable for anyone, training row or not ({train:.3} vs {holdout:.3}; baseline \
             {baseline:.3}): a pattern of the population, not a sign of memorisation"
        )
    } else {
        format!(
            "no better than guessing the typical value ({train:.3} vs {holdout:.3}; baseline \
             {baseline:.3})"
        )
    }
}
