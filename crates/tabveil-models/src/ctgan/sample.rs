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
use tabveil_data::Table;

use super::Trained;
use crate::error::Result;
use crate::sampling::{by_rejection, in_chunks, resolve};
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

impl Trained {
    /// `n` synthetic rows.
    pub(crate) fn sample(&self, n: usize, seed: u64) -> Result<Table> {
        let mut rngs = SampleRngs::new(seed);
        let rows = in_chunks(n, self.nets.data_dim, |rows| {
            self.chunk(rows, None, &mut rngs)
        })?;
        self.basis.decode(rows, self.nets.data_dim)
    }

    /// `n` synthetic rows meeting every condition (see `Synthesizer::sample_conditional`):
    /// the first condition enters the generator's condition vector, every condition is then
    /// enforced by rejection.
    pub(crate) fn sample_conditional(
        &self,
        n: usize,
        conditions: &[Condition],
        seed: u64,
    ) -> Result<Table> {
        let wanted = resolve(&self.basis.conditions, conditions)?;
        let first = &conditions[0];
        let first_slot = self
            .basis
            .conditions
            .slot(&first.column, first.value.as_deref())?;
        let mut rngs = SampleRngs::new(seed);
        let rows = by_rejection(n, self.nets.data_dim, &wanted, |rows| {
            self.chunk(rows, Some(first_slot), &mut rngs)
        })?;
        self.basis.decode(rows, self.nets.data_dim)
    }

    /// `rows` activated generator outputs, with conditions drawn from the frequencies or fixed
    /// at `slot`.
    fn chunk(&self, rows: usize, slot: Option<usize>, rngs: &mut SampleRngs) -> Result<Vec<f32>> {
        let width = self.basis.conditions.width();
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
}
