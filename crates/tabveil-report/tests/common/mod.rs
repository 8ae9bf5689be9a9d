//! A ledger as a private fit records it, built from the validator's plan, and a small snapshot
//! helper for the structure of the renderings.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    reason = "test helpers outside #[test] functions panic on failure"
)]
#![allow(dead_code, reason = "each test file uses a part")]

use tabveil_accountant::{LedgerEntry, PrivacyEvent, PrivacyLedger, Stage};
use tabveil_data::{ColumnSchema, PrivateConfig, Schema, planned_preprocessing};
use tabveil_validate::{DpConfig, Privacy, TrainingConfig, validate};

pub const N: u64 = 12_000;

pub fn schema() -> Schema {
    Schema::new(
        "people",
        vec![
            ColumnSchema::integer("age", Some(15.0), Some(90.0)),
            ColumnSchema::categorical("sex", ["F", "M"]),
            ColumnSchema::categorical("job", ["a", "b", "c"]).nullable(),
            ColumnSchema::continuous("income", Some(0.0), Some(1e6)).nullable(),
            ColumnSchema::id("id"),
        ],
    )
    .unwrap()
}

pub fn private_config(seeded: bool) -> TrainingConfig {
    let mut dp = DpConfig::new(2.0, 1e-6);
    dp.noise_seeded = seeded;
    TrainingConfig::ctgan(Privacy::Dp(dp))
        .with_epochs(30)
        .with_batch_size(240)
}

/// The ledger a fit of `config` records: its planned preprocessing, then `fraction` of its
/// training steps.
pub fn ledger_of(config: &TrainingConfig, fraction: f64, seeded: bool) -> PrivacyLedger {
    let valid = validate(config, &schema(), N).into_result().unwrap();
    let p = valid.plan().private.clone().unwrap();
    let mut ledger = PrivacyLedger::new();
    if seeded {
        ledger.mark_noise_seeded();
    }
    let pre = PrivateConfig::new(p.preprocessing_noise_multiplier.unwrap()).unwrap();
    for e in planned_preprocessing(&schema(), &pre).unwrap() {
        ledger.record(e).unwrap();
    }
    let steps = ((p.private_steps as f64) * fraction).round() as u64;
    let event = PrivacyEvent::poisson_subsampled_gaussian(
        p.sample_rate,
        p.training_noise_multiplier,
        steps,
    )
    .unwrap();
    ledger
        .record(
            LedgerEntry::new("training: CTGAN discriminator", Stage::Training, event)
                .unwrap()
                .with_l2_sensitivity(1.0)
                .unwrap(),
        )
        .unwrap();
    ledger
}

/// Compares `actual` with `tests/snapshots/<name>.txt`; rewrites the file instead when
/// `UPDATE_SNAPSHOTS` is set.
pub fn snapshot(name: &str, actual: &str) {
    let path = format!("{}/tests/snapshots/{name}.txt", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(format!("{}/tests/snapshots", env!("CARGO_MANIFEST_DIR"))).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing snapshot {path}; run with UPDATE_SNAPSHOTS=1"));
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(5)
            .map(|(i, (a, b))| format!("line {}:\n  expected: {a}\n  actual:   {b}", i + 1))
            .collect();
        panic!(
            "snapshot {name} differs ({} vs {} lines):\n{}\n(run with UPDATE_SNAPSHOTS=1 to accept)",
            expected.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}
