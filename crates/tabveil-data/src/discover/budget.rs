//! [`DiscoveryBudget`]: what private schema discovery may spend.

use serde::{Deserialize, Serialize};
use tabveil_accountant::AccountantSpec;

use crate::error::TransformError;
use crate::error::{DataError, Result};

/// The (ε, δ) that private schema discovery may spend, and the accountant that checks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscoveryBudget {
    pub(crate) epsilon: f64,
    pub(crate) delta: f64,
    pub(crate) accountant: AccountantSpec,
}

impl DiscoveryBudget {
    /// A budget of (ε, δ) under `accountant` (RDP or PLD: calibration refuses GDP).
    ///
    /// # Errors
    /// [`crate::TransformError::InvalidParameter`] unless ε is finite and > 0 and δ ∈ (0, 1).
    pub fn new(epsilon: f64, delta: f64, accountant: AccountantSpec) -> Result<Self> {
        if !(epsilon.is_finite() && epsilon > 0.0) {
            return Err(DataError::Transform(TransformError::InvalidParameter {
                parameter: "epsilon",
                value: epsilon.to_string(),
                expected: "finite and > 0",
            }));
        }
        if !(delta > 0.0 && delta < 1.0) {
            return Err(DataError::Transform(TransformError::InvalidParameter {
                parameter: "delta",
                value: delta.to_string(),
                expected: "in (0, 1)",
            }));
        }
        Ok(DiscoveryBudget {
            epsilon,
            delta,
            accountant,
        })
    }

    /// The target ε.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// The target δ.
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// The accountant.
    pub fn accountant(&self) -> &AccountantSpec {
        &self.accountant
    }
}
