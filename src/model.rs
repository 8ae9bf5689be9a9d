//! The models the facade can drive, behind one enum (the models crate's `Synthesizer` trait is
//! not object-safe: `load` and `from_bytes` return `Self`).

use std::path::Path;

use candle_core::Device;
use tabveil_accountant::PrivacyLedger;
use tabveil_data::{Schema, Table};
use tabveil_models::{
    Condition, Ctgan, FitSummary, Marginal, ModelKind, Progress, Synthesizer as _, Tvae,
    ValidCtganConfig, ValidMarginalConfig, ValidTvaeConfig, saved_model_kind,
};
use tabveil_validate::TrainingConfig;

use crate::config::{ctgan_training_config, marginal_training_config, tvae_training_config};
use crate::error::Result;

/// A checked model configuration.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ModelConfig {
    Ctgan(ValidCtganConfig),
    Tvae(ValidTvaeConfig),
    Marginal(ValidMarginalConfig),
}

impl ModelConfig {
    pub(crate) fn kind(&self) -> ModelKind {
        match self {
            ModelConfig::Ctgan(_) => ModelKind::Ctgan,
            ModelConfig::Tvae(_) => ModelKind::Tvae,
            ModelConfig::Marginal(_) => ModelKind::Marginal,
        }
    }

    /// The validator's and the report's view of the configuration.
    pub(crate) fn training_config(&self) -> TrainingConfig {
        match self {
            ModelConfig::Ctgan(c) => ctgan_training_config(c),
            ModelConfig::Tvae(c) => tvae_training_config(c),
            ModelConfig::Marginal(c) => marginal_training_config(c),
        }
    }

    pub(crate) fn init(&self, device: &Device) -> AnyModel {
        match self {
            ModelConfig::Ctgan(c) => {
                AnyModel::Ctgan(Ctgan::new(c.clone()).with_device(device.clone()))
            }
            ModelConfig::Tvae(c) => {
                AnyModel::Tvae(Tvae::new(c.clone()).with_device(device.clone()))
            }
            // CPU only: no tensors.
            ModelConfig::Marginal(c) => AnyModel::Marginal(Marginal::new(c.clone())),
        }
    }
}

/// A model of any kind.
#[derive(Debug, Clone)]
pub(crate) enum AnyModel {
    Ctgan(Ctgan),
    Tvae(Tvae),
    Marginal(Marginal),
}

impl AnyModel {
    pub(crate) fn kind(&self) -> ModelKind {
        match self {
            AnyModel::Ctgan(_) => ModelKind::Ctgan,
            AnyModel::Tvae(_) => ModelKind::Tvae,
            AnyModel::Marginal(_) => ModelKind::Marginal,
        }
    }

    pub(crate) fn training_config(&self) -> TrainingConfig {
        match self {
            AnyModel::Ctgan(m) => ctgan_training_config(m.config()),
            AnyModel::Tvae(m) => tvae_training_config(m.config()),
            AnyModel::Marginal(m) => marginal_training_config(m.config()),
        }
    }

    pub(crate) fn fit(
        &mut self,
        table: &Table,
        schema: &Schema,
        progress: &mut dyn Progress,
    ) -> Result<FitSummary> {
        Ok(match self {
            AnyModel::Ctgan(m) => m.fit(table, schema, progress)?,
            AnyModel::Tvae(m) => m.fit(table, schema, progress)?,
            AnyModel::Marginal(m) => m.fit(table, schema, progress)?,
        })
    }

    pub(crate) fn summary(&self) -> Option<&FitSummary> {
        match self {
            AnyModel::Ctgan(m) => m.summary(),
            AnyModel::Tvae(m) => m.summary(),
            AnyModel::Marginal(m) => m.summary(),
        }
    }

    pub(crate) fn sample(&self, n: usize, seed: u64) -> Result<Table> {
        Ok(match self {
            AnyModel::Ctgan(m) => m.sample(n, seed)?,
            AnyModel::Tvae(m) => m.sample(n, seed)?,
            AnyModel::Marginal(m) => m.sample(n, seed)?,
        })
    }

    pub(crate) fn sample_conditional(
        &self,
        n: usize,
        conditions: &[Condition],
        seed: u64,
    ) -> Result<Table> {
        Ok(match self {
            AnyModel::Ctgan(m) => m.sample_conditional(n, conditions, seed)?,
            AnyModel::Tvae(m) => m.sample_conditional(n, conditions, seed)?,
            AnyModel::Marginal(m) => m.sample_conditional(n, conditions, seed)?,
        })
    }

    pub(crate) fn schema(&self) -> Option<&Schema> {
        match self {
            AnyModel::Ctgan(m) => m.schema(),
            AnyModel::Tvae(m) => m.schema(),
            AnyModel::Marginal(m) => m.schema(),
        }
    }

    pub(crate) fn ledger(&self) -> Option<&PrivacyLedger> {
        match self {
            AnyModel::Ctgan(m) => m.ledger(),
            AnyModel::Tvae(m) => m.ledger(),
            AnyModel::Marginal(m) => m.ledger(),
        }
    }

    pub(crate) fn save(&self, dir: &Path) -> Result<()> {
        match self {
            AnyModel::Ctgan(m) => m.save(dir)?,
            AnyModel::Tvae(m) => m.save(dir)?,
            AnyModel::Marginal(m) => m.save(dir)?,
        }
        Ok(())
    }

    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(match self {
            AnyModel::Ctgan(m) => m.to_bytes()?,
            AnyModel::Tvae(m) => m.to_bytes()?,
            AnyModel::Marginal(m) => m.to_bytes()?,
        })
    }

    /// Loads the model saved in `dir`, whatever its kind.
    pub(crate) fn load(dir: &Path, device: &Device) -> Result<Self> {
        // The kind is in the manifest; try CTGAN, and the models crate names the kind found.
        match Ctgan::load_on(dir, device) {
            Ok(m) => Ok(AnyModel::Ctgan(m)),
            Err(tabveil_models::ModelError::WrongModelKind { found, .. }) if found == "tvae" => {
                Ok(AnyModel::Tvae(Tvae::load_on(dir, device)?))
            }
            Err(tabveil_models::ModelError::WrongModelKind { found, .. })
                if found == "marginal" =>
            {
                Ok(AnyModel::Marginal(Marginal::load(dir)?))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Loads a model from the bytes of [`AnyModel::to_bytes`], whatever its kind.
    pub(crate) fn from_bytes(bytes: &[u8], device: &Device) -> Result<Self> {
        match saved_model_kind(bytes)? {
            ModelKind::Ctgan => Ok(AnyModel::Ctgan(Ctgan::from_bytes_on(bytes, device)?)),
            ModelKind::Tvae => Ok(AnyModel::Tvae(Tvae::from_bytes_on(bytes, device)?)),
            ModelKind::Marginal => Ok(AnyModel::Marginal(Marginal::from_bytes(bytes)?)),
        }
    }
}
