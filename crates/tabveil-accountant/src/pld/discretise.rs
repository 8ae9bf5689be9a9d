//! The pessimistic connect-the-dots PLD of one step of the Poisson-subsampled Gaussian.
//!
//! Algorithm 1 of Doroshenko, Ghazi, Kamath, Kumar & Manurangsi (2022), "Connect the dots:
//! tighter discrete approximations of privacy loss distributions", on the grid of multiples of
//! the discretisation interval, as dp_accounting 0.6.0 does it
//! (`privacy_loss_distribution._create_pld_pmf_from_monotone_privacy_loss` with
//! `use_connect_dots=True`, `pld_pmf.create_pmf_pessimistic_connect_dots_fixed_gap`,
//! `privacy_loss_mechanism.GaussianPrivacyLoss`). Our code follows the same mathematics and
//! the same grid, so the two agree to rounding; see `NOTES.md`.

use std::f64::consts::PI;

use super::PldConfig;
use super::pmf::Pmf;
use crate::error::{AccountantError, Result};
use crate::special::{log_norm_cdf, norm_cdf};

/// Which of the two worst-case pairs of an add/remove-one mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// `P = (1−q) N(0, σ²) + q N(−1, σ²)` against `Q = N(0, σ²)` (a row is removed).
    Remove,
    /// `P = N(0, σ²)` against `Q = (1−q) N(0, σ²) + q N(1, σ²)` (a row is added).
    Add,
}

/// The connect-the-dots PMF of one step of the Poisson-subsampled Gaussian in `direction`
/// (for q = 1, the Gaussian mechanism; both directions are then the same distribution).
///
/// **Bound.** Pessimistic: for every ε, the δ(ε) of the returned PMF is at least the
/// mechanism's (Doroshenko et al. 2022, Theorem 3.1: the connect-the-dots PMF dominates when
/// its δ interpolates the true δ at the grid points, linearly in e^ε, because δ is convex in
/// e^ε; mass beyond the grid goes to +∞).
pub(crate) fn subsampled_gaussian_pmf(
    q: f64,
    sigma: f64,
    direction: Direction,
    config: &PldConfig,
) -> Result<Pmf> {
    let mech = Mechanism {
        q,
        sigma,
        direction,
    };
    let h = config.discretisation_interval();
    // Noise values beyond ±|z_t|σ (shifted by the sensitivity on the side of the other
    // component) carry mass e^{bound}; their losses are covered by the grid's end points. In
    // standardised units (z = x/σ), so that nothing overflows for σ near f64::MAX.
    let z_t = norm_ppf_of_log(0.5_f64.ln() + config.log_mass_truncation_bound());
    let mut lower_z = z_t;
    let mut upper_z = -z_t;
    match direction {
        Direction::Remove => lower_z -= 1.0 / sigma,
        Direction::Add => upper_z += 1.0 / sigma,
    }
    let eps_upper = mech.privacy_loss(lower_z);
    let eps_lower = mech.privacy_loss(upper_z);
    let k_lo = (eps_lower / h).floor();
    let k_hi = (eps_upper / h).ceil();
    let n = grid_points(k_lo, k_hi, config)?;
    let k_lo = k_lo as i64;
    let deltas: Vec<f64> = (0..n)
        .map(|i| mech.hockey_stick((k_lo + i as i64) as f64 * h))
        .collect();
    Ok(connect_the_dots(h, k_lo, deltas))
}

/// The number of grid points from `k_lo` to `k_hi` (whole numbers as `f64`), checked against
/// the configured limit before anything is allocated.
///
/// # Errors
/// [`AccountantError::PldGridTooLarge`] when it exceeds the limit (or is not finite).
pub(crate) fn grid_points(k_lo: f64, k_hi: f64, config: &PldConfig) -> Result<usize> {
    let points = k_hi - k_lo + 1.0;
    let limit = config.max_grid_points();
    if points.is_finite() && points <= limit as f64 {
        Ok(points as usize)
    } else {
        Err(AccountantError::PldGridTooLarge {
            points: if points.is_finite() {
                points as u64
            } else {
                u64::MAX
            },
            limit,
        })
    }
}

/// One direction of the subsampled Gaussian with sensitivity 1.
#[derive(Debug, Clone, Copy)]
struct Mechanism {
    q: f64,
    sigma: f64,
    direction: Direction,
}

impl Mechanism {
    /// The privacy loss `ln(P(x)/Q(x))` at the standardised output `z = x/σ` (non-increasing
    /// in z). Never forms σ², which overflows for σ > 1e154 and is subnormal below 1e-154.
    fn privacy_loss(&self, z: f64) -> f64 {
        let inv = 1.0 / self.sigma;
        match self.direction {
            // ln(1 − q + q e^{(−1/2 − x)/σ²}), (−1/2 − x)/σ² = (−1/(2σ) − z)/σ
            Direction::Remove => ln_mixture(self.q, (-0.5 * inv - z) * inv),
            // −ln(1 − q + q e^{(x − 1/2)/σ²})
            Direction::Add => -ln_mixture(self.q, (z - 0.5 * inv) * inv),
        }
    }

    /// δ(ε) = P(x ≤ x*) − e^ε Q(x ≤ x*), where x* is the largest output with loss ≥ ε, plus a
    /// bound on its floating-point error, so never below the exact value.
    ///
    /// Everything is computed on the standardised output z = x/σ (so σ² is never formed), the
    /// subtracted term in log space. Error model as in `crate::gaussian::delta_unchecked`
    /// (elementary functions within 2 ulps): z is within `Δz = 8u(|z| + 1/σ)`, a computed
    /// Φ(z) within `4u + s(z)Δz` relative with `s(z) ≥ φ(z)/Φ(z)` (|z| + 1 below 0, 2φ(z)
    /// above), the `exp` term also within `4u(|ε| + |ln·|)`; twice the total is added.
    fn hockey_stick(&self, epsilon: f64) -> f64 {
        let (q, sigma) = (self.q, self.sigma);
        let u = f64::EPSILON;
        let inv = 1.0 / sigma;
        let (positive, error) = match self.direction {
            Direction::Remove => {
                if q < 1.0 && epsilon <= (-q).ln_1p() {
                    // Every output has loss ≥ ln(1 − q) ≥ ε: δ = 1 − e^ε.
                    let d = -epsilon.exp_m1();
                    return (d + 4.0 * u * d).min(1.0);
                }
                let z = -0.5 * inv - sigma * ln_one_plus_expm1_over_q(epsilon, q);
                let phi_z = norm_cdf(z);
                let phi_z1 = norm_cdf(z + inv);
                let upper = if q == 1.0 {
                    phi_z1
                } else {
                    (1.0 - q) * phi_z + q * phi_z1
                };
                let log_lower = ln_cdf(phi_z, z);
                let lower = (epsilon + log_lower).exp();
                let error = phi_error(upper, z, inv).max(phi_error(upper, z + inv, inv))
                    + phi_error(lower, z, inv)
                    + finite_product(lower, 4.0 * u * (epsilon.abs() - log_lower));
                (upper - lower, error)
            }
            Direction::Add => {
                if q < 1.0 && epsilon >= -(-q).ln_1p() {
                    return 0.0;
                }
                let z = 0.5 * inv + sigma * ln_one_plus_expm1_over_q(-epsilon, q);
                let phi_z = norm_cdf(z);
                let log_lower = if q == 1.0 {
                    ln_cdf(norm_cdf(z - inv), z - inv)
                } else {
                    log_add_exp(
                        (-q).ln_1p() + ln_cdf(phi_z, z),
                        q.ln() + ln_cdf(norm_cdf(z - inv), z - inv),
                    )
                };
                let lower = (epsilon + log_lower).exp();
                let error = phi_error(phi_z, z, inv)
                    + phi_error(lower, z, inv).max(phi_error(lower, z - inv, inv))
                    + finite_product(lower, 4.0 * u * (epsilon.abs() - log_lower));
                (phi_z - lower, error)
            }
        };
        (positive.max(0.0) + 2.0 * error).next_up().clamp(0.0, 1.0)
    }
}

/// A bound on the absolute error of a computed value proportional to Φ(z) (see
/// [`Mechanism::hockey_stick`]); 0 for a value that underflowed to 0 (its error is below the
/// smallest double, covered by the final rounding up).
fn phi_error(value: f64, z: f64, inv_sigma: f64) -> f64 {
    if value == 0.0 {
        return 0.0;
    }
    let u = f64::EPSILON;
    let dz = 8.0 * u * (z.abs() + inv_sigma);
    let sensitivity = if z < 0.0 {
        -z + 1.0
    } else {
        2.0 * (-0.5 * z * z).exp() / (2.0 * PI).sqrt()
    };
    let relative = 4.0 * u + finite_product(sensitivity, dz);
    (value * relative).min(1.0)
}

/// `x · y`, with 0 for x = 0 whatever y (an underflowed term carries no error).
fn finite_product(x: f64, y: f64) -> f64 {
    if x == 0.0 { 0.0 } else { x * y }
}

/// `ln Φ(z)` given `Φ(z)` already computed: its logarithm while it is a normal number (its
/// relative accuracy carries over), the dedicated tail routine once it underflows.
fn ln_cdf(phi: f64, z: f64) -> f64 {
    if phi > 1e-290 {
        phi.ln()
    } else {
        log_norm_cdf(z)
    }
}

/// `ln(1 − q + q eᵇ)` without overflow.
fn ln_mixture(q: f64, b: f64) -> f64 {
    if q == 1.0 {
        return b;
    }
    if b < 700.0 {
        (q * b.exp_m1()).ln_1p()
    } else {
        b + q.ln() + ((1.0 - q) / q * (-b).exp()).ln_1p()
    }
}

/// `ln(1 + (eᵗ − 1)/q)` for `t > ln(1 − q)`, without overflow: the inverse of [`ln_mixture`].
fn ln_one_plus_expm1_over_q(t: f64, q: f64) -> f64 {
    if q == 1.0 {
        return t;
    }
    let r = t.exp_m1() / q;
    if r.is_finite() {
        r.ln_1p()
    } else {
        t - q.ln() + (-(1.0 - q) * (-t).exp()).ln_1p()
    }
}

fn log_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    if lo == f64::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// The connect-the-dots PMF on the grid `(k_lo + i) h`, i = 0…n−1, from the hockey-stick
/// values δ_i at those losses: the unique PMF on the grid plus +∞ whose δ(ε) interpolates the
/// δ_i linearly in e^ε (and is 1 at ε = −∞):
/// `p_0 = 1 − δ_0 + (δ_1 − δ_0)/(eʰ − 1)`,
/// `p_i = ((δ_{i+1} − δ_i) − eʰ(δ_i − δ_{i−1}))/(eʰ − 1)`,
/// `p_{n−1} = (δ_{n−1} − δ_{n−2})/(e^{−h} − 1)`, `p_∞ = δ_{n−1}`.
pub(crate) fn connect_the_dots(h: f64, k_lo: i64, mut deltas: Vec<f64>) -> Pmf {
    // δ is non-increasing in ε; rounding can break that by an ulp. Raise earlier values to the
    // later ones (the pessimistic direction).
    for i in (0..deltas.len().saturating_sub(1)).rev() {
        if deltas[i] < deltas[i + 1] {
            deltas[i] = deltas[i + 1];
        }
    }
    let n = deltas.len();
    let Some(&last) = deltas.last() else {
        return Pmf {
            interval: h,
            lower: k_lo,
            probs: Vec::new(),
            infinity: 1.0,
        };
    };
    if n == 1 {
        return Pmf {
            interval: h,
            lower: k_lo,
            probs: vec![1.0 - last],
            infinity: last,
        };
    }
    let em1 = h.exp_m1();
    let eh = h.exp();
    let mut probs = Vec::with_capacity(n);
    probs.push(1.0 - deltas[0] + (deltas[1] - deltas[0]) / em1);
    for i in 1..n - 1 {
        probs.push(((deltas[i + 1] - deltas[i]) - eh * (deltas[i] - deltas[i - 1])) / em1);
    }
    probs.push((deltas[n - 1] - deltas[n - 2]) / (-h).exp_m1());
    // Negative masses are rounding noise; raising them to 0 only increases δ (pessimistic).
    for p in &mut probs {
        if *p < 0.0 {
            *p = 0.0;
        }
    }
    Pmf {
        interval: h,
        lower: k_lo,
        probs,
        infinity: last,
    }
}

/// The standard normal quantile z with `ln Φ(z) = log_p`, for `log_p < ln ½` (lower tail), by
/// Newton's method on `ln Φ` (concave, so the iteration converges monotonically).
pub(crate) fn norm_ppf_of_log(log_p: f64) -> f64 {
    let mut z = -(-2.0 * log_p).sqrt();
    for _ in 0..100 {
        let lp = log_norm_cdf(z);
        let log_pdf = -0.5 * z * z - 0.5 * (2.0 * PI).ln();
        let step = (lp - log_p) / (log_pdf - lp).exp();
        z -= step;
        if step.abs() <= 4.0 * f64::EPSILON * z.abs() {
            break;
        }
    }
    z
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_of_the_truncation_bound() {
        // scipy 1.17.1: norm.ppf(0.5 * exp(-50)) = -9.745474864965935.
        let z = norm_ppf_of_log(0.5_f64.ln() - 50.0);
        assert!((z - -9.745_474_864_965_935).abs() < 1e-13, "{z}");
        assert!((log_norm_cdf(z) - (0.5_f64.ln() - 50.0)).abs() < 1e-13);
    }

    #[test]
    fn connect_the_dots_keeps_total_mass_and_interpolates() {
        let mech = Mechanism {
            q: 0.1,
            sigma: 1.0,
            direction: Direction::Remove,
        };
        let config = PldConfig::default()
            .with_discretisation_interval(1e-2)
            .unwrap();
        let pmf = subsampled_gaussian_pmf(0.1, 1.0, Direction::Remove, &config).unwrap();
        let total: f64 = pmf.probs.iter().sum::<f64>() + pmf.infinity;
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        for k in [0_i64, 5, 50, 100] {
            let eps = k as f64 * 1e-2;
            let exact = mech.hockey_stick(eps);
            let got = pmf.delta_for_epsilon(eps);
            assert!(got >= exact - 1e-15, "ε={eps}: {got} < {exact}");
            assert!((got - exact).abs() < 1e-12, "ε={eps}: {got} vs {exact}");
            // Between grid points the interpolation is pessimistic.
            let mid = eps + 0.5e-2;
            assert!(pmf.delta_for_epsilon(mid) >= mech.hockey_stick(mid) - 1e-15);
        }
    }

    #[test]
    fn directions_agree_without_subsampling() {
        let config = PldConfig::default()
            .with_discretisation_interval(1e-3)
            .unwrap();
        let r = subsampled_gaussian_pmf(1.0, 2.0, Direction::Remove, &config).unwrap();
        let a = subsampled_gaussian_pmf(1.0, 2.0, Direction::Add, &config).unwrap();
        assert_eq!(r.lower, a.lower);
        assert_eq!(r.probs.len(), a.probs.len());
        for (x, y) in r.probs.iter().zip(&a.probs) {
            assert!((x - y).abs() < 1e-12);
        }
    }

    #[test]
    fn grid_size_is_checked_before_allocating() {
        let config = PldConfig::default()
            .with_discretisation_interval(1e-9)
            .unwrap();
        assert!(matches!(
            subsampled_gaussian_pmf(0.5, 0.5, Direction::Remove, &config),
            Err(AccountantError::PldGridTooLarge { .. })
        ));
    }
}
