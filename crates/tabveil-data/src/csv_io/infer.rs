//! [`infer_schema`]: a schema read from the data itself, with a loud warning that it is not
//! private.

use std::collections::BTreeSet;
use std::fmt;
use std::io::Read;
use std::path::Path;

use csv::ByteRecord;

use super::CsvOptions;
use crate::datetime;
use crate::error::ReadError;
use crate::error::{DataError, Result, open_file};
use crate::schema::{ColumnKind, ColumnSchema, Schema};

/// Datetime formats tried by [`infer_schema`], in order.
const DATETIME_FORMATS: [&str; 4] = [
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%z",
];

/// A schema inferred from data, and the warning that must go with it.
#[must_use = "an inferred schema is not private: show the warning to the user"]
#[derive(Debug, Clone, PartialEq)]
pub struct InferredSchema {
    /// The inferred schema.
    pub schema: Schema,
    /// Why the schema must be reviewed before any private use.
    pub warning: NotPrivateWarning,
}

/// The warning that goes with every inferred schema: its bounds and categories were read from
/// the data, so they reveal individual rows (the exact minimum and maximum, every category
/// present, even one held by a single person). Using them in private mode voids the guarantee
/// unless the user replaces them with public values (a codebook, known ranges).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotPrivateWarning {
    /// The columns whose bounds or categories came from the data.
    pub columns: Vec<String>,
}

impl fmt::Display for NotPrivateWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "WARNING: THIS SCHEMA WAS READ FROM THE DATA AND IS NOT PRIVATE. The bounds and \
             categories of {} column(s) ({}) are exact values of the data and can reveal \
             individual rows. Review the schema and replace them with public knowledge \
             before any differentially private use.",
            self.columns.len(),
            self.columns.join(", ")
        )
    }
}

/// Infers a schema from a CSV file with a header line: continuous (integer when every value
/// is whole) when every value is a number, boolean for the usual true/false spellings,
/// datetime for ISO dates, id for a column named `id` or `*_id` whose values are all distinct,
/// and categorical otherwise; nullable when a value is missing. Bounds are the observed minimum
/// and maximum, categories the observed values (sorted). The schema is marked as read from
/// the data ([`Schema::is_inferred_from_data`]): private fits refuse it until the user has
/// reviewed it. Whatever the input, a schema returned here reads that input back.
///
/// # Errors
/// The reader errors of [`read_csv`](super::read_csv) ([`crate::ReadError::EmptyInput`],
/// [`crate::ReadError::RaggedRow`], [`crate::ReadError::InvalidUtf8`], [`crate::ReadError::DuplicateHeader`]), and
/// the schema errors if the result is not a valid schema (e.g. no columns).
pub fn infer_schema<R: Read>(
    reader: R,
    name: &str,
    options: &CsvOptions,
) -> Result<InferredSchema> {
    let mut rdr = super::csv_reader(reader, options);
    let mut record = ByteRecord::new();
    let read = super::read_record::<R>;
    if !read(&mut rdr, &mut record)? {
        return Err(DataError::Read(ReadError::EmptyInput));
    }
    let mut header = Vec::with_capacity(record.len());
    for (i, bytes) in record.iter().enumerate() {
        let text = super::read::header_name(i, bytes)?;
        if header.contains(&text) {
            return Err(DataError::Read(ReadError::DuplicateHeader { column: text }));
        }
        header.push(text);
    }
    let mut stats: Vec<ColumnStats> = header.iter().map(|_| ColumnStats::default()).collect();
    while read(&mut rdr, &mut record)? {
        let line = record.position().map_or(0, csv::Position::line);
        if record.len() != header.len() {
            return Err(DataError::Read(ReadError::RaggedRow {
                line,
                expected: header.len(),
                found: record.len(),
            }));
        }
        for (i, (bytes, st)) in record.iter().zip(&mut stats).enumerate() {
            let text = std::str::from_utf8(bytes).map_err(|_| {
                DataError::Read(ReadError::InvalidUtf8 {
                    line,
                    field: i + 1,
                    column: Some(header[i].clone()),
                })
            })?;
            if options.is_null(text) {
                st.nulls += 1;
            } else {
                st.add(text);
            }
        }
    }
    inferred(name, &header, stats)
}

/// The schema of the columns `header` with their statistics, and its warning.
pub(crate) fn inferred(
    name: &str,
    header: &[String],
    stats: Vec<ColumnStats>,
) -> Result<InferredSchema> {
    let columns = header
        .iter()
        .zip(stats)
        .map(|(name, st)| st.into_column(name))
        .collect();
    with_warning(name, columns)
}

/// The schema of `columns`, with the warning naming those whose bounds or categories came
/// from the data.
pub(crate) fn with_warning(name: &str, columns: Vec<ColumnSchema>) -> Result<InferredSchema> {
    let mut from_data = Vec::new();
    for column in &columns {
        if !matches!(column.kind(), ColumnKind::Id | ColumnKind::Boolean { .. }) {
            from_data.push(column.name().to_owned());
        }
    }
    // Marked: private preprocessing refuses it until the user has reviewed it.
    let schema = Schema::new(name, columns)?.with_inferred_from_data(true);
    Ok(InferredSchema {
        schema,
        warning: NotPrivateWarning { columns: from_data },
    })
}

/// Infers a schema from the CSV file at `path`, named after the file's stem; see
/// [`infer_schema`].
///
/// # Errors
/// [`DataError::Io`] if the file cannot be opened; otherwise as [`infer_schema`].
pub fn infer_schema_path(path: impl AsRef<Path>, options: &CsvOptions) -> Result<InferredSchema> {
    let path = path.as_ref();
    let file = open_file(path)?;
    let name = path
        .file_stem()
        .map_or_else(|| "table".to_owned(), |s| s.to_string_lossy().into_owned());
    infer_schema(std::io::BufReader::new(file), &name, options)
}

/// What inference learns of one column, cell by cell.
#[derive(Default)]
pub(crate) struct ColumnStats {
    pub(crate) nulls: usize,
    values: usize,
    numeric: bool,
    all_integer: bool,
    min: f64,
    max: f64,
    /// Distinct values (capped: a column with more distinct values than rows is an id
    /// candidate anyway, and we only need the set for categoricals).
    distinct: BTreeSet<String>,
    /// Per candidate datetime format, whether every value so far parsed, and the bounds.
    dates: Vec<(bool, f64, f64)>,
    booleans: bool,
}

impl ColumnStats {
    /// Adds one non-missing cell, as text.
    pub(crate) fn add(&mut self, text: &str) {
        if self.values == 0 {
            self.numeric = true;
            self.all_integer = true;
            self.booleans = true;
            self.min = f64::INFINITY;
            self.max = f64::NEG_INFINITY;
            self.dates = vec![(true, f64::INFINITY, f64::NEG_INFINITY); DATETIME_FORMATS.len()];
        }
        self.values += 1;
        if self.numeric {
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => {
                    self.all_integer &= v.fract() == 0.0;
                    self.min = self.min.min(v);
                    self.max = self.max.max(v);
                }
                _ => self.numeric = false,
            }
        }
        // Every value counts for the datetime formats, numbers included: a column whose first
        // value is `0` and whose others are dates is not a datetime column (the reader would
        // reject the `0`).
        for (fmt, d) in DATETIME_FORMATS.iter().zip(&mut self.dates) {
            if d.0 {
                match datetime::parse_seconds(text, fmt) {
                    Some(s) => {
                        d.1 = d.1.min(s);
                        d.2 = d.2.max(s);
                    }
                    None => d.0 = false,
                }
            }
        }
        self.booleans &= ["true", "false", "yes", "no", "t", "f", "y", "n"]
            .iter()
            .any(|b| text.eq_ignore_ascii_case(b));
        if !self.distinct.contains(text) {
            self.distinct.insert(text.to_owned());
        }
    }

    /// A categorical column of the values seen (for input typed as categorical, e.g. an Arrow
    /// dictionary, whatever its labels look like).
    #[cfg_attr(not(feature = "arrow"), allow(dead_code))]
    pub(crate) fn into_categorical(self, name: &str) -> ColumnSchema {
        let nullable = self.nulls > 0;
        if self.distinct.is_empty() {
            ColumnSchema::categorical_undeclared(name).with_nullable(nullable)
        } else {
            ColumnSchema::categorical(name, self.distinct).with_nullable(nullable)
        }
    }

    pub(crate) fn into_column(self, name: &str) -> ColumnSchema {
        let nullable = self.nulls > 0;
        let lower = name.to_ascii_lowercase();
        let id_like = lower == "id" || lower.ends_with("_id");
        let column = if self.values == 0 {
            ColumnSchema::categorical_undeclared(name)
        } else if id_like && self.distinct.len() == self.values {
            ColumnSchema::id(name)
        } else if self.numeric {
            let (min, max) = widen(self.min, self.max);
            ColumnSchema::new(
                name,
                ColumnKind::Continuous {
                    min: Some(min),
                    max: Some(max),
                    integer: self.all_integer,
                },
            )
        } else if self.booleans && self.distinct.len() <= 2 {
            ColumnSchema::boolean(name)
        } else if let Some((fmt, d)) = DATETIME_FORMATS.iter().zip(&self.dates).find(|(_, d)| d.0) {
            // A day, so that the widened bound still reads back through a date-only format.
            let (min, max) = widen_datetime(d.1, d.2);
            ColumnSchema::new(
                name,
                ColumnKind::Datetime {
                    format: (*fmt).to_owned(),
                    min: Some(min),
                    max: Some(max),
                },
            )
        } else {
            ColumnSchema::categorical(name, self.distinct)
        };
        column.with_nullable(nullable)
    }
}

/// A constant column gets bounds [v, v + 1] so that min < max holds (or [v, v + |v|] where
/// v + 1 rounds back to v, kept within [`MAX_ABS_VALUE`](crate::MAX_ABS_VALUE)).
fn widen(min: f64, max: f64) -> (f64, f64) {
    if min < max {
        return (min, max);
    }
    let step = if min + 1.0 > min { 1.0 } else { min.abs() };
    if min + step <= crate::MAX_ABS_VALUE {
        (min, min + step)
    } else {
        (min - step, min)
    }
}

/// A constant datetime column gets bounds [t, t + one day].
fn widen_datetime(min: f64, max: f64) -> (f64, f64) {
    if min < max {
        (min, max)
    } else {
        (min, min + 86_400.0)
    }
}
