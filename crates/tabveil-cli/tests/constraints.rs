//! Public constraints through the shell: `validate` and `fit` refuse a schema with an
//! impossible constraint before anything is read or released; `fit` and `sample` pass a
//! valid one through, and every sampled row (CSV, Parquet, Arrow IPC, chunk after chunk)
//! meets it.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tabveil::data::{CsvOptions, Schema, Table, read_table_path};

const COLUMNS: &str = r#"
  "name": "people",
  "columns": [
    {"name": "age", "kind": "continuous", "min": 0, "max": 100, "integer": true},
    {"name": "city", "kind": "categorical", "categories": ["north", "south", "east"], "nullable": true},
    {"name": "paid", "kind": "categorical", "categories": ["no", "yes"]}
  ],"#;

fn schema(constraints: &str) -> String {
    format!("{{{COLUMNS}\n  \"constraints\": {constraints}\n}}")
}

/// Payers are 46 or older (true of the training rows, but never checked on them).
const PAYERS: &str = r#"[{"name": "payers are 46 or older", "kind": "conditional_range",
  "column": "age", "min": 46, "when": {"column": "paid", "values": ["yes"]}}]"#;

/// A range that misses the column's public bounds.
const IMPOSSIBLE: &str = r#"[{"name": "centenarians", "kind": "conditional_range",
  "column": "age", "min": 120, "when": {"column": "paid", "values": ["yes"]}}]"#;

fn csv(n: usize) -> String {
    let cities = ["north", "south", "east", ""];
    let mut s = String::from("age,city,paid\n");
    for i in 0..n {
        let age = 20 + (i * 7) % 50;
        let paid = if age > 45 { "yes" } else { "no" };
        s.push_str(&format!("{age},{},{paid}\n", cities[i % 4]));
    }
    s
}

struct Fixture {
    dir: PathBuf,
}

impl Fixture {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "tabveil-cli-constraints-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("payers.json"), schema(PAYERS)).unwrap();
        std::fs::write(dir.join("impossible.json"), schema(IMPOSSIBLE)).unwrap();
        std::fs::write(dir.join("train.csv"), csv(600)).unwrap();
        Self { dir }
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tabveil"))
            .args(args)
            .current_dir(&self.dir)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    fn fit(&self, schema: &str, privacy: &[&str]) -> Output {
        let mut args = vec![
            "fit",
            "--data",
            "train.csv",
            "--schema",
            schema,
            "--epochs",
            "2",
            "--batch-size",
            "100",
            "--seed",
            "1",
            "--out",
            "model",
        ];
        args.extend_from_slice(privacy);
        self.run(&args)
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn an_impossible_constraint_is_refused_before_any_release() {
    let f = Fixture::new("impossible");
    let validate = f.run(&[
        "validate",
        "--schema",
        "impossible.json",
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
    let fit = f.fit("impossible.json", &["--epsilon", "3", "--delta", "1e-6"]);
    assert!(!fit.status.success());
    let err = stderr(&fit);
    assert!(
        err.contains("constraint `centenarians` cannot be met"),
        "{err}"
    );
    // Refused when the schema was read: no model, nothing trained, no ledger written.
    assert!(!f.path("model").exists());
    assert!(!err.contains("training"), "{err}");
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
    let f = Fixture::new("payers");
    let fit = f.fit("payers.json", &["--no-privacy"]);
    assert!(fit.status.success(), "{}", stderr(&fit));
    let schema = Schema::from_path(f.path("payers.json")).unwrap();
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
