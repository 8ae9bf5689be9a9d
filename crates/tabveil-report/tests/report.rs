//! `PrivacyReport::from_fit`: numbers recomputed from the ledger, independently checked with
//! the accountant; typed errors for inconsistent inputs; JSON layout and round trip.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    reason = "test helpers outside #[test] functions panic on failure"
)]

mod common;

use common::{N, ledger_of, private_config, schema};
use tabveil_accountant::{
    AccountantSpec, LedgerEntry, PrivacyEvent, PrivacyLedger, Stage, epsilon_of,
};
use tabveil_report::{EvaluationSummary, PrivacyReport, ReportError, RowCount};
use tabveil_validate::{Privacy, TrainingConfig};

#[test]
fn epsilon_is_the_ledgers_and_within_the_target() {
    let config = private_config(false);
    let ledger = ledger_of(&config, 1.0, false);
    let r = PrivacyReport::from_fit(&ledger, &config, &schema(), N).unwrap();
    let independent = epsilon_of(&ledger, &AccountantSpec::rdp(), 1e-6)
        .unwrap()
        .epsilon;
    assert_eq!(r.epsilon, Some(independent));
    assert!(independent <= 2.0);
    assert_eq!(r.target_epsilon, Some(2.0));
    let g = r.guarantee.as_ref().unwrap();
    assert!((g.budget_used - independent / 2.0).abs() < 1e-15);
    // ε falls as δ grows, and the configured δ is in the table.
    let row = g
        .epsilon_at_deltas
        .iter()
        .find(|p| p.delta == 1e-6)
        .unwrap();
    assert_eq!(row.epsilon, independent);
    for w in g.curve.windows(2) {
        assert!(w[1].delta > w[0].delta && w[1].epsilon <= w[0].epsilon);
    }
    // ε over steps: from the preprocessing alone to the total.
    let s = r.spending.as_ref().unwrap();
    let first = s.epsilon_over_steps.first().unwrap();
    let last = s.epsilon_over_steps.last().unwrap();
    assert_eq!(first.steps, 0);
    assert!((first.epsilon - s.preprocessing.epsilon_alone).abs() < 1e-12);
    assert!((last.epsilon - independent).abs() < 1e-12);
    assert_eq!(last.steps, s.dp_sgd.unwrap().steps);
    // Stages: four preprocessing releases (the id column has none), one training entry.
    assert_eq!(s.preprocessing.entries, 4);
    assert_eq!(s.training.entries, 1);
    assert!(s.training.share_of_total > s.preprocessing.share_of_total);
    assert_eq!(
        r.model.epochs_completed.map(|e| (e * 1e9).round() / 1e9),
        Some(30.0)
    );
}

#[test]
fn a_stopped_fit_reports_what_ran() {
    let config = private_config(false);
    let ledger = ledger_of(&config, 0.5, false);
    let r = PrivacyReport::from_fit(&ledger, &config, &schema(), N).unwrap();
    let e = r.model.epochs_completed.unwrap();
    assert!((e - 15.0).abs() < 0.01, "{e}");
    assert!(r.epsilon.unwrap() < 2.0);
}

#[test]
fn tuning_scenarios_are_computed_and_consistent() {
    let config = private_config(false);
    let r =
        PrivacyReport::from_fit(&ledger_of(&config, 1.0, false), &config, &schema(), N).unwrap();
    let t = r.tuning.as_ref().unwrap();
    let fitted = &t.scenarios[0];
    let sigma = r
        .spending
        .as_ref()
        .unwrap()
        .dp_sgd
        .unwrap()
        .noise_multiplier;
    assert_eq!(fitted.noise_multiplier, Some(sigma));
    let by = |label: &str| t.scenarios.iter().find(|s| s.change == label).unwrap();
    // More epochs at the same ε need more noise; more ε needs less.
    assert!(by("twice the epochs").noise_multiplier.unwrap() > sigma);
    assert!(by("half the epochs").noise_multiplier.unwrap() < sigma);
    assert!(by("twice the ε").noise_multiplier.unwrap() < sigma);
    assert!(by("half the ε").noise_multiplier.unwrap() > sigma);
    // At the same noise, twice the steps spend more than the target.
    assert!(by("twice the epochs").epsilon_at_same_noise.unwrap() > 2.0);
    assert!(t.ranges.as_ref().and_then(|r| r.epochs).is_some());
}

#[test]
fn inconsistent_inputs_are_typed_errors() {
    let config = private_config(false);
    let ledger = ledger_of(&config, 1.0, false);
    // A non-private config cannot come with private releases.
    let plain = TrainingConfig::tvae(Privacy::NonPrivate);
    assert!(matches!(
        PrivacyReport::from_fit(&ledger, &plain, &schema(), N),
        Err(ReportError::LedgerMismatch { .. })
    ));
    assert!(matches!(
        PrivacyReport::from_fit(&PrivacyLedger::new(), &config, &schema(), 0),
        Err(ReportError::InvalidInput { .. })
    ));
    let bad = EvaluationSummary {
        quality_overall: Some(1.5),
        ..EvaluationSummary::default()
    };
    let r = PrivacyReport::from_fit(&ledger, &config, &schema(), N).unwrap();
    assert!(matches!(
        r.with_evaluation(bad),
        Err(ReportError::InvalidInput { .. })
    ));
}

/// The row-count statement follows what the caller passes and what the ledger's q says: the
/// true N used by the schedule is "treated as public"; a DP estimate N̂ is named as such and
/// the true count is not shown; a true N shown beside a schedule on N̂ is "not protected".
#[test]
fn the_row_count_statement_follows_the_ledger() {
    let config = private_config(false);
    let ledger = ledger_of(&config, 1.0, false);
    let r = PrivacyReport::from_fit(&ledger, &config, &schema(), N).unwrap();
    assert!(!r.model.n_rows_estimated);
    let text = r.guarantee.unwrap().row_count;
    assert!(text.contains(&format!("true row count N = {N}")), "{text}");
    assert!(text.contains("treated as public"), "{text}");

    let r =
        PrivacyReport::from_fit(&ledger, &config, &schema(), RowCount::PrivateEstimate(N)).unwrap();
    assert!(r.model.n_rows_estimated);
    let facts = r.public_and_private.public_facts.join(" ");
    assert!(facts.contains(&format!("N̂ = {N}")), "{facts}");
    let text = r.guarantee.unwrap().row_count;
    assert!(text.contains(&format!("N̂ = {N} rows")), "{text}");
    assert!(text.contains("shows only N̂"), "{text}");

    let r = PrivacyReport::from_fit(&ledger, &config, &schema(), N + 37).unwrap();
    let text = r.guarantee.unwrap().row_count;
    assert!(text.contains(&format!("N̂ = {N} rows")), "{text}");
    assert!(
        text.contains(&format!(
            "N = {}, is shown in this report and is not protected",
            N + 37
        )),
        "{text}"
    );
}

#[test]
fn an_empty_private_ledger_spends_nothing() {
    let config = private_config(false);
    let r = PrivacyReport::from_fit(&PrivacyLedger::new(), &config, &schema(), N).unwrap();
    assert_eq!(r.epsilon, Some(0.0));
    assert!(r.to_markdown().contains("ε = 0"));
}

#[test]
fn json_layout_and_round_trip() {
    let config = private_config(false);
    let r =
        PrivacyReport::from_fit(&ledger_of(&config, 1.0, false), &config, &schema(), N).unwrap();
    let json = r.to_json().unwrap();
    let keys: Vec<&str> = json
        .lines()
        .filter(|l| l.starts_with("  \"") && !l.starts_with("   "))
        .map(|l| l.trim().split('"').nth(1).unwrap())
        .collect();
    assert_eq!(
        &keys[..6],
        [
            "schema_version",
            "epsilon",
            "delta",
            "target_epsilon",
            "accountant",
            "headline"
        ]
    );
    let back = PrivacyReport::from_json(&json).unwrap();
    assert_eq!(back, r);
    let future = json.replacen("\"schema_version\": 1", "\"schema_version\": 9", 1);
    assert!(matches!(
        PrivacyReport::from_json(&future),
        Err(ReportError::Json { .. })
    ));
}

#[test]
fn pld_reports_are_upper_bounds_too() {
    let mut config = private_config(false);
    if let Privacy::Dp(d) = config.privacy_mut() {
        d.accountant = AccountantSpec::pld();
    }
    let ledger = ledger_of(&config, 1.0, false);
    let r = PrivacyReport::from_fit(&ledger, &config, &schema(), N).unwrap();
    let pld = epsilon_of(&ledger, &AccountantSpec::pld(), 1e-6)
        .unwrap()
        .epsilon;
    assert_eq!(r.epsilon, Some(pld));
    assert!(pld <= 2.0);
    assert!(
        r.tuning
            .as_ref()
            .unwrap()
            .note
            .contains("computed with RDP")
    );
    // Per-entry marginal costs are computed with RDP only.
    let s = r.spending.unwrap();
    assert!(s.mechanisms.iter().all(|m| m.marginal_epsilon.is_none()));
}

#[test]
fn other_stage_entries_are_listed() {
    let config = private_config(false);
    let mut ledger = ledger_of(&config, 1.0, false);
    ledger
        .record(
            LedgerEntry::new(
                "user: extra count",
                Stage::Other,
                PrivacyEvent::gaussian(100.0, 1).unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
    let r = PrivacyReport::from_fit(&ledger, &config, &schema(), N).unwrap();
    let s = r.spending.unwrap();
    assert!(
        s.mechanisms
            .iter()
            .any(|m| m.stage == Stage::Other && m.label == "user: extra count")
    );
    assert!(
        r.epsilon.unwrap()
            > epsilon_of(
                &ledger_of(&config, 1.0, false),
                &AccountantSpec::rdp(),
                1e-6
            )
            .unwrap()
            .epsilon
    );
}

/// Issue 12 item 12 and issue 14: the preprocessing releases are named as discrete Gaussian
/// releases, the training noise as mitigated (not hardened), and a selection step by its
/// mechanism and ε.
#[test]
fn mechanisms_are_named_honestly() {
    let config = private_config(false);
    let mut ledger = ledger_of(&config, 1.0, false);
    ledger
        .record(
            LedgerEntry::new(
                "selection: next marginal",
                Stage::Other,
                PrivacyEvent::exponential_mechanism(0.1, 4).unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
    let r = PrivacyReport::from_fit(&ledger, &config, &schema(), N).unwrap();
    let s = r.spending.as_ref().unwrap();
    let pre: Vec<_> = s
        .mechanisms
        .iter()
        .filter(|m| m.stage == Stage::Preprocessing)
        .collect();
    assert!(!pre.is_empty());
    assert!(pre.iter().all(|m| m.mechanism == "discrete Gaussian"));
    let em = s
        .mechanisms
        .iter()
        .find(|m| m.mechanism == "exponential mechanism")
        .unwrap();
    assert_eq!(
        (em.epsilon_per_run, em.noise_multiplier, em.count),
        (Some(0.1), None, 4)
    );
    let md = r.to_markdown();
    assert!(
        md.contains("exponential mechanism (ε = 0.1 per run)"),
        "{md}"
    );
    assert!(md.contains("discrete Gaussian noise"), "{md}");
    assert!(md.contains("mitigated"), "{md}");
    assert!(!md.contains("hardened"), "{md}");
    let html = r.to_html().unwrap();
    assert!(html.contains("exponential mechanism (ε = 0.1 per run)"));
    // The selection is part of the total.
    let without = epsilon_of(
        &ledger_of(&config, 1.0, false),
        &AccountantSpec::rdp(),
        1e-6,
    )
    .unwrap()
    .epsilon;
    assert!(r.epsilon.unwrap() > without);
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<PrivacyReport>();
    assert_send_sync::<tabveil_report::Comparison>();
    assert_send_sync::<ReportError>();
}
