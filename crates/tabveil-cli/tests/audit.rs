//! `tabveil audit` end to end on a small CSV file: white-box and black-box audits, JSON
//! output, `--save-into` a model directory whose report then shows the audit, and usage
//! errors (issue 15).

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use std::path::PathBuf;
use std::process::{Command, Output};

const SCHEMA: &str = r#"{
  "name": "people",
  "columns": [
    {"name": "age", "kind": "continuous", "min": 0, "max": 100, "integer": true},
    {"name": "city", "kind": "categorical", "categories": ["north", "south", "east"]},
    {"name": "paid", "kind": "categorical", "categories": ["no", "yes"]}
  ]
}"#;

struct Fixture {
    dir: PathBuf,
}

impl Fixture {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("tabveil-audit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("schema.json"), SCHEMA).unwrap();
        let mut csv = String::from("age,city,paid\n");
        for i in 0..600 {
            let age = 20 + (i * 7) % 50;
            let city = ["north", "south", "east"][i % 3];
            csv.push_str(&format!(
                "{age},{city},{}\n",
                if age > 45 { "yes" } else { "no" }
            ));
        }
        std::fs::write(dir.join("train.csv"), csv).unwrap();
        Self { dir }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tabveil"))
            .args(args)
            .current_dir(&self.dir)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const SMALL: [&str; 10] = [
    "--data",
    "train.csv",
    "--schema",
    "schema.json",
    "--epochs",
    "2",
    "--batch-size",
    "100",
    "--canaries",
    "100",
];

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn white_box_audit_saved_into_a_model_shows_in_its_report() {
    let f = Fixture::new("white");
    let fit = f.run(&[
        "fit",
        "--data",
        "train.csv",
        "--schema",
        "schema.json",
        "--epochs",
        "2",
        "--batch-size",
        "100",
        "--epsilon",
        "3",
        "--delta",
        "1e-6",
        "--out",
        "model",
        "--quiet",
    ]);
    assert!(fit.status.success(), "{}", stderr(&fit));
    let mut args = vec!["audit"];
    args.extend_from_slice(&SMALL);
    args.extend_from_slice(&[
        "--epsilon",
        "3",
        "--delta",
        "1e-6",
        "--noise-seed",
        "4",
        "--out",
        "audit.json",
        "--save-into",
        "model",
        "--quiet",
    ]);
    let out = f.run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("white-box audit of DP-CTGAN"), "{text}");
    assert!(text.contains("not a proof of privacy"), "{text}");
    assert!(text.contains("a private run of its own"), "{text}");
    let json = std::fs::read_to_string(f.dir.join("audit.json")).unwrap();
    assert!(json.contains("\"kind\": \"white_box\""), "{json}");
    assert!(f.dir.join("model/tabveil-audit.json").exists());
    let report = f.run(&["report", "--model", "model"]);
    assert!(report.status.success(), "{}", stderr(&report));
    let md = stdout(&report);
    assert!(md.contains("## Empirical audit"), "{md}");
    assert!(md.contains("model and audit published together"), "{md}");
}

#[test]
fn black_box_audit_of_a_non_private_fit_as_json() {
    let f = Fixture::new("black");
    let mut args = vec!["audit"];
    args.extend_from_slice(&SMALL);
    args.extend_from_slice(&[
        "--no-privacy",
        "--kind",
        "black-box",
        "--synthetic-rows",
        "1000",
        "--json",
        "--quiet",
    ]);
    let out = f.run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["kind"], "black_box");
    assert!(json["claimed_epsilon"].is_null());
    assert_eq!(json["bound"]["canaries"], 100);
}

#[test]
fn usage_errors_name_the_flag() {
    let f = Fixture::new("usage");
    let mut args = vec!["audit"];
    args.extend_from_slice(&SMALL);
    args.push("--no-privacy");
    let out = f.run(&args);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("'--kind'"), "{}", stderr(&out));
    let mut args = vec!["audit"];
    args.extend_from_slice(&SMALL);
    args.extend_from_slice(&["--epsilon", "3", "--delta", "1e-6", "--confidence", "1.5"]);
    let out = f.run(&args);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("'--confidence'"));
    // Not a model directory: refused before any work.
    let mut args = vec!["audit"];
    args.extend_from_slice(&SMALL);
    args.extend_from_slice(&[
        "--epsilon",
        "3",
        "--delta",
        "1e-6",
        "--save-into",
        "nowhere",
    ]);
    let out = f.run(&args);
    assert_eq!(out.status.code(), Some(1));
    assert!(!f.dir.join("nowhere").exists());
}
