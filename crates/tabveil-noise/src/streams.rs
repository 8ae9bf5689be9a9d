//! [`NoiseSource`]: where the privacy randomness of a run comes from, one independent
//! [`PrivacyRng`] per part of the run ([`PrivacyStream`]), and [`PrivacyRng::secret_chacha`],
//! the key derivation for randomness that must stay secret without being noise itself.
//!
//! ```
//! use tabveil_noise::{NoiseSource, PrivacyStream};
//!
//! // The default: every part of the run draws from the operating system.
//! let secure = NoiseSource::secure();
//! assert!(!secure.is_seeded());
//! let mut sampling = secure.rng(PrivacyStream::SAMPLING)?;
//! let _ = sampling.bernoulli(0.5)?;
//!
//! // Tests and research only: one seed fixes every part, each part on a stream of its own.
//! let seeded = NoiseSource::dangerous_seeded(7);
//! let a = seeded.rng(PrivacyStream::SAMPLING)?.gaussian(1.0)?;
//! let b = seeded.rng(PrivacyStream::TRAINING_NOISE)?.gaussian(1.0)?;
//! assert_ne!(a, b);
//! assert_eq!(a, seeded.rng(PrivacyStream::SAMPLING)?.gaussian(1.0)?);
//! # Ok::<(), tabveil_noise::NoiseError>(())
//! ```

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::error::Result;
use crate::rng::PrivacyRng;

/// A part of a private run that draws privacy randomness. Each part gets a generator of its
/// own, so that the draws of one part never depend on how many another made; with a noise
/// seed, each part's seed is derived from it and the part ([`NoiseSource::rng`]).
///
/// The parts of the models in this workspace are the associated constants; a new model may
/// name parts of its own with [`PrivacyStream::new`] (any id not used by another part of the
/// same run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PrivacyStream(u64);

impl PrivacyStream {
    /// The preprocessing releases (noisy counts and histograms).
    pub const PREPROCESSING: PrivacyStream = PrivacyStream(101);
    /// The Poisson sampling of real rows.
    pub const SAMPLING: PrivacyStream = PrivacyStream(102);
    /// The Gaussian noise of the training steps.
    pub const TRAINING_NOISE: PrivacyStream = PrivacyStream(103);
    /// The key of the secret per-example randomness ([`PrivacyRng::secret_chacha`]).
    pub const PER_EXAMPLE: PrivacyStream = PrivacyStream(104);

    /// A part named by `id`.
    pub const fn new(id: u64) -> Self {
        PrivacyStream(id)
    }

    /// The part's id.
    pub const fn id(self) -> u64 {
        self.0
    }
}

/// Where a run's privacy randomness comes from: the operating system (the default, and the
/// only choice that makes the guarantee hold whoever knows the run's settings), or a noise
/// seed fixed by [`NoiseSource::dangerous_seeded`] for tests and research.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoiseSource {
    seed: Option<u64>,
}

impl NoiseSource {
    /// Every part draws from an OS-seeded CSPRNG.
    pub fn secure() -> Self {
        NoiseSource { seed: None }
    }

    /// Every part draws from a generator seeded by `noise_seed` and the part: for tests and
    /// research only. Anyone who knows the seed can regenerate and subtract the noise; the
    /// generators say they are seeded, and the ledger and the report must say so too.
    pub fn dangerous_seeded(noise_seed: u64) -> Self {
        NoiseSource {
            seed: Some(noise_seed),
        }
    }

    /// True for [`NoiseSource::dangerous_seeded`].
    pub fn is_seeded(&self) -> bool {
        self.seed.is_some()
    }

    /// The generator of `stream`: OS-seeded, or seeded from the noise seed and the part.
    ///
    /// # Errors
    /// [`NoiseError::EntropyUnavailable`](crate::NoiseError::EntropyUnavailable) when the OS
    /// entropy source fails.
    pub fn rng(&self, stream: PrivacyStream) -> Result<PrivacyRng> {
        Ok(match self.dangerous_stream_seed(stream) {
            Some(seed) => PrivacyRng::dangerous_seeded(seed),
            None => PrivacyRng::secure()?,
        })
    }

    /// The seed of `stream` derived from the noise seed (`None` for a secure source), for an
    /// API that builds its generator itself from a dangerous seed.
    pub fn dangerous_stream_seed(&self, stream: PrivacyStream) -> Option<u64> {
        self.seed.map(|seed| derive_seed(seed, stream.0))
    }
}

impl PrivacyRng {
    /// A ChaCha20 generator keyed with 256 bits drawn from this generator (one fair Bernoulli
    /// draw per bit, least significant bit of each byte first).
    ///
    /// For randomness that must be secret and independent of everything public, yet is not
    /// a noise draw: the models use it inside each example's clipped term (which real row is
    /// paired with which public fake, interpolation weights, dropout masks, reparameterisation
    /// noise) and for the transformer's per-row mode draws. Keyed from privacy randomness, it
    /// is fixed by a noise seed and by nothing else.
    ///
    /// # Errors
    /// Errors of the privacy randomness (none for a valid generator).
    pub fn secret_chacha(&mut self) -> Result<ChaCha20Rng> {
        let mut key = [0u8; 32];
        for byte in &mut key {
            for bit in 0..8 {
                if self.bernoulli(0.5)? {
                    *byte |= 1 << bit;
                }
            }
        }
        Ok(ChaCha20Rng::from_seed(key))
    }
}

/// A 64-bit seed derived from `seed` for stream `stream`: SplitMix64's finaliser applied to
/// `seed ^ mix(stream)`, a bijection in `seed` for each stream. Used for the noise seed's
/// parts here and for the ordinary seed's streams in the models, so that both derive seeds
/// the same way.
pub fn derive_seed(seed: u64, stream: u64) -> u64 {
    splitmix(seed ^ splitmix(stream))
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
    use super::*;

    #[test]
    fn parts_get_distinct_seeds_and_secure_sources_none() {
        let seeded = NoiseSource::dangerous_seeded(9);
        assert_ne!(
            seeded.dangerous_stream_seed(PrivacyStream::SAMPLING),
            seeded.dangerous_stream_seed(PrivacyStream::TRAINING_NOISE)
        );
        assert!(seeded.rng(PrivacyStream::SAMPLING).unwrap().is_seeded());
        let secure = NoiseSource::secure();
        assert_eq!(secure.dangerous_stream_seed(PrivacyStream::SAMPLING), None);
        assert!(!secure.rng(PrivacyStream::SAMPLING).unwrap().is_seeded());
    }

    #[test]
    fn secret_keys_repeat_only_with_the_seed() {
        use rand::RngCore;
        let key = |seed| {
            PrivacyRng::dangerous_seeded(seed)
                .secret_chacha()
                .unwrap()
                .next_u64()
        };
        assert_eq!(key(3), key(3));
        assert_ne!(key(3), key(4));
    }
}
