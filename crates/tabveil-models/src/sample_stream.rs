//! [`SampleChunks`]: synthetic rows in chunks, so that sampling any number of rows needs memory
//! for one chunk only.
//!
//! A model generates rows in passes of at most [`PASS`] rows in the transformer's matrix form,
//! from random streams that continue from pass to pass; conditional sampling keeps the rows
//! that meet the conditions (rejection) and gives up after a limit that depends on the number
//! of rows requested. The passes — their sizes and their order — are those of a one-shot
//! `sample(n)` whatever the chunk size, and decoding is row by row, so the concatenated chunks
//! are exactly `sample(n)`: the same rows for the same seed, for any chunk size.

use tabveil_data::{ConditionLayout, Table};

use crate::error::{ModelError, Result};
use crate::synthesizer::Condition;

/// Rows generated per network pass.
pub(crate) const PASS: usize = 500;
/// Conditional sampling gives up after generating this many rows per requested row...
const REJECTION_FACTOR: usize = 200;
/// ...but always tries at least this many rows.
const REJECTION_MINIMUM: usize = 20_000;

type Generate<'a> = Box<dyn FnMut(usize) -> Result<Vec<f32>> + Send + 'a>;
type Decode<'a> = Box<dyn Fn(Vec<f32>) -> Result<Table> + Send + 'a>;
pub(crate) type Accept<'a> = Box<dyn Fn(&[f32]) -> bool + Send + 'a>;

/// An iterator over chunks of synthetic rows (each a [`Table`] of at most `chunk_rows` rows,
/// the last one shorter), returned by the models' `sample_chunks` methods. After an error it
/// yields nothing more.
pub struct SampleChunks<'a> {
    generate: Generate<'a>,
    decode: Decode<'a>,
    accept: Option<Accept<'a>>,
    width: usize,
    requested: usize,
    chunk_rows: usize,
    emitted: usize,
    /// Rows kept and not yet emitted, row-major.
    pending: Vec<f32>,
    /// Rows kept so far (emitted or pending).
    kept: usize,
    /// Rows generated so far.
    generated: usize,
    /// The most rows that may be generated.
    limit: usize,
    done: bool,
}

impl std::fmt::Debug for SampleChunks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SampleChunks")
            .field("requested", &self.requested)
            .field("chunk_rows", &self.chunk_rows)
            .field("emitted", &self.emitted)
            .finish_non_exhaustive()
    }
}

impl<'a> SampleChunks<'a> {
    /// `requested` rows of `width` matrix values each, in chunks of `chunk_rows` (at least 1),
    /// from `generate` (rows in matrix form, `rows` at a time), decoded by `decode`. With
    /// `accept`, only the rows it accepts are kept, and at most `limit` rows are generated.
    pub(crate) fn new(
        requested: usize,
        chunk_rows: usize,
        width: usize,
        generate: Generate<'a>,
        decode: Decode<'a>,
        accept: Option<(Accept<'a>, usize)>,
    ) -> Self {
        let (accept, limit) = match accept {
            Some((f, limit)) => (Some(f), limit),
            None => (None, requested),
        };
        SampleChunks {
            generate,
            decode,
            accept,
            width,
            requested,
            chunk_rows: chunk_rows.max(1),
            emitted: 0,
            pending: Vec::new(),
            kept: 0,
            generated: 0,
            limit,
            done: requested == 0,
        }
    }

    /// The number of rows still to come.
    pub fn remaining(&self) -> usize {
        self.requested - self.emitted
    }

    fn pending_rows(&self) -> usize {
        self.pending.len() / self.width.max(1)
    }

    fn next_chunk(&mut self) -> Result<Table> {
        let want = self.chunk_rows.min(self.requested - self.emitted);
        while self.pending_rows() < want {
            if self.generated >= self.limit {
                return Err(ModelError::ConditionTooRare {
                    requested: self.requested,
                    accepted: self.kept,
                    generated: self.generated,
                });
            }
            let rows = PASS.min(self.limit - self.generated);
            let values = (self.generate)(rows)?;
            self.generated += rows;
            match &self.accept {
                None => {
                    self.kept += rows;
                    self.pending.extend_from_slice(&values);
                }
                Some(accept) => {
                    for row in values.chunks_exact(self.width.max(1)) {
                        if self.kept < self.requested && accept(row) {
                            self.pending.extend_from_slice(row);
                            self.kept += 1;
                        }
                    }
                }
            }
        }
        let take = want * self.width;
        let rest = self.pending.split_off(take);
        let chunk = std::mem::replace(&mut self.pending, rest);
        self.emitted += want;
        (self.decode)(chunk)
    }
}

impl Iterator for SampleChunks<'_> {
    type Item = Result<Table>;

    fn next(&mut self) -> Option<Result<Table>> {
        if self.done {
            return None;
        }
        let chunk = self.next_chunk();
        if chunk.is_err() || self.emitted == self.requested {
            self.done = true;
        }
        Some(chunk)
    }
}

/// The most rows conditional sampling generates for `n` accepted ones.
pub(crate) fn rejection_limit(n: usize) -> usize {
    n.saturating_mul(REJECTION_FACTOR).max(REJECTION_MINIMUM)
}

/// `conditions` resolved against a model's condition `layout`: a filter accepting the generated
/// rows (in matrix form) that meet every one, a row's category in a block being its
/// `first_max`.
///
/// # Errors
/// [`ModelError::NoConditions`], [`ModelError::DuplicateCondition`], and the data crate's
/// errors for an unknown column, a column that cannot be conditioned on or an unknown value.
pub(crate) fn condition_filter(
    layout: &ConditionLayout,
    conditions: &[Condition],
    first_max: fn(&[f32]) -> usize,
) -> Result<Accept<'static>> {
    if conditions.is_empty() {
        return Err(ModelError::NoConditions);
    }
    let mut wanted = Vec::with_capacity(conditions.len());
    for (i, c) in conditions.iter().enumerate() {
        if conditions[..i].iter().any(|o| o.column == c.column) {
            return Err(ModelError::DuplicateCondition {
                column: c.column.clone(),
            });
        }
        let column = &layout.columns()[layout.position(&c.column)?];
        let slot = layout.slot(&c.column, c.value.as_deref())?;
        // The column's block in a generated row, and the wanted slot in it.
        wanted.push((column.span_start, column.width(), slot - column.offset));
    }
    Ok(Box::new(move |row: &[f32]| {
        wanted
            .iter()
            .all(|&(start, width, index)| first_max(&row[start..start + width]) == index)
    }))
}
