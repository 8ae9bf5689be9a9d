//! Helpers of the issue-12 regression tests: a scratch directory with a small schema and CSV,
//! running the binary, and reading what it printed.

#![allow(
    clippy::unwrap_used,
    dead_code,
    reason = "test helpers, not every test file uses every helper"
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const SCHEMA: &str = r#"{
  "name": "people",
  "target": "paid",
  "positive_class": "yes",
  "columns": [
    {"name": "age", "kind": "continuous", "min": 0, "max": 100, "integer": true},
    {"name": "city", "kind": "categorical", "categories": ["north", "south", "east"], "nullable": true},
    {"name": "paid", "kind": "categorical", "categories": ["no", "yes"]}
  ]
}"#;

pub fn csv(n: usize, shift: usize) -> String {
    let cities = ["north", "south", "east", ""];
    let mut s = String::from("age,city,paid\n");
    for i in 0..n {
        let age = 20 + (i * 7 + shift) % 50;
        let paid = if age > 45 { "yes" } else { "no" };
        s.push_str(&format!("{age},{},{paid}\n", cities[(i + shift) % 4]));
    }
    s
}

pub struct Fixture {
    pub dir: PathBuf,
}

impl Fixture {
    pub fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("tabveil-issue12-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("schema.json"), SCHEMA).unwrap();
        std::fs::write(dir.join("train.csv"), csv(600, 0)).unwrap();
        Self { dir }
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tabveil"));
        c.args(args).current_dir(&self.dir).env("NO_COLOR", "1");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs with `input` on stdin.
    pub fn run_with_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        out
    }

    /// `fit` with a small, fast plan.
    pub fn fit(&self, out: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "fit",
            "--data",
            "train.csv",
            "--schema",
            "schema.json",
            "--epochs",
            "2",
            "--batch-size",
            "100",
            "--seed",
            "1",
            "--out",
            out,
        ];
        args.extend_from_slice(extra);
        self.run(&args)
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The error line: exactly one line starting with `error:` on stderr, and no panic.
pub fn error_line(o: &Output) -> String {
    let err = stderr(o);
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "stderr: {err}");
    lines[0].to_owned()
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// Whether stderr shows that the fit started computing on the data (the plain-text progress
/// lines of a fit without a terminal).
pub fn started_fitting(o: &Output) -> bool {
    let err = stderr(o);
    err.contains("preprocessing:") || err.contains("training: epoch") || err.contains("ledger")
}

/// True when the running user is root (uid 0).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The longest run of ASCII digits in `s`.
pub fn longest_digit_run(s: &str) -> usize {
    let mut best = 0;
    let mut run = 0;
    for c in s.chars() {
        if c.is_ascii_digit() {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}
