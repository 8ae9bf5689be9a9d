use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::marginal::factor::Factor;
use crate::marginal::inference::tests::brute_force_joint;

/// Exact marginal counts (×`n`) of a random chain-structured distribution.
fn chain_measurements(rng: &mut ChaCha8Rng, n: f64) -> (Vec<usize>, Vec<Measurement>) {
    let sizes = vec![3, 2, 4, 3];
    let cliques: Vec<Clique> = vec![vec![0, 1], vec![1, 2], vec![2, 3]];
    let potentials: Vec<Vec<f64>> = cliques
        .iter()
        .map(|c| {
            (0..cells(c, &sizes))
                .map(|_| rng.random_range(-1.5..1.5))
                .collect()
        })
        .collect();
    let joint = brute_force_joint(&sizes, &cliques, &potentials);
    let all: Clique = (0..sizes.len()).collect();
    let joint = Factor::from_values(&all, &sizes, joint).unwrap();
    let mut measurements: Vec<Measurement> = cliques
        .iter()
        .map(|c| {
            let values: Vec<f64> = joint
                .sum_onto(c, &sizes)
                .values
                .iter()
                .map(|p| p * n)
                .collect();
            Measurement {
                clique: c.clone(),
                std: vec![1.0; values.len()],
                values,
            }
        })
        .collect();
    for a in 0..sizes.len() {
        let values: Vec<f64> = joint
            .sum_onto(&[a], &sizes)
            .values
            .iter()
            .map(|p| p * n)
            .collect();
        measurements.push(Measurement {
            clique: vec![a],
            std: vec![2.0; values.len()],
            values,
        });
    }
    (sizes, measurements)
}

#[test]
fn mirror_descent_recovers_consistent_measurements() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let (sizes, measurements) = chain_measurements(&mut rng, 1_000.0);
    let mut est = Estimator::new(&sizes, &measurements, None);
    assert!((est.total() - 1_000.0).abs() < 1e-6);
    let first = est.run(&measurements, 1, 0.0, 1).loss;
    let stats = est.run(&measurements, 3_000, 0.0, 1);
    assert!(stats.loss < first);
    // Consistent measurements of a chain: the loss goes to 0 and the model's marginals match.
    assert!(stats.loss < 1e-3, "{}", stats.loss);
    let tm = est.tree_marginals();
    let calibrated = crate::marginal::query::Calibrated {
        tree: est.tree(),
        sizes: &sizes,
        marginals: &tm,
    };
    for m in &measurements {
        let got = calibrated.project(&m.clique);
        for (a, b) in got.values.iter().zip(&m.values) {
            assert!((a - b).abs() < 0.05, "{:?}: {a} vs {b}", m.clique);
        }
    }
}

#[test]
fn every_accepted_step_lowers_the_loss() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let (sizes, mut measurements) = chain_measurements(&mut rng, 500.0);
    // Inconsistent (noisy) measurements: the loss decreases but not to 0.
    for m in &mut measurements {
        for v in &mut m.values {
            *v += rng.random_range(-20.0..20.0);
        }
    }
    let mut est = Estimator::new(&sizes, &measurements, None);
    let mut previous = f64::INFINITY;
    for _ in 0..50 {
        let loss = est.run(&measurements, 5, 0.0, 1).loss;
        assert!(loss <= previous + 1e-9, "{loss} > {previous}");
        previous = loss;
    }
}

#[test]
fn a_warm_start_keeps_the_distribution() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let (sizes, measurements) = chain_measurements(&mut rng, 800.0);
    let mut est = Estimator::new(&sizes, &measurements[..3], None);
    est.run(&measurements[..3], 500, 0.0, 1);
    let before = est.tree_marginals();
    let before = crate::marginal::query::Calibrated {
        tree: est.tree(),
        sizes: &sizes,
        marginals: &before,
    }
    .project(&[0, 1, 2, 3]);
    // Adding a clique that merges two old ones: the warm start is the same distribution.
    let mut more = measurements[..3].to_vec();
    more.push(Measurement {
        clique: vec![0, 1, 2],
        std: vec![1.0; 24],
        values: vec![800.0 / 24.0; 24],
    });
    let mut warm = Estimator::new(&sizes, &more, Some((est.cliques(), est.potentials())));
    let after = warm.tree_marginals();
    let after = crate::marginal::query::Calibrated {
        tree: warm.tree(),
        sizes: &sizes,
        marginals: &after,
    }
    .project(&[0, 1, 2, 3]);
    let scale = warm.total() / est.total();
    for (a, b) in after.values.iter().zip(&before.values) {
        assert!((a - b * scale).abs() < 1e-6 * (1.0 + b.abs()));
    }
}

#[test]
fn model_cliques_are_the_maximal_ones() {
    let cliques = [vec![0, 1], vec![1], vec![0, 1, 2], vec![3, 4]];
    let got = model_cliques(6, cliques.iter());
    assert_eq!(got, vec![vec![0, 1, 2], vec![3, 4], vec![5]]);
}

#[test]
fn the_total_pools_measurements_by_precision() {
    let m = |sum: f64, std: f64, cells: usize| Measurement {
        clique: vec![0],
        values: vec![sum / cells as f64; cells],
        std: vec![std; cells],
    };
    // Equal precision: the mean; one far more precise: close to it.
    let t = Measurement::estimated_total(&[m(100.0, 1.0, 4), m(110.0, 1.0, 4)]);
    assert!((t - 105.0).abs() < 1e-9);
    let t = Measurement::estimated_total(&[m(100.0, 0.01, 4), m(200.0, 10.0, 4)]);
    assert!((t - 100.0).abs() < 0.01);
    assert_eq!(Measurement::estimated_total(&[]), 1.0);
}
