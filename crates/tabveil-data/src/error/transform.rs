//! [`TransformError`]: what can go wrong fitting or applying the transformer, the private
//! preprocessing or a condition sampler.

/// Fitting or applying the transformer, the private preprocessing or a condition sampler
/// failed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransformError {
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
}
