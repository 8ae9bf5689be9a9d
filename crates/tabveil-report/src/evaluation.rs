//! [`EvaluationSummary`]: the headline scores of an evaluation of the synthetic data, to sit
//! next to ε. Defined here so the report does not depend on the evaluation crate; the facade
//! fills it from `tabveil_eval`'s report.
//!
//! ```
//! use tabveil_report::EvaluationSummary;
//!
//! let scores = EvaluationSummary {
//!     quality_overall: Some(0.81),
//!     column_shapes: Some(0.86),
//!     column_pair_trends: Some(0.76),
//!     tstr_auc: Some(0.84),
//!     trtr_auc: Some(0.91),
//! };
//! assert!(scores.check().is_ok());
//! ```

use serde::{Deserialize, Serialize};

use crate::error::{ReportError, Result};

/// What the report says beside attached scores: they are computed against the real rows.
pub(crate) const EVALUATION_NOT_PRIVATE: &str = "These scores compare the synthetic rows with the real ones and are not covered by the guarantee above (they are not a differentially private release): remove this section before publishing the report, or keep the report as confidential as the data.";

/// Headline scores of an evaluation (each in [0, 1], `None` when not computed).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct EvaluationSummary {
    /// SDMetrics-style overall quality score (mean of column shapes and pair trends).
    pub quality_overall: Option<f64>,
    /// Mean column-shape score.
    pub column_shapes: Option<f64>,
    /// Mean column-pair-trend score.
    pub column_pair_trends: Option<f64>,
    /// ROC AUC of a classifier trained on synthetic rows and tested on real held-out rows.
    pub tstr_auc: Option<f64>,
    /// The same classifier trained on the real training rows (the reference).
    pub trtr_auc: Option<f64>,
}

impl EvaluationSummary {
    /// Checks that every score present is a number in [0, 1].
    ///
    /// # Errors
    /// [`ReportError::InvalidInput`] naming the first score out of range.
    pub fn check(&self) -> Result<()> {
        for (name, v) in self.named() {
            if let Some(v) = v
                && !(0.0..=1.0).contains(&v)
            {
                return Err(ReportError::InvalidInput {
                    parameter: name,
                    value: v.to_string(),
                    expected: "a score in [0, 1]",
                });
            }
        }
        Ok(())
    }

    /// The scores with their display names, in order.
    pub fn named(&self) -> [(&'static str, Option<f64>); 5] {
        [
            ("quality (overall)", self.quality_overall),
            ("column shapes", self.column_shapes),
            ("column pair trends", self.column_pair_trends),
            ("TSTR ROC AUC", self.tstr_auc),
            ("TRTR ROC AUC (real-data reference)", self.trtr_auc),
        ]
    }
}
