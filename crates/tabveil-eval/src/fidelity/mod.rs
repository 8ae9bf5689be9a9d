//! Fidelity: how closely the synthetic table reproduces the real one, column by column and pair
//! by pair, with SDMetrics 0.32's definitions (so the numbers mean what they mean in Python),
//! plus classical two-sample statistics per column.
//!
//! The kernels work on plain slices: continuous values as `f64` with NaN for missing values,
//! discrete values as `Option<u32>` codes with `None` for missing values.
//!
//! ```
//! use tabveil_eval::fidelity::{ks_complement, tv_complement};
//!
//! assert_eq!(ks_complement(&[1.0, 2.0], &[1.0, 2.0]), Some(1.0));
//! assert_eq!(tv_complement(&[Some(0)], &[Some(0)]), Some(1.0));
//! ```

mod contingency;
mod correlation;
mod ks;
mod quality;
mod tv;
mod two_sample;

pub use contingency::{
    ContingencyPair, QUALITY_REPORT_BINS, contingency_similarity, cramers_v, discretize,
};
pub use correlation::{CorrelationPair, correlation_similarity, pearson};
pub use ks::{ks_complement, ks_statistic};
pub use quality::{
    ColumnShape, PairMetric, PairTrend, QualityReport, QualityScores, QualityThresholds,
    ShapeMetric, quality_report, quality_report_with,
};
pub use tv::tv_complement;
pub use two_sample::{ChiSquareTest, chi_square, wasserstein1};

pub(crate) use contingency::histogram_bin_edges;
pub(crate) use quality::quality;
