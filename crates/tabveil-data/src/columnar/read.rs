//! [`ArrowTableBuilder`]: Arrow record batches → checked [`Table`], one batch at a time.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrowPrimitiveType, RecordBatch};
use arrow_schema::{DataType, Schema as ArrowSchema, TimeUnit};

use super::arrow_error;
use crate::csv_io::read::{check_null_tokens, match_header};
use crate::csv_io::{CsvOptions, CsvReport};
use crate::error::{DataError, Position, ReadError, Result};
use crate::schema::{ColumnKind, ColumnSchema, Schema};
use crate::table::{ColumnBuilder, Table, Value, earliest_pending, finish_columns};

const SECONDS_PER_DAY: i64 = 86_400;

/// Builds a [`Table`] from Arrow record batches pushed one at a time, checking every cell
/// against the [`Schema`] exactly as [`read_csv`](crate::read_csv) does: columns matched by
/// name in any order, the same [`CsvOptions`] policies (extra columns, out-of-bounds values,
/// null tokens and trimming for text cells), the same typed errors with the column and the
/// 0-based row ([`Position::Row`], counted across batches).
///
/// What each kind accepts:
/// - continuous: any integer or floating-point type (decimals too), or text parsed as a
///   number; NaN and infinities are errors, as in CSV;
/// - datetime: timestamps of any unit and time zone (taken as instants, UTC), `date32`,
///   `date64`, or text in the column's format;
/// - categorical: text (also large, view and dictionary-encoded text); numbers and booleans are
///   matched by their text (`1`, `true`), as [`Value::Number`] is;
/// - boolean: booleans, or text (the declared labels; with the default labels also the usual
///   spellings `yes`/`no`, `1`/`0`, …), or integers 0/1;
/// - id: anything (the values are never read).
///
/// Nothing is kept from a batch once it is pushed, so a stream of batches (a Parquet file read
/// row group by row group) is read in memory proportional to the table built.
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
/// use tabveil_data::{ArrowTableBuilder, CsvOptions, Schema};
///
/// let schema = Schema::from_json(r#"{"name": "t", "columns": [
///     {"name": "x", "kind": "continuous", "min": 0, "max": 10},
///     {"name": "c", "kind": "categorical", "categories": ["a", "b"], "nullable": true}
/// ]}"#)?;
/// let batch = RecordBatch::try_from_iter([
///     ("c", Arc::new(StringArray::from(vec![Some("a"), None])) as ArrayRef),
///     ("x", Arc::new(Float64Array::from(vec![1.5, 2.5])) as ArrayRef),
/// ]).unwrap();
/// let mut builder = ArrowTableBuilder::new(&batch.schema(), &schema, &CsvOptions::default())?;
/// builder.push_batch(&batch)?;
/// builder.push_batch(&batch)?;
/// let (table, _report) = builder.finish()?;
/// assert_eq!(table.n_rows(), 4);
/// assert!(table.column("c").unwrap().is_null(3));
/// # Ok::<(), tabveil_data::DataError>(())
/// ```
pub struct ArrowTableBuilder<'s> {
    schema: &'s Schema,
    options: CsvOptions,
    field_names: Vec<String>,
    field_of_column: Vec<usize>,
    builders: Vec<ColumnBuilder<'s>>,
    n_rows: usize,
    /// The first row of the chunk being built ([`ArrowTableBuilder::finish_chunk`]).
    chunk_start: usize,
    report: CsvReport,
}

impl std::fmt::Debug for ArrowTableBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArrowTableBuilder")
            .field("schema", &self.schema.name())
            .field("fields", &self.field_names)
            .field("n_rows", &self.n_rows)
            .finish_non_exhaustive()
    }
}

impl<'s> ArrowTableBuilder<'s> {
    /// A builder for batches of `arrow_schema`, checked against `schema`.
    ///
    /// # Errors
    /// [`crate::ReadError::DuplicateHeader`], [`crate::ReadError::MissingColumns`],
    /// [`crate::ReadError::UnexpectedColumns`] (unless [`ExtraColumns::Ignore`](crate::ExtraColumns)),
    /// [`crate::ReadError::CategoryIsNullToken`], and [`crate::ReadError::ArrowType`] for a column whose
    /// Arrow type cannot hold its kind.
    pub fn new(
        arrow_schema: &ArrowSchema,
        schema: &'s Schema,
        options: &CsvOptions,
    ) -> Result<Self> {
        check_null_tokens(schema, options)?;
        let field_names: Vec<String> = arrow_schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let mut report = CsvReport::default();
        let field_of_column = match_header(&field_names, schema, options, &mut report)?;
        for (cs, &field) in schema.columns().iter().zip(&field_of_column) {
            if !matches!(cs.kind(), ColumnKind::Id) {
                check_type(cs, arrow_schema.field(field).data_type())?;
            }
        }
        let builders = schema
            .columns()
            .iter()
            .map(|c| ColumnBuilder::new(c, options.out_of_bounds()))
            .collect();
        Ok(ArrowTableBuilder {
            schema,
            options: options.clone(),
            field_names,
            field_of_column,
            builders,
            n_rows: 0,
            chunk_start: 0,
            report,
        })
    }

    /// Adds the rows of `batch`, which must have the fields (names and types) of the Arrow
    /// schema the builder was made for.
    ///
    /// # Errors
    /// [`crate::ReadError::Arrow`] for a batch of another shape; the value errors of
    /// [`read_csv`](crate::read_csv) with [`Position::Row`] positions. After an error the
    /// builder must not be used again.
    pub fn push_batch(&mut self, batch: &RecordBatch) -> Result<()> {
        let same_fields = batch.num_columns() == self.field_names.len()
            && batch
                .schema()
                .fields()
                .iter()
                .zip(&self.field_names)
                .all(|(f, n)| f.name() == n);
        if !same_fields {
            return Err(DataError::Read(ReadError::Arrow {
                message: "a record batch has other columns than the first".to_owned(),
            }));
        }
        for b in &mut self.builders {
            b.reserve(batch.num_rows());
        }
        // Column by column; after an error at row r, the later columns are still read up to
        // row r (exclusive) so that the error reported is the first in row order, as the CSV
        // reader's is.
        let mut first: Option<DataError> = None;
        for (j, cs) in self.schema.columns().iter().enumerate() {
            if matches!(cs.kind(), ColumnKind::Id) {
                continue;
            }
            let array = batch.column(self.field_of_column[j]);
            let rows = first
                .as_ref()
                .map_or(array.len(), |e| row_of(e).saturating_sub(self.n_rows));
            let array = array.slice(0, rows.min(array.len()));
            if let Err(e) = push_array(
                &mut self.builders[j],
                cs,
                array.as_ref(),
                self.n_rows,
                &self.options,
            ) && first.as_ref().is_none_or(|f| row_of(&e) < row_of(f))
            {
                first = Some(e);
            }
        }
        if let Some(e) = first {
            return Err(earliest(&self.builders, e));
        }
        self.n_rows += batch.num_rows();
        Ok(())
    }

    /// Rows pushed so far.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// The checked table and the reader's notes (ignored columns, categories read from the
    /// data), as [`read_csv`](crate::read_csv) reports them.
    ///
    /// # Errors
    /// [`crate::ReadError::UnknownCategory`] for values outside the declared categories.
    pub fn finish(mut self) -> Result<(Table, CsvReport)> {
        self.finish_chunk()
    }

    /// The rows pushed since the last chunk (all rows, the first time) as a checked table,
    /// with the notes that concern them; the builder then starts a new chunk. Row positions in
    /// errors keep counting from the first row ever pushed, so a table read chunk by chunk
    /// (in bounded memory, see [`TableBatches`](crate::TableBatches)) raises the errors a
    /// whole read would, at the same rows. Categories discovered from the data (no
    /// `categories` in the schema) are those of the chunk.
    ///
    /// # Errors
    /// As [`ArrowTableBuilder::finish`]; after an error the builder must not be used again.
    pub fn finish_chunk(&mut self) -> Result<(Table, CsvReport)> {
        if let Some(e) = earliest_pending(&self.builders) {
            return Err(e);
        }
        let mut report = std::mem::take(&mut self.report);
        let fresh = self
            .schema
            .columns()
            .iter()
            .map(|c| ColumnBuilder::new(c, self.options.out_of_bounds()))
            .collect();
        let builders = std::mem::replace(&mut self.builders, fresh);
        let columns = finish_columns(builders, &mut report)?;
        let rows = self.n_rows - self.chunk_start;
        self.chunk_start = self.n_rows;
        Ok((Table::from_checked(rows, columns), report))
    }
}

/// Reads every batch of `batches` (of `arrow_schema`) into a [`Table`]; see
/// [`ArrowTableBuilder`].
///
/// # Errors
/// As [`ArrowTableBuilder`]; [`crate::ReadError::Arrow`] when the stream yields an error.
pub fn read_arrow_batches<I>(
    arrow_schema: &ArrowSchema,
    batches: I,
    schema: &Schema,
    options: &CsvOptions,
) -> Result<(Table, CsvReport)>
where
    I: IntoIterator<Item = std::result::Result<RecordBatch, arrow_schema::ArrowError>>,
{
    let mut builder = ArrowTableBuilder::new(arrow_schema, schema, options)?;
    for batch in batches {
        builder.push_batch(&batch.map_err(arrow_error)?)?;
    }
    builder.finish()
}

/// The error that came first in row order: `err`, or an unknown category met at an earlier
/// row (unknown categories are collected, not raised at once, so that the error can list
/// several).
fn earliest(builders: &[ColumnBuilder<'_>], err: DataError) -> DataError {
    match earliest_pending(builders) {
        Some(pending) if row_of(&pending) <= row_of(&err) => pending,
        _ => err,
    }
}

/// The 0-based row of a value error (`usize::MAX` for other errors).
fn row_of(e: &DataError) -> usize {
    match e {
        DataError::Read(ReadError::InvalidNumber { at, .. })
        | DataError::Read(ReadError::NonFiniteNumber { at, .. })
        | DataError::Read(ReadError::NotAnInteger { at, .. })
        | DataError::Read(ReadError::OutOfBounds { at, .. })
        | DataError::Read(ReadError::InvalidDatetime { at, .. })
        | DataError::Read(ReadError::NullInNonNullable { at, .. })
        | DataError::Read(ReadError::WrongValueType { at, .. })
        | DataError::Read(ReadError::UnknownCategory { at, .. }) => match at {
            Position::Row(r) => *r,
            Position::Line(l) => usize::try_from(*l).unwrap_or(usize::MAX),
        },
        _ => usize::MAX,
    }
}

/// What the column's kind accepts, for [`crate::ReadError::ArrowType`].
fn accepted(kind: &ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Continuous { .. } => "an integer, floating-point, decimal or text type",
        ColumnKind::Datetime { .. } => "a timestamp, date32, date64 or text type",
        ColumnKind::Categorical { .. } => "a text, dictionary, integer or boolean type",
        ColumnKind::Boolean { .. } => "a boolean, text or integer type",
        ColumnKind::Id => "any type",
    }
}

/// The class of an Arrow type, as far as reading is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Null,
    Boolean,
    Integer,
    Float,
    Text,
    Instant,
    Other,
}

fn class_of(dt: &DataType) -> Class {
    match dt {
        DataType::Null => Class::Null,
        DataType::Boolean => Class::Boolean,
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => Class::Integer,
        DataType::Float16
        | DataType::Float32
        | DataType::Float64
        | DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => Class::Float,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Class::Text,
        // Dictionary-encoded values (pandas and polars categoricals) are read as their values.
        DataType::Dictionary(_, values) => class_of(values),
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => Class::Instant,
        _ => Class::Other,
    }
}

fn check_type(cs: &ColumnSchema, dt: &DataType) -> Result<()> {
    let class = class_of(dt);
    let ok = match cs.kind() {
        ColumnKind::Continuous { .. } => {
            matches!(
                class,
                Class::Null | Class::Integer | Class::Float | Class::Text
            )
        }
        ColumnKind::Datetime { .. } => matches!(class, Class::Null | Class::Instant | Class::Text),
        ColumnKind::Categorical { .. } => matches!(
            class,
            Class::Null | Class::Boolean | Class::Integer | Class::Float | Class::Text
        ),
        ColumnKind::Boolean { .. } => {
            matches!(
                class,
                Class::Null | Class::Boolean | Class::Integer | Class::Text
            )
        }
        ColumnKind::Id => true,
    };
    if ok {
        Ok(())
    } else {
        Err(DataError::Read(ReadError::ArrowType {
            column: cs.name().to_owned(),
            found: dt.to_string(),
            expected: accepted(cs.kind()),
        }))
    }
}

/// Pushes every cell of `array` (rows `base..`) into the column's builder.
fn push_array(
    builder: &mut ColumnBuilder<'_>,
    cs: &ColumnSchema,
    array: &dyn Array,
    base: usize,
    options: &CsvOptions,
) -> Result<()> {
    let at = |i: usize| Position::Row(base + i);
    if let DataType::Dictionary(_, values) = array.data_type()
        && class_of(values) != Class::Text
    {
        let unpacked = arrow_cast::cast(array, values).map_err(arrow_error)?;
        return push_array(builder, cs, unpacked.as_ref(), base, options);
    }
    match class_of(array.data_type()) {
        Class::Null => (0..array.len()).try_for_each(|i| builder.push_null(at(i))),
        Class::Boolean => {
            let a = array.as_boolean();
            (0..a.len()).try_for_each(|i| {
                if a.is_null(i) {
                    builder.push_null(at(i))
                } else if matches!(cs.kind(), ColumnKind::Boolean { .. }) {
                    builder.push_value(&Value::Bool(a.value(i)), at(i))
                } else {
                    builder.push_text(Some(if a.value(i) { "true" } else { "false" }), at(i))
                }
            })
        }
        Class::Integer => push_integers(builder, array, &at),
        Class::Float => {
            let cast = arrow_cast::cast(array, &DataType::Float64).map_err(arrow_error)?;
            let a = cast.as_primitive::<Float64Type>();
            (0..a.len()).try_for_each(|i| {
                if a.is_null(i) {
                    builder.push_null(at(i))
                } else {
                    builder.push_value(&Value::Number(a.value(i)), at(i))
                }
            })
        }
        Class::Text => {
            let cast = arrow_cast::cast(array, &DataType::Utf8).map_err(arrow_error)?;
            let a = cast.as_string::<i32>();
            (0..a.len()).try_for_each(|i| {
                if a.is_null(i) {
                    return builder.push_null(at(i));
                }
                let raw = a.value(i);
                let text = if options.trim() { raw.trim() } else { raw };
                builder.push_text((!options.is_null(text)).then_some(text), at(i))
            })
        }
        Class::Instant => push_instants(builder, cs, array, &at),
        Class::Other => Err(DataError::Read(ReadError::ArrowType {
            column: cs.name().to_owned(),
            found: array.data_type().to_string(),
            expected: accepted(cs.kind()),
        })),
    }
}

/// Integers of any width: numbers for continuous columns, their text for discrete ones (so
/// `1` matches the category `"1"` and, in a boolean column with the default labels, true).
fn push_integers(
    builder: &mut ColumnBuilder<'_>,
    array: &dyn Array,
    at: &dyn Fn(usize) -> Position,
) -> Result<()> {
    fn each<T: ArrowPrimitiveType>(
        builder: &mut ColumnBuilder<'_>,
        array: &dyn Array,
        at: &dyn Fn(usize) -> Position,
        as_i128: impl Fn(T::Native) -> i128,
    ) -> Result<()> {
        let a = array.as_primitive::<T>();
        let mut text = String::new();
        (0..a.len()).try_for_each(|i| {
            if a.is_null(i) {
                return builder.push_null(at(i));
            }
            let v = as_i128(a.value(i));
            if builder.is_discrete() {
                use std::fmt::Write as _;
                text.clear();
                let _ = write!(text, "{v}");
                builder.push_text(Some(&text), at(i))
            } else {
                // Exact below 2⁵³ in magnitude; beyond, rounded to the nearest f64 as the CSV
                // reader rounds a long integer literal.
                builder.push_value(&Value::Number(v as f64), at(i))
            }
        })
    }
    match array.data_type() {
        DataType::Int8 => each::<Int8Type>(builder, array, at, i128::from),
        DataType::Int16 => each::<Int16Type>(builder, array, at, i128::from),
        DataType::Int32 => each::<Int32Type>(builder, array, at, i128::from),
        DataType::Int64 => each::<Int64Type>(builder, array, at, i128::from),
        DataType::UInt8 => each::<UInt8Type>(builder, array, at, i128::from),
        DataType::UInt16 => each::<UInt16Type>(builder, array, at, i128::from),
        DataType::UInt32 => each::<UInt32Type>(builder, array, at, i128::from),
        DataType::UInt64 => each::<UInt64Type>(builder, array, at, i128::from),
        _ => Err(DataError::Internal("push_integers on a non-integer array")),
    }
}

/// Timestamps and dates as seconds since 1970-01-01T00:00:00 UTC. Whole seconds are exact at
/// every unit (the sub-second part is added separately, so nanosecond timestamps of today,
/// beyond 2⁵³, do not lose their seconds).
fn push_instants(
    builder: &mut ColumnBuilder<'_>,
    cs: &ColumnSchema,
    array: &dyn Array,
    at: &dyn Fn(usize) -> Position,
) -> Result<()> {
    if !matches!(cs.kind(), ColumnKind::Datetime { .. }) {
        return Err(DataError::Read(ReadError::ArrowType {
            column: cs.name().to_owned(),
            found: array.data_type().to_string(),
            expected: accepted(cs.kind()),
        }));
    }
    fn each<T>(
        builder: &mut ColumnBuilder<'_>,
        array: &dyn Array,
        at: &dyn Fn(usize) -> Position,
        per_second: i64,
        seconds_per_unit: i64,
    ) -> Result<()>
    where
        T: ArrowPrimitiveType,
        T::Native: Into<i64>,
    {
        let a = array.as_primitive::<T>();
        (0..a.len()).try_for_each(|i| {
            if a.is_null(i) {
                return builder.push_null(at(i));
            }
            let v: i64 = a.value(i).into();
            let seconds = v.div_euclid(per_second) as f64 * seconds_per_unit as f64
                + v.rem_euclid(per_second) as f64 / per_second as f64;
            builder.push_value(&Value::Number(seconds), at(i))
        })
    }
    match array.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => {
            each::<TimestampSecondType>(builder, array, at, 1, 1)
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            each::<TimestampMillisecondType>(builder, array, at, 1_000, 1)
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            each::<TimestampMicrosecondType>(builder, array, at, 1_000_000, 1)
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            each::<TimestampNanosecondType>(builder, array, at, 1_000_000_000, 1)
        }
        DataType::Date32 => each::<Date32Type>(builder, array, at, 1, SECONDS_PER_DAY),
        DataType::Date64 => each::<Date64Type>(builder, array, at, 1_000, 1),
        _ => Err(DataError::Internal("push_instants on a non-temporal array")),
    }
}
