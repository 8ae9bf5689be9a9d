//! The one error type of the accountant crate.

use crate::accountant::AccountantKind;

/// Everything that can go wrong while recording events or accounting for them.
///
/// Parameter errors carry the offending value so callers can report it; arithmetic that would
/// produce NaN or infinity is an error too, never a silently wrong ε.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AccountantError {
    /// The sampling rate must lie in (0, 1].
    #[error("sample rate q = {} is outside (0, 1]", num(.value))]
    InvalidSampleRate {
        /// The rejected value.
        value: f64,
    },
    /// The noise multiplier (noise standard deviation / L2 sensitivity) must be finite and > 0.
    #[error("noise multiplier σ = {} must be finite and > 0", num(.value))]
    InvalidNoiseMultiplier {
        /// The rejected value.
        value: f64,
    },
    /// δ must lie in the open interval (0, 1).
    #[error("δ = {} is outside (0, 1)", num(.value))]
    InvalidDelta {
        /// The rejected value.
        value: f64,
    },
    /// ε must be finite and ≥ 0.
    #[error("ε = {} must be finite and ≥ 0", num(.value))]
    InvalidEpsilon {
        /// The rejected value.
        value: f64,
    },
    /// A threshold (of Gaussian thresholding) must be finite.
    #[error("threshold τ = {} must be finite", num(.value))]
    InvalidThreshold {
        /// The rejected value.
        value: f64,
    },
    /// An accountant cannot account for this kind of mechanism; it refuses rather than skip it.
    #[error("the {accountant} accountant cannot account for the {mechanism}: {reason}")]
    UnsupportedEvent {
        /// The accountant.
        accountant: AccountantKind,
        /// The mechanism's name.
        mechanism: &'static str,
        /// Why, and what to use instead.
        reason: &'static str,
    },
    /// The additive δ of the history (Gaussian thresholding) already reaches the δ asked for:
    /// no ε can be certified there.
    #[error(
        "the history's additive δ = {} (partition selection thresholds) is not below the δ = {} \
         asked for",
        num(.additive),
        num(.delta)
    )]
    AdditiveDeltaTooLarge {
        /// The δ asked for.
        delta: f64,
        /// The additive δ of the history (an upper bound).
        additive: f64,
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
    /// An RDP order must be finite and lie in (1, [`crate::MAX_RDP_ORDER`]].
    #[error("RDP order α = {value} is outside (1, {max}]")]
    InvalidRdpOrder {
        /// The rejected order.
        value: f64,
        /// The largest order accepted.
        max: f64,
    },
    /// A list of RDP orders was empty.
    #[error("at least one RDP order is needed")]
    EmptyRdpOrders,
    /// The RDP of the sampled Gaussian came out as NaN or negative at some order: a numerical
    /// failure, reported rather than dropping the order.
    #[error(
        "RDP of the sampled Gaussian (q = {sample_rate}, σ = {noise_multiplier}) at order \
         α = {order} is not a valid number ({value})"
    )]
    InvalidRdpValue {
        /// The order at which it happened.
        order: f64,
        /// Sampling rate of the mechanism.
        sample_rate: f64,
        /// Noise multiplier of the mechanism.
        noise_multiplier: f64,
        /// What was computed.
        value: f64,
    },
    /// A user-supplied RDP curve is malformed (a NaN or negative value, or not one value per
    /// order).
    #[error("RDP curve value {value} at order α = {order} is invalid (NaN, negative or missing)")]
    InvalidRdpCurve {
        /// The order at which it happened (NaN when the lengths differ).
        order: f64,
        /// The value.
        value: f64,
    },
    /// The series for a fractional RDP order did not converge within its iteration limit.
    #[error(
        "the RDP series at order α = {order} (q = {sample_rate}, σ = {noise_multiplier}) did \
         not converge in {iterations} terms"
    )]
    RdpSeriesNotConverged {
        /// The order.
        order: f64,
        /// Sampling rate of the mechanism.
        sample_rate: f64,
        /// Noise multiplier of the mechanism.
        noise_multiplier: f64,
        /// Terms summed before giving up.
        iterations: u64,
    },
    /// No finite ε certifies this δ (e.g. δ below the mass the PLD puts at infinite loss, or
    /// every RDP order is infinite).
    #[error("no finite ε holds at δ = {} with the {accountant} accountant", num(.delta))]
    EpsilonUnbounded {
        /// The δ asked for.
        delta: f64,
        /// The accountant asked.
        accountant: AccountantKind,
    },
    /// A PLD configuration parameter is out of range.
    #[error("PLD parameter {parameter} = {value} is invalid: {expected}")]
    InvalidPldConfig {
        /// Which parameter.
        parameter: &'static str,
        /// The rejected value.
        value: f64,
        /// What is accepted.
        expected: &'static str,
    },
    /// A privacy loss distribution would need more grid points than allowed; nothing was
    /// allocated. Use a coarser discretisation interval or raise the limit.
    #[error(
        "the privacy loss distribution would need about {points} grid points, more than the \
         limit of {limit}; use a coarser discretisation interval or raise max_grid_points"
    )]
    PldGridTooLarge {
        /// Estimated number of points.
        points: u64,
        /// The configured limit.
        limit: u64,
    },
    /// An approximation (GDP) was asked for where an upper bound is required.
    #[error(
        "the {kind} accountant only approximates ε and may under-estimate it; calibration and \
         budget checks need an upper bound (use rdp or pld)"
    )]
    ApproximationNotAllowed {
        /// The accountant that was refused.
        kind: AccountantKind,
    },
    /// A noise schedule has nothing to calibrate.
    #[error("the noise schedule has no calibrated segment")]
    EmptySchedule,
    /// A training schedule that cannot run.
    #[error(
        "invalid training schedule ({n_rows} rows, batch {batch_size}, {epochs} epochs): {reason}"
    )]
    InvalidSchedule {
        /// Rows in the table.
        n_rows: u64,
        /// Expected batch size.
        batch_size: u64,
        /// Epochs.
        epochs: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// The preprocessing share of the budget must lie in (0, 1).
    #[error("preprocessing share {value} is outside (0, 1)")]
    InvalidShare {
        /// The rejected value.
        value: f64,
    },
    /// The target ε cannot be reached by any noise multiplier.
    #[error(
        "target ε = {} cannot be reached: {reason} (ε is at least {})",
        num(.target_epsilon),
        num(.floor)
    )]
    UnreachableTarget {
        /// The target asked for.
        target_epsilon: f64,
        /// The smallest ε that was found attainable (for example, what the fixed events alone
        /// spend).
        floor: f64,
        /// Why.
        reason: &'static str,
    },
    /// The target ε is so large that even the smallest noise multiplier the calibration tries
    /// meets it: the target bounds nothing and no σ is returned.
    #[error(
        "target ε = {} bounds nothing: even a noise multiplier of {} meets it (ε = {}); \
         choose a target that protects the rows",
        num(.target_epsilon),
        num(.noise_multiplier),
        num(.epsilon)
    )]
    TargetMeetsNoNoise {
        /// The target asked for.
        target_epsilon: f64,
        /// The smallest noise multiplier tried.
        noise_multiplier: f64,
        /// What it spends (finite, and ≤ the target).
        epsilon: f64,
    },
    /// The noise multiplier that meets the target is too small for the accountant to evaluate
    /// (a PLD grid beyond its limit), so no σ close to the smallest one can be certified.
    #[error(
        "target ε = {} needs a noise multiplier below {}, where the {accountant} accountant \
         cannot evaluate ε (grid too large); σ = {} spends ε = {}. Use the rdp accountant or a \
         coarser grid",
        num(.target_epsilon),
        num(.noise_multiplier),
        num(.noise_multiplier),
        num(.epsilon)
    )]
    CalibrationOutOfRange {
        /// The target asked for.
        target_epsilon: f64,
        /// The smallest noise multiplier the accountant could evaluate within the target.
        noise_multiplier: f64,
        /// What that noise multiplier spends.
        epsilon: f64,
        /// The accountant.
        accountant: AccountantKind,
    },
    /// A numerical search or computation failed where it should not; the message says which.
    #[error("numerical failure: {what}")]
    Numerical {
        /// What failed.
        what: &'static str,
    },
}

/// A number for a message: plain between 1e-4 and 1e6, in scientific notation outside (no
/// 300-digit numbers), `∞` for infinity.
#[derive(Debug, Clone, Copy)]
pub struct CompactNumber(pub f64);

impl std::fmt::Display for CompactNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x = self.0;
        if x == f64::INFINITY {
            f.write_str("∞")
        } else if x == f64::NEG_INFINITY {
            f.write_str("-∞")
        } else if x == 0.0 || x.is_nan() || (1e-4..1e6).contains(&x.abs()) {
            write!(f, "{x}")
        } else {
            write!(f, "{x:e}")
        }
    }
}

fn num(x: &f64) -> CompactNumber {
    CompactNumber(*x)
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, AccountantError>;
