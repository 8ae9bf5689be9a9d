//! Parquet ⇄ CSV round trips (feature `arrow`): for every column kind, nulls included, a table
//! read from CSV and written to Parquet (or Arrow IPC) reads back to the same table, bit for
//! bit, and writes the same CSV bytes.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use std::path::PathBuf;

use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, RngSeed};
use tabveil_data::{
    Column, ColumnData, CsvOptions, Schema, Table, read_csv, read_csv_path, read_ipc,
    read_parquet_path, write_csv, write_ipc, write_parquet_path,
};

fn schema() -> Schema {
    Schema::from_json(
        r#"{"name": "p", "columns": [
        {"name": "n", "kind": "continuous", "min": -1000, "max": 1000, "integer": true, "nullable": true},
        {"name": "x", "kind": "continuous", "nullable": true},
        {"name": "c", "kind": "categorical", "categories": ["a", "b,c", "d \"q\"", "é"], "nullable": true},
        {"name": "u", "kind": "categorical"},
        {"name": "b", "kind": "boolean", "nullable": true},
        {"name": "yn", "kind": "boolean", "categories": ["no", "yes"]},
        {"name": "t", "kind": "datetime", "format": "%Y-%m-%d %H:%M:%S", "min": "1900-01-01 00:00:00", "max": "2100-01-01 00:00:00", "nullable": true},
        {"name": "d", "kind": "datetime", "format": "%Y-%m-%d"},
        {"name": "id", "kind": "id"}
    ]}"#,
    )
    .unwrap()
}

fn tmp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("tabveil-columnar-it-{}-{name}", std::process::id()))
}

/// Random tables of the schema above, every kind with and without nulls.
fn table_strategy() -> impl Strategy<Value = Table> {
    let row = (
        prop::option::of(-1000i64..=1000),
        prop::option::of(prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO),
        prop::option::of(0u32..4),
        0u32..3,
        (prop::option::of(0u32..2), 0u32..2),
        prop::option::of(-2_208_988_800i64..4_102_444_800),
        -25_000i64..50_000,
    );
    prop::collection::vec(row, 0..40).prop_map(|rows| {
        let cols = vec![
            Column::continuous_with_nulls(
                "n",
                rows.iter().map(|r| r.0.map(|v| v as f64)).collect(),
            ),
            Column::continuous_with_nulls("x", rows.iter().map(|r| r.1).collect()),
            Column::categorical_with_nulls("c", rows.iter().map(|r| r.2).collect()),
            Column::categorical("u", rows.iter().map(|r| r.3).collect())
                .with_domain(["p", "q", "r"]),
            Column::categorical_with_nulls("b", rows.iter().map(|r| r.4.0).collect()),
            Column::categorical("yn", rows.iter().map(|r| r.4.1).collect()),
            Column::continuous_with_nulls(
                "t",
                rows.iter().map(|r| r.5.map(|v| v as f64)).collect(),
            ),
            Column::continuous("d", rows.iter().map(|r| (r.6 * 86_400) as f64).collect()),
            Column::id("id"),
        ];
        Table::new(&schema(), cols).unwrap()
    })
}

fn csv_text(table: &Table, schema: &Schema) -> Vec<u8> {
    let mut out = Vec::new();
    write_csv(table, schema, &mut out).unwrap();
    out
}

/// Equal bit for bit: the same nulls, codes, domains, and f64 bits of every non-null value.
fn assert_bit_exact(a: &Table, b: &Table) {
    assert_eq!(a.n_rows(), b.n_rows());
    for (ca, cb) in a.columns().iter().zip(b.columns()) {
        assert_eq!(ca.name(), cb.name());
        assert_eq!(ca.nulls(), cb.nulls(), "{}", ca.name());
        assert_eq!(ca.domain(), cb.domain(), "{}", ca.name());
        match (ca.data(), cb.data()) {
            (ColumnData::Continuous(x), ColumnData::Continuous(y)) => {
                for r in 0..x.len() {
                    if !ca.is_null(r) {
                        assert_eq!(x[r].to_bits(), y[r].to_bits(), "{} row {r}", ca.name());
                    }
                }
            }
            (x, y) => assert_eq!(x, y, "{}", ca.name()),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(0x7ab5_e11d),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// CSV → table → Parquet → table is bit-exact and writes the same CSV; likewise Arrow IPC.
    #[test]
    fn parquet_and_csv_round_trips_agree(table in table_strategy()) {
        let s = schema();
        let csv = csv_text(&table, &s);
        let (from_csv, _) = read_csv(csv.as_slice(), &s, &CsvOptions::default()).unwrap();
        let path = tmp("prop.parquet");
        write_parquet_path(&from_csv, &s, &path).unwrap();
        let (from_parquet, _) = read_parquet_path(&path, &s, &CsvOptions::default()).unwrap();
        std::fs::remove_file(&path).ok();
        assert_bit_exact(&from_parquet, &from_csv);
        prop_assert_eq!(csv_text(&from_parquet, &s), csv);

        let mut ipc = Vec::new();
        write_ipc(&from_csv, &s, &mut ipc).unwrap();
        let (from_ipc, _) = read_ipc(std::io::Cursor::new(ipc), &s, &CsvOptions::default()).unwrap();
        assert_bit_exact(&from_ipc, &from_csv);
    }
}

#[test]
fn adult_round_trips_through_parquet() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/adult");
    let s = Schema::from_path(root.join("schema.json")).unwrap();
    let options = CsvOptions::default().with_null_tokens(["?"]);
    let (table, _) = read_csv_path(root.join("train.csv"), &s, &options).unwrap();
    let path = tmp("adult.parquet");
    write_parquet_path(&table, &s, &path).unwrap();
    let (back, _) = read_parquet_path(&path, &s, &options).unwrap();
    std::fs::remove_file(&path).ok();
    assert_bit_exact(&back, &table);
    assert_eq!(csv_text(&back, &s), csv_text(&table, &s));
}
