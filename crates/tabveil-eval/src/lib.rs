//! Judge synthetic tables without Python: SDMetrics-compatible fidelity, ML utility and
//! privacy-leakage metrics, with plots.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod error;
pub mod fidelity;
mod frame;
mod input;

pub use error::{EvalError, Result, TableRole};
pub use frame::ColumnKind;
