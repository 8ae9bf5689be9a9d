//! DP-SGD on Candle: Poisson sampling, exact per-example clipping at near non-private cost,
//! secure Gaussian noise, and a privacy budget that training never overshoots.
//!
//! One private step, as the models of `tabveil-models` run it:
//!
//! 1. [`PoissonSampler`] draws a batch: each row independently with probability q (the
//!    sampling the accountant assumes), from privacy randomness.
//! 2. A forward and backward pass keeps, per layer, the inputs A and output gradients G
//!    ([`Mlp`] does this by hand, with the WGAN-GP penalty written analytically;
//!    [`ProbedLinear`] does it for ordinary Candle models through zero probe variables).
//! 3. [`GhostBatch`] turns those into per-example gradient norms and the clipped sum
//!    Σᵢ min(1, C/‖∇ℓᵢ‖)∇ℓᵢ without materialising any per-example gradient of a matrix
//!    (book-keeping: ‖aᵢ‖‖gᵢ‖ per use, cross terms for weights used several times, one matrix
//!    product Aᵀdiag(c)G per use).
//! 4. [`DpOptimizer`] asks the [`PrivacyBudget`] (which records a labelled subsampled-Gaussian
//!    event on the ledger, or refuses the step before anything is released), adds
//!    N(0, σ²C²) per coordinate ([`GaussianNoise`]), divides by q·N, adds public terms computed
//!    from generated data only, and updates the parameters with a `candle_nn::Optimizer` —
//!    for example [`Adam`], PyTorch's Adam with coupled L2 weight decay.
//!
//! ```
//! use candle_core::{DType, Device, Tensor};
//! use candle_nn::VarMap;
//! use rand::SeedableRng;
//! use tabveil_accountant::{AccountantSpec, PrivacyLedger};
//! use tabveil_sgd::{
//!     Activation, Adam, DpOptimizer, DpSgdConfig, GhostBatch, MlpConfig, ParamsAdam,
//!     PrivacyBudget, StepOutcome, calibrate_noise_multiplier,
//! };
//!
//! let dev = Device::Cpu;
//! let n_rows = 200;
//! let data = Tensor::randn(0f32, 1.0, (n_rows, 4), &dev)?;
//! let targets = Tensor::randn(0f32, 1.0, (n_rows, 1), &dev)?;
//!
//! // The ordinary seed: initialisation and dropout.
//! let mut seed = rand_chacha::ChaCha8Rng::seed_from_u64(7);
//! let net = MlpConfig::new(4, vec![16], 1)
//!     .with_hidden_activation(Activation::LeakyRelu { negative_slope: 0.2 })
//!     .init("net", &VarMap::new(), DType::F32, &dev, &mut seed)?;
//!
//! // Privacy: σ calibrated for 50 steps at q = 0.1 within ε = 2 at δ = 1e-5.
//! let ledger = PrivacyLedger::new();
//! let (q, steps, eps, delta) = (0.1, 50, 2.0, 1e-5);
//! let sigma = calibrate_noise_multiplier(&ledger, eps, delta, q, steps, &AccountantSpec::rdp())?;
//! let budget = PrivacyBudget::new(ledger, eps, delta, AccountantSpec::rdp())?;
//! let config = DpSgdConfig::new(1.0, sigma.noise_multiplier, q, n_rows);
//! let mut opt = DpOptimizer::<Adam>::new(config, net.parameters(), ParamsAdam::default(), budget)?;
//! let mut sampler = opt.poisson_sampler()?;
//!
//! loop {
//!     let rows: Vec<u32> = sampler.sample()?.into_iter().map(|i| i as u32).collect();
//!     let idx = Tensor::new(rows.as_slice(), &dev)?;
//!     let (x, y) = (data.index_select(&idx, 0)?, targets.index_select(&idx, 0)?);
//!     // Per-example squared error ℓᵢ = ½(f(xᵢ) − yᵢ)²: upstream gradient f(xᵢ) − yᵢ.
//!     let tape = net.forward(&x, Some(&mut seed))?;
//!     let back = net.backward(&tape, &(tape.output() - &y)?, false)?;
//!     let mut batch = GhostBatch::new();
//!     net.record_uses(&tape, &back, &mut batch)?;
//!     match opt.step(&batch.clip(1.0)?, None)? {
//!         StepOutcome::Applied { .. } => {}
//!         StepOutcome::BudgetExhausted { .. } => break,
//!     }
//! }
//! assert!(opt.budget().steps_taken() >= steps);
//! assert!(opt.budget().epsilon_spent(delta)? <= eps);
//! # Ok::<(), tabveil_sgd::SgdError>(())
//! ```
//!
//! # Auditing
//! [`DiracCanaries`] and [`ReleaseObserver`] are the seam of a white-box audit
//! (`tabveil-audit`): canary examples sampled, clipped and noised with the real rows, and an
//! observer of what each step releases. Neither can widen what a run releases.
//!
//! # Privacy notes
//! - Losses handed to [`GhostBatch`] must be sums of per-example losses, each depending on one
//!   row only (no batch normalisation, no packing of rows: CTGAN's pac must be 1).
//! - Noise and row sampling come from [`tabveil_noise::PrivacyRng`], OS-seeded by default;
//!   [`DpSgdConfig::with_dangerous_noise_seed`] fixes them for tests and marks the ledger.
//!   The ordinary seed (initialisation, dropout) never touches them.
//! - Clipped sums, per-example norms and clip factors are private values: only the noisy
//!   gradient applied by [`DpOptimizer`] is released.
//!
//! # Performance notes
//! Candle 0.11 runs element-wise ops on ≥ 64 k elements on a spin-waiting thread pool that
//! competes with the matrix products' threads on small machines; the hot loops of this crate
//! are fused host loops on the CPU instead (with Candle-op fallbacks on other devices).
//!
//! # Features
//! - `default = []`: CPU only.
//! - `cuda`, `metal`: forwarded to `candle-core` and `candle-nn` (the host loops then fall
//!   back to Candle ops; noise is drawn on the host and copied to the device).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod adam;
mod audit;
mod budget;
mod error;
mod ghost;
mod gradients;
mod kernels;
mod mlp;
mod noise;
mod optimizer;
mod probe;
mod sampler;

pub use adam::{Adam, ParamsAdam};
pub use audit::{DiracCanaries, Release, ReleaseObserver, RowSampler, WhiteBoxAudit};
pub use budget::{PrivacyBudget, StepOutcome, calibrate_noise_multiplier};
pub use error::{Result, SgdError};
pub use ghost::{ClippedGradients, GhostBatch};
pub use gradients::Gradients;
pub use mlp::{
    Activation, GradientPenalty, Mlp, MlpBackward, MlpConfig, MlpTape, gradient_penalty,
};
pub use noise::GaussianNoise;
pub use optimizer::{DpOptimizer, DpSgdConfig};
pub use probe::ProbedLinear;
pub use sampler::PoissonSampler;

#[cfg(test)]
mod send_sync {
    //! Compile-time check that the public types can cross threads.
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        assert_send_sync::<GhostBatch>();
        assert_send_sync::<ClippedGradients>();
        assert_send_sync::<Gradients>();
        assert_send_sync::<Mlp>();
        assert_send_sync::<MlpTape>();
        assert_send_sync::<MlpBackward>();
        assert_send_sync::<ProbedLinear>();
        assert_send_sync::<Adam>();
        assert_send_sync::<PoissonSampler>();
        assert_send_sync::<DpSgdConfig>();
        assert_send_sync::<SgdError>();
        assert_send_sync::<PrivacyBudget>();
        assert_send_sync::<GaussianNoise>();
        assert_send_sync::<DpOptimizer<Adam>>();
        assert_send_sync::<DiracCanaries>();
        assert_send_sync::<WhiteBoxAudit>();
        assert_send_sync::<RowSampler>();
    }
}
