//! The WGAN-GP gradient penalty λ(‖g‖ − 1)² and its gradient with respect to g.

use candle_core::{DType, Tensor};

use crate::error::{Result, SgdError};
use crate::kernels::{row_dots, scale_rows};

/// Per-example values of the gradient penalty and its gradient with respect to the input
/// gradient, from [`gradient_penalty`].
#[derive(Debug, Clone)]
pub struct GradientPenalty {
    /// Pᵢ = λ(‖gᵢ‖ − 1)², a (B,) tensor.
    pub per_example: Tensor,
    /// ∂Pᵢ/∂gᵢ = 2λ(‖gᵢ‖ − 1) gᵢ/‖gᵢ‖ (zero where gᵢ = 0), B × d: the `grad_of_input_grad`
    /// of [`crate::Mlp::record_penalty_uses`].
    pub grad: Tensor,
}

/// The WGAN-GP penalty of Gulrajani et al. (2017) as CTGAN computes it, per example:
/// Pᵢ = `weight` · (‖gᵢ‖₂ − 1)² for each row gᵢ of `input_grad` (B × d), with its gradient.
///
/// # Example
/// ```
/// use candle_core::{Device, Tensor};
/// use tabveil_sgd::gradient_penalty;
///
/// let g = Tensor::new(&[[3.0f64, 4.0]], &Device::Cpu)?; // ‖g‖ = 5
/// let p = gradient_penalty(&g, 10.0)?;
/// assert_eq!(p.per_example.to_vec1::<f64>()?, vec![160.0]); // 10 · 4²
/// // 2 · 10 · 4 · g/5
/// assert_eq!(p.grad.to_vec2::<f64>()?, vec![vec![48.0, 64.0]]);
/// # Ok::<(), tabveil_sgd::SgdError>(())
/// ```
///
/// # Errors
/// [`SgdError::InvalidParameter`] unless `weight` is finite and ≥ 0; shape errors for a
/// tensor that is not B × d; Candle errors.
pub fn gradient_penalty(input_grad: &Tensor, weight: f64) -> Result<GradientPenalty> {
    if !(weight.is_finite() && weight >= 0.0) {
        return Err(SgdError::InvalidParameter {
            parameter: "penalty weight",
            value: weight,
            expected: "finite and ≥ 0",
        });
    }
    if input_grad.rank() != 2 {
        return Err(SgdError::ShapeMismatch {
            what: "input gradient".to_owned(),
            expected: vec![usize::MAX, usize::MAX],
            actual: input_grad.dims().to_vec(),
        });
    }
    let dtype = input_grad.dtype();
    let sq = row_dots(input_grad, input_grad)?;
    let norms = sq.to_dtype(DType::F64)?.to_vec1::<f64>()?;
    let values: Vec<f64> = norms
        .iter()
        .map(|&s| {
            let d = s.sqrt() - 1.0;
            weight * d * d
        })
        .collect();
    let coefficients: Vec<f64> = norms
        .iter()
        .map(|&s| {
            let n = s.sqrt();
            if n > 0.0 {
                2.0 * weight * (n - 1.0) / n
            } else {
                0.0
            }
        })
        .collect();
    let rows = values.len();
    let device = input_grad.device();
    let per_example = Tensor::from_vec(values, rows, device)?.to_dtype(dtype)?;
    let coefficients = Tensor::from_vec(coefficients, rows, device)?.to_dtype(dtype)?;
    let grad = scale_rows(input_grad, &coefficients)?;
    Ok(GradientPenalty { per_example, grad })
}
