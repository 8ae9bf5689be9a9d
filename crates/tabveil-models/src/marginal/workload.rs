//! The workload (the marginals the synthetic data should preserve) and the candidates a round
//! may select, with AIM's weights: every workload marginal W has a weight w_W, and a candidate
//! r (any non-empty subset of a workload marginal) scores with w_r = Σ_W w_W · |r ∩ W| — a
//! measurement of r helps every workload marginal it overlaps, in proportion to the overlap.
//!
//! The workload is every pair of attributes and, when a target is known, every triple that
//! contains it (the relationships a model trained on the synthetic rows needs), without the
//! marginals larger than a cell limit; those with the target weigh `target_weight`, the others 1.

use super::factor::{Clique, cells, is_subset};

/// Candidate cliques and their score weights.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Candidates {
    /// The cliques (sorted attribute sets), smallest first, then lexicographic.
    pub(crate) cliques: Vec<Clique>,
    /// Their weights.
    pub(crate) weights: Vec<f64>,
}

/// The workload's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct WorkloadRule {
    /// The target attribute, if any.
    pub(crate) target: Option<usize>,
    /// Whether to add the triples that contain the target.
    pub(crate) target_triples: bool,
    /// Weight of workload marginals that contain the target.
    pub(crate) target_weight: f64,
    /// Largest workload marginal, in cells.
    pub(crate) max_cells: usize,
}

/// The workload marginals and their weights (see the [module docs](self)).
pub(crate) fn workload(sizes: &[usize], rule: &WorkloadRule) -> Vec<(Clique, f64)> {
    let d = sizes.len();
    let weight = |c: &Clique| match rule.target {
        Some(t) if c.contains(&t) => rule.target_weight,
        _ => 1.0,
    };
    let mut out = Vec::new();
    for a in 0..d {
        for b in a + 1..d {
            let c = vec![a, b];
            if cells(&c, sizes) <= rule.max_cells {
                let w = weight(&c);
                out.push((c, w));
            }
        }
    }
    if let (Some(t), true) = (rule.target, rule.target_triples) {
        for a in 0..d {
            for b in a + 1..d {
                if a == t || b == t {
                    continue;
                }
                let mut c = vec![a, b, t];
                c.sort_unstable();
                if cells(&c, sizes) <= rule.max_cells {
                    out.push((c, rule.target_weight));
                }
            }
        }
    }
    if out.is_empty() {
        // A single attribute, or every pair too large: the one-way marginals are the workload.
        out = (0..d).map(|a| (vec![a], 1.0)).collect();
    }
    out
}

/// Every non-empty subset of a workload marginal, with AIM's weight.
pub(crate) fn candidates(workload: &[(Clique, f64)]) -> Candidates {
    let mut cliques: Vec<Clique> = Vec::new();
    for (w, _) in workload {
        for mask in 1u32..(1u32 << w.len()) {
            let sub: Clique = w
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, &a)| a)
                .collect();
            cliques.push(sub);
        }
    }
    cliques.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    cliques.dedup();
    let weights = cliques
        .iter()
        .map(|c| {
            workload
                .iter()
                .map(|(w, wt)| wt * c.iter().filter(|a| w.contains(a)).count() as f64)
                .sum()
        })
        .collect();
    Candidates { cliques, weights }
}

/// Whether `clique` is contained in one of `model` (measuring it cannot grow the model).
pub(crate) fn is_free(clique: &Clique, model: &[Clique]) -> bool {
    model.iter().any(|m| is_subset(clique, m))
}

#[cfg(test)]
mod tests;
