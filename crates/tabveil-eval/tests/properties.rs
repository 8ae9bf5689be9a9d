//! Property tests (issue 9): identical tables score 1, every score lies in [0, 1], and the
//! column order of a table does not matter.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions"
)]

use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use tabveil_data::{Column, ColumnSchema, Schema, Table};
use tabveil_eval::fidelity::{QualityReport, quality_report};

fn schema_in(order: &[usize]) -> Schema {
    let all = [
        ColumnSchema::continuous("x", None, None).nullable(),
        ColumnSchema::continuous("z", None, None),
        ColumnSchema::categorical("c", ["a", "b", "c"]).nullable(),
        ColumnSchema::categorical("d", ["p", "q"]),
    ];
    Schema::new("t", order.iter().map(|&i| all[i].clone()).collect()).unwrap()
}

type Rows = Vec<(Option<f64>, f64, Option<u32>, u32)>;

fn rows() -> impl Strategy<Value = Rows> {
    prop::collection::vec(
        (
            prop::option::weighted(0.9, -50.0..50.0f64),
            prop::sample::select(vec![0.0, 1.0, 2.5, 7.0, 100.0]),
            prop::option::weighted(0.9, 0u32..3),
            0u32..2,
        ),
        1..40,
    )
}

fn table(order: &[usize], rows: &Rows) -> Table {
    let schema = schema_in(order);
    let mut columns = [
        Column::continuous_with_nulls("x", rows.iter().map(|r| r.0).collect()),
        Column::continuous("z", rows.iter().map(|r| r.1).collect()),
        Column::categorical_with_nulls("c", rows.iter().map(|r| r.2).collect()),
        Column::categorical("d", rows.iter().map(|r| r.3).collect()),
    ];
    let ordered = order
        .iter()
        .map(|&i| std::mem::replace(&mut columns[i], Column::id("_")))
        .collect();
    Table::new(&schema, ordered).unwrap()
}

fn all_scores(r: &QualityReport) -> Vec<f64> {
    let mut v: Vec<f64> = [
        r.scores.overall,
        r.scores.column_shapes,
        r.scores.column_pair_trends,
    ]
    .into_iter()
    .flatten()
    .collect();
    v.extend(r.column_shapes.iter().filter_map(|s| s.score));
    v.extend(r.column_pair_trends.iter().filter_map(|p| p.score));
    v
}

const ORDER: [usize; 4] = [0, 1, 2, 3];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, rng_seed: RngSeed::Fixed(1201), ..ProptestConfig::default() })]

    #[test]
    fn identical_tables_score_one(rows in rows()) {
        let s = schema_in(&ORDER);
        let t = table(&ORDER, &rows);
        let r = quality_report(&s, &t, &t).unwrap();
        for v in all_scores(&r) {
            prop_assert!((v - 1.0).abs() < 1e-12, "{v}");
        }
    }

    #[test]
    fn scores_lie_in_the_unit_interval(a in rows(), b in rows()) {
        let s = schema_in(&ORDER);
        let r = quality_report(&s, &table(&ORDER, &a), &table(&ORDER, &b)).unwrap();
        for v in all_scores(&r) {
            prop_assert!((0.0..=1.0 + 1e-12).contains(&v), "{v}");
        }
    }

    #[test]
    fn column_order_does_not_matter(a in rows(), b in rows(), order in Just(ORDER).prop_shuffle()) {
        let s = schema_in(&ORDER);
        let reference = quality_report(&s, &table(&ORDER, &a), &table(&ORDER, &b)).unwrap();
        let shuffled = quality_report(&s, &table(&order, &a), &table(&order, &b)).unwrap();
        prop_assert_eq!(reference, shuffled);
    }
}
