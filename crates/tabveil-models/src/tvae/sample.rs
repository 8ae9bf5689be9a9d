//! Sampling from a fitted TVAE: post-processing of the decoder and σ, reproducible from a seed.
//!
//! Each row is a function of its own draws only (its latent code, then one normal per
//! continuous scalar and, with [`TvaeSampling::Softmax`], one uniform per softmax block, taken
//! from two streams in row order), so `sample(n)` is a prefix of `sample(n + k)` for the same
//! seed, whatever the chunking.

use super::Trained;
use super::config::TvaeSampling;
use super::networks::standard_normal;
use crate::error::{ModelError, Result};
use crate::nn::activation::SpanAct;
use crate::nn::first_max;
use crate::sampling::Generate;
use crate::seeds::{Stream, derived_seed};
use crate::shell::Basis;
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// The generators of one sampling call: latent codes, and the decoding draws (scalar noise and
/// category draws).
pub(crate) struct SampleRngs {
    latent: ChaCha8Rng,
    decode: ChaCha8Rng,
}

/// A fitted TVAE decoding softmax blocks with `mode`.
pub(crate) struct Decoding<'a> {
    pub(crate) trained: &'a Trained,
    pub(crate) mode: TvaeSampling,
}

impl Generate for Decoding<'_> {
    type Rngs = SampleRngs;

    fn rngs(seed: u64) -> SampleRngs {
        // Streams of their own, derived from the sampling seed (distinct from training's).
        SampleRngs {
            latent: ChaCha8Rng::seed_from_u64(derived_seed(seed, Stream::Latent)),
            decode: ChaCha8Rng::seed_from_u64(derived_seed(seed, Stream::Gumbel)),
        }
    }

    fn basis(&self) -> &Basis {
        &self.trained.basis
    }

    fn width(&self) -> usize {
        self.trained.nets.data_dim
    }

    /// `rows` decoded rows in the transformer's matrix form: continuous scalars tanh(x̂) plus
    /// N(0, σⱼ²) noise (as SDV; the transformer clips them to [−1, 1]), softmax blocks one-hot.
    fn chunk(&self, rows: usize, _: Option<usize>, rngs: &mut SampleRngs) -> Result<Vec<f32>> {
        let (nets, mode) = (&self.trained.nets, self.mode);
        let z = standard_normal::<f32, _>(rows * nets.embedding_dim, &mut rngs.latent);
        let mut raw = nets.decode(z, rows)?;
        if raw.iter().any(|v| !v.is_finite()) {
            return Err(ModelError::NonFinite {
                what: "a decoder output",
            });
        }
        let sigma = nets.sigma_host()?;
        let width = nets.data_dim;
        let mut probs = Vec::new();
        for row in raw.chunks_exact_mut(width.max(1)) {
            for span in &nets.spans {
                match *span {
                    SpanAct::Tanh { start } => {
                        let noise: f64 = rngs.decode.sample(StandardNormal);
                        let v = f64::from(row[start].tanh()) + sigma[start] * noise;
                        row[start] = v as f32;
                    }
                    SpanAct::Softmax { start, width: w } => {
                        let block = &mut row[start..start + w];
                        let k = match mode {
                            // SDV: tanh on everything, then the first maximum.
                            TvaeSampling::Argmax => {
                                for v in block.iter_mut() {
                                    *v = v.tanh();
                                }
                                first_max(block)
                            }
                            TvaeSampling::Softmax => {
                                draw_softmax(block, &mut probs, rngs.decode.random::<f64>())
                            }
                        };
                        block.fill(0.0);
                        block[k] = 1.0;
                    }
                }
            }
        }
        Ok(raw)
    }
}

/// The category drawn from softmax(`logits`) by the uniform `u` ∈ [0, 1) (inverse CDF, in
/// f64). `scratch` is reused between calls.
fn draw_softmax(logits: &[f32], scratch: &mut Vec<f64>, u: f64) -> usize {
    let max = logits
        .iter()
        .fold(f64::NEG_INFINITY, |m, v| m.max(f64::from(*v)));
    scratch.clear();
    let mut total = 0.0;
    for v in logits {
        let p = (f64::from(*v) - max).exp();
        total += p;
        scratch.push(p);
    }
    let target = u * total;
    let mut acc = 0.0;
    for (k, p) in scratch.iter().enumerate() {
        acc += p;
        if target < acc {
            return k;
        }
    }
    // Rounding: u·total can reach the last partial sum.
    logits.len().saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_draws_follow_the_probabilities() {
        let logits = [0.0f32, (2.0f32).ln(), f32::NEG_INFINITY, 0.0];
        // p = (1, 2, 0, 1) / 4.
        let mut scratch = Vec::new();
        let mut counts = [0usize; 4];
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let n = 100_000;
        for _ in 0..n {
            counts[draw_softmax(&logits, &mut scratch, rng.random())] += 1;
        }
        assert_eq!(counts[2], 0);
        for (k, p) in [(0, 0.25), (1, 0.5), (3, 0.25)] {
            let f = counts[k] as f64 / n as f64;
            // 6 standard deviations of a binomial proportion.
            let sd = (p * (1.0 - p) / n as f64).sqrt();
            assert!((f - p).abs() < 6.0 * sd, "category {k}: {f} vs {p}");
        }
        assert_eq!(draw_softmax(&logits, &mut scratch, 0.0), 0);
        assert_eq!(draw_softmax(&logits, &mut scratch, 0.999_999_999), 3);
    }
}
