//! The Gaussian sampler used for every DP noise draw.
//!
//! Floating-point samplers leak through the low-order bits of their output (Mironov 2012 for
//! Laplace; the same attack applies to Gaussian samplers). We follow Opacus' `secure_mode`
//! (opacus/optimizers/optimizer.py, `_generate_noise`): a draw is the sum of four independent
//! standard normals divided by two, which has exactly the same N(0, 1) distribution but no longer
//! exposes the structure of one sampler output in its bits (Opacus' docstring puts the attack
//! cost at 2^159 instead of 2^53). This is a mitigation, not a proof: an exact discrete Gaussian
//! (Canonne, Kamath & Steinke 2020) would remove the issue entirely, at a cost that is too high
//! for the ~10⁶ draws of every training step.

use rand::Rng;
use rand_distr::StandardNormal;

/// One N(0, 1) draw, hardened as described in the module documentation.
pub(crate) fn hardened_standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let a: f64 = rng.sample(StandardNormal);
    let b: f64 = rng.sample(StandardNormal);
    let c: f64 = rng.sample(StandardNormal);
    let d: f64 = rng.sample(StandardNormal);
    (a + b + c + d) * 0.5
}
