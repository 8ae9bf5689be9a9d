//! The marginal model on the adult demo data (26 049 training rows): the slow, `#[ignore]`d
//! acceptance tests.
//!
//! ```text
//! cargo test --release -p tabveil-models --test marginal_adult -- --ignored --nocapture
//! ```
//!
//! - `marginal_on_adult_stops_within_each_budget`: ε = 1, 3, 10 at δ = 1e-6, end to end; the
//!   ledger, replayed into a fresh accountant, spends at most the target.
//! - `marginal_quality_on_adult_at_epsilon_3`: SDMetrics quality (tabveil-eval's, equal to
//!   sdmetrics 0.32's) ≥ 0.880 — independent per-column resampling of the real rows scores
//!   0.880, so the model must keep more than the one-way marginals — and every column's shape
//!   ≥ 0.90.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]
#![allow(
    clippy::print_stdout,
    reason = "the slow tests print their measurements"
)]

mod adult;

use adult::{adult, assert_marginals, assert_stops_within_each_budget, quality};
use tabveil_models::{DpConfig, Marginal, MarginalConfig, NoProgress, Privacy, Synthesizer};

fn private(epsilon: f64) -> Marginal {
    let dp = DpConfig::new(epsilon, 1e-6);
    Marginal::new(MarginalConfig::new(Privacy::Dp(dp)).check().unwrap())
}

#[test]
#[ignore = "slow: three private fits on adult"]
fn marginal_on_adult_stops_within_each_budget() {
    assert_stops_within_each_budget(private);
}

#[test]
#[ignore = "slow: a private fit on adult and a quality report"]
fn marginal_quality_on_adult_at_epsilon_3() {
    let (schema, train) = adult();
    let mut model = private(3.0);
    let summary = model.fit(&train, &schema, &mut NoProgress).unwrap();
    let synthetic = model.sample(train.n_rows(), 0).unwrap();
    let report = quality(&schema, &train, &synthetic);
    println!(
        "quality {:?} after {} rounds; cliques {:?}",
        report.scores,
        summary.epochs,
        model.cliques().unwrap()
    );
    assert!(report.scores.overall.unwrap() >= 0.880);
    assert_marginals(&report, 0.90);
}
