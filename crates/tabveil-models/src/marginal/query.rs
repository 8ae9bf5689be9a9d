//! Marginals of a calibrated model on any attribute set, including sets that no single tree
//! clique contains: messages along the smallest subtree that touches every queried attribute,
//! carrying the queried attributes that are not in the separators.
//!
//! With calibrated clique marginals μ_C and separator marginals μ_S, the joint distribution of
//! a subtree is Π μ_C / Π μ_S; summing out the non-queried attributes leaf by leaf keeps each
//! intermediate factor over one clique plus the queried attributes carried so far.

use super::factor::{Factor, cells, intersection, union};
use super::junction_tree::JunctionTree;

/// Calibrated tree-clique marginals (each summing to `total`) and the tree they belong to.
#[derive(Debug, Clone)]
pub(crate) struct Calibrated<'a> {
    pub(crate) tree: &'a JunctionTree,
    pub(crate) sizes: &'a [usize],
    pub(crate) marginals: &'a [Vec<f64>],
}

impl Calibrated<'_> {
    /// The model's marginal on `attrs` (sorted), summing to the model's total.
    pub(crate) fn project(&self, attrs: &[usize]) -> Factor {
        let clique = |t: usize| {
            Factor::from_values(&self.tree.cliques[t], self.sizes, self.marginals[t].clone())
        };
        if let Some(t) = self.tree.covering(attrs, self.sizes)
            && let Some(f) = clique(t)
        {
            return f.sum_onto(attrs, self.sizes);
        }
        let total: f64 = self.marginals.first().map_or(0.0, |m| m.iter().sum());
        // Root the subtree at a clique holding the first attribute; for every other attribute
        // take the holding clique nearest to the root.
        let k = self.tree.cliques.len();
        let root = (0..k)
            .filter(|&t| self.tree.cliques[t].contains(&attrs[0]))
            .min_by_key(|&t| (cells(&self.tree.cliques[t], self.sizes), t))
            .unwrap_or(0);
        let (parent, depth) = self.rooted_at(root);
        let mut needed = vec![false; k];
        needed[root] = true;
        for &a in attrs {
            let Some(t) = (0..k)
                .filter(|&t| self.tree.cliques[t].contains(&a))
                .min_by_key(|&t| (depth[t], t))
            else {
                continue;
            };
            let mut cur = t;
            while !needed[cur] {
                needed[cur] = true;
                cur = parent[cur].unwrap_or(root);
            }
        }
        // Post-order over the needed subtree: deepest cliques first.
        let mut order: Vec<usize> = (0..k).filter(|&t| needed[t]).collect();
        order.sort_by_key(|&t| std::cmp::Reverse((depth[t], t)));
        let mut messages: Vec<Option<Factor>> = vec![None; k];
        for &t in &order {
            let Some(mut f) = clique(t) else {
                continue;
            };
            for c in 0..k {
                if parent[c] == Some(t)
                    && let Some(m) = messages[c].take()
                {
                    let sep = intersection(&self.tree.cliques[t], &self.tree.cliques[c]);
                    let mu_sep = f.sum_onto(&sep, self.sizes);
                    f = f.product(&m, self.sizes);
                    f.divide_by(&mu_sep);
                }
            }
            let carried = intersection(attrs, &f.attrs);
            match parent[t] {
                Some(p) if t != root => {
                    let sep = intersection(&self.tree.cliques[t], &self.tree.cliques[p]);
                    let keep = union(&sep, &carried);
                    // Normalise to probabilities so that the division by μ_S at the parent
                    // (a count) yields counts again.
                    let mut m = f.sum_onto(&keep, self.sizes);
                    let s = m.total();
                    if s > 0.0 {
                        for v in &mut m.values {
                            *v /= s;
                        }
                    }
                    messages[t] = Some(m);
                }
                _ => {
                    let mut out = f.sum_onto(attrs, self.sizes);
                    let s = out.total();
                    if s > 0.0 {
                        for v in &mut out.values {
                            *v *= total / s;
                        }
                    }
                    return out;
                }
            }
        }
        Factor::filled(attrs, self.sizes, 0.0)
    }

    /// Parents and depths of the tree re-rooted at `root`.
    fn rooted_at(&self, root: usize) -> (Vec<Option<usize>>, Vec<usize>) {
        let k = self.tree.cliques.len();
        let mut adjacency: Vec<Vec<usize>> = vec![Vec::new(); k];
        for &(p, c) in &self.tree.edges {
            adjacency[p].push(c);
            adjacency[c].push(p);
        }
        let mut parent = vec![None; k];
        let mut depth = vec![usize::MAX; k];
        depth[root] = 0;
        let mut stack = vec![root];
        while let Some(t) = stack.pop() {
            for &n in &adjacency[t] {
                if depth[n] == usize::MAX {
                    depth[n] = depth[t] + 1;
                    parent[n] = Some(t);
                    stack.push(n);
                }
            }
        }
        (parent, depth)
    }
}

#[cfg(test)]
mod tests;
