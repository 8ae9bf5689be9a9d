//! The exponential mechanism as an ε-bounded-range mechanism: its RDP bound and its privacy
//! profile.
//!
//! An ε-BR mechanism has, for every pair of neighbouring inputs, privacy losses in an interval
//! of width ε (Durfee & Rogers 2019, "Practical differentially private top-k selection with
//! pay-what-you-get composition"); the exponential mechanism selecting with probability
//! ∝ exp(ε·score/(2Δ)) is ε-BR, and ε-BR implies ε-DP.

use crate::rounding::{div_up, mul_up};

/// Per-run RDP of an ε-BR mechanism at order α: `min(α ε²/8, ε)`, rounded up.
///
/// **Bound.** Upper bound for add/remove-one (any neighbouring relation): ε-BR implies
/// ε²/8-zCDP (Cesar & Rogers 2021, "Bounding, concentrating, and truncating: unifying privacy
/// loss composition for data analytics", ALT, §3 — Hoeffding's lemma applied to a privacy loss
/// confined to an interval of width ε gives `D_α ≤ KL + (α − 1)ε²/8` and `KL ≤ ε²/8`), i.e.
/// `D_α ≤ α ε²/8` for every α > 1; and ε-DP gives `D_α ≤ D_∞ ≤ ε`.
pub(crate) fn bounded_range_rdp(epsilon: f64, alpha: f64) -> f64 {
    let zcdp = div_up(mul_up(alpha, mul_up(epsilon, epsilon)), 8.0);
    zcdp.min(epsilon)
}

/// The privacy profile of the worst ε-BR mechanism: `δ(x) = (e^{ε/2} − e^{x/2})²/(e^ε − 1)` for
/// `0 ≤ x ≤ ε`, 0 above; below 0 by the symmetry of the class,
/// `δ(x) = 1 − e^x + e^x δ(−x)`.
///
/// **Derivation.** Dong, Durfee & Rogers (2020), "Optimal differential privacy composition for
/// exponential mechanisms" (ICML), §3.1/§4: every ε-BR mechanism is dominated by a generalised
/// randomised response `GRR_t` (two outcomes, losses `(1 − t)ε` and `−tε`), whose profile for
/// x ≥ 0 is `(e^ε − e^{(1−t)ε} − e^{x+tε} + e^x)/(e^ε − 1)`; its maximum over t ∈ [0, 1] is at
/// `e^{tε} = e^{(ε−x)/2}` and gives the formula above. It is the exact supremum over the class
/// for one run (δ(0) = tanh(ε/4)). Its privacy loss distribution has density
/// `e^{ε/2} e^{y/2}/(2(e^ε − 1))` on `[−ε, ε]`, the same in both directions; composing those
/// distributions (Zhu, Dong & Wang 2022, dominating pairs compose adaptively, Theorem 10) is
/// an upper bound for adaptive runs, which may exceed DDR's optimal adaptive composition.
///
/// The value is computed without cancellation (`e^{x/2} expm1((ε − x)/2)`) and rounded up by
/// 8 ulps, which covers the error of its few elementary operations.
pub(crate) fn bounded_range_hockey_stick(epsilon: f64, x: f64) -> f64 {
    let up = |v: f64| (v + 8.0 * f64::EPSILON * v).next_up().clamp(0.0, 1.0);
    if x >= epsilon {
        return 0.0;
    }
    if x >= 0.0 {
        let gap = (0.5 * (epsilon - x)).exp_m1();
        return up(x.exp() * gap * gap / epsilon.exp_m1());
    }
    if x <= -epsilon {
        return up(-x.exp_m1());
    }
    let mirrored = {
        let gap = (0.5 * (epsilon + x)).exp_m1();
        (-x).exp() * gap * gap / epsilon.exp_m1()
    };
    up(-x.exp_m1() + x.exp() * mirrored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_matches_the_closed_forms() {
        for eps in [0.01_f64, 0.5, 1.0, 3.0] {
            // δ(0) = tanh(ε/4); δ(ε) = 0; continuous at 0 from below.
            let at0 = bounded_range_hockey_stick(eps, 0.0);
            assert!(
                (at0 - (eps / 4.0).tanh()).abs() <= 1e-15 * (1.0 + at0),
                "{eps}"
            );
            assert_eq!(bounded_range_hockey_stick(eps, eps), 0.0);
            let below = bounded_range_hockey_stick(eps, -1e-12);
            assert!((below - at0).abs() < 1e-11);
            // δ(−ε) = 1 − e^{−ε}: every loss is above −ε.
            let bottom = bounded_range_hockey_stick(eps, -eps);
            assert!((bottom - (-(-eps).exp_m1())).abs() < 1e-14);
            // Never below the generalised randomised response at any t (the reference is
            // computed with cancellation, to ~1e-11 relative at ε = 0.01).
            for t in [0.0, 0.1, 0.3, 0.5, 0.9] {
                for x in [0.0, 0.2 * eps, 0.6 * eps] {
                    let grr = ((eps.exp() - ((1.0 - t) * eps).exp() - (x + t * eps).exp()
                        + x.exp())
                        / eps.exp_m1())
                    .max(0.0);
                    assert!(bounded_range_hockey_stick(eps, x) >= grr * (1.0 - 1e-9));
                }
            }
        }
    }

    #[test]
    fn rdp_is_the_smaller_of_zcdp_and_pure_dp() {
        assert!((bounded_range_rdp(0.1, 2.0) - 2.0 * 0.01 / 8.0).abs() < 1e-17);
        assert!(bounded_range_rdp(0.1, 2.0) >= 2.0 * 0.01 / 8.0);
        assert_eq!(bounded_range_rdp(1.0, 100.0), 1.0);
    }
}
