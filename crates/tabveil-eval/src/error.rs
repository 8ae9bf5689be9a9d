//! The one error type of the evaluation crate.

use std::fmt;

/// Which table an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableRole {
    /// The real table the synthesizer was trained on.
    Real,
    /// The synthetic table under evaluation.
    Synthetic,
    /// Real rows the synthesizer never saw.
    Holdout,
}

impl fmt::Display for TableRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Real => "real",
            Self::Synthetic => "synthetic",
            Self::Holdout => "holdout",
        })
    }
}

/// What can go wrong while evaluating a synthetic table.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// A table has no rows.
    #[error("the {table} table has no rows")]
    EmptyTable {
        /// The empty table.
        table: TableRole,
    },
    /// A column the schema declares is missing from a table.
    #[error("column {column:?} is declared in the schema but missing from the {table} table")]
    MissingColumn {
        /// The table that lacks the column.
        table: TableRole,
        /// The column's name.
        column: String,
    },
    /// A table has a column the schema does not declare.
    #[error("the {table} table has column {column:?}, which the schema does not declare")]
    UnexpectedColumn {
        /// The table with the extra column.
        table: TableRole,
        /// The column's name.
        column: String,
    },
    /// A table's column does not have the kind the schema declares.
    #[error(
        "column {column:?} of the {table} table is {found}, but the schema declares it {expected}"
    )]
    KindMismatch {
        /// The table.
        table: TableRole,
        /// The column's name.
        column: String,
        /// The kind the schema declares.
        expected: &'static str,
        /// The kind found in the table.
        found: &'static str,
    },
    /// A categorical code lies outside the declared domain.
    #[error(
        "column {column:?} of the {table} table holds code {code}, outside its {categories} declared categories"
    )]
    CodeOutOfDomain {
        /// The table.
        table: TableRole,
        /// The column's name.
        column: String,
        /// The offending code.
        code: u32,
        /// The size of the declared domain.
        categories: usize,
    },
    /// A column of a table has a different length than the table's other columns.
    #[error("column {column:?} of the {table} table has {found} values, expected {expected}")]
    RaggedColumn {
        /// The table.
        table: TableRole,
        /// The column's name.
        column: String,
        /// The number of rows of the table.
        expected: usize,
        /// The length of this column.
        found: usize,
    },
    /// A column named in the configuration (target, sensitive column) is not in the schema.
    #[error("the {role} column {column:?} is not in the schema")]
    UnknownColumn {
        /// What the column was named for ("target", "sensitive").
        role: &'static str,
        /// The name given.
        column: String,
    },
    /// A column named in the configuration has a kind the metric cannot use.
    #[error("the {role} column {column:?} must be {required}")]
    UnsupportedColumnKind {
        /// What the column was named for ("target", "sensitive").
        role: &'static str,
        /// The name given.
        column: String,
        /// What the metric needs.
        required: &'static str,
    },
    /// The declared positive class is not a category of the target column.
    #[error("positive class {class:?} is not a category of the target column {column:?}")]
    UnknownPositiveClass {
        /// The target column.
        column: String,
        /// The class given.
        class: String,
    },
    /// A binary metric was asked of a target with a number of classes it cannot handle.
    #[error(
        "the target column {column:?} has {classes} declared categories; ML utility needs exactly 2 (binary classification)"
    )]
    NotBinaryTarget {
        /// The target column.
        column: String,
        /// The number of declared categories.
        classes: usize,
    },
    /// Two slices handed to a metric kernel have different lengths.
    #[error("{what}: lengths differ ({left} vs {right})")]
    LengthMismatch {
        /// Which inputs.
        what: &'static str,
        /// Length of the first.
        left: usize,
        /// Length of the second.
        right: usize,
    },
    /// A configuration value is out of range.
    #[error("invalid configuration: {parameter} = {value} ({reason})")]
    InvalidConfig {
        /// The parameter's name.
        parameter: &'static str,
        /// The rejected value, as text.
        value: String,
        /// What is allowed.
        reason: &'static str,
    },
    /// Drawing a plot failed.
    #[error("drawing the {plot} plot failed: {message}")]
    Plot {
        /// Which plot.
        plot: String,
        /// The plotting library's error, as text.
        message: String,
    },
    /// Reading the input data failed (schema, CSV, table).
    #[error(transparent)]
    Data(#[from] tabveil_data::DataError),
    /// An invariant of this crate did not hold (a bug: please report it).
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, EvalError>;
