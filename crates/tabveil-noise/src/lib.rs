//! Privacy randomness for tabveil.
//!
//! Every random draw that a differential-privacy guarantee relies on — the Poisson sampling of
//! rows and every noise draw, in preprocessing and in training — goes through one type,
//! [`PrivacyRng`]. By default it is a ChaCha20 CSPRNG seeded from the operating system, so the
//! noise is unpredictable; [`PrivacyRng::dangerous_seeded`] fixes it for tests and research, and
//! says so in its name. Candle's device RNG is never used for privacy randomness.
//!
//! Integer releases (counts, histograms) use the exact discrete Gaussian ([`DiscreteGaussian`],
//! Canonne, Kamath & Steinke 2020): no floating-point decision, so no floating-point attack. The
//! continuous Gaussian of the training noise has the floating-point attacks *mitigated* (a sum
//! of four draws, as Opacus' secure mode), not removed.
//!
//! - [`PrivacyRng`]: the generator and its samplers (continuous Gaussian with the
//!   floating-point attacks mitigated, exact discrete Gaussian, Bernoulli, Poisson subsets,
//!   [`PrivacyRng::choose_log_weighted`] for exponential mechanisms) and
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
//! let counts_noise: Vec<i64> = rng.fill_discrete_gaussian(4.0, 20)?;
//! assert_eq!(counts_noise.len(), 20);
//! # Ok::<(), tabveil_noise::NoiseError>(())
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod choice;
mod discrete_gaussian;
mod error;
mod gaussian;
mod prefetch;
mod rng;
mod streams;
mod wide;

pub use discrete_gaussian::DiscreteGaussian;
pub use error::{NoiseError, Result};
pub use prefetch::{GaussianBlock, GaussianBlocks};
pub use rng::PrivacyRng;
pub use streams::{NoiseSource, PrivacyStream, derive_seed};
