//! The junction tree of a set of cliques: triangulation by greedy min-fill elimination, the
//! maximal cliques of the triangulated graph, a maximum-weight spanning tree over their
//! separators, and the order of the two message-passing sweeps.
//!
//! Every attribute is in at least one clique of the tree (attributes no clique mentions get a
//! clique of their own), so the tree carries the whole model.

use super::factor::{Clique, cells, intersection, is_subset};

/// A junction tree over attributes `0..sizes.len()`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JunctionTree {
    /// The maximal cliques of the triangulated graph (sorted attribute sets).
    pub(crate) cliques: Vec<Clique>,
    /// Tree edges `(parent, child)`, in a pre-order from the root (clique 0): each clique
    /// after the root appears as a child exactly once, after its parent.
    pub(crate) edges: Vec<(usize, usize)>,
}

impl JunctionTree {
    /// The junction tree of `cliques` over attributes with `sizes` cells each.
    pub(crate) fn build(sizes: &[usize], cliques: &[Clique]) -> Self {
        let d = sizes.len();
        // Interaction graph as an adjacency matrix (d is at most a few hundred).
        let mut adj = vec![vec![false; d]; d];
        for cl in cliques {
            for &a in cl {
                for &b in cl {
                    if a != b {
                        adj[a][b] = true;
                    }
                }
            }
        }
        let order = min_fill_order(sizes, &mut adj.clone());
        // Eliminate in that order, collecting the elimination cliques.
        let mut eliminated = vec![false; d];
        let mut found: Vec<Clique> = Vec::with_capacity(d);
        for &v in &order {
            let mut cl: Clique = (0..d).filter(|&u| !eliminated[u] && adj[v][u]).collect();
            for i in 0..cl.len() {
                for j in 0..cl.len() {
                    if i != j {
                        adj[cl[i]][cl[j]] = true;
                    }
                }
            }
            cl.push(v);
            cl.sort_unstable();
            eliminated[v] = true;
            found.push(cl);
        }
        let cliques = maximal(found);
        let edges = spanning_tree(&cliques);
        JunctionTree { cliques, edges }
    }

    /// Total cells of the tree's cliques: the memory of one set of beliefs.
    pub(crate) fn size(&self, sizes: &[usize]) -> usize {
        self.cliques
            .iter()
            .fold(0usize, |acc, c| acc.saturating_add(cells(c, sizes)))
    }

    /// The index of a clique containing every attribute of `attrs`, if any (the smallest).
    pub(crate) fn covering(&self, attrs: &[usize], sizes: &[usize]) -> Option<usize> {
        self.cliques
            .iter()
            .enumerate()
            .filter(|(_, c)| is_subset(attrs, c))
            .min_by_key(|(i, c)| (cells(c, sizes), *i))
            .map(|(i, _)| i)
    }
}

/// The total cells of the junction tree that `cliques` would need (the model-size measure of
/// the selection's size limit).
pub(crate) fn tree_size(sizes: &[usize], cliques: &[Clique]) -> usize {
    JunctionTree::build(sizes, cliques).size(sizes)
}

/// Greedy min-fill elimination order: repeatedly the vertex whose elimination adds the fewest
/// fill edges (ties: the smallest elimination clique in cells, then the smallest index).
fn min_fill_order(sizes: &[usize], adj: &mut [Vec<bool>]) -> Vec<usize> {
    let d = sizes.len();
    let mut eliminated = vec![false; d];
    let mut order = Vec::with_capacity(d);
    for _ in 0..d {
        let mut best: Option<(usize, usize, usize)> = None; // (fill, cells, vertex)
        for v in 0..d {
            if eliminated[v] {
                continue;
            }
            let nb: Vec<usize> = (0..d).filter(|&u| !eliminated[u] && adj[v][u]).collect();
            let mut fill = 0usize;
            for i in 0..nb.len() {
                for j in i + 1..nb.len() {
                    if !adj[nb[i]][nb[j]] {
                        fill += 1;
                    }
                }
            }
            let weight = nb
                .iter()
                .fold(sizes[v], |acc, &u| acc.saturating_mul(sizes[u]));
            let key = (fill, weight, v);
            if best.is_none_or(|b| key < b) {
                best = Some(key);
            }
        }
        let Some((_, _, v)) = best else { break };
        let nb: Vec<usize> = (0..d).filter(|&u| !eliminated[u] && adj[v][u]).collect();
        for &a in &nb {
            for &b in &nb {
                if a != b {
                    adj[a][b] = true;
                }
            }
        }
        eliminated[v] = true;
        order.push(v);
    }
    order
}

/// The cliques not contained in another one (duplicates removed), in a deterministic order
/// (largest first, then lexicographic).
fn maximal(mut cliques: Vec<Clique>) -> Vec<Clique> {
    cliques.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    let mut out: Vec<Clique> = Vec::with_capacity(cliques.len());
    for c in cliques {
        if !out.iter().any(|m| is_subset(&c, m)) {
            out.push(c);
        }
    }
    out
}

/// A maximum-weight spanning tree over the cliques with weight |separator| (Prim's algorithm
/// from clique 0, ties to the smallest index), as `(parent, child)` edges in pre-order.
/// Disconnected parts are joined by empty separators.
fn spanning_tree(cliques: &[Clique]) -> Vec<(usize, usize)> {
    let k = cliques.len();
    if k <= 1 {
        return Vec::new();
    }
    let mut in_tree = vec![false; k];
    in_tree[0] = true;
    // best[c] = (weight, parent) of the heaviest edge from the tree to c.
    let mut best: Vec<(usize, usize)> = (0..k)
        .map(|c| (intersection(&cliques[0], &cliques[c]).len(), 0))
        .collect();
    let mut added = Vec::with_capacity(k - 1);
    for _ in 1..k {
        let mut pick: Option<usize> = None;
        for c in 0..k {
            if !in_tree[c] && pick.is_none_or(|p| best[c].0 > best[p].0) {
                pick = Some(c);
            }
        }
        let Some(c) = pick else { break };
        in_tree[c] = true;
        added.push((best[c].1, c));
        for o in 0..k {
            if !in_tree[o] {
                let w = intersection(&cliques[c], &cliques[o]).len();
                if w > best[o].0 {
                    best[o] = (w, c);
                }
            }
        }
    }
    // Prim adds each clique after its parent: `added` is already a valid top-down order.
    added
}

#[cfg(test)]
mod tests;
