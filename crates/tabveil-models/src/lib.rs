//! # tabveil-models
//!
//! Synthetic-data models on Candle, faithful to SDV and private end to end.
//!
//! - [`Ctgan`] ([`CtganConfig`]): the conditional tabular GAN, SDV's algorithm without DP,
//!   and DP-CTGAN with [`Privacy::Dp`].
//! - [`Tvae`] ([`TvaeConfig`]): the tabular variational autoencoder, SDV's algorithm without
//!   DP (categories drawn from the decoder's softmax by default, SDV's argmax with
//!   [`TvaeSampling::Argmax`]), and DP-TVAE with [`Privacy::Dp`].
//! - [`Marginal`] ([`MarginalConfig`]): a marginal-based select–measure–generate model (AIM's
//!   rounds, Private-PGM estimation on a junction tree), for small and medium tables.
//! - [`Synthesizer`]: what every model does — `fit`, `sample`, `sample_conditional`
//!   ([`Condition`]), `save` / `load` to a directory and `to_bytes` / `from_bytes`. A save
//!   replaces only an empty folder or a complete tabveil model ([`save_model_dir`]); rows of
//!   any count come in chunks from `sample_chunks` ([`SampleChunks`]).
//! - [`Progress`]: per-step and per-epoch reports ([`StepReport`], [`EpochReport`], with ε spent
//!   in private mode), and cancellation.
//! - [`DpConfig`]: the private settings (ε and δ without defaults, clipping norm,
//!   preprocessing share, accountant, the dangerous noise seed).
//!
//! ```
//! use tabveil_data::{ColumnSchema, Schema, Table, Value};
//! use tabveil_models::{Ctgan, CtganConfig, DpConfig, NoProgress, Privacy, Synthesizer};
//!
//! let schema = Schema::new("t", vec![
//!     ColumnSchema::continuous("x", Some(0.0), Some(10.0)),
//!     ColumnSchema::categorical("c", ["a", "b"]),
//! ])?;
//! let rows: Vec<Vec<Value>> = (0..400)
//!     .map(|i| vec![Value::Number((i % 10) as f64), Value::from(if i % 4 == 0 { "a" } else { "b" })])
//!     .collect();
//! let table = Table::from_rows(&schema, &rows)?;
//!
//! // A private fit: the whole pipeline spends at most ε = 3 at δ = 1e-6.
//! let privacy = Privacy::Dp(DpConfig::new(3.0, 1e-6));
//! let config = CtganConfig::new(privacy)
//!     .with_epochs(1)
//!     .with_batch_size(50)
//!     .with_dims(vec![16], vec![16])
//!     .with_embedding_dim(8)
//!     .check()?;
//! let mut model = Ctgan::new(config);
//! let summary = model.fit(&table, &schema, &mut NoProgress)?;
//! assert!(summary.private.unwrap().epsilon_spent <= 3.0);
//! assert!(!model.ledger().unwrap().is_empty());
//! let synthetic = model.sample(10, 0)?;
//! assert_eq!(synthetic.n_rows(), 10);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Privacy
//! In private mode every statistic of the data that a fitted model keeps is public (the schema)
//! or released by a mechanism recorded on the model's ledger, and the composed ledger spends at
//! most the target (ε, δ) under add/remove-one-row neighbouring. A saved model never holds real
//! rows. In non-private mode no guarantee holds.
//!
//! ## Features
//! - `default = []`: CPU.
//! - `cuda`, `cudnn`, `metal`: forwarded to Candle (they need the CUDA toolkit or macOS to
//!   build). Select the device with [`Ctgan::with_device`].

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod check;
pub mod ctgan;
mod dp_sgd;
mod error;
pub mod marginal;
mod nn;
mod persist;
mod privacy;
pub mod progress;
mod registry;
mod sampling;
mod seeds;
mod shell;
mod spec;
mod synthesizer;
pub mod tvae;

pub use check::Valid;
pub use ctgan::{Ctgan, CtganConfig, DpFakeTerm, ValidCtganConfig};
pub use error::{ConfigError, ConfigResult, ModelError, Result};
pub use marginal::{Marginal, MarginalConfig, MarginalRound, ValidMarginalConfig};
pub use persist::{
    MODEL_FORMAT_VERSION, MODEL_MANIFEST_FILE, STAGING_MARKER, StagingDir, check_model_dir,
    save_model_dir, saved_model_kind,
};
pub use privacy::{DpConfig, Privacy};
pub use progress::{EpochReport, Losses, NoProgress, Progress, StepReport, StopReason};
pub use registry::{ModelKind, ModelSettings, load_model, model_from_bytes};
pub use sampling::SampleChunks;
pub use spec::{
    BatchSizes, DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DataWidths, DpSgdSchedule, ModelMemory,
    ModelSpec, NetworkSize, PrivateRoundPlan, ReportText, RoundPlan, SettingFinding,
};
pub use synthesizer::{Condition, DynSynthesizer, FitSummary, PrivateRun, Synthesizer};
pub use tvae::{Tvae, TvaeConfig, TvaeSampling, ValidTvaeConfig};
