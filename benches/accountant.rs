//! Accountant benchmarks on the MNIST DP-SGD setting of issue 3: q = 256/60000, σ = 1.1,
//! 10⁵ steps, δ = 1e-5 (ε queries), and noise calibration for ε = 3.
//!
//! Run with `cargo bench --bench accountant`. The same-machine Python anchors (Opacus RDP,
//! Opacus PRV, dp_accounting PLD) come from `$ANCHORS/bench_accountants.py` (default
//! `../shared/anchors`, see CONTRIBUTING.md); run both in one session and compare ratios — the
//! machine is shared and noisy.

#![allow(clippy::expect_used, reason = "a benchmark aborts on a broken setup")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use tabveil::accountant::{
    Accountant, AccountantSpec, GdpAccountant, NoiseSchedule, PldAccountant, PldConfig,
    PrivacyEvent, RdpAccountant, RdpOrders, calibrate_noise, max_steps_within,
};

const Q: f64 = 256.0 / 60_000.0;
const SIGMA: f64 = 1.1;
const STEPS: u64 = 100_000;
const DELTA: f64 = 1e-5;

fn event(steps: u64) -> PrivacyEvent {
    PrivacyEvent::poisson_subsampled_gaussian(Q, SIGMA, steps).expect("valid event")
}

fn epsilon_queries(c: &mut Criterion) {
    let mut g = c.benchmark_group("epsilon_1e5_steps");
    g.sample_size(30).measurement_time(Duration::from_secs(5));
    for (name, orders) in [
        ("rdp_fresh_default_orders", RdpOrders::default()),
        ("rdp_fresh_opacus_orders", RdpOrders::opacus()),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut acc = RdpAccountant::new(orders.clone());
                acc.compose(&event(STEPS)).expect("compose");
                black_box(acc.epsilon(DELTA).expect("epsilon"))
            });
        });
    }
    // A training loop's query: the per-step RDP vector of (q, σ) is already cached.
    let mut warm = RdpAccountant::default();
    warm.compose(&event(1)).expect("compose");
    g.bench_function("rdp_cached_compose_and_query", |b| {
        b.iter(|| {
            let mut acc = warm.clone();
            acc.compose(&event(STEPS - 1)).expect("compose");
            black_box(acc.epsilon(DELTA).expect("epsilon"))
        });
    });
    g.bench_function("gdp", |b| {
        b.iter(|| {
            let mut acc = GdpAccountant::new();
            acc.compose(&event(STEPS)).expect("compose");
            black_box(acc.epsilon(DELTA).expect("epsilon"))
        });
    });
    g.finish();

    let mut g = c.benchmark_group("epsilon_1e5_steps_pld");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("pld_1e-4_fresh", |b| {
        b.iter(|| {
            let mut acc = PldAccountant::new(PldConfig::default());
            acc.compose(&event(STEPS)).expect("compose");
            black_box(acc.epsilon(DELTA).expect("epsilon"))
        });
    });
    g.finish();
}

fn calibration(c: &mut Criterion) {
    let schedule = |steps| NoiseSchedule {
        fixed: Vec::new(),
        calibrated: vec![(Q, steps)],
    };
    let mut g = c.benchmark_group("calibrate_eps3");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    for steps in [10_000, STEPS] {
        g.bench_function(format!("rdp_{steps}_steps"), |b| {
            b.iter(|| {
                black_box(
                    calibrate_noise(3.0, DELTA, &schedule(steps), &AccountantSpec::rdp())
                        .expect("calibrate"),
                )
            });
        });
    }
    g.bench_function("pld_10000_steps", |b| {
        b.iter(|| {
            black_box(
                calibrate_noise(3.0, DELTA, &schedule(10_000), &AccountantSpec::pld())
                    .expect("calibrate"),
            )
        });
    });
    g.bench_function("rdp_max_steps_within_eps3", |b| {
        b.iter(|| {
            black_box(
                max_steps_within(3.0, DELTA, &[], Q, SIGMA, &AccountantSpec::rdp())
                    .expect("max steps"),
            )
        });
    });
    g.finish();
}

criterion_group!(benches, epsilon_queries, calibration);
criterion_main!(benches);
