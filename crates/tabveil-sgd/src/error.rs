//! The one error type of the DP-SGD crate.

use tabveil_accountant::AccountantError;
use tabveil_noise::NoiseError;

/// Everything that can go wrong in a DP-SGD computation.
///
/// Parameter errors name the offending parameter and value. Errors of the crates underneath
/// (Candle, the accountant, the noise source) are wrapped with `#[from]`. Because
/// `candle_core::Error` is neither `Clone` nor `PartialEq`, neither is this enum: match on
/// variants in tests.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum SgdError {
    /// A configuration value is outside its allowed range.
    #[error("{parameter} = {value} is invalid: {expected}")]
    InvalidParameter {
        /// Which parameter.
        parameter: &'static str,
        /// The rejected value.
        value: f64,
        /// What is allowed.
        expected: &'static str,
    },
    /// A tensor does not have the shape the computation needs.
    #[error("{what}: expected shape {expected:?}, got {actual:?}")]
    ShapeMismatch {
        /// Which tensor.
        what: String,
        /// The expected dimensions (`usize::MAX` stands for "any").
        expected: Vec<usize>,
        /// The dimensions received.
        actual: Vec<usize>,
    },
    /// Tensors that must share a dtype do not.
    #[error("{what}: dtype {actual:?} does not match {expected:?}")]
    DTypeMismatch {
        /// Which tensor.
        what: String,
        /// The dtype required.
        expected: candle_core::DType,
        /// The dtype received.
        actual: candle_core::DType,
    },
    /// The computation supports floating-point tensors of type f32 and f64 only.
    #[error("{what}: dtype {dtype:?} is not supported (use f32 or f64)")]
    UnsupportedDType {
        /// Which tensor.
        what: String,
        /// The dtype received.
        dtype: candle_core::DType,
    },
    /// A parameter was given gradient contributions of two incompatible kinds (for example a
    /// weight use and a per-example row for the same name).
    #[error(
        "parameter `{name}` received contributions of incompatible kinds ({first} and {second})"
    )]
    MixedContributions {
        /// The parameter name.
        name: String,
        /// The kind recorded first.
        first: &'static str,
        /// The conflicting kind.
        second: &'static str,
    },
    /// A private parameter has no clipped gradient in a step: every parameter of a private module
    /// must be covered, or its update would silently use nothing (or unclipped data).
    #[error("private parameter `{name}` has no clipped per-example gradient in this batch")]
    MissingGradient {
        /// The parameter name.
        name: String,
    },
    /// A gradient names a parameter the optimizer does not manage.
    #[error("gradient for unknown parameter `{name}`")]
    UnknownParameter {
        /// The parameter name.
        name: String,
    },
    /// Two parameters share one name.
    #[error("parameter name `{name}` is used twice")]
    DuplicateParameter {
        /// The parameter name.
        name: String,
    },
    /// The per-example rows disagree on the batch size.
    #[error("{what} has {actual} rows, but the batch has {expected} examples")]
    BatchSizeMismatch {
        /// Which tensor.
        what: String,
        /// The batch size of the computation.
        expected: usize,
        /// The rows received.
        actual: usize,
    },
    /// Gradients clipped with one norm were given to a mechanism calibrated for another: the
    /// noise would not match the sensitivity.
    #[error(
        "gradients were clipped to norm {clipped_with}, but the mechanism is calibrated for {configured}"
    )]
    ClipNormMismatch {
        /// The norm the batch was clipped with.
        clipped_with: f64,
        /// The norm the noise is calibrated for.
        configured: f64,
    },
    /// A setting that removes the privacy guarantee (no noise, no clipping) was used with an
    /// accounted privacy budget.
    #[error("{setting} gives no privacy guarantee; it is only allowed with an unaccounted budget")]
    NotPrivate {
        /// What was set.
        setting: &'static str,
    },
    /// A lock guarding shared state was poisoned by a panic in another thread.
    #[error("internal lock poisoned: {what}")]
    LockPoisoned {
        /// Which lock.
        what: &'static str,
    },
    /// Something that cannot happen happened; please report it.
    #[error("internal error: {0}")]
    Internal(&'static str),
    /// A Candle tensor operation failed.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// The accountant rejected an event or failed to compute ε.
    #[error(transparent)]
    Accountant(#[from] AccountantError),
    /// The privacy randomness failed (entropy unavailable, invalid noise scale).
    #[error(transparent)]
    Noise(#[from] NoiseError),
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, SgdError>;
