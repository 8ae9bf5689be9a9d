//! The auditor's side of a white-box run: it reads the canary coordinates of every release
//! and accumulates each canary's score.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tabveil_sgd::{Release, ReleaseObserver, SgdError};

/// How a white-box audit scores a canary from the releases.
///
/// Each release shows, on canary j's coordinate, zₜ = (number of times canary j was drawn
/// and clipped to C) + N(0, σ²) in units of C (the release times q·N / C). An excluded canary
/// has zₜ ~ N(0, σ²); an included one a mixture (1 − q)·N(0, σ²) + q·N(1, σ²).
///
/// # Defaults
/// [`WhiteBoxScore::LikelihoodRatio`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhiteBoxScore {
    /// Σₜ ln((1 − q) + q·exp((zₜ − ½)/σ̂²)): the log-likelihood ratio of "included" against
    /// "excluded", with the declared q and the noise σ̂ measured on the releases (the median
    /// absolute deviation of the canary coordinates of the first releases, over 0.6745). With
    /// σ̂ = σ it is the Neyman–Pearson optimal test for one canary of the mechanism the
    /// accountant analyses; measuring σ̂ makes it just as sharp against an engine whose noise
    /// is smaller than it claims.
    #[default]
    LikelihoodRatio,
    /// Σₜ zₜ: the canary's coordinate summed over steps (the score of the original paper's
    /// white-box experiments).
    Sum,
}

impl WhiteBoxScore {
    /// A one-line description for reports.
    pub fn describe(self) -> &'static str {
        match self {
            WhiteBoxScore::LikelihoodRatio => {
                "log-likelihood ratio of each canary's coordinate over all releases (declared q, noise measured on the releases)"
            }
            WhiteBoxScore::Sum => "each canary's coordinate summed over all releases",
        }
    }
}

/// Releases whose canary coordinates are kept to measure the noise before any is scored.
const CALIBRATION_RELEASES: usize = 16;

/// Per-canary statistics accumulated over the releases.
#[derive(Debug, Clone, Default)]
pub(crate) struct Accumulated {
    pub(crate) llr: Vec<f64>,
    pub(crate) sum: Vec<f64>,
    pub(crate) steps: u64,
    /// (q, σ̂) used for the likelihood ratio, once σ̂ is measured.
    pub(crate) scored_with: Option<(f64, f64)>,
    /// The first releases' coordinates (units of C), until σ̂ is measured.
    pending: Vec<Vec<f64>>,
    /// The declared q of the pending releases.
    pending_q: f64,
}

impl Accumulated {
    /// The scores, once every release has been observed.
    pub(crate) fn scores(&mut self, score: WhiteBoxScore) -> Result<Vec<f64>, SgdError> {
        self.flush()?;
        Ok(match score {
            WhiteBoxScore::LikelihoodRatio => self.llr.clone(),
            WhiteBoxScore::Sum => self.sum.clone(),
        })
    }

    fn add(&mut self, z: Vec<f64>, q: f64) -> Result<(), SgdError> {
        for (s, v) in self.sum.iter_mut().zip(&z) {
            *s += v;
        }
        self.steps += 1;
        match self.scored_with {
            Some((q0, sigma)) => {
                if q0.to_bits() != q.to_bits() {
                    return Err(SgdError::Internal(
                        "the declared q changed during an audited run",
                    ));
                }
                add_llr(&mut self.llr, &z, q, sigma);
            }
            None => {
                self.pending.push(z);
                self.pending_q = q;
                if self.pending.len() >= CALIBRATION_RELEASES {
                    self.flush()?;
                }
            }
        }
        Ok(())
    }

    /// Measures σ̂ on the pending releases and scores them.
    fn flush(&mut self) -> Result<(), SgdError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut all: Vec<f64> = self.pending.iter().flatten().copied().collect();
        let sigma = median_absolute_deviation(&mut all) / 0.674_489_750_196_081_7;
        if !(sigma.is_finite() && sigma > 0.0) {
            return Err(SgdError::InvalidParameter {
                parameter: "measured noise",
                value: sigma,
                expected: "> 0 (a white-box audit scores noisy releases)",
            });
        }
        let q = self.pending_q;
        for z in std::mem::take(&mut self.pending) {
            add_llr(&mut self.llr, &z, q, sigma);
        }
        self.scored_with = Some((q, sigma));
        Ok(())
    }
}

/// llr[j] += ln((1 − q) + q·exp((z[j] − ½)/σ²)).
fn add_llr(llr: &mut [f64], z: &[f64], q: f64, sigma: f64) {
    for (l, &v) in llr.iter_mut().zip(z) {
        *l += llr_of(v, q, sigma);
    }
}

/// ln((1 − q) + q·exp((z − ½)/σ²)): the log-likelihood ratio of one release's coordinate z
/// (units of C) for an included canary against an excluded one.
pub(crate) fn llr_of(z: f64, q: f64, sigma: f64) -> f64 {
    log_add_exp((1.0 - q).ln(), q.ln() + (z - 0.5) / (sigma * sigma))
}

/// The median of |x − median(x)| (reorders `x`).
fn median_absolute_deviation(x: &mut [f64]) -> f64 {
    let med = median(x);
    for v in x.iter_mut() {
        *v = (*v - med).abs();
    }
    median(x)
}

fn median(x: &mut [f64]) -> f64 {
    if x.is_empty() {
        return f64::NAN;
    }
    let mid = x.len() / 2;
    let (_, m, _) = x.select_nth_unstable_by(mid, f64::total_cmp);
    *m
}

/// Reads the coordinates of the canary parameter `name` from every release.
#[derive(Debug)]
pub(crate) struct CanaryObserver {
    name: String,
    /// The q the accountant was told, when the auditor knows it before the run; otherwise
    /// each release's declared value is used.
    declared_q: Option<f64>,
    state: Arc<Mutex<Accumulated>>,
}

impl CanaryObserver {
    /// An observer and the handle through which the auditor reads the statistics afterwards.
    pub(crate) fn new(
        name: &str,
        count: usize,
        declared_q: Option<f64>,
    ) -> (Self, Arc<Mutex<Accumulated>>) {
        let state = Arc::new(Mutex::new(Accumulated {
            llr: vec![0.0; count],
            sum: vec![0.0; count],
            ..Accumulated::default()
        }));
        let observer = CanaryObserver {
            name: name.to_owned(),
            declared_q,
            state: Arc::clone(&state),
        };
        (observer, state)
    }
}

impl ReleaseObserver for CanaryObserver {
    fn observe(&mut self, release: &Release<'_>) -> tabveil_sgd::Result<()> {
        let coords = release
            .gradients
            .get(&self.name)
            .ok_or_else(|| SgdError::MissingGradient {
                name: self.name.clone(),
            })?
            .to_dtype(candle_core::DType::F64)?
            .to_vec1::<f64>()?;
        let q = self.declared_q.unwrap_or(release.sample_rate);
        if !(q > 0.0 && q <= 1.0) {
            return Err(SgdError::InvalidParameter {
                parameter: "audited sampling rate",
                value: q,
                expected: "in (0, 1]",
            });
        }
        let unit = release.expected_batch_size / release.max_grad_norm;
        let mut state = self.state.lock().map_err(|_| SgdError::LockPoisoned {
            what: "white-box audit statistics",
        })?;
        if coords.len() != state.llr.len() {
            return Err(SgdError::ShapeMismatch {
                what: format!("canary coordinates `{}`", self.name),
                expected: vec![state.llr.len()],
                actual: vec![coords.len()],
            });
        }
        state.add(coords.into_iter().map(|y| y * unit).collect(), q)
    }
}

/// ln(eᵃ + eᵇ).
fn log_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}
