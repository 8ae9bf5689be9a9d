//! TVAE's answers to [`ModelSpec`] and its entry in the registry.

use super::config::TvaeConfig;
use super::{Tvae, TvaeParts};
use crate::error::ConfigResult;
use crate::privacy::Privacy;
use crate::registry::{ModelKind, ModelSettings, Registration};
use crate::shell::load_as;
use crate::spec::{
    DataWidths, ModelSpec, NetworkSize, ReportText, SettingFinding, dp_sgd_learned,
    dp_sgd_spec_answers, mlp_size, network_shape_findings,
};

/// TVAE in the registry.
pub(crate) const REGISTRATION: Registration = Registration {
    kind: ModelKind::Tvae,
    name: "tvae",
    display_name: "TVAE",
    description: "Tabular variational autoencoder (SDV's TVAE; DP-SGD on encoder and decoder in private mode).",
    defaults,
    load: load_as::<TvaeParts, Tvae>,
};

fn defaults(privacy: Privacy) -> ModelSettings {
    TvaeConfig::new(privacy).into()
}

impl ModelSpec for TvaeConfig {
    dp_sgd_spec_answers!(Tvae);
    fn kind(&self) -> ModelKind {
        ModelKind::Tvae
    }

    fn set_hidden_dims(&mut self, dims: Vec<usize>) -> ConfigResult<()> {
        self.compress_dims.clone_from(&dims);
        self.decompress_dims = dims;
        Ok(())
    }

    fn set_embedding_dim(&mut self, dim: usize) -> ConfigResult<()> {
        self.embedding_dim = dim;
        Ok(())
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
        let parameters = e_parameters
            .saturating_add(d_parameters)
            .saturating_add(widths.data);
        NetworkSize {
            parameters,
            saved_floats: parameters,
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
}
