//! [`Schema`]: the public description of a table (column kinds, bounds, categories).
//!
//! The JSON format is the one of the bundled `data/adult/schema.json`:
//!
//! ```
//! use tabveil_data::{ColumnKind, Schema};
//!
//! let schema = Schema::from_json(r#"{
//!   "name": "people",
//!   "target": "sex",
//!   "source": "kept as an extra key",
//!   "columns": [
//!     {"name": "age", "kind": "continuous", "min": 15, "max": 90, "integer": true},
//!     {"name": "sex", "kind": "categorical", "categories": ["F", "M"]},
//!     {"name": "job", "kind": "categorical", "categories": ["a", "b"], "nullable": true},
//!     {"name": "joined", "kind": "datetime", "format": "%Y-%m-%d", "min": "2000-01-01"},
//!     {"name": "id", "kind": "id"}
//!   ]
//! }"#)?;
//! assert_eq!(schema.columns().len(), 5);
//! assert_eq!(schema.column_index("sex"), Some(1));
//! assert!(matches!(schema.column("age").unwrap().kind(), ColumnKind::Continuous { .. }));
//! assert_eq!(schema.target(), Some("sex"));
//! // Round trip through JSON.
//! assert_eq!(Schema::from_json(&schema.to_json()?)?, schema);
//! # Ok::<(), tabveil_data::DataError>(())
//! ```

mod column;
mod constraint;
mod constraint_json;
#[cfg(test)]
mod constraint_tests;
mod enforce;
mod json;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::SchemaError;
use crate::error::{DataError, Result};

pub use column::{
    ColumnKind, ColumnOrigin, ColumnSchema, DEFAULT_BOOLEAN_LABELS, MAX_ABS_VALUE, PrivateOrigin,
};
pub use constraint::{Cell, Constraint, ConstraintRule};
pub use enforce::ConstraintCheck;

/// The public description of a table: its columns in order, plus optional metadata.
///
/// Construct with [`Schema::new`] or [`Schema::from_json`]; both validate, so every `Schema`
/// in existence is valid. Top-level JSON keys other than `name`, `description`, `target`,
/// `positive_class`, `inferred_from_data`, `columns` and `constraints` are kept as they are
/// ([`Schema::extra`]).
///
/// A schema read from the data by [`infer_schema`](crate::infer_schema) is marked
/// ([`Schema::is_inferred_from_data`], `"inferred_from_data": true` in JSON): its bounds and
/// categories are exact values of the rows, so private preprocessing refuses it until the user
/// has reviewed it and removed the mark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "serde_json::Value", into = "serde_json::Value")]
pub struct Schema {
    name: String,
    description: Option<String>,
    target: Option<String>,
    positive_class: Option<String>,
    columns: Vec<ColumnSchema>,
    extra: serde_json::Map<String, serde_json::Value>,
    inferred_from_data: bool,
    constraints: Vec<Constraint>,
}

impl Schema {
    /// A validated schema.
    ///
    /// # Errors
    /// [`crate::SchemaError::EmptySchema`], [`crate::SchemaError::NoModelledColumns`], and per column:
    /// [`crate::SchemaError::EmptyColumnName`], [`crate::SchemaError::DuplicateColumnName`],
    /// [`crate::SchemaError::InvalidBounds`], [`crate::SchemaError::NonFiniteBound`],
    /// [`crate::SchemaError::EmptyCategories`], [`crate::SchemaError::DuplicateCategory`],
    /// [`crate::SchemaError::InvalidCategoryLabel`], [`crate::SchemaError::BooleanCategoryCount`],
    /// [`crate::SchemaError::InvalidDatetimeFormat`].
    pub fn new(name: impl Into<String>, columns: Vec<ColumnSchema>) -> Result<Self> {
        let schema = Schema {
            name: name.into(),
            description: None,
            target: None,
            positive_class: None,
            columns,
            extra: serde_json::Map::new(),
            inferred_from_data: false,
            constraints: Vec::new(),
        };
        schema.validate()?;
        Ok(schema)
    }

    /// The same schema with a description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The same schema with `constraints` (replacing any it had), validated against the
    /// columns without any data: public rules every synthetic row will follow (see
    /// [`Constraint`]). They cost no privacy budget.
    ///
    /// # Errors
    /// [`crate::SchemaError::ConstraintUnknownColumn`],
    /// [`crate::SchemaError::ConstraintKindMismatch`],
    /// [`crate::SchemaError::ConstraintValueOutsideDomain`],
    /// [`crate::SchemaError::ImpossibleConstraint`], [`crate::SchemaError::InvalidConstraint`].
    pub fn with_constraints(mut self, constraints: Vec<Constraint>) -> Result<Self> {
        self.constraints = constraints;
        constraint::validate(&self)?;
        Ok(self)
    }

    /// The public constraints every synthetic row follows (JSON `constraints`; empty when
    /// none are declared).
    pub fn constraints(&self) -> &[Constraint] {
        &self.constraints
    }

    /// The same schema marked as read from the data (`true`) or as reviewed by the user
    /// (`false`; see [`Schema::is_inferred_from_data`]).
    #[must_use]
    pub fn with_inferred_from_data(mut self, inferred: bool) -> Self {
        self.inferred_from_data = inferred;
        self
    }

    /// True when the schema was read from the data and not yet reviewed: its bounds and
    /// categories may be exact values of the rows (one person's category, the extreme values),
    /// so private preprocessing refuses it ([`crate::SchemaError::SchemaNotReviewed`]). A user who has
    /// replaced them with public knowledge removes the mark.
    pub fn is_inferred_from_data(&self) -> bool {
        self.inferred_from_data
    }

    /// The same schema with a prediction target (used by utility metrics) and optionally its
    /// positive class.
    ///
    /// # Errors
    /// [`crate::SchemaError::UnknownTarget`], [`crate::SchemaError::InvalidPositiveClass`].
    pub fn with_target(
        mut self,
        target: impl Into<String>,
        positive_class: Option<String>,
    ) -> Result<Self> {
        self.target = Some(target.into());
        self.positive_class = positive_class;
        self.validate()?;
        Ok(self)
    }

    /// Parses and validates a schema from JSON text.
    ///
    /// # Errors
    /// [`crate::SchemaError::InvalidSchemaJson`] for malformed JSON; the column errors of
    /// [`Schema::new`] plus [`crate::SchemaError::MissingField`], [`crate::SchemaError::UnknownKind`],
    /// [`crate::SchemaError::UnknownField`], [`crate::SchemaError::FieldNotAllowed`],
    /// [`crate::SchemaError::InvalidFieldType`] and [`crate::SchemaError::InvalidDatetimeBound`].
    pub fn from_json(json: &str) -> Result<Self> {
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| {
            DataError::Schema(SchemaError::InvalidSchemaJson {
                message: e.to_string(),
                line: e.line(),
                col: e.column(),
            })
        })?;
        json::schema_from_value(value)
    }

    /// Reads and validates a schema from a JSON file.
    ///
    /// # Errors
    /// [`DataError::Io`] if the file cannot be read; otherwise as [`Schema::from_json`].
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| DataError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_json(&text)
    }

    /// The schema as pretty-printed JSON (datetime bounds written with the column's format).
    ///
    /// # Errors
    /// [`DataError::Internal`] if serialisation fails (it does not for a valid schema).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(&json::schema_to_value(self))
            .map_err(|_| DataError::Internal("schema serialisation failed"))
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The optional description.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The prediction target, if declared.
    pub fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }

    /// The target's positive class, if declared.
    pub fn positive_class(&self) -> Option<&str> {
        self.positive_class.as_deref()
    }

    /// The columns, in table order.
    pub fn columns(&self) -> &[ColumnSchema] {
        &self.columns
    }

    /// Number of columns (including `id` columns).
    pub fn n_columns(&self) -> usize {
        self.columns.len()
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnSchema> {
        self.columns.iter().find(|c| c.name() == name)
    }

    /// The position of the column called `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name() == name)
    }

    /// The same schema with a top-level JSON key this crate does not interpret set to `value`
    /// (kept in [`Schema::extra`]); a key the schema interprets (`name`, `columns`, …) is
    /// ignored.
    #[must_use]
    pub fn with_extra(mut self, key: impl Into<String>, value: serde_json::Value) -> Self {
        let key = key.into();
        if !json::SCHEMA_FIELDS.contains(&key.as_str()) {
            self.extra.insert(key, value);
        }
        self
    }

    /// Top-level JSON keys this crate does not interpret (e.g. `source`, `license`), kept as
    /// they were read.
    pub fn extra(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.extra
    }

    fn validate(&self) -> Result<()> {
        if self.columns.is_empty() {
            return Err(DataError::Schema(SchemaError::EmptySchema));
        }
        let mut names = HashSet::with_capacity(self.columns.len());
        for (i, c) in self.columns.iter().enumerate() {
            c.validate(i)?;
            if !names.insert(c.name()) {
                return Err(DataError::Schema(SchemaError::DuplicateColumnName {
                    column: c.name().to_owned(),
                }));
            }
        }
        if self
            .columns
            .iter()
            .all(|c| matches!(c.kind(), ColumnKind::Id))
        {
            return Err(DataError::Schema(SchemaError::NoModelledColumns));
        }
        if let Some(class) = &self.positive_class {
            let target = self.target.clone().unwrap_or_default();
            let ok = self
                .column(&target)
                .and_then(ColumnSchema::categories)
                .is_some_and(|cats| cats.iter().any(|c| c == class));
            // A partial schema (categories to be discovered) may already name the class.
            let declared = self
                .column(&target)
                .is_some_and(|c| c.categories().is_some());
            if !ok && declared {
                return Err(DataError::Schema(SchemaError::InvalidPositiveClass {
                    target,
                    class: class.clone(),
                }));
            }
        }
        if let Some(target) = &self.target
            && self.column(target).is_none()
        {
            return Err(DataError::Schema(SchemaError::UnknownTarget {
                target: target.clone(),
            }));
        }
        if self.positive_class.is_some() && self.target.is_none() {
            return Err(DataError::Schema(SchemaError::InvalidPositiveClass {
                target: String::new(),
                class: self.positive_class.clone().unwrap_or_default(),
            }));
        }
        constraint::validate(self)
    }
}

impl TryFrom<serde_json::Value> for Schema {
    type Error = DataError;

    fn try_from(value: serde_json::Value) -> Result<Self> {
        json::schema_from_value(value)
    }
}

impl From<Schema> for serde_json::Value {
    fn from(schema: Schema) -> Self {
        json::schema_to_value(&schema)
    }
}
