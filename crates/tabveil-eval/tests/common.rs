//! Shared helpers of the integration tests: reading the repository's CSVs (plain or gzipped).

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions"
)]
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};

use tabveil_data::{CsvOptions, Schema, Table, read_csv};

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Reads a schema given relative to the repository root.
pub fn schema(relative: &str) -> Schema {
    Schema::from_path(repo_root().join(relative)).unwrap()
}

/// Reads a CSV (gzipped when the name ends in `.gz`) given relative to the repository root.
pub fn table(relative: &str, schema: &Schema) -> Table {
    let path = repo_root().join(relative);
    let bytes = std::fs::read(&path).unwrap();
    let text = if relative.ends_with(".gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        bytes
    };
    read_csv(&text[..], schema, &CsvOptions::default())
        .unwrap()
        .0
}
