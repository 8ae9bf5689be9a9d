//! [`DpOptimizer`]: one DP-SGD step = budget check → noise → optimizer update.

use candle_core::Var;
use candle_nn::Optimizer;
use serde::{Deserialize, Serialize};
use tabveil_noise::PrivacyRng;

use crate::audit::{Release, ReleaseObserver};
use crate::budget::{PrivacyBudget, StepOutcome};
use crate::error::{Result, SgdError};
use crate::ghost::ClippedGradients;
use crate::gradients::Gradients;
use crate::noise::GaussianNoise;
use crate::sampler::PoissonSampler;

/// The privacy parameters of DP-SGD. ε, δ, q and σ never get defaults.
///
/// # Defaults
/// - `label`: `"training: DP-SGD step"` (the ledger label of each step)
/// - `dangerous_noise_seed`: none (privacy randomness from the OS)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DpSgdConfig {
    /// Per-example clipping norm C (the L2 sensitivity of the clipped sum).
    pub max_grad_norm: f64,
    /// Noise multiplier σ: the noise standard deviation is σC.
    pub noise_multiplier: f64,
    /// Poisson sampling rate q.
    pub sample_rate: f64,
    /// Number of rows N of the private table.
    pub dataset_size: usize,
    /// The ledger label of each step; it should say what was released.
    pub label: String,
    /// Fixes the privacy randomness (noise and row sampling). Dangerous: anyone who knows
    /// the seed can remove the noise. The ledger records that it was used.
    pub dangerous_noise_seed: Option<u64>,
}

impl DpSgdConfig {
    /// Clipping norm C, noise multiplier σ, sampling rate q and table size N.
    pub fn new(
        max_grad_norm: f64,
        noise_multiplier: f64,
        sample_rate: f64,
        dataset_size: usize,
    ) -> Self {
        DpSgdConfig {
            max_grad_norm,
            noise_multiplier,
            sample_rate,
            dataset_size,
            label: "training: DP-SGD step".to_owned(),
            dangerous_noise_seed: None,
        }
    }

    /// Sets the ledger label of each step.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Fixes the privacy randomness with `seed`: for tests and research only (see the field's
    /// documentation).
    pub fn with_dangerous_noise_seed(mut self, seed: u64) -> Self {
        self.dangerous_noise_seed = Some(seed);
        self
    }

    /// The expected batch size q·N.
    pub fn expected_batch_size(&self) -> f64 {
        self.sample_rate * self.dataset_size as f64
    }

    /// Checks ranges: C > 0, σ finite and ≥ 0, q ∈ (0, 1], N ≥ 1. (σ = 0 and C = ∞ pass here;
    /// an accounted budget refuses them.)
    ///
    /// # Errors
    /// [`SgdError::InvalidParameter`].
    pub fn check(&self) -> Result<()> {
        if self.max_grad_norm.is_nan() || self.max_grad_norm <= 0.0 {
            return Err(SgdError::InvalidParameter {
                parameter: "max_grad_norm",
                value: self.max_grad_norm,
                expected: "> 0",
            });
        }
        if !(self.noise_multiplier.is_finite() && self.noise_multiplier >= 0.0) {
            return Err(SgdError::InvalidParameter {
                parameter: "noise_multiplier",
                value: self.noise_multiplier,
                expected: "finite and ≥ 0",
            });
        }
        if !(self.sample_rate > 0.0 && self.sample_rate <= 1.0) {
            return Err(SgdError::InvalidParameter {
                parameter: "sample_rate",
                value: self.sample_rate,
                expected: "in (0, 1]",
            });
        }
        if self.dataset_size == 0 {
            return Err(SgdError::InvalidParameter {
                parameter: "dataset_size",
                value: 0.0,
                expected: "≥ 1",
            });
        }
        Ok(())
    }
}

/// A differentially private optimizer over the named parameters of one private module .
///
/// A step takes the clipped per-example sum of a Poisson batch ([`ClippedGradients`] from a
/// [`crate::GhostBatch`]), asks the [`PrivacyBudget`] for permission (which records a
/// subsampled-Gaussian event on the ledger, or refuses), adds N(0, σ²C²) per coordinate,
/// divides by the expected batch size q·N, adds the public gradient terms (computed from
/// generated data only, unclipped), and hands the result to a `candle_nn::Optimizer` through a
/// `GradStore`. Parameters are handled in sorted-name order, so noise draws and updates are
/// reproducible.
///
/// Seeds: the optimizer draws its privacy randomness (noise, and the Poisson sampler it
/// creates) from an OS-seeded CSPRNG unless the configuration sets a
/// `dangerous_noise_seed`; then the ledger is marked as seeded. The ordinary `seed` of a run
/// (initialisation, dropout) never reaches this randomness.
///
/// # Example
/// ```
/// use candle_core::{DType, Device, Tensor};
/// use candle_nn::VarMap;
/// use rand::SeedableRng;
/// use tabveil_accountant::{AccountantSpec, PrivacyLedger};
/// use tabveil_sgd::{
///     Adam, DpOptimizer, DpSgdConfig, GhostBatch, MlpConfig, ParamsAdam, PrivacyBudget,
/// };
///
/// let mut seed_rng = rand_chacha::ChaCha8Rng::seed_from_u64(0); // the ordinary seed
/// let net = MlpConfig::new(3, vec![4], 1).init("d", &VarMap::new(), DType::F32, &Device::Cpu, &mut seed_rng)?;
/// let data = Tensor::randn(0f32, 1.0, (100, 3), &Device::Cpu)?;
///
/// let budget = PrivacyBudget::new(PrivacyLedger::new(), 1.0, 1e-5, AccountantSpec::rdp())?;
/// let config = DpSgdConfig::new(1.0, 4.0, 0.1, 100); // C, σ, q, N
/// let mut opt = DpOptimizer::<Adam>::new(config, net.parameters(), ParamsAdam::ctgan(), budget)?;
/// let mut sampler = opt.poisson_sampler()?;
///
/// let rows: Vec<u32> = sampler.sample()?.into_iter().map(|i| i as u32).collect();
/// let x = data.index_select(&Tensor::new(rows.as_slice(), &Device::Cpu)?, 0)?;
/// let tape = net.forward(&x, Some(&mut seed_rng))?;
/// let back = net.backward(&tape, &tape.output().ones_like()?, false)?;
/// let mut batch = GhostBatch::new();
/// net.record_uses(&tape, &back, &mut batch)?;
/// let outcome = opt.step(&batch.clip(1.0)?, None)?;
/// assert!(outcome.is_applied());
/// assert_eq!(opt.budget().ledger().unwrap().entries().len(), 1);
/// # Ok::<(), tabveil_sgd::SgdError>(())
/// ```
#[derive(Debug)]
pub struct DpOptimizer<O: Optimizer> {
    config: DpSgdConfig,
    params: Vec<(String, Var)>,
    optimizer: O,
    noise: GaussianNoise,
    budget: PrivacyBudget,
    observer: Option<Box<dyn ReleaseObserver>>,
}

impl<O: Optimizer> DpOptimizer<O> {
    /// Builds the optimizer `O` over `params` (sorted by name here) and binds `budget` to the
    /// step mechanism (q, σ, C, label).
    ///
    /// # Errors
    /// Configuration errors; [`SgdError::DuplicateParameter`]; [`SgdError::NotPrivate`] for
    /// σ = 0 or C = ∞ with an accounted budget; [`SgdError::Noise`] when the OS entropy source
    /// fails; errors of the accountant (the budget search) and of `O::new`.
    pub fn new(
        config: DpSgdConfig,
        mut params: Vec<(String, Var)>,
        optimizer_config: O::Config,
        mut budget: PrivacyBudget,
    ) -> Result<Self> {
        config.check()?;
        params.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(w) = params.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(SgdError::DuplicateParameter {
                name: w[0].0.clone(),
            });
        }
        let rng = match config.dangerous_noise_seed {
            Some(seed) => PrivacyRng::dangerous_seeded(seed),
            None => PrivacyRng::secure()?,
        };
        let seeded = rng.is_seeded();
        let noise = GaussianNoise::new(config.noise_multiplier, config.max_grad_norm, rng)?;
        budget.bind(
            &config.label,
            config.sample_rate,
            config.noise_multiplier,
            config.max_grad_norm,
            seeded,
        )?;
        let vars = params.iter().map(|(_, v)| v.clone()).collect();
        let optimizer = O::new(vars, optimizer_config)?;
        Ok(DpOptimizer {
            config,
            params,
            optimizer,
            noise,
            budget,
            observer: None,
        })
    }

    /// A Poisson sampler over the configured N rows with rate q, drawing from a generator
    /// forked from this optimizer's privacy randomness (so a `dangerous_noise_seed` fixes it
    /// too, and the accountant's q is the sampler's q).
    ///
    /// # Errors
    /// Never for a valid configuration.
    pub fn poisson_sampler(&mut self) -> Result<PoissonSampler> {
        PoissonSampler::new(
            self.config.dataset_size,
            self.config.sample_rate,
            self.noise.fork_rng(),
        )
    }

    /// One DP-SGD step on the clipped sum `private` of a batch drawn by this optimizer's
    /// Poisson sampler, plus optional `public` gradient terms (already normalised as the
    /// caller wants; computed from generated data only, they need no clipping or noise).
    ///
    /// Returns [`StepOutcome::BudgetExhausted`] — with nothing recorded, drawn or updated —
    /// when the step would exceed the target ε.
    ///
    /// # Errors
    /// [`SgdError::MissingGradient`] when a parameter has no clipped sum,
    /// [`SgdError::UnknownParameter`] for a gradient of a parameter this optimizer does not
    /// manage, [`SgdError::ClipNormMismatch`] when `private` was clipped with another C,
    /// shape mismatches and Candle / optimizer errors.
    pub fn step(
        &mut self,
        private: &ClippedGradients,
        public: Option<&Gradients>,
    ) -> Result<StepOutcome> {
        let sums = private.private_sums();
        for (name, _) in &self.params {
            if sums.get(name).is_none() {
                return Err(SgdError::MissingGradient { name: name.clone() });
            }
        }
        for (name, _) in sums
            .iter()
            .chain(public.into_iter().flat_map(Gradients::iter))
        {
            if self
                .params
                .binary_search_by(|(n, _)| n.as_str().cmp(name))
                .is_err()
            {
                return Err(SgdError::UnknownParameter {
                    name: name.to_owned(),
                });
            }
        }
        if private.max_norm().to_bits() != self.config.max_grad_norm.to_bits() {
            return Err(SgdError::ClipNormMismatch {
                clipped_with: private.max_norm(),
                configured: self.config.max_grad_norm,
            });
        }
        let outcome = self.budget.request_step()?;
        if !outcome.is_applied() {
            return Ok(outcome);
        }
        // The release: clipped sum + N(0, σ²C²), over q·N. Recorded above.
        let mut grads = self
            .noise
            .noisy_mean(private, self.config.expected_batch_size())?;
        if let Some(public) = public {
            grads.accumulate(public)?;
        }
        if let (Some(observer), StepOutcome::Applied { steps_taken }) =
            (self.observer.as_mut(), outcome)
        {
            observer.observe(&Release {
                step: steps_taken,
                gradients: &grads,
                expected_batch_size: self.config.expected_batch_size(),
                max_grad_norm: self.config.max_grad_norm,
                noise_multiplier: self.config.noise_multiplier,
                sample_rate: self.config.sample_rate,
            })?;
        }
        let store = grads.to_grad_store(&self.params)?;
        self.optimizer.step(&store)?;
        Ok(outcome)
    }

    /// Whether the next step's noise is drawn on a background thread during the current
    /// step (on by default; see [`GaussianNoise::set_prefetch`]). Off, the noise is drawn
    /// inside [`DpOptimizer::step`] on all cores.
    pub fn set_noise_prefetch(&mut self, prefetch: bool) {
        self.noise.set_prefetch(prefetch);
    }

    /// Shows every later release to `observer` (a white-box audit): the gradient each step
    /// hands to the optimizer, after the budget recorded the step — what the next iterate
    /// reveals anyway. Replaces an earlier observer.
    pub fn set_release_observer(&mut self, observer: Box<dyn ReleaseObserver>) {
        self.observer = Some(observer);
    }

    /// Takes the observer back.
    pub fn take_release_observer(&mut self) -> Option<Box<dyn ReleaseObserver>> {
        self.observer.take()
    }

    /// The configuration.
    pub fn config(&self) -> &DpSgdConfig {
        &self.config
    }

    /// The managed parameters, sorted by name.
    pub fn parameters(&self) -> &[(String, Var)] {
        &self.params
    }

    /// The budget (and through it the ledger).
    pub fn budget(&self) -> &PrivacyBudget {
        &self.budget
    }

    /// The wrapped optimizer (e.g. to read its learning rate).
    pub fn optimizer(&self) -> &O {
        &self.optimizer
    }

    /// The wrapped optimizer, mutably (e.g. to change its learning rate).
    pub fn optimizer_mut(&mut self) -> &mut O {
        &mut self.optimizer
    }

    /// Ends the run and gives back the budget with its ledger.
    pub fn into_budget(self) -> PrivacyBudget {
        self.budget
    }
}
