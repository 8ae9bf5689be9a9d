//! [`ReadError`]: data that does not fit its schema — a CSV, Parquet or Arrow IPC file, Arrow
//! record batches, rows or columns given in memory — or cannot be written back.

use super::Position;
use super::format::{at_line, bounds, names, num};

/// The data does not fit the schema (the error names the [`Position`], the column and the
/// value).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReadError {
    /// The CSV input is empty (not even a header line).
    #[error("the CSV input is empty (no header line)")]
    EmptyInput,
    /// The CSV header (or the Arrow schema) names a column twice.
    #[error("the input names the column `{column}` twice")]
    DuplicateHeader {
        /// The repeated name.
        column: String,
    },
    /// Schema columns absent from the CSV header (or the Arrow schema).
    #[error("the input lacks the schema column(s) {}", names(.columns))]
    MissingColumns {
        /// The missing columns, in schema order.
        columns: Vec<String>,
    },
    /// Input columns the schema does not declare (rejected unless
    /// [`ExtraColumns::Ignore`](crate::ExtraColumns::Ignore) is set).
    #[error(
        "the input has column(s) {} that the schema does not declare (set ExtraColumns::Ignore to skip them)",
        names(.columns)
    )]
    UnexpectedColumns {
        /// The extra columns, in file order.
        columns: Vec<String>,
    },
    /// A record has a different number of fields than the header.
    #[error("line {line}: expected {expected} fields (as in the header), found {found}")]
    RaggedRow {
        /// 1-based line.
        line: u64,
        /// Fields in the header.
        expected: usize,
        /// Fields in this record.
        found: usize,
    },
    /// A field is not valid UTF-8.
    #[error("line {line}, field {field}: not valid UTF-8")]
    InvalidUtf8 {
        /// 1-based line.
        line: u64,
        /// 1-based field number.
        field: usize,
        /// The column, when the field belongs to a known column.
        column: Option<String>,
    },
    /// The CSV parser failed for another reason.
    #[error("CSV error{}: {message}", at_line(*.line))]
    Csv {
        /// 1-based line, when known.
        line: Option<u64>,
        /// The parser's message.
        message: String,
    },
    /// A value of a continuous column is not a number.
    #[error("{at}, column `{column}`: `{value}` is not a number")]
    InvalidNumber {
        /// Where.
        at: Position,
        /// The column.
        column: String,
        /// The text found.
        value: String,
    },
    /// An Arrow column has a data type that cannot hold this column's kind.
    #[error("column `{column}` has the Arrow type {found}; expected {expected}")]
    ArrowType {
        /// The column.
        column: String,
        /// The Arrow data type found.
        found: String,
        /// What the column's kind accepts.
        expected: &'static str,
    },
    /// The Arrow or Parquet library failed (a malformed file, an unsupported encoding, a
    /// record batch that does not match the first one).
    #[error("Arrow/Parquet error: {message}")]
    Arrow {
        /// The library's message.
        message: String,
    },
    /// The format needs a cargo feature this build lacks.
    #[error("{format} files need tabveil-data's `arrow` feature, which this build lacks")]
    FormatNotBuilt {
        /// The format.
        format: &'static str,
    },
    /// A value cannot be written in the output's type (e.g. an integer beyond ±2⁶³).
    #[error("{at}, column `{column}`: {value} cannot be written as {target}")]
    NotRepresentable {
        /// Where.
        at: Position,
        /// The column.
        column: String,
        /// The value.
        value: f64,
        /// The output type.
        target: &'static str,
    },
    /// A value is NaN or infinite.
    #[error("{at}, column `{column}`: `{value}` is not finite")]
    NonFiniteNumber {
        /// Where.
        at: Position,
        /// The column.
        column: String,
        /// The value found, as text.
        value: String,
    },
    /// A value of an integer column has a fractional part.
    #[error("{at}, column `{column}`: {} is not an integer", num(*.value))]
    NotAnInteger {
        /// Where.
        at: Position,
        /// The column.
        column: String,
        /// The value.
        value: f64,
    },
    /// A value lies outside the column's declared bounds (and clipping is off).
    #[error(
        "{at}, column `{column}`: {} is outside the declared bounds {}",
        num(*.value),
        bounds(*.min, *.max)
    )]
    OutOfBounds {
        /// Where.
        at: Position,
        /// The column.
        column: String,
        /// The value (seconds since 1970-01-01 for datetimes).
        value: f64,
        /// Declared minimum.
        min: Option<f64>,
        /// Declared maximum.
        max: Option<f64>,
    },
    /// A datetime value does not match the column's format.
    #[error("{at}, column `{column}`: `{value}` does not match the datetime format `{format}`")]
    InvalidDatetime {
        /// Where.
        at: Position,
        /// The column.
        column: String,
        /// The text found.
        value: String,
        /// The column's format.
        format: String,
    },
    /// A datetime is outside the range that can be written (year −262 143 … 262 142).
    #[error(
        "{at}, column `{column}`: {} s since 1970 cannot be written as a date",
        num(*.seconds)
    )]
    DatetimeOutOfRange {
        /// Where.
        at: Position,
        /// The column.
        column: String,
        /// Seconds since 1970-01-01T00:00:00.
        seconds: f64,
    },
    /// A value whose magnitude exceeds [`MAX_ABS_VALUE`](crate::MAX_ABS_VALUE), the largest the
    /// transformer's mixture fits handle.
    #[error(
        "{at}, column `{column}`: {} is beyond ±{}, the largest magnitude tabveil models",
        num(*.value),
        num(crate::MAX_ABS_VALUE)
    )]
    BeyondModelRange {
        /// Where.
        at: Position,
        /// The column.
        column: String,
        /// The value.
        value: f64,
    },
    /// A null in a column that is not declared `nullable`.
    #[error("{at}, column `{column}`: missing value in a column that is not nullable")]
    NullInNonNullable {
        /// Where.
        at: Position,
        /// The column.
        column: String,
    },
    /// Values outside a column's declared categories. `at` is the first occurrence, `values`
    /// the first few distinct offending values, `count` the number of offending cells seen
    /// before reading stopped.
    #[error(
        "{at}, column `{column}`: {count} value(s) outside the declared categories, e.g. {}",
        names(.values)
    )]
    UnknownCategory {
        /// First occurrence.
        at: Position,
        /// The column.
        column: String,
        /// The first few distinct offending values.
        values: Vec<String>,
        /// How many offending cells were seen.
        count: usize,
    },
    /// A declared category equals a token that the CSV options read as a null.
    #[error("column `{column}`: the category `{category}` is also a null token")]
    CategoryIsNullToken {
        /// The column.
        column: String,
        /// The category.
        category: String,
    },
    /// An in-memory value has the wrong type for its column.
    #[error("{at}, column `{column}`: expected {expected}")]
    WrongValueType {
        /// Where.
        at: Position,
        /// The column.
        column: String,
        /// What the column accepts.
        expected: &'static str,
    },
    /// An in-memory row has the wrong number of values.
    #[error("row {row}: expected {expected} values (one per schema column), found {found}")]
    RowLength {
        /// 0-based row.
        row: usize,
        /// Columns in the schema.
        expected: usize,
        /// Values in the row.
        found: usize,
    },
    /// A table was built with a different number of columns than the schema has.
    #[error("expected {expected} columns (one per schema column), found {found}")]
    ColumnCount {
        /// Columns in the schema.
        expected: usize,
        /// Columns given.
        found: usize,
    },
    /// A table column does not match the schema column at the same position.
    #[error("column #{index} is `{found}` but the schema has `{expected}` there")]
    ColumnName {
        /// 0-based position.
        index: usize,
        /// The schema's name.
        expected: String,
        /// The name given.
        found: String,
    },
    /// A table column holds the wrong kind of data for its schema column.
    #[error("column `{column}` must hold {expected} data")]
    ColumnKind {
        /// The column.
        column: String,
        /// What the schema requires.
        expected: &'static str,
    },
    /// Columns of one table have different lengths.
    #[error("column `{column}` has {found} rows, expected {expected}")]
    ColumnLength {
        /// The column.
        column: String,
        /// The length of the first column.
        expected: usize,
        /// This column's length.
        found: usize,
    },
    /// A categorical code is not an index into the column's domain.
    #[error(
        "{at}, column `{column}`: category index {index} is outside the domain of {domain_size}"
    )]
    CategoryIndex {
        /// Where.
        at: Position,
        /// The column.
        column: String,
        /// The index.
        index: u32,
        /// Size of the domain.
        domain_size: usize,
    },
    /// A categorical column without declared categories was given without a domain.
    #[error("column `{column}` declares no categories and was given none")]
    MissingDomain {
        /// The column.
        column: String,
    },
    /// A column's domain disagrees with the categories the schema declares.
    #[error("column `{column}` has a domain different from the schema's declared categories")]
    DomainMismatch {
        /// The column.
        column: String,
    },
    /// A row index is past the end of the table.
    #[error("row {row} is out of range for a table of {n_rows} rows")]
    RowOutOfRange {
        /// The index.
        row: usize,
        /// Rows in the table.
        n_rows: usize,
    },
}
