//! Rényi DP of one step of the Poisson-subsampled Gaussian mechanism.
//!
//! Algorithm: Mironov, Talwar & Zhang (2019), "Rényi Differential Privacy of the Sampled
//! Gaussian Mechanism", §3.3 — the integer-order binomial sum and the two-sided series for
//! fractional orders. The reference implementations read were Opacus 1.6.0
//! (`opacus/accountants/analysis/rdp.py`, `_compute_log_a_for_{int,frac}_alpha`) and
//! dp_accounting 0.6.0 (`rdp/rdp_privacy_accountant.py`); the code here is our own and differs
//! on purpose: it sums `A_α − 1` rather than `A_α` (see `NOTES.md`), which keeps the relative
//! accuracy of tiny RDP values that both references lose.

use super::curve::round_up_ulps;
use crate::error::{AccountantError, Result};
use crate::event::{check_noise_multiplier, check_sample_rate};
use crate::rounding::{div_up, mul_up};
use crate::special::{ScaledSum, log_expm1, log_norm_cdf, log1p_exp};

/// The largest RDP order accepted (the integer sum costs one term per unit of α).
pub const MAX_RDP_ORDER: f64 = 100_000.0;

/// Terms of the fractional series summed at most before giving up (the caller then uses the
/// bound of the next integer order).
const MAX_SERIES_TERMS: u64 = 100_000;

/// Stop the fractional series once both new terms are below this fraction of the running sum
/// (and the terms alternate with decreasing magnitude, so the remainder is smaller still).
const SERIES_RELATIVE_TOLERANCE_LN: f64 = -34.0; // e^-34 ≈ 1.7e-15

/// Per-step RDP of the Poisson-subsampled Gaussian mechanism at order `order`.
///
/// Returns ε_α with `D_α(M(D) ‖ M(D')) ≤ ε_α` for neighbouring `D`, `D'` under add/remove-one,
/// where `M` includes each row independently with probability `sample_rate`, sums the rows'
/// clipped contributions (L2 sensitivity 1) and adds `N(0, noise_multiplier²)` noise per
/// coordinate. This is the exact RDP of the worst-case pair (Mironov, Talwar & Zhang 2019,
/// Theorem 4 and §3.3), computed in floating point to about 1e-12 relative (integer orders)
/// and 1e-10 relative (fractional orders) — see `NOTES.md` for the accuracy argument — and
/// never below the exact value, for every σ > 0 (issue 12).
///
/// For `sample_rate = 1`, and for σ outside [1e-100, 1e100], it is the Gaussian mechanism's
/// `α / (2σ²)` rounded up (an upper bound for every q; see `NOTES.md`). The value may be `+∞`
/// when it exceeds the range of `f64` (the bound at that order is then vacuous, which the
/// conversion to (ε, δ) handles correctly); it is never rounded down to 0.
///
/// # Errors
/// [`AccountantError::InvalidSampleRate`], [`AccountantError::InvalidNoiseMultiplier`],
/// [`AccountantError::InvalidRdpOrder`] for parameters out of range;
/// [`AccountantError::InvalidRdpValue`] if a computed value is NaN or negative (never
/// silently). A fractional-order series that does not converge falls back to the bound of the
/// next integer order instead of failing.
///
/// ```
/// use tabveil_accountant::sampled_gaussian_rdp;
///
/// // One DP-SGD step with q = 0.01, σ = 1.1, at order 8.
/// let rdp = sampled_gaussian_rdp(0.01, 1.1, 8.0)?;
/// assert!(rdp > 0.0 && rdp < 8.0 / (2.0 * 1.1 * 1.1));
/// // Without subsampling it is the Gaussian mechanism's α/(2σ²).
/// assert_eq!(sampled_gaussian_rdp(1.0, 2.0, 3.0)?, 3.0 / 8.0);
/// # Ok::<(), tabveil_accountant::AccountantError>(())
/// ```
pub fn sampled_gaussian_rdp(sample_rate: f64, noise_multiplier: f64, order: f64) -> Result<f64> {
    check_sample_rate(sample_rate)?;
    check_noise_multiplier(noise_multiplier)?;
    check_order(order)?;
    sampled_gaussian_rdp_unchecked(sample_rate, noise_multiplier, order)
}

/// Rejects an order that is not finite or not in (1, [`MAX_RDP_ORDER`]].
pub(crate) fn check_order(order: f64) -> Result<()> {
    if order > 1.0 && order <= MAX_RDP_ORDER {
        Ok(())
    } else {
        Err(AccountantError::InvalidRdpOrder {
            value: order,
            max: MAX_RDP_ORDER,
        })
    }
}

/// Outside `[SERIES_SIGMA_MIN, SERIES_SIGMA_MAX]` the series are not evaluated: the Gaussian
/// mechanism's `α/(2σ²)` (rounded up) is returned instead. It is an upper bound for every q
/// (see [`gaussian_rdp_upper_bound`]) and, at these extremes, as tight as f64 can tell: below
/// 1e-100 the subsampled value differs from it by O(ln q) out of ≥ 1e200, above 1e100 both are
/// below 1e-196 and leave every (ε, δ) conversion unchanged. Inside the range σ², 1/(2σ²) and
/// every component of the series are normal numbers.
const SERIES_SIGMA_MIN: f64 = 1e-100;
/// See [`SERIES_SIGMA_MIN`].
const SERIES_SIGMA_MAX: f64 = 1e100;

/// [`sampled_gaussian_rdp`] for parameters already validated.
///
/// Never below the true RDP (up to the error model of `NOTES.md`), never NaN: the series value,
/// capped by the Gaussian bound; when a fractional series fails numerically, the value at the
/// next integer order (Rényi divergence is non-decreasing in the order: van Erven & Harremoës
/// 2014, "Rényi divergence and Kullback-Leibler divergence", Theorem 3), capped likewise.
pub(crate) fn sampled_gaussian_rdp_unchecked(q: f64, sigma: f64, alpha: f64) -> Result<f64> {
    let gaussian = gaussian_rdp_upper_bound(sigma, alpha);
    if q == 1.0 || !(SERIES_SIGMA_MIN..=SERIES_SIGMA_MAX).contains(&sigma) {
        return Ok(gaussian);
    }
    let series = if alpha.fract() == 0.0 {
        rdp_from_log_a_minus_one(log_a_minus_one_integer(q, sigma, alpha), alpha)
    } else {
        // The next integer order bounds a fractional one (see above) and costs ⌈α⌉ terms: it
        // caps the series where cancellation makes its error bound loose, and replaces it
        // where it fails.
        let ceil = alpha.ceil();
        let at_ceil = rdp_from_log_a_minus_one(log_a_minus_one_integer(q, sigma, ceil), ceil);
        match log_a_minus_one_fractional(q, sigma, alpha) {
            Ok(l) => rdp_from_log_a_minus_one(l, alpha).min(at_ceil),
            Err(_) => at_ceil,
        }
    };
    if series.is_nan() || series < 0.0 {
        return Err(invalid(q, sigma, alpha, series));
    }
    Ok(series.min(gaussian))
}

/// `α/(2σ²)` rounded up (+∞ when it overflows, the smallest subnormal when it underflows):
/// the RDP of the Gaussian mechanism (Mironov 2017, "Rényi differential privacy", Proposition
/// 7), and an upper bound on the RDP of the Poisson-subsampled Gaussian in both directions,
/// because the Rényi divergence is jointly quasi-convex (van Erven & Harremoës 2014, Theorem
/// 13): `D_α((1−q)μ₀ + qμ₁ ‖ μ₀) ≤ max(D_α(μ₀‖μ₀), D_α(μ₁‖μ₀)) = α/(2σ²)`.
pub(crate) fn gaussian_rdp_upper_bound(sigma: f64, alpha: f64) -> f64 {
    mul_up(alpha, div_up(div_up(0.5, sigma), sigma))
}

/// `ln(1 + e^L)/(α − 1)` rounded up, for `L` an upper bound on `ln(A_α − 1)`.
fn rdp_from_log_a_minus_one(log_a_minus_one: f64, alpha: f64) -> f64 {
    // Rounding up by 2 ulps also covers a result in the subnormal range, where `exp`'s error
    // (≤ 1 ulp) is absolute.
    round_up_ulps(log1p_exp(log_a_minus_one) / (alpha - 1.0), 2)
}

fn invalid(q: f64, sigma: f64, alpha: f64, value: f64) -> AccountantError {
    AccountantError::InvalidRdpValue {
        order: alpha,
        sample_rate: q,
        noise_multiplier: sigma,
        value,
    }
}

/// `ln(A_α − 1)` for an integer order `α ≥ 2`, where
/// `A_α = Σ_k C(α,k) (1−q)^{α−k} q^k e^{(k²−k)/(2σ²)}`.
///
/// Since `Σ_k C(α,k)(1−q)^{α−k}q^k = 1`, `A_α − 1 = Σ_{k≥2} C(α,k)(1−q)^{α−k}q^k
/// (e^{(k²−k)/(2σ²)} − 1)`: every term is positive, so the log-space sum loses nothing to
/// cancellation even when `A_α − 1` is tiny. Returns ln of the sum inflated by a bound on its
/// rounding error (each log-term is a sum of a few components, each off by an ulp or so).
fn log_a_minus_one_integer(q: f64, sigma: f64, alpha: f64) -> f64 {
    let log_q = q.ln();
    let log_1mq = (-q).ln_1p();
    let two_var = 2.0 * sigma * sigma;
    let table = ln_table();
    // ln n for n ≤ α, from the table when it covers α.
    let ln_int = |n: f64| -> f64 {
        let idx = n as usize;
        if idx < table.len() {
            table[idx]
        } else {
            n.ln()
        }
    };
    // First pass: every log-term (additions only, ln C(α, k) built up term by term), and their
    // maximum; second pass: the exponentials of the terms that can matter.
    let mut log_terms = Vec::with_capacity((alpha as usize).saturating_sub(1));
    let mut max = f64::NEG_INFINITY;
    let mut largest_error = 0.0_f64;
    let mut log_binom = alpha.ln() + (alpha - 1.0).ln() - std::f64::consts::LN_2;
    let mut binom_error = 4.0 * f64::EPSILON * log_binom.abs();
    let mut k = 2.0_f64;
    while k <= alpha {
        let components = [
            log_binom,
            k * log_q,
            (alpha - k) * log_1mq,
            log_expm1((k * k - k) / two_var),
        ];
        let log_term: f64 = components.iter().sum();
        // Differences, not `log_term > max − 50`: at |max| ≥ 2^58, `max − 50` rounds to `max`
        // and every term would be dropped (issue 12: RDP ≈ 1e-308 at σ = 2e-6, α = 4096).
        if log_term - max > -50.0 {
            let size: f64 = components.iter().map(|c| c.abs()).sum();
            largest_error = largest_error.max(log_term_error(size) + binom_error);
        }
        max = max.max(log_term);
        log_terms.push(log_term);
        let step = ln_int(alpha - k) - ln_int(k + 1.0);
        log_binom += step;
        binom_error += 2.0 * f64::EPSILON * (log_binom.abs() + step.abs());
        k += 1.0;
    }
    // All terms are positive: those more than e^-50 below the largest cannot change the sum.
    let sum: f64 = log_terms
        .iter()
        .filter(|&&t| t - max > -50.0)
        .map(|&t| (t - max).exp())
        .sum();
    // Every counted term is within a factor e^{±largest_error} of its true value, and the sum
    // of positive terms adds a relative error of at most (number of terms) ulps.
    max + sum.ln() + largest_error + f64::EPSILON * alpha
}

/// A bound on the absolute error of a log-term computed as the sum of a few components whose
/// absolute values add up to `component_size` (each component, and each addition, is off by
/// about an ulp).
fn log_term_error(component_size: f64) -> f64 {
    4.0 * f64::EPSILON * (component_size + 8.0)
}

/// The largest `n` whose `ln n` is tabulated (covers the default order grid).
const LN_TABLE_MAX: usize = 4097;

/// `ln n` for `n = 0..=LN_TABLE_MAX` (`ln 0 = −∞`), computed once.
fn ln_table() -> &'static [f64] {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| (0..=LN_TABLE_MAX).map(|n| (n as f64).ln()).collect())
}

/// ln of an upper bound on `A_α − 1` for a fractional order, by the two-sided series of
/// Mironov, Talwar & Zhang (2019, §3.3), rearranged so that the `− 1` cancels analytically.
///
/// With `μ₀ = N(0, σ²)`, `r(z) = e^{(2z−1)/(2σ²)}` and `z₀ = σ² ln(1/q − 1) + 1/2` (where
/// `q·r(z₀) = 1 − q`), `A_α = E_{μ₀}[(1 − q + q r)^α] = A₀ + A₁` with
/// `A₀ = Σ_i C(α,i) q^i (1−q)^{α−i} e^{c_i} Φ((z₀−i)/σ)` (the part `z ≤ z₀`),
/// `A₁ = Σ_i C(α,i) q^{α−i} (1−q)^i e^{c_j} Φ((j−z₀)/σ)`, `j = α − i` (the part `z > z₀`),
/// and `c_k = (k² − k)/(2σ²)`. See `NOTES.md` for the two rearrangements used.
fn log_a_minus_one_fractional(q: f64, sigma: f64, alpha: f64) -> Result<f64> {
    let log_q = q.ln();
    let log_1mq = (-q).ln_1p();
    let two_var = 2.0 * sigma * sigma;
    let z0 = sigma * sigma * (log_1mq - log_q) + 0.5;
    let small_q = q < SMALL_Q;
    let mut sum = BoundedSum::new();

    if !small_q {
        // Fold `1 = (1−q)(Φ(z₀/σ) + Φ(−z₀/σ)) + q(Φ((z₀−1)/σ) + Φ((1−z₀)/σ))` into the
        // i = 0, 1 terms of A₀:
        // (1−q)^α Φ(z₀/σ) − (1−q) Φ(z₀/σ) = (1−q) Φ(z₀/σ) · m₁, m₁ = (1−q)^{α−1} − 1 < 0;
        let m1 = ((alpha - 1.0) * log_1mq).exp_m1();
        sum.add(true, &[log_1mq, log_norm_cdf(z0 / sigma), (-m1).ln()], 0.0);
        // α q (1−q)^{α−1} Φ((z₀−1)/σ) − q Φ((z₀−1)/σ) = q Φ((z₀−1)/σ) · m₂, m₂ = α(1+m₁) − 1;
        let m2 = alpha.mul_add(m1, alpha - 1.0);
        sum.add(
            m2 < 0.0,
            &[log_q, log_norm_cdf((z0 - 1.0) / sigma), m2.abs().ln()],
            0.0,
        );
        // and the rest of the `− 1`.
        sum.add(true, &[log_1mq, log_norm_cdf(-z0 / sigma)], 0.0);
        sum.add(true, &[log_q, log_norm_cdf((1.0 - z0) / sigma)], 0.0);
    }

    let mut log_binom = 0.0_f64; // ln |C(α, i)|
    let mut binom_error = 0.0_f64; // bound on its accumulated rounding error
    let mut binom_negative = false;
    let mut tail = AlternatingTail::new();
    let mut quiet = 0_u32;
    let mut i: u64 = 0;
    loop {
        let fi = i as f64;
        let j = alpha - fi;
        let low = [log_binom, fi * log_q, j * log_1mq]; // C q^i (1−q)^{α−i}
        let high = [log_binom, j * log_q, fi * log_1mq]; // C q^{α−i} (1−q)^i
        let c_i = (fi * fi - fi) / two_var;
        let c_j = (j * j - j) / two_var;
        // Terms whose cheap upper bound is e^-45 below the running sum are not evaluated; their
        // bound goes into the error bound instead (it saves most erfc calls in practice).
        let (_, log_abs_sum) = sum.value.signed_log();
        let negligible = log_abs_sum.max(sum.value.log_scale() - 80.0) - 45.0;
        let mut largest = f64::NEG_INFINITY;
        let mut add = |negative: bool, parts: &[f64; 3], extra: &[f64], phi_at: f64| {
            let known: f64 = parts.iter().chain(extra).sum();
            let bound = known + log_norm_cdf_upper_bound(phi_at);
            if bound < negligible {
                sum.value.add_error(bound);
                largest = largest.max(bound);
                return;
            }
            let mut components = [0.0; 5];
            components[..3].copy_from_slice(parts);
            components[3..3 + extra.len()].copy_from_slice(extra);
            components[3 + extra.len()] = log_norm_cdf(phi_at);
            let t = sum.add(negative, &components[..4 + extra.len()], binom_error);
            largest = largest.max(t);
        };
        let phi_high = (j - z0) / sigma;
        if small_q {
            // Σ_i C(α,i) q^i (1−q)^{α−i} = 1 for q < ½, so
            // A − 1 = Σ_i C q^i (1−q)^{α−i} [e^{c_i} Φ((z₀−i)/σ) − 1] + A₁; split e^{c} = 1 + (e^{c} − 1).
            //   the base of A₀ − 1: −C q^i (1−q)^{α−i} Φ((i−z₀)/σ);
            add(!binom_negative, &low, &[], (fi - z0) / sigma);
            //   the excess of A₀ (c_i > 0 from i = 2 on);
            if i >= 2 {
                add(binom_negative, &low, &[log_expm1(c_i)], (z0 - fi) / sigma);
            }
            //   the base of A₁;
            add(binom_negative, &high, &[], phi_high);
            //   the excess of A₁ (e^{c_j} − 1 is negative for 0 < j < 1).
            if c_j != 0.0 {
                let log_excess = if c_j > 0.0 {
                    log_expm1(c_j)
                } else {
                    (-c_j.exp_m1()).ln()
                };
                add(
                    binom_negative != (c_j < 0.0),
                    &high,
                    &[log_excess],
                    phi_high,
                );
            }
        } else {
            if i >= 2 {
                add(binom_negative, &low, &[c_i], (z0 - fi) / sigma);
            }
            add(binom_negative, &high, &[c_j], phi_high);
        }

        // Past i > α + 1 the binomial coefficients alternate in sign and the term sequences
        // decrease in magnitude (NOTES.md), so the remainder is below the last terms.
        if fi > alpha + 1.0 {
            let (_, log_abs_sum) = sum.value.signed_log();
            let floor = log_abs_sum.max(sum.value.log_scale() - 80.0);
            if largest < floor + SERIES_RELATIVE_TOLERANCE_LN {
                quiet += 1;
                if quiet >= 3 {
                    // Remainder of an alternating series with decreasing terms.
                    return sum.upper_bound_of(sum.value, largest + 2f64.ln(), q, sigma, alpha);
                }
            } else {
                quiet = 0;
            }
            // Otherwise the terms may decay only polynomially (∝ i^{−α−2}): accelerate the
            // alternating tail by repeated averaging of partial sums (Euler's transform).
            if let Some((estimate, log_change)) = tail.push(&sum.value) {
                // Pessimistic allowance for the extrapolation: ten times its last change.
                let slack = log_change + 10f64.ln();
                return sum.upper_bound_of(estimate, slack, q, sigma, alpha);
            }
        }
        i += 1;
        if i >= MAX_SERIES_TERMS {
            return Err(AccountantError::RdpSeriesNotConverged {
                order: alpha,
                sample_rate: q,
                noise_multiplier: sigma,
                iterations: i,
            });
        }
        // C(α, i) = C(α, i−1) · (α − i + 1) / i.
        let factor = (alpha - fi) / (fi + 1.0);
        if factor < 0.0 {
            binom_negative = !binom_negative;
        }
        let step = factor.abs().ln();
        log_binom += step;
        binom_error += 2.0 * f64::EPSILON * (log_binom.abs() + step.abs() + 1.0);
    }
}

/// An upper bound on `ln Φ(x)` that needs no `erfc`: `Φ(x) ≤ φ(x)/|x|` for `x < 0` (Mills),
/// and `Φ ≤ 1`.
fn log_norm_cdf_upper_bound(x: f64) -> f64 {
    if x < -1.0 {
        -0.5 * x * x - (-x).ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
    } else {
        0.0
    }
}

/// Below this sampling rate the fractional series uses the binomial identity
/// `Σ_i C(α,i) q^i (1−q)^{α−i} = 1` (valid for every q < ½, fast for q well below it).
const SMALL_Q: f64 = 0.4;

/// A signed sum of terms given by their log-components, with a running bound on its rounding
/// error.
#[derive(Debug, Clone, Copy)]
struct BoundedSum {
    value: ScaledSum,
    terms: f64,
}

impl BoundedSum {
    fn new() -> Self {
        BoundedSum {
            value: ScaledSum::new(),
            terms: 0.0,
        }
    }

    /// Adds `±exp(Σ components)` and returns the term's log-magnitude; `extra_error` bounds
    /// the absolute error already carried by the components (beyond their last rounding).
    fn add(&mut self, negative: bool, components: &[f64], extra_error: f64) -> f64 {
        let mut log_term = 0.0;
        let mut size = 0.0;
        for c in components {
            log_term += c;
            size += c.abs();
        }
        if log_term == f64::NEG_INFINITY {
            return log_term;
        }
        self.terms += 1.0;
        // |e^{L+η} − e^L| ≤ e^L (e^{|η|} − 1) ≤ e^L η (1 + η) for η ≤ 1.
        let eta = log_term_error(size) + extra_error;
        if eta < 1.0 {
            self.value
                .add_with_error(negative, log_term, eta * (1.0 + eta));
        } else {
            self.value.add(negative, log_term);
            self.value.add_error(log_term + log_expm1(eta));
        }
        log_term
    }

    /// ln of `value + |rounding error bound| + e^log_slack`, where `value` is this sum or an
    /// extrapolation of it; an error if even that is negative (A_α ≥ 1 always, so the error
    /// model would have failed).
    fn upper_bound_of(
        &self,
        value: ScaledSum,
        log_slack: f64,
        q: f64,
        sigma: f64,
        alpha: f64,
    ) -> Result<f64> {
        let (negative, log_abs) = value.signed_log();
        let mut total = ScaledSum::new();
        total.add(negative, log_abs);
        total.add(false, self.value.log_error());
        // Summation error of the scaled sum itself: a few ulps of its largest term.
        total.add(
            false,
            self.value.log_scale() + (4.0 * f64::EPSILON * (self.terms + 1.0)).ln(),
        );
        total.add(false, log_slack);
        let (negative, log_upper) = total.signed_log();
        if negative {
            return Err(invalid(q, sigma, alpha, -log_upper.exp()));
        }
        Ok(log_upper)
    }
}

/// Levels of averaging applied to the partial sums of an alternating tail.
const AVERAGING_LEVELS: usize = 16;

/// Successive accelerated estimates must agree to this relative difference, this many times in
/// a row, before the series stops.
const AVERAGING_TOLERANCE: f64 = 1e-14;
const AVERAGING_AGREEMENTS: u32 = 2;

/// Repeated averaging of the last partial sums of an alternating series with smoothly
/// decreasing terms: each level halves the error's leading order (Euler's transform in its
/// numerically stable form), so a tail decaying like i^{−3} converges in tens of terms instead
/// of millions.
///
/// `diagonal[k]` is the k-fold average of the partial sums ending with the newest one; a new
/// partial sum updates every level in O(levels): `t_k(m−k) = (t_{k−1}(m−k) + t_{k−1}(m−k+1))/2`.
#[derive(Debug)]
struct AlternatingTail {
    scale: f64,
    diagonal: [f64; AVERAGING_LEVELS + 1],
    seen: usize,
    previous: Option<f64>,
    agreements: u32,
}

impl AlternatingTail {
    fn new() -> Self {
        AlternatingTail {
            scale: f64::NAN,
            diagonal: [0.0; AVERAGING_LEVELS + 1],
            seen: 0,
            previous: None,
            agreements: 0,
        }
    }

    /// Records the current partial sum; returns the settled accelerated estimate and ln of its
    /// last change once successive estimates agree.
    fn push(&mut self, sum: &ScaledSum) -> Option<(ScaledSum, f64)> {
        let (scale, value) = sum.scaled_value();
        if scale.to_bits() != self.scale.to_bits() {
            // The scale moved (a larger term appeared): start again in the new scale.
            self.scale = scale;
            self.seen = 0;
            self.previous = None;
            self.agreements = 0;
        }
        let mut below = value;
        for k in 0..=AVERAGING_LEVELS {
            let old = self.diagonal[k];
            self.diagonal[k] = below;
            below = 0.5 * (old + below);
        }
        self.seen += 1;
        if self.seen <= AVERAGING_LEVELS {
            return None;
        }
        let estimate = self.diagonal[AVERAGING_LEVELS];
        let change = self
            .previous
            .map_or(f64::INFINITY, |p| (estimate - p).abs());
        if change <= AVERAGING_TOLERANCE * estimate.abs() {
            self.agreements += 1;
        } else {
            self.agreements = 0;
        }
        self.previous = Some(estimate);
        if self.agreements < AVERAGING_AGREEMENTS {
            return None;
        }
        let mut result = ScaledSum::new();
        result.add(estimate < 0.0, estimate.abs().ln() + self.scale);
        Some((result, change.ln() + self.scale))
    }
}
