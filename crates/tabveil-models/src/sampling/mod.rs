//! What sampling from a fitted model does the same way for every model: generating rows in
//! chunks ([`SampleChunks`]: memory for one chunk, whatever the number of rows) and
//! conditional sampling by rejection (decoding the matrix back into a table is
//! `Basis::decode`).
//! Each model supplies only its way of generating one chunk of rows in the transformer's
//! matrix form (post-processing of its fitted state, reproducible from a seed).

use tabveil_data::{Schema, Table};

use crate::error::{ModelError, Result};
use crate::seeds::{Stream, derived_seed};
use crate::shell::Basis;
use crate::synthesizer::Condition;

mod reject;

pub(crate) use reject::Wanted;
use reject::{REJECTION_FACTOR, Rejections, RowFilter, rejection_limit, resolve};

/// Rows generated per pass of a model's generator or decoder.
pub(crate) const CHUNK: usize = 500;

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
/// Errors of the model's generation and of decoding; [`ModelError::ConstraintTooRare`].
pub(crate) fn sample<G: Generate>(model: G, n: usize, seed: u64) -> Result<Table> {
    let mut chunks = sample_chunks(model, n, seed, n)?;
    chunks.next().unwrap_or_else(|| chunks.empty())
}

/// `n` synthetic rows from `model` that meet every condition: the first condition goes to
/// the model's generator ([`Generate::chunk`]), every condition is then enforced by
/// rejection. The one chunk of [`sample_conditional_chunks`] with chunks of `n` rows.
///
/// # Errors
/// As [`resolve`]; [`ModelError::ConditionTooRare`], [`ModelError::ConstraintTooRare`];
/// errors of the model's generation and of decoding.
pub(crate) fn sample_conditional<G: Generate>(
    model: G,
    n: usize,
    conditions: &[Condition],
    seed: u64,
) -> Result<Table> {
    let mut chunks = sample_conditional_chunks(model, n, conditions, seed, n)?;
    chunks.next().unwrap_or_else(|| chunks.empty())
}

/// `n` synthetic rows from `model` in chunks of at most `chunk_rows` rows (see
/// [`SampleChunks`]).
///
/// # Errors
/// [`ModelError::Data`] for a condition of a constraint's re-check that the schema cannot
/// resolve (it can: the schema was validated).
pub(crate) fn sample_chunks<'a, G: Generate + 'a>(
    model: G,
    n: usize,
    seed: u64,
    chunk_rows: usize,
) -> Result<SampleChunks<'a>> {
    let filter = RowFilter::new(&model.basis().schema, &[])?;
    let rngs = G::rngs(seed);
    let source = Box::new(Source {
        model,
        rngs,
        condition: None,
    });
    Ok(SampleChunks::generated(n, chunk_rows, source, None, filter))
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
    let filter = RowFilter::new(&model.basis().schema, conditions)?;
    let rngs = G::rngs(seed);
    let source = Box::new(Source {
        model,
        rngs,
        condition: Some(slot),
    });
    Ok(SampleChunks::generated(
        n,
        chunk_rows,
        source,
        Some(wanted),
        filter,
    ))
}

/// `n` rows of a model that draws whole tables at once (the marginal model: exact counts
/// from its distribution), meeting the constraints of `schema`: `draw(rows, seed)` draws
/// `rows` rows (already meeting `conditions`). Without constraints this is `draw(n, seed)`.
/// With constraints, fixed combinations are completed by construction where a column
/// determines them and the other rows are rejected; more tables are drawn (from seeds derived
/// from `seed`) until `n` rows are kept, or the limit on the rows drawn is reached.
///
/// Rejection is post-processing of the released model: it costs no privacy, whatever the
/// number of rows drawn or rejected.
///
/// # Errors
/// [`ModelError::ConstraintTooRare`] at the limit; the errors of `draw`.
pub(crate) fn sample_whole(
    schema: &Schema,
    n: usize,
    seed: u64,
    conditions: &[Condition],
    mut draw: impl FnMut(usize, u64) -> Result<Table>,
) -> Result<Table> {
    let Some(filter) = RowFilter::new(schema, conditions)? else {
        return draw(n, seed);
    };
    let limit = rejection_limit(n);
    let mut rejected = Rejections::new(Some(&filter));
    let mut kept: Option<Table> = None;
    let (mut generated, mut accepted) = (0usize, 0usize);
    let redraw = derived_seed(seed, Stream::Redraw);
    let mut round = 0u64;
    while accepted < n || kept.is_none() {
        if generated >= limit {
            return Err(rejected.error(n, accepted, generated));
        }
        let need = n - accepted;
        let rows = if round == 0 {
            n
        } else {
            // Enough rows for the rest at the acceptance seen so far (with a margin), at
            // least one pass, within the limit.
            let per_kept = (generated as f64 / accepted.max(1) as f64).min(REJECTION_FACTOR as f64);
            ((need as f64 * per_kept * 1.2).ceil() as usize).max(CHUNK)
        }
        .min(limit - generated);
        let seed_r = if round == 0 {
            seed
        } else {
            tabveil_noise::derive_seed(redraw, round)
        };
        let table = filter.keep(draw(rows, seed_r)?, need, &mut rejected)?;
        generated += rows;
        accepted += table.n_rows();
        match &mut kept {
            None => kept = Some(table),
            Some(all) => all.append(&table)?,
        }
        round += 1;
    }
    kept.ok_or(ModelError::Internal("no table was drawn"))
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
/// any number of rows needs memory for one chunk only (for a model that generates rows pass
/// by pass). After an error it yields nothing more.
///
/// A model generates rows in passes of at most 500 rows in the transformer's matrix form,
/// from random streams that continue from pass to pass; conditional sampling keeps the rows
/// that meet the conditions (rejection) and gives up after a limit that depends on the number
/// of rows requested. The passes — their sizes and their order — are those of a one-shot
/// `sample(n)` whatever the chunk size, and decoding is row by row, so the concatenated chunks
/// are exactly `sample(n)`: the same rows for the same seed, for any chunk size.
///
/// Every chunk meets the schema's public constraints ([`Schema::constraints`]): fixed
/// combinations with a determining column are completed by construction, the rows that still
/// break a constraint are rejected, under the same limit as conditions. The row count is
/// exact: `n` rows requested are `n` rows meeting every constraint, or an error naming the
/// constraint ([`ModelError::ConstraintTooRare`]).
pub struct SampleChunks<'a> {
    source: ChunkSource<'a>,
    requested: usize,
    chunk_rows: usize,
    emitted: usize,
    done: bool,
}

/// Where the rows of a [`SampleChunks`] come from.
enum ChunkSource<'a> {
    /// A model's generator, pass by pass.
    Generated(Box<Generated<'a>>),
    /// A table drawn whole (already meeting the constraints), cut into chunks: `next` is the
    /// next row to emit.
    Finished { table: Table, next: usize },
}

/// The state of sampling from a model's generator.
struct Generated<'a> {
    rows: Box<dyn Rows + 'a>,
    width: usize,
    /// With conditions: the rows kept are those meeting every one.
    wanted: Option<Vec<Wanted>>,
    /// With constraints: completes and checks the decoded rows.
    filter: Option<RowFilter>,
    /// Decoded rows kept and not yet emitted.
    pending: Option<Table>,
    /// Rows kept so far (emitted or pending).
    kept: usize,
    /// Rows generated so far.
    generated: usize,
    /// The most rows that may be generated.
    limit: usize,
    /// Rows rejected by conditions (in the matrix) and by each constraint.
    rejected: Rejections,
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
    /// `requested` rows from `rows` in chunks of `chunk_rows` (at least 1); with `wanted`,
    /// only the rows meeting every condition are kept, with `filter` only those meeting every
    /// constraint, and then at most `requested × 200` (at least 20 000) rows are generated.
    fn generated(
        requested: usize,
        chunk_rows: usize,
        rows: Box<dyn Rows + 'a>,
        wanted: Option<Vec<Wanted>>,
        filter: Option<RowFilter>,
    ) -> Self {
        let limit = if wanted.is_some() || filter.is_some() {
            rejection_limit(requested)
        } else {
            requested
        };
        let rejected = Rejections::new(filter.as_ref());
        let generated = Generated {
            width: rows.width(),
            rows,
            wanted,
            filter,
            pending: None,
            kept: 0,
            generated: 0,
            limit,
            rejected,
        };
        SampleChunks {
            source: ChunkSource::Generated(Box::new(generated)),
            requested,
            chunk_rows: chunk_rows.max(1),
            emitted: 0,
            done: requested == 0,
        }
    }

    /// The rows of `table`, already generated, in chunks of at most `chunk_rows` (for a model
    /// whose sampler draws all rows together, such as the marginal model's exact counts:
    /// memory then holds every row).
    pub(crate) fn from_table(table: Table, chunk_rows: usize) -> SampleChunks<'static> {
        SampleChunks {
            requested: table.n_rows(),
            done: table.n_rows() == 0,
            source: ChunkSource::Finished { table, next: 0 },
            chunk_rows: chunk_rows.max(1),
            emitted: 0,
        }
    }

    /// The number of rows still to come.
    pub fn remaining(&self) -> usize {
        self.requested - self.emitted
    }

    /// The table of no rows (for `sample(0)`).
    fn empty(&self) -> Result<Table> {
        match &self.source {
            ChunkSource::Generated(g) => g.rows.decode(Vec::new(), g.width),
            ChunkSource::Finished { table, .. } => Ok(table.select_rows(&[])?),
        }
    }

    fn next_chunk(&mut self) -> Result<Table> {
        let want = self.chunk_rows.min(self.requested - self.emitted);
        let chunk = match &mut self.source {
            ChunkSource::Finished { table, next } => {
                let rows: Vec<usize> = (*next..*next + want).collect();
                *next += want;
                table.select_rows(&rows)?
            }
            ChunkSource::Generated(g) => g.next_chunk(want, self.requested)?,
        };
        self.emitted += want;
        Ok(chunk)
    }
}

impl Generated<'_> {
    fn pending_rows(&self) -> usize {
        self.pending.as_ref().map_or(0, Table::n_rows)
    }

    /// The next `want` rows of a call for `requested` rows.
    fn next_chunk(&mut self, want: usize, requested: usize) -> Result<Table> {
        while self.pending_rows() < want {
            if self.generated >= self.limit {
                return Err(self.rejected.error(requested, self.kept, self.generated));
            }
            let rows = CHUNK.min(self.limit - self.generated);
            let values = self.rows.generate(rows)?;
            self.generated += rows;
            let width = self.width.max(1);
            let values = match &self.wanted {
                None => values,
                Some(wanted) => {
                    let mut kept = Vec::with_capacity(values.len());
                    for row in values.chunks_exact(width) {
                        if wanted.iter().all(|w| w.holds(row)) {
                            kept.extend_from_slice(row);
                        } else {
                            self.rejected.conditions += 1;
                        }
                    }
                    kept
                }
            };
            // At most the rows still missing (rows past them would never be emitted).
            let room = requested - self.kept;
            let mut values = values;
            values.truncate(room.min(values.len() / width) * width);
            let mut table = self.rows.decode(values, self.width)?;
            if let Some(filter) = &self.filter {
                table = filter.keep(table, room, &mut self.rejected)?;
            }
            self.kept += table.n_rows();
            match &mut self.pending {
                None => self.pending = Some(table),
                Some(pending) => pending.append(&table)?,
            }
        }
        let pending = self
            .pending
            .take()
            .ok_or(ModelError::Internal("no rows pending"))?;
        if pending.n_rows() == want {
            return Ok(pending);
        }
        let head: Vec<usize> = (0..want).collect();
        let tail: Vec<usize> = (want..pending.n_rows()).collect();
        self.pending = Some(pending.select_rows(&tail)?);
        Ok(pending.select_rows(&head)?)
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
