//! The registry: every model of the workspace, by kind. This file is the one place, outside a
//! model's own folder, that lists the models — their kinds ([`ModelKind`]), their settings
//! ([`ModelSettings`], one variant each) and how a saved one is loaded. Everything else reaches
//! a model through [`ModelSpec`] and [`DynSynthesizer`].
//!
//! ```
//! use tabveil_models::{ModelKind, ModelSettings, Privacy};
//!
//! assert_eq!(ModelKind::from_name("tvae"), Some(ModelKind::Tvae));
//! assert_eq!(ModelKind::Ctgan.display_name(), "CTGAN");
//! let settings = ModelSettings::defaults(ModelKind::Ctgan, Privacy::NonPrivate);
//! assert_eq!(settings.kind(), ModelKind::Ctgan);
//! ```

use std::path::Path;

use candle_core::Device;
use serde::{Deserialize, Serialize};

use crate::ctgan::{self, CtganConfig};
use crate::error::Result;
use crate::marginal::{self, MarginalConfig};
use crate::persist::SavedModel;
use crate::privacy::Privacy;
use crate::spec::ModelSpec;
use crate::synthesizer::DynSynthesizer;
use crate::tvae::{self, TvaeConfig};

/// The kinds of model this crate provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Conditional tabular GAN (Xu et al. 2019).
    Ctgan,
    /// Tabular variational autoencoder (Xu et al. 2019).
    Tvae,
    /// Marginal-based select–measure–generate model (AIM's rounds, Private-PGM estimation).
    Marginal,
}

/// The settings of a model of any kind: one variant per registered model, holding that
/// model's own configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelSettings {
    /// CTGAN's settings.
    Ctgan(CtganConfig),
    /// TVAE's settings.
    Tvae(TvaeConfig),
    /// The marginal model's settings.
    Marginal(MarginalConfig),
}

/// A model's entry in the registry.
#[derive(Debug)]
pub(crate) struct Registration {
    /// The kind.
    pub(crate) kind: ModelKind,
    /// The name in saved files and on the command line, e.g. `"ctgan"`.
    pub(crate) name: &'static str,
    /// The name in reports and plans, e.g. `"CTGAN"`.
    pub(crate) display_name: &'static str,
    /// One line saying what the model is (the command line's help).
    pub(crate) description: &'static str,
    /// The model's default settings for a privacy choice.
    pub(crate) defaults: fn(Privacy) -> ModelSettings,
    /// Loads a saved model of this kind.
    pub(crate) load: fn(SavedModel, &Device) -> Result<Box<dyn DynSynthesizer>>,
}

/// Every registered model.
const REGISTRY: &[Registration] = &[
    ctgan::REGISTRATION,
    tvae::REGISTRATION,
    marginal::REGISTRATION,
];

impl ModelSettings {
    /// The answers every model gives about its settings.
    pub fn spec(&self) -> &dyn ModelSpec {
        match self {
            ModelSettings::Ctgan(c) => c,
            ModelSettings::Tvae(c) => c,
            ModelSettings::Marginal(c) => c,
        }
    }

    /// [`ModelSettings::spec`], to change the settings.
    pub fn spec_mut(&mut self) -> &mut dyn ModelSpec {
        match self {
            ModelSettings::Ctgan(c) => c,
            ModelSettings::Tvae(c) => c,
            ModelSettings::Marginal(c) => c,
        }
    }

    /// The default settings of model `kind` with `privacy`.
    pub fn defaults(kind: ModelKind, privacy: Privacy) -> Self {
        (registration(kind).defaults)(privacy)
    }

    /// The model's kind.
    pub fn kind(&self) -> ModelKind {
        self.spec().kind()
    }

    /// The model's name in reports and plans, e.g. `"CTGAN"`.
    pub fn name(&self) -> &'static str {
        self.kind().display_name()
    }
}

impl From<CtganConfig> for ModelSettings {
    fn from(config: CtganConfig) -> Self {
        ModelSettings::Ctgan(config)
    }
}

impl From<TvaeConfig> for ModelSettings {
    fn from(config: TvaeConfig) -> Self {
        ModelSettings::Tvae(config)
    }
}

impl From<MarginalConfig> for ModelSettings {
    fn from(config: MarginalConfig) -> Self {
        ModelSettings::Marginal(config)
    }
}

impl ModelKind {
    /// Every registered kind, in registry order.
    pub fn all() -> impl Iterator<Item = ModelKind> {
        REGISTRY.iter().map(|r| r.kind)
    }

    /// The name in saved files and on the command line, e.g. `"ctgan"`.
    pub fn as_str(self) -> &'static str {
        registration(self).name
    }

    /// The name in reports and plans, e.g. `"CTGAN"`.
    pub fn display_name(self) -> &'static str {
        registration(self).display_name
    }

    /// One line saying what the model is.
    pub fn description(self) -> &'static str {
        registration(self).description
    }

    /// The kind named `name` in a saved file or on the command line.
    pub fn from_name(name: &str) -> Option<Self> {
        REGISTRY.iter().find(|r| r.name == name).map(|r| r.kind)
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Loads the model saved in directory `dir`, whatever its kind, onto `device`.
///
/// # Errors
/// Typed errors for a missing, truncated, corrupted or mismatched model
/// ([`ModelError::Io`](crate::ModelError::Io), [`ModelError::CorruptModel`](crate::ModelError::CorruptModel),
/// [`ModelError::ChecksumMismatch`](crate::ModelError::ChecksumMismatch), …).
pub fn load_model(dir: &Path, device: &Device) -> Result<Box<dyn DynSynthesizer>> {
    load_saved(SavedModel::load_dir(dir)?, device)
}

/// Loads a model from the bytes of [`Synthesizer::to_bytes`](crate::Synthesizer::to_bytes),
/// whatever its kind, onto `device`.
///
/// # Errors
/// As [`load_model`].
pub fn model_from_bytes(bytes: &[u8], device: &Device) -> Result<Box<dyn DynSynthesizer>> {
    load_saved(SavedModel::from_bytes(bytes)?, device)
}

fn load_saved(saved: SavedModel, device: &Device) -> Result<Box<dyn DynSynthesizer>> {
    (registration(saved.kind).load)(saved, device)
}

fn registration(kind: ModelKind) -> &'static Registration {
    // Every kind has an entry (the registry test checks it); the first entry stands in for a
    // kind left out by mistake rather than panicking.
    REGISTRY
        .iter()
        .find(|r| r.kind == kind)
        .unwrap_or(&REGISTRY[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_registered_once_under_its_own_names() {
        let kinds: Vec<ModelKind> = ModelKind::all().collect();
        assert_eq!(
            kinds,
            vec![ModelKind::Ctgan, ModelKind::Tvae, ModelKind::Marginal]
        );
        for kind in kinds {
            assert_eq!(REGISTRY.iter().filter(|r| r.kind == kind).count(), 1);
            assert_eq!(ModelKind::from_name(kind.as_str()), Some(kind));
            assert_eq!(
                ModelSettings::defaults(kind, Privacy::NonPrivate).kind(),
                kind
            );
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }
}
