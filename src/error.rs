//! [`Error`]: the one error type of the facade, wrapping the crates' own.

use tabveil_validate::Finding;

/// Everything that can go wrong on the paved path: building a [`Synthesizer`](crate::Synthesizer),
/// fitting, sampling, reporting, saving and loading a [`Fitted`](crate::Fitted) model.
///
/// Not `Clone`/`PartialEq`: it wraps the models crate's error, which wraps Candle's.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The validator found blocking problems in the training plan (for this schema and this
    /// number of rows). Nothing was computed from the data and no privacy was spent. Each
    /// finding has a stable code, the offending field, the reason and a concrete fix.
    #[error("{}", rejected(.findings))]
    Rejected {
        /// Every finding, errors first (warnings included); in private mode only those that
        /// do not depend on the number of rows (see `ValidationReport::blocking`).
        findings: Vec<Finding>,
    },
    /// A fitted-model file or blob written by this facade is malformed.
    #[error("the saved fit is corrupt: {reason}")]
    CorruptFit {
        /// What is wrong.
        reason: String,
    },
    /// Reading or writing a fitted-model file failed.
    #[error("I/O error on {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// A setting out of range (ε, δ, the clipping norm, a model's hyper-parameter…), found
    /// when the synthesizer is built, before anything else.
    #[error(transparent)]
    Config(#[from] tabveil_models::ConfigError),
    /// An error of the models crate (fit, sampling, saved models).
    #[error(transparent)]
    Model(#[from] tabveil_models::ModelError),
    /// An error of the data crate (schema, table, CSV).
    #[error(transparent)]
    Data(#[from] tabveil_data::DataError),
    /// An error of the validator.
    #[error(transparent)]
    Validate(#[from] tabveil_validate::ValidateError),
    /// An error of the privacy report.
    #[error(transparent)]
    Report(#[from] tabveil_report::ReportError),
    /// An error of the evaluation.
    #[error(transparent)]
    Eval(#[from] tabveil_eval::EvalError),
    /// An error of the accountant.
    #[error(transparent)]
    Accountant(#[from] tabveil_accountant::AccountantError),
    /// An error of an audit.
    #[error(transparent)]
    Audit(#[from] tabveil_audit::AuditError),
    /// A fit with private schema discovery failed after the discovery's releases were made
    /// (before the model released anything): they are spent, and `spent` holds them.
    #[error("{error} (after private schema discovery: its {} release(s) are spent)", .spent.entries().len())]
    DiscoveryThenFailed {
        /// The error.
        error: Box<Error>,
        /// The discovery's releases.
        spent: Box<tabveil_accountant::PrivacyLedger>,
    },
    /// A broken invariant of the facade (a bug: please report it).
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// The result type of the facade.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The validator's findings when the plan was rejected, else `None`.
    pub fn findings(&self) -> Option<&[Finding]> {
        match self {
            Error::Rejected { findings } => Some(findings),
            _ => None,
        }
    }
}

fn rejected(findings: &[Finding]) -> String {
    let errors: Vec<&Finding> = findings.iter().filter(|f| f.is_error()).collect();
    match errors.first() {
        Some(first) => format!(
            "the training plan was rejected ({} blocking problem(s)); first: [{}] {}: {} (fix: {})",
            errors.len(),
            first.code,
            first.field,
            first.reason,
            first.fix
        ),
        None => "the training plan was rejected".to_owned(),
    }
}
