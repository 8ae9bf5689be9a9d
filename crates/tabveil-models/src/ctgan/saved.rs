//! A fitted CTGAN to and from the saved-model format ([`crate::persist`]).
//!
//! Parts: `config` (the [`CtganConfig`], never the noise seed), `schema`, `transformer` (fitted
//! from DP releases in private mode), `conditions` (the condition frequencies generation draws
//! from: exact in non-private mode, DP-noisy in private mode), `training` (the [`FitSummary`])
//! and, in private mode, `ledger`. Tensors: the generator's parameters and BatchNorm buffers.
//! The discriminator is not saved: sampling does not need it.

use candle_core::Device;
use tabveil_data::{ConditionLayout, GenerationSampler};

use super::Trained;
use super::config::{CtganConfig, ValidCtganConfig};
use super::networks::Networks;
use crate::error::{ModelError, Result};
use crate::persist::SavedModel;
use crate::registry::ModelKind;
use crate::synthesizer::FitSummary;

const PARTS: [&str; 6] = [
    "config",
    "schema",
    "transformer",
    "conditions",
    "training",
    "ledger",
];

pub(super) fn to_saved(
    config: &ValidCtganConfig,
    fitted: &Trained,
    summary: &FitSummary,
) -> Result<SavedModel> {
    let mut saved = SavedModel::with_basis(ModelKind::Ctgan, config.get(), &fitted.basis, summary)?;
    let frequencies: Vec<Vec<f64>> = (0..fitted.basis.conditions.columns().len())
        .map(|i| {
            fitted.generation.frequencies(i).ok_or(ModelError::Internal(
                "a condition column without frequencies",
            ))
        })
        .collect::<Result<_>>()?;
    saved.put_json("conditions", &frequencies)?;
    saved.put_vars(fitted.nets.generator.state())?;
    Ok(saved)
}

pub(super) fn from_saved(
    mut saved: SavedModel,
    device: &Device,
) -> Result<(ValidCtganConfig, Trained, FitSummary)> {
    let (config, schema, transformer) =
        saved.read_head(ModelKind::Ctgan, &PARTS, CtganConfig::check)?;
    let conditions = ConditionLayout::new(&transformer);
    let frequencies: Vec<Vec<f64>> = saved.json("conditions")?;
    let generation = GenerationSampler::from_frequencies(conditions.clone(), frequencies)
        .map_err(|e| ModelError::corrupt(format!("part `conditions` is invalid: {e}")))?;
    let (summary, ledger) = saved.read_record(config.privacy.is_private())?;
    let nets = Networks::new(&config, transformer.layout(), &conditions, device)?;
    saved.take_vars(nets.generator.state(), device)?;
    let fitted = Trained::new(schema, transformer, generation, nets, ledger)?;
    Ok((config, fitted, summary))
}
