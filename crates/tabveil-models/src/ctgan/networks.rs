//! CTGAN's two networks and the pieces of a training step both modes share: building the
//! networks, generating activated fakes, and the generator step (post-processing in private
//! mode: it touches no real row).

use candle_core::{DType, Device, Tensor};
use candle_nn::{Optimizer, VarMap};
use rand::{Rng, RngCore};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use tabveil_data::{
    ConditionBatch, ConditionLayout, DataTransformer, GenerationSampler, OutputLayout,
};
use tabveil_sgd::{Activation, Adam, Mlp, MlpConfig, ParamsAdam};

use super::batch_norm::{columns, from_host, hcat, with_host};
use super::config::CtganConfig;
use super::generator::{Generator, GeneratorTape};
use super::marginals::{MarginalTargets, NullRates};
use super::output::{activate, activate_backward, conditional_cross_entropy};
use crate::error::{ModelError, Result};
use crate::nn::activation::{SpanAct, span_acts};
use crate::progress::Losses;
use crate::seeds::{Stream, stream};

/// The generator, the discriminator and the shapes around them.
#[derive(Debug, Clone)]
pub(crate) struct Networks {
    pub(crate) generator: Generator,
    pub(crate) discriminator: Mlp,
    pub(crate) spans: Vec<SpanAct>,
    /// Width of a transformed row.
    pub(crate) data_dim: usize,
    /// Width of a condition vector.
    pub(crate) cond_dim: usize,
    pub(crate) embedding_dim: usize,
    pub(crate) pac: usize,
    pub(crate) tau: f64,
    pub(crate) device: Device,
}

/// The public (seed-derived) generators of a training run, one per purpose. In private mode
/// each is consumed in amounts that never depend on the realised Poisson batch.
#[derive(Debug)]
pub(crate) struct PublicRngs {
    pub(crate) latent: ChaCha8Rng,
    pub(crate) conditions: ChaCha8Rng,
    pub(crate) gumbel: ChaCha8Rng,
    pub(crate) dropout: ChaCha8Rng,
    pub(crate) penalty: ChaCha8Rng,
    pub(crate) rows: ChaCha8Rng,
}

impl PublicRngs {
    pub(crate) fn new(seed: u64) -> Self {
        PublicRngs {
            latent: stream(seed, Stream::Latent),
            conditions: stream(seed, Stream::Conditions),
            gumbel: stream(seed, Stream::Gumbel),
            dropout: stream(seed, Stream::Dropout),
            penalty: stream(seed, Stream::Penalty),
            rows: stream(seed, Stream::Rows),
        }
    }
}

/// Losses of one generator step.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GeneratorLosses {
    /// −mean D(fake) + cross-entropy.
    pub(crate) total: f64,
    /// The conditional cross-entropy.
    pub(crate) cross_entropy: f64,
    /// The marginal-matching term (0 when off).
    pub(crate) marginal: f64,
}

impl GeneratorLosses {
    /// Adds them to a step's `losses` (the marginal term only when it is on).
    pub(crate) fn record(&self, losses: &mut Losses, marginal_on: bool) {
        losses.set("generator", self.total);
        losses.set("cross_entropy", self.cross_entropy);
        if marginal_on {
            losses.set("marginal", self.marginal);
        }
    }
}

impl Networks {
    /// Builds both networks for a transformer `layout` and condition layout, initialised from
    /// the config's seed.
    pub(crate) fn new(
        config: &CtganConfig,
        layout: &OutputLayout,
        conditions: &ConditionLayout,
        device: &Device,
    ) -> Result<Self> {
        let data_dim = layout.width();
        let cond_dim = conditions.width();
        let mut rng = stream(config.seed, Stream::Init);
        let generator = Generator::new(
            config.embedding_dim + cond_dim,
            &config.generator_dims,
            data_dim,
            device,
            &mut rng,
        )?;
        let d_config = MlpConfig::new(
            config.pac * (data_dim + cond_dim),
            config.discriminator_dims.clone(),
            1,
        )
        .with_hidden_activation(Activation::LeakyRelu {
            negative_slope: config.leaky_slope,
        })
        .with_dropout(config.dropout);
        let discriminator = d_config.init(
            "discriminator",
            &VarMap::new(),
            DType::F32,
            device,
            &mut rng,
        )?;
        Ok(Networks {
            generator,
            discriminator,
            spans: span_acts(layout),
            data_dim,
            cond_dim,
            embedding_dim: config.embedding_dim,
            pac: config.pac,
            tau: config.gumbel_tau,
            device: device.clone(),
        })
    }

    /// The generator's input `[z, cond]` for `n` rows, z ~ N(0, I) from `latent`.
    pub(crate) fn generator_input<R: Rng + ?Sized>(
        &self,
        n: usize,
        cond: Option<&[f32]>,
        latent: &mut R,
    ) -> Result<Tensor> {
        let z: Vec<f32> = (0..n * self.embedding_dim)
            .map(|_| latent.sample(StandardNormal))
            .collect();
        let x = match cond {
            Some(c) if self.cond_dim > 0 => hcat(&z, self.embedding_dim, c, self.cond_dim, n),
            _ => z,
        };
        from_host(x, n, self.generator.input_dim(), &self.device)
    }

    /// `n` fakes from the generator in training mode (BatchNorm on this batch, running
    /// statistics updated): raw output, activated output and tape.
    pub(crate) fn fakes_train<R: Rng + ?Sized, G: Rng + ?Sized>(
        &self,
        n: usize,
        cond: Option<&[f32]>,
        latent: &mut R,
        gumbel: &mut G,
    ) -> Result<(Vec<f32>, Vec<f32>, GeneratorTape)> {
        let x = self.generator_input(n, cond, latent)?;
        let (raw, tape) = self.generator.forward_train(&x)?;
        let mut act = raw.clone();
        activate(&mut act, self.data_dim, &self.spans, self.tau, gumbel);
        Ok((raw, act, tape))
    }

    /// `n` fakes from the generator in evaluation mode (each row a function of its own noise
    /// and condition): the activated output.
    pub(crate) fn fakes_eval<R: Rng + ?Sized, G: Rng + ?Sized>(
        &self,
        n: usize,
        cond: Option<&[f32]>,
        latent: &mut R,
        gumbel: &mut G,
    ) -> Result<Vec<f32>> {
        let x = self.generator_input(n, cond, latent)?;
        let mut act = self.generator.forward_eval(&x)?;
        activate(&mut act, self.data_dim, &self.spans, self.tau, gumbel);
        Ok(act)
    }

    /// `[rows | cond]` row by row (`rows` alone without conditions).
    pub(crate) fn with_cond(&self, rows: &[f32], cond: Option<&[f32]>, n: usize) -> Vec<f32> {
        match cond {
            Some(c) if self.cond_dim > 0 => hcat(rows, self.data_dim, c, self.cond_dim, n),
            _ => rows.to_vec(),
        }
    }

    /// Width of one discriminator input row after packing.
    pub(crate) fn packed_width(&self) -> usize {
        self.pac * (self.data_dim + self.cond_dim)
    }

    /// `n` rows of `[data | cond]` as the discriminator's packed input (n/pac rows).
    pub(crate) fn packed(&self, rows: Vec<f32>, n: usize) -> Result<Tensor> {
        from_host(rows, n / self.pac, self.packed_width(), &self.device)
    }

    /// One generator step: `n` fakes with conditions `cond` (drawn by the caller), loss
    /// −mean D(fake ⊕ cond) + conditional cross-entropy (+ the weighted marginal-matching
    /// term), Adam update of the generator only.
    /// The discriminator runs in training mode (dropout), as in SDV.
    pub(crate) fn generator_step(
        &self,
        training: &mut GeneratorTraining,
        n: usize,
        cond: Option<&ConditionBatch>,
        rngs: &mut PublicRngs,
    ) -> Result<GeneratorLosses> {
        let conditions = &training.conditions;
        let marginals = training.marginals();
        let cond_values = cond.map(|c| c.cond.as_slice());
        let (raw, act, tape) =
            self.fakes_train(n, cond_values, &mut rngs.latent, &mut rngs.gumbel)?;
        let input = self.packed(self.with_cond(&act, cond_values, n), n)?;
        let d = &self.discriminator;
        let dropout: &mut dyn RngCore = &mut rngs.dropout;
        let d_tape = d.forward(&input, Some(dropout))?;
        let packs = n / self.pac;
        let mean_out = mean_of(d_tape.output())?;
        let upstream = Tensor::full(-1.0f32 / packs as f32, (packs, 1), &self.device)?;
        let back = d.backward(&d_tape, &upstream, true)?;
        let input_grad = back
            .input_grad()
            .ok_or(ModelError::Internal("no input gradient"))?;
        // (n/pac) × pac(dim + C) → n × (dim + C), then the data columns.
        let dact = with_host(input_grad, |dx| {
            columns(dx, self.data_dim + self.cond_dim, 0, self.data_dim)
        })?;
        let mut dlogits = activate_backward(&dact, &act, self.data_dim, &self.spans, self.tau);
        let cross_entropy = match cond {
            Some(c) => conditional_cross_entropy(
                &raw,
                self.data_dim,
                conditions,
                &c.columns,
                &c.categories,
                &mut dlogits,
            ),
            None => 0.0,
        };
        let marginal = match marginals {
            Some((targets, weight)) => targets.loss(&raw, self.data_dim, weight, &mut dlogits),
            None => 0.0,
        };
        let grads = self.generator.backward(&tape, dlogits)?;
        let store = grads.to_grad_store(&self.generator.parameters())?;
        training.optimizer.step(&store)?;
        let total = -mean_out + cross_entropy + marginal;
        if !total.is_finite() {
            return Err(ModelError::NonFinite {
                what: "the generator loss",
            });
        }
        Ok(GeneratorLosses {
            total,
            cross_entropy,
            marginal,
        })
    }
}

/// What the generator step needs besides the networks, the same in both modes: the
/// generator's optimizer, the condition layout and the marginal-matching targets (when
/// `marginal_loss` > 0) with their weight.
pub(crate) struct GeneratorTraining {
    optimizer: Adam,
    /// The layout of the condition vector.
    pub(crate) conditions: ConditionLayout,
    targets: Option<MarginalTargets>,
    weight: f64,
}

impl GeneratorTraining {
    /// The generator's optimizer for `nets` and the marginal targets of `transformer`'s
    /// blocks from `generation` and `nulls` (exact or private: see [`NullRates`]).
    pub(crate) fn new(
        config: &CtganConfig,
        nets: &Networks,
        transformer: &DataTransformer,
        conditions: ConditionLayout,
        generation: &GenerationSampler,
        nulls: &NullRates<'_>,
    ) -> Result<Self> {
        let targets = (config.marginal_loss > 0.0)
            .then(|| MarginalTargets::new(transformer, &conditions, generation, nulls));
        Ok(GeneratorTraining {
            optimizer: generator_optimizer(config, nets)?,
            conditions,
            targets,
            weight: config.marginal_loss,
        })
    }

    /// The marginal-matching targets and their weight (None without the term).
    pub(crate) fn marginals(&self) -> Option<(&MarginalTargets, f64)> {
        self.targets.as_ref().map(|t| (t, self.weight))
    }
}

/// Adam over the generator's parameters with the config's settings.
fn generator_optimizer(config: &CtganConfig, nets: &Networks) -> Result<Adam> {
    let vars = nets
        .generator
        .parameters()
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    let params = ParamsAdam::new(config.generator_lr, config.betas, config.generator_decay);
    Ok(Adam::new(vars, params)?)
}

/// The discriminator's Adam settings.
pub(crate) fn discriminator_params(config: &CtganConfig) -> ParamsAdam {
    ParamsAdam::new(
        config.discriminator_lr,
        config.betas,
        config.discriminator_decay,
    )
}

/// The mean of a tensor's elements, as f64 on the host.
pub(crate) fn mean_of(t: &Tensor) -> Result<f64> {
    let v = t.flatten_all()?.to_vec1::<f32>()?;
    if v.is_empty() {
        return Ok(0.0);
    }
    Ok(v.iter().map(|x| f64::from(*x)).sum::<f64>() / v.len() as f64)
}
