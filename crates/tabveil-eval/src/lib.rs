//! # tabveil-eval
//!
//! Judge a synthetic table without leaving Rust:
//!
//! - **fidelity** ([`fidelity`]): SDMetrics 0.32's QualityReport — Column Shapes
//!   (KSComplement, TVComplement), Column Pair Trends (CorrelationSimilarity,
//!   ContingencySimilarity, with the report's binning and thresholds) and the overall score —
//!   reproduced to floating-point rounding, plus KS, chi-square and Wasserstein-1 per column;
//! - **ML utility** ([`utility`]): train-synthetic-test-real next to train-real-test-real
//!   (accuracy, F1 of the positive class, ROC AUC) with a gradient-boosting classifier;
//! - **leakage** ([`leakage`]): distance to closest record (training vs holdout),
//!   membership inference and attribute inference, each with its baseline and a one-line reading;
//! - **report** ([`EvaluationReport`]): serde JSON, a text summary and a self-contained HTML page
//!   with plots (per-column distributions, correlation heatmaps, DCR histograms).
//!
//! ```
//! use tabveil_data::{Column, ColumnSchema, Schema, Table};
//! use tabveil_eval::{EvaluationConfig, evaluate};
//!
//! let schema = Schema::new("t", vec![
//!     ColumnSchema::continuous("x", None, None),
//!     ColumnSchema::categorical("c", ["a", "b"]),
//! ])?;
//! let real = Table::new(&schema, vec![
//!     Column::continuous("x", vec![1.0, 2.0, 3.0, 4.0]),
//!     Column::categorical("c", vec![0, 0, 1, 1]),
//! ])?;
//! let report = evaluate(&schema, &real, &real, None, &EvaluationConfig::default())?;
//! assert_eq!(report.quality.overall, Some(1.0));
//! let json = serde_json::to_string(&report)?;
//! assert!(json.starts_with("{\"quality\":{\"overall\":1.0"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Missing values** are treated as SDMetrics treats them: dropped by KSComplement and
//! TVComplement, rows with a missing value dropped by the correlation, a category of their own
//! in contingency tables (in the top bin for binned continuous columns). Identifier columns are
//! ignored everywhere.
//!
//! **Confidentiality**: a report describes the real data and is not a differentially private
//! release; keep it as confidential as the data.
//!
//! ## Features
//! No optional features. Plots use `plotters`' SVG backend only (no system font libraries).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod config;
mod error;
mod evaluate;
pub mod fidelity;
mod frame;
mod input;
pub mod leakage;

/// The former name of [`leakage`].
#[deprecated(note = "renamed to tabveil_eval::leakage (\"privacy\" means the DP settings)")]
pub mod privacy {
    pub use crate::leakage::*;
}
mod report;
pub mod utility;

pub use config::EvaluationConfig;
pub use error::{EvalError, Result, TableRole};
pub use evaluate::evaluate;
pub use frame::SdType;

/// The former name of [`SdType`].
#[deprecated(note = "renamed to SdType (ColumnKind is the schema's, tabveil_data::ColumnKind)")]
pub type ColumnKind = SdType;
pub use report::{AssociationMatrices, ColumnDetail, Distribution, EvaluationReport, ReportMeta};
