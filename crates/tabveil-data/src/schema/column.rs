//! One column of a schema: its name, kind and nullability.

use serde::{Deserialize, Serialize};
use tabveil_accountant::LedgerEntry;

use crate::error::SchemaError;
use crate::error::{DataError, Result};

/// The largest magnitude of a continuous value or bound (datetimes, in seconds, are far
/// inside it): 1e100.
///
/// The mixture fits of the transformer square deviations from a mean and weight them by row
/// counts: with values within ±L over N rows the sums reach about N·(2L)². They overflow f64
/// (1.8e308) from L ≈ 1e154/√N — 300 rows fail at bounds of ±1e200, a million rows at ±1e151 —
/// and a count times such a sum (N²·(2L)²) must stay finite too. At L = 1e100 even 2⁵³ rows give
/// N²·(2L)² ≈ 3e232, with room to spare; no real quantity comes near it. The schema refuses
/// bounds beyond it and the reader values beyond it, before anything is computed or released.
pub const MAX_ABS_VALUE: f64 = 1e100;

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
    other: Option<String>,
    origin: ColumnOrigin,
}

/// Where a column's bounds, categories and nullability came from (JSON field `origin`).
///
/// - [`ColumnOrigin::Declared`] (the default, not written): the user declared them and vouches
///   that they are public knowledge.
/// - [`ColumnOrigin::Private`] (`"origin": {"private": {...}}`): released by differentially
///   private schema discovery ([`discover_schema`](crate::discover_schema)); the record names
///   what was released, by which mechanisms (the ledger entries) and at what cost.
///
/// A schema read from the data without privacy ([`infer_schema`](crate::infer_schema)) is
/// marked once, at the top ([`Schema::is_inferred_from_data`](crate::Schema::is_inferred_from_data),
/// `"inferred_from_data": true`), and private fits refuse it whatever its columns say; the
/// user removes that mark once they have reviewed every column, which then stands as declared.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ColumnOrigin {
    /// Declared by the user: public knowledge.
    #[default]
    Declared,
    /// Released by a differentially private mechanism on the ledger.
    Private(Box<PrivateOrigin>),
}

/// The record of a column released by private schema discovery: what was released, the ledger
/// entries of its releases and their cost on their own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivateOrigin {
    /// What of the column was released from the data: any of `"kind"`, `"integer"`,
    /// `"format"`, `"nullable"`, `"categories"`, `"min"`, `"max"`.
    pub released: Vec<String>,
    /// The ledger entries of this column's releases (the discovery's ledger holds them too).
    pub mechanisms: Vec<LedgerEntry>,
    /// ε of this column's releases alone at [`PrivateOrigin::delta`] (an upper bound by the
    /// discovery's accountant). The discovery's total is composed over every column and is at
    /// most the sum of these.
    pub epsilon_alone: f64,
    /// The δ at which [`PrivateOrigin::epsilon_alone`] holds (the discovery's δ).
    pub delta: f64,
    /// True when the release was too noisy to locate the values and a public fallback was
    /// used instead (the public range for bounds, no category but `other`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fallback: bool,
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
            other: None,
            origin: ColumnOrigin::Declared,
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

    /// The same categorical column with `other` as its catch-all category: reading maps every
    /// value outside the declared categories to it. It must be one of the categories (checked
    /// when the column is put into a [`Schema`](crate::Schema)). Private schema discovery
    /// declares one for every categorical column it releases: the values held by too few rows
    /// to be released go there.
    #[must_use]
    pub fn with_other(mut self, other: impl Into<String>) -> Self {
        self.other = Some(other.into());
        self
    }

    /// The same column with where its public values came from.
    #[must_use]
    pub fn with_origin(mut self, origin: ColumnOrigin) -> Self {
        self.origin = origin;
        self
    }

    /// The catch-all category of a categorical column ([`ColumnSchema::with_other`]).
    pub fn other(&self) -> Option<&str> {
        self.other.as_deref()
    }

    /// Where the column's bounds, categories and nullability came from.
    pub fn origin(&self) -> &ColumnOrigin {
        &self.origin
    }

    /// True when the column's bounds were released by private discovery: values outside them
    /// are clipped when read (the discovery clips the tails on purpose), whatever the reader's
    /// [`OutOfBounds`](crate::OutOfBounds) policy.
    pub fn clips_to_bounds(&self) -> bool {
        match &self.origin {
            ColumnOrigin::Private(p) => p.released.iter().any(|r| r == "min" || r == "max"),
            _ => false,
        }
    }

    /// True when the column's integer-ness was released by private discovery (a noisy count
    /// of fractional values near zero): the few fractional values it may still hold are
    /// rounded when read, instead of failing the read.
    pub fn rounds_to_integer(&self) -> bool {
        match &self.origin {
            ColumnOrigin::Private(p) => {
                self.is_integer() && p.released.iter().any(|r| r == "integer")
            }
            _ => false,
        }
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
        if self.other.is_some() && !matches!(self.kind, ColumnKind::Categorical { .. }) {
            return Err(DataError::Schema(SchemaError::FieldNotAllowed {
                column: column(),
                field: "other".into(),
                kind: self.kind.as_str(),
            }));
        }
        match &self.kind {
            ColumnKind::Continuous { min, max, .. } | ColumnKind::Datetime { min, max, .. } => {
                for v in [min, max].into_iter().flatten() {
                    if !v.is_finite() {
                        return Err(DataError::Schema(SchemaError::NonFiniteBound {
                            column: column(),
                            value: *v,
                        }));
                    }
                    if v.abs() > MAX_ABS_VALUE {
                        return Err(SchemaError::BoundBeyondModelRange {
                            column: column(),
                            value: *v,
                        }
                        .into());
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
                if let Some(other) = &self.other
                    && !categories.as_ref().is_some_and(|c| c.contains(other))
                {
                    return Err(DataError::Schema(SchemaError::InvalidOther {
                        column: column(),
                        other: other.clone(),
                    }));
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
