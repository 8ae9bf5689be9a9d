//! The models' configurations as the validator and the report see them
//! ([`TrainingConfig`]): the one conversion, so that `validate`, `fit` and the report judge the
//! same plan.

use tabveil_models::{CtganConfig, MarginalConfig, Privacy as ModelPrivacy, TvaeConfig};
use tabveil_validate::{
    CtganSettings, DpConfig, MarginalSettings, ModelSettings, Privacy, TrainingConfig, TvaeSettings,
};

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
        privacy: privacy(&c.privacy),
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
        privacy: privacy(&c.privacy),
    }
}

/// The [`TrainingConfig`] of a marginal-model configuration (no epochs or batches: they are
/// recorded as 1 and the validator and the report do not use them for this model).
pub(crate) fn marginal_training_config(c: &MarginalConfig) -> TrainingConfig {
    TrainingConfig {
        model: ModelSettings::Marginal(MarginalSettings {
            target: c.target.clone(),
            max_model_cells: c.max_model_cells as u64,
        }),
        epochs: 1,
        batch_size: 1,
        privacy: privacy(&c.privacy),
    }
}

/// The validator's view of the models' privacy settings.
pub(crate) fn privacy(p: &ModelPrivacy) -> Privacy {
    match p {
        ModelPrivacy::NonPrivate => Privacy::NonPrivate,
        ModelPrivacy::Dp(dp) => Privacy::Dp(
            DpConfig::new(dp.epsilon(), dp.delta())
                .with_clipping_norm(dp.clipping_norm())
                .with_preprocessing_share(dp.preprocessing_share())
                .with_accountant(dp.accountant().clone())
                .dangerous_noise_seeded(dp.is_noise_seeded()),
        ),
    }
}
