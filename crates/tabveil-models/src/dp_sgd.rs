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
use tabveil_accountant::{JointCalibration, PreprocessingPlan, PrivacyLedger, TrainingSchedule};
use tabveil_data::{
    DataTransformer, DataTransformerConfig, PrivateConfig, PrivateStatistics, Schema, Table,
    fit_private_with_progress, planned_preprocessing,
};
use tabveil_noise::PrivacyStream;
use tabveil_sgd::{
    Adam, ClippedGradients, DpOptimizer, DpSgdConfig, Gradients, ParamsAdam, PoissonSampler,
    PrivacyBudget, StepOutcome,
};

use crate::error::{ModelError, Result};
use crate::privacy::DpConfig;
use crate::progress::{ColumnProgress, EpochReport, Losses, Progress, StopReason};
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
    /// The ledger, holding the preprocessing releases.
    ledger: PrivacyLedger,
    /// N̂ (not rounded).
    estimated_rows: f64,
    /// The DP-SGD schedule on round(N̂) rows.
    schedule: TrainingSchedule,
    /// σ_pre and σ_train.
    calibration: JointCalibration,
}

/// Runs the private preparation (see the [module docs](self)).
///
/// `releases_per_step` is the number of private gradient releases per optimiser step (CTGAN's
/// discriminator steps, 1 for TVAE), as in the validator's schedule.
///
/// # Errors
/// Missing public bounds or categories (before anything is released), a table that does not
/// match the schema, a batch larger than N̂, calibration errors (unreachable target),
/// cancellation ([`ModelError::Cancelled`]). Once the preprocessing has released anything,
/// errors come as [`ModelError::SpentThenFailed`] carrying those releases.
pub(crate) fn prepare(
    table: &Table,
    schema: &Schema,
    dp: &DpConfig,
    transformer: &DataTransformerConfig,
    schedule: DpSgdSchedule,
    progress: &mut dyn Progress,
) -> Result<PrivatePreparation> {
    // 1. The releases the preprocessing will make (no data touched; errors spend nothing).
    let probe = PrivateConfig::new(1.0)?;
    let planned = planned_preprocessing(schema, &probe)?;
    if planned.is_empty() {
        return Err(ModelError::NoModelledColumns);
    }
    // 2. σ_pre from the preprocessing share alone (independent of N).
    let budget = dp.run_budget();
    let preprocessing = PreprocessingPlan::calibrate(&budget, &planned)?;
    let sigma_pre = preprocessing
        .noise_multiplier()
        .ok_or(ModelError::Internal("planned releases without a noise"))?;
    // 3. The private preprocessing: every release recorded on the ledger.
    let config = PrivateConfig::new(sigma_pre)?
        .with_histogram_bins(dp.histogram_bins)?
        .with_zero_below(dp.zero_below)?
        .with_transformer(transformer.clone())?;
    let mut ledger = PrivacyLedger::new();
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
    let plan = plan_training(dp, &preprocessing, statistics.estimated_rows(), schedule);
    let (estimated_rows, schedule, calibration) = match plan {
        Ok(plan) => plan,
        Err(e) => return Err(ModelError::after_releases(e, ledger)),
    };
    let mut secret = dp
        .noise_source()
        .rng(PrivacyStream::PER_EXAMPLE)?
        .secret_chacha()?;
    let data = transformer.transform(table, secret.next_u64())?.into_vec();
    Ok(PrivatePreparation {
        transformer,
        statistics,
        secret,
        data,
        plan: PrivatePlan {
            ledger,
            estimated_rows,
            schedule,
            calibration,
        },
    })
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
/// over the real rows, the optimizer whose budget guard holds the ledger (preprocessing
/// releases first), and the epochs' clock.
pub(crate) struct DpSgd {
    sampler: Option<PoissonSampler>,
    optimizer: DpOptimizer<Adam>,
    schedule: TrainingSchedule,
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

/// What [`DpSgd::new`] needs besides the preparation.
pub(crate) struct DpSgdSetup<'a> {
    /// The privacy settings.
    pub(crate) dp: &'a DpConfig,
    /// Epochs of the configuration.
    pub(crate) epochs: usize,
    /// Private releases per optimiser step.
    pub(crate) releases_per_step: usize,
    /// The ledger label of each step: what it released.
    pub(crate) label: &'static str,
    /// The parameters the private steps update.
    pub(crate) parameters: Vec<(String, Var)>,
    /// The optimizer's settings.
    pub(crate) adam: ParamsAdam,
}

impl DpSgd {
    /// The sampler and the optimizer for the plan's schedule and noise. The plan's ledger
    /// holds the preprocessing releases; the budget guard records every step after them.
    ///
    /// # Errors
    /// Errors of the privacy randomness, of the sampler's and the optimizer's settings, and
    /// of the budget.
    pub(crate) fn new(plan: PrivatePlan, table: &Table, setup: DpSgdSetup<'_>) -> Result<Self> {
        let dp = setup.dp;
        let noise = dp.noise_source();
        let schedule = plan.schedule;
        let q = schedule.sample_rate();
        let rows_hat = usize::try_from(schedule.n_rows())
            .map_err(|_| ModelError::Internal("the row estimate does not fit in usize"))?;
        // The Poisson sampler runs over the real rows: `table.n_rows()` is used here and only
        // here, as the domain of the independent Bernoulli(q) draws (the mechanism itself).
        // (An empty table has nothing to sample: every batch is empty.)
        let sampler_rng = noise.rng(PrivacyStream::SAMPLING)?;
        let sampler = match table.n_rows() {
            0 => None,
            n => Some(PoissonSampler::new(n, q, sampler_rng)?),
        };
        let budget = PrivacyBudget::new(plan.ledger, dp.epsilon, dp.delta, dp.accountant.clone())?;
        let mut sgd = DpSgdConfig::new(
            dp.clipping_norm,
            plan.calibration.training_noise_multiplier,
            q,
            rows_hat,
        )
        .with_label(setup.label);
        if let Some(seed) = noise.dangerous_stream_seed(PrivacyStream::TRAINING_NOISE) {
            sgd = sgd.with_dangerous_noise_seed(seed);
        }
        let optimizer = DpOptimizer::<Adam>::new(sgd, setup.parameters, setup.adam, budget)?;
        Ok(DpSgd {
            sampler,
            optimizer,
            schedule,
            epochs: setup.epochs,
            releases_per_step: setup.releases_per_step as u64,
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
    /// table).
    ///
    /// # Errors
    /// Errors of the privacy randomness.
    pub(crate) fn sample_rows(&mut self) -> Result<Vec<usize>> {
        Ok(match self.sampler.as_mut() {
            Some(s) => s.sample()?,
            None => Vec::new(),
        })
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
    /// `losses()` and ε spent so far; `Break` when the callback cancelled.
    ///
    /// # Errors
    /// Errors of `losses` and of the accountant.
    pub(crate) fn end_epochs(
        &mut self,
        releases: u64,
        steps: u64,
        delta: f64,
        progress: &mut dyn Progress,
        mut losses: impl FnMut() -> Result<Losses>,
    ) -> Result<ControlFlow<()>> {
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
                return Ok(ControlFlow::Break(()));
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    /// Ends the run: on an error from the training loop, the error carrying every release
    /// made so far (the ledger of the budget guard: preprocessing and the steps taken);
    /// otherwise the final ledger and the fit's summary.
    ///
    /// # Errors
    /// `trained`'s error (with the releases), accountant errors.
    pub(crate) fn finish(
        self,
        trained: Result<()>,
        dp: &DpConfig,
        run: RunEnd,
    ) -> Result<(PrivacyLedger, FitSummary)> {
        let epsilon_spent = match trained {
            Ok(()) => self.optimizer.budget().epsilon_spent(dp.delta)?,
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
            delta: dp.delta,
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
