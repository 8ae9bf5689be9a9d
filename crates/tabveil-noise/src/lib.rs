//! Privacy randomness for tabveil.
//!
//! Every random draw that a differential-privacy guarantee relies on — the Poisson sampling of
//! rows and every Gaussian noise draw, in preprocessing and in training — goes through one type,
//! [`PrivacyRng`]. By default it is a ChaCha20 CSPRNG seeded from the operating system, so the
//! noise is unpredictable; [`PrivacyRng::dangerous_seeded`] fixes it for tests and research, and
//! says so in its name. Candle's device RNG is never used for privacy randomness.
//!
//! - [`PrivacyRng`]: the generator and its samplers (hardened Gaussian, Bernoulli, Poisson
//!   subsets, [`PrivacyRng::choose_log_weighted`] for exponential mechanisms) and
//!   [`PrivacyRng::secret_chacha`], the key derivation for secret per-example randomness.
//! - [`NoiseSource`] and [`PrivacyStream`]: one generator per part of a private run, OS-seeded
//!   or derived from a dangerous noise seed.
//! - [`GaussianBlocks`]: blocks of Gaussian noise drawn ahead on a background thread (the
//!   noise of DP-SGD steps).
//!
//! ```
//! use tabveil_noise::PrivacyRng;
//!
//! let mut rng = PrivacyRng::secure()?;
//! let noisy_count = 42.0 + rng.gaussian(5.0)?;
//! assert!(noisy_count.is_finite());
//! let mut noise = vec![0.0_f32; 1_000];
//! rng.fill_gaussian_f32(2.0, &mut noise)?;
//! # Ok::<(), tabveil_noise::NoiseError>(())
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod choice;
mod error;
mod gaussian;
mod prefetch;
mod rng;
mod streams;

pub use error::{NoiseError, Result};
pub use prefetch::{GaussianBlock, GaussianBlocks};
pub use rng::PrivacyRng;
pub use streams::{NoiseSource, PrivacyStream, derive_seed};
