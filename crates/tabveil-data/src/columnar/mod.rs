//! Columnar data (feature `arrow`): [`Table`](crate::Table) to and from Arrow record batches
//! ([`Table::to_arrow`](crate::Table::to_arrow), [`ArrowTableBuilder`]), Parquet files
//! ([`read_parquet`], [`write_parquet`]) and Arrow IPC files ([`read_ipc`], [`write_ipc`]).
//!
//! Reading follows the CSV reader's rules and options ([`CsvOptions`](crate::CsvOptions):
//! extra columns, out-of-bounds values, null tokens in text cells) and raises the same typed
//! errors, with 0-based row positions. Writing writes what [`write_csv`](crate::write_csv)
//! would, so Parquet and CSV round trips give the same table.
//!
//! ```
//! use tabveil_data::{read_csv, read_ipc, read_parquet_path, write_ipc, write_parquet_path, CsvOptions, Schema};
//!
//! let schema = Schema::from_json(r#"{"name": "t", "columns": [
//!     {"name": "age", "kind": "continuous", "min": 0, "max": 120, "integer": true},
//!     {"name": "job", "kind": "categorical", "categories": ["a", "b"], "nullable": true},
//!     {"name": "day", "kind": "datetime", "format": "%Y-%m-%d"}
//! ]}"#)?;
//! let (table, _) = read_csv("age,job,day\n31,a,2020-01-02\n45,,2021-03-04\n".as_bytes(), &schema, &CsvOptions::default())?;
//! let path = std::env::temp_dir().join(format!("tabveil-doc-{}.parquet", std::process::id()));
//! write_parquet_path(&table, &schema, &path)?;
//! let (back, _) = read_parquet_path(&path, &schema, &CsvOptions::default())?;
//! assert_eq!(back, table);
//! # std::fs::remove_file(&path).ok();
//! let mut ipc = Vec::new();
//! write_ipc(&table, &schema, &mut ipc)?;
//! let (back, _) = read_ipc(std::io::Cursor::new(ipc), &schema, &CsvOptions::default())?;
//! assert_eq!(back, table);
//! # Ok::<(), tabveil_data::DataError>(())
//! ```

#[cfg(test)]
mod batch_tests;
mod batches;
mod files;
mod infer;
mod read;
#[cfg(test)]
mod tests;
mod write;

pub use batches::{ColumnarSource, DEFAULT_BATCH_ROWS, TableBatches};
pub use files::{
    ColumnarWriter, read_ipc, read_ipc_path, read_parquet, read_parquet_path, write_ipc,
    write_ipc_path, write_parquet, write_parquet_path,
};
pub use infer::{infer_schema_arrow, read_raw_arrow};
pub use read::{ArrowTableBuilder, read_arrow_batches};
pub use write::arrow_schema;

pub(crate) use crate::error::io_error;
use crate::error::{DataError, ReadError};

/// The Arrow or Parquet library's error, as ours.
pub(crate) fn arrow_error(e: impl std::fmt::Display) -> DataError {
    DataError::Read(ReadError::Arrow {
        message: e.to_string(),
    })
}
