//! Separate examples: examples of a batch whose gradient lives only in parameters that no
//! other example touches — the Dirac canaries of a white-box audit (`crate::DiracCanaries`).
//!
//! With disjoint supports, flat clipping of the whole batch is the clipping of each part on
//! its own: an example's norm is its norm in its own parameters. So these examples go through
//! the same clip factors cᵢ = min(1, C/‖∇ℓᵢ‖) and into the same clipped sum as the others,
//! without padding every activation of the main examples with zero rows.

use std::collections::BTreeMap;

use candle_core::{DType, Device, Tensor};

use super::GhostBatch;
use super::norms::{SqNorms, dims_nonempty};
use crate::error::{Result, SgdError};
use crate::gradients::Gradients;
use crate::kernels::{add, column_sums};

/// The separate examples of a batch: per parameter, their per-example gradient rows.
#[derive(Debug, Clone, Default)]
pub(super) struct Separate {
    /// name → (parameter shape, rows k × numel).
    params: BTreeMap<String, (Vec<usize>, Tensor)>,
    rows: Option<usize>,
}

impl GhostBatch {
    /// Records `k` further examples of the batch whose gradients are the rows of `grads`
    /// (k × the parameter's shape) in the parameter `name` and zero in every other parameter;
    /// no other example may touch `name`. Several parameters may be recorded this way; they
    /// then belong to the same k examples, and several calls for one name add up (one call per
    /// term of the loss, like the other contributions). k may be 0.
    ///
    /// These examples are clipped with the others (flat clipping: an example's norm is its
    /// norm over every parameter, here its norm in its own ones) and counted in the batch
    /// size. Their purpose is auditing: the Dirac canaries of a white-box audit enter the
    /// clipped sum this way.
    ///
    /// # Errors
    /// [`SgdError::MixedContributions`] when `name` already has another kind of contribution,
    /// [`SgdError::BatchSizeMismatch`] when k differs from earlier separate examples,
    /// [`SgdError::ShapeMismatch`] and [`SgdError::DTypeMismatch`].
    pub fn add_separate_examples(&mut self, name: impl Into<String>, grads: &Tensor) -> Result<()> {
        let name = name.into();
        if self.params.contains_key(&name) {
            return Err(SgdError::MixedContributions {
                name,
                first: "shared examples",
                second: "separate examples",
            });
        }
        let (rows, shape) = dims_nonempty(grads, &name)?;
        self.check_tensor(grads, &name)?;
        let sep = &mut self.separate;
        if let Some(r) = sep.rows.filter(|&r| r != rows) {
            return Err(SgdError::BatchSizeMismatch {
                what: format!("separate examples of `{name}`"),
                expected: r,
                actual: rows,
            });
        }
        sep.rows = Some(rows);
        let numel: usize = shape.iter().product();
        let flat = grads.reshape((rows, numel))?;
        match sep.params.get_mut(&name) {
            None => {
                sep.params.insert(name, (shape, flat));
            }
            Some((s, r)) => {
                if *s != shape {
                    return Err(SgdError::ShapeMismatch {
                        what: format!("separate examples of `{name}`"),
                        expected: s.clone(),
                        actual: shape,
                    });
                }
                *r = add(r, &flat)?;
            }
        }
        Ok(())
    }
}

impl Separate {
    /// k (0 when there are none).
    pub(super) fn rows(&self) -> usize {
        self.rows.unwrap_or(0)
    }

    pub(super) fn contains(&self, name: &str) -> bool {
        self.params.contains_key(name)
    }

    pub(super) fn contains_any(&self) -> bool {
        !self.params.is_empty()
    }

    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.params.keys().map(String::as_str)
    }

    pub(super) fn device(&self) -> Option<Device> {
        self.params.values().next().map(|(_, r)| r.device().clone())
    }

    /// ‖∇ℓⱼ‖² of each separate example, in f64 with its error bound (None without any).
    pub(super) fn sq_norms(&self) -> Result<Option<SqNorms>> {
        let mut total: Option<SqNorms> = None;
        for (_, rows) in self.params.values() {
            let norms = total.get_or_insert_with(|| SqNorms::new(rows.dims()[0]));
            norms.add_rows(rows)?;
        }
        Ok(total)
    }

    /// Σⱼ cⱼ ∇ℓⱼ (Σⱼ ∇ℓⱼ without factors) for each separate parameter, into `out`.
    pub(super) fn weighted_sums(
        &self,
        factors: Option<&Tensor>,
        out: &mut Gradients,
    ) -> Result<()> {
        for (name, (shape, rows)) in &self.params {
            let sum = if rows.dims()[0] == 0 {
                Tensor::zeros(shape.as_slice(), rows.dtype(), rows.device())?
            } else {
                column_sums(rows, factors)?.reshape(shape.as_slice())?
            };
            out.insert(name.clone(), sum);
        }
        Ok(())
    }

    /// Zero sums of every separate parameter, into `out`.
    pub(super) fn zero_sums(
        &self,
        dtype: DType,
        device: &Device,
        out: &mut Gradients,
    ) -> Result<()> {
        for (name, (shape, _)) in &self.params {
            out.insert(
                name.clone(),
                Tensor::zeros(shape.as_slice(), dtype, device)?,
            );
        }
        Ok(())
    }
}
