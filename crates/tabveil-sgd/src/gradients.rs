//! [`Gradients`]: one gradient tensor per named parameter, in sorted-name order.

use std::collections::BTreeMap;

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};

use crate::error::{Result, SgdError};
use crate::kernels;

/// One gradient tensor per parameter name, iterated in sorted-name order (so that everything
/// built on it — noise draws, optimizer updates — is reproducible).
///
/// Used for clipped sums, public (unclipped) gradient terms and the noisy averages handed to
/// an optimizer.
///
/// # Example
/// ```
/// use candle_core::{Device, Tensor};
/// use tabveil_sgd::Gradients;
///
/// let mut a = Gradients::new();
/// a.insert("w", Tensor::new(&[1.0f64, 2.0], &Device::Cpu)?);
/// let mut b = Gradients::new();
/// b.insert("w", Tensor::new(&[0.5f64, 0.5], &Device::Cpu)?);
/// a.accumulate(&b)?;
/// assert_eq!(a.get("w").unwrap().to_vec1::<f64>()?, vec![1.5, 2.5]);
/// # Ok::<(), tabveil_sgd::SgdError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Gradients {
    map: BTreeMap<String, Tensor>,
}

impl Gradients {
    /// No gradients.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the gradient of `name`, returning the previous one.
    pub fn insert(&mut self, name: impl Into<String>, grad: Tensor) -> Option<Tensor> {
        self.map.insert(name.into(), grad)
    }

    /// The gradient of `name`.
    pub fn get(&self, name: &str) -> Option<&Tensor> {
        self.map.get(name)
    }

    /// Removes and returns the gradient of `name`.
    pub fn remove(&mut self, name: &str) -> Option<Tensor> {
        self.map.remove(name)
    }

    /// Number of parameters with a gradient.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no parameter has a gradient.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// `(name, gradient)` pairs in sorted-name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Tensor)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Adds `other` into `self`, name by name (names only in `other` are copied).
    ///
    /// # Errors
    /// [`SgdError::ShapeMismatch`] when two gradients of one name differ in shape, and Candle
    /// errors (e.g. mismatched dtypes).
    pub fn accumulate(&mut self, other: &Gradients) -> Result<()> {
        for (name, grad) in other.iter() {
            match self.map.get_mut(name) {
                Some(mine) => {
                    if mine.dims() != grad.dims() {
                        return Err(SgdError::ShapeMismatch {
                            what: format!("gradient of `{name}`"),
                            expected: mine.dims().to_vec(),
                            actual: grad.dims().to_vec(),
                        });
                    }
                    *mine = kernels::add(mine, grad)?;
                }
                None => {
                    self.map.insert(name.to_owned(), grad.clone());
                }
            }
        }
        Ok(())
    }

    /// Multiplies every gradient by `factor`.
    ///
    /// # Errors
    /// Candle errors.
    pub fn scale(&mut self, factor: f64) -> Result<()> {
        for grad in self.map.values_mut() {
            *grad = kernels::scale(grad, factor)?;
        }
        Ok(())
    }

    /// A Candle [`GradStore`] holding these gradients for the given named variables, for any
    /// `candle_nn::Optimizer`. Every name must belong to one of `vars`, and shapes must match.
    ///
    /// # Errors
    /// [`SgdError::UnknownParameter`] for a gradient without a variable,
    /// [`SgdError::ShapeMismatch`] when a gradient's shape differs from its variable's.
    pub fn to_grad_store(&self, vars: &[(String, Var)]) -> Result<GradStore> {
        let mut store = GradStore::default();
        for (name, grad) in self.iter() {
            let var = vars
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v)
                .ok_or_else(|| SgdError::UnknownParameter {
                    name: name.to_owned(),
                })?;
            if var.dims() != grad.dims() {
                return Err(SgdError::ShapeMismatch {
                    what: format!("gradient of `{name}`"),
                    expected: var.dims().to_vec(),
                    actual: grad.dims().to_vec(),
                });
            }
            store.insert(var.as_tensor(), grad.clone());
        }
        Ok(store)
    }
}

impl FromIterator<(String, Tensor)> for Gradients {
    fn from_iter<I: IntoIterator<Item = (String, Tensor)>>(iter: I) -> Self {
        Gradients {
            map: iter.into_iter().collect(),
        }
    }
}
