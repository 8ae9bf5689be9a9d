//! [`Tvae`]: the tabular variational autoencoder of Xu et al. (2019) as SDV's TVAE 0.12
//! implements it, and its differentially private variant.
//!
//! - **Non-private** ([`Privacy::NonPrivate`]): SDV's algorithm —
//!   mode-specific normalisation; an encoder (ReLU layers, then μ and log σ² heads) and a
//!   decoder (ReLU layers) with a learned per-column scale σ clamped to [0.01, 1] after every
//!   step; the loss f·(Gaussian log-likelihood of each continuous scalar under tanh(x̂) with
//!   scale σ, plus the cross-entropy of every softmax block) + KL divergence, averaged over the
//!   batch; shuffled batches without replacement, the last one smaller (`drop_last = false`);
//!   Adam 1e-3 with coupled L2 1e-5.
//! - **Sampling**: z ~ N(0, I) → decoder; each continuous scalar is tanh(x̂) plus N(0, σ²)
//!   noise (as SDV); each softmax block (category, mode, null indicator) is *drawn from the
//!   decoder's softmax* by default ([`TvaeSampling::Softmax`]) or decoded as SDV does, by
//!   argmax ([`TvaeSampling::Argmax`]), which collapses high-entropy columns to their modes.
//!   [`Tvae::with_sampling`] switches a fitted model (post-processing).
//! - **Conditional sampling**: TVAE has no condition vector, so every condition is enforced by
//!   rejection: rows are generated in chunks and those meeting all conditions kept, up to a cap
//!   (200 rows generated per row asked, at least 20 000), after which the call fails with
//!   [`ModelError::ConditionTooRare`]. The rows kept are
//!   exact draws from the model's distribution given the conditions.
//! - **Private** ([`Privacy::Dp`]): the private preprocessing, then DP-SGD
//!   on Poisson batches with every parameter — encoder, decoder and σ — clipped per example
//!   (flat clipping), joint calibration of the whole pipeline to (ε, δ). The privacy argument
//!   is written beside the private training loop.
//!
//! Randomness: the config's `seed` fixes initialisation, batch order, the reparameterisation
//! noise of non-private training and generation; in private mode the privacy randomness (row
//! sampling, every noise draw, and the per-example randomness inside the clipped terms: the
//! reparameterisation noise and the transformer's mode draws) comes from the operating system
//! unless the dangerous noise seed is set. With both seeds a CPU run is bit-reproducible.
//!
//! # Example
//! ```
//! use tabveil_data::{ColumnSchema, Schema, Table, Value};
//! use tabveil_models::{Condition, NoProgress, Privacy, Synthesizer, Tvae, TvaeConfig, TvaeSampling};
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
//! let config = TvaeConfig::new(Privacy::NonPrivate)
//!     .with_epochs(3)
//!     .with_batch_size(50)
//!     .with_dims(vec![16], vec![16])
//!     .with_embedding_dim(8)
//!     .check()?;
//! let mut model = Tvae::new(config);
//! model.fit(&table, &schema, &mut NoProgress)?;
//! let synthetic = model.sample(100, 7)?;
//! assert_eq!(synthetic.n_rows(), 100);
//! let only_a = model.sample_conditional(10, &[Condition::new("c", "a")], 7)?;
//! assert!(only_a.column("c").unwrap().as_categorical().unwrap().iter().all(|&v| v == 0));
//! let again = Tvae::from_bytes(&model.to_bytes()?)?;
//! assert_eq!(again.sample(100, 7)?, synthetic);
//! // SDV's argmax decoding, on the same fitted model.
//! let argmax = model.with_sampling(TvaeSampling::Argmax).sample(100, 7)?;
//! assert_eq!(argmax.n_rows(), 100);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod config;
mod loss;
mod networks;
mod private;
mod sample;
mod saved;
mod train;

use std::path::Path;

use candle_core::Device;
use tabveil_accountant::PrivacyLedger;
use tabveil_data::{ConditionLayout, DataTransformer, Schema, Table};
use tabveil_sgd::WhiteBoxAudit;

pub use config::{TvaeConfig, TvaeSampling, ValidTvaeConfig};

use crate::error::{ModelError, Result};
use crate::persist::SavedModel;
use crate::privacy::Privacy;
use crate::progress::Progress;
use crate::synthesizer::{Condition, FitSummary, ModelKind, Synthesizer};
use networks::VaeNets;

/// A TVAE model: built from a checked configuration, then fitted or loaded (see the
/// [module docs](self)).
#[derive(Debug, Clone)]
pub struct Tvae {
    config: ValidTvaeConfig,
    device: Device,
    fitted: Option<Fitted>,
    summary: Option<FitSummary>,
}

/// The state of a fitted model: everything sampling needs (the decoder and σ are what is
/// saved; the encoder is kept in memory only).
#[derive(Debug, Clone)]
pub(crate) struct Fitted {
    schema: Schema,
    transformer: DataTransformer,
    conditions: ConditionLayout,
    nets: VaeNets,
    ledger: Option<PrivacyLedger>,
}

impl Fitted {
    pub(crate) fn new(
        schema: Schema,
        transformer: DataTransformer,
        nets: VaeNets,
        ledger: Option<PrivacyLedger>,
    ) -> Self {
        Fitted {
            schema,
            conditions: ConditionLayout::new(&transformer),
            transformer,
            nets,
            ledger,
        }
    }
}

impl Tvae {
    /// An unfitted model on the CPU.
    pub fn new(config: ValidTvaeConfig) -> Self {
        Tvae {
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

    /// The same model decoding softmax blocks with `sampling` from now on (fitted or not:
    /// sampling is post-processing and does not change training).
    #[must_use]
    pub fn with_sampling(mut self, sampling: TvaeSampling) -> Self {
        self.config.set_sampling(sampling);
        self
    }

    /// Decodes softmax blocks with `sampling` from now on (see [`Tvae::with_sampling`]).
    pub fn set_sampling(&mut self, sampling: TvaeSampling) {
        self.config.set_sampling(sampling);
    }

    /// The configuration.
    pub fn config(&self) -> &ValidTvaeConfig {
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

    /// The decoder's learned per-column scale σ (one entry per column of the transformed
    /// matrix; only the continuous scalars use theirs).
    ///
    /// # Errors
    /// [`ModelError::NotFitted`]; Candle errors.
    pub fn sigma(&self) -> Result<Vec<f64>> {
        self.fitted()?.nets.sigma_host()
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

impl Synthesizer for Tvae {
    fn kind(&self) -> ModelKind {
        ModelKind::Tvae
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
        self.fitted()?.sample(n, seed, self.config.sampling)
    }

    fn sample_conditional(&self, n: usize, conditions: &[Condition], seed: u64) -> Result<Table> {
        self.fitted()?
            .sample_conditional(n, conditions, seed, self.config.sampling)
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
