//! Fused host loops for the generator's element-wise work: batch normalisation with ReLU
//! (forward in training and evaluation mode, backward) and small matrix helpers.
//!
//! Candle's element-wise CPU ops are unfused single loops that each allocate
//! (`notes/candle.md` §3); these loops do each pass once. They run on host slices: tensors are
//! copied to the host and back, so every device works (a GPU pays the copies).

use candle_core::{Device, Storage, Tensor};

use crate::error::Result;

/// Calls `f` on the row-major `f32` values of `t`: in place for a contiguous CPU tensor, on a
/// host copy otherwise (other devices, strided views).
pub(crate) fn with_host<T>(t: &Tensor, f: impl FnOnce(&[f32]) -> T) -> Result<T> {
    if matches!(t.device(), Device::Cpu) {
        let (storage, layout) = t.storage_and_layout();
        if let (Storage::Cpu(cpu), Some((start, end))) = (&*storage, layout.contiguous_offsets()) {
            return Ok(f(&cpu.as_slice::<f32>()?[start..end]));
        }
    }
    let copy = t.flatten_all()?.to_vec1::<f32>()?;
    Ok(f(&copy))
}

/// A `rows × cols` tensor from host values.
pub(crate) fn from_host(
    values: Vec<f32>,
    rows: usize,
    cols: usize,
    device: &Device,
) -> Result<Tensor> {
    Ok(Tensor::from_vec(values, (rows, cols), device)?)
}

/// The gradient of a bias from the gradient of its layer's output: Σ over the rows of a
/// row-major `rows × cols` matrix, accumulated in f64.
pub(crate) fn bias_gradient(x: &[f32], cols: usize) -> Vec<f32> {
    let mut acc = vec![0.0f64; cols];
    for row in x.chunks_exact(cols.max(1)) {
        for (a, v) in acc.iter_mut().zip(row) {
            *a += f64::from(*v);
        }
    }
    acc.into_iter().map(|v| v as f32).collect()
}

/// What the training-mode forward of BatchNorm + ReLU keeps for the backward pass.
#[derive(Debug, Clone)]
pub(crate) struct BnTape {
    /// The normalised pre-activation x̂ (rows × cols).
    pub(crate) xhat: Vec<f32>,
    /// The block's output r = ReLU(γ x̂ + β) (rows × cols).
    pub(crate) out: Vec<f32>,
    /// 1/√(var + eps) per column.
    pub(crate) inv_std: Vec<f32>,
}

/// BatchNorm1d (training mode, biased batch variance, as `torch.nn.BatchNorm1d`) followed by
/// ReLU, on `z = a + bias` where `a` is `rows × cols`. Returns the tape and the batch mean and
/// *unbiased* variance of z per column (for the running statistics, as torch updates them).
pub(crate) fn bn_relu_train(
    a: &[f32],
    bias: &[f32],
    rows: usize,
    cols: usize,
    gamma: &[f32],
    beta: &[f32],
    eps: f64,
) -> (BnTape, Vec<f64>, Vec<f64>) {
    let mut mean = vec![0.0f64; cols];
    for row in a.chunks_exact(cols) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += f64::from(*v);
        }
    }
    let n = rows as f64;
    for m in &mut mean {
        *m /= n;
    }
    let mut var = vec![0.0f64; cols];
    for row in a.chunks_exact(cols) {
        for ((s, v), m) in var.iter_mut().zip(row).zip(&mean) {
            let d = f64::from(*v) - m;
            *s += d * d;
        }
    }
    let biased: Vec<f64> = var.iter().map(|s| s / n).collect();
    let inv_std: Vec<f32> = biased
        .iter()
        .map(|v| (1.0 / (v + eps).sqrt()) as f32)
        .collect();
    let mean32: Vec<f32> = mean.iter().map(|m| *m as f32).collect();
    let mut xhat = vec![0.0f32; rows * cols];
    let mut out = vec![0.0f32; rows * cols];
    for ((row, xrow), orow) in a
        .chunks_exact(cols)
        .zip(xhat.chunks_exact_mut(cols))
        .zip(out.chunks_exact_mut(cols))
    {
        // Zipped rather than indexed: no bounds checks, so the loop vectorises.
        let per_column = mean32.iter().zip(&inv_std).zip(gamma).zip(beta);
        for (((xv, ov), &a), (((&m, &s), &g), &b)) in xrow
            .iter_mut()
            .zip(orow.iter_mut())
            .zip(row)
            .zip(per_column)
        {
            let x = (a - m) * s;
            *xv = x;
            let y = g * x + b;
            *ov = if y > 0.0 { y } else { 0.0 };
        }
    }
    // The bias shifts the batch mean of z = a + b (it cancels in x̂).
    let z_mean: Vec<f64> = mean
        .iter()
        .zip(bias)
        .map(|(m, b)| m + f64::from(*b))
        .collect();
    let unbiased: Vec<f64> = if rows > 1 {
        var.iter().map(|s| s / (n - 1.0)).collect()
    } else {
        biased
    };
    (BnTape { xhat, out, inv_std }, z_mean, unbiased)
}

/// BatchNorm1d in evaluation mode (running statistics) followed by ReLU, on `z = a + bias`.
#[allow(
    clippy::too_many_arguments,
    reason = "the fused kernel takes every BatchNorm tensor"
)]
pub(crate) fn bn_relu_eval(
    a: &[f32],
    bias: &[f32],
    cols: usize,
    gamma: &[f32],
    beta: &[f32],
    running_mean: &[f32],
    running_var: &[f32],
    eps: f64,
) -> Vec<f32> {
    // y = γ (a + b − μ)/√(v + eps) + β = scale·a + shift
    let scale: Vec<f32> = (0..cols)
        .map(|j| (f64::from(gamma[j]) / (f64::from(running_var[j]) + eps).sqrt()) as f32)
        .collect();
    let shift: Vec<f32> = (0..cols)
        .map(|j| beta[j] + scale[j] * (bias[j] - running_mean[j]))
        .collect();
    let mut out = vec![0.0f32; a.len()];
    for (row, orow) in a.chunks_exact(cols).zip(out.chunks_exact_mut(cols)) {
        for j in 0..cols {
            let y = scale[j] * row[j] + shift[j];
            orow[j] = if y > 0.0 { y } else { 0.0 };
        }
    }
    out
}

/// The backward pass of [`bn_relu_train`]: from dL/dr (`rows × cols`, read with row stride
/// `stride` starting at column 0, so it can be the left block of a wider matrix) to dL/dz, dL/dγ
/// and dL/dβ.
pub(crate) fn bn_relu_backward(
    dr: &[f32],
    stride: usize,
    tape: &BnTape,
    gamma: &[f32],
    rows: usize,
    cols: usize,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let mut dbeta = vec![0.0f64; cols];
    let mut dgamma = vec![0.0f64; cols];
    let mut dy = vec![0.0f32; rows * cols];
    for i in 0..rows {
        let src = &dr[i * stride..i * stride + cols];
        let out = &tape.out[i * cols..(i + 1) * cols];
        let xhat = &tape.xhat[i * cols..(i + 1) * cols];
        let dst = &mut dy[i * cols..(i + 1) * cols];
        // Zipped rather than indexed (vectorises); the same sums in the same order.
        let sums = dbeta.iter_mut().zip(dgamma.iter_mut());
        for ((((d, &s), &o), &x), (db, dg)) in dst.iter_mut().zip(src).zip(out).zip(xhat).zip(sums)
        {
            let g = if o > 0.0 { s } else { 0.0 };
            *d = g;
            *db += f64::from(g);
            *dg += f64::from(g) * f64::from(x);
        }
    }
    let n = rows as f64;
    // dx̂ = γ dy; mean(dx̂) = γ Σdy / n; mean(dx̂ ⊙ x̂) = γ Σ(dy x̂) / n.
    let m1: Vec<f32> = (0..cols)
        .map(|j| (f64::from(gamma[j]) * dbeta[j] / n) as f32)
        .collect();
    let m2: Vec<f32> = (0..cols)
        .map(|j| (f64::from(gamma[j]) * dgamma[j] / n) as f32)
        .collect();
    let mut dz = dy;
    for (row, xrow) in dz.chunks_exact_mut(cols).zip(tape.xhat.chunks_exact(cols)) {
        let per_column = tape.inv_std.iter().zip(gamma).zip(&m1).zip(&m2);
        for ((r, &x), (((&s, &g), &a), &b)) in row.iter_mut().zip(xrow).zip(per_column) {
            *r = s * (g * *r - a - x * b);
        }
    }
    (
        dz,
        dgamma.into_iter().map(|v| v as f32).collect(),
        dbeta.into_iter().map(|v| v as f32).collect(),
    )
}

/// `[left | right]` row by row: a `rows × (lc + rc)` matrix.
pub(crate) fn hcat(left: &[f32], lc: usize, right: &[f32], rc: usize, rows: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(rows * (lc + rc));
    for i in 0..rows {
        out.extend_from_slice(&left[i * lc..(i + 1) * lc]);
        out.extend_from_slice(&right[i * rc..(i + 1) * rc]);
    }
    out
}

/// Columns `start..start + width` of a row-major matrix with `cols` columns.
pub(crate) fn columns(x: &[f32], cols: usize, start: usize, width: usize) -> Vec<f32> {
    let rows = x.len() / cols.max(1);
    let mut out = Vec::with_capacity(rows * width);
    for row in x.chunks_exact(cols.max(1)) {
        out.extend_from_slice(&row[start..start + width]);
    }
    out
}
