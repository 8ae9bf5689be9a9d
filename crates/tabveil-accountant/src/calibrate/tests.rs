use super::*;
use crate::ledger::{LedgerEntry, Stage};
use crate::pld::PldConfig;

fn schedule(q: f64, steps: u64) -> NoiseSchedule {
    NoiseSchedule {
        fixed: vec![],
        calibrated: vec![(q, steps)],
    }
}

#[test]
fn calibrated_sigma_meets_the_target_from_the_safe_side() {
    let spec = AccountantSpec::rdp();
    for (target, q, steps) in [(1.0, 0.01, 1000), (8.0, 0.05, 100), (0.1, 1.0, 1)] {
        let c = calibrate_noise(target, 1e-5, &schedule(q, steps), &spec).unwrap();
        assert!(c.epsilon <= target, "{c:?}");
        // A slightly smaller σ overshoots: the result is tight.
        let mut acc = spec.build();
        acc.compose(
            &PrivacyEvent::sampled_gaussian(q, c.noise_multiplier * (1.0 - 1e-5), steps).unwrap(),
        )
        .unwrap();
        assert!(acc.epsilon(1e-5).unwrap() > target);
    }
}

#[test]
fn gaussian_segments_calibrate_exactly_with_pld() {
    // One Gaussian release at ε = 1, δ = 1e-5: the analytic Gaussian mechanism's σ ≈ 3.73.
    let c = calibrate_noise(1.0, 1e-5, &schedule(1.0, 1), &AccountantSpec::pld()).unwrap();
    assert!(c.epsilon <= 1.0 && c.epsilon > 1.0 - 1e-5);
    assert!((c.noise_multiplier - 3.730).abs() < 5e-3, "{c:?}");
}

#[test]
fn refusals_are_typed() {
    let gdp = AccountantSpec::new(AccountantKind::Gdp);
    assert_eq!(
        calibrate_noise(1.0, 1e-5, &schedule(0.01, 10), &gdp),
        Err(AccountantError::ApproximationNotAllowed {
            kind: AccountantKind::Gdp
        })
    );
    assert!(matches!(
        max_steps_within(1.0, 1e-5, &[], 0.01, 1.0, &gdp),
        Err(AccountantError::ApproximationNotAllowed { .. })
    ));
    let rdp = AccountantSpec::rdp();
    assert_eq!(
        calibrate_noise(
            1.0,
            1e-5,
            &NoiseSchedule {
                fixed: vec![],
                calibrated: vec![]
            },
            &rdp
        ),
        Err(AccountantError::EmptySchedule)
    );
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            calibrate_noise(bad, 1e-5, &schedule(0.01, 10), &rdp),
            Err(AccountantError::InvalidEpsilon { .. })
        ));
    }
    assert!(matches!(
        calibrate_noise(1.0, 1e-5, &schedule(1.5, 10), &rdp),
        Err(AccountantError::InvalidSampleRate { .. })
    ));
    assert!(matches!(
        calibrate_noise(1.0, 1e-5, &schedule(0.5, 0), &rdp),
        Err(AccountantError::ZeroCount { .. })
    ));
    // The fixed events alone already spend more than the target.
    let greedy = NoiseSchedule {
        fixed: vec![PrivacyEvent::gaussian(0.5, 1).unwrap()],
        calibrated: vec![(0.01, 100)],
    };
    assert!(matches!(
        calibrate_noise(1.0, 1e-5, &greedy, &rdp),
        Err(AccountantError::UnreachableTarget { .. })
    ));
}

#[test]
fn max_steps_is_the_exact_boundary() {
    for spec in [
        AccountantSpec::rdp(),
        AccountantSpec::pld().with_pld_config(
            PldConfig::default()
                .with_discretisation_interval(1e-3)
                .unwrap(),
        ),
    ] {
        let fixed = [PrivacyEvent::gaussian(10.0, 1).unwrap()];
        let t = max_steps_within(2.0, 1e-5, &fixed, 0.02, 1.0, &spec).unwrap();
        assert!(t > 0);
        let eps = |steps: u64| {
            let mut acc = spec.build();
            acc.compose(&fixed[0]).unwrap();
            acc.compose(&PrivacyEvent::sampled_gaussian(0.02, 1.0, steps).unwrap())
                .unwrap();
            acc.epsilon(1e-5).unwrap()
        };
        assert!(
            eps(t) <= 2.0 && eps(t + 1) > 2.0,
            "{:?}: T = {t}",
            spec.kind
        );
    }
    // Nothing fits when the fixed events exceed the target, or one step does.
    let spec = AccountantSpec::rdp();
    let heavy = [PrivacyEvent::gaussian(0.3, 1).unwrap()];
    assert_eq!(
        max_steps_within(1.0, 1e-5, &heavy, 0.01, 1.0, &spec).unwrap(),
        0
    );
    assert_eq!(
        max_steps_within(0.01, 1e-5, &[], 1.0, 0.5, &spec).unwrap(),
        0
    );
}

#[test]
fn epsilon_of_a_ledger_matches_the_accountant() {
    let mut ledger = PrivacyLedger::new();
    ledger
        .record(
            LedgerEntry::new(
                "training: discriminator",
                Stage::Training,
                PrivacyEvent::poisson_subsampled_gaussian(0.01, 1.1, 500).unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
    let spec = AccountantSpec::rdp();
    let g = epsilon_of(&ledger, &spec, 1e-5).unwrap();
    let mut acc = spec.build();
    ledger.replay_into(acc.as_mut()).unwrap();
    assert_eq!(g.epsilon, acc.epsilon(1e-5).unwrap());
    assert_eq!(g.accountant, AccountantKind::Rdp);
    let gdp = epsilon_of(&ledger, &AccountantSpec::new(AccountantKind::Gdp), 1e-5).unwrap();
    assert_eq!(gdp.bound, crate::BoundKind::Approximation);
}

#[test]
fn spec_serde_round_trip() {
    for spec in [
        AccountantSpec::rdp(),
        AccountantSpec::pld().with_pld_config(
            PldConfig::default()
                .with_discretisation_interval(1e-5)
                .unwrap(),
        ),
        AccountantSpec::rdp().with_rdp_orders(crate::RdpOrders::custom(vec![2.0, 3.5]).unwrap()),
    ] {
        let json = serde_json::to_string(&spec).unwrap();
        assert_eq!(serde_json::from_str::<AccountantSpec>(&json).unwrap(), spec);
    }
    assert!(
        serde_json::from_str::<AccountantSpec>(r#"{"kind":"rdp","rdp_orders":[0.5]}"#).is_err()
    );
    assert!(serde_json::from_str::<AccountantSpec>(r#"{"kind":"prv"}"#).is_err());
}

/// Issue 12: `sigma --epsilon 1e50` answered "σ = 6.1e-5 spends ε = 0": the search stopped at
/// σ = 1e-4 and reconstructed ε as (ε − target) + target, which is 0 for a huge target.
#[test]
fn issue_12_absurd_targets_get_a_true_answer_or_a_typed_error() {
    let rdp = AccountantSpec::rdp();
    let c = calibrate_noise(1e50, 1e-5, &schedule(0.01, 1000), &rdp).unwrap();
    // The ε reported is the one evaluated at that σ, tight against the target.
    let mut acc = rdp.build();
    acc.compose(&PrivacyEvent::sampled_gaussian(0.01, c.noise_multiplier, 1000).unwrap())
        .unwrap();
    let eps = acc.epsilon(1e-5).unwrap();
    assert_eq!(eps.to_bits(), c.epsilon.to_bits());
    assert!(c.epsilon <= 1e50 && c.epsilon > 0.99e50, "{c:?}");
    // A target that even the smallest σ tried meets bounds nothing.
    assert!(matches!(
        calibrate_noise(1e305, 1e-5, &schedule(0.01, 1000), &rdp),
        Err(AccountantError::TargetMeetsNoNoise { .. })
    ));
    // PLD cannot evaluate the σ that would meet 1e50 (grid too large): it says so. (A small
    // grid limit keeps this quick; the default limit gives the same answer in minutes.)
    let pld = AccountantSpec::pld().with_pld_config(
        PldConfig::default()
            .with_discretisation_interval(1e-2)
            .unwrap()
            .with_max_grid_points(1 << 16)
            .unwrap(),
    );
    assert!(matches!(
        calibrate_noise(1e50, 1e-5, &schedule(0.01, 1000), &pld),
        Err(AccountantError::CalibrationOutOfRange { .. })
    ));
    // Ordinary targets below the old floor of σ = 1e-4 are still found and tight.
    let c = calibrate_noise(1e9, 1e-5, &schedule(1.0, 1), &rdp).unwrap();
    assert!(c.epsilon <= 1e9 && c.epsilon > 0.999e9, "{c:?}");
    assert!(c.noise_multiplier < 1e-4);
}
