//! [`Synthesizer`]: what every model of this crate does — fit, sample, sample under conditions,
//! save and load — and the values it takes and returns.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use tabveil_accountant::PrivacyLedger;
use tabveil_data::{Schema, Table, TableSource};
use tabveil_sgd::WhiteBoxAudit;

use crate::error::{ConfigError, Result};
use crate::persist::StagingDir;
use crate::progress::{Progress, StopReason};
use crate::registry::{ModelKind, ModelSettings};
use crate::sampling::SampleChunks;

/// A synthetic-data model.
///
/// The life of a model: build it from a validated configuration, [`fit`](Synthesizer::fit) it
/// on a table, then [`sample`](Synthesizer::sample) from it (post-processing: free in privacy
/// terms), [`save`](Synthesizer::save) it and [`load`](Synthesizer::load) it back. Sampling is a
/// function of the saved state and the `seed` only.
pub trait Synthesizer {
    /// The model's kind.
    fn kind(&self) -> ModelKind;

    /// Fits the model on `table` (of `schema`), replacing any previous fit. Reports to
    /// `progress`, which may cancel.
    ///
    /// In private mode the schema's bounds and categories are public knowledge the user vouches
    /// for; every statistic of the table that the model keeps is released through a mechanism
    /// recorded on the model's ledger, and the whole fit spends at most the configured (ε, δ).
    ///
    /// # Errors
    /// [`ModelError`](crate::ModelError): a table that does not match the schema, an empty
    /// table, a schema that private mode cannot use (undeclared bounds or categories), a batch
    /// larger than the table, cancellation before training started, numerical failure.
    fn fit(
        &mut self,
        table: &Table,
        schema: &Schema,
        progress: &mut dyn Progress,
    ) -> Result<FitSummary>;

    /// Fits the model on a table read in batches — a Parquet or Arrow IPC file larger than
    /// memory (`tabveil_data::ColumnarSource`, feature `arrow`), or any [`TableSource`] —
    /// replacing any previous fit. Only the marginal model streams: it holds each attribute's
    /// cells, one or two bytes per row and column, and one batch of rows; its
    /// [`fit`](Synthesizer::fit) is this method fed one batch, so for the same rows,
    /// configuration and privacy randomness both give the same model and ledger. The source
    /// is read once, or a few times when a numeric column's resolution, chosen from the noisy
    /// row estimate N̂, differs from the one guessed before measuring; nothing else of the
    /// data (its true row count included) decides how often.
    ///
    /// ```
    /// use tabveil_data::{ColumnSchema, ColumnarSource, CsvOptions, Schema, Table, Value, write_parquet_path};
    /// use tabveil_models::{DpConfig, Marginal, MarginalConfig, NoProgress, Privacy, Synthesizer};
    ///
    /// let schema = Schema::new("t", vec![
    ///     ColumnSchema::integer("age", Some(18.0), Some(90.0)),
    ///     ColumnSchema::categorical("job", ["a", "b", "c"]),
    /// ])?;
    /// let rows: Vec<Vec<Value>> = (0..600)
    ///     .map(|i| vec![Value::Number((20 + i % 50) as f64), Value::from(["a", "b", "c"][i % 3])])
    ///     .collect();
    /// let path = std::env::temp_dir().join(format!("tabveil-fit-source-{}.parquet", std::process::id()));
    /// write_parquet_path(&Table::from_rows(&schema, &rows)?, &schema, &path)?;
    ///
    /// let mut source = ColumnarSource::new(&path, &schema, &CsvOptions::default())?.with_batch_rows(100);
    /// let config = MarginalConfig::new(Privacy::Dp(DpConfig::new(3.0, 1e-6))).check()?;
    /// let mut model = Marginal::new(config);
    /// let summary = model.fit_source(&mut source, &schema, &mut NoProgress)?;
    /// assert!(summary.private.unwrap().epsilon_spent <= 3.0);
    /// assert_eq!(model.sample(50, 1)?.n_rows(), 50);
    /// # std::fs::remove_file(&path).ok();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`ModelError::NotStreamable`](crate::ModelError::NotStreamable) for a model that reads
    /// its table whole (the default); otherwise as [`fit`](Synthesizer::fit), and the
    /// source's read errors (a cell outside the schema, an unreadable file), raised in the
    /// first pass, before anything is released.
    fn fit_source(
        &mut self,
        source: &mut dyn TableSource,
        schema: &Schema,
        progress: &mut dyn Progress,
    ) -> Result<FitSummary> {
        let _ = (source, schema, progress);
        Err(crate::ModelError::NotStreamable {
            model: self.kind().as_str(),
        })
    }

    /// Fits the model privately under a white-box audit (`tabveil-audit`): the audit's Dirac
    /// canaries are Poisson-sampled with the real rows of every DP-SGD step (indices past the
    /// real rows), clipped with them and noised with them, and its observer sees every
    /// release. The real rows' terms, the plan and the ledger are those of
    /// [`fit`](Synthesizer::fit). The fitted model is an audit artefact: it was trained beside
    /// the canaries.
    ///
    /// # Errors
    /// [`ConfigError::InvalidParameter`](crate::ConfigError::InvalidParameter) (as
    /// [`ModelError::Config`](crate::ModelError::Config)) for a non-private configuration or a model that does not train
    /// with DP-SGD (the default); otherwise as [`fit`](Synthesizer::fit).
    fn fit_under_audit(
        &mut self,
        table: &Table,
        schema: &Schema,
        progress: &mut dyn Progress,
        audit: WhiteBoxAudit,
    ) -> Result<FitSummary> {
        let _ = (table, schema, progress, audit);
        Err(ConfigError::invalid(
            "white-box audit",
            self.kind().as_str(),
            "a model trained with DP-SGD",
        )
        .into())
    }

    /// `n` synthetic rows, reproducible from `seed`. Every row meets the public constraints
    /// of the schema the model was fitted with ([`Schema::constraints`]); the count is exact.
    ///
    /// # Errors
    /// [`ModelError::NotFitted`](crate::ModelError::NotFitted), numerical failure,
    /// [`ModelError::ConstraintTooRare`](crate::ModelError::ConstraintTooRare) when too few
    /// generated rows meet a constraint.
    fn sample(&self, n: usize, seed: u64) -> Result<Table>;

    /// `n` synthetic rows that all meet every condition (categorical or boolean columns only).
    /// The first condition enters the generator's condition vector; every condition is then
    /// enforced by rejection, with a cap on the rows generated.
    ///
    /// # Errors
    /// [`ModelError::NoConditions`], [`ModelError::DuplicateCondition`], the data crate's
    /// errors for an unknown column, a column that cannot be conditioned on or an unknown
    /// value, and [`ModelError::ConditionTooRare`] when the cap is reached.
    ///
    /// [`ModelError::NoConditions`]: crate::ModelError::NoConditions
    /// [`ModelError::DuplicateCondition`]: crate::ModelError::DuplicateCondition
    /// [`ModelError::ConditionTooRare`]: crate::ModelError::ConditionTooRare
    fn sample_conditional(&self, n: usize, conditions: &[Condition], seed: u64) -> Result<Table>;

    /// The schema the model was fitted on (`None` before a fit).
    fn schema(&self) -> Option<&Schema>;

    /// What the last fit did (also available after loading a saved model; `None` before a
    /// fit).
    fn summary(&self) -> Option<&FitSummary>;

    /// The model's settings.
    fn settings(&self) -> ModelSettings;

    /// The privacy ledger of the fit: every release, preprocessing and training, in order.
    /// `None` for a non-private model (nothing was accounted) or before a fit.
    fn ledger(&self) -> Option<&PrivacyLedger>;

    /// `n` synthetic rows in chunks of at most `chunk_rows`, so that memory does not grow with
    /// `n`: together the chunks are exactly [`sample`](Synthesizer::sample)`(n, seed)`,
    /// whatever the chunk size. Post-processing: costs no privacy.
    ///
    /// By default the `n` rows are drawn together by [`sample`](Synthesizer::sample) and cut
    /// into chunks (memory then holds every row); a model that generates chunk by chunk
    /// overrides it.
    ///
    /// # Errors
    /// [`ModelError::NotFitted`](crate::ModelError::NotFitted); the chunks carry numerical
    /// failures.
    fn sample_chunks(&self, n: usize, seed: u64, chunk_rows: usize) -> Result<SampleChunks<'_>> {
        Ok(SampleChunks::from_table(self.sample(n, seed)?, chunk_rows))
    }

    /// [`sample_conditional`](Synthesizer::sample_conditional) in chunks of at most
    /// `chunk_rows` (see [`sample_chunks`](Synthesizer::sample_chunks); by default drawn
    /// together and cut).
    ///
    /// # Errors
    /// As [`sample_conditional`](Synthesizer::sample_conditional) for the conditions; the
    /// chunks carry [`ModelError::ConditionTooRare`](crate::ModelError::ConditionTooRare) and
    /// numerical failures.
    fn sample_conditional_chunks(
        &self,
        n: usize,
        conditions: &[Condition],
        seed: u64,
        chunk_rows: usize,
    ) -> Result<SampleChunks<'_>> {
        Ok(SampleChunks::from_table(
            self.sample_conditional(n, conditions, seed)?,
            chunk_rows,
        ))
    }

    /// Saves the fitted model into the folder `dir`, atomically: `dir` is created, or replaced
    /// only if it is an empty folder or a complete tabveil model holding nothing but a model's
    /// files; anything else is refused and left untouched (see
    /// [`save_model_dir`](crate::save_model_dir)).
    ///
    /// # Errors
    /// [`ModelError::NotFitted`](crate::ModelError::NotFitted),
    /// [`ModelError::OutputRefused`](crate::ModelError::OutputRefused), I/O errors.
    fn save(&self, dir: &Path) -> Result<()>;

    /// Writes the model's files into a staging folder of
    /// [`save_model_dir`](crate::save_model_dir) (for a caller that saves more files beside
    /// them, such as the `tabveil` facade).
    ///
    /// # Errors
    /// [`ModelError::NotFitted`](crate::ModelError::NotFitted), I/O errors.
    fn save_into(&self, staging: &StagingDir) -> Result<()>;

    /// The fitted model as one self-describing byte blob (a safetensors file whose metadata
    /// carries the JSON parts).
    ///
    /// # Errors
    /// [`ModelError::NotFitted`](crate::ModelError::NotFitted).
    fn to_bytes(&self) -> Result<Vec<u8>>;

    /// Loads a model saved by [`save`](Synthesizer::save).
    ///
    /// # Errors
    /// Typed errors for a missing, truncated, corrupted or mismatched model
    /// ([`ModelError::Io`](crate::ModelError::Io),
    /// [`ModelError::CorruptModel`](crate::ModelError::CorruptModel),
    /// [`ModelError::ChecksumMismatch`](crate::ModelError::ChecksumMismatch),
    /// [`ModelError::WrongModelKind`](crate::ModelError::WrongModelKind), …).
    fn load(dir: &Path) -> Result<Self>
    where
        Self: Sized;

    /// Loads a model from the bytes of [`to_bytes`](Synthesizer::to_bytes).
    ///
    /// # Errors
    /// As [`load`](Synthesizer::load).
    fn from_bytes(bytes: &[u8]) -> Result<Self>
    where
        Self: Sized;
}

/// A [`Synthesizer`] of any kind behind a pointer: what the registry's loaders and
/// [`ModelSpec::init`](crate::ModelSpec::init) return. [`Synthesizer`] is object safe (its
/// loaders, which return `Self`, need `Self: Sized`), so every method but
/// [`clone_box`](DynSynthesizer::clone_box) is the supertrait's. Every [`Synthesizer`] that is
/// `Clone + Debug + Send + Sync` is one.
pub trait DynSynthesizer: Synthesizer + fmt::Debug + Send + Sync {
    /// A boxed copy.
    fn clone_box(&self) -> Box<dyn DynSynthesizer>;
}

impl<T> DynSynthesizer for T
where
    T: Synthesizer + Clone + fmt::Debug + Send + Sync + 'static,
{
    fn clone_box(&self) -> Box<dyn DynSynthesizer> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn DynSynthesizer> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// One condition of [`Synthesizer::sample_conditional`]: `column` takes `value` (`None` = the
/// value is missing, for a nullable column).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Condition {
    /// The categorical or boolean column.
    pub column: String,
    /// The category (as written in the schema), or `None` for a missing value.
    pub value: Option<String>,
}

impl Condition {
    /// `column = value`.
    pub fn new(column: impl Into<String>, value: impl Into<String>) -> Self {
        Condition {
            column: column.into(),
            value: Some(value.into()),
        }
    }

    /// `column` is missing.
    pub fn missing(column: impl Into<String>) -> Self {
        Condition {
            column: column.into(),
            value: None,
        }
    }

    /// Reads `COL=VALUE` (both non-empty; the value is everything after the first `=`), the
    /// form the command line and the services take; `None` for anything else.
    ///
    /// ```
    /// use tabveil_models::Condition;
    /// assert_eq!(Condition::parse("sex=Female"), Some(Condition::new("sex", "Female")));
    /// assert_eq!(Condition::parse("note=a=b"), Some(Condition::new("note", "a=b")));
    /// assert_eq!(Condition::parse("sex="), None);
    /// ```
    pub fn parse(pair: &str) -> Option<Self> {
        match pair.split_once('=') {
            Some((column, value)) if !column.is_empty() && !value.is_empty() => {
                Some(Condition::new(column, value))
            }
            _ => None,
        }
    }

    /// Reads a comma-separated list of `COL=VALUE` pairs (empty: no condition); the error is
    /// the first pair that does not read.
    ///
    /// ```
    /// use tabveil_models::Condition;
    /// let read = Condition::parse_list("sex=Female,race=White");
    /// assert_eq!(read.map(|c| c.len()), Ok(2));
    /// assert_eq!(Condition::parse_list("sex=Female,oops"), Err("oops"));
    /// assert_eq!(Condition::parse_list(""), Ok(Vec::new()));
    /// ```
    ///
    /// # Errors
    /// The first pair that [`parse`](Condition::parse) refuses.
    pub fn parse_list(raw: &str) -> std::result::Result<Vec<Self>, &str> {
        if raw.is_empty() {
            return Ok(Vec::new());
        }
        raw.split(',')
            .map(|pair| Condition::parse(pair).ok_or(pair))
            .collect()
    }
}

/// What a fit did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitSummary {
    /// Why training ended.
    pub stop: StopReason,
    /// Epochs completed (a cancelled or budget-stopped epoch is not counted).
    pub epochs: usize,
    /// Optimisation steps taken (generator steps for CTGAN).
    pub steps: u64,
    /// The private plan, in private mode.
    pub private: Option<PrivateRun>,
}

impl FitSummary {
    /// The summary of a non-private fit.
    pub(crate) fn non_private(stop: StopReason, epochs: usize, steps: u64) -> Self {
        FitSummary {
            stop,
            epochs,
            steps,
            private: None,
        }
    }
}

/// The plan and outcome of a private fit. Everything here is public: parameters, or
/// post-processing of differentially private releases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrivateRun {
    /// The differentially private estimate N̂ of the number of rows (the real count is never
    /// used).
    pub estimated_rows: f64,
    /// Noise multiplier of the preprocessing releases.
    pub preprocessing_noise_multiplier: Option<f64>,
    /// Noise multiplier of every DP-SGD step.
    pub training_noise_multiplier: f64,
    /// Poisson sampling rate q = B / round(N̂).
    pub sample_rate: f64,
    /// Private gradient releases planned (⌈epochs · discriminator steps · N̂ / B⌉).
    pub planned_releases: u64,
    /// Private gradient releases made.
    pub releases: u64,
    /// ε spent at the run's δ (preprocessing and training composed), by the run's accountant.
    pub epsilon_spent: f64,
    /// The run's δ.
    pub delta: f64,
}
