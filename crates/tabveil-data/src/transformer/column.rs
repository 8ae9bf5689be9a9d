//! Per-column encoders: mode-specific normalisation for continuous columns, one-hot for
//! discrete ones.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::mixture::{BayesianMixture, BgmConfig, WeightedPoints};

/// Added to each kept mode's posterior before sampling, as SDV/RDT do.
const POSTERIOR_FLOOR: f64 = 1e-6;

/// One column's encoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub(crate) enum ColumnTransform {
    Continuous(Box<ContinuousTransform>),
    Discrete(DiscreteTransform),
    Id,
}

/// Mode-specific normalisation of one continuous (or datetime) column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ContinuousTransform {
    pub(crate) mixture: BayesianMixture,
    /// Indices (into the mixture's components) of the kept modes.
    pub(crate) kept: Vec<usize>,
    pub(crate) means: Vec<f64>,
    pub(crate) stds: Vec<f64>,
    /// Weights of the kept modes, renormalised (used to give null rows a mode).
    pub(crate) kept_weights: Vec<f64>,
    pub(crate) min: Option<f64>,
    pub(crate) max: Option<f64>,
    pub(crate) integer: bool,
    pub(crate) nullable: bool,
    pub(crate) std_multiplier: f64,
    pub(crate) clip: f64,
    /// Per kept mode, the exact value it decodes to when it stands for a spike of the private
    /// histogram (see [`ContinuousTransform::mark_point_modes`]); empty outside private mode.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) points: Vec<Option<f64>>,
}

/// A point mode needs at least this share of its expected mass in the one point cell: a spike,
/// not a mode that merely has a most frequent integer (with 0.5, adult's hours-per-week mode
/// at 21.7 ± 2.8 collapsed onto 20).
const POINT_MASS_SHARE: f64 = 0.8;

/// Scratch space reused across the rows of one column.
pub(crate) struct EncodeScratch {
    consts: Vec<f64>,
    precisions: Vec<f64>,
    logp: Vec<f64>,
}

impl ContinuousTransform {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn fit(
        points: &WeightedPoints,
        bgm: &BgmConfig,
        weight_threshold: f64,
        seed: u64,
        bounds: (Option<f64>, Option<f64>),
        integer: bool,
        nullable: bool,
        std_multiplier: f64,
        clip: f64,
    ) -> Result<Self> {
        let mixture = BayesianMixture::fit(points, bgm, seed)?;
        Ok(Self::from_mixture(
            mixture,
            weight_threshold,
            bounds,
            integer,
            nullable,
            std_multiplier,
            clip,
        ))
    }

    pub(crate) fn from_mixture(
        mixture: BayesianMixture,
        weight_threshold: f64,
        bounds: (Option<f64>, Option<f64>),
        integer: bool,
        nullable: bool,
        std_multiplier: f64,
        clip: f64,
    ) -> Self {
        let weights = mixture.weights();
        let mut kept = mixture.kept_modes(weight_threshold);
        if kept.is_empty() {
            // Every weight ≤ threshold cannot happen with ≤ 1/threshold components, but a
            // tiny threshold and many components could: keep the heaviest.
            let best = (0..weights.len())
                .max_by(|&a, &b| weights[a].total_cmp(&weights[b]))
                .unwrap_or(0);
            kept.push(best);
        }
        let means = kept.iter().map(|&k| mixture.means()[k]).collect();
        let stds = kept
            .iter()
            .map(|&k| mixture.variances()[k].sqrt())
            .collect();
        let total: f64 = kept.iter().map(|&k| weights[k]).sum();
        let kept_weights = kept.iter().map(|&k| weights[k] / total).collect();
        ContinuousTransform {
            mixture,
            kept,
            means,
            stds,
            kept_weights,
            min: bounds.0,
            max: bounds.1,
            integer,
            nullable,
            std_multiplier,
            clip,
            points: Vec::new(),
        }
    }

    /// Private mode: marks the kept modes that stand for one exact value of the noisy
    /// histogram (`centres`, `spreads`, `counts` of its non-null cells), so that they decode
    /// to it exactly. A mode qualifies when a point cell (spread 0: a declared bound, or an
    /// integer of a short integer range) lies within one of its standard deviations and holds
    /// at least 80 % of the mode's expected mass (its weight × the histogram's total).
    ///
    /// Why: spikes such as a capital gain of exactly 0 for 92 % of the rows are released
    /// exactly by the histogram's point cells, but the mixture fitted to the histogram blurs
    /// them into a mode with a standard deviation of tens, and the decoded values spread
    /// around the spike. Only released counts and public cells are used: post-processing.
    pub(crate) fn mark_point_modes(&mut self, centres: &[f64], spreads: &[f64], counts: &[f64]) {
        let total: f64 = counts.iter().map(|c| c.max(0.0)).sum();
        if total.is_nan() || total <= 0.0 {
            return;
        }
        let cells: Vec<(f64, f64)> = centres
            .iter()
            .zip(spreads)
            .zip(counts)
            .filter(|((_, spread), _)| **spread == 0.0)
            .map(|((&centre, _), &count)| (centre, count))
            .collect();
        self.points = self
            .means
            .iter()
            .zip(&self.stds)
            .zip(&self.kept_weights)
            .map(|((&mean, &std), &weight)| {
                let mass = weight * total;
                cells
                    .iter()
                    .filter(|(centre, count)| {
                        (centre - mean).abs() <= std && *count >= POINT_MASS_SHARE * mass
                    })
                    .max_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|&(centre, _)| centre)
            })
            .collect();
        if self.points.iter().all(Option::is_none) {
            self.points.clear();
        }
    }

    pub(crate) fn n_modes(&self) -> usize {
        self.kept.len()
    }

    pub(crate) fn width(&self) -> usize {
        1 + self.kept.len() + if self.nullable { 2 } else { 0 }
    }

    pub(crate) fn scratch(&self) -> EncodeScratch {
        EncodeScratch {
            consts: self.mixture.component_constants(),
            precisions: self.mixture.variances().iter().map(|v| 1.0 / v).collect(),
            logp: vec![0.0; self.mixture.n_components()],
        }
    }

    /// Writes one row's encoding into `out` (length [`Self::width`]); `u` ∈ [0, 1) picks the
    /// mode from the posterior (for a null, from the kept weights).
    pub(crate) fn encode(&self, x: Option<f64>, u: f64, s: &mut EncodeScratch, out: &mut [f32]) {
        out.fill(0.0);
        let k = self.kept.len();
        let Some(x) = x else {
            let mode = pick(self.kept_weights.iter().copied(), 1.0, u);
            out[1 + mode] = 1.0;
            out[1 + k + 1] = 1.0;
            return;
        };
        // Posterior over all components (predict_proba), restricted to the kept ones.
        let means = self.mixture.means();
        let mut max = f64::NEG_INFINITY;
        for (j, l) in s.logp.iter_mut().enumerate() {
            let d = x - means[j];
            *l = s.consts[j] - 0.5 * d * d * s.precisions[j];
            max = max.max(*l);
        }
        let mut total_all = 0.0;
        for l in s.logp.iter_mut() {
            *l = (*l - max).exp();
            total_all += *l;
        }
        let probs = || {
            self.kept
                .iter()
                .map(|&j| s.logp[j] / total_all + POSTERIOR_FLOOR)
        };
        let total: f64 = probs().sum();
        let mode = pick(probs(), total, u);
        let scalar = (x - self.means[mode]) / (self.std_multiplier * self.stds[mode]);
        out[0] = scalar.clamp(-self.clip, self.clip) as f32;
        out[1 + mode] = 1.0;
        if self.nullable {
            out[1 + k] = 1.0;
        }
    }

    /// Decodes one row's span values; `None` for a null.
    pub(crate) fn decode(&self, row: &[f32]) -> Option<f64> {
        let k = self.kept.len();
        if self.nullable && row[1 + k + 1] > row[1 + k] {
            return None;
        }
        let mode = argmax(&row[1..1 + k]);
        let s = f64::from(row[0]).clamp(-1.0, 1.0);
        let mut x = match self.points.get(mode) {
            Some(Some(point)) => *point,
            _ => s * self.std_multiplier * self.stds[mode] + self.means[mode],
        };
        if let Some(m) = self.min {
            x = x.max(m);
        }
        if let Some(m) = self.max {
            x = x.min(m);
        }
        if self.integer {
            x = x.round();
            // Rounding may leave non-integer bounds: step back inside.
            if let Some(m) = self.min
                && x < m
            {
                x = m.ceil();
            }
            if let Some(m) = self.max
                && x > m
            {
                x = m.floor();
            }
        }
        Some(x)
    }
}

/// One-hot encoding of a categorical or boolean column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DiscreteTransform {
    pub(crate) domain: Vec<String>,
    pub(crate) nullable: bool,
}

impl DiscreteTransform {
    pub(crate) fn width(&self) -> usize {
        self.domain.len() + usize::from(self.nullable)
    }

    pub(crate) fn encode(&self, code: Option<u32>, out: &mut [f32]) {
        out.fill(0.0);
        match code {
            Some(c) => out[c as usize] = 1.0,
            None => out[self.domain.len()] = 1.0,
        }
    }

    /// The category index, or `None` for the null slot.
    pub(crate) fn decode(&self, row: &[f32]) -> Option<u32> {
        let i = argmax(row);
        (i < self.domain.len()).then_some(i as u32)
    }
}

/// Index of the first maximum (0 for an empty slice).
pub(crate) fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}

/// Inverse-CDF pick: the first index whose cumulative weight exceeds `u · total`.
fn pick(weights: impl Iterator<Item = f64>, total: f64, u: f64) -> usize {
    let target = u * total;
    let mut acc = 0.0;
    let mut last = 0;
    for (i, w) in weights.enumerate() {
        acc += w;
        last = i;
        if acc > target {
            return i;
        }
    }
    last
}
