//! DP-SGD on Candle: Poisson sampling, per-example clipping without per-example gradients, secure Gaussian noise and a privacy budget guard.
//!
//! This crate is being built under issue 5; it has no public items yet.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
