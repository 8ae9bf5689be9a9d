use std::sync::Arc;

use arrow_array::types::{Int32Type, UInt32Type};
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, DictionaryArray, Float32Array, Float64Array, Int8Array,
    Int32Array, Int64Array, LargeStringArray, NullArray, RecordBatch, StringArray, StringViewArray,
    TimestampNanosecondArray, UInt32Array,
};
use arrow_schema::{DataType, TimeUnit};

use super::*;
use crate::{Column, ColumnSchema, CsvNote, CsvOptions, ExtraColumns, OutOfBounds, Position};
use crate::{DataError, ReadError, Schema, Table, read_csv, write_csv};

fn schema() -> Schema {
    Schema::from_json(
        r#"{"name": "t", "columns": [
        {"name": "n", "kind": "continuous", "min": -10, "max": 10, "integer": true, "nullable": true},
        {"name": "x", "kind": "continuous", "nullable": true},
        {"name": "c", "kind": "categorical", "categories": ["a", "b", "c"], "nullable": true},
        {"name": "b", "kind": "boolean", "nullable": true},
        {"name": "yn", "kind": "boolean", "categories": ["no", "yes"]},
        {"name": "t", "kind": "datetime", "format": "%Y-%m-%d %H:%M:%S", "nullable": true},
        {"name": "d", "kind": "datetime", "format": "%Y-%m-%d"},
        {"name": "u", "kind": "categorical"},
        {"name": "id", "kind": "id"}
    ]}"#,
    )
    .unwrap()
}

const CSV: &str = "n,x,c,b,yn,t,d,u,id
3,2.5,a,true,yes,2001-02-03 04:05:06,2020-01-02,z,9
,,,,no,,1999-12-31,y,8
-10,-0.125,c,false,no,1970-01-01 00:00:00,1970-01-01,z,7
";

fn table() -> Table {
    read_csv(CSV.as_bytes(), &schema(), &CsvOptions::default())
        .unwrap()
        .0
}

fn read(batch: &RecordBatch, options: &CsvOptions) -> crate::Result<(Table, crate::CsvReport)> {
    let s = schema();
    let mut b = ArrowTableBuilder::new(&batch.schema(), &s, options)?;
    b.push_batch(batch)?;
    b.finish()
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

/// A batch of `schema()` with the given column replaced.
fn with_column(name: &str, array: ArrayRef) -> RecordBatch {
    let base = table().to_arrow(&schema()).unwrap();
    let columns: Vec<(&str, ArrayRef)> = base
        .schema_ref()
        .fields()
        .iter()
        .zip(base.columns())
        .map(|(f, c)| {
            if f.name() == name {
                (name, array.clone())
            } else {
                (f.name().as_str(), c.clone())
            }
        })
        .collect();
    batch(columns)
}

#[test]
fn every_kind_round_trips_through_arrow() {
    let t = table();
    let b = t.to_arrow(&schema()).unwrap();
    let types: Vec<DataType> = b
        .schema()
        .fields()
        .iter()
        .map(|f| f.data_type().clone())
        .collect();
    let dict = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    assert_eq!(
        types,
        vec![
            DataType::Int64,
            DataType::Float64,
            dict.clone(),
            DataType::Boolean,
            dict.clone(),
            DataType::Timestamp(TimeUnit::Second, None),
            DataType::Timestamp(TimeUnit::Second, None),
            dict,
            DataType::Int64,
        ]
    );
    let nullable: Vec<bool> = b
        .schema()
        .fields()
        .iter()
        .map(|f| f.is_nullable())
        .collect();
    assert_eq!(
        nullable,
        [true, true, true, true, false, true, false, false, false]
    );
    assert_eq!(b.column(0).null_count(), 1);
    let (back, report) = read(&b, &CsvOptions::default()).unwrap();
    assert_eq!(back, t);
    // The undeclared column's domain is read from the data, and said so, as in CSV.
    assert_eq!(
        report.notes(),
        [CsvNote::CategoriesFromData {
            column: "u".to_owned()
        }]
    );
}

#[test]
fn arrow_output_is_what_the_csv_writer_writes() {
    let s = Schema::new(
        "t",
        vec![
            ColumnSchema::integer("k", None, None),
            ColumnSchema::datetime("day", "%Y-%m-%d"),
        ],
    )
    .unwrap();
    // A generated table holds unrounded values: the integer rounds, the date keeps its day.
    let t = Table::new(
        &s,
        vec![
            Column::continuous("k", vec![2.0, -3.0]),
            Column::continuous("day", vec![1_614_834_367.4, 86_399.0]),
        ],
    )
    .unwrap();
    let b = t.to_arrow(&s).unwrap();
    let day = b
        .column(1)
        .as_any()
        .downcast_ref::<arrow_array::TimestampSecondArray>()
        .unwrap();
    assert_eq!(day.values(), &[1_614_816_000, 0]);
    let mut csv = Vec::new();
    write_csv(&t, &s, &mut csv).unwrap();
    let via_csv = read_csv(csv.as_slice(), &s, &CsvOptions::default())
        .unwrap()
        .0;
    let mut builder = ArrowTableBuilder::new(&b.schema(), &s, &CsvOptions::default()).unwrap();
    builder.push_batch(&b).unwrap();
    assert_eq!(builder.finish().unwrap().0, via_csv);
}

#[test]
fn rows_are_counted_across_batches_in_errors() {
    let s = Schema::new(
        "t",
        vec![ColumnSchema::continuous("x", Some(0.0), Some(1.0))],
    )
    .unwrap();
    let ok = batch(vec![(
        "x",
        Arc::new(Float64Array::from(vec![0.5, 0.25])) as ArrayRef,
    )]);
    let bad = batch(vec![(
        "x",
        Arc::new(Float64Array::from(vec![0.5, 7.0])) as ArrayRef,
    )]);
    let mut b = ArrowTableBuilder::new(&ok.schema(), &s, &CsvOptions::default()).unwrap();
    b.push_batch(&ok).unwrap();
    let err = b.push_batch(&bad).unwrap_err();
    assert_eq!(
        err,
        DataError::Read(ReadError::OutOfBounds {
            at: Position::Row(3),
            column: "x".to_owned(),
            value: 7.0,
            min: Some(0.0),
            max: Some(1.0)
        })
    );
    // Clipping, as in CSV.
    let clip = CsvOptions::default().with_out_of_bounds(OutOfBounds::Clip);
    let mut b = ArrowTableBuilder::new(&ok.schema(), &s, &clip).unwrap();
    b.push_batch(&ok).unwrap();
    b.push_batch(&bad).unwrap();
    let (t, _) = b.finish().unwrap();
    assert_eq!(
        t.column("x").unwrap().as_continuous().unwrap(),
        &[0.5, 0.25, 0.5, 1.0]
    );
}

#[test]
fn value_errors_name_the_column_and_the_row() {
    let nan = with_column("x", Arc::new(Float64Array::from(vec![1.0, f64::NAN, 2.0])));
    assert!(matches!(
        read(&nan, &CsvOptions::default()),
        Err(DataError::Read(ReadError::NonFiniteNumber { at: Position::Row(1), ref column, .. })) if column == "x"
    ));
    let frac = with_column("n", Arc::new(Float64Array::from(vec![1.0, 1.5, 2.0])));
    assert!(matches!(
        read(&frac, &CsvOptions::default()),
        Err(DataError::Read(ReadError::NotAnInteger { at: Position::Row(1), value, .. })) if value == 1.5
    ));
    let unknown = with_column(
        "c",
        Arc::new(StringArray::from(vec![Some("a"), Some("zz"), Some("q")])),
    );
    assert_eq!(
        read(&unknown, &CsvOptions::default()).unwrap_err(),
        DataError::Read(ReadError::UnknownCategory {
            at: Position::Row(1),
            column: "c".to_owned(),
            values: vec!["zz".to_owned(), "q".to_owned()],
            count: 2
        })
    );
    let null = with_column(
        "yn",
        Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)])),
    );
    assert_eq!(
        read(&null, &CsvOptions::default()).unwrap_err(),
        DataError::Read(ReadError::NullInNonNullable {
            at: Position::Row(1),
            column: "yn".to_owned()
        })
    );
    let bad_text = with_column("x", Arc::new(StringArray::from(vec!["1", "2", "two"])));
    assert!(matches!(
        read(&bad_text, &CsvOptions::default()),
        Err(DataError::Read(ReadError::InvalidNumber {
            at: Position::Row(2),
            ..
        }))
    ));
}

#[test]
fn the_earliest_row_wins_between_columns() {
    // An unknown category at row 0 of `c` comes before a bad number at row 2 of `x`, although
    // `x` is read first.
    let base = with_column("c", Arc::new(StringArray::from(vec!["zz", "a", "a"])));
    let columns: Vec<(&str, ArrayRef)> = base
        .schema_ref()
        .fields()
        .iter()
        .zip(base.columns())
        .map(|(f, c)| {
            if f.name() == "x" {
                (
                    "x",
                    Arc::new(Float64Array::from(vec![1.0, 1.0, f64::INFINITY])) as ArrayRef,
                )
            } else {
                (f.name().as_str(), c.clone())
            }
        })
        .collect();
    let err = read(&batch(columns), &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::Read(ReadError::UnknownCategory {
                at: Position::Row(0),
                ..
            })
        ),
        "{err:?}"
    );
}

#[test]
fn wrong_types_and_missing_or_extra_columns_are_refused_before_reading() {
    let s = schema();
    let floats_for_dates = with_column("d", Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0])));
    assert_eq!(
        ArrowTableBuilder::new(&floats_for_dates.schema(), &s, &CsvOptions::default()).unwrap_err(),
        DataError::Read(ReadError::ArrowType {
            column: "d".to_owned(),
            found: "Float64".to_owned(),
            expected: "a timestamp, date32, date64 or text type"
        })
    );
    let t = table().to_arrow(&s).unwrap();
    let fewer = t.project(&[0, 1]).unwrap();
    assert!(matches!(
        ArrowTableBuilder::new(&fewer.schema(), &s, &CsvOptions::default()),
        Err(DataError::Read(ReadError::MissingColumns { .. }))
    ));
    let mut columns: Vec<(&str, ArrayRef)> = t
        .schema_ref()
        .fields()
        .iter()
        .zip(t.columns())
        .map(|(f, c)| (f.name().as_str(), c.clone()))
        .collect();
    columns.push(("extra", Arc::new(Int64Array::from(vec![1, 2, 3]))));
    let extra = batch(columns);
    assert_eq!(
        ArrowTableBuilder::new(&extra.schema(), &s, &CsvOptions::default()).unwrap_err(),
        DataError::Read(ReadError::UnexpectedColumns {
            columns: vec!["extra".to_owned()]
        })
    );
    let ignore = CsvOptions::default().with_extra_columns(ExtraColumns::Ignore);
    let (back, report) = read(&extra, &ignore).unwrap();
    assert_eq!(back, table());
    assert!(report.notes().contains(&CsvNote::IgnoredColumns {
        columns: vec!["extra".to_owned()]
    }));
    // A batch that does not match the first one.
    let mut b = ArrowTableBuilder::new(&t.schema(), &s, &CsvOptions::default()).unwrap();
    assert!(matches!(
        b.push_batch(&fewer),
        Err(DataError::Read(ReadError::Arrow { .. }))
    ));
}

#[test]
fn text_cells_follow_the_csv_options() {
    let text = with_column(
        "c",
        Arc::new(StringArray::from(vec![Some(" a "), Some("?"), Some("")])),
    );
    assert!(matches!(
        read(&text, &CsvOptions::default()),
        Err(DataError::Read(ReadError::UnknownCategory {
            at: Position::Row(1),
            ..
        }))
    ));
    let (t, _) = read(&text, &CsvOptions::default().with_null_tokens(["?"])).unwrap();
    let c = t.column("c").unwrap();
    assert_eq!(c.as_categorical().unwrap()[0], 0);
    assert_eq!(c.nulls().unwrap(), &[false, true, true]);
}

#[test]
fn many_arrow_types_are_accepted() {
    let s = Schema::new(
        "t",
        vec![
            ColumnSchema::integer("i8", None, None),
            ColumnSchema::continuous("f32", None, None),
            ColumnSchema::categorical("large", ["a", "b"]),
            ColumnSchema::categorical("view", ["a", "b"]),
            ColumnSchema::categorical("dict", ["a", "b"]),
            ColumnSchema::categorical("codes", ["1", "2"]),
            ColumnSchema::continuous("int_dict", None, None),
            ColumnSchema::boolean("ints"),
            ColumnSchema::boolean("labels"),
            ColumnSchema::datetime("ns", "%Y-%m-%d %H:%M:%S"),
            ColumnSchema::datetime("date", "%Y-%m-%d"),
            ColumnSchema::continuous("nulls", None, None).nullable(),
        ],
    )
    .unwrap();
    let dict = DictionaryArray::<UInt32Type>::try_new(
        UInt32Array::from(vec![1, 0]),
        Arc::new(StringArray::from(vec!["a", "b"])),
    )
    .unwrap();
    // A categorical of numbers (pandas `category` over integers) in a continuous column.
    let int_dict = DictionaryArray::<Int32Type>::try_new(
        Int32Array::from(vec![1, 0]),
        Arc::new(Int64Array::from(vec![10, 30])),
    )
    .unwrap();
    // 2026-01-02 03:04:05.000000007 UTC: beyond 2⁵³ ns, yet the seconds come out exact.
    let ns = 1_767_323_045_000_000_007i64;
    let b = batch(vec![
        ("i8", Arc::new(Int8Array::from(vec![-3, 4]))),
        ("f32", Arc::new(Float32Array::from(vec![0.5, -1.25]))),
        ("large", Arc::new(LargeStringArray::from(vec!["b", "a"]))),
        ("view", Arc::new(StringViewArray::from(vec!["a", "a"]))),
        ("dict", Arc::new(dict)),
        ("codes", Arc::new(Int64Array::from(vec![2, 1]))),
        ("int_dict", Arc::new(int_dict)),
        ("ints", Arc::new(Int64Array::from(vec![1, 0]))),
        ("labels", Arc::new(StringArray::from(vec!["Yes", "f"]))),
        (
            "ns",
            Arc::new(
                TimestampNanosecondArray::from(vec![ns, -1_500_000_000]).with_timezone("+02:00"),
            ),
        ),
        ("date", Arc::new(Date32Array::from(vec![1, -1]))),
        ("nulls", Arc::new(NullArray::new(2))),
    ]);
    let mut builder = ArrowTableBuilder::new(&b.schema(), &s, &CsvOptions::default()).unwrap();
    builder.push_batch(&b).unwrap();
    let (t, _) = builder.finish().unwrap();
    let expected = Table::new(
        &s,
        vec![
            Column::continuous("i8", vec![-3.0, 4.0]),
            Column::continuous("f32", vec![0.5, -1.25]),
            Column::categorical("large", vec![1, 0]),
            Column::categorical("view", vec![0, 0]),
            Column::categorical("dict", vec![1, 0]),
            Column::categorical("codes", vec![1, 0]),
            Column::continuous("int_dict", vec![30.0, 10.0]),
            Column::categorical("ints", vec![1, 0]),
            Column::categorical("labels", vec![1, 0]),
            Column::continuous("ns", vec![1_767_323_045.000_000_007, -1.5]),
            Column::continuous("date", vec![86_400.0, -86_400.0]),
            Column::continuous_with_nulls("nulls", vec![None, None]),
        ],
    )
    .unwrap();
    assert_eq!(t, expected);
    assert_eq!(
        t.column("ns").unwrap().as_continuous().unwrap()[0].floor(),
        1_767_323_045.0
    );
}

#[test]
fn dictionary_output_keeps_the_whole_domain_in_order() {
    let t = table();
    let b = t.to_arrow(&schema()).unwrap();
    let c = b
        .column(2)
        .as_any()
        .downcast_ref::<DictionaryArray<Int32Type>>()
        .unwrap();
    let values = c.values().as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(values.iter().flatten().collect::<Vec<_>>(), ["a", "b", "c"]);
    assert_eq!(
        c.keys().iter().collect::<Vec<_>>(),
        [Some(0), None, Some(2)]
    );
    let yn = b
        .column(4)
        .as_any()
        .downcast_ref::<DictionaryArray<Int32Type>>()
        .unwrap();
    let labels = yn.values().as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(labels.iter().flatten().collect::<Vec<_>>(), ["no", "yes"]);
    let id = b.column(8).as_any().downcast_ref::<Int64Array>().unwrap();
    assert_eq!(id.values(), &[1, 2, 3]);
}

#[test]
fn parquet_and_ipc_files_round_trip() {
    let dir = std::env::temp_dir().join(format!("tabveil-columnar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (s, t) = (schema(), table());
    for name in ["t.parquet", "t.arrow", "t.feather", "t.csv"] {
        let path = dir.join(name);
        crate::write_table_path(&t, &s, &path).unwrap();
        let (back, _) = crate::read_table_path(&path, &s, &CsvOptions::default()).unwrap();
        assert_eq!(back, t, "{name}");
    }
    // Datetimes are milliseconds in Parquet (which has no unit of seconds), seconds in IPC.
    let parquet = std::fs::File::open(dir.join("t.parquet")).unwrap();
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(parquet).unwrap();
    assert_eq!(
        reader.schema().field_with_name("t").unwrap().data_type(),
        &DataType::Timestamp(TimeUnit::Millisecond, None)
    );
    // An IPC stream (no file footer) is read too.
    let b = t.to_arrow(&s).unwrap();
    let mut stream = Vec::new();
    {
        let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut stream, &b.schema()).unwrap();
        w.write(&b).unwrap();
        w.write(&b).unwrap();
        w.finish().unwrap();
    }
    let (twice, _) = read_ipc(std::io::Cursor::new(stream), &s, &CsvOptions::default()).unwrap();
    assert_eq!(twice.n_rows(), 2 * t.n_rows());
    // Not a Parquet file, not an IPC file.
    let junk = dir.join("junk.parquet");
    std::fs::write(&junk, b"PAR1 this is not parquet").unwrap();
    assert!(matches!(
        read_parquet_path(&junk, &s, &CsvOptions::default()),
        Err(DataError::Read(ReadError::Arrow { .. }))
    ));
    assert!(matches!(
        read_ipc(
            std::io::Cursor::new(b"ARROW1 nope".to_vec()),
            &s,
            &CsvOptions::default()
        ),
        Err(DataError::Read(ReadError::Arrow { .. }))
    ));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn parquet_files_are_read_row_group_by_row_group() {
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    let s = Schema::new("t", vec![ColumnSchema::integer("k", None, None)]).unwrap();
    let values: Vec<i64> = (0..1000).collect();
    let b = batch(vec![(
        "k",
        Arc::new(Int64Array::from(values.clone())) as ArrayRef,
    )]);
    let mut bytes = Vec::new();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(128))
        .build();
    let mut w = ArrowWriter::try_new(&mut bytes, b.schema(), Some(props)).unwrap();
    w.write(&b).unwrap();
    w.close().unwrap();
    let path = std::env::temp_dir().join(format!("tabveil-groups-{}.parquet", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let (t, _) = read_parquet_path(&path, &s, &CsvOptions::default()).unwrap();
    std::fs::remove_file(&path).ok();
    let expected: Vec<f64> = values.iter().map(|&v| v as f64).collect();
    assert_eq!(
        t.column("k").unwrap().as_continuous().unwrap(),
        expected.as_slice()
    );
}

/// Arrow batches read as text for private discovery: the same fields as the CSV reader's raw
/// table of the same data (Arrow nulls and null tokens missing), across batches.
#[test]
fn raw_arrow_matches_the_raw_csv_table() {
    let first = batch(vec![
        (
            "n",
            Arc::new(Int64Array::from(vec![Some(3), None])) as ArrayRef,
        ),
        (
            "c",
            Arc::new(StringArray::from(vec![Some(" a "), Some("NA")])) as ArrayRef,
        ),
    ]);
    let second = batch(vec![
        ("n", Arc::new(Int64Array::from(vec![Some(-10)])) as ArrayRef),
        (
            "c",
            Arc::new(StringArray::from(vec![None::<&str>])) as ArrayRef,
        ),
    ]);
    let options = CsvOptions::default().with_null_tokens(vec!["NA".to_owned()]);
    let raw = read_raw_arrow(
        &first.schema(),
        vec![Ok(first.clone()), Ok(second)],
        &options,
    )
    .unwrap();
    let csv = crate::RawTable::read_csv("n,c\n3, a \n,NA\n-10,\n".as_bytes(), &options).unwrap();
    assert_eq!(raw, csv);
    assert_eq!(raw.column("c").unwrap(), [Some("a".to_owned()), None, None]);
    // A batch with other columns is refused.
    let other = batch(vec![(
        "n",
        Arc::new(Int64Array::from(vec![Some(1)])) as ArrayRef,
    )]);
    assert!(matches!(
        read_raw_arrow(&first.schema(), vec![Ok(other)], &options),
        Err(DataError::Read(ReadError::Arrow { .. }))
    ));
}
