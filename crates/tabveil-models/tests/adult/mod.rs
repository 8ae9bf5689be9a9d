//! The adult demo data and the SDMetrics-compatible scorer, shared by the slow acceptance
//! tests (`tvae_adult`, `ctgan_adult`).

use std::path::{Path, PathBuf};

use tabveil_accountant::{Accountant, PrivacyLedger, RdpAccountant};
use tabveil_data::{CsvOptions, Schema, Table, read_csv_path};
use tabveil_eval::fidelity::{QualityReport, quality_report};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The bundled adult schema and training split (26 049 rows).
pub fn adult() -> (Schema, Table) {
    let dir = root().join("data/adult");
    let schema =
        Schema::from_json(&std::fs::read_to_string(dir.join("schema.json")).unwrap()).unwrap();
    let (train, _) = read_csv_path(dir.join("train.csv"), &schema, &CsvOptions::default()).unwrap();
    (schema, train)
}

/// SDMetrics 0.32's QualityReport (tabveil-eval reproduces it to 1e-15).
pub fn quality(schema: &Schema, real: &Table, synthetic: &Table) -> QualityReport {
    quality_report(schema, real, synthetic).unwrap()
}

/// ε of `ledger` at δ = 1e-6, replayed into a fresh RDP accountant (independent of the
/// accountant that enforced the budget during the fit).
pub fn replayed_epsilon(ledger: &PrivacyLedger) -> f64 {
    let mut accountant = RdpAccountant::default();
    ledger.replay_into(&mut accountant).unwrap();
    accountant.epsilon(1e-6).unwrap()
}

/// Asserts that every column's shape score (1 − KS statistic for continuous columns, 1 − total
/// variation distance for categorical ones) is at least `floor`, printing them all first.
pub fn assert_marginals(report: &QualityReport, floor: f64) {
    for shape in &report.column_shapes {
        println!("  {}: {:.3}", shape.column, shape.score.unwrap());
    }
    for shape in &report.column_shapes {
        let score = shape.score.unwrap();
        assert!(score >= floor, "{}: {score}", shape.column);
    }
}
