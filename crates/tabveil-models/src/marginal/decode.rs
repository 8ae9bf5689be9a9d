//! From model cells back to values: a model cell is drawn down to one of its fine cells in
//! proportion to the column's denoised fine histogram, and a fine cell to a value — its
//! category, the exact value of a point cell (a bound, zero, an integer), or a uniform draw
//! within a bin (rounded for integer columns). AIM decodes a bin to its midpoint; here the
//! column keeps the shape its fine histogram released.

use rand::Rng;
use tabveil_data::{Column, ColumnKind, Schema, Table};

use super::discretise::{CellRange, Coding, FineCells, Grouping};
use crate::error::{ModelError, Result};

/// A decoded column value: a fine cell (category or null) or a number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Forced {
    /// This fine cell, decoded as usual.
    Cell(usize),
    /// This fine cell, and exactly this number.
    Number(usize, f64),
}

/// How to draw the fine cells of each model cell of one attribute.
#[derive(Debug, Clone)]
pub(crate) struct AttributeDecoder {
    /// Per model cell: its fine cells with cumulative weights (last = total).
    groups: Vec<Vec<(usize, f64)>>,
}

impl AttributeDecoder {
    /// The decoder of an attribute from its grouping and denoised (≥ 0) fine weights; a model
    /// cell whose fine cells all weigh 0 draws them uniformly.
    pub(crate) fn new(grouping: &Grouping, weights: &[f64]) -> Self {
        let groups = (0..grouping.groups)
            .map(|g| {
                let members: Vec<usize> = grouping.members(g).collect();
                let mass: f64 = members.iter().map(|&f| weights[f].max(0.0)).sum();
                let mut acc = 0.0;
                members
                    .iter()
                    .map(|&f| {
                        acc += if mass > 0.0 { weights[f].max(0.0) } else { 1.0 };
                        (f, acc)
                    })
                    .collect()
            })
            .collect();
        AttributeDecoder { groups }
    }

    /// A fine cell of model cell `g`.
    pub(crate) fn draw<R: Rng + ?Sized>(&self, g: usize, rng: &mut R) -> usize {
        let Some(members) = self.groups.get(g) else {
            return 0;
        };
        let total = members.last().map_or(0.0, |m| m.1);
        if members.len() <= 1 || total <= 0.0 {
            return members.first().map_or(0, |m| m.0);
        }
        let u = rng.random::<f64>() * total;
        members
            .iter()
            .find(|m| u < m.1)
            .or(members.last())
            .map_or(0, |m| m.0)
    }
}

/// Decodes rows of model cells (`cells[attribute][row]`) into a table of `schema`.
/// `forced[attribute]` fixes an attribute's fine cell (and value) for every row.
///
/// # Errors
/// Table errors (a decoded value outside the schema would be a bug).
pub(crate) fn decode_table<R: Rng + ?Sized>(
    schema: &Schema,
    codings: &[Coding],
    decoders: &[AttributeDecoder],
    cells: &[Vec<u32>],
    forced: &[Option<Forced>],
    rng: &mut R,
) -> Result<Table> {
    let n = cells.first().map_or(0, Vec::len);
    let mut columns: Vec<Option<Column>> = vec![None; schema.n_columns()];
    for (a, coding) in codings.iter().enumerate() {
        let mut fine = Vec::with_capacity(n);
        for &g in &cells[a] {
            fine.push(match forced[a] {
                Some(Forced::Cell(f) | Forced::Number(f, _)) => f,
                None => decoders[a].draw(g as usize, rng),
            });
        }
        let null = coding.null_cell();
        let column = match &coding.cells {
            FineCells::Categories { labels } => {
                let codes = fine
                    .iter()
                    .map(|&f| (Some(f) != null).then_some(f as u32))
                    .collect();
                let column = Column::categorical_with_nulls(&coding.name, codes);
                let declared = schema.columns()[coding.column].categories().is_some();
                if declared {
                    column
                } else {
                    column.with_domain(labels.iter().cloned())
                }
            }
            FineCells::Numeric { grid } => {
                let values = fine
                    .iter()
                    .map(|&f| {
                        if Some(f) == null {
                            return None;
                        }
                        if let Some(Forced::Number(_, v)) = forced[a] {
                            return Some(v);
                        }
                        Some(match grid.range(f) {
                            CellRange::Point(v) => v,
                            CellRange::Interval(lo, hi) => {
                                let v = lo + rng.random::<f64>() * (hi - lo);
                                if grid.is_integer() {
                                    v.round().clamp(lo.ceil(), hi.floor().max(lo.ceil()))
                                } else {
                                    v
                                }
                            }
                        })
                    })
                    .collect();
                Column::continuous_with_nulls(&coding.name, values)
            }
        };
        columns[coding.column] = Some(column);
    }
    let columns = schema
        .columns()
        .iter()
        .zip(columns)
        .map(|(cs, c)| match (cs.kind(), c) {
            (_, Some(c)) => Ok(c),
            (ColumnKind::Id, None) => Ok(Column::id(cs.name())),
            _ => Err(ModelError::Internal("a modelled column was not decoded")),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Table::new(schema, columns)?)
}

#[cfg(test)]
mod tests;
