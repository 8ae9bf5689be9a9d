//! Private schema discovery: a [`Schema`] released from the data by differentially private
//! mechanisms on the ledger, for users who have no codebook.
//!
//! Per column, what is not declared in the optional public (partial) schema is released:
//! - **kind** (only without a declared kind): a Gaussian count of its non-null fields per
//!   format (integer, decimal, boolean, each datetime format, other text). The column is
//!   numeric, boolean or datetime when that format holds most of the noisy count, categorical
//!   otherwise; a numeric column is integer when its noisy count of fractional values is near
//!   zero. So integer-ness and datetime formats come from a declaration or from this noisy
//!   count, never from one row. A column named `id` or ending in `_id` is an id column (by its
//!   public name; no release).
//! - **categories**: Gaussian thresholding (Desfontaines, Voss, Gipson & Mandayam 2022): each
//!   value's count plus N(0, σ²), the values above τ released; τ = 1 + σ·z(δ_τ) so that a
//!   value held by one row is released with probability ≤ δ_τ. Every other value maps to the
//!   column's `other` category (the schema's JSON says which).
//! - **bounds**: a Gaussian histogram over a wide public grid (log-spaced over ±10⁹;
//!   quarter-years for datetimes), cells below a noise floor zeroed, then the `tail` and
//!   `1 − tail` quantiles read from it: the bounds are public cell edges, never a value of the
//!   data. Values beyond them are clipped when read. When nothing survives the noise (a small
//!   table, a tiny budget) the public grid's range is used: the column is kept, never dropped.
//! - **nullability**: the noisy null count, released in the same vector as the categories or
//!   the histogram (one row, one cell: L2 sensitivity 1).
//!
//! **Budget.** Every release uses one noise multiplier σ, calibrated by the accountant so that
//! the planned ledger spends at most (ε, δ): a share of δ pays the thresholds' additive δ, the
//! rest the Gaussian part ([`plan_discovery`]). A column whose kind is not declared plans its
//! value release as Gaussian thresholding, which dominates the Gaussian histogram, and records
//! it so whichever it turns out to be: the ledger is the plan, fixed before any data is read.
//!
//! ```
//! use tabveil_accountant::{AccountantSpec, PrivacyLedger};
//! use tabveil_data::{discover_schema, plan_discovery, ColumnKind, DiscoveryBudget,
//!     DiscoveryConfig, RawTable, Schema};
//! use tabveil_noise::PrivacyRng;
//!
//! // Public: the columns' kinds. Private: everything else.
//! let declared = Schema::from_json(r#"{"name": "t", "columns": [
//!     {"name": "age", "kind": "continuous", "integer": true},
//!     {"name": "city", "kind": "categorical"}
//! ]}"#)?;
//! let rows = 3_000;
//! let age = (0..rows).map(|i| Some((20 + i % 50).to_string())).collect();
//! let city = (0..rows).map(|i| Some(if i % 3 == 0 { "Oslo" } else { "Rome" }.to_owned())).collect();
//! let raw = RawTable::new(vec!["age".into(), "city".into()], vec![age, city])?;
//!
//! let budget = DiscoveryBudget::new(1.0, 1e-6, AccountantSpec::rdp())?;
//! let config = DiscoveryConfig::default();
//! let plan = plan_discovery(raw.names(), Some(&declared), &budget, &config)?;
//! assert!(plan.epsilon() <= 1.0);
//! let mut ledger = PrivacyLedger::new();
//! let mut rng = PrivacyRng::secure()?;
//! let found = discover_schema(&raw, Some(&declared), &plan, &config, &mut ledger, &mut rng)?;
//! assert_eq!(ledger.entries(), plan.entries());
//! let city = found.column("city").unwrap();
//! assert_eq!(city.categories().unwrap(), ["Oslo", "Rome", "(other)"]);
//! let (lo, hi) = found.column("age").unwrap().bounds();
//! assert!(lo.unwrap() <= 21.0 && hi.unwrap() >= 68.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod budget;
mod config;
mod decode;
mod grid;
mod mechanisms;
mod plan;
mod raw;
mod release;
#[cfg(test)]
mod tests;

pub use budget::DiscoveryBudget;
pub use config::{DEFAULT_OTHER_LABEL, DiscoveryConfig, NoiseWeights};
pub use grid::ValueGrid;
pub use plan::{DiscoveryPlan, plan_discovery};
pub use raw::RawTable;
pub use release::discover_schema;

/// The prefix of every ledger label of schema discovery.
pub const DISCOVERY_LABEL: &str = "schema discovery";
