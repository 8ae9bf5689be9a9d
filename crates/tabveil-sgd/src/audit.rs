//! The seam of a white-box (all-iterates) audit of DP-SGD: Dirac canaries that enter the
//! clipped sum like any example, and an observer of what each step releases.
//!
//! Neither part can weaken the privacy of a run:
//! - a [`ReleaseObserver`] sees, after the budget has recorded the step, the gradient handed
//!   to the optimizer — the noisy mean of the clipped sum plus the public terms — which the
//!   next iterate reveals anyway (all-iterates access); it sees no clipped sum, norm or batch;
//! - [`DiracCanaries`] are extra examples, not rows of the table: each included canary is
//!   Poisson-sampled by the run's own sampler (its index lies past the real rows), its gradient
//!   lives on a coordinate of a parameter no model uses, and it is clipped with the others
//!   ([`GhostBatch::add_separate_examples`]). The real rows' terms, their clipping and the
//!   noise are untouched; the noise covers the canary coordinates too.
//!
//! The auditing itself (inclusion bits, scores, the bound) is in `tabveil-audit`.

use std::fmt;

use candle_core::{DType, Device, Tensor, Var};

use crate::error::{Result, SgdError};
use crate::ghost::GhostBatch;
use crate::gradients::Gradients;

/// What one DP-SGD step released, as an auditor with all-iterates access sees it.
#[derive(Debug)]
pub struct Release<'a> {
    /// Steps taken under the budget, this one included.
    pub step: u64,
    /// The gradient handed to the optimizer: (clipped sum + N(0, σ²C²)) / (q·N) for every
    /// private coordinate, plus the public terms.
    pub gradients: &'a Gradients,
    /// The normaliser q·N of the step.
    pub expected_batch_size: f64,
    /// The declared clipping norm C.
    pub max_grad_norm: f64,
    /// The declared noise multiplier σ.
    pub noise_multiplier: f64,
    /// The declared sampling rate q.
    pub sample_rate: f64,
}

/// Receives every release of a `DpOptimizer`: the seam of a white-box (all-iterates) audit.
///
/// An observer cannot widen what a run releases: it is called after the budget has recorded
/// the step, with the gradient handed to the optimizer — the noisy mean of the clipped sum plus
/// the public terms — which the next iterate reveals anyway. It sees no clipped sum, norm or
/// batch.
pub trait ReleaseObserver: Send + Sync + fmt::Debug {
    /// Called once per step taken, after the release and before the optimizer update.
    ///
    /// # Errors
    /// Whatever the observer reports; the step then fails.
    fn observe(&mut self, release: &Release<'_>) -> Result<()>;
}

/// Dirac canaries for a white-box audit: `count` coordinates of one parameter that no model
/// uses, and for each included canary j an example whose gradient is `gradient_norm`·eⱼ.
///
/// A run that takes canaries samples over its N real rows followed by
/// [`extra_rows`](Self::extra_rows) canary rows with the same Poisson sampler (so the canaries
/// see the rate q the run really uses), adds [`parameter`](Self::parameter) to its DP
/// optimizer, and for each batch calls [`split`](Self::split) and then
/// [`record`](Self::record) on the batch's [`GhostBatch`] before clipping. Clipping brings
/// each canary to norm min(`gradient_norm`, C); a canary norm above C therefore also tests the
/// clipping.
///
/// Canaries cannot weaken a run's privacy: they are extra examples, not rows of the table; the
/// real rows' terms, their clipping and the noise are untouched, and the noise covers the
/// canary coordinates too ([`GhostBatch::add_separate_examples`]).
///
/// ```
/// use candle_core::{DType, Device};
/// use tabveil_sgd::{DiracCanaries, GhostBatch};
///
/// // 4 canaries, of which 0 and 2 are in the run; gradients of norm 3 before clipping.
/// let canaries = DiracCanaries::new("audit.canaries", 4, vec![0, 2], 3.0, DType::F32, &Device::Cpu)?;
/// // A Poisson sample over 10 real rows + 2 canaries drew rows 1 and 7 and both canaries.
/// let (real, sampled) = canaries.split(vec![1, 7, 10, 11], 10);
/// assert_eq!((real, sampled.clone()), (vec![1, 7], vec![0, 1]));
/// let mut batch = GhostBatch::new();
/// canaries.record(&sampled, 1.0, &mut batch)?;
/// let clipped = batch.clip(1.0)?; // each canary clipped to norm 1 (never above: the factor
///                                  // 1/3 is rounded down in f32)
/// let sum = clipped.private_sums().get("audit.canaries").unwrap().to_vec1::<f32>()?;
/// assert!(sum[0] <= 1.0 && sum[0] > 0.999_999 && sum[2] == sum[0]);
/// assert_eq!((sum[1], sum[3]), (0.0, 0.0));
/// # Ok::<(), tabveil_sgd::SgdError>(())
/// ```
#[derive(Debug)]
pub struct DiracCanaries {
    name: String,
    count: usize,
    included: Vec<usize>,
    gradient_norm: f64,
    var: Var,
    dtype: DType,
    device: Device,
}

impl DiracCanaries {
    /// `count` canaries on the coordinates of a new zero parameter `name`, of which the ids in
    /// `included` take part in the run, each with a gradient of norm `gradient_norm`.
    ///
    /// # Errors
    /// [`SgdError::InvalidParameter`] for `count` = 0, an id ≥ `count` or repeated, or a norm
    /// that is not finite and > 0; Candle errors.
    pub fn new(
        name: impl Into<String>,
        count: usize,
        mut included: Vec<usize>,
        gradient_norm: f64,
        dtype: DType,
        device: &Device,
    ) -> Result<Self> {
        let invalid = |parameter, value: f64, expected| SgdError::InvalidParameter {
            parameter,
            value,
            expected,
        };
        if count == 0 {
            return Err(invalid("canary count", 0.0, "≥ 1"));
        }
        if !(gradient_norm.is_finite() && gradient_norm > 0.0) {
            return Err(invalid(
                "canary gradient norm",
                gradient_norm,
                "finite and > 0",
            ));
        }
        included.sort_unstable();
        if let Some(&bad) = included.last().filter(|&&j| j >= count) {
            return Err(invalid(
                "included canary",
                bad as f64,
                "an id below the count",
            ));
        }
        if let Some(w) = included.windows(2).find(|w| w[0] == w[1]) {
            return Err(invalid("included canary", w[0] as f64, "each id once"));
        }
        let var = Var::zeros(count, dtype, device)?;
        Ok(DiracCanaries {
            name: name.into(),
            count,
            included,
            gradient_norm,
            var,
            dtype,
            device: device.clone(),
        })
    }

    /// The parameter's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// m, the number of canaries (coordinates).
    pub fn count(&self) -> usize {
        self.count
    }

    /// The number of canary rows the sampler adds after the real rows (the included ones).
    pub fn extra_rows(&self) -> usize {
        self.included.len()
    }

    /// The audit parameter, to hand to the DP optimizer with the model's parameters. It is
    /// updated like them and used by nothing.
    pub fn parameter(&self) -> (String, Var) {
        (self.name.clone(), self.var.clone())
    }

    /// Splits the indices a sampler drew over `real_rows` + [`extra_rows`](Self::extra_rows)
    /// rows into the real rows and the positions (0-based, among the included canaries) of the
    /// canaries drawn.
    pub fn split(&self, mut sampled: Vec<usize>, real_rows: usize) -> (Vec<usize>, Vec<usize>) {
        let at = sampled.partition_point(|&i| i < real_rows);
        let canaries = sampled
            .split_off(at)
            .into_iter()
            .map(|i| i - real_rows)
            .collect();
        (sampled, canaries)
    }

    /// Records the canaries at `positions` (from [`split`](Self::split)) as separate examples
    /// of `batch`, with gradients `scale`·`gradient_norm`·eⱼ (a loss of several terms records
    /// each term's share). Call it for every batch, with no position too: the parameter then
    /// gets its zero sum and its noise.
    ///
    /// # Errors
    /// [`SgdError::InvalidParameter`] for a position past the included canaries; the batch's
    /// errors.
    pub fn record(&self, positions: &[usize], scale: f64, batch: &mut GhostBatch) -> Result<()> {
        let k = positions.len();
        let mut rows = vec![0.0f64; k * self.count];
        for (row, &p) in positions.iter().enumerate() {
            let j = *self.included.get(p).ok_or(SgdError::InvalidParameter {
                parameter: "canary position",
                value: p as f64,
                expected: "below the number of included canaries",
            })?;
            rows[row * self.count + j] = scale * self.gradient_norm;
        }
        let rows = Tensor::from_vec(rows, (k, self.count), &self.device)?.to_dtype(self.dtype)?;
        batch.add_separate_examples(self.name.clone(), &rows)
    }
}

/// The Poisson sampling of a private training run: each of the N real rows independently with
/// probability q and, under a white-box audit, each included canary the same way (its index
/// past the real rows) — one sampler, so the canaries see the rate the run really uses.
///
/// ```
/// use tabveil_noise::PrivacyRng;
/// use tabveil_sgd::{GhostBatch, RowSampler};
///
/// let mut sampler = RowSampler::new(1_000, 0.05, PrivacyRng::secure()?, None)?;
/// let (rows, canaries) = sampler.sample()?;
/// assert!(canaries.is_empty() && rows.iter().all(|&r| r < 1_000));
/// sampler.record_canaries(&canaries, 1.0, &mut GhostBatch::new())?; // nothing to record
/// # Ok::<(), tabveil_sgd::SgdError>(())
/// ```
#[derive(Debug)]
pub struct RowSampler {
    sampler: Option<crate::sampler::PoissonSampler>,
    real_rows: usize,
    canaries: Option<DiracCanaries>,
}

impl RowSampler {
    /// A sampler over `real_rows` rows (and the included `canaries`, if any) at rate q. With
    /// nothing to sample every batch is empty.
    ///
    /// # Errors
    /// [`SgdError::InvalidParameter`] unless q ∈ (0, 1].
    pub fn new(
        real_rows: usize,
        sample_rate: f64,
        rng: tabveil_noise::PrivacyRng,
        canaries: Option<DiracCanaries>,
    ) -> Result<Self> {
        let total = real_rows + canaries.as_ref().map_or(0, DiracCanaries::extra_rows);
        let sampler = match total {
            0 => {
                // Validate q all the same.
                crate::sampler::PoissonSampler::new(1, sample_rate, rng)?;
                None
            }
            n => Some(crate::sampler::PoissonSampler::new(n, sample_rate, rng)?),
        };
        Ok(RowSampler {
            sampler,
            real_rows,
            canaries,
        })
    }

    /// One batch: the real rows drawn (sorted) and the positions of the canaries drawn.
    ///
    /// # Errors
    /// Errors of the privacy randomness.
    pub fn sample(&mut self) -> Result<(Vec<usize>, Vec<usize>)> {
        let drawn = match self.sampler.as_mut() {
            Some(s) => s.sample()?,
            None => Vec::new(),
        };
        Ok(match &self.canaries {
            Some(c) => c.split(drawn, self.real_rows),
            None => (drawn, Vec::new()),
        })
    }

    /// Records the canaries drawn (see [`DiracCanaries::record`]); does nothing without
    /// canaries.
    ///
    /// # Errors
    /// As [`DiracCanaries::record`].
    pub fn record_canaries(
        &self,
        drawn: &[usize],
        scale: f64,
        batch: &mut GhostBatch,
    ) -> Result<()> {
        match &self.canaries {
            Some(c) => c.record(drawn, scale, batch),
            None => Ok(()),
        }
    }

    /// The canary parameter, to add to the DP optimizer's parameters (None without canaries).
    pub fn canary_parameter(&self) -> Option<(String, Var)> {
        self.canaries.as_ref().map(DiracCanaries::parameter)
    }
}

/// Everything a model's private training loop needs to run under a white-box audit.
#[derive(Debug)]
pub struct WhiteBoxAudit {
    /// The canaries, sampled and clipped with the real rows.
    pub canaries: DiracCanaries,
    /// The observer of every release.
    pub observer: Box<dyn ReleaseObserver>,
}
