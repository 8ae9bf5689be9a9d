//! The Gaussian sampler of every continuous-Gaussian noise draw (the training noise).
//!
//! Floating-point samplers leak through the low-order bits of their output (Mironov 2012 for
//! Laplace; the same attack applies to Gaussian samplers). We follow Opacus' `secure_mode`
//! (opacus/optimizers/optimizer.py, `_generate_noise`): a draw is the sum of four independent
//! standard normals divided by two, which has exactly the same N(0, 1) distribution but no longer
//! exposes the structure of one sampler output in its bits (Opacus' docstring puts the attack
//! cost at 2^159 instead of 2^53). This *mitigates* the attack; it does not remove it. Integer
//! releases use the exact discrete Gaussian instead ([`crate::DiscreteGaussian`], Canonne, Kamath
//! & Steinke 2020), which has no floating-point decision at all; for the ~10⁵ real-valued
//! coordinates of every training step it would cost too much.
//!
//! Bulk fills draw the generator's output in blocks ([`BlockBuffered`]) before the ziggurat
//! consumes it: the same ChaCha20 stream, read through a plain array instead of one call per
//! word, which makes a fill about a third faster.

use rand::{Rng, RngCore};
use rand_distr::StandardNormal;

/// One N(0, 1) draw, with the floating-point attack mitigated (not removed) as described in
/// the module documentation.
pub(crate) fn mitigated_standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let a: f64 = rng.sample(StandardNormal);
    let b: f64 = rng.sample(StandardNormal);
    let c: f64 = rng.sample(StandardNormal);
    let d: f64 = rng.sample(StandardNormal);
    (a + b + c + d) * 0.5
}

/// Words read from the generator per refill of a [`BlockBuffered`].
const BLOCK: usize = 2048;

/// Reads `inner`'s output in blocks of [`BLOCK`] 64-bit words. Words are used once, in order;
/// whatever is left of the last block when the buffer is dropped is discarded, never reused.
pub(crate) struct BlockBuffered<'a, R: RngCore> {
    buf: Box<[u64; BLOCK]>,
    pos: usize,
    inner: &'a mut R,
}

impl<'a, R: RngCore> BlockBuffered<'a, R> {
    pub(crate) fn new(inner: &'a mut R) -> Self {
        BlockBuffered {
            buf: Box::new([0; BLOCK]),
            pos: BLOCK,
            inner,
        }
    }
}

impl<R: RngCore> RngCore for BlockBuffered<'_, R> {
    fn next_u32(&mut self) -> u32 {
        // Half a word; the other half is dropped (rare: only the ziggurat's slow paths).
        (self.next_u64() >> 32) as u32
    }

    #[inline]
    fn next_u64(&mut self) -> u64 {
        if self.pos == BLOCK {
            self.inner.fill(&mut self.buf[..]);
            self.pos = 0;
        }
        let v = self.buf[self.pos];
        self.pos += 1;
        v
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}
