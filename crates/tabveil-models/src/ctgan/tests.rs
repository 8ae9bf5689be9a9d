use tabveil_data::{ColumnSchema, Schema, Table, Value};

use super::*;
use crate::error::ModelError;
use crate::privacy::DpConfig;
use crate::privacy::Privacy;
use crate::progress::NoProgress;
use crate::synthesizer::{Condition, Synthesizer};

/// 300 rows: a bimodal continuous column tied to a categorical one, a nullable categorical and
/// a nullable continuous column.
fn tiny() -> (Schema, Table) {
    let schema = Schema::new(
        "tiny",
        vec![
            ColumnSchema::continuous("x", Some(0.0), Some(100.0)),
            ColumnSchema::categorical("c", ["a", "b", "c"]),
            ColumnSchema::categorical("d", ["u", "v"]).nullable(),
            ColumnSchema::continuous("y", Some(-5.0), Some(5.0)).nullable(),
        ],
    )
    .unwrap();
    let rows: Vec<Vec<Value>> = (0..300)
        .map(|i| {
            let c = ["a", "b", "c"][i % 3];
            let x = if c == "a" { 10.0 } else { 80.0 } + (i % 7) as f64;
            let d = if i % 5 == 0 {
                Value::Null
            } else {
                Value::from(if i % 2 == 0 { "u" } else { "v" })
            };
            let y = if i % 4 == 0 {
                Value::Null
            } else {
                Value::Number((i % 9) as f64 - 4.0)
            };
            vec![Value::Number(x), Value::from(c), d, y]
        })
        .collect();
    let table = Table::from_rows(&schema, &rows).unwrap();
    (schema, table)
}

fn small(privacy: Privacy) -> ValidCtganConfig {
    CtganConfig::new(privacy)
        .with_epochs(2)
        .with_batch_size(60)
        .with_dims(vec![16, 16], vec![16, 16])
        .with_embedding_dim(8)
        .with_seed(5)
        .check()
        .unwrap()
}

#[test]
fn non_private_fit_samples_and_is_reproducible() {
    let (schema, table) = tiny();
    let mut a = Ctgan::new(small(Privacy::NonPrivate));
    let summary = a.fit(&table, &schema, &mut NoProgress).unwrap();
    assert_eq!(summary.stop, crate::StopReason::Completed);
    assert_eq!(summary.epochs, 2);
    assert_eq!(summary.steps, 2 * (300 / 60));
    assert!(a.ledger().is_none());
    let s = a.sample(123, 9).unwrap();
    assert_eq!(s.n_rows(), 123);
    assert_eq!(s.n_columns(), 4);
    let mut b = Ctgan::new(small(Privacy::NonPrivate));
    b.fit(&table, &schema, &mut NoProgress).unwrap();
    assert_eq!(b.sample(123, 9).unwrap(), s);
    assert_ne!(a.sample(123, 10).unwrap(), s);
    // Evaluation-mode sampling: a shorter sample is a prefix of a longer one.
    let prefix = a.sample(50, 9).unwrap();
    assert_eq!(prefix, s.select_rows(&(0..50).collect::<Vec<_>>()).unwrap());
}

#[test]
fn conditional_sampling_honours_every_condition() {
    let (schema, table) = tiny();
    let mut m = Ctgan::new(small(Privacy::NonPrivate));
    m.fit(&table, &schema, &mut NoProgress).unwrap();
    for (col, value, code) in [("c", "b", 1u32), ("c", "c", 2), ("d", "v", 1)] {
        let s = m
            .sample_conditional(40, &[Condition::new(col, value)], 1)
            .unwrap();
        assert_eq!(s.n_rows(), 40);
        let column = s.column(col).unwrap();
        for i in 0..40 {
            assert!(!column.is_null(i));
            assert_eq!(column.as_categorical().unwrap()[i], code);
        }
    }
    let s = m
        .sample_conditional(20, &[Condition::missing("d"), Condition::new("c", "a")], 2)
        .unwrap();
    let d = s.column("d").unwrap();
    assert!((0..20).all(|i| d.is_null(i)));
    assert!(
        s.column("c")
            .unwrap()
            .as_categorical()
            .unwrap()
            .iter()
            .all(|&v| v == 0)
    );
}

#[test]
fn conditional_sampling_errors_are_typed() {
    let (schema, table) = tiny();
    let mut m = Ctgan::new(small(Privacy::NonPrivate));
    assert!(matches!(m.sample(3, 0), Err(ModelError::NotFitted)));
    m.fit(&table, &schema, &mut NoProgress).unwrap();
    assert!(matches!(
        m.sample_conditional(3, &[], 0),
        Err(ModelError::NoConditions)
    ));
    assert!(matches!(
        m.sample_conditional(3, &[Condition::new("c", "a"), Condition::new("c", "b")], 0),
        Err(ModelError::DuplicateCondition { .. })
    ));
    assert!(matches!(
        m.sample_conditional(3, &[Condition::new("x", "1")], 0),
        Err(ModelError::Data(tabveil_data::DataError::Transform(
            tabveil_data::TransformError::NotConditionable { .. }
        )))
    ));
    assert!(matches!(
        m.sample_conditional(3, &[Condition::new("nope", "1")], 0),
        Err(ModelError::Data(tabveil_data::DataError::Schema(
            tabveil_data::SchemaError::UnknownColumn { .. }
        )))
    ));
    assert!(matches!(
        m.sample_conditional(3, &[Condition::new("c", "zzz")], 0),
        Err(ModelError::Data(tabveil_data::DataError::Transform(
            tabveil_data::TransformError::NotACategory { .. }
        )))
    ));
    assert!(matches!(
        m.sample_conditional(3, &[Condition::missing("c")], 0),
        Err(ModelError::Data(tabveil_data::DataError::Transform(
            tabveil_data::TransformError::NotACategory { .. }
        )))
    ));
}

fn dp(seed: u64) -> Privacy {
    Privacy::Dp(DpConfig::new(3.0, 1e-6).dangerous_noise_seed(seed))
}

#[test]
fn private_fit_is_bit_reproducible_with_both_seeds() {
    let (schema, table) = tiny();
    let mut a = Ctgan::new(small(dp(11)));
    let sa = a.fit(&table, &schema, &mut NoProgress).unwrap();
    let mut b = Ctgan::new(small(dp(11)));
    let sb = b.fit(&table, &schema, &mut NoProgress).unwrap();
    assert_eq!(sa, sb);
    assert!(
        a.to_bytes().unwrap() == b.to_bytes().unwrap(),
        "same seeds, different models"
    );
    assert_eq!(a.ledger(), b.ledger());
    let mut c = Ctgan::new(small(dp(12)));
    c.fit(&table, &schema, &mut NoProgress).unwrap();
    assert!(a.to_bytes().unwrap() != c.to_bytes().unwrap());
}

#[test]
fn private_fit_stays_within_budget_and_records_everything() {
    let (schema, table) = tiny();
    let mut m = Ctgan::new(small(dp(3)));
    let summary = m.fit(&table, &schema, &mut NoProgress).unwrap();
    let run = summary.private.unwrap();
    assert!(run.epsilon_spent <= 3.0, "{}", run.epsilon_spent);
    assert_eq!(run.releases, run.planned_releases);
    let ledger = m.ledger().unwrap();
    assert_eq!(
        ledger.noise_randomness(),
        tabveil_accountant::NoiseRandomness::Seeded
    );
    let pre: usize = ledger
        .entries()
        .iter()
        .filter(|e| e.stage() == tabveil_accountant::Stage::Preprocessing)
        .count();
    assert_eq!(pre, 4);
    let steps: u64 = ledger
        .entries()
        .iter()
        .filter(|e| e.stage() == tabveil_accountant::Stage::Training)
        .map(|e| e.event().steps())
        .sum();
    assert_eq!(steps, run.releases);
    assert_eq!(m.sample(30, 0).unwrap().n_rows(), 30);
}

#[test]
fn private_mode_needs_public_bounds() {
    let schema = Schema::new(
        "t",
        vec![
            ColumnSchema::continuous("x", None, None),
            ColumnSchema::categorical("c", ["a", "b"]),
        ],
    )
    .unwrap();
    let rows: Vec<Vec<Value>> = (0..100)
        .map(|i| vec![Value::Number(f64::from(i)), Value::from("a")])
        .collect();
    let table = Table::from_rows(&schema, &rows).unwrap();
    let mut m = Ctgan::new(small(dp(1)));
    assert!(matches!(
        m.fit(&table, &schema, &mut NoProgress),
        Err(ModelError::Data(tabveil_data::DataError::Transform(
            tabveil_data::TransformError::MissingBounds { .. }
        )))
    ));
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Ctgan>();
    check::<ModelError>();
    check::<CtganConfig>();
}
