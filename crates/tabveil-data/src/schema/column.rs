//! One column of a schema: its name, kind and nullability.

use crate::error::SchemaError;
use crate::error::{DataError, Result};

/// The labels of a boolean column that declares none: `false` (index 0) and `true` (index 1).
pub const DEFAULT_BOOLEAN_LABELS: [&str; 2] = ["false", "true"];

/// What a column holds, and the public knowledge the user declares about it.
///
/// Bounds and categories are *public*: the user vouches that they reveal nothing about any one
/// row (e.g. they come from a codebook, not from the data). Private mode requires them.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnKind {
    /// A real number; `integer` columns are rounded when generated and written as integers.
    Continuous {
        /// Declared lower bound.
        min: Option<f64>,
        /// Declared upper bound.
        max: Option<f64>,
        /// Whether values are whole numbers.
        integer: bool,
    },
    /// One of a finite set of labels, stored as an index into `categories`.
    Categorical {
        /// The declared domain, in the order of the indices.
        categories: Option<Vec<String>>,
    },
    /// A two-value categorical: index 0 is false, index 1 is true.
    Boolean {
        /// The two labels (false, true); [`DEFAULT_BOOLEAN_LABELS`] when `None`. With the default
        /// labels, reading also accepts `true/false`, `t/f`, `yes/no`, `y/n` and `1/0` in any case.
        categories: Option<Vec<String>>,
    },
    /// A date or date-time, modelled as a continuous number of seconds since
    /// 1970-01-01T00:00:00 UTC and written back with `format`.
    Datetime {
        /// A chrono strftime format, e.g. `%Y-%m-%d`.
        format: String,
        /// Declared lower bound, in seconds since the epoch (written as a date in JSON).
        min: Option<f64>,
        /// Declared upper bound, in seconds since the epoch (written as a date in JSON).
        max: Option<f64>,
    },
    /// An identifier: never modelled nor released; regenerated as 1, 2, 3, … on output.
    Id,
}

impl ColumnKind {
    /// The kind's name as written in JSON (`"continuous"`, `"categorical"`, …).
    pub fn as_str(&self) -> &'static str {
        match self {
            ColumnKind::Continuous { .. } => "continuous",
            ColumnKind::Categorical { .. } => "categorical",
            ColumnKind::Boolean { .. } => "boolean",
            ColumnKind::Datetime { .. } => "datetime",
            ColumnKind::Id => "id",
        }
    }

    /// True for categorical and boolean columns (stored as category indices).
    pub fn is_discrete(&self) -> bool {
        matches!(
            self,
            ColumnKind::Categorical { .. } | ColumnKind::Boolean { .. }
        )
    }

    /// True for continuous and datetime columns (stored as `f64`).
    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            ColumnKind::Continuous { .. } | ColumnKind::Datetime { .. }
        )
    }
}

/// One column of a [`Schema`](crate::Schema).
///
/// ```
/// use tabveil_data::{ColumnKind, ColumnSchema};
///
/// let age = ColumnSchema::integer("age", Some(15.0), Some(90.0));
/// let sex = ColumnSchema::categorical("sex", ["Female", "Male"]);
/// let job = ColumnSchema::categorical("job", ["a", "b"]).nullable();
/// assert_eq!(age.bounds(), (Some(15.0), Some(90.0)));
/// assert_eq!(sex.categories().unwrap().len(), 2);
/// assert!(job.is_nullable());
/// assert!(matches!(age.kind(), ColumnKind::Continuous { integer: true, .. }));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSchema {
    name: String,
    kind: ColumnKind,
    nullable: bool,
    description: Option<String>,
}

impl ColumnSchema {
    /// A non-nullable column of the given kind. Validity is checked when the column is put into
    /// a [`Schema`](crate::Schema).
    pub fn new(name: impl Into<String>, kind: ColumnKind) -> Self {
        ColumnSchema {
            name: name.into(),
            kind,
            nullable: false,
            description: None,
        }
    }

    /// A real-valued column with optional bounds.
    pub fn continuous(name: impl Into<String>, min: Option<f64>, max: Option<f64>) -> Self {
        Self::new(
            name,
            ColumnKind::Continuous {
                min,
                max,
                integer: false,
            },
        )
    }

    /// An integer-valued column with optional bounds.
    pub fn integer(name: impl Into<String>, min: Option<f64>, max: Option<f64>) -> Self {
        Self::new(
            name,
            ColumnKind::Continuous {
                min,
                max,
                integer: true,
            },
        )
    }

    /// A categorical column with a declared domain.
    pub fn categorical<S: Into<String>>(
        name: impl Into<String>,
        categories: impl IntoIterator<Item = S>,
    ) -> Self {
        Self::new(
            name,
            ColumnKind::Categorical {
                categories: Some(categories.into_iter().map(Into::into).collect()),
            },
        )
    }

    /// A categorical column whose domain is not declared (read from the data in non-private
    /// mode; an error in private mode).
    pub fn categorical_undeclared(name: impl Into<String>) -> Self {
        Self::new(name, ColumnKind::Categorical { categories: None })
    }

    /// A boolean column with the default labels `false` / `true`.
    pub fn boolean(name: impl Into<String>) -> Self {
        Self::new(name, ColumnKind::Boolean { categories: None })
    }

    /// A datetime column with a strftime `format` and no bounds.
    pub fn datetime(name: impl Into<String>, format: impl Into<String>) -> Self {
        Self::new(
            name,
            ColumnKind::Datetime {
                format: format.into(),
                min: None,
                max: None,
            },
        )
    }

    /// An identifier column (never modelled).
    pub fn id(name: impl Into<String>) -> Self {
        Self::new(name, ColumnKind::Id)
    }

    /// The same column, nullable.
    #[must_use]
    pub fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }

    /// The same column with `nullable` set as given.
    #[must_use]
    pub fn with_nullable(mut self, nullable: bool) -> Self {
        self.nullable = nullable;
        self
    }

    /// The same column with a description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The column's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The column's kind.
    pub fn kind(&self) -> &ColumnKind {
        &self.kind
    }

    /// Whether missing values are allowed.
    pub fn is_nullable(&self) -> bool {
        self.nullable
    }

    /// The optional description.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Declared bounds of a continuous or datetime column (seconds for datetimes);
    /// `(None, None)` for other kinds.
    pub fn bounds(&self) -> (Option<f64>, Option<f64>) {
        match self.kind {
            ColumnKind::Continuous { min, max, .. } | ColumnKind::Datetime { min, max, .. } => {
                (min, max)
            }
            _ => (None, None),
        }
    }

    /// True for integer continuous columns (datetimes are whole seconds too, but are rounded
    /// by their format, not here).
    pub fn is_integer(&self) -> bool {
        matches!(self.kind, ColumnKind::Continuous { integer: true, .. })
    }

    /// The declared categories of a categorical column, or the two labels of a boolean one
    /// (the default labels when none are declared). `None` for other kinds and for a
    /// categorical column without declared categories.
    pub fn categories(&self) -> Option<Vec<String>> {
        match &self.kind {
            ColumnKind::Categorical { categories } => categories.clone(),
            ColumnKind::Boolean { categories } => Some(categories.clone().unwrap_or_else(|| {
                DEFAULT_BOOLEAN_LABELS
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect()
            })),
            _ => None,
        }
    }

    /// Checks the column on its own; `index` is its position, for the empty-name error.
    pub(crate) fn validate(&self, index: usize) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(DataError::Schema(SchemaError::EmptyColumnName { index }));
        }
        let column = || self.name.clone();
        match &self.kind {
            ColumnKind::Continuous { min, max, .. } | ColumnKind::Datetime { min, max, .. } => {
                for v in [min, max].into_iter().flatten() {
                    if !v.is_finite() {
                        return Err(DataError::Schema(SchemaError::NonFiniteBound {
                            column: column(),
                            value: *v,
                        }));
                    }
                }
                if let (Some(lo), Some(hi)) = (min, max)
                    && lo >= hi
                {
                    return Err(DataError::Schema(SchemaError::InvalidBounds {
                        column: column(),
                        min: *lo,
                        max: *hi,
                    }));
                }
                if let ColumnKind::Datetime { format, .. } = &self.kind
                    && !crate::datetime::is_valid_format(format)
                {
                    return Err(DataError::Schema(SchemaError::InvalidDatetimeFormat {
                        column: column(),
                        format: format.clone(),
                    }));
                }
            }
            ColumnKind::Categorical { categories } => {
                if let Some(cats) = categories {
                    validate_categories(&self.name, cats)?;
                }
            }
            ColumnKind::Boolean { categories } => {
                if let Some(cats) = categories {
                    if cats.len() != 2 {
                        return Err(DataError::Schema(SchemaError::BooleanCategoryCount {
                            column: column(),
                            found: cats.len(),
                        }));
                    }
                    validate_categories(&self.name, cats)?;
                }
            }
            ColumnKind::Id => {}
        }
        Ok(())
    }
}

fn validate_categories(column: &str, cats: &[String]) -> Result<()> {
    if cats.is_empty() {
        return Err(DataError::Schema(SchemaError::EmptyCategories {
            column: column.to_owned(),
        }));
    }
    let mut seen = std::collections::HashSet::with_capacity(cats.len());
    for c in cats {
        if c.is_empty() || c.trim() != c {
            return Err(DataError::Schema(SchemaError::InvalidCategoryLabel {
                column: column.to_owned(),
                category: c.clone(),
            }));
        }
        if !seen.insert(c.as_str()) {
            return Err(DataError::Schema(SchemaError::DuplicateCategory {
                column: column.to_owned(),
                category: c.clone(),
            }));
        }
    }
    Ok(())
}
