//! [`TrainingConfig`]: a training run as the validator and the privacy report see it — the
//! model's own settings ([`ModelSettings`], one variant per registered model), which hold the
//! privacy choice and, for a DP-SGD model, the schedule.
//!
//! The settings are defined once, by each model in `tabveil-models`; this type only wraps
//! them. Nothing is checked on construction: [`validate`](crate::validate) is the one place
//! that checks, and it reports every problem at once instead of stopping at the first.
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
use tabveil_models::{CtganConfig, TvaeConfig};
pub use tabveil_models::{DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DpConfig, ModelSettings, Privacy};

use crate::error::Result;

/// One training run: the model's settings, privacy and schedule included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingConfig {
    /// The model's settings.
    pub model: ModelSettings,
}

impl TrainingConfig {
    /// A run of `model` with `privacy` (replacing the model's privacy setting as it is).
    pub fn new(model: impl Into<ModelSettings>, privacy: Privacy) -> Self {
        let mut config = TrainingConfig {
            model: model.into(),
        };
        config.set_privacy(privacy);
        config
    }

    /// CTGAN with SDV's defaults for `privacy` (`pac` 1 in private mode: packing mixes people;
    /// SDV's 10 otherwise).
    pub fn ctgan(privacy: Privacy) -> Self {
        CtganConfig::new(privacy).into()
    }

    /// TVAE with SDV's defaults.
    pub fn tvae(privacy: Privacy) -> Self {
        TvaeConfig::new(privacy).into()
    }

    /// The same run with `epochs` epochs (no change for a model without epochs).
    #[must_use]
    pub fn with_epochs(mut self, epochs: u64) -> Self {
        let _ = self.model.spec_mut().set_epochs(saturating_usize(epochs));
        self
    }

    /// The same run with (expected) batch size `batch_size` (no change for a model without
    /// batches).
    #[must_use]
    pub fn with_batch_size(mut self, batch_size: u64) -> Self {
        let _ = self
            .model
            .spec_mut()
            .set_batch_size(saturating_usize(batch_size));
        self
    }

    /// The privacy choice.
    pub fn privacy(&self) -> &Privacy {
        self.model.spec().privacy()
    }

    /// The privacy choice, to change it in place.
    pub fn privacy_mut(&mut self) -> &mut Privacy {
        self.model.spec_mut().privacy_mut()
    }

    /// Replaces the privacy choice (no other setting changes).
    pub fn set_privacy(&mut self, privacy: Privacy) {
        *self.model.spec_mut().privacy_mut() = privacy;
    }

    /// The DP settings, or `None` for a non-private run.
    pub fn dp(&self) -> Option<&DpConfig> {
        self.privacy().dp()
    }

    /// Epochs of a DP-SGD model (0 for a model without).
    pub fn epochs(&self) -> u64 {
        self.model.spec().schedule().map_or(0, |s| s.epochs as u64)
    }

    /// (Expected) batch size of a DP-SGD model (0 for a model without).
    pub fn batch_size(&self) -> u64 {
        self.model
            .spec()
            .schedule()
            .map_or(0, |s| s.batch_size as u64)
    }

    /// How many private gradient releases one optimiser step makes: CTGAN's
    /// `discriminator_steps` (each discriminator update reads its own Poisson batch of real
    /// rows), 1 for TVAE (0 for a model without a DP-SGD schedule).
    pub fn private_releases_per_step(&self) -> u64 {
        self.model
            .spec()
            .schedule()
            .map_or(0, |s| s.releases_per_step as u64)
    }

    /// The Poisson schedule of the private gradient releases on a table of `n_rows` rows:
    /// `epochs × private_releases_per_step` expected passes of batches with q = B/N, i.e.
    /// ⌈epochs·d·N/B⌉ subsampled-Gaussian steps
    /// (`TrainingSchedule::with_releases_per_step`, the schedule a fit runs).
    ///
    /// # Errors
    /// [`ValidateError::Accountant`](crate::ValidateError::Accountant) wrapping
    /// `InvalidSchedule` / `CountOverflow` when the schedule cannot run (a model without a
    /// DP-SGD schedule has none: `InvalidSchedule`).
    pub fn private_schedule(&self, n_rows: u64) -> Result<TrainingSchedule> {
        Ok(TrainingSchedule::with_releases_per_step(
            n_rows,
            self.batch_size(),
            self.epochs(),
            self.private_releases_per_step(),
        )?)
    }
}

impl<T: Into<ModelSettings>> From<T> for TrainingConfig {
    fn from(model: T) -> Self {
        TrainingConfig {
            model: model.into(),
        }
    }
}

/// CTGAN's settings, now defined once by the model: use `tabveil_models::CtganConfig`.
#[deprecated(note = "use tabveil_models::CtganConfig (the one definition of CTGAN's settings)")]
pub type CtganSettings = CtganConfig;

/// TVAE's settings, now defined once by the model: use `tabveil_models::TvaeConfig`.
#[deprecated(note = "use tabveil_models::TvaeConfig (the one definition of TVAE's settings)")]
pub type TvaeSettings = TvaeConfig;

fn saturating_usize(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}
