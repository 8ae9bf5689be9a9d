//! Weighted 1-D k-means (k-means++ seeding with local trials, then Lloyd iterations), the
//! initialisation scikit-learn's `BayesianGaussianMixture(init_params='kmeans')` uses.
//!
//! Follows the algorithm of scikit-learn 1.9.1 `sklearn/cluster/_kmeans.py`
//! (`_kmeans_plusplus`, `_kmeans_single_lloyd`): `2 + ⌊ln k⌋` candidate centres per step, the
//! one that lowers the potential most is kept; Lloyd stops when labels no longer change or the
//! total squared centre shift is ≤ `tol · var(x)`. The random draws come from our own seeded
//! generator, so the centres differ from scikit-learn's for the same seed.

use rand::Rng;

use super::points::WeightedPoints;

/// Cluster centres, in the order they were chosen (the order matters to the stick-breaking
/// prior of the mixture that k-means initialises).
pub(crate) fn kmeans<R: Rng + ?Sized>(
    points: &WeightedPoints,
    k: usize,
    max_iter: usize,
    tol: f64,
    rng: &mut R,
) -> Vec<f64> {
    let mut centres = plus_plus(points, k, rng);
    let var = points_variance(points);
    let tol = tol * var;
    let mut labels = assign(points, &centres);
    for _ in 0..max_iter {
        let new_centres = update(points, &labels, &centres);
        let shift: f64 = new_centres
            .iter()
            .zip(&centres)
            .map(|(a, b)| (a - b) * (a - b))
            .sum();
        centres = new_centres;
        let new_labels = assign(points, &centres);
        let same = new_labels == labels;
        labels = new_labels;
        if same || shift <= tol {
            break;
        }
    }
    centres
}

/// For each point, the index of the nearest centre (ties: the lower index).
pub(crate) fn assign(points: &WeightedPoints, centres: &[f64]) -> Vec<usize> {
    // Points are sorted; walk them against the centres sorted by value.
    let mut order: Vec<usize> = (0..centres.len()).collect();
    order.sort_by(|&a, &b| centres[a].total_cmp(&centres[b]).then(a.cmp(&b)));
    let mut labels = Vec::with_capacity(points.len());
    let mut j = 0usize;
    for &x in &points.x {
        // Advance while the next centre is strictly closer.
        while j + 1 < order.len() {
            let here = (x - centres[order[j]]).abs();
            let next = (x - centres[order[j + 1]]).abs();
            if next < here || (next == here && order[j + 1] < order[j]) {
                j += 1;
            } else {
                break;
            }
        }
        labels.push(order[j]);
    }
    labels
}

fn plus_plus<R: Rng + ?Sized>(points: &WeightedPoints, k: usize, rng: &mut R) -> Vec<f64> {
    let n = points.len();
    let n_local_trials = 2 + (k as f64).ln() as usize;
    let total_w = points.total_weight();
    let first = sample_index(&points.w, total_w * rng.random::<f64>());
    let mut centres = vec![points.x[first]];
    let mut closest: Vec<f64> = points.x.iter().map(|x| sq(x - points.x[first])).collect();
    let mut potential = dot(&closest, &points.w);
    let mut weighted = vec![0.0; n];
    let mut cand_dist = vec![0.0; n];
    let mut best_dist = vec![0.0; n];
    for _ in 1..k {
        for i in 0..n {
            weighted[i] = closest[i] * points.w[i];
        }
        let mut best: Option<(f64, usize)> = None;
        for _ in 0..n_local_trials {
            let cand = if potential > 0.0 {
                sample_index(&weighted, potential * rng.random::<f64>())
            } else {
                // Every point is already a centre: repeat one (as scikit-learn does).
                sample_index(&points.w, total_w * rng.random::<f64>())
            };
            let c = points.x[cand];
            for i in 0..n {
                cand_dist[i] = closest[i].min(sq(points.x[i] - c));
            }
            let pot = dot(&cand_dist, &points.w);
            if best.is_none_or(|(p, _)| pot < p) {
                best = Some((pot, cand));
                best_dist.copy_from_slice(&cand_dist);
            }
        }
        if let Some((pot, cand)) = best {
            centres.push(points.x[cand]);
            potential = pot;
            closest.copy_from_slice(&best_dist);
        }
    }
    centres
}

/// Weighted means of the clusters; an empty cluster moves to the point farthest from its
/// centre (as scikit-learn relocates empty clusters).
fn update(points: &WeightedPoints, labels: &[usize], centres: &[f64]) -> Vec<f64> {
    let k = centres.len();
    let mut sw = vec![0.0; k];
    let mut sx = vec![0.0; k];
    for ((x, w), &l) in points.x.iter().zip(&points.w).zip(labels) {
        sw[l] += w;
        sx[l] += w * x;
    }
    let mut out: Vec<f64> = (0..k)
        .map(|j| if sw[j] > 0.0 { sx[j] / sw[j] } else { f64::NAN })
        .collect();
    let empty: Vec<usize> = (0..k).filter(|&j| sw[j] <= 0.0).collect();
    if !empty.is_empty() {
        let mut far: Vec<usize> = (0..points.len()).collect();
        far.sort_by(|&a, &b| {
            let da = sq(points.x[a] - centres[labels[a]]);
            let db = sq(points.x[b] - centres[labels[b]]);
            db.total_cmp(&da)
        });
        for (j, &p) in empty.iter().zip(far.iter()) {
            out[*j] = points.x[p];
        }
        for j in empty {
            if out[j].is_nan() {
                out[j] = centres[j];
            }
        }
    }
    out
}

fn points_variance(points: &WeightedPoints) -> f64 {
    let t = points.total_weight();
    if t <= 0.0 {
        return 0.0;
    }
    let m = points.mean();
    points
        .x
        .iter()
        .zip(&points.w)
        .map(|(x, w)| w * sq(x - m))
        .sum::<f64>()
        / t
}

/// The first index whose cumulative weight exceeds `target` (clipped to the last index).
fn sample_index(weights: &[f64], target: f64) -> usize {
    let mut acc = 0.0;
    for (i, w) in weights.iter().enumerate() {
        acc += w;
        if acc > target {
            return i;
        }
    }
    weights.len().saturating_sub(1)
}

fn sq(x: f64) -> f64 {
    x * x
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
