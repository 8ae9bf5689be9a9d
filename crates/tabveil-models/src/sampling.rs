//! What sampling from a fitted model does the same way for every model: generating rows in
//! chunks ([`SampleChunks`]: memory for one chunk, whatever the number of rows) and
//! conditional sampling by rejection (decoding the matrix back into a table is
//! `Basis::decode`).
//! Each model supplies only its way of generating one chunk of rows in the transformer's
//! matrix form (post-processing of its fitted state, reproducible from a seed).

use tabveil_data::{ConditionLayout, Table};

use crate::error::{ModelError, Result};
use crate::nn::first_max;
use crate::shell::Basis;
use crate::synthesizer::Condition;

/// How a fitted model generates rows: one chunk at a time, in the transformer's matrix form,
/// from the generators of one sampling call.
pub(crate) trait Generate: Send {
    /// The generators of one sampling call.
    type Rngs: Send;

    /// The generators of a call with `seed`.
    fn rngs(seed: u64) -> Self::Rngs;

    /// The fitted state every model keeps (the transformer decodes the rows).
    fn basis(&self) -> &Basis;

    /// The width of a generated row.
    fn width(&self) -> usize;

    /// `rows` generated rows; `condition` is the condition-vector slot of the first condition
    /// of a conditional call, for a model that conditions its generator (others ignore it).
    fn chunk(
        &self,
        rows: usize,
        condition: Option<usize>,
        rngs: &mut Self::Rngs,
    ) -> Result<Vec<f32>>;
}

impl<G: Generate + Sync> Generate for &G {
    type Rngs = G::Rngs;

    fn rngs(seed: u64) -> G::Rngs {
        G::rngs(seed)
    }

    fn basis(&self) -> &Basis {
        (**self).basis()
    }

    fn width(&self) -> usize {
        (**self).width()
    }

    fn chunk(&self, rows: usize, condition: Option<usize>, rngs: &mut G::Rngs) -> Result<Vec<f32>> {
        (**self).chunk(rows, condition, rngs)
    }
}

/// `n` synthetic rows from `model`, reproducible from `seed`: the one chunk of
/// [`sample_chunks`] with chunks of `n` rows.
///
/// # Errors
/// Errors of the model's generation and of decoding.
pub(crate) fn sample<G: Generate>(model: G, n: usize, seed: u64) -> Result<Table> {
    let width = model.width();
    let mut chunks = sample_chunks(model, n, seed, n);
    match chunks.next() {
        Some(table) => table,
        None => chunks.source.decode(Vec::new(), width),
    }
}

/// `n` synthetic rows from `model` that meet every condition: the first condition goes to
/// the model's generator ([`Generate::chunk`]), every condition is then enforced by
/// rejection. The one chunk of [`sample_conditional_chunks`] with chunks of `n` rows.
///
/// # Errors
/// As [`resolve`]; [`ModelError::ConditionTooRare`]; errors of the model's generation and of
/// decoding.
pub(crate) fn sample_conditional<G: Generate>(
    model: G,
    n: usize,
    conditions: &[Condition],
    seed: u64,
) -> Result<Table> {
    let width = model.width();
    let mut chunks = sample_conditional_chunks(model, n, conditions, seed, n)?;
    match chunks.next() {
        Some(table) => table,
        None => chunks.source.decode(Vec::new(), width),
    }
}

/// `n` synthetic rows from `model` in chunks of at most `chunk_rows` rows (see
/// [`SampleChunks`]).
pub(crate) fn sample_chunks<'a, G: Generate + 'a>(
    model: G,
    n: usize,
    seed: u64,
    chunk_rows: usize,
) -> SampleChunks<'a> {
    let rngs = G::rngs(seed);
    SampleChunks::new(
        n,
        chunk_rows,
        Box::new(Source {
            model,
            rngs,
            condition: None,
        }),
        None,
    )
}

/// [`sample_conditional`] in chunks of at most `chunk_rows` rows (see [`SampleChunks`]).
///
/// # Errors
/// As [`resolve`] (before any row is generated).
pub(crate) fn sample_conditional_chunks<'a, G: Generate + 'a>(
    model: G,
    n: usize,
    conditions: &[Condition],
    seed: u64,
    chunk_rows: usize,
) -> Result<SampleChunks<'a>> {
    let layout = &model.basis().conditions;
    let wanted = resolve(layout, conditions)?;
    let first = &conditions[0];
    let slot = layout.slot(&first.column, first.value.as_deref())?;
    let rngs = G::rngs(seed);
    Ok(SampleChunks::new(
        n,
        chunk_rows,
        Box::new(Source {
            model,
            rngs,
            condition: Some(slot),
        }),
        Some(wanted),
    ))
}

/// A model's generator with the generators of one sampling call, behind the object
/// [`SampleChunks`] holds (so that the public type does not name a model).
trait Rows: Send {
    /// The width of a generated row.
    fn width(&self) -> usize;
    /// `rows` more generated rows, continuing the call's random streams.
    fn generate(&mut self, rows: usize) -> Result<Vec<f32>>;
    /// The table of generated `values`.
    fn decode(&self, values: Vec<f32>, width: usize) -> Result<Table>;
}

struct Source<G: Generate> {
    model: G,
    rngs: G::Rngs,
    condition: Option<usize>,
}

impl<G: Generate> Rows for Source<G> {
    fn width(&self) -> usize {
        self.model.width()
    }

    fn generate(&mut self, rows: usize) -> Result<Vec<f32>> {
        self.model.chunk(rows, self.condition, &mut self.rngs)
    }

    fn decode(&self, values: Vec<f32>, width: usize) -> Result<Table> {
        self.model.basis().decode(values, width)
    }
}

/// An iterator over chunks of synthetic rows (each a [`Table`] of at most `chunk_rows` rows,
/// the last one shorter), returned by the models' `sample_chunks` methods, so that sampling
/// any number of rows needs memory for one chunk only. After an error it yields nothing more.
///
/// A model generates rows in passes of at most 500 rows in the transformer's matrix form,
/// from random streams that continue from pass to pass; conditional sampling keeps the rows
/// that meet the conditions (rejection) and gives up after a limit that depends on the number
/// of rows requested. The passes — their sizes and their order — are those of a one-shot
/// `sample(n)` whatever the chunk size, and decoding is row by row, so the concatenated chunks
/// are exactly `sample(n)`: the same rows for the same seed, for any chunk size.
pub struct SampleChunks<'a> {
    source: Box<dyn Rows + 'a>,
    /// With conditions: the rows kept are those meeting every one.
    wanted: Option<Vec<Wanted>>,
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
    /// For a model that generates all its rows at once ([`SampleChunks::from_table`]): those
    /// rows and the next row to emit.
    whole: Option<(Table, usize)>,
}

/// The [`Rows`] of a [`SampleChunks`] made from a whole table, which never generates.
struct NoRows;

impl Rows for NoRows {
    fn width(&self) -> usize {
        1
    }

    fn generate(&mut self, _rows: usize) -> Result<Vec<f32>> {
        Err(ModelError::Internal(
            "a whole-table SampleChunks generated rows",
        ))
    }

    fn decode(&self, _values: Vec<f32>, _width: usize) -> Result<Table> {
        Err(ModelError::Internal(
            "a whole-table SampleChunks decoded rows",
        ))
    }
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
    /// `requested` rows from `source` in chunks of `chunk_rows` (at least 1); with `wanted`,
    /// only the rows meeting every condition are kept, and at most
    /// `requested × 200` (at least 20 000) rows are generated.
    fn new(
        requested: usize,
        chunk_rows: usize,
        source: Box<dyn Rows + 'a>,
        wanted: Option<Vec<Wanted>>,
    ) -> Self {
        let limit = match wanted {
            Some(_) => requested
                .saturating_mul(REJECTION_FACTOR)
                .max(REJECTION_MINIMUM),
            None => requested,
        };
        SampleChunks {
            width: source.width(),
            source,
            wanted,
            requested,
            chunk_rows: chunk_rows.max(1),
            emitted: 0,
            pending: Vec::new(),
            kept: 0,
            generated: 0,
            limit,
            done: requested == 0,
            whole: None,
        }
    }

    /// The rows of `table`, already generated, in chunks of at most `chunk_rows` (for a model
    /// whose sampler draws all rows together, such as the marginal model's exact counts:
    /// memory then holds every row).
    pub(crate) fn from_table(table: Table, chunk_rows: usize) -> SampleChunks<'static> {
        let requested = table.n_rows();
        let mut chunks = SampleChunks::new(requested, chunk_rows, Box::new(NoRows), None);
        chunks.whole = Some((table, 0));
        chunks
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
        if let Some((table, next)) = &mut self.whole {
            let rows: Vec<usize> = (*next..*next + want).collect();
            *next += want;
            self.emitted += want;
            return Ok(table.select_rows(&rows)?);
        }
        while self.pending_rows() < want {
            if self.generated >= self.limit {
                return Err(ModelError::ConditionTooRare {
                    requested: self.requested,
                    accepted: self.kept,
                    generated: self.generated,
                });
            }
            let rows = CHUNK.min(self.limit - self.generated);
            let values = self.source.generate(rows)?;
            self.generated += rows;
            match &self.wanted {
                None => {
                    self.kept += rows;
                    self.pending.extend_from_slice(&values);
                }
                Some(wanted) => {
                    for row in values.chunks_exact(self.width.max(1)) {
                        if self.kept < self.requested && wanted.iter().all(|w| w.holds(row)) {
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
        self.source.decode(chunk, self.width)
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

/// Rows generated per pass of a model's generator or decoder.
pub(crate) const CHUNK: usize = 500;
/// Conditional sampling gives up after generating this many rows per requested row...
const REJECTION_FACTOR: usize = 200;
/// ...but always tries at least this many rows.
const REJECTION_MINIMUM: usize = 20_000;

/// One resolved condition: the column's block in a generated row and the wanted slot.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wanted {
    span_start: usize,
    width: usize,
    index: usize,
}

impl Wanted {
    /// True when `row` (one generated row of the transformer's matrix) meets the condition.
    fn holds(&self, row: &[f32]) -> bool {
        first_max(&row[self.span_start..self.span_start + self.width]) == self.index
    }
}

/// The conditions resolved against `layout`.
///
/// # Errors
/// [`ModelError::NoConditions`], [`ModelError::DuplicateCondition`], and the data crate's
/// errors for an unknown column, a column that cannot be conditioned on or an unknown value.
fn resolve(layout: &ConditionLayout, conditions: &[Condition]) -> Result<Vec<Wanted>> {
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
        wanted.push(Wanted {
            span_start: column.span_start,
            width: column.width(),
            index: slot - column.offset,
        });
    }
    Ok(wanted)
}
