use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::marginal::factor::Clique;
use crate::marginal::inference::Engine;
use crate::marginal::inference::tests::{brute_force_joint, random_model};

#[test]
fn projections_on_any_attribute_set_match_brute_force() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut out_of_clique = 0;
    for case in 0..200 {
        let (sizes, cliques, potentials) = random_model(&mut rng, 7);
        let d = sizes.len();
        let joint = brute_force_joint(&sizes, &cliques, &potentials);
        let all: Clique = (0..d).collect();
        let joint = Factor::from_values(&all, &sizes, joint).unwrap();
        let mut engine = Engine::new(&sizes, &cliques);
        let marginals = engine.tree_marginals(&potentials, 50.0);
        let calibrated = Calibrated {
            tree: engine.tree(),
            sizes: &sizes,
            marginals: &marginals,
        };
        for _ in 0..5 {
            let mut q: Clique = (0..d).filter(|_| rng.random_bool(0.5)).collect();
            if q.is_empty() {
                q.push(rng.random_range(0..d));
            }
            if engine.tree().covering(&q, &sizes).is_none() {
                out_of_clique += 1;
            }
            let got = calibrated.project(&q);
            let truth = joint.sum_onto(&q, &sizes);
            assert_eq!(got.attrs, q);
            for (a, b) in got.values.iter().zip(&truth.values) {
                assert!((a - 50.0 * b).abs() < 1e-8, "case {case}: {q:?} {a} {b}");
            }
        }
    }
    // The test exercised the subtree messages, not only single-clique projections.
    assert!(out_of_clique > 100, "{out_of_clique}");
}
