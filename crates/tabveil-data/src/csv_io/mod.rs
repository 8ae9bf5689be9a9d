//! CSV reading and writing ([`read_csv`], [`write_csv`]) and schema inference
//! ([`infer_schema`]).
//!
//! ```
//! use tabveil_data::{read_csv, write_csv, CsvOptions, Schema};
//!
//! let schema = Schema::from_json(r#"{"name": "t", "columns": [
//!     {"name": "age", "kind": "continuous", "min": 0, "max": 120, "integer": true},
//!     {"name": "job", "kind": "categorical", "categories": ["a", "b"], "nullable": true}
//! ]}"#)?;
//! // Columns are matched by name, in any order; `?` is read as missing here.
//! let csv = "job,age\na,31\n?,45\n";
//! let options = CsvOptions::default().with_null_tokens(["?"]);
//! let (table, report) = read_csv(csv.as_bytes(), &schema, &options)?;
//! assert_eq!(table.n_rows(), 2);
//! assert!(table.column("job").unwrap().is_null(1));
//! assert!(report.notes().is_empty());
//!
//! let mut out = Vec::new();
//! write_csv(&table, &schema, &mut out)?;
//! assert_eq!(String::from_utf8(out).unwrap(), "age,job\n31,a\n45,\n");
//! # Ok::<(), tabveil_data::DataError>(())
//! ```

pub(crate) mod infer;
pub(crate) mod read;
#[cfg(test)]
mod tests;
mod write;

use serde::{Deserialize, Serialize};

pub use infer::{InferredSchema, NotPrivateWarning, infer_schema, infer_schema_path};
pub use read::{read_csv, read_csv_path};
#[cfg(feature = "arrow")]
pub(crate) use write::check_table;
pub use write::{CsvWriter, write_csv, write_csv_path};

/// What to do with CSV columns the schema does not declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtraColumns {
    /// Fail with [`crate::ReadError::UnexpectedColumns`](crate::ReadError::UnexpectedColumns).
    #[default]
    Reject,
    /// Skip them, with a [`CsvNote::IgnoredColumns`] in the report.
    Ignore,
}

/// What to do with a continuous or datetime value outside the declared bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutOfBounds {
    /// Fail with [`crate::ReadError::OutOfBounds`](crate::ReadError::OutOfBounds).
    #[default]
    Error,
    /// Clip to the nearest bound. Nothing about the clipped values (not even how many there
    /// were) is reported: in private mode that count would be a release of the data.
    Clip,
}

/// Options of the CSV reader (the writer always writes comma-separated UTF-8 with a header).
///
/// # Defaults
/// - delimiter `,`;
/// - null tokens: none besides the empty field, which is always a null;
/// - surrounding whitespace of every field is trimmed;
/// - extra columns: [`ExtraColumns::Reject`];
/// - out-of-bounds values: [`OutOfBounds::Error`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvOptions {
    delimiter: u8,
    null_tokens: Vec<String>,
    trim: bool,
    extra_columns: ExtraColumns,
    out_of_bounds: OutOfBounds,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: b',',
            null_tokens: Vec::new(),
            trim: true,
            extra_columns: ExtraColumns::Reject,
            out_of_bounds: OutOfBounds::Error,
        }
    }
}

impl CsvOptions {
    /// The field delimiter (one byte, e.g. `b';'` or `b'\t'`).
    #[must_use]
    pub fn with_delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Field values read as missing, besides the empty field (e.g. `?`, `NA`). Compared after
    /// trimming, case-sensitively.
    #[must_use]
    pub fn with_null_tokens<S: Into<String>>(
        mut self,
        tokens: impl IntoIterator<Item = S>,
    ) -> Self {
        self.null_tokens = tokens.into_iter().map(Into::into).collect();
        self
    }

    /// Whether to trim surrounding whitespace from every field.
    #[must_use]
    pub fn with_trim(mut self, trim: bool) -> Self {
        self.trim = trim;
        self
    }

    /// What to do with columns the schema does not declare.
    #[must_use]
    pub fn with_extra_columns(mut self, extra: ExtraColumns) -> Self {
        self.extra_columns = extra;
        self
    }

    /// What to do with values outside the declared bounds.
    #[must_use]
    pub fn with_out_of_bounds(mut self, policy: OutOfBounds) -> Self {
        self.out_of_bounds = policy;
        self
    }

    /// The delimiter.
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// The extra null tokens.
    pub fn null_tokens(&self) -> &[String] {
        &self.null_tokens
    }

    /// Whether fields are trimmed.
    pub fn trim(&self) -> bool {
        self.trim
    }

    /// The extra-column policy.
    pub fn extra_columns(&self) -> ExtraColumns {
        self.extra_columns
    }

    /// The out-of-bounds policy.
    pub fn out_of_bounds(&self) -> OutOfBounds {
        self.out_of_bounds
    }

    pub(crate) fn is_null(&self, field: &str) -> bool {
        field.is_empty() || self.null_tokens.iter().any(|t| t == field)
    }
}

/// Something the reader did that the caller should know about. Notes never contain counts or
/// values of the data.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "note")]
pub enum CsvNote {
    /// These CSV columns are not in the schema and were skipped ([`ExtraColumns::Ignore`]).
    IgnoredColumns {
        /// Their header names, in file order.
        columns: Vec<String>,
    },
    /// The schema declares no categories for this column, so its domain was read from the
    /// data: fine for non-private use, **not private** (private mode refuses such a column).
    CategoriesFromData {
        /// The column.
        column: String,
    },
}

/// What [`read_csv`] reports besides the table.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CsvReport {
    notes: Vec<CsvNote>,
}

impl CsvReport {
    /// The notes, in the order they arose.
    pub fn notes(&self) -> &[CsvNote] {
        &self.notes
    }

    pub(crate) fn push(&mut self, note: CsvNote) {
        self.notes.push(note);
    }
}

/// The CSV reader every reader of this crate uses: no header handling (the caller reads the
/// header line), ragged rows allowed (the caller reports them), the options' delimiter and
/// trimming.
pub(crate) fn csv_reader<R: std::io::Read>(reader: R, options: &CsvOptions) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(options.delimiter())
        .trim(if options.trim() {
            csv::Trim::All
        } else {
            csv::Trim::None
        })
        .from_reader(reader)
}

/// Reads the next record; `false` at the end. I/O and CSV errors become typed errors.
pub(crate) fn read_record<R: std::io::Read>(
    rdr: &mut csv::Reader<R>,
    record: &mut csv::ByteRecord,
) -> crate::error::Result<bool> {
    rdr.read_byte_record(record).map_err(|e| {
        let line = e.position().map(csv::Position::line);
        match e.into_kind() {
            csv::ErrorKind::Io(io) => crate::error::DataError::Io {
                path: "<reader>".to_owned(),
                message: io.to_string(),
            },
            other => crate::error::DataError::Read(crate::error::ReadError::Csv {
                line,
                message: format!("{other:?}"),
            }),
        }
    })
}
