use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::marginal::factor::Factor;
use crate::marginal::inference::Engine;
use crate::marginal::inference::tests::brute_force_joint;

#[test]
fn exact_counts_sum_to_n_and_stay_within_one() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for _ in 0..500 {
        let k = rng.random_range(1..20);
        let w: Vec<f64> = (0..k)
            .map(|_| {
                if rng.random_bool(0.2) {
                    0.0
                } else {
                    rng.random::<f64>()
                }
            })
            .collect();
        let n = rng.random_range(0..300);
        let c = exact_counts(&w, n, &mut rng);
        assert_eq!(c.iter().sum::<usize>(), n);
        let s: f64 = w.iter().sum();
        for (ci, wi) in c.iter().zip(&w) {
            let expected = if s > 0.0 {
                n as f64 * wi / s
            } else {
                n as f64 / k as f64
            };
            assert!(
                (*ci as f64 - expected).abs() < 1.0 + 1e-9,
                "{ci} vs {expected}"
            );
            if s > 0.0 && *wi == 0.0 {
                assert_eq!(*ci, 0);
            }
        }
    }
}

/// χ² critical value at α = 1e-6 for `df` degrees of freedom (Wilson–Hilferty).
fn chi2_critical(df: f64) -> f64 {
    let z = 4.753_424_3; // Φ⁻¹(1 − 1e-6)
    let a = 2.0 / (9.0 * df);
    df * (1.0 - a + z * a.sqrt()).powi(3)
}

#[test]
fn forward_samples_follow_the_model() {
    // A model with a non-trivial tree: every pair of attributes' sample frequencies agree with
    // the exact pair marginals (χ² test at α = 1e-6 per pair).
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let sizes = vec![3, 2, 4, 3, 2];
    let cliques: Vec<Clique> = vec![vec![0, 1], vec![1, 2, 3], vec![3, 4], vec![0, 4]];
    let potentials: Vec<Vec<f64>> = cliques
        .iter()
        .map(|c| {
            (0..cells(c, &sizes))
                .map(|_| rng.random_range(-1.0..1.0))
                .collect()
        })
        .collect();
    let joint = brute_force_joint(&sizes, &cliques, &potentials);
    let all: Clique = (0..sizes.len()).collect();
    let joint = Factor::from_values(&all, &sizes, joint).unwrap();
    let mut engine = Engine::new(&sizes, &cliques);
    let marginals = engine.tree_marginals(&potentials, 1.0);
    let n = 20_000;
    let rows = forward_sample(engine.tree(), &sizes, &marginals, n, &mut rng);
    assert!(rows.iter().all(|r| r.len() == n));
    for a in 0..sizes.len() {
        for b in a + 1..sizes.len() {
            let truth = joint.sum_onto(&[a, b], &sizes);
            let mut counts = vec![0.0; truth.values.len()];
            for r in 0..n {
                counts[rows[a][r] as usize * sizes[b] + rows[b][r] as usize] += 1.0;
            }
            let chi2: f64 = counts
                .iter()
                .zip(&truth.values)
                .filter(|(_, p)| **p > 0.0)
                .map(|(c, p)| (c - n as f64 * p).powi(2) / (n as f64 * p))
                .sum();
            let df = (truth.values.len() - 1) as f64;
            assert!(chi2 < chi2_critical(df), "pair ({a}, {b}): χ² = {chi2}");
        }
    }
}
