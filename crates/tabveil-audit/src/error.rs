//! The one error type of the audit crate.

/// Everything that can go wrong in an audit.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AuditError {
    /// A numeric parameter is out of range.
    #[error("{parameter} = {value} is invalid: expected {expected}")]
    InvalidParameter {
        /// The parameter.
        parameter: &'static str,
        /// The rejected value.
        value: f64,
        /// What is accepted.
        expected: &'static str,
    },
    /// Guess counts must satisfy correct ≤ guesses ≤ canaries, with at least one canary.
    #[error(
        "invalid audit counts: {correct} correct of {guesses} guesses among {canaries} canaries"
    )]
    InvalidCounts {
        /// m.
        canaries: u64,
        /// r.
        guesses: u64,
        /// v.
        correct: u64,
    },
    /// A "cannot happen" case.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// `Result` with [`AuditError`].
pub type Result<T> = std::result::Result<T, AuditError>;
