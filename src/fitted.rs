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
use tabveil_audit::AuditReport;
use tabveil_data::{Schema, Table};
use tabveil_models::{
    Condition, DynSynthesizer, FitSummary, ModelError, ModelKind, SampleChunks, save_model_dir,
};
use tabveil_report::{PrivacyReport, RowCount};
use tabveil_validate::{Finding, TrainingConfig};

use crate::error::{Error, Result};

/// The file the facade adds to a model directory.
pub const FIT_RECORD_FILE: &str = "tabveil-fit.json";
/// The file of an audit saved with a model (`tabveil audit … --save-into`): its report then
/// shows the audit.
pub const AUDIT_FILE: &str = "tabveil-audit.json";
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
    /// An audit saved with the model (not part of [`Fitted::to_bytes`]).
    audit: Option<AuditReport>,
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
            audit: None,
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

    /// `n` synthetic rows in chunks of at most `chunk_rows` rows, so that memory does not grow
    /// with `n` (write each chunk out, e.g. with `tabveil::data::CsvWriter`). Together the
    /// chunks are exactly [`sample`](Self::sample)`(n, seed)`, whatever the chunk size.
    /// Post-processing: costs no privacy.
    ///
    /// ```
    /// # use tabveil::prelude::*;
    /// # let schema = Schema::new("t", vec![ColumnSchema::continuous("x", Some(0.0), Some(9.0)), ColumnSchema::categorical("c", ["a", "b"])])?;
    /// # let rows: Vec<Vec<Value>> = (0..100).map(|i| vec![Value::Number((i % 10) as f64), Value::from(if i % 3 == 0 { "a" } else { "b" })]).collect();
    /// # let table = Table::from_rows(&schema, &rows)?;
    /// # let small = CtganConfig::new(tabveil::models::Privacy::NonPrivate).with_dims(vec![8], vec![8]).with_embedding_dim(4);
    /// # let fitted = Synthesizer::builder().ctgan_with(small).non_private().epochs(1).batch_size(50).build()?.fit(&table, &schema)?;
    /// let mut rows = 0;
    /// for chunk in fitted.sample_chunks(2_500, 7, 1_000) {
    ///     rows += chunk?.n_rows(); // 1000, 1000, 500
    /// }
    /// assert_eq!(rows, 2_500);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sample_chunks(
        &self,
        n: usize,
        seed: u64,
        chunk_rows: usize,
    ) -> impl Iterator<Item = Result<Table>> + '_ {
        Chunks::new(self.model.sample_chunks(n, seed, chunk_rows))
    }

    /// [`sample_conditional`](Self::sample_conditional) in chunks of at most `chunk_rows`
    /// rows (see [`sample_chunks`](Self::sample_chunks)). A bad condition is the first item.
    pub fn sample_conditional_chunks(
        &self,
        n: usize,
        conditions: &[Condition],
        seed: u64,
        chunk_rows: usize,
    ) -> impl Iterator<Item = Result<Table>> + '_ {
        Chunks::new(
            self.model
                .sample_conditional_chunks(n, conditions, seed, chunk_rows),
        )
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
        let report = PrivacyReport::from_fit(
            ledger,
            &self.training_config(),
            &self.schema,
            self.report_rows(),
        )?;
        Ok(match &self.audit {
            Some(audit) => {
                let combined = crate::auditing::combined_epsilon(self.ledger(), audit, self)?;
                report.with_audit(audit.to_section(combined))?
            }
            None => report,
        })
    }

    /// The audit attached to this model, if any.
    pub fn audit(&self) -> Option<&AuditReport> {
        self.audit.as_ref()
    }

    /// Attaches an audit: the privacy report then shows it, with the ε of this model and the
    /// audit run together, and [`save`](Self::save) writes it ([`AUDIT_FILE`]).
    pub fn attach_audit(&mut self, audit: AuditReport) {
        self.audit = Some(audit);
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

    /// Saves the model into the folder `dir`: the models crate's files and
    /// [`FIT_RECORD_FILE`], written beside `dir` and renamed into place, so `dir` holds the
    /// old model or the new one, never half of one. An existing `dir` is replaced only if it
    /// is an empty folder or a complete tabveil model (checked by its manifest and checksum)
    /// holding nothing but a model's files; anything else is refused and left untouched (see
    /// `tabveil_models::save_model_dir`). [`Synthesizer::check_output`] makes the same checks
    /// before a fit.
    ///
    /// # Errors
    /// [`Error::Model`] with `ModelError::OutputRefused` for a `dir` that must not be
    /// replaced; `ModelError::Io` when writing fails.
    ///
    /// [`Synthesizer::check_output`]: crate::Synthesizer::check_output
    pub fn save(&self, dir: &Path) -> Result<()> {
        check_fit_record(dir)?;
        let record = self.record_json()?;
        let audit = self.audit.as_ref().map(AuditReport::to_json).transpose()?;
        // The fit record and an audit are tabveil's own files in a model folder (an old audit
        // there is replaced with the rest of the old model).
        save_model_dir(dir, &[FIT_RECORD_FILE, AUDIT_FILE], |staging| {
            self.model.save_into(staging)?;
            staging.write(FIT_RECORD_FILE, record.as_bytes())?;
            if let Some(audit) = &audit {
                staging.write(AUDIT_FILE, audit.as_bytes())?;
            }
            Ok(())
        })?;
        Ok(())
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
        let text = read_record_file(&path)?;
        let mut fitted = Self::from_model(model, parse_record(&text)?)?;
        fitted.audit = crate::auditing::load_audit(dir)?;
        Ok(fitted)
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

/// A fit record already in `dir` must be one this facade wrote, or `dir` is not replaced.
pub(crate) fn check_fit_record(dir: &Path) -> Result<()> {
    let path = dir.join(FIT_RECORD_FILE);
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.is_file() => {
            let text = read_record_file(&path)?;
            parse_record(&text).map(|_| ()).map_err(|_| {
                ModelError::OutputRefused {
                    path: dir.display().to_string(),
                    reason: format!("its {FIT_RECORD_FILE} was not written by tabveil"),
                }
                .into()
            })
        }
        _ => Ok(()),
    }
}

/// The models crate's chunks with the facade's error type.
struct Chunks<'a> {
    inner: Option<std::result::Result<SampleChunks<'a>, Error>>,
}

impl<'a> Chunks<'a> {
    fn new(inner: tabveil_models::Result<SampleChunks<'a>>) -> Self {
        Chunks {
            inner: Some(inner.map_err(Error::from)),
        }
    }
}

impl Iterator for Chunks<'_> {
    type Item = Result<Table>;

    fn next(&mut self) -> Option<Result<Table>> {
        match self.inner.take()? {
            Err(e) => Some(Err(e)),
            Ok(mut chunks) => {
                let next = chunks.next().map(|r| r.map_err(Error::from));
                self.inner = Some(Ok(chunks));
                next
            }
        }
    }
}

/// The fit record's text: a regular file only.
fn read_record_file(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, &e))?;
    if !meta.is_file() {
        return Err(Error::Io {
            path: path.display().to_string(),
            message: "not a regular file".to_owned(),
        });
    }
    std::fs::read_to_string(path).map_err(|e| io_error(path, &e))
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
