//! Judge synthetic tables without Python: SDMetrics-compatible fidelity, ML utility and privacy-leakage metrics, with plots.
//!
//! This crate is being built under issue 9; it has no public items yet.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
