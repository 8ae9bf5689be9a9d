//! The one error type of the report crate.

use tabveil_accountant::AccountantError;

/// What can go wrong while building or rendering a privacy report.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportError {
    /// An input is out of range.
    #[error("{parameter} = {value} is invalid: expected {expected}")]
    InvalidInput {
        /// Which input.
        parameter: &'static str,
        /// The rejected value, as text.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// The ledger and the configuration describe different runs.
    #[error("the ledger does not match the configuration: {reason}")]
    LedgerMismatch {
        /// What disagrees.
        reason: String,
    },
    /// The accountant failed.
    #[error(transparent)]
    Accountant(#[from] AccountantError),
    /// A plot could not be drawn.
    #[error("plot `{plot}` could not be drawn: {message}")]
    Plot {
        /// Which plot.
        plot: &'static str,
        /// The plotting library's message.
        message: String,
    },
    /// JSON serialisation or parsing failed.
    #[error("report JSON: {message}")]
    Json {
        /// The parser's message.
        message: String,
    },
    /// Comparing needs at least one report.
    #[error("nothing to compare: at least one report is needed")]
    EmptyComparison,
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, ReportError>;
