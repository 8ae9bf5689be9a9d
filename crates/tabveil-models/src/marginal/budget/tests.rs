use tabveil_accountant::{AccountantSpec, epsilon_of};

use super::*;

#[test]
fn the_total_rho_is_the_largest_within_the_target() {
    for spec in [AccountantSpec::rdp(), AccountantSpec::pld()] {
        for eps in [0.5, 1.0, 3.0, 10.0] {
            let rho = total_rho(eps, 1e-6, &spec, &[]).unwrap();
            let eps_at = |r: f64| {
                let mut worst: f64 = 0.0;
                for mut a in guards(&spec) {
                    a.compose(&PrivacyEvent::gaussian((0.5 / r).sqrt(), 1).unwrap())
                        .unwrap();
                    worst = worst.max(a.epsilon(1e-6).unwrap());
                }
                worst
            };
            assert!(eps_at(rho) <= eps, "{spec:?} ε = {eps}");
            assert!(
                eps_at(rho * 1.001) > eps,
                "{spec:?} ε = {eps}: ρ not the largest"
            );
        }
    }
    // The zCDP closed form bounds the accountant's answer from below: the tight conversion
    // (ε = ρ + 2√(ρ log(1/δ))) is looser than the accountants.
    let rho = total_rho(3.0, 1e-6, &AccountantSpec::rdp(), &[]).unwrap();
    let closed = (3.0f64 + (1e6f64).ln()).sqrt() - (1e6f64).ln().sqrt();
    assert!(rho >= closed * closed * 0.99, "{rho}");
}

#[test]
fn releases_are_guarded_and_the_last_round_ends_at_the_target() {
    for spec in [AccountantSpec::rdp(), AccountantSpec::pld()] {
        let mut b = Budget::new(1.0, 1e-6, &spec, false).unwrap();
        let rho = b.rho_total();
        // Spend 60 % in ten measurements.
        let sigma = (10.0 / (2.0 * 0.6 * rho)).sqrt();
        for i in 0..10 {
            b.record_measurement(format!("m{i}"), Stage::Training, sigma)
                .unwrap();
        }
        assert!((b.rho_used() - 0.6 * rho).abs() < 1e-12 * rho.max(1.0));
        // A measurement worth the whole budget is refused and leaves the ledger unchanged.
        let entries = b.entry_count();
        let huge = (0.5 / rho).sqrt();
        let mut b2 = Budget::new(1.0, 1e-6, &spec, false).unwrap();
        for i in 0..10 {
            b2.record_measurement(format!("m{i}"), Stage::Training, sigma)
                .unwrap();
        }
        assert!(
            b2.record_measurement("too much".into(), Stage::Training, huge)
                .is_err()
        );
        assert_eq!(b2.entry_count(), entries);
        // The last round takes what is left, landing just under the target.
        let (s, e) = b.last_round(0.1).unwrap().unwrap();
        b.record_selection("last selection".into(), e).unwrap();
        b.record_measurement("last".into(), Stage::Training, s)
            .unwrap();
        let spent = b.epsilon_spent().unwrap();
        assert!(spent <= 1.0, "{spec:?}: {spent}");
        // The ledger replays to the same ε in a fresh accountant.
        let ledger = b.into_ledger();
        let replayed = epsilon_of(&ledger, &spec, 1e-6).unwrap().epsilon;
        assert!((replayed - spent).abs() < 1e-9, "{replayed} vs {spent}");
        // The accountant that binds (the run's, or the RDP guard of a PLD run) ends just under the target.
        let rdp = epsilon_of(&ledger, &AccountantSpec::rdp(), 1e-6)
            .unwrap()
            .epsilon;
        let binding = spent.max(rdp);
        assert!(binding <= 1.0 && binding > 0.999, "{spec:?}: {binding}");
    }
}

/// Prior releases (a discovery's Gaussian counts and a Gaussian-thresholding selection) open
/// the ledger and every guard: ρ is what they leave, a release beyond it is refused, and the
/// last round lands the whole ledger — prior releases included — just under the target when
/// replayed by a fresh accountant of either kind.
#[test]
fn prior_releases_are_composed_first_and_the_run_ends_at_the_target() {
    let prior_events = [
        PrivacyEvent::gaussian(9.0, 2).unwrap(),
        PrivacyEvent::gaussian_threshold(9.0, 50.0, 3).unwrap(),
    ];
    for spec in [AccountantSpec::rdp(), AccountantSpec::pld()] {
        let mut prior = PrivacyLedger::new();
        for (i, e) in prior_events.iter().enumerate() {
            prior
                .record(
                    LedgerEntry::new(format!("schema discovery {i}"), Stage::Preprocessing, *e)
                        .unwrap(),
                )
                .unwrap();
        }
        let alone = total_rho(3.0, 1e-6, &spec, &[]).unwrap();
        let rho = total_rho(3.0, 1e-6, &spec, &prior_events).unwrap();
        assert!(rho < alone, "{spec:?}: {rho} vs {alone}");
        let mut b = Budget::with_rho(rho, 3.0, 1e-6, &spec, prior.clone()).unwrap();
        assert_eq!(b.entry_count(), 2);
        // The prior releases count from the start: ε spent is theirs.
        let before = b.epsilon_spent().unwrap();
        assert!(before > 0.0 && before < 3.0, "{spec:?}: {before}");
        // A measurement worth the budget without prior releases is refused.
        assert!(
            b.record_measurement(
                "too much".into(),
                Stage::Training,
                (0.5 / (alone * 0.999)).sqrt()
            )
            .is_err()
        );
        let sigma = (10.0 / (2.0 * 0.5 * rho)).sqrt();
        for i in 0..10 {
            b.record_measurement(format!("m{i}"), Stage::Training, sigma)
                .unwrap();
        }
        let (s, e) = b.last_round(0.1).unwrap().unwrap();
        b.record_selection("last selection".into(), e).unwrap();
        b.record_measurement("last".into(), Stage::Training, s)
            .unwrap();
        let ledger = b.into_ledger();
        assert_eq!(&ledger.entries()[..2], prior.entries());
        let replayed = epsilon_of(&ledger, &spec, 1e-6).unwrap().epsilon;
        let rdp = epsilon_of(&ledger, &AccountantSpec::rdp(), 1e-6)
            .unwrap()
            .epsilon;
        assert!(replayed <= 3.0 && rdp <= 3.0, "{spec:?}: {replayed} {rdp}");
        let binding = replayed.max(rdp);
        assert!(binding > 2.997, "{spec:?}: {binding}");
    }
    // Prior releases that spend the whole budget leave no room.
    let huge = [PrivacyEvent::gaussian(0.2, 1).unwrap()];
    assert!(total_rho(3.0, 1e-6, &AccountantSpec::rdp(), &huge).is_err());
}

#[test]
fn a_selection_is_an_exponential_mechanism_event() {
    let (event, note) = selection_event(0.4).unwrap();
    assert_eq!(event, PrivacyEvent::exponential_mechanism(0.4, 1).unwrap());
    assert!(note.contains("exponential mechanism"));
}

impl Budget {
    fn entry_count(&self) -> usize {
        self.ledger.entries().len()
    }
}
