//! [`write_csv`]: [`Table`] → CSV text.

use std::io::Write;
use std::path::Path;

use csv::{ByteRecord, WriterBuilder};

use crate::datetime;
use crate::error::{DataError, Position, ReadError, Result};
use crate::schema::{ColumnKind, Schema};
use crate::table::{ColumnData, Table};

/// Writes `table` as comma-separated UTF-8 with a header line, columns in schema order.
///
/// Nulls are empty fields; integer columns are written as integers; datetimes with their
/// column's format; categorical and boolean columns as their labels; id columns as the
/// sequence 1, 2, 3, … (ids are never modelled nor released). Other numbers use the shortest
/// text that reads back to the same `f64`, so [`read_csv`](crate::read_csv) gives back the
/// same table.
///
/// # Errors
/// [`crate::ReadError::ColumnCount`], [`crate::ReadError::ColumnName`], [`crate::ReadError::ColumnKind`] if the
/// table does not belong to `schema`; [`crate::ReadError::DatetimeOutOfRange`] for an instant that
/// cannot be written; [`DataError::Io`] when writing fails.
pub fn write_csv<W: Write>(table: &Table, schema: &Schema, writer: W) -> Result<()> {
    check_table(table, schema)?;
    let mut w = CsvWriter::new(writer, schema)?;
    w.write_table(table)?;
    w.finish().map(|_| ())
}

/// A CSV writer that takes a table in parts: the header once, then any number of tables of the
/// same schema (chunks of synthetic rows, say), written as [`write_csv`] writes one table — id
/// columns count on across the parts.
///
/// ```
/// use tabveil_data::{Column, CsvWriter, Schema, Table};
///
/// let schema = Schema::from_json(r#"{"name": "t", "columns": [
///     {"name": "x", "kind": "continuous", "min": 0, "max": 9, "integer": true},
///     {"name": "id", "kind": "id"}
/// ]}"#)?;
/// let part = |v: Vec<f64>| Table::new(&schema, vec![Column::continuous("x", v), Column::id("id")]);
/// let mut writer = CsvWriter::new(Vec::new(), &schema)?;
/// writer.write_table(&part(vec![1.0, 2.0])?)?;
/// writer.write_table(&part(vec![3.0])?)?;
/// let bytes = writer.finish()?;
/// assert_eq!(String::from_utf8(bytes).unwrap(), "x,id\n1,1\n2,2\n3,3\n");
/// # Ok::<(), tabveil_data::DataError>(())
/// ```
pub struct CsvWriter<'s, W: Write> {
    schema: &'s Schema,
    inner: csv::Writer<W>,
    rows: usize,
}

impl<W: Write> std::fmt::Debug for CsvWriter<'_, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvWriter")
            .field("schema", &self.schema.name())
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl<'s, W: Write> CsvWriter<'s, W> {
    /// A writer for tables of `schema`; writes the header line.
    ///
    /// # Errors
    /// [`DataError::Io`] when writing fails.
    pub fn new(writer: W, schema: &'s Schema) -> Result<Self> {
        let mut inner = WriterBuilder::new().from_writer(writer);
        inner
            .write_record(schema.columns().iter().map(|c| c.name()))
            .map_err(csv_io)?;
        Ok(CsvWriter {
            schema,
            inner,
            rows: 0,
        })
    }

    /// Writes the rows of `table`.
    ///
    /// # Errors
    /// As [`write_csv`].
    pub fn write_table(&mut self, table: &Table) -> Result<()> {
        check_table(table, self.schema)?;
        let mut record = ByteRecord::new();
        let mut buf = String::new();
        for row in 0..table.n_rows() {
            record.clear();
            for (col, cs) in table.columns().iter().zip(self.schema.columns()) {
                buf.clear();
                if !col.is_null(row) {
                    match (col.data(), cs.kind()) {
                        (ColumnData::Continuous(v), ColumnKind::Datetime { format, .. }) => {
                            let text =
                                datetime::format_seconds(v[row], format).ok_or_else(|| {
                                    DataError::Read(ReadError::DatetimeOutOfRange {
                                        at: Position::Row(self.rows + row),
                                        column: cs.name().to_owned(),
                                        seconds: v[row],
                                    })
                                })?;
                            buf.push_str(&text);
                        }
                        (ColumnData::Continuous(v), _) => {
                            push_number(&mut buf, v[row], cs.is_integer())
                        }
                        (ColumnData::Categorical(v), _) => {
                            if let Some(label) = col.domain().and_then(|d| d.get(v[row] as usize)) {
                                buf.push_str(label);
                            }
                        }
                        (ColumnData::Id, _) => {
                            push_number(&mut buf, (self.rows + row + 1) as f64, true)
                        }
                    }
                }
                record.push_field(buf.as_bytes());
            }
            self.inner.write_byte_record(&record).map_err(csv_io)?;
        }
        self.rows += table.n_rows();
        Ok(())
    }

    /// The number of rows written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Flushes and returns the underlying writer.
    ///
    /// # Errors
    /// [`DataError::Io`] when flushing fails.
    pub fn finish(self) -> Result<W> {
        self.inner.into_inner().map_err(|e| DataError::Io {
            path: "<writer>".to_owned(),
            message: e.error().to_string(),
        })
    }
}

fn csv_io(e: csv::Error) -> DataError {
    DataError::Io {
        path: "<writer>".to_owned(),
        message: e.to_string(),
    }
}

/// Writes `table` to the file at `path` (created or truncated); see [`write_csv`].
///
/// # Errors
/// [`DataError::Io`] if the file cannot be created; otherwise as [`write_csv`].
pub fn write_csv_path(table: &Table, schema: &Schema, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let file = std::fs::File::create(path).map_err(|e| DataError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    write_csv(table, schema, std::io::BufWriter::new(file))
}

fn push_number(buf: &mut String, v: f64, integer: bool) {
    use std::fmt::Write as _;
    if integer && v.abs() < 9.0e15 {
        // `+ 0.0` turns −0 into 0.
        let _ = write!(buf, "{}", (v.round() + 0.0) as i64);
    } else {
        let _ = write!(buf, "{}", v + 0.0);
    }
}

pub(crate) fn check_table(table: &Table, schema: &Schema) -> Result<()> {
    if table.n_columns() != schema.n_columns() {
        return Err(DataError::Read(ReadError::ColumnCount {
            expected: schema.n_columns(),
            found: table.n_columns(),
        }));
    }
    for (index, (col, cs)) in table.columns().iter().zip(schema.columns()).enumerate() {
        if col.name() != cs.name() {
            return Err(DataError::Read(ReadError::ColumnName {
                index,
                expected: cs.name().to_owned(),
                found: col.name().to_owned(),
            }));
        }
        let ok = match col.data() {
            ColumnData::Continuous(_) => cs.kind().is_numeric(),
            ColumnData::Categorical(_) => cs.kind().is_discrete(),
            ColumnData::Id => matches!(cs.kind(), ColumnKind::Id),
        };
        if !ok {
            return Err(DataError::Read(ReadError::ColumnKind {
                column: cs.name().to_owned(),
                expected: crate::table::expected_kind(cs.kind()),
            }));
        }
    }
    Ok(())
}
