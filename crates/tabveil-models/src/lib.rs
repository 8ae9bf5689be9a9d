//! CTGAN and TVAE on Candle, faithful to SDV, with end-to-end differentially private training.
//!
//! This crate is being built under issue 6; it has no public items yet.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
