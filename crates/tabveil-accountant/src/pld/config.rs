//! Configuration of the PLD accountant.
//!
//! ```
//! use tabveil_accountant::PldConfig;
//!
//! let fine = PldConfig::default().with_discretisation_interval(1e-5)?;
//! assert_eq!(fine.discretisation_interval(), 1e-5);
//! assert!(PldConfig::default().with_discretisation_interval(0.0).is_err());
//! # Ok::<(), tabveil_accountant::AccountantError>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::error::{AccountantError, Result};

/// Discretisation and truncation parameters of the [`PldAccountant`](super::PldAccountant).
///
/// Every parameter only trades accuracy or memory against time: whatever their values, the
/// reported ε stays an upper bound (the discretisation is pessimistic and every truncated mass
/// is counted as infinite privacy loss).
///
/// # Defaults
/// - `discretisation_interval`: 1e-4 (dp_accounting's default). Privacy losses live on the
///   grid `k · 1e-4`; ε is over-estimated by at most a few times this per composition
///   direction, in practice ~1e-4 absolute.
/// - `log_mass_truncation_bound`: −50. The grid of a single mechanism covers the privacy
///   losses of noise values whose tails have mass `e^{-50}`; losses beyond it are bounded by
///   the connect-the-dots construction (they end up at the grid's top or at +∞).
/// - `tail_mass_truncation`: 1e-15. When composing, the result is truncated where Chernoff
///   bounds show the tails have at most this mass; it is added to the probability of infinite
///   loss, so δ below it cannot be certified.
/// - `max_grid_points`: 2²⁴ (≈ 16.8 M). Estimated before allocating; a composition needing
///   more fails with [`AccountantError::PldGridTooLarge`]. Memory is about 40 bytes per point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
// The derives write inherent `serialize`/`deserialize` (serde's `remote = "Self"`); the trait
// impls below call them, deserialisation through the validating setters.
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
pub struct PldConfig {
    discretisation_interval: f64,
    log_mass_truncation_bound: f64,
    tail_mass_truncation: f64,
    max_grid_points: u64,
}

impl Default for PldConfig {
    fn default() -> Self {
        PldConfig {
            discretisation_interval: 1e-4,
            log_mass_truncation_bound: -50.0,
            tail_mass_truncation: 1e-15,
            max_grid_points: 1 << 24,
        }
    }
}

impl PldConfig {
    /// Sets the discretisation interval of privacy losses.
    ///
    /// # Errors
    /// [`AccountantError::InvalidPldConfig`] unless finite and in (0, 1].
    pub fn with_discretisation_interval(mut self, interval: f64) -> Result<Self> {
        if !(interval > 0.0 && interval <= 1.0) {
            return Err(invalid("discretisation_interval", interval, "in (0, 1]"));
        }
        self.discretisation_interval = interval;
        Ok(self)
    }

    /// Sets ln of the noise mass left out of a single mechanism's grid.
    ///
    /// # Errors
    /// [`AccountantError::InvalidPldConfig`] unless finite and in [−700, −1].
    pub fn with_log_mass_truncation_bound(mut self, bound: f64) -> Result<Self> {
        if !((-700.0..=-1.0).contains(&bound)) {
            return Err(invalid("log_mass_truncation_bound", bound, "in [-700, -1]"));
        }
        self.log_mass_truncation_bound = bound;
        Ok(self)
    }

    /// Sets the tail mass that composition may truncate (counted as infinite loss).
    ///
    /// # Errors
    /// [`AccountantError::InvalidPldConfig`] unless in [1e-300, 1e-3].
    pub fn with_tail_mass_truncation(mut self, mass: f64) -> Result<Self> {
        if !((1e-300..=1e-3).contains(&mass)) {
            return Err(invalid("tail_mass_truncation", mass, "in [1e-300, 1e-3]"));
        }
        self.tail_mass_truncation = mass;
        Ok(self)
    }

    /// Sets the largest number of grid points a distribution may have.
    ///
    /// # Errors
    /// [`AccountantError::InvalidPldConfig`] unless in [1 000, 2³²].
    pub fn with_max_grid_points(mut self, points: u64) -> Result<Self> {
        if !((1_000..=1 << 32).contains(&points)) {
            return Err(invalid("max_grid_points", points as f64, "in [1000, 2^32]"));
        }
        self.max_grid_points = points;
        Ok(self)
    }

    /// The discretisation interval of privacy losses.
    pub fn discretisation_interval(&self) -> f64 {
        self.discretisation_interval
    }

    /// ln of the noise mass left out of a single mechanism's grid.
    pub fn log_mass_truncation_bound(&self) -> f64 {
        self.log_mass_truncation_bound
    }

    /// The tail mass composition may truncate.
    pub fn tail_mass_truncation(&self) -> f64 {
        self.tail_mass_truncation
    }

    /// The largest number of grid points allowed.
    pub fn max_grid_points(&self) -> u64 {
        self.max_grid_points
    }
}

fn invalid(parameter: &'static str, value: f64, expected: &'static str) -> AccountantError {
    AccountantError::InvalidPldConfig {
        parameter,
        value,
        expected,
    }
}

impl Serialize for PldConfig {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        PldConfig::serialize(self, serializer)
    }
}

impl<'de> Deserialize<'de> for PldConfig {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let raw = PldConfig::deserialize(deserializer)?;
        PldConfig::default()
            .with_discretisation_interval(raw.discretisation_interval)
            .and_then(|c| c.with_log_mass_truncation_bound(raw.log_mass_truncation_bound))
            .and_then(|c| c.with_tail_mass_truncation(raw.tail_mass_truncation))
            .and_then(|c| c.with_max_grid_points(raw.max_grid_points))
            .map_err(serde::de::Error::custom)
    }
}
