//! [`PrivacyReport::from_fit`]: the report of a fit, computed from its ledger.

mod accounting;
mod prose;
mod tuning;

use tabveil_accountant::{PrivacyEvent, PrivacyLedger, Stage};
use tabveil_data::Schema;
use tabveil_validate::TrainingConfig;

use crate::error::{ReportError, Result};
use crate::evaluation::EvaluationSummary;
use crate::types::{
    AccountantInfo, DpSgd, Guarantee, ModelSummary, PrivacyReport, REPORT_SCHEMA_VERSION, RowCount,
    Spending,
};

impl PrivacyReport {
    /// The report of a fit of `config` on a table of `schema` whose privacy history is
    /// `ledger`. `rows` is the row count to show: pass [`RowCount::PrivateEstimate`] with the
    /// fit's N̂ for a report you will publish (a bare `u64` is [`RowCount::Exact`]: the true
    /// count, which the report then says is not protected).
    ///
    /// Every number is recomputed from the ledger with the config's accountant (the one that
    /// enforced the budget); the config supplies the target, δ and the context.
    ///
    /// # Errors
    /// [`ReportError::InvalidInput`] for 0 rows or an invalid δ;
    /// [`ReportError::LedgerMismatch`] when the ledger records releases for a non-private
    /// config; accountant errors.
    pub fn from_fit(
        ledger: &PrivacyLedger,
        config: &TrainingConfig,
        schema: &Schema,
        rows: impl Into<RowCount>,
    ) -> Result<Self> {
        let rows = rows.into();
        let n_rows = rows.rows();
        if n_rows == 0 {
            return Err(ReportError::InvalidInput {
                parameter: "n_rows",
                value: "0".to_owned(),
                expected: "at least 1",
            });
        }
        let private_model = |epochs_completed| ModelSummary {
            name: None,
            model: config.model.name().to_owned(),
            private: config.privacy().is_private(),
            n_rows,
            n_rows_estimated: rows.is_estimate(),
            columns: schema.n_columns(),
            batch_size: config.batch_size(),
            epochs_planned: config.epochs(),
            epochs_completed,
        };
        let Some(dp) = config.dp() else {
            if !ledger.is_empty() {
                return Err(ReportError::LedgerMismatch {
                    reason: format!(
                        "the config is non-private but the ledger records {} release(s)",
                        ledger.entries().len()
                    ),
                });
            }
            return Ok(PrivacyReport {
                schema_version: REPORT_SCHEMA_VERSION,
                epsilon: None,
                delta: None,
                target_epsilon: None,
                accountant: None,
                headline: prose::headline(None, None, None),
                model: private_model(None),
                guarantee: None,
                spending: None,
                public_and_private: prose::public_and_private(config, schema, rows, ""),
                safeguards: None,
                context: None,
                evaluation: None,
                audit: None,
                tuning: None,
                regulatory_notes: prose::regulatory_notes(false),
                generated_by: generated_by(),
            });
        };
        if !(dp.delta > 0.0 && dp.delta < 1.0) {
            return Err(ReportError::InvalidInput {
                parameter: "privacy.delta",
                value: dp.delta.to_string(),
                expected: "in (0, 1)",
            });
        }
        let spec = &dp.accountant;
        let delta = dp.delta;
        let epsilon = accounting::epsilon(ledger, spec, delta)?;
        let (table, curve) = accounting::delta_table_and_curve(ledger, spec, delta)?;
        let mechanisms = accounting::mechanisms(ledger, spec, delta, epsilon)?;
        let pre = accounting::stage_cost(ledger, spec, delta, epsilon, Stage::Preprocessing)?;
        let train = accounting::stage_cost(ledger, spec, delta, epsilon, Stage::Training)?;
        let over_steps = accounting::epsilon_over_steps(ledger, spec, delta)?;

        let training: Vec<_> = ledger
            .entries()
            .iter()
            .filter(|e| e.stage() == Stage::Training)
            .collect();
        let steps: u64 = training.iter().map(|e| e.event().steps()).sum();
        // Epochs, batches, Poisson sampling and tuning are about DP-SGD models.
        let dp_sgd_model = config.model.spec().schedule().is_some();
        let releases_per_step = config.private_releases_per_step().max(1) as f64;
        // The schedule's q is the ledger's: B/N_s, where N_s is the row count the trainer
        // planned with: N̂ for tabveil's private fits; a ledger planned with the true N (by
        // another trainer) exposes N, and the report says so.
        let q = training
            .last()
            .map_or(config.batch_size() as f64 / n_rows as f64, |e| {
                e.event().sample_rate()
            });
        let schedule_rows = (config.batch_size() as f64 / q).round();
        let epochs_completed = steps as f64 * q / releases_per_step;
        let estimate_used = "a differentially private estimate of the row count (post-processing of the noisy preprocessing counts); the true count was not used by training, and the gradient sum was normalised by q·N̂";
        let row_count = match rows {
            // A model without a DP-SGD schedule plans with N̂ from its own releases.
            _ if !dp_sgd_model => format!(
                "the model planned with N̂, a differentially private estimate of the row count (post-processing of its noisy releases); {}",
                match rows {
                    RowCount::PrivateEstimate(_) => "this report shows only N̂".to_owned(),
                    RowCount::Exact(n) => format!(
                        "the true count, N = {n}, is shown in this report and is not protected"
                    ),
                }
            ),
            RowCount::PrivateEstimate(_) => format!(
                "the DP-SGD schedule used N̂ = {schedule_rows} rows (q = B/N̂), {estimate_used}; this report shows only N̂"
            ),
            RowCount::Exact(_) if schedule_rows == n_rows as f64 => format!(
                "the DP-SGD schedule used the true row count N = {n_rows} (q = B/N), which is therefore treated as public: DP-SGD normalises the clipped gradient sum by the expected batch q·N (a standard assumption in DP-SGD implementations)"
            ),
            RowCount::Exact(_) => format!(
                "the DP-SGD schedule used N̂ = {schedule_rows} rows (q = B/N̂), {estimate_used}; the true count, N = {n_rows}, is shown in this report and is not protected"
            ),
        };
        // DP-SGD's settings come from its steps (other training-stage mechanisms, if a model
        // records any, have no sampling rate or clipping norm).
        let dp_sgd = training
            .iter()
            .rev()
            .find_map(|e| match *e.event() {
                PrivacyEvent::PoissonSubsampledGaussian {
                    sample_rate,
                    noise_multiplier,
                    ..
                } => Some((e, sample_rate, noise_multiplier)),
                _ => None,
            })
            .filter(|_| dp_sgd_model)
            .map(|(last, sample_rate, noise_multiplier)| DpSgd {
                sample_rate,
                expected_batch: sample_rate * schedule_rows,
                noise_multiplier,
                clipping_norm: last.l2_sensitivity().unwrap_or(dp.clipping_norm),
                steps,
                epochs: epochs_completed,
            });

        Ok(PrivacyReport {
            schema_version: REPORT_SCHEMA_VERSION,
            epsilon: Some(epsilon),
            delta: Some(delta),
            target_epsilon: Some(dp.epsilon),
            accountant: Some(AccountantInfo {
                kind: spec.kind,
                bound: spec.kind.bound(),
                description: prose::accountant_description(spec.kind),
            }),
            headline: prose::headline(Some(epsilon), Some(delta), Some(dp.epsilon)),
            model: private_model(dp_sgd_model.then_some(epochs_completed)),
            guarantee: Some(Guarantee {
                budget_used: if dp.epsilon > 0.0 { epsilon / dp.epsilon } else { f64::NAN },
                epsilon_at_deltas: table,
                curve,
                privacy_unit: "one row of the training table".to_owned(),
                neighbouring: format!(
                    "{}: two tables are neighbours when one is the other with one row added or removed",
                    ledger.neighbouring()
                ),
                trust_model: "central: the training process sees the raw table; the guarantee covers everything released from it (the model, its samples, this report), not the raw table itself".to_owned(),
                row_count,
                scope: if dp_sgd_model {
                    format!(
                        "End to end: every statistic of the data kept by the model (preprocessing: {}) and every gradient step (training: the Gaussian mechanism) is a mechanism on the ledger below; everything else the model holds comes from the declared schema. Sampling from the model is post-processing and costs nothing more.",
                        prose::preprocessing_noise(ledger)
                    )
                } else {
                    "End to end: every statistic of the data the model was fitted to, and every data-dependent choice it made, is a mechanism on the ledger below; everything else the model holds comes from the declared schema. Sampling from the model is post-processing and costs nothing more.".to_owned()
                },
            }),
            spending: Some(Spending {
                mechanisms,
                preprocessing: pre,
                training: train,
                dp_sgd,
                epsilon_over_steps: over_steps,
                epsilon_over_rounds: if dp_sgd_model {
                    Vec::new()
                } else {
                    accounting::epsilon_over_rounds(ledger, spec, delta)?
                },
                note: "ε does not add up across mechanisms: the accountant composes them, which costs less than the sum. \"ε alone\" is what a mechanism or stage would spend by itself; its cost in the total is how much the total ε would drop without it; the share is that cost over the total.".to_owned(),
            }),
            public_and_private: prose::public_and_private(
                config,
                schema,
                rows,
                prose::preprocessing_noise(ledger),
            ),
            safeguards: Some(prose::safeguards(ledger, config)),
            context: Some(prose::context(epsilon)),
            evaluation: None,
            audit: None,
            tuning: if dp_sgd_model {
                Some(tuning::tuning(ledger, config, dp, schema, n_rows)?)
            } else {
                None
            },
            regulatory_notes: prose::regulatory_notes(true),
            generated_by: generated_by(),
        })
    }

    /// The same report with the headline scores of an evaluation of the synthetic data.
    ///
    /// # Errors
    /// [`ReportError::InvalidInput`] when a score is outside [0, 1].
    pub fn with_evaluation(mut self, evaluation: EvaluationSummary) -> Result<Self> {
        evaluation.check()?;
        self.evaluation = Some(evaluation);
        Ok(self)
    }

    /// The same report with a name for the fit (used by comparisons).
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.model.name = Some(name.into());
        self
    }
}

fn generated_by() -> String {
    format!("tabveil-report {}", env!("CARGO_PKG_VERSION"))
}
