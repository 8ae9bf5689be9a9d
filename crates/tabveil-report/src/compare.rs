//! [`Comparison`]: several fitted models side by side (ε, δ, accountant, steps, quality).
//!
//! ```
//! use tabveil_accountant::{LedgerEntry, PrivacyEvent, PrivacyLedger, Stage};
//! use tabveil_data::{ColumnSchema, Schema};
//! use tabveil_report::{Comparison, PrivacyReport};
//! use tabveil_validate::{Privacy, TrainingConfig};
//!
//! let schema = Schema::new("t", vec![ColumnSchema::categorical("c", ["a", "b"])])?;
//! let plain = TrainingConfig::tvae(Privacy::NonPrivate);
//! let report = PrivacyReport::from_fit(&PrivacyLedger::new(), &plain, &schema, 1_000)?
//!     .with_name("baseline");
//! let comparison = Comparison::new(&[report])?;
//! assert!(comparison.to_markdown().contains("baseline"));
//! assert!(comparison.to_html()?.contains("<table>"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt::Write;

use serde::{Deserialize, Serialize};
use tabveil_accountant::AccountantKind;

use crate::error::{ReportError, Result};
use crate::render::{delta, eps, esc, num, page, score};
use crate::types::{PrivacyReport, REPORT_SCHEMA_VERSION};

/// Several fits side by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// [`REPORT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// One row per fit, in the order given.
    pub models: Vec<ComparisonRow>,
}

/// One fit in a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    /// The fit's name (`model #i` when none was given).
    pub name: String,
    /// `"CTGAN"` or `"TVAE"`.
    pub model: String,
    /// ε spent (`None`: no guarantee).
    pub epsilon: Option<f64>,
    /// δ.
    pub delta: Option<f64>,
    /// Target ε.
    pub target_epsilon: Option<f64>,
    /// Accountant.
    pub accountant: Option<AccountantKind>,
    /// Private training steps run.
    pub steps: Option<u64>,
    /// Epochs run (private) or planned.
    pub epochs: f64,
    /// Training noise multiplier.
    pub noise_multiplier: Option<f64>,
    /// Overall quality score, when evaluated.
    pub quality: Option<f64>,
    /// TSTR ROC AUC, when evaluated.
    pub tstr_auc: Option<f64>,
}

impl Comparison {
    /// The comparison of `reports`.
    ///
    /// # Errors
    /// [`ReportError::EmptyComparison`] when `reports` is empty.
    pub fn new(reports: &[PrivacyReport]) -> Result<Self> {
        if reports.is_empty() {
            return Err(ReportError::EmptyComparison);
        }
        let models = reports
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let dp = r.spending.as_ref().and_then(|s| s.dp_sgd);
                ComparisonRow {
                    name: r
                        .model
                        .name
                        .clone()
                        .unwrap_or_else(|| format!("model #{}", i + 1)),
                    model: r.model.model.clone(),
                    epsilon: r.epsilon,
                    delta: r.delta,
                    target_epsilon: r.target_epsilon,
                    accountant: r.accountant.as_ref().map(|a| a.kind),
                    steps: dp.map(|d| d.steps),
                    epochs: r
                        .model
                        .epochs_completed
                        .unwrap_or(r.model.epochs_planned as f64),
                    noise_multiplier: dp.map(|d| d.noise_multiplier),
                    quality: r.evaluation.and_then(|e| e.quality_overall),
                    tstr_auc: r.evaluation.and_then(|e| e.tstr_auc),
                }
            })
            .collect();
        Ok(Comparison {
            schema_version: REPORT_SCHEMA_VERSION,
            models,
        })
    }

    /// As pretty-printed JSON.
    ///
    /// # Errors
    /// [`ReportError::Json`] if serialisation fails.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| ReportError::Json {
            message: e.to_string(),
        })
    }

    fn cells(&self) -> Vec<Vec<String>> {
        self.models
            .iter()
            .map(|m| {
                vec![
                    m.name.clone(),
                    m.model.clone(),
                    m.epsilon.map_or_else(|| "none".to_owned(), eps),
                    m.delta.map_or_else(|| "none".to_owned(), delta),
                    m.target_epsilon.map_or_else(|| "—".to_owned(), num),
                    m.accountant
                        .map_or_else(|| "—".to_owned(), |a| a.to_string()),
                    m.steps.map_or_else(|| "—".to_owned(), |s| s.to_string()),
                    num(m.epochs),
                    m.noise_multiplier.map_or_else(|| "—".to_owned(), num),
                    score(m.quality),
                    score(m.tstr_auc),
                ]
            })
            .collect()
    }

    const HEADER: [&'static str; 11] = [
        "fit",
        "model",
        "ε spent",
        "δ",
        "target ε",
        "accountant",
        "private steps",
        "epochs",
        "σ",
        "quality",
        "TSTR AUC",
    ];

    /// As a Markdown table (a fit without DP shows `none` for ε and δ: no guarantee).
    pub fn to_markdown(&self) -> String {
        let mut m = String::from("# Privacy comparison\n\n");
        let _ = writeln!(m, "| {} |", Self::HEADER.join(" | "));
        let _ = writeln!(m, "|{}", "---|".repeat(Self::HEADER.len()));
        for row in self.cells() {
            let row: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
            let _ = writeln!(m, "| {} |", row.join(" | "));
        }
        m.push_str("\nε values are upper bounds at each fit's own δ; a fit with `none` has no privacy guarantee. Compare ε only at equal δ and privacy unit.\n");
        m
    }

    /// As a self-contained HTML page.
    ///
    /// # Errors
    /// None today; the `Result` leaves room for plots.
    pub fn to_html(&self) -> Result<String> {
        let mut h =
            String::from("<h1>Privacy comparison</h1>\n<div class=\"scroll\"><table><thead><tr>");
        for (i, name) in Self::HEADER.iter().enumerate() {
            let _ = write!(
                h,
                "<th{}>{}</th>",
                if i >= 2 { " class=\"n\"" } else { "" },
                esc(name)
            );
        }
        h.push_str("</tr></thead><tbody>");
        for row in self.cells() {
            h.push_str("<tr>");
            for (i, c) in row.iter().enumerate() {
                let _ = write!(
                    h,
                    "<td{}>{}</td>",
                    if i >= 2 { " class=\"n\"" } else { "" },
                    esc(c)
                );
            }
            h.push_str("</tr>");
        }
        h.push_str("</tbody></table></div>\n<p class=\"muted\">ε values are upper bounds at each fit's own δ; a fit with “none” has no privacy guarantee. Compare ε only at equal δ and privacy unit.</p>\n");
        Ok(page("Privacy comparison", &h))
    }
}

impl PrivacyReport {
    /// Several fits side by side; see [`Comparison`].
    ///
    /// # Errors
    /// As [`Comparison::new`].
    pub fn compare(reports: &[PrivacyReport]) -> Result<Comparison> {
        Comparison::new(reports)
    }
}
