//! Book-keeping: per-example gradient norms and clipped sums without per-example gradients.
//!
//! # Proof note: a clipped contribution never exceeds C
//!
//! **The bound.** For every example i of a batch clipped at C, the factor cᵢ actually applied
//! (an f32 for an f32 batch) satisfies **cᵢ‖∇ℓᵢ‖ ≤ C in exact arithmetic**, where ∇ℓᵢ is the
//! per-example gradient the recorded tensors represent (Σₜ gₜᵢᵀaₜᵢ for a weight, the row
//! itself for a bias, a materialised parameter or a separate example). The rounding of the
//! clipped *sum* afterwards (scaled rows, matrix products, additions over the batch in its
//! dtype) is the sum's arithmetic, not covered here: as in every DP-SGD implementation the
//! guarantee of a release is stated for exact arithmetic (the models' floating-point notes).
//!
//! **The argument.** The norms are computed in f64 from f32 or f64 entries; u = 2⁻⁵³ and
//! γₖ = ku/(1 − ku). d is the longest dot product, K the number of terms summed into one
//! norm, T the most uses of one weight, n = 2d + K + T + 8.
//! 1. A dot product x·y of length d computed in f64, in any order, is within
//!    γ_d Σ|xₖyₖ| ≤ γ_d‖x‖‖y‖ of its exact value (Higham, *Accuracy and Stability of Numerical
//!    Algorithms*, §3.1; the products of f32 entries are even exact).
//! 2. A weight's term τₜₛ = (aₜ·aₛ)(gₜ·gₛ), the rounded product of two such dots, is within
//!    γ_{2d+1}‖aₜ‖‖aₛ‖‖gₜ‖‖gₛ‖ of its exact value; a sum of squares ‖x‖² is within γ_d‖x‖².
//! 3. The computed norm Ŝᵢ, an f64 sum of K terms, is within γ_K Σ|τ̂| of their sum, so
//!    |Ŝᵢ − ‖∇ℓᵢ‖²| ≤ γ_{2d+K+1}Mᵢ with Mᵢ = Σ_weights(Σₜ‖aₜᵢ‖‖gₜᵢ‖)² + Σ_rows‖xᵢ‖², since
//!    Σₜ,ₛ‖aₜ‖‖aₛ‖‖gₜ‖‖gₛ‖ = (Σₜ‖aₜ‖‖gₜ‖)². Mᵢ does not shrink when the cross terms of a
//!    weight used several times cancel, which is when Ŝᵢ is unreliable: in f32 without this
//!    bound a weight used twice with g₂ ≈ −g₁ computes a squared norm of 0 for a true norm of
//!    2C (the test `cancelling_weight_uses_are_clipped_to_c`).
//! 4. M̂ᵢ, computed from the computed diagonals (each at most γ_d below its exact value) with
//!    T + K + 5 more roundings, satisfies Mᵢ ≤ (1 + 2γₙ)M̂ᵢ.
//! 5. With nu ≤ 2⁻²⁰ (checked), ‖∇ℓᵢ‖² ≤ Ŝᵢ + 2nu·M̂ᵢ, and the computed
//!    **Uᵢ = Ŝᵢ + 4nu·M̂ᵢ ≥ ‖∇ℓᵢ‖²**: the second 2nu·M̂ᵢ ≥ u‖∇ℓᵢ‖² covers the two roundings
//!    of Uᵢ (n ≥ 8 and ‖∇ℓᵢ‖² ≤ Mᵢ ≤ 2M̂ᵢ).
//! 6. cᵢ = min(1, ↓((C ⊘ √Uᵢ) ⊗ (1 − 4u))): the computed quotient is at most
//!    (C/√Uᵢ)(1 + u)/(1 − u), so after the product by 1 − 4u (and its rounding) it is below
//!    C/√Uᵢ; ↓ rounds toward zero into the batch's dtype. If it is ≥ 1 then √Uᵢ ≤ C and
//!    cᵢ = 1 needs no clipping. Either way **cᵢ‖∇ℓᵢ‖ ≤ cᵢ√Uᵢ ≤ C**. A quotient below 2⁻¹⁰²¹
//!    gives cᵢ = 0 (the example is dropped), so every rounding above is relative; so does a
//!    non-finite Uᵢ.
//!
//! **The cost.** f64 instead of f32 accumulation in B·(T(T+1) + #parameters) dot products per
//! step (the matrix products, which dominate, are unchanged), and factors below C/‖∇ℓᵢ‖ by
//! about 4nu·M̂ᵢ/Ŝᵢ relative (~1e-12 without cancellation) plus one rounding of the dtype.

use std::collections::BTreeMap;

use candle_core::{DType, Device, Tensor};

use crate::error::{Result, SgdError};
use crate::kernels::{add, float_dtype};

mod clip;
mod norms;
mod separate;

pub use clip::ClippedGradients;
use norms::{SqNorms, dims_nonempty, dims2};
use separate::Separate;

/// Per-example gradient information of one batch, kept as the activations and output
/// gradients of each parameter's uses.
///
/// A [`GhostBatch`] holds, for each parameter of a private module, what one forward/backward
/// pass of a batch already computed: for a weight matrix W (shape `(d_out, d_in)`, as in
/// `candle_nn::Linear`), each *use* of W as a pair of the input activations A (B × d_in) and
/// the gradients G (B × d_out) of the use's output; for a bias, the output gradients; for any
/// other parameter (for example an element-wise scale), its per-example gradient rows.
///
/// From these it forms, for each example i, the norm of its gradient over all parameters
/// (flat clipping) and the clipped sum, never materialising a per-example gradient of a
/// matrix:
///
/// - a weight used once per example: ‖∇_W ℓᵢ‖² = ‖aᵢ‖²‖gᵢ‖² (Goodfellow 2015);
/// - a weight used T times per example (for instance in the input gradient of a WGAN-GP
///   penalty): ∇_W ℓᵢ = Σₜ gₜᵢᵀ aₜᵢ and ‖∇_W ℓᵢ‖² = Σₜ,ₛ (aₜᵢ·aₛᵢ)(gₜᵢ·gₛᵢ) (Li et al. 2022);
/// - a bias: ∇_b ℓᵢ = Σₜ gₜᵢ;
/// - clip factors cᵢ = min(1, C/‖∇ℓᵢ‖) and the clipped sum Σₜ (diag(c) Gₜ)ᵀ Aₜ, one matrix
///   product per use, as in the plain backward pass (Bu et al. 2023, "book-keeping").
///
/// The norms are accumulated in f64 with a bound on their rounding error, and each factor is
/// rounded down, so that cᵢ‖∇ℓᵢ‖ ≤ C holds exactly (see the `ghost` module docs).
///
/// Losses must be written as a **sum** of per-example losses Σᵢ ℓᵢ (not a mean), and ℓᵢ must
/// depend on example i only: no batch normalisation, no packing of several rows into one.
///
/// # Example
/// ```
/// use candle_core::{Device, Tensor};
/// use tabveil_sgd::GhostBatch;
///
/// let dev = Device::Cpu;
/// // A linear layer z = a Wᵀ + b on a batch of two examples.
/// let a = Tensor::new(&[[3.0f64, 4.0], [0.0, 1.0]], &dev)?; // inputs, B × d_in
/// let g = Tensor::new(&[[1.0f64], [0.5]], &dev)?; // dℓᵢ/dzᵢ, B × d_out
/// let mut batch = GhostBatch::new();
/// batch.add_weight_use("layer.weight", &a, &g)?;
/// batch.add_bias_use("layer.bias", &g)?;
/// // Example 0: ‖a‖²‖g‖² + ‖g‖² = 25 + 1, so its norm is √26.
/// let norms = batch.per_example_norms()?.to_vec1::<f64>()?;
/// assert!((norms[0] - 26f64.sqrt()).abs() < 1e-12);
/// let clipped = batch.clip(1.0)?;
/// assert_eq!(clipped.batch_size(), 2);
/// # Ok::<(), tabveil_sgd::SgdError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct GhostBatch {
    params: BTreeMap<String, Contribution>,
    rows: Option<usize>,
    rows_consistent: bool,
    dtype: Option<DType>,
    /// Examples that touch only their own parameters (see `add_separate_examples`).
    separate: Separate,
}

/// What one parameter contributes.
#[derive(Debug, Clone)]
enum Contribution {
    /// Uses of a weight matrix of shape (d_out, d_in).
    Weight {
        d_out: usize,
        d_in: usize,
        uses: Vec<WeightUse>,
    },
    /// Output gradients of a bias, summed over its uses: (B, d).
    Bias { grads: Tensor },
    /// Materialised per-example gradients, flattened to (B, numel), and the parameter shape.
    Rows { shape: Vec<usize>, rows: Tensor },
}

impl Contribution {
    fn kind(&self) -> &'static str {
        match self {
            Contribution::Weight { .. } => "weight use",
            Contribution::Bias { .. } => "bias use",
            Contribution::Rows { .. } => "per-example rows",
        }
    }
}

/// One use of a weight: input activations and output gradients, both with one row per
/// example.
#[derive(Debug, Clone)]
struct WeightUse {
    a: Tensor,
    g: Tensor,
}

impl GhostBatch {
    /// An empty batch record.
    pub fn new() -> Self {
        GhostBatch {
            params: BTreeMap::new(),
            rows: None,
            rows_consistent: true,
            dtype: None,
            separate: Separate::default(),
        }
    }

    /// Records one use of the weight `name` (shape `(d_out, d_in)`) in a layer `z = a Wᵀ`:
    /// `input` is a (B × d_in), `output_grad` is dΣℓ/dz (B × d_out). The per-example gradient
    /// of this use is `output_grad[i]ᵀ input[i]`.
    ///
    /// A transposed use `u = v W` (as in the input gradient of a network) is recorded as
    /// `add_weight_use(name, &du, &v)`; see [`GhostBatch::add_transposed_weight_use`].
    ///
    /// # Errors
    /// Shape, dtype or kind mismatches ([`SgdError::ShapeMismatch`],
    /// [`SgdError::DTypeMismatch`], [`SgdError::MixedContributions`]).
    pub fn add_weight_use(
        &mut self,
        name: impl Into<String>,
        input: &Tensor,
        output_grad: &Tensor,
    ) -> Result<()> {
        let name = name.into();
        self.reject_separate(&name, "weight use")?;
        let (rows_a, d_in) = dims2(input, &name, "input")?;
        let (rows_g, d_out) = dims2(output_grad, &name, "output gradient")?;
        if rows_a != rows_g {
            return Err(SgdError::BatchSizeMismatch {
                what: format!("output gradient of a use of `{name}`"),
                expected: rows_a,
                actual: rows_g,
            });
        }
        self.check_tensor(input, &name)?;
        self.check_tensor(output_grad, &name)?;
        self.note_rows(rows_a);
        let new_use = WeightUse {
            a: input.clone(),
            g: output_grad.clone(),
        };
        match self.params.get_mut(&name) {
            None => {
                self.params.insert(
                    name,
                    Contribution::Weight {
                        d_out,
                        d_in,
                        uses: vec![new_use],
                    },
                );
            }
            Some(Contribution::Weight {
                d_out: o,
                d_in: i,
                uses,
            }) => {
                if (*o, *i) != (d_out, d_in) {
                    return Err(SgdError::ShapeMismatch {
                        what: format!("use of weight `{name}`"),
                        expected: vec![*o, *i],
                        actual: vec![d_out, d_in],
                    });
                }
                uses.push(new_use);
            }
            Some(other) => {
                return Err(SgdError::MixedContributions {
                    name,
                    first: other.kind(),
                    second: "weight use",
                });
            }
        }
        Ok(())
    }

    /// Records a transposed use `u = v W` of the weight `name` (shape `(d_out, d_in)`), where
    /// `v` is B × d_out and `u_grad` = dΣℓ/du is B × d_in. The per-example gradient is
    /// `v[i]ᵀ u_grad[i]`. This is how a weight enters the input gradient ∇ₓD of a network.
    ///
    /// # Errors
    /// As [`GhostBatch::add_weight_use`].
    pub fn add_transposed_weight_use(
        &mut self,
        name: impl Into<String>,
        v: &Tensor,
        u_grad: &Tensor,
    ) -> Result<()> {
        self.add_weight_use(name, u_grad, v)
    }

    /// Records a use of the bias `name` (shape `(d,)`) whose output gradient is `output_grad`
    /// (B × d). Several uses add up.
    ///
    /// # Errors
    /// Shape, dtype or kind mismatches.
    pub fn add_bias_use(&mut self, name: impl Into<String>, output_grad: &Tensor) -> Result<()> {
        let name = name.into();
        self.reject_separate(&name, "bias use")?;
        let (rows, d) = dims2(output_grad, &name, "bias output gradient")?;
        self.check_tensor(output_grad, &name)?;
        self.note_rows(rows);
        match self.params.get_mut(&name) {
            None => {
                self.params.insert(
                    name,
                    Contribution::Bias {
                        grads: output_grad.clone(),
                    },
                );
            }
            Some(Contribution::Bias { grads }) => {
                if grads.dims() != [rows, d] {
                    return Err(SgdError::ShapeMismatch {
                        what: format!("use of bias `{name}`"),
                        expected: grads.dims().to_vec(),
                        actual: vec![rows, d],
                    });
                }
                *grads = add(grads, output_grad)?;
            }
            Some(other) => {
                return Err(SgdError::MixedContributions {
                    name,
                    first: other.kind(),
                    second: "bias use",
                });
            }
        }
        Ok(())
    }

    /// Records materialised per-example gradients of the parameter `name`: `grads` has one
    /// row per example and the parameter's shape after it (B × shape…). Use this for small or
    /// element-wise parameters (e.g. a learned per-column scale). Several calls add up.
    ///
    /// # Errors
    /// Shape, dtype or kind mismatches.
    pub fn add_per_example(&mut self, name: impl Into<String>, grads: &Tensor) -> Result<()> {
        let name = name.into();
        self.reject_separate(&name, "per-example rows")?;
        let dims = grads.dims();
        let (rows, shape) = dims_nonempty(grads, &name)?;
        self.check_tensor(grads, &name)?;
        let numel: usize = shape.iter().product();
        let flat = grads.reshape((rows, numel))?;
        self.note_rows(rows);
        match self.params.get_mut(&name) {
            None => {
                self.params
                    .insert(name, Contribution::Rows { shape, rows: flat });
            }
            Some(Contribution::Rows { shape: s, rows: r }) => {
                if *s != shape || r.dims()[0] != rows {
                    return Err(SgdError::ShapeMismatch {
                        what: format!("per-example gradients of `{name}`"),
                        expected: std::iter::once(r.dims()[0]).chain(s.clone()).collect(),
                        actual: dims.to_vec(),
                    });
                }
                *r = add(r, &flat)?;
            }
            Some(other) => {
                return Err(SgdError::MixedContributions {
                    name,
                    first: other.kind(),
                    second: "per-example rows",
                });
            }
        }
        Ok(())
    }

    /// Names of the parameters recorded so far (separate examples' last), each sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.params
            .keys()
            .map(String::as_str)
            .chain(self.separate.names())
    }

    /// The number of examples, when every contribution agrees on it (None for an empty
    /// record): the examples of the shared contributions plus the separate examples.
    ///
    /// # Errors
    /// [`SgdError::BatchSizeMismatch`] when contributions disagree.
    pub fn batch_size(&self) -> Result<Option<usize>> {
        let shared = self.shared_rows()?;
        Ok(match (shared, self.separate.rows()) {
            (None, 0) if !self.separate.contains_any() => None,
            (s, k) => Some(s.unwrap_or(0) + k),
        })
    }

    /// The number of examples of the shared contributions (all but the separate examples).
    fn shared_rows(&self) -> Result<Option<usize>> {
        if !self.rows_consistent {
            return Err(SgdError::BatchSizeMismatch {
                what: "a contribution".to_owned(),
                expected: self.rows.unwrap_or(0),
                actual: self.first_mismatched_rows(),
            });
        }
        Ok(self.rows)
    }

    /// ‖∇ℓᵢ‖² over all recorded parameters, for each example: a (B,) tensor (accumulated in
    /// f64, returned in the batch's dtype).
    ///
    /// These norms are private data: do not log or release them.
    ///
    /// # Errors
    /// [`SgdError::BatchSizeMismatch`] when contributions disagree on B; Candle errors.
    pub fn per_example_sq_norms(&self) -> Result<Tensor> {
        let norms = self.sq_norms()?;
        let (dtype, device) = self.dtype_device();
        let values = norms.values().to_vec();
        let len = values.len();
        Ok(Tensor::from_vec(values, len, &device)?.to_dtype(dtype)?)
    }

    /// The squared norms of every example in f64 with their error bound, the shared examples
    /// first, the separate ones after them.
    fn sq_norms(&self) -> Result<SqNorms> {
        let rows = self.shared_rows()?.unwrap_or(0);
        let mut norms = SqNorms::new(rows);
        if rows > 0 {
            for contribution in self.params.values() {
                match contribution {
                    Contribution::Weight { uses, .. } => norms.add_weight(uses)?,
                    Contribution::Bias { grads } => norms.add_rows(grads)?,
                    Contribution::Rows { rows, .. } => norms.add_rows(rows)?,
                }
            }
        }
        if let Some(separate) = self.separate.sq_norms()? {
            norms.append(separate);
        }
        Ok(norms)
    }

    /// ‖∇ℓᵢ‖ over all recorded parameters, for each example: a (B,) tensor. Private data.
    ///
    /// # Errors
    /// As [`GhostBatch::per_example_sq_norms`].
    pub fn per_example_norms(&self) -> Result<Tensor> {
        Ok(self.per_example_sq_norms()?.sqrt()?)
    }

    fn dtype_device(&self) -> (DType, Device) {
        let device = self
            .params
            .values()
            .next()
            .map(|c| match c {
                Contribution::Weight { uses, .. } => {
                    uses.first().map_or(Device::Cpu, |u| u.a.device().clone())
                }
                Contribution::Bias { grads } => grads.device().clone(),
                Contribution::Rows { rows, .. } => rows.device().clone(),
            })
            .or_else(|| self.separate.device())
            .unwrap_or(Device::Cpu);
        (self.dtype.unwrap_or(DType::F32), device)
    }

    /// A parameter of the separate examples takes no other contribution.
    fn reject_separate(&self, name: &str, kind: &'static str) -> Result<()> {
        if self.separate.contains(name) {
            return Err(SgdError::MixedContributions {
                name: name.to_owned(),
                first: "separate examples",
                second: kind,
            });
        }
        Ok(())
    }

    fn check_tensor(&mut self, t: &Tensor, name: &str) -> Result<()> {
        let dtype = float_dtype(t, name)?;
        match self.dtype {
            None => self.dtype = Some(dtype),
            Some(d) if d != dtype => {
                return Err(SgdError::DTypeMismatch {
                    what: format!("contribution to `{name}`"),
                    expected: d,
                    actual: dtype,
                });
            }
            Some(_) => {}
        }
        Ok(())
    }

    fn note_rows(&mut self, rows: usize) {
        match self.rows {
            None => self.rows = Some(rows),
            Some(r) if r != rows => self.rows_consistent = false,
            Some(_) => {}
        }
    }

    fn first_mismatched_rows(&self) -> usize {
        let expected = self.rows.unwrap_or(0);
        for c in self.params.values() {
            let rows: Vec<usize> = match c {
                Contribution::Weight { uses, .. } => uses.iter().map(|u| u.a.dims()[0]).collect(),
                Contribution::Bias { grads } => vec![grads.dims()[0]],
                Contribution::Rows { rows, .. } => vec![rows.dims()[0]],
            };
            if let Some(r) = rows.into_iter().find(|&r| r != expected) {
                return r;
            }
        }
        expected
    }
}

#[cfg(test)]
mod tests;
