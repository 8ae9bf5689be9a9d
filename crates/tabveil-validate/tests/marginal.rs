//! `validate` for the marginal model: the rounds plan (its planned ledger replays to the ε
//! printed, under both accountants), the memory estimate from the public domain sizes, and the
//! refusal of a table too wide to fit.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions panic on failure"
)]

use tabveil_accountant::AccountantSpec;
use tabveil_data::{ColumnSchema, Schema};
use tabveil_models::MarginalConfig;
use tabveil_validate::{
    Code, DpConfig, Privacy, TrainingConfig, ValidateOptions, ValidationReport, validate_with,
};

fn schema(categorical: usize, numeric: usize) -> Schema {
    let mut cols: Vec<ColumnSchema> = (0..categorical)
        .map(|i| ColumnSchema::categorical(format!("c{i}"), ["a", "b", "c", "d", "e"]))
        .collect();
    cols.extend(
        (0..numeric)
            .map(|i| ColumnSchema::continuous(format!("x{i}"), Some(0.0), Some(100.0)).nullable()),
    );
    cols.push(ColumnSchema::id("row_id"));
    Schema::new("t", cols).unwrap()
}

fn marginal(privacy: Privacy) -> TrainingConfig {
    TrainingConfig::from(MarginalConfig::new(privacy).with_target("c0"))
}

fn run(config: &TrainingConfig, schema: &Schema, limit: Option<u64>) -> ValidationReport {
    validate_with(
        config,
        schema,
        5_000,
        &ValidateOptions {
            ranges: true,
            memory_limit_bytes: limit,
        },
    )
}

#[test]
fn the_plan_lists_the_one_way_histograms_and_the_rounds_and_replays_to_its_epsilon() {
    let s = schema(3, 2);
    for accountant in [AccountantSpec::rdp(), AccountantSpec::pld()] {
        let config = marginal(Privacy::Dp(
            DpConfig::new(2.0, 1e-6).with_accountant(accountant.clone()),
        ));
        let r = run(&config, &s, None);
        assert!(!r.has_errors(), "{r}");
        let plan = r.plan.as_ref().unwrap();
        assert!(plan.private.is_none() && plan.ranges.is_none());
        let rounds = plan.rounds.as_ref().unwrap();
        // Five modelled columns (the identifier is not modelled): AIM's 16 rounds each.
        assert_eq!(rounds.one_way_releases, 5);
        assert_eq!(rounds.rounds, 80);
        let p = rounds.private.as_ref().unwrap();
        assert_eq!(p.ledger.entries().len(), 5 + 2 * 80);
        assert!(p.epsilon <= 2.0 && p.epsilon > 1.5, "{}", p.epsilon);
        // Replaying the planned ledger gives the ε printed.
        let mut a = accountant.build();
        for e in p.ledger.entries() {
            a.compose(e.event()).unwrap();
        }
        assert!((a.epsilon(1e-6).unwrap() - p.epsilon).abs() < 1e-9);
        // ε grows round by round and ends at the whole ledger's.
        assert!(p.one_way_epsilon < p.epsilon_by_round[0].epsilon);
        for w in p.epsilon_by_round.windows(2) {
            assert!(w[0].epsilon < w[1].epsilon && w[0].round < w[1].round);
        }
        let last = p.epsilon_by_round.last().unwrap();
        assert_eq!((last.round, last.releases), (80, 165));
        assert_eq!(last.epsilon, p.epsilon);
        let text = r.to_string();
        assert!(
            text.contains("plan: Marginal: 5 one-way histograms"),
            "{text}"
        );
        assert!(text.contains("planned ledger: 165 releases"), "{text}");
    }
}

#[test]
fn a_non_private_plan_has_rounds_and_no_privacy_side() {
    let r = run(&marginal(Privacy::NonPrivate), &schema(2, 2), None);
    let rounds = r.plan.as_ref().unwrap().rounds.as_ref().unwrap();
    assert_eq!(rounds.rounds, 64);
    assert!(rounds.private.is_none());
    assert!(r.to_string().contains("privacy: none"));
}

#[test]
fn invalid_privacy_settings_are_findings_and_the_rounds_are_still_planned() {
    let config = marginal(Privacy::Dp(DpConfig::new(-1.0, 1e-6)));
    let r = run(&config, &schema(2, 1), None);
    assert!(r.findings.iter().any(|f| f.code == Code::EpsilonRange));
    assert!(
        !r.findings.iter().any(|f| f.code == Code::PlanFailed),
        "{r}"
    );
    let rounds = r.plan.as_ref().unwrap().rounds.as_ref().unwrap();
    assert!(rounds.private.is_none());
}

#[test]
fn the_memory_comes_from_the_domain_sizes_and_does_not_depend_on_the_rows_floor() {
    let config = marginal(Privacy::Dp(DpConfig::new(3.0, 1e-6)));
    let narrow = run(&config, &schema(4, 4), None);
    let wide = run(&config, &schema(40, 40), None);
    let (n, w) = (
        &narrow.plan.as_ref().unwrap().memory,
        &wide.plan.as_ref().unwrap().memory,
    );
    let (nf, wf) = (n.floor_bytes.unwrap(), w.floor_bytes.unwrap());
    assert!(nf < n.total_bytes && wf < w.total_bytes);
    // Ten times the columns: about a hundred times the candidate pairs and target triples.
    assert!(wf > 50 * nf, "{nf} {wf}");
    let more_rows = validate_with(
        &config,
        &schema(4, 4),
        5_000_000,
        &ValidateOptions::without_ranges(),
    );
    assert_eq!(
        more_rows.plan.unwrap().memory.floor_bytes,
        n.floor_bytes,
        "the floor must not depend on the row count"
    );
}

#[test]
fn a_table_too_wide_for_the_limit_is_refused_whatever_its_rows() {
    let config = marginal(Privacy::Dp(DpConfig::new(3.0, 1e-6)));
    let s = schema(60, 60);
    let floor = run(&config, &s, None)
        .plan
        .unwrap()
        .memory
        .floor_bytes
        .unwrap();
    let refused = run(&config, &s, Some(floor - 1));
    let f = refused
        .findings
        .iter()
        .find(|f| f.code == Code::ModelTooWide)
        .unwrap_or_else(|| panic!("{refused}"));
    assert!(f.is_error() && !f.code.depends_on_rows());
    // It blocks a private fit: it reads nothing but public inputs.
    assert!(refused.blocking(true).any(|f| f.code == Code::ModelTooWide));
    assert!(!refused.findings.iter().any(|f| f.code == Code::Memory));
    // At the floor it fits; the largest fit (the whole junction tree) may not: a warning.
    let warned = run(&config, &s, Some(floor));
    assert!(
        !warned.findings.iter().any(|f| f.code == Code::ModelTooWide),
        "{warned}"
    );
    assert!(warned.findings.iter().any(|f| f.code == Code::Memory));
    assert!(!warned.has_errors(), "{warned}");
}
