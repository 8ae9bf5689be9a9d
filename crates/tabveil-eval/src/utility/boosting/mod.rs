//! The classifier behind TSTR / TRTR: histogram gradient boosting for a binary target, written
//! after scikit-learn's `HistGradientBoostingClassifier` (itself after LightGBM) and with its
//! defaults, so that our ROC AUCs can be checked against scikit-learn's
//! (`scripts/eval/hgb_reference.py`, test `tests/hgb_reference.rs`).
//!
//! - Binary log-loss; the raw score starts at the log-odds of the training labels.
//! - [`ITERATIONS`] trees, each leaf value shrunk by [`LEARNING_RATE`].
//! - Features are binned once ([`binning`]): at most [`MAX_BINS`] bins of non-missing values
//!   (midpoints between distinct values, or quantiles when there are more) plus one bin for
//!   missing values.
//! - Trees grow best-first ([`tree`]) to at most [`MAX_LEAVES`] leaves with at least
//!   [`MIN_ROWS_PER_LEAF`] rows each; a split sends missing values to the side that gains most.
//! - No L2 regularisation, every row and feature used: nothing is random, so a fit depends on
//!   its input only (no seed, no thread count).
//!
//! The one departure from scikit-learn's defaults: no early stopping (scikit-learn holds out a
//! random 10 % of the rows above 10 000 rows and stops when the validation loss stalls). On the
//! adult split this moves the ROC AUC by less than 0.001 (see `scripts/eval/README.md`).
//!
//! Categorical columns enter as their codes (ordinal encoding), as they do for scikit-learn
//! when it is not told which columns are categorical.

mod binning;
mod tree;

#[cfg(test)]
mod tests;

use binning::BinMapper;
use tree::{Grower, Tree};

/// Boosting iterations (trees) — scikit-learn's `max_iter`.
pub(crate) const ITERATIONS: usize = 100;
/// Shrinkage of every leaf value — scikit-learn's `learning_rate`.
pub(crate) const LEARNING_RATE: f64 = 0.1;
/// Leaves per tree at most — scikit-learn's `max_leaf_nodes`.
pub(crate) const MAX_LEAVES: usize = 31;
/// Rows per leaf at least — scikit-learn's `min_samples_leaf`.
pub(crate) const MIN_ROWS_PER_LEAF: usize = 20;
/// Bins of non-missing values per feature at most — scikit-learn's `max_bins`.
pub(crate) const MAX_BINS: usize = 255;

/// One line naming the model, for reports.
pub(crate) const DESCRIPTION: &str = "histogram gradient boosting (log-loss; 100 trees of at most 31 leaves, learning rate 0.1, 255 bins: scikit-learn's HistGradientBoostingClassifier defaults without early stopping)";

/// Features, column-major, with missing values as NaN and categorical codes as numbers.
#[derive(Debug, Clone)]
pub(crate) struct Features {
    pub n_rows: usize,
    pub n_columns: usize,
    /// Column-major values (`n_rows × n_columns`).
    pub values: Vec<f64>,
}

impl Features {
    /// The values of column `j`.
    fn column(&self, j: usize) -> &[f64] {
        &self.values[j * self.n_rows..(j + 1) * self.n_rows]
    }
}

/// A fitted classifier.
#[derive(Debug, Clone)]
pub(crate) struct Booster {
    bins: BinMapper,
    /// The raw score (log-odds) every prediction starts from.
    baseline: f64,
    trees: Vec<Tree>,
}

impl Booster {
    /// Fits on (`train`, `labels`); `labels` has one entry per row of `train`.
    pub fn fit(train: &Features, labels: &[bool]) -> Self {
        debug_assert_eq!(train.n_rows, labels.len());
        let bins = BinMapper::fit(train);
        let binned = bins.transform(train);
        let y: Vec<f64> = labels.iter().map(|&l| f64::from(u8::from(l))).collect();
        let baseline = log_odds(&y);
        let mut raw = vec![baseline; y.len()];
        let mut gradients = vec![0.0; y.len()];
        let mut hessians = vec![0.0; y.len()];
        let mut grower = Grower::new(&binned, &bins);
        let mut trees = Vec::with_capacity(ITERATIONS);
        for _ in 0..ITERATIONS {
            for (i, (&r, &t)) in raw.iter().zip(&y).enumerate() {
                let p = sigmoid(r);
                gradients[i] = p - t;
                hessians[i] = p * (1.0 - p);
            }
            let tree = grower.grow(&gradients, &hessians);
            grower.add_leaf_values(&tree, &mut raw);
            trees.push(tree);
        }
        Self {
            bins,
            baseline,
            trees,
        }
    }

    /// P(positive) for every row of `test` (same columns as the training features).
    pub fn predict_proba(&self, test: &Features) -> Vec<f64> {
        let binned = self.bins.transform(test);
        (0..test.n_rows)
            .map(|i| {
                let raw = self.baseline
                    + self
                        .trees
                        .iter()
                        .map(|tree| tree.predict(&binned, i))
                        .sum::<f64>();
                sigmoid(raw)
            })
            .collect()
    }
}

/// Fits on (`train`, `labels`) and returns P(positive) for every row of `test`.
pub(crate) fn fit_predict(train: &Features, labels: &[bool], test: &Features) -> Vec<f64> {
    Booster::fit(train, labels).predict_proba(test)
}

/// The log-odds of the mean label, the mean clipped to [ε, 1 − ε] (scikit-learn's
/// `HalfBinomialLoss.fit_intercept_only`).
fn log_odds(y: &[f64]) -> f64 {
    let mean = if y.is_empty() {
        0.5
    } else {
        y.iter().sum::<f64>() / y.len() as f64
    };
    let p = mean.clamp(f64::EPSILON, 1.0 - f64::EPSILON);
    (p / (1.0 - p)).ln()
}

/// The logistic function, without overflow for large |x|.
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}
