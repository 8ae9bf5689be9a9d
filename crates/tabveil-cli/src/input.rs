//! Reading the user's files — schema, CSV, model directory — with errors as one line that says
//! what is wrong, where (`file:line` or `file:line:column`), and how to fix it.

use std::path::Path;

use anyhow::anyhow;
use tabveil::data::{CsvNote, CsvOptions, DataError, Schema, Table, read_csv_path};
use tabveil::data::{ReadError, SchemaError};
use tabveil::models::ModelError;
use tabveil::{Error, Fitted};

/// Reads the schema at `path`.
pub(crate) fn schema(path: &Path) -> anyhow::Result<Schema> {
    Schema::from_path(path).map_err(|e| anyhow!(schema_error(path, &e)))
}

/// Reads the CSV file at `path` against `schema`; returns the table and the reader's notes as
/// lines for stderr.
pub(crate) fn table(
    path: &Path,
    schema: &Schema,
    options: &CsvOptions,
) -> anyhow::Result<(Table, Vec<String>)> {
    let (table, report) =
        read_csv_path(path, schema, options).map_err(|e| anyhow!(data_error(path, &e)))?;
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
            other => format!("note: {}: {other:?}", path.display()),
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
        DataError::Schema(SchemaError::InvalidSchemaJson { message, line, col }) => format!(
            "{p}:{line}:{col}: the schema is not valid JSON: {message}; to fix: correct the JSON at that position"
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
    let p = path.display();
    let what = e.to_string();
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
        DataError::Read(ReadError::MissingColumns { .. })
        | DataError::Read(ReadError::UnexpectedColumns { .. }) => {
            "make the CSV header match the schema's column names"
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
        Error::Model(ModelError::UnsupportedFormat { .. }) => format!(
            "the model {d} was written by another version of tabveil: {e}; to fix: fit it again with this version"
        ),
        other => format!("cannot load the model {d}: {other}"),
    }
}
