//! The white-box audit of the DP-SGD engine of `tabveil-sgd` as written: a WGAN-GP critic (the
//! per-example loss of DP-CTGAN's discriminator: a real-data term and a gradient penalty on
//! interpolates) trained on real rows with Poisson sampling, book-keeping clipping and
//! Gaussian noise — plus m Dirac canaries sampled, clipped and noised with the rows.

use std::sync::{Arc, Mutex};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tabveil_accountant::{AccountantSpec, PrivacyLedger, epsilon_of};
use tabveil_sgd::{
    Activation, Adam, DiracCanaries, DpOptimizer, DpSgdConfig, GhostBatch, Mlp, MlpConfig,
    ParamsAdam, PoissonSampler, PrivacyBudget, StepOutcome, calibrate_noise_multiplier,
    gradient_penalty,
};

use super::observer::{Accumulated, CanaryObserver, WhiteBoxScore};
use super::plan::{DeclaredMechanism, planned_guessing};
use super::{CANARY_PARAMETER, canary_description, draw_inclusion, privacy_stream};
use crate::error::{AuditError, Result};
use crate::guess::{Guessing, guess_and_bound};
use crate::report::{AUDIT_FORMAT, AUDIT_FORMAT_VERSION, AuditKind, AuditReport};

/// The settings of an engine audit. ε, δ, q and the number of steps have no default.
///
/// # Defaults
/// - `canaries`: 1 000; `canary_norm`: 100 (× C, before clipping: an engine that fails to clip
///   them shows a hundred times the signal);
/// - `max_grad_norm` C = 1; the critic: hidden layers `[64, 64]`, LeakyReLU(0.2), gradient
///   penalty weight 10; Adam with CTGAN's settings;
/// - `accountant`: RDP; `score`: [`WhiteBoxScore::LikelihoodRatio`]; `guessing`: planned
///   from the declared mechanism before the run ([`planned_guessing`], 4 simulations);
///   `confidence`: 0.95;
/// - `seed` 0 (initialisation and fakes); privacy randomness (inclusion bits, sampling, noise)
///   from the operating system unless [`with_dangerous_noise_seed`](Self::with_dangerous_noise_seed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineAuditConfig {
    /// The ε the engine is calibrated for and claims.
    pub epsilon: f64,
    /// δ of the claim and of the audit's hypothesis.
    pub delta: f64,
    /// Poisson sampling rate q.
    pub sample_rate: f64,
    /// DP-SGD steps.
    pub steps: u64,
    /// m.
    pub canaries: usize,
    /// Each canary's gradient norm before clipping, in units of C.
    pub canary_norm: f64,
    /// C.
    pub max_grad_norm: f64,
    /// Hidden widths of the critic.
    pub hidden: Vec<usize>,
    /// Weight λ of the gradient penalty.
    pub gradient_penalty: f64,
    /// The accountant that calibrates σ and makes the claim.
    pub accountant: AccountantSpec,
    /// The canary score.
    pub score: WhiteBoxScore,
    /// The guessing rule(s); `None`: [`planned_guessing`] for the declared mechanism.
    pub guessing: Option<Guessing>,
    /// 1 − β.
    pub confidence: f64,
    /// The ordinary seed.
    pub seed: u64,
    /// Fixes the privacy randomness (never serialised).
    #[serde(skip)]
    pub noise_seed: Option<u64>,
}

crate::setters::audit_setters!(
    EngineAuditConfig,
    "**Dangerous** (tests and research): fixes the privacy randomness — the inclusion bits, \
     the Poisson sampling and the noise — so a run can be repeated."
);

impl EngineAuditConfig {
    /// An audit of `steps` DP-SGD steps at sampling rate q calibrated for (ε, δ).
    pub fn new(epsilon: f64, delta: f64, sample_rate: f64, steps: u64) -> Self {
        EngineAuditConfig {
            epsilon,
            delta,
            sample_rate,
            steps,
            canaries: 1_000,
            canary_norm: 100.0,
            max_grad_norm: 1.0,
            hidden: vec![64, 64],
            gradient_penalty: 10.0,
            accountant: AccountantSpec::rdp(),
            score: WhiteBoxScore::default(),
            guessing: None,
            confidence: 0.95,
            seed: 0,
            noise_seed: None,
        }
    }

    /// Sets the critic's hidden widths.
    pub fn with_hidden(mut self, hidden: Vec<usize>) -> Self {
        self.hidden = hidden;
        self
    }

    /// Sets the accountant.
    pub fn with_accountant(mut self, accountant: AccountantSpec) -> Self {
        self.accountant = accountant;
        self
    }

    /// Sets the canary score.
    pub fn with_score(mut self, score: WhiteBoxScore) -> Self {
        self.score = score;
        self
    }

    /// Sets the ordinary seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    fn check(&self) -> Result<()> {
        let bad = |parameter, value: f64, expected| {
            Err(AuditError::InvalidParameter {
                parameter,
                value,
                expected,
            })
        };
        if !(self.sample_rate > 0.0 && self.sample_rate <= 1.0) {
            return bad("sample_rate", self.sample_rate, "in (0, 1]");
        }
        if self.steps == 0 {
            return bad("steps", 0.0, "≥ 1");
        }
        if self.canaries == 0 {
            return bad("canaries", 0.0, "≥ 1");
        }
        if !(self.canary_norm.is_finite() && self.canary_norm > 0.0) {
            return bad("canary_norm", self.canary_norm, "finite and > 0");
        }
        if !(self.max_grad_norm.is_finite() && self.max_grad_norm > 0.0) {
            return bad("max_grad_norm", self.max_grad_norm, "finite and > 0");
        }
        Ok(())
    }
}

/// Deliberately broken engines, to show that the audit catches them. Only the correct engine
/// exists outside this crate's tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Engine {
    Correct,
    /// The gradient penalty's per-example gradients are added unclipped (as if it were a
    /// public term).
    #[cfg(test)]
    PenaltyNotClipped,
    /// The noise is scaled by this factor while the accountant is told σ.
    #[cfg(test)]
    NoiseScaled(f64),
    /// The sampler draws rows at this multiple of the q the accountant is told.
    #[cfg(test)]
    SampleRateScaled(f64),
}

/// Audits the engine on real rows: `data` holds N rows of `width` features, encoded (e.g. by
/// [`encode_public`](crate::encode_public)). Returns the report; `claimed_epsilon` is the
/// ledger's ε.
///
/// # Errors
/// Invalid settings or data, an unreachable (ε, δ), and the engine's errors.
pub fn audit_engine(config: &EngineAuditConfig, data: &[f32], width: usize) -> Result<AuditReport> {
    run(config, data, width, Engine::Correct)
}

pub(crate) fn run(
    config: &EngineAuditConfig,
    data: &[f32],
    width: usize,
    engine: Engine,
) -> Result<AuditReport> {
    config.check()?;
    if width == 0 || data.is_empty() || !data.len().is_multiple_of(width) {
        return Err(AuditError::InvalidParameter {
            parameter: "data",
            value: data.len() as f64,
            expected: "a non-empty multiple of the row width",
        });
    }
    let n = data.len() / width;
    let dev = Device::Cpu;
    let (q, c, m) = (config.sample_rate, config.max_grad_norm, config.canaries);
    let seeded = config.noise_seed.is_some();

    // The secret inclusion bits, independent of everything the engine draws.
    let mut bits_rng = privacy_stream(config.noise_seed, 1)?;
    let included = draw_inclusion(m, &mut bits_rng)?;
    let members: Vec<usize> = (0..m).filter(|&j| included[j]).collect();

    // The plan the engine claims: σ for `steps` steps at q within (ε, δ).
    let spec = config.accountant.clone();
    let plan = calibrate_noise_multiplier(
        &PrivacyLedger::new(),
        config.epsilon,
        config.delta,
        q,
        config.steps,
        &spec,
    )?;
    let sigma = plan.noise_multiplier;
    let (sigma_used, q_used, budget) = match engine {
        Engine::Correct => (
            sigma,
            q,
            PrivacyBudget::new(
                PrivacyLedger::new(),
                config.epsilon,
                config.delta,
                spec.clone(),
            )?,
        ),
        #[cfg(test)]
        Engine::PenaltyNotClipped => (sigma, q, PrivacyBudget::unlimited(PrivacyLedger::new())),
        #[cfg(test)]
        Engine::NoiseScaled(f) => (sigma * f, q, PrivacyBudget::unlimited(PrivacyLedger::new())),
        #[cfg(test)]
        Engine::SampleRateScaled(f) => (
            sigma,
            (q * f).min(1.0),
            PrivacyBudget::unlimited(PrivacyLedger::new()),
        ),
    };
    #[cfg(test)]
    let skip_penalty_clipping = engine == Engine::PenaltyNotClipped;
    #[cfg(not(test))]
    let skip_penalty_clipping = false;

    let canaries = DiracCanaries::new(
        CANARY_PARAMETER,
        m,
        members,
        config.canary_norm * c,
        DType::F32,
        &dev,
    )?;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let net = MlpConfig::new(width, config.hidden.clone(), 1)
        .with_hidden_activation(Activation::LeakyRelu {
            negative_slope: 0.2,
        })
        .init("critic", &VarMap::new(), DType::F32, &dev, &mut rng)?;
    let mut params = net.parameters();
    params.push(canaries.parameter());
    let mut sgd = DpSgdConfig::new(c, sigma_used, q, n).with_label("audit: engine step");
    if let Some(s) = config.noise_seed {
        sgd = sgd.with_dangerous_noise_seed(derive(s, 3));
    }
    let mut opt = DpOptimizer::<Adam>::new(sgd, params, ParamsAdam::ctgan(), budget)?;
    let (observer, stats) = CanaryObserver::new(CANARY_PARAMETER, m, Some(q));
    opt.set_release_observer(Box::new(observer));
    let mut sampler = PoissonSampler::new(
        n + canaries.extra_rows(),
        q_used,
        privacy_stream(config.noise_seed, 2)?,
    )?;
    let data = Tensor::from_slice(data, (n, width), &dev)?;

    let mut taken = 0u64;
    for _ in 0..config.steps {
        let (real, drawn) = canaries.split(sampler.sample()?, n);
        let mut batch = GhostBatch::new();
        let mut unclipped = GhostBatch::new();
        let penalty_apart = skip_penalty_clipping.then_some(&mut unclipped);
        critic_terms(
            &net,
            &data,
            &real,
            config.gradient_penalty,
            &mut rng,
            &mut batch,
            penalty_apart,
        )?;
        // The canary's loss has a share in each term, like a row's.
        canaries.record(&drawn, 0.5, &mut batch)?;
        if skip_penalty_clipping {
            canaries.record(&drawn, 0.5, &mut unclipped)?;
        } else {
            canaries.record(&drawn, 0.5, &mut batch)?;
        }
        let clipped = batch.clip(c)?;
        let public = if skip_penalty_clipping {
            let mut g = unclipped.sum()?;
            g.scale(1.0 / (q * n as f64))?;
            Some(g)
        } else {
            None
        };
        match opt.step(&clipped, public.as_ref())? {
            StepOutcome::Applied { steps_taken } => taken = steps_taken,
            StepOutcome::BudgetExhausted { .. } => break,
        }
    }
    let claimed = match opt.budget().ledger() {
        Some(ledger) if engine == Engine::Correct => {
            epsilon_of(ledger, &spec, config.delta)?.epsilon
        }
        // A broken engine claims its plan.
        _ => plan.epsilon,
    };
    let ledger = opt.into_budget().into_ledger();
    let guessing = match &config.guessing {
        Some(g) => g.clone(),
        // Fixed from the declared plan alone (it does not depend on the inclusion bits).
        None => planned_guessing(
            DeclaredMechanism {
                sample_rate: q,
                noise_multiplier: sigma,
                releases: config.steps,
            },
            m,
            config.delta,
            config.confidence,
            4,
            config.seed,
        )?,
    };
    let scores = scores_of(&stats, config.score)?;
    let bound = guess_and_bound(
        &scores,
        &included,
        &guessing,
        config.delta,
        config.confidence,
    )?;
    Ok(AuditReport {
        format: AUDIT_FORMAT.to_owned(),
        version: AUDIT_FORMAT_VERSION,
        kind: AuditKind::WhiteBox,
        target: format!(
            "tabveil-sgd engine (WGAN-GP critic {:?}, {} rows, q = {q}, σ = {sigma:.4}, {taken} steps)",
            config.hidden, n
        ),
        claimed_epsilon: Some(claimed),
        audited_epsilon: Some(claimed),
        accountant: Some(format!("{:?}", spec.kind)),
        canaries: canary_description(config.canary_norm),
        score: config.score.describe().to_owned(),
        bound,
        releases_observed: taken,
        noise_seeded: seeded,
        ledger,
    })
}

/// The scores accumulated by the observer.
pub(crate) fn scores_of(stats: &Arc<Mutex<Accumulated>>, score: WhiteBoxScore) -> Result<Vec<f64>> {
    let mut stats = stats
        .lock()
        .map_err(|_| AuditError::Internal("the audit statistics lock was poisoned"))?;
    Ok(stats.scores(score)?)
}

/// Records the critic's two per-example terms for the real rows `rows` of `data`: the real
/// term −D(xᵢ) and the gradient penalty λ(‖∇D(x̂ᵢ)‖ − 1)² in `batch` — the penalty in
/// `penalty_apart` instead when given (a broken engine). Fakes are uniform in [−1, 1] from the
/// ordinary seed.
#[allow(clippy::too_many_arguments, reason = "one step's pieces")]
fn critic_terms(
    net: &Mlp,
    data: &Tensor,
    rows: &[usize],
    lambda: f64,
    rng: &mut ChaCha8Rng,
    batch: &mut GhostBatch,
    penalty_apart: Option<&mut GhostBatch>,
) -> Result<()> {
    let dev = data.device();
    let width = data.dims()[1];
    let b = rows.len();
    if b == 0 {
        // No real row this step: every parameter gets an empty contribution.
        for (name, var) in net.parameters() {
            match *var.dims() {
                [d_out, d_in] => batch.add_weight_use(
                    name,
                    &Tensor::zeros((0, d_in), DType::F32, dev)?,
                    &Tensor::zeros((0, d_out), DType::F32, dev)?,
                )?,
                [d] => batch.add_bias_use(name, &Tensor::zeros((0, d), DType::F32, dev)?)?,
                _ => return Err(AuditError::Internal("a critic parameter of rank > 2")),
            }
        }
        return Ok(());
    }
    let idx: Vec<u32> = rows.iter().map(|&r| r as u32).collect();
    let real = data.index_select(&Tensor::new(idx.as_slice(), dev)?, 0)?;
    let fake: Vec<f32> = (0..b * width)
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    let alpha: Vec<f32> = (0..b).map(|_| rng.random()).collect();
    let real_host = real.flatten_all()?.to_vec1::<f32>()?;
    let hat: Vec<f32> = real_host
        .iter()
        .zip(&fake)
        .enumerate()
        .map(|(k, (r, f))| {
            let a = alpha[k / width];
            a * r + (1.0 - a) * f
        })
        .collect();
    let hat = Tensor::from_vec(hat, (b, width), dev)?;
    let ones = Tensor::ones((b, 1), DType::F32, dev)?;
    let t_real = net.forward(&real, None)?;
    let b_real = net.backward(&t_real, &ones.neg()?, false)?;
    net.record_uses(&t_real, &b_real, batch)?;
    let t_hat = net.forward(&hat, None)?;
    let b_hat = net.backward(&t_hat, &ones, true)?;
    let g = b_hat
        .input_grad()
        .ok_or(AuditError::Internal("no input gradient"))?;
    let penalty = gradient_penalty(g, lambda)?;
    let penalty_batch = match penalty_apart {
        Some(apart) => apart,
        None => batch,
    };
    net.record_penalty_uses(&t_hat, &b_hat, &penalty.grad, penalty_batch)?;
    Ok(())
}

/// A seed of its own for each privacy stream of a seeded run.
pub(crate) fn derive(seed: u64, stream: u64) -> u64 {
    // SplitMix64 of (seed, stream): distinct streams get unrelated seeds.
    let mut z = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests;
