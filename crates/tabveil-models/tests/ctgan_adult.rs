//! DP-CTGAN on the adult demo data (26 049 training rows): the slow, `#[ignore]`d acceptance
//! tests.
//!
//! ```text
//! cargo test --release -p tabveil-models --test ctgan_adult -- --ignored --nocapture
//! ```
//!
//! - `dp_ctgan_on_adult_stops_within_each_budget`: ε = 1, 3, 10 at δ = 1e-6, end to end; the
//!   ledger, replayed into a fresh accountant, spends at most the target.
//! - `dp_ctgan_quality_on_adult_at_epsilon_3`: SDMetrics quality ≥ 0.665 (halfway from uniform
//!   noise within the schema, 0.449, to independent per-column resampling of the train split,
//!   0.880) and every column's marginal close to the real one (shape score ≥ 0.75).

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]
#![allow(
    clippy::print_stdout,
    reason = "the slow tests print their measurements"
)]

mod adult;

use adult::{adult, assert_marginals, quality, replayed_epsilon};
use tabveil_models::{
    Ctgan, CtganConfig, DpTraining, NoProgress, Privacy, StopReason, Synthesizer,
};

/// The demo's private configuration: SDV's networks and batch, 30 epochs.
fn dp_config(epsilon: f64, noise_seed: u64) -> CtganConfig {
    CtganConfig::new(Privacy::Dp(
        DpTraining::new(epsilon, 1e-6)
            .unwrap()
            .dangerous_noise_seed(noise_seed),
    ))
    .with_epochs(30)
}

#[test]
#[ignore = "slow: three private fits on adult (~1.5 min each in release)"]
fn dp_ctgan_on_adult_stops_within_each_budget() {
    let (schema, train) = adult();
    for epsilon in [1.0, 3.0, 10.0] {
        let mut model = Ctgan::new(dp_config(epsilon, 7).check().unwrap());
        let summary = model.fit(&train, &schema, &mut NoProgress).unwrap();
        let private = summary.private.clone().unwrap();
        let replayed = replayed_epsilon(model.ledger().unwrap());
        println!(
            "ε target {epsilon}: spent {:.4} (replayed {replayed:.4}), {} of {} steps, σ_train {:.3}, stop {:?}",
            private.epsilon_spent,
            private.releases,
            private.planned_releases,
            private.training_noise_multiplier,
            summary.stop
        );
        assert!(private.epsilon_spent <= epsilon);
        assert!(replayed <= epsilon);
        assert!(matches!(
            summary.stop,
            StopReason::Completed | StopReason::BudgetExhausted
        ));
        assert_eq!(model.sample(1000, 0).unwrap().n_rows(), 1000);
    }
}

#[test]
#[ignore = "slow: a private fit on adult (~1.5 min in release)"]
fn dp_ctgan_quality_on_adult_at_epsilon_3() {
    let (schema, train) = adult();
    let mut model = Ctgan::new(dp_config(3.0, 1).check().unwrap());
    let summary = model.fit(&train, &schema, &mut NoProgress).unwrap();
    assert!(summary.private.unwrap().epsilon_spent <= 3.0);
    let synthetic = model.sample(train.n_rows(), 0).unwrap();
    let report = quality(&schema, &train, &synthetic);
    let overall = report.scores.overall.unwrap();
    println!("DP-CTGAN ε = 3: quality {overall:.4} ({:?})", report.scores);
    assert!(overall >= 0.665, "{overall}");
    assert_marginals(&report, 0.75);
}
