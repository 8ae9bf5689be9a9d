//! [`Column`] and [`ColumnData`]: one typed column of a [`Table`](crate::Table).

use std::sync::Arc;

/// A column taken apart: name, values, null mask, domain.
pub(crate) type ColumnParts = (String, ColumnData, Option<Vec<bool>>, Option<Arc<[String]>>);

/// The values of one column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Continuous values; datetimes as seconds since 1970-01-01T00:00:00 UTC. A null entry
    /// holds 0.0 (check the null mask).
    Continuous(Vec<f64>),
    /// Indices into the column's domain ([`Column::domain`]). A null entry holds 0 (check the
    /// null mask).
    Categorical(Vec<u32>),
    /// An identifier column: no values are kept.
    Id,
}

/// One column of a [`Table`](crate::Table): a name, typed values, an optional null mask and,
/// for categorical and boolean columns, the domain the indices point into.
///
/// Build columns with the constructors below and assemble them with
/// [`Table::new`](crate::Table::new), which checks them against the schema.
///
/// ```
/// use tabveil_data::{Column, ColumnData};
///
/// let age = Column::continuous("age", vec![31.0, 45.0]);
/// let job = Column::categorical_with_nulls("job", vec![Some(1), None]);
/// assert_eq!(age.data(), &ColumnData::Continuous(vec![31.0, 45.0]));
/// assert!(job.is_null(1));
/// assert_eq!(job.null_count(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    name: String,
    data: ColumnData,
    nulls: Option<Vec<bool>>,
    domain: Option<Arc<[String]>>,
}

impl Column {
    /// A continuous (or datetime, in seconds) column without nulls.
    pub fn continuous(name: impl Into<String>, values: Vec<f64>) -> Self {
        Self::from_parts(name.into(), ColumnData::Continuous(values), None, None)
    }

    /// A continuous (or datetime) column where `None` is a null.
    pub fn continuous_with_nulls(name: impl Into<String>, values: Vec<Option<f64>>) -> Self {
        let nulls = values.iter().map(Option::is_none).collect();
        let values = values.into_iter().map(|v| v.unwrap_or(0.0)).collect();
        Self::from_parts(
            name.into(),
            ColumnData::Continuous(values),
            Some(nulls),
            None,
        )
    }

    /// A categorical (or boolean) column of indices into the schema's declared categories.
    pub fn categorical(name: impl Into<String>, codes: Vec<u32>) -> Self {
        Self::from_parts(name.into(), ColumnData::Categorical(codes), None, None)
    }

    /// A categorical (or boolean) column where `None` is a null.
    pub fn categorical_with_nulls(name: impl Into<String>, codes: Vec<Option<u32>>) -> Self {
        let nulls = codes.iter().map(Option::is_none).collect();
        let codes = codes.into_iter().map(|v| v.unwrap_or(0)).collect();
        Self::from_parts(
            name.into(),
            ColumnData::Categorical(codes),
            Some(nulls),
            None,
        )
    }

    /// An identifier column (holds no values).
    pub fn id(name: impl Into<String>) -> Self {
        Self::from_parts(name.into(), ColumnData::Id, None, None)
    }

    /// The same column with an explicit domain, for a categorical column whose schema declares
    /// no categories.
    #[must_use]
    pub fn with_domain<S: Into<String>>(mut self, domain: impl IntoIterator<Item = S>) -> Self {
        self.domain = Some(domain.into_iter().map(Into::into).collect());
        self
    }

    pub(crate) fn from_parts(
        name: String,
        data: ColumnData,
        nulls: Option<Vec<bool>>,
        domain: Option<Arc<[String]>>,
    ) -> Self {
        Column {
            name,
            data,
            nulls,
            domain,
        }
    }

    /// Appends `other`'s values (a column of the same kind and domain, checked by the caller);
    /// `n_mine` and `n_theirs` are the two tables' row counts (for the null masks).
    pub(crate) fn append_rows(&mut self, other: &Column, n_mine: usize, n_theirs: usize) {
        match (&mut self.data, &other.data) {
            (ColumnData::Continuous(a), ColumnData::Continuous(b)) => a.extend_from_slice(b),
            (ColumnData::Categorical(a), ColumnData::Categorical(b)) => a.extend_from_slice(b),
            _ => {}
        }
        if matches!(self.data, ColumnData::Id) {
            return;
        }
        match (&mut self.nulls, &other.nulls) {
            (None, None) => {}
            (Some(a), Some(b)) => a.extend_from_slice(b),
            (Some(a), None) => a.extend(std::iter::repeat_n(false, n_theirs)),
            (mine @ None, Some(b)) => {
                let mut mask = vec![false; n_mine];
                mask.extend_from_slice(b);
                *mine = Some(mask);
            }
        }
    }

    pub(crate) fn into_parts(self) -> ColumnParts {
        (self.name, self.data, self.nulls, self.domain)
    }

    /// The column's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The values.
    pub fn data(&self) -> &ColumnData {
        &self.data
    }

    /// The continuous values, if this is a continuous or datetime column.
    pub fn as_continuous(&self) -> Option<&[f64]> {
        match &self.data {
            ColumnData::Continuous(v) => Some(v),
            _ => None,
        }
    }

    /// The category indices, if this is a categorical or boolean column.
    pub fn as_categorical(&self) -> Option<&[u32]> {
        match &self.data {
            ColumnData::Categorical(v) => Some(v),
            _ => None,
        }
    }

    /// The domain of a categorical or boolean column (in a [`Table`](crate::Table), always
    /// present for those columns).
    pub fn domain(&self) -> Option<&[String]> {
        self.domain.as_deref()
    }

    /// The null mask (`true` = missing). In a [`Table`](crate::Table), present exactly for the
    /// columns the schema declares nullable.
    pub fn nulls(&self) -> Option<&[bool]> {
        self.nulls.as_deref()
    }

    /// Whether row `row` is missing (false past the end or without a mask).
    pub fn is_null(&self, row: usize) -> bool {
        self.nulls
            .as_ref()
            .and_then(|m| m.get(row).copied())
            .unwrap_or(false)
    }

    /// Number of missing values.
    pub fn null_count(&self) -> usize {
        self.nulls
            .as_ref()
            .map_or(0, |m| m.iter().filter(|b| **b).count())
    }

    /// Number of values (`None` for an id column, which holds none).
    pub fn len(&self) -> Option<usize> {
        match &self.data {
            ColumnData::Continuous(v) => Some(v.len()),
            ColumnData::Categorical(v) => Some(v.len()),
            ColumnData::Id => None,
        }
    }

    /// True when the column holds values and has none.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
}
