//! # tabveil-audit
//!
//! Empirical privacy auditing: insert canaries, train once, and turn the membership guesses
//! into a lower bound on ε that holds with a stated confidence (Steinke, Nasr & Jagielski,
//! "Privacy auditing with one (1) training run", NeurIPS 2023) — beside the accountant's upper
//! bound. An accountant that says ε ≤ 3 next to an audit that says ε ≥ 0.7 (95 %) is believable;
//! a broken clipping or noise path makes the audit's bound jump above the claim.
//!
//! ```
//! use tabveil_audit::{EngineAuditConfig, GuessCounts, audit_engine, one_run_lower_bound};
//!
//! // The bound alone: 1 000 canaries, 100 guesses, 90 right → ε ≥ 1.63 with 95 % confidence.
//! let eps = one_run_lower_bound(&GuessCounts::new(1_000, 100, 90)?, 1e-6, 0.05)?;
//! assert!((eps - 1.630).abs() < 1e-3);
//!
//! // A white-box audit of the DP-SGD engine on 300 rows: 20 steps at q = 0.1 claiming ε = 2.
//! let rows: Vec<f32> = (0..300 * 4).map(|i| ((i * 37 % 100) as f32) / 50.0 - 1.0).collect();
//! let config = EngineAuditConfig::new(2.0, 1e-6, 0.1, 20)
//!     .with_canaries(100)
//!     .with_hidden(vec![8]);
//! let report = audit_engine(&config, &rows, 4)?;
//! assert!(!report.exceeds_claim()); // the correct engine stays within its claim
//! println!("{}", report.to_text());
//! # Ok::<(), tabveil_audit::AuditError>(())
//! ```
//!
//! ## What the bound means, and what it does not
//! - With confidence 1 − β, the audited run is **not** (ε, δ)-differentially private for any ε
//!   below the bound (per canary: one canary is one row, the unit of privacy).
//! - It is a lower bound from **one attack on one run**, not a proof of privacy. A small bound
//!   does not show that the run is private: a stronger attack, another canary or another run
//!   may find more. The guarantee is the accountant's ε; the audit checks it from below.
//! - A bound **above** the claim means the implementation leaks more than its accountant says
//!   — or, with probability at most β, that the audit was unlucky.
//! - Even a perfect attack cannot push the bound far: with m canaries all guessed right it is
//!   about ln(m/3) (5.8 for m = 1 000), and for Gaussian noise at large ε much less (about a
//!   quarter of ε = 10 for DP-SGD with 1 000 canaries; `scripts/audit/gaussian_ceiling.py`
//!   simulates the ideal attack on a Gaussian mechanism: about 3.6 at ε = 10).
//!
//! ## Two audits
//! - **White-box** ([`audit_engine`] for `tabveil-sgd`'s engine, [`audit_white_box`] for a
//!   model's private loop): Dirac canary gradients sampled, clipped and noised with the real
//!   rows through the seam of `tabveil-sgd` (`DiracCanaries`, `ReleaseObserver`); the auditor
//!   sees every release. The strongest adversary DP-SGD's accounting covers: the tightest
//!   bounds, and the test that catches a broken clipping, noise or sampling path.
//! - **Black-box** ([`audit_black_box`]): canary rows from the public schema, a whole fit
//!   (preprocessing included), scores from the synthetic rows only — the threat model of the
//!   guarantee, and model-agnostic ([`BlackBoxTarget`]).
//!
//! ## What an audit costs
//! An audit fits the configuration once more on the data, with canaries added. On real data
//! that run is a private release of its own: its ε is in the report ([`AuditReport::ledger`]),
//! and publishing the audit beside a model spends both (the facade's report shows the
//! combined ε). Audit on a public table of the same schema to spend nothing.
//!
//! ## Randomness
//! The inclusion bits are privacy randomness (OS-seeded, independent of the run's); canary rows
//! and the auditor's simulations use ordinary seeds. `with_dangerous_noise_seed` fixes the
//! bits for tests.
//!
//! ## Features
//! None.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod black_box;
mod bound;
mod encode;
mod error;
mod guess;
mod report;
mod setters;
mod white_box;

pub use black_box::{
    BlackBoxConfig, BlackBoxRun, BlackBoxScore, BlackBoxTarget, ModelTarget, audit_black_box,
    craft_canaries,
};
pub use bound::{GuessCounts, one_run_log_p_value, one_run_lower_bound, one_run_p_value};
pub use encode::encode_public;
pub use error::{AuditError, Result};
pub use guess::{GuessBound, Guessing, guess_and_bound};
pub use report::{AUDIT_FORMAT, AUDIT_FORMAT_VERSION, AuditKind, AuditReport};
pub use white_box::{
    DeclaredMechanism, EngineAuditConfig, WhiteBoxConfig, WhiteBoxScore, audit_engine,
    audit_white_box, planned_guessing,
};

#[cfg(test)]
mod send_sync {
    //! Compile-time check that the public types can cross threads.
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        assert_send_sync::<AuditReport>();
        assert_send_sync::<GuessBound>();
        assert_send_sync::<EngineAuditConfig>();
        assert_send_sync::<WhiteBoxConfig>();
        assert_send_sync::<BlackBoxConfig>();
        assert_send_sync::<AuditError>();
    }
}
