//! An RDP curve (ε_α at each tracked order) and its conversion to (ε, δ).
//!
//! ```
//! use tabveil_accountant::{RdpCurve, RdpOrders};
//!
//! // The Gaussian mechanism with σ = 2, composed 10 times: ε_α = 10 α / 8.
//! let orders = RdpOrders::custom(vec![2.0, 4.0, 8.0])?;
//! let values = orders.orders().iter().map(|a| 10.0 * a / 8.0).collect();
//! let curve = RdpCurve::new(&orders, values)?;
//! let conversion = curve.epsilon(1e-5)?;
//! assert!(conversion.epsilon > 0.0);
//! assert!(curve.delta(conversion.epsilon)? <= 1e-5 * (1.0 + 1e-9));
//! # Ok::<(), tabveil_accountant::AccountantError>(())
//! ```

use std::sync::Arc;

use crate::accountant::AccountantKind;
use crate::error::{AccountantError, Result};
use crate::event::{check_delta, check_epsilon};

use super::RdpOrders;

/// Rényi DP at a set of orders: the mechanism is (α, ε_α)-RDP for every tracked α.
#[derive(Debug, Clone, PartialEq)]
pub struct RdpCurve {
    orders: Arc<[f64]>,
    values: Vec<f64>,
}

/// The result of converting an RDP curve to (ε, δ).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RdpConversion {
    /// ε, an upper bound (rounded up), never negative.
    pub epsilon: f64,
    /// The order that gave it. When it is the smallest or largest tracked order, a wider grid
    /// might give a smaller ε.
    pub order: f64,
}

impl RdpCurve {
    /// A curve from one RDP value per order of `orders`.
    ///
    /// # Errors
    /// [`AccountantError::InvalidRdpCurve`] when the lengths differ or for a NaN or negative
    /// value (`+∞` is allowed: the bound at that order is vacuous).
    pub fn new(orders: &RdpOrders, values: Vec<f64>) -> Result<Self> {
        if values.len() != orders.orders().len() {
            return Err(AccountantError::InvalidRdpCurve {
                order: f64::NAN,
                value: f64::NAN,
            });
        }
        for (&order, &value) in orders.orders().iter().zip(&values) {
            if value.is_nan() || value < 0.0 {
                return Err(AccountantError::InvalidRdpCurve { order, value });
            }
        }
        Ok(RdpCurve {
            orders: orders.shared(),
            values,
        })
    }

    pub(crate) fn from_parts(orders: Arc<[f64]>, values: Vec<f64>) -> Self {
        RdpCurve { orders, values }
    }

    /// The orders α.
    pub fn orders(&self) -> &[f64] {
        &self.orders
    }

    /// The RDP values ε_α, one per order.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The smallest ε over the tracked orders such that the mechanism is (ε, δ)-DP.
    ///
    /// **Bound.** Upper bound on the true ε, by Balle, Barthe, Gaboardi, Hsu & Sato (2020),
    /// "Hypothesis testing interpretations and Rényi differential privacy", Theorem 21: an
    /// (α, ε_α)-RDP mechanism is (ε, δ)-DP with
    /// `ε = ε_α + ln((α − 1)/α) − (ln δ + ln α)/(α − 1)`. Each order's value carries a bound on
    /// its own rounding error (so cancellation between ε_α and the other terms cannot push it
    /// below the formula's exact value); the minimum over orders is taken and clamped at 0 (a
    /// negative value would still be a valid bound, but ε-DP with ε < 0 means nothing).
    /// Same formula as Opacus 1.6.0's `privacy_analysis.get_privacy_spent`.
    ///
    /// # Errors
    /// [`AccountantError::InvalidDelta`] unless δ ∈ (0, 1);
    /// [`AccountantError::EpsilonUnbounded`] when every order's bound is infinite.
    pub fn epsilon(&self, delta: f64) -> Result<RdpConversion> {
        check_delta(delta)?;
        if self.values.iter().all(|&v| v == 0.0) {
            // Nothing composed (D_α = 0 only for identical distributions): (0, 0)-DP.
            return Ok(RdpConversion {
                epsilon: 0.0,
                order: self.orders.first().copied().unwrap_or(f64::NAN),
            });
        }
        let log_delta = delta.ln();
        let mut best = RdpConversion {
            epsilon: f64::INFINITY,
            order: f64::NAN,
        };
        for (&alpha, &rdp) in self.orders.iter().zip(&self.values) {
            let eps = conversion_epsilon_upper(rdp, alpha, log_delta);
            if eps < best.epsilon {
                best = RdpConversion {
                    epsilon: eps,
                    order: alpha,
                };
            }
        }
        if !best.epsilon.is_finite() {
            return Err(AccountantError::EpsilonUnbounded {
                delta,
                accountant: AccountantKind::Rdp,
            });
        }
        // A bound ≤ 0 means (0, δ)-DP: ε = 0 is then the truth as well as a bound.
        best.epsilon = best.epsilon.max(0.0);
        Ok(best)
    }

    /// The smallest δ over the tracked orders such that the mechanism is (ε, δ)-DP.
    ///
    /// **Bound.** Upper bound on the true δ: the conversion of [`RdpCurve::epsilon`] solved for
    /// δ, `ln δ = (α − 1)(ε_α − ε + ln(1 − 1/α)) − ln α` (Balle et al. 2020, Theorem 21),
    /// minimised over orders, with a bound on its rounding error added, capped at 1. A δ below
    /// the smallest positive double is reported as that double, never as 0 (0 only when nothing
    /// was composed).
    ///
    /// # Errors
    /// [`AccountantError::InvalidEpsilon`] unless ε is finite and ≥ 0.
    pub fn delta(&self, epsilon: f64) -> Result<f64> {
        check_epsilon(epsilon)?;
        if self.values.iter().all(|&v| v == 0.0) {
            return Ok(0.0);
        }
        let mut best = f64::INFINITY;
        for (&alpha, &rdp) in self.orders.iter().zip(&self.values) {
            let log_1m = (-1.0 / alpha).ln_1p();
            let log_delta = (alpha - 1.0) * (rdp - epsilon + log_1m) - alpha.ln();
            let error = 8.0
                * f64::EPSILON
                * ((alpha - 1.0) * (rdp.abs() + epsilon + log_1m.abs()) + alpha.ln());
            best = best.min(log_delta + error);
        }
        // `exp` is within an ulp; two ulps up also cover a subnormal result, and an underflow
        // to 0 becomes the smallest positive doubles.
        Ok(round_up_ulps(best.exp(), 2).min(1.0))
    }
}

/// Balle et al.'s ε at one order, `ε_α + ln((α − 1)/α) − (ln δ + ln α)/(α − 1)`, plus a bound
/// on the rounding error of its evaluation (each elementary operation within 2 ulps), rounded
/// up: never below the exact value of the formula for these inputs. +∞ when `ε_α` is.
fn conversion_epsilon_upper(rdp: f64, alpha: f64, log_delta: f64) -> f64 {
    let shrink = ((alpha - 1.0) / alpha).ln();
    let log_alpha = alpha.ln();
    let tail = (log_delta + log_alpha) / (alpha - 1.0);
    let eps = rdp + shrink - tail;
    let error = 8.0
        * f64::EPSILON
        * (rdp + shrink.abs() + tail.abs() + (log_delta.abs() + log_alpha) / (alpha - 1.0));
    (eps + error).next_up()
}

/// `x` moved up by `n` ulps: rounding in the direction that overstates privacy loss.
pub(crate) fn round_up_ulps(mut x: f64, n: u32) -> f64 {
    for _ in 0..n {
        x = x.next_up();
    }
    x
}
