//! The errors of the data crate: [`DataError`] joins the errors of the three things the crate
//! does — reading a schema ([`SchemaError`]), reading data into a table ([`ReadError`]) and
//! transforming it, privately or not ([`TransformError`]) — with `#[from]`, plus what all of
//! them share (I/O, cancellation, the accountant's and the noise's errors).
//!
//! Errors about user data carry *where* (a [`Position`]: the 1-based line of a CSV file or the
//! 0-based index of an in-memory row), *which column* (by name) and the offending value, so that
//! a message can point at the cell to fix.

pub(crate) mod format;
mod read;
mod schema;
mod transform;

use std::fmt;

use tabveil_accountant::AccountantError;
use tabveil_noise::NoiseError;

pub use read::ReadError;
pub use schema::SchemaError;
pub use transform::TransformError;

/// Where in the input a value was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Position {
    /// A 1-based line of a CSV file (the header is line 1). For a quoted field spanning several
    /// lines, the line where its record starts.
    Line(u64),
    /// The 0-based index of a row given in memory (e.g. to [`crate::Table::from_rows`]).
    Row(usize),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(line) => write!(f, "line {line}"),
            Position::Row(row) => write!(f, "row {row}"),
        }
    }
}

/// Everything that can go wrong in this crate.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    /// The schema is invalid.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// The data does not fit the schema (a CSV file, rows, columns).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Fitting or applying the transformer, the private preprocessing or a condition sampler
    /// failed.
    #[error(transparent)]
    Transform(#[from] TransformError),
    /// Reading or writing a file failed.
    #[error("I/O error on {path}: {message}")]
    Io {
        /// The file (or `"<reader>"` / `"<writer>"` for streams).
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// The work was cancelled through the progress callback.
    #[error("cancelled by the progress callback")]
    Cancelled,
    /// A privacy-accounting error (recording on the ledger).
    #[error(transparent)]
    Accountant(#[from] AccountantError),
    /// A noise-drawing error.
    #[error(transparent)]
    Noise(#[from] NoiseError),
    /// An internal invariant failed: a bug in this crate. Please report it.
    #[error("internal error (a bug in tabveil-data): {0}")]
    Internal(&'static str),
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, DataError>;

/// An I/O error on `path`, as ours.
pub(crate) fn io_error(path: &std::path::Path, e: &std::io::Error) -> DataError {
    DataError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Opens the file at `path` for reading.
///
/// # Errors
/// [`DataError::Io`] if it cannot be opened.
pub(crate) fn open_file(path: &std::path::Path) -> Result<std::fs::File> {
    std::fs::File::open(path).map_err(|e| io_error(path, &e))
}
