//! Reading the user's files — schema, CSV, model directory — with errors as one line that says
//! what is wrong, where (`file:line` or `file:line:column`), and how to fix it. `-` as a data
//! file is stdin; where data comes from is decided here ([`open`]), in one place.

use std::io::{BufReader, Read};
use std::path::Path;

use anyhow::anyhow;
use tabveil::data::{
    CsvNote, CsvOptions, DataError, InferredSchema, ReadError, Schema, SchemaError, Table,
    TableFormat, infer_schema, read_csv, read_table_path,
};
use tabveil::models::ModelError;
use tabveil::{Error, Fitted};

use crate::progress::Terminal;

/// The longest line read from a data file: a guard against `/dev/zero` and files without line
/// breaks, which would otherwise be buffered whole.
const MAX_LINE_BYTES: usize = 64 << 20;
/// The largest schema file read.
const MAX_SCHEMA_BYTES: u64 = 64 << 20;

/// True when `path` means stdin (`-`).
pub(crate) fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// The data file at `path`, or stdin for `-`.
///
/// # Errors
/// One line naming the file when it cannot be opened.
pub(crate) fn open(path: &Path) -> anyhow::Result<Box<dyn Read>> {
    if is_stdin(path) {
        return Ok(Box::new(LineLimit::new(BufReader::new(std::io::stdin()))));
    }
    match std::fs::File::open(path) {
        Ok(file) if file.metadata().is_ok_and(|m| m.is_dir()) => Err(anyhow!(
            "{}: is a folder, not a CSV file; to fix: check the path",
            path.display()
        )),
        Ok(file) => Ok(Box::new(LineLimit::new(BufReader::new(file)))),
        Err(e) => Err(anyhow!(data_error(
            path,
            &DataError::Io {
                path: path.display().to_string(),
                message: e.to_string(),
            }
        ))),
    }
}

/// A schema inferred from the CSV file at `path` (or stdin), named after the file.
pub(crate) fn infer(path: &Path, options: &CsvOptions) -> anyhow::Result<InferredSchema> {
    let name = if is_stdin(path) {
        "table".to_owned()
    } else {
        path.file_stem()
            .map_or_else(|| "table".to_owned(), |s| s.to_string_lossy().into_owned())
    };
    infer_schema(open(path)?, &name, options).map_err(|e| anyhow!(data_error(path, &e)))
}

/// Reads the schema at `path` (at most 64 MiB).
pub(crate) fn schema(path: &Path) -> anyhow::Result<Schema> {
    let io = |message: String| {
        anyhow!(schema_error(
            path,
            &DataError::Io {
                path: path.display().to_string(),
                message,
            }
        ))
    };
    let file = std::fs::File::open(path).map_err(|e| io(e.to_string()))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(io("is a folder".to_owned()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_SCHEMA_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io(e.to_string()))?;
    if bytes.len() as u64 > MAX_SCHEMA_BYTES {
        return Err(io("larger than 64 MiB, which no schema is".to_owned()));
    }
    let text = String::from_utf8(bytes).map_err(|_| io("not UTF-8 text".to_owned()))?;
    Schema::from_json(&text).map_err(|e| anyhow!(schema_error(path, &e)))
}

/// A reader that fails on a line longer than [`MAX_LINE_BYTES`].
struct LineLimit<R> {
    inner: R,
    since_newline: usize,
}

impl<R> LineLimit<R> {
    fn new(inner: R) -> Self {
        LineLimit {
            inner,
            since_newline: 0,
        }
    }
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let read = &buf[..n];
        self.since_newline = match read.iter().rposition(|&b| b == b'\n') {
            Some(i) => n - i - 1,
            None => self.since_newline + n,
        };
        if self.since_newline > MAX_LINE_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "a line longer than 64 MiB: this is not a CSV file of rows",
            ));
        }
        Ok(n)
    }
}

/// Reads the training table at `path` against `schema` ([`table`], with the extra null tokens
/// `null_tokens`), its notes shown as warnings on `terminal`.
pub(crate) fn training_table(
    path: &Path,
    schema: &Schema,
    null_tokens: &[String],
    terminal: &Terminal,
) -> anyhow::Result<Table> {
    let options = CsvOptions::default().with_null_tokens(null_tokens.iter().cloned());
    let (table, notes) = table(path, schema, &options)?;
    for note in notes {
        terminal.warn(&note);
    }
    Ok(table)
}

/// Reads the table file at `path` (CSV, Parquet or Arrow IPC, by extension) against `schema`;
/// returns the table and the reader's notes as lines for stderr.
pub(crate) fn table(
    path: &Path,
    schema: &Schema,
    options: &CsvOptions,
) -> anyhow::Result<(Table, Vec<String>)> {
    let (table, report) = if is_stdin(path) || TableFormat::from_path(path) == TableFormat::Csv {
        read_csv(open(path)?, schema, options)
    } else {
        read_table_path(path, schema, options)
    }
    .map_err(|e| anyhow!(data_error(path, &e)))?;
    let notes = report
        .notes()
        .iter()
        .map(|note| match note {
            CsvNote::IgnoredColumns { columns } => {
                format!("note: {}: ignored column(s) not in the schema: {}", path.display(), columns.join(", "))
            }
            CsvNote::CategoriesFromData { column } => format!(
                "warning: {}: the categories of column `{column}` were read from the data (not private: private mode refuses it); declare them in the schema",
                path.display()
            ),
            other => format!(
                "note: {}: {}",
                path.display(),
                serde_json::to_string(other).unwrap_or_default()
            ),
        })
        .collect();
    Ok((table, notes))
}

/// Loads the model saved in `dir`.
pub(crate) fn model(dir: &Path) -> anyhow::Result<Fitted> {
    Fitted::load(dir).map_err(|e| anyhow!(model_error(dir, &e)))
}

/// One line for a schema error.
pub(crate) fn schema_error(path: &Path, e: &DataError) -> String {
    let p = path.display();
    match e {
        DataError::Schema(SchemaError::InvalidSchemaJson { message, line, col }) if *line > 0 => {
            format!(
                "{p}:{line}:{col}: the schema is not valid JSON: {message}; to fix: correct the JSON at that position"
            )
        }
        DataError::Schema(SchemaError::InvalidSchemaJson { message, .. }) => format!(
            "{p}: the JSON is not a tabveil schema: {message}; to fix: see `tabveil schema infer` for the format"
        ),
        DataError::Io { message, .. } => {
            format!("{p}: cannot read the schema: {message}; to fix: check the --schema path")
        }
        other => format!(
            "{p}: invalid schema: {other}; to fix: correct the schema (see `tabveil schema infer` for the format)"
        ),
    }
}

/// One line for an error reading a CSV file: `file:line: column `c`: what; to fix: how`.
pub(crate) fn data_error(path: &Path, e: &DataError) -> String {
    let p = if is_stdin(path) {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    };
    let what = match e {
        // The library's message names a library setting the command cannot set.
        DataError::Read(ReadError::UnexpectedColumns { columns }) => format!(
            "the CSV file has column(s) {} that the schema does not declare",
            columns
                .iter()
                .take(10)
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    };
    // The data crate writes positions as "line N, …" or "line N: …"; make them `file:N: …`.
    let located = match what.strip_prefix("line ") {
        Some(rest) => {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let tail = rest[digits.len()..]
                .trim_start_matches([',', ':'])
                .trim_start();
            format!("{p}:{digits}: {tail}")
        }
        None => match e {
            DataError::Read(ReadError::Csv {
                line: Some(line),
                message,
            }) => format!("{p}:{line}: malformed CSV: {message}"),
            DataError::Io { message, .. } => format!("{p}: cannot read the file: {message}"),
            _ => format!("{p}: {what}"),
        },
    };
    format!("{located}; to fix: {}", data_fix(e))
}

fn data_fix(e: &DataError) -> &'static str {
    match e {
        DataError::Io { .. } => "check the path",
        DataError::Read(ReadError::EmptyInput) => "the file needs a header line naming the columns",
        DataError::Read(ReadError::DuplicateHeader { .. }) => {
            "give every column a distinct name in the header"
        }
        DataError::Read(ReadError::MissingColumns { .. }) => {
            "make the CSV header match the schema's column names"
        }
        DataError::Read(ReadError::UnexpectedColumns { .. }) => {
            "remove the extra column(s) from the file, or declare them in the schema"
        }
        DataError::Read(ReadError::BeyondModelRange { .. })
        | DataError::Schema(SchemaError::BoundBeyondModelRange { .. }) => {
            "rescale the column (e.g. to thousands or millions) so that its values and bounds stay within ±1e100"
        }
        DataError::Schema(SchemaError::SchemaNotReviewed) => {
            "review the schema, then delete its line \"inferred_from_data\": true"
        }
        DataError::Read(ReadError::RaggedRow { .. }) => {
            "every line needs as many fields as the header (quote fields that contain the delimiter)"
        }
        DataError::Read(ReadError::InvalidUtf8 { .. }) => "save the file as UTF-8",
        DataError::Read(ReadError::InvalidNumber { .. })
        | DataError::Read(ReadError::NonFiniteNumber { .. })
        | DataError::Read(ReadError::NotAnInteger { .. })
        | DataError::Read(ReadError::InvalidDatetime { .. }) => {
            "correct the value, or leave it empty (or pass --null TOKEN) in a nullable column"
        }
        DataError::Read(ReadError::OutOfBounds { .. }) => {
            "correct the value or widen the column's bounds in the schema (bounds must be public knowledge, not read from the data)"
        }
        DataError::Read(ReadError::NullInNonNullable { .. }) => {
            "fill the value, or declare the column \"nullable\": true in the schema"
        }
        DataError::Read(ReadError::UnknownCategory { .. }) => {
            "add the missing categories to the schema's list, or correct the data"
        }
        DataError::Read(ReadError::CategoryIsNullToken { .. }) => {
            "choose a --null token that is not a category"
        }
        _ => "correct the file or the schema",
    }
}

/// One line for an error loading a model directory.
pub(crate) fn model_error(dir: &Path, e: &Error) -> String {
    let d = dir.display();
    match e {
        Error::Model(ModelError::Io { path, message }) | Error::Io { path, message } => format!(
            "cannot read the model {d}: {path}: {message}; to fix: pass a directory written by `tabveil fit --out`"
        ),
        Error::Model(
            ModelError::CorruptModel { .. }
            | ModelError::ChecksumMismatch { .. }
            | ModelError::ParameterMismatch { .. },
        )
        | Error::CorruptFit { .. } => format!(
            "the model {d} is damaged: {e}; to fix: fit it again with `tabveil fit` (models are never repaired)"
        ),
        Error::Model(ModelError::OutputRefused { .. }) => format!("{e}"),
        Error::Model(ModelError::UnsupportedFormat { .. }) => format!(
            "the model {d} was written by another version of tabveil: {e}; to fix: fit it again with this version"
        ),
        other => format!("cannot load the model {d}: {other}"),
    }
}
