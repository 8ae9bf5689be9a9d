//! # tabveil-audit
//!
//! Empirical privacy auditing: insert canaries, train once, and turn the membership guesses
//! into a lower bound on ε that holds with a stated confidence (Steinke, Nasr & Jagielski,
//! NeurIPS 2023) — beside the accountant's upper bound.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod black_box;
mod bound;
mod encode;
mod error;
mod guess;
mod report;
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
