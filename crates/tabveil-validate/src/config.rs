//! [`TrainingConfig`]: everything about a training run that the validator and the privacy report
//! need to know, as one serialisable value.
//!
//! The models crate has its own builder-style configs; the facade converts them into this type
//! (the models crate cannot depend on this one). Nothing here is checked on construction:
//! [`validate`](crate::validate) is the one place that checks, and it reports every problem at
//! once instead of stopping at the first.
//!
//! ```
//! use tabveil_validate::{DpConfig, ModelSettings, Privacy, TrainingConfig};
//!
//! // ε and δ have no defaults: they are constructor arguments.
//! let config = TrainingConfig::ctgan(Privacy::Dp(DpConfig::new(3.0, 1e-6)))
//!     .with_epochs(300)
//!     .with_batch_size(500);
//! // In private mode CTGAN packs one row per discriminator input (pac = 1).
//! assert!(matches!(config.model, ModelSettings::Ctgan(ref c) if c.pac == 1));
//! let json = serde_json::to_string(&config).unwrap();
//! let back: TrainingConfig = serde_json::from_str(&json).unwrap();
//! assert_eq!(back, config);
//! ```

use serde::{Deserialize, Serialize};
use tabveil_accountant::TrainingSchedule;
pub use tabveil_models::{DpConfig, Privacy};

use crate::error::Result;

/// SDV's default number of epochs.
pub const DEFAULT_EPOCHS: u64 = 300;
/// SDV's default batch size (the *expected* batch size in private mode).
pub const DEFAULT_BATCH_SIZE: u64 = 500;

/// One training run: the model, its schedule and its privacy settings.
///
/// # Defaults
/// `epochs` 300 and `batch_size` 500 (SDV's defaults); the model settings of
/// [`CtganSettings::sdv`] / [`TvaeSettings::default`]. `privacy` has no default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingConfig {
    /// The model and its network shape.
    pub model: ModelSettings,
    /// Passes over the data (in private mode: expected passes, 1/q steps each).
    pub epochs: u64,
    /// Rows per batch (in private mode: the *expected* size B of a Poisson batch, q = B/N).
    pub batch_size: u64,
    /// Private (DP-SGD with private preprocessing) or not.
    pub privacy: Privacy,
}

impl TrainingConfig {
    /// A run of `model` with the default schedule.
    pub fn new(model: ModelSettings, privacy: Privacy) -> Self {
        TrainingConfig {
            model,
            epochs: DEFAULT_EPOCHS,
            batch_size: DEFAULT_BATCH_SIZE,
            privacy,
        }
    }

    /// CTGAN with SDV's network, `pac` 1 in private mode (packing mixes people) and SDV's 10
    /// otherwise.
    pub fn ctgan(privacy: Privacy) -> Self {
        let settings = CtganSettings {
            pac: if privacy.is_private() { 1 } else { 10 },
            ..CtganSettings::sdv()
        };
        Self::new(ModelSettings::Ctgan(settings), privacy)
    }

    /// TVAE with SDV's network.
    pub fn tvae(privacy: Privacy) -> Self {
        Self::new(ModelSettings::Tvae(TvaeSettings::default()), privacy)
    }

    /// The same run with `epochs` epochs.
    #[must_use]
    pub fn with_epochs(mut self, epochs: u64) -> Self {
        self.epochs = epochs;
        self
    }

    /// The same run with (expected) batch size `batch_size`.
    #[must_use]
    pub fn with_batch_size(mut self, batch_size: u64) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// The DP settings, or `None` for a non-private run.
    pub fn dp(&self) -> Option<&DpConfig> {
        match &self.privacy {
            Privacy::Dp(dp) => Some(dp),
            Privacy::NonPrivate => None,
        }
    }

    /// How many private gradient releases one optimiser step makes: CTGAN's
    /// `discriminator_steps` (each discriminator update reads its own Poisson batch of real
    /// rows), 1 for TVAE.
    pub fn private_releases_per_step(&self) -> u64 {
        match &self.model {
            ModelSettings::Ctgan(c) => c.discriminator_steps,
            ModelSettings::Tvae(_) => 1,
        }
    }

    /// The Poisson schedule of the private gradient releases on a table of `n_rows` rows:
    /// `epochs × private_releases_per_step` expected passes of batches with q = B/N, i.e.
    /// ⌈epochs·d·N/B⌉ subsampled-Gaussian steps. With CTGAN's default `discriminator_steps`
    /// = 1 (and for TVAE) this is `TrainingSchedule::new(n_rows, batch_size, epochs)`.
    ///
    /// The plan of [`validate`](crate::validate) and the privacy report both use this
    /// schedule; a trainer must run exactly it.
    ///
    /// # Errors
    /// [`ValidateError::Accountant`](crate::ValidateError::Accountant) wrapping
    /// `InvalidSchedule` / `CountOverflow` when the schedule cannot run.
    pub fn private_schedule(&self, n_rows: u64) -> Result<TrainingSchedule> {
        Ok(TrainingSchedule::with_releases_per_step(
            n_rows,
            self.batch_size,
            self.epochs,
            self.private_releases_per_step(),
        )?)
    }
}

/// Which generative model, with the widths that decide its size in memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelSettings {
    /// Conditional tabular GAN (Xu et al. 2019), as in SDV.
    Ctgan(CtganSettings),
    /// Tabular variational autoencoder (Xu et al. 2019), as in SDV.
    Tvae(TvaeSettings),
}

impl ModelSettings {
    /// `"CTGAN"` or `"TVAE"`.
    pub fn name(&self) -> &'static str {
        match self {
            ModelSettings::Ctgan(_) => "CTGAN",
            ModelSettings::Tvae(_) => "TVAE",
        }
    }
}

/// CTGAN's shape and packing.
///
/// # Defaults
/// [`CtganSettings::sdv`]: `embedding_dim` 128, `generator_dims` [256, 256],
/// `discriminator_dims` [256, 256], `pac` 10, `discriminator_steps` 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CtganSettings {
    /// Size of the generator's noise input.
    pub embedding_dim: u64,
    /// Widths of the generator's residual blocks.
    pub generator_dims: Vec<u64>,
    /// Widths of the discriminator's hidden layers.
    pub discriminator_dims: Vec<u64>,
    /// Rows packed into one discriminator input (PacGAN). Private mode needs 1.
    pub pac: u64,
    /// Discriminator updates per generator update.
    pub discriminator_steps: u64,
}

impl CtganSettings {
    /// SDV's defaults (pac 10: set it to 1 for private training).
    pub fn sdv() -> Self {
        CtganSettings {
            embedding_dim: 128,
            generator_dims: vec![256, 256],
            discriminator_dims: vec![256, 256],
            pac: 10,
            discriminator_steps: 1,
        }
    }
}

impl Default for CtganSettings {
    fn default() -> Self {
        Self::sdv()
    }
}

/// TVAE's shape.
///
/// # Defaults
/// SDV's: `embedding_dim` 128, `compress_dims` [128, 128], `decompress_dims` [128, 128].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TvaeSettings {
    /// Size of the latent space.
    pub embedding_dim: u64,
    /// Widths of the encoder's hidden layers.
    pub compress_dims: Vec<u64>,
    /// Widths of the decoder's hidden layers.
    pub decompress_dims: Vec<u64>,
}

impl Default for TvaeSettings {
    fn default() -> Self {
        TvaeSettings {
            embedding_dim: 128,
            compress_dims: vec![128, 128],
            decompress_dims: vec![128, 128],
        }
    }
}
