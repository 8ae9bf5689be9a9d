//! Non-private training, as SDV's `CTGAN.fit`: training-by-sampling with log-frequency
//! conditions, real rows holding the chosen category, WGAN-GP with pac, Adam on both networks,
//! `max(N / B, 1)` steps per epoch of `discriminator_steps` discriminator updates and one
//! generator update.
//!
//! **No privacy guarantee**: the transformer, the samplers and the networks all see the raw
//! data.

use candle_core::Tensor;
use candle_nn::Optimizer;
use rand::seq::SliceRandom;
use rand::{Rng, RngCore};
use tabveil_data::{ConditionBatch, ConditionLayout, GenerationSampler, TrainingSampler};
use tabveil_sgd::{Adam, GhostBatch, gradient_penalty};

use super::Trained;
use super::config::ValidCtganConfig;
use super::marginals::NullRates;
use super::networks::{GeneratorTraining, Networks, PublicRngs, discriminator_params, mean_of};
use crate::error::{ModelError, Result};
use crate::nn::gather_rows;
use crate::progress::{LossMeans, Losses, StopReason, report_epoch, report_step};
use crate::shell::{Encoded, Fit, FitInput, encode_exactly};
use crate::synthesizer::FitSummary;

/// Fits a non-private CTGAN.
pub(crate) fn fit(config: &ValidCtganConfig, input: FitInput<'_>) -> Fit<Trained> {
    let (table, schema, device, progress) = input.parts();
    let Encoded { transformer, data } =
        encode_exactly(table, schema, &config.transformer, config.seed, progress)?;
    let conditions = ConditionLayout::new(&transformer);
    let training = TrainingSampler::new(conditions.clone(), table)?;
    let generation = GenerationSampler::from_table(conditions.clone(), table)?;
    let nets = Networks::new(config, transformer.layout(), &conditions, device)?;
    let nulls = NullRates::Table(table);
    let mut gen_training =
        GeneratorTraining::new(config, &nets, &transformer, conditions, &generation, &nulls)?;
    let d_vars = nets
        .discriminator
        .parameters()
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    let mut d_opt = Adam::new(d_vars, discriminator_params(config))?;
    let mut rngs = PublicRngs::new(config.seed);

    let batch = config.batch_size;
    let steps_per_epoch = (table.n_rows() / batch).max(1);
    let mut steps = 0u64;
    let mut epochs_done = 0;
    let mut stop = StopReason::Completed;
    'epochs: for epoch in 1..=config.epochs {
        let mut means = LossMeans::default();
        for _ in 0..steps_per_epoch {
            // The step runs on a worker of rayon's global pool, the one gemm (Candle's CPU
            // matmul) splits its products over: from there a product forks to the other worker
            // directly, instead of being injected from outside while this thread sleeps and is
            // woken again, tens of times per step. Progress stays on the calling thread. The
            // arithmetic is the same on any thread.
            let (d_losses, g) = rayon::scope(|_| -> Result<_> {
                let mut d_losses = (0.0, 0.0);
                for _ in 0..config.discriminator_steps {
                    let cond = draw_conditions(config, &training, &generation, batch, &mut rngs);
                    d_losses = discriminator_step(
                        config,
                        &nets,
                        &mut d_opt,
                        &data,
                        cond.as_ref(),
                        &training,
                        &mut rngs,
                    )?;
                }
                let cond = draw_conditions(config, &training, &generation, batch, &mut rngs);
                let g = nets.generator_step(&mut gen_training, batch, cond.as_ref(), &mut rngs)?;
                Ok((d_losses, g))
            })?;
            steps += 1;
            let mut losses = Losses::new();
            losses.set("discriminator", d_losses.0);
            losses.set("gradient_penalty", d_losses.1);
            g.record(&mut losses, gen_training.marginals().is_some());
            means.add(&losses);
            if let Some(reason) = report_step(progress, epoch, steps, losses) {
                stop = reason;
                break 'epochs;
            }
        }
        epochs_done = epoch;
        if let Some(reason) = report_epoch(progress, epoch, config.epochs, steps, means.take()) {
            stop = reason;
            break;
        }
    }
    let fitted = Trained::new(schema.clone(), transformer, generation, nets, None)?;
    Ok((fitted, FitSummary::non_private(stop, epochs_done, steps)))
}

/// Conditions for one batch: ∝ log(1 + count) with `log_frequency` (SDV), else ∝ count.
fn draw_conditions(
    config: &ValidCtganConfig,
    training: &TrainingSampler,
    generation: &GenerationSampler,
    n: usize,
    rngs: &mut PublicRngs,
) -> Option<ConditionBatch> {
    if config.log_frequency {
        training.sample_condition(n, &mut rngs.conditions)
    } else {
        generation.sample(n, &mut rngs.conditions)
    }
}

/// One discriminator update (SDV): fakes with conditions c₁, real rows holding a permutation
/// of the same conditions (c₂), loss mean D(fake ⊕ c₁) − mean D(real ⊕ c₂) + λ·GP on packs.
/// Returns (Wasserstein loss, penalty).
fn discriminator_step(
    config: &ValidCtganConfig,
    nets: &Networks,
    optimizer: &mut Adam,
    data: &[f32],
    cond: Option<&ConditionBatch>,
    training: &TrainingSampler,
    rngs: &mut PublicRngs,
) -> Result<(f64, f64)> {
    let n = config.batch_size;
    let dim = nets.data_dim;
    let c1 = cond.map(|c| c.cond.as_slice());
    let (_, act, _) = nets.fakes_train(n, c1, &mut rngs.latent, &mut rngs.gumbel)?;
    let (rows, c2) = match cond {
        Some(c) => {
            let mut perm: Vec<usize> = (0..n).collect();
            perm.shuffle(&mut rngs.rows);
            let permuted = ConditionBatch {
                cond: c.cond.clone(),
                mask: c.mask.clone(),
                columns: perm.iter().map(|&p| c.columns[p]).collect(),
                categories: perm.iter().map(|&p| c.categories[p]).collect(),
            };
            let rows = training.sample_rows(&permuted, &mut rngs.rows);
            let width = nets.cond_dim;
            let values = c.cond.as_slice();
            let c2: Vec<f32> = perm
                .iter()
                .flat_map(|&p| values[p * width..(p + 1) * width].iter().copied())
                .collect();
            (rows, Some(c2))
        }
        None => (training.sample_rows_uniform(n, &mut rngs.rows), None),
    };
    let mut real = Vec::with_capacity(n * dim);
    gather_rows(data, dim, &rows, &mut real);
    let fake_cat = nets.with_cond(&act, c1, n);
    let real_cat = nets.with_cond(&real, c2.as_deref(), n);
    let packs = n / nets.pac;
    let width = nets.packed_width();
    // Interpolates: one α per pack, shared by its rows and features.
    let mut hat = vec![0.0f32; packs * width];
    for p in 0..packs {
        let alpha: f32 = rngs.penalty.random();
        for j in p * width..(p + 1) * width {
            hat[j] = alpha * real_cat[j] + (1.0 - alpha) * fake_cat[j];
        }
    }
    let mut both = fake_cat;
    both.extend_from_slice(&real_cat);
    let d = &nets.discriminator;
    let mut batch = GhostBatch::new();
    let input = Tensor::from_vec(both, (2 * packs, width), &nets.device)?;
    let dropout: &mut dyn RngCore = &mut rngs.dropout;
    let tape = d.forward(&input, Some(dropout))?;
    let scale = 1.0 / packs as f32;
    let upstream: Vec<f32> = (0..2 * packs)
        .map(|i| if i < packs { scale } else { -scale })
        .collect();
    let upstream = Tensor::from_vec(upstream, (2 * packs, 1), &nets.device)?;
    let back = d.backward(&tape, &upstream, false)?;
    d.record_uses(&tape, &back, &mut batch)?;
    let outputs = tape.output().narrow(0, 0, packs)?;
    let fake_mean = mean_of(&outputs)?;
    let real_mean = mean_of(&tape.output().narrow(0, packs, packs)?)?;

    let hat = Tensor::from_vec(hat, (packs, width), &nets.device)?;
    let dropout: &mut dyn RngCore = &mut rngs.dropout;
    let tape_h = d.forward(&hat, Some(dropout))?;
    let ones = Tensor::ones((packs, 1), candle_core::DType::F32, &nets.device)?;
    let back_h = d.backward(&tape_h, &ones, true)?;
    let g = back_h
        .input_grad()
        .ok_or(ModelError::Internal("no input gradient"))?;
    let penalty = gradient_penalty(g, config.gradient_penalty)?;
    let gp = mean_of(&penalty.per_example)?;
    let gbar = penalty.grad.affine(f64::from(scale), 0.0)?;
    d.record_penalty_uses(&tape_h, &back_h, &gbar, &mut batch)?;

    let grads = batch.sum()?;
    optimizer.step(&grads.to_grad_store(&d.parameters())?)?;
    let loss = fake_mean - real_mean;
    if !(loss.is_finite() && gp.is_finite()) {
        return Err(ModelError::NonFinite {
            what: "the discriminator loss",
        });
    }
    Ok((loss, gp))
}
