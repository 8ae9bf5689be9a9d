//! Number formatting shared by the findings, the plan and (through the public re-export) the
//! privacy report, so every rendering prints a number the same way.
//!
//! ```
//! use tabveil_validate::format::{sci, sig, sig_up};
//!
//! assert_eq!(sig(4.049953, 3), "4.05");
//! assert_eq!(sig(3.0, 3), "3");
//! assert_eq!(sig_up(2.9999983, 4), "3");
//! assert_eq!(sig_up(2.98412, 3), "2.99");
//! assert_eq!(sig(0.0191946, 3), "0.0192");
//! assert_eq!(sig(12_345.6, 3), "12346");
//! assert_eq!(sci(1e-6), "1e-6");
//! assert_eq!(sci(3.8388e-6), "3.8e-6");
//! ```

/// `x` with `digits` significant digits (integers keep all their digits; no exponent below
/// 10⁹ or above 10⁻⁵).
pub fn sig(x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "NaN".to_owned()
        } else if x > 0.0 {
            "∞".to_owned()
        } else {
            "−∞".to_owned()
        };
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    let magnitude = x.abs().log10().floor() as i64;
    if !(-5..9).contains(&magnitude) {
        return format!("{:.*e}", digits.saturating_sub(1), x);
    }
    let decimals = (digits as i64 - 1 - magnitude).max(0) as usize;
    trim(format!("{x:.decimals$}"))
}

/// `x` rounded *up* to `digits` significant digits, for upper bounds such as an ε spent: the
/// printed value is never below the true one.
pub fn sig_up(x: f64, digits: usize) -> String {
    if !(x.is_finite() && x > 0.0) {
        return sig(x, digits);
    }
    let magnitude = x.log10().floor() as i32;
    let scale = 10_f64.powi(magnitude - digits as i32 + 1);
    let up = (x / scale).ceil() * scale;
    // The division can land a hair above an exact value; never print below x.
    let text = sig(up, digits);
    if text.parse::<f64>().is_ok_and(|v| v >= x) {
        text
    } else {
        sig(up + scale, digits)
    }
}

fn trim(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// `x` in short scientific notation with at most two significant digits, e.g. `1e-6`,
/// `3.8e-6` (for δ).
pub fn sci(x: f64) -> String {
    if !x.is_finite() || x == 0.0 {
        return sig(x, 2);
    }
    let one = format!("{x:.0e}");
    if one.parse::<f64>().is_ok_and(|v| v == x) {
        return one;
    }
    let two = format!("{x:.1e}");
    if two.parse::<f64>().is_ok_and(|v| v == x) || x.abs() < 1e-3 {
        return two;
    }
    sig(x, 2)
}

/// A percentage with one decimal, e.g. `12.5 %`.
pub fn percent(fraction: f64) -> String {
    format!("{:.1} %", fraction * 100.0)
}

/// The largest "nice" δ (1, 2 or 5 times a power of ten) at most `x`.
pub fn nice_delta_at_most(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return x;
    }
    let p = 10_f64.powf(x.log10().floor());
    for m in [5.0, 2.0, 1.0] {
        let v: f64 = format!("{:e}", m * p).parse().unwrap_or(m * p);
        if v <= x {
            return v;
        }
    }
    // Representation error put even 1·10^k above x: go one power down.
    format!("{:e}", p / 2.0).parse().unwrap_or(p / 2.0)
}
