use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tabveil_accountant::PrivacyLedger;
use tabveil_noise::PrivacyRng;

use super::*;
use crate::error::DataError;
use crate::error::{SchemaError, TransformError};
use crate::private::{PrivateConfig, fit_private};
use crate::schema::{ColumnSchema, Schema};
use crate::table::{Table, Value};
use crate::transformer::{DataTransformer, DataTransformerConfig};

fn schema() -> Schema {
    Schema::new(
        "t",
        vec![
            ColumnSchema::continuous("x", Some(0.0), Some(10.0)),
            ColumnSchema::categorical("seg", ["A", "B"]),
            ColumnSchema::categorical("city", ["p", "q", "r"]).nullable(),
        ],
    )
    .unwrap()
}

/// 90 % A / 10 % B; city p 50 %, q 30 %, r 10 %, missing 10 %.
fn table(n: usize) -> Table {
    let rows: Vec<Vec<Value>> = (0..n)
        .map(|i| {
            let city = match i % 10 {
                0..=4 => Value::from("p"),
                5..=7 => Value::from("q"),
                8 => Value::from("r"),
                _ => Value::Null,
            };
            vec![
                Value::Number((i % 100) as f64 / 10.0),
                Value::from(if i % 10 == 3 { "B" } else { "A" }),
                city,
            ]
        })
        .collect();
    Table::from_rows(&schema(), &rows).unwrap()
}

fn layout(t: &Table) -> ConditionLayout {
    let tr = DataTransformer::fit(t, &schema(), &DataTransformerConfig::default()).unwrap();
    ConditionLayout::new(&tr)
}

#[test]
fn every_column_has_its_own_offset() {
    let l = layout(&table(100));
    assert_eq!(l.width(), 2 + 4);
    assert_eq!(l.columns()[0].offset, 0);
    assert_eq!(l.columns()[1].offset, 2, "SDV leaves this at 0");
    assert_eq!(l.slot("seg", Some("B")).unwrap(), 1);
    assert_eq!(l.slot("city", Some("q")).unwrap(), 3);
    assert_eq!(l.slot("city", None).unwrap(), 5);
    let m = l.condition("city", Some("r"), 3).unwrap();
    assert_eq!(m.n_rows(), 3);
    assert_eq!(m.row(2), &[0.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    assert_eq!(
        l.slot("x", Some("1")),
        Err(DataError::Transform(TransformError::NotConditionable {
            column: "x".into()
        }))
    );
    assert_eq!(
        l.slot("nope", Some("1")),
        Err(DataError::Schema(SchemaError::UnknownColumn {
            column: "nope".into()
        }))
    );
    assert_eq!(
        l.slot("seg", Some("C")),
        Err(DataError::Transform(TransformError::NotACategory {
            column: "seg".into(),
            value: "C".into()
        }))
    );
    assert_eq!(
        l.slot("seg", None),
        Err(DataError::Transform(TransformError::NotACategory {
            column: "seg".into(),
            value: "<missing>".into()
        }))
    );
    // The condition slots line up with the one-hot spans of the transformed data.
    let t = table(100);
    let tr = DataTransformer::fit(&t, &schema(), &DataTransformerConfig::default()).unwrap();
    let spans: Vec<usize> = tr
        .layout()
        .spans()
        .iter()
        .filter(|s| s.kind == crate::SpanKind::Softmax(crate::SoftmaxRole::Category))
        .map(|s| s.start)
        .collect();
    assert_eq!(
        spans,
        l.columns().iter().map(|c| c.span_start).collect::<Vec<_>>()
    );
}

/// Generation draws categories with their true frequencies. 60 000 draws, about half on
/// `seg`: the share of B among them has a standard error ≈ √(0.09/30000) ≈ 0.0017; 0.01 is
/// ~6 standard errors.
#[test]
fn generation_uses_frequencies_not_log_frequencies() {
    let t = table(10_000);
    let sampler = GenerationSampler::from_table(layout(&t), &t).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let batch = sampler.sample(60_000, &mut rng).unwrap();
    let (mut seg, mut b) = (0, 0);
    for (r, (c, k)) in batch.columns.iter().zip(&batch.categories).enumerate() {
        if *c == 0 {
            seg += 1;
            b += usize::from(*k == 1);
        }
        let row = batch.cond.row(r);
        assert_eq!(row.iter().sum::<f32>(), 1.0);
        assert_eq!(row[sampler.layout().columns()[*c].offset + k], 1.0);
    }
    let share = b as f64 / seg as f64;
    assert!((share - 0.1).abs() < 0.01, "B share {share}");
    let f = sampler.frequencies(1).unwrap();
    for (a, b) in f.iter().zip([0.5, 0.3, 0.1, 0.1]) {
        assert!((a - b).abs() < 1e-12, "{f:?}");
    }
    // Mask marks the conditioned column.
    for r in 0..100 {
        assert_eq!(batch.mask.row(r)[batch.columns[r]], 1.0);
    }
}

/// SDV's training sampler draws categories ∝ log(1 + count): for seg, log(9001)/(log(9001) +
/// log(1001)) ≈ 0.568 for A. 40 000 draws (≈ 20 000 on seg): standard error ≈ 0.0035; 0.02 is
/// > 5 standard errors. Rows drawn hold the category.
#[test]
fn training_sampler_is_sdv_log_frequency() {
    let t = table(10_000);
    let sampler = TrainingSampler::new(layout(&t), &t).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let batch = sampler.sample_condition(40_000, &mut rng).unwrap();
    let rows = sampler.sample_rows(&batch, &mut rng);
    let seg_codes = t.column("seg").unwrap().as_categorical().unwrap();
    let city = t.column("city").unwrap();
    let (mut seg, mut a) = (0usize, 0usize);
    for ((c, k), r) in batch.columns.iter().zip(&batch.categories).zip(&rows) {
        if *c == 0 {
            seg += 1;
            a += usize::from(*k == 0);
            assert_eq!(seg_codes[*r] as usize, *k);
        } else if *k == 3 {
            assert!(city.is_null(*r));
        } else {
            assert_eq!(city.as_categorical().unwrap()[*r] as usize, *k);
        }
    }
    let expected = 9001f64.ln() / (9001f64.ln() + 1001f64.ln());
    let share = a as f64 / seg as f64;
    assert!((share - expected).abs() < 0.02, "{share} vs {expected}");
}

#[test]
fn generation_from_private_statistics() {
    let t = table(5000);
    let config = PrivateConfig::new(2.0).unwrap();
    let mut ledger = PrivacyLedger::new();
    let mut rng = PrivacyRng::dangerous_seeded(0);
    let (tr, stats) = fit_private(&t, &schema(), &config, &mut ledger, &mut rng).unwrap();
    let sampler = GenerationSampler::from_private(ConditionLayout::new(&tr), &stats).unwrap();
    let f = sampler.frequencies(0).unwrap();
    assert!((f[1] - 0.1).abs() < 0.01, "{f:?}");
    assert!(matches!(
        GenerationSampler::from_frequencies(sampler.layout().clone(), vec![vec![1.0]]),
        Err(DataError::Transform(
            TransformError::InvalidParameter { .. }
        ))
    ));
}

/// Issue 12, item 1: counts 30, 51, 5 and an empty slot. Their normalised cumulative sum
/// rounds to 1.0000000000000002, so frequencies rebuilt from differences of cumulative sums
/// gave −2.2e-16 for the empty slot, and a model saving them could not be loaded. The
/// frequencies given back are the normalised ones (≥ 0) and load back.
#[test]
fn frequencies_given_back_are_never_negative_and_load_back() {
    let l = layout(&table(100));
    let given = vec![vec![1.0, 1.0], vec![30.0, 51.0, 5.0, 0.0]];
    let sampler = GenerationSampler::from_frequencies(l.clone(), given).unwrap();
    let f = sampler.frequencies(1).unwrap();
    assert!(f.iter().all(|v| *v >= 0.0), "{f:?}");
    assert_eq!(f[3], 0.0);
    for (a, b) in f.iter().zip([30.0 / 86.0, 51.0 / 86.0, 5.0 / 86.0]) {
        assert!((a - b).abs() < 1e-15, "{f:?}");
    }
    let back = vec![sampler.frequencies(0).unwrap(), f];
    let again = GenerationSampler::from_frequencies(l, back).unwrap();
    assert!(again.frequencies(1).unwrap().iter().all(|v| *v >= 0.0));
}
