use candle_core::{D, Device, Tensor};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;

/// The same forward pass written with Candle ops, so Candle's autograd can differentiate it.
fn autograd_forward(g: &Generator, x: &Tensor) -> Tensor {
    let mut h = x.clone();
    for b in &g.blocks {
        let a = h
            .matmul(&b.weight.as_tensor().t().unwrap())
            .unwrap()
            .broadcast_add(b.bias.as_tensor())
            .unwrap();
        let mean = a.mean_keepdim(0).unwrap();
        let centred = a.broadcast_sub(&mean).unwrap();
        let var = centred.sqr().unwrap().mean_keepdim(0).unwrap();
        let xhat = centred
            .broadcast_div(&(var + BN_EPS).unwrap().sqrt().unwrap())
            .unwrap();
        let y = xhat
            .broadcast_mul(b.gamma.as_tensor())
            .unwrap()
            .broadcast_add(b.beta.as_tensor())
            .unwrap();
        let r = y.relu().unwrap();
        h = Tensor::cat(&[&r, &h], D::Minus1).unwrap();
    }
    h.matmul(&g.out_weight.as_tensor().t().unwrap())
        .unwrap()
        .broadcast_add(g.out_bias.as_tensor())
        .unwrap()
}

#[test]
fn manual_backward_matches_candle_autograd() {
    let dev = Device::Cpu;
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let g = Generator::new(5, &[4, 3], 6, &dev, &mut rng).unwrap();
    let x = Tensor::randn(0f32, 1.0, (9, 5), &dev).unwrap();
    let w = Tensor::randn(0f32, 1.0, (9, 6), &dev).unwrap();

    let (out, tape) = g.forward_train(&x).unwrap();
    let reference = autograd_forward(&g, &x);
    let ref_host = reference.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    for (a, b) in out.iter().zip(&ref_host) {
        assert!((a - b).abs() < 1e-5, "forward {a} vs {b}");
    }
    let grads = g
        .backward(&tape, w.flatten_all().unwrap().to_vec1::<f32>().unwrap())
        .unwrap();
    let loss = (reference * &w).unwrap().sum_all().unwrap();
    let store = loss.backward().unwrap();
    for (name, var) in g.parameters() {
        let mine = grads.get(&name).unwrap().flatten_all().unwrap();
        let theirs = store.get(var.as_tensor()).unwrap().flatten_all().unwrap();
        let mine = mine.to_vec1::<f32>().unwrap();
        let theirs = theirs.to_vec1::<f32>().unwrap();
        let scale = theirs.iter().fold(0f32, |m, v| m.max(v.abs()));
        for (a, b) in mine.iter().zip(&theirs) {
            assert!((a - b).abs() < 1e-5 + 1e-4 * scale, "{name}: {a} vs {b}");
        }
    }
}

#[test]
fn running_statistics_follow_torch() {
    let dev = Device::Cpu;
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let g = Generator::new(3, &[2], 2, &dev, &mut rng).unwrap();
    let x = Tensor::new(
        &[
            [1.0f32, 0.0, 2.0],
            [0.5, -1.0, 0.0],
            [-1.0, 2.0, 1.0],
            [0.0, 0.0, 0.5],
        ],
        &dev,
    )
    .unwrap();
    let a = x
        .matmul(&g.blocks[0].weight.as_tensor().t().unwrap())
        .unwrap()
        .broadcast_add(g.blocks[0].bias.as_tensor())
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    g.forward_train(&x).unwrap();
    let rm = g.blocks[0].running_mean.to_vec1::<f32>().unwrap();
    let rv = g.blocks[0].running_var.to_vec1::<f32>().unwrap();
    for j in 0..2 {
        let col: Vec<f64> = a.iter().map(|r| f64::from(r[j])).collect();
        let mean = col.iter().sum::<f64>() / 4.0;
        let unbiased = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 3.0;
        assert!((f64::from(rm[j]) - 0.1 * mean).abs() < 1e-6);
        assert!((f64::from(rv[j]) - (0.9 + 0.1 * unbiased)).abs() < 1e-6);
    }
}

/// In evaluation mode each output row depends on its own input row only.
#[test]
fn eval_rows_are_independent_of_the_batch() {
    let dev = Device::Cpu;
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let g = Generator::new(4, &[8, 8], 5, &dev, &mut rng).unwrap();
    let x = Tensor::randn(0f32, 1.0, (6, 4), &dev).unwrap();
    g.forward_train(&x).unwrap();
    let all = g.forward_eval(&x).unwrap();
    let first = g.forward_eval(&x.narrow(0, 0, 1).unwrap()).unwrap();
    for (a, b) in all[..5].iter().zip(&first) {
        assert!((a - b).abs() < 1e-6);
    }
}
