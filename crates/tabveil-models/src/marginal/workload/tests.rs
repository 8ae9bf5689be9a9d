use super::*;

#[test]
fn weights_follow_aim() {
    // Three attributes, all pairs, no target: pair weight 2 + 1 + 1 = 4 (its own pair counts
    // both attributes; each other pair shares one); singletons 2.
    let w = workload(
        &[2, 3, 4],
        &WorkloadRule {
            target: None,
            target_triples: true,
            target_weight: 3.0,
            max_cells: 100,
        },
    );
    assert_eq!(w.len(), 3);
    let c = candidates(&w);
    assert_eq!(c.cliques.len(), 6);
    for (clique, weight) in c.cliques.iter().zip(&c.weights) {
        let expected = if clique.len() == 1 { 2.0 } else { 4.0 };
        assert_eq!(*weight, expected, "{clique:?}");
    }
}

#[test]
fn the_target_adds_weighted_triples_and_large_marginals_are_left_out() {
    let sizes = [2, 3, 4, 50];
    let rule = WorkloadRule {
        target: Some(0),
        target_triples: true,
        target_weight: 2.0,
        max_cells: 200,
    };
    let w = workload(&sizes, &rule);
    // Pairs ≤ 200 cells: all 6 (3 × 50 = 150, 4 × 50 = 200). Triples with 0: (0,1,2) = 24,
    // (0,1,3) = 300 (too large), (0,2,3) = 400 (too large).
    assert_eq!(w.len(), 7);
    assert!(w.contains(&(vec![0, 1, 2], 2.0)));
    assert!(w.contains(&(vec![1, 2], 1.0)));
    assert!(w.contains(&(vec![0, 3], 2.0)));
    let c = candidates(&w);
    assert!(c.cliques.windows(2).all(|p| p[0].len() <= p[1].len()));
    assert!(is_free(&vec![1], &[vec![0, 1]]));
    assert!(!is_free(&vec![1, 2], &[vec![0, 1]]));
    // A one-column table: the one-way marginal.
    assert_eq!(workload(&[5], &rule), vec![(vec![0], 1.0)]);
}
