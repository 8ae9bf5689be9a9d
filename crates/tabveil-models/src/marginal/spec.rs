//! The marginal model's answers to [`ModelSpec`] and its entry in the registry.

use candle_core::Device;
use tabveil_accountant::{LedgerEntry, PrivacyEvent, PrivacyLedger, Stage};
use tabveil_data::Schema;

use super::Marginal;
use super::config::MarginalConfig;
use super::saved::from_saved;
use crate::error::{ConfigError, ConfigResult, Result};
use crate::persist::SavedModel;
use crate::privacy::Privacy;
use crate::registry::{ModelKind, ModelSettings, Registration};
use crate::spec::{DataWidths, DpSgdSchedule, ModelSpec, NetworkSize, ReportText, SettingFinding};
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

/// Copies of the model's cells held while fitting: potentials, marginals, the gradient and
/// their trial copies, and the junction tree's beliefs and messages, as `f64`.
const CELL_COPIES: u64 = 8;
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
    /// `max_model_cells`, held in [`CELL_COPIES`] `f64` copies while fitting; no batch.
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

    /// The run is adaptive (how many rounds, and which marginals, depend on noisy answers),
    /// so its ledger cannot be known before it runs. The plan is an upper bound instead: one
    /// Gaussian mechanism of the run's whole zCDP budget ρ (the largest ρ whose Gaussian the
    /// run's accountant gives at most the target ε; every release is charged its ρ and the
    /// run never exceeds the total, and an RDP guard checks each release). Under RDP this
    /// Gaussian's curve α·ρ bounds the run's; the run's own ledger replaces it when it ends.
    fn planned_ledger(&self, _schema: &Schema, _rows: f64) -> Result<Option<PrivacyLedger>> {
        let Some(dp) = self.privacy.dp() else {
            return Ok(None);
        };
        let rho = super::budget::total_rho(dp.epsilon, dp.delta, &dp.accountant)?;
        let mut ledger = PrivacyLedger::new();
        if dp.is_noise_seeded() {
            ledger.mark_noise_seeded();
        }
        ledger.record(LedgerEntry::new(
            "planned: the whole marginal run, bounded by one Gaussian of its total zCDP ρ",
            Stage::Training,
            PrivacyEvent::gaussian((0.5 / rho).sqrt(), 1)?,
        )?)?;
        Ok(Some(ledger))
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
