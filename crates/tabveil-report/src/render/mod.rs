//! The renderers: JSON, Markdown and a self-contained HTML page with inline SVG plots.
//!
//! Every number is printed through the helpers below, so the three renderings agree: ε values
//! (upper bounds) are rounded *up* to three significant digits, other quantities to three
//! significant digits, δ in short scientific notation.

mod audit;
mod html;
mod markdown;
mod plots;

use tabveil_accountant::Stage;
use tabveil_validate::format::{percent, sci, sig, sig_up};

use crate::error::{ReportError, Result};
use crate::types::PrivacyReport;

pub(crate) use html::{esc, page};

impl PrivacyReport {
    /// The report as pretty-printed JSON (the serde layout; `schema_version`, `epsilon`,
    /// `delta`, `target_epsilon` and `accountant` first).
    ///
    /// # Errors
    /// [`ReportError::Json`] if serialisation fails (it does not for a report built by
    /// [`PrivacyReport::from_fit`]; non-finite numbers are written as `null`).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| ReportError::Json {
            message: e.to_string(),
        })
    }

    /// Reads a report written by [`PrivacyReport::to_json`].
    ///
    /// # Errors
    /// [`ReportError::Json`] for malformed input or another `schema_version`.
    pub fn from_json(json: &str) -> Result<Self> {
        let report: PrivacyReport = serde_json::from_str(json).map_err(|e| ReportError::Json {
            message: e.to_string(),
        })?;
        if report.schema_version != crate::types::REPORT_SCHEMA_VERSION {
            return Err(ReportError::Json {
                message: format!(
                    "report schema_version {} is not supported (this build reads {})",
                    report.schema_version,
                    crate::types::REPORT_SCHEMA_VERSION
                ),
            });
        }
        Ok(report)
    }

    /// The report as Markdown (GitHub-flavoured tables).
    pub fn to_markdown(&self) -> String {
        markdown::render(self)
    }

    /// The report as one self-contained HTML page: inline CSS and SVG, no script, no external
    /// resource; readable on a phone (viewport and responsive layout) and printable.
    ///
    /// # Errors
    /// [`ReportError::Plot`] if a plot cannot be drawn.
    pub fn to_html(&self) -> Result<String> {
        html::render(self)
    }

    /// The title: `Privacy report: (ε = …, δ = …)-differential privacy`, or that no privacy
    /// guarantee holds.
    pub fn title(&self) -> String {
        match (self.epsilon, self.delta) {
            (Some(e), Some(d)) => format!(
                "Privacy report: ({}, {})-differential privacy",
                fmt_eps_eq(e),
                fmt_delta_eq(d)
            ),
            _ => "Privacy report: no privacy guarantee holds".to_owned(),
        }
    }
}

/// An ε value (an upper bound): rounded up, three significant digits.
pub(crate) fn eps(x: f64) -> String {
    sig_up(x, 3)
}

/// A quantity other than ε: three significant digits.
pub(crate) fn num(x: f64) -> String {
    sig(x, 3)
}

/// δ.
pub(crate) fn delta(x: f64) -> String {
    sci(x)
}

/// A fraction as a percentage.
pub(crate) fn pct(x: f64) -> String {
    percent(x)
}

fn fmt_eps_eq(e: f64) -> String {
    format!("ε = {}", eps(e))
}

fn fmt_delta_eq(d: f64) -> String {
    format!("δ = {}", delta(d))
}

/// A stage's name.
pub(crate) fn stage(s: Stage) -> &'static str {
    match s {
        Stage::Preprocessing => "preprocessing",
        Stage::Training => "training",
        Stage::Other => "other",
    }
}

/// An optional score in [0, 1], as text.
pub(crate) fn score(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_owned(), |v| format!("{v:.3}"))
}

/// A ledger row's mechanism: its name, with its defining parameter when σ alone does not
/// describe it (the exponential mechanism's ε per run, a Gaussian threshold's τ).
pub(crate) fn mechanism_cell(x: &crate::types::Mechanism) -> String {
    match (x.epsilon_per_run, x.threshold) {
        (Some(e), _) => format!("{} (ε = {} per run)", x.mechanism, num(e)),
        (_, Some(t)) => format!("{} (threshold τ = {})", x.mechanism, num(t)),
        _ => x.mechanism.clone(),
    }
}
