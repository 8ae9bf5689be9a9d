//! Public constraints through the shell: `validate` and `fit` refuse a schema with an
//! impossible constraint before anything is read or released; `fit` and `sample` pass a
//! valid one through, and every sampled row (CSV, Parquet, Arrow IPC, chunk after chunk)
//! meets it.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

mod common;

use std::path::Path;

use common::{Fixture, SCHEMA, started_fitting, stderr};
use tabveil::data::{CsvOptions, Schema, Table, read_table_path};

/// The tests' schema with `constraints`.
fn with_constraints(constraints: &str) -> String {
    let end = SCHEMA.rfind(']').unwrap() + 1;
    format!("{},\n  \"constraints\": {constraints}\n}}", &SCHEMA[..end])
}

/// Payers are 46 or older (true of the training rows, but never checked on them).
const PAYERS: &str = r#"[{"name": "payers are 46 or older", "kind": "conditional_range",
  "column": "age", "min": 46, "when": {"column": "paid", "values": ["yes"]}}]"#;

/// A range that misses the column's public bounds.
const IMPOSSIBLE: &str = r#"[{"name": "centenarians", "kind": "conditional_range",
  "column": "age", "min": 120, "when": {"column": "paid", "values": ["yes"]}}]"#;

#[test]
fn an_impossible_constraint_is_refused_before_any_release() {
    let f = Fixture::new("constraints-impossible");
    std::fs::write(f.path("schema.json"), with_constraints(IMPOSSIBLE)).unwrap();
    let validate = f.run(&[
        "validate",
        "--schema",
        "schema.json",
        "--rows",
        "600",
        "--epsilon",
        "3",
        "--delta",
        "1e-6",
    ]);
    assert!(!validate.status.success());
    assert!(
        stderr(&validate).contains("constraint `centenarians` cannot be met"),
        "{}",
        stderr(&validate)
    );
    let fit = f.fit("model", &["--epsilon", "3", "--delta", "1e-6"]);
    assert!(!fit.status.success());
    let err = stderr(&fit);
    assert!(
        err.contains("constraint `centenarians` cannot be met"),
        "{err}"
    );
    // Refused when the schema was read: nothing computed on the data, no model, no ledger.
    assert!(!started_fitting(&fit), "{err}");
    assert!(!f.path("model").exists());
}

fn payers_hold(table: &Table) -> bool {
    let age = table.column("age").unwrap().as_continuous().unwrap();
    let paid = table.column("paid").unwrap().as_categorical().unwrap();
    age.iter().zip(paid).all(|(a, p)| *p == 0 || *a >= 46.0)
}

fn read(path: &Path, schema: &Schema) -> Table {
    read_table_path(path, schema, &CsvOptions::default())
        .unwrap()
        .0
}

#[test]
fn fit_and_sample_pass_the_constraints_through_every_output() {
    let f = Fixture::new("constraints-payers");
    std::fs::write(f.path("schema.json"), with_constraints(PAYERS)).unwrap();
    let fit = f.fit("model", &["--no-privacy"]);
    assert!(fit.status.success(), "{}", stderr(&fit));
    let schema = Schema::from_path(f.path("schema.json")).unwrap();
    // 25 000 rows: three chunks of the CLI's 10 000.
    for out in ["rows.csv", "rows.parquet", "rows.arrow"] {
        let sample = f.run(&[
            "sample", "--model", "model", "--rows", "25000", "--seed", "4", "--out", out,
        ]);
        assert!(sample.status.success(), "{out}: {}", stderr(&sample));
        let table = read(&f.path(out), &schema);
        assert_eq!(table.n_rows(), 25_000, "{out}");
        assert!(payers_hold(&table), "{out}");
    }
    // The three files hold the same rows.
    let csv = read(&f.path("rows.csv"), &schema);
    assert_eq!(read(&f.path("rows.parquet"), &schema), csv);
    assert_eq!(read(&f.path("rows.arrow"), &schema), csv);
    // With a condition too.
    let sample = f.run(&[
        "sample",
        "--model",
        "model",
        "--rows",
        "300",
        "--condition",
        "paid=yes",
        "--out",
        "payers.csv",
    ]);
    assert!(sample.status.success(), "{}", stderr(&sample));
    let table = read(&f.path("payers.csv"), &schema);
    assert_eq!(table.n_rows(), 300);
    assert!(payers_hold(&table));
    assert!(
        table
            .column("paid")
            .unwrap()
            .as_categorical()
            .unwrap()
            .iter()
            .all(|p| *p == 1)
    );
}
