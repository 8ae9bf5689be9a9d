//! The DP-SGD set-up shared by every model trained with DP-SGD (CTGAN, TVAE): the private
//! preparation — calibrate the preprocessing noise, run the private preprocessing (every
//! release on the ledger), read the private row estimate N̂, plan the DP-SGD schedule from N̂
//! and calibrate the training noise with the preprocessing composed first — then the secret
//! per-example randomness, the Poisson sampler, the budget-guarded optimizer, the epoch
//! reports and the end of the run. A model writes only its own steps.
//!
//! The plan is the accountant's run plan, computed by the same functions the validator calls:
//! the preprocessing releases of `tabveil_data::planned_preprocessing` calibrated by
//! [`PreprocessingPlan::calibrate`] (which does not depend on N), then
//! [`PreprocessingPlan::with_training`] for
//! `TrainingSchedule::with_releases_per_step(round(N̂), B, epochs, d)`. The validator plans
//! with the row count it is given (the true N or the user's figure), a fit with round(N̂): σ_pre
//! is the same, but q, the steps and σ_train match what `tabveil validate` printed only when
//! round(N̂) equals that count.
//!
//! **The row count is private.** Nothing here reads `table.n_rows()` except the Poisson
//! sampler: the schedule, q and the normaliser of the gradients come from N̂ (post-processing
//! of the noisy counts). The sampler touches the real rows, one independent Bernoulli(q) draw
//! per row — which is the mechanism the accountant analyses.

use std::ops::ControlFlow;

use candle_core::Var;
use rand::RngCore;
use rand_chacha::ChaCha20Rng;
use tabveil_accountant::{
    JointCalibration, LedgerEntry, PreprocessingPlan, PrivacyEvent, PrivacyLedger, Stage,
    TrainingSchedule,
};
use tabveil_data::{
    DataTransformer, DataTransformerConfig, PrivateConfig, PrivateStatistics, Schema, Table,
    fit_private_with_progress, planned_preprocessing,
};
use tabveil_noise::PrivacyStream;
use tabveil_sgd::{
    Adam, ClippedGradients, DpOptimizer, DpSgdConfig, GhostBatch, Gradients, ParamsAdam,
    PrivacyBudget, RowSampler, StepOutcome, WhiteBoxAudit,
};

use crate::error::{ModelError, Result};
use crate::privacy::DpConfig;
use crate::progress::{ColumnProgress, EpochReport, Losses, Progress, StopReason};
use crate::shell::FitInput;
use crate::spec::DpSgdSchedule;
use crate::synthesizer::{FitSummary, PrivateRun};

/// What the private preparation produced.
#[derive(Debug)]
pub(crate) struct PrivatePreparation {
    /// The transformer, fitted from noisy statistics only.
    pub(crate) transformer: DataTransformer,
    /// The noisy statistics (post-processed), e.g. for condition frequencies.
    pub(crate) statistics: PrivateStatistics,
    /// Secret per-example randomness (privacy randomness, fixed by the noise seed only; see
    /// [`PrivacyRng::secret_chacha`](tabveil_noise::PrivacyRng::secret_chacha)).
    pub(crate) secret: ChaCha20Rng,
    /// The encoded real rows (row-major, the transformer's width), with the per-row mode
    /// draws taken from the secret randomness: used only inside the per-example terms.
    pub(crate) data: Vec<f32>,
    /// The releases made and the plan of the DP-SGD steps.
    pub(crate) plan: PrivatePlan,
}

/// The releases of the preparation and the plan of the DP-SGD steps.
#[derive(Debug)]
pub(crate) struct PrivatePlan {
    /// The privacy settings of the run.
    dp: DpConfig,
    /// A white-box audit to run under (taken from the [`FitInput`]; `None` for a normal fit).
    audit: Option<WhiteBoxAudit>,
    /// Epochs of the configuration.
    epochs: usize,
    /// Private releases per optimiser step.
    releases_per_step: u64,
    /// The ledger, holding the preprocessing releases.
    ledger: PrivacyLedger,
    /// N̂ (not rounded).
    estimated_rows: f64,
    /// The DP-SGD schedule on round(N̂) rows.
    schedule: TrainingSchedule,
    /// σ_pre and σ_train.
    calibration: JointCalibration,
}

/// Runs the private preparation (see the [module docs](self)) on `input`'s table, and takes
/// its white-box audit (if any) into the plan for [`DpSgd::new`].
///
/// `schedule.releases_per_step` is the number of private gradient releases per optimiser step
/// (CTGAN's discriminator steps, 1 for TVAE), as in the validator's schedule.
///
/// # Errors
/// Missing public bounds or categories (before anything is released), a table that does not
/// match the schema, a batch larger than N̂, calibration errors (unreachable target),
/// cancellation ([`ModelError::Cancelled`]). Once the preprocessing has released anything,
/// errors come as [`ModelError::SpentThenFailed`] carrying those releases.
pub(crate) fn prepare(
    input: &mut FitInput<'_>,
    dp: &DpConfig,
    transformer: &DataTransformerConfig,
    schedule: DpSgdSchedule,
) -> Result<PrivatePreparation> {
    let (table, schema) = (input.table, input.schema);
    let progress = &mut *input.progress;
    let (epochs, releases_per_step) = (schedule.epochs, schedule.releases_per_step as u64);
    // 1–2. The releases the preprocessing will make and σ_pre (no data touched).
    let (preprocessing, config) = plan_preprocessing(dp, schema)?;
    // 3. The private preprocessing: every release recorded on the ledger.
    let config = config.with_transformer(transformer.clone())?;
    // Releases made before the run (private schema discovery) open the ledger: the budget
    // guard and the report then see the whole pipeline, and the training noise was
    // calibrated with them composed first (`RunBudget::prior`).
    let mut ledger = dp.prior_ledger()?;
    let mut rng = dp.noise_source().rng(PrivacyStream::PREPROCESSING)?;
    let (transformer, statistics) = match fit_private_with_progress(
        table,
        schema,
        &config,
        &mut ledger,
        &mut rng,
        &mut ColumnProgress(progress),
    ) {
        Ok(fitted) => fitted,
        Err(tabveil_data::DataError::Cancelled) => {
            return Err(ModelError::after_releases(ModelError::Cancelled, ledger));
        }
        Err(e) => return Err(ModelError::after_releases(e.into(), ledger)),
    };
    // From here on the releases are made: a failure hands them back with the error, so that
    // a retry on the same data can be accounted for.
    // A row count released before the run (`DpConfig::with_row_estimate`) replaces this run's
    // own N̂, so that the schedule was known before the first release.
    let planning_rows = dp.planning_rows(statistics.estimated_rows());
    let plan = plan_training(dp, &preprocessing, planning_rows, schedule);
    let (estimated_rows, schedule, calibration) = match plan {
        Ok(plan) => plan,
        Err(e) => return Err(ModelError::after_releases(e, ledger)),
    };
    let encoded = (|| -> Result<_> {
        fault("prepare")?;
        let mut secret = dp
            .noise_source()
            .rng(PrivacyStream::PER_EXAMPLE)?
            .secret_chacha()?;
        let data = transformer.transform(table, secret.next_u64())?.into_vec();
        Ok((secret, data))
    })();
    let (secret, data) = match encoded {
        Ok(v) => v,
        Err(e) => return Err(ModelError::after_releases(e, ledger)),
    };
    Ok(PrivatePreparation {
        transformer,
        statistics,
        secret,
        data,
        plan: PrivatePlan {
            dp: dp.clone(),
            audit: input.audit.take(),
            epochs,
            releases_per_step,
            ledger,
            estimated_rows,
            schedule,
            calibration,
        },
    })
}

/// Steps 1 and 2: the releases the preprocessing will make (no data touched; errors spend
/// nothing), then σ_pre from the preprocessing share alone (independent of N), with the
/// private preprocessing's settings at that noise.
fn plan_preprocessing(
    dp: &DpConfig,
    schema: &Schema,
) -> Result<(PreprocessingPlan, PrivateConfig)> {
    let probe = PrivateConfig::new(1.0)?;
    let planned = planned_preprocessing(schema, &probe)?;
    if planned.is_empty() {
        return Err(ModelError::NoModelledColumns);
    }
    let preprocessing = PreprocessingPlan::calibrate(&dp.run_budget(), &planned)?;
    let sigma_pre = preprocessing
        .noise_multiplier()
        .ok_or(ModelError::Internal("planned releases without a noise"))?;
    let config = PrivateConfig::new(sigma_pre)?
        .with_histogram_bins(dp.histogram_bins)?
        .with_zero_below(dp.zero_below)?;
    Ok((preprocessing, config))
}

/// The ledger a private DP-SGD run on a table of `schema` records if it runs to the end
/// ([`ModelSpec::planned_ledger`](crate::ModelSpec::planned_ledger)): the preparation's plan
/// (the same [`plan_preprocessing`] and [`plan_training`] as [`prepare`]) with `rows` — or the
/// released row estimate of `dp`, as the fit uses it — in place of the run's own N̂. Nothing
/// here reads data: the schema and the settings are public, `rows` is public or released.
pub(crate) fn planned_ledger(
    dp: &DpConfig,
    schedule: DpSgdSchedule,
    schema: &Schema,
    rows: f64,
) -> Result<PrivacyLedger> {
    let (preprocessing, config) = plan_preprocessing(dp, schema)?;
    let mut ledger = dp.prior_ledger()?;
    if dp.is_noise_seeded() {
        ledger.mark_noise_seeded();
    }
    for entry in planned_preprocessing(schema, &config)? {
        ledger.record(entry)?;
    }
    let (_, schedule, calibration) =
        plan_training(dp, &preprocessing, dp.planning_rows(rows), schedule)?;
    let steps = PrivacyEvent::sampled_gaussian(
        schedule.sample_rate(),
        calibration.training_noise_multiplier,
        schedule.steps(),
    )?;
    ledger.record(
        LedgerEntry::new(
            format!("planned training: {} DP-SGD releases", schedule.steps()),
            Stage::Training,
            steps,
        )?
        .with_l2_sensitivity(dp.clipping_norm)?,
    )?;
    Ok(ledger)
}

/// Steps 4 and 5: the schedule from the private estimate N̂ (post-processing of the noisy
/// counts), then σ_train with the preprocessing composed first.
fn plan_training(
    dp: &DpConfig,
    preprocessing: &PreprocessingPlan,
    estimated_rows: f64,
    planned: DpSgdSchedule,
) -> Result<(f64, TrainingSchedule, JointCalibration)> {
    let DpSgdSchedule {
        epochs,
        batch_size,
        releases_per_step,
    } = planned;
    let rows = estimated_rows.round().max(1.0) as u64;
    // The checks the validator makes on n are made here on N̂ (the facade refuses only on
    // checks that do not depend on the data).
    if dp.delta >= 1.0 / rows as f64 {
        return Err(ModelError::DeltaAtLeastOneOverRows {
            delta: dp.delta,
            rows,
        });
    }
    if batch_size as u64 > rows {
        return Err(ModelError::BatchLargerThanTable {
            batch_size,
            rows,
            estimated: true,
        });
    }
    let schedule = TrainingSchedule::with_releases_per_step(
        rows,
        batch_size as u64,
        epochs as u64,
        releases_per_step as u64,
    )?;
    let calibration = preprocessing.with_training(&dp.run_budget(), &schedule)?;
    Ok((estimated_rows, schedule, calibration))
}

/// The DP-SGD machinery of a private run once the model's networks exist: the Poisson sampler
/// over the real rows, the clipping, the optimizer whose budget guard holds the ledger
/// (preprocessing releases first), and the epochs' clock.
///
/// **The white-box audit seam** is here, once for every model: under an audit
/// (`FitInput::audit`, kept by [`prepare`]) the sampler also draws the audit's Dirac canaries
/// (indices past the real rows, same rate q), [`clip`](Self::clip) adds the drawn ones to the
/// batch as separate examples before clipping, their parameter joins the optimizer's, and the
/// audit's observer sees every release. A model writes `sample_rows`, its per-example terms, `clip`, `step`
/// either way; without an audit the run is exactly the unaudited one.
pub(crate) struct DpSgd {
    sampler: RowSampler,
    /// The canaries the last [`sample_rows`](Self::sample_rows) drew (positions among the
    /// included ones; always empty without an audit), recorded by the next
    /// [`clip`](Self::clip).
    drawn_canaries: Vec<usize>,
    /// The clipping norm C.
    clipping_norm: f64,
    optimizer: DpOptimizer<Adam>,
    schedule: TrainingSchedule,
    /// The privacy settings of the run.
    dp: DpConfig,
    /// Epochs of the configuration.
    epochs: usize,
    /// Private releases per optimiser step.
    releases_per_step: u64,
    /// The epoch the next step belongs to.
    epoch: usize,
    /// Epochs completed.
    epochs_done: usize,
    /// What the run planned, for its public record.
    estimated_rows: f64,
    calibration: JointCalibration,
}

impl DpSgd {
    /// The sampler and the optimizer of `parameters` (Adam with `adam`) for the plan's
    /// schedule and noise, under the plan's white-box audit, if any; `label` is the ledger
    /// label of each step (what it released). The plan's ledger holds the preprocessing
    /// releases; the budget guard records every step after them.
    ///
    /// # Errors
    /// Errors of the privacy randomness, of the sampler's and the optimizer's settings, and
    /// of the budget.
    pub(crate) fn new(
        plan: PrivatePlan,
        table: &Table,
        label: &'static str,
        parameters: Vec<(String, Var)>,
        adam: ParamsAdam,
    ) -> Result<Self> {
        let spent = plan.ledger.clone();
        Self::build(plan, table, label, parameters, adam)
            .map_err(|e| ModelError::after_releases(e, spent))
    }

    fn build(
        plan: PrivatePlan,
        table: &Table,
        label: &'static str,
        mut parameters: Vec<(String, Var)>,
        adam: ParamsAdam,
    ) -> Result<Self> {
        fault("dp_sgd")?;
        let dp = plan.dp;
        let noise = dp.noise_source();
        let schedule = plan.schedule;
        let q = schedule.sample_rate();
        let rows_hat = usize::try_from(schedule.n_rows())
            .map_err(|_| ModelError::Internal("the row estimate does not fit in usize"))?;
        // The Poisson sampler runs over the real rows: `table.n_rows()` is used here and only
        // here, as the domain of the independent Bernoulli(q) draws (the mechanism itself).
        // (An empty table has nothing to sample: every batch is empty.) A white-box audit's
        // canaries are drawn by the same sampler, after the real rows.
        let sampler_rng = noise.rng(PrivacyStream::SAMPLING)?;
        let (canaries, observer) = match plan.audit {
            Some(audit) => (Some(audit.canaries), Some(audit.observer)),
            None => (None, None),
        };
        let sampler = RowSampler::new(table.n_rows(), q, sampler_rng, canaries)?;
        parameters.extend(sampler.canary_parameter());
        let budget = PrivacyBudget::new(plan.ledger, dp.epsilon, dp.delta, dp.accountant.clone())?;
        let mut sgd = DpSgdConfig::new(
            dp.clipping_norm,
            plan.calibration.training_noise_multiplier,
            q,
            rows_hat,
        )
        .with_label(label);
        if let Some(seed) = noise.dangerous_stream_seed(PrivacyStream::TRAINING_NOISE) {
            sgd = sgd.with_dangerous_noise_seed(seed);
        }
        let mut optimizer = DpOptimizer::<Adam>::new(sgd, parameters, adam, budget)?;
        if let Some(observer) = observer {
            optimizer.set_release_observer(observer);
        }
        Ok(DpSgd {
            sampler,
            drawn_canaries: Vec::new(),
            clipping_norm: dp.clipping_norm,
            optimizer,
            schedule,
            dp,
            epochs: plan.epochs,
            releases_per_step: plan.releases_per_step,
            epoch: 1,
            epochs_done: 0,
            estimated_rows: plan.estimated_rows,
            calibration: plan.calibration,
        })
    }

    /// Private gradient releases planned (⌈epochs · d · N̂ / B⌉).
    pub(crate) fn planned(&self) -> u64 {
        self.schedule.steps()
    }

    /// The epoch the next step belongs to.
    pub(crate) fn epoch(&self) -> usize {
        self.epoch
    }

    /// One Poisson batch of real rows: their indices, in increasing order (none for an empty
    /// table). The audit's canaries drawn with them wait for [`clip`](Self::clip).
    ///
    /// # Errors
    /// Errors of the privacy randomness.
    pub(crate) fn sample_rows(&mut self) -> Result<Vec<usize>> {
        let (rows, canaries) = self.sampler.sample()?;
        self.drawn_canaries = canaries;
        Ok(rows)
    }

    /// The batch's per-example terms clipped to norm C (flat clipping over every parameter),
    /// with the canaries of the last [`sample_rows`](Self::sample_rows) recorded first under
    /// an audit.
    ///
    /// # Errors
    /// Errors of the batch (e.g. a non-finite norm).
    pub(crate) fn clip(&mut self, mut batch: GhostBatch) -> Result<ClippedGradients> {
        let drawn = std::mem::take(&mut self.drawn_canaries);
        self.sampler.record_canaries(&drawn, 1.0, &mut batch)?;
        Ok(batch.clip(self.clipping_norm)?)
    }

    /// One private step: the budget guard first, then the noisy release of `clipped` (plus the
    /// unclipped `public` terms) and the optimizer's update.
    ///
    /// # Errors
    /// Errors of the optimizer and the budget.
    pub(crate) fn step(
        &mut self,
        clipped: &ClippedGradients,
        public: Option<&Gradients>,
    ) -> Result<StepOutcome> {
        Ok(self.optimizer.step(clipped, public)?)
    }

    /// Reports every epoch that ended once `releases` releases were made, each with
    /// `losses()` and ε spent so far. When the callback cancelled: `Some` of why the run
    /// stops ([`StopReason::Cancelled`] with releases left to make, [`StopReason::Completed`]
    /// after the last one).
    ///
    /// # Errors
    /// Errors of `losses` and of the accountant.
    pub(crate) fn end_epochs(
        &mut self,
        releases: u64,
        steps: u64,
        progress: &mut dyn Progress,
        mut losses: impl FnMut() -> Result<Losses>,
    ) -> Result<Option<StopReason>> {
        let delta = self.dp.delta;
        while self.epoch <= self.epochs
            && releases
                >= self
                    .schedule
                    .steps_after_epoch(self.epoch as u64 * self.releases_per_step)
        {
            self.epochs_done = self.epoch;
            let report = EpochReport {
                epoch: self.epoch,
                epochs: self.epochs,
                steps,
                losses: losses()?,
                epsilon_spent: Some(self.optimizer.budget().epsilon_spent(delta)?),
            };
            self.epoch += 1;
            if progress.epoch(&report) == ControlFlow::Break(()) {
                return Ok(Some(if releases < self.planned() {
                    StopReason::Cancelled
                } else {
                    StopReason::Completed
                }));
            }
        }
        Ok(None)
    }

    /// Ends the run: on an error from the training loop, the error carrying every release
    /// made so far (the ledger of the budget guard: preprocessing and the steps taken);
    /// otherwise the fitted model, made by `model` from the final ledger, and the fit's
    /// summary.
    ///
    /// # Errors
    /// `trained`'s error (with the releases), accountant errors, `model`'s error (with the
    /// final ledger).
    pub(crate) fn finish<T>(
        self,
        trained: Result<()>,
        run: RunEnd,
        model: impl FnOnce(PrivacyLedger) -> Result<T>,
    ) -> Result<(T, FitSummary)> {
        let (ledger, summary) = self.ledger_and_summary(trained, run)?;
        Ok((with_final_ledger(ledger, model)?, summary))
    }

    fn ledger_and_summary(
        self,
        trained: Result<()>,
        run: RunEnd,
    ) -> Result<(PrivacyLedger, FitSummary)> {
        let dp = &self.dp;
        let spent = match trained.and_then(|()| fault("finish")) {
            Ok(()) => Ok(self.optimizer.budget().epsilon_spent(dp.delta)?),
            Err(error) => Err(error),
        };
        let epsilon_spent = match spent {
            Ok(epsilon) => epsilon,
            Err(error) => {
                return Err(match self.optimizer.into_budget().into_ledger() {
                    Some(ledger) => ModelError::after_releases(error, ledger),
                    None => error,
                });
            }
        };
        let planned_releases = self.planned();
        let sample_rate = self.schedule.sample_rate();
        let ledger = self
            .optimizer
            .into_budget()
            .into_ledger()
            .ok_or(ModelError::Internal("a private budget without a ledger"))?;
        let private = PrivateRun {
            estimated_rows: self.estimated_rows,
            preprocessing_noise_multiplier: self.calibration.preprocessing_noise_multiplier,
            training_noise_multiplier: self.calibration.training_noise_multiplier,
            sample_rate,
            planned_releases,
            releases: run.releases,
            epsilon_spent,
            delta: self.dp.delta,
        };
        let summary = FitSummary {
            stop: run.stop,
            epochs: self.epochs_done,
            steps: run.steps,
            private: Some(private),
        };
        Ok((ledger, summary))
    }
}

impl PrivatePlan {
    /// `error` carrying the preprocessing releases: every failure of a model's set-up between
    /// the preparation and [`DpSgd::new`] goes through here.
    pub(crate) fn failed(&self, error: ModelError) -> ModelError {
        ModelError::after_releases(error, self.ledger.clone())
    }
}

/// Runs `f` (a model's set-up after the preparation: its samplers, networks and optimizers);
/// its error carries the preprocessing releases of `plan`.
///
/// # Errors
/// `f`'s error, as [`ModelError::SpentThenFailed`].
pub(crate) fn set_up<T>(plan: &PrivatePlan, f: impl FnOnce() -> Result<T>) -> Result<T> {
    fault("set_up")
        .and_then(|()| f())
        .map_err(|e| plan.failed(e))
}

/// The model of a finished private run from its final `ledger`, by `f`; its error carries the
/// ledger.
///
/// # Errors
/// `f`'s error, as [`ModelError::SpentThenFailed`].
fn with_final_ledger<T>(
    ledger: PrivacyLedger,
    f: impl FnOnce(PrivacyLedger) -> Result<T>,
) -> Result<T> {
    let spent = ledger.clone();
    fault("model")
        .and_then(|()| f(ledger))
        .map_err(|e| ModelError::after_releases(e, spent))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
thread_local! {
    /// The point where [`fault`] fails, for the tests of the error paths (issue 12, item 10).
    pub(crate) static FAULT_AT: std::cell::Cell<Option<&'static str>> =
        const { std::cell::Cell::new(None) };
}

/// An injected failure at `point` in tests (see [`FAULT_AT`]); nothing otherwise.
#[allow(
    clippy::unnecessary_wraps,
    reason = "the test build fails here; the normal build never does"
)]
pub(crate) fn fault(point: &'static str) -> Result<()> {
    #[cfg(test)]
    if FAULT_AT.with(std::cell::Cell::get) == Some(point) {
        return Err(ModelError::Internal("a failure injected by a test"));
    }
    let _ = point;
    Ok(())
}

/// How a private training loop ended.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RunEnd {
    /// Why.
    pub(crate) stop: StopReason,
    /// Private releases made.
    pub(crate) releases: u64,
    /// Optimiser steps taken (generator steps for CTGAN).
    pub(crate) steps: u64,
}
