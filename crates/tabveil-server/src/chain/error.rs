//! [`ChainError`]: why a chain does not verify.

use super::CHAIN_VERSION;

/// Why a chain does not verify.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChainError {
    /// Not a ledger chain export.
    #[error("not a tabveil ledger chain (format `{found}`)")]
    Format {
        /// The format found.
        found: String,
    },
    /// Another version of the encoding.
    #[error("ledger chain version {found}; this build reads version {CHAIN_VERSION}")]
    Version {
        /// The version found.
        found: u32,
    },
    /// Entries are missing or out of order.
    #[error(
        "entry {found} stands where entry {expected} should (an entry was removed, added or moved)"
    )]
    Sequence {
        /// The position expected.
        expected: u64,
        /// The position found.
        found: u64,
    },
    /// An entry does not point at the previous one.
    #[error("entry {seq} does not link to the entry before it")]
    Link {
        /// The entry.
        seq: u64,
    },
    /// An entry's hash is not the hash of its content: it was edited.
    #[error("entry {seq} was modified: its hash does not match its content")]
    Hash {
        /// The entry.
        seq: u64,
    },
    /// An entry's body is not a valid entry.
    #[error("entry {seq} is malformed: {reason}")]
    Body {
        /// The entry.
        seq: u64,
        /// What is wrong.
        reason: String,
    },
    /// An entry's body is not in canonical form (it was rewritten).
    #[error("entry {seq} is not in canonical form")]
    NotCanonical {
        /// The entry.
        seq: u64,
    },
    /// An entry belongs to another dataset.
    #[error("entry {seq} belongs to another dataset")]
    WrongDataset {
        /// The entry.
        seq: u64,
    },
    /// The chain does not start with the budget, or sets it twice.
    #[error("entry {seq}: the budget must be set once, by the first entry")]
    Budget {
        /// The entry.
        seq: u64,
    },
    /// A charge breaks the charging rules (final before planned, changed after final, more
    /// than planned).
    #[error("entry {seq} ({subject}): {reason}")]
    Rule {
        /// The entry.
        seq: u64,
        /// Its subject.
        subject: String,
        /// The rule broken.
        reason: &'static str,
    },
    /// The charges compose to more than the budget.
    #[error(
        "the charges compose to ε = {epsilon} at δ = {delta}, over the budget ε = {epsilon_total}"
    )]
    OverBudget {
        /// ε of the composition.
        epsilon: f64,
        /// The budget's δ.
        delta: f64,
        /// The budget.
        epsilon_total: f64,
    },
    /// The accountant failed on the charges.
    #[error("the charges cannot be accounted: {0}")]
    Accountant(String),
    /// A broken invariant of this crate.
    #[error("internal error: {0}")]
    Internal(&'static str),
}
