//! Evaluates a stand-in synthetic adult table (every column resampled independently from the
//! training split, 26 049 rows, seeded) against the bundled adult split, and times it.
//!
//! ```text
//! cargo run --release -p tabveil-eval --example evaluate_adult [OUT_DIR]
//! ```
//! Prints the summary and the time; writes `adult_evaluation.json` and `.html` to OUT_DIR
//! (default: the system temp dir).

#![allow(clippy::print_stdout, reason = "an example prints its results")]

use std::path::{Path, PathBuf};
use std::time::Instant;

use tabveil_data::{CsvOptions, Schema, read_csv_path};
use tabveil_eval::{EvaluationConfig, evaluate};

#[path = "support/resample.rs"]
mod resample;
use resample::resample_columns;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/adult");
    let schema = Schema::from_path(root.join("schema.json"))?;
    let (train, _) = read_csv_path(root.join("train.csv"), &schema, &CsvOptions::default())?;
    let (holdout, _) = read_csv_path(root.join("holdout.csv"), &schema, &CsvOptions::default())?;
    let synthetic = resample_columns(&schema, &train, train.n_rows(), 2024)?;
    let config = EvaluationConfig::default()
        .with_seed(1)
        .with_threads(2)
        .with_sensitive("marital_status");
    let start = Instant::now();
    let report = evaluate(&schema, &train, &synthetic, Some(&holdout), &config)?;
    let elapsed = start.elapsed();
    print!("{}", report.summary());
    println!(
        "\nfull evaluation ({} real vs {} synthetic, {} holdout rows): {:.2} s",
        train.n_rows(),
        synthetic.n_rows(),
        holdout.n_rows(),
        elapsed.as_secs_f64()
    );
    let out = std::env::args()
        .nth(1)
        .map_or_else(std::env::temp_dir, PathBuf::from);
    std::fs::write(
        out.join("adult_evaluation.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    std::fs::write(out.join("adult_evaluation.html"), report.to_html()?)?;
    println!(
        "wrote {}",
        out.join("adult_evaluation.{json,html}").display()
    );
    Ok(())
}
