use std::ops::ControlFlow;

use super::*;
use crate::error::TransformError;
use crate::schema::ColumnSchema;
use crate::table::Value;

fn schema() -> Schema {
    Schema::new(
        "t",
        vec![
            ColumnSchema::integer("age", Some(0.0), Some(100.0)),
            ColumnSchema::id("id"),
            ColumnSchema::categorical("c", ["a", "b", "c"]).nullable(),
            ColumnSchema::continuous("x", None, None).nullable(),
            ColumnSchema::boolean("flag"),
        ],
    )
    .unwrap()
}

fn table(n: usize) -> Table {
    let rows: Vec<Vec<Value>> = (0..n)
        .map(|i| {
            vec![
                Value::Number(if i % 2 == 0 { 20.0 } else { 60.0 } + (i % 9) as f64),
                Value::Null,
                if i % 5 == 0 {
                    Value::Null
                } else {
                    Value::from(["a", "b", "c"][i % 3])
                },
                if i % 7 == 0 {
                    Value::Null
                } else {
                    Value::Number(-3.0 + (i % 13) as f64 * 0.25)
                },
                Value::Bool(i % 4 == 0),
            ]
        })
        .collect();
    Table::from_rows(&schema(), &rows).unwrap()
}

#[test]
fn layout_has_the_documented_spans() {
    let t =
        DataTransformer::fit(&table(300), &schema(), &DataTransformerConfig::default()).unwrap();
    let spans = t.layout().spans();
    let kinds: Vec<(usize, SpanKind)> = spans.iter().map(|s| (s.column, s.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            (0, SpanKind::Tanh),
            (0, SpanKind::Softmax(SoftmaxRole::Mode)),
            (2, SpanKind::Softmax(SoftmaxRole::Category)),
            (3, SpanKind::Tanh),
            (3, SpanKind::Softmax(SoftmaxRole::Mode)),
            (3, SpanKind::Softmax(SoftmaxRole::NullIndicator)),
            (4, SpanKind::Softmax(SoftmaxRole::Category)),
        ]
    );
    assert_eq!(spans[2].width, 4, "3 categories + null slot");
    assert_eq!(spans[5].width, 2);
    assert_eq!(spans[6].width, 2);
    // Spans tile the matrix.
    let mut next = 0;
    for s in spans {
        assert_eq!(s.start, next);
        next = s.end();
    }
    assert_eq!(next, t.layout().width());
    // Two clusters in age: two modes at least.
    let modes = t.modes("age").unwrap();
    assert!(modes.len() >= 2);
    assert!(t.modes("c").is_none());
    assert_eq!(t.domain("c").unwrap(), ["a", "b", "c"]);
}

#[test]
fn round_trip_keeps_discrete_values_and_nulls_exactly() {
    let data = table(500);
    let t = DataTransformer::fit(&data, &schema(), &DataTransformerConfig::default()).unwrap();
    let m = t.transform(&data, 3).unwrap();
    let back = t.inverse_transform(&m).unwrap();
    assert_eq!(back.column("c"), data.column("c"));
    assert_eq!(back.column("flag"), data.column("flag"));
    assert_eq!(
        back.column("age"),
        data.column("age"),
        "integers round back"
    );
    let (x, y) = (data.column("x").unwrap(), back.column("x").unwrap());
    assert_eq!(x.nulls(), y.nulls());
    for (i, (a, b)) in x
        .as_continuous()
        .unwrap()
        .iter()
        .zip(y.as_continuous().unwrap())
        .enumerate()
    {
        if !x.is_null(i) {
            assert!((a - b).abs() < 1e-4, "row {i}: {a} vs {b}");
        }
    }
    assert_eq!(back.column("id").unwrap().data(), &ColumnData::Id);
}

#[test]
fn transform_is_reproducible_and_independent_of_threads() {
    let data = table(10_000);
    let one = DataTransformerConfig {
        threads: 1,
        ..Default::default()
    };
    let two = DataTransformerConfig {
        threads: 2,
        ..Default::default()
    };
    let t1 = DataTransformer::fit(&data, &schema(), &one).unwrap();
    let t2 = DataTransformer::fit(&data, &schema(), &two).unwrap();
    assert_eq!(t1.layout(), t2.layout());
    assert_eq!(t1.mixture("x"), t2.mixture("x"));
    let a = t1.transform(&data, 9).unwrap();
    let b = t2.transform(&data, 9).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, t1.transform(&data, 10).unwrap(), "the seed matters");
    // Every softmax block is one-hot.
    for r in 0..a.n_rows() {
        for s in t1.layout().spans() {
            if let SpanKind::Softmax(_) = s.kind {
                let block = &a.row(r)[s.start..s.end()];
                assert_eq!(block.iter().sum::<f32>(), 1.0);
            } else {
                assert!(a.row(r)[s.start].abs() <= 0.99);
            }
        }
    }
}

#[test]
fn modes_are_sampled_from_the_posterior() {
    let s = Schema::new("t", vec![ColumnSchema::continuous("x", None, None)]).unwrap();
    let rows: Vec<Vec<Value>> = (0..2000)
        .map(|i| {
            vec![Value::Number(
                if i % 2 == 0 { 0.0 } else { 4.0 } + (i % 10) as f64 * 0.1,
            )]
        })
        .collect();
    let data = Table::from_rows(&s, &rows).unwrap();
    let t = DataTransformer::fit(&data, &s, &DataTransformerConfig::default()).unwrap();
    let mixture = t.mixture("x").unwrap();
    let kept = mixture.kept_modes(0.005);
    // A value whose posterior is split between kept modes.
    let posterior = |x: f64| {
        let p = mixture.predict_proba(x);
        let mut q: Vec<f64> = kept.iter().map(|&k| p[k] + 1e-6).collect();
        let total: f64 = q.iter().sum();
        q.iter_mut().for_each(|v| *v /= total);
        q
    };
    let probe = (0..=500)
        .map(|i| i as f64 * 0.01)
        .find(|&x| posterior(x).iter().all(|p| *p < 0.7))
        .expect("two overlapping modes");
    let expected = posterior(probe);
    let n = 8000;
    let probes = Table::from_rows(&s, vec![vec![Value::Number(probe)]; n]).unwrap();
    let m = t.transform(&probes, 5).unwrap();
    let mut counts = vec![0usize; kept.len()];
    for r in 0..n {
        let block = &m.row(r)[1..1 + kept.len()];
        counts[block.iter().position(|v| *v == 1.0).unwrap()] += 1;
    }
    // Binomial counts: 6 standard deviations (false alarm < 1e-8 per mode).
    for (c, p) in counts.iter().zip(&expected) {
        let sd = (n as f64 * p * (1.0 - p)).sqrt();
        assert!(
            (*c as f64 - n as f64 * p).abs() < 6.0 * sd + 1.0,
            "{counts:?} vs {expected:?}"
        );
    }
}

#[test]
fn errors_are_typed() {
    let data = table(200);
    let t = DataTransformer::fit(&data, &schema(), &DataTransformerConfig::default()).unwrap();
    let w = t.layout().width();
    assert_eq!(
        t.inverse_transform(&Matrix::new(vec![0.0; w + 1], w + 1).unwrap()),
        Err(DataError::Transform(TransformError::MatrixWidth {
            expected: w,
            found: w + 1
        }))
    );
    let mut bad = vec![0.0; 2 * w];
    bad[w + 1] = f32::NAN;
    assert_eq!(
        t.inverse_transform(&Matrix::new(bad, w).unwrap()),
        Err(DataError::Transform(TransformError::NonFiniteMatrix {
            row: 1,
            col: 1
        }))
    );
    assert_eq!(
        Matrix::new(vec![0.0; 5], 2),
        Err(DataError::Transform(TransformError::MatrixShape {
            len: 5,
            width: 2
        }))
    );
    let other = Schema::new("o", vec![ColumnSchema::continuous("x", None, None)]).unwrap();
    assert!(matches!(
        t.transform(
            &Table::from_rows(&other, [vec![Value::Number(1.0)]]).unwrap(),
            0
        ),
        Err(DataError::Transform(TransformError::SchemaMismatch { .. }))
    ));
    let cfg = DataTransformerConfig {
        clip: 1.5,
        ..Default::default()
    };
    assert!(matches!(
        DataTransformer::fit(&data, &schema(), &cfg),
        Err(DataError::Transform(TransformError::InvalidParameter {
            parameter: "clip",
            ..
        }))
    ));
    let cfg = DataTransformerConfig {
        bgm: BgmConfig {
            n_components: 0,
            ..Default::default()
        },
        ..Default::default()
    };
    assert!(matches!(
        DataTransformer::fit(&data, &schema(), &cfg),
        Err(DataError::Transform(TransformError::InvalidParameter {
            parameter: "n_components",
            ..
        }))
    ));
}

#[test]
fn progress_is_reported_and_can_cancel() {
    struct Stop(Vec<(usize, usize, String)>);
    impl FitProgress for Stop {
        fn column_done(&mut self, done: usize, total: usize, column: &str) -> ControlFlow<()> {
            self.0.push((done, total, column.to_owned()));
            ControlFlow::Break(())
        }
    }
    let data = table(200);
    for threads in [1, 2] {
        let cfg = DataTransformerConfig {
            threads,
            ..Default::default()
        };
        let mut p = Stop(Vec::new());
        assert_eq!(
            DataTransformer::fit_with_progress(&data, &schema(), &cfg, &mut p),
            Err(DataError::Cancelled)
        );
        assert_eq!(p.0.len(), 1);
        assert_eq!(p.0[0].1, 5);
    }
}

#[test]
fn inverse_clamps_and_rounds_generated_values() {
    let data = table(300);
    let t = DataTransformer::fit(&data, &schema(), &DataTransformerConfig::default()).unwrap();
    // A generator output with extreme scalars: values are clamped to the bounds and rounded.
    let w = t.layout().width();
    let mut m = vec![0.0f32; w];
    for s in t.layout().spans() {
        match s.kind {
            SpanKind::Tanh => m[s.start] = 1.0,
            SpanKind::Softmax(_) => m[s.end() - 1] = 0.9,
        }
    }
    let back = t.inverse_transform(&Matrix::new(m, w).unwrap()).unwrap();
    let age = back.column("age").unwrap().as_continuous().unwrap()[0];
    assert!((0.0..=100.0).contains(&age) && age.fract() == 0.0, "{age}");
    assert!(back.column("c").unwrap().is_null(0), "last slot = null");
    assert!(back.column("x").unwrap().is_null(0), "indicator = missing");
    assert_eq!(back.column("flag").unwrap().as_categorical().unwrap(), &[1]);
}

#[test]
fn serde_round_trip() {
    let data = table(200);
    let t = DataTransformer::fit(&data, &schema(), &DataTransformerConfig::default()).unwrap();
    let json = serde_json::to_string(&t).unwrap();
    let back: DataTransformer = serde_json::from_str(&json).unwrap();
    assert_eq!(back, t);
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<DataTransformer>();
    check::<Matrix>();
    check::<OutputLayout>();
}
