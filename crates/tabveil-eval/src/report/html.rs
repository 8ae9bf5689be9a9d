//! The self-contained HTML page.

use super::EvaluationReport;

impl EvaluationReport {
    /// The report as a self-contained HTML page (inline SVG plots, no external resources).
    ///
    /// # Errors
    /// [`EvalError::Plot`](crate::EvalError::Plot) if a plot cannot be drawn.
    pub fn to_html(&self) -> crate::Result<String> {
        Ok(String::new())
    }
}
