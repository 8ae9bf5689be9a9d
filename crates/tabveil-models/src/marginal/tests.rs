use std::ops::ControlFlow;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tabveil_accountant::{AccountantSpec, epsilon_of};
use tabveil_data::{ColumnSchema, Value};

use super::*;
use crate::privacy::{DpConfig, Privacy};
use crate::progress::{EpochReport, NoProgress, StopReason};

/// A small mixed table: age (integer), income (continuous, nullable, with a spike at 0),
/// sex, job (nullable), y (the target, rare class "1").
fn schema() -> Schema {
    Schema::new(
        "t",
        vec![
            ColumnSchema::integer("age", Some(18.0), Some(90.0)),
            ColumnSchema::continuous("income", Some(0.0), Some(100_000.0)).nullable(),
            ColumnSchema::categorical("sex", ["F", "M"]),
            ColumnSchema::categorical("job", ["a", "b", "c", "d"]).nullable(),
            ColumnSchema::id("id"),
            ColumnSchema::categorical("y", ["0", "1"]),
        ],
    )
    .unwrap()
    .with_target("y", Some("1".to_owned()))
    .unwrap()
}

fn table(n: usize, seed: u64) -> Table {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let rows: Vec<Vec<Value>> = (0..n)
        .map(|i| {
            let age = rng.random_range(18..=90) as f64;
            let sex = if rng.random_bool(0.5) { "F" } else { "M" };
            let job = ["a", "b", "c", "d"][rng.random_range(0..4)];
            let rich = age > 50.0 && job == "a";
            let income = if rng.random_bool(0.3) {
                Value::Number(0.0)
            } else if rng.random_bool(0.05) {
                Value::Null
            } else {
                Value::Number(
                    if rich { 60_000.0 } else { 20_000.0 } + rng.random_range(0.0..5_000.0),
                )
            };
            let y = if rich || rng.random_bool(0.02) {
                "1"
            } else {
                "0"
            };
            vec![
                Value::Number(age),
                income,
                Value::from(sex),
                if rng.random_bool(0.1) {
                    Value::Null
                } else {
                    Value::from(job)
                },
                Value::Number(i as f64),
                Value::from(y),
            ]
        })
        .collect();
    Table::from_rows(&schema(), &rows).unwrap()
}

fn private(eps: f64, noise_seed: u64) -> ValidMarginalConfig {
    let dp = DpConfig::new(eps, 1e-6).dangerous_noise_seed(noise_seed);
    MarginalConfig::new(Privacy::Dp(dp)).check().unwrap()
}

#[test]
fn a_private_fit_spends_at_most_the_target_and_its_ledger_replays() {
    for spec in [AccountantSpec::rdp(), AccountantSpec::pld()] {
        let dp = DpConfig::new(2.0, 1e-6)
            .with_accountant(spec.clone())
            .dangerous_noise_seed(1);
        let config = MarginalConfig::new(Privacy::Dp(dp)).check().unwrap();
        let mut model = Marginal::new(config);
        let summary = model
            .fit(&table(1_000, 1), &schema(), &mut NoProgress)
            .unwrap();
        let private = summary.private.unwrap();
        assert!(
            private.epsilon_spent <= 2.0,
            "{spec:?}: {}",
            private.epsilon_spent
        );
        let ledger = model.ledger().unwrap();
        // AIM's plan ends at the target (the last round spends what is left) under the
        // accountant that binds: the run's, or the RDP guard of a PLD run (see `budget`).
        let rdp = epsilon_of(ledger, &AccountantSpec::rdp(), 1e-6)
            .unwrap()
            .epsilon;
        let binding = private.epsilon_spent.max(rdp);
        assert!(binding > 1.99, "{spec:?}: {binding}");
        for replay in [AccountantSpec::rdp(), AccountantSpec::pld()] {
            let eps = epsilon_of(ledger, &replay, 1e-6).unwrap().epsilon;
            assert!(eps <= 2.0 + 1e-9, "{spec:?} replayed by {replay:?}: {eps}");
            if replay == spec {
                assert!((eps - private.epsilon_spent).abs() < 1e-9);
            }
        }
        // One one-way histogram per modelled column, then a selection and a measurement per
        // round.
        assert_eq!(private.releases as usize, 5 + 2 * summary.epochs);
        assert!(
            ledger
                .entries()
                .iter()
                .any(|e| e.label().contains("selection"))
        );
        assert_eq!(
            ledger.noise_randomness(),
            tabveil_accountant::NoiseRandomness::Seeded
        );
    }
}

/// A noise source that replays the values and choices another run released, whatever the
/// data: the model must then be the same.
#[derive(Default)]
struct Recorder {
    inner: Option<PrivacyNoise>,
    releases: Vec<Vec<f64>>,
    choices: Vec<usize>,
    replay: bool,
}

impl MechanismNoise for Recorder {
    fn add_gaussian(&mut self, values: &mut [f64], std: f64) -> Result<()> {
        if self.replay {
            let forced = self.releases.remove(0);
            assert_eq!(forced.len(), values.len());
            values.copy_from_slice(&forced);
            return Ok(());
        }
        if let Some(inner) = self.inner.as_mut() {
            inner.add_gaussian(values, std)?;
        }
        self.releases.push(values.to_vec());
        Ok(())
    }

    fn choose(&mut self, log_weights: &[f64]) -> Result<usize> {
        if self.replay {
            return Ok(self.choices.remove(0));
        }
        let i = self
            .inner
            .as_mut()
            .map_or(Ok(0), |inner| inner.choose(log_weights))?;
        self.choices.push(i);
        Ok(i)
    }
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config {
        cases: 6,
        rng_seed: proptest::test_runner::RngSeed::Fixed(1402),
        ..proptest::test_runner::Config::default()
    })]
    /// Two different tables (different sizes, values, nulls), and then no data at all (a table
    /// of no rows): the later fits are forced to release exactly what the first released. Any
    /// other path from the data to the model — the row count, a raw statistic — would make
    /// the models differ.
    #[test]
    fn the_model_depends_on_the_data_only_through_its_releases(
        rows in (50..1_200_usize, 50..1_200_usize),
        seeds in (proptest::prelude::any::<u64>(), proptest::prelude::any::<u64>()),
        epsilon in proptest::prop_oneof![proptest::strategy::Just(1.0), proptest::strategy::Just(3.0)],
    ) {
        let (noise_seed, table_seed) = seeds;
        let mut config = MarginalConfig::new(Privacy::Dp(
            DpConfig::new(epsilon, 1e-6).dangerous_noise_seed(noise_seed),
        ));
        config.rounds = Some(8);
        config.iterations = 30;
        config.final_iterations = 60;
        let config = config.check().unwrap();
        let (a, b) = (table(rows.0, table_seed), table(rows.1, table_seed ^ 1));
        let empty = Table::from_rows(&schema(), &[] as &[Vec<Value>]).unwrap();
        let mut recorder = Recorder {
            inner: Some(PrivacyNoise(tabveil_noise::PrivacyRng::dangerous_seeded(noise_seed))),
            ..Recorder::default()
        };
        let mut first = Marginal::new(config.clone());
        first
            .fit_with(&mut &a, &schema(), &mut recorder, &mut NoProgress)
            .unwrap();
        let (releases, choices) = (recorder.releases.clone(), recorder.choices.clone());
        for other in [&b, &empty] {
            recorder.replay = true;
            recorder.releases = releases.clone();
            recorder.choices = choices.clone();
            let mut second = Marginal::new(config.clone());
            second
                .fit_with(&mut &*other, &schema(), &mut recorder, &mut NoProgress)
                .unwrap();
            proptest::prop_assert!(recorder.releases.is_empty() && recorder.choices.is_empty());
            proptest::prop_assert!(first.to_bytes().unwrap() == second.to_bytes().unwrap());
            proptest::prop_assert_eq!(first.ledger(), second.ledger());
            proptest::prop_assert_eq!(first.sample(100, 4).unwrap(), second.sample(100, 4).unwrap());
        }
    }
}

#[test]
fn privacy_randomness_comes_from_the_noise_seed_only() {
    // Same noise seed, different sampling seeds in the config: the same fit. Different noise
    // seeds: different releases.
    let t = table(800, 3);
    let fit = |noise_seed: u64, seed: u64| {
        let dp = DpConfig::new(1.0, 1e-6).dangerous_noise_seed(noise_seed);
        let config = MarginalConfig::new(Privacy::Dp(dp))
            .with_seed(seed)
            .check()
            .unwrap();
        let mut m = Marginal::new(config);
        m.fit(&t, &schema(), &mut NoProgress).unwrap();
        m
    };
    let (a, b, c) = (fit(1, 0), fit(1, 99), fit(2, 0));
    assert_eq!(a.ledger(), b.ledger());
    assert_eq!(
        a.fitted.as_ref().unwrap().potentials,
        b.fitted.as_ref().unwrap().potentials
    );
    assert_ne!(
        a.fitted.as_ref().unwrap().potentials,
        c.fitted.as_ref().unwrap().potentials
    );
}

#[test]
fn samples_follow_the_schema_and_save_load_round_trips() {
    let mut model = Marginal::new(private(3.0, 5));
    model
        .fit(&table(1_500, 5), &schema(), &mut NoProgress)
        .unwrap();
    let s = model.sample(2_000, 1).unwrap();
    assert_eq!(s.n_rows(), 2_000);
    assert_eq!(s.n_columns(), 6);
    // Exact zeros survive; nulls appear in nullable columns only; integers are integers.
    let income = s.column("income").unwrap();
    let zeros = (0..s.n_rows())
        .filter(|&r| !income.is_null(r) && income.as_continuous().unwrap()[r] == 0.0)
        .count();
    assert!(zeros > 300, "{zeros}");
    assert!(
        s.column("age")
            .unwrap()
            .as_continuous()
            .unwrap()
            .iter()
            .all(|v| v.fract() == 0.0)
    );
    assert_eq!(s.column("sex").unwrap().null_count(), 0);
    // Save / load, bytes and directory.
    let again = Marginal::from_bytes(&model.to_bytes().unwrap()).unwrap();
    assert_eq!(again.sample(500, 9).unwrap(), model.sample(500, 9).unwrap());
    let dir = std::env::temp_dir().join(format!("tabveil-marginal-{}", std::process::id()));
    model.save(&dir).unwrap();
    let loaded = Marginal::load(&dir).unwrap();
    assert_eq!(
        loaded.sample(500, 9).unwrap(),
        model.sample(500, 9).unwrap()
    );
    assert_eq!(loaded.ledger(), model.ledger());
    std::fs::remove_dir_all(&dir).unwrap();
    // A flipped byte is caught.
    let mut bytes = model.to_bytes().unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0x40;
    assert!(Marginal::from_bytes(&bytes).is_err());
}

#[test]
fn conditional_sampling_is_exact() {
    let mut model = Marginal::new(private(5.0, 2));
    model
        .fit(&table(2_000, 6), &schema(), &mut NoProgress)
        .unwrap();
    let s = model
        .sample_conditional(
            400,
            &[Condition::new("y", "1"), Condition::missing("job")],
            3,
        )
        .unwrap();
    assert_eq!(s.n_rows(), 400);
    assert!(
        s.column("y")
            .unwrap()
            .as_categorical()
            .unwrap()
            .iter()
            .all(|&v| v == 1)
    );
    assert_eq!(s.column("job").unwrap().null_count(), 400);
    let s = model
        .sample_conditional(50, &[Condition::new("income", "1234.5")], 3)
        .unwrap();
    assert!(
        s.column("income")
            .unwrap()
            .as_continuous()
            .unwrap()
            .iter()
            .all(|&v| v == 1234.5)
    );
    // Errors are typed.
    for (c, what) in [
        (Condition::new("nope", "1"), "no column"),
        (Condition::new("id", "1"), "cannot be conditioned"),
        (Condition::new("y", "2"), "not a category"),
        (Condition::missing("sex"), "not a category"),
        (Condition::new("age", "20.5"), "not a category"),
        (Condition::new("age", "200"), "not a category"),
    ] {
        let e = model.sample_conditional(5, &[c], 0).unwrap_err();
        assert!(e.to_string().contains(what), "{e}");
    }
    assert!(matches!(
        model.sample_conditional(5, &[], 0),
        Err(ModelError::NoConditions)
    ));
    assert!(matches!(
        model.sample_conditional(5, &[Condition::new("y", "1"), Condition::new("y", "0")], 0),
        Err(ModelError::DuplicateCondition { .. })
    ));
}

#[test]
fn conditioning_matches_the_models_conditional_distribution() {
    // Non-private fit of a strong dependency: y = 1 mostly for job a and age > 50.
    let config = MarginalConfig::new(Privacy::NonPrivate).check().unwrap();
    let mut model = Marginal::new(config);
    model
        .fit(&table(4_000, 8), &schema(), &mut NoProgress)
        .unwrap();
    let all = model.sample(20_000, 1).unwrap();
    let given = model
        .sample_conditional(5_000, &[Condition::new("y", "1")], 2)
        .unwrap();
    let share_a = |t: &Table, filter: &dyn Fn(usize) -> bool| {
        let job = t.column("job").unwrap();
        let rows: Vec<usize> = (0..t.n_rows()).filter(|&r| filter(r)).collect();
        let a = rows
            .iter()
            .filter(|&&r| !job.is_null(r) && job.as_categorical().unwrap()[r] == 0)
            .count();
        a as f64 / rows.len() as f64
    };
    let y = all.column("y").unwrap().as_categorical().unwrap().to_vec();
    let by_rejection = share_a(&all, &|r| y[r] == 1);
    let by_conditioning = share_a(&given, &|_| true);
    assert!(by_conditioning > 0.5, "{by_conditioning}");
    // Same distribution (binomial standard errors ~0.01 each; 6 σ).
    assert!(
        (by_rejection - by_conditioning).abs() < 0.08,
        "{by_rejection} vs {by_conditioning}"
    );
}

#[test]
fn cancellation_returns_the_releases() {
    struct StopAfter(usize);
    impl Progress for StopAfter {
        fn epoch(&mut self, report: &EpochReport) -> ControlFlow<()> {
            if report.epoch >= self.0 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
    }
    // Between rounds: a usable model of the rounds measured, its ledger exactly their
    // releases.
    let mut model = Marginal::new(private(3.0, 1));
    let summary = model
        .fit(&table(500, 1), &schema(), &mut StopAfter(2))
        .unwrap();
    assert_eq!(summary.stop, StopReason::Cancelled);
    assert_eq!(summary.epochs, 2);
    let ledger = model.ledger().unwrap();
    // Five one-way histograms, two rounds of (selection, measurement).
    assert_eq!(ledger.entries().len(), 9);
    let run = summary.private.unwrap();
    assert_eq!(run.releases, 9);
    assert!(run.epsilon_spent < 3.0);
    let eps = epsilon_of(ledger, &AccountantSpec::rdp(), 1e-6)
        .unwrap()
        .epsilon;
    assert!((eps - run.epsilon_spent).abs() < 1e-9);
    assert_eq!(model.sample(50, 1).unwrap().n_rows(), 50);
    assert_eq!(model.rounds().unwrap().len(), 2);

    // During the one-way histograms: an error carrying the releases made.
    struct StopAtColumn(usize);
    impl Progress for StopAtColumn {
        fn preprocessing(&mut self, done: usize, _: usize, _: &str) -> ControlFlow<()> {
            if done >= self.0 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
    }
    let mut model = Marginal::new(private(3.0, 1));
    let e = model
        .fit(&table(500, 1), &schema(), &mut StopAtColumn(3))
        .unwrap_err();
    assert!(e.is_cancelled());
    assert_eq!(e.spent_ledger().unwrap().entries().len(), 3);
    assert!(!model.is_fitted());
}

#[test]
fn private_mode_needs_public_bounds_and_a_known_target() {
    let schema = Schema::new("t", vec![ColumnSchema::continuous("x", None, Some(1.0))]).unwrap();
    let t = Table::from_rows(&schema, &[vec![Value::Number(0.5)]]).unwrap();
    let mut m = Marginal::new(private(1.0, 1));
    let e = m.fit(&t, &schema, &mut NoProgress).unwrap_err();
    assert!(e.to_string().contains("public bounds"), "{e}");
    assert!(e.spent_ledger().is_none());
    let config = MarginalConfig::new(Privacy::NonPrivate)
        .with_target("nope")
        .check()
        .unwrap();
    let e = Marginal::new(config)
        .fit(&table(50, 1), &self::schema(), &mut NoProgress)
        .unwrap_err();
    assert!(e.to_string().contains("target"), "{e}");
    // Non-private mode reads the bounds from the data.
    let mut m = Marginal::new(MarginalConfig::new(Privacy::NonPrivate).check().unwrap());
    m.fit(&t, &schema, &mut NoProgress).unwrap();
    assert_eq!(m.sample(3, 0).unwrap().n_rows(), 3);
}

#[test]
fn non_private_fits_recover_a_dependency() {
    let config = MarginalConfig::new(Privacy::NonPrivate).check().unwrap();
    let mut model = Marginal::new(config);
    let summary = model
        .fit(&table(3_000, 4), &schema(), &mut NoProgress)
        .unwrap();
    assert!(summary.private.is_none() && model.ledger().is_none());
    let cliques = model.cliques().unwrap();
    assert!(
        cliques
            .iter()
            .any(|c| c.contains(&"y".to_owned()) && c.contains(&"job".to_owned())),
        "{cliques:?}"
    );
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Marginal>();
    check::<MarginalConfig>();
    check::<MarginalRound>();
}

#[test]
fn the_fit_runs_the_plan_validate_prints() {
    // One source of truth: the planned ledger (what `tabveil validate` shows) and a fit's
    // ledger share the one-way releases and the first round's, mechanism for mechanism.
    use crate::spec::ModelSpec;
    for spec in [AccountantSpec::rdp(), AccountantSpec::pld()] {
        let dp = DpConfig::new(2.0, 1e-6)
            .with_accountant(spec)
            .dangerous_noise_seed(3);
        let config = MarginalConfig::new(Privacy::Dp(dp));
        let plan = config.round_plan(&schema()).unwrap().unwrap();
        let private = plan.private.as_ref().unwrap();
        assert_eq!(
            config.planned_ledger(&schema(), 1.0).unwrap().as_ref(),
            Some(&private.ledger)
        );
        assert_eq!(plan.one_way_releases, 5);
        assert_eq!(plan.rounds, 80);
        let mut model = Marginal::new(config.check().unwrap());
        let summary = model
            .fit(&table(700, 2), &schema(), &mut NoProgress)
            .unwrap();
        let run = summary.private.unwrap();
        assert_eq!(
            run.preprocessing_noise_multiplier,
            Some(private.one_way_noise_multiplier)
        );
        assert_eq!(
            run.training_noise_multiplier,
            private.round_noise_multiplier
        );
        let fitted = model.ledger().unwrap().entries();
        let planned = private.ledger.entries();
        for (f, p) in fitted.iter().zip(planned).take(5 + 2) {
            assert_eq!(f.event(), p.event(), "{} vs {}", f.label(), p.label());
            assert_eq!(f.stage(), p.stage());
        }
        // Same columns in the same order: categorical first.
        assert!(
            planned[0].label().contains("`sex`"),
            "{}",
            planned[0].label()
        );
        assert!(fitted[0].label().contains("`sex`"), "{}", fitted[0].label());
        assert!(
            planned[4].label().contains("`income`"),
            "{}",
            planned[4].label()
        );
        assert!(
            fitted[4].label().contains("`income`"),
            "{}",
            fitted[4].label()
        );
    }
}
