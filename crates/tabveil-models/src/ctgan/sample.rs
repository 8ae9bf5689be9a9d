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

use super::Trained;
use crate::error::Result;
use crate::sampling::Generate;
use crate::seeds::{Stream, stream};
use crate::shell::Basis;

/// The generators of one sampling call.
pub(crate) struct SampleRngs {
    latent: ChaCha8Rng,
    conditions: ChaCha8Rng,
    gumbel: ChaCha8Rng,
}

impl Generate for Trained {
    type Rngs = SampleRngs;

    fn rngs(seed: u64) -> SampleRngs {
        SampleRngs {
            latent: stream(seed, Stream::Latent),
            conditions: stream(seed, Stream::Conditions),
            gumbel: stream(seed, Stream::Gumbel),
        }
    }

    fn basis(&self) -> &Basis {
        &self.basis
    }

    fn width(&self) -> usize {
        self.nets.data_dim
    }

    /// `rows` activated generator outputs, with conditions drawn from the frequencies or fixed
    /// at `slot` (the first condition of a conditional call).
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
