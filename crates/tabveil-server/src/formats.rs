//! Upload formats: each is one function from the uploaded bytes and the dataset's public
//! schema to a [`Table`]. A table is stored as uploaded (with its SHA-256) and read again by
//! the same function when a fit starts, so the owner downloads exactly the file they sent.
//!
//! A table that does not fit its schema is refused by [`refusal`] with a typed code, the
//! schema's column and what is wrong — never a value of the table, nor its position.

use axum::body::Bytes;
use axum::http::StatusCode;
use tabveil::data::{CsvOptions, DataError, ReadError, Schema, Table, read_csv, read_parquet};

use crate::api::ApiError;

/// The first four bytes of every Parquet file.
const PARQUET_MAGIC: &[u8; 4] = b"PAR1";

/// A format the server accepts for a dataset's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// CSV with a header line (`text/csv`).
    Csv,
    /// Apache Parquet (`application/vnd.apache.parquet`), any codec pandas, polars or Spark
    /// write by default.
    Parquet,
}

impl Format {
    /// Every format, in the order the API documents them.
    pub(crate) const ALL: [Format; 2] = [Format::Csv, Format::Parquet];

    /// The format of a request's `Content-Type` (parameters such as `charset` are ignored).
    pub(crate) fn from_content_type(content_type: &str) -> Option<Self> {
        let essence = content_type.split(';').next().unwrap_or("").trim();
        match essence.to_ascii_lowercase().as_str() {
            "text/csv" | "application/csv" => Some(Format::Csv),
            // The IANA registration (2024), and the name used before it.
            "application/vnd.apache.parquet" | "application/x-parquet" => Some(Format::Parquet),
            _ => None,
        }
    }

    /// The name stored with the dataset.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }

    /// The stored name back.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        Format::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The media type to serve the table back to its owner with (and to upload it with).
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Parquet => "application/vnd.apache.parquet",
        }
    }

    /// The format `bytes` plainly are, when their magic number says so (a Parquet file sent
    /// as CSV is answered with the right `Content-Type` instead of a confusing parse error).
    pub(crate) fn sniff(bytes: &[u8]) -> Option<Self> {
        // A Parquet file starts and ends with its magic (the footer's length sits before the
        // last one), so a CSV whose header happens to start with `PAR1` is not mistaken.
        (bytes.len() >= 12 && bytes.starts_with(PARQUET_MAGIC) && bytes.ends_with(PARQUET_MAGIC))
            .then_some(Format::Parquet)
    }

    /// Reads `bytes` as a table of `schema`.
    ///
    /// # Errors
    /// The data crate's error (a value outside the schema, a missing column, bad encoding);
    /// answer it with [`refusal`].
    pub(crate) fn read(self, bytes: Bytes, schema: &Schema) -> Result<Table, tabveil::Error> {
        let options = CsvOptions::default();
        let (table, _notes) = match self {
            Format::Csv => read_csv(&bytes[..], schema, &options)?,
            Format::Parquet => read_parquet(bytes, schema, &options)?,
        };
        Ok(table)
    }
}

/// The 415 of an upload whose `Content-Type` is not a table format.
pub(crate) fn unsupported(content_type: &str, bytes: &[u8]) -> ApiError {
    let accepted: Vec<&str> = Format::ALL.iter().map(|f| f.content_type()).collect();
    let mut message = format!(
        "send the table with `Content-Type` one of: {}",
        accepted.join(", ")
    );
    if let Some(f) =
        Format::sniff(bytes).filter(|f| Format::from_content_type(content_type) != Some(*f))
    {
        message = format!(
            "this is a {} file: send it with `Content-Type: {}`",
            f.as_str(),
            f.content_type()
        );
    }
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
        message,
    )
}

/// The 422 of a table that cannot be read as its format or does not fit its schema. The
/// message names the schema's column and the kind of problem only: the library's messages
/// quote values (an unknown category, a number out of bounds) and positions, which are data,
/// and the server echoes no data, not even to their owner.
pub(crate) fn refusal(format: Format, e: &tabveil::Error) -> ApiError {
    let read = match e {
        tabveil::Error::Data(DataError::Read(r)) => r,
        _ => {
            return ApiError::unprocessable(
                "bad-table",
                format!("the table could not be read as {}", format.as_str()),
            );
        }
    };
    let column = |code: &'static str, column: &str, what: &str| {
        ApiError::unprocessable(code, format!("column `{column}`: {what}")).with("column", column)
    };
    match read {
        ReadError::MissingColumns { columns } => ApiError::unprocessable(
            "table-columns",
            format!("the table lacks the schema column(s) {}", quoted(columns)),
        )
        .with("missing", columns),
        ReadError::UnexpectedColumns { columns } => ApiError::unprocessable(
            "table-columns",
            format!(
                "the table has {} column(s) the schema does not declare; upload only the schema's columns",
                columns.len()
            ),
        ),
        ReadError::DuplicateHeader { .. } => {
            ApiError::unprocessable("table-columns", "the table names a column twice")
        }
        ReadError::ColumnCount { expected, found } => ApiError::unprocessable(
            "table-columns",
            format!("the table has {found} columns; the schema has {expected}"),
        ),
        // Arrow types are the file's metadata, not its values.
        ReadError::ArrowType {
            column: c,
            found,
            expected,
        } => column(
            "table-column-type",
            c,
            &format!("the file stores it as {found}; expected {expected}"),
        ),
        ReadError::Arrow { .. } | ReadError::FormatNotBuilt { .. } => ApiError::unprocessable(
            "bad-format",
            format!("this is not a readable {} file", format.as_str()),
        ),
        ReadError::EmptyInput => ApiError::unprocessable("bad-format", "the table is empty"),
        ReadError::Csv { .. } | ReadError::RaggedRow { .. } => ApiError::unprocessable(
            "bad-format",
            "this is not well-formed CSV (a line with the wrong number of fields, or bad quoting)",
        ),
        ReadError::InvalidUtf8 { column: c, .. } => match c {
            Some(c) => column("bad-format", c, "a field is not valid UTF-8"),
            None => ApiError::unprocessable("bad-format", "a field is not valid UTF-8"),
        },
        ReadError::InvalidNumber { column: c, .. }
        | ReadError::NonFiniteNumber { column: c, .. } => {
            column("bad-table", c, "a value is not a finite number")
        }
        ReadError::NotAnInteger { column: c, .. } => column(
            "bad-table",
            c,
            "a value is not an integer (the schema says integer)",
        ),
        ReadError::OutOfBounds { column: c, .. }
        | ReadError::BeyondModelRange { column: c, .. } => {
            column("bad-table", c, "a value is outside the schema's bounds")
        }
        ReadError::InvalidDatetime { column: c, .. }
        | ReadError::DatetimeOutOfRange { column: c, .. } => column(
            "bad-table",
            c,
            "a value does not match the schema's datetime format or range",
        ),
        ReadError::NullInNonNullable { column: c, .. } => column(
            "bad-table",
            c,
            "a value is missing and the schema does not declare the column nullable",
        ),
        // Not even how many: that count is a statistic of the table.
        ReadError::UnknownCategory { column: c, .. } => {
            column("bad-table", c, "a value is outside the schema's categories")
        }
        ReadError::WrongValueType {
            column: c,
            expected,
            ..
        } => column("bad-table", c, &format!("expected {expected}")),
        _ => ApiError::unprocessable("bad-table", "the table does not fit the dataset's schema"),
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;
