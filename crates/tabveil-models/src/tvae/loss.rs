//! TVAE's loss (SDV `_loss_function`) and its gradient, as fused host loops over one batch.
//!
//! Per example i, with t = tanh(x̂ᵢ) on the scalar of each continuous column:
//!
//! ```text
//! ℓᵢ = f · [ Σ_scalars j ( (xᵢⱼ − tᵢⱼ)² / (2σⱼ²) + ln σⱼ ) + Σ_softmax blocks CE(x̂ᵢ,block, argmax xᵢ,block) ]
//!      − ½ Σₖ (1 + lvᵢₖ − μᵢₖ² − e^lvᵢₖ)
//! ```
//!
//! with f the loss factor, z = μ + ε·e^{lv/2}. SDV minimises (1/n) Σᵢ ℓᵢ; the private step
//! clips each ∇ℓᵢ. So every kernel takes a `scale` multiplying its gradients: 1/n for SDV's
//! mean, 1 for per-example terms. Element-wise arithmetic is in the element type (f32 as
//! PyTorch's, or f64), sums of losses in f64.

use candle_core::WithDType;

use crate::nn::activation::SpanAct;
use crate::nn::first_max;

/// The element types of the networks, with the transcendental functions the loss needs.
pub(crate) trait Real: WithDType + std::ops::MulAssign {
    fn exp(self) -> Self;
    fn tanh(self) -> Self;
}

impl Real for f32 {
    fn exp(self) -> Self {
        f32::exp(self)
    }
    fn tanh(self) -> Self {
        f32::tanh(self)
    }
}

impl Real for f64 {
    fn exp(self) -> Self {
        f64::exp(self)
    }
    fn tanh(self) -> Self {
        f64::tanh(self)
    }
}

/// The reconstruction term of a batch and its gradients.
#[derive(Debug, Clone)]
pub(crate) struct Reconstruction<T> {
    /// ∂(scale·Σᵢ ℓᵢ)/∂x̂ (rows × width).
    pub(crate) dxhat: Vec<T>,
    /// Per-example gradients of scale·ℓᵢ with respect to σ (rows × width; zero off the
    /// scalars).
    pub(crate) sigma_rows: Vec<T>,
    /// f · Σᵢ (reconstruction part of ℓᵢ), unscaled.
    pub(crate) loss: f64,
}

/// The reconstruction term of `xhat` (decoder output, before any activation) against the
/// encoded rows `x`, both `rows × width`, with the decoder scale `sigma` (width).
pub(crate) fn reconstruction<T: Real>(
    x: &[T],
    xhat: &[T],
    sigma: &[T],
    spans: &[SpanAct],
    width: usize,
    factor: f64,
    scale: f64,
) -> Reconstruction<T> {
    let n = xhat.len();
    let zero = T::from_f64(0.0);
    let mut dxhat = vec![zero; n];
    let mut sigma_rows = vec![zero; n];
    let mut loss = 0.0f64;
    let g = factor * scale;
    let sig: Vec<f64> = sigma.iter().map(|s| s.to_f64()).collect();
    let ln_sig: Vec<f64> = sig.iter().map(|s| s.ln()).collect();
    let w = width.max(1);
    for (((xr, hr), dr), sr) in x
        .chunks_exact(w)
        .zip(xhat.chunks_exact(w))
        .zip(dxhat.chunks_exact_mut(w))
        .zip(sigma_rows.chunks_exact_mut(w))
    {
        for span in spans {
            match *span {
                SpanAct::Tanh { start: j } => {
                    let t = hr[j].tanh().to_f64();
                    let diff = xr[j].to_f64() - t;
                    let s = sig[j];
                    let inv2 = 1.0 / (s * s);
                    loss += factor * (0.5 * diff * diff * inv2 + ln_sig[j]);
                    dr[j] = T::from_f64(-g * diff * inv2 * (1.0 - t * t));
                    sr[j] = T::from_f64(g * (1.0 / s - diff * diff * inv2 / s));
                }
                SpanAct::Softmax { start, width: bw } => {
                    let xb = &xr[start..start + bw];
                    let hb = &hr[start..start + bw];
                    let db = &mut dr[start..start + bw];
                    let target = first_max(xb);
                    let max = hb.iter().fold(f64::NEG_INFINITY, |m, v| m.max(v.to_f64()));
                    let shift = T::from_f64(max);
                    // e^(x̂ − max) once per element, kept in the gradient's slots.
                    let mut sum = 0.0f64;
                    for (d, v) in db.iter_mut().zip(hb) {
                        let e = (*v - shift).exp();
                        sum += e.to_f64();
                        *d = e;
                    }
                    loss += factor * (max + sum.ln() - hb[target].to_f64());
                    let inv = T::from_f64(g / sum);
                    for d in db.iter_mut() {
                        *d *= inv;
                    }
                    db[target] = T::from_f64(db[target].to_f64() - g);
                }
            }
        }
    }
    Reconstruction {
        dxhat,
        sigma_rows,
        loss,
    }
}

/// The reparameterised code z = μ + ε·e^{lv/2} of every row, from the encoder head's output
/// `[μ | lv]` (rows × 2e) and the noise `eps` (rows × e); also e^{lv/2} (kept for the backward
/// pass) and Σᵢ KLDᵢ (unscaled).
pub(crate) fn reparameterise<T: Real>(head: &[T], eps: &[T], e: usize) -> (Vec<T>, Vec<T>, f64) {
    let mut z = Vec::with_capacity(eps.len());
    let mut std = Vec::with_capacity(eps.len());
    let mut kld = 0.0f64;
    let half = T::from_f64(0.5);
    for (h, er) in head.chunks_exact(2 * e).zip(eps.chunks_exact(e)) {
        let (mu, lv) = h.split_at(e);
        for k in 0..e {
            let s = (lv[k] * half).exp();
            let (m, l, sd) = (mu[k].to_f64(), lv[k].to_f64(), s.to_f64());
            z.push(T::from_f64(m + er[k].to_f64() * sd));
            std.push(s);
            kld -= 0.5 * (1.0 + l - m * m - sd * sd);
        }
    }
    (z, std, kld)
}

/// The gradient with respect to the head's output `[μ | lv]` of scale·Σᵢ ℓᵢ, given `dz`, the
/// gradient of the (already scaled) reconstruction with respect to z, and `std` = e^{lv/2}
/// from [`reparameterise`]: the path through z plus the scaled KL term.
pub(crate) fn latent_backward<T: Real>(
    head: &[T],
    eps: &[T],
    std: &[T],
    dz: &[T],
    e: usize,
    scale: f64,
) -> Vec<T> {
    let mut out = Vec::with_capacity(head.len());
    for (((h, er), sr), dr) in head
        .chunks_exact(2 * e)
        .zip(eps.chunks_exact(e))
        .zip(std.chunks_exact(e))
        .zip(dz.chunks_exact(e))
    {
        let mu = &h[..e];
        for k in 0..e {
            out.push(T::from_f64(dr[k].to_f64() + scale * mu[k].to_f64()));
        }
        for k in 0..e {
            let sd = sr[k].to_f64();
            let through_z = dr[k].to_f64() * er[k].to_f64() * 0.5 * sd;
            out.push(T::from_f64(through_z + scale * 0.5 * (sd * sd - 1.0)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every gradient of the kernels matches central finite differences of the loss they
    /// describe, written out separately here.
    #[test]
    fn gradients_match_finite_differences() {
        let spans = [
            SpanAct::Tanh { start: 0 },
            SpanAct::Softmax { start: 1, width: 3 },
            SpanAct::Tanh { start: 4 },
        ];
        let width = 5;
        let x = [0.3f64, 0.0, 1.0, 0.0, -0.8, -0.5, 1.0, 0.0, 0.0, 0.2];
        let xhat = [0.1f64, 0.4, -0.3, 1.2, -0.2, 0.7, -1.0, 0.5, 0.1, 0.9];
        let sigma = [0.2f64, 0.5, 0.5, 0.5, 0.7];
        let (factor, scale) = (2.0, 0.5);
        let total = |xh: &[f64], sg: &[f64]| -> f64 {
            let mut l = 0.0;
            for i in 0..2 {
                let r = &x[i * width..(i + 1) * width];
                let h = &xh[i * width..(i + 1) * width];
                for j in [0usize, 4] {
                    let d = r[j] - h[j].tanh();
                    l += d * d / (2.0 * sg[j] * sg[j]) + sg[j].ln();
                }
                let t = first_max(&r[1..4]);
                let lse = h[1..4].iter().map(|v| v.exp()).sum::<f64>().ln();
                l += lse - h[1 + t];
            }
            factor * scale * l
        };
        let rec = reconstruction(&x, &xhat, &sigma, &spans, width, factor, scale);
        assert!((rec.loss * scale - total(&xhat, &sigma)).abs() < 1e-12);
        let h = 1e-6;
        for i in 0..xhat.len() {
            let (mut p, mut m) = (xhat, xhat);
            p[i] += h;
            m[i] -= h;
            let num = (total(&p, &sigma) - total(&m, &sigma)) / (2.0 * h);
            assert!(
                (num - rec.dxhat[i]).abs() < 1e-7,
                "x̂[{i}]: {num} vs {}",
                rec.dxhat[i]
            );
        }
        for j in 0..width {
            let (mut p, mut m) = (sigma, sigma);
            p[j] += h;
            m[j] -= h;
            let num = (total(&xhat, &p) - total(&xhat, &m)) / (2.0 * h);
            let ana: f64 = (0..2).map(|i| rec.sigma_rows[i * width + j]).sum();
            assert!((num - ana).abs() < 1e-6, "σ[{j}]: {num} vs {ana}");
        }

        // Latent: L(head) = scale·Σ KLD + Σ w ⊙ z(head), so dz = w.
        let e = 2;
        let head = [0.3f64, -0.2, 0.1, -0.5, 1.1, 0.4, -0.3, 0.2];
        let eps = [0.5f64, -1.0, 0.2, 0.8];
        let w = [0.7f64, -0.4, 0.3, 1.5];
        let lat = |hd: &[f64]| -> f64 {
            let (z, _, kld) = reparameterise(hd, &eps, e);
            scale * kld + z.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>()
        };
        let (_, std, _) = reparameterise(&head, &eps, e);
        let grad = latent_backward(&head, &eps, &std, &w, e, scale);
        for i in 0..head.len() {
            let (mut p, mut m) = (head, head);
            p[i] += h;
            m[i] -= h;
            let num = (lat(&p) - lat(&m)) / (2.0 * h);
            assert!(
                (num - grad[i]).abs() < 1e-7,
                "head[{i}]: {num} vs {}",
                grad[i]
            );
        }
    }

    #[test]
    fn first_max_is_the_first_of_ties() {
        assert_eq!(first_max(&[0.0f32, 1.0, 1.0]), 1);
        assert_eq!(first_max::<f32>(&[]), 0);
    }
}
