//! Unit tests of the manual MLP: the reference comparisons are in `tests/reference.rs`.

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::VarMap;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;

fn net(dropout: f64, dtype: DType) -> (Mlp, ChaCha8Rng) {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let config = MlpConfig::new(5, vec![7, 6], 2)
        .with_hidden_activation(Activation::LeakyRelu {
            negative_slope: 0.2,
        })
        .with_dropout(dropout);
    let mlp = config
        .init("d", &VarMap::new(), dtype, &Device::Cpu, &mut rng)
        .unwrap();
    (mlp, rng)
}

#[test]
fn init_is_seeded_named_and_bounded() {
    let (a, _) = net(0.0, DType::F64);
    let (b, _) = net(0.0, DType::F64);
    let names: Vec<String> = a.parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "d.0.bias",
            "d.0.weight",
            "d.1.bias",
            "d.1.weight",
            "d.2.bias",
            "d.2.weight"
        ]
    );
    for ((_, va), (_, vb)) in a.parameters().iter().zip(b.parameters()) {
        let x: Vec<f64> = va.flatten_all().unwrap().to_vec1().unwrap();
        let y: Vec<f64> = vb.flatten_all().unwrap().to_vec1().unwrap();
        assert_eq!(x, y);
    }
    let w0: Vec<f64> = a.parameters()[1]
        .1
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    let bound = 1.0 / 5f64.sqrt();
    assert!(w0.iter().all(|v| v.abs() <= bound));
}

#[test]
fn init_rejects_bad_configs_and_duplicates() {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let vm = VarMap::new();
    let dev = Device::Cpu;
    for config in [
        MlpConfig::new(0, vec![], 1),
        MlpConfig::new(2, vec![0], 1),
        MlpConfig::new(2, vec![], 1).with_dropout(1.0),
        MlpConfig::new(2, vec![], 1).with_dropout(-0.1),
        MlpConfig::new(2, vec![], 1).with_hidden_activation(Activation::LeakyRelu {
            negative_slope: f64::NAN,
        }),
    ] {
        assert!(matches!(
            config.init("x", &vm, DType::F32, &dev, &mut rng),
            Err(SgdError::InvalidParameter { .. })
        ));
    }
    let ok = MlpConfig::new(2, vec![3], 1);
    assert!(matches!(
        ok.init("x", &vm, DType::U8, &dev, &mut rng),
        Err(SgdError::UnsupportedDType { .. })
    ));
    ok.init("x", &vm, DType::F32, &dev, &mut rng).unwrap();
    assert!(matches!(
        ok.init("x", &vm, DType::F32, &dev, &mut rng),
        Err(SgdError::DuplicateParameter { .. })
    ));
}

/// Dropout keeps each unit with probability 1 − p. With 5·10⁴ units per mask, the standard
/// deviation of the kept fraction is ≤ 2.3e-3; the tolerance 0.015 is > 6 sd (false alarm
/// < 1e-9).
#[test]
fn dropout_masks_have_the_right_rate_and_scale() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let like = Tensor::zeros((1, 1), DType::F32, &Device::Cpu).unwrap();
    for p in [0.5, 0.2, 0.9] {
        let m = dropout_mask(&mut rng, p, 500, 100, &like).unwrap();
        let v: Vec<f32> = m.flatten_all().unwrap().to_vec1().unwrap();
        let keep = 1.0 / (1.0 - p);
        assert!(
            v.iter()
                .all(|&x| x == 0.0 || (f64::from(x) - keep).abs() < 1e-6)
        );
        let kept = v.iter().filter(|&&x| x > 0.0).count() as f64 / v.len() as f64;
        assert!((kept - (1.0 - p)).abs() < 0.015, "p = {p}: kept {kept}");
    }
}

#[test]
fn same_rng_same_masks_and_eval_mode_has_none() {
    let (mlp, _) = net(0.5, DType::F32);
    let x = Tensor::randn(0f32, 1.0, (4, 5), &Device::Cpu).unwrap();
    let mut r1 = ChaCha8Rng::seed_from_u64(5);
    let mut r2 = ChaCha8Rng::seed_from_u64(5);
    let t1 = mlp.forward(&x, Some(&mut r1)).unwrap();
    let t2 = mlp.forward(&x, Some(&mut r2)).unwrap();
    let o1: Vec<f32> = t1.output().flatten_all().unwrap().to_vec1().unwrap();
    let o2: Vec<f32> = t2.output().flatten_all().unwrap().to_vec1().unwrap();
    assert_eq!(o1, o2);
    assert!(t1.dropout_mask(0).is_some() && t1.dropout_mask(2).is_none());
    let te = mlp.forward(&x, None).unwrap();
    assert!(te.dropout_mask(0).is_none());
}

#[test]
fn input_gradient_matches_autograd() {
    let (mlp, _) = net(0.0, DType::F64);
    let x = Var::from_tensor(&Tensor::randn(0f64, 1.0, (6, 5), &Device::Cpu).unwrap()).unwrap();
    let tape = mlp.forward(x.as_tensor(), None).unwrap();
    let u = Tensor::randn(0f64, 1.0, (6, 2), &Device::Cpu).unwrap();
    let back = mlp.backward(&tape, &u, true).unwrap();
    // Autograd on the same network built from Candle ops.
    let mut h = x.as_tensor().clone();
    let params = mlp.parameters();
    for k in 0..3 {
        let w = &params[2 * k + 1].1;
        let b = &params[2 * k].1;
        h = h
            .matmul(&w.as_tensor().t().unwrap())
            .unwrap()
            .broadcast_add(b.as_tensor())
            .unwrap();
        if k < 2 {
            h = candle_nn::ops::leaky_relu(&h, 0.2).unwrap();
        }
    }
    let loss = (h * &u).unwrap().sum_all().unwrap();
    let grads = loss.backward().unwrap();
    let want: Vec<f64> = grads
        .get(x.as_tensor())
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    let got: Vec<f64> = back
        .input_grad()
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() < 1e-12, "{g} vs {w}");
    }
}

#[test]
fn empty_batches_flow_through() {
    let (mlp, mut rng) = net(0.5, DType::F32);
    let x = Tensor::zeros((0, 5), DType::F32, &Device::Cpu).unwrap();
    let tape = mlp.forward(&x, Some(&mut rng)).unwrap();
    assert_eq!(tape.output().dims(), &[0, 2]);
    let u = Tensor::zeros((0, 2), DType::F32, &Device::Cpu).unwrap();
    let back = mlp.backward(&tape, &u, true).unwrap();
    let mut batch = GhostBatch::new();
    mlp.record_uses(&tape, &back, &mut batch).unwrap();
    let p = gradient_penalty(back.input_grad().unwrap(), 10.0).unwrap();
    mlp.record_penalty_uses(&tape, &back, &p.grad, &mut batch)
        .unwrap();
    let clipped = batch.clip(1.0).unwrap();
    assert_eq!(clipped.batch_size(), 0);
    for (_, g) in clipped.private_sums().iter() {
        let v: Vec<f32> = g.flatten_all().unwrap().to_vec1().unwrap();
        assert!(v.iter().all(|&x| x == 0.0));
    }
}

#[test]
fn shape_and_dtype_errors() {
    let (mlp, _) = net(0.0, DType::F32);
    let dev = Device::Cpu;
    let wrong = Tensor::zeros((3, 4), DType::F32, &dev).unwrap();
    assert!(matches!(
        mlp.forward(&wrong, None),
        Err(SgdError::ShapeMismatch { .. })
    ));
    let f64x = Tensor::zeros((3, 5), DType::F64, &dev).unwrap();
    assert!(matches!(
        mlp.forward(&f64x, None),
        Err(SgdError::DTypeMismatch { .. })
    ));
    let x = Tensor::zeros((3, 5), DType::F32, &dev).unwrap();
    let tape = mlp.forward(&x, None).unwrap();
    let u = Tensor::zeros((2, 2), DType::F32, &dev).unwrap();
    assert!(matches!(
        mlp.backward(&tape, &u, false),
        Err(SgdError::BatchSizeMismatch { .. })
    ));
    assert!(matches!(
        gradient_penalty(&x, f64::NAN),
        Err(SgdError::InvalidParameter { .. })
    ));
}
