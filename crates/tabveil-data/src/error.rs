//! The one error type of the data crate.
//!
//! Errors about user data carry *where* (a [`Position`]: the 1-based line of a CSV file or the
//! 0-based index of an in-memory row), *which column* (by name) and the offending value, so that
//! a message can point at the cell to fix.

use std::fmt;

use tabveil_accountant::AccountantError;
use tabveil_noise::NoiseError;

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
///
/// Schema errors name the column; data errors name the [`Position`], the column and the value.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    // ----- schema -------------------------------------------------------------------------
    /// The schema is not valid JSON or does not have the schema's shape.
    #[error("schema JSON is malformed at line {line}, column {col}: {message}")]
    InvalidSchemaJson {
        /// The parser's message.
        message: String,
        /// 1-based line in the JSON text (0 when unknown).
        line: usize,
        /// 1-based column in the JSON text (0 when unknown).
        col: usize,
    },
    /// Reading or writing a file failed.
    #[error("I/O error on {path}: {message}")]
    Io {
        /// The file (or `"<reader>"` / `"<writer>"` for streams).
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// The schema declares no columns.
    #[error("the schema declares no columns")]
    EmptySchema,
    /// Every column of the schema is an `id` column, so there is nothing to model.
    #[error("the schema has no column to model (only `id` columns)")]
    NoModelledColumns,
    /// A column has an empty (or blank) name.
    #[error("column #{index} (0-based) has an empty name")]
    EmptyColumnName {
        /// 0-based position of the column in the schema.
        index: usize,
    },
    /// Two columns share a name.
    #[error("column name `{column}` is declared twice")]
    DuplicateColumnName {
        /// The repeated name.
        column: String,
    },
    /// A required field of a column is missing (e.g. `kind`, or `format` for a datetime).
    #[error("column `{column}` is missing the field `{field}`")]
    MissingField {
        /// The column.
        column: String,
        /// The missing field.
        field: &'static str,
    },
    /// The column's `kind` is not one of `continuous`, `categorical`, `boolean`, `datetime`,
    /// `id`.
    #[error(
        "column `{column}` has unknown kind `{kind}` (expected continuous, categorical, boolean, datetime or id)"
    )]
    UnknownKind {
        /// The column.
        column: String,
        /// The kind found.
        kind: String,
    },
    /// A column has a field this schema format does not know (often a typo).
    #[error("column `{column}` has an unknown field `{field}`")]
    UnknownField {
        /// The column.
        column: String,
        /// The unknown field.
        field: String,
    },
    /// A column has a field that does not apply to its kind (e.g. `categories` on a continuous
    /// column).
    #[error("column `{column}` of kind {kind} cannot have the field `{field}`")]
    FieldNotAllowed {
        /// The column.
        column: String,
        /// The field.
        field: String,
        /// The column's kind.
        kind: &'static str,
    },
    /// A column field has the wrong JSON type.
    #[error("field `{field}` of column `{column}` must be {expected}")]
    InvalidFieldType {
        /// The column.
        column: String,
        /// The field.
        field: String,
        /// What was expected, in words.
        expected: &'static str,
    },
    /// `min >= max`.
    #[error("column `{column}` has min {min} ≥ max {max}")]
    InvalidBounds {
        /// The column.
        column: String,
        /// Declared minimum.
        min: f64,
        /// Declared maximum.
        max: f64,
    },
    /// A declared bound is NaN or infinite.
    #[error("column `{column}` has a non-finite bound {value}")]
    NonFiniteBound {
        /// The column.
        column: String,
        /// The bound.
        value: f64,
    },
    /// A categorical column declares an empty list of categories.
    #[error("column `{column}` declares an empty list of categories")]
    EmptyCategories {
        /// The column.
        column: String,
    },
    /// A category is declared twice.
    #[error("column `{column}` declares the category `{category}` twice")]
    DuplicateCategory {
        /// The column.
        column: String,
        /// The repeated category.
        category: String,
    },
    /// A category label is empty or has leading/trailing whitespace (it could never be read
    /// back from a CSV file, where fields are trimmed and an empty field is a null).
    #[error(
        "column `{column}` declares the category `{category}`, which is empty or has surrounding whitespace"
    )]
    InvalidCategoryLabel {
        /// The column.
        column: String,
        /// The label.
        category: String,
    },
    /// A boolean column must declare exactly two categories (false first, then true).
    #[error("boolean column `{column}` declares {found} categories; it needs exactly 2")]
    BooleanCategoryCount {
        /// The column.
        column: String,
        /// How many were declared.
        found: usize,
    },
    /// A datetime format string is not a valid strftime format.
    #[error("column `{column}` has an invalid datetime format `{format}`")]
    InvalidDatetimeFormat {
        /// The column.
        column: String,
        /// The format.
        format: String,
    },
    /// A declared datetime bound does not parse with the column's format.
    #[error("column `{column}`: the bound `{value}` does not match the format `{format}`")]
    InvalidDatetimeBound {
        /// The column.
        column: String,
        /// The bound as written.
        value: String,
        /// The column's format.
        format: String,
    },
    /// The schema's `target` is not one of its columns.
    #[error("the target `{target}` is not a column of the schema")]
    UnknownTarget {
        /// The declared target.
        target: String,
    },
    /// The schema's `positive_class` is not a category of the target (or there is no target).
    #[error("positive class `{class}` is not a category of the target `{target}`")]
    InvalidPositiveClass {
        /// The target column (empty when no target is declared).
        target: String,
        /// The declared positive class.
        class: String,
    },
    /// A column name looked up in a schema or table does not exist.
    #[error("there is no column `{column}`")]
    UnknownColumn {
        /// The name looked up.
        column: String,
    },

    // ----- CSV and tables -----------------------------------------------------------------
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
    #[error("the input lacks the schema column(s) {columns:?}")]
    MissingColumns {
        /// The missing columns, in schema order.
        columns: Vec<String>,
    },
    /// Input columns the schema does not declare (rejected unless
    /// [`ExtraColumns::Ignore`](crate::ExtraColumns::Ignore) is set).
    #[error(
        "the input has column(s) {columns:?} that the schema does not declare (set ExtraColumns::Ignore to skip them)"
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
    #[error("CSV error at line {line:?}: {message}")]
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
    #[error("{at}, column `{column}`: {value} is not an integer")]
    NotAnInteger {
        /// Where.
        at: Position,
        /// The column.
        column: String,
        /// The value.
        value: f64,
    },
    /// A value lies outside the column's declared bounds (and clipping is off).
    #[error("{at}, column `{column}`: {value} is outside the declared bounds [{min:?}, {max:?}]")]
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
    #[error("{at}, column `{column}`: {seconds} s since 1970 cannot be written as a date")]
    DatetimeOutOfRange {
        /// Where.
        at: Position,
        /// The column.
        column: String,
        /// Seconds since 1970-01-01T00:00:00.
        seconds: f64,
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
        "{at}, column `{column}`: {count} value(s) outside the declared categories, e.g. {values:?}"
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

    // ----- transformer, DP preprocessing, samplers ----------------------------------------
    /// A configuration parameter is out of range.
    #[error("parameter `{parameter}` = {value} is invalid: {expected}")]
    InvalidParameter {
        /// The parameter.
        parameter: &'static str,
        /// The value, as text.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
    /// A fit needs at least one row.
    #[error("cannot fit on a table with no rows")]
    NoRows,
    /// Private mode needs bounds that the schema does not declare.
    #[error(
        "private mode needs public bounds for column `{column}`: declare `min` and `max` in the schema"
    )]
    MissingBounds {
        /// The column.
        column: String,
    },
    /// Private mode needs categories that the schema does not declare.
    #[error(
        "private mode needs the public list of categories of column `{column}`: declare `categories` in the schema"
    )]
    MissingCategories {
        /// The column.
        column: String,
    },
    /// A matrix has the wrong width for the transformer's layout.
    #[error("matrix has {found} columns, the transformer's output width is {expected}")]
    MatrixWidth {
        /// The layout's width.
        expected: usize,
        /// The width given.
        found: usize,
    },
    /// A matrix's length is not a multiple of its width.
    #[error("matrix of {len} values is not a whole number of rows of width {width}")]
    MatrixShape {
        /// Values given.
        len: usize,
        /// Row width.
        width: usize,
    },
    /// A matrix holds NaN or infinity.
    #[error("matrix value at row {row}, column {col} is not finite")]
    NonFiniteMatrix {
        /// 0-based row.
        row: usize,
        /// 0-based column of the matrix.
        col: usize,
    },
    /// A column cannot be conditioned on (it is continuous, datetime or id).
    #[error("column `{column}` cannot be conditioned on: only categorical and boolean columns can")]
    NotConditionable {
        /// The column.
        column: String,
    },
    /// A value is not a category of the column (when conditioning).
    #[error("`{value}` is not a category of column `{column}`")]
    NotACategory {
        /// The column.
        column: String,
        /// The value.
        value: String,
    },
    /// There is no discrete column to build condition vectors from.
    #[error("the table has no categorical or boolean column to condition on")]
    NoDiscreteColumns,
    /// The schema given does not match the one the object was fitted with.
    #[error("the schema does not match the one used to fit: {reason}")]
    SchemaMismatch {
        /// What differs.
        reason: String,
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
