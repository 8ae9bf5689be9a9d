//! A variational Bayesian Gaussian mixture in one dimension with a Dirichlet-process
//! (stick-breaking) prior on the weights: the model behind CTGAN's mode-specific
//! normalisation.
//!
//! Ported from scikit-learn 1.9.1 `sklearn/mixture/_bayesian_mixture.py` and
//! `_gaussian_mixture.py` (`BayesianGaussianMixture` with `covariance_type='full'`,
//! `weight_concentration_prior_type='dirichlet_process'`), specialised to one feature:
//! the same priors (mean prior = data mean, mean precision prior 1, degrees of freedom prior 1,
//! covariance prior = sample variance with ddof 1), the same updates (Bishop 2006, §10.2, with
//! scikit-learn's normalised covariances), the same lower bound and stopping rule
//! (|Δ lower bound| < tol, at most `max_iter` iterations, k-means initialisation).
//!
//! Two extensions, both reducing to scikit-learn's computation in the default case:
//! points carry weights (fitting on distinct values with their counts), and an intrinsic
//! variance (a histogram bin's `width²/12`, added to the within-component scatter, used by the
//! private fit on a noisy histogram).
//!
//! ```
//! use tabveil_data::{BgmConfig, BayesianMixture, WeightedPoints};
//!
//! let x: Vec<f64> = (0..400).map(|i| if i % 2 == 0 { (i % 7) as f64 } else { 100.0 + (i % 5) as f64 }).collect();
//! let fit = BayesianMixture::fit(&WeightedPoints::from_values(&x)?, &BgmConfig::default(), 0)?;
//! let kept = fit.kept_modes(0.005);
//! assert_eq!(kept.len(), 2);
//! # Ok::<(), tabveil_data::DataError>(())
//! ```

// The E- and M-steps walk parallel per-component arrays by index.
#![allow(clippy::needless_range_loop)]

mod fastexp;
mod kmeans;
mod points;
#[cfg(test)]
mod tests;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use statrs::function::gamma::{digamma, ln_gamma};

use crate::error::TransformError;
use crate::error::{DataError, Result};

pub use points::WeightedPoints;

/// Settings of the Bayesian Gaussian mixture.
///
/// # Defaults
/// SDV CTGAN's (through RDT's `ClusterBasedNormalizer` and scikit-learn's defaults):
/// `n_components` 10, `weight_concentration_prior` 0.001, `max_iter` 100, `tol` 1e-3,
/// `reg_covar` 1e-6, k-means `kmeans_max_iter` 300 and `kmeans_tol` 1e-4.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BgmConfig {
    /// Maximum number of components (capped at the number of rows).
    pub n_components: usize,
    /// Concentration γ of the Dirichlet-process prior (small: few components).
    pub weight_concentration_prior: f64,
    /// Maximum number of variational EM iterations.
    pub max_iter: usize,
    /// Convergence threshold on the change of the lower bound (summed over rows).
    pub tol: f64,
    /// Added to every component variance.
    pub reg_covar: f64,
    /// Maximum number of Lloyd iterations of the k-means initialisation.
    pub kmeans_max_iter: usize,
    /// Relative tolerance of the k-means initialisation.
    pub kmeans_tol: f64,
}

impl Default for BgmConfig {
    fn default() -> Self {
        BgmConfig {
            n_components: 10,
            weight_concentration_prior: 0.001,
            max_iter: 100,
            tol: 1e-3,
            reg_covar: 1e-6,
            kmeans_max_iter: 300,
            kmeans_tol: 1e-4,
        }
    }
}

impl BgmConfig {
    /// Checks every parameter.
    ///
    /// # Errors
    /// [`crate::TransformError::InvalidParameter`] naming the first bad parameter.
    pub fn check(&self) -> Result<()> {
        let bad = |parameter, value: String, expected| {
            Err(DataError::Transform(TransformError::InvalidParameter {
                parameter,
                value,
                expected,
            }))
        };
        if self.n_components == 0 {
            return bad("n_components", "0".into(), "at least 1");
        }
        if !(self.weight_concentration_prior.is_finite() && self.weight_concentration_prior > 0.0) {
            return bad(
                "weight_concentration_prior",
                self.weight_concentration_prior.to_string(),
                "finite and > 0",
            );
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return bad("tol", self.tol.to_string(), "finite and ≥ 0");
        }
        if !(self.reg_covar.is_finite() && self.reg_covar > 0.0) {
            return bad("reg_covar", self.reg_covar.to_string(), "finite and > 0");
        }
        if !(self.kmeans_tol.is_finite() && self.kmeans_tol >= 0.0) {
            return bad("kmeans_tol", self.kmeans_tol.to_string(), "finite and ≥ 0");
        }
        Ok(())
    }
}

/// A fitted mixture: the variational posterior of every component (kept or not, in the
/// stick-breaking order), from which weights, means, variances and posteriors follow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BayesianMixture {
    /// Beta posterior of each stick: (1 + n_k, γ + Σ_{j>k} n_k).
    concentration_a: Vec<f64>,
    concentration_b: Vec<f64>,
    /// Posterior precision scale β_k of the mean.
    mean_precision: Vec<f64>,
    /// Posterior means m_k.
    means: Vec<f64>,
    /// Degrees of freedom ν_k.
    dof: Vec<f64>,
    /// Normalised covariances W_k⁻¹ / ν_k (scikit-learn's `covariances_`).
    covariances: Vec<f64>,
    /// Iterations run.
    n_iter: usize,
    /// Whether |Δ lower bound| < tol was reached.
    converged: bool,
    /// The last lower bound.
    lower_bound: f64,
}

/// Internal sufficient statistics of one M-step.
struct Stats {
    nk: Vec<f64>,
    xk: Vec<f64>,
    sk: Vec<f64>,
}

/// Buffers of the E-step.
struct EScratch {
    logp: Vec<f64>,
    max: Vec<f64>,
    sum: Vec<f64>,
    tmp: Vec<f64>,
    tmp2: Vec<f64>,
}

/// The constant priors of one fit.
struct Prior {
    gamma: f64,
    mean: f64,
    covariance: f64,
}

impl BayesianMixture {
    /// Fits the mixture on `points`, initialised by weighted k-means with a generator seeded by
    /// `seed`.
    ///
    /// # Errors
    /// [`crate::TransformError::InvalidParameter`] for a bad config, [`crate::TransformError::NoRows`] for no points.
    pub fn fit(points: &WeightedPoints, config: &BgmConfig, seed: u64) -> Result<Self> {
        config.check()?;
        if points.is_empty() || points.total_weight() <= 0.0 {
            return Err(DataError::Transform(TransformError::NoRows));
        }
        let k = effective_components(points, config);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let centres = kmeans::kmeans(
            points,
            k,
            config.kmeans_max_iter,
            config.kmeans_tol,
            &mut rng,
        );
        Self::fit_from_centres(points, config, &centres)
    }

    /// Fits the mixture starting from hard assignments to the nearest of `centres` (one
    /// component per centre, in that order): [`BayesianMixture::fit`] after its k-means step.
    /// Used to check the EM against scikit-learn from the same initialisation.
    ///
    /// # Errors
    /// As [`BayesianMixture::fit`]; [`crate::TransformError::InvalidParameter`] for no or non-finite
    /// centres.
    pub fn fit_from_centres(
        points: &WeightedPoints,
        config: &BgmConfig,
        centres: &[f64],
    ) -> Result<Self> {
        config.check()?;
        if points.is_empty() || points.total_weight() <= 0.0 {
            return Err(DataError::Transform(TransformError::NoRows));
        }
        if centres.is_empty() || centres.iter().any(|c| !c.is_finite()) {
            return Err(DataError::Transform(TransformError::InvalidParameter {
                parameter: "centres",
                value: format!("{centres:?}"),
                expected: "at least one finite centre",
            }));
        }
        let k = centres.len();
        let m = points.len();
        let labels = kmeans::assign(points, centres);
        let mut resp = vec![0.0; m * k];
        for (i, &l) in labels.iter().enumerate() {
            resp[l * m + i] = 1.0;
        }
        let mut scratch = EScratch {
            logp: vec![0.0; m * k],
            max: vec![0.0; m],
            sum: vec![0.0; m],
            tmp: vec![0.0; m],
            tmp2: vec![0.0; m],
        };
        let prior = Prior {
            gamma: config.weight_concentration_prior,
            mean: points.mean(),
            covariance: points.sample_variance(),
        };
        let stats = m_stats(points, &resp, k, config.reg_covar);
        let mut model = BayesianMixture::from_stats(&stats, &prior);
        let mut lower_bound = f64::NEG_INFINITY;
        let mut converged = false;
        let mut n_iter = 0;
        for it in 1..=config.max_iter {
            n_iter = it;
            let prev = lower_bound;
            let entropy_term = model.e_step(points, &mut resp, &mut scratch);
            let stats = m_stats(points, &resp, k, config.reg_covar);
            model = BayesianMixture::from_stats(&stats, &prior);
            lower_bound = model.lower_bound_terms() - entropy_term;
            if !lower_bound.is_finite() {
                return Err(DataError::Internal("mixture lower bound is not finite"));
            }
            if (lower_bound - prev).abs() < config.tol {
                converged = true;
                break;
            }
        }
        model.n_iter = n_iter;
        model.converged = converged;
        model.lower_bound = lower_bound;
        Ok(model)
    }

    /// Number of components (kept or not).
    pub fn n_components(&self) -> usize {
        self.means.len()
    }

    /// The expected weights (scikit-learn's `weights_`), summing to 1.
    pub fn weights(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.n_components());
        let mut remaining = 1.0;
        for (a, b) in self.concentration_a.iter().zip(&self.concentration_b) {
            out.push(a / (a + b) * remaining);
            remaining *= b / (a + b);
        }
        let total: f64 = out.iter().sum();
        if total > 0.0 {
            for w in &mut out {
                *w /= total;
            }
        }
        out
    }

    /// The component means (scikit-learn's `means_`).
    pub fn means(&self) -> &[f64] {
        &self.means
    }

    /// The component variances (scikit-learn's `covariances_`).
    pub fn variances(&self) -> &[f64] {
        &self.covariances
    }

    /// Iterations run.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Whether the lower bound converged within `max_iter` iterations.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// The final lower bound (up to scikit-learn's dropped constants).
    pub fn lower_bound(&self) -> f64 {
        self.lower_bound
    }

    /// Indices of the components whose weight exceeds `threshold`, in component order.
    pub fn kept_modes(&self, threshold: f64) -> Vec<usize> {
        self.weights()
            .iter()
            .enumerate()
            .filter(|(_, w)| **w > threshold)
            .map(|(i, _)| i)
            .collect()
    }

    /// The per-component log-likelihood terms of a value: `out[k] = log π̃_k + log p̃(x | k)`
    /// (scikit-learn's `_estimate_weighted_log_prob`); softmax gives `predict_proba`.
    pub fn weighted_log_prob(&self, x: f64, out: &mut [f64]) {
        let consts = self.component_constants();
        for (k, o) in out.iter_mut().enumerate().take(self.n_components()) {
            let d = x - self.means[k];
            *o = consts[k] - 0.5 * d * d / self.covariances[k];
        }
    }

    /// The posterior probability of each component for `x` (scikit-learn's `predict_proba`).
    pub fn predict_proba(&self, x: f64) -> Vec<f64> {
        let mut out = vec![0.0; self.n_components()];
        self.weighted_log_prob(x, &mut out);
        softmax_in_place(&mut out);
        out
    }

    /// Per-component constant of the weighted log probability:
    /// log π̃_k − ½ log 2π + log(prec_chol) − ½ log ν_k + ½(log 2 + ψ(ν_k/2) − 1/β_k).
    pub(crate) fn component_constants(&self) -> Vec<f64> {
        let log_weights = self.expected_log_weights();
        (0..self.n_components())
            .map(|k| {
                let log_prec_chol = -0.5 * self.covariances[k].ln();
                let log_gauss_const = -0.5 * (2.0 * std::f64::consts::PI).ln() + log_prec_chol
                    - 0.5 * self.dof[k].ln();
                let log_lambda = std::f64::consts::LN_2 + digamma(0.5 * self.dof[k]);
                log_weights[k] + log_gauss_const + 0.5 * (log_lambda - 1.0 / self.mean_precision[k])
            })
            .collect()
    }

    fn expected_log_weights(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.n_components());
        let mut acc = 0.0;
        for (a, b) in self.concentration_a.iter().zip(&self.concentration_b) {
            let dsum = digamma(a + b);
            out.push(digamma(*a) - dsum + acc);
            acc += digamma(*b) - dsum;
        }
        out
    }

    fn from_stats(stats: &Stats, prior: &Prior) -> Self {
        let k = stats.nk.len();
        let mut concentration_a = Vec::with_capacity(k);
        let mut concentration_b = vec![0.0; k];
        let mut tail = 0.0;
        for j in (0..k).rev() {
            concentration_b[j] = prior.gamma + tail;
            tail += stats.nk[j];
        }
        let mut mean_precision = Vec::with_capacity(k);
        let mut means = Vec::with_capacity(k);
        let mut dof = Vec::with_capacity(k);
        let mut covariances = Vec::with_capacity(k);
        for j in 0..k {
            let nk = stats.nk[j];
            concentration_a.push(1.0 + nk);
            let beta = 1.0 + nk;
            mean_precision.push(beta);
            means.push((prior.mean + nk * stats.xk[j]) / beta);
            let nu = 1.0 + nk;
            dof.push(nu);
            let diff = stats.xk[j] - prior.mean;
            covariances.push((prior.covariance + nk * stats.sk[j] + nk / beta * diff * diff) / nu);
        }
        BayesianMixture {
            concentration_a,
            concentration_b,
            mean_precision,
            means,
            dof,
            covariances,
            n_iter: 0,
            converged: false,
            lower_bound: f64::NEG_INFINITY,
        }
    }

    /// E-step: fills `resp` (component-major: `resp[j·m + i]`) and returns Σ w r log r.
    /// Loops run over contiguous arrays of points so that they vectorise.
    ///
    /// Components with the same mean and variance (typically the unused ones, which all sit
    /// at the prior) have log-probabilities that differ by a constant only: their
    /// exponentials are computed once, for the group's representative, and scaled. "Same"
    /// means within 1e−12 relative ([`BayesianMixture::same_shape`]): the log-probability of a
    /// point d standard deviations away then differs from the exact one by ~1e−12·d², far
    /// below what the responsibilities resolve.
    fn e_step(&self, points: &WeightedPoints, resp: &mut [f64], scratch: &mut EScratch) -> f64 {
        let k = self.n_components();
        let m = points.len();
        let consts = self.component_constants();
        // rep[j]: the representative of j's group (the member with the largest constant).
        let mut rep: Vec<usize> = (0..k).collect();
        for j in 0..k {
            for i in 0..j {
                if rep[i] == i && self.same_shape(i, j) {
                    rep[j] = i;
                    break;
                }
            }
        }
        for j in 0..k {
            let r = rep[j];
            if r != j && consts[j] > consts[rep[r]] {
                // Make the member with the largest constant the group's representative.
                let old = rep[r];
                for q in rep.iter_mut() {
                    if *q == old {
                        *q = j;
                    }
                }
            }
        }
        let x = &points.x;
        let max = &mut scratch.max;
        let sum = &mut scratch.sum;
        max.fill(f64::NEG_INFINITY);
        for j in (0..k).filter(|&j| rep[j] == j) {
            let (c, mu, h) = (consts[j], self.means[j], 0.5 / self.covariances[j]);
            let lj = &mut scratch.logp[j * m..(j + 1) * m];
            for ((l, xi), mx) in lj.iter_mut().zip(x).zip(max.iter_mut()) {
                let d = xi - mu;
                *l = c - h * d * d;
                *mx = mx.max(*l);
            }
        }
        sum.fill(0.0);
        for j in (0..k).filter(|&j| rep[j] == j) {
            let lj = &scratch.logp[j * m..(j + 1) * m];
            let rj = &mut resp[j * m..(j + 1) * m];
            for (((r, l), mx), s) in rj.iter_mut().zip(lj).zip(max.iter()).zip(sum.iter_mut()) {
                let e = fastexp::exp_nonpositive(l - mx);
                *r = e;
                *s += e;
            }
        }
        for j in (0..k).filter(|&j| rep[j] != j) {
            let f = (consts[j] - consts[rep[j]]).exp();
            let (src, dst) = if rep[j] < j {
                let (a, b) = resp.split_at_mut(j * m);
                (&a[rep[j] * m..(rep[j] + 1) * m], &mut b[..m])
            } else {
                let (a, b) = resp.split_at_mut(rep[j] * m);
                (&b[..m], &mut a[j * m..(j + 1) * m])
            };
            for ((d, s_), acc) in dst.iter_mut().zip(src).zip(sum.iter_mut()) {
                let e = s_ * f;
                *d = e;
                *acc += e;
            }
        }
        // Turn max into max + log Σ (the log-normaliser) and sum into its inverse.
        for (mx, s) in max.iter_mut().zip(sum.iter_mut()) {
            *mx += s.ln();
            *s = 1.0 / *s;
        }
        let mut entropy = 0.0;
        for j in 0..k {
            let r0 = rep[j];
            let delta = consts[j] - consts[r0];
            let lj = &scratch.logp[r0 * m..(r0 + 1) * m];
            let rj = &mut resp[j * m..(j + 1) * m];
            for (r, inv) in rj.iter_mut().zip(sum.iter()) {
                *r *= inv;
            }
            // wr = w·r, then Σ wr·(log p − log-normaliser).
            let wr = &mut scratch.tmp;
            let diff = &mut scratch.tmp2;
            for ((t, r), w) in wr.iter_mut().zip(rj.iter()).zip(&points.w) {
                *t = w * r;
            }
            for ((t, l), norm) in diff.iter_mut().zip(lj).zip(max.iter()) {
                *t = l + delta - norm;
            }
            entropy += dot(wr, diff);
        }
        entropy
    }

    /// Whether components i and j have the same mean and variance up to 1e−12 relative.
    fn same_shape(&self, i: usize, j: usize) -> bool {
        let (vi, vj) = (self.covariances[i], self.covariances[j]);
        let sd = vi.min(vj).sqrt();
        (vi - vj).abs() <= 1e-12 * vi.max(vj)
            && (self.means[i] - self.means[j]).abs() <= 1e-12 * sd.max(self.means[i].abs())
    }

    /// The parameter terms of the lower bound (everything but the entropy of the
    /// responsibilities), as scikit-learn's `_compute_lower_bound`.
    fn lower_bound_terms(&self) -> f64 {
        let mut log_wishart = 0.0;
        let mut log_norm_weight = 0.0;
        let mut log_beta = 0.0;
        for j in 0..self.n_components() {
            let nu = self.dof[j];
            let log_det_chol = -0.5 * self.covariances[j].ln() - 0.5 * nu.ln();
            log_wishart -=
                nu * log_det_chol + nu * 0.5 * std::f64::consts::LN_2 + ln_gamma(0.5 * nu);
            let (a, b) = (self.concentration_a[j], self.concentration_b[j]);
            log_norm_weight -= ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
            log_beta += self.mean_precision[j].ln();
        }
        -log_wishart - log_norm_weight - 0.5 * log_beta
    }
}

/// Number of components actually used: `n_components`, capped at the number of rows (as
/// CTGAN's `max_clusters = min(len(data), 10)`).
fn effective_components(points: &WeightedPoints, config: &BgmConfig) -> usize {
    let rows = points.total_weight().floor().max(1.0) as usize;
    config.n_components.min(rows).max(1)
}

/// Weighted sufficient statistics (scikit-learn's `_estimate_gaussian_parameters`, 'full',
/// one feature): n_k = Σ w r + 10 ε, x̄_k, s_k = Σ w r ((x − x̄_k)² + v) / n_k + reg.
fn m_stats(points: &WeightedPoints, resp: &[f64], k: usize, reg: f64) -> Stats {
    let m = points.len();
    let mut nk = vec![10.0 * f64::EPSILON; k];
    let mut xk = vec![0.0; k];
    let mut sk = vec![0.0; k];
    let mut wr = vec![0.0; m];
    let mut dev = vec![0.0; m];
    for j in 0..k {
        let rj = &resp[j * m..(j + 1) * m];
        for ((t, r), w) in wr.iter_mut().zip(rj).zip(&points.w) {
            *t = w * r;
        }
        nk[j] += wr.iter().sum::<f64>();
        xk[j] = dot(&wr, &points.x) / nk[j];
        let mean = xk[j];
        for ((t, x), v) in dev.iter_mut().zip(&points.x).zip(&points.v) {
            let d = x - mean;
            *t = d * d + v;
        }
        sk[j] = dot(&wr, &dev) / nk[j] + reg;
    }
    Stats { nk, xk, sk }
}

/// Σ a·b with eight independent accumulators, so that the loop vectorises and pipelines
/// (the order of the additions differs from a sequential sum by rounding only).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut lanes = [0.0f64; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            lanes[l] += x[l] * y[l];
        }
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    lanes.iter().sum::<f64>() + tail
}

/// Softmax of log-values, in place.
pub(crate) fn softmax_in_place(v: &mut [f64]) {
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    for x in v.iter_mut() {
        *x /= sum;
    }
}
