//! Cost of the exact discrete Gaussian: the private preprocessing draws about 2 000 integer
//! noise values (one per histogram cell of every column).
//!
//! Run with `cargo bench -p tabveil-noise --bench discrete_gaussian`.

#![allow(clippy::unwrap_used, reason = "benchmark set-up")]

use criterion::{Criterion, criterion_group, criterion_main};
use tabveil_noise::{DiscreteGaussian, PrivacyRng};

fn bench(c: &mut Criterion) {
    let mut rng = PrivacyRng::dangerous_seeded(1);
    for sigma in [3.0, 30.0, 300.0] {
        let dist = DiscreteGaussian::new(sigma).unwrap();
        c.bench_function(&format!("discrete_gaussian 2000 draws σ={sigma}"), |b| {
            b.iter(|| {
                let mut sum = 0_i64;
                for _ in 0..2_000 {
                    sum = sum.wrapping_add(rng.discrete_gaussian(&dist));
                }
                sum
            })
        });
    }
    let mut out = vec![0.0f64; 2_000];
    c.bench_function("continuous gaussian 2000 draws (for comparison)", |b| {
        b.iter(|| rng.fill_gaussian_f64(30.0, &mut out))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
