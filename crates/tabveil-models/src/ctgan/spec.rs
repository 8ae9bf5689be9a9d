//! CTGAN's answers to [`ModelSpec`] and its entry in the registry.

use super::config::CtganConfig;
use super::{Ctgan, CtganParts};
use crate::error::ConfigResult;
use crate::privacy::Privacy;
use crate::registry::{ModelKind, ModelSettings, Registration};
use crate::shell::load_as;
use crate::spec::{
    BatchSizes, DataWidths, ModelSpec, NetworkSize, ReportText, SettingFinding, dp_sgd_learned,
    dp_sgd_spec_answers, mlp_size, network_shape_findings,
};

/// CTGAN in the registry.
pub(crate) const REGISTRATION: Registration = Registration {
    kind: ModelKind::Ctgan,
    name: "ctgan",
    display_name: "CTGAN",
    description: "Conditional tabular GAN (SDV's CTGAN; DP-SGD on the discriminator in private mode).",
    defaults,
    load: load_as::<CtganParts, Ctgan>,
};

fn defaults(privacy: Privacy) -> ModelSettings {
    CtganConfig::new(privacy).into()
}

impl ModelSpec for CtganConfig {
    dp_sgd_spec_answers!(Ctgan);
    fn kind(&self) -> ModelKind {
        ModelKind::Ctgan
    }

    fn set_hidden_dims(&mut self, dims: Vec<usize>) -> ConfigResult<()> {
        self.generator_dims.clone_from(&dims);
        self.discriminator_dims = dims;
        Ok(())
    }

    fn set_embedding_dim(&mut self, dim: usize) -> ConfigResult<()> {
        self.embedding_dim = dim;
        Ok(())
    }

    /// In private mode SDV's pac of 10 (the non-private default) becomes 1 — a pack would mix
    /// several people in one example; any other pac is kept (and refused by `check` unless it
    /// is 1). Every other setting is kept as it is.
    fn adopt_privacy(&mut self, privacy: Privacy) {
        if privacy.is_private() && self.pac == 10 {
            self.pac = 1;
        }
        self.privacy = privacy;
    }

    fn setting_findings(&self, out: &mut Vec<SettingFinding>) {
        let private = self.privacy.is_private();
        let (pac, batch) = (self.pac, self.batch_size);
        if pac == 0 {
            out.push(SettingFinding::new(
                "E-PAC-RANGE",
                "model.pac",
                "pac = 0: the discriminator would see no rows.",
                if private {
                    "set pac = 1 (private mode)"
                } else {
                    "set pac ≥ 1 (SDV's default is 10)"
                },
            ));
        } else if private && pac != 1 {
            out.push(SettingFinding::new(
                "E-DP-PAC",
                "model.pac",
                format!(
                    "pac = {pac}: each discriminator input would pack {pac} rows, so one person's row would change a whole pack and the per-example clipping would not bound one person's influence."
                ),
                "set pac = 1 for private training",
            ));
        } else if !private && batch >= 1 && !batch.is_multiple_of(pac) {
            let lower = batch / pac * pac;
            let upper = lower.saturating_add(pac);
            let nearest = if lower >= pac {
                format!("{lower} or {upper}")
            } else {
                upper.to_string()
            };
            out.push(SettingFinding::new(
                "E-BATCH-PAC",
                "batch_size",
                format!(
                    "batch size {batch} is not a multiple of pac = {pac}: the discriminator packs pac rows per input."
                ),
                format!("use batch size {nearest}"),
            ));
        }
        if self.discriminator_steps == 0 {
            out.push(SettingFinding::new(
                "E-DISCRIMINATOR-STEPS-ZERO",
                "model.discriminator_steps",
                "discriminator_steps = 0: the discriminator would never be trained.",
                "set discriminator_steps = 1 (SDV's default)",
            ));
        }
        network_shape_findings(
            out,
            self.embedding_dim,
            &[
                ("generator_dims", &self.generator_dims),
                ("discriminator_dims", &self.discriminator_dims),
            ],
            "SDV's CTGAN uses embedding_dim 128 and [256, 256] for both networks",
        );
    }

    fn network_size(&self, widths: DataWidths) -> NetworkSize {
        let pac = (self.pac as u64).max(1);
        let (g_parameters, g_activations) = generator_size(
            (self.embedding_dim as u64).saturating_add(widths.conditions),
            &self.generator_dims,
            widths.data,
        );
        let (d_parameters, d_activations) = mlp_size(
            widths
                .data
                .saturating_add(widths.conditions)
                .saturating_mul(pac),
            &self.discriminator_dims,
            1,
        );
        // Generator: forward activations and their gradients (×2). Discriminator: real, fake
        // and gradient-penalty passes, each with activations and gradients, plus the
        // per-example book-keeping (×6), all per packed row.
        // Saved: the generator, with two BatchNorm buffers per hidden unit.
        let buffers: u64 = self.generator_dims.iter().map(|&h| 2 * h as u64).sum();
        NetworkSize {
            parameters: g_parameters.saturating_add(d_parameters),
            floats_per_row: g_activations
                .saturating_mul(2)
                .saturating_add(d_activations.saturating_mul(6) / pac),
            saved_floats: g_parameters.saturating_add(buffers),
        }
    }

    /// At least 2 rows (the generator's BatchNorm needs two) and, without privacy, a multiple
    /// of pac (the discriminator reads rows in packs).
    fn batch_sizes(&self) -> BatchSizes {
        let multiple_of = if self.privacy.is_private() {
            1
        } else {
            self.pac.max(1)
        };
        BatchSizes {
            smallest: 2_usize.div_ceil(multiple_of).saturating_mul(multiple_of),
            multiple_of,
        }
    }

    fn report_text(&self) -> ReportText {
        ReportText {
            settings: format!(
                ", pac {}, discriminator steps {}",
                self.pac, self.discriminator_steps
            ),
            learned: dp_sgd_learned(
                "generator and discriminator (the generator only ever sees the discriminator's noisy signal)",
            ),
            clipping: "Per-example clipping to the norm C covers every loss term that touches a real row: the discriminator's real-data term and its gradient penalty on interpolates between real and generated rows. Terms computed only from generated data are post-processing and are not clipped; the generator learns only through the noisy discriminator. pac = 1, so no input mixes two people.".to_owned(),
        }
    }
}

/// Parameters and activation widths of CTGAN's generator: residual blocks (Linear +
/// BatchNorm, output concatenated to the input), then a linear output layer.
fn generator_size(input: u64, hidden: &[usize], output: u64) -> (u64, u64) {
    let mut parameters = 0_u64;
    let mut activations = input;
    let mut width = input;
    for h in hidden.iter().map(|&h| h as u64) {
        parameters =
            parameters.saturating_add(width.saturating_mul(h).saturating_add(h.saturating_mul(3)));
        activations = activations.saturating_add(h.saturating_mul(2).saturating_add(width));
        width = width.saturating_add(h);
    }
    parameters = parameters.saturating_add(width.saturating_mul(output).saturating_add(output));
    activations = activations.saturating_add(output);
    (parameters, activations)
}
