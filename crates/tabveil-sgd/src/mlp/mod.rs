//! A multi-layer perceptron with a hand-written forward and backward pass that exposes exactly

mod penalty;

use candle_core::{DType, Device, Tensor, Var, WithDType};
use candle_nn::VarMap;
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

use crate::error::{Result, SgdError};
use crate::ghost::GhostBatch;
use crate::kernels::{Slope, bias_activation, float_dtype, mul};

pub use penalty::{GradientPenalty, gradient_penalty};

/// A piecewise-linear activation function.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Activation {
    /// f(z) = z.
    Identity,
    /// f(z) = max(z, 0).
    Relu,
    /// f(z) = z for z > 0, `negative_slope` · z otherwise.
    LeakyRelu {
        /// Slope for z ≤ 0 (CTGAN uses 0.2).
        negative_slope: f64,
    },
}

impl Activation {
    fn slope(self) -> Slope {
        match self {
            Activation::Identity => Slope::Identity,
            Activation::Relu => Slope::Piecewise { negative: 0.0 },
            Activation::LeakyRelu { negative_slope } => Slope::Piecewise {
                negative: negative_slope,
            },
        }
    }

    fn check(self) -> Result<()> {
        if let Activation::LeakyRelu { negative_slope } = self
            && !negative_slope.is_finite()
        {
            return Err(SgdError::InvalidParameter {
                parameter: "negative_slope",
                value: negative_slope,
                expected: "a finite number",
            });
        }
        Ok(())
    }
}

/// Shape and non-linearities of an [`Mlp`]: `input_dim → hidden_dims… → output_dim`, every
/// hidden layer `Linear → hidden_activation → Dropout(dropout)`, the last layer
/// `Linear → output_activation` (no dropout).
///
/// # Defaults
/// - `hidden_activation`: [`Activation::Relu`]
/// - `output_activation`: [`Activation::Identity`]
/// - `dropout`: 0 (none)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Width of the input.
    pub input_dim: usize,
    /// Widths of the hidden layers (may be empty: a single linear layer).
    pub hidden_dims: Vec<usize>,
    /// Width of the output.
    pub output_dim: usize,
    /// Activation after each hidden layer.
    pub hidden_activation: Activation,
    /// Activation after the last layer.
    pub output_activation: Activation,
    /// Dropout probability after each hidden activation, in [0, 1).
    pub dropout: f64,
}

impl MlpConfig {
    /// An MLP `input_dim → hidden_dims… → output_dim` with the defaults above.
    pub fn new(input_dim: usize, hidden_dims: Vec<usize>, output_dim: usize) -> Self {
        MlpConfig {
            input_dim,
            hidden_dims,
            output_dim,
            hidden_activation: Activation::Relu,
            output_activation: Activation::Identity,
            dropout: 0.0,
        }
    }

    /// Sets the activation of the hidden layers.
    pub fn with_hidden_activation(mut self, activation: Activation) -> Self {
        self.hidden_activation = activation;
        self
    }

    /// Sets the activation of the last layer.
    pub fn with_output_activation(mut self, activation: Activation) -> Self {
        self.output_activation = activation;
        self
    }

    /// Sets the dropout probability of the hidden layers.
    pub fn with_dropout(mut self, p: f64) -> Self {
        self.dropout = p;
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// [`SgdError::InvalidParameter`] for a zero width, a dropout outside [0, 1) or a
    /// non-finite LeakyReLU slope.
    pub fn check(&self) -> Result<()> {
        let widths = std::iter::once(self.input_dim)
            .chain(self.hidden_dims.iter().copied())
            .chain(std::iter::once(self.output_dim));
        for w in widths {
            if w == 0 {
                return Err(SgdError::InvalidParameter {
                    parameter: "layer width",
                    value: 0.0,
                    expected: "≥ 1",
                });
            }
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(SgdError::InvalidParameter {
                parameter: "dropout",
                value: self.dropout,
                expected: "a probability in [0, 1)",
            });
        }
        self.hidden_activation.check()?;
        self.output_activation.check()
    }

    /// Creates the network's parameters in `varmap`, named `{prefix}.{k}.weight` (shape
    /// `(d_out, d_in)`) and `{prefix}.{k}.bias` for layers k = 0, 1, …, initialised like
    /// `torch.nn.Linear` from `rng` (the ordinary, non-private `seed`).
    ///
    /// # Errors
    /// Configuration errors ([`MlpConfig::check`]), [`SgdError::UnsupportedDType`] unless
    /// `dtype` is f32 or f64, [`SgdError::DuplicateParameter`] if a name already exists in
    /// `varmap`, and Candle errors.
    pub fn init<R: Rng + ?Sized>(
        &self,
        prefix: &str,
        varmap: &VarMap,
        dtype: DType,
        device: &Device,
        rng: &mut R,
    ) -> Result<Mlp> {
        self.check()?;
        if !matches!(dtype, DType::F32 | DType::F64) {
            return Err(SgdError::UnsupportedDType {
                what: format!("parameters of `{prefix}`"),
                dtype,
            });
        }
        let dims: Vec<usize> = std::iter::once(self.input_dim)
            .chain(self.hidden_dims.iter().copied())
            .chain(std::iter::once(self.output_dim))
            .collect();
        let mut data = varmap
            .data()
            .lock()
            .map_err(|_| SgdError::LockPoisoned { what: "VarMap" })?;
        let mut layers = Vec::with_capacity(dims.len() - 1);
        for (k, pair) in dims.windows(2).enumerate() {
            let (d_in, d_out) = (pair[0], pair[1]);
            let bound = 1.0 / (d_in as f64).sqrt();
            let mut uniform = |n: usize| -> Vec<f64> {
                (0..n).map(|_| rng.random_range(-bound..bound)).collect()
            };
            let w =
                Tensor::from_vec(uniform(d_out * d_in), (d_out, d_in), device)?.to_dtype(dtype)?;
            let b = Tensor::from_vec(uniform(d_out), d_out, device)?.to_dtype(dtype)?;
            let weight_name = format!("{prefix}.{k}.weight");
            let bias_name = format!("{prefix}.{k}.bias");
            for name in [&weight_name, &bias_name] {
                if data.contains_key(name) {
                    return Err(SgdError::DuplicateParameter { name: name.clone() });
                }
            }
            let weight = Var::from_tensor(&w)?;
            let bias = Var::from_tensor(&b)?;
            data.insert(weight_name.clone(), weight.clone());
            data.insert(bias_name.clone(), bias.clone());
            let last = k + 2 == dims.len();
            layers.push(Layer {
                weight_name,
                bias_name,
                weight,
                bias,
                slope: if last {
                    self.output_activation.slope()
                } else {
                    self.hidden_activation.slope()
                },
                dropout: if last { 0.0 } else { self.dropout },
            });
        }
        Ok(Mlp {
            config: self.clone(),
            layers,
        })
    }
}

/// A multi-layer perceptron with manual forward and backward passes.
///
/// what book-keeping needs.
///
/// Each layer is `Linear → activation → dropout`; activations are piecewise linear (identity,
/// ReLU, LeakyReLU), so a layer's output is its pre-activation times a factor F = slope · mask
/// that is constant almost everywhere. The forward pass keeps each layer's input A and F in an
/// [`MlpTape`]; the backward pass ([`Mlp::backward`]) gives each layer's output gradient G
/// and, if asked, the gradient with respect to the network's input. [`Mlp::record_uses`] hands
/// the (A, G) pairs to a [`GhostBatch`] for clipping.
///
/// The input gradient of the network, ∇ₓ(uᵀD(x)) = ((u⊙F_L) W_L ⊙ F_{L−1}) W_{L−1} ⋯ W₁, is the
/// backward pass itself. A loss on it — the WGAN-GP penalty λ(‖∇ₓD(x̂)‖ − 1)² of CTGAN — has
/// weight gradients that use every W once more, transposed; [`Mlp::record_penalty_uses`]
/// computes them with one extra matrix product per layer and records them in the batch, so
/// no double backward is needed (Candle's is silently wrong, `notes/candle.md` §2). Biases get
/// no gradient from the penalty.
///
/// Dropout masks come from the caller's seeded generator, never from Candle's device RNG.
/// Initial weights follow `torch.nn.Linear` (uniform in ±1/√fan_in for weights and biases),
/// drawn from the caller's generator too.
///
/// # Example
/// ```
/// use candle_core::{DType, Device, Tensor};
/// use candle_nn::VarMap;
/// use rand::SeedableRng;
/// use tabveil_sgd::{Activation, GhostBatch, MlpConfig};
///
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let varmap = VarMap::new();
/// let config = MlpConfig::new(4, vec![8, 8], 1)
///     .with_hidden_activation(Activation::LeakyRelu { negative_slope: 0.2 })
///     .with_dropout(0.5);
/// let d = config.init("disc", &varmap, DType::F64, &Device::Cpu, &mut rng)?;
///
/// let x = Tensor::randn(0.0f64, 1.0, (3, 4), &Device::Cpu)?;
/// let tape = d.forward(&x, Some(&mut rng))?;
/// // Per-example losses ℓᵢ = −D(xᵢ): the upstream gradient is −1 for every example.
/// let upstream = Tensor::full(-1.0f64, (3, 1), &Device::Cpu)?;
/// let back = d.backward(&tape, &upstream, false)?;
/// let mut batch = GhostBatch::new();
/// d.record_uses(&tape, &back, &mut batch)?;
/// let clipped = batch.clip(1.0)?;
/// assert_eq!(clipped.private_sums().len(), 6); // 3 weights and 3 biases
/// # Ok::<(), tabveil_sgd::SgdError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Mlp {
    config: MlpConfig,
    layers: Vec<Layer>,
}

#[derive(Debug, Clone)]
struct Layer {
    weight_name: String,
    bias_name: String,
    weight: Var,
    bias: Var,
    slope: Slope,
    dropout: f64,
}

/// What a forward pass keeps for the backward pass: each layer's input and its factor
/// F = slope · dropout mask.
#[derive(Debug, Clone)]
pub struct MlpTape {
    inputs: Vec<Tensor>,
    factors: Vec<Option<Tensor>>,
    masks: Vec<Option<Tensor>>,
    output: Tensor,
}

impl MlpTape {
    /// The network's output (B × output_dim).
    pub fn output(&self) -> &Tensor {
        &self.output
    }

    /// The input of layer `k` (B × d_in of that layer); layer 0's input is the network input.
    pub fn layer_input(&self, k: usize) -> Option<&Tensor> {
        self.inputs.get(k)
    }

    /// The dropout mask applied after layer `k` (entries 0 or 1/(1−p)), if dropout was active.
    pub fn dropout_mask(&self, k: usize) -> Option<&Tensor> {
        self.masks.get(k).and_then(Option::as_ref)
    }

    /// Number of examples.
    pub fn batch_size(&self) -> usize {
        self.output.dims().first().copied().unwrap_or(0)
    }
}

/// The result of [`Mlp::backward`]: each layer's output gradient and, if requested, the
/// gradient with respect to the network input.
#[derive(Debug, Clone)]
pub struct MlpBackward {
    output_grads: Vec<Tensor>,
    input_grad: Option<Tensor>,
}

impl MlpBackward {
    /// dΣℓ/dz for layer `k`'s pre-activation z (B × d_out of that layer).
    pub fn layer_output_grad(&self, k: usize) -> Option<&Tensor> {
        self.output_grads.get(k)
    }

    /// dΣℓ/dx for the network input x (B × input_dim), when it was requested.
    pub fn input_grad(&self) -> Option<&Tensor> {
        self.input_grad.as_ref()
    }
}

impl Mlp {
    /// The configuration the network was built from.
    pub fn config(&self) -> &MlpConfig {
        &self.config
    }

    /// `(name, variable)` of every parameter, sorted by name.
    pub fn parameters(&self) -> Vec<(String, Var)> {
        let mut out: Vec<(String, Var)> = self
            .layers
            .iter()
            .flat_map(|l| {
                [
                    (l.weight_name.clone(), l.weight.clone()),
                    (l.bias_name.clone(), l.bias.clone()),
                ]
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The forward pass on `x` (B × input_dim). With `dropout_rng` the network is in training
    /// mode and draws its dropout masks from that generator; without it, no dropout.
    ///
    /// # Errors
    /// [`SgdError::ShapeMismatch`] / [`SgdError::DTypeMismatch`] for a bad input, Candle errors.
    pub fn forward(
        &self,
        x: &Tensor,
        mut dropout_rng: Option<&mut dyn RngCore>,
    ) -> Result<MlpTape> {
        self.check_input(x, self.config.input_dim, "network input")?;
        let rows = x.dims()[0];
        let mut inputs = Vec::with_capacity(self.layers.len());
        let mut factors = Vec::with_capacity(self.layers.len());
        let mut masks = Vec::with_capacity(self.layers.len());
        let mut h = x.clone();
        for layer in &self.layers {
            let pre = h.matmul(&layer.weight.as_tensor().t()?)?;
            let mask = match (&mut dropout_rng, layer.dropout > 0.0) {
                (Some(rng), true) => {
                    let d_out = layer.weight.dims()[0];
                    Some(dropout_mask(&mut **rng, layer.dropout, rows, d_out, x)?)
                }
                _ => None,
            };
            let (out, factor) =
                bias_activation(&pre, layer.bias.as_tensor(), layer.slope, mask.as_ref())?;
            inputs.push(h);
            factors.push(factor);
            masks.push(mask);
            h = out;
        }
        Ok(MlpTape {
            inputs,
            factors,
            masks,
            output: h,
        })
    }

    /// The backward pass of Σᵢ uᵢ·D(xᵢ), where `grad_output` = u (B × output_dim) is the
    /// gradient of the summed loss with respect to the network output. Weight gradients are
    /// not formed here: record the uses in a [`GhostBatch`] ([`Mlp::record_uses`]) and let it
    /// form clipped or plain sums. With `input_grad`, also returns dΣℓ/dx.
    ///
    /// # Errors
    /// Shape or dtype mismatches, Candle errors.
    pub fn backward(
        &self,
        tape: &MlpTape,
        grad_output: &Tensor,
        input_grad: bool,
    ) -> Result<MlpBackward> {
        self.check_input(grad_output, self.config.output_dim, "output gradient")?;
        if grad_output.dims()[0] != tape.batch_size() {
            return Err(SgdError::BatchSizeMismatch {
                what: "output gradient".to_owned(),
                expected: tape.batch_size(),
                actual: grad_output.dims()[0],
            });
        }
        let n = self.layers.len();
        let mut grads = vec![None; n];
        let mut e = mul_factor(grad_output, tape.factors[n - 1].as_ref())?;
        let mut input = None;
        for k in (0..n).rev() {
            let propagate = k > 0 || input_grad;
            let next = if propagate {
                Some(e.matmul(self.layers[k].weight.as_tensor())?)
            } else {
                None
            };
            grads[k] = Some(e);
            match next {
                Some(r) if k > 0 => e = mul_factor(&r, tape.factors[k - 1].as_ref())?,
                Some(r) => {
                    input = Some(r);
                    break;
                }
                None => break,
            }
        }
        let output_grads = grads
            .into_iter()
            .map(|g| g.ok_or(SgdError::Internal("backward pass skipped a layer")))
            .collect::<Result<Vec<_>>>()?;
        Ok(MlpBackward {
            output_grads,
            input_grad: input,
        })
    }

    /// Records every weight and bias use of one forward/backward pass in `batch`: for layer k,
    /// the weight use (input A_k, output gradient G_k) and the bias use G_k.
    ///
    /// # Errors
    /// Errors of [`GhostBatch::add_weight_use`] and [`GhostBatch::add_bias_use`].
    pub fn record_uses(
        &self,
        tape: &MlpTape,
        backward: &MlpBackward,
        batch: &mut GhostBatch,
    ) -> Result<()> {
        for (k, layer) in self.layers.iter().enumerate() {
            let g = &backward.output_grads[k];
            batch.add_weight_use(layer.weight_name.clone(), &tape.inputs[k], g)?;
            batch.add_bias_use(layer.bias_name.clone(), g)?;
        }
        Ok(())
    }

    /// Records the weight gradients of a loss on the input gradient.
    ///
    /// `tape` and `backward` are the forward pass on x̂ and its backward pass with upstream u
    /// (for CTGAN, u = 1), so that `backward.input_grad()` = g = ∇ₓ(uᵀD)(x̂);
    /// `grad_of_input_grad` = ḡ = ∂Σᵢ Pᵢ/∂gᵢ (B × input_dim), e.g. from
    /// [`gradient_penalty`]. The penalty's per-example weight gradients use each W_k once,
    /// transposed: ∂Pᵢ/∂W_k = e_kᵢᵀ r̄_{k−1,i} with r̄₀ = ḡ and r̄_k = (r̄_{k−1} W_kᵀ) ⊙ F_k.
    /// The slope and dropout factors F are constants of the penalty (piecewise-linear
    /// activations), so biases get no gradient from it.
    ///
    /// # Errors
    /// Shape mismatches, Candle errors.
    pub fn record_penalty_uses(
        &self,
        tape: &MlpTape,
        backward: &MlpBackward,
        grad_of_input_grad: &Tensor,
        batch: &mut GhostBatch,
    ) -> Result<()> {
        self.check_input(
            grad_of_input_grad,
            self.config.input_dim,
            "gradient of the input gradient",
        )?;
        let n = self.layers.len();
        let mut r = grad_of_input_grad.clone();
        for (k, layer) in self.layers.iter().enumerate() {
            batch.add_weight_use(layer.weight_name.clone(), &r, &backward.output_grads[k])?;
            if k + 1 < n {
                let next = r.matmul(&layer.weight.as_tensor().t()?)?;
                r = mul_factor(&next, tape.factors[k].as_ref())?;
            }
        }
        Ok(())
    }

    fn check_input(&self, t: &Tensor, width: usize, what: &str) -> Result<()> {
        let dims = t.dims();
        if dims.len() != 2 || dims[1] != width {
            return Err(SgdError::ShapeMismatch {
                what: what.to_owned(),
                expected: vec![usize::MAX, width],
                actual: dims.to_vec(),
            });
        }
        let dtype = float_dtype(t, what)?;
        let want = self.layers[0].weight.dtype();
        if dtype != want {
            return Err(SgdError::DTypeMismatch {
                what: what.to_owned(),
                expected: want,
                actual: dtype,
            });
        }
        Ok(())
    }
}

/// `t ⊙ factor`, or `t` when the factor is 1.
fn mul_factor(t: &Tensor, factor: Option<&Tensor>) -> Result<Tensor> {
    Ok(match factor {
        Some(f) => mul(t, f)?,
        None => t.clone(),
    })
}

/// A (rows × cols) dropout mask with entries 0 (probability `p`) or 1/(1−p), drawn on the host
/// from `rng` and created with the dtype and device of `like`.
fn dropout_mask(
    rng: &mut dyn RngCore,
    p: f64,
    rows: usize,
    cols: usize,
    like: &Tensor,
) -> Result<Tensor> {
    let (shape, device) = ((rows, cols), like.device());
    Ok(match like.dtype() {
        DType::F32 => Tensor::from_vec(mask_values::<f32>(rng, p, rows * cols), shape, device)?,
        _ => Tensor::from_vec(mask_values::<f64>(rng, p, rows * cols), shape, device)?,
    })
}

/// `n` entries of a dropout mask (see [`dropout_mask`]).
fn mask_values<T: WithDType>(rng: &mut dyn RngCore, p: f64, n: usize) -> Vec<T> {
    let keep = T::from_f64(1.0 / (1.0 - p));
    let zero = T::from_f64(0.0);
    let mut values = Vec::with_capacity(n);
    if p == 0.5 {
        // One random bit per entry.
        while values.len() < n {
            let bits = rng.next_u64();
            let take = (n - values.len()).min(64);
            values.extend((0..take).map(|j| if (bits >> j) & 1 == 1 { keep } else { zero }));
        }
    } else {
        // Dropped when a uniform 32-bit draw falls below p · 2³².
        let threshold = (p * 4_294_967_296.0).round() as u64;
        values.extend((0..n).map(|_| {
            if u64::from(rng.next_u32()) < threshold {
                zero
            } else {
                keep
            }
        }));
    }
    values
}

#[cfg(test)]
mod tests;
