use super::*;
use crate::error::ReadError;
use crate::schema::ColumnSchema;

fn schema() -> Schema {
    Schema::new(
        "t",
        vec![
            ColumnSchema::integer("age", Some(0.0), Some(120.0)),
            ColumnSchema::categorical("sex", ["F", "M"]).nullable(),
            ColumnSchema::id("id"),
            ColumnSchema::categorical_undeclared("city"),
            ColumnSchema::boolean("ok").nullable(),
            ColumnSchema::continuous("x", None, None).nullable(),
        ],
    )
    .unwrap()
}

fn good_columns() -> Vec<Column> {
    vec![
        Column::continuous("age", vec![31.0, 45.0]),
        Column::categorical_with_nulls("sex", vec![Some(1), None]),
        Column::id("id"),
        Column::categorical("city", vec![1, 0]).with_domain(["Oslo", "Rome"]),
        Column::categorical("ok", vec![0, 1]),
        Column::continuous_with_nulls("x", vec![None, Some(2.5)]),
    ]
}

#[test]
fn new_and_from_rows_agree() {
    let s = schema();
    let a = Table::new(&s, good_columns()).unwrap();
    let b = Table::from_rows(
        &s,
        [
            vec![
                Value::Number(31.0),
                "M".into(),
                Value::Number(7.0),
                "Rome".into(),
                false.into(),
                Value::Null,
            ],
            vec![
                Value::Number(45.0),
                Value::Null,
                Value::Null,
                "Oslo".into(),
                "true".into(),
                Value::Text("2.5".into()),
            ],
        ],
    )
    .unwrap();
    assert_eq!(a, b);
    assert_eq!(a.n_rows(), 2);
    assert_eq!(a.column("ok").unwrap().nulls(), Some(&[false, false][..]));
    assert_eq!(a.column("age").unwrap().nulls(), None);
    assert_eq!(
        a.row(1).unwrap(),
        vec![
            Value::Number(45.0),
            Value::Null,
            Value::Number(2.0),
            "Oslo".into(),
            "true".into(),
            Value::Number(2.5)
        ]
    );
    assert_eq!(
        a.row(2),
        Err(DataError::Read(ReadError::RowOutOfRange {
            row: 2,
            n_rows: 2
        }))
    );
    let sub = a.select_rows(&[1, 1, 0]).unwrap();
    assert_eq!(sub.n_rows(), 3);
    let mut expected = a.row(0).unwrap();
    expected[2] = Value::Number(3.0); // ids are the row numbers of the new table
    assert_eq!(sub.row(2).unwrap(), expected);
    assert!(a.select_rows(&[5]).is_err());
}

#[test]
fn new_rejects_inconsistent_columns() {
    let s = schema();
    let with = |i: usize, c: Column| {
        let mut cols = good_columns();
        cols[i] = c;
        Table::new(&s, cols)
    };
    assert_eq!(
        Table::new(&s, good_columns()[..2].to_vec()),
        Err(DataError::Read(ReadError::ColumnCount {
            expected: 6,
            found: 2
        }))
    );
    assert_eq!(
        with(0, Column::continuous("AGE", vec![1.0, 2.0])),
        Err(DataError::Read(ReadError::ColumnName {
            index: 0,
            expected: "age".into(),
            found: "AGE".into()
        }))
    );
    assert_eq!(
        with(0, Column::categorical("age", vec![1, 2])),
        Err(DataError::Read(ReadError::ColumnKind {
            column: "age".into(),
            expected: "a number"
        }))
    );
    assert_eq!(
        with(
            0,
            Column::continuous_with_nulls("age", vec![Some(1.0), None])
        ),
        Err(DataError::Read(ReadError::NullInNonNullable {
            at: Position::Row(1),
            column: "age".into()
        }))
    );
    assert_eq!(
        with(0, Column::continuous("age", vec![1.0, f64::NAN])),
        Err(DataError::Read(ReadError::NonFiniteNumber {
            at: Position::Row(1),
            column: "age".into(),
            value: "NaN".into()
        }))
    );
    assert_eq!(
        with(0, Column::continuous("age", vec![1.5, 2.0])),
        Err(DataError::Read(ReadError::NotAnInteger {
            at: Position::Row(0),
            column: "age".into(),
            value: 1.5
        }))
    );
    assert_eq!(
        with(0, Column::continuous("age", vec![1.0, 200.0])),
        Err(DataError::Read(ReadError::OutOfBounds {
            at: Position::Row(1),
            column: "age".into(),
            value: 200.0,
            min: Some(0.0),
            max: Some(120.0)
        }))
    );
    assert_eq!(
        with(1, Column::categorical("sex", vec![0, 2])),
        Err(DataError::Read(ReadError::CategoryIndex {
            at: Position::Row(1),
            column: "sex".into(),
            index: 2,
            domain_size: 2
        }))
    );
    assert_eq!(
        with(3, Column::categorical("city", vec![0, 0])),
        Err(DataError::Read(ReadError::MissingDomain {
            column: "city".into()
        }))
    );
    assert_eq!(
        with(
            1,
            Column::categorical("sex", vec![0, 0]).with_domain(["M", "F"])
        ),
        Err(DataError::Read(ReadError::DomainMismatch {
            column: "sex".into()
        }))
    );
}

#[test]
fn ragged_length_is_reported_against_the_first_column() {
    let s = schema();
    let mut cols = good_columns();
    cols[5] = Column::continuous("x", vec![1.0, 2.0, 3.0]);
    assert_eq!(
        Table::new(&s, cols),
        Err(DataError::Read(ReadError::ColumnLength {
            column: "x".into(),
            expected: 2,
            found: 3
        }))
    );
}

#[test]
fn from_rows_errors_carry_the_row() {
    let s = schema();
    let row = |age: Value, sex: Value, ok: Value| {
        vec![age, sex, Value::Null, "Oslo".into(), ok, Value::Null]
    };
    assert_eq!(
        Table::from_rows(&s, [vec![Value::Null]]),
        Err(DataError::Read(ReadError::RowLength {
            row: 0,
            expected: 6,
            found: 1
        }))
    );
    assert_eq!(
        Table::from_rows(
            &s,
            [
                row(1.0.into(), "F".into(), true.into()),
                row(1.0.into(), "X".into(), true.into()),
                row(1.0.into(), "Y".into(), true.into()),
                row(1.0.into(), "X".into(), true.into()),
            ]
        ),
        Err(DataError::Read(ReadError::UnknownCategory {
            at: Position::Row(1),
            column: "sex".into(),
            values: vec!["X".into(), "Y".into()],
            count: 3
        }))
    );
    assert_eq!(
        Table::from_rows(&s, [row(1.0.into(), "F".into(), "maybe".into())]),
        Err(DataError::Read(ReadError::UnknownCategory {
            at: Position::Row(0),
            column: "ok".into(),
            values: vec!["maybe".into()],
            count: 1
        }))
    );
    assert_eq!(
        Table::from_rows(&s, [row(true.into(), "F".into(), true.into())]),
        Err(DataError::Read(ReadError::WrongValueType {
            at: Position::Row(0),
            column: "age".into(),
            expected: "a number"
        }))
    );
    assert_eq!(
        Table::from_rows(&s, [row("ten".into(), "F".into(), true.into())]),
        Err(DataError::Read(ReadError::InvalidNumber {
            at: Position::Row(0),
            column: "age".into(),
            value: "ten".into()
        }))
    );
    assert_eq!(
        Table::from_rows(&s, [row(Value::Null, "F".into(), true.into())]),
        Err(DataError::Read(ReadError::NullInNonNullable {
            at: Position::Row(0),
            column: "age".into()
        }))
    );
    assert_eq!(
        Table::from_rows(&s, [row(f64::INFINITY.into(), "F".into(), true.into())]),
        Err(DataError::Read(ReadError::NonFiniteNumber {
            at: Position::Row(0),
            column: "age".into(),
            value: "inf".into()
        }))
    );
}

#[test]
fn discovered_domains_are_sorted() {
    let s = Schema::new(
        "t",
        vec![ColumnSchema::categorical_undeclared("c").nullable()],
    )
    .unwrap();
    let t = Table::from_rows(
        &s,
        [
            vec![Value::from("b")],
            vec![Value::Null],
            vec!["a".into()],
            vec!["b".into()],
        ],
    )
    .unwrap();
    let c = t.column("c").unwrap();
    assert_eq!(c.domain().unwrap(), ["a", "b"]);
    assert_eq!(c.as_categorical().unwrap(), &[1, 0, 0, 1]);
    assert_eq!(c.nulls().unwrap(), &[false, true, false, false]);
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Table>();
    check::<Column>();
    check::<Value>();
}
