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

mod bisect;
#[cfg(test)]
mod tests;

pub use bisect::last_fitting;
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

/// Below this noise multiplier the downward search no longer doubles but squares its step:
/// targets that need σ < 1e-4 are absurd (ε in the thousands or more), but they get a correct
/// answer, quickly.
const SIGMA_ACCELERATE: f64 = 1e-4;
/// Smallest noise multiplier tried: below it 1/(2σ²) overflows and every accountant reports
/// that no finite ε holds.
const SIGMA_FLOOR: f64 = 1e-150;
/// Largest noise multiplier tried before declaring the target unreachable.
const SIGMA_MAX: f64 = 1e7;
/// Relative width of the final bracket on σ.
const SIGMA_REL_TOL: f64 = 1e-6;

/// The noise multiplier for `schedule` that spends at most `target_epsilon` at `delta`.
///
/// **Guarantee.** Returns σ with ε(σ) ≤ `target_epsilon` under `spec`'s accountant (an upper
/// bound for add/remove-one), where ε(σ) is evaluated, not extrapolated, and the ε returned is
/// that evaluated value: the search brackets the root of ε(σ) = target (doubling or halving
/// from σ = 1; below σ = 1e-4 the step grows geometrically, down to σ = 1e-150), narrows it
/// with Brent's method to 1e-6 relative, and returns the end of the bracket on the safe side.
/// ε(σ) is non-increasing in σ for the Gaussian mechanisms composed here. A σ whose ε cannot be
/// certified (no finite ε) counts as spending too much.
///
/// # Errors
/// [`AccountantError::ApproximationNotAllowed`] for a GDP spec;
/// [`AccountantError::InvalidEpsilon`] unless the target is finite and > 0;
/// [`AccountantError::InvalidDelta`]; [`AccountantError::EmptySchedule`] without a calibrated
/// segment; [`AccountantError::InvalidSampleRate`] / [`AccountantError::ZeroCount`] for a bad
/// segment; [`AccountantError::UnreachableTarget`] when the fixed events alone spend the target
/// or even σ = 10⁷ does not meet it; [`AccountantError::TargetMeetsNoNoise`] when even
/// σ = 1e-150 meets the target (it bounds nothing); [`AccountantError::CalibrationOutOfRange`]
/// when the σ that meets the target is one the accountant cannot evaluate (a PLD grid too
/// large), rather than an answer far from the smallest σ.
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
    let templates = schedule
        .calibrated
        .iter()
        .map(|&(q, steps)| PrivacyEvent::sampled_gaussian(q, 1.0, steps))
        .collect::<Result<Vec<_>>>()?;
    calibrate(target_epsilon, delta, &schedule.fixed, &templates, spec)
}

/// The noise multiplier σ such that `fixed` followed by every event of `calibrated`, each with
/// its noise multiplier replaced by σ ([`PrivacyEvent::with_noise_multiplier`]), spends at
/// most `target_epsilon` at `delta`. The events keep their kind and count: planning the
/// discrete Gaussian releases of the private preprocessing with the very events the ledger
/// will record, say.
///
/// **Guarantee.** As [`calibrate_noise`], of which this is the general form
/// (`calibrate_noise` calibrates `(q, steps)` segments, i.e. Gaussian and Poisson-subsampled
/// Gaussian templates).
///
/// # Errors
/// As [`calibrate_noise`]; [`AccountantError::InvalidNoiseMultiplier`] for a template
/// without a noise multiplier (the exponential mechanism).
///
/// ```
/// use tabveil_accountant::{AccountantSpec, PrivacyEvent, calibrate_events};
///
/// // Twelve discrete Gaussian count releases (σ to be chosen) within ε = 0.5 at δ = 1e-6.
/// let template = PrivacyEvent::discrete_gaussian(1.0, 12)?;
/// let c = calibrate_events(0.5, 1e-6, &[], &[template], &AccountantSpec::pld())?;
/// assert!(c.epsilon <= 0.5);
/// # Ok::<(), tabveil_accountant::AccountantError>(())
/// ```
pub fn calibrate_events(
    target_epsilon: f64,
    delta: f64,
    fixed: &[PrivacyEvent],
    calibrated: &[PrivacyEvent],
    spec: &AccountantSpec,
) -> Result<Calibration> {
    check_upper_bound(spec)?;
    check_target(target_epsilon)?;
    check_delta(delta)?;
    if calibrated.is_empty() {
        return Err(AccountantError::EmptySchedule);
    }
    for template in calibrated {
        template.with_noise_multiplier(1.0)?;
    }
    calibrate(target_epsilon, delta, fixed, calibrated, spec)
}

/// [`calibrate_events`] for validated arguments.
fn calibrate(
    target_epsilon: f64,
    delta: f64,
    fixed: &[PrivacyEvent],
    templates: &[PrivacyEvent],
    spec: &AccountantSpec,
) -> Result<Calibration> {
    let mut base = spec.build();
    for event in fixed {
        base.compose(event)?;
    }
    let floor = epsilon_or_infinite(base.as_ref(), delta)?;
    if floor >= target_epsilon {
        return Err(AccountantError::UnreachableTarget {
            target_epsilon,
            floor,
            reason: "the fixed events alone spend it",
        });
    }

    // ε(σ), with "no finite ε" as +∞, and whether it could be evaluated at all (a PLD grid
    // too large cannot; it then counts as +∞ too). Every value is kept, so the ε returned is
    // the one evaluated at the σ returned (never reconstructed from ε − target, which loses
    // everything when the target is huge: issue 12).
    let mut evaluated: Vec<(u64, Evaluation)> = Vec::new();
    let mut epsilon_at = |sigma: f64| -> Result<Evaluation> {
        if let Some(&(_, e)) = evaluated.iter().find(|(b, _)| *b == sigma.to_bits()) {
            return Ok(e);
        }
        let mut acc = base.boxed_clone();
        let computed = templates
            .iter()
            .try_for_each(|t| acc.compose(&t.with_noise_multiplier(sigma)?))
            .and_then(|()| acc.epsilon(delta));
        let e = match computed {
            Ok(epsilon) => Evaluation {
                epsilon,
                evaluable: true,
            },
            Err(AccountantError::EpsilonUnbounded { .. }) => Evaluation {
                epsilon: f64::INFINITY,
                evaluable: true,
            },
            Err(AccountantError::PldGridTooLarge { .. }) => Evaluation {
                epsilon: f64::INFINITY,
                evaluable: false,
            },
            Err(e) => return Err(e),
        };
        evaluated.push((sigma.to_bits(), e));
        Ok(e)
    };
    // ε − target, finite for Brent.
    let excess = |eps: f64| (eps - target_epsilon).clamp(-f64::MAX, f64::MAX);

    // Bracket the root. For PLD, whose evaluations are expensive, start from the RDP answer
    // (usually 5–15 % above the PLD one) and step by 1.25; otherwise from σ = 1 by doubling.
    // Steps grow geometrically through σ that cannot be evaluated (upwards) and below
    // σ = 1e-4 (downwards), so absurd targets cost tens of evaluations, not hundreds.
    let (start, factor) = match spec.kind {
        AccountantKind::Pld => {
            let rdp = AccountantSpec::rdp();
            match calibrate(target_epsilon, delta, fixed, templates, &rdp) {
                Ok(c) => (c.noise_multiplier, 1.25),
                Err(_) => (1.0, 2.0),
            }
        }
        _ => (1.0, 2.0),
    };
    let mut sigma = start;
    let mut at = epsilon_at(sigma)?;
    let (mut lo, mut at_lo, hi, at_hi) = if at.epsilon > target_epsilon {
        let (mut lo, mut at_lo) = (sigma, at);
        let mut step = factor;
        loop {
            sigma = (sigma * step).min(SIGMA_MAX);
            at = epsilon_at(sigma)?;
            if at.epsilon <= target_epsilon {
                break (lo, at_lo, sigma, at);
            }
            if sigma >= SIGMA_MAX {
                return Err(AccountantError::UnreachableTarget {
                    target_epsilon,
                    floor: at.epsilon,
                    reason: "even a noise multiplier of 1e7 spends more",
                });
            }
            if !at.evaluable {
                step = (step * step).min(1e4);
            }
            (lo, at_lo) = (sigma, at);
        }
    } else {
        let (mut hi, mut at_hi) = (sigma, at);
        let mut step = factor;
        loop {
            sigma = (sigma / step).max(SIGMA_FLOOR);
            at = epsilon_at(sigma)?;
            if at.epsilon > target_epsilon {
                break (sigma, at, hi, at_hi);
            }
            if sigma <= SIGMA_FLOOR {
                return Err(AccountantError::TargetMeetsNoNoise {
                    target_epsilon,
                    noise_multiplier: sigma,
                    epsilon: at.epsilon,
                });
            }
            if sigma < SIGMA_ACCELERATE {
                step = (step * step).min(1e16);
            }
            (hi, at_hi) = (sigma, at);
        }
    };
    // The low end could not be evaluated: look (in log σ) for an evaluable σ that spends more
    // than the target. If the unevaluable region reaches within 1 % of an end that meets the
    // target, the σ that would meet it tightly cannot be certified: say so instead of
    // returning a σ whose ε may be far below the target.
    let mut hi = hi;
    let mut at_hi = at_hi;
    while !at_lo.evaluable {
        if hi / lo <= 1.01 {
            return Err(AccountantError::CalibrationOutOfRange {
                target_epsilon,
                noise_multiplier: hi,
                epsilon: at_hi.epsilon,
                accountant: spec.kind,
            });
        }
        let mid = (lo * hi).sqrt();
        let at_mid = epsilon_at(mid)?;
        if at_mid.epsilon <= target_epsilon {
            (hi, at_hi) = (mid, at_mid);
        } else {
            (lo, at_lo) = (mid, at_mid);
        }
    }
    let bracket = Bracket {
        lo,
        f_lo: excess(at_lo.epsilon),
        hi,
        f_hi: excess(at_hi.epsilon),
    };
    let narrowed = brent(
        |s| Ok(excess(epsilon_at(s)?.epsilon)),
        bracket,
        SIGMA_REL_TOL,
        0.0,
    )?;
    let (noise_multiplier, _) = narrowed.non_positive_end();
    let epsilon = epsilon_at(noise_multiplier)?.epsilon;
    if epsilon.is_nan() || epsilon > target_epsilon {
        return Err(AccountantError::Numerical {
            what: "calibration ended on a noise multiplier above the target",
        });
    }
    Ok(Calibration {
        noise_multiplier,
        epsilon,
    })
}

/// ε at one noise multiplier during calibration.
#[derive(Debug, Clone, Copy)]
struct Evaluation {
    /// ε, +∞ when no finite ε holds or when it could not be evaluated.
    epsilon: f64,
    /// False when the accountant could not evaluate it (a PLD grid too large).
    evaluable: bool,
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
    last_fitting(good, bad, fits)
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
