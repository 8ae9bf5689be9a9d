//! The privacy loss distribution of the discrete Gaussian mechanism (integer query, L2
//! sensitivity 1), from the discrete Gaussian's probability mass function.
//!
//! With `Q = N_ℤ(0, σ²)` (without the row) and `P = N_ℤ(1, σ²)` (with it), the privacy loss at
//! the integer output y is `L(y) = (2y − 1)/(2σ²)`: a lattice of spacing 1/σ². For ε on the
//! accountant's grid, the hockey-stick divergence is
//! `δ(ε) = P[Y ≥ y*] − e^ε Q[Y ≥ y*] = T(y* − 1) − e^ε T(y*)` with `y*` the first y of loss
//! above ε and `T(k) = Q[Y ≥ k]` (Canonne, Kamath & Steinke 2020, Theorem 7). The reflection
//! y ↦ 1 − y swaps P and Q, so the add and remove directions have the same distribution.
//! The grid distribution is the pessimistic connect-the-dots one (as for the continuous
//! Gaussian): δ is evaluated exactly (up to the bounds below) at the grid points, and the
//! chords lie above δ, which is convex in e^ε.
//!
//! `T` comes with rigorous lower and upper bounds, and `δ(ε)` takes the upper one for the
//! positive term and the lower one for the subtracted term:
//! - σ ≤ 1e4: `T(k)` is a sum of `exp(−y²/(2σ²))` over |y| ≤ 10σ + 3, summed from the tails
//!   inwards (relative error ≤ (n + 100)u, n terms), plus the tail beyond, bounded by the
//!   integral `∫_Y^∞ e^{−y²/(2σ²)} dy`; the normaliser likewise;
//! - σ > 1e4: `∫_k^∞ f ≤ Σ_{y ≥ k} f(y) ≤ f(k) + ∫_k^∞ f` for k ≥ 1 (f decreasing), symmetry
//!   below, and `√(2π)σ ≤ Z ≤ √(2π)σ(1 + 3e^{−2π²σ²})` (Poisson summation). The slack is
//!   `f(k)/Z`, about `(k/σ)/σ` relative in the tail: ≤ 1e-3 at 10σ.
//!
//! The extra 100u also covers the sampler's rounding of σ² up to a rational (2⁻⁶⁰ relative),
//! which moves each mass by less than 60·2⁻⁶⁰ relative over |y| ≤ 10σ.

use super::PldConfig;
use super::discretise::{connect_the_dots, grid_points, norm_ppf_of_log};
use super::pmf::Pmf;
use crate::error::{AccountantError, Result};
use crate::special::{log_norm_cdf, norm_cdf};

/// Above this σ the tail sums come from integral bounds instead of explicit sums.
const EXPLICIT_SUM_MAX_SIGMA: f64 = 1e4;

/// The pessimistic grid PMF of one discrete Gaussian release with scale σ (both directions).
///
/// # Errors
/// [`AccountantError::PldGridTooLarge`] when the grid would exceed the configured limit.
pub(crate) fn discrete_gaussian_pmf(sigma: f64, config: &PldConfig) -> Result<Pmf> {
    let h = config.discretisation_interval();
    // The grid covers the losses of outputs within |z_t|σ + 1 of the centres (mass beyond is
    // e^{bound}); what lies beyond is in δ at the end points, so nothing is lost.
    let z_t = -norm_ppf_of_log(0.5_f64.ln() + config.log_mass_truncation_bound());
    let reach = (z_t * sigma).ceil() + 2.0;
    let loss = |y: f64| (2.0 * y - 1.0) / (2.0 * sigma) / sigma;
    let k_lo = (loss(-reach) / h).floor();
    let k_hi = (loss(reach + 1.0) / h).ceil();
    if reach >= 1e15 {
        // The explicit sums would not fit in memory long before this; so would the grid.
        return Err(AccountantError::PldGridTooLarge {
            points: u64::MAX,
            limit: config.max_grid_points(),
        });
    }
    let n = grid_points(k_lo, k_hi, config)?;
    let tails = Tails::new(sigma, reach);
    let k_lo = k_lo as i64;
    let deltas: Vec<f64> = (0..n)
        .map(|i| {
            let epsilon = (k_lo + i as i64) as f64 * h;
            hockey_stick(&tails, sigma, epsilon)
        })
        .collect();
    Ok(connect_the_dots(h, k_lo, deltas))
}

/// δ(ε) of the pair (N_ℤ(1, σ²), N_ℤ(0, σ²)), never below the exact value (see the module
/// documentation): the largest `T_up(k − 1) − e^ε T_low(k)` over the cut-offs next to the
/// computed one (the exact δ is the maximum over all cut-offs, attained at y*).
fn hockey_stick(tails: &Tails, sigma: f64, epsilon: f64) -> f64 {
    let cut = (epsilon * sigma * sigma + 0.5).floor() + 1.0;
    let e = epsilon.exp() * (1.0 - 4.0 * f64::EPSILON * (1.0 + epsilon.abs()));
    let mut best = 0.0_f64;
    for k in [cut - 1.0, cut, cut + 1.0] {
        let (_, upper) = tails.bounds(k - 1.0);
        let (lower, _) = tails.bounds(k);
        best = best.max(upper - e * lower);
    }
    best.clamp(0.0, 1.0)
}

/// Lower and upper bounds on `T(k) = P[N_ℤ(0, σ²) ≥ k]`.
#[derive(Debug)]
enum Tails {
    /// `sums[j]` = Σ_{y ≥ j − reach, |y| ≤ reach} f(y), `beyond` bounds Σ_{y > reach} f(y).
    Explicit {
        reach: i64,
        sums: Vec<f64>,
        beyond: f64,
        z_low: f64,
        z_up: f64,
        slack: f64,
    },
    /// Integral bounds (large σ).
    Integral { sigma: f64, z_low: f64, z_up: f64 },
}

impl Tails {
    fn new(sigma: f64, reach: f64) -> Self {
        let u = f64::EPSILON;
        let root_two_pi = (2.0 * std::f64::consts::PI).sqrt();
        if sigma > EXPLICIT_SUM_MAX_SIGMA {
            let poisson = 3.0 * (-2.0 * std::f64::consts::PI.powi(2) * sigma * sigma).exp();
            return Tails::Integral {
                sigma,
                z_low: root_two_pi * sigma * (1.0 - 4.0 * u),
                z_up: root_two_pi * sigma * (1.0 + poisson + 4.0 * u),
            };
        }
        let reach_i = reach as i64;
        let f = |y: i64| {
            let y = y as f64;
            (-(y * y) / (2.0 * sigma * sigma)).exp()
        };
        // Sums over [j, reach] from the outer tail inwards (small terms first).
        let len = (2 * reach_i + 2) as usize;
        let mut sums = vec![0.0; len];
        let mut acc = 0.0;
        for j in (0..len - 1).rev() {
            acc += f(j as i64 - reach_i);
            sums[j] = acc;
        }
        // Σ_{y > reach} f(y) ≤ ∫_reach^∞ f = σ√(2π) Φ(−reach/σ).
        let beyond = (root_two_pi * sigma * norm_cdf(-reach / sigma) * (1.0 + 8.0 * u)).next_up();
        let slack = (len as f64 + 100.0) * u;
        let total = sums[0];
        Tails::Explicit {
            reach: reach_i,
            sums,
            beyond,
            z_low: total * (1.0 - slack),
            z_up: (total + 2.0 * beyond) * (1.0 + slack),
            slack,
        }
    }

    /// `(T_low(k), T_up(k))` for an integer-valued k.
    fn bounds(&self, k: f64) -> (f64, f64) {
        match *self {
            Tails::Explicit {
                reach,
                ref sums,
                beyond,
                z_low,
                z_up,
                slack,
            } => {
                let k = k as i64;
                if k <= -reach {
                    // At least everything from −reach up; at most all of it.
                    return ((sums[0] * (1.0 - slack) / z_up).min(1.0), 1.0);
                }
                if k > reach {
                    return (0.0, (beyond * (1.0 + slack) / z_low).min(1.0));
                }
                let s = sums[(k + reach) as usize];
                let low = s * (1.0 - slack) / z_up;
                let up = (s + beyond) * (1.0 + slack) / z_low;
                (low.min(1.0), up.min(1.0))
            }
            Tails::Integral { sigma, z_low, z_up } => integral_bounds(k, sigma, z_low, z_up),
        }
    }
}

/// Integral bounds on `T(k)` (see the module documentation).
fn integral_bounds(k: f64, sigma: f64, z_low: f64, z_up: f64) -> (f64, f64) {
    let u = f64::EPSILON;
    let root_two_pi = (2.0 * std::f64::consts::PI).sqrt();
    // For m ≥ 1: ∫_m^∞ f = σ√(2π) Φ(−m/σ) ≤ S(m) ≤ f(m) + ∫_m^∞ f.
    let upper_tail = |m: f64| -> (f64, f64) {
        let integral = root_two_pi * sigma * (log_norm_cdf(-m / sigma)).exp();
        let f_m = (-(m * m) / (2.0 * sigma * sigma)).exp();
        let low = integral * (1.0 - 16.0 * u * (1.0 + (m / sigma).powi(2))) / z_up;
        let up = (integral + f_m) * (1.0 + 16.0 * u * (1.0 + (m / sigma).powi(2))) / z_low;
        (low.clamp(0.0, 1.0), up.clamp(0.0, 1.0))
    };
    if k >= 1.0 {
        upper_tail(k)
    } else {
        // T(k) = 1 − T(1 − k) by symmetry.
        let (low, up) = upper_tail(1.0 - k);
        ((1.0 - up).max(0.0), (1.0 - low).min(1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails_bracket_each_other_and_agree_across_the_switch() {
        for sigma in [0.7, 3.0, 40.0] {
            let reach = (9.75_f64 * sigma).ceil() + 2.0;
            let t = Tails::new(sigma, reach);
            let mut previous = 1.0;
            for k in -(reach as i64) - 3..=(reach as i64) + 3 {
                let (low, up) = t.bounds(k as f64);
                assert!(low <= up, "σ={sigma} k={k}: {low} > {up}");
                assert!(up <= previous + 1e-15, "T must decrease");
                previous = up;
            }
            // T(0) + T(1) = 1 by symmetry (T(1) = P[Y ≥ 1] = P[Y ≤ −1]).
            let (l0, u0) = t.bounds(0.0);
            let (l1, u1) = t.bounds(1.0);
            assert!(l0 + l1 <= 1.0 + 1e-15 && u0 + u1 >= 1.0 - 1e-15);
        }
        // Near the switch, the explicit sums and the integral bounds bracket the same values.
        let sigma = 9_000.0;
        let explicit = Tails::new(sigma, (9.75 * sigma).ceil() + 2.0);
        let root_two_pi = (2.0 * std::f64::consts::PI).sqrt();
        for k in [1.0, 5_000.0, 30_000.0, 80_000.0] {
            let (el, eu) = explicit.bounds(k);
            let (il, iu) = integral_bounds(
                k,
                sigma,
                root_two_pi * sigma * (1.0 - 1e-15),
                root_two_pi * sigma * (1.0 + 1e-15),
            );
            assert!(el <= iu && il <= eu, "k={k}: [{el}, {eu}] vs [{il}, {iu}]");
        }
    }

    #[test]
    fn grid_distribution_keeps_its_mass() {
        let config = PldConfig::default()
            .with_discretisation_interval(1e-3)
            .unwrap();
        let pmf = discrete_gaussian_pmf(2.0, &config).unwrap();
        let total: f64 = pmf.probs.iter().sum::<f64>() + pmf.infinity;
        assert!((total - 1.0).abs() < 1e-9, "{total}");
    }
}
