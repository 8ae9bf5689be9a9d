//! The ordinary (non-privacy) randomness of a run: one ChaCha stream per purpose, all derived
//! from the user's `seed`, so that a run is bit-reproducible and changing one consumer (say the
//! number of dropout draws) does not shift the others.
//!
//! Privacy randomness never comes from here: every draw a guarantee relies on (row sampling,
//! noise, the secret per-example randomness) comes from `tabveil-noise`
//! ([`NoiseSource`](tabveil_noise::NoiseSource)).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a stream is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    /// Parameter initialisation.
    Init = 1,
    /// Condition vectors (column and category draws).
    Conditions = 2,
    /// The generator's latent noise z.
    Latent = 3,
    /// Dropout masks.
    Dropout = 4,
    /// Gumbel noise of the soft gumbel-softmax.
    Gumbel = 5,
    /// Interpolation weights of the gradient penalty.
    Penalty = 6,
    /// SDV's real-row draws (non-private training only).
    Rows = 7,
    /// Seed of the transformer's per-row mode sampling.
    Transform = 8,
    /// Seeds of the further draws of a model that samples whole tables, when rows are
    /// rejected under the schema's constraints.
    Redraw = 9,
}

/// A generator for `stream` of `seed`.
pub(crate) fn stream(seed: u64, stream: Stream) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream as u64);
    rng
}

/// A 64-bit value derived from `seed` for `stream` (for APIs that take a seed).
pub(crate) fn derived_seed(seed: u64, stream: Stream) -> u64 {
    tabveil_noise::derive_seed(seed, stream as u64)
}

#[cfg(test)]
mod tests {
    use rand::RngCore;

    use super::*;

    #[test]
    fn streams_differ_and_repeat() {
        let a = stream(5, Stream::Latent).next_u64();
        let b = stream(5, Stream::Dropout).next_u64();
        assert_ne!(a, b);
        assert_eq!(a, stream(5, Stream::Latent).next_u64());
    }
}
