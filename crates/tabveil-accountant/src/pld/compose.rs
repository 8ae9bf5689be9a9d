//! Composition of privacy loss distributions by FFT, with Chernoff tail truncation.
//!
//! Self-composition `T` times is a `T`-fold convolution: one FFT, an element-wise power, one
//! inverse FFT. All groups of a history (each a mechanism repeated `T_g` times) and both
//! directions go through a single forward FFT per group and a single inverse FFT: the remove
//! direction rides in the real part of the buffer and the add direction in the imaginary part
//! (both are real sequences, so their spectra separate by conjugate symmetry).
//!
//! dp_accounting 0.6.0 does the same per group and direction (`common.self_convolve`,
//! `compute_self_convolve_bounds`) and then composes groups pairwise; composition is
//! commutative, so one joint transform gives the same distribution up to the truncated tails.

use std::sync::{LazyLock, Mutex, PoisonError};

use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

use super::PldConfig;
use super::pmf::Pmf;
use crate::error::{AccountantError, Result};

/// One mechanism of a history, in both directions, repeated `count` times.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Group<'a> {
    pub(crate) remove: &'a Pmf,
    pub(crate) add: &'a Pmf,
    pub(crate) count: u64,
}

/// The composition of all `groups`, in both directions: `(remove, add)`.
///
/// **Bound.** Pessimistic whenever the inputs are: the masses beyond the Chernoff truncation
/// bounds (at most `tail_mass_truncation` in all) are charged again as mass at +∞, negative
/// rounding noise is raised to 0, and the probability of +∞ composes exactly
/// (`1 − Π (1 − p∞)^{T}`).
///
/// # Errors
/// [`AccountantError::PldGridTooLarge`] when the result would need more points than the
/// configuration allows (checked before allocating).
pub(crate) fn compose(groups: &[Group<'_>], config: &PldConfig) -> Result<(Pmf, Pmf)> {
    if let [only] = groups
        && only.count == 1
    {
        return Ok((only.remove.clone(), only.add.clone()));
    }
    let tail = config.tail_mass_truncation();
    let limit = config.max_grid_points();
    let remove: Vec<(&Pmf, u64)> = groups.iter().map(|g| (g.remove, g.count)).collect();
    let add: Vec<(&Pmf, u64)> = groups.iter().map(|g| (g.add, g.count)).collect();
    let (lo_r, hi_r) = chernoff_bounds(&remove, tail);
    let (lo_a, hi_a) = chernoff_bounds(&add, tail);
    let len_r = hi_r - lo_r + 1;
    let len_a = hi_a - lo_a + 1;
    let longest_input = groups
        .iter()
        .map(|g| g.remove.probs.len().max(g.add.probs.len()))
        .max()
        .unwrap_or(1) as i128;
    let needed = len_r.max(len_a).max(longest_input).max(1) as u128;
    let too_large = |points: u128| AccountantError::PldGridTooLarge {
        points: u64::try_from(points).unwrap_or(u64::MAX),
        limit,
    };
    if needed > u128::from(limit) {
        return Err(too_large(needed));
    }
    let n = fast_len(needed as usize);
    if n as u128 > u128::from(limit) {
        return Err(too_large(n as u128));
    }

    let (forward, inverse) = {
        let mut planner = PLANNER.lock().unwrap_or_else(PoisonError::into_inner);
        (planner.plan_fft_forward(n), planner.plan_fft_inverse(n))
    };
    let half = n / 2;
    let mut acc_r = vec![Complex::new(1.0, 0.0); half + 1];
    let mut acc_a = vec![Complex::new(1.0, 0.0); half + 1];
    let mut buffer = vec![Complex::new(0.0, 0.0); n];
    for g in groups {
        buffer.fill(Complex::new(0.0, 0.0));
        for (b, &p) in buffer.iter_mut().zip(&g.remove.probs) {
            b.re = p;
        }
        for (b, &p) in buffer.iter_mut().zip(&g.add.probs) {
            b.im = p;
        }
        forward.process(&mut buffer);
        for k in 0..=half {
            let z = buffer[k];
            let zc = buffer[(n - k) % n].conj();
            // Spectra of the real and imaginary parts.
            let x = (z + zc) * 0.5;
            let y = (z - zc) * Complex::new(0.0, -0.5);
            acc_r[k] *= power(x, g.count);
            acc_a[k] *= power(y, g.count);
        }
    }
    // Recombine: W = X + iY, using the Hermitian symmetry of X and Y.
    for k in 0..=half {
        let i_y = Complex::new(-acc_a[k].im, acc_a[k].re);
        buffer[k] = acc_r[k] + i_y;
        if k != 0 && k != n - k {
            let i_yc = Complex::new(acc_a[k].im, acc_a[k].re);
            buffer[n - k] = acc_r[k].conj() + i_yc;
        }
    }
    drop(acc_r);
    drop(acc_a);
    inverse.process(&mut buffer);
    let scale = 1.0 / n as f64;

    let extract = |lo: i128, hi: i128, imaginary: bool, inputs: &[(&Pmf, u64)]| -> Result<Pmf> {
        let mut probs = Vec::with_capacity((hi - lo + 1) as usize);
        let mut index = lo.rem_euclid(n as i128) as usize;
        for _ in lo..=hi {
            let z = buffer[index];
            let v = if imaginary { z.im } else { z.re } * scale;
            // FFT rounding noise can be slightly negative; 0 is the pessimistic choice.
            probs.push(v.max(0.0));
            index += 1;
            if index == n {
                index = 0;
            }
        }
        let mut base: i128 = lo;
        let mut log_keep = 0.0;
        for &(pmf, count) in inputs {
            base += i128::from(pmf.lower) * i128::from(count);
            log_keep += crate::rdp::steps_rounded_up(count) * (-pmf.infinity).ln_1p();
        }
        let lower = i64::try_from(base).map_err(|_| too_large(u128::MAX))?;
        Ok(Pmf {
            interval: inputs.first().map_or(1.0, |(p, _)| p.interval),
            lower,
            probs,
            infinity: (-log_keep.exp_m1() + tail).min(1.0),
        })
    };
    let remove = extract(lo_r, hi_r, false, &remove)?;
    let add = extract(lo_a, hi_a, true, &add)?;
    Ok((remove, add))
}

static PLANNER: LazyLock<Mutex<FftPlanner<f64>>> = LazyLock::new(|| Mutex::new(FftPlanner::new()));

/// `z^T` through polar form; 0 once `|z|^T` underflows.
fn power(z: Complex<f64>, count: u64) -> Complex<f64> {
    if count == 1 {
        return z;
    }
    let t = crate::rdp::steps_rounded_up(count);
    let norm_sq = z.norm_sqr();
    let log_r = 0.5 * (norm_sq - 1.0).ln_1p();
    let log_mag = t * log_r;
    if log_mag < -745.0 || norm_sq == 0.0 {
        return Complex::new(0.0, 0.0);
    }
    let (s, c) = (t * z.im.atan2(z.re)).sin_cos();
    Complex::new(c, s) * log_mag.exp()
}

/// Chernoff bounds `[lo, hi]` (offsets from the sum of the groups' lower ends) outside which
/// the composed distribution has at most `tail / 2` mass on each side:
/// `P(S ≥ a) ≤ e^{−λa} E[e^{λS}]` for λ > 0, and symmetrically below, minimised over a grid of
/// λ (dp_accounting's grid ±j/n, j = 1…20, for a single group).
fn chernoff_bounds(groups: &[(&Pmf, u64)], tail: f64) -> (i128, i128) {
    let mut hi: i128 = 0;
    for &(pmf, count) in groups {
        hi += (pmf.probs.len() as i128 - 1).max(0) * i128::from(count);
    }
    let mut lo: i128 = 0;
    let n_ref = groups
        .iter()
        .map(|(p, _)| p.probs.len())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let log_two_over_tail = (2.0 / tail).ln();
    for j in (-20..=20).filter(|&j| j != 0) {
        let lambda = f64::from(j) / n_ref;
        let mut log_mgf_total = 0.0;
        for &(pmf, count) in groups {
            log_mgf_total += crate::rdp::steps_rounded_up(count) * log_mgf(&pmf.probs, lambda);
        }
        let bound = (log_mgf_total + log_two_over_tail) / lambda;
        if !bound.is_finite() {
            continue;
        }
        if lambda > 0.0 {
            hi = hi.min(bound.ceil() as i128);
        } else {
            lo = lo.max(bound.floor() as i128);
        }
    }
    if hi < lo {
        // Cannot happen for a valid distribution; keep at least one point.
        hi = lo;
    }
    (lo, hi)
}

/// `ln Σ_k p_k e^{λk}` (the masses need not sum to 1).
fn log_mgf(probs: &[f64], lambda: f64) -> f64 {
    // |λ k| ≤ 20 on our grid, so the powers neither overflow nor underflow badly; a running
    // product replaces one exp per point.
    let step = lambda.exp();
    let mut power = 1.0;
    let mut sum = 0.0;
    for &p in probs {
        sum += p * power;
        power *= step;
    }
    sum.ln()
}

/// The smallest 7-smooth number (2^a 3^b 5^c 7^d) ≥ `n`: sizes rustfft transforms fast.
pub(crate) fn fast_len(n: usize) -> usize {
    let n = n.max(1);
    let mut best = n.next_power_of_two();
    let mut p7 = 1usize;
    while p7 < best {
        let mut p5 = p7;
        while p5 < best {
            let mut p3 = p5;
            while p3 < best {
                let mut m = p3;
                while m < n {
                    m *= 2;
                }
                best = best.min(m);
                p3 *= 3;
            }
            p5 *= 5;
        }
        p7 *= 7;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_len_is_smooth_and_tight() {
        assert_eq!(fast_len(1), 1);
        assert_eq!(fast_len(1000), 1000);
        assert_eq!(fast_len(1001), 1008);
        assert_eq!(fast_len(97), 98);
        for n in [12_345, 400_001, 1_234_567] {
            let m = fast_len(n);
            assert!(m >= n && (m as f64) < n as f64 * 1.1);
            let mut r = m;
            for p in [2, 3, 5, 7] {
                while r.is_multiple_of(p) {
                    r /= p;
                }
            }
            assert_eq!(r, 1);
        }
    }

    #[test]
    fn fft_composition_matches_direct_convolution() {
        let a = Pmf {
            interval: 0.5,
            lower: -2,
            probs: vec![0.1, 0.2, 0.3, 0.35],
            infinity: 0.05,
        };
        let b = Pmf {
            interval: 0.5,
            lower: 1,
            probs: vec![0.6, 0.4],
            infinity: 0.0,
        };
        let config = PldConfig::default()
            .with_tail_mass_truncation(1e-300)
            .unwrap();
        let (r, ad) = compose(
            &[
                Group {
                    remove: &a,
                    add: &b,
                    count: 3,
                },
                Group {
                    remove: &b,
                    add: &a,
                    count: 2,
                },
            ],
            &config,
        )
        .unwrap();
        // Direct: a^{*3} * b^{*2} (remove) and b^{*3} * a^{*2} (add).
        let conv = |x: &[f64], y: &[f64]| {
            let mut out = vec![0.0; x.len() + y.len() - 1];
            for (i, &u) in x.iter().enumerate() {
                for (j, &v) in y.iter().enumerate() {
                    out[i + j] += u * v;
                }
            }
            out
        };
        let power = |x: &Pmf, t: usize, y: &Pmf, u: usize| {
            let mut want = vec![1.0];
            for _ in 0..t {
                want = conv(&want, &x.probs);
            }
            for _ in 0..u {
                want = conv(&want, &y.probs);
            }
            want
        };
        for (pmf, want, lower, keep) in [
            (&r, power(&a, 3, &b, 2), -2 * 3 + 2, 0.95_f64.powi(3)),
            (&ad, power(&b, 3, &a, 2), 3 - 2 * 2, 0.95_f64.powi(2)),
        ] {
            assert_eq!(pmf.lower, lower);
            assert_eq!(pmf.probs.len(), want.len());
            for (g, w) in pmf.probs.iter().zip(&want) {
                assert!((g - w).abs() < 1e-15, "{g} vs {w}");
            }
            assert!((pmf.infinity - (1.0 - keep) - 1e-300).abs() < 1e-15);
        }
    }
}
