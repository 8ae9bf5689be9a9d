//! The slow reference path: per-example gradients materialised by one Candle autograd backward
//! pass per example, in f64, then norms, clip factors and clipped sums from them.
//!
//! It shares nothing with the crate's manual passes but the parameter values, the dropout masks
//! (read from the tapes) and the formulas of the losses.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should abort the test"
)]
#![allow(
    dead_code,
    reason = "each test file uses a different part of the reference"
)]

use std::collections::BTreeMap;

use candle_core::{DType, Tensor, Var};
use tabveil_sgd::{Activation, Gradients, Mlp, MlpTape};

/// An f64 copy of an [`Mlp`] built from Candle ops, with its own `Var`s.
pub struct RefMlp {
    /// (weight name, weight, bias name, bias, activation) per layer.
    pub layers: Vec<(String, Var, String, Var, Activation)>,
}

impl RefMlp {
    pub fn from_mlp(mlp: &Mlp) -> Self {
        let params: BTreeMap<String, Var> = mlp.parameters().into_iter().collect();
        let n = mlp.config().hidden_dims.len() + 1;
        let prefix = params
            .keys()
            .next()
            .and_then(|k| k.split('.').next())
            .unwrap()
            .to_owned();
        let layers = (0..n)
            .map(|k| {
                let wn = format!("{prefix}.{k}.weight");
                let bn = format!("{prefix}.{k}.bias");
                let w = Var::from_tensor(&params[&wn].to_dtype(DType::F64).unwrap()).unwrap();
                let b = Var::from_tensor(&params[&bn].to_dtype(DType::F64).unwrap()).unwrap();
                let act = if k + 1 == n {
                    mlp.config().output_activation
                } else {
                    mlp.config().hidden_activation
                };
                (wn, w, bn, b, act)
            })
            .collect();
        RefMlp { layers }
    }

    pub fn vars(&self) -> Vec<(String, Var)> {
        self.layers
            .iter()
            .flat_map(|(wn, w, bn, b, _)| [(wn.clone(), w.clone()), (bn.clone(), b.clone())])
            .collect()
    }

    /// Forward of one example (1 × d) with the masks of row `i` of `tape` (f64 autograd ops).
    /// Returns the output and the per-layer factors F (slope · mask) as constants.
    pub fn forward(&self, x: &Tensor, tape: &MlpTape, i: usize) -> (Tensor, Vec<Tensor>) {
        let mut h = x.to_dtype(DType::F64).unwrap();
        let mut factors = Vec::new();
        for (k, (_, w, _, b, act)) in self.layers.iter().enumerate() {
            let z = h
                .matmul(&w.as_tensor().t().unwrap())
                .unwrap()
                .broadcast_add(b.as_tensor())
                .unwrap();
            let (out, slope) = match act {
                Activation::Identity => (z.clone(), z.ones_like().unwrap()),
                Activation::Relu => (
                    z.relu().unwrap(),
                    z.gt(0.0).unwrap().to_dtype(DType::F64).unwrap(),
                ),
                Activation::LeakyRelu { negative_slope } => (
                    candle_nn::ops::leaky_relu(&z, *negative_slope).unwrap(),
                    z.gt(0.0)
                        .unwrap()
                        .to_dtype(DType::F64)
                        .unwrap()
                        .affine(1.0 - negative_slope, *negative_slope)
                        .unwrap(),
                ),
            };
            let slope = slope.detach();
            let (out, factor) = match tape.dropout_mask(k) {
                Some(m) => {
                    let mi = m.narrow(0, i, 1).unwrap().to_dtype(DType::F64).unwrap();
                    ((out * &mi).unwrap(), (slope * mi).unwrap())
                }
                None => (out, slope),
            };
            factors.push(factor);
            h = out;
        }
        (h, factors)
    }

    /// ∇ₓ(uᵀD)(x) for one example as forward ops of the weights (the analytic chain), from
    /// the factors of [`RefMlp::forward`]; differentiable in the weights.
    pub fn input_grad(&self, factors: &[Tensor], u: &Tensor) -> Tensor {
        let n = self.layers.len();
        let mut e = (u.to_dtype(DType::F64).unwrap() * &factors[n - 1]).unwrap();
        for k in (0..n).rev() {
            let r = e.matmul(self.layers[k].1.as_tensor()).unwrap();
            if k == 0 {
                return r;
            }
            e = (r * &factors[k - 1]).unwrap();
        }
        unreachable!()
    }
}

/// Per-example flattened gradients of `loss` for `vars` (one backward pass).
pub fn grads_of(loss: &Tensor, vars: &[(String, Var)]) -> BTreeMap<String, Vec<f64>> {
    let store = loss.backward().unwrap();
    vars.iter()
        .map(|(name, v)| {
            let g = match store.get(v.as_tensor()) {
                Some(g) => g.flatten_all().unwrap().to_vec1::<f64>().unwrap(),
                None => vec![0.0; v.elem_count()],
            };
            (name.clone(), g)
        })
        .collect()
}

/// Norms, clipped sums (with norm `c`) of materialised per-example gradients.
pub struct Materialised {
    pub per_example: Vec<BTreeMap<String, Vec<f64>>>,
    pub numel: BTreeMap<String, usize>,
}

impl Materialised {
    pub fn new(vars: &[(String, Var)]) -> Self {
        Materialised {
            per_example: Vec::new(),
            numel: vars
                .iter()
                .map(|(n, v)| (n.clone(), v.elem_count()))
                .collect(),
        }
    }

    pub fn push(&mut self, grads: BTreeMap<String, Vec<f64>>) {
        self.per_example.push(grads);
    }

    pub fn norms(&self) -> Vec<f64> {
        self.per_example
            .iter()
            .map(|g| {
                g.values()
                    .flat_map(|v| v.iter())
                    .map(|x| x * x)
                    .sum::<f64>()
                    .sqrt()
            })
            .collect()
    }

    pub fn clipped_sums(&self, c: f64) -> BTreeMap<String, Vec<f64>> {
        let norms = self.norms();
        let mut out: BTreeMap<String, Vec<f64>> = self
            .numel
            .iter()
            .map(|(n, &k)| (n.clone(), vec![0.0; k]))
            .collect();
        for (g, n) in self.per_example.iter().zip(&norms) {
            let f = if *n > c { c / n } else { 1.0 };
            for (name, v) in g {
                for (s, x) in out.get_mut(name).unwrap().iter_mut().zip(v) {
                    *s += f * x;
                }
            }
        }
        out
    }
}

pub fn to_f64(t: &Tensor) -> Vec<f64> {
    t.flatten_all()
        .unwrap()
        .to_dtype(DType::F64)
        .unwrap()
        .to_vec1()
        .unwrap()
}

/// ‖a − b‖ / ‖b‖ (absolute when b = 0).
pub fn rel_err(got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len());
    let num = got
        .iter()
        .zip(want)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        .sqrt();
    let den = want.iter().map(|b| b * b).sum::<f64>().sqrt();
    if den == 0.0 { num } else { num / den }
}

/// Compares engine norms and clipped sums with the materialised reference.
pub fn assert_matches(
    norms: &Tensor,
    sums: &Gradients,
    reference: &Materialised,
    c: f64,
    tol: f64,
    context: &str,
) {
    let got = to_f64(norms);
    let want = reference.norms();
    assert_eq!(got.len(), want.len(), "{context}: batch size");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(
            (g - w).abs() <= tol * w.max(1e-30),
            "{context}: norm of example {i}: {g} vs {w}"
        );
    }
    let want_sums = reference.clipped_sums(c);
    assert_eq!(sums.len(), want_sums.len(), "{context}: parameter count");
    for (name, want) in &want_sums {
        let got = to_f64(
            sums.get(name)
                .unwrap_or_else(|| panic!("{context}: {name} missing")),
        );
        let err = rel_err(&got, want);
        assert!(
            err <= tol,
            "{context}: clipped sum of {name}: rel err {err:e}"
        );
    }
}

/// A clipping norm that clips about half the examples (the median norm), or 1 for B = 0.
pub fn median_clip(reference: &Materialised) -> f64 {
    let mut n = reference.norms();
    if n.is_empty() {
        return 1.0;
    }
    n.sort_by(f64::total_cmp);
    n[n.len() / 2] * 1.0001
}
