//! The engine against a host-loop reference that materialises every per-example gradient.

use candle_core::{DType, Device, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

/// A random (rows × cols) matrix as host data.
fn random(rng: &mut ChaCha8Rng, rows: usize, cols: usize) -> Vec<Vec<f64>> {
    (0..rows)
        .map(|_| (0..cols).map(|_| rng.random_range(-1.5..1.5)).collect())
        .collect()
}

fn tensor(m: &[Vec<f64>], cols: usize, dtype: DType) -> Tensor {
    let flat: Vec<f64> = m.iter().flatten().copied().collect();
    Tensor::from_vec(flat, (m.len(), cols), &Device::Cpu)
        .unwrap()
        .to_dtype(dtype)
        .unwrap()
}

/// Host description of one batch: per parameter, the per-example gradients, flattened.
struct Reference {
    /// names, in sorted order, with per-example flattened gradients (B × numel) and numel.
    per_example: Vec<(String, Vec<Vec<f64>>, usize)>,
}

impl Reference {
    fn norms(&self, b: usize) -> Vec<f64> {
        (0..b)
            .map(|i| {
                self.per_example
                    .iter()
                    .map(|(_, g, _)| g[i].iter().map(|x| x * x).sum::<f64>())
                    .sum::<f64>()
                    .sqrt()
            })
            .collect()
    }

    fn clipped_sums(&self, b: usize, c: f64) -> Vec<(String, Vec<f64>)> {
        let norms = self.norms(b);
        self.per_example
            .iter()
            .map(|(name, g, numel)| {
                let mut sum = vec![0.0; *numel];
                for i in 0..b {
                    let f = (c / norms[i]).min(1.0);
                    for (s, v) in sum.iter_mut().zip(&g[i]) {
                        *s += f * v;
                    }
                }
                (name.clone(), sum)
            })
            .collect()
    }
}

/// Builds a random batch with: a weight used `uses` times, a weight used once, a bias used
/// twice and an element-wise parameter; returns the engine record and the reference.
fn random_batch(seed: u64, b: usize, uses: usize, dtype: DType) -> (GhostBatch, Reference) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut batch = GhostBatch::new();
    let mut per_example = Vec::new();

    // "a.weight": (d_out = 3, d_in = 4), used `uses` times.
    let (d_out, d_in) = (3, 4);
    let mut w_rows = vec![vec![0.0; d_out * d_in]; b];
    for _ in 0..uses {
        let a = random(&mut rng, b, d_in);
        let g = random(&mut rng, b, d_out);
        batch
            .add_weight_use(
                "a.weight",
                &tensor(&a, d_in, dtype),
                &tensor(&g, d_out, dtype),
            )
            .unwrap();
        for i in 0..b {
            for o in 0..d_out {
                for j in 0..d_in {
                    w_rows[i][o * d_in + j] += g[i][o] * a[i][j];
                }
            }
        }
    }
    per_example.push(("a.weight".to_owned(), w_rows, d_out * d_in));

    // "b.bias": d = 3, two uses.
    let mut b_rows = vec![vec![0.0; 3]; b];
    for _ in 0..2 {
        let g = random(&mut rng, b, 3);
        batch.add_bias_use("b.bias", &tensor(&g, 3, dtype)).unwrap();
        for i in 0..b {
            for k in 0..3 {
                b_rows[i][k] += g[i][k];
            }
        }
    }
    per_example.push(("b.bias".to_owned(), b_rows, 3));

    // "c.scale": element-wise, per-example rows given directly (shape (5,)).
    let rows = random(&mut rng, b, 5);
    batch
        .add_per_example("c.scale", &tensor(&rows, 5, dtype))
        .unwrap();
    per_example.push(("c.scale".to_owned(), rows, 5));

    // "d.weight": (2, 6) used once, through the transposed entry point.
    let v = random(&mut rng, b, 2);
    let du = random(&mut rng, b, 6);
    batch
        .add_transposed_weight_use("d.weight", &tensor(&v, 2, dtype), &tensor(&du, 6, dtype))
        .unwrap();
    let d_rows = (0..b)
        .map(|i| {
            let mut r = vec![0.0; 12];
            for o in 0..2 {
                for j in 0..6 {
                    r[o * 6 + j] = v[i][o] * du[i][j];
                }
            }
            r
        })
        .collect();
    per_example.push(("d.weight".to_owned(), d_rows, 12));

    (batch, Reference { per_example })
}

fn rel_err(got: &[f64], want: &[f64]) -> f64 {
    let num: f64 = got
        .iter()
        .zip(want)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        .sqrt();
    let den: f64 = want.iter().map(|b| b * b).sum::<f64>().sqrt();
    if den == 0.0 { num } else { num / den }
}

fn flat(t: &Tensor) -> Vec<f64> {
    t.flatten_all()
        .unwrap()
        .to_dtype(DType::F64)
        .unwrap()
        .to_vec1()
        .unwrap()
}

fn check(seed: u64, b: usize, uses: usize, dtype: DType, tol: f64) {
    let (batch, reference) = random_batch(seed, b, uses, dtype);
    let norms = flat(&batch.per_example_norms().unwrap());
    let want = reference.norms(b);
    assert_eq!(norms.len(), b);
    for (n, w) in norms.iter().zip(&want) {
        assert!((n - w).abs() <= tol * w, "norm {n} vs {w}");
    }
    // C around the median norm so that some examples are clipped and some are not.
    let c = if b == 0 { 1.0 } else { want[b / 2] * 1.01 };
    let clipped = batch.clip(c).unwrap();
    assert_eq!(clipped.batch_size(), b);
    let sums = clipped.private_sums();
    let want_sums = reference.clipped_sums(b, c);
    assert_eq!(sums.len(), want_sums.len());
    for (name, want) in want_sums {
        let got = flat(sums.get(&name).unwrap());
        assert_eq!(got.len(), want.len(), "{name}");
        let err = rel_err(&got, &want);
        assert!(err <= tol, "{name}: rel err {err} (b = {b}, uses = {uses})");
    }
}

#[test]
fn matches_materialised_reference_f64() {
    for (seed, b) in [(1, 0), (2, 1), (3, 2), (4, 17), (5, 64)] {
        for uses in 1..=3 {
            check(seed * 10 + uses as u64, b, uses, DType::F64, 1e-12);
        }
    }
}

#[test]
fn matches_materialised_reference_f32() {
    for (seed, b) in [(1, 0), (2, 1), (3, 5), (4, 33)] {
        for uses in 1..=3 {
            check(seed * 10 + uses as u64, b, uses, DType::F32, 1e-5);
        }
    }
}

#[test]
fn unclipped_sum_equals_infinite_norm_clip() {
    let (batch, _) = random_batch(9, 12, 2, DType::F64);
    let plain = batch.sum().unwrap();
    let clipped = batch.clip(f64::INFINITY).unwrap();
    for (name, g) in plain.iter() {
        let c = clipped.private_sums().get(name).unwrap();
        assert_eq!(flat(g), flat(c), "{name}");
    }
}

#[test]
fn typed_errors_for_bad_input() {
    let dev = Device::Cpu;
    let a = Tensor::zeros((4, 3), DType::F64, &dev).unwrap();
    let g = Tensor::zeros((4, 2), DType::F64, &dev).unwrap();
    let g5 = Tensor::zeros((5, 2), DType::F64, &dev).unwrap();
    let g32 = Tensor::zeros((4, 2), DType::F32, &dev).unwrap();
    let mut batch = GhostBatch::new();
    assert!(matches!(
        batch.add_weight_use("w", &a, &g5),
        Err(SgdError::BatchSizeMismatch { .. })
    ));
    batch.add_weight_use("w", &a, &g).unwrap();
    assert!(matches!(
        batch.add_weight_use("w", &a, &a),
        Err(SgdError::ShapeMismatch { .. })
    ));
    assert!(matches!(
        batch.add_bias_use("w", &g),
        Err(SgdError::MixedContributions { .. })
    ));
    assert!(matches!(
        batch.add_bias_use("b", &g32),
        Err(SgdError::DTypeMismatch { .. })
    ));
    let v = Tensor::zeros(4, DType::F64, &dev).unwrap();
    assert!(matches!(
        batch.add_weight_use("v", &v, &g),
        Err(SgdError::ShapeMismatch { .. })
    ));
    let ints = Tensor::zeros((4, 2), DType::U32, &dev).unwrap();
    assert!(matches!(
        batch.add_per_example("i", &ints),
        Err(SgdError::UnsupportedDType { .. })
    ));
    for c in [0.0, -1.0, f64::NAN] {
        assert!(matches!(
            batch.clip(c),
            Err(SgdError::InvalidParameter { .. })
        ));
    }
    // Rows disagreeing on B: summing is fine, clipping is refused.
    batch.add_bias_use("b", &g5).unwrap();
    assert!(batch.sum().is_ok());
    assert!(matches!(
        batch.clip(1.0),
        Err(SgdError::BatchSizeMismatch { .. })
    ));
}

#[test]
fn zero_gradient_examples_are_not_scaled() {
    let dev = Device::Cpu;
    let a = Tensor::new(&[[0.0f64, 0.0], [3.0, 4.0]], &dev).unwrap();
    let g = Tensor::new(&[[1.0f64], [1.0]], &dev).unwrap();
    let mut batch = GhostBatch::new();
    batch.add_weight_use("w", &a, &g).unwrap();
    let c = batch.clip_factors(1.0).unwrap().to_vec1::<f64>().unwrap();
    assert_eq!(c[0], 1.0);
    // 1/5, lowered by the error bound of the norm (a few units of f64): never above it.
    assert!(c[1] <= 0.2);
    approx::assert_relative_eq!(c[1], 0.2, max_relative = 1e-13);
    let s = batch.clip(1.0).unwrap();
    let w = s.private_sums().get("w").unwrap().to_vec2::<f64>().unwrap();
    approx::assert_abs_diff_eq!(w[0][0], 0.6, epsilon = 1e-13);
    approx::assert_abs_diff_eq!(w[0][1], 0.8, epsilon = 1e-13);
}

/// A non-finite example (NaN input) is dropped: the clipped sum is finite and equals the sum
/// over the other examples; finite examples are unaffected.
#[test]
fn non_finite_examples_are_dropped_not_propagated() {
    for dtype in [DType::F32, DType::F64] {
        let dev = Device::Cpu;
        let a = Tensor::new(&[[1.0f64, 2.0], [f64::NAN, 1.0], [0.5, 0.5]], &dev)
            .unwrap()
            .to_dtype(dtype)
            .unwrap();
        let g = Tensor::new(&[[1.0f64], [1.0], [2.0]], &dev)
            .unwrap()
            .to_dtype(dtype)
            .unwrap();
        let rows = Tensor::new(&[[1.0f64], [f64::INFINITY], [1.0]], &dev)
            .unwrap()
            .to_dtype(dtype)
            .unwrap();
        let mut batch = GhostBatch::new();
        batch.add_weight_use("w", &a, &g).unwrap();
        batch.add_bias_use("b", &g).unwrap();
        batch.add_per_example("s", &rows).unwrap();
        let c = batch.clip_factors(10.0).unwrap();
        assert_eq!(flat(&c)[1], 0.0);
        let clipped = batch.clip(10.0).unwrap();
        let w = flat(clipped.private_sums().get("w").unwrap());
        assert_eq!(w, vec![1.0 + 1.0, 2.0 + 1.0]);
        assert_eq!(flat(clipped.private_sums().get("b").unwrap()), vec![3.0]);
        assert_eq!(flat(clipped.private_sums().get("s").unwrap()), vec![2.0]);
    }
}

/// Σ xₖ² of f32 values, accurately: each square is exact in f64 (48 significant bits) and
/// the sum is compensated (Neumaier), so the result is within a few units of f64 rounding —
/// far below the f32 rounding the tests below look for.
fn exact_sq_sum(x: &[f32]) -> f64 {
    let (mut sum, mut carry) = (0.0f64, 0.0f64);
    for &v in x {
        let term = f64::from(v) * f64::from(v);
        let t = sum + term;
        carry += if sum.abs() >= term.abs() {
            (sum - t) + term
        } else {
            (term - t) + sum
        };
        sum = t;
    }
    sum + carry
}

/// The clipped contribution of every example has norm ≤ C in exact arithmetic (the factor
/// actually applied times the recorded per-example gradient), however the f32 sums behind the
/// norms round. Before the norms were computed in f64 with an error bound and the factors
/// rounded down, about half the examples overshot C by ~1e-8 relative.
#[test]
fn clipped_contributions_never_exceed_c_in_f32() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (b, d_in, d_out, d) = (200, 300, 40, 700);
    let draw = |rng: &mut ChaCha8Rng, n: usize| -> Vec<f32> {
        (0..n).map(|_| rng.random_range(-1.5f32..1.5)).collect()
    };
    let (a, g, r) = (
        draw(&mut rng, b * d_in),
        draw(&mut rng, b * d_out),
        draw(&mut rng, b * d),
    );
    let dev = Device::Cpu;
    let mut batch = GhostBatch::new();
    let at = Tensor::from_vec(a.clone(), (b, d_in), &dev).unwrap();
    let gt = Tensor::from_vec(g.clone(), (b, d_out), &dev).unwrap();
    batch.add_weight_use("w", &at, &gt).unwrap();
    batch
        .add_per_example("s", &Tensor::from_vec(r.clone(), (b, d), &dev).unwrap())
        .unwrap();
    for c in [1.0, 0.1, 7.3] {
        let factors = batch.clip_factors(c).unwrap().to_vec1::<f32>().unwrap();
        for (i, &f) in factors.iter().enumerate() {
            // ‖∇ℓᵢ‖² = ‖aᵢ‖²‖gᵢ‖² + ‖rᵢ‖², each piece accurate to a few f64 units.
            let sq = exact_sq_sum(&a[i * d_in..(i + 1) * d_in])
                * exact_sq_sum(&g[i * d_out..(i + 1) * d_out])
                + exact_sq_sum(&r[i * d..(i + 1) * d]);
            // f² is exact in f64; the product rounds by one unit, far below the ~1e-8
            // overshoot of an f32 norm.
            let clipped_sq = f64::from(f) * f64::from(f) * sq;
            assert!(
                clipped_sq <= c * c,
                "example {i}: ‖cᵢ∇ℓᵢ‖² = {clipped_sq:e} > C² = {:e} (relative {:e})",
                c * c,
                clipped_sq / (c * c) - 1.0
            );
            // And the bound costs nothing visible: the factor is C/‖∇ℓᵢ‖ to f32 precision.
            approx::assert_relative_eq!(f64::from(f), c / sq.sqrt(), max_relative = 1e-6);
        }
    }
}

/// A weight used twice whose uses cancel: ∇_W ℓ = (g₁ + g₂)ᵀa with g₂ = −g₁(1 − 2⁻²³). The
/// cross term 2(a·a)(g₁·g₂) cancels the squares, and in f32 the computed squared norm is
/// exactly 0 while the true norm is 2 — an unclipped contribution of 2C. The f64 norms are
/// exact here, and the error bound covers what cancellation could hide.
#[test]
fn cancelling_weight_uses_are_clipped_to_c() {
    let dev = Device::Cpu;
    let lambda = 2f32.powi(24);
    let a = Tensor::new(&[[1.0f32]], &dev).unwrap();
    let g1 = Tensor::new(&[[lambda]], &dev).unwrap();
    let g2 = Tensor::new(&[[-lambda * (1.0 - 2f32.powi(-23))]], &dev).unwrap();
    let mut batch = GhostBatch::new();
    batch.add_weight_use("w", &a, &g1).unwrap();
    batch.add_weight_use("w", &a, &g2).unwrap();
    // The exact per-example gradient: λ·2⁻²³ = 2.
    let exact = f64::from(lambda) * 2f64.powi(-23);
    assert_eq!(exact, 2.0);
    let f = batch.clip_factors(1.0).unwrap().to_vec1::<f32>().unwrap()[0];
    assert!(
        f64::from(f) * exact <= 1.0,
        "factor {f}: clipped norm {} > C = 1",
        f64::from(f) * exact
    );
    let sum = batch.clip(1.0).unwrap();
    let w = sum
        .private_sums()
        .get("w")
        .unwrap()
        .to_vec2::<f32>()
        .unwrap()[0][0];
    assert!(f64::from(w).abs() <= 1.0 + 1e-6, "clipped sum {w}");
}
