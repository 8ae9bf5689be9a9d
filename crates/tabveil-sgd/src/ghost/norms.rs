//! The per-example arithmetic of [`GhostBatch`](super::GhostBatch): clip factors, the squared
//! norms of weights used several times, and shape checks.

use candle_core::Tensor;

use super::WeightUse;
use crate::error::{Result, SgdError};
use crate::kernels::{column_sums, row_dots};

/// cᵢ = min(1, C/‖∇ℓᵢ‖), and 0 for a norm that is not finite (NaN or ∞: such an example is
/// dropped rather than allowed to poison the sum).
pub(super) fn clip_factor_values(norms: &[f64], max_norm: f64) -> Vec<f64> {
    norms
        .iter()
        .map(|&n| {
            if !n.is_finite() {
                0.0
            } else if n > max_norm {
                max_norm / n
            } else {
                1.0
            }
        })
        .collect()
}

/// Σₜ,ₛ (aₜ·aₛ)(gₜ·gₛ) per example.
pub(super) fn weight_sq_norms(uses: &[WeightUse]) -> Result<Tensor> {
    let mut total: Option<Tensor> = None;
    for (t, ut) in uses.iter().enumerate() {
        for us in &uses[t..] {
            let aa = row_dots(&ut.a, &us.a)?;
            let gg = row_dots(&ut.g, &us.g)?;
            let mut term = (aa * gg)?;
            if !std::ptr::eq(ut, us) {
                term = term.affine(2.0, 0.0)?;
            }
            total = Some(match total {
                None => term,
                Some(prev) => (prev + term)?,
            });
        }
    }
    total.ok_or(SgdError::Internal("weight contribution without uses"))
}

/// Σᵢ cᵢ rowsᵢ (or Σᵢ rowsᵢ without factors) for a (B, d) tensor.
pub(super) fn weighted_row_sum(rows: &Tensor, factors: Option<&Tensor>) -> Result<Tensor> {
    column_sums(rows, factors)
}

/// (rows, the shape after the first dimension) of a per-example tensor of `name`.
pub(super) fn dims_nonempty(t: &Tensor, name: &str) -> Result<(usize, Vec<usize>)> {
    match t.dims() {
        [] => Err(SgdError::ShapeMismatch {
            what: format!("per-example gradients of `{name}`"),
            expected: vec![usize::MAX, usize::MAX],
            actual: Vec::new(),
        }),
        [rows, shape @ ..] => Ok((*rows, shape.to_vec())),
    }
}

pub(super) fn dims2(t: &Tensor, name: &str, role: &str) -> Result<(usize, usize)> {
    match t.dims() {
        &[r, c] => Ok((r, c)),
        other => Err(SgdError::ShapeMismatch {
            what: format!("{role} of `{name}`"),
            expected: vec![usize::MAX, usize::MAX],
            actual: other.to_vec(),
        }),
    }
}
