//! [`GaussianNoise`]: the Gaussian mechanism of a DP-SGD step.

use candle_core::DType;
use tabveil_noise::{GaussianBlocks, PrivacyRng};

use crate::error::{Result, SgdError};
use crate::ghost::ClippedGradients;
use crate::gradients::Gradients;
use crate::kernels::{add_host_then_scale, scale as scale_tensor};

/// Adds N(0, σ²C²) to each coordinate of a clipped sum and divides by the expected batch size
///.
///
/// Not `Clone`: a copy would repeat the same noise.
///
/// The clipped sum S = Σᵢ cᵢ∇ℓᵢ has L2 sensitivity C under add/remove-one-example. The step
/// releases (S + N(0, σ²C² I)) / (q·N), normalised by the *expected* batch size q·N — not the
/// realised one, which is private — so each coordinate of the released gradient has noise
/// standard deviation σC/(qN). Every draw comes from a [`PrivacyRng`] (OS-seeded ChaCha20 with
/// `tabveil-noise`'s sampler, floating-point attacks mitigated), in sorted parameter-name order.
///
/// # Example
/// ```
/// use candle_core::{Device, Tensor};
/// use tabveil_noise::PrivacyRng;
/// use tabveil_sgd::{GaussianNoise, GhostBatch};
///
/// let a = Tensor::new(&[[1.0f32, 0.0]], &Device::Cpu)?;
/// let g = Tensor::new(&[[2.0f32]], &Device::Cpu)?;
/// let mut batch = GhostBatch::new();
/// batch.add_weight_use("w", &a, &g)?;
/// let clipped = batch.clip(1.0)?;
/// let mut noise = GaussianNoise::new(1.1, 1.0, PrivacyRng::secure()?)?;
/// let noisy = noise.noisy_mean(&clipped, 100.0)?; // q·N = 100
/// assert_eq!(noisy.get("w").unwrap().dims(), &[1, 2]);
/// # Ok::<(), tabveil_sgd::SgdError>(())
/// ```
#[derive(Debug)]
pub struct GaussianNoise {
    noise_multiplier: f64,
    max_grad_norm: f64,
    /// The noise, in blocks drawn ahead on a background thread (`tabveil-noise`).
    blocks: GaussianBlocks,
    /// Generators handed out by [`GaussianNoise::fork_rng`] are forked from this one, so that
    /// they do not depend on when noise was drawn.
    fork_source: PrivacyRng,
    seeded: bool,
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
        let seeded = rng.is_seeded();
        let mut rng = rng;
        let fork_source = rng.fork();
        Ok(GaussianNoise {
            noise_multiplier,
            max_grad_norm,
            blocks: GaussianBlocks::new(rng),
            fork_source,
            seeded,
        })
    }

    /// Whether the next step's noise is drawn by a background thread while the current step's
    /// gradients are being computed (on by default). Noise drawn ahead is used by the next
    /// call only if that call needs exactly as many draws of each dtype; otherwise it is
    /// discarded unused and fresh noise is drawn. So with a fixed parameter set (a training
    /// run) the values are the same with and without prefetching; when the set changes between
    /// calls they differ, but each setting stays deterministic for a seeded generator.
    pub fn set_prefetch(&mut self, prefetch: bool) {
        self.blocks.set_prefetch(prefetch);
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
        self.seeded
    }

    /// An independent generator forked from this mechanism's (through a dedicated fork
    /// source, so the result does not depend on noise drawn so far), e.g. for the Poisson
    /// sampler.
    pub fn fork_rng(&mut self) -> PrivacyRng {
        self.fork_source.fork()
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
        let factor = 1.0 / expected_batch_size;
        let std = self.noise_std();
        // Draw all noise of a dtype in one fill (parallel for large models), in name order.
        let (mut n32, mut n64) = (0usize, 0usize);
        for (_, s) in sums.iter() {
            match s.dtype() {
                DType::F32 => n32 += s.elem_count(),
                _ => n64 += s.elem_count(),
            }
        }
        if std == 0.0 {
            (n32, n64) = (0, 0);
        }
        let draws = self.blocks.draw(std, n32, n64)?;
        let (noise32, noise64) = (draws.f32s, draws.f64s);
        let (mut at32, mut at64) = (0usize, 0usize);
        let mut out = Gradients::new();
        for (name, s) in sums.iter() {
            let n = s.elem_count();
            let noisy = if std == 0.0 {
                scale_tensor(s, factor)?
            } else {
                match s.dtype() {
                    DType::F32 => {
                        at32 += n;
                        add_host_then_scale(s, &noise32[at32 - n..at32], factor)?
                    }
                    DType::F64 => {
                        at64 += n;
                        add_host_then_scale(s, &noise64[at64 - n..at64], factor)?
                    }
                    dtype => {
                        return Err(SgdError::UnsupportedDType {
                            what: format!("clipped sum of `{name}`"),
                            dtype,
                        });
                    }
                }
            };
            out.insert(name.to_owned(), noisy);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Tensor};

    use super::*;
    use crate::ghost::GhostBatch;

    fn clipped(n: usize, dtype: DType) -> ClippedGradients {
        let mut batch = GhostBatch::new();
        let rows = Tensor::zeros((2, n), dtype, &Device::Cpu).unwrap();
        batch.add_per_example("p", &rows).unwrap();
        let other = Tensor::zeros((2, 3), dtype, &Device::Cpu).unwrap();
        batch.add_per_example("q", &other).unwrap();
        batch.clip(1.0).unwrap()
    }

    fn values(g: &Gradients) -> Vec<f64> {
        g.iter()
            .flat_map(|(_, t)| {
                t.flatten_all()
                    .unwrap()
                    .to_dtype(DType::F64)
                    .unwrap()
                    .to_vec1::<f64>()
                    .unwrap()
            })
            .collect()
    }

    fn run(prefetch: bool, change_shape: bool) -> Vec<Vec<f64>> {
        let mut noise = GaussianNoise::new(1.5, 1.0, PrivacyRng::dangerous_seeded(3)).unwrap();
        noise.set_prefetch(prefetch);
        let big = || clipped(70_000, DType::F32);
        let mut out = vec![
            values(&noise.noisy_mean(&big(), 2.0).unwrap()),
            values(&noise.noisy_mean(&big(), 2.0).unwrap()),
        ];
        let mut fork = noise.fork_rng();
        out.push(vec![fork.gaussian(1.0).unwrap()]);
        out.push(values(&noise.noisy_mean(&big(), 2.0).unwrap()));
        if change_shape {
            let small = || clipped(10, DType::F64);
            out.push(values(&noise.noisy_mean(&small(), 2.0).unwrap()));
            out.push(values(&noise.noisy_mean(&small(), 2.0).unwrap()));
        }
        out
    }

    /// With a fixed parameter set, prefetching changes when noise is drawn, never which noise;
    /// forks do not depend on it either.
    #[test]
    fn prefetch_does_not_change_the_noise() {
        let with = run(true, false);
        let without = run(false, false);
        assert_eq!(with, without);
        // Consecutive steps get different noise.
        assert_ne!(with[0], with[1]);
    }

    /// A change of shape discards the noise drawn ahead; the result stays deterministic.
    #[test]
    fn shape_changes_stay_deterministic() {
        assert_eq!(run(true, true), run(true, true));
        assert_eq!(run(false, true), run(false, true));
    }

    #[test]
    fn invalid_settings() {
        let rng = || PrivacyRng::dangerous_seeded(0);
        assert!(GaussianNoise::new(-1.0, 1.0, rng()).is_err());
        assert!(GaussianNoise::new(f64::NAN, 1.0, rng()).is_err());
        assert!(GaussianNoise::new(1.0, 0.0, rng()).is_err());
        assert!(GaussianNoise::new(1.0, f64::INFINITY, rng()).is_err());
        let mut ok = GaussianNoise::new(0.0, f64::INFINITY, rng()).unwrap();
        assert_eq!(ok.noise_std(), 0.0);
        let c = clipped(4, DType::F32);
        assert!(matches!(
            ok.noisy_mean(&c, 1.0),
            Err(SgdError::ClipNormMismatch { .. })
        ));
        let mut n = GaussianNoise::new(1.0, 1.0, rng()).unwrap();
        assert!(n.is_seeded());
        assert!(matches!(
            n.noisy_mean(&c, 0.0),
            Err(SgdError::InvalidParameter { .. })
        ));
    }
}
