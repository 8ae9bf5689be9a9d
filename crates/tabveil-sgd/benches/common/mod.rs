//! The two discriminator steps shared by the benchmarks (see `dp_step.rs`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark setup: a failure should abort the run"
)]

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{Optimizer, VarMap};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tabveil_accountant::PrivacyLedger;
use tabveil_sgd::{
    Activation, Adam, DpOptimizer, DpSgdConfig, GhostBatch, Mlp, MlpConfig, ParamsAdam,
    PoissonSampler, PrivacyBudget, gradient_penalty,
};

const ROWS: usize = 10_000;
const BATCH: usize = 500;
const WIDTH: usize = 150;
const LAMBDA: f64 = 10.0;

fn random(rng: &mut ChaCha8Rng, rows: usize, cols: usize) -> Tensor {
    let v: Vec<f32> = (0..rows * cols)
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    Tensor::from_vec(v, (rows, cols), &Device::Cpu).unwrap()
}

fn discriminator(rng: &mut ChaCha8Rng) -> Mlp {
    MlpConfig::new(WIDTH, vec![256, 256], 1)
        .with_hidden_activation(Activation::LeakyRelu {
            negative_slope: 0.2,
        })
        .with_dropout(0.5)
        .init("d", &VarMap::new(), DType::F32, &Device::Cpu, rng)
        .unwrap()
}

/// x̂ = α·real + (1 − α)·fake with one α per row (a host loop: Candle's element-wise ops on
/// ≥ 64k elements go through its spinning thread pool, which competes with the GEMM threads
/// on a 2-core machine).
fn interpolate(real: &Tensor, fake: &Tensor, rng: &mut ChaCha8Rng) -> Tensor {
    let (b, w) = real.dims2().unwrap();
    let r = real.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let f = fake.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let mut out = Vec::with_capacity(b * w);
    for (rr, fr) in r.chunks_exact(w).zip(f.chunks_exact(w)) {
        let a: f32 = rng.random();
        out.extend(rr.iter().zip(fr).map(|(x, y)| a * x + (1.0 - a) * y));
    }
    Tensor::from_vec(out, (b, w), &Device::Cpu).unwrap()
}

/// The real term and penalty uses (per example, upstream ±`scale`) into `private`, and the
/// fake term into `public`. The penalty pairs real row i with row i of `fake_pairs`.
#[allow(clippy::too_many_arguments, reason = "benchmark helper")]
fn record(
    d: &Mlp,
    real: &Tensor,
    fake_pairs: &Tensor,
    fake: &Tensor,
    scale: f64,
    rng: &mut ChaCha8Rng,
    private: &mut GhostBatch,
    public: &mut GhostBatch,
) {
    let b = real.dims()[0];
    let hat = interpolate(real, &fake_pairs.narrow(0, 0, b).unwrap(), rng);
    let t_real = d.forward(real, Some(rng)).unwrap();
    let t_fake = d.forward(fake, Some(rng)).unwrap();
    let t_hat = d.forward(&hat, Some(rng)).unwrap();
    let up_real = Tensor::full(-scale as f32, (b, 1), &Device::Cpu).unwrap();
    let up_fake = Tensor::full(scale as f32, (fake.dims()[0], 1), &Device::Cpu).unwrap();
    let ones = Tensor::ones((b, 1), DType::F32, &Device::Cpu).unwrap();
    let b_real = d.backward(&t_real, &up_real, false).unwrap();
    let b_fake = d.backward(&t_fake, &up_fake, false).unwrap();
    let b_hat = d.backward(&t_hat, &ones, true).unwrap();
    let p = gradient_penalty(b_hat.input_grad().unwrap(), LAMBDA * scale).unwrap();
    d.record_uses(&t_real, &b_real, private).unwrap();
    d.record_penalty_uses(&t_hat, &b_hat, &p.grad, private)
        .unwrap();
    d.record_uses(&t_fake, &b_fake, public).unwrap();
}

/// Both steps with their state, so that they can be timed alternately.
pub struct Steps {
    rng: ChaCha8Rng,
    data: Tensor,
    fake: Tensor,
    plain_d: Mlp,
    plain_params: Vec<(String, Var)>,
    adam: Adam,
    dp_d: Mlp,
    dp: DpOptimizer<Adam>,
    sampler: PoissonSampler,
}

impl Steps {
    /// Turns the DP optimizer's noise prefetching on or off.
    pub fn set_noise_prefetch(&mut self, on: bool) {
        self.dp.set_noise_prefetch(on);
    }

    pub fn new() -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let data = random(&mut rng, ROWS, WIDTH);
        let fake = random(&mut rng, BATCH + 100, WIDTH);
        let plain_d = discriminator(&mut rng);
        let plain_params = plain_d.parameters();
        let vars: Vec<Var> = plain_params.iter().map(|(_, v)| v.clone()).collect();
        let adam = Adam::new(vars, ParamsAdam::ctgan()).unwrap();
        let dp_d = discriminator(&mut rng);
        let q = BATCH as f64 / ROWS as f64;
        let config = DpSgdConfig::new(1.0, 1.1, q, ROWS).with_label("training: discriminator");
        let budget = PrivacyBudget::unlimited(PrivacyLedger::new());
        let mut dp =
            DpOptimizer::<Adam>::new(config, dp_d.parameters(), ParamsAdam::ctgan(), budget)
                .unwrap();
        let sampler = dp.poisson_sampler().unwrap();
        Steps {
            rng,
            data,
            fake,
            plain_d,
            plain_params,
            adam,
            dp_d,
            dp,
            sampler,
        }
    }

    /// SDV's step: mean over the batch (upstream ±1/B, penalty weight λ/B), one Adam step.
    pub fn plain(&mut self) {
        let real = self.data.narrow(0, 0, BATCH).unwrap();
        let fake = self.fake.narrow(0, 0, BATCH).unwrap();
        let mut all = GhostBatch::new();
        let mut same = GhostBatch::new();
        record(
            &self.plain_d,
            &real,
            &fake,
            &fake,
            1.0 / BATCH as f64,
            &mut self.rng,
            &mut all,
            &mut same,
        );
        let mut grads = all.sum().unwrap();
        grads.accumulate(&same.sum().unwrap()).unwrap();
        self.adam
            .step(&grads.to_grad_store(&self.plain_params).unwrap())
            .unwrap();
    }

    /// The DP step: Poisson batch, per-example real term and penalty (upstream ±1, weight λ)
    /// clipped, fake term public (a mean), noise, budget record, Adam.
    pub fn dp(&mut self) {
        let idx: Vec<u32> = self
            .sampler
            .sample()
            .unwrap()
            .into_iter()
            .take(BATCH + 100)
            .map(|i| i as u32)
            .collect();
        let real = self
            .data
            .index_select(&Tensor::new(idx.as_slice(), &Device::Cpu).unwrap(), 0)
            .unwrap();
        let fake_term = self.fake.narrow(0, 0, BATCH).unwrap();
        let mut private = GhostBatch::new();
        let mut public = GhostBatch::new();
        record(
            &self.dp_d,
            &real,
            &self.fake,
            &fake_term,
            1.0,
            &mut self.rng,
            &mut private,
            &mut public,
        );
        let mut fake_grads = public.sum().unwrap();
        fake_grads.scale(1.0 / BATCH as f64).unwrap();
        let clipped = private.clip(1.0).unwrap();
        let outcome = self.dp.step(&clipped, Some(&fake_grads)).unwrap();
        assert!(outcome.is_applied());
    }
}
