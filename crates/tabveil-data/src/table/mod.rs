//! [`Table`]: typed, column-major data checked against a [`Schema`].
//!
//! ```
//! use tabveil_data::{Column, ColumnSchema, Schema, Table, Value};
//!
//! let schema = Schema::new("t", vec![
//!     ColumnSchema::integer("age", Some(0.0), Some(120.0)),
//!     ColumnSchema::categorical("sex", ["F", "M"]).nullable(),
//! ])?;
//! // From columns...
//! let a = Table::new(&schema, vec![
//!     Column::continuous("age", vec![31.0, 45.0]),
//!     Column::categorical_with_nulls("sex", vec![Some(1), None]),
//! ])?;
//! // ...or from rows of values.
//! let b = Table::from_rows(&schema, [
//!     vec![Value::Number(31.0), Value::from("M")],
//!     vec![Value::Number(45.0), Value::Null],
//! ])?;
//! assert_eq!(a, b);
//! assert_eq!(a.n_rows(), 2);
//! assert_eq!(a.column("sex").unwrap().domain().unwrap(), ["F", "M"]);
//! assert_eq!(a.row(0)?, vec![Value::Number(31.0), Value::from("M")]);
//! # Ok::<(), tabveil_data::DataError>(())
//! ```

mod builder;
mod column;
#[cfg(test)]
mod tests;
mod value;

use std::sync::Arc;

use crate::csv_io::OutOfBounds;
use crate::error::ReadError;
use crate::error::{DataError, Position, Result};
use crate::schema::{ColumnKind, Schema};

pub(crate) use builder::{ColumnBuilder, expected_for as expected_kind};
pub use column::{Column, ColumnData};
pub use value::Value;

/// Typed, column-major data: one [`Column`] per schema column, in schema order.
///
/// Every `Table` was checked against a [`Schema`] when it was built (kinds, lengths, nulls only
/// in nullable columns, finite values, integers, declared bounds, category indices inside the
/// domain). Categorical and boolean columns carry their domain.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    n_rows: usize,
    columns: Vec<Column>,
}

impl Table {
    /// Assembles columns (one per schema column, in schema order) into a checked table.
    ///
    /// Categorical columns take the schema's declared categories as their domain; a column
    /// whose schema declares none must bring its own ([`Column::with_domain`]). A missing null
    /// mask on a nullable column means "no nulls".
    ///
    /// # Errors
    /// [`crate::ReadError::ColumnCount`], [`crate::ReadError::ColumnName`], [`crate::ReadError::ColumnKind`],
    /// [`crate::ReadError::ColumnLength`], [`crate::ReadError::NullInNonNullable`],
    /// [`crate::ReadError::NonFiniteNumber`], [`crate::ReadError::NotAnInteger`],
    /// [`crate::ReadError::OutOfBounds`], [`crate::ReadError::BeyondModelRange`], [`crate::ReadError::CategoryIndex`], [`crate::ReadError::MissingDomain`],
    /// [`crate::ReadError::DomainMismatch`] (positions are [`Position::Row`]).
    pub fn new(schema: &Schema, columns: Vec<Column>) -> Result<Self> {
        if columns.len() != schema.n_columns() {
            return Err(DataError::Read(ReadError::ColumnCount {
                expected: schema.n_columns(),
                found: columns.len(),
            }));
        }
        let mut n_rows: Option<usize> = None;
        let mut out = Vec::with_capacity(columns.len());
        for (index, (col, cs)) in columns.into_iter().zip(schema.columns()).enumerate() {
            if col.name() != cs.name() {
                return Err(DataError::Read(ReadError::ColumnName {
                    index,
                    expected: cs.name().to_owned(),
                    found: col.name().to_owned(),
                }));
            }
            let name = cs.name().to_owned();
            let (_, data, nulls, domain) = col.into_parts();
            let kind_error = || {
                DataError::Read(ReadError::ColumnKind {
                    column: name.clone(),
                    expected: builder::expected_for(cs.kind()),
                })
            };
            let len = match (&data, cs.kind()) {
                (ColumnData::Id, ColumnKind::Id) => None,
                (ColumnData::Continuous(v), k) if k.is_numeric() => Some(v.len()),
                (ColumnData::Categorical(v), k) if k.is_discrete() => Some(v.len()),
                _ => return Err(kind_error()),
            };
            let Some(len) = len else {
                out.push(Column::id(name));
                continue;
            };
            match n_rows {
                None => n_rows = Some(len),
                Some(n) if n != len => {
                    return Err(DataError::Read(ReadError::ColumnLength {
                        column: name,
                        expected: n,
                        found: len,
                    }));
                }
                Some(_) => {}
            }
            if let Some(m) = &nulls
                && m.len() != len
            {
                return Err(DataError::Read(ReadError::ColumnLength {
                    column: name,
                    expected: len,
                    found: m.len(),
                }));
            }
            let mut nulls = nulls;
            if !cs.is_nullable() {
                if let Some(row) = nulls.as_ref().and_then(|m| m.iter().position(|b| *b)) {
                    return Err(DataError::Read(ReadError::NullInNonNullable {
                        at: Position::Row(row),
                        column: name,
                    }));
                }
                nulls = None;
            } else if nulls.is_none() {
                nulls = Some(vec![false; len]);
            }
            let is_null = |i: usize| nulls.as_ref().is_some_and(|m| m[i]);
            let (data, domain) = match data {
                ColumnData::Continuous(mut v) => {
                    let (min, max) = cs.bounds();
                    for (i, x) in v.iter_mut().enumerate() {
                        if is_null(i) {
                            *x = 0.0;
                            continue;
                        }
                        check_number(*x, cs.is_integer(), min, max, &name, i)?;
                    }
                    (ColumnData::Continuous(v), None)
                }
                ColumnData::Categorical(mut codes) => {
                    let domain: Arc<[String]> = match (cs.categories(), domain) {
                        (Some(declared), None) => declared.into(),
                        (Some(declared), Some(given)) => {
                            if *given != *declared {
                                return Err(DataError::Read(ReadError::DomainMismatch {
                                    column: name,
                                }));
                            }
                            given
                        }
                        (None, Some(given)) => given,
                        (None, None) => {
                            return Err(DataError::Read(ReadError::MissingDomain { column: name }));
                        }
                    };
                    for (i, c) in codes.iter_mut().enumerate() {
                        if is_null(i) {
                            *c = 0;
                        } else if *c as usize >= domain.len() {
                            return Err(DataError::Read(ReadError::CategoryIndex {
                                at: Position::Row(i),
                                column: name,
                                index: *c,
                                domain_size: domain.len(),
                            }));
                        }
                    }
                    (ColumnData::Categorical(codes), Some(domain))
                }
                ColumnData::Id => (ColumnData::Id, None),
            };
            out.push(Column::from_parts(name, data, nulls, domain));
        }
        Ok(Table {
            n_rows: n_rows.unwrap_or(0),
            columns: out,
        })
    }

    /// Builds a table from rows of [`Value`]s, one value per schema column. Text is parsed as
    /// a CSV field would be; categories not declared in the schema are collected from the data
    /// (sorted).
    ///
    /// # Errors
    /// [`crate::ReadError::RowLength`], [`crate::ReadError::WrongValueType`] and the value errors of
    /// [`read_csv`](crate::read_csv), with [`Position::Row`] positions.
    pub fn from_rows<R: AsRef<[Value]>>(
        schema: &Schema,
        rows: impl IntoIterator<Item = R>,
    ) -> Result<Self> {
        let mut builders: Vec<ColumnBuilder<'_>> = schema
            .columns()
            .iter()
            .map(|c| ColumnBuilder::new(c, OutOfBounds::Error))
            .collect();
        let mut n_rows = 0usize;
        for (i, row) in rows.into_iter().enumerate() {
            let row = row.as_ref();
            if row.len() != builders.len() {
                return Err(DataError::Read(ReadError::RowLength {
                    row: i,
                    expected: builders.len(),
                    found: row.len(),
                }));
            }
            for (b, v) in builders.iter_mut().zip(row) {
                if let Err(e) = b.push_value(v, Position::Row(i)) {
                    return Err(earliest_pending(&builders).unwrap_or(e));
                }
            }
            n_rows += 1;
        }
        let columns = builders
            .into_iter()
            .map(|b| b.finish().map(|(c, _)| c))
            .collect::<Result<Vec<_>>>()?;
        Ok(Table { n_rows, columns })
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns (including `id` columns).
    pub fn n_columns(&self) -> usize {
        self.columns.len()
    }

    /// The columns, in schema order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name() == name)
    }

    /// The columns, by value.
    pub fn into_columns(self) -> Vec<Column> {
        self.columns
    }

    /// Row `row` as values: numbers for continuous and datetime columns (seconds), labels for
    /// categorical and boolean columns, `Null` for nulls, and the 1-based row
    /// number for id columns.
    ///
    /// # Errors
    /// [`crate::ReadError::RowOutOfRange`].
    pub fn row(&self, row: usize) -> Result<Vec<Value>> {
        if row >= self.n_rows {
            return Err(DataError::Read(ReadError::RowOutOfRange {
                row,
                n_rows: self.n_rows,
            }));
        }
        Ok(self
            .columns
            .iter()
            .map(|c| {
                if c.is_null(row) {
                    return Value::Null;
                }
                match c.data() {
                    ColumnData::Continuous(v) => Value::Number(v[row]),
                    ColumnData::Categorical(v) => c
                        .domain()
                        .and_then(|d| d.get(v[row] as usize))
                        .map_or(Value::Null, |l| Value::Text(l.clone())),
                    ColumnData::Id => Value::Number((row + 1) as f64),
                }
            })
            .collect())
    }

    /// A new table with the given rows, in the given order (rows may repeat).
    ///
    /// # Errors
    /// [`crate::ReadError::RowOutOfRange`].
    pub fn select_rows(&self, rows: &[usize]) -> Result<Table> {
        if let Some(&row) = rows.iter().find(|&&r| r >= self.n_rows) {
            return Err(DataError::Read(ReadError::RowOutOfRange {
                row,
                n_rows: self.n_rows,
            }));
        }
        let columns = self
            .columns
            .iter()
            .map(|c| {
                let data = match c.data() {
                    ColumnData::Continuous(v) => {
                        ColumnData::Continuous(rows.iter().map(|&r| v[r]).collect())
                    }
                    ColumnData::Categorical(v) => {
                        ColumnData::Categorical(rows.iter().map(|&r| v[r]).collect())
                    }
                    ColumnData::Id => ColumnData::Id,
                };
                let nulls = c.nulls().map(|m| rows.iter().map(|&r| m[r]).collect());
                let domain = c.domain().map(Arc::from);
                Column::from_parts(c.name().to_owned(), data, nulls, domain)
            })
            .collect();
        Ok(Table {
            n_rows: rows.len(),
            columns,
        })
    }

    /// Appends the rows of `other`, a table of the same columns (names, kinds and domains), to
    /// this one: e.g. chunks of synthetic rows gathered into one table.
    ///
    /// ```
    /// use tabveil_data::{Column, ColumnSchema, Schema, Table};
    ///
    /// let schema = Schema::new("t", vec![
    ///     ColumnSchema::continuous("x", Some(0.0), Some(9.0)),
    ///     ColumnSchema::categorical("c", ["a", "b"]).nullable(),
    /// ])?;
    /// let mut a = Table::new(&schema, vec![
    ///     Column::continuous("x", vec![1.0]),
    ///     Column::categorical("c", vec![0]),
    /// ])?;
    /// let b = Table::new(&schema, vec![
    ///     Column::continuous("x", vec![2.0, 3.0]),
    ///     Column::categorical_with_nulls("c", vec![None, Some(1)]),
    /// ])?;
    /// a.append(&b)?;
    /// assert_eq!(a.n_rows(), 3);
    /// assert_eq!(a.column("c").unwrap().nulls(), Some(&[false, true, false][..]));
    /// # Ok::<(), tabveil_data::DataError>(())
    /// ```
    ///
    /// # Errors
    /// [`crate::ReadError::ColumnCount`], [`crate::ReadError::ColumnName`],
    /// [`crate::ReadError::ColumnKind`] or [`crate::ReadError::DomainMismatch`] when the
    /// tables' columns differ; this table is then unchanged.
    pub fn append(&mut self, other: &Table) -> Result<()> {
        if other.columns.len() != self.columns.len() {
            return Err(DataError::Read(ReadError::ColumnCount {
                expected: self.columns.len(),
                found: other.columns.len(),
            }));
        }
        for (index, (mine, theirs)) in self.columns.iter().zip(&other.columns).enumerate() {
            if mine.name() != theirs.name() {
                return Err(DataError::Read(ReadError::ColumnName {
                    index,
                    expected: mine.name().to_owned(),
                    found: theirs.name().to_owned(),
                }));
            }
            let same_kind = matches!(
                (mine.data(), theirs.data()),
                (ColumnData::Continuous(_), ColumnData::Continuous(_))
                    | (ColumnData::Categorical(_), ColumnData::Categorical(_))
                    | (ColumnData::Id, ColumnData::Id)
            );
            if !same_kind {
                return Err(DataError::Read(ReadError::ColumnKind {
                    column: mine.name().to_owned(),
                    expected: match mine.data() {
                        ColumnData::Continuous(_) => "continuous",
                        ColumnData::Categorical(_) => "categorical",
                        ColumnData::Id => "identifier",
                    },
                }));
            }
            if mine.domain() != theirs.domain() {
                return Err(DataError::Read(ReadError::DomainMismatch {
                    column: mine.name().to_owned(),
                }));
            }
        }
        let (n_mine, n_theirs) = (self.n_rows, other.n_rows);
        for (mine, theirs) in self.columns.iter_mut().zip(&other.columns) {
            mine.append_rows(theirs, n_mine, n_theirs);
        }
        self.n_rows += n_theirs;
        Ok(())
    }

    /// Builds a table from parts already known to be consistent (crate-internal).
    pub(crate) fn from_checked(n_rows: usize, columns: Vec<Column>) -> Self {
        Table { n_rows, columns }
    }
}

fn check_number(
    x: f64,
    integer: bool,
    min: Option<f64>,
    max: Option<f64>,
    name: &str,
    i: usize,
) -> Result<()> {
    let at = Position::Row(i);
    if !x.is_finite() {
        return Err(DataError::Read(ReadError::NonFiniteNumber {
            at,
            column: name.to_owned(),
            value: x.to_string(),
        }));
    }
    if integer && x.fract() != 0.0 {
        return Err(DataError::Read(ReadError::NotAnInteger {
            at,
            column: name.to_owned(),
            value: x,
        }));
    }
    if min.is_some_and(|m| x < m) || max.is_some_and(|m| x > m) {
        return Err(DataError::Read(ReadError::OutOfBounds {
            at,
            column: name.to_owned(),
            value: x,
            min,
            max,
        }));
    }
    if x.abs() > crate::MAX_ABS_VALUE {
        return Err(DataError::Read(ReadError::BeyondModelRange {
            at,
            column: name.to_owned(),
            value: x,
        }));
    }
    Ok(())
}

/// The earliest pending unknown-category error among the builders.
pub(crate) fn earliest_pending(builders: &[ColumnBuilder<'_>]) -> Option<DataError> {
    builders
        .iter()
        .filter_map(ColumnBuilder::pending_error)
        .min_by_key(|(at, _)| match at {
            Position::Line(l) => *l,
            Position::Row(r) => *r as u64,
        })
        .map(|(_, e)| e)
}

/// Finishes every builder into its column, noting in `report` each column whose categories
/// came from the data (the CSV and the Arrow readers share it).
pub(crate) fn finish_columns(
    builders: Vec<ColumnBuilder<'_>>,
    report: &mut crate::csv_io::CsvReport,
) -> Result<Vec<Column>> {
    let mut columns = Vec::with_capacity(builders.len());
    for b in builders {
        let (column, discovered) = b.finish()?;
        if discovered {
            report.push(crate::csv_io::CsvNote::CategoriesFromData {
                column: column.name().to_owned(),
            });
        }
        columns.push(column);
    }
    Ok(columns)
}
