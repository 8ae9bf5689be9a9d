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
use crate::additive::AdditiveDelta;
use crate::bounded_range::bounded_range_rdp;
use crate::error::{AccountantError, Result};
use crate::event::{PrivacyEvent, check_delta};
use crate::rounding::{add_up, mul_up};
use sampled_gaussian::sampled_gaussian_rdp_unchecked;

/// Rényi-DP accountant for every [`PrivacyEvent`].
///
/// Composes events by adding their RDP curves (RDP composes additively at every order,
/// Mironov 2017, Proposition 1) and converts to (ε, δ) by Balle et al. (2020). Every value is
/// an **upper bound** on the true ε for the add/remove-one relation, and the default order
/// grid never gives a larger ε than Opacus' grid (it contains it). Per run:
/// - (subsampled) Gaussian: [`sampled_gaussian_rdp`] (exact, Mironov, Talwar & Zhang 2019);
/// - discrete Gaussian with L2 sensitivity 1: `α/(2σ²)`, from its ½(1/σ)²-zCDP (Canonne,
///   Kamath & Steinke 2020, Theorem 4, coordinate by coordinate for a histogram whose row
///   changes one count by 1); the exact value is smaller by a term below `e^{−2π²σ²}`;
/// - exponential mechanism at ε: `min(α ε²/8, ε)` (ε-bounded range, Cesar & Rogers 2021);
/// - Gaussian thresholding: its Gaussian part `α/(2σ²)`, and its additive δ_τ kept apart and
///   subtracted from the δ asked for (see `src/additive.rs`).
///
/// The per-step RDP vector of each mechanism is cached (keyed on the exact bits), so
/// composing the same mechanism again — once per training step, say — costs one pass over
/// the orders. Clones share nothing mutable; [`Accountant::boxed_clone`] copies the cache.
///
/// # Defaults
/// [`RdpAccountant::default`] tracks [`RdpOrders::default`].
#[derive(Debug, Clone)]
pub struct RdpAccountant {
    orders: RdpOrders,
    total: Vec<f64>,
    cache: HashMap<MechanismKey, Arc<[f64]>>,
    pub(crate) additive: AdditiveDelta,
}

/// What the per-step RDP depends on, bit for bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum MechanismKey {
    /// (q, σ) of the (subsampled) Gaussian; q = 1 for every plain Gaussian-noise release.
    Gaussian(u64, u64),
    /// ε of a bounded-range mechanism.
    BoundedRange(u64),
}

impl MechanismKey {
    fn of(event: &PrivacyEvent) -> Self {
        match *event {
            PrivacyEvent::ExponentialMechanism { epsilon, .. } => {
                MechanismKey::BoundedRange(epsilon.to_bits())
            }
            PrivacyEvent::PoissonSubsampledGaussian {
                sample_rate,
                noise_multiplier,
                ..
            } => MechanismKey::Gaussian(sample_rate.to_bits(), noise_multiplier.to_bits()),
            PrivacyEvent::Gaussian {
                noise_multiplier, ..
            }
            | PrivacyEvent::DiscreteGaussian {
                noise_multiplier, ..
            }
            | PrivacyEvent::GaussianThreshold {
                noise_multiplier, ..
            } => MechanismKey::Gaussian(1f64.to_bits(), noise_multiplier.to_bits()),
        }
    }
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
            additive: AdditiveDelta::default(),
        }
    }

    /// The orders tracked.
    pub fn orders(&self) -> &RdpOrders {
        &self.orders
    }

    /// The RDP curve of everything composed so far (the Gaussian part of Gaussian
    /// thresholding included; its additive δ is [`RdpAccountant::additive_delta`]).
    pub fn rdp_curve(&self) -> RdpCurve {
        RdpCurve::from_parts(self.orders.shared(), self.total.clone())
    }

    /// The additive δ of the Gaussian thresholding runs composed so far (0 without any), an
    /// upper bound: reported (ε, δ) pairs hold with δ including it.
    pub fn additive_delta(&self) -> f64 {
        self.additive.value()
    }

    /// ε at `delta` together with the order that achieved it (see [`RdpCurve::epsilon`]),
    /// computed at `delta` minus the additive δ.
    ///
    /// # Errors
    /// As [`RdpCurve::epsilon`]; [`crate::AccountantError::AdditiveDeltaTooLarge`] when the
    /// additive δ is not below `delta`.
    pub fn epsilon_with_order(&self, delta: f64) -> Result<RdpConversion> {
        check_delta(delta)?;
        self.rdp_curve().epsilon(self.additive.remaining(delta)?)
    }

    /// The per-step RDP of `event`'s mechanism at every tracked order (cached).
    ///
    /// # Errors
    /// As [`sampled_gaussian_rdp`].
    pub fn per_step_rdp(&mut self, event: &PrivacyEvent) -> Result<Arc<[f64]>> {
        let key = MechanismKey::of(event);
        if let Some(v) = self.cache.get(&key) {
            return Ok(Arc::clone(v));
        }
        let orders = self.orders.orders();
        let values: Vec<f64> = match *event {
            PrivacyEvent::ExponentialMechanism { epsilon, .. } => orders
                .iter()
                .map(|&alpha| bounded_range_rdp(epsilon, alpha))
                .collect(),
            _ => {
                let (q, sigma) = (event.sample_rate(), gaussian_noise(event)?);
                orders
                    .iter()
                    .map(|&alpha| sampled_gaussian_rdp_unchecked(q, sigma, alpha))
                    .collect::<Result<Vec<f64>>>()?
            }
        };
        let values: Arc<[f64]> = values.into();
        self.cache.insert(key, Arc::clone(&values));
        Ok(values)
    }
}

/// The noise multiplier of an event that adds Gaussian noise.
fn gaussian_noise(event: &PrivacyEvent) -> Result<f64> {
    event.noise_multiplier().ok_or(AccountantError::Numerical {
        what: "a Gaussian-noise event without a noise multiplier",
    })
}

impl Accountant for RdpAccountant {
    fn kind(&self) -> AccountantKind {
        AccountantKind::Rdp
    }

    /// Adds `steps × (per-step RDP)` at every order, rounded up. A plain Gaussian event (or
    /// q = 1) adds `count · α / (2σ²)`.
    fn compose(&mut self, event: &PrivacyEvent) -> Result<()> {
        let per_step = self.per_step_rdp(event)?;
        self.additive.compose_event(event);
        let steps = steps_rounded_up(event.steps());
        // Rounded up at every operation, so that no number of compositions can drift below
        // the exact sum of the per-step bounds.
        for (total, &rdp) in self.total.iter_mut().zip(per_step.iter()) {
            *total = add_up(*total, mul_up(steps, rdp));
        }
        Ok(())
    }

    /// See [`RdpCurve::epsilon`]: an upper bound, clamped at 0, at `delta` minus the additive
    /// δ of Gaussian thresholding.
    fn epsilon(&self, delta: f64) -> Result<f64> {
        Ok(self.epsilon_with_order(delta)?.epsilon)
    }

    /// See [`RdpCurve::delta`]: an upper bound, plus the additive δ.
    fn delta(&self, epsilon: f64) -> Result<f64> {
        Ok(self.additive.add_to(self.rdp_curve().delta(epsilon)?))
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
