//! An honest privacy report for a fitted synthesizer: JSON, Markdown and self-contained HTML.
//!
//! This crate is being built under issue 7; it has no public items yet.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
