//! Cost of the privacy noise of one DP-SGD step: CTGAN's discriminator at pac = 1 has
//! 150·256 + 256 + 256·256 + 256 + 256 + 1 ≈ 105 k parameters.
//!
//! Run with `RAYON_NUM_THREADS=2 cargo bench -p tabveil-noise --bench gaussian`.

use criterion::{Criterion, criterion_group, criterion_main};
use tabveil_noise::PrivacyRng;

const PARAMS: usize = 150 * 256 + 256 + 256 * 256 + 256 + 256 + 1;

fn bench(c: &mut Criterion) {
    let mut rng = PrivacyRng::dangerous_seeded(1);
    let mut out32 = vec![0.0f32; PARAMS];
    c.bench_function("fill_gaussian_f32 105k", |b| {
        b.iter(|| rng.fill_gaussian_f32(1.0, &mut out32))
    });
    let mut out64 = vec![0.0f64; PARAMS];
    c.bench_function("fill_gaussian_f64 105k", |b| {
        b.iter(|| rng.fill_gaussian_f64(1.0, &mut out64))
    });
    c.bench_function("poisson_subset 10k rows q=0.05", |b| {
        b.iter(|| rng.poisson_subset(10_000, 0.05))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
