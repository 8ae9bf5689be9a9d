//! A privacy loss distribution on a grid: masses at losses `(lower + i) · h`, plus a mass at
//! +∞.

/// A discrete privacy loss distribution (one direction of a mechanism).
///
/// `probs[i]` is the probability of the privacy loss `(lower + i) · interval`; `infinity` the
/// probability of an infinite loss (mass truncated pessimistically, or the hockey-stick value
/// beyond the grid). The masses need not sum to exactly 1.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pmf {
    pub(crate) interval: f64,
    pub(crate) lower: i64,
    pub(crate) probs: Vec<f64>,
    pub(crate) infinity: f64,
}

impl Pmf {
    /// The hockey-stick divergence δ(ε) = p_∞ + Σ_{L_i > ε} p_i (1 − e^{ε − L_i}).
    ///
    /// For a pessimistic PLD this is an upper bound on the mechanism's δ(ε) (Doroshenko et al.
    /// 2022, Observation 1 of the supplementary material of Meiser & Mohammadi 2018).
    /// The sum is padded by a bound on its rounding error (n terms, each within 2 ulps): never
    /// below the exact hockey-stick value of these masses.
    pub(crate) fn delta_for_epsilon(&self, epsilon: f64) -> f64 {
        let mut delta = self.infinity;
        let mut terms = 1.0;
        for (i, &p) in self.probs.iter().enumerate().rev() {
            let loss = self.loss(i);
            if loss <= epsilon {
                break;
            }
            delta += -(epsilon - loss).exp_m1() * p;
            terms += 1.0;
        }
        (delta * (1.0 + 4.0 * terms * f64::EPSILON)).min(1.0)
    }

    /// The smallest ε ≥ 0 with δ(ε) ≤ `delta`, or `None` when no finite ε works (the mass at
    /// +∞ exceeds δ).
    ///
    /// Scanning the grid from the top, δ(ε) = M⁺ − e^ε M⁻ on the interval between two grid
    /// losses, with M⁺ = p_∞ + Σ_{L_i > ε} p_i and M⁻ = Σ_{L_i > ε} p_i e^{−L_i}; the answer is
    /// `ln((M⁺ − δ)/M⁻)` on the first interval where it lands (dp_accounting 0.6.0,
    /// `pld_pmf._get_epsilon_for_delta`, uses the same scan). M⁺ is padded up and M⁻ down by a
    /// bound on their summation error (n terms, each within 2 ulps), so the value is never
    /// below the exact one for these masses.
    pub(crate) fn epsilon_for_delta(&self, delta: f64) -> Option<f64> {
        if self.infinity > delta {
            return None;
        }
        let mut mass_upper = self.infinity;
        let mut mass_lower = 0.0_f64;
        let mut terms = 2.0;
        for (i, &p) in self.probs.iter().enumerate().rev() {
            let loss = self.loss(i);
            // In log space: (M⁺ − δ)/M⁻ overflows once M⁻ is tiny (losses near 700).
            if mass_upper > delta
                && mass_lower > 0.0
                && (mass_upper - delta).ln() - mass_lower.ln() >= loss
            {
                break;
            }
            mass_upper += p;
            mass_lower += (-loss).exp() * p;
            terms += 1.0;
            if mass_upper >= delta && mass_lower == 0.0 {
                // exp(−loss) underflowed: the loss is huge.
                return Some(loss.max(0.0));
            }
        }
        let slack = 4.0 * terms * f64::EPSILON;
        let upper = mass_upper * (1.0 + slack);
        let lower = mass_lower * (1.0 - slack);
        if upper <= lower + delta {
            return Some(0.0);
        }
        Some(((upper - delta).ln() - lower.ln()).next_up().max(0.0))
    }

    fn loss(&self, i: usize) -> f64 {
        (self.lower + i as i64) as f64 * self.interval
    }
}
