//! [`TableBatches`] and [`ColumnarSource`]: bounded batches that are, row for row, the whole
//! read; the same errors at the same rows; the footer's row count.

use crate::{
    ColumnSchema, ColumnarSource, ColumnarWriter, CsvOptions, DataError, Position, ReadError,
    Schema, Table, TableBatches, TableSource, Value, read_csv, read_ipc_path, read_parquet_path,
    write_ipc_path,
};

fn schema(max: f64) -> Schema {
    Schema::new(
        "t",
        vec![
            ColumnSchema::integer("k", Some(0.0), Some(max)),
            ColumnSchema::categorical("c", ["a", "b", "c"]).with_nullable(true),
            ColumnSchema::categorical_undeclared("u"),
        ],
    )
    .unwrap()
}

/// 1000 rows: k = 0..999, c cycling with nulls, u with labels that appear late.
fn table() -> Table {
    let mut csv = String::from("k,c,u\n");
    for i in 0..1000 {
        let c = ["a", "b", "", "c"][i % 4];
        let u = if i < 700 { "p" } else { ["q", "r"][i % 2] };
        csv.push_str(&format!("{i},{c},{u}\n"));
    }
    read_csv(csv.as_bytes(), &schema(1000.0), &CsvOptions::default())
        .unwrap()
        .0
}

fn temp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("tabveil-{}-{name}", std::process::id()))
}

/// Writes `table` as a Parquet file of row groups of `group` rows.
fn write_groups(table: &Table, schema: &Schema, group: usize, path: &std::path::Path) {
    let mut w = ColumnarWriter::parquet(std::fs::File::create(path).unwrap(), schema).unwrap();
    let rows: Vec<usize> = (0..table.n_rows()).collect();
    for chunk in rows.chunks(group) {
        w.write(&table.select_rows(chunk).unwrap()).unwrap();
    }
    w.finish().unwrap();
}

fn rows_of(tables: &[Table]) -> Vec<Vec<Value>> {
    tables
        .iter()
        .flat_map(|t| (0..t.n_rows()).map(|r| t.row(r).unwrap()))
        .collect()
}

#[test]
fn batches_are_the_whole_read_row_for_row() {
    let s = schema(1000.0);
    let t = table();
    let path = temp("batches.parquet");
    write_groups(&t, &s, 300, &path);
    let (whole, _) = read_parquet_path(&path, &s, &CsvOptions::default()).unwrap();
    for batch_rows in [1, 7, 128, 300, 5000] {
        let file = std::fs::File::open(&path).unwrap();
        let batches = TableBatches::parquet(file, &s, &CsvOptions::default(), batch_rows).unwrap();
        assert_eq!(batches.total_rows(), Some(1000));
        let tables: Vec<Table> = batches.collect::<Result<_, _>>().unwrap();
        assert!(tables.iter().all(|b| b.n_rows() <= batch_rows));
        assert_eq!(tables.iter().map(Table::n_rows).sum::<usize>(), 1000);
        assert_eq!(rows_of(&tables), rows_of(std::slice::from_ref(&whole)));
    }
    std::fs::remove_file(&path).ok();
}

#[test]
fn ipc_batches_are_cut_to_the_bound() {
    let s = schema(1000.0);
    let t = table();
    let path = temp("batches.arrow");
    write_ipc_path(&t, &s, &path).unwrap();
    let (whole, _) = read_ipc_path(&path, &s, &CsvOptions::default()).unwrap();
    let mut source = ColumnarSource::new(&path, &s, &CsvOptions::default())
        .unwrap()
        .with_batch_rows(64);
    assert_eq!(source.total_rows(), None);
    for _pass in 0..2 {
        let tables: Vec<Table> = source
            .batches()
            .unwrap()
            .map(|b| b.map(std::borrow::Cow::into_owned))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(tables.len(), 1000_usize.div_ceil(64));
        assert_eq!(rows_of(&tables), rows_of(std::slice::from_ref(&whole)));
    }
    std::fs::remove_file(&path).ok();
}

#[test]
fn errors_are_the_whole_reads_at_the_same_row() {
    // Written with k ≤ 1000, read with k ≤ 500: the first bad row is 501, in the third batch.
    let t = table();
    let path = temp("errors.parquet");
    write_groups(&t, &schema(1000.0), 250, &path);
    let narrow = schema(500.0);
    let whole = read_parquet_path(&path, &narrow, &CsvOptions::default()).unwrap_err();
    let file = std::fs::File::open(&path).unwrap();
    let batches = TableBatches::parquet(file, &narrow, &CsvOptions::default(), 200).unwrap();
    let results: Vec<_> = batches.collect();
    std::fs::remove_file(&path).ok();
    // Two good batches, then the error, then nothing.
    assert_eq!(results.len(), 3);
    assert!(results[..2].iter().all(Result::is_ok));
    let err = results[2].as_ref().unwrap_err();
    assert_eq!(err, &whole);
    match err {
        DataError::Read(ReadError::OutOfBounds { at, .. }) => assert_eq!(*at, Position::Row(501)),
        other => panic!("unexpected {other:?}"),
    }
    // A missing file is an I/O error when the source is made.
    let missing = ColumnarSource::new(temp("missing.parquet"), &narrow, &CsvOptions::default());
    assert!(matches!(missing, Err(DataError::Io { .. })));
}

#[test]
fn a_csv_path_is_not_a_columnar_source() {
    let path = temp("not-columnar.csv");
    std::fs::write(&path, "k,c,u\n1,a,p\n").unwrap();
    assert!(!ColumnarSource::is_columnar(&path));
    let err = ColumnarSource::new(&path, &schema(10.0), &CsvOptions::default()).unwrap_err();
    std::fs::remove_file(&path).ok();
    assert!(matches!(err, DataError::Read(ReadError::Arrow { .. })));
}
