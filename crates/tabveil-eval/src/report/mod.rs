//! [`EvaluationReport`]: every number of an evaluation, serde-able, with a text summary
//! ([`EvaluationReport::summary`]) and a self-contained HTML page with plots
//! ([`EvaluationReport::to_html`]).
//!
//! **Confidentiality.** The report describes the real data (distributions, correlations,
//! distances to real rows). It is *not* a differentially private release: keep it inside the
//! trust boundary of the real data, like the data itself.

mod details;
mod html;
mod plots;
mod text;

use serde::{Deserialize, Serialize};

use crate::fidelity::{ChiSquareTest, PairTrend, QualityScores, ShapeMetric};
use crate::frame::SdType;
use crate::leakage::Leakage;
use crate::utility::MlUtility;

pub(crate) use details::{association_matrices, column_details};

/// Everything an evaluation found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationReport {
    /// SDMetrics-compatible quality scores (QualityReport of SDMetrics 0.32).
    pub quality: QualityScores,
    /// TSTR next to TRTR (`None` without a holdout or a binary target; see `meta.notes`).
    pub ml: Option<MlUtility>,
    /// Leakage measures.
    pub privacy: Leakage,
    /// Per-column details, in schema order (identifiers left out).
    pub columns: Vec<ColumnDetail>,
    /// Per-pair trend scores (the Column Pair Trends details).
    pub column_pairs: Vec<PairTrend>,
    /// Pairwise association of the real and of the synthetic table, for the heatmaps.
    pub associations: AssociationMatrices,
    /// Sizes, settings and caveats.
    pub meta: ReportMeta,
}

/// One column's details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDetail {
    /// Column name.
    pub column: String,
    /// Column kind.
    pub kind: SdType,
    /// The SDMetrics shape metric used.
    pub shape_metric: ShapeMetric,
    /// Its score (`None` when incomputable).
    pub shape_score: Option<f64>,
    /// Kolmogorov–Smirnov statistic (continuous columns).
    pub ks_statistic: Option<f64>,
    /// Wasserstein-1 distance, in the column's unit (seconds for datetimes).
    pub wasserstein: Option<f64>,
    /// Chi-square test of homogeneity (discrete columns).
    pub chi_square: Option<ChiSquareTest>,
    /// Share of missing values in the real table.
    pub missing_real: f64,
    /// Share of missing values in the synthetic table.
    pub missing_synthetic: f64,
    /// Real and synthetic distributions, for the plots.
    pub distribution: Distribution,
}

/// A column's real and synthetic distributions, as shares of the present values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Distribution {
    /// Equal-width bins over the range of both tables.
    Histogram {
        /// Bin edges (one more than the shares).
        edges: Vec<f64>,
        /// Real shares per bin.
        real: Vec<f64>,
        /// Synthetic shares per bin.
        synthetic: Vec<f64>,
    },
    /// One bar per category.
    Categories {
        /// Category labels.
        labels: Vec<String>,
        /// Real shares.
        real: Vec<f64>,
        /// Synthetic shares.
        synthetic: Vec<f64>,
    },
}

/// Pairwise association matrices: Pearson's r between two continuous columns, Cramér's V
/// (continuous columns binned as the QualityReport bins them) for any other pair; `None` when
/// undefined (e.g. a constant column).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssociationMatrices {
    /// Column names (identifiers left out).
    pub columns: Vec<String>,
    /// Real table, row-major `columns × columns`.
    pub real: Vec<Vec<Option<f64>>>,
    /// Synthetic table.
    pub synthetic: Vec<Vec<Option<f64>>>,
}

/// Sizes, settings and caveats of an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportMeta {
    /// Rows of the real (training) table.
    pub real_rows: usize,
    /// Rows of the synthetic table.
    pub synthetic_rows: usize,
    /// Rows of the holdout table, if any.
    pub holdout_rows: Option<usize>,
    /// The seed used.
    pub seed: u64,
    /// The SDMetrics version whose definitions the quality scores follow.
    pub sdmetrics_compatible: String,
    /// Version of tabveil-eval.
    pub tabveil_eval_version: String,
    /// Measures skipped and why, and other caveats.
    pub notes: Vec<String>,
    /// What this report is, privacy-wise: it describes the real rows and is not a
    /// differentially private release (so that the JSON says it as the HTML and text do).
    #[serde(default)]
    pub confidentiality: String,
}

/// What every report says about itself.
pub(crate) const CONFIDENTIALITY: &str = "This report describes the real data (distributions, \
correlations, distances to real rows). It is not a differentially private release: keep it \
as confidential as the real data.";
