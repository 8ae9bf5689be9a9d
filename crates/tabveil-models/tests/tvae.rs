//! TVAE through the public API: tables with many categorical columns and nulls in continuous
//! columns, private and non-private; saving and loading (directory and bytes); typed errors for
//! damaged or mismatched models; no real row in a saved model.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use tabveil_accountant::{Accountant, RdpAccountant};
use tabveil_data::{ColumnSchema, Schema, Table, Value};
use tabveil_models::{
    Condition, Ctgan, CtganConfig, DpConfig, ModelError, ModelKind, NoProgress, Privacy,
    StopReason, Synthesizer, Tvae, TvaeConfig, TvaeSampling, ValidTvaeConfig, saved_model_kind,
};

/// 400 rows × 14 columns: 12 categorical columns (2 to 30 categories, two nullable, one of them
/// mostly null), a nullable continuous column (a third missing) and a skewed continuous one.
fn wide() -> (Schema, Table) {
    let mut columns = Vec::new();
    for k in 0..12usize {
        let n = [2, 3, 5, 8, 30, 4, 2, 6, 12, 3, 7, 2][k];
        let cats: Vec<String> = (0..n).map(|i| format!("k{k}v{i}")).collect();
        let c = ColumnSchema::categorical(format!("cat{k}"), cats);
        columns.push(if k == 3 || k == 7 { c.nullable() } else { c });
    }
    columns.push(ColumnSchema::continuous("amount", Some(0.0), Some(1000.0)).nullable());
    columns.push(ColumnSchema::continuous("score", Some(-3.0), Some(3.0)));
    let schema = Schema::new("wide", columns).unwrap();
    let sizes = [2usize, 3, 5, 8, 30, 4, 2, 6, 12, 3, 7, 2];
    let rows: Vec<Vec<Value>> = (0..400usize)
        .map(|i| {
            let mut row: Vec<Value> = sizes
                .iter()
                .enumerate()
                .map(|(k, &n)| {
                    if (k == 3 && i % 6 == 0) || (k == 7 && i % 10 != 0) {
                        Value::Null
                    } else {
                        // Columns 0 and 1 move together; the others are spread.
                        let v = if k == 1 {
                            (i % 2) + (i % 5 == 0) as usize
                        } else {
                            (i * (k + 1) + i / 7) % n
                        };
                        Value::from(format!("k{k}v{v}").as_str())
                    }
                })
                .collect();
            row.push(if i % 3 == 0 {
                Value::Null
            } else {
                Value::Number(((i * 37) % 1000) as f64 * 0.7)
            });
            row.push(Value::Number(((i % 13) as f64 - 6.0) / 2.5));
            row
        })
        .collect();
    (schema.clone(), Table::from_rows(&schema, &rows).unwrap())
}

fn config(privacy: Privacy) -> ValidTvaeConfig {
    TvaeConfig::new(privacy)
        .with_epochs(3)
        .with_batch_size(64)
        .with_dims(vec![32], vec![32])
        .with_embedding_dim(16)
        .with_seed(9)
        .check()
        .unwrap()
}

fn dp(noise_seed: u64) -> Privacy {
    Privacy::Dp(DpConfig::new(2.0, 1e-6).dangerous_noise_seed(noise_seed))
}

fn fitted(privacy: Privacy) -> Tvae {
    let (schema, table) = wide();
    let mut m = Tvae::new(config(privacy));
    m.fit(&table, &schema, &mut NoProgress).unwrap();
    m
}

#[test]
fn wide_tables_with_nulls_fit_and_sample_in_both_modes() {
    let (schema, _) = wide();
    for privacy in [Privacy::NonPrivate, dp(1)] {
        let private = privacy.is_private();
        let m = fitted(privacy);
        assert_eq!(m.kind(), ModelKind::Tvae);
        assert_eq!(m.schema(), Some(&schema));
        let summary = m.summary().unwrap();
        assert_eq!(summary.stop, StopReason::Completed);
        for mode in [TvaeSampling::Softmax, TvaeSampling::Argmax] {
            let s = m.clone().with_sampling(mode).sample(500, 2).unwrap();
            assert_eq!(s.n_rows(), 500);
            assert_eq!(s.n_columns(), 14);
            // Every value respects the schema's bounds.
            let amount = s.column("amount").unwrap();
            for (i, v) in amount.as_continuous().unwrap().iter().enumerate() {
                assert!(amount.is_null(i) || (0.0..=1000.0).contains(v), "{v}");
            }
        }
        // Softmax sampling keeps the nulls of a continuous column.
        let s = m.sample(500, 2).unwrap();
        let amount = s.column("amount").unwrap();
        let nulls = (0..500).filter(|&i| amount.is_null(i)).count();
        assert!(nulls > 0, "private = {private}");
        if private {
            // The ledger spends at most the target, recomputed from the ledger itself.
            let mut acc = RdpAccountant::default();
            m.ledger().unwrap().replay_into(&mut acc).unwrap();
            assert!(acc.epsilon(1e-6).unwrap() <= 2.0);
        } else {
            assert!(m.ledger().is_none());
        }
    }
}

#[test]
fn conditional_sampling_on_any_categorical_column() {
    let m = fitted(Privacy::NonPrivate);
    let conditions = [
        Condition::new("cat4", "k4v7"),
        Condition::new("cat0", "k0v1"),
    ];
    let s = m.sample_conditional(20, &conditions, 5).unwrap();
    assert_eq!(s.n_rows(), 20);
    assert!(
        s.column("cat4")
            .unwrap()
            .as_categorical()
            .unwrap()
            .iter()
            .all(|&v| v == 7)
    );
    assert!(
        s.column("cat0")
            .unwrap()
            .as_categorical()
            .unwrap()
            .iter()
            .all(|&v| v == 1)
    );
}

#[test]
fn directory_and_bytes_round_trips_sample_identically() {
    for privacy in [Privacy::NonPrivate, dp(4)] {
        let m = fitted(privacy);
        let expected = m.sample(77, 3).unwrap();
        let dir = std::env::temp_dir().join(format!(
            "tabveil-tvae-roundtrip-{}-{}",
            std::process::id(),
            m.config().privacy.is_private()
        ));
        m.save(&dir).unwrap();
        for file in [
            "model.json",
            "config.json",
            "schema.json",
            "transformer.json",
            "training.json",
            "parameters.safetensors",
        ] {
            assert!(dir.join(file).exists(), "{file}");
        }
        assert!(!dir.join("conditions.json").exists());
        assert_eq!(
            dir.join("ledger.json").exists(),
            m.config().privacy.is_private()
        );
        let from_dir = Tvae::load(&dir).unwrap();
        assert_eq!(from_dir.sample(77, 3).unwrap(), expected);
        assert_eq!(from_dir.ledger(), m.ledger());
        assert_eq!(from_dir.summary(), m.summary());
        assert_eq!(from_dir.sigma().unwrap(), m.sigma().unwrap());
        let bytes = m.to_bytes().unwrap();
        assert_eq!(saved_model_kind(&bytes).unwrap(), ModelKind::Tvae);
        let from_bytes = Tvae::from_bytes(&bytes).unwrap();
        assert_eq!(from_bytes.sample(77, 3).unwrap(), expected);
        assert!(
            from_bytes.to_bytes().unwrap() == bytes,
            "re-saving changes the bytes"
        );
        // The sampling mode is saved with the configuration.
        let argmax = m.clone().with_sampling(TvaeSampling::Argmax);
        let back = Tvae::from_bytes(&argmax.to_bytes().unwrap()).unwrap();
        assert_eq!(back.config().sampling, TvaeSampling::Argmax);
        assert_eq!(back.sample(77, 3).unwrap(), argmax.sample(77, 3).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn damaged_or_mismatched_models_are_typed_errors() {
    let m = fitted(Privacy::NonPrivate);
    let bytes = m.to_bytes().unwrap();
    // A flipped bit anywhere: a typed error, never a panic or a different model.
    for position in [9, bytes.len() / 2, bytes.len() - 1] {
        let mut damaged = bytes.clone();
        damaged[position] ^= 0x10;
        assert!(Tvae::from_bytes(&damaged).is_err(), "flip at {position}");
    }
    assert!(Tvae::from_bytes(&bytes[..bytes.len() / 3]).is_err());
    assert!(Tvae::from_bytes(b"not a model").is_err());
    // A TVAE is not a CTGAN and the other way round.
    assert!(matches!(
        Ctgan::from_bytes(&bytes),
        Err(ModelError::WrongModelKind {
            expected: "ctgan",
            ..
        })
    ));
    let (schema, table) = wide();
    let mut ctgan = Ctgan::new(
        CtganConfig::new(Privacy::NonPrivate)
            .with_epochs(1)
            .with_batch_size(40)
            .with_dims(vec![8], vec![8])
            .with_embedding_dim(4)
            .check()
            .unwrap(),
    );
    ctgan.fit(&table, &schema, &mut NoProgress).unwrap();
    assert!(matches!(
        Tvae::from_bytes(&ctgan.to_bytes().unwrap()),
        Err(ModelError::WrongModelKind {
            expected: "tvae",
            ..
        })
    ));
    // A missing directory.
    assert!(matches!(
        Tvae::load(&std::env::temp_dir().join("tabveil-tvae-no-such-model")),
        Err(ModelError::Io { .. })
    ));
}

/// A saved model holds no real row: continuous values with distinctive decimals never appear
/// in the saved bytes (private and non-private), and a private model does not save its noise
/// seed.
#[test]
fn a_saved_model_holds_no_rows_and_no_noise_seed() {
    let schema = Schema::new(
        "t",
        vec![
            ColumnSchema::continuous("x", Some(0.0), Some(1000.0)),
            ColumnSchema::categorical("c", ["a", "b"]),
        ],
    )
    .unwrap();
    let values: Vec<f64> = (0..300)
        .map(|i| 100.000_321 + i as f64 * 1.234_567_89)
        .collect();
    let rows: Vec<Vec<Value>> = values
        .iter()
        .enumerate()
        .map(|(i, x)| vec![Value::Number(*x), Value::from(["a", "b"][i % 2])])
        .collect();
    let table = Table::from_rows(&schema, &rows).unwrap();
    let seed = 987_654_321_123u64;
    for privacy in [
        Privacy::NonPrivate,
        Privacy::Dp(DpConfig::new(3.0, 1e-6).dangerous_noise_seed(seed)),
    ] {
        let mut m = Tvae::new(config(privacy));
        m.fit(&table, &schema, &mut NoProgress).unwrap();
        let bytes = m.to_bytes().unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for x in &values {
            let needle = format!("{x}");
            assert!(!text.contains(&needle), "{needle} found in the saved model");
            let f = (*x as f32).to_le_bytes();
            assert!(!bytes.windows(4).any(|w| w == f), "{x} as f32 found");
        }
        assert!(!text.contains(&seed.to_string()));
    }
}
