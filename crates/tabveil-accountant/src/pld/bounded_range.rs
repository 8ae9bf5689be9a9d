//! The privacy loss distribution of one ε-bounded-range mechanism (the exponential mechanism):
//! the connect-the-dots grid PMF of the class's worst-case profile
//! ([`crate::bounded_range::bounded_range_hockey_stick`]), the same in both directions.

use super::PldConfig;
use super::discretise::{connect_the_dots, grid_points};
use super::pmf::Pmf;
use crate::bounded_range::bounded_range_hockey_stick;
use crate::error::Result;

/// The pessimistic grid PMF of one run of an ε-BR mechanism. Losses lie in [−ε, ε]; the grid
/// covers it, so the mass at +∞ is 0 up to rounding.
///
/// **Bound.** Dominates every ε-BR mechanism in both directions for every ε' (connect-the-dots
/// over a profile that is convex in e^{ε'}: Doroshenko et al. 2022, Theorem 3.1).
///
/// # Errors
/// [`crate::AccountantError::PldGridTooLarge`] when 2ε/h points exceed the configured limit.
pub(crate) fn bounded_range_pmf(epsilon: f64, config: &PldConfig) -> Result<Pmf> {
    let h = config.discretisation_interval();
    let k_lo = (-epsilon / h).floor();
    let k_hi = (epsilon / h).ceil();
    let points = grid_points(k_lo, k_hi, config)?;
    let k_lo = k_lo as i64;
    let deltas = (0..points)
        .map(|i| bounded_range_hockey_stick(epsilon, (k_lo + i as i64) as f64 * h))
        .collect();
    Ok(connect_the_dots(h, k_lo, deltas))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_run_reproduces_the_profile() {
        let config = PldConfig::default()
            .with_discretisation_interval(1e-3)
            .unwrap();
        let eps = 0.8;
        let pmf = bounded_range_pmf(eps, &config).unwrap();
        let total: f64 = pmf.probs.iter().sum::<f64>() + pmf.infinity;
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        for x in [0.0, 0.1, 0.4, 0.79] {
            let exact = bounded_range_hockey_stick(eps, x);
            let got = pmf.delta_for_epsilon(x);
            assert!(got >= exact * (1.0 - 1e-12), "{x}: {got} < {exact}");
            assert!(got - exact < 1e-6, "{x}: {got} vs {exact}");
        }
    }
}
