//! The adult demo data and the SDMetrics-compatible scorer, shared by the slow acceptance
//! tests (`tvae_adult`, `ctgan_adult`).

use std::path::{Path, PathBuf};

use tabveil_accountant::{Accountant, PrivacyLedger, RdpAccountant};
use tabveil_data::{CsvOptions, Schema, Table, read_csv_path};
use tabveil_eval::fidelity::{QualityReport, quality_report};
use tabveil_models::{NoProgress, StopReason, Synthesizer};

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

/// Fits `make(ε)` on adult at ε = 1, 3, 10 (δ = 1e-6) and checks that each run ends within its
/// budget, by the fit's own account and by its ledger replayed into a fresh accountant, and
/// that the model samples.
pub fn assert_stops_within_each_budget<M: Synthesizer>(make: impl Fn(f64) -> M) {
    let (schema, train) = adult();
    for epsilon in [1.0, 3.0, 10.0] {
        let mut model = make(epsilon);
        let summary = model.fit(&train, &schema, &mut NoProgress).unwrap();
        let private = summary.private.clone().unwrap();
        let replayed = replayed_epsilon(model.ledger().unwrap());
        println!(
            "ε target {epsilon}: spent {:.4} (replayed {replayed:.4}), {} of {} steps, σ_train {:.3}, stop {:?}",
            private.epsilon_spent,
            private.releases,
            private.planned_releases,
            private.training_noise_multiplier,
            summary.stop
        );
        assert!(private.epsilon_spent <= epsilon);
        assert!(replayed <= epsilon);
        assert!(matches!(
            summary.stop,
            StopReason::Completed | StopReason::BudgetExhausted
        ));
        assert_eq!(model.sample(1000, 0).unwrap().n_rows(), 1000);
    }
}
