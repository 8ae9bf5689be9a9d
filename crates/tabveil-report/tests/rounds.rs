//! The report of a model fitted in rounds (the marginal model): ε after each round, from the
//! ledger, plotted in the HTML and tabulated in the Markdown; nothing of it for DP-SGD models.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    reason = "test helpers outside #[test] functions panic on failure"
)]

mod common;

use common::{N, ledger_of, private_config, schema};
use tabveil_accountant::{AccountantSpec, PrivacyLedger, epsilon_of};
use tabveil_models::MarginalConfig;
use tabveil_report::PrivacyReport;
use tabveil_validate::{DpConfig, Privacy, TrainingConfig, validate};

/// A marginal run's ledger (its planned ledger: 4 one-way histograms, then `rounds` rounds of a
/// selection and a measurement), and its config.
fn marginal(spec: AccountantSpec, rounds: usize) -> (PrivacyLedger, TrainingConfig) {
    let mut settings =
        MarginalConfig::new(Privacy::Dp(DpConfig::new(2.0, 1e-6).with_accountant(spec)));
    settings.rounds = Some(rounds);
    let config = TrainingConfig::from(settings);
    let plan = validate(&config, &schema(), N).plan.unwrap();
    let ledger = plan.rounds.unwrap().private.unwrap().ledger;
    (ledger, config)
}

#[test]
fn epsilon_over_rounds_replays_the_ledger_round_by_round() {
    for spec in [AccountantSpec::rdp(), AccountantSpec::pld()] {
        let (ledger, config) = marginal(spec.clone(), 12);
        let report = PrivacyReport::from_fit(&ledger, &config, &schema(), N).unwrap();
        let spending = report.spending.as_ref().unwrap();
        let rounds = &spending.epsilon_over_rounds;
        // Round 0 and all twelve rounds (fewer than the points listed at most).
        assert_eq!(rounds.len(), 13, "{spec:?}");
        let replay = |entries: usize| {
            let mut l = PrivacyLedger::new();
            for e in &ledger.entries()[..entries] {
                l.record(e.clone()).unwrap();
            }
            epsilon_of(&l, &spec, 1e-6).unwrap().epsilon
        };
        for (r, p) in rounds.iter().enumerate() {
            assert_eq!(p.round, r as u64);
            let want = replay(4 + 2 * r);
            assert!(
                (p.epsilon - want).abs() < 1e-9,
                "round {r}: {} {want}",
                p.epsilon
            );
        }
        assert!((rounds[12].epsilon - report.epsilon.unwrap()).abs() < 1e-9);
        let html = report.to_html().unwrap();
        assert!(html.contains("plot-epsilon-rounds"));
        assert!(!html.contains("plot-epsilon-steps"));
        let md = report.to_markdown();
        assert!(md.contains("| after round | ε |"), "{md}");
        assert!(md.contains("| 0 (one-way histograms) |"));
        assert!(md.contains("after 12 rounds"));
    }
}

#[test]
fn long_runs_list_evenly_spaced_rounds_ending_at_the_last() {
    let (ledger, config) = marginal(AccountantSpec::rdp(), 200);
    let report = PrivacyReport::from_fit(&ledger, &config, &schema(), N).unwrap();
    let rounds = &report.spending.as_ref().unwrap().epsilon_over_rounds;
    assert!(rounds.len() <= 81, "{}", rounds.len());
    assert_eq!(rounds.last().unwrap().round, 200);
    for w in rounds.windows(2) {
        assert!(w[0].round < w[1].round && w[0].epsilon < w[1].epsilon);
    }
    // The Markdown table stays short.
    let md = report.to_markdown();
    let rows = md
        .lines()
        .skip_while(|l| !l.starts_with("| after round |"))
        .skip(2)
        .take_while(|l| l.starts_with("| "))
        .count();
    assert!(md.contains("after 200 rounds"));
    assert!((2..=12).contains(&rows), "{rows}");
}

#[test]
fn dp_sgd_reports_have_no_rounds() {
    let config = private_config(false);
    let report =
        PrivacyReport::from_fit(&ledger_of(&config, 1.0, false), &config, &schema(), N).unwrap();
    assert!(
        report
            .spending
            .as_ref()
            .unwrap()
            .epsilon_over_rounds
            .is_empty()
    );
    assert!(!report.to_json().unwrap().contains("epsilon_over_rounds"));
    assert!(report.to_html().unwrap().contains("plot-epsilon-steps"));
}
