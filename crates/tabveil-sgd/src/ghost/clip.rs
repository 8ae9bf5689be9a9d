//! Clipping a [`GhostBatch`]: the clip factors and the clipped (or plain) sums.

use candle_core::Tensor;

use super::norms::{clip_factor_values, weighted_row_sum};
use super::{Contribution, GhostBatch};
use crate::error::{Result, SgdError};
use crate::gradients::Gradients;
use crate::kernels::{add, scale_rows};

/// The result of clipping a [`GhostBatch`]: the sum over examples of the clipped per-example
/// gradients, per parameter.
///
/// These sums are **private**: each depends on every example of the batch with L2
/// sensitivity at most C (add/remove one example). Release them only through a Gaussian
/// mechanism recorded on the ledger (the `DpOptimizer` does that).
#[derive(Debug, Clone)]
pub struct ClippedGradients {
    sums: Gradients,
    batch_size: usize,
    max_norm: f64,
}

impl ClippedGradients {
    /// Σᵢ cᵢ ∇ℓᵢ for each parameter. Private: see the type's documentation.
    pub fn private_sums(&self) -> &Gradients {
        &self.sums
    }

    /// Number of examples in the batch (the realised Poisson batch size; itself private).
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The clipping norm C each per-example gradient was clipped to.
    pub fn max_norm(&self) -> f64 {
        self.max_norm
    }
}

impl GhostBatch {
    /// Clips every per-example gradient to norm `max_norm` (flat clipping over all recorded
    /// parameters: cᵢ = min(1, C/‖∇ℓᵢ‖), with cᵢ‖∇ℓᵢ‖ ≤ C exactly: see the
    /// module docs of `ghost`) and sums them.
    ///
    /// `max_norm` may be `f64::INFINITY` (no clipping; then the sums carry no sensitivity
    /// bound, which only an unaccounted, non-private run may use).
    ///
    /// An example whose gradient norm is not finite (NaN or ∞, e.g. after an overflow) is
    /// dropped: factor 0 and its rows zeroed, so the sum stays finite and within the
    /// sensitivity bound whatever one example contains.
    ///
    /// # Errors
    /// [`SgdError::InvalidParameter`] unless `max_norm` > 0 (NaN rejected);
    /// [`SgdError::BatchSizeMismatch`] when contributions disagree on B; Candle errors.
    pub fn clip(&self, max_norm: f64) -> Result<ClippedGradients> {
        if max_norm.is_nan() || max_norm <= 0.0 {
            return Err(SgdError::InvalidParameter {
                parameter: "max_norm",
                value: max_norm,
                expected: "> 0 (clipping norm C)",
            });
        }
        let shared = self.shared_rows()?.unwrap_or(0);
        let rows = shared + self.separate.rows();
        let sums = if rows == 0 {
            self.zero_sums()?
        } else {
            let (dtype, device) = self.dtype_device();
            // Values of `dtype` already (rounded down): the conversion below is exact.
            let factors = self.factor_values(max_norm)?;
            // Examples with a non-finite norm get factor 0; zero their inputs too, so that
            // 0 · NaN never reaches a sum.
            let keep = if factors.contains(&0.0) {
                let keep: Vec<f64> = factors
                    .iter()
                    .map(|&c| if c == 0.0 { 0.0 } else { 1.0 })
                    .collect();
                Some(Tensor::from_vec(keep, rows, &device)?.to_dtype(dtype)?)
            } else {
                None
            };
            let factors = Tensor::from_vec(factors, rows, &device)?.to_dtype(dtype)?;
            // The shared examples come first, the separate ones after them.
            let mut sums = if shared == 0 {
                self.shared_zero_sums()?
            } else {
                self.weighted_sums(
                    Some(&factors.narrow(0, 0, shared)?),
                    keep.map(|k| k.narrow(0, 0, shared)).transpose()?.as_ref(),
                )?
            };
            let separate = factors.narrow(0, shared, rows - shared)?;
            self.separate.weighted_sums(Some(&separate), &mut sums)?;
            sums
        };
        Ok(ClippedGradients {
            sums,
            batch_size: rows,
            max_norm,
        })
    }

    /// The clip factors cᵢ = min(1, C/‖∇ℓᵢ‖) that [`clip`](Self::clip) applies, as a (B,)
    /// tensor of the batch's dtype: each rounded down so that cᵢ‖∇ℓᵢ‖ ≤ C exactly. Private
    /// data.
    ///
    /// # Errors
    /// As [`GhostBatch::clip`].
    pub fn clip_factors(&self, max_norm: f64) -> Result<Tensor> {
        let factors = self.factor_values(max_norm)?;
        let (dtype, device) = self.dtype_device();
        let len = factors.len();
        Ok(Tensor::from_vec(factors, len, &device)?.to_dtype(dtype)?)
    }

    /// The plain, unclipped sum Σᵢ ∇ℓᵢ of every recorded parameter: the gradient of the
    /// summed loss. For the non-private step and for public loss terms (computed from
    /// generated data only). Contributions may have different numbers of rows here.
    ///
    /// # Errors
    /// Candle errors.
    pub fn sum(&self) -> Result<Gradients> {
        let mut sums = self.weighted_sums(None, None)?;
        self.separate.weighted_sums(None, &mut sums)?;
        Ok(sums)
    }

    /// Σᵢ cᵢ ∇ℓᵢ per parameter (Σᵢ ∇ℓᵢ without factors). `keep` (1 or 0 per example) zeroes
    /// the inputs of dropped examples.
    fn weighted_sums(&self, factors: Option<&Tensor>, keep: Option<&Tensor>) -> Result<Gradients> {
        let mut out = Gradients::new();
        for (name, contribution) in &self.params {
            let grad = match contribution {
                Contribution::Weight { d_out, d_in, uses } => {
                    let mut acc: Option<Tensor> = None;
                    for u in uses {
                        let g = match factors {
                            Some(c) => scale_rows(&u.g, c)?,
                            None => u.g.clone(),
                        };
                        let term = if u.a.dims()[0] == 0 {
                            Tensor::zeros((*d_out, *d_in), u.a.dtype(), u.a.device())?
                        } else {
                            match keep {
                                Some(k) => g.t()?.matmul(&scale_rows(&u.a, k)?)?,
                                None => g.t()?.matmul(&u.a)?,
                            }
                        };
                        acc = Some(match acc {
                            None => term,
                            Some(prev) => add(&prev, &term)?,
                        });
                    }
                    acc.ok_or(SgdError::Internal("weight contribution without uses"))?
                }
                Contribution::Bias { grads } => weighted_row_sum(grads, factors)?,
                Contribution::Rows { shape, rows } => {
                    weighted_row_sum(rows, factors)?.reshape(shape.as_slice())?
                }
            };
            out.insert(name.clone(), grad);
        }
        Ok(out)
    }

    fn zero_sums(&self) -> Result<Gradients> {
        let (dtype, device) = self.dtype_device();
        let mut out = self.shared_zero_sums()?;
        self.separate.zero_sums(dtype, &device, &mut out)?;
        Ok(out)
    }

    /// Zero sums of the parameters of the shared examples.
    fn shared_zero_sums(&self) -> Result<Gradients> {
        let (dtype, device) = self.dtype_device();
        let mut out = Gradients::new();
        for (name, contribution) in &self.params {
            let shape: Vec<usize> = match contribution {
                Contribution::Weight { d_out, d_in, .. } => vec![*d_out, *d_in],
                Contribution::Bias { grads } => vec![grads.dims()[1]],
                Contribution::Rows { shape, .. } => shape.clone(),
            };
            out.insert(name.clone(), Tensor::zeros(shape, dtype, &device)?);
        }
        Ok(out)
    }

    /// The clip factors of `max_norm`, rounded down to the batch's dtype (as f64 values).
    fn factor_values(&self, max_norm: f64) -> Result<Vec<f64>> {
        let upper = self.sq_norms()?.upper_bounds()?;
        let (dtype, _) = self.dtype_device();
        Ok(clip_factor_values(&upper, max_norm, dtype))
    }
}
