//! # tabveil
//!
//! Differentially private synthetic tabular data in Rust: CTGAN and TVAE trained with DP-SGD on
//! Candle, with privacy accounting that covers the whole pipeline — preprocessing included —
//! and an honest privacy report.
//!
//! The paved path is one builder for the whole job: choose a model, choose privacy (a budget
//! or an explicit opt-out: ε and δ have no defaults), fit, then sample and report.
//!
//! ```
//! use tabveil::prelude::*;
//!
//! // The schema is public knowledge you vouch for: bounds and categories are not read from
//! // the data in private mode.
//! let schema = Schema::new("people", vec![
//!     ColumnSchema::integer("age", Some(18.0), Some(90.0)),
//!     ColumnSchema::categorical("smoker", ["no", "yes"]),
//! ])?;
//! let rows: Vec<Vec<Value>> = (0..600)
//!     .map(|i| vec![Value::Number(18.0 + (i % 70) as f64), Value::from(if i % 5 == 0 { "yes" } else { "no" })])
//!     .collect();
//! let table = Table::from_rows(&schema, &rows)?;
//!
//! // A tiny network so that the example runs in a blink (`.ctgan()` gives SDV's defaults).
//! // The builder decides privacy for the whole job: its `.private(…)` below replaces the
//! // placeholder that a standalone model configuration needs.
//! let small = CtganConfig::new(tabveil::models::Privacy::NonPrivate)
//!     .with_dims(vec![32], vec![32])
//!     .with_embedding_dim(16);
//! let synth = Synthesizer::builder()
//!     .ctgan_with(small)
//!     .private(Epsilon(3.0), Delta(1e-6))
//!     .epochs(2)
//!     .batch_size(100)
//!     .seed(7)
//!     .build()?;
//! let fitted = synth.fit(&table, &schema)?; // validates the plan first
//!
//! let epsilon = fitted.epsilon_spent()?.unwrap();
//! assert!(epsilon <= 3.0);
//! let synthetic = fitted.sample(1_000, 42)?; // post-processing: free
//! assert_eq!(synthetic.n_rows(), 1_000);
//! let smokers = fitted.sample_conditional(10, &[Condition::new("smoker", "yes")], 42)?;
//! assert_eq!(smokers.n_rows(), 10);
//!
//! let report = fitted.report()?;
//! assert!(report.to_markdown().starts_with("# Privacy report: (ε = "));
//! let again = Fitted::from_bytes(&fitted.to_bytes()?)?;
//! assert_eq!(again.sample(5, 1)?, fitted.sample(5, 1)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## What is where
//! - The paved path at the root: [`Synthesizer`] (and its [builder](Synthesizer::builder)),
//!   [`Fitted`], [`Epsilon`], [`Delta`], [`Error`]; [`prelude`] imports them with the data
//!   types.
//! - The workspace crates as modules: [`accountant`] (ledger, RDP and PLD accountants,
//!   calibration — usable alone), [`noise`] (privacy randomness), [`data`] (schema, tables,
//!   CSV, the transformer and the private preprocessing), [`sgd`] (DP-SGD on Candle for your
//!   own models), [`models`] (CTGAN, TVAE, the `Synthesizer` trait, progress), [`validate`] (the
//!   plan checker), [`report`] (the privacy report), [`eval`] (quality, ML utility, leakage),
//!   [`audit`] (empirical lower bounds on ε: [`Synthesizer::audit_white_box`],
//!   [`Synthesizer::audit_black_box`]).
//!
//! ## Privacy
//! In private mode every statistic of the data the fitted model keeps is public (declared in
//! the schema) or released by a mechanism recorded on the model's [ledger](Fitted::ledger)
//! (exact discrete Gaussian noise on the preprocessing counts, Gaussian noise on the training
//! gradients), and the whole pipeline spends at most (ε, δ) under
//! add/remove-one-row neighbouring. Sampling is post-processing. Without privacy
//! ([`non_private`](builder::SynthesizerBuilder::non_private)) the models run as SDV's and no
//! guarantee holds.
//!
//! ## Embedding
//! [`Synthesizer`] and [`Fitted`] are `Send + Sync`; one fitted model can serve samples to
//! several threads at once. Fitting reports to a [`Progress`](models::Progress) callback,
//! which can cancel. A fitted model saves to a directory or to bytes.
//!
//! ## Features
//! - `default = []`: CPU only.
//! - `cuda`, `cudnn`: Candle's CUDA back-end (and cuDNN), forwarded to `tabveil-models` and
//!   `tabveil-sgd`. Building needs the CUDA toolkit (`nvcc`). Select the device with
//!   [`device`](builder::SynthesizerBuilder::device) (`Device::new_cuda(0)?`).
//! - `metal`: Candle's Metal back-end (macOS only).
//! - `arrow`: Parquet and Arrow IPC files and Arrow record batches in and out of
//!   [`data::Table`] (`data::read_parquet_path`, `data::Table::to_arrow`, …), and
//!   [`data::read_table_path`] choosing the format by file extension.
//!
//! GPU features are never required; CI builds and tests the CPU build.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod auditing;
pub mod builder;
pub mod discovery;
mod error;
mod evaluation;
mod fitted;
mod privacy;
mod synthesizer;

pub use tabveil_accountant as accountant;
pub use tabveil_audit as audit;
pub use tabveil_data as data;
pub use tabveil_eval as eval;
pub use tabveil_models as models;
pub use tabveil_noise as noise;
pub use tabveil_report as report;
pub use tabveil_sgd as sgd;
pub use tabveil_validate as validate;

/// Candle's device type (CPU, CUDA, Metal), to choose where a model trains and samples.
pub use candle_core::Device;

pub use auditing::save_audit_into;
pub use error::{Error, Result};
pub use evaluation::evaluation_summary;
pub use fitted::{AUDIT_FILE, FIT_RECORD_FILE, Fitted};
pub use privacy::{Delta, Epsilon};
pub use synthesizer::Synthesizer;

/// One import for the common case: `use tabveil::prelude::*;`.
pub mod prelude {
    pub use crate::data::{
        ColumnSchema, CsvOptions, Schema, Table, Value, read_csv_path, write_csv_path,
    };
    pub use crate::models::{
        Condition, CtganConfig, EpochReport, NoProgress, Progress, StepReport, TvaeConfig,
    };
    pub use crate::report::PrivacyReport;
    pub use crate::{Delta, Epsilon, Fitted, Synthesizer};
}
