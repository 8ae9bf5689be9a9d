//! tabveil's errors as the Python exceptions of `tabveil.errors` (defined in Python, so they
//! have docstrings and stubs), with their structured parts as attributes: the validator's
//! finding codes, the column and row of a data error, the ledger of a fit that had already
//! released statistics.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::Serialize;
use tabveil::Error;
use tabveil::data::{DataError, Position, ReadError, SchemaError, TransformError};
use tabveil::models::{ConfigError, ModelError};

/// A Python value from anything serialisable (through JSON: every structure we pass is small).
pub(crate) fn to_python<'py>(
    py: Python<'py>,
    value: &impl Serialize,
) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}

/// An instance of `tabveil.errors.<class>` with `message` and the attributes `attrs`.
pub(crate) fn exception(
    py: Python<'_>,
    class: &str,
    message: String,
    attrs: &Bound<'_, PyDict>,
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let cls = py.import("tabveil.errors")?.getattr(class)?;
        let exc = cls.call1((message,))?;
        for (k, v) in attrs.iter() {
            exc.setattr(k.extract::<String>()?.as_str(), v)?;
        }
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| e)
}

/// The facade's error as a `tabveil.errors` exception.
pub(crate) fn from_tabveil(py: Python<'_>, e: Error) -> PyErr {
    let attrs = PyDict::new(py);
    let message = e.to_string();
    let class = match &e {
        Error::Rejected { findings } => {
            let _ = attrs.set_item("findings", to_python(py, findings).ok());
            let codes: Vec<String> = findings
                .iter()
                .filter(|f| f.is_error())
                .map(|f| f.code.to_string())
                .collect();
            let _ = attrs.set_item("codes", codes);
            "PlanRejected"
        }
        Error::Data(d) | Error::Model(ModelError::Data(d)) => return from_data(py, d),
        Error::Config(c) | Error::Model(ModelError::Config(c)) => return from_config(py, c),
        Error::Model(m) => return from_model(py, m, message),
        Error::CorruptFit { .. } => "ModelFileError",
        Error::Io { path, .. } => {
            let _ = attrs.set_item("filename", path);
            "FileError"
        }
        _ => "TabveilError",
    };
    exception(py, class, message, &attrs)
}

/// A models-crate error: the releases of a failed private fit are kept on the exception.
pub(crate) fn from_model(py: Python<'_>, m: &ModelError, message: String) -> PyErr {
    let attrs = PyDict::new(py);
    if let Some(ledger) = m.spent_ledger() {
        let _ = attrs.set_item("ledger", to_python(py, ledger).ok());
    }
    let class = match m {
        ModelError::SpentThenFailed { error, .. } => {
            if let ModelError::Data(d) = error.as_ref() {
                let _ = set_data_attrs(d, &attrs);
            }
            "FitFailedAfterReleases"
        }
        ModelError::Config(c) => return from_config(py, c),
        ModelError::Data(d) => return from_data(py, d),
        ModelError::Io { path, .. } => {
            let _ = attrs.set_item("filename", path);
            "FileError"
        }
        ModelError::CorruptModel { .. }
        | ModelError::ChecksumMismatch { .. }
        | ModelError::UnsupportedFormat { .. }
        | ModelError::WrongModelKind { .. }
        | ModelError::ParameterMismatch { .. } => "ModelFileError",
        ModelError::NoConditions
        | ModelError::DuplicateCondition { .. }
        | ModelError::ConditionTooRare { .. } => "ConditionError",
        _ => "ModelError",
    };
    exception(py, class, message, &attrs)
}

/// A setting out of range: `ConfigError` with the parameter's name, or, for a setting of the
/// transformer, the data error's kind and column.
pub(crate) fn from_config(py: Python<'_>, c: &ConfigError) -> PyErr {
    let attrs = PyDict::new(py);
    match c {
        ConfigError::InvalidParameter { parameter, .. } => {
            let _ = attrs.set_item("parameter", *parameter);
        }
        ConfigError::Transformer(d) => {
            let _ = set_data_attrs(d, &attrs);
        }
        _ => {}
    }
    exception(py, "ConfigError", c.to_string(), &attrs)
}

/// A data error as the exception of its part — `SchemaError`, `ReadError` or `TransformError`
/// (all `DataError`s in Python), `FileError` for I/O — with which column, which row, which
/// kind of problem.
pub(crate) fn from_data(py: Python<'_>, d: &DataError) -> PyErr {
    let attrs = PyDict::new(py);
    let class = match d {
        DataError::Schema(_) => "SchemaError",
        DataError::Read(_) => "ReadError",
        DataError::Transform(_) => "TransformError",
        DataError::Io { path, .. } => {
            let _ = attrs.set_item("filename", path);
            "FileError"
        }
        _ => "DataError",
    };
    let _ = set_data_attrs(d, &attrs);
    exception(py, class, d.to_string(), &attrs)
}

/// The name of an enum value's variant, from its `Debug` text (`OutOfBounds { .. }` →
/// `"OutOfBounds"`): the stable `kind` attribute.
fn variant_name(value: &impl std::fmt::Debug) -> String {
    format!("{value:?}")
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect()
}

fn set_data_attrs(d: &DataError, attrs: &Bound<'_, PyDict>) -> PyResult<()> {
    // The innermost variant's name ("OutOfBounds", "UnknownCategory", …) as a stable kind.
    let kind = match d {
        DataError::Schema(e) => variant_name(e),
        DataError::Read(e) => variant_name(e),
        DataError::Transform(e) => variant_name(e),
        other => variant_name(other),
    };
    attrs.set_item("kind", kind)?;
    let (column, at) = data_location(d);
    attrs.set_item("column", column)?;
    let (row, line) = match at {
        Some(Position::Row(r)) => (Some(r), None),
        Some(Position::Line(l)) => (None, Some(l)),
        None => (None, None),
    };
    attrs.set_item("row", row)?;
    attrs.set_item("line", line)?;
    Ok(())
}

fn data_location(d: &DataError) -> (Option<String>, Option<Position>) {
    match d {
        DataError::Read(r) => read_location(r),
        DataError::Schema(
            SchemaError::DuplicateColumnName { column }
            | SchemaError::MissingField { column, .. }
            | SchemaError::UnknownKind { column, .. }
            | SchemaError::UnknownField { column, .. }
            | SchemaError::FieldNotAllowed { column, .. }
            | SchemaError::InvalidFieldType { column, .. }
            | SchemaError::InvalidBounds { column, .. }
            | SchemaError::NonFiniteBound { column, .. }
            | SchemaError::EmptyCategories { column }
            | SchemaError::DuplicateCategory { column, .. }
            | SchemaError::InvalidCategoryLabel { column, .. }
            | SchemaError::BooleanCategoryCount { column, .. }
            | SchemaError::InvalidDatetimeFormat { column, .. }
            | SchemaError::InvalidDatetimeBound { column, .. }
            | SchemaError::UnknownColumn { column },
        ) => (Some(column.clone()), None),
        DataError::Transform(
            TransformError::MissingBounds { column }
            | TransformError::MissingCategories { column }
            | TransformError::NotConditionable { column }
            | TransformError::NotACategory { column, .. },
        ) => (Some(column.clone()), None),
        _ => (None, None),
    }
}

fn read_location(r: &ReadError) -> (Option<String>, Option<Position>) {
    match r {
        ReadError::InvalidNumber { at, column, .. }
        | ReadError::NonFiniteNumber { at, column, .. }
        | ReadError::NotAnInteger { at, column, .. }
        | ReadError::OutOfBounds { at, column, .. }
        | ReadError::InvalidDatetime { at, column, .. }
        | ReadError::DatetimeOutOfRange { at, column, .. }
        | ReadError::NullInNonNullable { at, column }
        | ReadError::UnknownCategory { at, column, .. }
        | ReadError::WrongValueType { at, column, .. }
        | ReadError::CategoryIndex { at, column, .. }
        | ReadError::NotRepresentable { at, column, .. } => (Some(column.clone()), Some(*at)),
        ReadError::ArrowType { column, .. }
        | ReadError::CategoryIsNullToken { column, .. }
        | ReadError::DuplicateHeader { column }
        | ReadError::InvalidUtf8 {
            column: Some(column),
            ..
        } => (Some(column.clone()), None),
        ReadError::RaggedRow { line, .. }
        | ReadError::InvalidUtf8 { line, .. }
        | ReadError::Csv {
            line: Some(line), ..
        } => (None, Some(Position::Line(*line))),
        _ => (None, None),
    }
}
