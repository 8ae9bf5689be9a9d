//! Adam against `torch.optim.Adam` (coupled L2 weight decay) on a few steps, f32 and f64.
//! Values from `scripts/sgd/adam_reference.py` (torch 2.15.0, CPU) in
//! `tests/data/adam_reference.json`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should abort the test"
)]

use std::collections::BTreeMap;

use candle_core::backprop::GradStore;
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::Optimizer;
use serde::Deserialize;
use tabveil_sgd::{Adam, ParamsAdam};

#[derive(Deserialize)]
struct Reference {
    shapes: BTreeMap<String, Vec<usize>>,
    init: BTreeMap<String, Vec<f64>>,
    grads: Vec<BTreeMap<String, Vec<f64>>>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    dtype: String,
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    after_step: Vec<BTreeMap<String, Vec<f64>>>,
}

#[test]
fn matches_pytorch_adam() {
    let text = include_str!("data/adam_reference.json");
    let reference: Reference = serde_json::from_str(text).unwrap();
    let dev = Device::Cpu;
    assert_eq!(reference.cases.len(), 6);
    for case in &reference.cases {
        let (dtype, tol) = match case.dtype.as_str() {
            "f32" => (DType::F32, 2e-6),
            _ => (DType::F64, 1e-13),
        };
        let vars: BTreeMap<String, Var> = reference
            .init
            .iter()
            .map(|(k, v)| {
                let t = Tensor::from_vec(v.clone(), reference.shapes[k].as_slice(), &dev)
                    .unwrap()
                    .to_dtype(dtype)
                    .unwrap();
                (k.clone(), Var::from_tensor(&t).unwrap())
            })
            .collect();
        let params = ParamsAdam {
            lr: case.lr,
            beta1: case.beta1,
            beta2: case.beta2,
            eps: case.eps,
            weight_decay: case.weight_decay,
        };
        let mut adam = Adam::new(vars.values().cloned().collect(), params).unwrap();
        for (t, (grads, want)) in reference.grads.iter().zip(&case.after_step).enumerate() {
            let mut store = GradStore::default();
            for (k, g) in grads {
                let gt = Tensor::from_vec(g.clone(), reference.shapes[k].as_slice(), &dev)
                    .unwrap()
                    .to_dtype(dtype)
                    .unwrap();
                store.insert(vars[k].as_tensor(), gt);
            }
            adam.step(&store).unwrap();
            for (k, w) in want {
                let got: Vec<f64> = vars[k]
                    .flatten_all()
                    .unwrap()
                    .to_dtype(DType::F64)
                    .unwrap()
                    .to_vec1()
                    .unwrap();
                for (g, w) in got.iter().zip(w) {
                    assert!(
                        (g - w).abs() <= tol * w.abs().max(1.0),
                        "{} {}: step {t} {k}: {g} vs torch {w}",
                        case.name,
                        case.dtype
                    );
                }
            }
        }
    }
}

#[test]
fn invalid_hyper_parameters_are_rejected() {
    for bad in [
        ParamsAdam {
            lr: -1.0,
            ..ParamsAdam::default()
        },
        ParamsAdam {
            beta1: 1.0,
            ..ParamsAdam::default()
        },
        ParamsAdam {
            beta2: f64::NAN,
            ..ParamsAdam::default()
        },
        ParamsAdam {
            eps: f64::INFINITY,
            ..ParamsAdam::default()
        },
        ParamsAdam {
            weight_decay: -0.1,
            ..ParamsAdam::default()
        },
    ] {
        assert!(bad.check().is_err());
        assert!(Adam::new(vec![], bad).is_err());
    }
    assert!(ParamsAdam::ctgan().check().is_ok());
    assert!(ParamsAdam::tvae().check().is_ok());
}
