//! An honest privacy report for a fitted synthesizer: JSON, Markdown and a self-contained HTML
//! page.
//!
//! [`PrivacyReport::from_fit`] recomputes everything from the fit's
//! [`PrivacyLedger`](tabveil_accountant::PrivacyLedger): the (ε, δ) spent and the target, the
//! accountant and whether its value is an upper bound, ε at several δ and the ε(δ) curve, the
//! privacy unit and trust model, each mechanism's noise and cost, what was public and what was
//! learned privately, the implementation safeguards (secure or seeded noise, Poisson sampling,
//! clipping scope), context for ε with sources, tuning suggestions computed with the accountant,
//! and honest regulatory notes. Without DP the first line says that no privacy guarantee holds.
//! [`Comparison`] puts several fits side by side.
//!
//! ```
//! use tabveil_accountant::{LedgerEntry, PrivacyEvent, PrivacyLedger, Stage, TrainingSchedule, calibrate_jointly};
//! use tabveil_data::{ColumnSchema, Schema};
//! use tabveil_report::PrivacyReport;
//! use tabveil_validate::{DpConfig, Privacy, TrainingConfig};
//!
//! let schema = Schema::new("t", vec![
//!     ColumnSchema::integer("age", Some(0.0), Some(100.0)),
//!     ColumnSchema::categorical("sex", ["F", "M"]),
//! ])?;
//! let dp = DpConfig::new(3.0, 1e-6);
//! let config = TrainingConfig::tvae(Privacy::Dp(dp.clone())).with_epochs(5).with_batch_size(200);
//! let n = 20_000;
//! // What a fit records: one discrete Gaussian release per column, then the training steps.
//! let schedule = TrainingSchedule::new(n, 200, 5)?;
//! let pre = [PrivacyEvent::discrete_gaussian(1.0, 2)?];
//! let plan = calibrate_jointly(3.0, 1e-6, &pre, 0.1, &schedule, &dp.accountant)?;
//! let mut ledger = PrivacyLedger::new();
//! for column in ["age", "sex"] {
//!     let noise = PrivacyEvent::discrete_gaussian(plan.preprocessing_noise_multiplier.unwrap(), 1)?;
//!     ledger.record(LedgerEntry::new(format!("preprocessing: counts of column {column}"),
//!         Stage::Preprocessing, noise)?.with_l2_sensitivity(1.0)?)?;
//! }
//! let step = PrivacyEvent::poisson_subsampled_gaussian(
//!     schedule.sample_rate(), plan.training_noise_multiplier, schedule.steps())?;
//! ledger.record(LedgerEntry::new("training: TVAE", Stage::Training, step)?.with_l2_sensitivity(1.0)?)?;
//!
//! let report = PrivacyReport::from_fit(&ledger, &config, &schema, n)?;
//! assert!(report.epsilon.unwrap() <= 3.0);
//! let json = report.to_json()?;
//! assert!(json.trim_start().starts_with("{\n  \"schema_version\""));
//! assert!(report.to_markdown().starts_with("# Privacy report: (ε = "));
//! assert!(report.to_html()?.contains("<svg"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Features
//! None. Plots use `plotters`' SVG backend only (no system font libraries).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod audit;
mod build;
mod compare;
mod error;
mod evaluation;
mod render;
mod types;

pub use audit::AuditSection;
pub use compare::{Comparison, ComparisonRow};
pub use error::{ReportError, Result};
pub use evaluation::EvaluationSummary;
pub use types::{
    AccountantInfo, Context, DeltaEpsilon, DpSgd, Guarantee, Mechanism, ModelSummary,
    PrivacyReport, PublicAndPrivate, PublicColumn, REPORT_SCHEMA_VERSION, RoundEpsilon, RowCount,
    Safeguards, Scenario, Spending, StageCost, StepEpsilon, Tuning,
};
