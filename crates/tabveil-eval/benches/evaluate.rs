//! The full evaluation of the adult split: 26 049 real vs 26 049 synthetic rows (every column
//! resampled independently from the training split, seeded), 6 512 holdout rows, 2 threads; and
//! its parts (quality report alone, DCR-heavy evaluation without ML).
//!
//! ```text
//! cargo bench -p tabveil-eval --bench evaluate
//! ```
//! The SDMetrics side (its QualityReport alone on the same split) is timed by
//! `scripts/eval/sdmetrics_reference.py`.

#![allow(clippy::unwrap_used, reason = "benchmark set-up")]

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use tabveil_data::{CsvOptions, Schema, read_csv_path};
use tabveil_eval::fidelity::quality_report;
use tabveil_eval::{EvaluationConfig, evaluate};

#[path = "../examples/support/resample.rs"]
mod resample;
use resample::resample_columns;

fn bench(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/adult");
    let schema = Schema::from_path(root.join("schema.json")).unwrap();
    let options = CsvOptions::default();
    let train = read_csv_path(root.join("train.csv"), &schema, &options)
        .unwrap()
        .0;
    let holdout = read_csv_path(root.join("holdout.csv"), &schema, &options)
        .unwrap()
        .0;
    let synthetic = resample_columns(&schema, &train, train.n_rows(), 2024).unwrap();
    let config = EvaluationConfig::default()
        .with_threads(2)
        .with_sensitive("marital_status");

    let mut group = c.benchmark_group("adult_26049_vs_26049_holdout_6512");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(60));
    group.bench_function("full_evaluation", |b| {
        b.iter(|| {
            black_box(evaluate(&schema, &train, &synthetic, Some(&holdout), &config).unwrap())
        })
    });
    group.bench_function("quality_report_only", |b| {
        b.iter(|| black_box(quality_report(&schema, &train, &synthetic).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
