//! [`TableFormat`]: the table file formats, chosen by file extension, and
//! [`read_table_path`] / [`write_table_path`] that dispatch on it.

use std::io::Write;
use std::path::Path;

use crate::csv_io::{CsvOptions, CsvReport, read_csv_path, write_csv, write_csv_path};
use crate::error::Result;
#[cfg(not(feature = "arrow"))]
use crate::error::{DataError, ReadError};
use crate::schema::Schema;
use crate::table::Table;

/// A table file format.
///
/// ```
/// use tabveil_data::TableFormat;
///
/// assert_eq!(TableFormat::from_path("rows.PARQUET".as_ref()), TableFormat::Parquet);
/// assert_eq!(TableFormat::from_path("rows.feather".as_ref()), TableFormat::ArrowIpc);
/// assert_eq!(TableFormat::from_path("rows.csv".as_ref()), TableFormat::Csv);
/// assert_eq!(TableFormat::from_path("adult.data".as_ref()), TableFormat::Csv);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableFormat {
    /// Comma-separated text with a header line (`.csv`, and any other extension).
    Csv,
    /// Apache Parquet (`.parquet`, `.pq`); needs the `arrow` feature.
    Parquet,
    /// Arrow IPC file or stream, a.k.a. Feather v2 (`.arrow`, `.feather`, `.ipc`); needs the
    /// `arrow` feature.
    ArrowIpc,
}

impl TableFormat {
    /// The format named by the extension of `path` (case-insensitive): `.parquet` and `.pq`
    /// are Parquet, `.arrow`, `.feather` and `.ipc` Arrow IPC, and every other file CSV (so
    /// `adult.data` or `rows.txt` read as they always did).
    pub fn from_path(path: &Path) -> Self {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("parquet" | "pq") => TableFormat::Parquet,
            Some("arrow" | "feather" | "ipc") => TableFormat::ArrowIpc,
            _ => TableFormat::Csv,
        }
    }

    /// The format's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            TableFormat::Csv => "CSV",
            TableFormat::Parquet => "Parquet",
            TableFormat::ArrowIpc => "Arrow IPC",
        }
    }

    /// True when this build reads and writes the format.
    pub fn is_available(self) -> bool {
        matches!(self, TableFormat::Csv) || cfg!(feature = "arrow")
    }
}

/// Reads the table file at `path` in the format its extension names ([`TableFormat`]), with
/// the same checks, options and notes whatever the format.
///
/// # Errors
/// [`crate::ReadError::FormatNotBuilt`] for Parquet or Arrow IPC without the `arrow` feature;
/// otherwise the format's reader's errors.
pub fn read_table_path(
    path: impl AsRef<Path>,
    schema: &Schema,
    options: &CsvOptions,
) -> Result<(Table, CsvReport)> {
    let path = path.as_ref();
    match TableFormat::from_path(path) {
        TableFormat::Csv => read_csv_path(path, schema, options),
        #[cfg(feature = "arrow")]
        TableFormat::Parquet => crate::columnar::read_parquet_path(path, schema, options),
        #[cfg(feature = "arrow")]
        TableFormat::ArrowIpc => crate::columnar::read_ipc_path(path, schema, options),
        #[cfg(not(feature = "arrow"))]
        other => Err(DataError::Read(ReadError::FormatNotBuilt {
            format: other.name(),
        })),
    }
}

/// Writes `table` to `path` in the format its extension names ([`TableFormat`]).
///
/// # Errors
/// As [`read_table_path`] for the format; otherwise the format's writer's errors.
pub fn write_table_path(table: &Table, schema: &Schema, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    match TableFormat::from_path(path) {
        TableFormat::Csv => write_csv_path(table, schema, path),
        #[cfg(feature = "arrow")]
        TableFormat::Parquet => crate::columnar::write_parquet_path(table, schema, path),
        #[cfg(feature = "arrow")]
        TableFormat::ArrowIpc => crate::columnar::write_ipc_path(table, schema, path),
        #[cfg(not(feature = "arrow"))]
        other => Err(DataError::Read(ReadError::FormatNotBuilt {
            format: other.name(),
        })),
    }
}

/// Writes `table` to `writer` in `format` (e.g. into memory, for an atomic file write).
///
/// # Errors
/// [`crate::ReadError::FormatNotBuilt`] for Parquet or Arrow IPC without the `arrow` feature;
/// otherwise the format's writer's errors.
pub fn write_table<W: Write + Send>(
    table: &Table,
    schema: &Schema,
    format: TableFormat,
    writer: W,
) -> Result<()> {
    match format {
        TableFormat::Csv => write_csv(table, schema, writer),
        #[cfg(feature = "arrow")]
        TableFormat::Parquet => crate::columnar::write_parquet(table, schema, writer),
        #[cfg(feature = "arrow")]
        TableFormat::ArrowIpc => crate::columnar::write_ipc(table, schema, writer),
        #[cfg(not(feature = "arrow"))]
        other => Err(DataError::Read(ReadError::FormatNotBuilt {
            format: other.name(),
        })),
    }
}
