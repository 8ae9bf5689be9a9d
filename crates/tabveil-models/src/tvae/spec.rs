//! TVAE's answers to [`ModelSpec`] and its entry in the registry.

use candle_core::Device;

use super::Tvae;
use super::config::TvaeConfig;
use crate::error::Result;
use crate::persist::SavedModel;
use crate::privacy::Privacy;
use crate::registry::{ModelKind, ModelSettings, Registration};
use crate::shell::Shell;
use crate::spec::{
    DataWidths, DpSgdSchedule, ModelSpec, NetworkSize, ReportText, SettingFinding, dp_sgd_learned,
    mlp_size, network_shape_findings,
};
use crate::synthesizer::DynSynthesizer;

/// TVAE in the registry.
pub(crate) const REGISTRATION: Registration = Registration {
    kind: ModelKind::Tvae,
    name: "tvae",
    display_name: "TVAE",
    description: "Tabular variational autoencoder (SDV's TVAE; DP-SGD on encoder and decoder in private mode).",
    defaults,
    load,
};

fn defaults(privacy: Privacy) -> ModelSettings {
    ModelSettings::Tvae(TvaeConfig::new(privacy))
}

fn load(saved: SavedModel, device: &Device) -> Result<Box<dyn DynSynthesizer>> {
    Ok(Box::new(Tvae {
        shell: Shell::from_saved(saved, device)?,
    }))
}

impl ModelSpec for TvaeConfig {
    fn kind(&self) -> ModelKind {
        ModelKind::Tvae
    }

    fn privacy(&self) -> &Privacy {
        &self.privacy
    }

    fn privacy_mut(&mut self) -> &mut Privacy {
        &mut self.privacy
    }

    fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }

    fn schedule(&self) -> Option<DpSgdSchedule> {
        Some(DpSgdSchedule {
            epochs: self.epochs,
            batch_size: self.batch_size,
            releases_per_step: 1,
        })
    }

    fn set_epochs(&mut self, epochs: usize) -> Result<()> {
        self.epochs = epochs;
        Ok(())
    }

    fn set_batch_size(&mut self, batch_size: usize) -> Result<()> {
        self.batch_size = batch_size;
        Ok(())
    }

    fn check(&self) -> Result<()> {
        self.clone().check().map(|_| ())
    }

    fn setting_findings(&self, out: &mut Vec<SettingFinding>) {
        network_shape_findings(
            out,
            self.embedding_dim,
            &[
                ("compress_dims", &self.compress_dims),
                ("decompress_dims", &self.decompress_dims),
            ],
            "SDV's TVAE uses embedding_dim 128 and [128, 128] for both networks",
        );
    }

    fn network_size(&self, widths: DataWidths) -> NetworkSize {
        let embedding = self.embedding_dim as u64;
        let (e_parameters, e_activations) = mlp_size(
            widths.data,
            &self.compress_dims,
            embedding.saturating_mul(2),
        );
        let (d_parameters, d_activations) = mlp_size(embedding, &self.decompress_dims, widths.data);
        // Encoder and decoder activations and gradients, plus book-keeping (×4); σ has one
        // parameter per data column.
        NetworkSize {
            parameters: e_parameters
                .saturating_add(d_parameters)
                .saturating_add(widths.data),
            floats_per_row: e_activations
                .saturating_add(d_activations)
                .saturating_mul(4),
        }
    }

    fn report_text(&self) -> ReportText {
        ReportText {
            settings: String::new(),
            learned: dp_sgd_learned("encoder and decoder"),
            clipping: "Per-example clipping to the norm C covers the whole loss of each real row (reconstruction and KL terms, encoder and decoder).".to_owned(),
        }
    }

    fn init(&self, device: &Device) -> Result<Box<dyn DynSynthesizer>> {
        let config = self.clone().check()?;
        Ok(Box::new(Tvae::new(config).with_device(device.clone())))
    }
}
