//! Choosing k₊ and k₋ before the run's scores are seen, from the declared mechanism alone.
//!
//! The rule (k₊, k₋) must not depend on the canaries' scores, or the bound has to pay for the
//! search ([`Guessing::Search`]). The declared mechanism — q, σ and the number of releases —
//! does not depend on the inclusion bits, so a rule chosen from it alone can be fixed at full
//! confidence: simulate the canary coordinates of that mechanism (with randomness of the
//! auditor's own, not the run's), score them as the audit will, and keep the rule with the
//! largest mean bound.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::observer::llr_of;
use crate::error::{AuditError, Result};
use crate::guess::{Guessing, guess_and_bound};

/// The declared mechanism of a white-box audit, as the auditor knows it before scoring.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeclaredMechanism {
    /// Poisson sampling rate q.
    pub sample_rate: f64,
    /// Noise multiplier σ.
    pub noise_multiplier: f64,
    /// Releases (DP-SGD steps).
    pub releases: u64,
}

/// The fixed (k₊, k₋) with the largest mean bound over `simulations` simulated runs of
/// `mechanism` with `canaries` canaries, among k₊ and k₋ in {0, 1, 2, 3, 5, 7.5, 10, 15, 20,
/// 30, 40, 50} % of m (at least one guess). `seed` drives the simulation only.
///
/// # Errors
/// [`AuditError::InvalidParameter`] for a mechanism without noise or sampling, no canary or no
/// simulation.
pub fn planned_guessing(
    mechanism: DeclaredMechanism,
    canaries: usize,
    delta: f64,
    confidence: f64,
    simulations: usize,
    seed: u64,
) -> Result<Guessing> {
    let DeclaredMechanism {
        sample_rate: q,
        noise_multiplier: sigma,
        releases,
    } = mechanism;
    if !(q > 0.0 && q <= 1.0 && sigma > 0.0 && sigma.is_finite()) || releases == 0 {
        return Err(AuditError::InvalidParameter {
            parameter: "declared mechanism",
            value: sigma,
            expected: "q in (0, 1], σ finite and > 0, at least one release",
        });
    }
    if canaries == 0 || simulations == 0 {
        return Err(AuditError::InvalidParameter {
            parameter: "canaries × simulations",
            value: 0.0,
            expected: "≥ 1",
        });
    }
    let percents = [
        0.0, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0,
    ];
    let ks: Vec<usize> = {
        let mut ks: Vec<usize> = percents
            .iter()
            .map(|p| (p / 100.0 * canaries as f64).round() as usize)
            .collect();
        ks.dedup();
        ks
    };
    let rules: Vec<(usize, usize)> = ks
        .iter()
        .flat_map(|&a| ks.iter().map(move |&b| (a, b)))
        .filter(|&(a, b)| a + b >= 1 && a + b <= canaries)
        .collect();
    let mut totals = vec![0.0; rules.len()];
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..simulations {
        let included: Vec<bool> = (0..canaries).map(|_| rng.random::<bool>()).collect();
        let scores: Vec<f64> = included
            .iter()
            .map(|&inc| {
                (0..releases)
                    .map(|_| {
                        let hit = inc && (q >= 1.0 || rng.random::<f64>() < q);
                        let noise: f64 = StandardNormal.sample(&mut rng);
                        llr_of(f64::from(u8::from(hit)) + sigma * noise, q, sigma)
                    })
                    .sum()
            })
            .collect();
        for (total, &(k_plus, k_minus)) in totals.iter_mut().zip(&rules) {
            let rule = Guessing::Fixed { k_plus, k_minus };
            *total +=
                guess_and_bound(&scores, &included, &rule, delta, confidence)?.epsilon_lower_bound;
        }
    }
    let best = totals
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| rules[i])
        .ok_or(AuditError::Internal("no rule to plan"))?;
    Ok(Guessing::Fixed {
        k_plus: best.0,
        k_minus: best.1,
    })
}
