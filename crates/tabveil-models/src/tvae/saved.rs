//! A fitted TVAE to and from the saved-model format ([`crate::persist`]).
//!
//! Parts: `config` (the [`TvaeConfig`], never the noise seed), `schema`, `transformer` (fitted
//! from DP releases in private mode), `training` (the [`FitSummary`]) and, in private mode,
//! `ledger`. Tensors: the decoder's parameters and σ (`decoder.sigma`). The encoder is not
//! saved: sampling does not need it.

use candle_core::Device;

use super::Trained;
use super::config::{TvaeConfig, ValidTvaeConfig};
use super::networks::VaeNets;
use crate::error::{ModelError, Result};
use crate::persist::SavedModel;
use crate::registry::ModelKind;
use crate::synthesizer::FitSummary;

const PARTS: [&str; 5] = ["config", "schema", "transformer", "training", "ledger"];

pub(super) fn to_saved(
    config: &ValidTvaeConfig,
    fitted: &Trained,
    summary: &FitSummary,
) -> Result<SavedModel> {
    let mut saved = SavedModel::with_basis(ModelKind::Tvae, config.get(), &fitted.basis, summary)?;
    saved.put_vars(fitted.nets.sampling_state())?;
    Ok(saved)
}

pub(super) fn from_saved(
    mut saved: SavedModel,
    device: &Device,
) -> Result<(ValidTvaeConfig, Trained, FitSummary)> {
    let (config, schema, transformer) =
        saved.read_head(ModelKind::Tvae, &PARTS, TvaeConfig::check)?;
    if transformer.layout().width() == 0 {
        return Err(ModelError::corrupt("the transformer has no output column"));
    }
    let (summary, ledger) = saved.read_record(config.privacy.is_private())?;
    // The encoder is rebuilt from the seed only to complete the structure; sampling never
    // uses it.
    let nets = VaeNets::for_config(&config, transformer.layout(), device)?;
    saved.take_vars(nets.sampling_state(), device)?;
    let fitted = Trained::new(schema, transformer, nets, ledger);
    Ok((config, fitted, summary))
}
