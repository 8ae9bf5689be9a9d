//! The tamper-evident ledger of a dataset: every charge to its lifetime budget is an entry
//! hash-chained to the one before (SHA-256 over a canonical encoding), so that editing,
//! inserting, removing or reordering a stored entry is detected by [`verify`].
//!
//! ```
//! use tabveil::accountant::{AccountantSpec, LedgerEntry, PrivacyEvent, PrivacyLedger, Stage};
//! use tabveil_server::chain::{Chain, ChargePhase, EntryBody, verify};
//!
//! let mut chain = Chain::new("ds_1");
//! chain.append(EntryBody::budget("ds_1", 3.0, 1e-6, AccountantSpec::rdp(), 0))?;
//! let mut ledger = PrivacyLedger::new();
//! ledger.record(LedgerEntry::new("row count", Stage::Preprocessing, PrivacyEvent::gaussian(50.0, 1)?)?)?;
//! chain.append(EntryBody::charge("ds_1", "row-estimate", ChargePhase::Release, ledger, 0))?;
//! let summary = verify(&chain.export())?;
//! assert!(summary.epsilon_spent < 3.0);
//!
//! let mut forged = chain.export();
//! forged.entries[1].body = forged.entries[1].body.replace("50.0", "500.0");
//! assert!(verify(&forged).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod canonical;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tabveil::accountant::{AccountantSpec, PrivacyLedger, epsilon_of};

pub(crate) use canonical::canonical;

/// The `format` field of an export.
pub const CHAIN_FORMAT: &str = "tabveil-ledger-chain";
/// The version of the encoding this build writes and reads.
pub const CHAIN_VERSION: u32 = 1;
/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// The bytes every hashed message starts with (domain separation).
const DOMAIN: &[u8] = b"tabveil-ledger-chain/1\n";
/// Relative slack when comparing a composed ε with the budget (the same code computes both; the
/// slack only absorbs a different floating-point summation order in another build).
const EPSILON_SLACK: f64 = 1e-9;

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

    fn dataset(&self) -> &str {
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

/// A dataset's chain as exported by `GET /datasets/{id}/ledger` and read by
/// `tabveil ledger verify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainExport {
    /// [`CHAIN_FORMAT`].
    pub format: String,
    /// [`CHAIN_VERSION`].
    pub version: u32,
    /// The dataset's id.
    pub dataset: String,
    /// Every entry, in order.
    pub entries: Vec<ChainLink>,
}

/// A chain held in memory (the server keeps it in its database).
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    dataset: String,
    links: Vec<ChainLink>,
}

impl Chain {
    /// An empty chain for `dataset`.
    pub fn new(dataset: &str) -> Self {
        Chain {
            dataset: dataset.to_owned(),
            links: Vec::new(),
        }
    }

    /// A chain from stored links (not verified: see [`verify`]).
    pub fn from_links(dataset: &str, links: Vec<ChainLink>) -> Self {
        Chain {
            dataset: dataset.to_owned(),
            links,
        }
    }

    /// Appends `body` and returns the new link.
    ///
    /// # Errors
    /// [`ChainError::WrongDataset`] for a body of another dataset, [`ChainError::Body`].
    pub fn append(&mut self, body: EntryBody) -> Result<&ChainLink, ChainError> {
        let seq = self.links.len() as u64 + 1;
        if body.dataset() != self.dataset {
            return Err(ChainError::WrongDataset { seq });
        }
        let link = ChainLink::next(self.links.last(), &body)?;
        self.links.push(link);
        self.links
            .last()
            .ok_or(ChainError::Internal("empty after append"))
    }

    /// The links.
    pub fn links(&self) -> &[ChainLink] {
        &self.links
    }

    /// The export of the chain.
    pub fn export(&self) -> ChainExport {
        ChainExport {
            format: CHAIN_FORMAT.to_owned(),
            version: CHAIN_VERSION,
            dataset: self.dataset.clone(),
            entries: self.links.clone(),
        }
    }
}

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

/// What a verified chain says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainSummary {
    /// The dataset.
    pub dataset: String,
    /// Number of entries.
    pub entries: u64,
    /// The last entry's position and hash: cite it to pin the chain.
    pub head: Option<ChainHead>,
    /// ε_total.
    pub epsilon_total: f64,
    /// The budget's δ.
    pub delta: f64,
    /// ε of every subject's current charge composed by the budget's accountant at δ.
    pub epsilon_spent: f64,
    /// Each subject's current charge.
    pub charges: Vec<ChargeState>,
}

/// A position in a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChainHead {
    /// Position, from 1.
    pub seq: u64,
    /// The entry's hash.
    pub hash: String,
}

/// A subject's current charge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChargeState {
    /// The subject.
    pub subject: String,
    /// Its latest phase.
    pub phase: ChargePhase,
    /// The entry that set it.
    pub seq: u64,
    /// ε of this charge alone at the budget's δ.
    pub epsilon_alone: f64,
}

/// The budget and the current charge of every subject, read from verified entries.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Charges {
    pub(crate) epsilon_total: f64,
    pub(crate) delta: f64,
    pub(crate) accountant: AccountantSpec,
    /// subject → (phase, seq, ledger charged now, the planned ledger if any).
    pub(crate) current: BTreeMap<String, Current>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Current {
    pub(crate) phase: ChargePhase,
    pub(crate) seq: u64,
    pub(crate) ledger: PrivacyLedger,
    pub(crate) planned: Option<PrivacyLedger>,
}

impl Charges {
    /// Every current charge concatenated (plus `extra`), the composition the budget limits.
    pub(crate) fn composed_with(
        &self,
        extra: Option<(&str, &PrivacyLedger)>,
    ) -> Result<PrivacyLedger, ChainError> {
        let mut ledgers: Vec<&PrivacyLedger> = self
            .current
            .iter()
            .filter(|(subject, _)| extra.is_none_or(|(s, _)| s != subject.as_str()))
            .map(|(_, c)| &c.ledger)
            .collect();
        if let Some((_, l)) = extra {
            ledgers.push(l);
        }
        concatenate(ledgers)
    }

    /// ε at the budget's δ of `ledger` under the budget's accountant.
    pub(crate) fn epsilon(&self, ledger: &PrivacyLedger) -> Result<f64, ChainError> {
        if ledger.is_empty() {
            return Ok(0.0);
        }
        epsilon_of(ledger, &self.accountant, self.delta)
            .map(|g| g.epsilon)
            .map_err(|e| ChainError::Accountant(e.to_string()))
    }

    /// True when `epsilon` is within the budget.
    pub(crate) fn within(&self, epsilon: f64) -> bool {
        epsilon <= self.epsilon_total * (1.0 + EPSILON_SLACK)
    }
}

/// Concatenates ledgers into one (the composition of all their releases); seeded if any is.
///
/// # Errors
/// [`ChainError::Accountant`] if a step count overflows.
pub(crate) fn concatenate<'a>(
    ledgers: impl IntoIterator<Item = &'a PrivacyLedger>,
) -> Result<PrivacyLedger, ChainError> {
    let mut all = PrivacyLedger::new();
    for ledger in ledgers {
        if ledger.noise_randomness() == tabveil::accountant::NoiseRandomness::Seeded {
            all.mark_noise_seeded();
        }
        for entry in ledger.entries() {
            all.record(entry.clone())
                .map_err(|e| ChainError::Accountant(e.to_string()))?;
        }
    }
    Ok(all)
}

/// True when every mechanism of `actual` appears in `planned` at least as many times (whatever
/// the labels and order): then `actual` releases a subset of what `planned` does, and any
/// accountant charges it no more.
pub(crate) fn within_plan(actual: &PrivacyLedger, planned: &PrivacyLedger) -> bool {
    fn counts(ledger: &PrivacyLedger) -> Option<BTreeMap<String, u64>> {
        let mut m = BTreeMap::new();
        for entry in ledger.entries() {
            let event = entry.event();
            let key = serde_json::to_value(event.with_steps(1).ok()?).ok()?;
            let slot = m.entry(canonical(&key)).or_insert(0u64);
            *slot = slot.checked_add(event.steps())?;
        }
        Some(m)
    }
    match (counts(actual), counts(planned)) {
        (Some(a), Some(p)) => a
            .iter()
            .all(|(k, n)| p.get(k).is_some_and(|planned| n <= planned)),
        _ => false,
    }
}

/// Checks the links of `links` (positions, hashes, canonical bodies) and returns the bodies.
pub(crate) fn check_links(
    dataset: &str,
    links: &[ChainLink],
) -> Result<Vec<EntryBody>, ChainError> {
    let mut prev = GENESIS_HASH;
    let mut bodies = Vec::with_capacity(links.len());
    for (i, link) in links.iter().enumerate() {
        let expected = i as u64 + 1;
        if link.seq != expected {
            return Err(ChainError::Sequence {
                expected,
                found: link.seq,
            });
        }
        let seq = link.seq;
        if link.prev_hash != prev {
            return Err(ChainError::Link { seq });
        }
        if link_hash(&link.prev_hash, &link.body) != link.hash {
            return Err(ChainError::Hash { seq });
        }
        let value: serde_json::Value =
            serde_json::from_str(&link.body).map_err(|e| ChainError::Body {
                seq,
                reason: e.to_string(),
            })?;
        let body: EntryBody =
            serde_json::from_value(value.clone()).map_err(|e| ChainError::Body {
                seq,
                reason: e.to_string(),
            })?;
        let again = serde_json::to_value(&body).map_err(|e| ChainError::Body {
            seq,
            reason: e.to_string(),
        })?;
        if canonical(&again) != link.body {
            return Err(ChainError::NotCanonical { seq });
        }
        if body.dataset() != dataset {
            return Err(ChainError::WrongDataset { seq });
        }
        bodies.push(body);
        prev = &link.hash;
    }
    Ok(bodies)
}

/// Applies the charging rules to the bodies of a chain: the budget first and once; a fit's
/// `planned` charge before its final one; nothing after a final charge; a final charge never
/// more than planned (as a multiset of mechanisms); only the row estimate is charged without a
/// plan.
pub(crate) fn charges(bodies: &[EntryBody]) -> Result<Charges, ChainError> {
    let mut budget = None;
    let mut current: BTreeMap<String, Current> = BTreeMap::new();
    for (i, body) in bodies.iter().enumerate() {
        let seq = i as u64 + 1;
        match body {
            EntryBody::Budget {
                epsilon_total,
                delta,
                accountant,
                ..
            } => {
                if seq != 1 {
                    return Err(ChainError::Budget { seq });
                }
                budget = Some((*epsilon_total, *delta, accountant.clone()));
            }
            EntryBody::Charge {
                subject,
                phase,
                ledger,
                ..
            } => {
                if budget.is_none() {
                    return Err(ChainError::Budget { seq });
                }
                let rule = |reason| ChainError::Rule {
                    seq,
                    subject: subject.clone(),
                    reason,
                };
                let planned = match (current.get(subject), phase) {
                    (Some(c), _) if c.phase.is_final() => {
                        return Err(rule("charged again after its final charge"));
                    }
                    (Some(_), ChargePhase::Planned) => return Err(rule("planned twice")),
                    (Some(_), ChargePhase::Release) => {
                        return Err(rule("a release without a plan cannot follow a plan"));
                    }
                    (Some(c), _) => {
                        let planned = c.planned.clone();
                        if let Some(p) = &planned
                            && !within_plan(ledger, p)
                        {
                            return Err(rule("the final charge is more than the plan"));
                        }
                        planned
                    }
                    (None, ChargePhase::Planned) => Some(ledger.clone()),
                    (None, ChargePhase::Release) if subject == ROW_ESTIMATE_SUBJECT => None,
                    (None, _) => return Err(rule("a final charge without a planned one")),
                };
                current.insert(
                    subject.clone(),
                    Current {
                        phase: *phase,
                        seq,
                        ledger: ledger.clone(),
                        planned,
                    },
                );
            }
        }
    }
    let (epsilon_total, delta, accountant) = budget.ok_or(ChainError::Budget { seq: 1 })?;
    Ok(Charges {
        epsilon_total,
        delta,
        accountant,
        current,
    })
}

/// Verifies an exported chain: format and version, every link and hash, canonical bodies, the
/// charging rules, and that the current charges compose (by the budget's accountant, at its
/// δ) to no more than ε_total.
///
/// # Errors
/// The first problem found, as a [`ChainError`].
pub fn verify(export: &ChainExport) -> Result<ChainSummary, ChainError> {
    if export.format != CHAIN_FORMAT {
        return Err(ChainError::Format {
            found: export.format.clone(),
        });
    }
    if export.version != CHAIN_VERSION {
        return Err(ChainError::Version {
            found: export.version,
        });
    }
    summarise(&export.dataset, &export.entries)
}

/// [`verify`] on stored links.
pub(crate) fn summarise(dataset: &str, links: &[ChainLink]) -> Result<ChainSummary, ChainError> {
    let bodies = check_links(dataset, links)?;
    let charges = charges(&bodies)?;
    let composed = charges.composed_with(None)?;
    let epsilon_spent = charges.epsilon(&composed)?;
    if !charges.within(epsilon_spent) {
        return Err(ChainError::OverBudget {
            epsilon: epsilon_spent,
            delta: charges.delta,
            epsilon_total: charges.epsilon_total,
        });
    }
    let states = charges
        .current
        .iter()
        .map(|(subject, c)| {
            Ok(ChargeState {
                subject: subject.clone(),
                phase: c.phase,
                seq: c.seq,
                epsilon_alone: charges.epsilon(&c.ledger)?,
            })
        })
        .collect::<Result<Vec<_>, ChainError>>()?;
    Ok(ChainSummary {
        dataset: dataset.to_owned(),
        entries: links.len() as u64,
        head: links.last().map(|l| ChainHead {
            seq: l.seq,
            hash: l.hash.clone(),
        }),
        epsilon_total: charges.epsilon_total,
        delta: charges.delta,
        epsilon_spent,
        charges: states,
    })
}
