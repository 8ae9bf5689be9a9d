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
mod entry;
mod error;
#[cfg(test)]
mod tests;
mod verify;

use serde::{Deserialize, Serialize};

pub(crate) use canonical::canonical;
pub(crate) use entry::hex;
pub use entry::{ChainLink, ChargePhase, EntryBody, ROW_ESTIMATE_SUBJECT, link_hash};
pub use error::ChainError;
pub use verify::{ChainHead, ChainSummary, ChargeState, verify};
pub(crate) use verify::{Charges, charge_bound, charges, check_links, summarise, within_plan};

/// The `format` field of an export.
pub const CHAIN_FORMAT: &str = "tabveil-ledger-chain";
/// The version of the encoding this build writes and reads.
pub const CHAIN_VERSION: u32 = 1;
/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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
