#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use axum::body::Bytes;
use tabveil::data::{CsvOptions, Schema, read_csv, write_parquet};

use super::{Format, refusal};

const SCHEMA: &str = r#"{"name": "t", "columns": [
  {"name": "age", "kind": "continuous", "min": 0, "max": 100, "integer": true},
  {"name": "city", "kind": "categorical", "categories": ["north", "south"]}
]}"#;

/// The same columns with wider bounds and more categories: a file written with it may hold
/// values the strict schema refuses.
const WIDE: &str = r#"{"name": "t", "columns": [
  {"name": "age", "kind": "continuous", "min": 0, "max": 1000, "integer": true},
  {"name": "city", "kind": "categorical", "categories": ["north", "south", "atlantis"]}
]}"#;

fn parquet_of(csv: &str, schema: &str) -> Bytes {
    let schema = Schema::from_json(schema).unwrap();
    let (table, _) = read_csv(csv.as_bytes(), &schema, &CsvOptions::default()).unwrap();
    let mut out = Vec::new();
    write_parquet(&table, &schema, &mut out).unwrap();
    Bytes::from(out)
}

#[test]
fn content_types_and_stored_names_round_trip() {
    for f in Format::ALL {
        assert_eq!(Format::parse(f.as_str()), Some(f));
        assert_eq!(Format::from_content_type(f.content_type()), Some(f));
    }
    assert_eq!(
        Format::from_content_type("Application/X-Parquet"),
        Some(Format::Parquet)
    );
    assert_eq!(Format::from_content_type("application/pdf"), None);
}

#[test]
fn parquet_is_read_against_the_schema_and_sniffed() {
    let schema = Schema::from_json(SCHEMA).unwrap();
    let bytes = parquet_of("age,city\n30,north\n41,south\n52,north\n", SCHEMA);
    assert_eq!(Format::sniff(&bytes), Some(Format::Parquet));
    assert_eq!(Format::sniff(b"PAR1,age\n1,2\n"), None);
    let table = Format::Parquet.read(bytes, &schema).unwrap();
    assert_eq!(table.n_rows(), 3);
}

#[test]
fn refusals_name_the_column_and_never_a_value() {
    let schema = Schema::from_json(SCHEMA).unwrap();
    let cases: [(Format, Bytes, &str, &[&str]); 4] = [
        (
            Format::Parquet,
            parquet_of("age,city\n30,north\n731,south\n", WIDE),
            "bad-table",
            &["731", "row 1", "line"],
        ),
        (
            Format::Parquet,
            parquet_of("age,city\n30,atlantis\n", WIDE),
            "bad-table",
            &["atlantis"],
        ),
        (
            Format::Csv,
            Bytes::from_static(b"age,city\n30,atlantis\n"),
            "bad-table",
            &["atlantis", "line 2"],
        ),
        (
            Format::Parquet,
            Bytes::from_static(b"PAR1 not really parquet PAR1"),
            "bad-format",
            &["PAR1"],
        ),
    ];
    for (format, bytes, code, secrets) in cases {
        let e = format.read(bytes, &schema).unwrap_err();
        let r = refusal(format, &e);
        assert_eq!(r.code, code, "{e}");
        let body = format!("{} {:?}", r.message, r.extra);
        for s in secrets {
            assert!(!body.contains(s), "`{s}` echoed: {body}");
        }
    }
}

#[test]
fn a_parquet_file_with_other_columns_is_a_typed_refusal() {
    let schema = Schema::from_json(SCHEMA).unwrap();
    let other = r#"{"name": "t", "columns": [
      {"name": "age", "kind": "continuous", "min": 0, "max": 100, "integer": true},
      {"name": "town", "kind": "categorical", "categories": ["north", "south"]}
    ]}"#;
    let e = Format::Parquet
        .read(parquet_of("age,town\n30,north\n", other), &schema)
        .unwrap_err();
    let r = refusal(Format::Parquet, &e);
    assert_eq!(r.code, "table-columns", "{e}");
    assert!(r.message.contains("`city`"), "{}", r.message);
    // A column stored with a type the schema's kind cannot take (dates for a categorical).
    let typed = r#"{"name": "t", "columns": [
      {"name": "age", "kind": "continuous", "min": 0, "max": 100, "integer": true},
      {"name": "city", "kind": "datetime", "format": "%Y-%m-%d"}
    ]}"#;
    let e = Format::Parquet
        .read(parquet_of("age,city\n30,2020-01-02\n", typed), &schema)
        .unwrap_err();
    let r = refusal(Format::Parquet, &e);
    assert_eq!(r.code, "table-column-type", "{e}");
    assert_eq!(r.extra["column"], "city");
}
