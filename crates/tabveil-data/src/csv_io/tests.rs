use super::*;
use crate::error::ReadError;
use crate::error::{DataError, Position};
use crate::schema::{ColumnSchema, Schema};
use crate::table::{ColumnData, Table};

fn schema() -> Schema {
    Schema::from_json(
        r#"{"name": "t", "columns": [
        {"name": "age", "kind": "continuous", "min": 0, "max": 120, "integer": true},
        {"name": "sex", "kind": "categorical", "categories": ["F", "M"]},
        {"name": "job", "kind": "categorical", "categories": ["a", "b"], "nullable": true},
        {"name": "day", "kind": "datetime", "format": "%Y-%m-%d", "min": "2000-01-01", "max": "2030-12-31"},
        {"name": "x", "kind": "continuous", "nullable": true},
        {"name": "id", "kind": "id"}
    ]}"#,
    )
    .unwrap()
}

const HEADER: &str = "age,sex,job,day,x,id";

fn read(body: &str) -> crate::Result<(Table, CsvReport)> {
    read_csv(
        format!("{HEADER}\n{body}").as_bytes(),
        &schema(),
        &CsvOptions::default(),
    )
}

#[test]
fn reads_a_valid_file_in_any_column_order() {
    let csv = "id,x,day,job,sex,age\n9, 1.5 ,2001-02-03,a,M,30\n8,,2001-02-04,,F,31\n";
    let (t, report) = read_csv(csv.as_bytes(), &schema(), &CsvOptions::default()).unwrap();
    assert!(report.notes().is_empty());
    assert_eq!(t.n_rows(), 2);
    assert_eq!(
        t.column("age").unwrap().as_continuous().unwrap(),
        &[30.0, 31.0]
    );
    assert_eq!(t.column("sex").unwrap().as_categorical().unwrap(), &[1, 0]);
    assert!(t.column("job").unwrap().is_null(1));
    assert!(t.column("x").unwrap().is_null(1));
    assert_eq!(t.column("x").unwrap().as_continuous().unwrap()[0], 1.5);
    assert_eq!(
        t.column("day").unwrap().as_continuous().unwrap()[0],
        981_158_400.0
    );
    assert_eq!(t.column("id").unwrap().data(), &ColumnData::Id);

    let mut out = Vec::new();
    write_csv(&t, &schema(), &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out.clone()).unwrap(),
        "age,sex,job,day,x,id\n30,M,a,2001-02-03,1.5,1\n31,F,,2001-02-04,,2\n"
    );
    let (back, _) = read_csv(out.as_slice(), &schema(), &CsvOptions::default()).unwrap();
    assert_eq!(back, t);
}

#[test]
fn every_reader_error_has_its_line_and_column() {
    let line = |l| Position::Line(l);
    assert_eq!(
        read_csv("".as_bytes(), &schema(), &CsvOptions::default()).map(|_| ()),
        Err(DataError::Read(ReadError::EmptyInput))
    );
    assert_eq!(
        read("30,M,a,2001-02-03,1,1\n30,M,a\n").map(|_| ()),
        Err(DataError::Read(ReadError::RaggedRow {
            line: 3,
            expected: 6,
            found: 3
        }))
    );
    assert_eq!(
        read("thirty,M,a,2001-02-03,1,1\n").map(|_| ()),
        Err(DataError::Read(ReadError::InvalidNumber {
            at: line(2),
            column: "age".into(),
            value: "thirty".into()
        }))
    );
    assert_eq!(
        read("30,M,a,2001-02-03,1,1\n30,M,a,2001-02-03,NaN,1\n").map(|_| ()),
        Err(DataError::Read(ReadError::NonFiniteNumber {
            at: line(3),
            column: "x".into(),
            value: "NaN".into()
        }))
    );
    assert_eq!(
        read("30,M,a,2001-02-03,inf,1\n").map(|_| ()),
        Err(DataError::Read(ReadError::NonFiniteNumber {
            at: line(2),
            column: "x".into(),
            value: "inf".into()
        }))
    );
    assert_eq!(
        read("30.5,M,a,2001-02-03,1,1\n").map(|_| ()),
        Err(DataError::Read(ReadError::NotAnInteger {
            at: line(2),
            column: "age".into(),
            value: 30.5
        }))
    );
    assert_eq!(
        read("130,M,a,2001-02-03,1,1\n").map(|_| ()),
        Err(DataError::Read(ReadError::OutOfBounds {
            at: line(2),
            column: "age".into(),
            value: 130.0,
            min: Some(0.0),
            max: Some(120.0)
        }))
    );
    assert_eq!(
        read("30,M,a,03/02/2001,1,1\n").map(|_| ()),
        Err(DataError::Read(ReadError::InvalidDatetime {
            at: line(2),
            column: "day".into(),
            value: "03/02/2001".into(),
            format: "%Y-%m-%d".into()
        }))
    );
    assert!(matches!(
        read("30,M,a,1999-02-03,1,1\n").map(|_| ()),
        Err(DataError::Read(ReadError::OutOfBounds { at: Position::Line(2), column, .. })) if column == "day"
    ));
    assert_eq!(
        read("30,,a,2001-02-03,1,1\n").map(|_| ()),
        Err(DataError::Read(ReadError::NullInNonNullable {
            at: line(2),
            column: "sex".into()
        }))
    );
    // Unknown categories are collected: first line, first distinct values, count.
    assert_eq!(
        read("30,M,a,2001-02-03,1,1\n30,X,a,2001-02-03,1,1\n30,Y,a,2001-02-03,1,1\n30,X,a,2001-02-03,1,1\n")
            .map(|_| ()),
        Err(DataError::Read(ReadError::UnknownCategory {
            at: line(3),
            column: "sex".into(),
            values: vec!["X".into(), "Y".into()],
            count: 3
        }))
    );
    // ...and an unknown category met before another error is reported first.
    assert!(matches!(
        read("30,X,a,2001-02-03,1,1\nbad,M,a,2001-02-03,1,1\n").map(|_| ()),
        Err(DataError::Read(ReadError::UnknownCategory {
            at: Position::Line(2),
            ..
        }))
    ));
    let mut bad = format!("{HEADER}\n30,M,").into_bytes();
    bad.extend_from_slice(&[0xff, 0xfe]);
    bad.extend_from_slice(b",2001-02-03,1,1\n");
    assert_eq!(
        read_csv(bad.as_slice(), &schema(), &CsvOptions::default()).map(|_| ()),
        Err(DataError::Read(ReadError::InvalidUtf8 {
            line: 2,
            field: 3,
            column: Some("job".into())
        }))
    );
    assert_eq!(
        read_csv(&b"age,\xff\n"[..], &schema(), &CsvOptions::default()).map(|_| ()),
        Err(DataError::Read(ReadError::InvalidUtf8 {
            line: 1,
            field: 2,
            column: None
        }))
    );
}

#[test]
fn header_errors() {
    let opts = CsvOptions::default();
    assert_eq!(
        read_csv("age,sex,job,day,x,id,age\n".as_bytes(), &schema(), &opts).map(|_| ()),
        Err(DataError::Read(ReadError::DuplicateHeader {
            column: "age".into()
        }))
    );
    assert_eq!(
        read_csv("age,job,day,id\n".as_bytes(), &schema(), &opts).map(|_| ()),
        Err(DataError::Read(ReadError::MissingColumns {
            columns: vec!["sex".into(), "x".into()]
        }))
    );
    assert_eq!(
        read_csv("age,sex,job,day,x,id,extra\n".as_bytes(), &schema(), &opts).map(|_| ()),
        Err(DataError::Read(ReadError::UnexpectedColumns {
            columns: vec!["extra".into()]
        }))
    );
    let (t, report) = read_csv(
        "age,sex,job,extra,day,x,id\n30,M,a,zzz,2001-02-03,1,1\n".as_bytes(),
        &schema(),
        &opts.clone().with_extra_columns(ExtraColumns::Ignore),
    )
    .unwrap();
    assert_eq!(t.n_rows(), 1);
    assert_eq!(
        report.notes(),
        &[CsvNote::IgnoredColumns {
            columns: vec!["extra".into()]
        }]
    );
}

#[test]
fn options_null_tokens_clipping_delimiter_bom() {
    let opts = CsvOptions::default()
        .with_null_tokens(["?", "NA"])
        .with_out_of_bounds(OutOfBounds::Clip)
        .with_delimiter(b';');
    let csv = "\u{feff}age;sex;job;day;x;id\n130;M;?;1990-01-01;NA;1\n-4;F;b;2001-01-01;2;2\n";
    let (t, report) = read_csv(csv.as_bytes(), &schema(), &opts).unwrap();
    assert!(report.notes().is_empty(), "clipping is never reported");
    assert_eq!(
        t.column("age").unwrap().as_continuous().unwrap(),
        &[120.0, 0.0]
    );
    assert_eq!(
        t.column("day").unwrap().as_continuous().unwrap()[0],
        946_684_800.0
    );
    assert!(t.column("job").unwrap().is_null(0));
    assert!(t.column("x").unwrap().is_null(0));

    let s = Schema::new("t", vec![ColumnSchema::categorical("c", ["NA", "b"])]).unwrap();
    assert_eq!(
        read_csv("c\nb\n".as_bytes(), &s, &opts).map(|_| ()),
        Err(DataError::Read(ReadError::CategoryIsNullToken {
            column: "c".into(),
            category: "NA".into()
        }))
    );
}

#[test]
fn undeclared_categories_come_from_the_data_with_a_note() {
    let s = Schema::new(
        "t",
        vec![
            ColumnSchema::categorical_undeclared("c"),
            ColumnSchema::boolean("b"),
        ],
    )
    .unwrap();
    let (t, report) = read_csv(
        "c,b\nz,Yes\ny,no\nz,TRUE\n".as_bytes(),
        &s,
        &CsvOptions::default(),
    )
    .unwrap();
    let c = t.column("c").unwrap();
    assert_eq!(c.domain().unwrap(), ["y", "z"]);
    assert_eq!(c.as_categorical().unwrap(), &[1, 0, 1]);
    assert_eq!(t.column("b").unwrap().as_categorical().unwrap(), &[1, 0, 1]);
    assert_eq!(
        report.notes(),
        &[CsvNote::CategoriesFromData { column: "c".into() }]
    );
    let mut out = Vec::new();
    write_csv(&t, &s, &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "c,b\nz,true\ny,false\nz,true\n"
    );
}

#[test]
fn adult_train_reads_and_round_trips() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/adult");
    let schema = Schema::from_path(format!("{dir}/schema.json")).unwrap();
    let (t, report) =
        read_csv_path(format!("{dir}/train.csv"), &schema, &CsvOptions::default()).unwrap();
    assert!(report.notes().is_empty());
    assert_eq!(t.n_rows(), 26_049);
    assert!(t.column("workclass").unwrap().null_count() > 0);
    let mut out = Vec::new();
    write_csv(&t, &schema, &mut out).unwrap();
    let (back, _) = read_csv(out.as_slice(), &schema, &CsvOptions::default()).unwrap();
    assert_eq!(back, t);
}

#[test]
fn writer_rejects_a_table_of_another_schema() {
    let s = Schema::new("t", vec![ColumnSchema::continuous("a", None, None)]).unwrap();
    let other = Schema::new("t", vec![ColumnSchema::continuous("b", None, None)]).unwrap();
    let t = Table::from_rows(&s, [vec![crate::Value::Number(1.0)]]).unwrap();
    assert!(matches!(
        write_csv(&t, &other, Vec::new()),
        Err(DataError::Read(ReadError::ColumnName { index: 0, .. }))
    ));
}

#[test]
fn infer_schema_reads_kinds_and_warns() {
    let csv = "id,age,score,city,flag,day\n1,30,1.5,Oslo,yes,2020-01-01\n2,40,,Rome,no,2020-02-01\n3,35,2.5,Oslo,yes,2020-03-01\n";
    let inferred = infer_schema(csv.as_bytes(), "people", &CsvOptions::default()).unwrap();
    let s = &inferred.schema;
    assert_eq!(s.name(), "people");
    assert!(matches!(
        s.column("id").unwrap().kind(),
        crate::ColumnKind::Id
    ));
    assert_eq!(
        s.column("age").unwrap().kind(),
        &crate::ColumnKind::Continuous {
            min: Some(30.0),
            max: Some(40.0),
            integer: true
        }
    );
    assert!(s.column("score").unwrap().is_nullable());
    assert!(!s.column("score").unwrap().is_integer());
    assert_eq!(
        s.column("city").unwrap().categories().unwrap(),
        vec!["Oslo", "Rome"]
    );
    assert!(matches!(
        s.column("flag").unwrap().kind(),
        crate::ColumnKind::Boolean { .. }
    ));
    assert!(matches!(
        s.column("day").unwrap().kind(),
        crate::ColumnKind::Datetime { .. }
    ));
    assert_eq!(
        inferred.warning.columns,
        vec!["age", "score", "city", "day"]
    );
    assert!(inferred.warning.to_string().contains("NOT PRIVATE"));
    // One mark, top-level, in the JSON too; no per-column origin besides it.
    assert!(s.is_inferred_from_data());
    let json = s.to_json().unwrap();
    assert!(json.contains(r#""inferred_from_data": true"#), "{json}");
    assert!(!json.contains(r#""origin""#), "{json}");
    // The inferred schema reads its own data.
    assert!(read_csv(csv.as_bytes(), s, &CsvOptions::default()).is_ok());
}

#[test]
fn writer_reports_unwritable_datetimes() {
    let s = Schema::new("t", vec![ColumnSchema::datetime("d", "%Y-%m-%d")]).unwrap();
    // 1e20 s is within the values a table holds (±1e100) but far beyond chrono's years.
    let t = Table::new(&s, vec![crate::Column::continuous("d", vec![0.0, 1e20])]).unwrap();
    assert_eq!(
        write_csv(&t, &s, Vec::new()),
        Err(DataError::Read(ReadError::DatetimeOutOfRange {
            at: Position::Row(1),
            column: "d".into(),
            seconds: 1e20
        }))
    );
    // Beyond ±1e100 a table refuses the value itself.
    assert!(matches!(
        Table::new(&s, vec![crate::Column::continuous("d", vec![1e300])]),
        Err(DataError::Read(ReadError::BeyondModelRange { .. }))
    ));
}
