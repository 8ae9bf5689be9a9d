//! One CTGAN discriminator step at pac = 1 with the WGAN-GP penalty, plain vs DP.
//!
//! Shape: 500 × 150 → 256 → 256 → 1, LeakyReLU(0.2), dropout 0.5, f32, Adam(2e-4, (0.5, 0.9),
//! wd 1e-6) — CTGAN's discriminator on a table whose transformed width plus condition vector
//! is about 150.
//!
//! - `plain`: SDV's step: L = mean D(fake) − mean D(real) + 10·mean (‖∇D(x̂)‖ − 1)², one Adam
//!   step (manual forward/backward, analytic penalty).
//! - `dp`: Poisson batch (q = 0.05 of 10 000 rows, ≈ 500), per-example real term and penalty
//!   clipped by book-keeping (C = 1), noise σ = 1.1 from the OS-seeded CSPRNG, fake term public
//!   and unclipped, budget check and ledger record, Adam.
//!
//! Run: `RAYON_NUM_THREADS=2 cargo bench -p tabveil-sgd --bench dp_step`. The PyTorch side of
//! the comparison is `scripts/sgd/bench_torch_dstep.py`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark setup: a failure should abort the run"
)]

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use common::Steps;

fn bench(c: &mut Criterion) {
    let mut steps = Steps::new();
    let mut group = c.benchmark_group("ctgan_discriminator_pac1_gp");
    group.sample_size(40);
    group.bench_function("plain", |b| b.iter(|| steps.plain()));
    group.bench_function("dp", |b| b.iter(|| steps.dp()));
    steps.set_noise_prefetch(false);
    group.bench_function("dp_noise_in_step", |b| b.iter(|| steps.dp()));
    steps.set_noise_prefetch(true);
    // The same two steps timed in alternating blocks of ten (the other kind untimed in
    // between), so that both see the same background load on a shared machine: compare these
    // two for the DP / plain ratio. After an untimed DP block the bench sleeps until the
    // noise drawn ahead for the next DP step is ready, so that it does not slow the timed
    // plain block.
    const BLOCK: u64 = 10;
    group.bench_function("plain_interleaved", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let n = BLOCK.min(iters - done);
                let t = Instant::now();
                for _ in 0..n {
                    steps.plain();
                }
                total += t.elapsed();
                done += n;
                for _ in 0..n {
                    steps.dp();
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            total
        })
    });
    group.bench_function("dp_interleaved", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let n = BLOCK.min(iters - done);
                for _ in 0..n {
                    steps.plain();
                }
                let t = Instant::now();
                for _ in 0..n {
                    steps.dp();
                }
                total += t.elapsed();
                done += n;
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
