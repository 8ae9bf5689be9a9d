//! Schema, typed tables, CSV, the CTGAN data transformer and differentially private preprocessing for tabveil.
//!
//! This crate is being built under issue 4; it has no public items yet.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
