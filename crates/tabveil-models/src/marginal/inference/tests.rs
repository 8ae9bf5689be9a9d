use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::marginal::factor::Factor;

/// A random model: attribute sizes, cliques and log-potentials.
pub(crate) fn random_model(
    rng: &mut ChaCha8Rng,
    max_attrs: usize,
) -> (Vec<usize>, Vec<Clique>, Vec<Vec<f64>>) {
    let d = rng.random_range(1..=max_attrs);
    let sizes: Vec<usize> = (0..d).map(|_| rng.random_range(1..4)).collect();
    let n_cliques = rng.random_range(1..5);
    let cliques: Vec<Clique> = (0..n_cliques)
        .map(|_| {
            let mut c: Clique = (0..d).filter(|_| rng.random_bool(0.4)).collect();
            if c.is_empty() {
                c.push(rng.random_range(0..d));
            }
            c
        })
        .collect();
    let potentials = cliques
        .iter()
        .map(|c| {
            (0..cells(c, &sizes))
                .map(|_| rng.random_range(-2.0..2.0))
                .collect()
        })
        .collect();
    (sizes, cliques, potentials)
}

/// The normalised joint distribution of a model, by enumeration.
pub(crate) fn brute_force_joint(
    sizes: &[usize],
    cliques: &[Clique],
    potentials: &[Vec<f64>],
) -> Vec<f64> {
    let all: Clique = (0..sizes.len()).collect();
    let mut joint = Factor::filled(&all, sizes, 0.0);
    for (c, p) in cliques.iter().zip(potentials) {
        let map = projection_map(&all, &joint.shape, c);
        gather_add(&mut joint.values, p, &map);
    }
    let z = logsumexp(&joint.values);
    joint.values.iter().map(|v| (v - z).exp()).collect()
}

#[test]
fn propagation_gives_the_exact_marginals() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for case in 0..150 {
        let (sizes, cliques, potentials) = random_model(&mut rng, 6);
        let joint = brute_force_joint(&sizes, &cliques, &potentials);
        let all: Clique = (0..sizes.len()).collect();
        let joint = Factor::from_values(&all, &sizes, joint).unwrap();
        let mut engine = Engine::new(&sizes, &cliques);
        let mut out: Vec<Vec<f64>> = cliques
            .iter()
            .map(|c| vec![0.0; cells(c, &sizes)])
            .collect();
        engine.marginals(&potentials, 7.0, &mut out);
        for (c, m) in cliques.iter().zip(&out) {
            let truth = joint.sum_onto(c, &sizes);
            for (a, b) in m.iter().zip(&truth.values) {
                assert!((a - 7.0 * b).abs() < 1e-9, "case {case}: {c:?}");
            }
        }
        // Every tree clique is calibrated too.
        let tree_marginals = engine.tree_marginals(&potentials, 1.0);
        for (c, m) in engine.tree().cliques.iter().zip(&tree_marginals) {
            let truth = joint.sum_onto(c, &sizes);
            for (a, b) in m.iter().zip(&truth.values) {
                assert!((a - b).abs() < 1e-9, "case {case}: tree clique {c:?}");
            }
        }
    }
}
