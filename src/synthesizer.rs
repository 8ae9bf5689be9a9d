//! [`Synthesizer`]: a checked configuration, ready to validate a plan and to fit tables.
//!
//! ```
//! use tabveil::prelude::*;
//!
//! let schema = Schema::new("people", vec![
//!     ColumnSchema::integer("age", Some(18.0), Some(90.0)),
//!     ColumnSchema::categorical("sex", ["F", "M"]),
//! ])?;
//! let synth = Synthesizer::builder()
//!     .ctgan()
//!     .private(Epsilon(1.0), Delta(1e-6))
//!     .epochs(30)
//!     .build()?;
//! // The same check `fit` runs first, before any data is touched: 300 rows are fewer than
//! // the default batch of 500.
//! let report = synth.validate(&schema, 300);
//! assert!(report.has_errors());
//! for finding in report.errors() {
//!     println!("{finding}"); // error[E-…] field: reason, then the fix
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::Path;

use candle_core::Device;
use tabveil_accountant::PrivacyLedger;
use tabveil_data::{Schema, Table, TableSource};
use tabveil_models::{
    DynSynthesizer, FitSummary, ModelKind, ModelSettings, NoProgress, Progress, check_model_dir,
};
use tabveil_validate::{
    MemoryEstimate, Severity, TrainingConfig, ValidateOptions, ValidationReport, validate_with,
};

use crate::builder::MemoryLimit;
use crate::discovery::DiscoverySettings;
use crate::error::{Error, Result};
use crate::fitted::{AUDIT_FILE, FIT_RECORD_FILE, Fitted};

/// A checked model configuration with its privacy choice: validates plans and fits tables
/// (see [`Synthesizer::builder`]). Cheap to clone; fitting does not change it.
#[derive(Debug, Clone)]
pub struct Synthesizer {
    /// Checked settings (the builder ran `ModelSpec::check`).
    pub(crate) settings: ModelSettings,
    pub(crate) device: Device,
    /// Private schema discovery before the fit ([`Synthesizer::fit_discovering`]).
    pub(crate) discovery: Option<DiscoverySettings>,
    /// The memory limit plans are validated against.
    pub(crate) memory_limit: MemoryLimit,
}

impl Synthesizer {
    pub(crate) fn from_parts(
        settings: ModelSettings,
        device: Device,
        memory_limit: MemoryLimit,
    ) -> Self {
        Synthesizer {
            settings,
            device,
            discovery: None,
            memory_limit,
        }
    }

    /// The validator's options for this synthesizer: its memory limit, and the workable ranges
    /// only when `ranges` (advice for a failed plan; the checks before a fit skip them).
    pub(crate) fn validate_options(&self, ranges: bool) -> ValidateOptions {
        ValidateOptions {
            ranges,
            memory_limit_bytes: self.memory_limit.bytes(),
        }
    }

    /// The model's kind.
    pub fn kind(&self) -> ModelKind {
        self.settings.kind()
    }

    /// True for a differentially private synthesizer.
    pub fn is_private(&self) -> bool {
        self.settings.spec().privacy().is_private()
    }

    /// The plan as the validator and the privacy report see it (the same value the
    /// `tabveil validate` command checks).
    pub fn training_config(&self) -> TrainingConfig {
        TrainingConfig::from(self.settings.clone())
    }

    /// Checks the plan against a table of `schema` with `n_rows` rows, without touching any
    /// data: every finding (errors block a fit, warnings do not) and the training plan (noise,
    /// steps, ε after each epoch, workable ranges of batch size, epochs and ε).
    ///
    /// With [`discover_schema`](crate::builder::SynthesizerBuilder::discover_schema) the plan
    /// is the joint one: the discovery's planned releases (for `schema`'s columns, `schema`
    /// declaring what is public) composed before the training, which is calibrated for what
    /// they leave; the columns the discovery will release are checked with stand-in values
    /// (the public fallback range, a single `other` category), so findings that depend on
    /// the number of categories are not final.
    pub fn validate(&self, schema: &Schema, n_rows: u64) -> ValidationReport {
        if let Some(report) = self.validate_discovering(schema, n_rows) {
            return report;
        }
        validate_with(
            &self.training_config(),
            schema,
            n_rows,
            &self.validate_options(true),
        )
    }

    /// Checks, before a fit, that a model of this synthesizer for `schema` can be saved to the
    /// folder `dir` as [`Fitted::save`] will: `dir` is absent, an empty folder or a complete
    /// tabveil model; a folder can be created where it goes; and that file system takes the
    /// model's estimated size (a probe file is written and removed). Nothing else is created or
    /// changed. Call it before [`fit`](Self::fit) when the model is to be saved, so that a
    /// private fit does not spend its budget on a model that cannot be kept.
    ///
    /// # Errors
    /// [`Error::Model`] with `ModelError::OutputRefused` or `ModelError::Io` naming the
    /// problem.
    pub fn check_output(&self, schema: &Schema, dir: &Path) -> Result<()> {
        crate::fitted::check_fit_record(dir)?;
        let estimate = MemoryEstimate::new(&self.training_config(), schema, u64::MAX);
        check_model_dir(dir, &[FIT_RECORD_FILE, AUDIT_FILE], estimate.saved_bytes)?;
        Ok(())
    }

    /// The released row estimate the private schedule is planned with
    /// ([`row_estimate`](crate::builder::SynthesizerBuilder::row_estimate)), if one was given.
    pub fn row_estimate(&self) -> Option<f64> {
        self.settings
            .spec()
            .privacy()
            .dp()
            .and_then(|dp| dp.row_estimate)
    }

    /// The row count the validator checks a fit of a table of `n_rows` rows at: the released
    /// [`row_estimate`](Self::row_estimate) (rounded) when one was given — the fit plans with
    /// it, so the true count then decides nothing about whether a model is produced — else
    /// `n_rows`.
    fn checked_rows(&self, n_rows: u64) -> u64 {
        match self.row_estimate() {
            Some(rows) => rows.round().max(1.0) as u64,
            None => n_rows,
        }
    }

    /// The privacy ledger a private fit of a table of `schema` records if it runs to the end,
    /// planned for `rows` rows before anything touches the data: the preprocessing releases
    /// and the model's own releases (for DP-SGD: q, σ, count), computed by the functions the
    /// fit calls (each model answers through its `ModelSpec::planned_ledger`). `None` for a
    /// non-private synthesizer.
    ///
    /// When the synthesizer was built with a [`row_estimate`](Self::row_estimate), the plan
    /// (and the validation) use it instead of `rows`, as the fit does: the fit's ledger is then
    /// this one or a prefix of it (a fit that stops early, fails or is cancelled releases
    /// less). Without a row estimate the fit plans with its own private estimate N̂, and the
    /// ledger it records differs from any plan made beforehand; `rows` must then be public or
    /// released. Entry labels say "planned"; accountants only read the mechanisms.
    ///
    /// # Errors
    /// [`Error::Rejected`] when the validator refuses the plan; [`Error::Model`] when the plan
    /// cannot be made (an unreachable target, a schema without modelled columns…).
    pub fn planned_ledger(&self, schema: &Schema, rows: u64) -> Result<Option<PrivacyLedger>> {
        if !self.is_private() {
            return Ok(None);
        }
        let rows = self.checked_rows(rows);
        let report = validate_with(
            &self.training_config(),
            schema,
            rows,
            &self.validate_options(false),
        );
        if report.has_errors() {
            return Err(Error::Rejected {
                findings: report.findings,
            });
        }
        Ok(self.settings.spec().planned_ledger(schema, rows as f64)?)
    }

    /// Validates the plan for `table`, then fits. See [`fit_with_progress`](Self::fit_with_progress).
    ///
    /// # Errors
    /// As [`fit_with_progress`](Self::fit_with_progress).
    pub fn fit(&self, table: &Table, schema: &Schema) -> Result<Fitted> {
        self.fit_with_progress(table, schema, &mut NoProgress)
    }

    /// Validates the plan for `table` (of `schema`), then fits a new model, reporting to
    /// `progress` — which may cancel: during preprocessing the fit then fails with an error for
    /// which `ModelError::is_cancelled` is true (in private mode carrying the releases already
    /// made: `ModelError::spent_ledger`); during training it stops after the current step and
    /// the model returned is usable, its ledger holding exactly the releases made
    /// ([`FitSummary::stop`](tabveil_models::FitSummary::stop) says why it stopped).
    ///
    /// The table's row count N is the only thing the validation reads from the data: the plan
    /// it checks is computed at the true N, so a finding that depends on N (δ ≥ 1/N, a batch
    /// larger than N, a target unreachable at N) can refuse the fit before anything is released
    /// — a refusal that depends on N and is not covered by ε. The private fit itself plans with
    /// N̂, a differentially private estimate of N, so its plan can differ from the one
    /// validated; the warnings kept on the result ([`Fitted::warnings`]) are recomputed at N̂.
    ///
    /// # Errors
    /// [`Error::Rejected`] with the validator's findings before anything is computed from the
    /// data; [`Error::Model`] for a table that does not match the schema, cancellation during
    /// preprocessing, numerical failure.
    pub fn fit_with_progress(
        &self,
        table: &Table,
        schema: &Schema,
        progress: &mut dyn Progress,
    ) -> Result<Fitted> {
        let report = self.check_plan(table, schema)?;
        let mut model = self.settings.spec().init(&self.device)?;
        let summary = model.fit(table, schema, progress)?;
        self.fitted(model, &summary, table.n_rows() as u64, report, schema)
    }

    /// [`fit_with_progress`](Self::fit_with_progress) on a table read in batches — a Parquet
    /// or Arrow IPC file larger than memory
    /// (`tabveil::data::ColumnarSource`, with the `arrow` feature) — for a
    /// model that streams (the marginal model; see
    /// [`Synthesizer::fit_source`](tabveil_models::Synthesizer::fit_source)). `n_rows` is
    /// the table's row count (a Parquet footer's): private like a table's, it is used exactly
    /// as `fit_with_progress` uses the table's (the validation, the record of a non-private
    /// fit), never by the model.
    ///
    /// # Errors
    /// [`tabveil_models::ModelError::NotStreamable`] (as [`Error::Model`]) for a model that
    /// reads its table whole, before anything is read; otherwise as `fit_with_progress`, and
    /// the source's read errors.
    pub fn fit_source_with_progress(
        &self,
        source: &mut dyn TableSource,
        n_rows: u64,
        schema: &Schema,
        progress: &mut dyn Progress,
    ) -> Result<Fitted> {
        let report = self.check_plan_rows(n_rows, schema)?;
        let mut model = self.settings.spec().init(&self.device)?;
        let summary = model.fit_source(source, schema, progress)?;
        self.fitted(model, &summary, n_rows, report, schema)
    }

    /// The fitted model with the warnings it keeps.
    fn fitted(
        &self,
        model: Box<dyn DynSynthesizer>,
        summary: &FitSummary,
        n_rows: u64,
        report: ValidationReport,
        schema: &Schema,
    ) -> Result<Fitted> {
        let training = self.training_config();
        let warnings = match &summary.private {
            // The findings above were computed from the true row count N (several quote it,
            // or numbers calibrated on B/N, and whether a warning fires depends on N). They
            // stay with the caller, who holds the data; the model keeps — and saves — the
            // findings for the DP estimate N̂ instead: post-processing of a ledger release.
            Some(private) => {
                let estimated = private.estimated_rows.round().max(1.0) as u64;
                validate_with(&training, schema, estimated, &self.validate_options(false))
                    .findings
                    .into_iter()
                    .filter(|f| f.severity == Severity::Warning)
                    .collect()
            }
            None => report.findings,
        };
        Fitted::new(model, n_rows, warnings)
    }

    /// The validator's report for `table`, or [`Error::Rejected`] when it has errors.
    pub(crate) fn check_plan(&self, table: &Table, schema: &Schema) -> Result<ValidationReport> {
        self.check_plan_rows(table.n_rows() as u64, schema)
    }

    /// The validator's report for a table of `n_rows` rows (see [`Self::check_plan`]).
    fn check_plan_rows(&self, n_rows: u64, schema: &Schema) -> Result<ValidationReport> {
        let training = self.training_config();
        // With a released row estimate the plan is checked at that count, as the fit plans
        // with it. The ranges (workable batch sizes, epochs, ε) are only advice for a failed
        // plan; the findings and their fixes do not need them.
        let report = validate_with(
            &training,
            schema,
            self.checked_rows(n_rows),
            &self.validate_options(false),
        );
        // In private mode only the errors that do not depend on the true row count N refuse
        // the fit: N is private, and a refusal that depends on it (δ ≥ 1/N, batch > N, a
        // target unreachable at N) would release one bit about N that no ε covers. The model
        // re-checks what it needs on its DP estimate N̂ after the preprocessing, and then
        // returns the releases with its error.
        // Checked at a released row estimate, those checks depend on no private number, and
        // all of them refuse.
        let rows_private = training.privacy().is_private() && self.row_estimate().is_none();
        if report.blocking(rows_private).next().is_some() {
            return Err(Error::Rejected {
                findings: report
                    .findings
                    .into_iter()
                    .filter(|f| !(rows_private && f.code.depends_on_rows()))
                    .collect(),
            });
        }
        Ok(report)
    }
}
