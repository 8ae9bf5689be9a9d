//! Belief propagation in log space on a junction tree: from the log-potentials of the model
//! cliques to the calibrated marginals of every tree clique (and of the model cliques).
//!
//! The graphical model is p(x) ∝ exp(Σ_c θ_c(x_c)) over the model cliques c. Each model clique
//! lives in one tree clique (its *home*); a tree clique's log-belief starts as the sum of the
//! potentials it hosts, then one upward and one downward sweep of log-sum-exp messages (the
//! Hugin scheme: the downward message divides out, in log space subtracts, the upward one)
//! calibrate every tree clique to the model's marginal. All index arithmetic is precomputed
//! in [`projection_map`]s when the engine is built; a propagation allocates nothing.

use super::factor::{
    Clique, cells, gather_add, intersection, logsumexp, logsumexp_onto, projection_map, scatter_add,
};
use super::junction_tree::JunctionTree;

/// Propagation on a fixed junction tree for a fixed set of model cliques.
#[derive(Debug, Clone)]
pub(crate) struct Engine {
    tree: JunctionTree,
    /// The model cliques (where the potentials live).
    cliques: Vec<Clique>,
    /// For each model clique: its home tree clique.
    home: Vec<usize>,
    /// For each model clique: tree-clique cell → model-clique cell.
    home_maps: Vec<Vec<u32>>,
    /// For each tree edge (same order as `tree.edges`): parent cell → separator cell.
    parent_maps: Vec<Vec<u32>>,
    /// For each tree edge: child cell → separator cell.
    child_maps: Vec<Vec<u32>>,
    /// Log-beliefs per tree clique.
    beliefs: Vec<Vec<f64>>,
    /// Upward (child → parent) messages per edge.
    up: Vec<Vec<f64>>,
    /// Downward messages per edge.
    down: Vec<Vec<f64>>,
    /// Scratch of the largest tree clique.
    scratch: Vec<f64>,
}

impl Engine {
    /// An engine for potentials on `cliques` (every attribute `0..sizes.len()` is modelled:
    /// attributes no clique mentions are independent and uniform).
    pub(crate) fn new(sizes: &[usize], cliques: &[Clique]) -> Self {
        let tree = JunctionTree::build(sizes, cliques);
        let mut home = Vec::with_capacity(cliques.len());
        let mut home_maps = Vec::with_capacity(cliques.len());
        for c in cliques {
            // The tree covers every clique it was built from.
            let h = tree.covering(c, sizes).unwrap_or(0);
            let hc = &tree.cliques[h];
            let shape: Vec<usize> = hc.iter().map(|&a| sizes[a]).collect();
            home.push(h);
            home_maps.push(projection_map(hc, &shape, c));
        }
        let mut parent_maps = Vec::with_capacity(tree.edges.len());
        let mut child_maps = Vec::with_capacity(tree.edges.len());
        let mut up = Vec::with_capacity(tree.edges.len());
        for &(p, c) in &tree.edges {
            let sep = intersection(&tree.cliques[p], &tree.cliques[c]);
            let shape_p: Vec<usize> = tree.cliques[p].iter().map(|&a| sizes[a]).collect();
            let shape_c: Vec<usize> = tree.cliques[c].iter().map(|&a| sizes[a]).collect();
            parent_maps.push(projection_map(&tree.cliques[p], &shape_p, &sep));
            child_maps.push(projection_map(&tree.cliques[c], &shape_c, &sep));
            up.push(vec![0.0; cells(&sep, sizes)]);
        }
        let beliefs: Vec<Vec<f64>> = tree
            .cliques
            .iter()
            .map(|c| vec![0.0; cells(c, sizes)])
            .collect();
        let largest = beliefs.iter().map(Vec::len).max().unwrap_or(0);
        Engine {
            down: up.clone(),
            up,
            tree,
            cliques: cliques.to_vec(),
            home,
            home_maps,
            parent_maps,
            child_maps,
            beliefs,
            scratch: vec![0.0; largest],
        }
    }

    /// The junction tree.
    pub(crate) fn tree(&self) -> &JunctionTree {
        &self.tree
    }

    /// The model cliques.
    pub(crate) fn cliques(&self) -> &[Clique] {
        &self.cliques
    }

    /// Calibrates the tree for `potentials` (one log-potential per model clique) and writes the
    /// model cliques' marginals, scaled to sum to `total`, into `out` (cleared first).
    pub(crate) fn marginals(&mut self, potentials: &[Vec<f64>], total: f64, out: &mut [Vec<f64>]) {
        self.propagate(potentials);
        for o in out.iter_mut() {
            o.fill(0.0);
        }
        // Normalise each tree clique on its own (all share the log-partition function up to
        // rounding), writing exp into the log-beliefs' buffer clique by clique.
        for t in 0..self.beliefs.len() {
            let log_z = logsumexp(&self.beliefs[t]);
            let b = &mut self.scratch[..self.beliefs[t].len()];
            for (s, &v) in b.iter_mut().zip(&self.beliefs[t]) {
                *s = total * (v - log_z).exp();
            }
            for (m, &h) in self.home.iter().enumerate() {
                if h == t {
                    scatter_add(b, &self.home_maps[m], &mut out[m]);
                }
            }
        }
    }

    /// Calibrates the tree for `potentials` and returns every tree clique's marginal, scaled
    /// to sum to `total` (allocates: used once per fit and per sampling call).
    pub(crate) fn tree_marginals(&mut self, potentials: &[Vec<f64>], total: f64) -> Vec<Vec<f64>> {
        self.propagate(potentials);
        self.beliefs
            .iter()
            .map(|b| {
                let log_z = logsumexp(b);
                b.iter().map(|&v| total * (v - log_z).exp()).collect()
            })
            .collect()
    }

    /// The two sweeps: afterwards `beliefs[t]` is the unnormalised log-marginal of tree
    /// clique t.
    fn propagate(&mut self, potentials: &[Vec<f64>]) {
        for b in &mut self.beliefs {
            b.fill(0.0);
        }
        for (m, theta) in potentials.iter().enumerate() {
            gather_add(&mut self.beliefs[self.home[m]], theta, &self.home_maps[m]);
        }
        // Upward: children before parents (reverse pre-order).
        for e in (0..self.tree.edges.len()).rev() {
            let (p, c) = self.tree.edges[e];
            logsumexp_onto(&self.beliefs[c], &self.child_maps[e], &mut self.up[e]);
            gather_add(&mut self.beliefs[p], &self.up[e], &self.parent_maps[e]);
        }
        // Downward: parents before children; divide out the child's own upward message.
        for e in 0..self.tree.edges.len() {
            let (p, c) = self.tree.edges[e];
            let n = self.beliefs[p].len();
            let tau = &mut self.scratch[..n];
            tau.copy_from_slice(&self.beliefs[p]);
            for (t, &j) in tau.iter_mut().zip(&self.parent_maps[e]) {
                *t -= self.up[e][j as usize];
            }
            logsumexp_onto(tau, &self.parent_maps[e], &mut self.down[e]);
            gather_add(&mut self.beliefs[c], &self.down[e], &self.child_maps[e]);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
