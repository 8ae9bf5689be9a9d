//! Fused element-wise kernels for the few hot loops of a DP-SGD step.
//!
//! Candle's CPU element-wise ops are unfused single loops that each allocate a tensor
//! (`notes/candle.md` §3), so a LeakyReLU + dropout forward would cost five passes. Each kernel
//! here has a fused host loop for contiguous CPU tensors and a generic path built from Candle
//! ops for every other device; the tests check that both paths agree.

use candle_core::{DType, Device, Storage, Tensor, WithDType};

use crate::error::{Result, SgdError};

/// `$f::<f32>(args)` or `$f::<f64>(args)` by the dtype of `$t` (an error for any other dtype,
/// naming `$what`).
macro_rules! by_float_dtype {
    ($t:expr, $what:expr, $f:ident($($arg:expr),* $(,)?)) => {
        match float_dtype($t, $what)? {
            DType::F32 => $f::<f32>($($arg),*),
            _ => $f::<f64>($($arg),*),
        }
    };
}

/// The floating-point element types the kernels support.
pub(crate) trait Real: WithDType {
    fn sqrt(self) -> Self;
}

impl Real for f32 {
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
}

impl Real for f64 {
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
}

/// The element-wise non-linearities whose slope is piecewise constant, so that the input
/// gradient of a network is linear in each weight (needed by the analytic gradient penalty).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Slope {
    /// f(z) = z.
    Identity,
    /// f(z) = z for z > 0, `negative` · z otherwise (ReLU when `negative` is 0).
    Piecewise {
        /// Slope for z ≤ 0.
        negative: f64,
    },
}

/// Checks that `t` is f32 or f64.
pub(crate) fn float_dtype(t: &Tensor, what: &str) -> Result<DType> {
    match t.dtype() {
        DType::F32 | DType::F64 => Ok(t.dtype()),
        dtype => Err(SgdError::UnsupportedDType {
            what: what.to_owned(),
            dtype,
        }),
    }
}

/// Read access to the host data of a contiguous CPU tensor.
pub(crate) struct Host<'a> {
    guard: candle_core::StorageRef<'a>,
    start: usize,
    end: usize,
}

impl Host<'_> {
    /// The tensor's elements, in row-major order.
    pub(crate) fn slice<T: WithDType>(&self) -> Result<&[T]> {
        match &*self.guard {
            Storage::Cpu(cpu) => Ok(&cpu.as_slice::<T>()?[self.start..self.end]),
            _ => Err(SgdError::Internal("host view of a non-CPU tensor")),
        }
    }
}

/// A view of the data of `t` when it is a contiguous CPU tensor (make it contiguous first),
/// `None` otherwise.
pub(crate) fn host(t: &Tensor) -> Option<Host<'_>> {
    if !matches!(t.device(), Device::Cpu) {
        return None;
    }
    let (guard, layout) = t.storage_and_layout();
    let (start, end) = layout.contiguous_offsets()?;
    if !matches!(&*guard, Storage::Cpu(_)) {
        return None;
    }
    Some(Host { guard, start, end })
}

/// Σⱼ aᵢⱼ bᵢⱼ for each row i of two (B, d) tensors: a (B,) tensor.
pub(crate) fn row_dots(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (rows, cols) = row_dot_dims(a, b)?;
    by_float_dtype!(a, "row dot operand", row_dots_typed(a, b, rows, cols))
}

fn row_dots_typed<T: Real>(a: &Tensor, b: &Tensor, rows: usize, cols: usize) -> Result<Tensor> {
    on_host_pair(a, b, row_dots_generic, |xa: &[T], xb: &[T], device| {
        let mut out = Vec::with_capacity(rows);
        if cols == 0 {
            out.resize(rows, T::from_f64(0.0));
        } else {
            for (ra, rb) in xa.chunks_exact(cols).zip(xb.chunks_exact(cols)) {
                out.push(dot(ra, rb));
            }
        }
        Ok(Tensor::from_vec(out, rows, device)?)
    })
}

/// `on_host` of the host data of `a` and `b` (made contiguous) and their device when both are
/// CPU tensors; `elsewhere` of the contiguous tensors otherwise.
fn on_host_pair<T: Real, R>(
    a: &Tensor,
    b: &Tensor,
    elsewhere: impl FnOnce(&Tensor, &Tensor) -> Result<R>,
    on_host: impl FnOnce(&[T], &[T], &Device) -> Result<R>,
) -> Result<R> {
    let (a, b) = (a.contiguous()?, b.contiguous()?);
    let (Some(ha), Some(hb)) = (host(&a), host(&b)) else {
        return elsewhere(&a, &b);
    };
    on_host(ha.slice::<T>()?, hb.slice::<T>()?, a.device())
}

/// The host view of `t` if any (`Some(None)` without a tensor); `None` when `t` is not a
/// contiguous CPU tensor.
fn optional_host(t: Option<&Tensor>) -> Option<Option<Host<'_>>> {
    match t {
        Some(t) => host(t).map(Some),
        None => Some(None),
    }
}

/// (B, d) of two row-dot operands of one shape.
fn row_dot_dims(a: &Tensor, b: &Tensor) -> Result<(usize, usize)> {
    let dims = a.dims2()?;
    if b.dims() != a.dims() {
        return Err(SgdError::ShapeMismatch {
            what: "row dot operand".to_owned(),
            expected: a.dims().to_vec(),
            actual: b.dims().to_vec(),
        });
    }
    Ok(dims)
}

/// Σⱼ aᵢⱼ bᵢⱼ for each row i of two (B, d) tensors, accumulated in f64 whatever their dtype
/// (a product of two f32 values is exact in f64): the per-example norms of clipping.
pub(crate) fn row_dots_f64(a: &Tensor, b: &Tensor) -> Result<Vec<f64>> {
    let (rows, cols) = row_dot_dims(a, b)?;
    by_float_dtype!(a, "row dot operand", row_dots_f64_typed(a, b, rows, cols))
}

fn row_dots_f64_typed<T: Real>(
    a: &Tensor,
    b: &Tensor,
    rows: usize,
    cols: usize,
) -> Result<Vec<f64>> {
    // Off the CPU: Candle's sum in f64 (the error bound of the norms holds in any order).
    let elsewhere = |a: &Tensor, b: &Tensor| -> Result<Vec<f64>> {
        let (a, b) = (a.to_dtype(DType::F64)?, b.to_dtype(DType::F64)?);
        Ok((a * b)?.sum(1)?.to_vec1::<f64>()?)
    };
    on_host_pair(a, b, elsewhere, |xa: &[T], xb: &[T], _| {
        if cols == 0 {
            return Ok(vec![0.0; rows]);
        }
        Ok(xa
            .chunks_exact(cols)
            .zip(xb.chunks_exact(cols))
            .map(|(ra, rb)| dot_f64(ra, rb))
            .collect())
    })
}

/// [`dot`] accumulated in f64.
fn dot_f64<T: Real>(a: &[T], b: &[T]) -> f64 {
    let mut acc = [0.0f64; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for k in 0..8 {
            acc[k] += x[k].to_f64() * y[k].to_f64();
        }
    }
    let mut tail = 0.0;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += x.to_f64() * y.to_f64();
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// The Candle-ops version of [`row_dots`], used off the CPU.
pub(crate) fn row_dots_generic(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    Ok((a * b)?.sum(1)?)
}

/// A dot product with eight independent accumulators, so the compiler can vectorise it.
fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    let zero = T::from_f64(0.0);
    let mut acc = [zero; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut tail = zero;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += *x * *y;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// gᵢⱼ · cᵢ: scales each row of the (B, d) tensor `g` by the matching entry of the (B,) `c`;
/// a row with cᵢ = 0 becomes exact zeros (even where it held NaN or ∞).
pub(crate) fn scale_rows(g: &Tensor, c: &Tensor) -> Result<Tensor> {
    let (rows, cols) = g.dims2()?;
    by_float_dtype!(g, "scaled rows", scale_rows_typed(g, c, rows, cols))
}

fn scale_rows_typed<T: Real>(g: &Tensor, c: &Tensor, rows: usize, cols: usize) -> Result<Tensor> {
    on_host_pair(g, c, scale_rows_generic, |xg: &[T], xc: &[T], device| {
        let mut out = Vec::with_capacity(rows * cols);
        if cols > 0 {
            let zero = T::from_f64(0.0);
            for (row, &ci) in xg.chunks_exact(cols).zip(xc) {
                if ci == zero {
                    // Exact zeros, even for non-finite entries (0 · NaN would be NaN).
                    out.extend(std::iter::repeat_n(zero, cols));
                } else {
                    out.extend(row.iter().map(|&v| v * ci));
                }
            }
        }
        Ok(Tensor::from_vec(out, (rows, cols), device)?)
    })
}

/// The Candle-ops version of [`scale_rows`].
pub(crate) fn scale_rows_generic(g: &Tensor, c: &Tensor) -> Result<Tensor> {
    let c = c.unsqueeze(1)?;
    let scaled = g.broadcast_mul(&c)?;
    let kept = c.ne(0.0)?.broadcast_as(g.shape())?;
    Ok(kept.where_cond(&scaled, &g.zeros_like()?)?)
}

/// a ⊙ b for two tensors of one shape.
pub(crate) fn mul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    zip_map(a, b, Zip::Mul)
}

/// a + b for two tensors of one shape.
pub(crate) fn add(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    zip_map(a, b, Zip::Add)
}

/// `scale` · t.
pub(crate) fn scale(t: &Tensor, factor: f64) -> Result<Tensor> {
    by_float_dtype!(t, "scaled tensor", map_typed(t, factor))
}

fn map_typed<T: Real>(t: &Tensor, factor: f64) -> Result<Tensor> {
    let t = t.contiguous()?;
    let Some(h) = host(&t) else {
        return Ok(t.affine(factor, 0.0)?);
    };
    let f = T::from_f64(factor);
    let out: Vec<T> = h.slice::<T>()?.iter().map(|&x| x * f).collect();
    Ok(Tensor::from_vec(out, t.shape(), t.device())?)
}

/// (t + noise) · `factor`, with `noise` in host memory (one value per element of `t`, row
/// major).
pub(crate) fn add_host_then_scale<T: Real>(t: &Tensor, noise: &[T], factor: f64) -> Result<Tensor> {
    if noise.len() != t.elem_count() {
        return Err(SgdError::Internal("noise length differs from the tensor's"));
    }
    let t = t.contiguous()?;
    let f = T::from_f64(factor);
    let Some(h) = host(&t) else {
        let n = Tensor::from_slice(noise, t.shape(), t.device())?;
        return Ok((t + n)?.affine(factor, 0.0)?);
    };
    let out: Vec<T> = h
        .slice::<T>()?
        .iter()
        .zip(noise)
        .map(|(&x, &n)| (x + n) * f)
        .collect();
    Ok(Tensor::from_vec(out, t.shape(), t.device())?)
}

#[derive(Clone, Copy)]
enum Zip {
    Mul,
    Add,
}

impl Zip {
    fn apply<T: Real>(self, x: T, y: T) -> T {
        match self {
            Zip::Mul => x * y,
            Zip::Add => x + y,
        }
    }
}

fn zip_map(a: &Tensor, b: &Tensor, op: Zip) -> Result<Tensor> {
    if a.dims() != b.dims() {
        return Err(SgdError::ShapeMismatch {
            what: "element-wise operand".to_owned(),
            expected: a.dims().to_vec(),
            actual: b.dims().to_vec(),
        });
    }
    let dtype = float_dtype(a, "element-wise operand")?;
    if b.dtype() != dtype {
        return Err(SgdError::DTypeMismatch {
            what: "element-wise operand".to_owned(),
            expected: dtype,
            actual: b.dtype(),
        });
    }
    match dtype {
        DType::F32 => zip_typed::<f32>(a, b, op),
        _ => zip_typed::<f64>(a, b, op),
    }
}

fn zip_typed<T: Real>(a: &Tensor, b: &Tensor, op: Zip) -> Result<Tensor> {
    let elsewhere = |a: &Tensor, b: &Tensor| -> Result<Tensor> {
        Ok(match op {
            Zip::Mul => (a * b)?,
            Zip::Add => (a + b)?,
        })
    };
    on_host_pair(a, b, elsewhere, |xa: &[T], xb: &[T], device| {
        let out: Vec<T> = xa.iter().zip(xb).map(|(&x, &y)| op.apply(x, y)).collect();
        Ok(Tensor::from_vec(out, a.shape(), device)?)
    })
}

/// Σᵢ cᵢ rowsᵢ (or Σᵢ rowsᵢ without factors) for a (B, d) tensor: a (d,) tensor. Scaling
/// happens before the sum in both cases' order, so factors of exactly 1 give the same bits as
/// none.
pub(crate) fn column_sums(rows: &Tensor, factors: Option<&Tensor>) -> Result<Tensor> {
    let (b, d) = rows.dims2()?;
    by_float_dtype!(rows, "summed rows", column_sums_typed(rows, factors, b, d))
}

fn column_sums_typed<T: Real>(
    rows: &Tensor,
    factors: Option<&Tensor>,
    b: usize,
    d: usize,
) -> Result<Tensor> {
    let rows = rows.contiguous()?;
    let factors = factors.map(Tensor::contiguous).transpose()?;
    let Some(hf) = optional_host(factors.as_ref()) else {
        return column_sums_generic(&rows, factors.as_ref());
    };
    let Some(hr) = host(&rows) else {
        return column_sums_generic(&rows, factors.as_ref());
    };
    let xr = hr.slice::<T>()?;
    let xf = hf.as_ref().map(|h| h.slice::<T>()).transpose()?;
    let mut out = vec![T::from_f64(0.0); d];
    if d > 0 {
        for (i, row) in xr.chunks_exact(d).enumerate().take(b) {
            match xf {
                Some(c) => {
                    let ci = c[i];
                    // A dropped example (factor 0) is skipped, non-finite entries included.
                    if ci != T::from_f64(0.0) {
                        for (o, &v) in out.iter_mut().zip(row) {
                            *o += v * ci;
                        }
                    }
                }
                None => {
                    for (o, &v) in out.iter_mut().zip(row) {
                        *o += v;
                    }
                }
            }
        }
    }
    Ok(Tensor::from_vec(out, d, rows.device())?)
}

/// The Candle-ops version of [`column_sums`].
pub(crate) fn column_sums_generic(rows: &Tensor, factors: Option<&Tensor>) -> Result<Tensor> {
    Ok(match factors {
        Some(c) => scale_rows_generic(rows, c)?.sum(0)?,
        None => rows.sum(0)?,
    })
}

/// The forward of one dense layer after its matrix product: with u = `pre` + `bias` (bias
/// broadcast over rows), returns h = f(u) · mask and the factor F = f'(u) · mask that the
/// backward pass multiplies by (None when F ≡ 1). `mask` holds 0 or 1/(1-p) per entry.
pub(crate) fn bias_activation(
    pre: &Tensor,
    bias: &Tensor,
    slope: Slope,
    mask: Option<&Tensor>,
) -> Result<(Tensor, Option<Tensor>)> {
    if slope == Slope::Identity && mask.is_none() {
        return Ok((pre.broadcast_add(bias)?, None));
    }
    let (rows, cols) = pre.dims2()?;
    let fused = by_float_dtype!(
        pre,
        "layer pre-activation",
        bias_activation_cpu(pre, bias, slope, mask, rows, cols)
    )?;
    match fused {
        Some((h, f)) => Ok((h, Some(f))),
        None => {
            let (h, f) = bias_activation_generic(pre, bias, slope, mask)?;
            Ok((h, Some(f)))
        }
    }
}

fn bias_activation_cpu<T: Real>(
    pre: &Tensor,
    bias: &Tensor,
    slope: Slope,
    mask: Option<&Tensor>,
    rows: usize,
    cols: usize,
) -> Result<Option<(Tensor, Tensor)>> {
    let (pre, bias) = (pre.contiguous()?, bias.contiguous()?);
    let mask = mask.map(Tensor::contiguous).transpose()?;
    let (Some(hp), Some(hb)) = (host(&pre), host(&bias)) else {
        return Ok(None);
    };
    let Some(hm) = optional_host(mask.as_ref()) else {
        return Ok(None);
    };
    let (xp, xb) = (hp.slice::<T>()?, hb.slice::<T>()?);
    let xm = hm.as_ref().map(|h| h.slice::<T>()).transpose()?;
    let negative = match slope {
        Slope::Identity => T::from_f64(1.0),
        Slope::Piecewise { negative } => T::from_f64(negative),
    };
    let one = T::from_f64(1.0);
    let zero = T::from_f64(0.0);
    // Pre-sized outputs written through `chunks_exact_mut`: this form vectorises (building
    // them with `extend` measured ten times slower).
    let mut h = vec![zero; rows * cols];
    let mut f = vec![zero; rows * cols];
    if cols > 0 {
        let rows_iter = xp
            .chunks_exact(cols)
            .zip(h.chunks_exact_mut(cols))
            .zip(f.chunks_exact_mut(cols));
        for (r, ((prow, hrow), frow)) in rows_iter.enumerate() {
            // u = pre + bias and its slope (1 or `negative`: a select, branch-free).
            for (((hv, fv), &p), &b) in hrow.iter_mut().zip(frow.iter_mut()).zip(prow).zip(xb) {
                let u = p + b;
                *fv = if u > zero { one } else { negative };
                *hv = u;
            }
            if let Some(m) = xm {
                for (fv, &mv) in frow.iter_mut().zip(&m[r * cols..(r + 1) * cols]) {
                    *fv *= mv;
                }
            }
            for (hv, &fv) in hrow.iter_mut().zip(frow.iter()) {
                *hv *= fv;
            }
        }
    }
    let device = pre.device();
    Ok(Some((
        Tensor::from_vec(h, (rows, cols), device)?,
        Tensor::from_vec(f, (rows, cols), device)?,
    )))
}

/// The Candle-ops version of [`bias_activation`] (always returns F).
pub(crate) fn bias_activation_generic(
    pre: &Tensor,
    bias: &Tensor,
    slope: Slope,
    mask: Option<&Tensor>,
) -> Result<(Tensor, Tensor)> {
    let u = pre.broadcast_add(bias)?;
    let s = match slope {
        Slope::Identity => u.ones_like()?,
        Slope::Piecewise { negative } => {
            let positive = u.gt(0.0)?.to_dtype(u.dtype())?;
            positive.affine(1.0 - negative, negative)?
        }
    };
    let f = match mask {
        Some(m) => (s * m)?,
        None => s,
    };
    let h = (&u * &f)?;
    Ok((h, f))
}

#[cfg(test)]
mod tests;
