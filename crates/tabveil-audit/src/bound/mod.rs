//! The one-run bound: from the number of correct membership guesses to a lower bound on ε.
//!
//! Steinke, Nasr & Jagielski, "Privacy auditing with one (1) training run" (NeurIPS 2023),
//! Theorem 3.1 with its δ term. Setting: m canaries, each included in the training input
//! independently with probability ½; the algorithm runs once; an auditor looks at the output
//! and makes r guesses "in" / "out" (abstaining on the other m − r canaries); V of the guesses
//! are correct. If the algorithm is (ε, δ)-DP then for every v
//!
//! ```text
//! P[V ≥ v] ≤ f(v) + 2mδ · max_{i = 1..v} (f(v − i) − f(v)) / i,
//! f(v) = P[Binomial(r, p_ε) ≥ v],  p_ε = e^ε / (1 + e^ε)
//! ```
//!
//! — the guesses are dominated by r flips of an ε-randomised-response coin, plus a δ term. The
//! right-hand side at the observed v is the **p-value** of the hypothesis "the algorithm is
//! (ε, δ)-DP" ([`one_run_p_value`]). The **lower bound** at significance β (confidence 1 − β)
//! is the largest ε whose p-value is at most β ([`one_run_lower_bound`]): every such ε is
//! rejected, and so is every smaller one, because (ε′, δ)-DP implies (ε, δ)-DP for ε ≥ ε′.
//! The test is one-sided: with probability at least 1 − β the reported bound does not exceed
//! the algorithm's true ε (at that δ).
//!
//! What the bound needs from the audit, and what this module cannot check:
//! - the inclusion bits are independent fair coins, unknown to the algorithm;
//! - r and the rule that turns scores into guesses are fixed before the output is seen (or the
//!   search over them is paid for — `crate::Guessing` divides β among the rules it tries);
//! - ε and δ of the hypothesis are per canary: a canary is one unit of privacy (one row).
//!
//! Everything is computed in log space (binomial terms through `ln Γ`), so far tails do not
//! underflow; a bound is only reported for an ε whose p-value was computed to be ≤ β.
//!
//! ```
//! use tabveil_audit::{GuessCounts, one_run_lower_bound, one_run_p_value};
//!
//! // 1 000 canaries, 100 guesses, 90 of them right.
//! let counts = GuessCounts::new(1_000, 100, 90)?;
//! let eps = one_run_lower_bound(&counts, 1e-6, 0.05)?;
//! assert!((eps - 1.6304).abs() < 1e-3);
//! // At the bound the p-value is the significance.
//! assert!((one_run_p_value(&counts, eps, 1e-6)? - 0.05).abs() < 1e-6);
//! # Ok::<(), tabveil_audit::AuditError>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::error::{AuditError, Result};

/// The outcome of one audit: m canaries, r guesses, v of them correct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuessCounts {
    canaries: u64,
    guesses: u64,
    correct: u64,
}

impl GuessCounts {
    /// `canaries` = m, `guesses` = r (canaries not abstained on), `correct` = v.
    ///
    /// # Errors
    /// [`AuditError::InvalidCounts`] unless v ≤ r ≤ m and m ≥ 1.
    pub fn new(canaries: u64, guesses: u64, correct: u64) -> Result<Self> {
        if canaries == 0 || guesses > canaries || correct > guesses {
            return Err(AuditError::InvalidCounts {
                canaries,
                guesses,
                correct,
            });
        }
        Ok(GuessCounts {
            canaries,
            guesses,
            correct,
        })
    }

    /// m.
    pub fn canaries(&self) -> u64 {
        self.canaries
    }

    /// r.
    pub fn guesses(&self) -> u64 {
        self.guesses
    }

    /// v.
    pub fn correct(&self) -> u64 {
        self.correct
    }
}

/// The p-value of "the algorithm is (ε, δ)-DP" given `counts`: the bound of Steinke, Nasr &
/// Jagielski (NeurIPS 2023, Theorem 3.1 with its δ term) on the probability of at least v
/// correct guesses among r, capped at 1:
///
/// ```text
/// P[V ≥ v] ≤ f(v) + 2mδ · max_{i = 1..v} (f(v − i) − f(v)) / i,
/// f(v) = P[Binomial(r, e^ε / (1 + e^ε)) ≥ v]
/// ```
///
/// It holds when each of the m canaries was included independently with probability ½ and
/// the r guesses were made by a rule fixed before the output was seen.
///
/// # Errors
/// [`AuditError::InvalidParameter`] unless ε is finite and ≥ 0 and δ ∈ [0, 1].
pub fn one_run_p_value(counts: &GuessCounts, epsilon: f64, delta: f64) -> Result<f64> {
    Ok(one_run_log_p_value(counts, epsilon, delta)?.exp())
}

/// The natural logarithm of [`one_run_p_value`] (≤ 0), accurate far into the tail where the
/// p-value itself underflows.
///
/// # Errors
/// As [`one_run_p_value`].
pub fn one_run_log_p_value(counts: &GuessCounts, epsilon: f64, delta: f64) -> Result<f64> {
    check_epsilon(epsilon)?;
    check_delta(delta)?;
    Ok(Tails::new(counts).log_p_value(epsilon, delta))
}

/// The largest ε whose p-value ([`one_run_p_value`]) is at most `significance` = β: with
/// confidence 1 − β, the algorithm is not (ε′, δ)-DP for any ε′ below it. 0 when the counts
/// reject nothing.
///
/// The search scans 256 points of [0, ε_hi] (ε_hi: the first power of two that is not
/// rejected) and bisects the last crossing to 1e-10; the value returned is one whose p-value
/// was computed to be ≤ β, so rounding never makes the bound larger than the arithmetic
/// supports.
///
/// # Errors
/// [`AuditError::InvalidParameter`] unless δ ∈ [0, 1] and β ∈ (0, 1).
pub fn one_run_lower_bound(counts: &GuessCounts, delta: f64, significance: f64) -> Result<f64> {
    check_delta(delta)?;
    if !(significance > 0.0 && significance < 1.0) {
        return Err(AuditError::InvalidParameter {
            parameter: "significance",
            value: significance,
            expected: "in (0, 1)",
        });
    }
    let tails = Tails::new(counts);
    let log_beta = significance.ln();
    let rejected = |eps: f64| tails.log_p_value(eps, delta) <= log_beta;
    if counts.correct == 0 || !rejected(0.0) {
        return Ok(0.0);
    }
    // As ε grows the coin becomes certain and f(v) → 1, so some power of two is not rejected.
    let mut hi = 1.0;
    while rejected(hi) {
        hi *= 2.0;
        if hi > MAX_EPSILON {
            return Err(AuditError::Internal("no ε up to 4096 passes the test"));
        }
    }
    // The p-value need not be monotone in ε (its δ term is not): take the last rejected point
    // of a grid, then bisect the crossing above it.
    const GRID: usize = 256;
    let step = hi / GRID as f64;
    let last = (0..GRID)
        .rev()
        .find(|&k| rejected(k as f64 * step))
        .unwrap_or(0);
    let (mut lo, mut up) = (last as f64 * step, (last + 1) as f64 * step);
    while up - lo > 1e-10 {
        let mid = 0.5 * (lo + up);
        if rejected(mid) {
            lo = mid;
        } else {
            up = mid;
        }
    }
    Ok(lo)
}

/// Bounds above this are not searched (ε = 4096 has p_ε = 1 in double precision).
const MAX_EPSILON: f64 = 4096.0;

fn check_epsilon(epsilon: f64) -> Result<()> {
    if epsilon.is_finite() && epsilon >= 0.0 {
        Ok(())
    } else {
        Err(AuditError::InvalidParameter {
            parameter: "epsilon",
            value: epsilon,
            expected: "finite and ≥ 0",
        })
    }
}

fn check_delta(delta: f64) -> Result<()> {
    if (0.0..=1.0).contains(&delta) {
        Ok(())
    } else {
        Err(AuditError::InvalidParameter {
            parameter: "delta",
            value: delta,
            expected: "in [0, 1]",
        })
    }
}

/// The ε-free part of the binomial terms of one (m, r, v): ln C(r, k) for k = 0..=r.
struct Tails {
    canaries: f64,
    correct: usize,
    ln_choose: Vec<f64>,
}

impl Tails {
    fn new(counts: &GuessCounts) -> Self {
        let r = counts.guesses as usize;
        let ln_r_fact = ln_factorial(r);
        let ln_choose = (0..=r)
            .map(|k| ln_r_fact - ln_factorial(k) - ln_factorial(r - k))
            .collect();
        Tails {
            canaries: counts.canaries as f64,
            correct: counts.correct as usize,
            ln_choose,
        }
    }

    /// ln of the paper's p-value at (ε, δ), capped at 0.
    fn log_p_value(&self, epsilon: f64, delta: f64) -> f64 {
        let v = self.correct;
        if v == 0 {
            return 0.0;
        }
        let r = self.ln_choose.len() - 1;
        // ln p_ε = −ln(1 + e^−ε), ln(1 − p_ε) = −ε − ln(1 + e^−ε).
        let softplus = (-epsilon).exp().ln_1p();
        let (ln_p, ln_q) = (-softplus, -epsilon - softplus);
        let ln_pmf = |k: usize| self.ln_choose[k] + k as f64 * ln_p + (r - k) as f64 * ln_q;
        let ln_tail = log_sum_exp((v..=r).map(ln_pmf));
        if delta == 0.0 {
            return ln_tail.min(0.0);
        }
        // max over i of ln(Σ_{k = v−i}^{v−1} pmf(k)) − ln i, accumulating downwards from v − 1.
        let mut run = f64::NEG_INFINITY;
        let mut ln_alpha = f64::NEG_INFINITY;
        for i in 1..=v {
            run = log_add_exp(run, ln_pmf(v - i));
            ln_alpha = ln_alpha.max(run - (i as f64).ln());
        }
        let ln_delta_term = (2.0 * self.canaries * delta).ln() + ln_alpha;
        log_add_exp(ln_tail, ln_delta_term).min(0.0)
    }
}

/// ln k! through ln Γ(k + 1) (musl's `lgamma`: about one ulp of the result).
fn ln_factorial(k: usize) -> f64 {
    if k < 2 {
        0.0
    } else {
        libm::lgamma(k as f64 + 1.0)
    }
}

/// ln(eᵃ + eᵇ) without overflow or underflow.
fn log_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    if hi == f64::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// ln Σ eˣ over `terms`.
fn log_sum_exp(terms: impl Iterator<Item = f64> + Clone) -> f64 {
    let max = terms.clone().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return max;
    }
    max + terms.map(|x| (x - max).exp()).sum::<f64>().ln()
}

#[cfg(test)]
mod tests;
