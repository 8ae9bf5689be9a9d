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
    let mut wtr = WriterBuilder::new().from_writer(writer);
    let io = |e: csv::Error| DataError::Io {
        path: "<writer>".to_owned(),
        message: e.to_string(),
    };
    wtr.write_record(schema.columns().iter().map(|c| c.name()))
        .map_err(io)?;
    let mut record = ByteRecord::new();
    let mut buf = String::new();
    for row in 0..table.n_rows() {
        record.clear();
        for (col, cs) in table.columns().iter().zip(schema.columns()) {
            buf.clear();
            if !col.is_null(row) {
                match (col.data(), cs.kind()) {
                    (ColumnData::Continuous(v), ColumnKind::Datetime { format, .. }) => {
                        let text = datetime::format_seconds(v[row], format).ok_or_else(|| {
                            DataError::Read(ReadError::DatetimeOutOfRange {
                                at: Position::Row(row),
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
                    (ColumnData::Id, _) => push_number(&mut buf, (row + 1) as f64, true),
                }
            }
            record.push_field(buf.as_bytes());
        }
        wtr.write_byte_record(&record).map_err(io)?;
    }
    wtr.flush().map_err(|e| DataError::Io {
        path: "<writer>".to_owned(),
        message: e.to_string(),
    })
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

fn check_table(table: &Table, schema: &Schema) -> Result<()> {
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
