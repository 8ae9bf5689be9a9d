//! Differentially private CTGAN.
//!
//! **The privacy argument**, step by step (add/remove-one-row neighbouring):
//!
//! 1. *Preprocessing* ([`crate::dp_sgd`]): every statistic the model keeps — the
//!    transformer's modes, the condition frequencies, the row estimate N̂ — is post-processing
//!    of Gaussian releases recorded on the ledger; bounds and categories come from the public
//!    schema.
//! 2. *Sampling*: each discriminator step draws a Poisson batch of the real rows, one
//!    independent Bernoulli(q) per row from the privacy randomness, q = B / round(N̂) — exactly
//!    the subsampled Gaussian the accountant composes. The realised batch size b is private; it
//!    is never used outside the per-example terms.
//! 3. *The per-example term* of row i is ℓᵢ = D(F_{uᵢ}) − D([xᵢ, cᵢ]) + λ(‖∇D(x̂ᵢ)‖ − 1)², with
//!    pac = 1 (without the first term for [`DpFakeTerm::Public`]). F is the step's public batch of
//!    B fakes (made before the batch is looked at, from public randomness), uᵢ a uniform index,
//!    cᵢ the row's own category in a uniformly drawn discrete column, and the penalty point
//!    x̂ᵢ = αᵢ[xᵢ, cᵢ] + (1 − αᵢ)F_{uᵢ}.
//!    The column choice, uᵢ, αᵢ and the dropout masks are drawn per example from secret
//!    randomness (see [`PrivacyRng::secret_chacha`](tabveil_noise::PrivacyRng::secret_chacha)). So, given the public fakes, ℓᵢ depends
//!    on row i alone and on i.i.d. secret draws, and the clipped sum of ∇ℓᵢ (flat clipping at C over all the discriminator's
//!    parameters, the real term *and* its penalty together; book-keeping handles the weights
//!    used several times) has L2 sensitivity C.
//! 4. *The release*: (Σᵢ clip(∇ℓᵢ) + N(0, σ²C²)) / (q·round(N̂)), with q·round(N̂) = B public;
//!    the `DpOptimizer` asks the budget first, so a step that would push ε over the target is
//!    not taken, and records each step on the ledger.
//! 5. *Public terms*: the public fakes are exactly B (never b), generated in training mode with
//!    conditions from the noisy frequencies and public randomness whose consumption does not
//!    depend on b. With [`DpFakeTerm::Public`] the fake term mean D(F) over all B of them is
//!    added unclipped (it needs no clipping). The generator step touches no real
//!    row. Both are post-processing.
//! 6. *Reports*: progress carries only public values (generator losses, ε, and the public fake
//!    term when there is one); nothing computed on the Poisson batch is reported.
//!
//! Floating-point note: as in every DP-SGD implementation that batches per-example work, the
//! rounding of a matrix product may depend on the batch size; the guarantee is stated for exact
//! arithmetic.

use candle_core::{DType, Tensor};
use rand::{Rng, RngCore};
use rand_chacha::ChaCha20Rng;
use tabveil_data::{ConditionLayout, GenerationSampler};
use tabveil_sgd::{GhostBatch, StepOutcome, gradient_penalty};

use super::Trained;
use super::config::{DpFakeTerm, ValidCtganConfig};
use super::marginals::NullRates;
use super::networks::{GeneratorTraining, Networks, PublicRngs, discriminator_params, mean_of};
use crate::dp_sgd::{DpSgd, PrivatePreparation, RunEnd, prepare, set_up};
use crate::error::{ModelError, Result};
use crate::nn::{first_max, gather_rows};
use crate::privacy::DpConfig;
use crate::progress::{LossMeans, Losses, StopReason, report_step};
use crate::shell::{Fit, FitInput};

/// The ledger label of each discriminator step.
const STEP_LABEL: &str =
    "training: CTGAN discriminator step (clipped real-data term and gradient penalty)";

/// Fits a differentially private CTGAN.
pub(crate) fn fit(
    config: &ValidCtganConfig,
    dp: &DpConfig,
    mut input: FitInput<'_>,
) -> Fit<Trained> {
    // Whether the table is empty is not released: an empty table runs like any other (the
    // private preparation works from noisy counts only).
    let PrivatePreparation {
        transformer,
        statistics,
        mut secret,
        data,
        plan,
    } = prepare(
        &mut input,
        dp,
        &config.transformer,
        config.dp_sgd_schedule(),
    )?;
    let (table, schema, device, progress) = input.parts();
    let (generation, nets, mut gen_training) = set_up(&plan, || {
        let conditions = ConditionLayout::new(&transformer);
        let generation = GenerationSampler::from_private(conditions.clone(), &statistics)?;
        let nets = Networks::new(config, transformer.layout(), &conditions, device)?;
        // Marginal targets from DP releases only: post-processing.
        let nulls = NullRates::Private(&statistics);
        let gen_training =
            GeneratorTraining::new(config, &nets, &transformer, conditions, &generation, &nulls)?;
        Ok((generation, nets, gen_training))
    })?;
    let parameters = nets.discriminator.parameters();
    let mut run = DpSgd::new(
        plan,
        table,
        STEP_LABEL,
        parameters,
        discriminator_params(config),
    )?;
    let mut rngs = PublicRngs::new(config.seed);

    let planned = run.planned();
    let batch = config.batch_size;
    let d_steps = config.discriminator_steps as u64;
    let mut releases = 0u64;
    let mut steps = 0u64;
    let mut stop = StopReason::Completed;
    let mut means = LossMeans::default();
    // The loop runs in a closure so that an error in it hands back the releases made so far.
    let trained = (|| -> Result<()> {
        'training: while releases < planned {
            let mut d_fake = None;
            for _ in 0..d_steps.min(planned - releases) {
                let (outcome, fake) = discriminator_step(
                    config,
                    &nets,
                    &mut run,
                    &data,
                    &gen_training.conditions,
                    &generation,
                    &mut secret,
                    &mut rngs,
                )?;
                if let StepOutcome::BudgetExhausted { .. } = outcome {
                    stop = StopReason::BudgetExhausted;
                    break 'training;
                }
                releases += 1;
                d_fake = fake;
            }
            let cond = generation.sample(batch, &mut rngs.conditions);
            let g = nets.generator_step(&mut gen_training, batch, cond.as_ref(), &mut rngs)?;
            steps += 1;
            let mut losses = Losses::new();
            if let Some(v) = d_fake {
                losses.set("discriminator_fake", v);
            }
            g.record(&mut losses, gen_training.marginals().is_some());
            means.add(&losses);
            if let Some(reason) = report_step(progress, run.epoch(), steps, losses) {
                stop = reason;
                break;
            }
            if let Some(reason) = run.end_epochs(releases, steps, progress, || Ok(means.take()))? {
                stop = reason;
                break 'training;
            }
        }
        Ok(())
    })();
    let end = RunEnd {
        stop,
        releases,
        steps,
    };
    run.finish(trained, end, |ledger| {
        Trained::new(schema.clone(), transformer, generation, nets, Some(ledger))
    })
}

/// One private discriminator step (see the [module docs](self) for the argument). Returns the
/// budget's answer and, with an unclipped public fake term, its value mean D(fake).
#[allow(
    clippy::too_many_arguments,
    reason = "one step needs every piece of the run"
)]
fn discriminator_step(
    config: &ValidCtganConfig,
    nets: &Networks,
    run: &mut DpSgd,
    data: &[f32],
    conditions: &ConditionLayout,
    generation: &GenerationSampler,
    secret: &mut ChaCha20Rng,
    rngs: &mut PublicRngs,
) -> Result<(StepOutcome, Option<f64>)> {
    let pair_fakes = config.dp_fake_term == DpFakeTerm::Paired;
    let d = &nets.discriminator;
    let dim = nets.data_dim;
    let width = nets.packed_width();

    // ---- public: exactly B fakes (never b), made with public randomness ----
    let m = config.batch_size;
    let cond = generation.sample(m, &mut rngs.conditions);
    let cond_values = cond.as_ref().map(|c| c.cond.as_slice());
    let (_, act, _) = nets.fakes_train(m, cond_values, &mut rngs.latent, &mut rngs.gumbel)?;
    let fake_cat = nets.with_cond(&act, cond_values, m);

    // ---- private: the Poisson batch and its per-example terms ----
    let rows = run.sample_rows()?;
    let b = rows.len();
    let mut private = GhostBatch::new();
    if b == 0 {
        record_empty(nets, &mut private)?;
    } else {
        let mut real = Vec::with_capacity(b * dim);
        gather_rows(data, dim, &rows, &mut real);
        let cond = own_conditions(&real, dim, conditions, secret);
        let real_cat = nets.with_cond(&real, cond.as_deref(), b);
        let real_t = Tensor::from_vec(real_cat.clone(), (b, width), &nets.device)?;
        let dropout: &mut dyn RngCore = &mut *secret;
        let tape = d.forward(&real_t, Some(dropout))?;
        let upstream = Tensor::full(-1.0f32, (b, 1), &nets.device)?;
        let back = d.backward(&tape, &upstream, false)?;
        d.record_uses(&tape, &back, &mut private)?;

        // Each example's fake: a row of the public batch picked by a secret uniform index; its
        // penalty point interpolates the real row with that fake. So, given the public fakes,
        // each example's term depends on its own row and its own i.i.d. secret draws only.
        let picks: Vec<(usize, f32)> = (0..b)
            .map(|_| (secret.random_range(0..m), secret.random::<f32>()))
            .collect();
        let mut hat = vec![0.0f32; b * width];
        let mut paired = Vec::with_capacity(if pair_fakes { b * width } else { 0 });
        for (i, &(u, alpha)) in picks.iter().enumerate() {
            let real_row = &real_cat[i * width..(i + 1) * width];
            let fake_row = &fake_cat[u * width..(u + 1) * width];
            for ((h, r), f) in hat[i * width..(i + 1) * width]
                .iter_mut()
                .zip(real_row)
                .zip(fake_row)
            {
                *h = alpha * r + (1.0 - alpha) * f;
            }
            if pair_fakes {
                paired.extend_from_slice(fake_row);
            }
        }
        if pair_fakes {
            // ℓᵢ also holds +D(fakeᵢ): the fake term is clipped with the real one, so both
            // are scaled alike (an unclipped public fake term against a clipped real term
            // drives D(fake) to −∞).
            let fake_t = Tensor::from_vec(paired, (b, width), &nets.device)?;
            let dropout: &mut dyn RngCore = &mut *secret;
            let tape_f = d.forward(&fake_t, Some(dropout))?;
            let ones = Tensor::ones((b, 1), DType::F32, &nets.device)?;
            let back_f = d.backward(&tape_f, &ones, false)?;
            d.record_uses(&tape_f, &back_f, &mut private)?;
        }
        let hat = Tensor::from_vec(hat, (b, width), &nets.device)?;
        let dropout: &mut dyn RngCore = &mut *secret;
        let tape_h = d.forward(&hat, Some(dropout))?;
        let ones = Tensor::ones((b, 1), DType::F32, &nets.device)?;
        let back_h = d.backward(&tape_h, &ones, true)?;
        let g = back_h
            .input_grad()
            .ok_or(ModelError::Internal("no input gradient"))?;
        let penalty = gradient_penalty(g, config.gradient_penalty)?;
        d.record_penalty_uses(&tape_h, &back_h, &penalty.grad, &mut private)?;
    }
    let clipped = run.clip(private)?;
    if pair_fakes {
        let outcome = run.step(&clipped, None)?;
        return Ok((outcome, None));
    }

    // ---- public: the fake term mean D(fake) over the B public fakes, unclipped ----
    let fake_t = Tensor::from_vec(fake_cat, (m, width), &nets.device)?;
    let dropout: &mut dyn RngCore = &mut rngs.dropout;
    let tape_f = d.forward(&fake_t, Some(dropout))?;
    let upstream = Tensor::full(1.0f32 / m as f32, (m, 1), &nets.device)?;
    let back_f = d.backward(&tape_f, &upstream, false)?;
    let mut public = GhostBatch::new();
    d.record_uses(&tape_f, &back_f, &mut public)?;
    let public = public.sum()?;
    let fake_mean = mean_of(tape_f.output())?;
    if !fake_mean.is_finite() {
        return Err(ModelError::NonFinite {
            what: "the discriminator's fake term",
        });
    }

    let outcome = run.step(&clipped, Some(&public))?;
    Ok((outcome, Some(fake_mean)))
}

/// Each row's condition from its own values: a discrete column drawn uniformly (from `secret`,
/// a choice independent of the data) and the row's category in it, read from its one-hot
/// block. `None` without discrete columns.
fn own_conditions(
    real: &[f32],
    dim: usize,
    conditions: &ConditionLayout,
    secret: &mut ChaCha20Rng,
) -> Option<Vec<f32>> {
    let cols = conditions.columns();
    if cols.is_empty() {
        return None;
    }
    let width = conditions.width();
    let rows = real.len() / dim.max(1);
    let mut out = vec![0.0f32; rows * width];
    for (i, row) in real.chunks_exact(dim).enumerate() {
        let c = &cols[secret.random_range(0..cols.len())];
        let block = &row[c.span_start..c.span_start + c.width()];
        let k = first_max(block);
        out[i * width + c.offset + k] = 1.0;
    }
    Some(out)
}

/// An empty Poisson batch contributes zero to every parameter's clipped sum (noise is still
/// added: the step is a release like any other).
fn record_empty(nets: &Networks, batch: &mut GhostBatch) -> Result<()> {
    for (name, var) in nets.discriminator.parameters() {
        match *var.dims() {
            [d_out, d_in] => {
                let a = Tensor::zeros((0, d_in), DType::F32, &nets.device)?;
                let g = Tensor::zeros((0, d_out), DType::F32, &nets.device)?;
                batch.add_weight_use(name, &a, &g)?;
            }
            [d] => {
                let g = Tensor::zeros((0, d), DType::F32, &nets.device)?;
                batch.add_bias_use(name, &g)?;
            }
            _ => {
                return Err(ModelError::Internal(
                    "a discriminator parameter of rank > 2",
                ));
            }
        }
    }
    Ok(())
}
