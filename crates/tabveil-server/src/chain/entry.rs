//! What the chain holds: the entries' bodies ([`EntryBody`]: the budget, then charges), the
//! stored links ([`ChainLink`]) and the hash that ties each to the one before.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tabveil::accountant::{AccountantSpec, PrivacyLedger};

use super::{ChainError, GENESIS_HASH, canonical};

/// The bytes every hashed message starts with (domain separation).
const DOMAIN: &[u8] = b"tabveil-ledger-chain/1\n";

/// The subject of the one charge made when a dataset's table is uploaded: the noisy row count
/// N̂ every fit on it plans with.
pub const ROW_ESTIMATE_SUBJECT: &str = "row-estimate";

/// What a charge entry says about its subject's charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChargePhase {
    /// A fit's whole planned ledger, charged before its first release.
    Planned,
    /// The fit ran to the end: the ledger it recorded (never more than planned).
    Completed,
    /// The fit was cancelled: what it released before stopping.
    Cancelled,
    /// The fit failed: what it released before failing.
    Failed,
    /// The server stopped during the fit: the planned ledger stays charged (pessimistic).
    Interrupted,
    /// The fit never started: nothing was released.
    NotStarted,
    /// A release charged at once, without a plan (the row estimate of the upload).
    Release,
}

impl ChargePhase {
    /// True for every phase but [`ChargePhase::Planned`]: the subject's charge is final.
    pub fn is_final(self) -> bool {
        self != ChargePhase::Planned
    }
}

/// The content of one chain entry (the canonical JSON of this is what is hashed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryBody {
    /// The dataset's lifetime budget, set by its owner at upload: always the first entry.
    Budget {
        /// The dataset's id.
        dataset: String,
        /// ε_total.
        epsilon_total: f64,
        /// δ of the budget (every composition is evaluated at this δ).
        delta: f64,
        /// The accountant that composes the charges.
        accountant: AccountantSpec,
        /// Unix time in milliseconds.
        at_ms: i64,
    },
    /// A charge: the ledger a subject (a fit, or the upload's row count) is charged now; it
    /// replaces the subject's previous charge.
    Charge {
        /// The dataset's id.
        dataset: String,
        /// What is charged: `generator:<id>` or [`ROW_ESTIMATE_SUBJECT`].
        subject: String,
        /// Planned or final, and why.
        phase: ChargePhase,
        /// The releases charged.
        ledger: PrivacyLedger,
        /// Unix time in milliseconds.
        at_ms: i64,
    },
}

impl EntryBody {
    /// A budget entry.
    pub fn budget(
        dataset: &str,
        epsilon_total: f64,
        delta: f64,
        accountant: AccountantSpec,
        at_ms: i64,
    ) -> Self {
        EntryBody::Budget {
            dataset: dataset.to_owned(),
            epsilon_total,
            delta,
            accountant,
            at_ms,
        }
    }

    /// A charge entry.
    pub fn charge(
        dataset: &str,
        subject: &str,
        phase: ChargePhase,
        ledger: PrivacyLedger,
        at_ms: i64,
    ) -> Self {
        EntryBody::Charge {
            dataset: dataset.to_owned(),
            subject: subject.to_owned(),
            phase,
            ledger,
            at_ms,
        }
    }

    pub(super) fn dataset(&self) -> &str {
        match self {
            EntryBody::Budget { dataset, .. } | EntryBody::Charge { dataset, .. } => dataset,
        }
    }
}

/// One stored entry: its position, the hash of the entry before, its own hash and its body as
/// the canonical JSON text that was hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainLink {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// The previous entry's `hash` ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// SHA-256 (lower-case hex) of `"tabveil-ledger-chain/1\n" + prev_hash + "\n" + body`.
    pub hash: String,
    /// The canonical JSON text of the [`EntryBody`].
    pub body: String,
}

impl ChainLink {
    /// The link after `prev` (or the first) holding `body`.
    ///
    /// # Errors
    /// [`ChainError::Body`] if the body does not serialise.
    pub fn next(prev: Option<&ChainLink>, body: &EntryBody) -> Result<Self, ChainError> {
        let value = serde_json::to_value(body).map_err(|e| ChainError::Body {
            seq: prev.map_or(1, |p| p.seq + 1),
            reason: e.to_string(),
        })?;
        let body = canonical(&value);
        let (seq, prev_hash) = match prev {
            Some(p) => (p.seq + 1, p.hash.clone()),
            None => (1, GENESIS_HASH.to_owned()),
        };
        let hash = link_hash(&prev_hash, &body);
        Ok(ChainLink {
            seq,
            prev_hash,
            hash,
            body,
        })
    }
}

/// The hash of an entry: SHA-256 over the domain prefix, the previous hash, a newline and the
/// canonical body, as lower-case hex.
pub fn link_hash(prev_hash: &str, body: &str) -> String {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(body.as_bytes());
    hex(&h.finalize())
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}
