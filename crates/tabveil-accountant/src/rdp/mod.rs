//! The Rényi-DP accountant.
//!
//! ```
//! use tabveil_accountant::{Accountant, PrivacyEvent, RdpAccountant, RdpOrders};
//!
//! // MNIST DP-SGD: q = 256/60000, σ = 1.1, 60 epochs.
//! let mut accountant = RdpAccountant::new(RdpOrders::opacus());
//! accountant.compose(&PrivacyEvent::poisson_subsampled_gaussian(256.0 / 60_000.0, 1.1, 14_063)?)?;
//! let eps = accountant.epsilon(1e-5)?;
//! assert!((eps - 2.5967).abs() < 1e-3);
//! // Composing the same mechanism again reuses the cached per-step RDP vector.
//! accountant.compose(&PrivacyEvent::poisson_subsampled_gaussian(256.0 / 60_000.0, 1.1, 1)?)?;
//! assert!(accountant.epsilon(1e-5)? > eps);
//! # Ok::<(), tabveil_accountant::AccountantError>(())
//! ```

mod curve;
mod orders;
mod sampled_gaussian;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

pub(crate) use curve::round_up_ulps;
pub use curve::{RdpConversion, RdpCurve};
pub use orders::{RdpOrders, RdpOrdersPreset};
pub use sampled_gaussian::{MAX_RDP_ORDER, sampled_gaussian_rdp};

use crate::accountant::{Accountant, AccountantKind};
use crate::error::Result;
use crate::event::PrivacyEvent;
use crate::rounding::{add_up, mul_up};
use sampled_gaussian::sampled_gaussian_rdp_unchecked;

/// Rényi-DP accountant for (subsampled) Gaussian mechanisms.
///
/// Composes events by adding their RDP curves (RDP composes additively at every order,
/// Mironov 2017, Proposition 1) and converts to (ε, δ) by Balle et al. (2020). Every value is
/// an **upper bound** on the true ε for the add/remove-one relation, and the default order
/// grid never gives a larger ε than Opacus' grid (it contains it).
///
/// The per-step RDP vector of each (q, σ) pair is cached (keyed on the exact bits), so
/// composing the same mechanism again — once per training step, say — costs one pass over
/// the orders. Clones share nothing mutable; [`Accountant::boxed_clone`] copies the cache.
///
/// # Defaults
/// [`RdpAccountant::default`] tracks [`RdpOrders::default`].
#[derive(Debug, Clone)]
pub struct RdpAccountant {
    orders: RdpOrders,
    total: Vec<f64>,
    cache: HashMap<(u64, u64), Arc<[f64]>>,
}

impl Default for RdpAccountant {
    fn default() -> Self {
        RdpAccountant::new(RdpOrders::default())
    }
}

impl RdpAccountant {
    /// An accountant with nothing composed, tracking `orders`.
    pub fn new(orders: RdpOrders) -> Self {
        let total = vec![0.0; orders.orders().len()];
        RdpAccountant {
            orders,
            total,
            cache: HashMap::new(),
        }
    }

    /// The orders tracked.
    pub fn orders(&self) -> &RdpOrders {
        &self.orders
    }

    /// The RDP curve of everything composed so far.
    pub fn rdp_curve(&self) -> RdpCurve {
        RdpCurve::from_parts(self.orders.shared(), self.total.clone())
    }

    /// ε at `delta` together with the order that achieved it (see [`RdpCurve::epsilon`]).
    ///
    /// # Errors
    /// As [`RdpCurve::epsilon`].
    pub fn epsilon_with_order(&self, delta: f64) -> Result<RdpConversion> {
        self.rdp_curve().epsilon(delta)
    }

    /// The per-step RDP of `event`'s mechanism at every tracked order (cached).
    ///
    /// # Errors
    /// As [`sampled_gaussian_rdp`].
    pub fn per_step_rdp(&mut self, event: &PrivacyEvent) -> Result<Arc<[f64]>> {
        let (q, sigma) = (event.sample_rate(), event.noise_multiplier());
        let key = (q.to_bits(), sigma.to_bits());
        if let Some(v) = self.cache.get(&key) {
            return Ok(Arc::clone(v));
        }
        let values: Arc<[f64]> = self
            .orders
            .orders()
            .iter()
            .map(|&alpha| sampled_gaussian_rdp_unchecked(q, sigma, alpha))
            .collect::<Result<Vec<f64>>>()?
            .into();
        self.cache.insert(key, Arc::clone(&values));
        Ok(values)
    }
}

impl Accountant for RdpAccountant {
    fn kind(&self) -> AccountantKind {
        AccountantKind::Rdp
    }

    /// Adds `steps × (per-step RDP)` at every order, rounded up. A plain Gaussian event (or
    /// q = 1) adds `count · α / (2σ²)`.
    fn compose(&mut self, event: &PrivacyEvent) -> Result<()> {
        let per_step = self.per_step_rdp(event)?;
        let steps = steps_rounded_up(event.steps());
        // Rounded up at every operation, so that no number of compositions can drift below
        // the exact sum of the per-step bounds.
        for (total, &rdp) in self.total.iter_mut().zip(per_step.iter()) {
            *total = add_up(*total, mul_up(steps, rdp));
        }
        Ok(())
    }

    /// See [`RdpCurve::epsilon`]: an upper bound, clamped at 0.
    fn epsilon(&self, delta: f64) -> Result<f64> {
        Ok(self.epsilon_with_order(delta)?.epsilon)
    }

    /// See [`RdpCurve::delta`]: an upper bound.
    fn delta(&self, epsilon: f64) -> Result<f64> {
        self.rdp_curve().delta(epsilon)
    }

    fn boxed_clone(&self) -> Box<dyn Accountant> {
        Box::new(self.clone())
    }

    /// Caches the per-step RDP curve of `event` (see [`RdpAccountant::per_step_rdp`]).
    fn prepare(&mut self, event: &PrivacyEvent) -> Result<()> {
        self.per_step_rdp(event).map(|_| ())
    }
}

/// A step count as `f64`, rounded up when it is not exactly representable (above 2⁵³), so the
/// composed RDP is never understated.
pub(crate) fn steps_rounded_up(steps: u64) -> f64 {
    let x = steps as f64;
    // `x as u64` saturates; comparing in u128 avoids any wrap-around.
    if u128::from(steps) > x as u128 {
        x.next_up()
    } else {
        x
    }
}
