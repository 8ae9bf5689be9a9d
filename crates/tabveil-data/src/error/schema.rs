//! [`SchemaError`]: what can be wrong with a schema.

use super::format::{num, schema_json};

/// A schema is invalid (the error names the column at fault).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    /// The schema is not valid JSON or does not have the schema's shape.
    #[error("{}", schema_json(.message, *.line, *.col))]
    InvalidSchemaJson {
        /// The parser's message.
        message: String,
        /// 1-based line in the JSON text (0 when unknown).
        line: usize,
        /// 1-based column in the JSON text (0 when unknown).
        col: usize,
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
    #[error("column `{column}` has min {} ≥ max {}", num(*.min), num(*.max))]
    InvalidBounds {
        /// The column.
        column: String,
        /// Declared minimum.
        min: f64,
        /// Declared maximum.
        max: f64,
    },
    /// A declared bound is NaN or infinite.
    #[error("column `{column}` has a non-finite bound {}", num(*.value))]
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
    /// A categorical column's `other` category is not one of its categories.
    #[error(
        "column `{column}` names `{other}` as its `other` category, but it is not one of its categories"
    )]
    InvalidOther {
        /// The column.
        column: String,
        /// The declared `other` category.
        other: String,
    },
    /// A column's `origin` is not `"declared"` or `{"private": {...}}`.
    #[error("column `{column}` has an invalid `origin`: {message}")]
    InvalidOrigin {
        /// The column.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// A bound whose magnitude exceeds [`MAX_ABS_VALUE`](crate::MAX_ABS_VALUE), the largest the
    /// transformer's mixture fits handle (they square the spread of a column).
    #[error(
        "column `{column}` has the bound {}, beyond ±{}: the largest magnitude tabveil models (its mixture fits square the spread of a column)",
        num(*.value),
        num(crate::MAX_ABS_VALUE)
    )]
    BoundBeyondModelRange {
        /// The column.
        column: String,
        /// The bound.
        value: f64,
    },
    /// The schema was read from the data (`"inferred_from_data": true`, written by
    /// `infer_schema`) and private mode refuses it until the user has reviewed it.
    #[error(
        "the schema was inferred from the data (\"inferred_from_data\": true): its bounds and categories are exact values of the rows, which a private fit would release; review them, replace them with public knowledge, then remove the \"inferred_from_data\" mark"
    )]
    SchemaNotReviewed,
    /// A column name looked up in a schema or table does not exist.
    #[error("there is no column `{column}`")]
    UnknownColumn {
        /// The name looked up.
        column: String,
    },
    /// A constraint names a column the schema does not have.
    #[error("constraint `{constraint}`: there is no column `{column}`")]
    ConstraintUnknownColumn {
        /// The constraint (its name or generated label).
        constraint: String,
        /// The column named.
        column: String,
    },
    /// A constraint reads a column of a kind it cannot use (e.g. an inequality on a
    /// categorical column), or gives a value of the wrong type for a column.
    #[error("constraint `{constraint}`: column `{column}` needs {expected}")]
    ConstraintKindMismatch {
        /// The constraint.
        constraint: String,
        /// The column.
        column: String,
        /// What the constraint needs there.
        expected: &'static str,
    },
    /// A value declared by a constraint lies outside the column's public domain (a category
    /// not declared, a number outside the bounds or not whole for an integer column, a null
    /// for a column that is not nullable).
    #[error(
        "constraint `{constraint}`: the value {value} is outside the public domain of column `{column}`"
    )]
    ConstraintValueOutsideDomain {
        /// The constraint.
        constraint: String,
        /// The column.
        column: String,
        /// The value as written.
        value: String,
    },
    /// A constraint cannot be met by any row within the schema's public domains, alone or
    /// together with another constraint (found from the schema alone, without data).
    #[error("constraint `{constraint}` cannot be met: {reason}")]
    ImpossibleConstraint {
        /// The constraint.
        constraint: String,
        /// Why.
        reason: String,
    },
    /// A constraint is malformed (a missing or mistyped field, a combination of the wrong
    /// length, a column listed twice).
    #[error("constraint `{constraint}` is invalid: {message}")]
    InvalidConstraint {
        /// The constraint (its name, generated label, or `#i` when it could not be read).
        constraint: String,
        /// What is wrong.
        message: String,
    },
}
