//! The one error type of the noise crate.

/// What can go wrong when drawing privacy randomness.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NoiseError {
    /// The operating system could not provide entropy to seed the CSPRNG.
    #[error("the operating system's entropy source failed: {message}")]
    EntropyUnavailable {
        /// The OS error, as text.
        message: String,
    },
    /// A noise standard deviation must be finite and ≥ 0.
    #[error("noise standard deviation {value} must be finite and ≥ 0")]
    InvalidStd {
        /// The rejected value.
        value: f64,
    },
    /// The scale of an exact discrete Gaussian must be finite, > 0 and at most 2³⁰.
    #[error("discrete Gaussian scale σ = {value} must be finite, > 0 and at most 2^30")]
    InvalidDiscreteGaussianScale {
        /// The rejected value.
        value: f64,
    },
    /// A probability must lie in [0, 1].
    #[error("probability {value} is outside [0, 1]")]
    InvalidProbability {
        /// The rejected value.
        value: f64,
    },
    /// The log-weights of an exponential-mechanism draw are unusable.
    #[error("invalid selection weights: {reason}")]
    InvalidWeights {
        /// What is wrong with them.
        reason: &'static str,
    },
    /// The background thread drawing noise ahead failed (a bug or a resource limit).
    #[error("the background noise thread failed: {what}")]
    Worker {
        /// What went wrong.
        what: &'static str,
    },
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, NoiseError>;
