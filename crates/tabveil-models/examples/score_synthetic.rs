//! Scores synthetic adult tables written as CSV (e.g. by `scripts/models/smartnoise_adult.py`)
//! with the protocol of the `ctgan_quality` example: SDMetrics-0.32 quality against the training
//! split and the train-synthetic-test-real classifier on the holdout split.
//!
//! ```text
//! cargo run --release -p tabveil-models --example score_synthetic -- SYNTHETIC.csv... \
//!     [--data data/adult]
//! ```
//! Prints one JSON object per file.

#![allow(clippy::print_stdout, reason = "an example prints its results")]

use std::path::PathBuf;

use tabveil_data::{CsvOptions, Schema, read_csv_path};
use tabveil_eval::fidelity::quality_report;
use tabveil_eval::{EvaluationConfig, evaluate};

fn main() -> anyhow::Result<()> {
    let mut data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/adult");
    let mut files = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        if a == "--data" {
            data = PathBuf::from(
                it.next()
                    .ok_or_else(|| anyhow::anyhow!("--data needs a value"))?,
            );
        } else {
            files.push(PathBuf::from(a));
        }
    }
    let schema = Schema::from_path(data.join("schema.json"))?;
    let options = CsvOptions::default();
    let (train, _) = read_csv_path(data.join("train.csv"), &schema, &options)?;
    let (holdout, _) = read_csv_path(data.join("holdout.csv"), &schema, &options)?;
    for file in files {
        let (synthetic, _) = read_csv_path(&file, &schema, &options)?;
        let quality = quality_report(&schema, &train, &synthetic)?;
        let report = evaluate(
            &schema,
            &train,
            &synthetic,
            Some(&holdout),
            &EvaluationConfig::default().with_seed(1),
        )?;
        let result = serde_json::json!({
            "file": file.display().to_string(),
            "rows": synthetic.n_rows(),
            "quality": quality.scores,
            "ml": report.ml,
        });
        println!("{}", serde_json::to_string_pretty(&result)?);
    }
    Ok(())
}
