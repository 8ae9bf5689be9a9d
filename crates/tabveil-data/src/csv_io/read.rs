//! [`read_csv`]: CSV text → checked [`Table`].

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use csv::ByteRecord;

use super::{CsvNote, CsvOptions, CsvReport, ExtraColumns};
use crate::error::ReadError;
use crate::error::{DataError, Position, Result, open_file};
use crate::schema::Schema;
use crate::table::{ColumnBuilder, Table, earliest_pending, finish_columns};

/// Reads a CSV file (with a header line) into a [`Table`] checked against `schema`.
///
/// Columns are matched by header name, in any order. Missing values are empty fields or any
/// of [`CsvOptions::null_tokens`]. Categorical columns whose schema declares no categories get
/// their domain from the data (sorted), with a [`CsvNote::CategoriesFromData`].
///
/// Never panics, whatever the bytes.
///
/// # Errors
/// With the 1-based line ([`Position::Line`]) and the column where applicable:
/// [`crate::ReadError::EmptyInput`], [`crate::ReadError::InvalidUtf8`], [`crate::ReadError::DuplicateHeader`],
/// [`crate::ReadError::MissingColumns`], [`crate::ReadError::UnexpectedColumns`],
/// [`crate::ReadError::CategoryIsNullToken`], [`crate::ReadError::RaggedRow`],
/// [`crate::ReadError::InvalidNumber`], [`crate::ReadError::NonFiniteNumber`], [`crate::ReadError::NotAnInteger`],
/// [`crate::ReadError::InvalidDatetime`], [`crate::ReadError::NullInNonNullable`],
/// [`crate::ReadError::OutOfBounds`], [`crate::ReadError::BeyondModelRange`], [`crate::ReadError::UnknownCategory`] (first line, the first few
/// distinct values and the count), [`crate::ReadError::Csv`] / [`DataError::Io`] for reader failures.
pub fn read_csv<R: Read>(
    reader: R,
    schema: &Schema,
    options: &CsvOptions,
) -> Result<(Table, CsvReport)> {
    check_null_tokens(schema, options)?;
    let mut rdr = super::csv_reader(reader, options);
    let mut record = ByteRecord::new();
    if !super::read_record(&mut rdr, &mut record)? {
        return Err(DataError::Read(ReadError::EmptyInput));
    }
    let header = decode_header(&record)?;
    let mut report = CsvReport::default();
    let field_of_column = match_header(&header, schema, options, &mut report)?;

    let mut builders: Vec<ColumnBuilder<'_>> = schema
        .columns()
        .iter()
        .map(|c| ColumnBuilder::new(c, options.out_of_bounds()))
        .collect();
    for b in &mut builders {
        b.reserve(1024);
    }
    let mut n_rows = 0usize;
    while super::read_record(&mut rdr, &mut record)? {
        let line = record.position().map_or(0, csv::Position::line);
        if record.len() != header.len() {
            return Err(first_error(
                &builders,
                DataError::Read(ReadError::RaggedRow {
                    line,
                    expected: header.len(),
                    found: record.len(),
                }),
            ));
        }
        for (j, column) in schema.columns().iter().enumerate() {
            if matches!(column.kind(), crate::ColumnKind::Id) {
                continue;
            }
            let field = field_of_column[j];
            let bytes = record.get(field).unwrap_or_default();
            let result = match std::str::from_utf8(bytes) {
                Ok(text) => {
                    let cell = (!options.is_null(text)).then_some(text);
                    builders[j].push_text(cell, Position::Line(line))
                }
                Err(_) => Err(DataError::Read(ReadError::InvalidUtf8 {
                    line,
                    field: field + 1,
                    column: Some(column.name().to_owned()),
                })),
            };
            if let Err(e) = result {
                return Err(first_error(&builders, e));
            }
        }
        n_rows += 1;
    }
    if let Some(e) = earliest_pending(&builders) {
        return Err(e);
    }
    let columns = finish_columns(builders, &mut report)?;
    Ok((Table::from_checked(n_rows, columns), report))
}

/// Reads the CSV file at `path`; see [`read_csv`].
///
/// # Errors
/// [`DataError::Io`] if the file cannot be opened; otherwise as [`read_csv`].
pub fn read_csv_path(
    path: impl AsRef<Path>,
    schema: &Schema,
    options: &CsvOptions,
) -> Result<(Table, CsvReport)> {
    let file = open_file(path.as_ref())?;
    read_csv(std::io::BufReader::new(file), schema, options)
}

fn decode_header(record: &ByteRecord) -> Result<Vec<String>> {
    record
        .iter()
        .enumerate()
        .map(|(i, bytes)| header_name(i, bytes))
        .collect()
}

/// The column name in field `i` (from 0) of a CSV header: UTF-8, without a leading byte-order
/// mark on the first name, trimmed.
pub(crate) fn header_name(i: usize, bytes: &[u8]) -> Result<String> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        DataError::Read(ReadError::InvalidUtf8 {
            line: 1,
            field: i + 1,
            column: None,
        })
    })?;
    // A UTF-8 byte-order mark at the start of the file sticks to the first name.
    let text = if i == 0 {
        text.strip_prefix('\u{feff}').unwrap_or(text)
    } else {
        text
    };
    Ok(text.trim().to_owned())
}

/// For each schema column, the index of its field in the file.
pub(crate) fn match_header(
    header: &[String],
    schema: &Schema,
    options: &CsvOptions,
    report: &mut CsvReport,
) -> Result<Vec<usize>> {
    let mut position: HashMap<&str, usize> = HashMap::with_capacity(header.len());
    for (i, name) in header.iter().enumerate() {
        if position.insert(name.as_str(), i).is_some() {
            return Err(DataError::Read(ReadError::DuplicateHeader {
                column: name.clone(),
            }));
        }
    }
    let missing: Vec<String> = schema
        .columns()
        .iter()
        .filter(|c| !position.contains_key(c.name()))
        .map(|c| c.name().to_owned())
        .collect();
    if !missing.is_empty() {
        return Err(DataError::Read(ReadError::MissingColumns {
            columns: missing,
        }));
    }
    let extra: Vec<String> = header
        .iter()
        .filter(|h| schema.column(h).is_none())
        .cloned()
        .collect();
    if !extra.is_empty() {
        match options.extra_columns() {
            ExtraColumns::Reject => {
                return Err(DataError::Read(ReadError::UnexpectedColumns {
                    columns: extra,
                }));
            }
            ExtraColumns::Ignore => report.push(CsvNote::IgnoredColumns { columns: extra }),
        }
    }
    Ok(schema
        .columns()
        .iter()
        .map(|c| position.get(c.name()).copied().unwrap_or(0))
        .collect())
}

/// A declared category that is also a null token could never be read.
pub(crate) fn check_null_tokens(schema: &Schema, options: &CsvOptions) -> Result<()> {
    for c in schema.columns() {
        if let crate::ColumnKind::Categorical {
            categories: Some(cats),
        }
        | crate::ColumnKind::Boolean {
            categories: Some(cats),
        } = c.kind()
            && let Some(cat) = cats.iter().find(|cat| options.is_null(cat))
        {
            return Err(DataError::Read(ReadError::CategoryIsNullToken {
                column: c.name().to_owned(),
                category: cat.clone(),
            }));
        }
    }
    Ok(())
}

/// `err`, unless an unknown category was met earlier: then that one, which came first.
fn first_error(builders: &[ColumnBuilder<'_>], err: DataError) -> DataError {
    earliest_pending(builders).unwrap_or(err)
}
