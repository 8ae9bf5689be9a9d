//! End-to-end behaviour of `evaluate` on small tables.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions"
)]

mod common;

use tabveil_data::{Column, ColumnSchema, Schema, Table};
use tabveil_eval::{EvaluationConfig, evaluate};

fn schema() -> Schema {
    Schema::new(
        "t",
        vec![
            ColumnSchema::continuous("x", None, None).nullable(),
            ColumnSchema::categorical("c", ["a", "b", "c"]).nullable(),
            ColumnSchema::boolean("y"),
        ],
    )
    .unwrap()
}

fn table(schema: &Schema, n: usize, shift: usize) -> Table {
    table_offset(schema, n, shift, 0.0)
}

/// Like [`table`] with `offset` added to every `x` (an offset row never copies another).
fn table_offset(schema: &Schema, n: usize, shift: usize, offset: f64) -> Table {
    Table::new(
        schema,
        vec![
            Column::continuous_with_nulls(
                "x",
                (0..n)
                    .map(|i| (i % 7 != 3).then_some(((i * 7 + shift) % 23) as f64 + offset))
                    .collect(),
            ),
            Column::categorical_with_nulls(
                "c",
                (0..n)
                    .map(|i| (i % 11 != 5).then_some(((i + shift) % 3) as u32))
                    .collect(),
            ),
            Column::categorical(
                "y",
                (0..n)
                    .map(|i| u32::from((i * 3 + shift).is_multiple_of(4)))
                    .collect(),
            ),
        ],
    )
    .unwrap()
}

#[test]
fn json_starts_with_the_quality_scores_and_is_deterministic() {
    let s = schema();
    let (real, synthetic, holdout) = (table(&s, 120, 0), table(&s, 100, 5), table(&s, 40, 9));
    let config = EvaluationConfig::default()
        .with_target("y")
        .with_sensitive("c")
        .with_seed(3);
    let a = evaluate(&s, &real, &synthetic, Some(&holdout), &config).unwrap();
    let b = evaluate(&s, &real, &synthetic, Some(&holdout), &config).unwrap();
    assert_eq!(a, b);
    let json = serde_json::to_string(&a).unwrap();
    assert!(
        json.starts_with("{\"quality\":{\"overall\":"),
        "{}",
        &json[..60]
    );
    let position = |key: &str| json.find(&format!("\"{key}\":")).unwrap();
    assert!(position("column_shapes") < position("column_pair_trends"));
    assert!(position("column_pair_trends") < position("ml"));
    assert!(position("ml") < position("privacy"));
    assert!(position("privacy") < position("columns"));
    assert!(a.ml.is_some());
    assert!(a.privacy.membership_inference.is_some());
    assert!(a.privacy.attribute_inference.is_some());
    let html = a.to_html().unwrap();
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("<svg") && html.ends_with("</html>\n")
    );
    assert!(
        !html.contains("http://") || html.contains("http://www.w3.org"),
        "no external resources"
    );
    assert!(a.summary().contains("membership inference AUC"));
}

#[test]
fn exact_copies_are_found() {
    let s = schema();
    let real = table(&s, 200, 0);
    let holdout = table_offset(&s, 60, 7, 0.37);
    // The "synthetic" table is the training table itself.
    let report = evaluate(
        &s,
        &real,
        &real,
        Some(&holdout),
        &EvaluationConfig::default(),
    )
    .unwrap();
    let dcr = report.privacy.dcr.unwrap();
    assert_eq!(dcr.synthetic_to_train.exact_copy_rate, 1.0);
    assert_eq!(dcr.synthetic_to_train.median, 0.0);
    assert!(dcr.reading.starts_with("copies found"), "{}", dcr.reading);
    let mia = report.privacy.membership_inference.unwrap();
    assert!(mia.auc > 0.6, "{}", mia.auc);
}

#[test]
fn without_holdout_ml_and_attacks_are_skipped_with_a_note() {
    let s = schema();
    let real = table(&s, 50, 0);
    let report = evaluate(
        &s,
        &real,
        &table(&s, 50, 1),
        None,
        &EvaluationConfig::default().with_target("y"),
    )
    .unwrap();
    assert!(report.ml.is_none());
    assert!(report.privacy.membership_inference.is_none());
    assert!(report.meta.notes.iter().any(|n| n.contains("holdout")));
    assert!(report.privacy.dcr.is_some());
}

#[test]
fn adult_evaluation_matches_the_quality_report_and_reads_sensibly() {
    let s = common::schema("data/adult/schema.json");
    let train = common::table("data/adult/train.csv", &s);
    let holdout = common::table("data/adult/holdout.csv", &s);
    let synthetic = common::table(
        "crates/tabveil-eval/tests/data/parity/adult_resampled.csv.gz",
        &s,
    );
    let report = evaluate(
        &s,
        &train,
        &synthetic,
        Some(&holdout),
        &EvaluationConfig::default(),
    )
    .unwrap();
    // SDMetrics 0.32 on the same tables (sdmetrics_reference.json, case adult_resampled).
    assert!((report.quality.overall.unwrap() - 0.878_424_444_561_896_1).abs() < 1e-9);
    let ml = report.ml.unwrap();
    assert_eq!(ml.target, "income");
    assert_eq!(ml.positive_class, ">50K");
    // Real data predicts income well; independently resampled columns carry no signal.
    assert!(ml.trtr.roc_auc.unwrap() > 0.85, "{:?}", ml.trtr);
    assert!(ml.tstr.roc_auc.unwrap() < 0.6, "{:?}", ml.tstr);
    let mia = report.privacy.membership_inference.unwrap();
    assert!((mia.auc - 0.5).abs() < 0.03, "{}", mia.auc);
}
