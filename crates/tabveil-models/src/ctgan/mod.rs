//! [`Ctgan`]: the conditional tabular GAN of Xu et al. (2019) as SDV's CTGAN 0.12 implements
//! it, and its differentially private variant.
//!
//! - **Non-private** ([`Privacy::NonPrivate`]): SDV's algorithm —
//!   mode-specific normalisation, training-by-sampling with log-frequency conditions, a
//!   residual generator with BatchNorm and a soft gumbel-softmax (τ = 0.2), a pac-10
//!   discriminator with LeakyReLU 0.2 and dropout 0.5, WGAN-GP (λ = 10), the conditional
//!   cross-entropy, Adam 2e-4 (0.5, 0.9) with coupled L2 1e-6. Differences, on purpose:
//!   generation draws conditions from the true frequencies (SDV uses the log-frequency table),
//!   conditional sampling works for every categorical column (SDV's offsets are all zero), and
//!   BatchNorm runs in evaluation mode when sampling.
//! - **Private** ([`Privacy::Dp`]): the private preprocessing, DP-SGD on
//!   the discriminator with Poisson batches and per-example clipping of the real-data term
//!   together with its gradient penalty, pac = 1, conditions from DP-noisy frequencies, joint
//!   calibration of the whole pipeline to (ε, δ). The privacy argument is written beside the
//!   code of the private training loop.
//!
//! Randomness: the config's `seed` fixes initialisation, dropout, gumbel noise, condition draws
//! and generation; in private mode the privacy randomness (row sampling, every noise draw, the
//! per-example randomness of the clipped terms) comes from the operating system unless the
//! dangerous noise seed is set. With both seeds a CPU run is bit-reproducible.
//!
//! # Example
//! ```
//! use tabveil_data::{ColumnSchema, Schema, Table, Value};
//! use tabveil_models::{Condition, Ctgan, CtganConfig, NoProgress, Privacy, Synthesizer};
//!
//! let schema = Schema::new("t", vec![
//!     ColumnSchema::continuous("x", Some(0.0), Some(10.0)),
//!     ColumnSchema::categorical("c", ["a", "b"]),
//! ])?;
//! let rows: Vec<Vec<Value>> = (0..200)
//!     .map(|i| vec![Value::Number((i % 10) as f64), Value::from(if i % 4 == 0 { "a" } else { "b" })])
//!     .collect();
//! let table = Table::from_rows(&schema, &rows)?;
//!
//! // A small, quick configuration (SDV's defaults are 300 epochs of batches of 500).
//! let config = CtganConfig::new(Privacy::NonPrivate)
//!     .with_epochs(2)
//!     .with_batch_size(50)
//!     .with_dims(vec![16], vec![16])
//!     .with_embedding_dim(8)
//!     .check()?;
//! let mut model = Ctgan::new(config);
//! model.fit(&table, &schema, &mut NoProgress)?;
//! let synthetic = model.sample(100, 7)?;
//! assert_eq!(synthetic.n_rows(), 100);
//! let only_a = model.sample_conditional(10, &[Condition::new("c", "a")], 7)?;
//! assert!(only_a.column("c").unwrap().as_categorical().unwrap().iter().all(|&v| v == 0));
//! let again = Ctgan::from_bytes(&model.to_bytes()?)?;
//! assert_eq!(again.sample(100, 7)?, synthetic);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod config;
mod marginals;
mod networks;
mod private;
mod sample;
mod saved;
mod train;

use std::path::Path;

use candle_core::Device;
use tabveil_accountant::PrivacyLedger;
use tabveil_data::{ConditionLayout, DataTransformer, GenerationSampler, Schema, Table};
use tabveil_sgd::WhiteBoxAudit;

pub use config::{CtganConfig, DpFakeTerm, ValidCtganConfig};

use crate::error::{ModelError, Result};
use crate::persist::SavedModel;
use crate::privacy::Privacy;
use crate::progress::Progress;
use crate::synthesizer::{Condition, FitSummary, ModelKind, Synthesizer};
use networks::Networks;

/// A CTGAN model: built from a checked configuration, then fitted or loaded (see the
/// [module docs](self)).
#[derive(Debug, Clone)]
pub struct Ctgan {
    config: ValidCtganConfig,
    device: Device,
    fitted: Option<Fitted>,
    summary: Option<FitSummary>,
}

/// The state of a fitted model: everything sampling needs, nothing else.
#[derive(Debug, Clone)]
pub(crate) struct Fitted {
    schema: Schema,
    transformer: DataTransformer,
    conditions: ConditionLayout,
    generation: GenerationSampler,
    nets: Networks,
    ledger: Option<PrivacyLedger>,
}

impl Fitted {
    pub(crate) fn new(
        schema: Schema,
        transformer: DataTransformer,
        generation: GenerationSampler,
        nets: Networks,
        ledger: Option<PrivacyLedger>,
    ) -> Result<Self> {
        Ok(Fitted {
            schema,
            transformer,
            conditions: generation.layout().clone(),
            generation,
            nets,
            ledger,
        })
    }
}

impl Ctgan {
    /// An unfitted model on the CPU.
    pub fn new(config: ValidCtganConfig) -> Self {
        Ctgan {
            config,
            device: Device::Cpu,
            fitted: None,
            summary: None,
        }
    }

    /// The same model on `device` (set it before fitting; a fitted model keeps its device).
    #[must_use]
    pub fn with_device(mut self, device: Device) -> Self {
        self.device = device;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &ValidCtganConfig {
        &self.config
    }

    /// What the last fit did (also available after loading a saved model).
    pub fn summary(&self) -> Option<&FitSummary> {
        self.summary.as_ref()
    }

    /// True once fitted or loaded.
    pub fn is_fitted(&self) -> bool {
        self.fitted.is_some()
    }

    /// The fitted transformer (public or DP in private mode).
    pub fn transformer(&self) -> Option<&DataTransformer> {
        self.fitted.as_ref().map(|f| &f.transformer)
    }

    /// Loads a model saved with [`Synthesizer::save`] onto `device`.
    ///
    /// # Errors
    /// As [`Synthesizer::load`].
    pub fn load_on(dir: &Path, device: &Device) -> Result<Self> {
        saved::from_saved(SavedModel::load_dir(dir)?, device)
    }

    /// Loads a model from the bytes of [`Synthesizer::to_bytes`] onto `device`.
    ///
    /// # Errors
    /// As [`Synthesizer::load`].
    pub fn from_bytes_on(bytes: &[u8], device: &Device) -> Result<Self> {
        saved::from_saved(SavedModel::from_bytes(bytes)?, device)
    }

    fn fitted(&self) -> Result<&Fitted> {
        self.fitted.as_ref().ok_or(ModelError::NotFitted)
    }

    fn saved(&self) -> Result<SavedModel> {
        let fitted = self.fitted()?;
        let summary = self.summary.as_ref().ok_or(ModelError::NotFitted)?;
        saved::to_saved(&self.config, fitted, summary)
    }
}

impl Synthesizer for Ctgan {
    fn kind(&self) -> ModelKind {
        ModelKind::Ctgan
    }

    fn fit(
        &mut self,
        table: &Table,
        schema: &Schema,
        progress: &mut dyn Progress,
    ) -> Result<FitSummary> {
        let (fitted, summary) = match &self.config.privacy {
            Privacy::NonPrivate => train::fit(&self.config, table, schema, &self.device, progress)?,
            Privacy::Dp(dp) => private::fit(
                &self.config,
                dp,
                table,
                schema,
                &self.device,
                progress,
                None,
            )?,
        };
        self.fitted = Some(fitted);
        self.summary = Some(summary.clone());
        Ok(summary)
    }

    fn fit_under_audit(
        &mut self,
        table: &Table,
        schema: &Schema,
        progress: &mut dyn Progress,
        audit: WhiteBoxAudit,
    ) -> Result<FitSummary> {
        let Privacy::Dp(dp) = &self.config.privacy else {
            return Err(ModelError::invalid(
                "white-box audit",
                "non-private",
                "a private (DP-SGD) configuration",
            ));
        };
        let (fitted, summary) = private::fit(
            &self.config,
            dp,
            table,
            schema,
            &self.device,
            progress,
            Some(audit),
        )?;
        self.fitted = Some(fitted);
        self.summary = Some(summary.clone());
        Ok(summary)
    }

    fn sample(&self, n: usize, seed: u64) -> Result<Table> {
        self.fitted()?.sample(n, seed)
    }

    fn sample_conditional(&self, n: usize, conditions: &[Condition], seed: u64) -> Result<Table> {
        self.fitted()?.sample_conditional(n, conditions, seed)
    }

    fn schema(&self) -> Option<&Schema> {
        self.fitted.as_ref().map(|f| &f.schema)
    }

    fn ledger(&self) -> Option<&PrivacyLedger> {
        self.fitted.as_ref().and_then(|f| f.ledger.as_ref())
    }

    fn save(&self, dir: &Path) -> Result<()> {
        self.saved()?.save_dir(dir)
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        self.saved()?.to_bytes()
    }

    fn load(dir: &Path) -> Result<Self> {
        Self::load_on(dir, &Device::Cpu)
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::from_bytes_on(bytes, &Device::Cpu)
    }
}

#[cfg(test)]
mod tests;
