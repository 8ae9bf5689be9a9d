//! Differentially private TVAE.
//!
//! **The privacy argument**, step by step (add/remove-one-row neighbouring):
//!
//! 1. *Preprocessing* ([`crate::private_fit`], shared with CTGAN): every statistic the model
//!    keeps — the transformer's modes, the row estimate N̂ — is post-processing of Gaussian
//!    releases recorded on the ledger; bounds and categories come from the public schema. The
//!    schedule (q = B / round(N̂), the number of steps) and σ_train are calibrated jointly with
//!    the preprocessing so that the composed ledger stays within (ε, δ).
//! 2. *Sampling*: each step draws a Poisson batch of the real rows, one independent
//!    Bernoulli(q) per row from the privacy randomness — exactly the subsampled Gaussian the
//!    accountant composes. The realised batch size b is private and used only inside the
//!    per-example terms.
//! 3. *The per-example term*: the whole TVAE loss is a sum of per-row losses
//!    ℓᵢ = f·reconstruction(xᵢ, decoder(zᵢ), σ) + KLD(encoder(xᵢ)), zᵢ = μ(xᵢ) + εᵢ·e^{lv(xᵢ)/2}.
//!    No normalisation layer or packing couples rows, so ℓᵢ depends on row i, the public
//!    parameters and its own noise εᵢ only. Every parameter — encoder, decoder and σ — is in
//!    ℓᵢ's gradient, and the gradient over all of them is clipped to norm C together (flat
//!    clipping; book-keeping for the weights, σ's per-example gradients materialised). The
//!    clipped sum therefore has L2 sensitivity C. There is no public term: TVAE's loss has no
//!    part computed from generated data only.
//! 4. *The reparameterisation noise εᵢ* is model randomness inside the clipped term (ordinary
//!    ChaCha normals, not the hardened noise sampler), but it must not come from the saved
//!    `seed`: εs are assigned to rows by their position in the batch, which shifts when a row is
//!    added or removed, so εs known to an adversary would let a neighbour change *other* rows'
//!    terms. Drawn i.i.d. from a generator keyed by privacy randomness
//!    ([`secret_chacha`]), they are unknown and exchangeable, so assigning them by position is
//!    the same in distribution as attaching one to each row, and the sensitivity argument
//!    holds. The same secret generator seeds the transformer's per-row mode draws (as CTGAN).
//! 5. *The release*: (Σᵢ clip(∇ℓᵢ) + N(0, σ²C²)) / (q·round(N̂)), with q·round(N̂) = B public;
//!    the `DpOptimizer` asks the budget first, so a step that would push ε over the target is
//!    not taken, and records each step on the ledger. An empty batch is a release like any
//!    other (zero sum plus noise).
//! 6. *Post-processing*: Adam with coupled L2 (a function of the released gradients and the
//!    public parameters), the clamp of σ, and sampling.
//! 7. *Reports*: every loss of TVAE is computed on real rows, so private-mode progress
//!    reports carry no loss; epochs report ε spent and the mean σ of the continuous scalars
//!    (a parameter: public).
//!
//! Floating-point note: as in every DP-SGD implementation that batches per-example work, the
//! rounding of a matrix product may depend on the batch size; the guarantee is stated for exact
//! arithmetic.

use std::ops::ControlFlow;

use candle_core::{DType, Device};
use rand::RngCore;
use tabveil_data::{Schema, Table};
use tabveil_sgd::PrivacyBudget;
use tabveil_sgd::{Adam, DpOptimizer, DpSgdConfig, RowSampler, StepOutcome, WhiteBoxAudit};

use super::Fitted;
use super::config::ValidTvaeConfig;
use super::networks::{VaeNets, standard_normal};
use super::train::adam_params;
use crate::error::{ModelError, Result};
use crate::nn::activation::SpanAct;
use crate::privacy::DpTraining;
use crate::private_fit::{RunPlan, finish_run, prepare};
use crate::progress::{EpochReport, Losses, Progress, StepReport, StopReason};
use crate::seeds::{PrivacyStream, Stream, privacy_rng, privacy_seed, secret_chacha, stream};
use crate::synthesizer::FitSummary;

/// The ledger label of each step.
const STEP_LABEL: &str =
    "training: TVAE step (clipped per-example gradient of encoder, decoder and σ)";

/// Fits a differentially private TVAE (under a white-box audit when `audit` is given: its
/// canaries are sampled, clipped and noised with the real rows; see `Synthesizer::fit_under_audit`).
pub(crate) fn fit(
    config: &ValidTvaeConfig,
    dp: &DpTraining,
    table: &Table,
    schema: &Schema,
    device: &Device,
    progress: &mut dyn Progress,
    audit: Option<WhiteBoxAudit>,
) -> Result<(Fitted, FitSummary)> {
    // Whether the table is empty is not released: an empty table runs like any other.
    let prep = prepare(
        table,
        schema,
        dp,
        &config.transformer,
        config.epochs,
        config.batch_size,
        1,
        progress,
    )?;
    let transformer = prep.transformer;
    let dim = transformer.layout().width();
    if dim == 0 {
        return Err(ModelError::NoModelledColumns);
    }
    // Secret per-example randomness (privacy randomness: fixed by the noise seed only).
    let mut key_rng = privacy_rng(dp.noise_seed(), PrivacyStream::PerExample)?;
    let mut secret = secret_chacha(&mut key_rng)?;
    // The encoded real rows: used only inside the per-example terms below.
    let data = transformer.transform(table, secret.next_u64())?.into_vec();
    let nets = VaeNets::new(
        config,
        transformer.layout(),
        DType::F32,
        device,
        &mut stream(config.seed, Stream::Init),
    )?;

    let schedule = prep.schedule;
    let q = schedule.sample_rate();
    let rows_hat = usize::try_from(schedule.n_rows())
        .map_err(|_| ModelError::Internal("the row estimate does not fit in usize"))?;
    // The Poisson sampler runs over the real rows: `table.n_rows()` is used here and only here,
    // as the domain of the independent Bernoulli(q) draws (the mechanism itself). A white-box
    // audit's canaries are drawn by the same sampler, after the real rows.
    let sampler_rng = privacy_rng(dp.noise_seed(), PrivacyStream::Sampling)?;
    let (canaries, observer) = match audit {
        Some(a) => (Some(a.canaries), Some(a.observer)),
        None => (None, None),
    };
    let mut sampler = RowSampler::new(table.n_rows(), q, sampler_rng, canaries)?;
    let budget = PrivacyBudget::new(
        prep.ledger,
        dp.epsilon(),
        dp.delta(),
        dp.accountant().clone(),
    )?;
    let mut sgd = DpSgdConfig::new(
        dp.clipping_norm(),
        prep.calibration.training_noise_multiplier,
        q,
        rows_hat,
    )
    .with_label(STEP_LABEL);
    if let Some(seed) = dp.noise_seed() {
        sgd = sgd.with_dangerous_noise_seed(privacy_seed(seed, PrivacyStream::TrainingNoise));
    }
    let mut params = nets.parameters();
    params.extend(sampler.canary_parameter());
    let mut opt = DpOptimizer::<Adam>::new(sgd, params, adam_params(config), budget)?;
    if let Some(observer) = observer {
        opt.set_release_observer(observer);
    }

    let planned = schedule.steps();
    let e = config.embedding_dim;
    let mut x = Vec::new();
    let mut releases = 0u64;
    let mut epoch = 1usize;
    let mut epochs_done = 0usize;
    let mut stop = StopReason::Completed;
    // The loop runs in a closure so that an error in it hands back the releases made so far.
    let trained = (|| -> Result<()> {
        'training: while releases < planned {
            // ---- private: the Poisson batch and its per-example terms ----
            let (rows, canaries) = sampler.sample()?;
            let b = rows.len();
            let mut record = if b == 0 {
                nets.empty_batch()?
            } else {
                x.clear();
                for &r in &rows {
                    x.extend_from_slice(&data[r * dim..(r + 1) * dim]);
                }
                let eps = standard_normal::<f32, _>(b * e, &mut secret);
                nets.batch_gradients(&x, &eps, b, config.loss_factor, 1.0)?
                    .0
            };
            sampler.record_canaries(&canaries, 1.0, &mut record)?;
            let clipped = record.clip(dp.clipping_norm())?;
            drop(record);
            // ---- the release (budget guard first), then post-processing ----
            if let StepOutcome::BudgetExhausted { .. } = opt.step(&clipped, None)? {
                stop = StopReason::BudgetExhausted;
                break;
            }
            nets.clamp_sigma(config.sigma_bounds)?;
            releases += 1;
            if progress.step(&StepReport {
                epoch,
                step: releases,
                losses: Losses::new(),
            }) == ControlFlow::Break(())
            {
                stop = StopReason::Cancelled;
                break;
            }
            while epoch <= config.epochs && releases >= schedule.steps_after_epoch(epoch as u64) {
                epochs_done = epoch;
                let mut losses = Losses::new();
                losses.set("sigma_mean", scalar_sigma_mean(&nets)?);
                let report = EpochReport {
                    epoch,
                    epochs: config.epochs,
                    steps: releases,
                    losses,
                    epsilon_spent: Some(opt.budget().epsilon_spent(dp.delta())?),
                };
                epoch += 1;
                if progress.epoch(&report) == ControlFlow::Break(()) {
                    if releases < planned {
                        stop = StopReason::Cancelled;
                    }
                    break 'training;
                }
            }
        }
        Ok(())
    })();
    let plan = RunPlan {
        estimated_rows: prep.estimated_rows,
        calibration: &prep.calibration,
        sample_rate: q,
        planned_releases: planned,
    };
    let (ledger, private) = finish_run(trained, opt, dp, plan, releases)?;
    let fitted = Fitted::new(schema.clone(), transformer, nets, Some(ledger));
    Ok((
        fitted,
        FitSummary {
            stop,
            epochs: epochs_done,
            steps: releases,
            private: Some(private),
        },
    ))
}

/// The mean of σ over the continuous scalars (a parameter: public). 0 without any.
fn scalar_sigma_mean(nets: &VaeNets) -> Result<f64> {
    let sigma = nets.sigma_host()?;
    let (sum, count) = nets
        .spans
        .iter()
        .filter_map(|s| match *s {
            SpanAct::Tanh { start } => sigma.get(start).copied(),
            SpanAct::Softmax { .. } => None,
        })
        .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    Ok(if count == 0 { 0.0 } else { sum / count as f64 })
}
