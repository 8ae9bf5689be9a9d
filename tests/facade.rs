//! The facade's public API end to end on small tables: the builder, validation inside `fit`,
//! the `Fitted` API (sampling from several threads, reports, ledger, save/load to a directory
//! and to bytes) and typed errors.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use std::ops::ControlFlow;
use std::sync::Arc;

use tabveil::models::{ConfigError, ModelError, ModelKind, ModelSettings, Privacy, StopReason};
use tabveil::prelude::*;
use tabveil::validate::Code;
use tabveil::{Error, FIT_RECORD_FILE};

fn schema() -> Schema {
    Schema::new(
        "people",
        vec![
            ColumnSchema::integer("age", Some(18.0), Some(90.0)),
            ColumnSchema::continuous("income", Some(0.0), Some(200.0)),
            ColumnSchema::categorical("smoker", ["no", "yes"]),
            ColumnSchema::categorical("region", ["north", "south", "east", "west"]),
        ],
    )
    .unwrap()
}

fn table(n: usize) -> Table {
    let regions = ["north", "south", "east", "west"];
    let rows: Vec<Vec<Value>> = (0..n)
        .map(|i| {
            let age = 18 + (i * 7) % 70;
            vec![
                Value::Number(age as f64),
                Value::Number((age as f64 * 1.5 + (i % 13) as f64).min(200.0)),
                Value::from(if i % 5 == 0 { "yes" } else { "no" }),
                Value::from(regions[i % 4]),
            ]
        })
        .collect();
    Table::from_rows(&schema(), &rows).unwrap()
}

/// CTGAN small enough for a test.
fn small() -> CtganConfig {
    CtganConfig::new(Privacy::NonPrivate)
        .with_dims(vec![32], vec![32])
        .with_embedding_dim(16)
}

fn private_fit(noise_seed: u64) -> Fitted {
    Synthesizer::builder()
        .ctgan_with(small())
        .private(Epsilon(3.0), Delta(1e-6))
        .epochs(2)
        .batch_size(100)
        .seed(7)
        .dangerous_noise_seed(noise_seed)
        .build()
        .unwrap()
        .fit(&table(800), &schema())
        .unwrap()
}

fn non_private_fit() -> Fitted {
    Synthesizer::builder()
        .ctgan_with(small())
        .non_private()
        .epochs(2)
        .batch_size(100)
        .build()
        .unwrap()
        .fit(&table(500), &schema())
        .unwrap()
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Synthesizer>();
    assert_send_sync::<Fitted>();
    assert_send_sync::<Error>();
    assert_send_sync::<Epsilon>();
    assert_send_sync::<Delta>();
    assert_send_sync::<
        tabveil::builder::SynthesizerBuilder<tabveil::builder::Ready<tabveil::builder::Private>>,
    >();
    assert_send_sync::<PrivacyReport>();
    assert_send_sync::<Table>();
    assert_send_sync::<Schema>();
}

#[test]
fn a_private_fit_spends_at_most_its_budget_and_says_so() {
    let fitted = private_fit(1);
    assert!(fitted.is_private());
    let eps = fitted.epsilon_spent().unwrap().unwrap();
    assert!(eps > 0.0 && eps <= 3.0, "{eps}");
    let ledger = fitted.ledger().unwrap();
    assert!(!ledger.is_empty());
    // The dangerous noise seed is visible: a validator warning and the report.
    assert!(
        fitted
            .warnings()
            .iter()
            .any(|f| f.code == Code::NoiseSeeded),
        "{:?}",
        fitted.warnings()
    );
    let report = fitted.report().unwrap();
    assert!((report.epsilon.unwrap() - eps).abs() < 1e-9);
    // The report shows the private row estimate, not the true count of 800.
    let estimate = fitted.summary().private.as_ref().unwrap().estimated_rows;
    assert_eq!(report.model.n_rows, estimate.round() as u64);
    assert!(report.to_html().unwrap().contains("<svg"));
}

/// The true row count (800) of a private fit is released nowhere: training plans with the DP
/// estimate N̂ (q = B/N̂ on the ledger), and the report, the warnings and the saved fit record
/// carry N̂ only. The noise seed is fixed, so N̂ is the same on every run (and differs from 800).
#[test]
fn a_private_fit_releases_the_row_estimate_never_the_true_count() {
    let fitted = private_fit(1);
    let estimate = fitted.summary().private.as_ref().unwrap().estimated_rows;
    let n_hat = estimate.round() as u64;
    assert_ne!(
        n_hat, 800,
        "the seeded N̂ must differ from N for this test to mean anything"
    );

    let training: Vec<_> = fitted
        .ledger()
        .unwrap()
        .entries()
        .iter()
        .filter(|e| e.stage() == tabveil::accountant::Stage::Training)
        .collect();
    assert!(!training.is_empty());
    for entry in training {
        let q = entry.event().sample_rate();
        assert!(
            (q - 100.0 / n_hat as f64).abs() < 1e-12,
            "q = {q}, N̂ = {n_hat}"
        );
    }

    let report = fitted.report().unwrap();
    assert_eq!(report.model.n_rows, n_hat);
    assert!(report.model.n_rows_estimated);
    let row_count = report.guarantee.as_ref().unwrap().row_count.clone();
    assert!(row_count.contains(&format!("N̂ = {n_hat}")), "{row_count}");
    for text in [
        report.to_json().unwrap(),
        report.to_markdown(),
        report.to_html().unwrap(),
    ] {
        assert!(
            !mentions_number(&text, "800"),
            "the true count appears in a rendering"
        );
    }

    let dir = std::env::temp_dir().join(format!("tabveil-facade-nhat-{}", std::process::id()));
    fitted.save(&dir).unwrap();
    let record = std::fs::read_to_string(dir.join(FIT_RECORD_FILE)).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!mentions_number(&record, "800"), "{record}");
    for finding in fitted.warnings() {
        assert!(
            !mentions_number(&finding.reason, "800") && !mentions_number(&finding.fix, "800"),
            "{finding:?}"
        );
    }
}

/// Whether `text` shows the integer `n` as a number of its own (not inside 5.800946, 1800 or
/// "SP 800-226").
fn mentions_number(text: &str, n: &str) -> bool {
    let bytes = text.as_bytes();
    text.match_indices(n).any(|(i, _)| {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i + n.len()).copied();
        let part_of_number = |c: Option<u8>| {
            c.is_some_and(|c| c.is_ascii_digit() || c == b'.' || c == b'-' || c == b'e')
        };
        !part_of_number(before) && !part_of_number(after)
    })
}

#[test]
fn the_same_seeds_give_the_same_model() {
    let (a, b) = (private_fit(5), private_fit(5));
    assert_eq!(a.sample(50, 1).unwrap(), b.sample(50, 1).unwrap());
    assert_eq!(a.to_bytes().unwrap(), b.to_bytes().unwrap());
}

#[test]
fn validation_errors_block_the_fit_before_any_data_is_used() {
    // Without privacy n is no secret: a batch of 100 for 50 rows is refused before any data
    // is used.
    let synth = Synthesizer::builder()
        .ctgan_with(small())
        .non_private()
        .epochs(1)
        .batch_size(100)
        .build()
        .unwrap();
    let err = synth.fit(&table(50), &schema()).unwrap_err();
    let findings = err.findings().expect("a rejection");
    assert!(
        findings.iter().any(|f| f.code == Code::BatchRange),
        "{findings:?}"
    );
    assert!(err.to_string().contains("E-BATCH-RANGE"), "{err}");
    // The same plan, checked without fitting, gives the same findings.
    let report = synth.validate(&schema(), 50);
    assert!(report.has_errors());
    assert_eq!(
        report.errors().count(),
        findings.iter().filter(|f| f.is_error()).count()
    );
    // In private mode n is private (issue 12, item 7): δ = 0.05 ≥ 1/n for 50 rows does not
    // refuse on n; the fit checks δ against its estimate N̂ after the preprocessing and returns
    // the releases with the error.
    let synth = Synthesizer::builder()
        .ctgan_with(small())
        .private(Epsilon(3.0), Delta(0.05))
        .epochs(1)
        .batch_size(10)
        .dangerous_noise_seed(2)
        .build()
        .unwrap();
    let err = synth.fit(&table(50), &schema()).unwrap_err();
    assert!(err.findings().is_none(), "{err}");
    let Error::Model(ModelError::SpentThenFailed { error, spent }) = &err else {
        panic!("{err}");
    };
    assert!(
        matches!(**error, ModelError::DeltaAtLeastOneOverRows { .. }),
        "{error}"
    );
    assert!(!spent.entries().is_empty());
}

#[test]
fn bad_settings_fail_at_build_with_the_parameter_named() {
    let err = Synthesizer::builder()
        .ctgan()
        .private(Epsilon(f64::NAN), Delta(1e-6))
        .build()
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Config(ConfigError::InvalidParameter {
                parameter: "epsilon",
                ..
            })
        ),
        "{err:?}"
    );
    let err = Synthesizer::builder()
        .ctgan()
        .non_private()
        .batch_size(0)
        .build()
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Config(ConfigError::InvalidParameter {
                parameter: "batch_size",
                ..
            })
        ),
        "{err:?}"
    );
    // A private CTGAN packs one row per example: SDV's pac 10 becomes 1, pac 5 is refused.
    let synth = Synthesizer::builder()
        .ctgan()
        .private(Epsilon(1.0), Delta(1e-6))
        .build()
        .unwrap();
    assert!(matches!(synth.training_config().model, ModelSettings::Ctgan(ref c) if c.pac == 1));
    let err = Synthesizer::builder()
        .ctgan_with(small().with_pac(5))
        .private(Epsilon(1.0), Delta(1e-6))
        .build()
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Config(ConfigError::InvalidParameter {
                parameter: "pac",
                ..
            })
        ),
        "{err:?}"
    );
}

#[test]
fn sampling_from_one_model_on_several_threads_at_once() {
    let fitted = Arc::new(private_fit(2));
    let expected: Vec<Table> = (0..4).map(|s| fitted.sample(300, s).unwrap()).collect();
    let handles: Vec<_> = (0..4u64)
        .map(|s| {
            let fitted = Arc::clone(&fitted);
            std::thread::spawn(move || {
                let plain = fitted.sample(300, s).unwrap();
                let cond = fitted
                    .sample_conditional(20, &[Condition::new("region", "east")], s)
                    .unwrap();
                (plain, cond)
            })
        })
        .collect();
    for (s, h) in handles.into_iter().enumerate() {
        let (plain, cond) = h.join().unwrap();
        assert_eq!(plain, expected[s], "thread {s}");
        let east = cond.column("region").unwrap().as_categorical().unwrap();
        assert!(east.iter().all(|&c| c == 2));
    }
}

#[test]
fn save_and_load_a_directory_and_bytes() {
    for fitted in [private_fit(3), non_private_fit()] {
        let dir = std::env::temp_dir().join(format!(
            "tabveil-facade-{}-{}",
            std::process::id(),
            fitted.is_private()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        fitted.save(&dir).unwrap();
        assert!(dir.join(FIT_RECORD_FILE).is_file());
        let loaded = Fitted::load(&dir).unwrap();
        assert_eq!(loaded.sample(40, 9).unwrap(), fitted.sample(40, 9).unwrap());
        assert_eq!(loaded.summary(), fitted.summary());
        assert_eq!(loaded.warnings(), fitted.warnings());
        assert_eq!(
            loaded.report().unwrap().to_json().unwrap(),
            fitted.report().unwrap().to_json().unwrap()
        );
        let from_bytes = Fitted::from_bytes(&fitted.to_bytes().unwrap()).unwrap();
        assert_eq!(
            from_bytes.sample(40, 9).unwrap(),
            fitted.sample(40, 9).unwrap()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn a_non_private_report_says_no_guarantee() {
    let fitted = non_private_fit();
    assert!(!fitted.is_private());
    assert!(fitted.ledger().is_none());
    assert_eq!(fitted.epsilon_spent().unwrap(), None);
    assert!(fitted.warnings().iter().any(|f| f.code == Code::NonPrivate));
    let report = fitted.report().unwrap();
    assert_eq!(report.epsilon, None);
    assert_eq!(report.model.n_rows, 500);
}

#[test]
fn damaged_or_foreign_bytes_are_typed_errors() {
    let fitted = non_private_fit();
    let bytes = fitted.to_bytes().unwrap();
    // Not ours at all.
    assert!(matches!(
        Fitted::from_bytes(b"hello"),
        Err(Error::CorruptFit { .. })
    ));
    // Truncated anywhere.
    for cut in [0, 5, 12, 19, 40, bytes.len() / 2, bytes.len() - 1] {
        let err = Fitted::from_bytes(&bytes[..cut]).unwrap_err();
        assert!(
            matches!(err, Error::CorruptFit { .. } | Error::Model(_)),
            "cut at {cut}: {err:?}"
        );
    }
    // A flipped bit in the weights (the last bytes) is caught by the models crate's checksum.
    let mut flipped = bytes.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 0x10;
    assert!(matches!(
        Fitted::from_bytes(&flipped),
        Err(Error::Model(ModelError::ChecksumMismatch { .. }))
    ));
    // A missing directory.
    let missing = std::env::temp_dir().join("tabveil-facade-no-such-model");
    assert!(Fitted::load(&missing).is_err());
}

/// Cancels after the first epoch.
struct StopAfterOne;

impl Progress for StopAfterOne {
    fn epoch(&mut self, _report: &EpochReport) -> ControlFlow<()> {
        ControlFlow::Break(())
    }
}

#[test]
fn a_cancelled_fit_is_usable_and_its_ledger_holds_what_was_spent() {
    let synth = Synthesizer::builder()
        .ctgan_with(small())
        .private(Epsilon(3.0), Delta(1e-6))
        .epochs(5)
        .batch_size(100)
        .dangerous_noise_seed(4)
        .build()
        .unwrap();
    let fitted = synth
        .fit_with_progress(&table(800), &schema(), &mut StopAfterOne)
        .unwrap();
    assert_eq!(fitted.summary().stop, StopReason::Cancelled);
    assert_eq!(fitted.summary().epochs, 1);
    let spent = fitted.epsilon_spent().unwrap().unwrap();
    assert!(spent < 3.0, "{spent}");
    assert_eq!(fitted.sample(10, 0).unwrap().n_rows(), 10);
}

#[test]
fn a_marginal_fit_reports_rounds_and_cancels_between_them_or_fails_with_its_releases() {
    let synth = Synthesizer::builder()
        .marginal()
        .private(Epsilon(3.0), Delta(1e-6))
        .dangerous_noise_seed(4)
        .build()
        .unwrap();
    // Between rounds: a usable model whose ledger holds the one-way histograms and one round.
    let fitted = synth
        .fit_with_progress(&table(800), &schema(), &mut StopAfterOne)
        .unwrap();
    assert_eq!(fitted.summary().stop, StopReason::Cancelled);
    assert_eq!(fitted.summary().epochs, 1);
    let ledger = fitted.ledger().unwrap();
    let one_way = ledger
        .entries()
        .iter()
        .filter(|e| e.stage() == tabveil::accountant::Stage::Preprocessing)
        .count();
    assert_eq!(one_way, schema().n_columns());
    assert_eq!(ledger.entries().len(), one_way + 2);
    let spent = fitted.epsilon_spent().unwrap().unwrap();
    assert!(spent < 3.0, "{spent}");
    assert_eq!(fitted.sample(10, 0).unwrap().n_rows(), 10);
    // During the one-way histograms: an error that carries the releases already made.
    struct StopAtFirstColumn;
    impl Progress for StopAtFirstColumn {
        fn preprocessing(&mut self, _: usize, _: usize, _: &str) -> ControlFlow<()> {
            ControlFlow::Break(())
        }
    }
    let Err(Error::Model(e)) =
        synth.fit_with_progress(&table(800), &schema(), &mut StopAtFirstColumn)
    else {
        panic!("a fit cancelled during its one-way histograms must fail");
    };
    assert!(e.is_cancelled());
    assert_eq!(e.spent_ledger().unwrap().entries().len(), 1);
}

#[test]
fn tvae_through_the_same_builder() {
    let small = TvaeConfig::new(Privacy::NonPrivate)
        .with_dims(vec![32], vec![32])
        .with_embedding_dim(8);
    for private in [true, false] {
        let builder = Synthesizer::builder().tvae_with(small.clone());
        let synth = if private {
            builder
                .private(Epsilon(2.0), Delta(1e-6))
                .epochs(2)
                .batch_size(100)
                .dangerous_noise_seed(3)
                .build()
                .unwrap()
        } else {
            builder
                .non_private()
                .epochs(2)
                .batch_size(100)
                .build()
                .unwrap()
        };
        assert_eq!(synth.kind(), ModelKind::Tvae);
        let fitted = synth.fit(&table(800), &schema()).unwrap();
        assert_eq!(fitted.is_private(), private);
        if private {
            assert!(fitted.epsilon_spent().unwrap().unwrap() <= 2.0);
        }
        let again = Fitted::from_bytes(&fitted.to_bytes().unwrap()).unwrap();
        assert_eq!(again.kind(), ModelKind::Tvae);
        assert_eq!(again.sample(30, 4).unwrap(), fitted.sample(30, 4).unwrap());
        let report = again.report().unwrap();
        assert_eq!(report.model.model, "TVAE");
    }
}

/// A fit given a released row estimate records exactly the ledger planned before it started
/// (the mechanisms: q, σ and counts), for every registered model (each answers through its
/// `ModelSpec`), and its validation uses the estimate, not the true count.
#[test]
fn a_fit_with_a_row_estimate_records_the_ledger_planned_up_front() {
    let mechanisms = |l: &tabveil::accountant::PrivacyLedger| {
        let mut m: Vec<(u64, Option<u64>, u64)> = l
            .entries()
            .iter()
            .map(|e| {
                let ev = e.event();
                (
                    ev.sample_rate().to_bits(),
                    ev.noise_multiplier().map(f64::to_bits),
                    ev.steps(),
                )
            })
            .collect();
        m.sort_unstable();
        m
    };
    // The DP-SGD models: their schedule is fixed up front. (The marginal model's run is
    // adaptive; its plan bounds it, checked in `the_marginal_plan_bounds_its_run`.)
    for kind in ModelKind::all() {
        // Small networks, set through the model's own answers.
        let mut settings = ModelSettings::defaults(kind, Privacy::NonPrivate);
        if settings.spec().schedule().is_none() {
            continue;
        }
        settings.spec_mut().set_hidden_dims(vec![32]).unwrap();
        settings.spec_mut().set_embedding_dim(16).unwrap();
        let planned_for = |rows: f64| {
            Synthesizer::builder()
                .model_with(settings.clone())
                .private(Epsilon(2.0), Delta(1e-6))
                .row_estimate(rows)
                .epochs(2)
                .batch_size(50)
                .seed(3)
                .dangerous_noise_seed(5)
                .build()
                .unwrap()
        };
        let synth = planned_for(480.0);
        assert_eq!(synth.row_estimate(), Some(480.0));
        // The estimate, not the count passed, is what the plan uses (as the fit does).
        let planned = synth.planned_ledger(&schema(), 480).unwrap().unwrap();
        assert_eq!(
            synth.planned_ledger(&schema(), 7).unwrap().unwrap(),
            planned
        );
        let fitted = synth.fit(&table(400), &schema()).unwrap();
        let actual = fitted.ledger().unwrap();
        assert_eq!(mechanisms(&planned), mechanisms(actual), "{kind}");
        assert_eq!(planned.noise_randomness(), actual.noise_randomness());
        let private = fitted.summary().private.as_ref().unwrap();
        assert_eq!(private.estimated_rows, 480.0);
        assert!((private.sample_rate - 50.0 / 480.0).abs() < 1e-15);
        // The plan is checked at the estimate: 30 rows against an estimate of 480 still fit
        // (the true count decides nothing), and a batch above the estimate is refused before
        // any data.
        assert!(planned_for(480.0).fit(&table(30), &schema()).is_ok());
        let err = planned_for(40.0).fit(&table(400), &schema()).unwrap_err();
        assert!(err.findings().is_some(), "{err}");
        let err = planned_for(40.0)
            .planned_ledger(&schema(), 400)
            .unwrap_err();
        assert!(err.findings().is_some(), "{err}");
    }
    // A non-private synthesizer plans no ledger; a bad estimate is named at build.
    let plain = Synthesizer::builder()
        .ctgan_with(small())
        .non_private()
        .build()
        .unwrap();
    assert_eq!(plain.planned_ledger(&schema(), 400).unwrap(), None);
    let bad = Synthesizer::builder()
        .ctgan()
        .private(Epsilon(1.0), Delta(1e-6))
        .row_estimate(0.0)
        .build();
    assert!(bad.unwrap_err().to_string().contains("row_estimate"));
}

/// The marginal model's plan (its run is adaptive) is its run without annealing — the one-way
/// histograms, then every planned round at the initial noise: at least what the run then
/// records, under RDP, and within the target.
#[test]
fn the_marginal_plan_bounds_its_run() {
    use tabveil::accountant::{AccountantSpec, epsilon_of};
    let synth = Synthesizer::builder()
        .marginal()
        .private(Epsilon(2.0), Delta(1e-6))
        .seed(3)
        .dangerous_noise_seed(5)
        .build()
        .unwrap();
    let planned = synth.planned_ledger(&schema(), 400).unwrap().unwrap();
    let fitted = synth.fit(&table(400), &schema()).unwrap();
    let rdp = AccountantSpec::rdp();
    let planned_eps = epsilon_of(&planned, &rdp, 1e-6).unwrap().epsilon;
    let actual_eps = epsilon_of(fitted.ledger().unwrap(), &rdp, 1e-6)
        .unwrap()
        .epsilon;
    assert!(
        actual_eps <= planned_eps + 1e-9,
        "{actual_eps} > {planned_eps}"
    );
    assert!(planned_eps <= 2.0 + 1e-9, "{planned_eps}");
}
