//! A fitted TVAE to and from the saved-model format ([`crate::persist`]).
//!
//! Parts: `config` (the [`TvaeConfig`], never the noise seed), `schema`, `transformer` (fitted
//! from DP releases in private mode), `training` (the [`FitSummary`]) and, in private mode,
//! `ledger`. Tensors: the decoder's parameters and σ (`decoder.sigma`). The encoder is not
//! saved: sampling does not need it.

use candle_core::{DType, Device, Tensor};
use tabveil_accountant::PrivacyLedger;
use tabveil_data::{DataTransformer, Schema};

use super::config::{TvaeConfig, ValidTvaeConfig};
use super::networks::VaeNets;
use super::{Fitted, Tvae};
use crate::error::{ModelError, Result};
use crate::persist::{HostTensor, SavedModel};
use crate::registry::ModelKind;
use crate::seeds::{Stream, stream};
use crate::synthesizer::FitSummary;

const PARTS: [&str; 5] = ["config", "schema", "transformer", "training", "ledger"];

pub(super) fn to_saved(
    config: &ValidTvaeConfig,
    fitted: &Fitted,
    summary: &FitSummary,
) -> Result<SavedModel> {
    let mut saved = SavedModel::new(ModelKind::Tvae);
    saved.put_json("config", config.get())?;
    saved
        .parts
        .insert("schema".into(), fitted.schema.to_json()?);
    saved.put_json("transformer", &fitted.transformer)?;
    saved.put_json("training", summary)?;
    if let Some(ledger) = &fitted.ledger {
        saved.parts.insert("ledger".into(), ledger.to_json()?);
    }
    for (name, var) in fitted.nets.sampling_state() {
        let shape = var.dims().to_vec();
        let values = var
            .as_tensor()
            .to_dtype(DType::F32)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        saved.tensors.insert(name, HostTensor { shape, values });
    }
    Ok(saved)
}

pub(super) fn from_saved(mut saved: SavedModel, device: &Device) -> Result<Tvae> {
    saved.expect_kind(ModelKind::Tvae)?;
    if let Some(extra) = saved.parts.keys().find(|k| !PARTS.contains(&k.as_str())) {
        return Err(ModelError::corrupt(format!("unknown part `{extra}`")));
    }
    let config: TvaeConfig = saved.json("config")?;
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
    if transformer.layout().width() == 0 {
        return Err(ModelError::corrupt("the transformer has no output column"));
    }
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
    // The encoder is rebuilt from the seed only to complete the structure; sampling never
    // uses it.
    let nets = VaeNets::new(
        &config,
        transformer.layout(),
        DType::F32,
        device,
        &mut stream(config.seed, Stream::Init),
    )?;
    for (name, var) in nets.sampling_state() {
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
    let fitted = Fitted::new(schema, transformer, nets, ledger);
    Ok(Tvae {
        config,
        device: device.clone(),
        fitted: Some(fitted),
        summary: Some(summary),
    })
}
