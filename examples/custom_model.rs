//! A custom Candle model trained with DP-SGD from `tabveil::sgd`: a small MLP classifier on a
//! synthetic two-class problem, with Poisson batches, per-example clipping by book-keeping,
//! secure Gaussian noise and a budget guard that refuses the step that would overshoot ε.
//!
//! ```text
//! cargo run --release --example custom_model
//! ```

#![allow(clippy::print_stdout, reason = "an example prints its results")]

use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tabveil::accountant::{AccountantSpec, PrivacyLedger};
use tabveil::sgd::{
    Activation, Adam, DpOptimizer, DpSgdConfig, GhostBatch, Mlp, MlpConfig, ParamsAdam,
    PrivacyBudget, StepOutcome, calibrate_noise_multiplier,
};

fn main() -> anyhow::Result<()> {
    let dev = Device::Cpu;
    let (epsilon, delta) = (2.0, 1e-5);
    let (n_rows, batch, epochs) = (4_000_usize, 200.0, 10_u64);

    // Two Gaussian blobs in 4 dimensions; the label is which blob.
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let (x, y) = blobs(n_rows, &mut rng, &dev)?;
    let (x_test, y_test) = blobs(1_000, &mut rng, &dev)?;

    // The network: 4 → 32 → 1 logit, LeakyReLU. Its initialisation and dropout use the
    // ordinary seed; the privacy randomness never does.
    let mut seed = ChaCha8Rng::seed_from_u64(7);
    let net = MlpConfig::new(4, vec![32], 1)
        .with_hidden_activation(Activation::LeakyRelu {
            negative_slope: 0.2,
        })
        .init("classifier", &VarMap::new(), DType::F32, &dev, &mut seed)?;

    // Privacy: Poisson sampling at q = B/N; σ calibrated so that the planned steps spend ε.
    let q = batch / n_rows as f64;
    let steps = epochs * (n_rows as u64) / batch as u64;
    let ledger = PrivacyLedger::new();
    let sigma =
        calibrate_noise_multiplier(&ledger, epsilon, delta, q, steps, &AccountantSpec::rdp())?;
    let budget = PrivacyBudget::new(ledger, epsilon, delta, AccountantSpec::rdp())?;
    let config = DpSgdConfig::new(1.0, sigma.noise_multiplier, q, n_rows)
        .with_label("training: custom MLP classifier");
    let params = ParamsAdam {
        lr: 1e-2,
        ..ParamsAdam::default()
    };
    let mut opt = DpOptimizer::<Adam>::new(config, net.parameters(), params, budget)?;
    let mut sampler = opt.poisson_sampler()?;
    println!(
        "{n_rows} rows, q = {q}, {steps} planned steps, σ = {:.3}, C = 1 (ε ≤ {epsilon} at δ = {delta:e})",
        sigma.noise_multiplier
    );
    println!(
        "test accuracy before training: {:.3}",
        accuracy(&net, &x_test, &y_test)?
    );

    // Train until the budget guard refuses a step.
    loop {
        let rows: Vec<u32> = sampler.sample()?.into_iter().map(|i| i as u32).collect();
        let mut uses = GhostBatch::new();
        if rows.is_empty() {
            // A Poisson batch can be empty. The step still happens (zero clipped sum, noise
            // added): skipping it would make the number of releases depend on the data.
            record_empty(&net, &mut uses)?;
        } else {
            let idx = Tensor::new(rows.as_slice(), &dev)?;
            let (xb, yb) = (x.index_select(&idx, 0)?, y.index_select(&idx, 0)?);
            // Per-example logistic loss ℓᵢ = log(1 + e^{zᵢ}) − yᵢzᵢ: upstream gradient
            // σ(zᵢ) − yᵢ.
            let tape = net.forward(&xb, Some(&mut seed))?;
            let upstream = (candle_nn::ops::sigmoid(tape.output())? - &yb)?;
            let back = net.backward(&tape, &upstream, false)?;
            net.record_uses(&tape, &back, &mut uses)?;
        }
        match opt.step(&uses.clip(1.0)?, None)? {
            StepOutcome::Applied { .. } => {}
            StepOutcome::BudgetExhausted { steps_taken, .. } => {
                println!("budget reached after {steps_taken} steps: the next step was not taken");
                break;
            }
        }
    }
    let spent = opt.budget().epsilon_spent(delta)?;
    println!("ε spent: {spent:.4} (target {epsilon})");
    let acc = accuracy(&net, &x_test, &y_test)?;
    println!("test accuracy after private training: {acc:.3}");
    anyhow::ensure!(spent <= epsilon, "the budget guard let ε exceed the target");
    Ok(())
}

/// Zero-row uses of every parameter: an empty batch's clipped sums are zero.
fn record_empty(net: &Mlp, uses: &mut GhostBatch) -> anyhow::Result<()> {
    for (name, var) in net.parameters() {
        match *var.dims() {
            [d_out, d_in] => {
                let a = Tensor::zeros((0, d_in), DType::F32, var.device())?;
                let g = Tensor::zeros((0, d_out), DType::F32, var.device())?;
                uses.add_weight_use(name, &a, &g)?;
            }
            [d] => uses.add_bias_use(name, &Tensor::zeros((0, d), DType::F32, var.device())?)?,
            _ => anyhow::bail!("parameter {name} has an unexpected rank"),
        }
    }
    Ok(())
}

/// `n` points: label 1 around (+1, +1, 0, 0), label 0 around (−1, −1, 0, 0), unit noise.
fn blobs(n: usize, rng: &mut ChaCha8Rng, dev: &Device) -> anyhow::Result<(Tensor, Tensor)> {
    let mut xs = Vec::with_capacity(n * 4);
    let mut ys = Vec::with_capacity(n);
    for _ in 0..n {
        let label = rng.random_bool(0.5);
        let centre = if label { 1.0 } else { -1.0 };
        for d in 0..4 {
            let noise: f32 = rng.random_range(-1.5..1.5);
            xs.push(if d < 2 { centre + noise } else { noise });
        }
        ys.push(if label { 1.0_f32 } else { 0.0 });
    }
    Ok((
        Tensor::from_vec(xs, (n, 4), dev)?,
        Tensor::from_vec(ys, (n, 1), dev)?,
    ))
}

fn accuracy(net: &Mlp, x: &Tensor, y: &Tensor) -> anyhow::Result<f32> {
    let logits = net.forward(x, None)?;
    let predicted = logits.output().ge(0.0)?.to_dtype(DType::F32)?;
    let correct = predicted.eq(y)?.to_dtype(DType::F32)?.mean_all()?;
    Ok(correct.to_scalar::<f32>()?)
}
