//! The errors of the models crate: [`ConfigError`] for settings out of range (what every
//! `check` returns, before any model exists), and [`ModelError`] for everything a model does
//! (fitting, sampling, saving, loading), which wraps the first with `#[from]`.

use tabveil_accountant::{AccountantError, PrivacyLedger};
use tabveil_data::DataError;
use tabveil_noise::NoiseError;
use tabveil_sgd::SgdError;

/// A setting out of range, found by a configuration's `check` before any model is built or any
/// data is touched.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// A configuration value is out of range.
    #[error("invalid parameter `{parameter}` = {value}: expected {expected}")]
    InvalidParameter {
        /// The parameter's name.
        parameter: &'static str,
        /// The value given.
        value: String,
        /// What would have been accepted.
        expected: &'static str,
    },
    /// A setting of the transformer is out of range.
    #[error(transparent)]
    Transformer(#[from] DataError),
}

impl ConfigError {
    pub(crate) fn invalid(
        parameter: &'static str,
        value: impl ToString,
        expected: &'static str,
    ) -> Self {
        ConfigError::InvalidParameter {
            parameter,
            value: value.to_string(),
            expected,
        }
    }
}

/// The result of a configuration's check.
pub type ConfigResult<T> = std::result::Result<T, ConfigError>;

/// Everything that can go wrong while fitting, sampling, saving or loading a model.
///
/// Not `Clone`/`PartialEq`: it wraps Candle's and the SGD crate's errors, which are neither.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    // ----- configuration --------------------------------------------------------------------
    /// A setting is out of range.
    #[error(transparent)]
    Config(#[from] ConfigError),

    // ----- fitting --------------------------------------------------------------------------
    /// The table has no rows.
    #[error("the table has no rows")]
    EmptyTable,
    /// The model fits only on a table in memory, not on a [`TableSource`](tabveil_data::TableSource)
    /// read in batches (only the marginal model streams).
    #[error("the {model} model reads its table whole; read the table into memory and fit on it")]
    NotStreamable {
        /// The model's kind.
        model: &'static str,
    },
    /// The schema has no column a model can learn (only `id` columns).
    #[error("the schema has no column to model (only `id` columns)")]
    NoModelledColumns,
    /// The (expected) batch is larger than the table. In private mode the row count is the
    /// differentially private estimate N̂ (the real count is never used).
    #[error(
        "the batch size {batch_size} is larger than the table ({rows} rows{}); lower the batch size",
        if *estimated { ", a differentially private estimate" } else { "" }
    )]
    BatchLargerThanTable {
        /// The configured (expected) batch size.
        batch_size: usize,
        /// The number of rows (rounded N̂ in private mode).
        rows: u64,
        /// True when `rows` is the private estimate.
        estimated: bool,
    },
    /// δ ≥ 1/N̂ (the rounded DP estimate of the number of rows): a mechanism publishing one
    /// random row outright would meet the guarantee. Checked after the preprocessing, on N̂ (the
    /// true N is private), so it comes wrapped in [`ModelError::SpentThenFailed`].
    #[error(
        "δ = {delta} is at least 1/N̂ for the estimated {rows} rows: choose δ well below 1/rows"
    )]
    DeltaAtLeastOneOverRows {
        /// The configured δ.
        delta: f64,
        /// round(N̂).
        rows: u64,
    },
    /// Training produced a non-finite value (a diverged loss or parameter).
    #[error("training diverged: {what} is not finite")]
    NonFinite {
        /// What became NaN or infinite.
        what: &'static str,
    },
    /// The progress callback cancelled the fit before a model existed (during preprocessing).
    /// In private mode this comes wrapped in [`ModelError::SpentThenFailed`] (the preprocessing
    /// releases were made); [`ModelError::is_cancelled`] sees through it.
    #[error("the fit was cancelled before training started")]
    Cancelled,
    /// A private fit failed (or was cancelled) after it had released statistics of the data:
    /// `spent` records those releases. They count against the table's privacy budget like any
    /// other: account for them before fitting the same data again.
    #[error("{error} (the private fit had already made {} release(s) of the data, on the ledger this error carries)", spent.entries().len())]
    SpentThenFailed {
        /// What went wrong.
        error: Box<ModelError>,
        /// The releases made before the failure.
        spent: Box<PrivacyLedger>,
    },
    /// The model has not been fitted (or loaded) yet.
    #[error("the model is not fitted")]
    NotFitted,
    /// A fit made a model whose saved form does not load back (every fit checks this before
    /// it reports success). A bug in tabveil: please report it. In private mode this comes
    /// wrapped in [`ModelError::SpentThenFailed`].
    #[error(
        "the fitted model does not load back from its own saved form (a bug in tabveil; please report it): {reason}"
    )]
    UnloadableFit {
        /// Why loading failed.
        reason: String,
    },

    // ----- sampling -------------------------------------------------------------------------
    /// No condition was given to conditional sampling.
    #[error("conditional sampling needs at least one condition")]
    NoConditions,
    /// Two conditions name the same column.
    #[error("column `{column}` is conditioned on twice")]
    DuplicateCondition {
        /// The column.
        column: String,
    },
    /// Rejection sampling drew its maximum number of rows without finding enough that meet
    /// every condition.
    #[error(
        "the conditions are too rare for the model: {accepted} of {requested} rows found after \
         generating {generated} (limit); relax the conditions"
    )]
    ConditionTooRare {
        /// Rows requested.
        requested: usize,
        /// Rows found that meet every condition.
        accepted: usize,
        /// Rows generated in total.
        generated: usize,
    },
    /// Sampling under the schema's public constraints gave up: too few generated rows met
    /// them (after completing fixed combinations) within the limit on the rows generated.
    #[error(
        "the constraint `{constraint}` is too rarely met by the model's rows: {accepted} of \
         {requested} rows found after generating {generated} (limit); check the constraint or \
         fit the model longer"
    )]
    ConstraintTooRare {
        /// The constraint that rejected the most rows (its name or generated label).
        constraint: String,
        /// Rows requested.
        requested: usize,
        /// Rows found that meet every constraint (and condition).
        accepted: usize,
        /// Rows generated in total.
        generated: usize,
    },

    // ----- saved models ---------------------------------------------------------------------
    /// Reading or writing a model file failed.
    #[error("I/O error on {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// A saved model is malformed (truncated, not a tabveil model, or inconsistent).
    #[error("the saved model is corrupt: {reason}")]
    CorruptModel {
        /// What is wrong.
        reason: String,
    },
    /// A model was not saved to a path because that would replace or change something
    /// tabveil did not write there (see [`save_model_dir`](crate::save_model_dir)). Nothing was
    /// changed.
    #[error("the model was not saved to {path}: {reason}")]
    OutputRefused {
        /// The path given.
        path: String,
        /// Why it was refused.
        reason: String,
    },
    /// A saved model's content does not match its checksum.
    #[error("the saved model is corrupt: checksum {found:016x} does not match {expected:016x}")]
    ChecksumMismatch {
        /// The checksum stored in the file.
        expected: u64,
        /// The checksum of the content read.
        found: u64,
    },
    /// A saved model uses a format version this build cannot read.
    #[error("unsupported model format version {found} (this build reads version {supported})")]
    UnsupportedFormat {
        /// The version in the file.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// A saved model is of another kind (e.g. a TVAE loaded as CTGAN).
    #[error("the saved model is a {found} model, not {expected}")]
    WrongModelKind {
        /// The kind asked for.
        expected: &'static str,
        /// The kind in the file.
        found: String,
    },
    /// A saved parameter is missing, extra, or of the wrong shape or type for the model.
    #[error("saved parameter `{name}` does not fit the model: {reason}")]
    ParameterMismatch {
        /// The parameter's name.
        name: String,
        /// What is wrong.
        reason: String,
    },

    // ----- wrapped --------------------------------------------------------------------------
    /// An error of the data crate (schema, table, transformer, conditions).
    #[error(transparent)]
    Data(#[from] DataError),
    /// An error of the DP-SGD crate.
    #[error(transparent)]
    Sgd(#[from] SgdError),
    /// An error of the accountant (calibration, ledger).
    #[error(transparent)]
    Accountant(#[from] AccountantError),
    /// An error of the privacy randomness.
    #[error(transparent)]
    Noise(#[from] NoiseError),
    /// A Candle error.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// A broken internal invariant (a bug: please report it).
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, ModelError>;

impl ModelError {
    /// True when the fit was cancelled by the progress callback (wrapped or not).
    pub fn is_cancelled(&self) -> bool {
        match self {
            ModelError::Cancelled => true,
            ModelError::SpentThenFailed { error, .. } => error.is_cancelled(),
            _ => false,
        }
    }

    /// The releases a failed private fit had already made, if any (see
    /// [`ModelError::SpentThenFailed`]).
    pub fn spent_ledger(&self) -> Option<&PrivacyLedger> {
        match self {
            ModelError::SpentThenFailed { spent, .. } => Some(spent),
            _ => None,
        }
    }

    /// `error`, carrying `ledger` when it records releases. An error that already carries
    /// releases keeps the longer of the two ledgers (the later one: ledgers only grow).
    pub(crate) fn after_releases(error: ModelError, ledger: PrivacyLedger) -> Self {
        if let ModelError::SpentThenFailed { error, spent } = error {
            let spent = if spent.entries().len() >= ledger.entries().len() {
                *spent
            } else {
                ledger
            };
            return ModelError::SpentThenFailed {
                error,
                spent: Box::new(spent),
            };
        }
        if ledger.is_empty() {
            error
        } else {
            ModelError::SpentThenFailed {
                error: Box::new(error),
                spent: Box::new(ledger),
            }
        }
    }

    pub(crate) fn corrupt(reason: impl Into<String>) -> Self {
        ModelError::CorruptModel {
            reason: reason.into(),
        }
    }
}
