use super::*;
use crate::error::TransformError;
use crate::table::Value;
use tabveil_accountant::NoiseRandomness;

fn schema() -> Schema {
    Schema::from_json(
        r#"{"name": "t", "columns": [
        {"name": "age", "kind": "continuous", "min": 0, "max": 100, "integer": true},
        {"name": "income", "kind": "continuous", "min": 0, "max": 1000, "nullable": true},
        {"name": "sex", "kind": "categorical", "categories": ["F", "M"], "nullable": true},
        {"name": "ok", "kind": "boolean"},
        {"name": "id", "kind": "id"}
    ]}"#,
    )
    .unwrap()
}

fn table(n: usize) -> Table {
    let rows: Vec<Vec<Value>> = (0..n)
        .map(|i| {
            vec![
                Value::Number((20 + (i * 7) % 50) as f64),
                if i % 10 == 0 {
                    Value::Null
                } else {
                    Value::Number(if i % 2 == 0 {
                        0.0
                    } else {
                        300.0 + (i % 100) as f64
                    })
                },
                if i % 20 == 0 {
                    Value::Null
                } else {
                    Value::from(if i % 3 == 0 { "F" } else { "M" })
                },
                Value::Bool(i % 4 == 0),
                Value::Null,
            ]
        })
        .collect();
    Table::from_rows(&schema(), &rows).unwrap()
}

#[test]
fn every_release_is_on_the_ledger_with_its_sensitivity() {
    let config = PrivateConfig::new(3.0).unwrap();
    let plan = planned_preprocessing(&schema(), &config).unwrap();
    let labels: Vec<&str> = plan.iter().map(LedgerEntry::label).collect();
    assert_eq!(
        labels,
        vec![
            "preprocessing: histogram of column age",
            "preprocessing: histogram of column income",
            "preprocessing: counts of column sex",
            "preprocessing: counts of column ok",
        ]
    );
    for e in &plan {
        assert_eq!(e.stage(), Stage::Preprocessing);
        assert_eq!(e.l2_sensitivity(), Some(1.0));
        assert_eq!(e.event(), &PrivacyEvent::discrete_gaussian(3.0, 1).unwrap());
    }
    let mut ledger = PrivacyLedger::new();
    let mut rng = PrivacyRng::dangerous_seeded(1);
    let (t, stats) = fit_private(&table(2000), &schema(), &config, &mut ledger, &mut rng).unwrap();
    assert_eq!(ledger.entries(), plan.as_slice());
    assert_eq!(ledger.noise_randomness(), NoiseRandomness::Seeded);
    assert_eq!(stats.noise_std(), 3.0);
    // Issue 12 item 12: integer counts plus integer (discrete Gaussian) noise stay integers,
    // through the clamping and zeroing post-processing too.
    for c in stats.columns() {
        assert_eq!(c.raw_total.fract(), 0.0, "{}", c.name);
        assert!(
            c.counts
                .iter()
                .chain(&c.null_count)
                .all(|v| v.fract() == 0.0)
        );
    }
    // Cells: age is integer with 101 values → one cell per integer; income has point cells at
    // the bounds and 128 bins; null buckets where nullable.
    let age = stats.column("age").unwrap();
    assert_eq!(age.counts.len(), 101);
    assert_eq!(age.null_count, None);
    let income = stats.column("income").unwrap();
    assert_eq!(income.counts.len(), 130);
    assert!(income.null_count.is_some());
    assert_eq!(stats.column("sex").unwrap().counts.len(), 2);
    assert!(stats.column("id").is_none());
    // The zero spike of income is a point cell: a narrow mode sits at 0 (its spread is the
    // prior's covariance term, as in scikit-learn: ~ var(x)/n_k).
    let modes = t.modes("income").unwrap();
    assert!(
        modes
            .iter()
            .any(|(w, m, s)| *w > 0.3 && m.abs() < 2.0 && *s < 20.0),
        "{modes:?}"
    );
    // The transformer holds only public or noisy things and transforms the table.
    let m = t.transform(&table(2000), 0).unwrap();
    assert_eq!(m.n_cols(), t.layout().width());
}

#[test]
fn missing_public_domain_is_an_error_before_any_release() {
    let s = Schema::from_json(
        r#"{"name": "t", "columns": [
        {"name": "a", "kind": "categorical", "categories": ["x"]},
        {"name": "x", "kind": "continuous", "min": 0}
    ]}"#,
    )
    .unwrap();
    let config = PrivateConfig::new(1.0).unwrap();
    assert_eq!(
        planned_preprocessing(&s, &config),
        Err(DataError::Transform(TransformError::MissingBounds {
            column: "x".into()
        }))
    );
    let t = Table::from_rows(&s, [vec![Value::from("x"), Value::Number(1.0)]]).unwrap();
    let mut ledger = PrivacyLedger::new();
    let mut rng = PrivacyRng::dangerous_seeded(1);
    assert_eq!(
        fit_private(&t, &s, &config, &mut ledger, &mut rng).map(|_| ()),
        Err(DataError::Transform(TransformError::MissingBounds {
            column: "x".into()
        }))
    );
    assert!(ledger.is_empty(), "nothing spent");
    assert_eq!(ledger.noise_randomness(), NoiseRandomness::Secure);

    let s = Schema::new("t", vec![ColumnSchema::categorical_undeclared("c")]).unwrap();
    assert_eq!(
        planned_preprocessing(&s, &config),
        Err(DataError::Transform(TransformError::MissingCategories {
            column: "c".into()
        }))
    );
    assert!(matches!(
        PrivateConfig::new(0.0),
        Err(DataError::Transform(
            TransformError::InvalidParameter { .. }
        ))
    ));
    assert!(matches!(
        PrivateConfig::new(1.0).unwrap().with_histogram_bins(0),
        Err(DataError::Transform(
            TransformError::InvalidParameter { .. }
        ))
    ));
}

/// The released counts are the exact counts plus N(0, σ²) noise: over many cells of a large
/// noise multiplier, the residuals have the right spread. With 1 000 seeds × 2 category cells
/// of the boolean column (never clamped: counts ≈ 500 ≫ σ = 20), the sample standard deviation
/// of 2 000 draws has a standard error of σ/√(2·2000) ≈ 0.32; the 2.5 tolerance is > 7 standard
/// errors.
#[test]
fn noise_has_the_stated_scale() {
    let data = table(2000);
    let exact_true = (0..2000).filter(|i| i % 4 == 0).count() as f64;
    let config = PrivateConfig::new(20.0).unwrap();
    let mut residuals = Vec::new();
    for seed in 0..1000 {
        let mut ledger = PrivacyLedger::new();
        let mut rng = PrivacyRng::dangerous_seeded(seed);
        let (_, stats) = fit_private(&data, &schema(), &config, &mut ledger, &mut rng).unwrap();
        let ok = stats.column("ok").unwrap();
        residuals.push(ok.counts[1] - exact_true);
        residuals.push(ok.counts[0] - (2000.0 - exact_true));
    }
    let n = residuals.len() as f64;
    let mean = residuals.iter().sum::<f64>() / n;
    let sd = (residuals.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n).sqrt();
    assert!((sd - 20.0).abs() < 2.5, "sd {sd}");
    assert!(mean.abs() < 2.0, "mean {mean}");
}

#[test]
fn estimated_rows_is_close_to_the_truth() {
    let config = PrivateConfig::new(2.0).unwrap();
    let mut ledger = PrivacyLedger::new();
    let mut rng = PrivacyRng::dangerous_seeded(3);
    let (_, stats) = fit_private(&table(3000), &schema(), &config, &mut ledger, &mut rng).unwrap();
    let sd = stats.estimated_rows_std();
    assert!(sd > 0.0 && sd < 20.0, "{sd}");
    assert!(
        (stats.estimated_rows() - 3000.0).abs() < 6.0 * sd,
        "{}",
        stats.estimated_rows()
    );
}

#[test]
fn cells_cover_the_bounds() {
    let c = HistogramCells::new(0.0, 10.0, false, 5);
    assert_eq!(c.len(), 7);
    assert_eq!(c.cell_of(0.0), 0);
    assert_eq!(c.cell_of(10.0), 6);
    assert_eq!(c.cell_of(0.1), 1);
    assert_eq!(c.cell_of(9.99), 5);
    assert_eq!(c.centres[1], 1.0);
    assert!((c.spreads[1] - 4.0 / 12.0).abs() < 1e-12);
    let i = HistogramCells::new(15.0, 90.0, true, 128);
    assert_eq!(i.rule, CellRule::Integers);
    assert_eq!(i.len(), 76);
    assert_eq!(i.cell_of(15.0), 0);
    assert_eq!(i.cell_of(90.0), 75);
    let wide = HistogramCells::new(0.0, 1e6, true, 128);
    assert_eq!(wide.rule, CellRule::BoundsAndBins { bins: 128 });
}

#[test]
fn domain_from_data_is_refused() {
    // A table whose categorical domain came from the data cannot be fitted privately.
    let s = Schema::new("t", vec![ColumnSchema::categorical("c", ["a", "b"])]).unwrap();
    let t = Table::new(&s, vec![crate::table::Column::categorical("c", vec![0, 1])]).unwrap();
    let other = Schema::new("t", vec![ColumnSchema::categorical("c", ["b", "a"])]).unwrap();
    let mut ledger = PrivacyLedger::new();
    let mut rng = PrivacyRng::dangerous_seeded(1);
    let config = PrivateConfig::new(1.0).unwrap();
    assert!(matches!(
        fit_private(&t, &other, &config, &mut ledger, &mut rng),
        Err(DataError::Transform(TransformError::SchemaMismatch { .. }))
    ));
    assert!(ledger.is_empty());
}

/// A table built under one schema and fitted under another that forbids its nulls: a typed
/// error before any release (this used to index past the private counts and panic).
#[test]
fn nulls_in_a_column_the_schema_forbids_are_an_error_before_any_release() {
    let strict = Schema::from_json(
        r#"{"name": "t", "columns": [
        {"name": "age", "kind": "continuous", "min": 0, "max": 100, "integer": true},
        {"name": "income", "kind": "continuous", "min": 0, "max": 1000},
        {"name": "sex", "kind": "categorical", "categories": ["F", "M"], "nullable": true},
        {"name": "ok", "kind": "boolean"},
        {"name": "id", "kind": "id"}
    ]}"#,
    )
    .unwrap();
    let config = PrivateConfig::new(1.0).unwrap();
    let mut ledger = PrivacyLedger::new();
    let mut rng = PrivacyRng::dangerous_seeded(1);
    let result = fit_private(&table(200), &strict, &config, &mut ledger, &mut rng);
    match result {
        Err(DataError::Transform(TransformError::SchemaMismatch { reason })) => {
            assert!(reason.contains("income"), "{reason}")
        }
        other => panic!("expected a schema mismatch, got {:?}", other.map(|_| ())),
    }
    assert!(ledger.is_empty(), "nothing spent");
}
