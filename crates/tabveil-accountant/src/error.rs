//! The one error type of the accountant crate.

/// Everything that can go wrong while recording events or accounting for them.
///
/// Parameter errors carry the offending value so callers can report it; arithmetic that would
/// produce NaN or infinity is an error too, never a silently wrong ε.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AccountantError {
    /// The sampling rate must lie in (0, 1].
    #[error("sample rate q = {value} is outside (0, 1]")]
    InvalidSampleRate {
        /// The rejected value.
        value: f64,
    },
    /// The noise multiplier (noise standard deviation / L2 sensitivity) must be finite and > 0.
    #[error("noise multiplier σ = {value} must be finite and > 0")]
    InvalidNoiseMultiplier {
        /// The rejected value.
        value: f64,
    },
    /// δ must lie in the open interval (0, 1).
    #[error("δ = {value} is outside (0, 1)")]
    InvalidDelta {
        /// The rejected value.
        value: f64,
    },
    /// ε must be finite and ≥ 0.
    #[error("ε = {value} must be finite and ≥ 0")]
    InvalidEpsilon {
        /// The rejected value.
        value: f64,
    },
    /// A count of steps or compositions was zero where at least one is needed.
    #[error("{what} must be at least 1")]
    ZeroCount {
        /// Which count was zero.
        what: &'static str,
    },
    /// An L2 sensitivity must be finite and > 0.
    #[error("L2 sensitivity {value} must be finite and > 0")]
    InvalidSensitivity {
        /// The rejected value.
        value: f64,
    },
    /// A count overflowed `u64` while composing.
    #[error("step count overflows while composing {what}")]
    CountOverflow {
        /// What was being counted.
        what: &'static str,
    },
    /// A ledger label must not be empty.
    #[error("a ledger entry needs a non-empty label saying what it released")]
    EmptyLabel,
    /// A serialised ledger was written by a format version this build cannot read.
    #[error(
        "ledger format version {found} is not supported (this build reads version {supported})"
    )]
    UnsupportedLedgerVersion {
        /// Version found in the input.
        found: u32,
        /// Version this build reads and writes.
        supported: u32,
    },
    /// A serialised ledger could not be parsed.
    #[error("ledger JSON is malformed: {message}")]
    MalformedLedger {
        /// The parser's message.
        message: String,
    },
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, AccountantError>;
