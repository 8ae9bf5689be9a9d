//! A private fit that discovers its schema first: [`Synthesizer::fit_discovering`].
//!
//! The schema gives column names and kinds only (or nothing); a share of the run's (ε, δ)
//! releases the rest — categories, bounds, nullability — with `tabveil_data::discover_schema`,
//! and the model's fit composes those releases first
//! ([`DpConfig::with_prior_releases`](tabveil_models::DpConfig::with_prior_releases)): its
//! ledger starts with them and its training noise is calibrated so that discovery,
//! preprocessing and training together spend at most the target ε at δ by the run's
//! accountant. One ledger, in the model and its report; the model's schema records, per
//! column, what was released privately and at what cost.
//!
//! **Why the whole run is (ε, δ)-DP** (add/remove one row):
//! 1. The discovery is planned from public inputs only (the header, the declared schema, the
//!    budget) and releases Gaussian counts and Gaussian-thresholding selections, each on the
//!    ledger with its σ (and τ, whose additive δ the accountants subtract); its schema is
//!    post-processing of those releases.
//! 2. The table is then read with that schema: a row-by-row map (clipping to released bounds,
//!    unreleased values to `other`), so neighbouring raw tables stay neighbouring tables and
//!    every sensitivity of the preprocessing and of DP-SGD holds as without discovery.
//! 3. The fit's mechanisms are chosen after seeing the discovery's output: adaptive
//!    composition, which both accountants bound (RDP composes additively for adaptive
//!    mechanisms; the PLD of a dominating pair composes by convolution under adaptivity, as
//!    for DP-SGD's own steps).
//! 4. The fit's training noise is calibrated by the accountant on every event of the run —
//!    the discovery's, then the preprocessing's, then the planned steps
//!    (`RunBudget::prior`, `PreprocessingPlan::with_training`) — and the budget guard of
//!    every step holds the ledger that starts with the discovery's entries: the recorded
//!    ledger is ≤ ε at δ by the chosen accountant, whatever the split.
//! 5. The privacy randomness of the discovery is the run's (its own stream of a noise seed,
//!    never the preprocessing's draws).
//!
//! ```
//! use tabveil::data::RawTable;
//! use tabveil::prelude::*;
//!
//! // Public: the columns' kinds. Private: their categories and bounds.
//! let declared = Schema::from_json(r#"{"name": "t", "columns": [
//!     {"name": "age", "kind": "continuous", "integer": true},
//!     {"name": "city", "kind": "categorical"}
//! ]}"#)?;
//! let rows = 4_000;
//! let age = (0..rows).map(|i| Some((20 + i % 50).to_string())).collect();
//! let city = (0..rows).map(|i| Some(["Oslo", "Rome"][i % 2].to_owned())).collect();
//! let raw = RawTable::new(vec!["age".into(), "city".into()], vec![age, city])?;
//!
//! let small = TvaeConfig::new(tabveil::models::Privacy::NonPrivate)
//!     .with_dims(vec![16], vec![16])
//!     .with_embedding_dim(8);
//! let synth = Synthesizer::builder()
//!     .tvae_with(small)
//!     .private(Epsilon(3.0), Delta(1e-6))
//!     .discover_schema(0.2)
//!     .epochs(1)
//!     .batch_size(400)
//!     .build()?;
//! let fitted = synth.fit_discovering(&raw, Some(&declared))?;
//! assert!(fitted.epsilon_spent()?.unwrap() <= 3.0);
//! let ledger = fitted.ledger().unwrap();
//! assert!(ledger.entries()[0].label().starts_with("schema discovery"));
//! assert_eq!(fitted.schema().column("city").unwrap().categories().unwrap(), ["Oslo", "Rome", "(other)"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use tabveil_accountant::PrivacyLedger;
use tabveil_data::{
    ColumnKind, ColumnSchema, CsvOptions, DiscoveryBudget, DiscoveryConfig, DiscoveryPlan,
    RawTable, Schema, discover_schema, plan_discovery,
};
use tabveil_models::{ConfigError, NoProgress, Privacy, Progress};
use tabveil_noise::PrivacyStream;
use tabveil_validate::{Code, TrainingConfig, ValidationReport};

use crate::error::{Error, Result};
use crate::fitted::Fitted;
use crate::synthesizer::Synthesizer;

/// The privacy stream of schema discovery inside a fit (its own generator, so that a noise
/// seed never gives discovery and preprocessing the same draws).
const DISCOVERY_STREAM: PrivacyStream = PrivacyStream::new(105);

/// How a fit discovers its schema: the share of (ε, δ) and the discovery's settings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DiscoverySettings {
    /// The share of the run's ε (and δ) discovery alone may spend, in (0, 1).
    pub(crate) share: f64,
    /// The discovery's settings besides its budget.
    pub(crate) config: DiscoveryConfig,
}

impl Synthesizer {
    /// The discovery plan a [`fit_discovering`](Self::fit_discovering) of a table with
    /// columns `names` makes first (public: the header, the declared schema, the budget), or
    /// `None` when the synthesizer does not discover its schema.
    ///
    /// # Errors
    /// As [`fit_discovering`](Self::fit_discovering) before anything is released.
    pub fn discovery_plan(
        &self,
        names: &[String],
        declared: Option<&Schema>,
    ) -> Result<Option<DiscoveryPlan>> {
        let Some(d) = &self.discovery else {
            return Ok(None);
        };
        let dp = self
            .settings
            .spec()
            .privacy()
            .dp()
            .ok_or(Error::Config(invalid_setting(
                "discover_schema",
                d.share,
                "a private synthesizer",
            )))?;
        if !self.settings.spec().composes_prior_releases() {
            return Err(Error::Config(invalid_setting(
                "discover_schema",
                self.kind().as_str(),
                "a model whose fit composes prior releases (ctgan, tvae, marginal)",
            )));
        }
        // Discovery alone at share·(ε, δ): the fit's calibration then composes it exactly
        // (RunBudget::prior), so the split is a planning choice, not a composition bound.
        let budget = DiscoveryBudget::new(
            d.share * dp.epsilon,
            d.share * dp.delta,
            dp.accountant.clone(),
        )?;
        Ok(Some(plan_discovery(names, declared, &budget, &d.config)?))
    }

    /// [`fit_discovering_with_progress`](Self::fit_discovering_with_progress) without
    /// progress.
    ///
    /// # Errors
    /// As [`fit_discovering_with_progress`](Self::fit_discovering_with_progress).
    pub fn fit_discovering(&self, raw: &RawTable, declared: Option<&Schema>) -> Result<Fitted> {
        self.fit_discovering_with_progress(raw, declared, &CsvOptions::default(), &mut NoProgress)
    }

    /// Discovers the schema of `raw` privately — what `declared` (public: names, kinds, any
    /// bounds or categories it holds) leaves out — then fits on `raw` read with it, the
    /// discovery's releases composed first (see the [module docs](crate::discovery)); only
    /// for a synthesizer built with
    /// [`discover_schema`](crate::builder::SynthesizerBuilder::discover_schema). `options`
    /// reads the fields as the discovery saw them (its null tokens; values beyond released
    /// bounds are clipped, values below the category threshold map to `other`).
    ///
    /// # Errors
    /// Before any release: [`Error::Config`] (no discovery share, a model that cannot compose
    /// prior releases), the discovery's planning errors ([`Error::Data`]: a declared schema
    /// read from the data, declared columns not in `raw`, an unreachable budget). After the
    /// discovery: [`Error::DiscoveryThenFailed`] carrying its ledger, or the model's
    /// `ModelError::SpentThenFailed`, whose ledger starts with the discovery's releases.
    pub fn fit_discovering_with_progress(
        &self,
        raw: &RawTable,
        declared: Option<&Schema>,
        options: &CsvOptions,
        progress: &mut dyn Progress,
    ) -> Result<Fitted> {
        let plan = self
            .discovery_plan(raw.names(), declared)?
            .ok_or(Error::Config(invalid_setting(
                "discover_schema",
                "none",
                "a synthesizer built with discover_schema(share)",
            )))?;
        let Some((config, dp)) = self
            .discovery
            .as_ref()
            .zip(self.settings.spec().privacy().dp())
        else {
            return Err(Error::Internal("a discovery plan without its settings"));
        };
        let mut rng = dp
            .noise_source()
            .rng(DISCOVERY_STREAM)
            .map_err(|e| Error::Model(e.into()))?;
        let mut ledger = PrivacyLedger::new();
        let schema = discover_schema(raw, declared, &plan, &config.config, &mut ledger, &mut rng)
            .map_err(|e| spent_then(e.into(), &ledger))?;
        // ---- from here on, the discovery's releases are made ----
        let table = raw
            .to_table(&schema, options)
            .map_err(|e| spent_then(e.into(), &ledger))?;
        let mut settings = self.settings.clone();
        if let Privacy::Dp(dp) = settings.spec_mut().privacy_mut() {
            dp.prior_releases = ledger.entries().to_vec();
        }
        let synth = Synthesizer::from_parts(settings, self.device.clone(), self.memory_limit);
        synth
            .fit_with_progress(&table, &schema, progress)
            .map_err(|e| match e {
                // The model's own errors after a release carry the whole ledger already.
                Error::Model(m) if m.spent_ledger().is_some() => Error::Model(m),
                other => spent_then(other, &ledger),
            })
    }
}

impl Synthesizer {
    /// The joint plan's validation (see [`Synthesizer::validate`]); `None` without discovery
    /// or when the discovery cannot be planned for `schema` (the plain validation then shows
    /// what is missing).
    pub(crate) fn validate_discovering(
        &self,
        schema: &Schema,
        n_rows: u64,
    ) -> Option<ValidationReport> {
        let d = self.discovery.as_ref()?;
        let names: Vec<String> = schema
            .columns()
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
        let plan = self.discovery_plan(&names, Some(schema)).ok()??;
        let grid = d.config.numeric_grid().range();
        let datetimes = tabveil_data::ValueGrid::datetime().range();
        let other = d.config.other_label().to_owned();
        let columns = schema
            .columns()
            .iter()
            .map(|c| {
                let stand_in = match c.kind().clone() {
                    ColumnKind::Continuous { min, max, integer } => ColumnKind::Continuous {
                        min: min.or(Some(grid.0)),
                        max: max.or(Some(grid.1)),
                        integer,
                    },
                    ColumnKind::Datetime { format, min, max } => ColumnKind::Datetime {
                        format,
                        min: min.or(Some(datetimes.0)),
                        max: max.or(Some(datetimes.1)),
                    },
                    ColumnKind::Categorical { categories: None } => ColumnKind::Categorical {
                        categories: Some(vec![other.clone()]),
                    },
                    kind => kind,
                };
                ColumnSchema::new(c.name(), stand_in).with_nullable(c.is_nullable())
            })
            .collect();
        let stand_in = Schema::new(schema.name(), columns).ok()?;
        let mut settings = self.settings.clone();
        if let Privacy::Dp(dp) = settings.spec_mut().privacy_mut() {
            dp.prior_releases = plan.entries().to_vec();
        }
        let mut report = tabveil_validate::validate_with(
            &TrainingConfig::from(settings),
            &stand_in,
            n_rows,
            &self.validate_options(true),
        );
        // The stand-in's single `other` category is not the user's declaration.
        let discovered: Vec<String> = schema
            .columns()
            .iter()
            .filter(|c| matches!(c.kind(), ColumnKind::Categorical { categories: None }))
            .map(|c| format!("schema.columns.{}", c.name()))
            .collect();
        report
            .findings
            .retain(|f| !(f.code == Code::SingleCategory && discovered.contains(&f.field)));
        Some(report)
    }
}

/// A setting out of range, as the models crate reports one.
pub(crate) fn invalid_setting(
    parameter: &'static str,
    value: impl ToString,
    expected: &'static str,
) -> ConfigError {
    ConfigError::InvalidParameter {
        parameter,
        value: value.to_string(),
        expected,
    }
}

/// `error` after the discovery spent `ledger`.
fn spent_then(error: Error, ledger: &PrivacyLedger) -> Error {
    Error::DiscoveryThenFailed {
        error: Box::new(error),
        spent: Box::new(ledger.clone()),
    }
}
