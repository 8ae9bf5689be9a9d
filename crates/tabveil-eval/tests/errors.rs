//! Bad input gives a typed error, never a panic (issue 9).

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions"
)]

use tabveil_data::{Column, ColumnSchema, Schema, Table};
use tabveil_eval::{EvalError, EvaluationConfig, TableRole, evaluate};

fn schema() -> Schema {
    Schema::new(
        "t",
        vec![
            ColumnSchema::continuous("x", None, None),
            ColumnSchema::categorical("c", ["a", "b"]),
            ColumnSchema::categorical("y", ["no", "yes"]),
        ],
    )
    .unwrap()
}

fn table(schema: &Schema, n: usize) -> Table {
    Table::new(
        schema,
        vec![
            Column::continuous("x", (0..n).map(|i| i as f64).collect()),
            Column::categorical("c", (0..n).map(|i| (i % 2) as u32).collect()),
            Column::categorical("y", (0..n).map(|i| ((i / 2) % 2) as u32).collect()),
        ],
    )
    .unwrap()
}

#[test]
fn empty_synthetic_table() {
    let s = schema();
    let err = evaluate(
        &s,
        &table(&s, 8),
        &table(&s, 0),
        None,
        &EvaluationConfig::default(),
    );
    assert_eq!(
        err.unwrap_err(),
        EvalError::EmptyTable {
            table: TableRole::Synthetic
        }
    );
    let err = evaluate(
        &s,
        &table(&s, 8),
        &table(&s, 8),
        Some(&table(&s, 0)),
        &EvaluationConfig::default(),
    );
    assert_eq!(
        err.unwrap_err(),
        EvalError::EmptyTable {
            table: TableRole::Holdout
        }
    );
}

#[test]
fn mismatched_columns() {
    let s = schema();
    // The synthetic table lacks `y`.
    let narrow = Schema::new(
        "t",
        vec![
            ColumnSchema::continuous("x", None, None),
            ColumnSchema::categorical("c", ["a", "b"]),
        ],
    )
    .unwrap();
    let synthetic = Table::new(
        &narrow,
        vec![
            Column::continuous("x", vec![1.0, 2.0]),
            Column::categorical("c", vec![0, 1]),
        ],
    )
    .unwrap();
    let err = evaluate(
        &s,
        &table(&s, 8),
        &synthetic,
        None,
        &EvaluationConfig::default(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        EvalError::MissingColumn {
            table: TableRole::Synthetic,
            column: "y".into()
        }
    );

    // The synthetic table has an extra column `z`.
    let wide = Schema::new(
        "t",
        vec![
            ColumnSchema::continuous("x", None, None),
            ColumnSchema::categorical("c", ["a", "b"]),
            ColumnSchema::categorical("y", ["no", "yes"]),
            ColumnSchema::continuous("z", None, None),
        ],
    )
    .unwrap();
    let synthetic = Table::new(
        &wide,
        vec![
            Column::continuous("x", vec![1.0]),
            Column::categorical("c", vec![0]),
            Column::categorical("y", vec![1]),
            Column::continuous("z", vec![1.0]),
        ],
    )
    .unwrap();
    let err = evaluate(
        &s,
        &table(&s, 8),
        &synthetic,
        None,
        &EvaluationConfig::default(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        EvalError::UnexpectedColumn {
            table: TableRole::Synthetic,
            column: "z".into()
        }
    );

    // `c` is continuous in the synthetic table.
    let other = Schema::new(
        "t",
        vec![
            ColumnSchema::continuous("x", None, None),
            ColumnSchema::continuous("c", None, None),
            ColumnSchema::categorical("y", ["no", "yes"]),
        ],
    )
    .unwrap();
    let synthetic = Table::new(
        &other,
        vec![
            Column::continuous("x", vec![1.0]),
            Column::continuous("c", vec![0.5]),
            Column::categorical("y", vec![1]),
        ],
    )
    .unwrap();
    let err = evaluate(
        &s,
        &table(&s, 8),
        &synthetic,
        None,
        &EvaluationConfig::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, EvalError::KindMismatch { table: TableRole::Synthetic, ref column, .. } if column == "c")
    );
}

#[test]
fn target_not_in_schema() {
    let s = schema();
    let t = table(&s, 8);
    let config = EvaluationConfig::default().with_target("income");
    let err = evaluate(&s, &t, &t, Some(&t), &config).unwrap_err();
    assert_eq!(
        err,
        EvalError::UnknownColumn {
            role: "target",
            column: "income".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "the target column \"income\" is not in the schema"
    );
}

#[test]
fn bad_target_and_sensitive_columns() {
    let s = schema();
    let t = table(&s, 8);
    let err = evaluate(
        &s,
        &t,
        &t,
        Some(&t),
        &EvaluationConfig::default().with_target("x"),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        EvalError::UnsupportedColumnKind { role: "target", .. }
    ));
    let config = EvaluationConfig::default()
        .with_target("y")
        .with_positive_class("maybe");
    let err = evaluate(&s, &t, &t, Some(&t), &config).unwrap_err();
    assert_eq!(
        err,
        EvalError::UnknownPositiveClass {
            column: "y".into(),
            class: "maybe".into()
        }
    );
    let config = EvaluationConfig::default().with_sensitive("nope");
    let err = evaluate(&s, &t, &t, Some(&t), &config).unwrap_err();
    assert_eq!(
        err,
        EvalError::UnknownColumn {
            role: "sensitive",
            column: "nope".into()
        }
    );
    let err = evaluate(
        &s,
        &t,
        &t,
        None,
        &EvaluationConfig::default().with_threads(0),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        EvalError::InvalidConfig {
            parameter: "threads",
            ..
        }
    ));
}

#[test]
fn multiclass_target_is_refused() {
    let s = Schema::new(
        "t",
        vec![
            ColumnSchema::continuous("x", None, None),
            ColumnSchema::categorical("k", ["a", "b", "c"]),
        ],
    )
    .unwrap();
    let t = Table::new(
        &s,
        vec![
            Column::continuous("x", vec![1.0, 2.0, 3.0]),
            Column::categorical("k", vec![0, 1, 2]),
        ],
    )
    .unwrap();
    let err = evaluate(
        &s,
        &t,
        &t,
        Some(&t),
        &EvaluationConfig::default().with_target("k"),
    )
    .unwrap_err();
    assert_eq!(
        err,
        EvalError::NotBinaryTarget {
            column: "k".into(),
            classes: 3
        }
    );
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<EvalError>();
    check::<EvaluationConfig>();
    check::<tabveil_eval::EvaluationReport>();
}
