use tabveil::accountant::{
    AccountantSpec, LedgerEntry, PrivacyEvent, PrivacyLedger, Stage, epsilon_of,
};

use super::verify::concatenate;
use super::*;

fn ledger(sigma: f64, q: f64, steps: u64) -> PrivacyLedger {
    let mut l = PrivacyLedger::new();
    l.record(
        LedgerEntry::new(
            "counts",
            Stage::Preprocessing,
            PrivacyEvent::gaussian(sigma, 1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    l.record(
        LedgerEntry::new(
            "steps",
            Stage::Training,
            PrivacyEvent::poisson_subsampled_gaussian(q, 1.0, steps).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    l
}

fn chain() -> Chain {
    let mut c = Chain::new("ds");
    c.append(EntryBody::budget("ds", 3.0, 1e-6, AccountantSpec::rdp(), 1))
        .unwrap();
    let mut count = PrivacyLedger::new();
    count
        .record(
            LedgerEntry::new(
                "row count",
                Stage::Preprocessing,
                PrivacyEvent::gaussian(100.0, 1).unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
    c.append(EntryBody::charge(
        "ds",
        ROW_ESTIMATE_SUBJECT,
        ChargePhase::Release,
        count,
        2,
    ))
    .unwrap();
    c.append(EntryBody::charge(
        "ds",
        "generator:a",
        ChargePhase::Planned,
        ledger(20.0, 0.01, 100),
        3,
    ))
    .unwrap();
    c.append(EntryBody::charge(
        "ds",
        "generator:a",
        ChargePhase::Cancelled,
        ledger(20.0, 0.01, 40),
        4,
    ))
    .unwrap();
    c
}

/// Re-hashes every link from `from` on, as a forger who knows the scheme would.
fn rehash(export: &mut ChainExport, from: usize) {
    for i in from..export.entries.len() {
        let prev = if i == 0 {
            GENESIS_HASH.to_owned()
        } else {
            export.entries[i - 1].hash.clone()
        };
        export.entries[i].prev_hash = prev.clone();
        export.entries[i].hash = link_hash(&prev, &export.entries[i].body);
    }
}

#[test]
fn an_honest_chain_verifies_and_composes_the_current_charges() {
    let c = chain();
    let summary = verify(&c.export()).unwrap();
    assert_eq!(summary.entries, 4);
    assert_eq!(summary.head.as_ref().unwrap().hash, c.links()[3].hash);
    assert_eq!(summary.charges.len(), 2);
    // The cancelled fit is charged what it released (40 steps), not its plan (100).
    let spent_40 = epsilon_of(
        &concatenate([&ledger(20.0, 0.01, 40)]).unwrap(),
        &AccountantSpec::rdp(),
        1e-6,
    )
    .unwrap()
    .epsilon;
    assert!(summary.epsilon_spent > spent_40);
    // ... and less than the row count composed with the whole plan (the charge replaced it).
    let Some(EntryBody::Charge { ledger: count, .. }) =
        check_links("ds", c.links()).unwrap().into_iter().nth(1)
    else {
        panic!("the second entry is the row count's charge");
    };
    let with_plan = epsilon_of(
        &concatenate([&count, &ledger(20.0, 0.01, 100)]).unwrap(),
        &AccountantSpec::rdp(),
        1e-6,
    )
    .unwrap()
    .epsilon;
    assert!(
        summary.epsilon_spent < with_plan,
        "{} vs {with_plan}",
        summary.epsilon_spent
    );
    let with_actual = epsilon_of(
        &concatenate([&count, &ledger(20.0, 0.01, 40)]).unwrap(),
        &AccountantSpec::rdp(),
        1e-6,
    )
    .unwrap()
    .epsilon;
    assert!((summary.epsilon_spent - with_actual).abs() < 1e-12);
    // Exports round-trip through JSON.
    let json = serde_json::to_string(&c.export()).unwrap();
    let back: ChainExport = serde_json::from_str(&json).unwrap();
    assert_eq!(verify(&back).unwrap(), summary);
}

#[test]
fn an_edited_body_is_detected() {
    let mut e = chain().export();
    e.entries[3].body = e.entries[3].body.replace("\"steps\":40", "\"steps\":4");
    assert_eq!(verify(&e), Err(ChainError::Hash { seq: 4 }));
}

#[test]
fn an_edit_with_a_fresh_hash_breaks_the_next_link() {
    let mut e = chain().export();
    e.entries[2].body = e.entries[2].body.replace("\"steps\":100", "\"steps\":1000");
    e.entries[2].hash = link_hash(&e.entries[2].prev_hash, &e.entries[2].body);
    assert_eq!(verify(&e), Err(ChainError::Link { seq: 4 }));
}

#[test]
fn removed_or_reordered_entries_are_detected() {
    let mut e = chain().export();
    e.entries.remove(1);
    assert!(matches!(verify(&e), Err(ChainError::Sequence { .. })));
    let mut e = chain().export();
    e.entries.swap(2, 3);
    assert!(matches!(verify(&e), Err(ChainError::Sequence { .. })));
}

#[test]
fn a_rewritten_chain_still_breaks_the_charging_rules() {
    // A forger re-hashes everything after raising the final charge above the plan.
    let mut e = chain().export();
    e.entries[3].body = e.entries[3].body.replace("\"steps\":40", "\"steps\":400");
    rehash(&mut e, 3);
    assert!(matches!(
        verify(&e),
        Err(ChainError::Rule {
            seq: 4,
            reason: "the final charge is more than the plan",
            ..
        })
    ));
    // ... or after dropping the plan altogether.
    let mut e = chain().export();
    e.entries.remove(2);
    e.entries[2].seq = 3;
    rehash(&mut e, 2);
    assert!(matches!(verify(&e), Err(ChainError::Rule { seq: 3, .. })));
}

#[test]
fn non_canonical_or_foreign_bodies_are_refused() {
    let mut e = chain().export();
    e.entries[0].body = e.entries[0].body.replacen(',', ", ", 1);
    rehash(&mut e, 0);
    assert_eq!(verify(&e), Err(ChainError::NotCanonical { seq: 1 }));
    let mut e = chain().export();
    e.dataset = "other".to_owned();
    assert_eq!(verify(&e), Err(ChainError::WrongDataset { seq: 1 }));
    let mut e = chain().export();
    e.version = 2;
    assert_eq!(verify(&e), Err(ChainError::Version { found: 2 }));
}

#[test]
fn charges_over_the_budget_are_refused() {
    let mut c = Chain::new("ds");
    c.append(EntryBody::budget("ds", 0.5, 1e-6, AccountantSpec::rdp(), 1))
        .unwrap();
    c.append(EntryBody::charge(
        "ds",
        "generator:x",
        ChargePhase::Planned,
        ledger(1.0, 0.1, 1000),
        2,
    ))
    .unwrap();
    assert!(matches!(
        verify(&c.export()),
        Err(ChainError::OverBudget { .. })
    ));
}

#[test]
fn within_plan_compares_mechanisms_not_labels() {
    let planned = ledger(20.0, 0.01, 100);
    let mut relabelled = PrivacyLedger::new();
    relabelled
        .record(
            LedgerEntry::new(
                "other label",
                Stage::Training,
                PrivacyEvent::poisson_subsampled_gaussian(0.01, 1.0, 60).unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
    assert!(within_plan(&relabelled, &planned));
    assert!(within_plan(&PrivacyLedger::new(), &planned));
    assert!(!within_plan(&ledger(20.0, 0.02, 10), &planned));
    assert!(!within_plan(&ledger(20.0, 0.01, 101), &planned));
}

fn events(events: &[PrivacyEvent]) -> PrivacyLedger {
    let mut l = PrivacyLedger::new();
    for (i, e) in events.iter().enumerate() {
        l.record(LedgerEntry::new(format!("release {i}"), Stage::Training, *e).unwrap())
            .unwrap();
    }
    l
}

#[test]
fn an_adaptive_run_is_within_a_plan_that_bounds_its_zcdp() {
    // The marginal model's plan: one Gaussian of the run's total ρ = 1/(2·4²) = 0.03125.
    let planned = events(&[PrivacyEvent::gaussian(4.0, 1).unwrap()]);
    // Its run: histograms, selections and marginals of other σ, ρ = 0.0252 in all.
    let run = events(&[
        PrivacyEvent::gaussian(12.8, 3).unwrap(),
        PrivacyEvent::exponential_mechanism(0.04, 2).unwrap(),
        PrivacyEvent::gaussian(8.0, 2).unwrap(),
    ]);
    assert!(within_plan(&run, &planned));
    // The RDP accountant agrees: the run alone costs no more than its plan.
    let eps = |l: &PrivacyLedger| epsilon_of(l, &AccountantSpec::rdp(), 1e-6).unwrap().epsilon;
    assert!(
        eps(&run) <= eps(&planned),
        "{} > {}",
        eps(&run),
        eps(&planned)
    );
    // One release more than the plan's ρ is not within it.
    let over = events(&[
        PrivacyEvent::gaussian(12.8, 3).unwrap(),
        PrivacyEvent::gaussian(4.5, 1).unwrap(),
    ]);
    assert!(!within_plan(&over, &planned));
    // Events without a zCDP bound, on either side, fall back to the same-mechanism rule.
    let subsampled = events(&[PrivacyEvent::poisson_subsampled_gaussian(0.01, 40.0, 1).unwrap()]);
    assert!(!within_plan(&subsampled, &planned));
    let selection_plan = events(&[PrivacyEvent::exponential_mechanism(1.0, 1).unwrap()]);
    assert!(!within_plan(
        &events(&[PrivacyEvent::exponential_mechanism(0.5, 1).unwrap()]),
        &selection_plan
    ));
}

#[test]
fn an_adaptive_plan_is_charged_as_its_zcdp_envelope() {
    // A plan listing rounds (the marginal model's): histograms, selections, measurements;
    // ρ = 3/(2·12.8²) + 2·0.04²/8 + 2/(2·8²) = 0.0252 in all.
    let plan = events(&[
        PrivacyEvent::gaussian(12.8, 3).unwrap(),
        PrivacyEvent::exponential_mechanism(0.04, 2).unwrap(),
        PrivacyEvent::gaussian(8.0, 2).unwrap(),
    ]);
    let charged = charge_bound(plan.clone());
    assert_eq!(charged.entries().len(), 1);
    let PrivacyEvent::Gaussian {
        noise_multiplier, ..
    } = *charged.entries()[0].event()
    else {
        panic!("the envelope is one Gaussian: {charged:?}");
    };
    let rho = 3.0 / (2.0 * 12.8 * 12.8) + 2.0 * 0.04 * 0.04 / 8.0 + 2.0 / (2.0 * 8.0 * 8.0);
    let charged_rho = 0.5 / (noise_multiplier * noise_multiplier);
    assert!(
        (charged_rho - rho).abs() <= 1e-12 * rho,
        "{charged_rho} vs {rho}"
    );
    // The plan and an annealed run of the same ρ (fewer rounds, less noise each) are within
    // the charge, and the RDP accountant charges the envelope at least as much as either.
    let annealed = events(&[
        PrivacyEvent::gaussian(12.8, 3).unwrap(),
        PrivacyEvent::exponential_mechanism(0.0565, 1).unwrap(),
        PrivacyEvent::gaussian(5.66, 1).unwrap(),
    ]);
    let eps = |l: &PrivacyLedger| epsilon_of(l, &AccountantSpec::rdp(), 1e-6).unwrap().epsilon;
    for run in [&plan, &annealed] {
        assert!(within_plan(run, &charged));
        assert!(
            eps(run) <= eps(&charged),
            "{} > {}",
            eps(run),
            eps(&charged)
        );
    }
    // A plan without a selection step is charged as it is.
    let fixed = events(&[PrivacyEvent::gaussian(4.0, 2).unwrap()]);
    assert_eq!(charge_bound(fixed.clone()), fixed);
}
