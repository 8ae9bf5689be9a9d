//! Issue 16: `tabveil fit --model marginal` reads Parquet in bounded batches, and fits exactly
//! the model it fits on the same rows as CSV (read whole).

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

mod common;

use common::{Fixture, error_line, stderr, stdout};
use tabveil::data::{ColumnarWriter, CsvOptions, Schema, read_csv_path};

/// `train.csv` of the fixture, as Parquet in row groups of 100 rows.
fn parquet(f: &Fixture, name: &str) {
    let schema = Schema::from_json(common::SCHEMA).unwrap();
    let (table, _) = read_csv_path(f.path("train.csv"), &schema, &CsvOptions::default()).unwrap();
    let file = std::fs::File::create(f.path(name)).unwrap();
    let mut w = ColumnarWriter::parquet(file, &schema).unwrap();
    let rows: Vec<usize> = (0..table.n_rows()).collect();
    for chunk in rows.chunks(100) {
        w.write(&table.select_rows(chunk).unwrap()).unwrap();
    }
    w.finish().unwrap();
}

fn fit(f: &Fixture, data: &str, out: &str) -> std::process::Output {
    f.run(&[
        "fit",
        "--model",
        "marginal",
        "--data",
        data,
        "--schema",
        "schema.json",
        "--epsilon",
        "2",
        "--delta",
        "1e-6",
        "--noise-seed",
        "11",
        "--json",
        "--out",
        out,
    ])
}

#[test]
fn issue_16_a_streamed_parquet_fit_is_the_csv_fit() {
    let f = Fixture::new("stream");
    parquet(&f, "train.parquet");
    let csv = fit(&f, "train.csv", "m_csv");
    assert!(csv.status.success(), "{}", stderr(&csv));
    let pq = fit(&f, "train.parquet", "m_pq");
    assert!(pq.status.success(), "{}", stderr(&pq));
    assert_eq!(
        stdout(&csv).replace("m_csv", "OUT"),
        stdout(&pq).replace("m_pq", "OUT")
    );
    let mut files: Vec<_> = std::fs::read_dir(f.path("m_csv"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for name in files {
        let a = std::fs::read(f.path("m_csv").join(&name)).unwrap();
        let b = std::fs::read(f.path("m_pq").join(&name)).unwrap();
        assert!(a == b, "{name:?} differs");
    }
}

#[test]
fn issue_16_a_damaged_parquet_file_is_one_error_line_before_any_release() {
    let f = Fixture::new("stream-bad");
    std::fs::write(f.path("bad.parquet"), b"PAR1 nope").unwrap();
    let o = fit(&f, "bad.parquet", "m");
    assert!(!o.status.success());
    assert!(error_line(&o).contains("bad.parquet"), "{}", stderr(&o));
    assert!(!f.path("m").exists());
}
