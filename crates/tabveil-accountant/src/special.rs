//! Special functions and log-space arithmetic shared by the accountants.
//!
//! `erfc` itself comes from the `libm` crate (a port of musl's, accurate to about one ulp over
//! its whole range); everything here builds the tails we need on top of it: `ln erfc` for
//! arguments where `erfc` underflows, `ln Φ` on both sides, and a signed, compensated sum of
//! terms given by their logarithms.

use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// Above this argument `erfc` is computed from its asymptotic series instead of `libm::erfc`
/// (which underflows near 27.3).
const ERFC_ASYMPTOTIC_FROM: f64 = 26.0;

/// `ln erfc(x)`, accurate to a few ulps for every finite `x` (−∞ for `x = +∞`).
pub(crate) fn log_erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < ERFC_ASYMPTOTIC_FROM {
        return libm::erfc(x).ln();
    }
    if x == f64::INFINITY {
        return f64::NEG_INFINITY;
    }
    log_erfc_asymptotic(x)
}

/// ln erfc(x) by the asymptotic series, for large x:
/// erfc(x) = exp(−x²) / (x √π) · (1 − 1/(2x²) + 3/(2x²)² − 15/(2x²)³ + …).
/// For x ≥ 26 the ninth term is below 1e-18 relative, so eight terms are plenty.
fn log_erfc_asymptotic(x: f64) -> f64 {
    let inv = 1.0 / (2.0 * x * x);
    let mut term = 1.0;
    let mut series = 1.0;
    for n in 1..=8 {
        term *= -f64::from(2 * n - 1) * inv;
        series += term;
    }
    -x * x - x.ln() - 0.5 * PI.ln() + series.ln()
}

/// The standard normal CDF Φ(x), accurate in both tails.
pub(crate) fn norm_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x * FRAC_1_SQRT_2)
}

/// `ln Φ(x)`, accurate for every `x`: through `ln erfc` in the lower tail and `ln(1 − Φ(−x))`
/// in the upper one (so values near 0 keep their relative accuracy).
pub(crate) fn log_norm_cdf(x: f64) -> f64 {
    if x < 0.0 {
        log_erfc(-x * FRAC_1_SQRT_2) - std::f64::consts::LN_2
    } else {
        (-norm_cdf(-x)).ln_1p()
    }
}

/// `ln(eˣ − 1)` for `x > 0` (−∞ at 0).
pub(crate) fn log_expm1(x: f64) -> f64 {
    if x > 40.0 {
        // ln(1 − e^{−x}) > −5e-18 is below half an ulp of x ≥ 40; x itself is the value
        // rounded up (the direction that overstates privacy loss).
        x
    } else {
        x.exp_m1().ln()
    }
}

/// `ln(1 + eˣ)`.
pub(crate) fn log1p_exp(x: f64) -> f64 {
    if x > 40.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// A sum of signed terms given as `(sign, ln |term|)`, kept scaled by the largest magnitude
/// seen so far and compensated (Neumaier), so that sums of terms far beyond `f64`'s range, and
/// sums with heavy cancellation, keep their accuracy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScaledSum {
    /// ln of the scale: the sum is `(sum + compensation) · e^scale`.
    scale: f64,
    sum: f64,
    compensation: f64,
    /// A bound on the absolute error of the terms added, in the same scale.
    error: f64,
}

impl ScaledSum {
    /// An empty sum (value 0).
    pub(crate) fn new() -> Self {
        ScaledSum {
            scale: f64::NEG_INFINITY,
            sum: 0.0,
            compensation: 0.0,
            error: 0.0,
        }
    }

    /// Adds `±e^log_magnitude` (a −∞ magnitude adds nothing).
    pub(crate) fn add(&mut self, negative: bool, log_magnitude: f64) {
        self.add_with_error(negative, log_magnitude, 0.0);
    }

    /// Adds `±e^log_magnitude`, a term known to relative accuracy `relative_error`, and
    /// accumulates the resulting absolute error bound.
    pub(crate) fn add_with_error(
        &mut self,
        negative: bool,
        log_magnitude: f64,
        relative_error: f64,
    ) {
        if log_magnitude == f64::NEG_INFINITY {
            return;
        }
        self.raise_scale(log_magnitude);
        let magnitude = (log_magnitude - self.scale).exp();
        self.error += relative_error * magnitude;
        let value = if negative { -magnitude } else { magnitude };
        let total = self.sum + value;
        if self.sum.abs() >= value.abs() {
            self.compensation += (self.sum - total) + value;
        } else {
            self.compensation += (value - total) + self.sum;
        }
        self.sum = total;
    }

    /// Adds `e^log_error` to the accumulated error bound (for terms whose relative error is
    /// too large to pass to [`ScaledSum::add_with_error`]).
    pub(crate) fn add_error(&mut self, log_error: f64) {
        if log_error == f64::NEG_INFINITY {
            return;
        }
        self.raise_scale(log_error);
        self.error += (log_error - self.scale).exp();
    }

    /// Raises the common scale to `log_magnitude` when it is larger, rescaling what is held.
    fn raise_scale(&mut self, log_magnitude: f64) {
        if log_magnitude > self.scale {
            let factor = (self.scale - log_magnitude).exp();
            self.sum *= factor;
            self.compensation *= factor;
            self.error *= factor;
            self.scale = log_magnitude;
        }
    }

    /// ln of the accumulated error bound (−∞ when none).
    pub(crate) fn log_error(&self) -> f64 {
        self.error.ln() + self.scale
    }

    /// ln of the largest magnitude added so far (−∞ when empty).
    pub(crate) fn log_scale(&self) -> f64 {
        self.scale
    }

    /// The sum as `(ln scale, value)` with `sum = value · e^scale`.
    pub(crate) fn scaled_value(&self) -> (f64, f64) {
        (self.scale, self.sum + self.compensation)
    }

    /// The sum as `(negative, ln |sum|)`; `ln |sum|` is −∞ for an exact zero.
    pub(crate) fn signed_log(&self) -> (bool, f64) {
        let value = self.sum + self.compensation;
        (value < 0.0, value.abs().ln() + self.scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    #[test]
    fn log_erfc_is_continuous_at_the_switch_to_the_asymptotic_series() {
        let below = libm::erfc(ERFC_ASYMPTOTIC_FROM).ln();
        let asymptotic = log_erfc_asymptotic(ERFC_ASYMPTOTIC_FROM);
        assert!(rel(asymptotic, below) < 1e-14, "{asymptotic} vs {below}");
    }

    #[test]
    fn log_erfc_known_values() {
        // mpmath 1.3.0, 50 digits: log(erfc(x)).
        let cases = [
            (-3.0, 0.693_136_135_250_446_8),
            (0.0, 0.0),
            (1.0, -1.849_605_509_933_248_2),
            (5.5, -32.543_008_907_376_96),
            (10.0, -102.879_889_024_844_89),
            (26.0, -679.831_199_763_194_2),
            (30.0, -903.974_117_110_643_9),
            (1000.0, -1_000_007.480_120_721_9),
        ];
        for (x, want) in cases {
            let got = log_erfc(x);
            if want == 0.0 {
                assert!(got.abs() < 1e-16);
            } else {
                assert!(rel(got, want) < 1e-13, "x = {x}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn log_norm_cdf_keeps_relative_accuracy_near_one() {
        // ln Φ(10) = ln(1 − 7.619853e-24) ≈ −7.619853024160527e-24.
        let got = log_norm_cdf(10.0);
        assert!(rel(got, -7.619_853_024_160_527e-24) < 1e-12, "{got}");
    }

    #[test]
    fn scaled_sum_survives_cancellation_and_huge_terms() {
        let mut s = ScaledSum::new();
        s.add(false, 1000.0);
        s.add(false, 1000.0);
        let (neg, l) = s.signed_log();
        assert!(!neg);
        assert!(rel(l, 1000.0 + 2.0_f64.ln()) < 1e-15);
        // 1 + 1e-20 − 1 keeps the 1e-20 through the compensation term.
        let mut c = ScaledSum::new();
        c.add(false, 0.0);
        c.add(false, 1e-20_f64.ln());
        c.add(true, 0.0);
        let (neg, l) = c.signed_log();
        assert!(!neg);
        assert!(rel(l, 1e-20_f64.ln()) < 1e-12, "{l}");
        let mut t = ScaledSum::new();
        t.add(false, 2.0_f64.ln());
        t.add(true, 3.0_f64.ln());
        let (neg, l) = t.signed_log();
        assert!(neg);
        assert!(l.abs() < 1e-15);
    }
}
