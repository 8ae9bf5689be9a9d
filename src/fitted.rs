//! [`Fitted`]: a fitted model with everything a user does with it — sample (post-processing,
//! free in privacy terms), report, inspect the ledger, save and load.
//!
//! ```
//! use tabveil::prelude::*;
//!
//! let schema = Schema::new("t", vec![
//!     ColumnSchema::continuous("x", Some(0.0), Some(10.0)),
//!     ColumnSchema::categorical("c", ["a", "b"]),
//! ])?;
//! let rows: Vec<Vec<Value>> = (0..200)
//!     .map(|i| vec![Value::Number((i % 10) as f64), Value::from(if i % 4 == 0 { "a" } else { "b" })])
//!     .collect();
//! let table = Table::from_rows(&schema, &rows)?;
//! let small = CtganConfig::new(tabveil::models::Privacy::NonPrivate)
//!     .with_dims(vec![16], vec![16])
//!     .with_embedding_dim(8);
//! let fitted = Synthesizer::builder()
//!     .ctgan_with(small)
//!     .non_private()
//!     .epochs(1)
//!     .batch_size(50)
//!     .build()?
//!     .fit(&table, &schema)?;
//!
//! let bytes = fitted.to_bytes()?;
//! let again = Fitted::from_bytes(&bytes)?;
//! assert_eq!(again.sample(20, 3)?, fitted.sample(20, 3)?);
//! let only_a = again.sample_conditional(5, &[Condition::new("c", "a")], 3)?;
//! assert_eq!(only_a.n_rows(), 5);
//! assert!(fitted.report()?.to_markdown().contains("no privacy guarantee"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::Path;

use candle_core::Device;
use serde::{Deserialize, Serialize};
use tabveil_accountant::{PrivacyLedger, epsilon_of};
use tabveil_data::{Schema, Table};
use tabveil_models::{Condition, DynSynthesizer, FitSummary, ModelKind};
use tabveil_report::{PrivacyReport, RowCount};
use tabveil_validate::{Finding, TrainingConfig};

use crate::error::{Error, Result};

/// The file the facade adds to a model directory.
pub const FIT_RECORD_FILE: &str = "tabveil-fit.json";
/// The first bytes of [`Fitted::to_bytes`].
const MAGIC: &[u8; 12] = b"tabveil-fit\n";
const RECORD_FORMAT: &str = "tabveil-fit";
const RECORD_VERSION: u32 = 1;

/// A fitted model: sample, report, save or load it. `Send + Sync`: share it behind an `Arc` and
/// sample from several threads at once.
#[derive(Debug, Clone)]
pub struct Fitted {
    model: Box<dyn DynSynthesizer>,
    schema: Schema,
    summary: FitSummary,
    record: FitRecord,
}

/// What the facade keeps beside the model.
///
/// Privacy: in private mode nothing here depends on the data beyond the model's own DP
/// releases — the row count the report shows is the model's differentially private estimate
/// N̂ (read from its fit summary), never the true count. In non-private mode the true count is
/// kept, as every other statistic of the model is exact anyway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FitRecord {
    format: String,
    version: u32,
    /// The true row count, non-private fits only.
    non_private_rows: Option<u64>,
    /// The validator's warnings (private mode: for the DP estimate N̂, never the true N).
    warnings: Vec<Finding>,
}

impl Fitted {
    pub(crate) fn new(
        model: Box<dyn DynSynthesizer>,
        n_rows: u64,
        warnings: Vec<Finding>,
    ) -> Result<Self> {
        let private = model.settings().spec().privacy().is_private();
        let record = FitRecord {
            format: RECORD_FORMAT.to_owned(),
            version: RECORD_VERSION,
            non_private_rows: (!private).then_some(n_rows),
            warnings,
        };
        Self::from_model(model, record)
    }

    fn from_model(model: Box<dyn DynSynthesizer>, record: FitRecord) -> Result<Self> {
        let corrupt = |reason: &str| Error::CorruptFit {
            reason: reason.to_owned(),
        };
        if record.format != RECORD_FORMAT {
            return Err(corrupt("not a tabveil fit record"));
        }
        if record.version != RECORD_VERSION {
            return Err(Error::CorruptFit {
                reason: format!(
                    "fit record version {} (this build reads version {RECORD_VERSION})",
                    record.version
                ),
            });
        }
        let schema = model
            .schema()
            .ok_or_else(|| corrupt("the model is not fitted"))?
            .clone();
        let summary = model
            .summary()
            .ok_or_else(|| corrupt("the model has no fit summary"))?
            .clone();
        let private = model.settings().spec().privacy().is_private();
        match (private, record.non_private_rows) {
            (true, None) if summary.private.is_some() => {}
            (false, Some(n)) if n > 0 && summary.private.is_none() => {}
            _ => {
                return Err(corrupt(
                    "the fit record does not match the model's privacy mode",
                ));
            }
        }
        if private && model.ledger().is_none() {
            return Err(corrupt("a private model without a ledger"));
        }
        Ok(Fitted {
            model,
            schema,
            summary,
            record,
        })
    }

    /// The model's kind.
    pub fn kind(&self) -> ModelKind {
        self.model.kind()
    }

    /// True for a differentially private fit.
    pub fn is_private(&self) -> bool {
        self.summary.private.is_some()
    }

    /// `n` synthetic rows, reproducible from `seed`. Post-processing: costs no privacy.
    ///
    /// # Errors
    /// Numerical failure ([`Error::Model`]).
    pub fn sample(&self, n: usize, seed: u64) -> Result<Table> {
        Ok(self.model.sample(n, seed)?)
    }

    /// `n` synthetic rows that all meet every condition (categorical or boolean columns).
    /// Post-processing: costs no privacy.
    ///
    /// # Errors
    /// [`Error::Model`]: no condition, a column named twice, an unknown column or value, a
    /// continuous column, or conditions too rare for the model.
    pub fn sample_conditional(
        &self,
        n: usize,
        conditions: &[Condition],
        seed: u64,
    ) -> Result<Table> {
        Ok(self.model.sample_conditional(n, conditions, seed)?)
    }

    /// The schema the model was fitted on.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// What the fit did: why it stopped, epochs, steps and, in private mode, the private plan
    /// and ε spent.
    pub fn summary(&self) -> &FitSummary {
        &self.summary
    }

    /// The validator's warnings (e.g. a seeded noise source, a weak ε). In private mode they
    /// are computed for the DP row estimate N̂, not the true row count, since they are saved
    /// with the model; validate the plan yourself (`tabveil::validate`) for the findings at
    /// the true count.
    pub fn warnings(&self) -> &[Finding] {
        &self.record.warnings
    }

    /// The privacy ledger: every release, preprocessing and training, in order (`None` for a
    /// non-private fit).
    pub fn ledger(&self) -> Option<&PrivacyLedger> {
        self.model.ledger()
    }

    /// The plan as the validator and the report see it.
    pub fn training_config(&self) -> TrainingConfig {
        TrainingConfig::from(self.model.settings())
    }

    /// ε spent at the fit's δ, recomputed from the ledger with the fit's accountant (`None`
    /// for a non-private fit).
    ///
    /// # Errors
    /// [`Error::Accountant`] if the ledger cannot be accounted.
    pub fn epsilon_spent(&self) -> Result<Option<f64>> {
        let config = self.training_config();
        match (config.dp(), self.ledger()) {
            (Some(dp), Some(ledger)) => {
                Ok(Some(epsilon_of(ledger, &dp.accountant, dp.delta)?.epsilon))
            }
            _ => Ok(None),
        }
    }

    /// The privacy report of the fit (render it with `to_json`, `to_markdown`, `to_html`).
    /// Every number is recomputed from the ledger. In private mode the row count it shows is
    /// the model's differentially private estimate, never the true count.
    ///
    /// # Errors
    /// [`Error::Report`] if the report cannot be built.
    pub fn report(&self) -> Result<PrivacyReport> {
        let empty = PrivacyLedger::new();
        let ledger = self.ledger().unwrap_or(&empty);
        Ok(PrivacyReport::from_fit(
            ledger,
            &self.training_config(),
            &self.schema,
            self.report_rows(),
        )?)
    }

    /// The row count a report may show: the DP estimate N̂ (rounded, at least 1) in private
    /// mode, the true count otherwise.
    fn report_rows(&self) -> RowCount {
        match (&self.summary.private, self.record.non_private_rows) {
            (Some(p), _) => RowCount::PrivateEstimate(p.estimated_rows.round().max(1.0) as u64),
            (None, Some(n)) => RowCount::Exact(n),
            (None, None) => RowCount::Exact(1),
        }
    }

    /// Saves the model into directory `dir` (created if needed): the models crate's files and
    /// [`FIT_RECORD_FILE`]. Not atomic: the `tabveil` command writes into a temporary
    /// directory and renames it.
    ///
    /// # Errors
    /// [`Error::Model`] or [`Error::Io`] when writing fails.
    pub fn save(&self, dir: &Path) -> Result<()> {
        self.model.save(dir)?;
        let path = dir.join(FIT_RECORD_FILE);
        std::fs::write(&path, self.record_json()?).map_err(|e| io_error(&path, &e))
    }

    /// Loads a model saved with [`save`](Self::save) onto the CPU.
    ///
    /// # Errors
    /// Typed errors for a missing, truncated, corrupted or mismatched model ([`Error::Model`],
    /// [`Error::CorruptFit`], [`Error::Io`]).
    pub fn load(dir: &Path) -> Result<Self> {
        Self::load_on(dir, &Device::Cpu)
    }

    /// Loads a model saved with [`save`](Self::save) onto `device`.
    ///
    /// # Errors
    /// As [`load`](Self::load).
    pub fn load_on(dir: &Path, device: &Device) -> Result<Self> {
        let model = tabveil_models::load_model(dir, device)?;
        let path = dir.join(FIT_RECORD_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| io_error(&path, &e))?;
        Self::from_model(model, parse_record(&text)?)
    }

    /// The fitted model as one byte blob: a short header, the fit record, then the models
    /// crate's self-checking blob.
    ///
    /// # Errors
    /// [`Error::Model`] if the model cannot be encoded.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let record = self.record_json()?;
        let model = self.model.to_bytes()?;
        let mut out = Vec::with_capacity(MAGIC.len() + 8 + record.len() + model.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(record.len() as u64).to_le_bytes());
        out.extend_from_slice(record.as_bytes());
        out.extend_from_slice(&model);
        Ok(out)
    }

    /// Loads a model from the bytes of [`to_bytes`](Self::to_bytes) onto the CPU.
    ///
    /// # Errors
    /// As [`load`](Self::load).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::from_bytes_on(bytes, &Device::Cpu)
    }

    /// Loads a model from the bytes of [`to_bytes`](Self::to_bytes) onto `device`.
    ///
    /// # Errors
    /// As [`load`](Self::load).
    pub fn from_bytes_on(bytes: &[u8], device: &Device) -> Result<Self> {
        let corrupt = |reason: &str| Error::CorruptFit {
            reason: reason.to_owned(),
        };
        let rest = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or_else(|| corrupt("not a tabveil fitted-model blob (bad header)"))?;
        let (len, rest) = rest
            .split_first_chunk::<8>()
            .ok_or_else(|| corrupt("truncated header"))?;
        let len = usize::try_from(u64::from_le_bytes(*len))
            .ok()
            .filter(|&l| l <= rest.len())
            .ok_or_else(|| corrupt("truncated fit record"))?;
        let (record, model) = rest.split_at(len);
        let record =
            std::str::from_utf8(record).map_err(|_| corrupt("the fit record is not UTF-8"))?;
        let record = parse_record(record)?;
        Self::from_model(tabveil_models::model_from_bytes(model, device)?, record)
    }

    fn record_json(&self) -> Result<String> {
        serde_json::to_string_pretty(&self.record).map_err(|e| Error::CorruptFit {
            reason: format!("the fit record does not serialise: {e}"),
        })
    }
}

fn parse_record(text: &str) -> Result<FitRecord> {
    serde_json::from_str(text).map_err(|e| Error::CorruptFit {
        reason: format!("the fit record is malformed: {e}"),
    })
}

fn io_error(path: &Path, e: &std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}
