//! The private preparation of a fit, shared by every model: calibrate the preprocessing noise,
//! run the private preprocessing (every release on the ledger), read the private row estimate
//! N̂, plan the DP-SGD schedule from N̂ and calibrate the training noise with the preprocessing
//! composed first.
//!
//! The planning calls are exactly those of the validator (`tabveil-validate`'s planner): the
//! preprocessing releases of `tabveil_data::planned_preprocessing` (discrete Gaussian
//! histograms) merged into event templates, σ_pre from `calibrate_events(share·ε, δ, templates)`
//! — which is the first thing `calibrate_jointly` computes and does not depend on N — and then
//! `calibrate_jointly(ε, δ, templates, share, TrainingSchedule::new(round(N̂), B, epochs·d))`.
//! So the plan `tabveil validate` prints is the plan `fit` runs.
//!
//! **The row count is private.** Nothing here reads `table.n_rows()`: the schedule, q and the
//! normaliser of the gradients come from N̂ (post-processing of the noisy counts). Only the
//! Poisson sampler touches the real rows, one independent Bernoulli(q) draw per row — which is
//! the mechanism the accountant analyses.

use candle_nn::Optimizer;
use tabveil_accountant::{
    JointCalibration, PrivacyEvent, PrivacyLedger, TrainingSchedule, calibrate_events,
    calibrate_jointly,
};
use tabveil_data::{
    DataTransformer, DataTransformerConfig, PrivateConfig, PrivateStatistics, Schema, Table,
    fit_private_with_progress, planned_preprocessing,
};
use tabveil_sgd::DpOptimizer;

use crate::error::{ModelError, Result};
use crate::privacy::DpTraining;
use crate::progress::{ColumnProgress, Progress};
use crate::seeds::{PrivacyStream, privacy_rng};
use crate::synthesizer::PrivateRun;

/// What the private preparation produced.
#[derive(Debug)]
pub(crate) struct PrivatePreparation {
    /// The transformer, fitted from noisy statistics only.
    pub(crate) transformer: DataTransformer,
    /// The noisy statistics (post-processed), e.g. for condition frequencies.
    pub(crate) statistics: PrivateStatistics,
    /// The ledger, holding the preprocessing releases.
    pub(crate) ledger: PrivacyLedger,
    /// N̂ (not rounded).
    pub(crate) estimated_rows: f64,
    /// The DP-SGD schedule on round(N̂) rows.
    pub(crate) schedule: TrainingSchedule,
    /// σ_pre and σ_train.
    pub(crate) calibration: JointCalibration,
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
#[allow(
    clippy::too_many_arguments,
    reason = "the plan needs every setting of the run"
)]
pub(crate) fn prepare(
    table: &Table,
    schema: &Schema,
    dp: &DpTraining,
    transformer: &DataTransformerConfig,
    epochs: usize,
    batch_size: usize,
    releases_per_step: usize,
    progress: &mut dyn Progress,
) -> Result<PrivatePreparation> {
    // 1. The releases the preprocessing will make (no data touched; errors spend nothing).
    let probe = PrivateConfig::new(1.0)?;
    let planned = planned_preprocessing(schema, &probe)?;
    if planned.is_empty() {
        return Err(ModelError::NoModelledColumns);
    }
    // The preprocessing releases as the events the ledger will record (discrete Gaussian
    // histograms), same mechanisms merged: the plan uses exactly these.
    let mut templates: Vec<PrivacyEvent> = Vec::new();
    for entry in &planned {
        let event = *entry.event();
        match templates.iter_mut().find(|e| e.same_mechanism(&event)) {
            Some(e) => *e = e.with_steps(e.steps().saturating_add(event.steps()))?,
            None => templates.push(event),
        }
    }
    // 2. σ_pre from the preprocessing share alone (independent of N).
    let sigma_pre = calibrate_events(
        dp.preprocessing_share() * dp.epsilon(),
        dp.delta(),
        &[],
        &templates,
        dp.accountant(),
    )?
    .noise_multiplier;
    // 3. The private preprocessing: every release recorded on the ledger.
    let config = PrivateConfig::new(sigma_pre)?
        .with_histogram_bins(dp.histogram_bins())?
        .with_zero_below(dp.zero_below())?
        .with_transformer(transformer.clone())?;
    let mut ledger = PrivacyLedger::new();
    let mut rng = privacy_rng(dp.noise_seed(), PrivacyStream::Preprocessing)?;
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
    let plan = plan_training(
        dp,
        &templates,
        sigma_pre,
        statistics.estimated_rows(),
        epochs,
        batch_size,
        releases_per_step,
    );
    let (estimated_rows, schedule, calibration) = match plan {
        Ok(plan) => plan,
        Err(e) => return Err(ModelError::after_releases(e, ledger)),
    };
    Ok(PrivatePreparation {
        transformer,
        statistics,
        ledger,
        estimated_rows,
        schedule,
        calibration,
    })
}

/// Steps 4 and 5: the schedule from the private estimate N̂ (post-processing of the noisy
/// counts), then σ_train with the preprocessing composed first (σ_pre is recomputed by the
/// same call and must agree).
fn plan_training(
    dp: &DpTraining,
    preprocessing: &[PrivacyEvent],
    sigma_pre: f64,
    estimated_rows: f64,
    epochs: usize,
    batch_size: usize,
    releases_per_step: usize,
) -> Result<(f64, TrainingSchedule, JointCalibration)> {
    let rows = estimated_rows.round().max(1.0) as u64;
    if batch_size as u64 > rows {
        return Err(ModelError::BatchLargerThanTable {
            batch_size,
            rows,
            estimated: true,
        });
    }
    let passes = (epochs as u64)
        .checked_mul(releases_per_step as u64)
        .ok_or(ModelError::invalid(
            "epochs",
            epochs,
            "epochs × steps within u64",
        ))?;
    let schedule = TrainingSchedule::new(rows, batch_size as u64, passes)?;
    let calibration = calibrate_jointly(
        dp.epsilon(),
        dp.delta(),
        preprocessing,
        dp.preprocessing_share(),
        &schedule,
        dp.accountant(),
    )?;
    if calibration.preprocessing_noise_multiplier.map(f64::to_bits) != Some(sigma_pre.to_bits()) {
        return Err(ModelError::Internal(
            "the joint calibration chose another preprocessing noise",
        ));
    }
    Ok((estimated_rows, schedule, calibration))
}

/// What a private run planned, for its public record ([`PrivateRun`]).
pub(crate) struct RunPlan<'a> {
    /// N̂ (not rounded).
    pub(crate) estimated_rows: f64,
    /// σ_pre and σ_train.
    pub(crate) calibration: &'a JointCalibration,
    /// q of the DP-SGD schedule.
    pub(crate) sample_rate: f64,
    /// Private gradient releases planned.
    pub(crate) planned_releases: u64,
}

/// Ends a private training run: on an error from the training loop, the error carrying every
/// release made so far (the ledger of the budget guard inside `optimizer`: preprocessing and
/// the steps taken); otherwise the final ledger and the run's public record.
pub(crate) fn finish_run<O: Optimizer>(
    trained: Result<()>,
    optimizer: DpOptimizer<O>,
    dp: &DpTraining,
    plan: RunPlan<'_>,
    releases: u64,
) -> Result<(PrivacyLedger, PrivateRun)> {
    let epsilon_spent = match trained {
        Ok(()) => optimizer.budget().epsilon_spent(dp.delta())?,
        Err(error) => {
            return Err(match optimizer.into_budget().into_ledger() {
                Some(ledger) => ModelError::after_releases(error, ledger),
                None => error,
            });
        }
    };
    let ledger = optimizer
        .into_budget()
        .into_ledger()
        .ok_or(ModelError::Internal("a private budget without a ledger"))?;
    let private = PrivateRun {
        estimated_rows: plan.estimated_rows,
        preprocessing_noise_multiplier: plan.calibration.preprocessing_noise_multiplier,
        training_noise_multiplier: plan.calibration.training_noise_multiplier,
        sample_rate: plan.sample_rate,
        planned_releases: plan.planned_releases,
        releases,
        epsilon_spent,
        delta: dp.delta(),
    };
    Ok((ledger, private))
}
