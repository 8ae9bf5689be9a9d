//! Arithmetic rounded towards +∞: the direction that overstates privacy loss.
//!
//! IEEE 754 rounds to nearest, so a product or a quotient of two exact inputs can come out one
//! half-ulp *below* the true value. Where an upper bound is needed the helpers here return a
//! value that is never below the exact result: the round-to-nearest result, moved up one ulp
//! unless an error-free transformation (`fma`) proves it exact or already above. Overflow goes
//! to +∞ (a valid upper bound), and a positive result that underflows to 0 comes back as the
//! smallest subnormal, never 0. OpenDP does the same with its `inf_*` traits
//! (`rust/src/traits/arithmetic/mod.rs`); the code here is our own.
//!
//! Inputs are assumed non-negative and not NaN (the callers' quantities are), so only the
//! upward direction is needed.

/// Below this magnitude an `fma` residual may itself underflow, so exactness cannot be proven:
/// results there are always moved up.
const RESIDUAL_RELIABLE: f64 = f64::MIN_POSITIVE * 9_007_199_254_740_992.0; // 2^-969

/// `a · b`, rounded up (a, b ≥ 0).
pub(crate) fn mul_up(a: f64, b: f64) -> f64 {
    let p = a * b;
    if p == f64::INFINITY || a == 0.0 || b == 0.0 {
        return p;
    }
    if p < RESIDUAL_RELIABLE {
        return p.next_up();
    }
    // a·b − p exactly (fma rounds once, and the residual is representable here).
    if a.mul_add(b, -p) > 0.0 {
        p.next_up()
    } else {
        p
    }
}

/// `a / b`, rounded up (a ≥ 0, b > 0).
pub(crate) fn div_up(a: f64, b: f64) -> f64 {
    let r = a / b;
    if r == f64::INFINITY || a == 0.0 {
        return r;
    }
    if r < RESIDUAL_RELIABLE || b == f64::INFINITY {
        return r.next_up();
    }
    // a − r·b exactly: positive when r is below a/b.
    if (-r).mul_add(b, a) > 0.0 {
        r.next_up()
    } else {
        r
    }
}

/// `a + b`, rounded up (a, b ≥ 0, or either +∞).
pub(crate) fn add_up(a: f64, b: f64) -> f64 {
    let s = a + b;
    if s == f64::INFINITY || a == 0.0 || b == 0.0 {
        return s;
    }
    // Two-sum: the rounding error of s, exactly.
    let bb = s - a;
    let err = (a - (s - bb)) + (b - bb);
    if err > 0.0 { s.next_up() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_results_stay_and_inexact_ones_go_up() {
        assert_eq!(mul_up(3.0, 0.5), 1.5);
        assert_eq!(div_up(3.0, 8.0), 0.375);
        assert_eq!(add_up(1.0, 2.0), 3.0);
        // 1/3 rounds down to nearest; the upward result is the next double.
        let third = 1.0 / 3.0;
        assert!(third < div_up(1.0, 3.0));
        assert_eq!(div_up(1.0, 3.0), third.next_up());
        // 0.1 · 3 rounds up to nearest already (0.30000000000000004 > 0.3).
        assert_eq!(mul_up(0.1, 3.0), 0.1 * 3.0);
        // 1 + 2^-60 rounds to 1: the upward sum is the next double.
        assert_eq!(add_up(1.0, 2f64.powi(-60)), 1f64.next_up());
    }

    #[test]
    fn underflow_and_overflow_go_the_safe_way() {
        assert_eq!(mul_up(1e-200, 1e-200), f64::from_bits(1));
        assert_eq!(div_up(1e-200, 1e200), f64::from_bits(1));
        assert_eq!(mul_up(1e200, 1e200), f64::INFINITY);
        assert_eq!(div_up(1e200, 1e-200), f64::INFINITY);
        assert_eq!(mul_up(0.0, 5.0), 0.0);
        assert_eq!(div_up(0.0, 5.0), 0.0);
        // Subnormal results are moved up, never left below the truth.
        let third = 1e-310 / 3.0;
        assert!(div_up(1e-310, 3.0) > third);
    }
}
