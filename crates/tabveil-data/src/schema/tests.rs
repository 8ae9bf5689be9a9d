use super::*;
use crate::error::SchemaError;

fn col(json: &str) -> Result<Schema> {
    Schema::from_json(&format!(r#"{{"name": "t", "columns": [{json}]}}"#))
}

#[test]
fn adult_schema_parses_and_round_trips() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/adult/schema.json");
    let schema = Schema::from_path(path).unwrap();
    assert_eq!(schema.name(), "adult");
    assert_eq!(schema.n_columns(), 15);
    assert_eq!(schema.target(), Some("income"));
    assert_eq!(schema.positive_class(), Some(">50K"));
    assert!(schema.extra().contains_key("license"));
    assert!(schema.extra().contains_key("rows"));
    let age = schema.column("age").unwrap();
    assert_eq!(
        age.kind(),
        &ColumnKind::Continuous {
            min: Some(15.0),
            max: Some(90.0),
            integer: true
        }
    );
    assert!(schema.column("workclass").unwrap().is_nullable());
    assert_eq!(schema.column_index("income"), Some(14));
    let back = Schema::from_json(&schema.to_json().unwrap()).unwrap();
    assert_eq!(back, schema);
    // serde goes through the same validation.
    let via_serde: Schema = serde_json::from_str(&schema.to_json().unwrap()).unwrap();
    assert_eq!(via_serde, schema);
}

#[test]
fn every_kind_parses() {
    let s = Schema::from_json(
        r#"{"name": "t", "columns": [
        {"name": "a", "kind": "continuous"},
        {"name": "b", "kind": "categorical", "categories": ["x", 2, true]},
        {"name": "c", "kind": "boolean"},
        {"name": "d", "kind": "boolean", "categories": ["no", "yes"]},
        {"name": "e", "kind": "datetime", "format": "%Y-%m-%d", "min": "2000-01-01", "max": "2001-01-01"},
        {"name": "f", "kind": "id", "description": "row id"}
    ]}"#,
    )
    .unwrap();
    assert_eq!(
        s.column("b").unwrap().categories().unwrap(),
        vec!["x", "2", "true"]
    );
    assert_eq!(
        s.column("c").unwrap().categories().unwrap(),
        vec!["false", "true"]
    );
    assert_eq!(
        s.column("e").unwrap().bounds(),
        (Some(946_684_800.0), Some(978_307_200.0))
    );
    assert_eq!(s.column("f").unwrap().description(), Some("row id"));
    assert_eq!(Schema::from_json(&s.to_json().unwrap()).unwrap(), s);
}

#[test]
fn schema_errors_name_the_column() {
    assert_eq!(
        Schema::from_json(r#"{"name": "t", "columns": []}"#),
        Err(DataError::Schema(SchemaError::EmptySchema))
    );
    assert_eq!(
        col(r#"{"name": "i", "kind": "id"}"#),
        Err(DataError::Schema(SchemaError::NoModelledColumns))
    );
    assert_eq!(
        col(r#"{"name": " ", "kind": "id"}"#),
        Err(DataError::Schema(SchemaError::EmptyColumnName { index: 0 }))
    );
    assert_eq!(
        col(r#"{"name": "a", "kind": "continuous"}, {"name": "a", "kind": "continuous"}"#),
        Err(DataError::Schema(SchemaError::DuplicateColumnName {
            column: "a".into()
        }))
    );
    assert_eq!(
        col(r#"{"name": "a", "kind": "continuous", "min": 3, "max": 3}"#),
        Err(DataError::Schema(SchemaError::InvalidBounds {
            column: "a".into(),
            min: 3.0,
            max: 3.0
        }))
    );
    assert_eq!(
        col(r#"{"name": "a", "kind": "categorical", "categories": []}"#),
        Err(DataError::Schema(SchemaError::EmptyCategories {
            column: "a".into()
        }))
    );
    assert_eq!(
        col(r#"{"name": "a", "kind": "categorical", "categories": ["x", "y", "x"]}"#),
        Err(DataError::Schema(SchemaError::DuplicateCategory {
            column: "a".into(),
            category: "x".into()
        }))
    );
    assert_eq!(
        col(r#"{"name": "a", "kind": "categorical", "categories": [" x"]}"#),
        Err(DataError::Schema(SchemaError::InvalidCategoryLabel {
            column: "a".into(),
            category: " x".into()
        }))
    );
    assert_eq!(
        col(r#"{"name": "a", "kind": "ordinal"}"#),
        Err(DataError::Schema(SchemaError::UnknownKind {
            column: "a".into(),
            kind: "ordinal".into()
        }))
    );
    assert_eq!(
        col(r#"{"name": "a"}"#),
        Err(DataError::Schema(SchemaError::MissingField {
            column: "a".into(),
            field: "kind"
        }))
    );
    assert_eq!(
        col(r#"{"kind": "continuous"}"#),
        Err(DataError::Schema(SchemaError::MissingField {
            column: "#0".into(),
            field: "name"
        }))
    );
    assert_eq!(
        col(r#"{"name": "a", "kind": "continuous", "nulable": true}"#),
        Err(DataError::Schema(SchemaError::UnknownField {
            column: "a".into(),
            field: "nulable".into()
        }))
    );
    assert_eq!(
        col(r#"{"name": "a", "kind": "continuous", "categories": ["x"]}"#),
        Err(DataError::Schema(SchemaError::FieldNotAllowed {
            column: "a".into(),
            field: "categories".into(),
            kind: "continuous"
        }))
    );
    assert_eq!(
        col(r#"{"name": "a", "kind": "continuous", "min": "low"}"#),
        Err(DataError::Schema(SchemaError::InvalidFieldType {
            column: "a".into(),
            field: "min".into(),
            expected: "a number"
        }))
    );
    assert_eq!(
        col(r#"{"name": "a", "kind": "boolean", "categories": ["x"]}"#),
        Err(DataError::Schema(SchemaError::BooleanCategoryCount {
            column: "a".into(),
            found: 1
        }))
    );
    assert_eq!(
        col(r#"{"name": "a", "kind": "datetime"}"#),
        Err(DataError::Schema(SchemaError::MissingField {
            column: "a".into(),
            field: "format"
        }))
    );
    assert_eq!(
        col(r#"{"name": "a", "kind": "datetime", "format": "%Q"}"#),
        Err(DataError::Schema(SchemaError::InvalidDatetimeFormat {
            column: "a".into(),
            format: "%Q".into()
        }))
    );
    assert_eq!(
        col(r#"{"name": "a", "kind": "datetime", "format": "%Y-%m-%d", "min": "yesterday"}"#),
        Err(DataError::Schema(SchemaError::InvalidDatetimeBound {
            column: "a".into(),
            value: "yesterday".into(),
            format: "%Y-%m-%d".into()
        }))
    );
    assert!(matches!(
        Schema::from_json("{\"name\": \"t\",\n \"columns\": [}"),
        Err(DataError::Schema(SchemaError::InvalidSchemaJson {
            line: 2,
            ..
        }))
    ));
    assert!(matches!(
        Schema::from_json(r#"{"columns": []}"#),
        Err(DataError::Schema(SchemaError::InvalidSchemaJson { .. }))
    ));
}

#[test]
fn non_finite_bounds_are_rejected_from_rust() {
    let c = ColumnSchema::continuous("x", Some(f64::NEG_INFINITY), None);
    assert!(matches!(
        Schema::new("t", vec![c]),
        Err(DataError::Schema(SchemaError::NonFiniteBound { column, .. })) if column == "x"
    ));
    let c = ColumnSchema::continuous("x", Some(0.0), Some(f64::NAN));
    assert!(matches!(
        Schema::new("t", vec![c]),
        Err(DataError::Schema(SchemaError::NonFiniteBound { .. }))
    ));
}

#[test]
fn target_and_positive_class_are_checked() {
    let base = || Schema::new("t", vec![ColumnSchema::categorical("y", ["a", "b"])]).unwrap();
    assert_eq!(
        base().with_target("z", None),
        Err(DataError::Schema(SchemaError::UnknownTarget {
            target: "z".into()
        }))
    );
    assert_eq!(
        base().with_target("y", Some("c".into())),
        Err(DataError::Schema(SchemaError::InvalidPositiveClass {
            target: "y".into(),
            class: "c".into()
        }))
    );
    assert!(base().with_target("y", Some("b".into())).is_ok());
    assert!(matches!(
        Schema::from_json(
            r#"{"name": "t", "positive_class": "a", "columns": [{"name": "y", "kind": "categorical"}]}"#
        ),
        Err(DataError::Schema(SchemaError::InvalidPositiveClass { .. }))
    ));
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Schema>();
    check::<ColumnSchema>();
    check::<DataError>();
}

#[test]
fn other_and_origin_fields() {
    let s = col(r#"{"name": "c", "kind": "categorical", "categories": ["a", "(other)"], "other": "(other)", "origin": "declared"}"#).unwrap();
    let c = s.column("c").unwrap();
    assert_eq!(c.other(), Some("(other)"));
    assert_eq!(c.origin(), &ColumnOrigin::Declared);
    assert_eq!(Schema::from_json(&s.to_json().unwrap()).unwrap(), s);
    assert!(matches!(
        col(r#"{"name": "c", "kind": "categorical", "categories": ["a"], "other": "b"}"#),
        Err(DataError::Schema(SchemaError::InvalidOther { .. }))
    ));
    assert!(matches!(
        col(r#"{"name": "x", "kind": "continuous", "other": "b"}"#),
        Err(DataError::Schema(SchemaError::FieldNotAllowed { .. }))
    ));
    // A schema read from the data is marked at the top, never per column.
    let Err(DataError::Schema(SchemaError::InvalidOrigin { message, .. })) =
        col(r#"{"name": "x", "kind": "continuous", "origin": "inferred"}"#)
    else {
        panic!("a per-column \"inferred\" origin must be refused");
    };
    assert!(message.contains("inferred_from_data"), "{message}");
    assert!(matches!(
        col(r#"{"name": "x", "kind": "continuous", "origin": "guessed"}"#),
        Err(DataError::Schema(SchemaError::InvalidOrigin { .. }))
    ));
    assert!(matches!(
        col(r#"{"name": "x", "kind": "continuous", "origin": {"private": {"released": []}}}"#),
        Err(DataError::Schema(SchemaError::InvalidOrigin { .. }))
    ));
}
