//! [`GaussianNoise`]: the Gaussian mechanism of a DP-SGD step.
//!
//! The clipped sum S = Σᵢ cᵢ∇ℓᵢ has L2 sensitivity C under add/remove-one-example. The step
//! releases (S + N(0, σ²C² I)) / (q·N), normalised by the *expected* batch size q·N — not the
//! realised one, which is private — so each coordinate of the released gradient has noise
//! standard deviation σC/(qN). Every draw comes from a [`PrivacyRng`] (OS-seeded ChaCha20 with
//! the hardened sampler of `tabveil-noise`), in sorted parameter-name order.
//!
//! # Example
//! ```
//! use candle_core::{Device, Tensor};
//! use tabveil_noise::PrivacyRng;
//! use tabveil_sgd::{GaussianNoise, GhostBatch};
//!
//! let a = Tensor::new(&[[1.0f32, 0.0]], &Device::Cpu)?;
//! let g = Tensor::new(&[[2.0f32]], &Device::Cpu)?;
//! let mut batch = GhostBatch::new();
//! batch.add_weight_use("w", &a, &g)?;
//! let clipped = batch.clip(1.0)?;
//! let mut noise = GaussianNoise::new(1.1, 1.0, PrivacyRng::secure()?)?;
//! let noisy = noise.noisy_mean(&clipped, 100.0)?; // q·N = 100
//! assert_eq!(noisy.get("w").unwrap().dims(), &[1, 2]);
//! # Ok::<(), tabveil_sgd::SgdError>(())
//! ```

use candle_core::{DType, Tensor};
use tabveil_noise::PrivacyRng;

use crate::error::{Result, SgdError};
use crate::ghost::ClippedGradients;
use crate::gradients::Gradients;

/// Adds N(0, σ²C²) to each coordinate of a clipped sum and divides by the expected batch size
/// (see the [module documentation](self)).
#[derive(Debug, Clone)]
pub struct GaussianNoise {
    noise_multiplier: f64,
    max_grad_norm: f64,
    rng: PrivacyRng,
}

impl GaussianNoise {
    /// A mechanism with noise multiplier σ = `noise_multiplier` for gradients clipped to
    /// `max_grad_norm` = C, drawing from `rng`.
    ///
    /// σ = 0 (no noise) and C = ∞ (no clipping) are accepted here for ablations; they give no
    /// privacy, and the `DpOptimizer` refuses them unless its budget is
    /// `PrivacyBudget::dangerous_unaccounted`.
    ///
    /// # Errors
    /// [`SgdError::InvalidParameter`] unless σ is finite and ≥ 0 and C > 0, and unless σC is
    /// finite (C = ∞ needs σ = 0).
    pub fn new(noise_multiplier: f64, max_grad_norm: f64, rng: PrivacyRng) -> Result<Self> {
        if !(noise_multiplier.is_finite() && noise_multiplier >= 0.0) {
            return Err(SgdError::InvalidParameter {
                parameter: "noise_multiplier",
                value: noise_multiplier,
                expected: "finite and ≥ 0",
            });
        }
        if max_grad_norm.is_nan() || max_grad_norm <= 0.0 {
            return Err(SgdError::InvalidParameter {
                parameter: "max_grad_norm",
                value: max_grad_norm,
                expected: "> 0",
            });
        }
        if noise_multiplier > 0.0 && !max_grad_norm.is_finite() {
            return Err(SgdError::InvalidParameter {
                parameter: "max_grad_norm",
                value: max_grad_norm,
                expected: "finite when the noise multiplier is > 0",
            });
        }
        Ok(GaussianNoise {
            noise_multiplier,
            max_grad_norm,
            rng,
        })
    }

    /// σ.
    pub fn noise_multiplier(&self) -> f64 {
        self.noise_multiplier
    }

    /// C.
    pub fn max_grad_norm(&self) -> f64 {
        self.max_grad_norm
    }

    /// The standard deviation σC of the noise added to each coordinate of the clipped sum.
    pub fn noise_std(&self) -> f64 {
        if self.noise_multiplier == 0.0 {
            0.0
        } else {
            self.noise_multiplier * self.max_grad_norm
        }
    }

    /// True when the generator was fixed by a `noise_seed` (see
    /// [`PrivacyRng::dangerous_seeded`]).
    pub fn is_seeded(&self) -> bool {
        self.rng.is_seeded()
    }

    /// An independent generator forked from this mechanism's, e.g. for the Poisson sampler.
    pub fn fork_rng(&mut self) -> PrivacyRng {
        self.rng.fork()
    }

    /// (S + N(0, σ²C² I)) / `expected_batch_size` for every parameter of `clipped`, in sorted
    /// name order. Pass q·N as `expected_batch_size`.
    ///
    /// # Errors
    /// [`SgdError::ClipNormMismatch`] unless `clipped` was clipped to exactly C;
    /// [`SgdError::InvalidParameter`] unless `expected_batch_size` is finite and > 0; Candle
    /// errors.
    pub fn noisy_mean(
        &mut self,
        clipped: &ClippedGradients,
        expected_batch_size: f64,
    ) -> Result<Gradients> {
        if clipped.max_norm().to_bits() != self.max_grad_norm.to_bits() {
            return Err(SgdError::ClipNormMismatch {
                clipped_with: clipped.max_norm(),
                configured: self.max_grad_norm,
            });
        }
        if !(expected_batch_size.is_finite() && expected_batch_size > 0.0) {
            return Err(SgdError::InvalidParameter {
                parameter: "expected_batch_size",
                value: expected_batch_size,
                expected: "finite and > 0 (q·N)",
            });
        }
        let sums = clipped.private_sums();
        let scale = 1.0 / expected_batch_size;
        let std = self.noise_std();
        // Draw all noise of a dtype in one fill (parallel for large models), in name order.
        let (mut n32, mut n64) = (0usize, 0usize);
        for (_, s) in sums.iter() {
            match s.dtype() {
                DType::F32 => n32 += s.elem_count(),
                _ => n64 += s.elem_count(),
            }
        }
        let mut noise32 = vec![0.0f32; if std > 0.0 { n32 } else { 0 }];
        let mut noise64 = vec![0.0f64; if std > 0.0 { n64 } else { 0 }];
        if std > 0.0 {
            self.rng.fill_gaussian_f32(std, &mut noise32)?;
            self.rng.fill_gaussian_f64(std, &mut noise64)?;
        }
        let (mut at32, mut at64) = (0usize, 0usize);
        let mut out = Gradients::new();
        for (name, s) in sums.iter() {
            let n = s.elem_count();
            let noisy = if std == 0.0 {
                s.clone()
            } else {
                let noise = match s.dtype() {
                    DType::F32 => {
                        let t =
                            Tensor::from_slice(&noise32[at32..at32 + n], s.shape(), s.device())?;
                        at32 += n;
                        t
                    }
                    DType::F64 => {
                        let t =
                            Tensor::from_slice(&noise64[at64..at64 + n], s.shape(), s.device())?;
                        at64 += n;
                        t
                    }
                    dtype => {
                        return Err(SgdError::UnsupportedDType {
                            what: format!("clipped sum of `{name}`"),
                            dtype,
                        });
                    }
                };
                (s + noise)?
            };
            out.insert(name.to_owned(), noisy.affine(scale, 0.0)?);
        }
        Ok(out)
    }
}
