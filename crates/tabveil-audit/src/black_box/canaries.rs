//! Canary rows crafted from the public schema alone: outliers that are still valid rows.

use rand::Rng;
use tabveil_data::{ColumnKind, Schema, Table, Value};

use crate::error::{AuditError, Result};

/// `m` canary rows for `schema`, drawn with `rng` (the auditor's randomness, independent of the
/// data): each categorical or boolean cell a uniformly drawn declared category — so the row is
/// a combination of categories that is rare whatever the data — and each continuous or
/// datetime cell one of the column's two declared bounds, drawn with probability ½ each
/// (extreme, yet inside the schema). Id cells are left empty; nothing is null.
///
/// # Errors
/// [`AuditError::MissingPublicDomain`] for a modelled column without declared bounds or
/// categories.
pub fn craft_canaries<R: Rng + ?Sized>(
    schema: &Schema,
    m: usize,
    rng: &mut R,
) -> Result<Vec<Vec<Value>>> {
    let missing = |name: &str| AuditError::MissingPublicDomain {
        column: name.to_owned(),
    };
    // Check every column first: no canary is made unless all are possible.
    for c in schema.columns() {
        match c.kind() {
            ColumnKind::Id => {}
            ColumnKind::Continuous { min, max, .. } | ColumnKind::Datetime { min, max, .. } => {
                if min
                    .zip(*max)
                    .is_none_or(|(a, b)| a.is_nan() || b.is_nan() || a > b)
                {
                    return Err(missing(c.name()));
                }
            }
            ColumnKind::Categorical { .. } | ColumnKind::Boolean { .. } => {
                if c.categories().is_none_or(|v| v.is_empty()) {
                    return Err(missing(c.name()));
                }
            }
        }
    }
    let mut rows = Vec::with_capacity(m);
    for _ in 0..m {
        let mut row = Vec::with_capacity(schema.n_columns());
        for c in schema.columns() {
            let v = match c.kind() {
                ColumnKind::Id => Value::Null,
                ColumnKind::Continuous { min, max, .. } | ColumnKind::Datetime { min, max, .. } => {
                    let (a, b) = min.zip(*max).ok_or_else(|| missing(c.name()))?;
                    Value::Number(if rng.random::<bool>() { a } else { b })
                }
                ColumnKind::Categorical { .. } | ColumnKind::Boolean { .. } => {
                    let cats = c.categories().ok_or_else(|| missing(c.name()))?;
                    Value::Text(cats[rng.random_range(0..cats.len())].clone())
                }
            };
            row.push(v);
        }
        rows.push(row);
    }
    Ok(rows)
}

/// `table` with `extra` rows appended (the included canaries), as one table of `schema`.
///
/// # Errors
/// The data crate's errors for rows that do not fit the schema.
pub(crate) fn with_rows_appended(
    table: &Table,
    schema: &Schema,
    extra: &[Vec<Value>],
) -> Result<Table> {
    let mut rows: Vec<Vec<Value>> = Vec::with_capacity(table.n_rows() + extra.len());
    for i in 0..table.n_rows() {
        rows.push(table.row(i)?);
    }
    rows.extend(extra.iter().cloned());
    Ok(Table::from_rows(schema, &rows)?)
}
