//! Noise calibration and budget planning: the σ that meets a target ε, the number of steps a
//! budget allows, and the ε of a ledger.
//!
//! ```
//! use tabveil_accountant::{AccountantSpec, NoiseSchedule, PrivacyEvent, calibrate_noise, max_steps_within};
//!
//! // Noisy counts already released (σ = 20), then 1 000 DP-SGD steps at q = 0.01.
//! let schedule = NoiseSchedule {
//!     fixed: vec![PrivacyEvent::gaussian(20.0, 1)?],
//!     calibrated: vec![(0.01, 1_000)],
//! };
//! let spec = AccountantSpec::rdp();
//! let c = calibrate_noise(1.0, 1e-5, &schedule, &spec)?;
//! assert!(c.epsilon <= 1.0 && c.epsilon > 0.999);
//! // With that σ, the budget allows (at least) the 1 000 steps planned.
//! let steps = max_steps_within(1.0, 1e-5, &schedule.fixed, 0.01, c.noise_multiplier, &spec)?;
//! assert!(steps >= 1_000);
//! # Ok::<(), tabveil_accountant::AccountantError>(())
//! ```

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::accountant::{Accountant, AccountantKind, PrivacyGuarantee};
use crate::error::{AccountantError, Result};
use crate::event::{PrivacyEvent, check_delta, check_noise_multiplier, check_sample_rate};
use crate::ledger::PrivacyLedger;
use crate::root::{Bracket, brent};
use crate::spec::AccountantSpec;

/// What is spent besides the mechanism being calibrated, and where the calibrated noise goes.
///
/// The noise multiplier being calibrated is shared by every `calibrated` segment
/// `(sample rate q, steps)`; `q = 1` means a plain Gaussian mechanism run `steps` times. The
/// `fixed` events (e.g. preprocessing already charged) are composed as they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseSchedule {
    /// Events whose noise is already decided.
    pub fixed: Vec<PrivacyEvent>,
    /// `(sample rate, steps)` segments that share the calibrated noise multiplier.
    pub calibrated: Vec<(f64, u64)>,
}

/// The result of [`calibrate_noise`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// The calibrated noise multiplier σ: within 1e-6 relative of the smallest σ that meets
    /// the target, and always on the safe side of it.
    pub noise_multiplier: f64,
    /// The ε the schedule spends with that σ (an upper bound, ≤ the target).
    pub epsilon: f64,
}

/// Smallest noise multiplier tried; a target that every larger σ meets returns this.
const SIGMA_MIN: f64 = 1e-4;
/// Largest noise multiplier tried before declaring the target unreachable.
const SIGMA_MAX: f64 = 1e7;
/// Relative width of the final bracket on σ.
const SIGMA_REL_TOL: f64 = 1e-6;

/// The noise multiplier for `schedule` that spends at most `target_epsilon` at `delta`.
///
/// **Guarantee.** Returns σ with ε(σ) ≤ `target_epsilon` under `spec`'s accountant (an upper
/// bound for add/remove-one), where ε(σ) is evaluated, not extrapolated: the search brackets
/// the root of ε(σ) = target (doubling or halving from σ = 1), narrows it with Brent's method
/// to 1e-6 relative, and returns the end of the bracket on the safe side. ε(σ) is
/// non-increasing in σ for the Gaussian mechanisms composed here.
///
/// # Errors
/// [`AccountantError::ApproximationNotAllowed`] for a GDP spec;
/// [`AccountantError::InvalidEpsilon`] unless the target is finite and > 0;
/// [`AccountantError::InvalidDelta`]; [`AccountantError::EmptySchedule`] without a calibrated
/// segment; [`AccountantError::InvalidSampleRate`] / [`AccountantError::ZeroCount`] for a bad
/// segment; [`AccountantError::UnreachableTarget`] when the fixed events alone spend the target
/// or even σ = 10⁷ does not meet it.
pub fn calibrate_noise(
    target_epsilon: f64,
    delta: f64,
    schedule: &NoiseSchedule,
    spec: &AccountantSpec,
) -> Result<Calibration> {
    check_upper_bound(spec)?;
    check_target(target_epsilon)?;
    check_delta(delta)?;
    if schedule.calibrated.is_empty() {
        return Err(AccountantError::EmptySchedule);
    }
    for &(q, steps) in &schedule.calibrated {
        check_sample_rate(q)?;
        if steps == 0 {
            return Err(AccountantError::ZeroCount {
                what: "steps of a calibrated segment",
            });
        }
    }
    let mut base = spec.build();
    for event in &schedule.fixed {
        base.compose(event)?;
    }
    let floor = base.epsilon(delta)?;
    if floor >= target_epsilon {
        return Err(AccountantError::UnreachableTarget {
            target_epsilon,
            floor,
            reason: "the fixed events alone spend it",
        });
    }

    // ε(σ) − target, with "cannot be computed because the noise is too small to account for"
    // (a PLD grid too large, no finite ε) read as "too much": only evaluated values are ever
    // returned, so this only keeps the search on the safe side.
    let excess = |sigma: f64| -> Result<f64> {
        let mut acc = base.boxed_clone();
        for &(q, steps) in &schedule.calibrated {
            acc.compose(&PrivacyEvent::sampled_gaussian(q, sigma, steps)?)?;
        }
        Ok(epsilon_or_infinite(acc.as_ref(), delta)? - target_epsilon)
    };

    // Bracket the root. For PLD, whose evaluations are expensive, start from the RDP answer
    // (usually 5–15 % above the PLD one) and step by 1.25; otherwise from σ = 1 by doubling.
    let (start, factor) = match spec.kind {
        AccountantKind::Pld => {
            let rdp = AccountantSpec::rdp();
            match calibrate_noise(target_epsilon, delta, schedule, &rdp) {
                Ok(c) => (c.noise_multiplier, 1.25),
                Err(_) => (1.0, 2.0),
            }
        }
        _ => (1.0, 2.0),
    };
    let mut sigma = start;
    let mut f = excess(sigma)?;
    let bracket = if f > 0.0 {
        let (mut lo, mut f_lo) = (sigma, f);
        loop {
            sigma *= factor;
            f = excess(sigma)?;
            if f <= 0.0 {
                break Bracket {
                    lo,
                    f_lo,
                    hi: sigma,
                    f_hi: f,
                };
            }
            if sigma >= SIGMA_MAX {
                return Err(AccountantError::UnreachableTarget {
                    target_epsilon,
                    floor: f + target_epsilon,
                    reason: "even a noise multiplier of 1e7 spends more",
                });
            }
            (lo, f_lo) = (sigma, f);
        }
    } else {
        let (mut hi, mut f_hi) = (sigma, f);
        loop {
            sigma /= factor;
            f = excess(sigma)?;
            if f > 0.0 {
                break Bracket {
                    lo: sigma,
                    f_lo: f,
                    hi,
                    f_hi,
                };
            }
            if sigma <= SIGMA_MIN {
                // Every σ we consider meets the target.
                return Ok(Calibration {
                    noise_multiplier: sigma,
                    epsilon: f + target_epsilon,
                });
            }
            (hi, f_hi) = (sigma, f);
        }
    };
    // Brent needs finite values; an infinite excess at the low end is as good as any positive.
    let bracket = Bracket {
        f_lo: bracket.f_lo.min(f64::MAX),
        ..bracket
    };
    let narrowed = brent(
        |s| Ok(excess(s)?.min(f64::MAX)),
        bracket,
        SIGMA_REL_TOL,
        0.0,
    )?;
    let (noise_multiplier, f_safe) = narrowed.non_positive_end();
    Ok(Calibration {
        noise_multiplier,
        epsilon: f_safe + target_epsilon,
    })
}

/// The largest number of steps `T` of the Poisson-subsampled Gaussian `(sample_rate,
/// noise_multiplier)` such that `fixed` followed by `T` steps spends at most `target_epsilon`
/// at `delta` (0 when not even one step fits, or the fixed events already exceed the target).
///
/// **Guarantee.** ε(fixed + T steps) ≤ target is evaluated for the returned T (an upper bound
/// under `spec`'s accountant), and ε(fixed + (T+1) steps) > target was evaluated too (or could
/// not be computed, which counts as exceeding). Exponential then binary search on T; with the
/// RDP accountant each evaluation reuses the cached per-step RDP vector and costs microseconds.
///
/// # Errors
/// [`AccountantError::ApproximationNotAllowed`] for a GDP spec; invalid ε, δ, q or σ.
pub fn max_steps_within(
    target_epsilon: f64,
    delta: f64,
    fixed: &[PrivacyEvent],
    sample_rate: f64,
    noise_multiplier: f64,
    spec: &AccountantSpec,
) -> Result<u64> {
    check_upper_bound(spec)?;
    check_target(target_epsilon)?;
    check_delta(delta)?;
    check_sample_rate(sample_rate)?;
    check_noise_multiplier(noise_multiplier)?;
    let mut base = spec.build();
    for event in fixed {
        base.compose(event)?;
    }
    if epsilon_or_infinite(base.as_ref(), delta)? > target_epsilon {
        return Ok(0);
    }
    // Per-step quantities of the mechanism, computed once and shared by every clone below.
    base.prepare(&PrivacyEvent::sampled_gaussian(
        sample_rate,
        noise_multiplier,
        1,
    )?)?;
    let fits = |steps: u64| -> Result<bool> {
        let mut acc = base.boxed_clone();
        acc.compose(&PrivacyEvent::sampled_gaussian(
            sample_rate,
            noise_multiplier,
            steps,
        )?)?;
        Ok(epsilon_or_infinite(acc.as_ref(), delta)? <= target_epsilon)
    };
    if !fits(1)? {
        return Ok(0);
    }
    // Exponential search for a failing count, then bisection between the last success and it.
    let (mut good, mut bad) = (1_u64, 2_u64);
    loop {
        if !fits(bad)? {
            break;
        }
        good = bad;
        if bad >= u64::MAX / 4 {
            // Practically unbounded.
            return Ok(good);
        }
        bad *= 2;
    }
    while bad - good > 1 {
        let mid = good + (bad - good) / 2;
        if fits(mid)? {
            good = mid;
        } else {
            bad = mid;
        }
    }
    Ok(good)
}

/// The privacy spent by everything on `ledger`, as computed by `spec`'s accountant at `delta`.
///
/// **Bound.** An upper bound on ε for add/remove-one when `spec` is RDP or PLD; for GDP the
/// guarantee says it is an approximation ([`crate::BoundKind::Approximation`]).
///
/// # Errors
/// [`AccountantError::InvalidDelta`], and whatever the accountant returns.
pub fn epsilon_of(
    ledger: &PrivacyLedger,
    spec: &AccountantSpec,
    delta: f64,
) -> Result<PrivacyGuarantee> {
    check_delta(delta)?;
    let mut accountant = spec.build();
    ledger.replay_into(accountant.as_mut())?;
    accountant.guarantee(delta)
}

fn check_upper_bound(spec: &AccountantSpec) -> Result<()> {
    match spec.kind.bound() {
        crate::BoundKind::UpperBound => Ok(()),
        crate::BoundKind::Approximation => {
            Err(AccountantError::ApproximationNotAllowed { kind: spec.kind })
        }
    }
}

fn check_target(target_epsilon: f64) -> Result<()> {
    if target_epsilon.is_finite() && target_epsilon > 0.0 {
        Ok(())
    } else {
        Err(AccountantError::InvalidEpsilon {
            value: target_epsilon,
        })
    }
}

/// ε at `delta` of what `accountant` has composed, with "no finite ε"
/// ([`AccountantError::EpsilonUnbounded`]) and "too large to account for"
/// ([`AccountantError::PldGridTooLarge`]) read as +∞.
///
/// For searches that only ever ask "does this fit within a target?": reading those two
/// failures as +∞ answers "no", the safe side. Other errors are returned.
///
/// # Errors
/// Every error of [`Accountant::epsilon`] except the two above.
pub fn epsilon_or_infinite(accountant: &dyn Accountant, delta: f64) -> Result<f64> {
    match accountant.epsilon(delta) {
        Ok(eps) => Ok(eps),
        Err(AccountantError::EpsilonUnbounded { .. } | AccountantError::PldGridTooLarge { .. }) => {
            Ok(f64::INFINITY)
        }
        Err(e) => Err(e),
    }
}
