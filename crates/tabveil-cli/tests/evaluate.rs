//! `tabveil evaluate` end to end on small CSV files.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SCHEMA: &str = r#"{
  "name": "people",
  "target": "paid",
  "positive_class": "yes",
  "columns": [
    {"name": "age", "kind": "continuous", "min": 0, "max": 100, "integer": true},
    {"name": "city", "kind": "categorical", "categories": ["north", "south", "east"], "nullable": true},
    {"name": "paid", "kind": "categorical", "categories": ["no", "yes"]}
  ]
}"#;

/// A CSV of `n` rows; `shift` changes the rows, `age_offset` shifts every age.
fn csv(n: usize, shift: usize, age_offset: usize) -> String {
    let cities = ["north", "south", "east", ""];
    let mut s = String::from("age,city,paid\n");
    for i in 0..n {
        let age = 20 + (i * 7 + shift) % 50 + age_offset;
        let city = cities[(i + shift) % 4];
        let paid = if age > 45 { "yes" } else { "no" };
        s.push_str(&format!("{age},{city},{paid}\n"));
    }
    s
}

struct Fixture {
    dir: PathBuf,
}

impl Fixture {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "tabveil-cli-evaluate-{name}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("schema.json"), SCHEMA).unwrap();
        std::fs::write(dir.join("train.csv"), csv(120, 0, 0)).unwrap();
        std::fs::write(dir.join("synthetic.csv"), csv(100, 3, 1)).unwrap();
        std::fs::write(dir.join("holdout.csv"), csv(40, 5, 0)).unwrap();
        Self { dir }
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    fn run(&self, extra: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tabveil"));
        cmd.arg("evaluate")
            .arg("--real")
            .arg(self.path("train.csv"))
            .arg("--synthetic")
            .arg(self.path("synthetic.csv"))
            .arg("--schema")
            .arg(self.path("schema.json"));
        cmd.args(extra).output().unwrap()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn prints_a_readable_summary() {
    let f = Fixture::new("summary");
    let holdout = f.path("holdout.csv");
    let out = f.run(&[
        "--holdout",
        holdout.to_str().unwrap(),
        "--sensitive",
        "city",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for needle in [
        "Quality",
        "overall",
        "ML utility",
        "TSTR",
        "TRTR",
        "membership inference",
        "attribute inference on city",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in\n{stdout}");
    }
}

#[test]
fn json_is_one_object_with_quality_first() {
    let f = Fixture::new("json");
    let holdout = f.path("holdout.csv");
    let out = f.run(&[
        "--holdout",
        holdout.to_str().unwrap(),
        "--json",
        "--seed",
        "4",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("{\"quality\":{\"overall\":"), "{stdout}");
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for key in ["overall", "column_shapes", "column_pair_trends"] {
        assert!(value["quality"].get(key).is_some(), "quality.{key}");
    }
    assert_eq!(value["ml"]["target"], "paid");
    assert!(value["privacy"]["dcr"].is_object());
    assert!(value["columns"].as_array().unwrap().len() == 3);
    // Same seed, same report.
    let again = f.run(&[
        "--holdout",
        holdout.to_str().unwrap(),
        "--json",
        "--seed",
        "4",
    ]);
    assert_eq!(text(&again.stdout), stdout);
}

#[test]
fn writes_a_self_contained_html_page() {
    let f = Fixture::new("html");
    let page = f.path("report.html");
    let out = f.run(&["--html", page.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.matches("<svg").count() >= 5, "plots");
    assert!(
        !html.contains("<script") && !html.contains("<link"),
        "self-contained"
    );
}

#[test]
fn bad_input_fails_with_a_clear_message() {
    let f = Fixture::new("errors");
    let out = f.run(&["--target", "income"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("the target column \"income\" is not in the schema"),
        "{}",
        text(&out.stderr)
    );

    let out = f.run(&["--threads", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--threads"),
        "{}",
        text(&out.stderr)
    );

    std::fs::write(f.path("narrow.csv"), "age,city\n30,north\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tabveil"))
        .args(["evaluate", "--real"])
        .arg(f.path("train.csv"))
        .arg("--synthetic")
        .arg(f.path("narrow.csv"))
        .arg("--schema")
        .arg(f.path("schema.json"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("synthetic table") && stderr.contains("paid"),
        "{stderr}"
    );

    std::fs::write(f.path("empty.csv"), "age,city,paid\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tabveil"))
        .args(["evaluate", "--real"])
        .arg(f.path("train.csv"))
        .arg("--synthetic")
        .arg(f.path("empty.csv"))
        .arg("--schema")
        .arg(Path::new(&f.path("schema.json")))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("the synthetic table has no rows"),
        "{}",
        text(&out.stderr)
    );
}
