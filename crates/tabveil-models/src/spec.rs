//! [`ModelSpec`]: what the rest of the workspace needs to know about a model's settings — the
//! builder, the validator, the privacy report and the registry ask every model the same
//! questions, and each model answers them in its own folder.
//!
//! ```
//! use tabveil_models::{ModelSettings, ModelSpec, Privacy, TvaeConfig};
//!
//! let settings = ModelSettings::from(TvaeConfig::new(Privacy::NonPrivate).with_epochs(10));
//! let spec: &dyn ModelSpec = settings.spec();
//! assert_eq!(spec.schedule().unwrap().epochs, 10);
//! assert!(spec.check().is_ok());
//! ```

use std::fmt;

use candle_core::Device;
use tabveil_accountant::PrivacyLedger;
use tabveil_data::Schema;

use crate::error::{ConfigError, ConfigResult, Result};
use crate::privacy::Privacy;
use crate::registry::ModelKind;
use crate::synthesizer::DynSynthesizer;

/// The settings of one model, as everything outside the model sees them. Implemented by each
/// model's configuration type, in the model's folder; a model joins the workspace by
/// implementing it and being listed in the registry ([`ModelSettings`](crate::ModelSettings)).
pub trait ModelSpec: fmt::Debug + Send + Sync {
    /// The model's kind.
    fn kind(&self) -> ModelKind;

    /// The privacy choice.
    fn privacy(&self) -> &Privacy;

    /// The privacy choice, to replace it as it is (no other setting changes).
    fn privacy_mut(&mut self) -> &mut Privacy;

    /// The builder's privacy step: sets `privacy` and the settings whose default depends on
    /// the privacy mode while they still hold the other mode's default. By default only the
    /// privacy changes; a model documents what else it adapts.
    fn adopt_privacy(&mut self, privacy: Privacy) {
        *self.privacy_mut() = privacy;
    }

    /// Sets the seed of the ordinary (non-privacy) randomness.
    fn set_seed(&mut self, seed: u64);

    /// The DP-SGD schedule, or `None` for a model that does not train by DP-SGD (the validator
    /// then skips the schedule's checks and the DP-SGD plan).
    fn schedule(&self) -> Option<DpSgdSchedule>;

    /// Sets the number of epochs.
    ///
    /// # Errors
    /// [`ConfigError::InvalidParameter`](crate::ConfigError::InvalidParameter) for a model
    /// without epochs.
    fn set_epochs(&mut self, epochs: usize) -> ConfigResult<()>;

    /// Sets the (expected) batch size.
    ///
    /// # Errors
    /// [`ConfigError::InvalidParameter`](crate::ConfigError::InvalidParameter) for a model
    /// without batches.
    fn set_batch_size(&mut self, batch_size: usize) -> ConfigResult<()>;

    /// Sets the widths of the hidden layers of every network of the model (CTGAN: generator
    /// and discriminator; TVAE: encoder and decoder), for services that take one list.
    ///
    /// # Errors
    /// By default [`ConfigError::InvalidParameter`] (a model without hidden layers).
    fn set_hidden_dims(&mut self, dims: Vec<usize>) -> ConfigResult<()> {
        Err(ConfigError::invalid(
            "hidden_dims",
            format!("{dims:?}"),
            "a model with hidden layers",
        ))
    }

    /// Sets the width of the model's latent noise or code.
    ///
    /// # Errors
    /// By default [`ConfigError::InvalidParameter`] (a model without an embedding).
    fn set_embedding_dim(&mut self, dim: usize) -> ConfigResult<()> {
        Err(ConfigError::invalid(
            "embedding_dim",
            dim,
            "a model with an embedding",
        ))
    }

    /// The privacy ledger a private run on a table of `schema` records if it runs to the end,
    /// planned before anything touches the data: every release of the private preprocessing
    /// and of the model's own stage, computed by the same functions the fit calls. `None` for
    /// a non-private run.
    ///
    /// The model's stage is planned with the settings' released row estimate
    /// ([`DpConfig::with_row_estimate`](crate::DpConfig::with_row_estimate)) when one is set —
    /// the fit then plans with exactly that count, so its ledger is this one or a prefix of it
    /// (a run that stops early, fails or is cancelled releases less) — and otherwise with
    /// `rows`, which must then be public or released (never the true row count of a private
    /// table). Without a row estimate the fit plans with its own private estimate N̂ and its
    /// ledger differs from any plan made beforehand. Entry labels say "planned"; accountants
    /// read only the mechanisms.
    ///
    /// # Errors
    /// As [`ModelSpec::check`]; a schema without modelled columns or missing public bounds;
    /// an unreachable target (calibration errors); a batch larger than the planned rows.
    fn planned_ledger(&self, schema: &Schema, rows: f64) -> Result<Option<PrivacyLedger>>;

    /// The plan of a model fitted in rounds of releases rather than by DP-SGD (the marginal
    /// model), made from the settings and `schema` alone by the function the fit plans with:
    /// what the validator prints. `None` (the default) for a DP-SGD model, whose plan is its
    /// [`schedule`](Self::schedule).
    ///
    /// # Errors
    /// As [`ModelSpec::planned_ledger`].
    fn round_plan(&self, _schema: &Schema) -> Result<Option<RoundPlan>> {
        Ok(None)
    }

    /// The memory of a fit of a model whose size does not follow from network widths, from
    /// the settings and the public domain sizes of `schema`. `None` (the default): the
    /// validator estimates it from [`network_size`](Self::network_size).
    fn model_memory(&self, _schema: &Schema) -> Option<ModelMemory> {
        None
    }

    /// Names the column whose relationships with the others matter most (a prediction
    /// target), for a model that weighs them.
    ///
    /// # Errors
    /// [`ConfigError::InvalidParameter`](crate::ConfigError::InvalidParameter) for a model
    /// that takes no target (the default).
    fn set_target(&mut self, column: &str) -> ConfigResult<()> {
        Err(ConfigError::invalid(
            "target",
            column,
            "no target: only a model that weighs a target column takes one",
        ))
    }

    /// True when the model's private fit composes the releases of
    /// [`DpConfig::with_prior_releases`](crate::DpConfig::with_prior_releases) — starts its
    /// ledger with them and calibrates its noise with them composed first. A model that does
    /// not (the default) must not be given any: its budget would ignore them.
    fn composes_prior_releases(&self) -> bool {
        false
    }

    /// Checks every value; a model is built only from settings that pass.
    ///
    /// # Errors
    /// [`ConfigError::InvalidParameter`](crate::ConfigError::InvalidParameter) naming the first
    /// bad value.
    fn check(&self) -> ConfigResult<()>;

    /// The validator's findings about the model's own settings (the shape of its networks,
    /// packing…), every one at once. The privacy settings, the schema and the schedule are
    /// checked by the validator itself.
    fn setting_findings(&self, out: &mut Vec<SettingFinding>);

    /// The size of the model's networks for a transformed table of the given widths (the
    /// validator's memory estimate).
    fn network_size(&self, widths: DataWidths) -> NetworkSize;

    /// The sentences of the privacy report that depend on the model.
    fn report_text(&self) -> ReportText;

    /// The batch sizes the model accepts (any by default), so that the validator's ranges and
    /// fixes name sizes that work.
    fn batch_sizes(&self) -> BatchSizes {
        BatchSizes {
            smallest: 1,
            multiple_of: 1,
        }
    }

    /// A new, unfitted model with these settings on `device`.
    ///
    /// # Errors
    /// As [`ModelSpec::check`].
    fn init(&self, device: &Device) -> Result<Box<dyn DynSynthesizer>>;
}

/// SDV's default number of epochs, for CTGAN and TVAE.
pub const DEFAULT_EPOCHS: usize = 300;
/// SDV's default batch size for CTGAN and TVAE (the *expected* Poisson batch in private mode).
pub const DEFAULT_BATCH_SIZE: usize = 500;

/// The schedule of a model trained by DP-SGD: what the validator plans and the report shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DpSgdSchedule {
    /// Passes over the data (in private mode, expected passes of Poisson batches).
    pub epochs: usize,
    /// Rows per batch (in private mode the expected size B of a Poisson batch).
    pub batch_size: usize,
    /// Private gradient releases per optimiser step (CTGAN's discriminator steps, each on its
    /// own Poisson batch; 1 for TVAE).
    pub releases_per_step: usize,
}

/// One finding of a model about its own settings, for the validator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingFinding {
    /// The stable code, as listed in `tabveil-validate`'s catalogue (e.g. `"E-PAC-RANGE"`);
    /// its severity comes with the code.
    pub code: &'static str,
    /// The setting, e.g. `model.pac`.
    pub field: String,
    /// One sentence saying what is wrong.
    pub reason: String,
    /// A concrete fix.
    pub fix: String,
}

impl SettingFinding {
    /// A finding of `code` about `field`.
    pub fn new(
        code: &'static str,
        field: impl Into<String>,
        reason: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        SettingFinding {
            code,
            field: field.into(),
            reason: reason.into(),
            fix: fix.into(),
        }
    }
}

/// The widths of a transformed table, as the memory estimate counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataWidths {
    /// Width of the transformed training matrix.
    pub data: u64,
    /// Width of the condition vector (the one-hot widths of the discrete columns).
    pub conditions: u64,
}

/// The size of a model's networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkSize {
    /// Trainable parameters of all networks.
    pub parameters: u64,
    /// Floats kept per (packed) row of a batch: activations, their gradients and the
    /// per-example book-keeping.
    pub floats_per_row: u64,
    /// Floats the saved model keeps: the parameters and buffers of the networks sampling
    /// needs.
    pub saved_floats: u64,
}

/// The plan of a model fitted in rounds ([`ModelSpec::round_plan`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RoundPlan {
    /// Releases before the rounds: one one-way histogram per modelled column.
    pub one_way_releases: usize,
    /// The rounds the initial noise is planned for (a run may stop sooner: see the model).
    pub rounds: usize,
    /// The privacy side (`None` for a non-private fit).
    pub private: Option<PrivateRoundPlan>,
}

/// The privacy side of a [`RoundPlan`].
#[derive(Debug, Clone, PartialEq)]
pub struct PrivateRoundPlan {
    /// The run's budget in zCDP, ρ: the largest whose Gaussian mechanism, composed after the
    /// prior releases, the accountant gives at most the target ε.
    pub zcdp_rho: f64,
    /// The noise multiplier of every one-way histogram (L2 sensitivity 1).
    pub one_way_noise_multiplier: f64,
    /// The initial noise multiplier of a round's measurement (L2 sensitivity 1).
    pub round_noise_multiplier: f64,
    /// The initial ε of a round's exponential-mechanism selection.
    pub selection_epsilon: f64,
    /// The run's prior releases (a private schema discovery) that open the ledger.
    pub prior_releases: usize,
    /// The planned ledger: the prior releases, the one-way histograms, then every round's
    /// selection and measurement, in that order ([`ModelSpec::planned_ledger`]).
    pub ledger: PrivacyLedger,
}

impl PrivateRoundPlan {
    /// Ledger entries per round (a selection and a measurement).
    pub const ENTRIES_PER_ROUND: usize = 2;
}

/// The memory of a fit ([`ModelSpec::model_memory`]), in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelMemory {
    /// What the fit needs whatever the data and its row count (a lower bound): what a table
    /// this wide needs at its smallest. Depends only on public inputs, so a refusal on it
    /// releases nothing.
    pub floor_bytes: u64,
    /// The most the model and its working copies take besides the rows (an upper bound).
    pub model_bytes: u64,
    /// Bytes held per row of the table while fitting (the table and its encodings).
    pub bytes_per_row: u64,
    /// The saved model's size, an upper bound.
    pub saved_bytes: u64,
}

/// The batch sizes a model accepts: multiples of `multiple_of`, from `smallest` (itself a
/// multiple) up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchSizes {
    /// The smallest batch size.
    pub smallest: usize,
    /// Every batch size is a multiple of this (at least 1).
    pub multiple_of: usize,
}

/// The sentences of the privacy report that depend on the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportText {
    /// The model's settings beyond its name, epochs and batch size (e.g. `", pac 1,
    /// discriminator steps 1"`; may be empty).
    pub settings: String,
    /// What the model's private stage learned, for the list of private releases.
    pub learned: String,
    /// What per-example clipping covers.
    pub clipping: String,
}

/// Parameters and activation widths of a plain MLP `input → hidden… → output`.
pub(crate) fn mlp_size(input: u64, hidden: &[usize], output: u64) -> (u64, u64) {
    let mut parameters = 0_u64;
    let mut activations = input;
    let mut width = input;
    for h in hidden
        .iter()
        .map(|&h| h as u64)
        .chain(std::iter::once(output))
    {
        parameters = parameters.saturating_add(width.saturating_mul(h).saturating_add(h));
        activations = activations.saturating_add(h);
        width = h;
    }
    (parameters, activations)
}

/// The sentence of the report on what a DP-SGD model's `networks` learned.
pub(crate) fn dp_sgd_learned(networks: &str) -> String {
    format!(
        "The network weights of the {networks}: trained with DP-SGD on Poisson-sampled batches, with every real row's gradient clipped and Gaussian noise added to the sum."
    )
}

/// The findings about a network's shape: an embedding or a layer of width 0.
pub(crate) fn network_shape_findings(
    out: &mut Vec<SettingFinding>,
    embedding: usize,
    layers: &[(&str, &Vec<usize>)],
    default: &str,
) {
    if embedding == 0 {
        out.push(SettingFinding::new(
            "E-NETWORK-SHAPE",
            "model.embedding_dim",
            "embedding_dim = 0: the network would have no input noise or latent space.",
            format!("use a positive size; {default}"),
        ));
    }
    for (name, dims) in layers {
        if dims.contains(&0) {
            out.push(SettingFinding::new(
                "E-NETWORK-SHAPE",
                format!("model.{name}"),
                format!("{name} = {dims:?} has a layer of width 0."),
                format!("use positive widths; {default}"),
            ));
        }
    }
}

/// The setters of the run settings every DP-SGD model's configuration `$config` has (fields
/// `epochs`, `batch_size` and `seed`).
macro_rules! dp_sgd_setters {
    ($config:ident) => {
        impl $config {
            /// Sets the number of epochs.
            #[must_use]
            pub fn with_epochs(mut self, epochs: usize) -> Self {
                self.epochs = epochs;
                self
            }

            /// Sets the (expected) batch size.
            #[must_use]
            pub fn with_batch_size(mut self, batch_size: usize) -> Self {
                self.batch_size = batch_size;
                self
            }

            /// Sets the seed of the non-privacy randomness.
            #[must_use]
            pub fn with_seed(mut self, seed: u64) -> Self {
                self.seed = seed;
                self
            }
        }
    };
}

/// The answers to [`ModelSpec`] that the configuration of every DP-SGD model (`$model`, built
/// from a checked configuration with `$model::new`) gives alike: its fields `privacy`, `seed`,
/// `epochs` and `batch_size`, its inherent `dp_sgd_schedule` and `check`, building the model,
/// and the planned ledger of the shared DP-SGD plan.
macro_rules! dp_sgd_spec_answers {
    ($model:ident) => {
        fn privacy(&self) -> &$crate::privacy::Privacy {
            &self.privacy
        }

        fn schedule(&self) -> Option<$crate::spec::DpSgdSchedule> {
            Some(self.dp_sgd_schedule())
        }

        fn privacy_mut(&mut self) -> &mut $crate::privacy::Privacy {
            &mut self.privacy
        }

        fn set_seed(&mut self, seed: u64) {
            self.seed = seed;
        }

        fn set_epochs(&mut self, epochs: usize) -> $crate::error::ConfigResult<()> {
            self.epochs = epochs;
            Ok(())
        }

        fn set_batch_size(&mut self, batch_size: usize) -> $crate::error::ConfigResult<()> {
            self.batch_size = batch_size;
            Ok(())
        }

        fn planned_ledger(
            &self,
            schema: &::tabveil_data::Schema,
            rows: f64,
        ) -> $crate::error::Result<Option<::tabveil_accountant::PrivacyLedger>> {
            match self.privacy.dp() {
                Some(dp) => {
                    self.clone().check()?;
                    $crate::dp_sgd::planned_ledger(dp, self.dp_sgd_schedule(), schema, rows)
                        .map(Some)
                }
                None => Ok(None),
            }
        }

        fn check(&self) -> $crate::error::ConfigResult<()> {
            self.clone().check().map(|_| ())
        }

        fn composes_prior_releases(&self) -> bool {
            true
        }

        fn init(
            &self,
            device: &::candle_core::Device,
        ) -> $crate::error::Result<Box<dyn $crate::synthesizer::DynSynthesizer>> {
            Ok(Box::new(
                $model::new(self.clone().check()?).with_device(device.clone()),
            ))
        }
    };
}

pub(crate) use {dp_sgd_setters, dp_sgd_spec_answers};
