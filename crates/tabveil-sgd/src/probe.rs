//! [`ProbedLinear`]: book-keeping for ordinary Candle models through zero "probe" variables.

use std::sync::Mutex;

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};

use crate::error::{Result, SgdError};
use crate::ghost::GhostBatch;

/// A linear layer `z = a Wᵀ + b` (W of shape `(d_out, d_in)`, like `candle_nn::Linear`) whose
/// per-example gradients are recorded through probe variables.
///
/// Candle's `backward()` keeps gradients of variables only (`notes/candle.md` §1), so the
/// output gradient G of a layer inside a model is not available afterwards. A probe is a zero
/// `Var` added to the layer's output, `z = a Wᵀ + b + probe`: it changes nothing in the
/// forward pass, and its gradient is exactly G = dL/dz. [`ProbedLinear`] keeps the input A
/// and the probe of every call, and [`ProbedLinear::record`] hands each (A, G) use to a
/// [`GhostBatch`] after the backward pass. Calling the layer several times per batch records
/// several uses (as in a weight-tied model).
///
/// The variables' own gradients in the `GradStore` are unclipped sums: never give them to an
/// optimizer in a private step; use the [`GhostBatch`] clipped sums instead.
///
/// # Example
/// ```
/// use candle_core::{DType, Device, Tensor, Var};
/// use tabveil_sgd::{GhostBatch, ProbedLinear};
///
/// let dev = Device::Cpu;
/// let w = Var::from_tensor(&Tensor::new(&[[1.0f64, -1.0]], &dev)?)?;
/// let b = Var::from_tensor(&Tensor::new(&[0.5f64], &dev)?)?;
/// let layer = ProbedLinear::new("out.weight", w).with_bias("out.bias", b);
/// let x = Tensor::new(&[[1.0f64, 2.0], [3.0, 0.0]], &dev)?;
/// let loss = layer.forward(&x)?.sqr()?.sum_all()?; // Σᵢ zᵢ²
/// let grads = loss.backward()?;
/// let mut batch = GhostBatch::new();
/// layer.record(&grads, &mut batch)?;
/// // Example 0: z = −0.5, G = 2z = −1, so ‖∇ℓ₀‖² = ‖x₀‖²·1 + 1 = 6.
/// let n = batch.per_example_norms()?.to_vec1::<f64>()?;
/// assert!((n[0] - 6f64.sqrt()).abs() < 1e-12);
/// # Ok::<(), tabveil_sgd::SgdError>(())
/// ```
#[derive(Debug)]
pub struct ProbedLinear {
    weight_name: String,
    weight: Var,
    bias: Option<(String, Var)>,
    uses: Mutex<Vec<(Tensor, Var)>>,
}

impl ProbedLinear {
    /// Wraps a weight with the parameter name used for clipping and by the optimizer (no
    /// bias; add one with [`ProbedLinear::with_bias`]).
    pub fn new(weight_name: impl Into<String>, weight: Var) -> Self {
        ProbedLinear {
            weight_name: weight_name.into(),
            weight,
            bias: None,
            uses: Mutex::new(Vec::new()),
        }
    }

    /// Adds a bias of shape `(d_out,)` with its parameter name.
    pub fn with_bias(mut self, bias_name: impl Into<String>, bias: Var) -> Self {
        self.bias = Some((bias_name.into(), bias));
        self
    }

    /// `x Wᵀ + b + probe` for a batch `x` of shape (B, d_in); records the use.
    ///
    /// # Errors
    /// [`SgdError::ShapeMismatch`] unless `x` is (B, d_in); Candle errors.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let d_in = self.weight.dims().get(1).copied().unwrap_or(0);
        let d_out = self.weight.dims().first().copied().unwrap_or(0);
        let rows = match x.dims() {
            &[r, c] if c == d_in => r,
            other => {
                return Err(SgdError::ShapeMismatch {
                    what: format!("input of `{}`", self.weight_name),
                    expected: vec![usize::MAX, d_in],
                    actual: other.to_vec(),
                });
            }
        };
        let mut z = x.matmul(&self.weight.as_tensor().t()?)?;
        if let Some((_, b)) = &self.bias {
            z = z.broadcast_add(b.as_tensor())?;
        }
        let probe = Var::zeros((rows, d_out), x.dtype(), x.device())?;
        let z = (z + probe.as_tensor())?;
        self.uses
            .lock()
            .map_err(|_| SgdError::LockPoisoned { what: "probe uses" })?
            .push((x.detach(), probe));
        Ok(z)
    }

    /// After `loss.backward()` of a summed per-example loss, records every use since the last
    /// call — (input, probe gradient) for the weight and the probe gradient for the bias — in
    /// `batch`, and forgets them. A use whose output did not reach the loss has G = 0.
    ///
    /// # Errors
    /// Errors of [`GhostBatch::add_weight_use`] / [`GhostBatch::add_bias_use`].
    pub fn record(&self, grads: &GradStore, batch: &mut GhostBatch) -> Result<()> {
        let uses = std::mem::take(
            &mut *self
                .uses
                .lock()
                .map_err(|_| SgdError::LockPoisoned { what: "probe uses" })?,
        );
        for (a, probe) in uses {
            let g = match grads.get(probe.as_tensor()) {
                Some(g) => g.clone(),
                None => probe.as_tensor().zeros_like()?,
            };
            batch.add_weight_use(self.weight_name.clone(), &a, &g)?;
            if let Some((name, _)) = &self.bias {
                batch.add_bias_use(name.clone(), &g)?;
            }
        }
        Ok(())
    }

    /// Forgets the uses recorded since the last [`ProbedLinear::record`] (e.g. after a forward
    /// pass that is not trained on).
    ///
    /// # Errors
    /// [`SgdError::LockPoisoned`] if another thread panicked while holding the record.
    pub fn clear(&self) -> Result<()> {
        self.uses
            .lock()
            .map_err(|_| SgdError::LockPoisoned { what: "probe uses" })?
            .clear();
        Ok(())
    }

    /// `(name, variable)` of the weight and the bias.
    pub fn parameters(&self) -> Vec<(String, Var)> {
        let mut out = vec![(self.weight_name.clone(), self.weight.clone())];
        if let Some((n, v)) = &self.bias {
            out.push((n.clone(), v.clone()));
        }
        out
    }
}

impl candle_core::Module for ProbedLinear {
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        ProbedLinear::forward(self, xs).map_err(candle_core::Error::wrap)
    }
}
