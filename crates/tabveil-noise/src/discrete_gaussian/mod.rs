//! Exact sampling from the discrete Gaussian N_ℤ(0, σ²): `P[Y = y] ∝ exp(−y²/(2σ²))` on the
//! integers.
//!
//! The algorithms are those of Canonne, Kamath & Steinke (2020), "The discrete Gaussian for
//! differential privacy" (NeurIPS), §5: Algorithm 1 (Bernoulli(exp(−γ)) for rational γ by von
//! Neumann's trick), Algorithm 2 (the discrete Laplace), Algorithm 3 (the discrete Gaussian by
//! rejection from the discrete Laplace with scale t = ⌊σ⌋ + 1). Every decision is an
//! integer comparison against uniformly random integers drawn from the caller's generator:
//! there is no floating-point operation after the set-up, so the output's distribution is
//! exactly the discrete Gaussian with the rational σ² below (the floating-point attacks on
//! continuous samplers do not apply).
//!
//! **σ² as a rational.** σ (an `f64`) is exactly `m·2^e`; σ² is rounded **up** to
//! `n/d` with `d = 2^k` as large as the integer bounds below allow (k ≤ 62, n ≤ 2⁶²), so the
//! relative rounding is below 2⁻⁶⁰ for σ ≥ 2⁻¹, and the noise is never smaller than the σ an
//! accountant was told. [`DiscreteGaussian::sigma_squared`] gives the exact rational used.
//!
//! **Bounds.** σ ≤ 2³⁰ (≈ 1.07e9) and σ > 0. All arithmetic is in `u128` except the square
//! in the rejection step, `(|Y|·d·t − n)²`, which needs 254 bits: it is formed and divided by
//! `2·n·d·t²` (< 2¹²⁷) in a small 256-bit helper (`wide.rs`). The only departure from the
//! exact distribution: a discrete-Laplace proposal of magnitude 2⁶⁴ or more (probability
//! below e^{−2³³}) is rejected and redrawn, so outputs fit in `i64`.
//!
//! ```
//! use tabveil_noise::{DiscreteGaussian, PrivacyRng};
//!
//! let dg = DiscreteGaussian::new(3.5)?;
//! let (n, d) = dg.sigma_squared();
//! assert!(n as f64 / d as f64 >= 3.5 * 3.5); // rounded up, never down
//! let mut rng = PrivacyRng::secure()?;
//! let noise: i64 = rng.discrete_gaussian(&dg);
//! let released_count = 42 + noise; // an integer release
//! # let _ = released_count;
//! # Ok::<(), tabveil_noise::NoiseError>(())
//! ```

use rand::RngCore;

use crate::error::{NoiseError, Result};
use crate::wide::U256;

/// The discrete Gaussian N_ℤ(0, σ²) with σ² an exact rational, ready to sample with
/// [`crate::PrivacyRng::discrete_gaussian`]. See the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiscreteGaussian {
    /// σ² = n/d.
    n: u128,
    d: u128,
    /// The discrete Laplace scale of the proposal, ⌊σ⌋ + 1.
    t: u128,
    /// 2·n·d·t², the denominator of the rejection exponent.
    rejection_denominator: u128,
}

impl DiscreteGaussian {
    /// The largest σ accepted (2³⁰).
    pub const MAX_SIGMA: f64 = 1_073_741_824.0;

    /// The discrete Gaussian with scale `sigma`, σ² rounded up to a rational.
    ///
    /// # Errors
    /// [`NoiseError::InvalidDiscreteGaussianScale`] unless σ is finite, > 0 and ≤ 2³⁰.
    pub fn new(sigma: f64) -> Result<Self> {
        if !(sigma.is_finite() && sigma > 0.0 && sigma <= Self::MAX_SIGMA) {
            return Err(NoiseError::InvalidDiscreteGaussianScale { value: sigma });
        }
        let (mantissa, exponent) = decompose(sigma);
        let square = mantissa * mantissa; // ≤ 2¹⁰⁶: exact
        for k in (0..=62_i32).rev() {
            let Some(n) = scaled_ceiling(square, 2 * exponent + k) else {
                continue;
            };
            if n == 0 || n > 1 << 62 {
                continue;
            }
            let d = 1_u128 << k;
            let t = floor_sqrt_ratio(n, d) + 1;
            let Some(rejection_denominator) = 2_u128
                .checked_mul(n)
                .and_then(|v| v.checked_mul(d))
                .and_then(|v| v.checked_mul(t))
                .and_then(|v| v.checked_mul(t))
                .filter(|&v| v < 1 << 127)
            else {
                continue;
            };
            if d.checked_mul(t).is_none_or(|dt| dt > 1 << 63) {
                continue;
            }
            return Ok(DiscreteGaussian {
                n,
                d,
                t,
                rejection_denominator,
            });
        }
        Err(NoiseError::InvalidDiscreteGaussianScale { value: sigma })
    }

    /// The exact σ² used, as `(numerator, denominator)`: at least the square of the σ given.
    pub fn sigma_squared(&self) -> (u128, u128) {
        (self.n, self.d)
    }

    /// One draw, from `rng`'s uniformly random words only.
    pub(crate) fn sample<R: RngCore + ?Sized>(&self, rng: &mut R) -> i64 {
        loop {
            let Some(y) = discrete_laplace(rng, self.t) else {
                continue;
            };
            let magnitude = u128::from(y.unsigned_abs());
            // γ = (|Y| − σ²/t)²/(2σ²) = (|Y|·d·t − n)² / (2·n·d·t²).
            let Some(scaled) = magnitude
                .checked_mul(self.d)
                .and_then(|v| v.checked_mul(self.t))
            else {
                continue;
            };
            let x = scaled.abs_diff(self.n);
            if bernoulli_exp(rng, U256::mul(x, x), self.rejection_denominator) {
                return y;
            }
        }
    }
}

/// `σ = mantissa · 2^exponent` exactly, for a finite σ > 0.
fn decompose(sigma: f64) -> (u128, i32) {
    let bits = sigma.to_bits();
    let exponent_bits = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    if exponent_bits == 0 {
        (u128::from(fraction), -1074)
    } else {
        (u128::from(fraction | (1 << 52)), exponent_bits - 1075)
    }
}

/// `⌈value · 2^shift⌉`, or `None` when it does not fit in `u128`.
fn scaled_ceiling(value: u128, shift: i32) -> Option<u128> {
    if shift >= 0 {
        let shift = u32::try_from(shift).ok()?;
        if shift >= 128 || value.leading_zeros() < shift {
            return None;
        }
        Some(value << shift)
    } else {
        let shift = u32::try_from(-shift).ok()?;
        if shift >= 128 {
            return Some(u128::from(value > 0));
        }
        let floor = value >> shift;
        let exact = floor << shift == value;
        Some(if exact { floor } else { floor + 1 })
    }
}

/// `⌊√(n/d)⌋` exactly: the largest s with s²·d ≤ n.
fn floor_sqrt_ratio(n: u128, d: u128) -> u128 {
    let fits = |s: u128| {
        s.checked_mul(s)
            .and_then(|v| v.checked_mul(d))
            .is_some_and(|v| v <= n)
    };
    // A starting guess from floating point, corrected exactly.
    let mut s = ((n as f64) / (d as f64)).sqrt() as u128;
    while s > 0 && !fits(s) {
        s -= 1;
    }
    while fits(s + 1) {
        s += 1;
    }
    s
}

/// A uniformly random integer in `[0, m)`, `m > 0`, by rejection from 128 random bits.
fn uniform_below<R: RngCore + ?Sized>(rng: &mut R, m: u128) -> u128 {
    if m.is_power_of_two() {
        return random_u128(rng) & (m - 1);
    }
    // 2¹²⁸ mod m values at the bottom are rejected, so every residue has the same number of
    // preimages among the accepted values.
    let reject_below = m.wrapping_neg() % m;
    loop {
        let r = random_u128(rng);
        if r >= reject_below {
            return r % m;
        }
    }
}

fn random_u128<R: RngCore + ?Sized>(rng: &mut R) -> u128 {
    (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64())
}

/// Bernoulli(a/b) for `a ≤ b`, `b > 0`.
fn bernoulli_ratio<R: RngCore + ?Sized>(rng: &mut R, a: u128, b: u128) -> bool {
    uniform_below(rng, b) < a
}

/// Bernoulli(exp(−a/b)) for `0 ≤ a ≤ b`, `b > 0` (Algorithm 1): draw Bernoulli(a/(b·K)) for
/// K = 1, 2, … until one fails; return whether that K is odd. Bernoulli(a/(bK)) is drawn as
/// Bernoulli(a/b) ∧ Bernoulli(1/K), which has the same probability and never overflows.
fn bernoulli_exp_fraction<R: RngCore + ?Sized>(rng: &mut R, a: u128, b: u128) -> bool {
    let mut k: u128 = 1;
    loop {
        let success = bernoulli_ratio(rng, a, b) && (k == 1 || bernoulli_ratio(rng, 1, k));
        if !success {
            return k % 2 == 1;
        }
        k += 1;
    }
}

/// Bernoulli(exp(−num/den)) for any `num ≥ 0`, `den > 0`: Bernoulli(exp(−1)) for each whole
/// unit of the exponent (stopping at the first failure) and Bernoulli(exp(−rem/den)) for the
/// fractional part.
fn bernoulli_exp<R: RngCore + ?Sized>(rng: &mut R, num: U256, den: u128) -> bool {
    let (mut whole, rem) = num.div_rem(den);
    while !whole.is_zero() {
        if !bernoulli_exp_fraction(rng, 1, 1) {
            return false;
        }
        whole = whole.decrement();
    }
    bernoulli_exp_fraction(rng, rem, den)
}

/// One draw of the discrete Laplace with scale t, `P[Y = y] ∝ exp(−|y|/t)` (Algorithm 2 with
/// s = 1); `None` when the magnitude would reach 2⁶⁴ (the caller draws again).
fn discrete_laplace<R: RngCore + ?Sized>(rng: &mut R, t: u128) -> Option<i64> {
    loop {
        let u = uniform_below(rng, t);
        if !bernoulli_exp_fraction(rng, u, t) {
            continue;
        }
        let mut v: u128 = 0;
        while bernoulli_exp_fraction(rng, 1, 1) {
            v += 1;
        }
        let x = u.checked_add(t.checked_mul(v)?)?;
        let negative = bernoulli_ratio(rng, 1, 2);
        if negative && x == 0 {
            continue;
        }
        let magnitude = i64::try_from(x).ok().filter(|&m| m < i64::MAX)?;
        return Some(if negative { -magnitude } else { magnitude });
    }
}

#[cfg(test)]
mod tests;
