//! [`Shell`]: what every model's type holds and does the same way — its checked settings, its
//! device, the fitted state and the fit's summary; fitting in private or non-private mode,
//! sampling, saving and loading around the model's own [`Parts`] — and
//! [`synthesizer_shell!`], which gives a model's type its common methods and its
//! [`Synthesizer`](crate::Synthesizer) implementation from the shell.

use std::fmt;
use std::ops::Deref;

use candle_core::Device;
use tabveil_accountant::PrivacyLedger;
use tabveil_data::{
    ConditionLayout, DataError, DataTransformer, DataTransformerConfig, Matrix, Schema, Table,
};
use tabveil_sgd::WhiteBoxAudit;

use crate::error::{ConfigError, ModelError, Result};
use crate::persist::SavedModel;
use crate::privacy::{DpConfig, Privacy};
use crate::progress::{ColumnProgress, Progress};
use crate::registry::ModelSettings;
use crate::sampling::{self, Generate, SampleChunks};
use crate::seeds::{Stream, derived_seed};
use crate::spec::ModelSpec;
use crate::synthesizer::{Condition, DynSynthesizer, FitSummary};

/// What a model does its own way; the [`Shell`] does the rest.
pub(crate) trait Parts {
    /// The model's settings (its configuration type).
    type Settings: ModelSpec + Clone + Into<ModelSettings>;
    /// The checked settings a model is built from.
    type Config: Clone + fmt::Debug + Send + Sync + Deref<Target = Self::Settings>;
    /// The fitted state: everything sampling needs.
    type State: Clone + fmt::Debug + Send + Sync;

    /// The part of the fitted state every model keeps.
    fn basis(state: &Self::State) -> &Basis;

    /// Fits without privacy.
    fn fit_non_private(config: &Self::Config, input: FitInput<'_>) -> Fit<Self::State>;

    /// Fits with differential privacy (`dp`).
    fn fit_private(config: &Self::Config, dp: &DpConfig, input: FitInput<'_>) -> Fit<Self::State>;

    /// How the fitted model generates rows.
    type Generator<'a>: Generate
    where
        Self: 'a;

    /// The generator of a fitted model with these settings.
    fn generator<'a>(config: &'a Self::Config, state: &'a Self::State) -> Self::Generator<'a>;

    /// The saved form of a fitted model.
    fn to_saved(
        config: &Self::Config,
        state: &Self::State,
        summary: &FitSummary,
    ) -> Result<SavedModel>;

    /// A fitted model from its saved form, on `device`.
    fn from_saved(
        saved: SavedModel,
        device: &Device,
    ) -> Result<(Self::Config, Self::State, FitSummary)>;
}

/// What a fit works on.
pub(crate) struct FitInput<'a> {
    /// The table (of `schema`).
    pub(crate) table: &'a Table,
    /// Its schema.
    pub(crate) schema: &'a Schema,
    /// The device to train on.
    pub(crate) device: &'a Device,
    /// Where progress goes (it may cancel).
    pub(crate) progress: &'a mut dyn Progress,
    /// A white-box audit to run the private fit under ([`Shell::fit_under_audit`]; never set
    /// for a non-private fit). The DP-SGD set-up ([`DpSgd`](crate::dp_sgd::DpSgd)) takes it.
    pub(crate) audit: Option<WhiteBoxAudit>,
}

impl<'a> FitInput<'a> {
    /// The table, its schema, the device and the progress callback.
    pub(crate) fn parts(self) -> (&'a Table, &'a Schema, &'a Device, &'a mut dyn Progress) {
        (self.table, self.schema, self.device, self.progress)
    }
}

/// A table encoded by a transformer fitted on it exactly (no privacy).
pub(crate) struct Encoded {
    /// The transformer, fitted on the raw table.
    pub(crate) transformer: DataTransformer,
    /// The encoded rows (row-major, the transformer's width).
    pub(crate) data: Vec<f32>,
}

/// What every non-private fit does first: the transformer fitted on `table` (per-column
/// progress, which may cancel), then the table encoded with the per-row mode draws of `seed`.
/// **No privacy**: everything here is exact.
///
/// # Errors
/// [`ModelError::EmptyTable`], [`ModelError::Cancelled`], [`ModelError::NoModelledColumns`],
/// errors of the data crate.
pub(crate) fn encode_exactly(
    table: &Table,
    schema: &Schema,
    config: &DataTransformerConfig,
    seed: u64,
    progress: &mut dyn Progress,
) -> Result<Encoded> {
    if table.n_rows() == 0 {
        return Err(ModelError::EmptyTable);
    }
    let transformer = match DataTransformer::fit_with_progress(
        table,
        schema,
        config,
        &mut ColumnProgress(progress),
    ) {
        Ok(t) => t,
        Err(DataError::Cancelled) => return Err(ModelError::Cancelled),
        Err(e) => return Err(e.into()),
    };
    if transformer.layout().width() == 0 {
        return Err(ModelError::NoModelledColumns);
    }
    let data = transformer
        .transform(table, derived_seed(seed, Stream::Transform))?
        .into_vec();
    Ok(Encoded { transformer, data })
}

/// What a fit returns: the fitted state and the fit's summary.
pub(crate) type Fit<S> = Result<(S, FitSummary)>;

/// The fitted state every model keeps beside its networks: the schema, the transformer (fitted
/// from DP releases in private mode), its condition layout and, in private mode, the ledger.
#[derive(Debug, Clone)]
pub(crate) struct Basis {
    pub(crate) schema: Schema,
    pub(crate) transformer: DataTransformer,
    pub(crate) conditions: ConditionLayout,
    pub(crate) ledger: Option<PrivacyLedger>,
}

impl Basis {
    /// The table of generated `values` (rows of width `dim` in the transformer's matrix form).
    ///
    /// # Errors
    /// [`ModelError::NonFinite`] for a non-finite value; errors of the inverse transform.
    pub(crate) fn decode(&self, values: Vec<f32>, dim: usize) -> Result<Table> {
        let matrix = Matrix::new(values, dim)?;
        if matrix.as_slice().iter().any(|v| !v.is_finite()) {
            return Err(ModelError::NonFinite {
                what: "a generated value",
            });
        }
        Ok(self.transformer.inverse_transform(&matrix)?)
    }

    pub(crate) fn new(
        schema: Schema,
        transformer: DataTransformer,
        ledger: Option<PrivacyLedger>,
    ) -> Self {
        Basis {
            schema,
            conditions: ConditionLayout::new(&transformer),
            transformer,
            ledger,
        }
    }
}

/// A model of `P`: built from checked settings, then fitted or loaded.
#[derive(Debug, Clone)]
pub(crate) struct Shell<P: Parts> {
    pub(crate) config: P::Config,
    device: Device,
    fitted: Option<P::State>,
    summary: Option<FitSummary>,
}

impl<P: Parts> Shell<P> {
    pub(crate) fn new(config: P::Config) -> Self {
        Shell {
            config,
            device: Device::Cpu,
            fitted: None,
            summary: None,
        }
    }

    pub(crate) fn with_device(mut self, device: Device) -> Self {
        self.device = device;
        self
    }

    pub(crate) fn fitted(&self) -> Result<&P::State> {
        self.fitted.as_ref().ok_or(ModelError::NotFitted)
    }

    pub(crate) fn is_fitted(&self) -> bool {
        self.fitted.is_some()
    }

    fn basis(&self) -> Option<&Basis> {
        self.fitted.as_ref().map(P::basis)
    }

    pub(crate) fn transformer(&self) -> Option<&DataTransformer> {
        self.basis().map(|b| &b.transformer)
    }

    pub(crate) fn schema(&self) -> Option<&Schema> {
        self.basis().map(|b| &b.schema)
    }

    pub(crate) fn ledger(&self) -> Option<&PrivacyLedger> {
        self.basis().and_then(|b| b.ledger.as_ref())
    }

    pub(crate) fn summary(&self) -> Option<&FitSummary> {
        self.summary.as_ref()
    }

    pub(crate) fn settings(&self) -> ModelSettings {
        (*self.config).clone().into()
    }

    /// Fits in the configured privacy mode, replacing any previous fit.
    pub(crate) fn fit(
        &mut self,
        table: &Table,
        schema: &Schema,
        progress: &mut dyn Progress,
    ) -> Result<FitSummary> {
        let input = FitInput {
            table,
            schema,
            device: &self.device,
            progress,
            audit: None,
        };
        let (fitted, summary) = match self.config.privacy() {
            Privacy::NonPrivate => P::fit_non_private(&self.config, input)?,
            Privacy::Dp(dp) => P::fit_private(&self.config, dp, input)?,
        };
        // Every fit loads its own saved form back before it reports success, so that no fit
        // (a private one has spent its budget) ends with a model that cannot be loaded.
        if let Err(e) = self.loads_back(&fitted, &summary) {
            let e = ModelError::UnloadableFit {
                reason: e.to_string(),
            };
            return Err(match P::basis(&fitted).ledger.clone() {
                Some(ledger) => ModelError::after_releases(e, ledger),
                None => e,
            });
        }
        self.fitted = Some(fitted);
        self.summary = Some(summary.clone());
        Ok(summary)
    }

    /// The saved form of a fit, as bytes, read back into a model.
    fn loads_back(&self, fitted: &P::State, summary: &FitSummary) -> Result<()> {
        crate::dp_sgd::fault("load_back")?;
        let bytes = P::to_saved(&self.config, fitted, summary)?.to_bytes()?;
        P::from_saved(SavedModel::from_bytes(&bytes)?, &self.device).map(|_| ())
    }

    /// Fits privately under a white-box audit (see
    /// [`Synthesizer::fit_under_audit`](crate::Synthesizer::fit_under_audit)), replacing any
    /// previous fit.
    ///
    /// # Errors
    /// [`ConfigError::InvalidParameter`] for a non-private configuration; otherwise as the
    /// private fit.
    pub(crate) fn fit_under_audit(
        &mut self,
        table: &Table,
        schema: &Schema,
        progress: &mut dyn Progress,
        audit: WhiteBoxAudit,
    ) -> Result<FitSummary> {
        let Privacy::Dp(dp) = self.config.privacy() else {
            return Err(ConfigError::invalid(
                "white-box audit",
                "non-private",
                "a private (DP-SGD) configuration",
            )
            .into());
        };
        let input = FitInput {
            table,
            schema,
            device: &self.device,
            progress,
            audit: Some(audit),
        };
        let (fitted, summary) = P::fit_private(&self.config, dp, input)?;
        self.fitted = Some(fitted);
        self.summary = Some(summary.clone());
        Ok(summary)
    }

    pub(crate) fn sample(&self, n: usize, seed: u64) -> Result<Table> {
        sampling::sample(P::generator(&self.config, self.fitted()?), n, seed)
    }

    pub(crate) fn sample_chunks(
        &self,
        n: usize,
        seed: u64,
        chunk_rows: usize,
    ) -> Result<SampleChunks<'_>> {
        let generator = P::generator(&self.config, self.fitted()?);
        sampling::sample_chunks(generator, n, seed, chunk_rows)
    }

    pub(crate) fn sample_conditional_chunks(
        &self,
        n: usize,
        conditions: &[Condition],
        seed: u64,
        chunk_rows: usize,
    ) -> Result<SampleChunks<'_>> {
        let generator = P::generator(&self.config, self.fitted()?);
        sampling::sample_conditional_chunks(generator, n, conditions, seed, chunk_rows)
    }

    pub(crate) fn sample_conditional(
        &self,
        n: usize,
        conditions: &[Condition],
        seed: u64,
    ) -> Result<Table> {
        let generator = P::generator(&self.config, self.fitted()?);
        sampling::sample_conditional(generator, n, conditions, seed)
    }

    pub(crate) fn saved(&self) -> Result<SavedModel> {
        let fitted = self.fitted()?;
        let summary = self.summary.as_ref().ok_or(ModelError::NotFitted)?;
        P::to_saved(&self.config, fitted, summary)
    }

    pub(crate) fn from_saved(saved: SavedModel, device: &Device) -> Result<Self> {
        let (config, fitted, summary) = P::from_saved(saved, device)?;
        Ok(Shell {
            config,
            device: device.clone(),
            fitted: Some(fitted),
            summary: Some(summary),
        })
    }
}

/// A saved model of `P` loaded as the model type `M` (a registry loader).
///
/// # Errors
/// As the model's loader.
pub(crate) fn load_as<P: Parts, M>(
    saved: SavedModel,
    device: &Device,
) -> Result<Box<dyn DynSynthesizer>>
where
    M: From<Shell<P>> + DynSynthesizer + 'static,
{
    Ok(Box::new(M::from(Shell::from_saved(saved, device)?)))
}

/// The [`Parts`] methods of a model folder laid out the usual way, for the checked settings
/// `$config` and the fitted state `$state` (a struct with a `basis` field): the non-private
/// fit is `train::fit`, the private one `private::fit`, the saved form `saved::to_saved` and
/// `saved::from_saved` (paths from the folder's `mod.rs`, where the macro is used).
macro_rules! folder_parts {
    ($config:ty, $state:ty) => {
        fn basis(state: &$state) -> &$crate::shell::Basis {
            &state.basis
        }

        fn fit_non_private(
            config: &$config,
            input: $crate::shell::FitInput<'_>,
        ) -> $crate::shell::Fit<$state> {
            train::fit(config, input)
        }

        fn fit_private(
            config: &$config,
            dp: &$crate::privacy::DpConfig,
            input: $crate::shell::FitInput<'_>,
        ) -> $crate::shell::Fit<$state> {
            private::fit(config, dp, input)
        }

        fn to_saved(
            config: &$config,
            state: &$state,
            summary: &$crate::synthesizer::FitSummary,
        ) -> $crate::error::Result<$crate::persist::SavedModel> {
            saved::to_saved(config, state, summary)
        }

        fn from_saved(
            saved: $crate::persist::SavedModel,
            device: &::candle_core::Device,
        ) -> $crate::error::Result<($config, $state, $crate::synthesizer::FitSummary)> {
            saved::from_saved(saved, device)
        }
    };
}

pub(crate) use folder_parts;

/// The common methods of a model's type `$model` (a struct with one field, `shell`, of
/// `Shell<$parts>`) whose checked settings are `$config`, and its `Synthesizer`
/// implementation.
macro_rules! synthesizer_shell {
    ($model:ident, $config:ty, $parts:ty) => {
        impl From<$crate::shell::Shell<$parts>> for $model {
            fn from(shell: $crate::shell::Shell<$parts>) -> Self {
                $model { shell }
            }
        }

        impl $model {
            /// An unfitted model on the CPU.
            pub fn new(config: $config) -> Self {
                $model {
                    shell: $crate::shell::Shell::new(config),
                }
            }

            /// The same model on `device` (set it before fitting; a fitted model keeps its
            /// device).
            #[must_use]
            pub fn with_device(self, device: ::candle_core::Device) -> Self {
                $model {
                    shell: self.shell.with_device(device),
                }
            }

            /// The configuration.
            pub fn config(&self) -> &$config {
                &self.shell.config
            }

            /// True once fitted or loaded.
            pub fn is_fitted(&self) -> bool {
                self.shell.is_fitted()
            }

            /// The fitted transformer (public or DP in private mode).
            pub fn transformer(&self) -> Option<&::tabveil_data::DataTransformer> {
                self.shell.transformer()
            }

            /// Loads a model saved with [`Synthesizer::save`](crate::Synthesizer::save) onto
            /// `device`.
            ///
            /// # Errors
            /// As [`Synthesizer::load`](crate::Synthesizer::load).
            pub fn load_on(
                dir: &::std::path::Path,
                device: &::candle_core::Device,
            ) -> $crate::error::Result<Self> {
                let saved = $crate::persist::SavedModel::load_dir(dir)?;
                Ok($model {
                    shell: $crate::shell::Shell::from_saved(saved, device)?,
                })
            }

            /// Loads a model from the bytes of
            /// [`Synthesizer::to_bytes`](crate::Synthesizer::to_bytes) onto `device`.
            ///
            /// # Errors
            /// As [`Synthesizer::load`](crate::Synthesizer::load).
            pub fn from_bytes_on(
                bytes: &[u8],
                device: &::candle_core::Device,
            ) -> $crate::error::Result<Self> {
                let saved = $crate::persist::SavedModel::from_bytes(bytes)?;
                Ok($model {
                    shell: $crate::shell::Shell::from_saved(saved, device)?,
                })
            }
        }

        impl $crate::synthesizer::Synthesizer for $model {
            fn kind(&self) -> $crate::registry::ModelKind {
                $crate::spec::ModelSpec::kind(&*self.shell.config)
            }

            fn fit(
                &mut self,
                table: &::tabveil_data::Table,
                schema: &::tabveil_data::Schema,
                progress: &mut dyn $crate::progress::Progress,
            ) -> $crate::error::Result<$crate::synthesizer::FitSummary> {
                self.shell.fit(table, schema, progress)
            }

            fn fit_under_audit(
                &mut self,
                table: &::tabveil_data::Table,
                schema: &::tabveil_data::Schema,
                progress: &mut dyn $crate::progress::Progress,
                audit: ::tabveil_sgd::WhiteBoxAudit,
            ) -> $crate::error::Result<$crate::synthesizer::FitSummary> {
                self.shell.fit_under_audit(table, schema, progress, audit)
            }

            fn sample(&self, n: usize, seed: u64) -> $crate::error::Result<::tabveil_data::Table> {
                self.shell.sample(n, seed)
            }

            fn sample_conditional(
                &self,
                n: usize,
                conditions: &[$crate::synthesizer::Condition],
                seed: u64,
            ) -> $crate::error::Result<::tabveil_data::Table> {
                self.shell.sample_conditional(n, conditions, seed)
            }

            fn schema(&self) -> Option<&::tabveil_data::Schema> {
                self.shell.schema()
            }

            fn summary(&self) -> Option<&$crate::synthesizer::FitSummary> {
                self.shell.summary()
            }

            fn settings(&self) -> $crate::registry::ModelSettings {
                self.shell.settings()
            }

            fn ledger(&self) -> Option<&::tabveil_accountant::PrivacyLedger> {
                self.shell.ledger()
            }

            fn sample_chunks(
                &self,
                n: usize,
                seed: u64,
                chunk_rows: usize,
            ) -> $crate::error::Result<$crate::sampling::SampleChunks<'_>> {
                self.shell.sample_chunks(n, seed, chunk_rows)
            }

            fn sample_conditional_chunks(
                &self,
                n: usize,
                conditions: &[$crate::synthesizer::Condition],
                seed: u64,
                chunk_rows: usize,
            ) -> $crate::error::Result<$crate::sampling::SampleChunks<'_>> {
                self.shell
                    .sample_conditional_chunks(n, conditions, seed, chunk_rows)
            }

            fn save(&self, dir: &::std::path::Path) -> $crate::error::Result<()> {
                $crate::persist::save_model_dir(dir, &[], |staging| self.save_into(staging))
            }

            fn save_into(
                &self,
                staging: &$crate::persist::StagingDir,
            ) -> $crate::error::Result<()> {
                self.shell.saved()?.write_into(staging)
            }

            fn to_bytes(&self) -> $crate::error::Result<Vec<u8>> {
                self.shell.saved()?.to_bytes()
            }

            fn load(dir: &::std::path::Path) -> $crate::error::Result<Self> {
                Self::load_on(dir, &::candle_core::Device::Cpu)
            }

            fn from_bytes(bytes: &[u8]) -> $crate::error::Result<Self> {
                Self::from_bytes_on(bytes, &::candle_core::Device::Cpu)
            }
        }
    };
}

pub(crate) use synthesizer_shell;
