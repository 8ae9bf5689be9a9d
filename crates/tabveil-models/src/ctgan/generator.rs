//! CTGAN's generator with a hand-written forward and backward pass.
//!
//! `input → Residual(d₁) → … → Residual(d_L) → Linear(→ output)`, where a residual block is
//! `Linear → BatchNorm1d → ReLU` whose output is concatenated with its input (so widths grow:
//! 128 + C → 384 + C → 640 + C with SDV's (256, 256)). BatchNorm follows `torch.nn.BatchNorm1d`:
//! batch statistics (biased variance) in training mode, running statistics (momentum 0.1,
//! unbiased variance) in evaluation mode, ε = 1e-5.
//!
//! The generator never sees real rows (in private mode it is trained only through the
//! discriminator, which is post-processing of DP releases), so its gradient needs no clipping:
//! the backward pass here is an ordinary one, written by hand because Candle's autograd of
//! BatchNorm and concatenations costs several times more on CPU (`notes/candle.md` §3).

use candle_core::{DType, Device, Tensor, Var};
use rand::Rng;
use tabveil_sgd::Gradients;

use super::batch_norm::{
    BnTape, bn_relu_backward, bn_relu_eval, bn_relu_train, from_host, hcat, with_host,
};
use crate::error::{ModelError, Result};

/// BatchNorm's ε.
const BN_EPS: f64 = 1e-5;
/// BatchNorm's momentum for the running statistics.
const BN_MOMENTUM: f64 = 0.1;

/// A block's bias and BatchNorm scale and shift, on the host.
struct Affine {
    bias: Vec<f32>,
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

/// A residual block's parameters and buffers.
#[derive(Debug, Clone)]
struct Block {
    name: String,
    weight: Var,
    bias: Var,
    gamma: Var,
    beta: Var,
    running_mean: Var,
    running_var: Var,
    d_in: usize,
    d_out: usize,
}

/// The generator (see the [module docs](self)).
#[derive(Debug, Clone)]
pub(crate) struct Generator {
    blocks: Vec<Block>,
    out_weight: Var,
    out_bias: Var,
    input_dim: usize,
    output_dim: usize,
}

/// What a training forward pass keeps for the backward pass.
#[derive(Debug)]
pub(crate) struct GeneratorTape {
    /// Each block's input.
    inputs: Vec<Tensor>,
    /// Each block's BatchNorm/ReLU tape.
    bn: Vec<BnTape>,
    /// The input of the output layer.
    last: Tensor,
    /// Rows.
    rows: usize,
}

impl Block {
    /// The block's linear map of `h` (before BatchNorm), with its bias and BatchNorm scale and
    /// shift on the host.
    fn linear(&self, h: &Tensor) -> Result<(Tensor, Affine)> {
        let a = h.matmul(&self.weight.as_tensor().t()?)?;
        let affine = Affine {
            bias: self.bias.as_tensor().to_vec1::<f32>()?,
            gamma: self.gamma.as_tensor().to_vec1::<f32>()?,
            beta: self.beta.as_tensor().to_vec1::<f32>()?,
        };
        Ok((a, affine))
    }
}

impl Generator {
    /// A generator `input_dim → hidden… → output_dim`, initialised like `torch.nn.Linear`
    /// (uniform in ±1/√fan_in) and `BatchNorm1d` (γ = 1, β = 0, running mean 0 and variance 1)
    /// from `rng`.
    pub(crate) fn new<R: Rng + ?Sized>(
        input_dim: usize,
        hidden: &[usize],
        output_dim: usize,
        device: &Device,
        rng: &mut R,
    ) -> Result<Self> {
        let mut blocks = Vec::with_capacity(hidden.len());
        let mut d_in = input_dim;
        for (k, &d_out) in hidden.iter().enumerate() {
            let (weight, bias) = linear_init(d_in, d_out, device, rng)?;
            blocks.push(Block {
                name: format!("generator.{k}"),
                weight,
                bias,
                gamma: Var::from_tensor(&Tensor::ones(d_out, DType::F32, device)?)?,
                beta: Var::from_tensor(&Tensor::zeros(d_out, DType::F32, device)?)?,
                running_mean: Var::from_tensor(&Tensor::zeros(d_out, DType::F32, device)?)?,
                running_var: Var::from_tensor(&Tensor::ones(d_out, DType::F32, device)?)?,
                d_in,
                d_out,
            });
            d_in += d_out;
        }
        let (out_weight, out_bias) = linear_init(d_in, output_dim, device, rng)?;
        Ok(Generator {
            blocks,
            out_weight,
            out_bias,
            input_dim,
            output_dim,
        })
    }

    /// Width of the input (latent + condition).
    pub(crate) fn input_dim(&self) -> usize {
        self.input_dim
    }

    /// Trainable parameters `(name, var)`, sorted by name.
    pub(crate) fn parameters(&self) -> Vec<(String, Var)> {
        let mut out = Vec::new();
        for b in &self.blocks {
            out.push((format!("{}.linear.weight", b.name), b.weight.clone()));
            out.push((format!("{}.linear.bias", b.name), b.bias.clone()));
            out.push((format!("{}.bn.weight", b.name), b.gamma.clone()));
            out.push((format!("{}.bn.bias", b.name), b.beta.clone()));
        }
        out.push(("generator.out.weight".into(), self.out_weight.clone()));
        out.push(("generator.out.bias".into(), self.out_bias.clone()));
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Parameters and BatchNorm buffers `(name, var)`, sorted by name: what is saved.
    pub(crate) fn state(&self) -> Vec<(String, Var)> {
        let mut out = self.parameters();
        for b in &self.blocks {
            out.push((
                format!("{}.bn.running_mean", b.name),
                b.running_mean.clone(),
            ));
            out.push((format!("{}.bn.running_var", b.name), b.running_var.clone()));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The training-mode forward pass on `x` (rows × input_dim): returns the raw output
    /// (rows × output_dim, host, before activations) and the tape. Updates the running
    /// statistics of every BatchNorm.
    pub(crate) fn forward_train(&self, x: &Tensor) -> Result<(Vec<f32>, GeneratorTape)> {
        let rows = self.check_input(x)?;
        if rows < 2 {
            return Err(ModelError::Internal(
                "BatchNorm in training mode needs at least 2 rows",
            ));
        }
        let device = x.device().clone();
        let mut inputs = Vec::with_capacity(self.blocks.len());
        let mut tapes = Vec::with_capacity(self.blocks.len());
        let mut h = x.clone();
        for b in &self.blocks {
            let (a, Affine { bias, gamma, beta }) = b.linear(&h)?;
            let (tape, mean, var) = with_host(&a, |a| {
                bn_relu_train(a, &bias, rows, b.d_out, &gamma, &beta, BN_EPS)
            })?;
            self.update_running(b, &mean, &var)?;
            // h ← [r, h], assembled on the host in one pass.
            let next = with_host(&h, |hv| hcat(&tape.out, b.d_out, hv, b.d_in, rows))?;
            let next = from_host(next, rows, b.d_out + b.d_in, &device)?;
            inputs.push(h);
            tapes.push(tape);
            h = next;
        }
        let out = self.output_layer(&h)?;
        Ok((
            out,
            GeneratorTape {
                inputs,
                bn: tapes,
                last: h,
                rows,
            },
        ))
    }

    /// The evaluation-mode forward pass (BatchNorm with running statistics): each output row
    /// depends on its input row only. Returns the raw output on the host.
    pub(crate) fn forward_eval(&self, x: &Tensor) -> Result<Vec<f32>> {
        let rows = self.check_input(x)?;
        if rows == 0 {
            return Ok(Vec::new());
        }
        let device = x.device().clone();
        let mut h = x.clone();
        for b in &self.blocks {
            let (a, Affine { bias, gamma, beta }) = b.linear(&h)?;
            let mean = b.running_mean.as_tensor().to_vec1::<f32>()?;
            let var = b.running_var.as_tensor().to_vec1::<f32>()?;
            let r = with_host(&a, |a| {
                bn_relu_eval(a, &bias, b.d_out, &gamma, &beta, &mean, &var, BN_EPS)
            })?;
            let next = with_host(&h, |hv| hcat(&r, b.d_out, hv, b.d_in, rows))?;
            h = from_host(next, rows, b.d_out + b.d_in, &device)?;
        }
        self.output_layer(&h)
    }

    /// The backward pass from dL/d(raw output) (`rows × output_dim`, host) to the gradient of
    /// every trainable parameter.
    pub(crate) fn backward(
        &self,
        tape: &GeneratorTape,
        grad_output: Vec<f32>,
    ) -> Result<Gradients> {
        let rows = tape.rows;
        if grad_output.len() != rows * self.output_dim {
            return Err(ModelError::Internal(
                "generator output gradient of the wrong size",
            ));
        }
        let device = tape.last.device().clone();
        let mut grads = Gradients::new();
        let db_out = super::batch_norm::bias_gradient(&grad_output, self.output_dim);
        let dout = from_host(grad_output, rows, self.output_dim, &device)?;
        grads.insert("generator.out.weight", dout.t()?.matmul(&tape.last)?);
        grads.insert(
            "generator.out.bias",
            Tensor::from_vec(db_out, self.output_dim, &device)?,
        );
        // dL/dh for the current block's output h = [r, input] (rows × (d_out + d_in)).
        let mut dh = dout.matmul(self.out_weight.as_tensor())?;
        for (k, b) in self.blocks.iter().enumerate().rev() {
            let width = b.d_out + b.d_in;
            let gamma = b.gamma.as_tensor().to_vec1::<f32>()?;
            let (dz, dgamma, dbeta) = with_host(&dh, |dh| {
                bn_relu_backward(dh, width, &tape.bn[k], &gamma, rows, b.d_out)
            })?;
            let dbias = super::batch_norm::bias_gradient(&dz, b.d_out);
            let dz = from_host(dz, rows, b.d_out, &device)?;
            let input = &tape.inputs[k];
            grads.insert(format!("{}.linear.weight", b.name), dz.t()?.matmul(input)?);
            grads.insert(
                format!("{}.linear.bias", b.name),
                Tensor::from_vec(dbias, b.d_out, &device)?,
            );
            grads.insert(
                format!("{}.bn.weight", b.name),
                Tensor::from_vec(dgamma, b.d_out, &device)?,
            );
            grads.insert(
                format!("{}.bn.bias", b.name),
                Tensor::from_vec(dbeta, b.d_out, &device)?,
            );
            if k > 0 {
                // The input's gradient: through the concatenation (the right block of dh) and
                // through the linear layer, added on the host (Candle's add of this size runs on
                // its spinning thread pool, a third thread beside gemm's on a 2-core machine).
                let through = dz.matmul(b.weight.as_tensor())?;
                let sum = with_host(&dh, |dh| {
                    with_host(&through, |t| add_right_block(dh, width, b.d_out, t, b.d_in))
                })??;
                dh = from_host(sum, rows, b.d_in, &device)?;
            }
        }
        Ok(grads)
    }

    fn output_layer(&self, h: &Tensor) -> Result<Vec<f32>> {
        let o = h.matmul(&self.out_weight.as_tensor().t()?)?;
        let bias = self.out_bias.as_tensor().to_vec1::<f32>()?;
        let cols = bias.len().max(1);
        with_host(&o, |o| {
            let mut out = Vec::with_capacity(o.len());
            for row in o.chunks_exact(cols) {
                out.extend(row.iter().zip(&bias).map(|(v, b)| v + b));
            }
            out
        })
    }

    fn update_running(&self, b: &Block, mean: &[f64], var: &[f64]) -> Result<()> {
        let rm = b.running_mean.as_tensor().to_vec1::<f32>()?;
        let rv = b.running_var.as_tensor().to_vec1::<f32>()?;
        let m = 1.0 - BN_MOMENTUM;
        let new_mean: Vec<f32> = rm
            .iter()
            .zip(mean)
            .map(|(r, x)| (m * f64::from(*r) + BN_MOMENTUM * x) as f32)
            .collect();
        let new_var: Vec<f32> = rv
            .iter()
            .zip(var)
            .map(|(r, x)| (m * f64::from(*r) + BN_MOMENTUM * x) as f32)
            .collect();
        let device = b.running_mean.device().clone();
        b.running_mean
            .set(&Tensor::from_vec(new_mean, b.d_out, &device)?)?;
        b.running_var
            .set(&Tensor::from_vec(new_var, b.d_out, &device)?)?;
        Ok(())
    }

    fn check_input(&self, x: &Tensor) -> Result<usize> {
        match *x.dims() {
            [rows, cols] if cols == self.input_dim && x.dtype() == DType::F32 => Ok(rows),
            _ => Err(ModelError::Internal("generator input of the wrong shape")),
        }
    }
}

/// `x[:, start..start + cols] + y` for a row-major `x` of width `width` and `y` of width `cols`
/// (same rows), in f32 as Candle's add.
fn add_right_block(x: &[f32], width: usize, start: usize, y: &[f32], cols: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; y.len()];
    if cols == 0 {
        return out;
    }
    for ((orow, xrow), yrow) in out
        .chunks_exact_mut(cols)
        .zip(x.chunks_exact(width))
        .zip(y.chunks_exact(cols))
    {
        for ((o, a), b) in orow.iter_mut().zip(&xrow[start..start + cols]).zip(yrow) {
            *o = a + b;
        }
    }
    out
}

/// A linear layer's weight `(d_out, d_in)` and bias, uniform in ±1/√d_in as `torch.nn.Linear`.
fn linear_init<R: Rng + ?Sized>(
    d_in: usize,
    d_out: usize,
    device: &Device,
    rng: &mut R,
) -> Result<(Var, Var)> {
    let bound = 1.0 / (d_in.max(1) as f64).sqrt();
    let mut draw = |n: usize| -> Vec<f32> {
        (0..n)
            .map(|_| rng.random_range(-bound..bound) as f32)
            .collect()
    };
    let w = Tensor::from_vec(draw(d_out * d_in), (d_out, d_in), device)?;
    let b = Tensor::from_vec(draw(d_out), d_out, device)?;
    Ok((Var::from_tensor(&w)?, Var::from_tensor(&b)?))
}

#[cfg(test)]
mod tests;
