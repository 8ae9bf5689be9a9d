//! [`RawTable`]: a table read as text, before any schema: what private discovery reads.

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use csv::ByteRecord;

use crate::csv_io::{self, CsvOptions};
use crate::error::ReadError;
use crate::error::{DataError, Result};
use crate::schema::Schema;
use crate::table::Table;

/// A table as text: column names (public: they are the schema's) and, per column, each row's
/// field, `None` for a missing value (the empty field or a null token of the [`CsvOptions`]).
///
/// ```
/// use tabveil_data::{CsvOptions, RawTable};
///
/// let raw = RawTable::read_csv("a,b\n1,x\n,y\n".as_bytes(), &CsvOptions::default())?;
/// assert_eq!(raw.names(), ["a", "b"]);
/// assert_eq!(raw.column("a").unwrap()[1], None);
/// # Ok::<(), tabveil_data::DataError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTable {
    names: Vec<String>,
    columns: Vec<Vec<Option<String>>>,
}

impl RawTable {
    /// A raw table from names and column-major fields.
    ///
    /// # Errors
    /// [`crate::ReadError::DuplicateHeader`] for a repeated name;
    /// [`crate::ReadError::ColumnCount`] when names and columns differ in number;
    /// [`crate::ReadError::ColumnLength`] when the columns differ in length.
    pub fn new(names: Vec<String>, columns: Vec<Vec<Option<String>>>) -> Result<Self> {
        let mut seen = HashSet::new();
        for n in &names {
            if !seen.insert(n.as_str()) {
                return Err(DataError::Read(ReadError::DuplicateHeader {
                    column: n.clone(),
                }));
            }
        }
        if names.len() != columns.len() {
            return Err(DataError::Read(ReadError::ColumnCount {
                expected: names.len(),
                found: columns.len(),
            }));
        }
        let rows = columns.first().map_or(0, Vec::len);
        if let Some((i, c)) = columns.iter().enumerate().find(|(_, c)| c.len() != rows) {
            return Err(DataError::Read(ReadError::ColumnLength {
                column: names[i].clone(),
                expected: rows,
                found: c.len(),
            }));
        }
        Ok(RawTable { names, columns })
    }

    /// Reads a CSV file with a header line; fields are trimmed and nulls recognised as
    /// `options` says (its bounds and extra-column settings do not apply).
    ///
    /// # Errors
    /// [`crate::ReadError::EmptyInput`], [`crate::ReadError::Csv`],
    /// [`crate::ReadError::InvalidUtf8`], [`crate::ReadError::DuplicateHeader`],
    /// [`crate::ReadError::RaggedRow`].
    pub fn read_csv<R: Read>(reader: R, options: &CsvOptions) -> Result<Self> {
        let mut rdr = csv_io::csv_reader(reader, options);
        let mut record = ByteRecord::new();
        let mut read = |record: &mut ByteRecord| csv_io::read_record(&mut rdr, record);
        if !read(&mut record)? {
            return Err(DataError::Read(ReadError::EmptyInput));
        }
        let mut names = Vec::with_capacity(record.len());
        for (i, bytes) in record.iter().enumerate() {
            let text = utf8(bytes, 1, i, None)?;
            let text = if i == 0 {
                text.strip_prefix('\u{feff}').unwrap_or(text)
            } else {
                text
            };
            names.push(text.trim().to_owned());
        }
        let mut columns: Vec<Vec<Option<String>>> = vec![Vec::new(); names.len()];
        while read(&mut record)? {
            let line = record.position().map_or(0, csv::Position::line);
            if record.len() != names.len() {
                return Err(DataError::Read(ReadError::RaggedRow {
                    line,
                    expected: names.len(),
                    found: record.len(),
                }));
            }
            for (i, (bytes, col)) in record.iter().zip(&mut columns).enumerate() {
                let text = utf8(bytes, line, i, Some(&names[i]))?;
                col.push((!options.is_null(text)).then(|| text.to_owned()));
            }
        }
        RawTable::new(names, columns)
    }

    /// [`RawTable::read_csv`] on the file at `path`.
    ///
    /// # Errors
    /// [`DataError::Io`] if the file cannot be opened; otherwise as [`RawTable::read_csv`].
    pub fn read_csv_path(path: impl AsRef<Path>, options: &CsvOptions) -> Result<Self> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|e| DataError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        RawTable::read_csv(std::io::BufReader::new(file), options)
    }

    /// The table read with `schema` (e.g. the one discovered from it), as
    /// [`read_csv`](crate::read_csv) reads a file with `options`: a missing field is null,
    /// values beyond bounds that discovery released are clipped, values it did not release go
    /// to the column's `other` category.
    ///
    /// # Errors
    /// As [`read_csv`](crate::read_csv).
    pub fn to_table(&self, schema: &Schema, options: &CsvOptions) -> Result<Table> {
        // Through the one CSV reader, so that a field is read here exactly as from a file.
        let mut writer = csv::WriterBuilder::new()
            .delimiter(options.delimiter())
            .from_writer(Vec::new());
        let csv_error = |e: csv::Error| {
            DataError::Read(ReadError::Csv {
                line: None,
                message: e.to_string(),
            })
        };
        writer.write_record(&self.names).map_err(csv_error)?;
        let rows = self.columns.first().map_or(0, Vec::len);
        for r in 0..rows {
            writer
                .write_record(
                    self.columns
                        .iter()
                        .map(|c| c[r].as_deref().unwrap_or_default()),
                )
                .map_err(csv_error)?;
        }
        let bytes = writer
            .into_inner()
            .map_err(|_| DataError::Internal("an in-memory CSV writer failed"))?;
        Ok(csv_io::read_csv(bytes.as_slice(), schema, options)?.0)
    }

    /// The column names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The fields of the column called `name`.
    pub fn column(&self, name: &str) -> Option<&[Option<String>]> {
        let i = self.names.iter().position(|n| n == name)?;
        self.columns.get(i).map(Vec::as_slice)
    }
}

fn utf8<'a>(bytes: &'a [u8], line: u64, index: usize, column: Option<&str>) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|_| {
        DataError::Read(ReadError::InvalidUtf8 {
            line,
            field: index + 1,
            column: column.map(str::to_owned),
        })
    })
}
