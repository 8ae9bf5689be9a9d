//! Brent's root finder on a bracket, returning the final bracket so callers can pick the side
//! of the root that is safe for them.

use crate::error::{AccountantError, Result};

/// A bracket `[lo, hi]` around a root of `f`, with `f(lo)` and `f(hi)` of opposite signs (or
/// one of them exactly 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bracket {
    pub(crate) lo: f64,
    pub(crate) f_lo: f64,
    pub(crate) hi: f64,
    pub(crate) f_hi: f64,
}

impl Bracket {
    /// The end of the bracket where `f ≤ 0`.
    pub(crate) fn non_positive_end(&self) -> (f64, f64) {
        if self.f_lo <= 0.0 {
            (self.lo, self.f_lo)
        } else {
            (self.hi, self.f_hi)
        }
    }
}

/// Narrows `bracket` (which must straddle a root) with Brent's method until its width is at
/// most `rel_tol · |x| + abs_tol`. `f` may fail; its errors are passed on.
///
/// Brent (1973), "Algorithms for Minimization without Derivatives", ch. 4: inverse quadratic
/// interpolation or secant steps, falling back to bisection whenever they would not shrink the
/// bracket fast enough, so it never does worse than bisection by more than a constant factor.
pub(crate) fn brent<F>(mut f: F, bracket: Bracket, rel_tol: f64, abs_tol: f64) -> Result<Bracket>
where
    F: FnMut(f64) -> Result<f64>,
{
    let Bracket {
        lo: mut a,
        f_lo: mut fa,
        hi: mut b,
        f_hi: mut fb,
    } = bracket;
    if fa.is_nan() || fb.is_nan() || fa.signum() == fb.signum() && fa != 0.0 && fb != 0.0 {
        return Err(AccountantError::Numerical {
            what: "root finder started without a sign change",
        });
    }
    let (mut c, mut fc) = (a, fa);
    let mut d = b - a;
    let mut e = d;
    for _ in 0..500 {
        if (fb > 0.0) == (fc > 0.0) && fb != 0.0 && fc != 0.0 {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol = 2.0 * f64::EPSILON * b.abs() + 0.5 * (rel_tol * b.abs() + abs_tol);
        let half = 0.5 * (c - b);
        if half.abs() <= tol || fb == 0.0 {
            let (lo, f_lo, hi, f_hi) = if b <= c {
                (b, fb, c, fc)
            } else {
                (c, fc, b, fb)
            };
            return Ok(Bracket { lo, f_lo, hi, f_hi });
        }
        if e.abs() >= tol && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q) = if a == c {
                (2.0 * half * s, 1.0 - s)
            } else {
                let qa = fa / fc;
                let r = fb / fc;
                (
                    s * (2.0 * half * qa * (qa - r) - (b - a) * (r - 1.0)),
                    (qa - 1.0) * (r - 1.0) * (s - 1.0),
                )
            };
            if p > 0.0 {
                q = -q;
            }
            p = p.abs();
            if 2.0 * p < (3.0 * half * q - (tol * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = half;
                e = d;
            }
        } else {
            d = half;
            e = d;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol { d } else { tol.copysign(half) };
        fb = f(b)?;
        if fb.is_nan() {
            return Err(AccountantError::Numerical {
                what: "root finder met a NaN",
            });
        }
    }
    Err(AccountantError::Numerical {
        what: "root finder did not converge in 500 iterations",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_roots_and_keeps_the_sign_change() {
        let f = |x: f64| Ok(x * x * x - 2.0);
        let b = brent(
            f,
            Bracket {
                lo: 0.0,
                f_lo: -2.0,
                hi: 3.0,
                f_hi: 25.0,
            },
            1e-12,
            0.0,
        )
        .unwrap();
        let root = 2f64.cbrt();
        assert!(b.lo <= root + 1e-15 && root - 1e-15 <= b.hi);
        assert!(b.hi - b.lo <= 2e-12 * root + 1e-15);
        assert!(b.f_lo <= 0.0 && b.f_hi >= 0.0);
        // A decreasing function: the non-positive end is the upper one.
        let g = |x: f64| Ok(1.0 - x);
        let b = brent(
            g,
            Bracket {
                lo: 0.0,
                f_lo: 1.0,
                hi: 5.0,
                f_hi: -4.0,
            },
            1e-9,
            0.0,
        )
        .unwrap();
        let (x, fx) = b.non_positive_end();
        assert!(fx <= 0.0 && x >= 1.0 && x - 1.0 < 1e-8);
    }

    #[test]
    fn refuses_a_bracket_without_a_sign_change() {
        let f = |x: f64| Ok(x + 10.0);
        assert!(
            brent(
                f,
                Bracket {
                    lo: 0.0,
                    f_lo: 10.0,
                    hi: 1.0,
                    f_hi: 11.0
                },
                1e-6,
                0.0
            )
            .is_err()
        );
    }
}
