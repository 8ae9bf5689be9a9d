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

use candle_core::Device;
use tabveil_data::{Schema, Table};
use tabveil_models::{ModelKind, ModelSettings, NoProgress, Progress};
use tabveil_validate::{
    Severity, TrainingConfig, ValidateOptions, ValidationReport, validate_with,
};

use crate::error::{Error, Result};
use crate::fitted::Fitted;

/// A checked model configuration with its privacy choice: validates plans and fits tables
/// (see [`Synthesizer::builder`]). Cheap to clone; fitting does not change it.
#[derive(Debug, Clone)]
pub struct Synthesizer {
    /// Checked settings (the builder ran `ModelSpec::check`).
    settings: ModelSettings,
    device: Device,
}

impl Synthesizer {
    pub(crate) fn from_parts(settings: ModelSettings, device: Device) -> Self {
        Synthesizer { settings, device }
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
    pub fn validate(&self, schema: &Schema, n_rows: u64) -> ValidationReport {
        tabveil_validate::validate(&self.training_config(), schema, n_rows)
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
        let training = self.training_config();
        // The ranges (workable batch sizes, epochs, ε) are only advice for a failed plan; the
        // findings and their fixes do not need them.
        let report = validate_with(
            &training,
            schema,
            table.n_rows() as u64,
            &ValidateOptions::without_ranges(),
        );
        if report.has_errors() {
            return Err(Error::Rejected {
                findings: report.findings,
            });
        }
        let mut model = self.settings.spec().init(&self.device)?;
        let summary = model.fit(table, schema, progress)?;
        let warnings = match &summary.private {
            // The findings above were computed from the true row count N (several quote it,
            // or numbers calibrated on B/N, and whether a warning fires depends on N). They
            // stay with the caller, who holds the data; the model keeps — and saves — the
            // findings for the DP estimate N̂ instead: post-processing of a ledger release.
            Some(private) => {
                let estimated = private.estimated_rows.round().max(1.0) as u64;
                validate_with(
                    &training,
                    schema,
                    estimated,
                    &ValidateOptions::without_ranges(),
                )
                .findings
                .into_iter()
                .filter(|f| f.severity == Severity::Warning)
                .collect()
            }
            None => report.findings,
        };
        Fitted::new(model, table.n_rows() as u64, warnings)
    }
}
