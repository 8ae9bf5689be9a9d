//! [`evaluation_summary`]: the headline scores of an evaluation, to sit next to ε in the
//! privacy report.
//!
//! ```no_run
//! # fn demo(fitted: &tabveil::Fitted, evaluation: &tabveil::eval::EvaluationReport) -> tabveil::Result<()> {
//! let report = fitted.report()?.with_evaluation(tabveil::evaluation_summary(evaluation))?;
//! # Ok(()) }
//! ```

use tabveil_eval::EvaluationReport;
use tabveil_report::EvaluationSummary;

/// The report crate's summary of an evaluation: overall quality, column shapes, pair trends,
/// and the ROC AUC of train-synthetic-test-real next to train-real-test-real when the
/// evaluation had a holdout and a target.
pub fn evaluation_summary(evaluation: &EvaluationReport) -> EvaluationSummary {
    EvaluationSummary {
        quality_overall: evaluation.quality.overall,
        column_shapes: evaluation.quality.column_shapes,
        column_pair_trends: evaluation.quality.column_pair_trends,
        tstr_auc: evaluation.ml.as_ref().and_then(|m| m.tstr.roc_auc),
        trtr_auc: evaluation.ml.as_ref().and_then(|m| m.trtr.roc_auc),
    }
}
