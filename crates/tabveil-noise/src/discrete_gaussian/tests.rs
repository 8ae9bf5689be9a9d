use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::*;
use crate::PrivacyRng;

/// Significance level of every statistical test here: a correct sampler fails one of them
/// with probability 1e-6.
const ALPHA: f64 = 1e-6;

fn chi_square_critical(df: usize) -> f64 {
    ChiSquared::new(df as f64).unwrap().inverse_cdf(1.0 - ALPHA)
}

/// Pearson's chi-square of integer draws against a pmf given on a window of integers; values
/// with an expected count below 5 are pooled into one tail bin.
fn chi_square(draws: &[i64], lo: i64, pmf: &[f64]) -> (f64, usize) {
    let n = draws.len() as f64;
    let mut observed = vec![0.0; pmf.len()];
    let mut outside = 0.0;
    for &y in draws {
        match usize::try_from(y - lo).ok().filter(|&i| i < pmf.len()) {
            Some(i) => observed[i] += 1.0,
            None => outside += 1.0,
        }
    }
    let (mut stat, mut bins) = (0.0, 0);
    let (mut pooled_obs, mut pooled_exp) = (outside, n * (1.0 - pmf.iter().sum::<f64>()).max(0.0));
    for (o, p) in observed.iter().zip(pmf) {
        let e = n * p;
        if e >= 5.0 {
            stat += (o - e) * (o - e) / e;
            bins += 1;
        } else {
            pooled_obs += o;
            pooled_exp += e;
        }
    }
    if pooled_exp > 0.0 {
        stat += (pooled_obs - pooled_exp) * (pooled_obs - pooled_exp) / pooled_exp;
        bins += 1;
    }
    (stat, bins - 1)
}

/// The exact pmf of N_ℤ(0, n/d) on |y| ≤ reach (normalised over a window wide enough that the
/// mass outside is below 1e-40).
fn discrete_gaussian_pmf(dist: &DiscreteGaussian, reach: i64) -> Vec<f64> {
    let (n, d) = dist.sigma_squared();
    let var = n as f64 / d as f64;
    let wide = reach.max((14.0 * var.sqrt()) as i64 + 10);
    let weight = |y: i64| (-((y * y) as f64) / (2.0 * var)).exp();
    let z: f64 = (-wide..=wide).map(weight).sum();
    (-reach..=reach).map(|y| weight(y) / z).collect()
}

#[test]
fn draws_follow_the_exact_pmf() {
    for (sigma, seed) in [(0.6, 1), (2.0, 2), (7.5, 3), (40.0, 4)] {
        let dist = DiscreteGaussian::new(sigma).unwrap();
        let mut rng = PrivacyRng::dangerous_seeded(seed);
        let draws: Vec<i64> = (0..200_000).map(|_| rng.discrete_gaussian(&dist)).collect();
        let reach = (8.0 * sigma) as i64 + 3;
        let pmf = discrete_gaussian_pmf(&dist, reach);
        let (stat, df) = chi_square(&draws, -reach, &pmf);
        let critical = chi_square_critical(df);
        assert!(
            stat < critical,
            "σ = {sigma}: χ² = {stat} with {df} df, critical {critical}"
        );
    }
}

#[test]
fn discrete_laplace_follows_its_pmf() {
    let t = 3_u128;
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let draws: Vec<i64> = (0..200_000)
        .map(|_| {
            loop {
                if let Some(y) = discrete_laplace(&mut rng, t) {
                    break y;
                }
            }
        })
        .collect();
    // P[Y = y] = (1 − e^{−1/t})/(1 + e^{−1/t}) · e^{−|y|/t}.
    let r = (-1.0 / t as f64).exp();
    let reach = 60;
    let pmf: Vec<f64> = (-reach..=reach)
        .map(|y: i64| (1.0 - r) / (1.0 + r) * r.powi(y.unsigned_abs() as i32))
        .collect();
    let (stat, df) = chi_square(&draws, -reach, &pmf);
    assert!(stat < chi_square_critical(df), "χ² = {stat}, {df} df");
}

#[test]
fn bernoulli_exp_has_the_right_frequency() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    // γ = 3/10, 27/10 and 13/3; 400 000 draws each, 4.9 standard deviations (two-sided
    // α ≈ 1e-6).
    for (num, den) in [(3_u128, 10_u128), (27, 10), (13, 3)] {
        let p = (-(num as f64) / den as f64).exp();
        let n = 400_000;
        let hits = (0..n)
            .filter(|_| bernoulli_exp(&mut rng, U256::mul(num, 1), den))
            .count() as f64;
        let sd = (n as f64 * p * (1.0 - p)).sqrt();
        assert!(
            (hits - n as f64 * p).abs() < 4.9 * sd,
            "γ = {num}/{den}: {hits}"
        );
    }
}

#[test]
fn seeded_draws_are_reproducible() {
    let dist = DiscreteGaussian::new(12.25).unwrap();
    let draw = |seed| {
        let mut rng = PrivacyRng::dangerous_seeded(seed);
        (0..2_000)
            .map(|_| rng.discrete_gaussian(&dist))
            .collect::<Vec<i64>>()
    };
    assert_eq!(draw(7), draw(7));
    assert_ne!(draw(7), draw(8));
    let mut a = PrivacyRng::dangerous_seeded(9);
    let mut b = PrivacyRng::dangerous_seeded(9);
    assert_eq!(
        a.fill_discrete_gaussian(3.0, 100).unwrap(),
        b.fill_discrete_gaussian(3.0, 100).unwrap()
    );
}

#[test]
fn variance_is_rounded_up_never_down() {
    for sigma in [
        3.5,
        0.1,
        1.0 / 3.0,
        1e-300,
        5e-324,
        1234.5678,
        DiscreteGaussian::MAX_SIGMA,
    ] {
        let dist = DiscreteGaussian::new(sigma).unwrap();
        let (n, d) = dist.sigma_squared();
        let (m, e) = decompose(sigma);
        // n/d ≥ m²·2^{2e}  ⟺  n·2^{−2e} ≥ m²·d, compared exactly in 256 bits where needed.
        let lhs_shift = -2 * e; // ≥ 0 for every σ here except large ones
        if (0..128).contains(&lhs_shift) {
            let lhs = U256::mul(n, 1_u128 << lhs_shift);
            let rhs = U256::mul(m * m, d);
            assert!(
                (lhs.high, lhs.low) >= (rhs.high, rhs.low),
                "σ = {sigma}: {n}/{d} below σ²"
            );
        }
        let ratio = n as f64 / d as f64;
        assert!(ratio >= sigma * sigma * (1.0 - 1e-15), "σ = {sigma}");
        if sigma >= 0.5 {
            assert!(
                ratio <= sigma * sigma * (1.0 + 1e-15),
                "σ = {sigma}: {ratio}"
            );
        }
    }
    // σ = 3.5: σ² = 12.25 is a dyadic rational, kept exactly.
    let (n, d) = DiscreteGaussian::new(3.5).unwrap().sigma_squared();
    assert_eq!(n * 4, 49 * d);
    for bad in [
        0.0,
        -1.0,
        f64::NAN,
        f64::INFINITY,
        DiscreteGaussian::MAX_SIGMA * 2.0,
    ] {
        assert!(matches!(
            DiscreteGaussian::new(bad),
            Err(NoiseError::InvalidDiscreteGaussianScale { .. })
        ));
    }
}

#[test]
fn tiny_and_huge_scales_sample() {
    let mut rng = PrivacyRng::dangerous_seeded(3);
    let tiny = DiscreteGaussian::new(1e-3).unwrap();
    // σ = 1e-3: P[Y ≠ 0] = 2e^{−500000}/Z; never seen.
    assert!((0..1_000).all(|_| rng.discrete_gaussian(&tiny) == 0));
    let huge = DiscreteGaussian::new(1e8).unwrap();
    let draws: Vec<i64> = (0..2_000).map(|_| rng.discrete_gaussian(&huge)).collect();
    let sd = (draws.iter().map(|&y| (y as f64).powi(2)).sum::<f64>() / 2_000.0).sqrt();
    // The sample standard deviation of 2 000 draws is within 15 % of σ with probability far
    // above 1 − 1e-6.
    assert!((sd / 1e8 - 1.0).abs() < 0.15, "{sd}");
}
