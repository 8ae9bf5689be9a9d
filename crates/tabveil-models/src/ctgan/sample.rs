//! Sampling from a fitted CTGAN: post-processing of the fitted state, reproducible from a seed.
//!
//! The generator runs with BatchNorm in **evaluation** mode (running statistics), so a row
//! depends on its own noise and condition only, and the output does not depend on how many
//! rows are asked for at once. SDV never calls `eval()` and normalises each 500-row sampling
//! batch with its own statistics; the issue asks for evaluation mode, which is also what makes
//! `sample(n)` a prefix of `sample(n + k)` for the same seed.
//!
//! Unconditional conditions are drawn from the true (non-private) or DP-noisy (private)
//! category frequencies, not from SDV's log-frequency table, which over-represents rare
//! categories.

use rand_chacha::ChaCha8Rng;
use tabveil_data::{Matrix, Table};

use super::Fitted;
use crate::error::{ModelError, Result};
use crate::nn::kernels::first_max;
use crate::sample_stream::{SampleChunks, condition_filter, rejection_limit};
use crate::seeds::{Stream, stream};
use crate::synthesizer::Condition;

/// The generators of one sampling call.
struct SampleRngs {
    latent: ChaCha8Rng,
    conditions: ChaCha8Rng,
    gumbel: ChaCha8Rng,
}

impl SampleRngs {
    fn new(seed: u64) -> Self {
        SampleRngs {
            latent: stream(seed, Stream::Latent),
            conditions: stream(seed, Stream::Conditions),
            gumbel: stream(seed, Stream::Gumbel),
        }
    }
}

impl Fitted {
    /// `n` synthetic rows.
    pub(crate) fn sample(&self, n: usize, seed: u64) -> Result<Table> {
        match self.sample_chunks(n, seed, n).next() {
            Some(table) => table,
            None => self.decode(Vec::new()),
        }
    }

    /// `n` synthetic rows in chunks of `chunk_rows` (see [`SampleChunks`]).
    pub(crate) fn sample_chunks(&self, n: usize, seed: u64, chunk_rows: usize) -> SampleChunks<'_> {
        let mut rngs = SampleRngs::new(seed);
        SampleChunks::new(
            n,
            chunk_rows,
            self.nets.data_dim,
            Box::new(move |rows| self.chunk(rows, None, &mut rngs)),
            Box::new(move |values| self.decode(values)),
            None,
        )
    }

    /// `n` synthetic rows meeting every condition (see `Synthesizer::sample_conditional`).
    pub(crate) fn sample_conditional(
        &self,
        n: usize,
        conditions: &[Condition],
        seed: u64,
    ) -> Result<Table> {
        match self
            .sample_conditional_chunks(n, conditions, seed, n)?
            .next()
        {
            Some(table) => table,
            None => self.decode(Vec::new()),
        }
    }

    /// [`Fitted::sample_conditional`] in chunks of `chunk_rows` (see [`SampleChunks`]).
    pub(crate) fn sample_conditional_chunks(
        &self,
        n: usize,
        conditions: &[Condition],
        seed: u64,
        chunk_rows: usize,
    ) -> Result<SampleChunks<'_>> {
        let accept = condition_filter(&self.conditions, conditions, first_max)?;
        let first = conditions.first().ok_or(ModelError::NoConditions)?;
        let first_slot = self
            .conditions
            .slot(&first.column, first.value.as_deref())?;
        let mut rngs = SampleRngs::new(seed);
        Ok(SampleChunks::new(
            n,
            chunk_rows,
            self.nets.data_dim,
            Box::new(move |rows| self.chunk(rows, Some(first_slot), &mut rngs)),
            Box::new(move |values| self.decode(values)),
            Some((accept, rejection_limit(n))),
        ))
    }

    /// `rows` activated generator outputs, with conditions drawn from the frequencies or fixed
    /// at `slot`.
    fn chunk(&self, rows: usize, slot: Option<usize>, rngs: &mut SampleRngs) -> Result<Vec<f32>> {
        let width = self.conditions.width();
        let cond: Option<Vec<f32>> = match slot {
            Some(s) if width > 0 => {
                let mut c = vec![0.0f32; rows * width];
                for row in c.chunks_exact_mut(width) {
                    row[s] = 1.0;
                }
                Some(c)
            }
            _ => self
                .generation
                .sample(rows, &mut rngs.conditions)
                .map(|b| b.cond.into_vec()),
        };
        self.nets
            .fakes_eval(rows, cond.as_deref(), &mut rngs.latent, &mut rngs.gumbel)
    }

    fn decode(&self, values: Vec<f32>) -> Result<Table> {
        let matrix = Matrix::new(values, self.nets.data_dim)?;
        if matrix.as_slice().iter().any(|v| !v.is_finite()) {
            return Err(ModelError::NonFinite {
                what: "a generated value",
            });
        }
        Ok(self.transformer.inverse_transform(&matrix)?)
    }
}
