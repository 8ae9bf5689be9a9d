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
use tabveil_accountant::{AccountantSpec, TrainingSchedule};

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
            ModelSettings::Tvae(_) | ModelSettings::Marginal(_) => 1,
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
        let passes = self
            .epochs
            .checked_mul(self.private_releases_per_step())
            .ok_or(tabveil_accountant::AccountantError::CountOverflow {
                what: "epochs × discriminator steps",
            })?;
        Ok(TrainingSchedule::new(n_rows, self.batch_size, passes)?)
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
    /// The marginal-based select–measure–generate model (no DP-SGD: `epochs` and
    /// `batch_size` do not apply to it).
    Marginal(MarginalSettings),
}

impl ModelSettings {
    /// `"CTGAN"`, `"TVAE"` or `"marginal"`.
    pub fn name(&self) -> &'static str {
        match self {
            ModelSettings::Ctgan(_) => "CTGAN",
            ModelSettings::Tvae(_) => "TVAE",
            ModelSettings::Marginal(_) => "marginal",
        }
    }

    /// True for a model trained with DP-SGD (epochs, batches, clipping): CTGAN and TVAE.
    pub fn uses_dp_sgd(&self) -> bool {
        !matches!(self, ModelSettings::Marginal(_))
    }
}

/// The marginal model's settings that the validator and the report show.
///
/// # Defaults
/// `target` none; `max_model_cells` 2 000 000 (the model's defaults).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarginalSettings {
    /// The column whose relationships the workload weighs up, if any.
    pub target: Option<String>,
    /// The largest junction tree the model may build, in cells.
    pub max_model_cells: u64,
}

impl Default for MarginalSettings {
    fn default() -> Self {
        MarginalSettings {
            target: None,
            max_model_cells: 2_000_000,
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

/// Whether a run is differentially private.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Privacy {
    /// No differential privacy: the model and its samples carry no privacy guarantee.
    NonPrivate,
    /// DP-SGD training with private preprocessing, accounted end to end.
    Dp(DpConfig),
}

impl Privacy {
    /// True for [`Privacy::Dp`].
    pub fn is_private(&self) -> bool {
        matches!(self, Privacy::Dp(_))
    }
}

/// The privacy settings of a private run.
///
/// ε and δ are constructor arguments: there is no default privacy budget.
///
/// # Defaults
/// `clipping_norm` C = 1; `preprocessing_share` 0.1 (the preprocessing releases alone may
/// spend 10 % of ε; under composition they cost less of the total, see
/// `tabveil_accountant::calibrate_jointly`); `accountant` RDP with the default orders;
/// `noise_seeded` false (privacy randomness from the operating system).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DpConfig {
    /// Target ε: the whole pipeline (preprocessing and training) spends at most this.
    pub epsilon: f64,
    /// δ of the (ε, δ) guarantee.
    pub delta: f64,
    /// Per-example L2 clipping norm C of the gradients.
    #[serde(default = "default_clipping_norm")]
    pub clipping_norm: f64,
    /// Share of ε that the preprocessing releases alone may spend, in (0, 1).
    #[serde(default = "default_preprocessing_share")]
    pub preprocessing_share: f64,
    /// The accountant that plans the noise and enforces the budget (RDP or PLD).
    #[serde(default = "AccountantSpec::rdp")]
    pub accountant: AccountantSpec,
    /// Whether the privacy randomness is fixed by a user-supplied seed (tests and research
    /// only: the guarantee then rests on the seed staying secret). The seed itself is never
    /// stored here.
    #[serde(default)]
    pub noise_seeded: bool,
}

impl DpConfig {
    /// A private run that spends at most `epsilon` at `delta`.
    pub fn new(epsilon: f64, delta: f64) -> Self {
        DpConfig {
            epsilon,
            delta,
            clipping_norm: default_clipping_norm(),
            preprocessing_share: default_preprocessing_share(),
            accountant: AccountantSpec::rdp(),
            noise_seeded: false,
        }
    }

    /// Sets the clipping norm C.
    #[must_use]
    pub fn with_clipping_norm(mut self, clipping_norm: f64) -> Self {
        self.clipping_norm = clipping_norm;
        self
    }

    /// Sets the share of ε the preprocessing alone may spend.
    #[must_use]
    pub fn with_preprocessing_share(mut self, share: f64) -> Self {
        self.preprocessing_share = share;
        self
    }

    /// Sets the accountant.
    #[must_use]
    pub fn with_accountant(mut self, accountant: AccountantSpec) -> Self {
        self.accountant = accountant;
        self
    }

    /// Records that the privacy randomness is seeded (dangerous: see the field's doc).
    #[must_use]
    pub fn dangerous_noise_seeded(mut self, seeded: bool) -> Self {
        self.noise_seeded = seeded;
        self
    }
}

fn default_clipping_norm() -> f64 {
    1.0
}

fn default_preprocessing_share() -> f64 {
    0.1
}
