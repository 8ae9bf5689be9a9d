//! A fitted CTGAN to and from the saved-model format ([`crate::persist`]).
//!
//! Parts: `config` (the [`CtganConfig`], never the noise seed), `schema`, `transformer` (fitted
//! from DP releases in private mode), `conditions` (the condition frequencies generation draws
//! from: exact in non-private mode, DP-noisy in private mode), `training` (the [`FitSummary`])
//! and, in private mode, `ledger`. Tensors: the generator's parameters and BatchNorm buffers.
//! The discriminator is not saved: sampling does not need it.

use candle_core::{Device, Tensor};
use tabveil_accountant::PrivacyLedger;
use tabveil_data::{ConditionLayout, DataTransformer, GenerationSampler, Schema};

use super::config::{CtganConfig, ValidCtganConfig};
use super::networks::Networks;
use super::{Ctgan, Fitted};
use crate::error::{ModelError, Result};
use crate::persist::{HostTensor, SavedModel};
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
    fitted: &Fitted,
    summary: &FitSummary,
) -> Result<SavedModel> {
    let mut saved = SavedModel::new(ModelKind::Ctgan);
    saved.put_json("config", config.get())?;
    saved
        .parts
        .insert("schema".into(), fitted.schema.to_json()?);
    saved.put_json("transformer", &fitted.transformer)?;
    let frequencies: Vec<Vec<f64>> = (0..fitted.conditions.columns().len())
        .map(|i| {
            fitted.generation.frequencies(i).ok_or(ModelError::Internal(
                "a condition column without frequencies",
            ))
        })
        .collect::<Result<_>>()?;
    saved.put_json("conditions", &frequencies)?;
    saved.put_json("training", summary)?;
    if let Some(ledger) = &fitted.ledger {
        saved.parts.insert("ledger".into(), ledger.to_json()?);
    }
    for (name, var) in fitted.nets.generator.state() {
        let shape = var.dims().to_vec();
        let values = var.as_tensor().flatten_all()?.to_vec1::<f32>()?;
        saved.tensors.insert(name, HostTensor { shape, values });
    }
    Ok(saved)
}

pub(super) fn from_saved(mut saved: SavedModel, device: &Device) -> Result<Ctgan> {
    saved.expect_kind(ModelKind::Ctgan)?;
    if let Some(extra) = saved.parts.keys().find(|k| !PARTS.contains(&k.as_str())) {
        return Err(ModelError::corrupt(format!("unknown part `{extra}`")));
    }
    let config: CtganConfig = saved.json("config")?;
    let config = config
        .check()
        .map_err(|e| ModelError::corrupt(format!("part `config` is invalid: {e}")))?;
    let schema_text = saved
        .parts
        .get("schema")
        .ok_or_else(|| ModelError::corrupt("part `schema` is missing"))?;
    let schema = Schema::from_json(schema_text)
        .map_err(|e| ModelError::corrupt(format!("part `schema` is invalid: {e}")))?;
    let transformer: DataTransformer = saved.json("transformer")?;
    if transformer.schema() != &schema {
        return Err(ModelError::corrupt(
            "the transformer was fitted for another schema",
        ));
    }
    let conditions = ConditionLayout::new(&transformer);
    let frequencies: Vec<Vec<f64>> = saved.json("conditions")?;
    let generation = GenerationSampler::from_frequencies(conditions.clone(), frequencies)
        .map_err(|e| ModelError::corrupt(format!("part `conditions` is invalid: {e}")))?;
    let summary: FitSummary = saved.json("training")?;
    let ledger = match (config.privacy.is_private(), saved.parts.get("ledger")) {
        (true, Some(text)) => Some(
            PrivacyLedger::from_json(text)
                .map_err(|e| ModelError::corrupt(format!("part `ledger` is invalid: {e}")))?,
        ),
        (true, None) => return Err(ModelError::corrupt("a private model without a ledger")),
        (false, Some(_)) => return Err(ModelError::corrupt("a non-private model with a ledger")),
        (false, None) => None,
    };
    if summary.private.is_some() != config.privacy.is_private() {
        return Err(ModelError::corrupt(
            "the training record does not match the privacy setting",
        ));
    }
    let nets = Networks::new(&config, transformer.layout(), &conditions, device)?;
    for (name, var) in nets.generator.state() {
        let shape = var.dims().to_vec();
        let values = saved.take_tensor(&name, &shape)?;
        if values.iter().any(|v| !v.is_finite()) {
            return Err(ModelError::ParameterMismatch {
                name,
                reason: "holds a non-finite value".into(),
            });
        }
        var.set(&Tensor::from_vec(values, shape, device)?)?;
    }
    saved.expect_no_more_tensors()?;
    let fitted = Fitted::new(schema, transformer, generation, nets, ledger)?;
    Ok(Ctgan {
        config,
        device: device.clone(),
        fitted: Some(fitted),
        summary: Some(summary),
    })
}
