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
//!   rounds, Private-PGM estimation on a junction tree), the best choice for small tables.
//! - [`Synthesizer`]: what every model does — `fit`, `sample`, `sample_conditional`
//!   ([`Condition`]), `save` / `load` to a directory and `to_bytes` / `from_bytes`.
//! - [`Progress`]: per-step and per-epoch reports ([`StepReport`], [`EpochReport`], with ε spent
//!   in private mode), and cancellation.
//! - [`DpTraining`]: the private settings (ε and δ without defaults, clipping norm,
//!   preprocessing share, accountant, the dangerous noise seed).
//!
//! ```
//! use tabveil_data::{ColumnSchema, Schema, Table, Value};
//! use tabveil_models::{Ctgan, CtganConfig, DpTraining, NoProgress, Privacy, Synthesizer};
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
//! let privacy = Privacy::Dp(DpTraining::new(3.0, 1e-6)?);
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

pub mod ctgan;
mod error;
pub mod marginal;
mod nn;
mod persist;
mod privacy;
mod private_fit;
pub mod progress;
mod seeds;
mod synthesizer;
pub mod tvae;

pub use ctgan::{Ctgan, CtganConfig, DpFakeTerm, ValidCtganConfig};
pub use error::{ModelError, Result};
pub use marginal::{Marginal, MarginalConfig, MarginalRound, ValidMarginalConfig};
pub use persist::{MODEL_FORMAT_VERSION, saved_model_kind};
pub use privacy::{DpTraining, Privacy};
pub use progress::{EpochReport, Losses, NoProgress, Progress, StepReport, StopReason};
pub use synthesizer::{Condition, FitSummary, ModelKind, PrivateRun, Synthesizer};
pub use tvae::{Tvae, TvaeConfig, TvaeSampling, ValidTvaeConfig};
