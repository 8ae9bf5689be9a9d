//! Unit tests of the planner: its shortcuts agree with full calibrations.

use tabveil_accountant::{AccountantSpec, LedgerEntry, PrivacyEvent, RunBudget, Stage};

use super::MAX_TRAINING_NOISE_MULTIPLIER;
use super::planner::{Planner, round_up_3};

fn planner(n: u64) -> Planner {
    let entries: Vec<LedgerEntry> = (0..6)
        .map(|i| {
            LedgerEntry::new(
                format!("preprocessing: counts of column c{i}"),
                Stage::Preprocessing,
                PrivacyEvent::discrete_gaussian(1.0, 1).unwrap(),
            )
            .unwrap()
        })
        .collect();
    Planner::new(
        RunBudget::new(3.0, 1e-6, 0.1, AccountantSpec::rdp()),
        n,
        1,
        &entries,
    )
}

#[test]
fn preprocessing_segments_are_merged() {
    let p = planner(10_000);
    assert_eq!(
        p.preprocessing,
        vec![PrivacyEvent::discrete_gaussian(1.0, 6).unwrap()]
    );
    assert_eq!(p.preprocessing_releases(), 6);
}

/// The preprocessing σ the planner derives is bit-identical to the one of
/// `calibrate_jointly`, which the trainer uses.
#[test]
fn preprocessing_noise_matches_the_joint_calibration() {
    let p = planner(10_000);
    let joint = p.joint(2.0, 100, 10).unwrap();
    let events = p.preprocessing_events(2.0).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].noise_multiplier().map(f64::to_bits),
        joint.preprocessing_noise_multiplier.map(f64::to_bits)
    );
}

/// At the ends of the computed ranges, a full joint calibration gives σ ≤ 50; one step
/// beyond, σ > 50.
#[test]
fn range_ends_agree_with_full_calibration() {
    let p = planner(2_000);
    let (target, batch) = (1.0, 100);
    let max_e = p.max_epochs(target, batch).unwrap().unwrap();
    let at = p.joint(target, batch, max_e).unwrap();
    assert!(
        at.training_noise_multiplier <= MAX_TRAINING_NOISE_MULTIPLIER,
        "{at:?}"
    );
    let beyond = p.joint(target, batch, max_e + 1).unwrap();
    assert!(beyond.training_noise_multiplier > MAX_TRAINING_NOISE_MULTIPLIER * 0.999);

    let epochs = 2_000;
    let max_b = p.max_batch(target, epochs).unwrap().unwrap();
    assert!(max_b < 2_000);
    assert!(
        p.joint(target, max_b, epochs)
            .unwrap()
            .training_noise_multiplier
            <= 50.0
    );
    assert!(
        p.joint(target, max_b + 1, epochs)
            .unwrap()
            .training_noise_multiplier
            > 49.9
    );

    let min_eps = p.min_epsilon(batch, epochs).unwrap().unwrap();
    assert!(p.feasible(min_eps, batch, epochs).unwrap());
    assert!(
        p.joint(min_eps, batch, epochs)
            .unwrap()
            .training_noise_multiplier
            <= 50.0
    );
    assert!(
        p.joint(min_eps * 0.99, batch, epochs)
            .unwrap()
            .training_noise_multiplier
            > 49.0
    );
}

#[test]
fn recommendations_lie_in_the_range() {
    let p = planner(20_000);
    let max_e = p.max_epochs(3.0, 500).unwrap().unwrap();
    let rec = p.recommended_epochs(3.0, 500, max_e).unwrap();
    assert!((1..=max_e).contains(&rec), "{rec} of {max_e}");
    let max_b = p.max_batch(3.0, 100).unwrap().unwrap();
    let rec_b = p.recommended_batch(3.0, 100, max_b).unwrap();
    assert!((1..=max_b).contains(&rec_b), "{rec_b} of {max_b}");
}

#[test]
fn epsilon_grows_epoch_by_epoch_up_to_the_plan() {
    let p = planner(10_000);
    let joint = p.joint(2.0, 200, 8).unwrap();
    let points = p
        .epsilon_after_epochs(&joint, 200, 8, &[1, 2, 3, 4, 5, 6, 7, 8])
        .unwrap();
    for w in points.windows(2) {
        assert!(w[1].2 > w[0].2);
        assert!(w[1].1 > w[0].1);
    }
    let last = points.last().unwrap();
    assert_eq!(last.1, 400);
    assert!(
        (last.2 - joint.epsilon).abs() < 1e-12,
        "{} vs {}",
        last.2,
        joint.epsilon
    );
}

#[test]
fn rounding_up_never_goes_down() {
    for x in [6.1234, 0.19873, 1.0, 12_345.0, 0.0099991, 3.0000001] {
        let r = round_up_3(x);
        assert!(r >= x, "{r} < {x}");
        assert!(r <= x * 1.01 + 1e-12, "{r} far above {x}");
    }
    assert_eq!(round_up_3(6.1234), 6.13);
}
