use super::*;
use crate::{Column, Table};

fn base(constraints: &str) -> String {
    format!(
        r#"{{
  "name": "t",
  "columns": [
    {{"name": "level", "kind": "categorical", "categories": ["low", "mid", "high"], "nullable": true}},
    {{"name": "code", "kind": "continuous", "min": 0, "max": 9, "integer": true}},
    {{"name": "start", "kind": "datetime", "format": "%Y-%m-%d", "min": "2000-01-01", "max": "2020-12-31"}},
    {{"name": "end", "kind": "datetime", "format": "%Y-%m-%d", "min": "2000-01-01", "max": "2030-12-31"}},
    {{"name": "x", "kind": "continuous", "min": 0, "max": 100}},
    {{"name": "y", "kind": "continuous", "min": 50, "max": 60}},
    {{"name": "flag", "kind": "boolean"}}
  ],
  "constraints": {constraints}
}}"#
    )
}

fn schema_error(constraints: &str) -> SchemaError {
    match Schema::from_json(&base(constraints)) {
        Err(DataError::Schema(e)) => e,
        other => panic!("expected a schema error, got {other:?}"),
    }
}

const VALID: &str = r#"[
  {"name": "level code", "kind": "fixed_combinations", "columns": ["level", "code"],
   "combinations": [["low", 1], ["mid", 2], ["high", 3], [null, 0]]},
  {"kind": "inequality", "low": "start", "op": "<=", "high": "end"},
  {"kind": "conditional_range", "column": "end", "min": "2010-01-01",
   "when": {"column": "flag", "values": ["true"]}},
  {"kind": "conditional_range", "column": "x", "min": 10, "max": 20.5,
   "when": {"column": "level", "values": ["low", "mid"]}}
]"#;

#[test]
fn constraints_round_trip_through_json() {
    let schema = Schema::from_json(&base(VALID)).unwrap();
    assert_eq!(schema.constraints().len(), 4);
    assert_eq!(schema.constraints()[0].label(), "level code");
    assert_eq!(schema.constraints()[1].label(), "start <= end");
    assert_eq!(
        schema.constraints()[3].label(),
        "x in [10, 20.5] when level in {low, mid}"
    );
    let json = schema.to_json().unwrap();
    assert!(json.contains("\"2010-01-01\""), "{json}");
    assert_eq!(Schema::from_json(&json).unwrap(), schema);
    match schema.constraints()[2].rule() {
        ConstraintRule::ConditionalRange { min, .. } => {
            assert_eq!(*min, Some(1_262_304_000.0));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_schema_without_constraints_writes_no_constraints_key() {
    let schema = Schema::from_json(&base("[]")).unwrap();
    assert!(schema.constraints().is_empty());
    assert!(!schema.to_json().unwrap().contains("constraints"));
}

#[test]
fn unknown_columns_and_kind_mismatches_name_the_constraint() {
    assert_eq!(
        schema_error(
            r#"[{"name": "c", "kind": "inequality", "low": "start", "op": "<", "high": "nope"}]"#
        ),
        SchemaError::ConstraintUnknownColumn {
            constraint: "c".into(),
            column: "nope".into()
        }
    );
    assert!(matches!(
        schema_error(r#"[{"kind": "inequality", "low": "level", "op": "<", "high": "code"}]"#),
        SchemaError::ConstraintKindMismatch { column, constraint, .. }
            if column == "level" && constraint == "level < code"
    ));
    // A datetime against a number.
    assert!(matches!(
        schema_error(r#"[{"kind": "inequality", "low": "start", "op": "<", "high": "x"}]"#),
        SchemaError::ConstraintKindMismatch { column, .. } if column == "x"
    ));
    assert!(matches!(
        schema_error(
            r#"[{"kind": "conditional_range", "column": "level", "min": 1,
                 "when": {"column": "flag", "values": ["true"]}}]"#
        ),
        SchemaError::ConstraintKindMismatch { column, .. } if column == "level"
    ));
    assert!(matches!(
        schema_error(
            r#"[{"kind": "fixed_combinations", "columns": ["level", "code"],
                 "combinations": [["low", "one"]]}]"#
        ),
        SchemaError::ConstraintKindMismatch { column, .. } if column == "code"
    ));
}

#[test]
fn values_outside_the_public_domain_are_refused() {
    for (combo, column, value) in [
        (r#"["low", 10]"#, "code", "10"),
        (r#"["low", 1.5]"#, "code", "1.5"),
        (r#"["none", 1]"#, "level", "none"),
    ] {
        let json = format!(
            r#"[{{"name": "k", "kind": "fixed_combinations", "columns": ["level", "code"],
                 "combinations": [{combo}]}}]"#
        );
        assert_eq!(
            schema_error(&json),
            SchemaError::ConstraintValueOutsideDomain {
                constraint: "k".into(),
                column: column.into(),
                value: value.into()
            }
        );
    }
    // Null for a column that is not nullable.
    assert!(matches!(
        schema_error(
            r#"[{"kind": "fixed_combinations", "columns": ["code"], "combinations": [[null]]}]"#
        ),
        SchemaError::ConstraintValueOutsideDomain { value, .. } if value == "null"
    ));
    assert!(matches!(
        schema_error(
            r#"[{"kind": "conditional_range", "column": "x", "min": 1,
                 "when": {"column": "level", "values": ["nope"]}}]"#
        ),
        SchemaError::ConstraintValueOutsideDomain { value, .. } if value == "nope"
    ));
}

#[test]
fn impossible_constraints_are_found_without_data() {
    let impossible = |json: &str| match schema_error(json) {
        SchemaError::ImpossibleConstraint { constraint, .. } => constraint,
        other => panic!("{other:?}"),
    };
    // No combination at all.
    assert_eq!(
        impossible(
            r#"[{"name": "k", "kind": "fixed_combinations", "columns": ["level"], "combinations": []}]"#
        ),
        "k"
    );
    // Overlapping bounds: end < start is possible (both can be in 2000–2020).
    let json = r#"[{"kind": "inequality", "low": "end", "op": "<", "high": "start"}]"#;
    assert!(Schema::from_json(&base(json)).is_ok());
    let s = r#"{"name": "t", "columns": [
        {"name": "a", "kind": "continuous", "min": 5, "max": 9},
        {"name": "b", "kind": "continuous", "min": 0, "max": 5}],
        "constraints": [{"kind": "inequality", "low": "a", "op": "<", "high": "b"}]}"#;
    assert!(matches!(
        Schema::from_json(s),
        Err(DataError::Schema(SchemaError::ImpossibleConstraint { constraint, .. })) if constraint == "a < b"
    ));
    // `<=` with a.min == b.max is possible (a = b = 5).
    assert!(Schema::from_json(&s.replace("\"<\"", "\"<=\"")).is_ok());
    // A conditional range disjoint from the column's bounds.
    assert_eq!(
        impossible(
            r#"[{"name": "r", "kind": "conditional_range", "column": "y", "min": 70,
                 "when": {"column": "flag", "values": ["true"]}}]"#
        ),
        "r"
    );
    // An integer column with no whole number in the range.
    assert_eq!(
        impossible(
            r#"[{"name": "r", "kind": "conditional_range", "column": "code", "min": 2.2, "max": 2.8,
                 "when": {"column": "flag", "values": ["true"]}}]"#
        ),
        "r"
    );
    // min > max.
    assert_eq!(
        impossible(
            r#"[{"name": "r", "kind": "conditional_range", "column": "x", "min": 3, "max": 2,
                 "when": {"column": "flag", "values": ["true"]}}]"#
        ),
        "r"
    );
    // Two opposite inequalities, one strict.
    assert_eq!(
        impossible(
            r#"[{"kind": "inequality", "low": "start", "op": "<=", "high": "end"},
                {"name": "back", "kind": "inequality", "low": "end", "op": "<", "high": "start"}]"#
        ),
        "back"
    );
    // Two ranges on one column under a shared condition value that do not meet.
    assert_eq!(
        impossible(
            r#"[{"kind": "conditional_range", "column": "x", "max": 10,
                 "when": {"column": "level", "values": ["low", "mid"]}},
                {"name": "second", "kind": "conditional_range", "column": "x", "min": 20,
                 "when": {"column": "level", "values": ["mid"]}}]"#
        ),
        "second"
    );
    // Every combination breaks another constraint over the same columns (code ≥ 5 when level
    // is low or mid).
    assert_eq!(
        impossible(
            r#"[{"name": "k", "kind": "fixed_combinations", "columns": ["level", "code"],
                 "combinations": [["low", 1], ["mid", 2]]},
                {"kind": "conditional_range", "column": "code", "min": 5,
                 "when": {"column": "level", "values": ["low", "mid"]}}]"#
        ),
        "k"
    );
}

#[test]
fn malformed_constraints_are_typed_errors() {
    for json in [
        r#"{}"#,
        r#"[3]"#,
        r#"[{"kind": "sum"}]"#,
        r#"[{"kind": "inequality", "low": "start", "op": ">", "high": "end"}]"#,
        r#"[{"kind": "inequality", "low": "start", "op": "<", "high": "end", "min": 3}]"#,
        r#"[{"kind": "fixed_combinations", "columns": ["level", "code"], "combinations": [["low"]]}]"#,
        r#"[{"kind": "fixed_combinations", "columns": ["code", "code"], "combinations": [[1, 1]]}]"#,
        r#"[{"kind": "conditional_range", "column": "x", "when": {"column": "flag", "values": ["true"]}}]"#,
        r#"[{"kind": "conditional_range", "column": "x", "min": 1, "when": {"column": "flag", "values": []}}]"#,
        r#"[{"kind": "inequality", "low": "x", "op": "<=", "high": "x"}]"#,
    ] {
        assert!(
            matches!(schema_error(json), SchemaError::InvalidConstraint { .. }),
            "{json}: {:?}",
            schema_error(json)
        );
    }
}

#[test]
fn check_completes_determined_combinations_and_reports_the_rest() {
    let schema = Schema::from_json(&base(VALID)).unwrap();
    let day = 86_400.0;
    let table = Table::new(
        &schema,
        vec![
            Column::categorical_with_nulls("level", vec![Some(0), Some(2), None, Some(1)]),
            Column::continuous("code", vec![7.0, 7.0, 7.0, 7.0]),
            Column::continuous("start", vec![11_000.0 * day; 4]),
            Column::continuous(
                "end",
                vec![
                    14_700.0 * day,
                    15_000.0 * day,
                    10_980.0 * day,
                    15_000.0 * day,
                ],
            ),
            Column::continuous("x", vec![15.0, 99.0, 99.0, 30.0]),
            Column::continuous("y", vec![55.0; 4]),
            Column::categorical("flag", vec![1, 0, 0, 0]),
        ],
    )
    .unwrap();
    let check = ConstraintCheck::new(&schema);
    let done = check.complete(table).unwrap();
    assert_eq!(
        done.column("code").unwrap().as_continuous(),
        Some(&[1.0, 3.0, 0.0, 2.0][..])
    );
    // Row 0: end (2010-04-01) ≥ 2010-01-01 under flag = true, x in range under `low`: valid.
    // Row 1: high, x not constrained: valid. Row 2: end before start. Row 3: x = 30 under mid.
    assert_eq!(
        check.broken(&done).unwrap(),
        vec![None, None, Some(1), Some(3)]
    );
}
