//! [`Table::to_arrow`]: checked [`Table`] → one Arrow record batch.

use std::sync::Arc;

use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int32Array, Int64Array, RecordBatch,
    StringArray, TimestampSecondArray,
};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Field, Schema as ArrowSchema, SchemaRef, TimeUnit};

use super::arrow_error;
use crate::csv_io::check_table;
use crate::datetime;
use crate::error::{DataError, Position, ReadError, Result};
use crate::schema::{ColumnKind, ColumnSchema, DEFAULT_BOOLEAN_LABELS, Schema};
use crate::table::{Column, ColumnData, Table};

/// Integers this far from zero or farther are not written as `int64`.
const I64_LIMIT: f64 = 9.223_372_036_854_775e18;

/// The Arrow schema [`Table::to_arrow`] writes for `schema`: one field per column, in schema
/// order, nullable exactly when the column is.
///
/// | kind | Arrow type |
/// |---|---|
/// | continuous, `integer` | `int64` |
/// | continuous | `float64` |
/// | datetime | `timestamp[s]` (no time zone: UTC) |
/// | categorical | `dictionary<int32, utf8>` over the whole domain, in its order |
/// | boolean (default labels) | `bool` |
/// | boolean (declared labels) | `dictionary<int32, utf8>` over the two labels |
/// | id | `int64` (1, 2, 3, …) |
pub fn arrow_schema(schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = schema
        .columns()
        .iter()
        .map(|c| Field::new(c.name(), data_type(c), c.is_nullable()))
        .collect();
    Arc::new(ArrowSchema::new(fields))
}

fn data_type(c: &ColumnSchema) -> DataType {
    let dictionary = || DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    match c.kind() {
        ColumnKind::Continuous { integer: true, .. } | ColumnKind::Id => DataType::Int64,
        ColumnKind::Continuous { .. } => DataType::Float64,
        ColumnKind::Datetime { .. } => DataType::Timestamp(TimeUnit::Second, None),
        ColumnKind::Categorical { .. } => dictionary(),
        ColumnKind::Boolean { .. } if has_default_labels(c) => DataType::Boolean,
        ColumnKind::Boolean { .. } => dictionary(),
    }
}

fn has_default_labels(c: &ColumnSchema) -> bool {
    c.categories()
        .is_some_and(|cats| cats.iter().map(String::as_str).eq(DEFAULT_BOOLEAN_LABELS))
}

impl Table {
    /// The table as one Arrow record batch of [`arrow_schema`]`(schema)`.
    ///
    /// Every value is written as [`write_csv`](crate::write_csv) would write it, so that
    /// reading the batch back ([`ArrowTableBuilder`](crate::ArrowTableBuilder)) gives the
    /// same table as reading the CSV back: integers rounded, datetimes to the instant their
    /// format writes (a `%Y-%m-%d` column keeps the day), nulls as Arrow nulls; other numbers
    /// bit for bit.
    ///
    /// ```
    /// use tabveil_data::{Column, ColumnSchema, Schema, Table};
    ///
    /// let schema = Schema::new("t", vec![
    ///     ColumnSchema::integer("age", Some(0.0), Some(120.0)),
    ///     ColumnSchema::categorical("sex", ["F", "M"]).nullable(),
    /// ])?;
    /// let table = Table::new(&schema, vec![
    ///     Column::continuous("age", vec![31.0, 45.0]),
    ///     Column::categorical_with_nulls("sex", vec![Some(1), None]),
    /// ])?;
    /// let batch = table.to_arrow(&schema)?;
    /// assert_eq!(batch.num_rows(), 2);
    /// assert_eq!(batch.column(1).null_count(), 1);
    /// # Ok::<(), tabveil_data::DataError>(())
    /// ```
    ///
    /// # Errors
    /// [`crate::ReadError::ColumnCount`], [`crate::ReadError::ColumnName`], [`crate::ReadError::ColumnKind`] if the
    /// table does not belong to `schema`; [`crate::ReadError::DatetimeOutOfRange`] and
    /// [`crate::ReadError::NotRepresentable`] for a value the output type cannot hold.
    pub fn to_arrow(&self, schema: &Schema) -> Result<RecordBatch> {
        check_table(self, schema)?;
        let n = self.n_rows();
        let columns = self
            .columns()
            .iter()
            .zip(schema.columns())
            .map(|(col, cs)| column_array(col, cs, n))
            .collect::<Result<Vec<ArrayRef>>>()?;
        RecordBatch::try_new(arrow_schema(schema), columns).map_err(arrow_error)
    }
}

fn column_array(col: &Column, cs: &ColumnSchema, n: usize) -> Result<ArrayRef> {
    let nulls = col
        .nulls()
        .map(|m| NullBuffer::from_iter(m.iter().map(|null| !null)));
    let name = || cs.name().to_owned();
    Ok(match (col.data(), cs.kind()) {
        (ColumnData::Id, _) => Arc::new(Int64Array::from_iter_values(1..=n as i64)),
        (ColumnData::Continuous(v), ColumnKind::Datetime { format, .. }) => {
            let seconds = v
                .iter()
                .enumerate()
                .map(|(row, &x)| {
                    if col.is_null(row) {
                        return Ok(0);
                    }
                    as_written_datetime(x, format).ok_or_else(|| {
                        DataError::Read(ReadError::DatetimeOutOfRange {
                            at: Position::Row(row),
                            column: name(),
                            seconds: x,
                        })
                    })
                })
                .collect::<Result<Vec<i64>>>()?;
            Arc::new(TimestampSecondArray::new(seconds.into(), nulls))
        }
        (ColumnData::Continuous(v), _) if cs.is_integer() => {
            let ints = v
                .iter()
                .enumerate()
                .map(|(row, &x)| {
                    let r = x.round();
                    if col.is_null(row) {
                        Ok(0)
                    } else if r.abs() < I64_LIMIT {
                        Ok(r as i64)
                    } else {
                        Err(DataError::Read(ReadError::NotRepresentable {
                            at: Position::Row(row),
                            column: name(),
                            value: x,
                            target: "a 64-bit integer",
                        }))
                    }
                })
                .collect::<Result<Vec<i64>>>()?;
            Arc::new(Int64Array::new(ints.into(), nulls))
        }
        (ColumnData::Continuous(v), _) => Arc::new(Float64Array::new(v.clone().into(), nulls)),
        (ColumnData::Categorical(codes), ColumnKind::Boolean { .. }) if has_default_labels(cs) => {
            let values = codes.iter().map(|&c| c == 1).collect();
            Arc::new(BooleanArray::new(values, nulls))
        }
        (ColumnData::Categorical(codes), _) => {
            let domain = col.domain().ok_or(DataError::Internal(
                "a discrete table column without domain",
            ))?;
            let keys = codes
                .iter()
                .map(|&c| i32::try_from(c).map_err(|_| DataError::Internal("domain beyond i32")))
                .collect::<Result<Vec<i32>>>()?;
            let keys = Int32Array::new(keys.into(), nulls);
            let values: ArrayRef = Arc::new(StringArray::from_iter_values(domain.iter()));
            Arc::new(DictionaryArray::<Int32Type>::try_new(keys, values).map_err(arrow_error)?)
        }
    })
}

/// The instant a CSV file written by [`write_csv`](crate::write_csv) holds for `seconds`:
/// formatted with the column's format and parsed back (so a date-only format keeps the day).
/// A format that cannot be parsed back keeps the rounded second.
fn as_written_datetime(seconds: f64, format: &str) -> Option<i64> {
    let text = datetime::format_seconds(seconds, format)?;
    let back = datetime::parse_seconds(&text, format).unwrap_or(seconds.round());
    // Exact: a whole number of seconds within chrono's range (|x| < 9e15 was checked).
    Some(back as i64)
}
