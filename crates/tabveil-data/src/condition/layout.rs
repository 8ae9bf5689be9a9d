//! [`ConditionLayout`]: the condition vector, one slot per category of each discrete column.

use serde::{Deserialize, Serialize};

use crate::error::{DataError, Result};
use crate::error::{SchemaError, TransformError};
use crate::schema::ColumnKind;
use crate::transformer::{DataTransformer, Matrix, SoftmaxRole, SpanKind};

/// One discrete column's block of the condition vector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionColumn {
    /// Index of the column in the schema.
    pub column: usize,
    /// The column's name.
    pub name: String,
    /// First slot of the block in the condition vector.
    pub offset: usize,
    /// Start of the column's one-hot span in the transformed matrix.
    pub span_start: usize,
    /// The categories, in slot order (the null slot, when nullable, follows them).
    pub categories: Vec<String>,
    /// Whether the last slot stands for a missing value.
    pub nullable: bool,
}

impl ConditionColumn {
    /// Number of slots (categories, plus one when nullable).
    pub fn width(&self) -> usize {
        self.categories.len() + usize::from(self.nullable)
    }
}

/// The layout of condition vectors: one block per categorical or boolean column, in schema
/// order, one slot per category (plus a null slot for nullable columns). Unlike SDV, every
/// block has its real offset, so conditioning works on any discrete column.
///
/// Conditioning on the modes of continuous columns is not offered yet; it would add blocks of
/// [`SoftmaxRole::Mode`] spans after the discrete ones, leaving these offsets unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionLayout {
    columns: Vec<ConditionColumn>,
    width: usize,
    /// Schema columns that cannot be conditioned on (continuous, datetime, id).
    others: Vec<String>,
}

impl ConditionLayout {
    /// The condition layout of a fitted transformer.
    pub fn new(transformer: &DataTransformer) -> Self {
        let mut columns = Vec::new();
        let mut offset = 0;
        for span in transformer.layout().spans() {
            if span.kind != SpanKind::Softmax(SoftmaxRole::Category) {
                continue;
            }
            let cs = &transformer.schema().columns()[span.column];
            if !matches!(
                cs.kind(),
                ColumnKind::Categorical { .. } | ColumnKind::Boolean { .. }
            ) {
                continue;
            }
            let categories = transformer
                .domain(cs.name())
                .map(<[String]>::to_vec)
                .unwrap_or_default();
            let c = ConditionColumn {
                column: span.column,
                name: cs.name().to_owned(),
                offset,
                span_start: span.start,
                categories,
                nullable: cs.is_nullable(),
            };
            offset += c.width();
            columns.push(c);
        }
        let others = transformer
            .schema()
            .columns()
            .iter()
            .filter(|c| !c.kind().is_discrete())
            .map(|c| c.name().to_owned())
            .collect();
        ConditionLayout {
            columns,
            width: offset,
            others,
        }
    }

    /// Width of a condition vector (0 when there is no discrete column).
    pub fn width(&self) -> usize {
        self.width
    }

    /// The discrete columns, in order.
    pub fn columns(&self) -> &[ConditionColumn] {
        &self.columns
    }

    /// Position (in [`ConditionLayout::columns`]) of the discrete column `name`.
    ///
    /// # Errors
    /// [`crate::TransformError::NotConditionable`] for a column that exists but is not discrete;
    /// [`crate::SchemaError::UnknownColumn`] otherwise.
    pub fn position(&self, name: &str) -> Result<usize> {
        if let Some(i) = self.columns.iter().position(|c| c.name == name) {
            return Ok(i);
        }
        if self.others.iter().any(|o| o == name) {
            return Err(DataError::Transform(TransformError::NotConditionable {
                column: name.to_owned(),
            }));
        }
        Err(DataError::Schema(SchemaError::UnknownColumn {
            column: name.to_owned(),
        }))
    }

    /// The slot of `column = value` in the condition vector (`None` = the null slot).
    ///
    /// # Errors
    /// [`crate::SchemaError::UnknownColumn`], [`crate::TransformError::NotConditionable`],
    /// [`crate::TransformError::NotACategory`] (also for `None` on a column that is not nullable).
    pub fn slot(&self, column: &str, value: Option<&str>) -> Result<usize> {
        let c = &self.columns[self.position(column)?];
        let index = match value {
            Some(v) => c.categories.iter().position(|x| x == v),
            None => c.nullable.then_some(c.categories.len()),
        };
        index.map(|i| c.offset + i).ok_or_else(|| {
            DataError::Transform(TransformError::NotACategory {
                column: column.to_owned(),
                value: value.unwrap_or("<missing>").to_owned(),
            })
        })
    }

    /// `n` identical condition vectors for `column = value`.
    ///
    /// # Errors
    /// As [`ConditionLayout::slot`].
    pub fn condition(&self, column: &str, value: Option<&str>, n: usize) -> Result<Matrix> {
        let slot = self.slot(column, value)?;
        let mut data = vec![0.0f32; n * self.width];
        for row in data.chunks_exact_mut(self.width.max(1)).take(n) {
            row[slot] = 1.0;
        }
        Matrix::new(data, self.width)
    }
}
