use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

/// The running-intersection property: for every attribute, the cliques holding it form a
/// connected subtree.
fn has_running_intersection(tree: &JunctionTree, d: usize) -> bool {
    let k = tree.cliques.len();
    for a in 0..d {
        let holding: Vec<usize> = (0..k).filter(|&t| tree.cliques[t].contains(&a)).collect();
        if holding.is_empty() {
            return false;
        }
        // Flood within the holding cliques from the first one.
        let mut seen = vec![false; k];
        let mut stack = vec![holding[0]];
        seen[holding[0]] = true;
        while let Some(t) = stack.pop() {
            for &(p, c) in &tree.edges {
                for (x, y) in [(p, c), (c, p)] {
                    if x == t && !seen[y] && tree.cliques[y].contains(&a) {
                        seen[y] = true;
                        stack.push(y);
                    }
                }
            }
        }
        if holding.iter().any(|&t| !seen[t]) {
            return false;
        }
    }
    true
}

#[test]
fn random_clique_sets_give_valid_junction_trees() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for case in 0..200 {
        let d = rng.random_range(1..9);
        let sizes: Vec<usize> = (0..d).map(|_| rng.random_range(1..4)).collect();
        let n_cliques = rng.random_range(0..6);
        let cliques: Vec<Clique> = (0..n_cliques)
            .map(|_| {
                let mut c: Clique = (0..d).filter(|_| rng.random_bool(0.35)).collect();
                if c.is_empty() {
                    c.push(rng.random_range(0..d));
                }
                c
            })
            .collect();
        let tree = JunctionTree::build(&sizes, &cliques);
        assert_eq!(tree.edges.len() + 1, tree.cliques.len(), "case {case}");
        // Every input clique is covered, every attribute present, the tree is connected and
        // pre-ordered.
        for c in &cliques {
            assert!(tree.covering(c, &sizes).is_some(), "case {case}: {c:?}");
        }
        let mut placed = vec![false; tree.cliques.len()];
        placed[0] = true;
        for &(p, c) in &tree.edges {
            assert!(placed[p] && !placed[c], "case {case}: not a pre-order");
            placed[c] = true;
        }
        assert!(
            has_running_intersection(&tree, d),
            "case {case}: {cliques:?}"
        );
        // Maximal cliques only.
        for (i, a) in tree.cliques.iter().enumerate() {
            for (j, b) in tree.cliques.iter().enumerate() {
                assert!(i == j || !is_subset(a, b), "case {case}");
            }
        }
    }
}

#[test]
fn a_cycle_is_triangulated() {
    // The 4-cycle 0-1-2-3-0 needs one chord: two triangles.
    let sizes = [2, 2, 2, 2];
    let cliques = vec![vec![0, 1], vec![1, 2], vec![2, 3], vec![0, 3]];
    let tree = JunctionTree::build(&sizes, &cliques);
    assert_eq!(tree.cliques.len(), 2);
    assert!(tree.cliques.iter().all(|c| c.len() == 3));
    assert_eq!(tree.size(&sizes), 16);
    assert_eq!(tree_size(&sizes, &cliques), 16);
    // A chain needs nothing.
    let chain = JunctionTree::build(&sizes, &cliques[..3]);
    assert_eq!(chain.cliques.len(), 3);
}
