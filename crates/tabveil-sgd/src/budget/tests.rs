use tabveil_accountant::{Accountant, NoiseRandomness, RdpAccountant};

use super::*;

fn rdp() -> AccountantSpec {
    AccountantSpec::rdp()
}

fn epsilon_of(ledger: &PrivacyLedger, delta: f64) -> f64 {
    let mut acc = RdpAccountant::default();
    ledger.replay_into(&mut acc).unwrap();
    acc.epsilon(delta).unwrap()
}

#[test]
fn target_budget_allows_exactly_the_steps_that_fit() {
    let (q, sigma, target, delta) = (0.01, 2.0, 1.0, 1e-5);
    let mut budget = PrivacyBudget::new(PrivacyLedger::new(), target, delta, rdp()).unwrap();
    budget.bind("training: test", q, sigma, 1.0, false).unwrap();
    let allowed = budget.remaining_steps().unwrap();
    assert!(allowed > 10, "{allowed}");
    let mut applied = 0;
    loop {
        match budget.request_step().unwrap() {
            StepOutcome::Applied { steps_taken } => {
                applied += 1;
                assert_eq!(steps_taken, applied);
            }
            StepOutcome::BudgetExhausted {
                steps_taken,
                target_epsilon,
            } => {
                assert_eq!(steps_taken, allowed);
                assert_eq!(target_epsilon, target);
                break;
            }
        }
    }
    assert_eq!(applied, allowed);
    let ledger = budget.ledger().unwrap();
    assert_eq!(ledger.entries().len(), 1);
    assert_eq!(ledger.entries()[0].event().steps(), allowed);
    assert_eq!(ledger.entries()[0].l2_sensitivity(), Some(1.0));
    assert!(epsilon_of(ledger, delta) <= target);
    // Tight: one more step would exceed the target.
    let mut more = ledger.clone();
    more.record(
        LedgerEntry::new(
            "training: test",
            Stage::Training,
            PrivacyEvent::poisson_subsampled_gaussian(q, sigma, 1).unwrap(),
        )
        .unwrap()
        .with_l2_sensitivity(1.0)
        .unwrap(),
    )
    .unwrap();
    assert!(epsilon_of(&more, delta) > target);
    // Refusals are sticky and record nothing.
    assert!(!budget.request_step().unwrap().is_applied());
    assert_eq!(
        budget.ledger().unwrap().entries()[0].event().steps(),
        allowed
    );
}

#[test]
fn preprocessing_releases_count_against_the_target() {
    let (q, sigma, delta) = (0.01, 2.0, 1e-5);
    let mut fresh = PrivacyBudget::new(PrivacyLedger::new(), 1.0, delta, rdp()).unwrap();
    fresh.bind("training", q, sigma, 1.0, false).unwrap();
    let mut ledger = PrivacyLedger::new();
    ledger
        .record(
            LedgerEntry::new(
                "preprocessing: counts",
                Stage::Preprocessing,
                PrivacyEvent::gaussian(5.0, 1).unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
    let mut with_pre = PrivacyBudget::new(ledger, 1.0, delta, rdp()).unwrap();
    with_pre.bind("training", q, sigma, 1.0, true).unwrap();
    assert!(with_pre.remaining_steps().unwrap() < fresh.remaining_steps().unwrap());
    assert_eq!(
        with_pre.ledger().unwrap().noise_randomness(),
        NoiseRandomness::Seeded
    );
    // A ledger that already exceeds the target allows nothing.
    let mut spent = PrivacyLedger::new();
    spent
        .record(
            LedgerEntry::new(
                "big",
                Stage::Preprocessing,
                PrivacyEvent::gaussian(0.1, 1).unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
    let mut none = PrivacyBudget::new(spent, 1.0, delta, rdp()).unwrap();
    none.bind("training", q, sigma, 1.0, false).unwrap();
    assert_eq!(none.remaining_steps(), Some(0));
    assert!(!none.request_step().unwrap().is_applied());
}

#[test]
fn pld_budget_agrees_with_its_own_accountant() {
    let (q, sigma, delta, target) = (0.05, 1.5, 1e-5, 2.0);
    let mut budget =
        PrivacyBudget::new(PrivacyLedger::new(), target, delta, AccountantSpec::pld()).unwrap();
    budget.bind("training", q, sigma, 1.0, false).unwrap();
    let allowed = budget.remaining_steps().unwrap();
    let mut rdp_budget = PrivacyBudget::new(PrivacyLedger::new(), target, delta, rdp()).unwrap();
    rdp_budget.bind("training", q, sigma, 1.0, false).unwrap();
    // PLD is tighter than RDP: it allows at least as many steps.
    assert!(
        allowed >= rdp_budget.remaining_steps().unwrap(),
        "{allowed}"
    );
}

#[test]
fn invalid_budgets_and_non_private_settings() {
    let l = PrivacyLedger::new;
    assert!(PrivacyBudget::new(l(), 0.0, 1e-5, rdp()).is_err());
    assert!(PrivacyBudget::new(l(), f64::INFINITY, 1e-5, rdp()).is_err());
    assert!(PrivacyBudget::new(l(), 1.0, 1.0, rdp()).is_err());
    assert!(
        PrivacyBudget::new(
            l(),
            1.0,
            1e-5,
            AccountantSpec::new(tabveil_accountant::AccountantKind::Gdp)
        )
        .is_err()
    );
    let mut b = PrivacyBudget::unlimited(l());
    assert!(matches!(
        b.bind("t", 0.1, 0.0, 1.0, false),
        Err(SgdError::NotPrivate { .. })
    ));
    let mut b = PrivacyBudget::unlimited(l());
    assert!(matches!(
        b.bind("t", 0.1, 1.0, f64::INFINITY, false),
        Err(SgdError::NotPrivate { .. })
    ));
    let mut b = PrivacyBudget::unlimited(l());
    assert!(matches!(
        b.bind(" ", 0.1, 1.0, 1.0, false),
        Err(SgdError::Accountant(_))
    ));
    // Unlimited: records every step.
    let mut b = PrivacyBudget::unlimited(l());
    b.bind("t", 0.1, 1.0, 1.0, false).unwrap();
    for _ in 0..5 {
        assert!(b.request_step().unwrap().is_applied());
    }
    assert_eq!(b.ledger().unwrap().entries()[0].event().steps(), 5);
    assert!(b.epsilon_spent(1e-5).unwrap() > 0.0);
    assert!(b.bind("again", 0.1, 1.0, 1.0, false).is_err());
    // Unaccounted: no ledger at all.
    let mut u = PrivacyBudget::dangerous_unaccounted();
    u.bind("t", 0.1, 0.0, f64::INFINITY, false).unwrap();
    assert!(u.request_step().unwrap().is_applied());
    assert!(u.ledger().is_none() && !u.is_accounted());
    assert!(u.epsilon_spent(1e-5).is_err());
}

#[test]
fn calibration_and_budget_agree() {
    let (target, delta, q, steps) = (2.0, 1e-5, 0.02, 500);
    let mut ledger = PrivacyLedger::new();
    ledger
        .record(
            LedgerEntry::new(
                "preprocessing",
                Stage::Preprocessing,
                PrivacyEvent::gaussian(8.0, 3).unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
    let cal = calibrate_noise_multiplier(&ledger, target, delta, q, steps, &rdp()).unwrap();
    assert!(cal.epsilon <= target);
    // With the calibrated σ the budget allows at least the planned steps, and with a
    // slightly smaller σ fewer.
    let mut b = PrivacyBudget::new(ledger.clone(), target, delta, rdp()).unwrap();
    b.bind("training", q, cal.noise_multiplier, 1.0, false)
        .unwrap();
    assert!(b.remaining_steps().unwrap() >= steps);
    let mut smaller = PrivacyBudget::new(ledger.clone(), target, delta, rdp()).unwrap();
    smaller
        .bind("training", q, cal.noise_multiplier * 0.99, 1.0, false)
        .unwrap();
    assert!(smaller.remaining_steps().unwrap() < steps);
    // Preprocessing makes the calibrated σ larger than on an empty ledger.
    let fresh =
        calibrate_noise_multiplier(&PrivacyLedger::new(), target, delta, q, steps, &rdp()).unwrap();
    assert!(fresh.noise_multiplier < cal.noise_multiplier);
    assert!(calibrate_noise_multiplier(&ledger, 0.0, delta, q, steps, &rdp()).is_err());
}
