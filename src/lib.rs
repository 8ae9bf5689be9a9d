//! # tabveil
//!
//! Differentially private synthetic tabular data in Rust: CTGAN and TVAE trained with DP-SGD,
//! with privacy accounting that covers the whole pipeline, preprocessing included.
//!
//! This facade re-exports the workspace crates. For now it exposes the accountant:
//!
//! ```
//! use tabveil::accountant::{PrivacyEvent, PrivacyLedger, LedgerEntry, Stage};
//!
//! let mut ledger = PrivacyLedger::new();
//! let step = PrivacyEvent::poisson_subsampled_gaussian(0.01, 1.1, 1_000)?;
//! ledger.record(LedgerEntry::new("training: discriminator", Stage::Training, step)?)?;
//! assert_eq!(ledger.entries().len(), 1);
//! # Ok::<(), tabveil::accountant::AccountantError>(())
//! ```
//!
//! ## Features
//! - `default = []`: CPU only.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub use tabveil_accountant as accountant;
pub use tabveil_data as data;
pub use tabveil_eval as eval;
pub use tabveil_models as models;
pub use tabveil_report as report;
pub use tabveil_sgd as sgd;
pub use tabveil_validate as validate;
