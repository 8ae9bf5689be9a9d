//! Upload formats: each is one function from the uploaded bytes and the dataset's public
//! schema to a [`Table`]. Adding a format (Parquet, once `tabveil-data` reads it) is one arm in
//! [`Format::from_content_type`] and one function here.

use tabveil::data::{CsvOptions, Schema, Table, read_csv};

/// A format the server accepts for a dataset's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// CSV with a header line (`text/csv`).
    Csv,
}

impl Format {
    /// The format of a request's `Content-Type` (parameters such as `charset` are ignored).
    pub(crate) fn from_content_type(content_type: &str) -> Option<Self> {
        let essence = content_type.split(';').next().unwrap_or("").trim();
        match essence.to_ascii_lowercase().as_str() {
            "text/csv" | "application/csv" => Some(Format::Csv),
            _ => None,
        }
    }

    /// The name stored with the dataset.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
        }
    }

    /// The stored name back.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    /// The media type to serve the table back to its owner with.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
        }
    }

    /// Reads `bytes` as a table of `schema`.
    ///
    /// # Errors
    /// The data crate's error (a value outside the schema, a missing column, bad encoding).
    pub(crate) fn read(self, bytes: &[u8], schema: &Schema) -> Result<Table, tabveil::Error> {
        match self {
            Format::Csv => read_table_csv(bytes, schema),
        }
    }
}

fn read_table_csv(bytes: &[u8], schema: &Schema) -> Result<Table, tabveil::Error> {
    let (table, _notes) = read_csv(bytes, schema, &CsvOptions::default())?;
    Ok(table)
}
