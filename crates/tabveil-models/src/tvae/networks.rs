//! TVAE's networks — encoder (ReLU trunk, one linear head giving [μ | log σ²]), decoder (ReLU
//! MLP) and the decoder's per-column scale σ — and the forward/backward pass of one batch that
//! both training modes share.
//!
//! The pass is written by hand on `tabveil-sgd`'s [`Mlp`]: it keeps each layer's input A and
//! output gradient G, which a [`GhostBatch`] turns into the plain gradient (non-private) or the
//! per-example norms and clipped sum (private, book-keeping); σ's per-example gradients are
//! materialised (one row of `width` values per example). SDV's two heads `fc1` (μ) and `fc2`
//! (log-variance) are one linear layer with 2·embedding outputs here: the same function and
//! the same initial distribution, one matrix product instead of two.

use candle_core::{DType, Device, Tensor, Var, WithDType};
use candle_nn::VarMap;
use rand::Rng;
use tabveil_data::OutputLayout;
use tabveil_sgd::{Activation, GhostBatch, Mlp, MlpConfig};

use super::config::TvaeConfig;
use super::loss::{Real, latent_backward, reconstruction, reparameterise};
use crate::error::{ModelError, Result};
use crate::nn::activation::{SpanAct, span_acts};
use crate::seeds::{Stream, stream};

/// The identity, written as a LeakyReLU of slope 1 (x·1 = x exactly): `tabveil-sgd` 0.1 adds
/// the bias of an [`Activation::Identity`] layer with Candle's `broadcast_add`, which on ≥ 64 k
/// elements runs on Candle's spin-waiting element-wise pool (a quarter of a TVAE step on this
/// 2-core machine); its piecewise path is a fused host loop.
const LINEAR: Activation = Activation::LeakyRelu {
    negative_slope: 1.0,
};

/// The name of the decoder's scale parameter.
pub(crate) const SIGMA: &str = "decoder.sigma";

/// The encoder, the decoder, σ and the shapes around them.
#[derive(Debug, Clone)]
pub(crate) struct VaeNets {
    /// The encoder's hidden layers (none when `compress_dims` is empty).
    trunk: Option<Mlp>,
    /// The encoder's linear head: [μ | log σ²].
    head: Mlp,
    pub(crate) decoder: Mlp,
    pub(crate) sigma: Var,
    pub(crate) spans: Vec<SpanAct>,
    pub(crate) data_dim: usize,
    pub(crate) embedding_dim: usize,
    pub(crate) dtype: DType,
    pub(crate) device: Device,
}

/// The losses of one batch (sums over its rows, unscaled).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct BatchLoss {
    /// f · Σᵢ reconstruction part of ℓᵢ.
    pub(crate) reconstruction: f64,
    /// Σᵢ KLDᵢ.
    pub(crate) kld: f64,
}

impl VaeNets {
    /// The networks of `config` for a transformer's `layout`, in f32 on `device`, initialised
    /// from the config's seed.
    ///
    /// # Errors
    /// Candle errors.
    pub(crate) fn for_config(
        config: &TvaeConfig,
        layout: &OutputLayout,
        device: &Device,
    ) -> Result<Self> {
        Self::new(
            config,
            layout,
            DType::F32,
            device,
            &mut stream(config.seed, Stream::Init),
        )
    }

    /// Builds the networks for a transformer `layout`, initialised from `rng` (as
    /// `torch.nn.Linear`: uniform in ±1/√fan_in), σ filled with `sigma_init`.
    pub(crate) fn new<R: Rng + ?Sized>(
        config: &TvaeConfig,
        layout: &OutputLayout,
        dtype: DType,
        device: &Device,
        rng: &mut R,
    ) -> Result<Self> {
        let data_dim = layout.width();
        let e = config.embedding_dim;
        let varmap = VarMap::new();
        let trunk = match config.compress_dims.split_last() {
            Some((&last, hidden)) => Some(
                MlpConfig::new(data_dim, hidden.to_vec(), last)
                    .with_hidden_activation(Activation::Relu)
                    .with_output_activation(Activation::Relu)
                    .init("encoder", &varmap, dtype, device, rng)?,
            ),
            None => None,
        };
        let head_in = config.compress_dims.last().copied().unwrap_or(data_dim);
        let head = MlpConfig::new(head_in, Vec::new(), 2 * e)
            .with_output_activation(LINEAR)
            .init("encoder.head", &varmap, dtype, device, rng)?;
        let decoder = MlpConfig::new(e, config.decompress_dims.clone(), data_dim)
            .with_hidden_activation(Activation::Relu)
            .with_output_activation(LINEAR)
            .init("decoder", &varmap, dtype, device, rng)?;
        let sigma = Tensor::full(config.sigma_init, data_dim, device)?.to_dtype(dtype)?;
        Ok(VaeNets {
            trunk,
            head,
            decoder,
            sigma: Var::from_tensor(&sigma)?,
            spans: span_acts(layout),
            data_dim,
            embedding_dim: e,
            dtype,
            device: device.clone(),
        })
    }

    /// Every trained parameter, sorted by name (encoder, decoder and σ).
    pub(crate) fn parameters(&self) -> Vec<(String, Var)> {
        let mut out = self.sampling_state();
        out.extend(self.head.parameters());
        if let Some(t) = &self.trunk {
            out.extend(t.parameters());
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// What sampling needs and a saved model holds: the decoder and σ, sorted by name.
    pub(crate) fn sampling_state(&self) -> Vec<(String, Var)> {
        let mut out = self.decoder.parameters();
        out.push((SIGMA.to_owned(), self.sigma.clone()));
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Clamps σ into `[lo, hi]` (SDV clamps after every optimiser step).
    pub(crate) fn clamp_sigma(&self, (lo, hi): (f64, f64)) -> Result<()> {
        let clamped = self.sigma.as_tensor().clamp(lo, hi)?;
        self.sigma.set(&clamped)?;
        Ok(())
    }

    /// σ on the host, as f64.
    pub(crate) fn sigma_host(&self) -> Result<Vec<f64>> {
        Ok(self
            .sigma
            .as_tensor()
            .to_dtype(DType::F64)?
            .to_vec1::<f64>()?)
    }

    /// The decoder's raw output (rows × width, no activation) for latent codes `z`
    /// (rows × embedding), on the host.
    pub(crate) fn decode<T: WithDType>(&self, z: Vec<T>, rows: usize) -> Result<Vec<T>> {
        let z = Tensor::from_vec(z, (rows, self.embedding_dim), &self.device)?;
        let tape = self.decoder.forward(&z, None)?;
        Ok(tape.output().flatten_all()?.to_vec1::<T>()?)
    }

    /// The forward and backward pass of scale·Σᵢ ℓᵢ over the encoded rows `x` (rows × width)
    /// with reparameterisation noise `eps` (rows × embedding): records every parameter's
    /// per-example contribution (weight uses, bias uses, σ's rows) in a [`GhostBatch`] and
    /// returns it with the batch's losses.
    ///
    /// `T` must be the networks' element type.
    pub(crate) fn batch_gradients<T: Real>(
        &self,
        x: &[T],
        eps: &[T],
        rows: usize,
        factor: f64,
        scale: f64,
    ) -> Result<(GhostBatch, BatchLoss)> {
        if T::DTYPE != self.dtype {
            return Err(ModelError::Internal("a batch of another element type"));
        }
        let e = self.embedding_dim;
        let d = self.data_dim;
        let x_t = Tensor::from_slice(x, (rows, d), &self.device)?;
        // Encoder.
        let trunk_tape = match &self.trunk {
            Some(t) => Some(t.forward(&x_t, None)?),
            None => None,
        };
        let features = trunk_tape.as_ref().map_or(&x_t, |t| t.output());
        let head_tape = self.head.forward(features, None)?;
        let head_out = head_tape.output().flatten_all()?.to_vec1::<T>()?;
        let (z, std, kld) = reparameterise(&head_out, eps, e);
        // Decoder and the loss.
        let z_t = Tensor::from_vec(z, (rows, e), &self.device)?;
        let dec_tape = self.decoder.forward(&z_t, None)?;
        let xhat = dec_tape.output().flatten_all()?.to_vec1::<T>()?;
        let sigma = self.sigma.as_tensor().to_vec1::<T>()?;
        let rec = reconstruction(x, &xhat, &sigma, &self.spans, d, factor, scale);
        // Backward.
        let dxhat = Tensor::from_vec(rec.dxhat, (rows, d), &self.device)?;
        let dec_back = self.decoder.backward(&dec_tape, &dxhat, true)?;
        let dz = dec_back
            .input_grad()
            .ok_or(ModelError::Internal("no input gradient from the decoder"))?
            .flatten_all()?
            .to_vec1::<T>()?;
        let dhead = latent_backward(&head_out, eps, &std, &dz, e, scale);
        let dhead = Tensor::from_vec(dhead, (rows, 2 * e), &self.device)?;
        let head_back = self
            .head
            .backward(&head_tape, &dhead, self.trunk.is_some())?;
        let mut batch = GhostBatch::new();
        if let (Some(trunk), Some(tape)) = (&self.trunk, &trunk_tape) {
            let dfeatures = head_back
                .input_grad()
                .ok_or(ModelError::Internal("no input gradient from the head"))?;
            let trunk_back = trunk.backward(tape, dfeatures, false)?;
            trunk.record_uses(tape, &trunk_back, &mut batch)?;
        }
        self.head.record_uses(&head_tape, &head_back, &mut batch)?;
        self.decoder.record_uses(&dec_tape, &dec_back, &mut batch)?;
        let sigma_rows = Tensor::from_vec(rec.sigma_rows, (rows, d), &self.device)?;
        batch.add_per_example(SIGMA, &sigma_rows)?;
        Ok((
            batch,
            BatchLoss {
                reconstruction: rec.loss,
                kld,
            },
        ))
    }

    /// A record in which every parameter contributes nothing (an empty Poisson batch: the
    /// clipped sums are zero; the step still adds noise).
    pub(crate) fn empty_batch(&self) -> Result<GhostBatch> {
        let mut batch = GhostBatch::new();
        for (name, var) in self.parameters() {
            match *var.dims() {
                [d_out, d_in] => {
                    let a = Tensor::zeros((0, d_in), self.dtype, &self.device)?;
                    let g = Tensor::zeros((0, d_out), self.dtype, &self.device)?;
                    batch.add_weight_use(name, &a, &g)?;
                }
                [d] if name == SIGMA => {
                    let rows = Tensor::zeros((0, d), self.dtype, &self.device)?;
                    batch.add_per_example(name, &rows)?;
                }
                [d] => {
                    let g = Tensor::zeros((0, d), self.dtype, &self.device)?;
                    batch.add_bias_use(name, &g)?;
                }
                _ => return Err(ModelError::Internal("a TVAE parameter of rank > 2")),
            }
        }
        Ok(batch)
    }
}

/// `n` standard normal draws (the reparameterisation noise, latent codes), in the networks'
/// type: drawn as f32 for f32 networks (as `torch.randn`), as f64 otherwise.
pub(crate) fn standard_normal<T: WithDType, R: Rng + ?Sized>(n: usize, rng: &mut R) -> Vec<T> {
    if T::DTYPE == DType::F32 {
        (0..n)
            .map(|_| {
                let v: f32 = rng.sample(rand_distr::StandardNormal);
                T::from_f64(f64::from(v))
            })
            .collect()
    } else {
        (0..n)
            .map(|_| {
                let v: f64 = rng.sample(rand_distr::StandardNormal);
                T::from_f64(v)
            })
            .collect()
    }
}
