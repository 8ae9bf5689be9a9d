//! Differentially private TVAE.
//!
//! **The privacy argument**, step by step (add/remove-one-row neighbouring):
//!
//! 1. *Preprocessing* ([`crate::dp_sgd`], shared with CTGAN): every statistic the model
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
//!    ChaCha normals, not the privacy noise sampler), but it must not come from the saved
//!    `seed`: εs are assigned to rows by their position in the batch, which shifts when a row is
//!    added or removed, so εs known to an adversary would let a neighbour change *other* rows'
//!    terms. Drawn i.i.d. from a generator keyed by privacy randomness
//!    ([`PrivacyRng::secret_chacha`](tabveil_noise::PrivacyRng::secret_chacha)), they are unknown and exchangeable, so assigning them by position is
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

use tabveil_sgd::StepOutcome;

use super::Trained;
use super::config::ValidTvaeConfig;
use super::networks::{VaeNets, standard_normal};
use super::train::adam_params;
use crate::dp_sgd::{DpSgd, PrivatePreparation, RunEnd, prepare, set_up};
use crate::error::{ModelError, Result};
use crate::nn::activation::SpanAct;
use crate::nn::gather_rows;
use crate::privacy::DpConfig;
use crate::progress::{Losses, StopReason, report_step};
use crate::shell::{Fit, FitInput};

/// The ledger label of each step.
const STEP_LABEL: &str =
    "training: TVAE step (clipped per-example gradient of encoder, decoder and σ)";

/// Fits a differentially private TVAE.
pub(crate) fn fit(
    config: &ValidTvaeConfig,
    dp: &DpConfig,
    mut input: FitInput<'_>,
) -> Fit<Trained> {
    // Whether the table is empty is not released: an empty table runs like any other.
    let PrivatePreparation {
        transformer,
        mut secret,
        data,
        plan,
        ..
    } = prepare(
        &mut input,
        dp,
        &config.transformer,
        config.dp_sgd_schedule(),
    )?;
    let (table, schema, device, progress) = input.parts();
    let dim = transformer.layout().width();
    if dim == 0 {
        return Err(ModelError::NoModelledColumns);
    }
    let nets = set_up(&plan, || {
        VaeNets::for_config(config, transformer.layout(), device)
    })?;
    let mut run = DpSgd::new(
        plan,
        table,
        STEP_LABEL,
        nets.parameters(),
        adam_params(config),
    )?;

    let planned = run.planned();
    let e = config.embedding_dim;
    let mut x = Vec::new();
    let mut releases = 0u64;
    let mut stop = StopReason::Completed;
    // The loop runs in a closure so that an error in it hands back the releases made so far.
    let trained = (|| -> Result<()> {
        while releases < planned {
            // ---- private: the Poisson batch and its per-example terms ----
            let rows = run.sample_rows()?;
            let b = rows.len();
            let record = if b == 0 {
                nets.empty_batch()?
            } else {
                x.clear();
                gather_rows(&data, dim, &rows, &mut x);
                let eps = standard_normal::<f32, _>(b * e, &mut secret);
                nets.batch_gradients(&x, &eps, b, config.loss_factor, 1.0)?
                    .0
            };
            let clipped = run.clip(record)?;
            // ---- the release (budget guard first), then post-processing ----
            if let StepOutcome::BudgetExhausted { .. } = run.step(&clipped, None)? {
                stop = StopReason::BudgetExhausted;
                break;
            }
            nets.clamp_sigma(config.sigma_bounds)?;
            releases += 1;
            if let Some(reason) = report_step(progress, run.epoch(), releases, Losses::new()) {
                stop = reason;
                break;
            }
            let ended = run.end_epochs(releases, releases, progress, || {
                let mut losses = Losses::new();
                losses.set("sigma_mean", scalar_sigma_mean(&nets)?);
                Ok(losses)
            })?;
            if let Some(reason) = ended {
                stop = reason;
                break;
            }
        }
        Ok(())
    })();
    let end = RunEnd {
        stop,
        releases,
        steps: releases,
    };
    run.finish(trained, end, |ledger| {
        Ok(Trained::new(
            schema.clone(),
            transformer,
            nets,
            Some(ledger),
        ))
    })
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
