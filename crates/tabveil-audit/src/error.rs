//! The one error type of the audit crate.

/// Everything that can go wrong in an audit.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
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
    /// A column has no declared bounds or categories: canaries and encodings use public
    /// knowledge only.
    #[error(
        "column `{column}` has no declared bounds or categories (the audit uses the public schema only)"
    )]
    MissingPublicDomain {
        /// The column.
        column: String,
    },
    /// Errors of the data crate.
    #[error(transparent)]
    Data(#[from] tabveil_data::DataError),
    /// An audit file could not be written or read.
    #[error("audit JSON: {message}")]
    Json {
        /// The parser's message.
        message: String,
    },
    /// The fit of a black-box target failed (its own error, boxed).
    #[error("the audited fit failed: {0}")]
    Target(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Errors of the model under audit.
    #[error(transparent)]
    Model(#[from] tabveil_models::ModelError),
    /// Errors of the DP-SGD engine under audit.
    #[error(transparent)]
    Sgd(#[from] tabveil_sgd::SgdError),
    /// Errors of the accountant.
    #[error(transparent)]
    Accountant(#[from] tabveil_accountant::AccountantError),
    /// Errors of the privacy randomness.
    #[error(transparent)]
    Noise(#[from] tabveil_noise::NoiseError),
    /// Errors of Candle.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// A "cannot happen" case.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// `Result` with [`AuditError`].
pub type Result<T> = std::result::Result<T, AuditError>;
