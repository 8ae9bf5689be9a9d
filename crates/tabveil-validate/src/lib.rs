//! Checks a differentially private training plan against a schema and table size before any privacy is spent.
//!
//! This crate is being built under issue 7; it has no public items yet.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
