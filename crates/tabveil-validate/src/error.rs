//! The one error type of the validation crate.

use tabveil_accountant::AccountantError;

use crate::finding::Finding;

/// What can go wrong when turning a validation into a go/no-go decision, or when planning.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValidateError {
    /// The plan has at least one error finding: nothing may be trained with it. The findings
    /// are all of them (errors and warnings), so a caller can print every one at once.
    #[error("{} blocking problem(s) in the training plan; first: {}", errors_in(.findings), first_error(.findings))]
    Rejected {
        /// Every finding of the validation, errors first.
        findings: Vec<Finding>,
    },
    /// A parameter given to a planning helper is outside its range.
    #[error("{parameter} = {value} is invalid: expected {expected}")]
    InvalidParameter {
        /// Which parameter.
        parameter: &'static str,
        /// The rejected value, as text.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// The accountant failed while planning.
    #[error(transparent)]
    Accountant(#[from] AccountantError),
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, ValidateError>;

fn errors_in(findings: &[Finding]) -> usize {
    findings.iter().filter(|f| f.is_error()).count()
}

fn first_error(findings: &[Finding]) -> String {
    findings.iter().find(|f| f.is_error()).map_or_else(
        || "none".to_owned(),
        |f| format!("[{}] {}", f.code, f.reason),
    )
}
