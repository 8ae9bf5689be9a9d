//! `validate` never panics and always answers, whatever the numbers (NaN, infinities, zeros,
//! huge counts): it is run on user input before anything else.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    reason = "test helpers outside #[test] functions panic on failure"
)]

use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use tabveil_data::{ColumnSchema, Schema};
use tabveil_validate::{DpConfig, Privacy, TrainingConfig, ValidateOptions, validate_with};

/// Mostly values in `range`, sometimes NaN, ±∞, negative, 0 or 1.
fn mostly(range: std::ops::Range<f64>) -> impl Strategy<Value = f64> {
    prop_oneof![
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(-1.0),
        1 => Just(0.0),
        1 => Just(1.0),
        6 => range,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, rng_seed: RngSeed::Fixed(1201), ..ProptestConfig::default() })]
    #[test]
    fn validate_always_answers(
        eps in mostly(0.05..30.0),
        delta in mostly(1e-12..1e-3),
        share in mostly(0.01..0.9),
        clip in mostly(0.1..10.0),
        epochs in prop_oneof![1 => Just(0_u64), 8 => 1..400_u64, 1 => Just(u64::MAX)],
        batch in prop_oneof![1 => Just(0_u64), 8 => 1..5_000_u64, 1 => Just(u64::MAX)],
        n in prop_oneof![1 => Just(0_u64), 8 => 100..100_000_u64],
        private in any::<bool>(),
        tvae in any::<bool>(),
    ) {
        let schema = Schema::new("t", vec![
            ColumnSchema::continuous("x", None, Some(5.0)),
            ColumnSchema::categorical("c", ["a"]),
        ]).unwrap();
        let mut d = DpConfig::new(eps, delta);
        d.preprocessing_share = share;
        d.clipping_norm = clip;
        let privacy = if private { Privacy::Dp(d) } else { Privacy::NonPrivate };
        let config = if tvae { TrainingConfig::tvae(privacy) } else { TrainingConfig::ctgan(privacy) }
            .with_epochs(epochs)
            .with_batch_size(batch);
        let options = ValidateOptions { ranges: false, memory_limit_bytes: Some(1 << 30) };
        let report = validate_with(&config, &schema, n, &options);
        // Every finding is complete, and a report without errors has a plan.
        for f in &report.findings {
            prop_assert!(!f.reason.is_empty() && !f.fix.is_empty());
        }
        if !report.has_errors() {
            prop_assert!(report.plan.is_some());
        }
        let _ = report.to_string();
    }
}
