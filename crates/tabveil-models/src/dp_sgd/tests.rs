//! Issue 12, item 10: every failure after the first release comes back as
//! [`ModelError::SpentThenFailed`] with its ledger. A failure is injected at each point of a
//! private run after the preprocessing (see [`super::fault`]).

use tabveil_accountant::Stage;
use tabveil_data::{ColumnSchema, Schema, Table, Value};

use super::FAULT_AT;
use crate::error::ModelError;
use crate::privacy::{DpConfig, Privacy};
use crate::progress::NoProgress;
use crate::synthesizer::Synthesizer;
use crate::{Ctgan, CtganConfig, Tvae, TvaeConfig};

fn table() -> (Schema, Table) {
    let schema = Schema::new(
        "t",
        vec![
            ColumnSchema::continuous("x", Some(0.0), Some(10.0)),
            ColumnSchema::categorical("c", ["a", "b", "c"]),
        ],
    )
    .unwrap();
    let rows: Vec<Vec<Value>> = (0..200)
        .map(|i| {
            vec![
                Value::Number((i % 10) as f64),
                Value::from(["a", "b", "c"][i % 3]),
            ]
        })
        .collect();
    let table = Table::from_rows(&schema, &rows).unwrap();
    (schema, table)
}

fn dp() -> Privacy {
    Privacy::Dp(DpConfig::new(3.0, 1e-6).dangerous_noise_seed(3))
}

/// The error of a private fit failing at `point`, for both models.
fn fail_at(point: &'static str) -> Vec<ModelError> {
    let (schema, table) = table();
    FAULT_AT.with(|f| f.set(Some(point)));
    let mut ctgan = Ctgan::new(
        CtganConfig::new(dp())
            .with_epochs(1)
            .with_batch_size(50)
            .with_dims(vec![8], vec![8])
            .with_embedding_dim(4)
            .check()
            .unwrap(),
    );
    let mut tvae = Tvae::new(
        TvaeConfig::new(dp())
            .with_epochs(1)
            .with_batch_size(50)
            .with_dims(vec![8], vec![8])
            .with_embedding_dim(4)
            .check()
            .unwrap(),
    );
    let errors = vec![
        ctgan.fit(&table, &schema, &mut NoProgress).unwrap_err(),
        tvae.fit(&table, &schema, &mut NoProgress).unwrap_err(),
    ];
    FAULT_AT.with(|f| f.set(None));
    assert!(!ctgan.is_fitted() && !tvae.is_fitted());
    errors
}

#[test]
fn every_failure_after_the_preprocessing_returns_its_releases() {
    // Preprocessing releases only (before the first step), then with the steps too.
    for (point, with_steps) in [
        ("prepare", false),
        ("set_up", false),
        ("dp_sgd", false),
        ("finish", true),
        ("model", true),
    ] {
        for e in fail_at(point) {
            let ModelError::SpentThenFailed { error, spent } = &e else {
                panic!("{point}: the releases were dropped: {e:?}");
            };
            assert!(
                matches!(**error, ModelError::Internal(_)),
                "{point}: {error:?}"
            );
            let entries = spent.entries();
            assert!(!entries.is_empty(), "{point}");
            let steps = entries
                .iter()
                .filter(|r| r.stage() == Stage::Training)
                .count();
            assert_eq!(steps > 0, with_steps, "{point}: {steps} training releases");
            assert_eq!(e.spent_ledger(), Some(&**spent));
        }
    }
}

#[test]
fn a_fit_that_does_not_load_back_returns_its_releases() {
    for e in fail_at("load_back") {
        let ModelError::SpentThenFailed { error, spent } = &e else {
            panic!("the releases were dropped: {e:?}");
        };
        assert!(
            matches!(**error, ModelError::UnloadableFit { .. }),
            "{error:?}"
        );
        assert!(!spent.entries().is_empty());
    }
}
