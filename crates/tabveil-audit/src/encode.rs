//! [`encode_public`]: rows as numbers using only what the schema declares — no statistic of
//! the data — for the engine audit.

use tabveil_data::{ColumnData, ColumnKind, Schema, Table};

use crate::error::{AuditError, Result};

/// Encodes `table` row by row with the schema's public knowledge only: a continuous or
/// datetime value x with declared bounds [a, b] becomes 2(x − a)/(b − a) − 1 (clamped to
/// [−1, 1]); a categorical or boolean value a one-hot vector over the declared categories; a
/// nullable column gets one more indicator for "missing" (its value slot then 0). Id columns
/// are skipped. Returns the rows, flattened, and their width.
///
/// # Errors
/// [`AuditError::MissingPublicDomain`] for a column without declared bounds or categories
/// (reading them from the data would not be public); [`AuditError::Data`] when the table does
/// not match the schema.
pub fn encode_public(table: &Table, schema: &Schema) -> Result<(Vec<f32>, usize)> {
    let n = table.n_rows();
    let mut blocks: Vec<(usize, Vec<f32>)> = Vec::new();
    for spec in schema.columns() {
        let column = table
            .column(spec.name())
            .ok_or_else(|| AuditError::MissingPublicDomain {
                column: spec.name().to_owned(),
            })?;
        let nullable = spec.is_nullable();
        let is_null = |i: usize| column.is_null(i);
        let block = match (spec.kind(), column.data()) {
            (ColumnKind::Id, _) => continue,
            (
                ColumnKind::Continuous {
                    min: Some(a),
                    max: Some(b),
                    ..
                }
                | ColumnKind::Datetime {
                    min: Some(a),
                    max: Some(b),
                    ..
                },
                ColumnData::Continuous(values),
            ) if b > a => {
                let width = 1 + usize::from(nullable);
                let mut out = vec![0.0f32; n * width];
                for (i, &x) in values.iter().enumerate() {
                    if is_null(i) {
                        out[i * width + 1] = 1.0;
                    } else {
                        out[i * width] = (2.0 * (x - a) / (b - a) - 1.0).clamp(-1.0, 1.0) as f32;
                    }
                }
                (width, out)
            }
            (
                ColumnKind::Categorical { .. } | ColumnKind::Boolean { .. },
                ColumnData::Categorical(codes),
            ) => {
                let declared =
                    spec.categories()
                        .ok_or_else(|| AuditError::MissingPublicDomain {
                            column: spec.name().to_owned(),
                        })?;
                let domain = column.domain().unwrap_or(&[]);
                // The table's codes index its column domain; map them onto the declared order.
                let map: Vec<Option<usize>> = domain
                    .iter()
                    .map(|d| declared.iter().position(|c| c == d))
                    .collect();
                let width = declared.len() + usize::from(nullable);
                let mut out = vec![0.0f32; n * width];
                for (i, &code) in codes.iter().enumerate() {
                    if is_null(i) {
                        out[i * width + declared.len()] = 1.0;
                    } else {
                        let k = map.get(code as usize).copied().flatten().ok_or_else(|| {
                            AuditError::MissingPublicDomain {
                                column: spec.name().to_owned(),
                            }
                        })?;
                        out[i * width + k] = 1.0;
                    }
                }
                (width, out)
            }
            _ => {
                return Err(AuditError::MissingPublicDomain {
                    column: spec.name().to_owned(),
                });
            }
        };
        blocks.push(block);
    }
    let width: usize = blocks.iter().map(|(w, _)| w).sum();
    let mut rows = Vec::with_capacity(n * width);
    for i in 0..n {
        for (w, block) in &blocks {
            rows.extend_from_slice(&block[i * w..(i + 1) * w]);
        }
    }
    Ok((rows, width))
}

#[cfg(test)]
mod tests {
    use tabveil_data::{ColumnSchema, Value};

    use super::*;

    #[test]
    fn encodes_with_declared_bounds_and_categories_only() {
        let schema = Schema::new(
            "t",
            vec![
                ColumnSchema::continuous("x", Some(0.0), Some(10.0)),
                ColumnSchema::categorical("c", ["a", "b", "z"]).nullable(),
                ColumnSchema::id("id"),
            ],
        )
        .unwrap();
        let rows = vec![
            vec![Value::Number(5.0), Value::from("b"), Value::from("1")],
            vec![Value::Number(10.0), Value::Null, Value::from("2")],
        ];
        let table = Table::from_rows(&schema, &rows).unwrap();
        let (data, width) = encode_public(&table, &schema).unwrap();
        assert_eq!(width, 5);
        assert_eq!(data, vec![0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
        let undeclared =
            Schema::new("t", vec![ColumnSchema::continuous("x", None, Some(1.0))]).unwrap();
        let t = Table::from_rows(&undeclared, &[vec![Value::Number(0.5)]]).unwrap();
        assert!(matches!(
            encode_public(&t, &undeclared),
            Err(AuditError::MissingPublicDomain { .. })
        ));
    }
}
