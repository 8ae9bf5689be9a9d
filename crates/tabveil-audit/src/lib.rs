//! # tabveil-audit
//!
//! Empirical privacy auditing: insert canaries, train once, and turn the membership guesses
//! into a lower bound on ε that holds with a stated confidence (Steinke, Nasr & Jagielski,
//! NeurIPS 2023) — beside the accountant's upper bound.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod bound;
mod error;

pub use bound::{GuessCounts, one_run_log_p_value, one_run_lower_bound, one_run_p_value};
pub use error::{AuditError, Result};
