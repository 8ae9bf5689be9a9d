//! The marginal model's answers to [`ModelSpec`] and its entry in the registry.

use candle_core::Device;
use tabveil_accountant::PrivacyLedger;
use tabveil_data::Schema;

use super::Marginal;
use super::config::MarginalConfig;
use super::memory::{CELL_COPIES, model_memory};
use super::release_plan::{
    ReleasePlan, is_categorical, modelled_columns, one_way_order, opening_ledger,
};
use super::saved::from_saved;
use crate::error::{ConfigError, ConfigResult, ModelError, Result};
use crate::persist::SavedModel;
use crate::privacy::Privacy;
use crate::registry::{ModelKind, ModelSettings, Registration};
use crate::spec::{
    DataWidths, DpSgdSchedule, ModelMemory, ModelSpec, NetworkSize, PrivateRoundPlan, ReportText,
    RoundPlan, SettingFinding,
};
use crate::synthesizer::DynSynthesizer;

/// The marginal model in the registry.
pub(crate) const REGISTRATION: Registration = Registration {
    kind: ModelKind::Marginal,
    name: "marginal",
    display_name: "Marginal",
    description: "Marginal-based model (noisy marginals chosen adaptively, a graphical model fitted to them: AIM-style rounds, Private-PGM); no epochs, batches or clipping.",
    defaults,
    load,
};

fn defaults(privacy: Privacy) -> ModelSettings {
    MarginalConfig::new(privacy).into()
}

/// The model is on the CPU whatever the device: it has no tensors.
fn load(saved: SavedModel, _device: &Device) -> Result<Box<dyn DynSynthesizer>> {
    Ok(Box::new(from_saved(saved)?))
}

/// What refusing a DP-SGD setting says.
const NO_SCHEDULE: &str = "not set: the marginal model has no epochs or batches";

/// Bytes the validator counts per "parameter" (`tabveil-validate`'s estimate: 4 `f32`s).
const BYTES_PER_PARAMETER: u64 = 16;

impl ModelSpec for MarginalConfig {
    fn kind(&self) -> ModelKind {
        ModelKind::Marginal
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
        None
    }

    fn set_epochs(&mut self, epochs: usize) -> ConfigResult<()> {
        Err(ConfigError::invalid("epochs", epochs, NO_SCHEDULE))
    }

    fn set_batch_size(&mut self, batch_size: usize) -> ConfigResult<()> {
        Err(ConfigError::invalid("batch_size", batch_size, NO_SCHEDULE))
    }

    fn set_target(&mut self, column: &str) -> ConfigResult<()> {
        self.target = Some(column.to_owned());
        Ok(())
    }

    fn check(&self) -> ConfigResult<()> {
        self.clone().check().map(|_| ())
    }

    /// The rounds' ρ is what the prior releases leave (`total_rho` composes them first), the
    /// ledger and every guard start with them, and the last round spends exactly the rest.
    fn composes_prior_releases(&self) -> bool {
        true
    }

    fn setting_findings(&self, out: &mut Vec<SettingFinding>) {
        // The privacy settings are the validator's; everything else is the model's check.
        let own = MarginalConfig {
            privacy: Privacy::NonPrivate,
            ..self.clone()
        };
        if let Err(ConfigError::InvalidParameter {
            parameter,
            value,
            expected,
        }) = own.check()
        {
            out.push(SettingFinding::new(
                "E-MODEL-SETTING",
                format!("model.{parameter}"),
                format!("{parameter} = {value} is out of range."),
                format!("use a value {expected} (see MarginalConfig's defaults)"),
            ));
        }
    }

    /// The model's size does not depend on the transformed widths: it is bounded by
    /// `max_model_cells`, held in eight `f64` copies while fitting; no batch.
    fn network_size(&self, _widths: DataWidths) -> NetworkSize {
        let bytes = (self.max_model_cells as u64)
            .saturating_mul(CELL_COPIES)
            .saturating_mul(8);
        NetworkSize {
            parameters: bytes.div_ceil(BYTES_PER_PARAMETER),
            floats_per_row: 0,
            // The saved model keeps its potentials (at most `max_model_cells` `f64`s, two
            // `f32`s each) besides small per-column tables.
            saved_floats: (self.max_model_cells as u64).saturating_mul(2),
        }
    }

    /// The run is adaptive (how many rounds, and with which noise, depend on noisy answers),
    /// so its ledger cannot be known before it runs. The plan is the run without annealing
    /// (`ReleasePlan`): the one-way histograms, then every planned round's selection and
    /// measurement at the initial noise, spending the whole budget. A run anneals (less noise,
    /// fewer rounds) and spends at most the same ρ, every release guarded by the accountant;
    /// its own ledger replaces this one when it ends. `rows` is not used: nothing in the plan
    /// depends on the row count.
    fn planned_ledger(&self, schema: &Schema, _rows: f64) -> Result<Option<PrivacyLedger>> {
        Ok(self
            .round_plan(schema)?
            .and_then(|p| p.private)
            .map(|p| p.ledger))
    }

    fn round_plan(&self, schema: &Schema) -> Result<Option<RoundPlan>> {
        self.clone().check()?;
        let columns = modelled_columns(schema);
        if columns.is_empty() {
            return Err(ModelError::NoModelledColumns);
        }
        let plan = ReleasePlan::new(self, columns.len())?;
        let private = match self.privacy.dp() {
            Some(dp) => {
                let categorical: Vec<bool> = columns
                    .iter()
                    .map(|&i| is_categorical(schema.columns()[i].kind()))
                    .collect();
                let names: Vec<String> = one_way_order(&categorical)
                    .into_iter()
                    .map(|a| schema.columns()[columns[a]].name().to_owned())
                    .collect();
                Some(PrivateRoundPlan {
                    zcdp_rho: plan.rho_total,
                    one_way_noise_multiplier: plan.one_way_sigma,
                    round_noise_multiplier: plan.round_sigma,
                    selection_epsilon: plan.selection_epsilon,
                    prior_releases: dp.prior_releases.len(),
                    ledger: plan.ledger(&names, opening_ledger(dp)?)?,
                })
            }
            None => None,
        };
        Ok(Some(RoundPlan {
            one_way_releases: plan.attributes,
            rounds: plan.rounds,
            private,
        }))
    }

    fn model_memory(&self, schema: &Schema) -> Option<ModelMemory> {
        Some(model_memory(self, schema))
    }

    fn report_text(&self) -> ReportText {
        ReportText {
            settings: format!(
                "{}, a junction tree of at most {} cells",
                self.target
                    .as_deref()
                    .map_or("the schema's target (if any)".to_owned(), |t| format!(
                        "target `{t}`"
                    )),
                self.max_model_cells
            ),
            learned: "Per column: a histogram of its cells (categories, or fine cells over the declared bounds, and missing values), released once with Gaussian noise (L2 sensitivity 1); the model's cells and the decoding of a cell to values are fitted on it (post-processing). Then, round by round, one marginal of a few columns (pairs, and triples with the target) chosen by an exponential mechanism among the workload's marginals (scores of sensitivity 1), and released with Gaussian noise (L2 sensitivity 1: one row is in one cell of a contingency table). A graphical model is fitted to those noisy marginals (post-processing) and synthetic rows are sampled from it.".to_owned(),
            clipping: "No gradients and no clipping: every release is a count vector or a selection score whose sensitivity to one row is 1 by construction.".to_owned(),
        }
    }

    fn init(&self, _device: &Device) -> Result<Box<dyn DynSynthesizer>> {
        Ok(Box::new(Marginal::new(self.clone().check()?)))
    }
}
