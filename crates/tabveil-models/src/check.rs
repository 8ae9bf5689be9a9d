//! [`Valid`]: a configuration that passed its `check` — the only form a model is built from —
//! and the range checks the models' configurations share.

use std::ops::Deref;

use serde::Serialize;

use crate::error::{ConfigError, ConfigResult};

/// A configuration of type `C` that passed its `check` (for example
/// [`ValidCtganConfig`](crate::ValidCtganConfig) = `Valid<CtganConfig>`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Valid<C>(C);

impl<C> Valid<C> {
    /// Wraps a configuration its `check` accepted.
    pub(crate) fn checked(config: C) -> Self {
        Valid(config)
    }

    /// The checked settings.
    pub fn get(&self) -> &C {
        &self.0
    }

    /// Back to an editable configuration.
    pub fn into_inner(self) -> C {
        self.0
    }

    /// The settings, to change one that every value accepts (none of the checks depends on
    /// it).
    pub(crate) fn get_mut_unchecked(&mut self) -> &mut C {
        &mut self.0
    }
}

impl<C> Deref for Valid<C> {
    type Target = C;

    fn deref(&self) -> &C {
        &self.0
    }
}

/// Every value of `values` is at least 1.
pub(crate) fn at_least_one(values: &[(&'static str, usize)]) -> ConfigResult<()> {
    match values.iter().find(|&&(_, v)| v == 0) {
        Some(&(name, _)) => Err(ConfigError::invalid(name, 0, "≥ 1")),
        None => Ok(()),
    }
}

/// Every layer width of `dims` is at least 1.
pub(crate) fn widths(name: &'static str, dims: &[usize]) -> ConfigResult<()> {
    if dims.contains(&0) {
        return Err(ConfigError::invalid(
            name,
            format!("{dims:?}"),
            "widths ≥ 1",
        ));
    }
    Ok(())
}

/// Every value of `values` is finite and ≥ 0.
pub(crate) fn finite_non_negative(values: &[(&'static str, f64)]) -> ConfigResult<()> {
    match values.iter().find(|&&(_, v)| !(v.is_finite() && v >= 0.0)) {
        Some(&(name, v)) => Err(ConfigError::invalid(name, v, "finite and ≥ 0")),
        None => Ok(()),
    }
}

/// Adam's (β₁, β₂) are in [0, 1).
pub(crate) fn betas(betas: (f64, f64)) -> ConfigResult<()> {
    for (name, v) in [("betas.0", betas.0), ("betas.1", betas.1)] {
        if !(0.0..1.0).contains(&v) {
            return Err(ConfigError::invalid(name, v, "in [0, 1)"));
        }
    }
    Ok(())
}
