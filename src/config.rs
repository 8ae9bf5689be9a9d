//! The models' configurations as the validator and the report see them
//! ([`TrainingConfig`]): the one conversion, so that `validate`, `fit` and the report judge the
//! same plan.

use tabveil_models::{CtganConfig, TvaeConfig};
use tabveil_validate::{CtganSettings, ModelSettings, TrainingConfig, TvaeSettings};

/// The [`TrainingConfig`] of a CTGAN configuration.
pub(crate) fn ctgan_training_config(c: &CtganConfig) -> TrainingConfig {
    let settings = CtganSettings {
        embedding_dim: c.embedding_dim as u64,
        generator_dims: c.generator_dims.iter().map(|&d| d as u64).collect(),
        discriminator_dims: c.discriminator_dims.iter().map(|&d| d as u64).collect(),
        pac: c.pac as u64,
        discriminator_steps: c.discriminator_steps as u64,
    };
    TrainingConfig {
        model: ModelSettings::Ctgan(settings),
        epochs: c.epochs as u64,
        batch_size: c.batch_size as u64,
        privacy: c.privacy.clone(),
    }
}

/// The [`TrainingConfig`] of a TVAE configuration.
pub(crate) fn tvae_training_config(c: &TvaeConfig) -> TrainingConfig {
    let settings = TvaeSettings {
        embedding_dim: c.embedding_dim as u64,
        compress_dims: c.compress_dims.iter().map(|&d| d as u64).collect(),
        decompress_dims: c.decompress_dims.iter().map(|&d| d as u64).collect(),
    };
    TrainingConfig {
        model: ModelSettings::Tvae(settings),
        epochs: c.epochs as u64,
        batch_size: c.batch_size as u64,
        privacy: c.privacy.clone(),
    }
}
