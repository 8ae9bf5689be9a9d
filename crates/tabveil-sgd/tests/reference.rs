//! Acceptance (issue 5): per-example norms and clipped, noise-free sums from book-keeping match
//! materialised per-example gradients (one autograd backward pass per example, f64) to
//! ≤ 1e-12 relative in f64 and ≤ 1e-5 in f32, on
//! 1. an MLP with LeakyReLU and dropout,
//! 2. the same MLP's WGAN-GP loss (real term + penalty on interpolates; weights used twice),
//! 3. a VAE-style loss with an element-wise σ parameter,
//!
//! randomised over seeds and batch sizes, B = 0 and B = 1 included.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should abort the test"
)]

mod common;

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::VarMap;
use common::{Materialised, RefMlp, assert_matches, grads_of, median_clip, rel_err, to_f64};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tabveil_sgd::{Activation, GhostBatch, Mlp, MlpConfig, gradient_penalty};

const DIM: usize = 7;

fn tolerance(dtype: DType) -> f64 {
    match dtype {
        DType::F64 => 1e-12,
        _ => 1e-5,
    }
}

fn discriminator(seed: u64, dtype: DType) -> Mlp {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    MlpConfig::new(DIM, vec![9, 8], 1)
        .with_hidden_activation(Activation::LeakyRelu {
            negative_slope: 0.2,
        })
        .with_dropout(0.5)
        .init("disc", &VarMap::new(), dtype, &Device::Cpu, &mut rng)
        .unwrap()
}

fn data(rng: &mut ChaCha8Rng, rows: usize, cols: usize, dtype: DType) -> Tensor {
    use rand::Rng;
    let v: Vec<f64> = (0..rows * cols)
        .map(|_| rng.random_range(-2.0..2.0))
        .collect();
    Tensor::from_vec(v, (rows, cols), &Device::Cpu)
        .unwrap()
        .to_dtype(dtype)
        .unwrap()
}

fn row(t: &Tensor, i: usize) -> Tensor {
    t.narrow(0, i, 1).unwrap().to_dtype(DType::F64).unwrap()
}

/// Case 1: ℓᵢ = ½‖D(xᵢ) − yᵢ‖² on an MLP with LeakyReLU and dropout, 3 outputs.
fn mlp_case(seed: u64, b: usize, dtype: DType) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mlp = MlpConfig::new(DIM, vec![9, 8], 3)
        .with_hidden_activation(Activation::LeakyRelu {
            negative_slope: 0.2,
        })
        .with_dropout(0.3)
        .init("net", &VarMap::new(), dtype, &Device::Cpu, &mut rng)
        .unwrap();
    let x = data(&mut rng, b, DIM, dtype);
    let y = data(&mut rng, b, 3, dtype);
    let tape = mlp.forward(&x, Some(&mut rng)).unwrap();
    let upstream = (tape.output() - &y).unwrap();
    let back = mlp.backward(&tape, &upstream, false).unwrap();
    let mut batch = GhostBatch::new();
    mlp.record_uses(&tape, &back, &mut batch).unwrap();

    let reference = RefMlp::from_mlp(&mlp);
    let vars = reference.vars();
    let mut mat = Materialised::new(&vars);
    for i in 0..b {
        let (out, _) = reference.forward(&row(&x, i), &tape, i);
        let loss = ((out - row(&y, i))
            .unwrap()
            .sqr()
            .unwrap()
            .sum_all()
            .unwrap()
            * 0.5)
            .unwrap();
        mat.push(grads_of(&loss, &vars));
    }
    let c = median_clip(&mat);
    let norms = batch.per_example_norms().unwrap();
    let clipped = batch.clip(c).unwrap();
    let ctx = format!("MLP seed {seed} B {b} {dtype:?}");
    assert_matches(
        &norms,
        clipped.private_sums(),
        &mat,
        c,
        tolerance(dtype),
        &ctx,
    );
}

/// Case 2: CTGAN's private discriminator loss at pac = 1,
/// ℓᵢ = −D(realᵢ) + λ(‖∇ₓD(x̂ᵢ)‖ − 1)², x̂ᵢ = α realᵢ + (1 − α) fakeᵢ, with fresh dropout masks
/// on the interpolates. Every weight is used twice per example. The fake term Σⱼ D(fakeⱼ) is
/// public: its plain sum is checked against autograd of the batch loss.
fn wgan_gp_case(seed: u64, b: usize, dtype: DType) {
    let lambda = 10.0;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let d = discriminator(seed, dtype);
    let real = data(&mut rng, b, DIM, dtype);
    let fake = data(&mut rng, b, DIM, dtype);
    let alpha = 0.37;
    let interp = ((&real * alpha).unwrap() + (&fake * (1.0 - alpha)).unwrap()).unwrap();

    let t_real = d.forward(&real, Some(&mut rng)).unwrap();
    let t_hat = d.forward(&interp, Some(&mut rng)).unwrap();
    let minus_one = Tensor::full(-1.0, (b, 1), &Device::Cpu)
        .unwrap()
        .to_dtype(dtype)
        .unwrap();
    let ones = minus_one.neg().unwrap();
    let b_real = d.backward(&t_real, &minus_one, false).unwrap();
    let b_hat = d.backward(&t_hat, &ones, true).unwrap();
    let penalty = gradient_penalty(b_hat.input_grad().unwrap(), lambda).unwrap();
    let mut batch = GhostBatch::new();
    d.record_uses(&t_real, &b_real, &mut batch).unwrap();
    d.record_penalty_uses(&t_hat, &b_hat, &penalty.grad, &mut batch)
        .unwrap();

    let reference = RefMlp::from_mlp(&d);
    let vars = reference.vars();
    let mut mat = Materialised::new(&vars);
    let u = Tensor::ones((1, 1), DType::F64, &Device::Cpu).unwrap();
    for i in 0..b {
        let (out_real, _) = reference.forward(&row(&real, i), &t_real, i);
        let (_, factors) = reference.forward(&row(&interp, i), &t_hat, i);
        let g = reference.input_grad(&factors, &u);
        let sq = g.sqr().unwrap().sum_all().unwrap();
        // At g = 0 (every path dropped) the norm is not differentiable; like torch's norm,
        // take the zero subgradient (autograd of sqrt would give NaN there).
        let gp = if sq.to_scalar::<f64>().unwrap() == 0.0 {
            Tensor::new(lambda, &Device::Cpu).unwrap()
        } else {
            ((sq.sqrt().unwrap() - 1.0).unwrap().sqr().unwrap() * lambda).unwrap()
        };
        let loss = (gp - out_real.sum_all().unwrap()).unwrap();
        mat.push(grads_of(&loss, &vars));
        // The penalty value too.
        let want = to_f64(
            &((&g.sqr().unwrap().sum_all().unwrap().sqrt().unwrap() - 1.0)
                .unwrap()
                .sqr()
                .unwrap()
                * lambda)
                .unwrap(),
        );
        let got = to_f64(&penalty.per_example)[i];
        assert!((got - want[0]).abs() <= tolerance(dtype) * want[0].max(1.0));
    }
    let c = median_clip(&mat);
    let norms = batch.per_example_norms().unwrap();
    let clipped = batch.clip(c).unwrap();
    let ctx = format!("WGAN-GP seed {seed} B {b} {dtype:?}");
    assert_matches(
        &norms,
        clipped.private_sums(),
        &mat,
        c,
        tolerance(dtype),
        &ctx,
    );

    // Public term: plain sum of the fake uses equals autograd of Σⱼ D(fakeⱼ).
    let t_fake = d.forward(&fake, Some(&mut rng)).unwrap();
    let b_fake = d.backward(&t_fake, &ones, false).unwrap();
    let mut public = GhostBatch::new();
    d.record_uses(&t_fake, &b_fake, &mut public).unwrap();
    let sums = public.sum().unwrap();
    let mut total: std::collections::BTreeMap<String, Vec<f64>> = vars
        .iter()
        .map(|(n, v)| (n.clone(), vec![0.0; v.elem_count()]))
        .collect();
    for i in 0..b {
        let (out, _) = reference.forward(&row(&fake, i), &t_fake, i);
        for (name, g) in grads_of(&out.sum_all().unwrap(), &vars) {
            for (s, x) in total.get_mut(&name).unwrap().iter_mut().zip(g) {
                *s += x;
            }
        }
    }
    for (name, want) in total {
        let err = rel_err(&to_f64(sums.get(&name).unwrap()), &want);
        assert!(err <= tolerance(dtype), "public sum of {name}: {err:e}");
    }
}

/// Case 3: a TVAE-style loss with an element-wise σ: encoder trunk (ReLU) with μ and log-var
/// heads, z = μ + ε·exp(½ log-var), decoder (ReLU, dropout), per example
/// ℓᵢ = 2 Σⱼ [(xᵢⱼ − tanh x̂ᵢⱼ)²/(2σⱼ²) + log σⱼ] − ½ Σₖ (1 + lvᵢₖ − μᵢₖ² − e^lvᵢₖ).
fn vae_case(seed: u64, b: usize, dtype: DType) {
    let (latent, factor) = (3, 2.0);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let dev = Device::Cpu;
    let vm = VarMap::new();
    let relu =
        |i, h: Vec<usize>, o| MlpConfig::new(i, h, o).with_hidden_activation(Activation::Relu);
    let trunk = relu(DIM, vec![6], 5)
        .with_output_activation(Activation::Relu)
        .init("enc", &vm, dtype, &dev, &mut rng)
        .unwrap();
    let mu_head = relu(5, vec![], latent)
        .init("mu", &vm, dtype, &dev, &mut rng)
        .unwrap();
    let lv_head = relu(5, vec![], latent)
        .init("lv", &vm, dtype, &dev, &mut rng)
        .unwrap();
    let decoder = relu(latent, vec![6], DIM)
        .with_dropout(0.25)
        .init("dec", &vm, dtype, &dev, &mut rng)
        .unwrap();
    let sigma_values: Vec<f64> = (0..DIM).map(|j| 0.1 + 0.05 * j as f64).collect();
    let sigma = Var::from_tensor(
        &Tensor::from_vec(sigma_values, DIM, &dev)
            .unwrap()
            .to_dtype(dtype)
            .unwrap(),
    )
    .unwrap();
    let x = data(&mut rng, b, DIM, dtype);
    let eps = data(&mut rng, b, latent, dtype);

    // Manual forward.
    let t_trunk = trunk.forward(&x, Some(&mut rng)).unwrap();
    let h = t_trunk.output();
    let t_mu = mu_head.forward(h, None).unwrap();
    let t_lv = lv_head.forward(h, None).unwrap();
    let (mu, lv) = (t_mu.output(), t_lv.output());
    let std = (lv * 0.5).unwrap().exp().unwrap();
    let z = (mu + (&eps * &std).unwrap()).unwrap();
    let t_dec = decoder.forward(&z, Some(&mut rng)).unwrap();
    let t = t_dec.output().tanh().unwrap();
    let s = sigma.as_tensor().unsqueeze(0).unwrap();
    let diff = (&x - &t).unwrap();
    // Manual backward of the summed loss.
    let d_xhat = (diff.broadcast_div(&s.sqr().unwrap()).unwrap()
        * (t.sqr().unwrap().affine(-1.0, 1.0).unwrap()))
    .unwrap()
    .affine(-factor, 0.0)
    .unwrap();
    let sigma_rows = (diff
        .sqr()
        .unwrap()
        .broadcast_div(&s.powf(3.0).unwrap())
        .unwrap()
        .neg()
        .unwrap())
    .broadcast_add(&s.recip().unwrap())
    .unwrap()
    .affine(factor, 0.0)
    .unwrap();
    let b_dec = decoder.backward(&t_dec, &d_xhat, true).unwrap();
    let dz = b_dec.input_grad().unwrap();
    let d_mu = (dz + mu).unwrap();
    let d_lv = ((dz * &eps).unwrap() * (&std * 0.5).unwrap()).unwrap();
    let d_lv = (d_lv + (lv.exp().unwrap() - 1.0).unwrap().affine(0.5, 0.0).unwrap()).unwrap();
    let b_mu = mu_head.backward(&t_mu, &d_mu, true).unwrap();
    let b_lv = lv_head.backward(&t_lv, &d_lv, true).unwrap();
    let dh = (b_mu.input_grad().unwrap() + b_lv.input_grad().unwrap()).unwrap();
    let b_trunk = trunk.backward(&t_trunk, &dh, false).unwrap();
    let mut batch = GhostBatch::new();
    trunk.record_uses(&t_trunk, &b_trunk, &mut batch).unwrap();
    mu_head.record_uses(&t_mu, &b_mu, &mut batch).unwrap();
    lv_head.record_uses(&t_lv, &b_lv, &mut batch).unwrap();
    decoder.record_uses(&t_dec, &b_dec, &mut batch).unwrap();
    batch.add_per_example("sigma", &sigma_rows).unwrap();

    // Reference: one autograd pass per example, f64.
    let (r_trunk, r_mu, r_lv, r_dec) = (
        RefMlp::from_mlp(&trunk),
        RefMlp::from_mlp(&mu_head),
        RefMlp::from_mlp(&lv_head),
        RefMlp::from_mlp(&decoder),
    );
    let r_sigma = Var::from_tensor(&sigma.to_dtype(DType::F64).unwrap()).unwrap();
    let mut vars: Vec<(String, Var)> = [&r_trunk, &r_mu, &r_lv, &r_dec]
        .iter()
        .flat_map(|r| r.vars())
        .collect();
    vars.push(("sigma".to_owned(), r_sigma.clone()));
    let mut mat = Materialised::new(&vars);
    for i in 0..b {
        let (h, _) = r_trunk.forward(&row(&x, i), &t_trunk, i);
        let (mu, _) = r_mu.forward(&h, &t_mu, i);
        let (lv, _) = r_lv.forward(&h, &t_lv, i);
        let z = (&mu + (row(&eps, i) * (&lv * 0.5).unwrap().exp().unwrap()).unwrap()).unwrap();
        let (xhat, _) = r_dec.forward(&z, &t_dec, i);
        let s = r_sigma.as_tensor().unsqueeze(0).unwrap();
        let rec = ((row(&x, i) - xhat.tanh().unwrap())
            .unwrap()
            .sqr()
            .unwrap()
            .broadcast_div(&(s.sqr().unwrap() * 2.0).unwrap())
            .unwrap()
            + s.log().unwrap())
        .unwrap()
        .sum_all()
        .unwrap();
        let kld = ((lv.exp().unwrap() + mu.sqr().unwrap()).unwrap() - (lv + 1.0).unwrap())
            .unwrap()
            .sum_all()
            .unwrap()
            * 0.5;
        let loss = ((rec * factor).unwrap() + kld.unwrap()).unwrap();
        mat.push(grads_of(&loss, &vars));
    }
    let c = median_clip(&mat);
    let norms = batch.per_example_norms().unwrap();
    let clipped = batch.clip(c).unwrap();
    let ctx = format!("VAE seed {seed} B {b} {dtype:?}");
    assert_matches(
        &norms,
        clipped.private_sums(),
        &mat,
        c,
        tolerance(dtype),
        &ctx,
    );
}

#[test]
fn edge_batch_sizes() {
    for dtype in [DType::F64, DType::F32] {
        for b in [0, 1, 2] {
            mlp_case(100 + b as u64, b, dtype);
            wgan_gp_case(200 + b as u64, b, dtype);
            vae_case(300 + b as u64, b, dtype);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, rng_seed: RngSeed::Fixed(1201), ..ProptestConfig::default() })]

    #[test]
    fn mlp_with_leaky_relu_and_dropout(seed in any::<u64>(), b in 0usize..12, f64_ in any::<bool>()) {
        mlp_case(seed, b, if f64_ { DType::F64 } else { DType::F32 });
    }

    #[test]
    fn wgan_gp_loss(seed in any::<u64>(), b in 0usize..12, f64_ in any::<bool>()) {
        wgan_gp_case(seed, b, if f64_ { DType::F64 } else { DType::F32 });
    }

    #[test]
    fn vae_loss_with_elementwise_sigma(seed in any::<u64>(), b in 0usize..12, f64_ in any::<bool>()) {
        vae_case(seed, b, if f64_ { DType::F64 } else { DType::F32 });
    }
}

/// The reference's analytic input-gradient chain is itself checked: its weight gradient of
/// the penalty matches central finite differences (f64), so the reference does not just
/// repeat the crate's algebra.
#[test]
fn reference_penalty_gradient_matches_finite_differences() {
    let d = discriminator(7, DType::F64);
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let x = data(&mut rng, 1, DIM, DType::F64);
    let tape = d.forward(&x, Some(&mut rng)).unwrap();
    let reference = RefMlp::from_mlp(&d);
    let vars = reference.vars();
    let u = Tensor::ones((1, 1), DType::F64, &Device::Cpu).unwrap();
    let penalty = |r: &RefMlp| {
        let (_, factors) = r.forward(&x, &tape, 0);
        let g = r.input_grad(&factors, &u);
        let n = g.sqr().unwrap().sum_all().unwrap().sqrt().unwrap();
        ((n - 1.0).unwrap().sqr().unwrap() * 10.0).unwrap()
    };
    let analytic = grads_of(&penalty(&reference), &vars);
    let h = 1e-6;
    for (name, var) in &vars {
        let base = to_f64(var.as_tensor());
        for idx in [0, base.len() / 2, base.len() - 1] {
            let mut vals = base.clone();
            vals[idx] = base[idx] + h;
            var.set(&Tensor::from_vec(vals.clone(), var.shape(), &Device::Cpu).unwrap())
                .unwrap();
            let up = to_f64(&penalty(&reference))[0];
            vals[idx] = base[idx] - h;
            var.set(&Tensor::from_vec(vals, var.shape(), &Device::Cpu).unwrap())
                .unwrap();
            let down = to_f64(&penalty(&reference))[0];
            var.set(&Tensor::from_vec(base.clone(), var.shape(), &Device::Cpu).unwrap())
                .unwrap();
            let fd = (up - down) / (2.0 * h);
            let a = analytic[name][idx];
            assert!(
                (fd - a).abs() <= 1e-6 * (1.0 + a.abs()),
                "{name}[{idx}]: fd {fd} vs {a}"
            );
        }
    }
    // And the chain is the true input gradient: autograd on x gives the same.
    let xv = Var::from_tensor(&x).unwrap();
    let (out, factors) = reference.forward(xv.as_tensor(), &tape, 0);
    let g_chain = to_f64(&reference.input_grad(&factors, &u));
    let store = out.sum_all().unwrap().backward().unwrap();
    let g_auto = to_f64(store.get(xv.as_tensor()).unwrap());
    assert!(rel_err(&g_chain, &g_auto) < 1e-14);
}
