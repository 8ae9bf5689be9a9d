//! Rejection: the schema's constraints and the call's conditions applied to decoded rows, the
//! limit on the rows drawn for them, and the typed error at that limit.

use tabveil_data::{ConditionLayout, ConstraintCheck, Schema, Table};

use crate::error::{ModelError, Result};
use crate::nn::first_max;
use crate::synthesizer::Condition;

/// The schema's constraints applied to decoded rows, with the conditions of the call
/// checked again after completion (completing a fixed combination may change a conditioned
/// column).
///
/// Post-processing of the released model: which rows are kept depends on the model's rows
/// and the public schema only, never on the training data, so rejecting rows costs no
/// privacy whatever their number.
pub(super) struct RowFilter {
    check: ConstraintCheck,
    /// Per condition: the column and the wanted code (`None`: null).
    conditions: Vec<(String, Option<u32>)>,
}

impl RowFilter {
    /// The filter of `schema`'s constraints (`None` when it declares none) for a call with
    /// `conditions`.
    pub(super) fn new(schema: &Schema, conditions: &[Condition]) -> Result<Option<RowFilter>> {
        if schema.constraints().is_empty() {
            return Ok(None);
        }
        let conditions = conditions
            .iter()
            .map(|c| {
                let code = match &c.value {
                    None => None,
                    Some(v) => {
                        let cats = schema
                            .column(&c.column)
                            .and_then(|col| col.categories())
                            .unwrap_or_default();
                        let i = cats.iter().position(|x| x == v).ok_or_else(|| {
                            ModelError::Data(tabveil_data::DataError::Schema(
                                tabveil_data::SchemaError::UnknownColumn {
                                    column: c.column.clone(),
                                },
                            ))
                        })?;
                        Some(
                            u32::try_from(i)
                                .map_err(|_| ModelError::Internal("a code past u32"))?,
                        )
                    }
                };
                Ok((c.column.clone(), code))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(RowFilter {
            check: ConstraintCheck::new(schema),
            conditions,
        }))
    }

    /// The rows of `table` that meet every constraint (after completion) and condition, at
    /// most `room` of them, in order; counts the rows each constraint rejected.
    pub(super) fn keep(
        &self,
        table: Table,
        room: usize,
        rejected: &mut Rejections,
    ) -> Result<Table> {
        let table = self.check.complete(table)?;
        let broken = self.check.broken(&table)?;
        let mut rows = Vec::with_capacity(table.n_rows().min(room));
        for (r, b) in broken.iter().enumerate() {
            if let Some(c) = b {
                rejected.constraints[*c] += 1;
                continue;
            }
            if !self.conditions_hold(&table, r) {
                rejected.conditions += 1;
                continue;
            }
            if rows.len() < room {
                rows.push(r);
            }
        }
        if rows.len() == table.n_rows() {
            return Ok(table);
        }
        Ok(table.select_rows(&rows)?)
    }

    pub(super) fn conditions_hold(&self, table: &Table, row: usize) -> bool {
        self.conditions.iter().all(|(name, code)| {
            let Some(col) = table.column(name) else {
                return false;
            };
            match code {
                None => col.is_null(row),
                Some(code) => {
                    !col.is_null(row) && col.as_categorical().is_some_and(|v| v[row] == *code)
                }
            }
        })
    }
}

/// Rows rejected by the conditions and by each constraint, for the error at the limit.
pub(super) struct Rejections {
    pub(super) conditions: usize,
    constraints: Vec<usize>,
    labels: Vec<String>,
}

impl Rejections {
    /// No rejection yet, for the constraints of `filter`.
    pub(super) fn new(filter: Option<&RowFilter>) -> Self {
        let labels: Vec<String> = filter.map_or_else(Vec::new, |f| {
            f.check.constraints().iter().map(|c| c.label()).collect()
        });
        Rejections {
            conditions: 0,
            constraints: vec![0; labels.len()],
            labels,
        }
    }

    /// The error at the limit: it names the constraint that rejected the most rows, unless
    /// the conditions rejected more.
    pub(super) fn error(&self, requested: usize, accepted: usize, generated: usize) -> ModelError {
        let worst = self
            .constraints
            .iter()
            .enumerate()
            .max_by_key(|(i, n)| (**n, std::cmp::Reverse(*i)));
        match worst {
            Some((i, &n)) if n > 0 && n >= self.conditions => ModelError::ConstraintTooRare {
                constraint: self
                    .labels
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| format!("#{i}")),
                requested,
                accepted,
                generated,
            },
            _ => ModelError::ConditionTooRare {
                requested,
                accepted,
                generated,
            },
        }
    }
}

/// The most rows that sampling with rejection generates for `requested` rows.
pub(super) fn rejection_limit(requested: usize) -> usize {
    requested
        .saturating_mul(REJECTION_FACTOR)
        .max(REJECTION_MINIMUM)
}

/// Sampling with rejection (conditions, constraints) gives up after generating this many rows
/// per requested row...
pub(super) const REJECTION_FACTOR: usize = 200;
/// ...but always tries at least this many rows.
pub(super) const REJECTION_MINIMUM: usize = 20_000;

/// One resolved condition: the column's block in a generated row and the wanted slot.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wanted {
    span_start: usize,
    width: usize,
    index: usize,
}

impl Wanted {
    /// True when `row` (one generated row of the transformer's matrix) meets the condition.
    pub(super) fn holds(&self, row: &[f32]) -> bool {
        first_max(&row[self.span_start..self.span_start + self.width]) == self.index
    }
}

/// The conditions resolved against `layout`.
///
/// # Errors
/// [`ModelError::NoConditions`], [`ModelError::DuplicateCondition`], and the data crate's
/// errors for an unknown column, a column that cannot be conditioned on or an unknown value.
pub(super) fn resolve(layout: &ConditionLayout, conditions: &[Condition]) -> Result<Vec<Wanted>> {
    if conditions.is_empty() {
        return Err(ModelError::NoConditions);
    }
    let mut wanted = Vec::with_capacity(conditions.len());
    for (i, c) in conditions.iter().enumerate() {
        if conditions[..i].iter().any(|o| o.column == c.column) {
            return Err(ModelError::DuplicateCondition {
                column: c.column.clone(),
            });
        }
        let column = &layout.columns()[layout.position(&c.column)?];
        let slot = layout.slot(&c.column, c.value.as_deref())?;
        wanted.push(Wanted {
            span_start: column.span_start,
            width: column.width(),
            index: slot - column.offset,
        });
    }
    Ok(wanted)
}
