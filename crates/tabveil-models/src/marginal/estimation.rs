//! Private-PGM estimation (McKenna, Sheldon & Miklau, ICML 2019): the graphical model whose
//! clique marginals best explain the noisy measurements, by mirror descent on the
//! log-potentials.
//!
//! The loss is the weighted least squares L(μ) = ½ Σ_m Σ_cells ((μ_m − y_m) / s_m)², with μ_m
//! the model's marginal on measurement m's clique and s_m its noise standard deviation. The
//! model cliques are the maximal measured cliques; each measurement is read from the model
//! clique that contains it, so the Hessian is block-diagonal and its largest eigenvalue is
//! L = max_c Σ_{m ⊆ c} |c| / (|m| · s_m²) (the constant vector is a common top eigenvector of
//! the broadcast-sum operators). A step θ ← θ − α ∇_μ L is accepted when it satisfies the
//! Armijo condition L(μ) − L(μ') ≥ ½ α ⟨∇L, μ − μ'⟩, after which α grows by 1 %; otherwise α
//! halves (the rule of private-pgm's `mirror_descent`, which starts at α = 2 / (L · N̂)).
//!
//! Every buffer is allocated when the estimator is built; an iteration is one propagation
//! plus two passes over the measurements.

use serde::{Deserialize, Serialize};

use super::factor::{Clique, cells, gather_add, is_subset, projection_map, scatter_add};
use super::inference::Engine;
use super::junction_tree::JunctionTree;

/// A noisy measurement of the marginal counts on `clique`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Measurement {
    /// The attributes.
    pub(crate) clique: Clique,
    /// Noisy counts, one per joint cell (row-major).
    pub(crate) values: Vec<f64>,
    /// The noise standard deviation of each cell.
    pub(crate) std: Vec<f64>,
}

impl Measurement {
    /// The minimum-variance unbiased estimate of the row count from `measurements` (each
    /// one's sum, weighted by the inverse of its variance); at least 1.
    pub(crate) fn estimated_total(measurements: &[Measurement]) -> f64 {
        let (mut num, mut den) = (0.0, 0.0);
        for m in measurements {
            let var: f64 = m.std.iter().map(|s| s * s).sum();
            if var > 0.0 {
                num += m.values.iter().sum::<f64>() / var;
                den += 1.0 / var;
            }
        }
        if den > 0.0 { (num / den).max(1.0) } else { 1.0 }
    }
}

/// What one estimation run did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct EstimationStats {
    /// Iterations run.
    pub(crate) iterations: usize,
    /// The final loss.
    pub(crate) loss: f64,
}

/// Mirror descent over a fixed set of measurements (see the [module docs](self)).
#[derive(Debug, Clone)]
pub(crate) struct Estimator {
    engine: Engine,
    total: f64,
    /// Per measurement: its model clique and the model-clique cell → measurement cell map
    /// (`None` when the measurement is on the model clique itself).
    reads: Vec<(usize, Option<Vec<u32>>)>,
    theta: Vec<Vec<f64>>,
    theta_try: Vec<Vec<f64>>,
    mu: Vec<Vec<f64>>,
    mu_try: Vec<Vec<f64>>,
    grad: Vec<Vec<f64>>,
    grad_try: Vec<Vec<f64>>,
    /// Per measurement: the model's marginal on its clique.
    proj: Vec<Vec<f64>>,
    alpha: f64,
}

impl Estimator {
    /// An estimator for `measurements` over attributes with `sizes` cells, starting from the
    /// potentials of a previous model (`warm`: its cliques and log-potentials; each is folded
    /// into a model clique that contains it, so the starting distribution is the previous
    /// model's) or from the uniform distribution.
    pub(crate) fn new(
        sizes: &[usize],
        measurements: &[Measurement],
        warm: Option<(&[Clique], &[Vec<f64>])>,
    ) -> Self {
        let mut cliques = model_cliques(sizes.len(), measurements.iter().map(|m| &m.clique));
        if let Some((old, _)) = warm {
            // Keep every old clique representable (a new model never forgets structure).
            let mut all: Vec<&Clique> = cliques.iter().collect();
            all.extend(old.iter());
            cliques = model_cliques(sizes.len(), all.into_iter());
        }
        let engine = Engine::new(sizes, &cliques);
        let home = |c: &Clique| {
            (0..cliques.len())
                .filter(|&i| is_subset(c, &cliques[i]))
                .min_by_key(|&i| (cells(&cliques[i], sizes), i))
                .unwrap_or(0)
        };
        let mut theta: Vec<Vec<f64>> = cliques.iter().map(|c| vec![0.0; cells(c, sizes)]).collect();
        if let Some((old, potentials)) = warm {
            for (c, p) in old.iter().zip(potentials) {
                let h = home(c);
                let shape: Vec<usize> = cliques[h].iter().map(|&a| sizes[a]).collect();
                let map = projection_map(&cliques[h], &shape, c);
                gather_add(&mut theta[h], p, &map);
            }
        }
        let mut reads = Vec::with_capacity(measurements.len());
        let mut curvature = vec![0.0f64; cliques.len()];
        for m in measurements {
            let h = home(&m.clique);
            let map = (cliques[h] != m.clique).then(|| {
                let shape: Vec<usize> = cliques[h].iter().map(|&a| sizes[a]).collect();
                projection_map(&cliques[h], &shape, &m.clique)
            });
            let max_inv_var = m
                .std
                .iter()
                .map(|s| 1.0 / (s * s).max(1e-300))
                .fold(0.0, f64::max);
            curvature[h] += max_inv_var * cells(&cliques[h], sizes) as f64
                / cells(&m.clique, sizes).max(1) as f64;
            reads.push((h, map));
        }
        let lipschitz = curvature.iter().copied().fold(0.0, f64::max).max(1e-300);
        let total = Measurement::estimated_total(measurements);
        let zeros = theta.clone();
        let proj = measurements
            .iter()
            .map(|m| vec![0.0; m.values.len()])
            .collect();
        Estimator {
            engine,
            total,
            reads,
            theta_try: zeros.clone(),
            mu: zeros.clone(),
            mu_try: zeros.clone(),
            grad: zeros.clone(),
            grad_try: zeros,
            theta,
            proj,
            alpha: 2.0 / (lipschitz * total),
        }
    }

    /// Runs up to `iterations` steps of mirror descent; stops early once `patience`
    /// consecutive accepted steps each improved the loss by less than `tolerance` (relative).
    pub(crate) fn run(
        &mut self,
        measurements: &[Measurement],
        iterations: usize,
        tolerance: f64,
        patience: usize,
    ) -> EstimationStats {
        let total = self.total;
        self.engine.marginals(&self.theta, total, &mut self.mu);
        let mut loss = self.loss_and_gradient(measurements, false);
        let mut quiet = 0usize;
        let mut done = 0usize;
        for _ in 0..iterations {
            done += 1;
            let alpha = self.alpha;
            for ((t, tt), g) in self.theta.iter().zip(&mut self.theta_try).zip(&self.grad) {
                for ((a, b), d) in t.iter().zip(tt.iter_mut()).zip(g) {
                    *b = a - alpha * d;
                }
            }
            self.engine
                .marginals(&self.theta_try, total, &mut self.mu_try);
            let loss_try = self.loss_and_gradient(measurements, true);
            let mut decrease = 0.0;
            for ((g, m), mt) in self.grad.iter().zip(&self.mu).zip(&self.mu_try) {
                for ((d, a), b) in g.iter().zip(m).zip(mt) {
                    decrease += d * (a - b);
                }
            }
            if loss - loss_try >= 0.5 * alpha * decrease {
                std::mem::swap(&mut self.theta, &mut self.theta_try);
                std::mem::swap(&mut self.mu, &mut self.mu_try);
                std::mem::swap(&mut self.grad, &mut self.grad_try);
                let improvement = (loss - loss_try) / loss.abs().max(1e-300);
                loss = loss_try;
                self.alpha *= 1.01;
                if improvement < tolerance {
                    quiet += 1;
                    if quiet >= patience {
                        break;
                    }
                } else {
                    quiet = 0;
                }
            } else {
                self.alpha *= 0.5;
            }
        }
        EstimationStats {
            iterations: done,
            loss,
        }
    }

    /// The loss at `mu` (`trial`: at `mu_try`), writing its gradient into `grad`
    /// (`grad_try`).
    fn loss_and_gradient(&mut self, measurements: &[Measurement], trial: bool) -> f64 {
        let (mu, grad) = if trial {
            (&self.mu_try, &mut self.grad_try)
        } else {
            (&self.mu, &mut self.grad)
        };
        for g in grad.iter_mut() {
            g.fill(0.0);
        }
        let mut loss = 0.0;
        for ((m, (h, map)), proj) in measurements.iter().zip(&self.reads).zip(&mut self.proj) {
            // `proj` receives the model's marginal on the measurement's clique, then, in place,
            // the inverse-variance-weighted residual: the gradient with respect to it.
            match map {
                Some(map) => {
                    proj.fill(0.0);
                    scatter_add(&mu[*h], map, proj);
                }
                None => proj.copy_from_slice(&mu[*h]),
            }
            for ((r, &y), &s) in proj.iter_mut().zip(&m.values).zip(&m.std) {
                let w = 1.0 / (s * s).max(1e-300);
                let d = *r - y;
                loss += 0.5 * w * d * d;
                *r = w * d;
            }
            match map {
                Some(map) => gather_add(&mut grad[*h], proj, map),
                None => {
                    for (g, r) in grad[*h].iter_mut().zip(proj.iter()) {
                        *g += r;
                    }
                }
            }
        }
        loss
    }

    /// The model cliques.
    pub(crate) fn cliques(&self) -> &[Clique] {
        self.engine.cliques()
    }

    /// The log-potentials, one per model clique.
    pub(crate) fn potentials(&self) -> &[Vec<f64>] {
        &self.theta
    }

    /// The estimated row count N̂ the model is scaled to.
    pub(crate) fn total(&self) -> f64 {
        self.total
    }

    /// The calibrated marginals of the junction tree's cliques at the current potentials,
    /// scaled to N̂.
    pub(crate) fn tree_marginals(&mut self) -> Vec<Vec<f64>> {
        self.engine.tree_marginals(&self.theta, self.total)
    }

    /// The junction tree.
    pub(crate) fn tree(&self) -> &JunctionTree {
        self.engine.tree()
    }
}

/// The maximal cliques among `cliques`, plus a singleton for every attribute none covers,
/// sorted (larger first, then lexicographic) so the result is deterministic.
pub(crate) fn model_cliques<'a>(
    n_attrs: usize,
    cliques: impl Iterator<Item = &'a Clique>,
) -> Vec<Clique> {
    let mut all: Vec<Clique> = cliques.cloned().collect();
    all.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    let mut out: Vec<Clique> = Vec::new();
    for c in all {
        if !out.iter().any(|m| is_subset(&c, m)) {
            out.push(c);
        }
    }
    for a in 0..n_attrs {
        if !out.iter().any(|m| m.contains(&a)) {
            out.push(vec![a]);
        }
    }
    out
}

#[cfg(test)]
mod tests;
