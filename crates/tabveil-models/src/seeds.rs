//! The ordinary (non-privacy) randomness of a run: one ChaCha stream per purpose, all derived
//! from the user's `seed`, so that a run is bit-reproducible and changing one consumer (say the
//! number of dropout draws) does not shift the others. Privacy randomness never comes from here
//! (see [`privacy_rng`]).

use rand::SeedableRng;
use rand_chacha::{ChaCha8Rng, ChaCha20Rng};
use tabveil_noise::PrivacyRng;

use crate::error::Result;

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
}

/// A generator for `stream` of `seed`.
pub(crate) fn stream(seed: u64, stream: Stream) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream as u64);
    rng
}

/// A 64-bit value derived from `seed` for `stream` (for APIs that take a seed).
pub(crate) fn derived_seed(seed: u64, stream: Stream) -> u64 {
    splitmix(seed ^ splitmix(stream as u64))
}

/// Which part of a private run draws privacy randomness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrivacyStream {
    /// The preprocessing releases.
    Preprocessing = 101,
    /// The Poisson sampling of real rows.
    Sampling = 102,
    /// The Gaussian noise of the discriminator's steps.
    TrainingNoise = 103,
    /// Per-example randomness of the private terms (see [`secret_chacha`]).
    PerExample = 104,
}

/// The privacy randomness of one part of a private run: OS-seeded unless the user set the
/// dangerous noise seed, in which case each part gets its own seed derived from it (so the
/// streams of the parts never coincide).
///
/// # Errors
/// [`NoiseError`](tabveil_noise::NoiseError) when the OS entropy source fails.
pub(crate) fn privacy_rng(noise_seed: Option<u64>, part: PrivacyStream) -> Result<PrivacyRng> {
    Ok(match noise_seed {
        Some(seed) => PrivacyRng::dangerous_seeded(privacy_seed(seed, part)),
        None => PrivacyRng::secure()?,
    })
}

/// The seed of `part` derived from the dangerous noise seed.
pub(crate) fn privacy_seed(noise_seed: u64, part: PrivacyStream) -> u64 {
    splitmix(noise_seed ^ splitmix(part as u64))
}

/// A ChaCha20 generator keyed with 256 bits drawn from privacy randomness.
///
/// Private mode uses it for the randomness *inside* each example's clipped term (the row's
/// condition column, which public fake of the step is paired with the row, the interpolation
/// weight of its penalty point, its dropout masks) and for the transformer's per-row mode
/// draws. The paired fakes themselves are generated from public randomness: they depend on no
/// row, only the pairing is secret. Those draws are
/// assigned to rows by their position in a batch or table, which shifts when a row is added or
/// removed; the privacy argument needs them independent of everything public (the `seed` is
/// saved with the model), so they are secret and identically distributed per row. Keyed from
/// the privacy randomness, they are fixed by the dangerous noise seed and by nothing else.
///
/// # Errors
/// Errors of the privacy randomness.
pub(crate) fn secret_chacha(rng: &mut PrivacyRng) -> Result<ChaCha20Rng> {
    let mut key = [0u8; 32];
    for byte in &mut key {
        for bit in 0..8 {
            if rng.bernoulli(0.5)? {
                *byte |= 1 << bit;
            }
        }
    }
    Ok(ChaCha20Rng::from_seed(key))
}

/// SplitMix64's finaliser: a bijective 64-bit mix.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
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
        assert_ne!(
            privacy_seed(9, PrivacyStream::Sampling),
            privacy_seed(9, PrivacyStream::TrainingNoise)
        );
    }
}
