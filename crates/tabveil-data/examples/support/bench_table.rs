//! The shared benchmark table for the timing examples (`examples/support` is not an example of
//! its own; the examples include this file with `#[path]`).

use tabveil_data::{CsvOptions, Schema, Table, infer_schema_path, read_csv_path};

/// The repository's `data` folder.
pub fn data_dir() -> String {
    format!("{}/../../data", env!("CARGO_MANIFEST_DIR"))
}

/// `data/bench_table.csv` with the schema inferred from it.
pub fn bench_table() -> (Table, Schema) {
    let path = format!("{}/bench_table.csv", data_dir());
    let schema = infer_schema_path(&path, &CsvOptions::default())
        .unwrap()
        .schema;
    let (table, _) = read_csv_path(&path, &schema, &CsvOptions::default()).unwrap();
    (table, schema)
}
