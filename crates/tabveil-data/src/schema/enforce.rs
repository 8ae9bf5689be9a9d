//! [`ConstraintCheck`]: a schema's constraints applied to tables of synthetic rows.
//!
//! Only ever applied to generated rows (post-processing of a released model); never to the
//! private training rows, whose agreement with the constraints is not looked at.

use std::collections::{HashMap, HashSet};

use super::Schema;
use super::constraint::{Cell, Constraint, ConstraintRule};
use crate::error::{DataError, Result};
use crate::table::{Column, ColumnData, Table};

/// The constraints of a [`Schema`], to complete and check tables of that schema's columns
/// (synthetic rows: the models' samplers use it).
///
/// A fixed combination whose first column (in the order declared) determines the others —
/// each of its values appears in at most one declared combination, as for adult's
/// `education` → `education_num` — is met by construction ([`ConstraintCheck::complete`]:
/// the other columns are set from the row's value of that column); every other constraint,
/// and a row whose key value is in no combination, is checked ([`ConstraintCheck::broken`])
/// so that the sampler can reject the row.
///
/// ```
/// use tabveil_data::{Cell, Column, ColumnSchema, Constraint, ConstraintCheck, Schema, Table};
///
/// let schema = Schema::new("t", vec![
///     ColumnSchema::categorical("level", ["low", "high"]),
///     ColumnSchema::integer("code", Some(0.0), Some(9.0)),
/// ])?
/// .with_constraints(vec![Constraint::fixed_combinations(
///     ["level", "code"],
///     vec![
///         vec![Cell::label("low"), Cell::Number(1.0)],
///         vec![Cell::label("high"), Cell::Number(2.0)],
///     ],
/// )])?;
/// let rows = Table::new(&schema, vec![
///     Column::categorical("level", vec![0, 1, 1]),
///     Column::continuous("code", vec![7.0, 2.0, 1.0]),
/// ])?;
/// let check = ConstraintCheck::new(&schema);
/// let done = check.complete(rows)?;
/// assert_eq!(done.column("code").unwrap().as_continuous(), Some(&[1.0, 2.0, 2.0][..]));
/// assert_eq!(check.broken(&done)?, vec![None, None, None]);
/// # Ok::<(), tabveil_data::DataError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ConstraintCheck {
    constraints: Vec<Constraint>,
    /// Per column name, the categories that codes index into (the schema's).
    categories: HashMap<String, Vec<String>>,
}

/// A cell of a row, hashable: a null, a category code or a number's bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Null,
    Code(u32),
    Bits(u64),
}

impl Key {
    fn number(v: f64) -> Key {
        // -0.0 and 0.0 are the same value.
        Key::Bits(if v == 0.0 { 0 } else { v.to_bits() })
    }
}

impl ConstraintCheck {
    /// The constraints of `schema`.
    pub fn new(schema: &Schema) -> Self {
        let categories = schema
            .columns()
            .iter()
            .filter_map(|c| c.categories().map(|cats| (c.name().to_owned(), cats)))
            .collect();
        ConstraintCheck {
            constraints: schema.constraints().to_vec(),
            categories,
        }
    }

    /// True when the schema declares no constraint (nothing to do).
    pub fn is_empty(&self) -> bool {
        self.constraints.is_empty()
    }

    /// The constraints, in the schema's order (the indices of [`ConstraintCheck::broken`]).
    pub fn constraints(&self) -> &[Constraint] {
        &self.constraints
    }

    /// `table` with every fixed combination that has a determining first column met by
    /// construction: where that column's value is in a declared combination, the other
    /// columns take that combination's values. Rows whose value is in none are left as they
    /// are ([`ConstraintCheck::broken`] reports them).
    ///
    /// # Errors
    /// [`DataError::Internal`] when `table` lacks a column of a constraint (it is not a
    /// table of the schema).
    pub fn complete(&self, table: Table) -> Result<Table> {
        let plans = self
            .constraints
            .iter()
            .filter_map(|c| match c.rule() {
                ConstraintRule::FixedCombinations {
                    columns,
                    combinations,
                } => Some((columns, combinations)),
                _ => None,
            })
            .map(|(columns, combinations)| {
                let tuples = self.tuples(&table, columns, combinations)?;
                Ok(determining_map(&tuples).map(|map| (columns, tuples, map)))
            })
            .collect::<Result<Vec<_>>>()?;
        if plans.iter().all(Option::is_none) {
            return Ok(table);
        }
        let n = table.n_rows();
        let mut columns: Vec<Column> = table.into_columns();
        for (names, tuples, map) in plans.into_iter().flatten() {
            let idx = names
                .iter()
                .map(|name| position(&columns, name))
                .collect::<Result<Vec<_>>>()?;
            let keys: Vec<Key> = (0..n).map(|r| key_at(&columns[idx[0]], r)).collect();
            for (j, &ci) in idx.iter().enumerate().skip(1) {
                let col = std::mem::replace(&mut columns[ci], Column::id(""));
                let (name, mut data, mut nulls, domain) = col.into_parts();
                for (r, key) in keys.iter().enumerate() {
                    let Some(&t) = map.get(key) else { continue };
                    write(&mut data, &mut nulls, n, r, tuples[t][j]);
                }
                columns[ci] = Column::from_parts(name, data, nulls, domain);
            }
        }
        Ok(Table::from_checked(n, columns))
    }

    /// For every row of `table`, the index of the first constraint it breaks (`None`: the row
    /// meets every constraint).
    ///
    /// # Errors
    /// [`DataError::Internal`] when `table` lacks a column of a constraint.
    pub fn broken(&self, table: &Table) -> Result<Vec<Option<usize>>> {
        let n = table.n_rows();
        let mut out = vec![None; n];
        let columns = table.columns();
        for (ci, c) in self.constraints.iter().enumerate() {
            let mut mark = |r: usize| {
                if out[r].is_none() {
                    out[r] = Some(ci);
                }
            };
            match c.rule() {
                ConstraintRule::FixedCombinations {
                    columns: names,
                    combinations,
                } => {
                    let tuples = self.tuples(table, names, combinations)?;
                    let set: HashSet<&[Key]> = tuples.iter().map(Vec::as_slice).collect();
                    let idx = names
                        .iter()
                        .map(|name| position(columns, name))
                        .collect::<Result<Vec<_>>>()?;
                    let mut row = Vec::with_capacity(idx.len());
                    for r in 0..n {
                        row.clear();
                        row.extend(idx.iter().map(|&i| key_at(&columns[i], r)));
                        if !set.contains(row.as_slice()) {
                            mark(r);
                        }
                    }
                }
                ConstraintRule::Inequality { low, high, strict } => {
                    let a = &columns[position(columns, low)?];
                    let b = &columns[position(columns, high)?];
                    let (Some(av), Some(bv)) = (a.as_continuous(), b.as_continuous()) else {
                        return Err(not_schema_table());
                    };
                    for r in 0..n {
                        if a.is_null(r) || b.is_null(r) {
                            continue;
                        }
                        let ok = if *strict {
                            av[r] < bv[r]
                        } else {
                            av[r] <= bv[r]
                        };
                        if !ok {
                            mark(r);
                        }
                    }
                }
                ConstraintRule::ConditionalRange {
                    column,
                    min,
                    max,
                    when_column,
                    when_values,
                } => {
                    let x = &columns[position(columns, column)?];
                    let w = &columns[position(columns, when_column)?];
                    let (Some(xv), Some(wv)) = (x.as_continuous(), w.as_categorical()) else {
                        return Err(not_schema_table());
                    };
                    let domain = self.domain(w)?;
                    let codes: Vec<u32> = when_values
                        .iter()
                        .filter_map(|v| domain.iter().position(|d| d == v))
                        .filter_map(|i| u32::try_from(i).ok())
                        .collect();
                    for r in 0..n {
                        if w.is_null(r) || x.is_null(r) || !codes.contains(&wv[r]) {
                            continue;
                        }
                        let v = xv[r];
                        if min.is_some_and(|lo| v < lo) || max.is_some_and(|hi| v > hi) {
                            mark(r);
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// The declared combinations as keys of `table`'s columns (a combination with a label
    /// outside the column's categories, which validation refuses, would match no row).
    fn tuples(
        &self,
        table: &Table,
        names: &[String],
        combinations: &[Vec<Cell>],
    ) -> Result<Vec<Vec<Key>>> {
        let columns = table.columns();
        let domains = names
            .iter()
            .map(|name| {
                let col = &columns[position(columns, name)?];
                Ok(match col.data() {
                    ColumnData::Categorical(_) => Some(self.domain(col)?),
                    _ => None,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(combinations
            .iter()
            .filter_map(|combo| {
                combo
                    .iter()
                    .zip(&domains)
                    .map(|(cell, domain)| match (cell, domain) {
                        (Cell::Null, _) => Some(Key::Null),
                        (Cell::Label(l), Some(d)) => d
                            .iter()
                            .position(|x| x == l)
                            .and_then(|i| u32::try_from(i).ok())
                            .map(Key::Code),
                        (Cell::Number(v), None) => Some(Key::number(*v)),
                        _ => None,
                    })
                    .collect::<Option<Vec<Key>>>()
            })
            .collect())
    }

    /// The labels that a categorical column's codes index into: its own domain, else the
    /// schema's categories.
    fn domain<'c>(&'c self, column: &'c Column) -> Result<&'c [String]> {
        if let Some(d) = column.domain() {
            return Ok(d);
        }
        self.categories
            .get(column.name())
            .map(Vec::as_slice)
            .ok_or_else(not_schema_table)
    }
}

/// When the first column's value determines the combination (no value of it in two
/// combinations): that value → the combination's index.
fn determining_map(tuples: &[Vec<Key>]) -> Option<HashMap<Key, usize>> {
    if tuples.first().is_none_or(|t| t.len() < 2) {
        return None;
    }
    let mut map = HashMap::with_capacity(tuples.len());
    for (i, t) in tuples.iter().enumerate() {
        if map.insert(t[0], i).is_some() {
            return None;
        }
    }
    Some(map)
}

fn key_at(column: &Column, row: usize) -> Key {
    if column.is_null(row) {
        return Key::Null;
    }
    match column.data() {
        ColumnData::Continuous(v) => Key::number(v[row]),
        ColumnData::Categorical(v) => Key::Code(v[row]),
        ColumnData::Id => Key::Null,
    }
}

/// Sets row `r` of a column (`n` rows) to `key`.
fn write(data: &mut ColumnData, nulls: &mut Option<Vec<bool>>, n: usize, r: usize, key: Key) {
    let is_null = key == Key::Null;
    match (data, key) {
        (ColumnData::Continuous(v), Key::Bits(bits)) => v[r] = f64::from_bits(bits),
        (ColumnData::Categorical(v), Key::Code(code)) => v[r] = code,
        (ColumnData::Continuous(v), Key::Null) => v[r] = 0.0,
        (ColumnData::Categorical(v), Key::Null) => v[r] = 0,
        _ => {}
    }
    match nulls {
        Some(mask) => mask[r] = is_null,
        None if is_null => {
            let mut mask = vec![false; n];
            mask[r] = true;
            *nulls = Some(mask);
        }
        None => {}
    }
}

fn position(columns: &[Column], name: &str) -> Result<usize> {
    columns
        .iter()
        .position(|c| c.name() == name)
        .ok_or_else(not_schema_table)
}

fn not_schema_table() -> DataError {
    DataError::Internal("a constraint was applied to a table of another schema")
}
