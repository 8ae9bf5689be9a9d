//! The engine audit on small networks: the correct engine stays within its claim, and every
//! broken engine is caught (its bound exceeds the ε it claims). Each run takes well under a
//! second or two.

use rand::Rng;

use super::*;

/// 1 000 rows of 8 features in [−1, 1] (a fixed draw: the audit does not depend on what the
/// rows are, only that they are there).
fn rows() -> (Vec<f32>, usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let width = 8;
    (
        (0..1_000 * width)
            .map(|_| rng.random_range(-1.0..1.0))
            .collect(),
        width,
    )
}

/// ε = 1 claimed, 200 canaries, 100 steps at q = 0.05.
fn small(noise_seed: u64) -> EngineAuditConfig {
    EngineAuditConfig::new(1.0, 1e-6, 0.05, 100)
        .with_canaries(200)
        .with_hidden(vec![16])
        .with_dangerous_noise_seed(noise_seed)
}

fn audit(engine: Engine, noise_seed: u64) -> AuditReport {
    let (data, width) = rows();
    let report = run(&small(noise_seed), &data, width, engine).unwrap();
    eprintln!("{engine:?}:\n{}", report.to_text());
    report
}

#[test]
fn the_correct_engine_stays_within_its_claim() {
    let report = audit(Engine::Correct, 1);
    let claim = report.claimed_epsilon.unwrap();
    assert!(claim <= 1.0 && claim > 0.9, "claim {claim}");
    assert_eq!(report.releases_observed, 100);
    assert!(!report.exceeds_claim(), "{}", report.to_text());
    assert!(
        report
            .ledger
            .as_ref()
            .is_some_and(|l| l.entries().len() == 1)
    );
}

#[test]
fn noise_scaled_by_a_tenth_is_caught() {
    let report = audit(Engine::NoiseScaled(0.1), 2);
    assert!(report.exceeds_claim(), "{}", report.to_text());
}

#[test]
fn a_sampling_rate_ten_times_the_accounted_one_is_caught() {
    let report = audit(Engine::SampleRateScaled(10.0), 3);
    assert!(report.exceeds_claim(), "{}", report.to_text());
}

#[test]
fn a_gradient_penalty_left_unclipped_is_caught() {
    let report = audit(Engine::PenaltyNotClipped, 4);
    assert!(report.exceeds_claim(), "{}", report.to_text());
}

#[test]
fn invalid_settings_are_refused() {
    let (data, width) = rows();
    assert!(audit_engine(&small(0).with_canaries(0), &data, width).is_err());
    assert!(audit_engine(&EngineAuditConfig::new(1.0, 1e-6, 0.0, 10), &data, width).is_err());
    assert!(audit_engine(&small(0), &data[..5], width).is_err());
}
