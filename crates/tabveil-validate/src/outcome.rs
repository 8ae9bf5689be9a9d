//! [`ValidationReport`]: the findings and the plan, and the go/no-go decision.
//!
//! ```
//! use tabveil_data::{ColumnSchema, Schema};
//! use tabveil_validate::{validate, DpConfig, Privacy, TrainingConfig};
//!
//! let schema = Schema::new("t", vec![ColumnSchema::categorical("c", ["a", "b", "c"])])?;
//! let config = TrainingConfig::tvae(Privacy::Dp(DpConfig::new(2.0, 1e-6))).with_epochs(10);
//! let report = validate(&config, &schema, 50_000);
//! assert!(!report.has_errors());
//! let text = report.to_string(); // what `tabveil validate` prints
//! assert!(text.contains("no errors"));
//! let valid = report.into_result()?; // the go-ahead for training
//! assert!(valid.plan().private.is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Result, ValidateError};
use crate::finding::{Finding, Severity};
use crate::plan::TrainingPlan;

/// Everything [`validate`](crate::validate) found, and the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationReport {
    /// Every finding, errors first.
    pub findings: Vec<Finding>,
    /// The plan (`None` when the schedule itself is invalid: the findings say why).
    pub plan: Option<TrainingPlan>,
}

impl ValidationReport {
    /// True when at least one finding blocks training.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }

    /// The findings that block training.
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
    }

    /// The errors that refuse a fit before it touches the data. Without privacy, every error.
    /// In private mode only the errors that do not depend on the number of rows n
    /// ([`Code::depends_on_rows`](crate::Code::depends_on_rows)): n is private, and refusing
    /// on it would release one bit about it that no ε covers. The others are advice for the
    /// data holder; the fit re-checks what it needs on its DP estimate N̂ (a batch larger than
    /// N̂, δ ≥ 1/N̂, an unreachable target) and then returns the releases with the error.
    ///
    /// ```
    /// use tabveil_validate::{Code, DpConfig, Privacy, TrainingConfig, validate};
    /// use tabveil_data::{ColumnSchema, Schema};
    ///
    /// let schema = Schema::new("t", vec![ColumnSchema::continuous("x", Some(0.0), Some(1.0))])?;
    /// let config = TrainingConfig::tvae(Privacy::Dp(DpConfig::new(3.0, 1e-6)))
    ///     .with_epochs(1)
    ///     .with_batch_size(100);
    /// // δ = 1e-6 is 1/n at n = 1 000 000: an error at that n, advice only in private mode.
    /// let report = validate(&config, &schema, 1_000_000);
    /// assert!(report.errors().any(|f| f.code == Code::DeltaAtLeastOneOverN));
    /// assert_eq!(report.blocking(true).count(), 0);
    /// # Ok::<(), tabveil_data::DataError>(())
    /// ```
    pub fn blocking(&self, private: bool) -> impl Iterator<Item = &Finding> {
        self.errors()
            .filter(move |f| !(private && f.code.depends_on_rows()))
    }

    /// The findings that do not.
    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
    }

    /// The go-ahead for training: the config's plan and its warnings, or every finding when
    /// any is an error.
    ///
    /// # Errors
    /// [`ValidateError::Rejected`] with all findings when at least one is an error (or, which
    /// cannot happen without an error, when there is no plan).
    pub fn into_result(self) -> Result<Validated> {
        match self.plan {
            Some(plan) if !self.findings.iter().any(Finding::is_error) => Ok(Validated {
                plan,
                warnings: self.findings,
            }),
            _ => Err(ValidateError::Rejected {
                findings: self.findings,
            }),
        }
    }
}

impl fmt::Display for ValidationReport {
    /// The findings (errors first, each with its fix), a summary line, then the plan.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            writeln!(f, "{finding}")?;
        }
        let errors = self.errors().count();
        let warnings = self.warnings().count();
        match errors {
            0 => writeln!(f, "no errors, {warnings} warning(s): the plan can run")?,
            e => writeln!(
                f,
                "{e} error(s), {warnings} warning(s): nothing will be trained until the errors are fixed"
            )?,
        }
        if let Some(plan) = &self.plan {
            write!(f, "{plan}")?;
        }
        Ok(())
    }
}

/// A plan with no error: what a trainer may run, with the warnings to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Validated {
    plan: TrainingPlan,
    warnings: Vec<Finding>,
}

impl Validated {
    /// The plan.
    pub fn plan(&self) -> &TrainingPlan {
        &self.plan
    }

    /// The warnings (never errors).
    pub fn warnings(&self) -> &[Finding] {
        &self.warnings
    }
}
