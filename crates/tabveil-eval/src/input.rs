//! From `tabveil-data` tables to the aligned [`Frame`]s the metrics read.
//!
//! Columns are matched by name, so the column order of each table does not matter. Categorical
//! codes are remapped through their labels into one domain per column: the schema's declared
//! categories, or, when the schema declares none, the real table's labels followed by any new
//! label of the synthetic and holdout tables.

use tabveil_data::{ColumnData, ColumnKind as DataKind, Schema, Table};

use crate::error::{EvalError, Result, TableRole};
use crate::frame::{ColumnSpec, Frame, Layout, SdType, Values};

/// The layout and the frames of one evaluation.
#[derive(Debug, Clone)]
pub(crate) struct Inputs {
    pub layout: Layout,
    pub real: Frame,
    pub synthetic: Frame,
    pub holdout: Option<Frame>,
}

/// Checks the tables against the schema and converts them.
pub(crate) fn inputs(
    schema: &Schema,
    real: &Table,
    synthetic: &Table,
    holdout: Option<&Table>,
) -> Result<Inputs> {
    let mut tables = vec![(TableRole::Real, real), (TableRole::Synthetic, synthetic)];
    if let Some(h) = holdout {
        tables.push((TableRole::Holdout, h));
    }
    for (role, table) in &tables {
        check_columns(schema, *role, table)?;
        if table.n_rows() == 0 {
            return Err(EvalError::EmptyTable { table: *role });
        }
    }
    let layout = layout(schema, &tables);
    let frames = tables
        .iter()
        .map(|(role, table)| frame(&layout, *role, table))
        .collect::<Result<Vec<_>>>()?;
    let mut frames = frames.into_iter();
    let (Some(real), Some(synthetic)) = (frames.next(), frames.next()) else {
        return Err(EvalError::Internal("fewer frames than tables"));
    };
    Ok(Inputs {
        layout,
        real,
        synthetic,
        holdout: frames.next(),
    })
}

fn check_columns(schema: &Schema, role: TableRole, table: &Table) -> Result<()> {
    for declared in schema.columns() {
        let Some(column) = table.column(declared.name()) else {
            return Err(EvalError::MissingColumn {
                table: role,
                column: declared.name().to_owned(),
            });
        };
        let fits = match column.data() {
            ColumnData::Continuous(_) => declared.kind().is_numeric(),
            ColumnData::Categorical(_) => declared.kind().is_discrete(),
            ColumnData::Id => matches!(declared.kind(), DataKind::Id),
        };
        if !fits {
            return Err(EvalError::KindMismatch {
                table: role,
                column: declared.name().to_owned(),
                expected: declared.kind().as_str(),
                found: match column.data() {
                    ColumnData::Continuous(_) => "continuous",
                    ColumnData::Categorical(_) => "categorical",
                    ColumnData::Id => "id",
                },
            });
        }
    }
    for column in table.columns() {
        if schema.column(column.name()).is_none() {
            return Err(EvalError::UnexpectedColumn {
                table: role,
                column: column.name().to_owned(),
            });
        }
    }
    Ok(())
}

fn layout(schema: &Schema, tables: &[(TableRole, &Table)]) -> Layout {
    let columns = schema
        .columns()
        .iter()
        .map(|declared| {
            let kind = match declared.kind() {
                DataKind::Continuous { .. } => SdType::Continuous,
                DataKind::Datetime { .. } => SdType::Datetime,
                DataKind::Categorical { .. } => SdType::Categorical,
                DataKind::Boolean { .. } => SdType::Boolean,
                _ => SdType::Id,
            };
            let mut categories = if kind.is_discrete() {
                declared.categories().unwrap_or_default()
            } else {
                Vec::new()
            };
            if kind.is_discrete() {
                for (_, table) in tables {
                    let domain = table
                        .column(declared.name())
                        .and_then(|c| c.domain())
                        .unwrap_or_default();
                    for label in domain {
                        if !categories.contains(label) {
                            categories.push(label.clone());
                        }
                    }
                }
            }
            ColumnSpec {
                name: declared.name().to_owned(),
                kind,
                categories,
            }
        })
        .collect();
    Layout { columns }
}

fn frame(layout: &Layout, role: TableRole, table: &Table) -> Result<Frame> {
    let n = table.n_rows();
    let mut named = Vec::with_capacity(layout.columns.len());
    for spec in &layout.columns {
        let Some(column) = table.column(&spec.name) else {
            return Err(EvalError::MissingColumn {
                table: role,
                column: spec.name.clone(),
            });
        };
        let values = match column.data() {
            ColumnData::Continuous(v) => Values::Continuous(
                v.iter()
                    .enumerate()
                    .map(|(i, &x)| if column.is_null(i) { f64::NAN } else { x })
                    .collect(),
            ),
            ColumnData::Categorical(codes) => {
                let domain = column.domain().unwrap_or_default();
                // Position of each of this table's labels in the layout's domain.
                let remap: Vec<Option<u32>> = domain
                    .iter()
                    .map(|label| {
                        spec.categories
                            .iter()
                            .position(|c| c == label)
                            .map(|p| p as u32)
                    })
                    .collect();
                let mut out = Vec::with_capacity(codes.len());
                for (i, &code) in codes.iter().enumerate() {
                    if column.is_null(i) {
                        out.push(None);
                        continue;
                    }
                    match remap.get(code as usize).copied().flatten() {
                        Some(c) => out.push(Some(c)),
                        None => {
                            return Err(EvalError::CodeOutOfDomain {
                                table: role,
                                column: spec.name.clone(),
                                code,
                                categories: domain.len(),
                            });
                        }
                    }
                }
                Values::Categorical(out)
            }
            ColumnData::Id => Values::Ignored(n),
        };
        named.push((spec.name.clone(), values));
    }
    Frame::from_named(layout, role, named)
}
