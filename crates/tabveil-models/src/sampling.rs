//! What sampling from a fitted model does the same way for every model: generating rows in
//! chunks and conditional sampling by rejection (decoding the matrix back into a table is
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
pub(crate) trait Generate {
    /// The generators of one sampling call.
    type Rngs;

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

impl<G: Generate> Generate for &G {
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

/// `n` synthetic rows from `model`, reproducible from `seed`.
///
/// # Errors
/// Errors of the model's generation and of decoding.
pub(crate) fn sample<G: Generate>(model: &G, n: usize, seed: u64) -> Result<Table> {
    let mut rngs = G::rngs(seed);
    let rows = in_chunks(n, model.width(), |rows| model.chunk(rows, None, &mut rngs))?;
    model.basis().decode(rows, model.width())
}

/// `n` synthetic rows from `model` that meet every condition: the first condition goes to
/// the model's generator ([`Generate::chunk`]), every condition is then enforced by
/// rejection.
///
/// # Errors
/// As [`resolve`] and [`by_rejection`]; errors of the model's generation and of decoding.
pub(crate) fn sample_conditional<G: Generate>(
    model: &G,
    n: usize,
    conditions: &[Condition],
    seed: u64,
) -> Result<Table> {
    let layout = &model.basis().conditions;
    let wanted = resolve(layout, conditions)?;
    let first = &conditions[0];
    let slot = layout.slot(&first.column, first.value.as_deref())?;
    let mut rngs = G::rngs(seed);
    let rows = by_rejection(n, model.width(), &wanted, |rows| {
        model.chunk(rows, Some(slot), &mut rngs)
    })?;
    model.basis().decode(rows, model.width())
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

/// `n` rows of width `dim`, generated `CHUNK` at a time by `chunk(rows)`.
///
/// # Errors
/// Errors of `chunk`.
fn in_chunks(
    n: usize,
    dim: usize,
    mut chunk: impl FnMut(usize) -> Result<Vec<f32>>,
) -> Result<Vec<f32>> {
    let mut out = Vec::with_capacity(n.saturating_mul(dim));
    let mut done = 0;
    while done < n {
        let rows = CHUNK.min(n - done);
        out.extend(chunk(rows)?);
        done += rows;
    }
    Ok(out)
}

/// `n` rows of width `dim` that meet every `wanted` condition, kept from chunks generated by
/// `chunk(rows)` in order, up to a cap of rows generated (200 per row asked, at least 20 000).
///
/// # Errors
/// [`ModelError::ConditionTooRare`] when the cap is reached; errors of `chunk`.
fn by_rejection(
    n: usize,
    dim: usize,
    wanted: &[Wanted],
    mut chunk: impl FnMut(usize) -> Result<Vec<f32>>,
) -> Result<Vec<f32>> {
    let limit = n.saturating_mul(REJECTION_FACTOR).max(REJECTION_MINIMUM);
    let mut accepted = Vec::with_capacity(n.saturating_mul(dim));
    let mut found = 0;
    let mut generated = 0;
    while found < n {
        if generated >= limit {
            return Err(ModelError::ConditionTooRare {
                requested: n,
                accepted: found,
                generated,
            });
        }
        let rows = CHUNK.min(limit - generated);
        let chunk = chunk(rows)?;
        generated += rows;
        for row in chunk.chunks_exact(dim) {
            if wanted.iter().all(|w| w.holds(row)) && found < n {
                accepted.extend_from_slice(row);
                found += 1;
            }
        }
    }
    Ok(accepted)
}
