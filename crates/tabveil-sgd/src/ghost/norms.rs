//! The per-example arithmetic of [`GhostBatch`](super::GhostBatch): the squared norms in f64
//! with the bound on their rounding error, the clip factors, and shape checks. The proof that
//! a clipped contribution never exceeds C is in the [module docs](super).

use candle_core::{DType, Tensor};

use super::WeightUse;
use crate::error::{Result, SgdError};
use crate::kernels::{column_sums, row_dots_f64};

/// u, the unit roundoff of f64 (2⁻⁵³).
const UNIT_ROUNDOFF: f64 = f64::EPSILON / 2.0;

/// The most terms n the error bound allows: n·u ≤ 2⁻²⁰ keeps every γₙ = nu/(1 − nu) of the
/// proof below 2nu (checked, never assumed; no batch comes near it).
const MAX_TERMS: usize = 1 << 33;

/// The per-example squared norms of a batch, accumulated in f64, and what bounds their
/// rounding error: Uᵢ = Ŝᵢ + 4nu·M̂ᵢ ≥ ‖∇ℓᵢ‖² (see the proof note of the [module](super)).
#[derive(Debug, Clone)]
pub(super) struct SqNorms {
    /// Ŝᵢ: the computed squared norms.
    values: Vec<f64>,
    /// M̂ᵢ: the computed majorants of Σ|terms| of each Ŝᵢ.
    majorants: Vec<f64>,
    /// d: the longest dot product.
    longest_dot: usize,
    /// K: the terms added into each Ŝᵢ.
    terms: usize,
    /// T: the most uses of one weight.
    most_uses: usize,
}

impl SqNorms {
    /// No contribution yet, for `rows` examples.
    pub(super) fn new(rows: usize) -> Self {
        SqNorms {
            values: vec![0.0; rows],
            majorants: vec![0.0; rows],
            longest_dot: 0,
            terms: 0,
            most_uses: 0,
        }
    }

    /// Adds ‖xᵢ‖² of the rows of a (B, d) tensor: a bias's summed output gradients,
    /// materialised per-example rows, separate examples. A sum of squares is its own majorant.
    pub(super) fn add_rows(&mut self, rows: &Tensor) -> Result<()> {
        let (_, d) = rows.dims2()?;
        let sq = row_dots_f64(rows, rows)?;
        self.add_terms(&sq, &sq)?;
        self.longest_dot = self.longest_dot.max(d);
        self.terms += 1;
        Ok(())
    }

    /// Adds ‖∇_W ℓᵢ‖² = Σₜ,ₛ (aₜᵢ·aₛᵢ)(gₜᵢ·gₛᵢ) of a weight used T times, whose cross terms can
    /// cancel, with the majorant (Σₜ ‖aₜᵢ‖‖gₜᵢ‖)² ≥ Σₜ,ₛ |(aₜᵢ·aₛᵢ)(gₜᵢ·gₛᵢ)|.
    pub(super) fn add_weight(&mut self, uses: &[WeightUse]) -> Result<()> {
        let diagonal = uses
            .iter()
            .map(|u| Ok((row_dots_f64(&u.a, &u.a)?, row_dots_f64(&u.g, &u.g)?)))
            .collect::<Result<Vec<_>>>()?;
        let rows = self.values.len();
        let mut value = vec![0.0f64; rows];
        for (t, ut) in uses.iter().enumerate() {
            for (s, us) in uses.iter().enumerate().skip(t) {
                let cross;
                let (aa, gg, twice) = if s == t {
                    (&diagonal[t].0, &diagonal[t].1, false)
                } else {
                    cross = (row_dots_f64(&ut.a, &us.a)?, row_dots_f64(&ut.g, &us.g)?);
                    (&cross.0, &cross.1, true)
                };
                for ((v, a), g) in value.iter_mut().zip(aa).zip(gg) {
                    let term = a * g;
                    *v += if twice { 2.0 * term } else { term };
                }
            }
        }
        let mut majorant = vec![0.0f64; rows];
        for (aa, gg) in &diagonal {
            for ((m, a), g) in majorant.iter_mut().zip(aa).zip(gg) {
                *m += (a * g).sqrt();
            }
        }
        for m in &mut majorant {
            *m *= *m;
        }
        // The pairs' terms were summed into `value` first: K counts every one of them.
        let t = uses.len();
        self.add_terms(&value, &majorant)?;
        self.longest_dot = uses
            .iter()
            .flat_map(|u| [u.a.dims()[1], u.g.dims()[1]])
            .fold(self.longest_dot, usize::max);
        self.terms += t * (t + 1) / 2;
        self.most_uses = self.most_uses.max(t);
        Ok(())
    }

    fn add_terms(&mut self, values: &[f64], majorants: &[f64]) -> Result<()> {
        if values.len() != self.values.len() {
            return Err(SgdError::Internal("norm terms of another batch size"));
        }
        for (v, x) in self.values.iter_mut().zip(values) {
            *v += x;
        }
        for (m, x) in self.majorants.iter_mut().zip(majorants) {
            *m += x;
        }
        Ok(())
    }

    /// The examples of `other` after these (the separate examples after the shared ones).
    pub(super) fn append(&mut self, other: SqNorms) {
        self.values.extend(other.values);
        self.majorants.extend(other.majorants);
        self.longest_dot = self.longest_dot.max(other.longest_dot);
        self.terms = self.terms.max(other.terms);
        self.most_uses = self.most_uses.max(other.most_uses);
    }

    /// Ŝᵢ, the squared norms as computed.
    pub(super) fn values(&self) -> &[f64] {
        &self.values
    }

    /// Uᵢ = Ŝᵢ + 4nu·M̂ᵢ with n = 2d + K + T + 8: Uᵢ ≥ ‖∇ℓᵢ‖² in exact arithmetic, for each
    /// example (NaN or ∞ for an example with a non-finite entry).
    ///
    /// # Errors
    /// [`SgdError::Internal`] past [`MAX_TERMS`].
    pub(super) fn upper_bounds(&self) -> Result<Vec<f64>> {
        let n = 2 * self.longest_dot + self.terms + self.most_uses + 8;
        if n > MAX_TERMS {
            return Err(SgdError::Internal(
                "too many terms in a per-example norm for its error bound",
            ));
        }
        // Exact: n < 2⁵³ and u is a power of two.
        let rho = 4.0 * n as f64 * UNIT_ROUNDOFF;
        Ok(self
            .values
            .iter()
            .zip(&self.majorants)
            .map(|(v, m)| v + rho * m)
            .collect())
    }
}

/// cᵢ = min(1, C/√Uᵢ) from the upper bounds Uᵢ ≥ ‖∇ℓᵢ‖², rounded *down* to a value of
/// `dtype` (returned as f64, exactly): cᵢ‖∇ℓᵢ‖ ≤ C in exact arithmetic. 0 for a bound that is
/// not finite (NaN or ∞: such an example is dropped rather than allowed to poison the sum).
pub(super) fn clip_factor_values(upper: &[f64], max_norm: f64, dtype: DType) -> Vec<f64> {
    upper
        .iter()
        .map(|&u| {
            if !(u.is_finite() && u >= 0.0) {
                return 0.0;
            }
            if u == 0.0 {
                return 1.0;
            }
            // √ and / round by at most one unit each: lowering the quotient by four units
            // (and the product's own rounding) leaves it below C/√Uᵢ.
            let c = max_norm / u.sqrt() * (1.0 - 4.0 * UNIT_ROUNDOFF);
            if c >= 1.0 {
                1.0
            } else if dtype == DType::F32 {
                f64::from(f32_toward_zero(c))
            } else {
                c
            }
        })
        .collect()
}

/// The largest f32 ≤ `x` (x ≥ 0 and finite).
fn f32_toward_zero(x: f64) -> f32 {
    #[allow(
        clippy::cast_possible_truncation,
        reason = "rounded to nearest, then corrected downward"
    )]
    let f = x as f32;
    if f64::from(f) > x { f.next_down() } else { f }
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
