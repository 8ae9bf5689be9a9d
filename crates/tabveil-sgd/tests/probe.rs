//! The probe-variable route (ordinary Candle autograd) and the manual MLP feed the same engine
//! the same uses: norms and clipped sums agree, including the WGAN-GP penalty written as
//! forward ops (the analytic input-gradient chain).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should abort the test"
)]

mod common;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;
use common::{rel_err, to_f64};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tabveil_sgd::{Activation, GhostBatch, MlpConfig, ProbedLinear, gradient_penalty};

#[test]
fn probe_route_matches_manual_mlp_with_penalty() {
    for (dtype, tol) in [(DType::F64, 1e-12), (DType::F32, 1e-5)] {
        let dev = Device::Cpu;
        let mut rng = ChaCha8Rng::seed_from_u64(21);
        let d = MlpConfig::new(6, vec![8, 5], 1)
            .with_hidden_activation(Activation::LeakyRelu {
                negative_slope: 0.2,
            })
            .with_dropout(0.5)
            .init("d", &VarMap::new(), dtype, &dev, &mut rng)
            .unwrap();
        let b = 9;
        let real = Tensor::randn(0f64, 1.0, (b, 6), &dev)
            .unwrap()
            .to_dtype(dtype)
            .unwrap();
        let hat = Tensor::randn(0f64, 1.0, (b, 6), &dev)
            .unwrap()
            .to_dtype(dtype)
            .unwrap();
        let ones = Tensor::ones((b, 1), dtype, &dev).unwrap();

        // Manual route.
        let t_real = d.forward(&real, Some(&mut rng)).unwrap();
        let t_hat = d.forward(&hat, Some(&mut rng)).unwrap();
        let b_real = d.backward(&t_real, &ones.neg().unwrap(), false).unwrap();
        let b_hat = d.backward(&t_hat, &ones, true).unwrap();
        let p = gradient_penalty(b_hat.input_grad().unwrap(), 10.0).unwrap();
        let mut manual = GhostBatch::new();
        d.record_uses(&t_real, &b_real, &mut manual).unwrap();
        d.record_penalty_uses(&t_hat, &b_hat, &p.grad, &mut manual)
            .unwrap();

        // Probe route: the same network from Candle ops with ProbedLinear layers.
        let params: std::collections::BTreeMap<_, _> = d.parameters().into_iter().collect();
        let layers: Vec<ProbedLinear> = (0..3)
            .map(|k| {
                ProbedLinear::new(
                    format!("d.{k}.weight"),
                    params[&format!("d.{k}.weight")].clone(),
                )
                .with_bias(
                    format!("d.{k}.bias"),
                    params[&format!("d.{k}.bias")].clone(),
                )
            })
            .collect();
        let forward = |x: &Tensor, tape: &tabveil_sgd::MlpTape| {
            let mut h = x.clone();
            let mut factors = Vec::new();
            for (k, layer) in layers.iter().enumerate() {
                let z = layer.forward(&h).unwrap();
                if k < 2 {
                    let slope = z
                        .gt(0.0)
                        .unwrap()
                        .to_dtype(dtype)
                        .unwrap()
                        .affine(0.8, 0.2)
                        .unwrap();
                    let mask = tape.dropout_mask(k).unwrap();
                    h = (candle_nn::ops::leaky_relu(&z, 0.2).unwrap() * mask).unwrap();
                    factors.push((slope * mask).unwrap());
                } else {
                    h = z;
                }
            }
            (h, factors)
        };
        let (out_real, _) = forward(&real, &t_real);
        // The interpolates' forward only provides the factors; its probes get G = 0.
        let (_, factors) = forward(&hat, &t_hat);
        // The penalty as forward ops of the weights (the analytic input-gradient chain), so
        // that one ordinary backward pass differentiates it.
        let w: Vec<Tensor> = (0..3)
            .map(|k| params[&format!("d.{k}.weight")].as_tensor().clone())
            .collect();
        let e2 = ones.clone();
        let r1 = e2.matmul(&w[2]).unwrap();
        let e1 = (&r1 * &factors[1]).unwrap();
        let r0 = e1.matmul(&w[1]).unwrap();
        let e0 = (&r0 * &factors[0]).unwrap();
        let g = e0.matmul(&w[0]).unwrap();
        let per_example_norm = g.sqr().unwrap().sum(1).unwrap().sqrt().unwrap();
        let gp = ((per_example_norm - 1.0).unwrap().sqr().unwrap() * 10.0).unwrap();
        let loss = (gp.sum_all().unwrap() - out_real.sum_all().unwrap()).unwrap();
        let grads = loss.backward().unwrap();
        let mut probed = GhostBatch::new();
        for layer in &layers {
            layer.record(&grads, &mut probed).unwrap();
        }
        // The probes cover the layers' forward uses (the real term); the penalty's transposed
        // uses are not probed, so record them from the manual tape, with ḡ computed from the
        // chain's g. The total must equal the manual route, and the plain sum must equal the
        // GradStore's (unclipped) weight gradients of the whole loss.
        let pg = gradient_penalty(&g, 10.0).unwrap();
        d.record_penalty_uses(&t_hat, &b_hat, &pg.grad, &mut probed)
            .unwrap();

        let n1 = to_f64(&manual.per_example_norms().unwrap());
        let n2 = to_f64(&probed.per_example_norms().unwrap());
        assert!(rel_err(&n2, &n1) <= tol, "{dtype:?}: norms");
        let c1 = manual.clip(1.0).unwrap();
        let c2 = probed.clip(1.0).unwrap();
        for (name, s1) in c1.private_sums().iter() {
            let s2 = c2.private_sums().get(name).unwrap();
            assert!(
                rel_err(&to_f64(s2), &to_f64(s1)) <= tol,
                "{dtype:?}: {name}"
            );
        }
        // And the plain sums of the probe route equal the GradStore's unclipped gradients of
        // the real term plus the penalty.
        let plain = probed.sum().unwrap();
        for (name, var) in &params {
            let want = to_f64(grads.get(var.as_tensor()).unwrap());
            let got = to_f64(plain.get(name).unwrap());
            assert!(
                rel_err(&got, &want) <= tol * 10.0,
                "{dtype:?}: plain {name}"
            );
        }
    }
}
