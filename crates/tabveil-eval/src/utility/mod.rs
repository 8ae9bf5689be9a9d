//! ML utility: does a model trained on the synthetic table predict real data as well as a model
//! trained on the real table? Train-synthetic-test-real (TSTR) next to train-real-test-real
//! (TRTR), both tested on the holdout table, for a binary target column.
//!
//! The model is a histogram gradient-boosting classifier with scikit-learn's
//! `HistGradientBoostingClassifier` defaults (log-loss, 100 trees of at most 31 leaves, learning
//! rate 0.1, 255 bins, missing values handled natively) but no early stopping, so it is
//! deterministic without a seed; its ROC AUCs agree with scikit-learn's on the adult data (test
//! `tests/hgb_reference.rs`). Categorical columns enter as ordinal codes. Features are every
//! column but the target and identifiers; rows whose target is missing are left out.
//!
//! ```
//! use tabveil_eval::utility::{accuracy, f1_positive, roc_auc};
//!
//! let truth = [true, false, true, false];
//! assert_eq!(accuracy(&[true, false, false, false], &truth), Some(0.75));
//! assert!((f1_positive(&[true, false, false, false], &truth).unwrap() - 2.0 / 3.0).abs() < 1e-12);
//! assert_eq!(roc_auc(&[0.9, 0.1, 0.8, 0.2], &truth), Some(1.0));
//! ```

mod boosting;
mod metrics;

use serde::{Deserialize, Serialize};

pub use metrics::{accuracy, f1_positive, roc_auc};

use crate::error::Result;
use crate::frame::{Frame, Layout, Values};
use boosting::{DESCRIPTION, Features, fit_predict};

/// Scores of one model on the holdout table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassifierScores {
    /// Share of correct predictions (threshold 0.5).
    pub accuracy: f64,
    /// F1 of the positive class.
    pub f1: f64,
    /// ROC AUC of the predicted probabilities (`None` if the holdout has one class only).
    pub roc_auc: Option<f64>,
}

/// TSTR next to TRTR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlUtility {
    /// The target column.
    pub target: String,
    /// Its positive class.
    pub positive_class: String,
    /// The classifier used.
    pub model: String,
    /// Trained on the synthetic table, tested on the holdout.
    pub tstr: ClassifierScores,
    /// Trained on the real training table, tested on the holdout: the reference.
    pub trtr: ClassifierScores,
    /// Accuracy of always predicting the holdout's majority class.
    pub majority_baseline_accuracy: f64,
    /// Holdout rows scored.
    pub test_rows: usize,
    /// One line saying what the numbers mean.
    pub reading: String,
}

/// What [`ml_utility`] predicts and how.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MlSettings {
    /// Layout index of the target column.
    pub target: usize,
    /// Code of the positive class.
    pub positive: u32,
    /// With 2 or more, the TSTR and TRTR models fit at the same time.
    pub threads: usize,
}

/// Fits both models and scores them on the holdout.
pub(crate) fn ml_utility(
    layout: &Layout,
    real: &Frame,
    synthetic: &Frame,
    holdout: &Frame,
    settings: MlSettings,
) -> Result<Option<MlUtility>> {
    let MlSettings {
        target,
        positive,
        threads,
    } = settings;
    let spec = &layout.columns[target];
    let (real_x, real_y) = features(layout, real, target, positive);
    let (syn_x, syn_y) = features(layout, synthetic, target, positive);
    let (test_x, test_y) = features(layout, holdout, target, positive);
    if test_y.is_empty() {
        return Ok(None);
    }
    let score = |train_x: &Features, train_y: &[bool]| -> ClassifierScores {
        // A one-class training table cannot fit a classifier: predict that class everywhere.
        let probabilities = if train_y.iter().all(|y| *y) || train_y.iter().all(|y| !*y) {
            let p = if train_y.first().copied().unwrap_or(false) {
                1.0
            } else {
                0.0
            };
            vec![p; test_y.len()]
        } else {
            fit_predict(train_x, train_y, &test_x)
        };
        let predicted: Vec<bool> = probabilities.iter().map(|p| *p >= 0.5).collect();
        ClassifierScores {
            accuracy: accuracy(&predicted, &test_y).unwrap_or(f64::NAN),
            f1: f1_positive(&predicted, &test_y).unwrap_or(f64::NAN),
            roc_auc: roc_auc(&probabilities, &test_y),
        }
    };
    let tstr = || {
        if syn_y.is_empty() {
            ClassifierScores {
                accuracy: f64::NAN,
                f1: f64::NAN,
                roc_auc: None,
            }
        } else {
            score(&syn_x, &syn_y)
        }
    };
    // The two fits are independent and deterministic, so running them at once changes nothing
    // but the time.
    let (trtr, tstr) = if threads >= 2 {
        std::thread::scope(|s| {
            let tstr = s.spawn(tstr);
            let trtr = score(&real_x, &real_y);
            // A panic in the classifier is a bug of ours; pass it on rather than hide it.
            let tstr = tstr.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            (trtr, tstr)
        })
    } else {
        (score(&real_x, &real_y), tstr())
    };
    let positives = test_y.iter().filter(|y| **y).count();
    let majority = positives.max(test_y.len() - positives) as f64 / test_y.len() as f64;
    let reading = match (tstr.roc_auc, trtr.roc_auc) {
        (Some(s), Some(r)) => {
            let gap = r - s;
            if gap <= 0.02 {
                format!(
                    "synthetic data is as useful as real data for predicting {} (ROC AUC {s:.3} vs {r:.3})",
                    spec.name
                )
            } else if s > 0.6 {
                format!(
                    "synthetic data keeps part of the signal: ROC AUC {s:.3} against {r:.3} with real data"
                )
            } else {
                format!(
                    "synthetic data is of little use for predicting {}: ROC AUC {s:.3} against {r:.3} with real data",
                    spec.name
                )
            }
        }
        _ => "ROC AUC undefined (a single class in the holdout or the training data)".to_owned(),
    };
    Ok(Some(MlUtility {
        target: spec.name.clone(),
        positive_class: spec
            .categories
            .get(positive as usize)
            .cloned()
            .unwrap_or_default(),
        model: DESCRIPTION.to_owned(),
        tstr,
        trtr,
        majority_baseline_accuracy: majority,
        test_rows: test_y.len(),
        reading,
    }))
}

/// The feature matrix and labels of the rows of `frame` whose target is present.
fn features(layout: &Layout, frame: &Frame, target: usize, positive: u32) -> (Features, Vec<bool>) {
    let target_codes = frame.categorical(target);
    let rows: Vec<usize> = (0..frame.n_rows)
        .filter(|&i| target_codes.get(i).copied().flatten().is_some())
        .collect();
    let labels = rows
        .iter()
        .map(|&i| target_codes[i] == Some(positive))
        .collect();
    let mut values = Vec::new();
    let mut n_columns = 0;
    for (j, spec) in layout.columns.iter().enumerate() {
        if j == target {
            continue;
        }
        match &frame.columns[j] {
            Values::Continuous(v) => values.extend(rows.iter().map(|&i| v[i])),
            Values::Categorical(v) if spec.kind.is_discrete() => {
                values.extend(rows.iter().map(|&i| v[i].map_or(f64::NAN, f64::from)));
            }
            _ => continue,
        }
        n_columns += 1;
    }
    (
        Features {
            n_rows: rows.len(),
            n_columns,
            values,
        },
        labels,
    )
}
